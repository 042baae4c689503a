//! `tessera vault …`: the consumer's encrypted vault — keys, facts, purchases, backups.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;
use tessera_protocol::ItemName;
use tessera_vault::csv_import::{self, ColumnMapping, CsvOptions, DateOrder, Encoding};
use tessera_vault::facts::{self, Sensitivity};
use tessera_vault::purchases::{Purchase, PurchaseFilter};
use tessera_vault::{RecoverySecret, Vault};

use crate::secrets::{self, PASSPHRASE_ENV};
use crate::{files, show_time, CliError};

/// Where the vault is and how to unlock it.
#[derive(Debug, Args)]
pub struct VaultArgs {
    /// The vault directory [default: the desktop app's, ~/.local/share/org.tessera.vault/vault].
    #[arg(long = "vault", env = "TESSERA_VAULT_DIR", global = true)]
    dir: Option<PathBuf>,
    /// Read the vault passphrase from the first line of this file (else $TESSERA_PASSPHRASE, else asked).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
}

impl VaultArgs {
    pub fn dir(&self) -> PathBuf {
        // The same vault as the desktop app (Tauri's app data directory for org.tessera.vault).
        self.dir.clone().unwrap_or_else(|| files::default_data_path("org.tessera.vault", "vault"))
    }

    fn passphrase(&self, prompt: &str, confirm: bool) -> Result<zeroize::Zeroizing<String>, CliError> {
        secrets::passphrase(self.passphrase_file.as_deref(), PASSPHRASE_ENV, prompt, confirm)
    }

    /// Opens and unlocks the vault, warning about records that cannot be read.
    pub fn unlock(&self) -> Result<Vault, CliError> {
        let mut vault = Vault::open(&self.dir())?;
        vault.unlock(&self.passphrase("Vault passphrase", false)?)?;
        let damaged = vault.damaged_records()?;
        if !damaged.is_empty() {
            eprintln!(
                "warning: {} record(s) of the vault cannot be read (altered or damaged on disk); everything else is available. Restore a backup to get them back.",
                damaged.len()
            );
        }
        Ok(vault)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SensitivityArg {
    /// Fine to share (still only with your approval).
    Share,
    /// Ask me each time.
    Ask,
    /// Refuse every request for it.
    Never,
}

impl From<SensitivityArg> for Sensitivity {
    fn from(s: SensitivityArg) -> Sensitivity {
        match s {
            SensitivityArg::Share => Sensitivity::ShareFreely,
            SensitivityArg::Ask => Sensitivity::AskMe,
            SensitivityArg::Never => Sensitivity::NeverShare,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateOrderArg {
    Dmy,
    Mdy,
    Ymd,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    Utf8,
    Latin1,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create your vault; shows the recovery secret once.
    Init,
    /// Show what the vault holds.
    Status,
    /// Change the vault passphrase.
    Passphrase {
        /// Read the new passphrase from this file (else asked).
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Forgot the passphrase? Set a new one with the recovery secret.
    Recover {
        /// Read the recovery secret from this file (else asked).
        #[arg(long)]
        recovery_secret_file: Option<PathBuf>,
        /// Read the new passphrase from this file (else asked).
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Replace the vault key and re-encrypt everything; shows a new recovery secret.
    RotateKey,
    /// Profile facts.
    #[command(subcommand)]
    Fact(FactCommand),
    /// Purchase history.
    #[command(subcommand)]
    Purchase(PurchaseCommand),
    /// Write an encrypted backup of the whole vault.
    Backup {
        #[arg(long)]
        out: PathBuf,
        /// Read the backup passphrase from this file (else $TESSERA_BACKUP_PASSPHRASE, else asked).
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// Replace the vault's content with a backup (creating the vault if there is none).
    Restore {
        backup: PathBuf,
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// Write all my data as readable JSON, in a passphrase-protected age file (`age -d FILE` opens it).
    Export {
        #[arg(long)]
        out: PathBuf,
        /// Read the export passphrase from this file (else $TESSERA_BACKUP_PASSPHRASE, else asked).
        #[arg(long)]
        export_passphrase_file: Option<PathBuf>,
    },
    /// Show or change preferences.
    Settings {
        /// fr or en.
        #[arg(long)]
        language: Option<String>,
        /// Lock the app after this many idle minutes.
        #[arg(long)]
        auto_lock_minutes: Option<u32>,
        /// How purchase history may be shared.
        #[arg(long, value_enum)]
        purchases: Option<SensitivityArg>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FactCommand {
    /// Set a fact, e.g. `fact set email ana@example.org --sensitivity ask`.
    Set {
        item: String,
        value: String,
        #[arg(long, value_enum, default_value = "ask")]
        sensitivity: SensitivityArg,
    },
    /// Set many facts from a JSON object file such as {"email": "…", "birthdate": "1990-04-02"}.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "ask")]
        sensitivity: SensitivityArg,
    },
    /// List your facts.
    List,
    /// Change how freely a fact may be shared.
    Sensitivity {
        item: String,
        #[arg(value_enum)]
        level: SensitivityArg,
    },
    /// Delete a fact.
    Remove { item: String },
}

#[derive(Debug, Subcommand)]
pub enum PurchaseCommand {
    /// Add one purchase.
    Add {
        /// 2026-03-14 or 14/03/2026.
        #[arg(long)]
        date: String,
        #[arg(long)]
        merchant: String,
        /// 12.50 or 12,50 (money spent; negative for a refund).
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Default: suggested from the merchant.
        #[arg(long)]
        category: Option<String>,
    },
    /// Import a CSV export from a bank or shop (detects the format; every choice can be forced).
    Import {
        file: PathBuf,
        /// Show what would be imported, and the rows that cannot be read; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        delimiter: Option<char>,
        #[arg(long, value_enum)]
        encoding: Option<EncodingArg>,
        /// Amounts use a decimal comma (12,50) — or not.
        #[arg(long, overrides_with = "decimal_point")]
        decimal_comma: bool,
        #[arg(long)]
        decimal_point: bool,
        #[arg(long, value_enum)]
        date_order: Option<DateOrderArg>,
        /// Spending is written as negative amounts — or not.
        #[arg(long, overrides_with = "no_negate")]
        negate: bool,
        #[arg(long)]
        no_negate: bool,
        /// The first row is a header — or not.
        #[arg(long, overrides_with = "no_header")]
        header: bool,
        #[arg(long)]
        no_header: bool,
        /// Column mapping, 1-based: date=1,merchant=2,amount=3 (also debit=, credit=, category=, currency=).
        #[arg(long)]
        columns: Option<String>,
        /// Currency when the file has none.
        #[arg(long)]
        currency: Option<String>,
    },
    /// List purchases, newest first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 1)]
        page: usize,
        #[arg(long, default_value_t = 50)]
        per_page: usize,
    },
    /// Totals by category, and by category and month.
    Totals {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Delete one purchase (its id is shown by `list`).
    Remove { id: String },
}

/// Which purchases a listing or a total covers.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Words to find in the merchant or the category.
    #[arg(long)]
    search: Option<String>,
    /// From this day (2026-03-14 or 14/03/2026).
    #[arg(long)]
    from: Option<String>,
    /// Up to this day.
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    merchant: Option<String>,
}

impl FilterArgs {
    fn to_filter(&self) -> Result<PurchaseFilter, CliError> {
        Ok(PurchaseFilter {
            search: self.search.clone(),
            from: self.from.as_deref().map(parse_day).transpose()?,
            to: self.to.as_deref().map(parse_day).transpose()?,
            category: self.category.clone(),
            merchant: self.merchant.clone(),
        })
    }
}

fn parse_item(name: &str) -> Result<ItemName, CliError> {
    name.parse().map_err(|_| {
        let known: Vec<&str> = tessera_protocol::items::VOCABULARY
            .iter()
            .filter(|s| facts::is_profile_fact(&ItemName::lookup(s.name).unwrap_or_else(|| unreachable!())))
            .map(|s| s.name)
            .collect();
        CliError::Usage(format!("{name:?} is not a fact Tessera knows; known facts: {}", known.join(", ")))
    })
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, CliError> {
    csv_import::parse_date(text, DateOrder::DayFirst)
        .ok_or_else(|| CliError::Usage(format!("{text:?} is not a date: write 2026-03-14 or 14/03/2026")))
}

fn parse_columns(text: &str) -> Result<ColumnMapping, CliError> {
    let mut mapping = ColumnMapping {
        date: usize::MAX,
        merchant: usize::MAX,
        amount: None,
        debit: None,
        credit: None,
        category: None,
        currency: None,
    };
    for pair in text.split(',') {
        let (name, number) =
            pair.split_once('=').ok_or_else(|| CliError::Usage(format!("{pair:?}: write NAME=COLUMN, e.g. date=1")))?;
        let column: usize = number
            .trim()
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| CliError::Usage(format!("{number:?} is not a column number (1 is the first)")))?;
        let column = column - 1;
        match name.trim() {
            "date" => mapping.date = column,
            "merchant" => mapping.merchant = column,
            "amount" => mapping.amount = Some(column),
            "debit" => mapping.debit = Some(column),
            "credit" => mapping.credit = Some(column),
            "category" => mapping.category = Some(column),
            "currency" => mapping.currency = Some(column),
            other => {
                return Err(CliError::Usage(format!(
                    "{other:?} is not a column name: use date, merchant, amount, debit, credit, category, currency"
                )))
            }
        }
    }
    if mapping.date == usize::MAX
        || mapping.merchant == usize::MAX
        || (mapping.amount.is_none() && mapping.debit.is_none() && mapping.credit.is_none())
    {
        return Err(CliError::Usage("--columns needs at least date, merchant and amount (or debit/credit)".into()));
    }
    Ok(mapping)
}

fn flag(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

fn print_purchase(id: &str, p: &Purchase) {
    println!("{}  {:<32} {:>12} {}  {:<14} {id}", p.date, p.merchant, p.amount.to_string(), p.currency, p.category);
}

fn backup_passphrase(file: Option<&Path>, confirm: bool) -> Result<zeroize::Zeroizing<String>, CliError> {
    secrets::passphrase(file, "TESSERA_BACKUP_PASSPHRASE", "Backup passphrase", confirm)
}

fn show_recovery(recovery: &RecoverySecret) {
    println!("Your recovery secret (shown this once; write it down and keep it somewhere safe):");
    println!();
    println!("    {}", recovery.display().as_str());
    println!();
    println!("With it you can set a new passphrase if you forget yours: `tessera vault recover`.");
}

pub fn run(command: VaultCommand, args: &VaultArgs, now: i64) -> Result<(), CliError> {
    match command {
        VaultCommand::Init => {
            let passphrase = args.passphrase("Choose a vault passphrase", true)?;
            println!("Passphrase strength: {}/4", tessera_vault::keys::passphrase_strength(&passphrase));
            let (_, recovery) = Vault::create(&args.dir(), &passphrase)?;
            println!("Created your vault in {}", args.dir().display());
            show_recovery(&recovery);
        }
        VaultCommand::Status => {
            let vault = args.unlock()?;
            println!("Vault: {}", vault.dir().display());
            println!("Facts: {}", vault.facts()?.len());
            println!("Purchases: {}", vault.purchase_count()?);
            println!("Packets shared: {}", vault.ledger(now)?.len());
            let settings = vault.settings()?;
            println!(
                "Language: {}; auto-lock after {} min; purchases: {}",
                settings.language.as_deref().unwrap_or("system"),
                settings.auto_lock_minutes,
                settings.purchases_sensitivity.as_str()
            );
        }
        VaultCommand::Passphrase { new_passphrase_file } => {
            let current = args.passphrase("Current passphrase", false)?;
            let mut vault = Vault::open(&args.dir())?;
            vault.unlock(&current)?;
            let new =
                secrets::passphrase(new_passphrase_file.as_deref(), "TESSERA_NEW_PASSPHRASE", "New passphrase", true)?;
            vault.change_passphrase(&current, &new)?;
            println!("The vault passphrase was changed.");
        }
        VaultCommand::Recover { recovery_secret_file, new_passphrase_file } => {
            let secret = secrets::passphrase(
                recovery_secret_file.as_deref(),
                "TESSERA_RECOVERY_SECRET",
                "Recovery secret",
                false,
            )?;
            let recovery = RecoverySecret::parse(&secret)?;
            let new =
                secrets::passphrase(new_passphrase_file.as_deref(), "TESSERA_NEW_PASSPHRASE", "New passphrase", true)?;
            let mut vault = Vault::open(&args.dir())?;
            vault.recover(&recovery, &new)?;
            println!("The vault is open with your new passphrase.");
        }
        VaultCommand::RotateKey => {
            let passphrase = args.passphrase("Vault passphrase", false)?;
            let mut vault = Vault::open(&args.dir())?;
            vault.unlock(&passphrase)?;
            let recovery = vault.rotate_key(&passphrase)?;
            println!("Every record was re-encrypted under a new key. Your old recovery secret no longer works.");
            show_recovery(&recovery);
        }
        VaultCommand::Fact(command) => run_fact(command, args)?,
        VaultCommand::Purchase(command) => run_purchase(command, args)?,
        VaultCommand::Backup { out, backup_passphrase_file } => {
            let vault = args.unlock()?;
            let passphrase = backup_passphrase(backup_passphrase_file.as_deref(), true)?;
            vault.backup(&out, &passphrase, now)?;
            println!("Wrote an encrypted backup to {}", out.display());
        }
        VaultCommand::Restore { backup, backup_passphrase_file } => {
            let mut vault = if Vault::exists(&args.dir()) {
                args.unlock()?
            } else {
                let passphrase = args.passphrase("Choose a vault passphrase", true)?;
                let (vault, recovery) = Vault::create(&args.dir(), &passphrase)?;
                show_recovery(&recovery);
                vault
            };
            let passphrase = backup_passphrase(backup_passphrase_file.as_deref(), false)?;
            let report = vault.restore(&backup, &passphrase)?;
            println!(
                "Restored the backup of {}: {} fact(s), {} purchase(s), {} packet(s).",
                show_time(report.created_at),
                report.facts,
                report.purchases,
                report.packets
            );
        }
        VaultCommand::Export { out, export_passphrase_file } => {
            let vault = args.unlock()?;
            let passphrase = backup_passphrase(export_passphrase_file.as_deref(), true)?;
            vault.export_all(&out, &passphrase, now)?;
            println!("Wrote all your data to {} (open it with `age --decrypt {}`).", out.display(), out.display());
        }
        VaultCommand::Settings { language, auto_lock_minutes, purchases } => {
            let mut vault = args.unlock()?;
            let mut settings = vault.settings()?;
            if language.is_some() || auto_lock_minutes.is_some() || purchases.is_some() {
                if let Some(language) = language {
                    settings.language = if language == "system" { None } else { Some(language) };
                }
                if let Some(minutes) = auto_lock_minutes {
                    settings.auto_lock_minutes = minutes;
                }
                if let Some(level) = purchases {
                    settings.purchases_sensitivity = level.into();
                }
                vault.set_settings(settings.clone())?;
            }
            println!("language: {}", settings.language.as_deref().unwrap_or("system"));
            println!("auto-lock: {} min", settings.auto_lock_minutes);
            println!("purchases: {}", settings.purchases_sensitivity.as_str());
        }
    }
    Ok(())
}

fn run_fact(command: FactCommand, args: &VaultArgs) -> Result<(), CliError> {
    let mut vault = args.unlock()?;
    match command {
        FactCommand::Set { item, value, sensitivity } => {
            let item = parse_item(&item)?;
            let value = facts::value_from_text(&item, &value)?;
            vault.set_fact(item, value, sensitivity.into())?;
            println!("Saved {item}.");
        }
        FactCommand::Import { file, sensitivity } => {
            let bytes = files::read(&file)?;
            let object: serde_json::Map<String, Value> =
                serde_json::from_slice(&bytes).map_err(|e| CliError::File {
                    path: file.clone(),
                    detail: format!("expected a JSON object such as {{\"email\": \"ana@example.org\"}} ({e})"),
                })?;
            // Check everything before saving anything.
            let mut checked = Vec::new();
            for (name, value) in object {
                let item =
                    parse_item(&name).map_err(|e| CliError::File { path: file.clone(), detail: e.to_string() })?;
                item.validate(&value).map_err(|e| CliError::File { path: file.clone(), detail: e.to_string() })?;
                checked.push((item, value));
            }
            for (item, value) in &checked {
                vault.set_fact(*item, value.clone(), sensitivity.into())?;
            }
            println!("Saved {} fact(s).", checked.len());
        }
        FactCommand::List => {
            let facts = vault.facts()?;
            if facts.is_empty() {
                println!("No fact yet: add one with `tessera vault fact set ITEM VALUE`.");
            }
            for f in facts {
                println!("{:<30} {:<40} {}", f.item.as_str(), f.value.to_string(), f.sensitivity.as_str());
            }
        }
        FactCommand::Sensitivity { item, level } => {
            let item = parse_item(&item)?;
            vault.set_sensitivity(&item, level.into())?;
            println!("{item} is now {}.", Sensitivity::from(level).as_str());
        }
        FactCommand::Remove { item } => {
            let item = parse_item(&item)?;
            vault.remove_fact(&item)?;
            println!("Deleted {item}.");
        }
    }
    Ok(())
}

fn run_purchase(command: PurchaseCommand, args: &VaultArgs) -> Result<(), CliError> {
    let mut vault = args.unlock()?;
    match command {
        PurchaseCommand::Add { date, merchant, amount, currency, category } => {
            let decimal_comma = amount.contains(',') && !amount.contains('.');
            let amount = csv_import::parse_amount(&amount, decimal_comma)
                .ok_or_else(|| CliError::Usage(format!("{amount:?} is not an amount: write 12.50 or 12,50")))?;
            let category = category.unwrap_or_else(|| tessera_vault::purchases::suggest_category(&merchant).to_owned());
            let id = vault.add_purchase(Purchase {
                date: parse_day(&date)?,
                merchant,
                amount,
                currency: currency.to_uppercase(),
                category,
            })?;
            println!("Added purchase {id}.");
        }
        PurchaseCommand::Import {
            file,
            dry_run,
            delimiter,
            encoding,
            decimal_comma,
            decimal_point,
            date_order,
            negate,
            no_negate,
            header,
            no_header,
            columns,
            currency,
        } => {
            let options = CsvOptions {
                encoding: encoding.map(|e| match e {
                    EncodingArg::Utf8 => Encoding::Utf8,
                    EncodingArg::Latin1 => Encoding::Latin1,
                }),
                delimiter,
                has_header: flag(header, no_header),
                mapping: columns.as_deref().map(parse_columns).transpose()?,
                decimal_comma: flag(decimal_comma, decimal_point),
                date_order: date_order.map(|d| match d {
                    DateOrderArg::Dmy => DateOrder::DayFirst,
                    DateOrderArg::Mdy => DateOrder::MonthFirst,
                    DateOrderArg::Ymd => DateOrder::YearFirst,
                }),
                negate_amounts: flag(negate, no_negate),
                currency,
            };
            let bytes = files::read(&file)?;
            let in_file = |e: tessera_vault::VaultError| CliError::File { path: file.clone(), detail: e.to_string() };
            let preview = vault.preview_csv(&bytes, &options).map_err(in_file)?;
            let column = |c: Option<usize>| c.map_or("-".to_owned(), |c| (c + 1).to_string());
            let m = &preview.mapping;
            println!(
                "{}: {:?}, separator {:?}, {}header, decimal {}, dates {:?}{}",
                file.display(),
                preview.encoding,
                preview.delimiter,
                if preview.has_header { "" } else { "no " },
                if preview.decimal_comma { "comma" } else { "point" },
                preview.date_order,
                if preview.negate_amounts { ", spending written as negative amounts" } else { "" }
            );
            println!(
                "columns: date={} merchant={} amount={} debit={} credit={} category={} currency={}",
                m.date + 1,
                m.merchant + 1,
                column(m.amount),
                column(m.debit),
                column(m.credit),
                column(m.category),
                column(m.currency)
            );
            for row in preview.rows.iter().take(if dry_run { 10 } else { 0 }) {
                print_purchase(if row.duplicate { "(already in the vault)" } else { "" }, &row.purchase);
            }
            for error in &preview.errors {
                eprintln!("{}: line {}: {}", file.display(), error.line, error.message);
            }
            if dry_run {
                println!(
                    "Dry run: {} new purchase(s), {} already in the vault, {} unreadable row(s). Nothing was written.",
                    preview.new_count,
                    preview.duplicate_count,
                    preview.errors.len()
                );
            } else {
                let report = vault.import_csv(&bytes, &options).map_err(in_file)?;
                println!(
                    "Imported {} purchase(s); {} already in the vault; {} unreadable row(s) skipped.",
                    report.imported,
                    report.duplicates,
                    report.errors.len()
                );
            }
        }
        PurchaseCommand::List { filter, page, per_page } => {
            let filter = filter.to_filter()?;
            let per_page = per_page.clamp(1, 1000);
            let page_number = page.max(1);
            let result = vault.purchases(&filter, (page_number - 1) * per_page, per_page)?;
            for row in &result.rows {
                print_purchase(&row.id, &row.purchase);
            }
            println!(
                "{} matching purchase(s); page {page_number} of {}.",
                result.total_matching,
                result.total_matching.div_ceil(per_page).max(1)
            );
        }
        PurchaseCommand::Totals { filter } => {
            let totals = vault.purchase_totals(&filter.to_filter()?)?;
            println!("By category:");
            for t in &totals.by_category {
                println!("  {:<16} {:>12} {}  ({} purchase(s))", t.category, t.total.to_string(), t.currency, t.count);
            }
            println!("By month:");
            for t in &totals.by_month {
                println!(
                    "  {} {:<16} {:>12} {}",
                    t.month.as_deref().unwrap_or_default(),
                    t.category,
                    t.total.to_string(),
                    t.currency
                );
            }
        }
        PurchaseCommand::Remove { id } => {
            vault.remove_purchase(&id)?;
            println!("Deleted purchase {id}.");
        }
    }
    Ok(())
}
