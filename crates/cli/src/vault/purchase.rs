//! `tessera vault purchase …`: purchase history — add (or a refund), import a
//! CSV export, list, totals, money received, remove. Amounts and dates are
//! read by the vault (`tessera_vault::parse`), the same way as in the app.
//!
//! `list --json`, `credits --json` (one JSON object per line) and `totals
//! --json` (one JSON object) are for scripts; their shape is specified in
//! `docs/PROTOCOL.md` and stays stable.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use tessera_vault::credits::ListedCredit;
use tessera_vault::csv_import::{
    ColumnMapping, CreditHandling, CsvOptions, CsvPreview, CsvQuestion, DateOrder, Encoding, ProblemCount,
};
use tessera_vault::parse::typed_date;
use tessera_vault::purchases::{shown_amount, Purchase, PurchaseEntry, PurchaseFilter, Total};
use tessera_vault::Vault;

use crate::out::Lines;
use crate::{files, say, CliError};

/// How many unreadable rows an import lists before summing up the rest.
const LISTED_ERRORS: usize = 20;

/// Day first (31/12/2026), month first (12/31/2026), year first (2026-12-31).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateOrderArg {
    Dmy,
    Mdy,
    Ymd,
}

/// Windows-1252 is Latin-1 (ISO 8859-1) with the euro sign; `latin1` names it too.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    Utf8,
    Utf16le,
    Utf16be,
    #[value(name = "windows-1252", alias = "latin1", alias = "cp1252")]
    Windows1252,
}

/// Keep money received apart from purchases (never counted in totals, never shared), or leave it out.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CreditsArg {
    Keep,
    Skip,
}

#[derive(Debug, Subcommand)]
pub enum PurchaseCommand {
    /// Add one purchase, or with --refund money a merchant paid back.
    Add {
        /// 2026-03-14, 14/03/2026 or "14 mars 2026".
        #[arg(long)]
        date: String,
        #[arg(long)]
        merchant: String,
        /// 12.50, 12,50 or 1 234,56: the money spent (or, with --refund, paid back), without a sign.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Default: suggested from the merchant (for a refund: that of your purchases there).
        #[arg(long)]
        category: Option<String>,
        /// Money paid back by this merchant: kept apart from purchases; it lowers this merchant's category in totals.
        #[arg(long)]
        refund: bool,
    },
    /// Import a CSV export from a bank or shop (detects the format; every choice can be forced).
    Import(ImportArgs),
    /// List purchases, newest first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 1)]
        page: usize,
        #[arg(long, default_value_t = 50)]
        per_page: usize,
        /// Every matching purchase, without pages.
        #[arg(long, conflicts_with_all = ["page", "per_page"])]
        all: bool,
        /// One JSON object per line: id, date, merchant, amount (exact decimal), currency, category.
        #[arg(long)]
        json: bool,
    },
    /// Totals by category, and by category and month (refunds from a merchant subtracted).
    Totals {
        #[command(flatten)]
        filter: FilterArgs,
        /// One JSON object: by_category and by_month lists of totals.
        #[arg(long)]
        json: bool,
    },
    /// Money received (salary, benefits, transfers, refunds), kept apart from purchases.
    Credits {
        /// One JSON object per line: id, date, label, amount, currency, refund_of.
        #[arg(long)]
        json: bool,
    },
    /// Delete one purchase or one sum of money received (its id is shown by `list` and `credits`).
    Remove { id: String },
}

/// A CSV file to import, and the choices that override what is detected.
#[derive(Debug, Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// Show what would be imported, and the rows that cannot be read; write nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    delimiter: Option<char>,
    /// The file's encoding (windows-1252 is Latin-1 with the euro sign).
    #[arg(long, value_enum)]
    encoding: Option<EncodingArg>,
    /// Amounts use a decimal comma (12,50) — or not.
    #[arg(long, overrides_with = "decimal_point")]
    decimal_comma: bool,
    #[arg(long)]
    decimal_point: bool,
    /// The order of the file's dates: day first (dmy), month first (mdy) or year first (ymd).
    #[arg(long, value_enum)]
    date_order: Option<DateOrderArg>,
    /// Spending is written as negative amounts — or not.
    #[arg(long, overrides_with = "no_negate")]
    negate: bool,
    #[arg(long)]
    no_negate: bool,
    /// The file has a header row (found wherever it is) — or not.
    #[arg(long, overrides_with = "no_header")]
    header: bool,
    #[arg(long)]
    no_header: bool,
    /// Column mapping, 1-based: date=1,merchant=2,amount=3 (also debit=, credit=, category=, currency=).
    #[arg(long)]
    columns: Option<String>,
    /// Currency when the file names none.
    #[arg(long)]
    currency: Option<String>,
    /// Money received (salary, transfers, refunds): kept apart (never counted, never shared), or left out.
    #[arg(long, value_enum, default_value = "keep")]
    credits: CreditsArg,
}

impl ImportArgs {
    fn options(&self) -> Result<CsvOptions, CliError> {
        Ok(CsvOptions {
            encoding: self.encoding.map(|e| match e {
                EncodingArg::Utf8 => Encoding::Utf8,
                EncodingArg::Utf16le => Encoding::Utf16Le,
                EncodingArg::Utf16be => Encoding::Utf16Be,
                EncodingArg::Windows1252 => Encoding::Windows1252,
            }),
            delimiter: self.delimiter,
            has_header: flag(self.header, self.no_header),
            mapping: self.columns.as_deref().map(parse_columns).transpose()?,
            decimal_comma: flag(self.decimal_comma, self.decimal_point),
            date_order: self.date_order.map(|d| match d {
                DateOrderArg::Dmy => DateOrder::DayFirst,
                DateOrderArg::Mdy => DateOrder::MonthFirst,
                DateOrderArg::Ymd => DateOrder::YearFirst,
            }),
            negate_amounts: flag(self.negate, self.no_negate),
            currency: self.currency.clone(),
            credits: Some(match self.credits {
                CreditsArg::Keep => CreditHandling::Keep,
                CreditsArg::Skip => CreditHandling::Skip,
            }),
        })
    }
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
            from: self.from.as_deref().map(typed_date).transpose()?,
            to: self.to.as_deref().map(typed_date).transpose()?,
            category: self.category.clone(),
            merchant: self.merchant.clone(),
        })
    }
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

fn purchase_line(id: &str, p: &Purchase) -> String {
    format!("{}  {:<32} {:>12} {}  {:<14} {id}", p.date, p.merchant, shown_amount(p.amount), p.currency, p.category)
}

pub fn run(command: PurchaseCommand, vault: &mut Vault) -> Result<(), CliError> {
    match command {
        PurchaseCommand::Add { date, merchant, amount, currency, category, refund } => {
            let entry = PurchaseEntry { date, merchant, amount, currency, category };
            if refund {
                let id = vault.add_refund(&entry)?;
                say!("Added a refund from {} ({id}): kept apart from purchases.", entry.merchant.trim())
            } else {
                let id = vault.add_purchase(entry.read()?)?;
                say!("Added purchase {id}.")
            }
        }
        PurchaseCommand::Import(import) => import_csv(vault, &import),
        PurchaseCommand::List { filter, page, per_page, all, json } => list(vault, &filter, page, per_page, all, json),
        PurchaseCommand::Totals { filter, json } => totals(vault, &filter, json),
        PurchaseCommand::Credits { json } => credits(vault, json),
        PurchaseCommand::Remove { id } => {
            vault.remove_purchase(&id)?;
            say!("Deleted {id}.")
        }
    }
}

/// Shows what was detected, what was skipped and the rows that cannot be read, then imports
/// (or, for a dry run, shows the first rows). Fails when the file leaves a question open, and
/// when no row at all could be read.
fn import_csv(vault: &mut Vault, import: &ImportArgs) -> Result<(), CliError> {
    let options = import.options()?;
    let file = &import.file;
    let bytes = files::read(file)?;
    let in_file = |e: tessera_vault::VaultError| CliError::File { path: file.clone(), detail: e.to_string() };
    let preview = vault.preview_csv(&bytes, &options).map_err(in_file)?;
    print_detected(file, &preview)?;
    if let Some(question) = preview.questions.first() {
        return Err(CliError::File { path: file.clone(), detail: ask(question) });
    }
    if import.dry_run {
        for row in preview.rows.iter().take(10) {
            say!("{}", purchase_line(if row.duplicate { "(already in the vault)" } else { "" }, &row.purchase))?;
        }
        print_credits_preview(&preview)?;
    }
    print_errors(file, preview.error_count, &preview.errors, &preview.error_summary);
    let credits_word = match preview.credit_handling {
        CreditHandling::Keep => "to keep apart",
        CreditHandling::Skip => "left out (--credits skip)",
    };
    if import.dry_run {
        say!(
            "Dry run: {} new purchase(s), {} already in the vault; {} sum(s) of money received {credits_word} ({} refund(s)); {} unreadable row(s). Nothing was written.",
            preview.new_count,
            preview.duplicate_count,
            preview.new_credit_count,
            preview.refund_count,
            preview.error_count
        )?;
    } else {
        let report = vault.import_csv(&bytes, &options).map_err(in_file)?;
        say!(
            "Imported {} purchase(s); {} already in the vault; {} sum(s) of money received {} ({} refund(s)); {} unreadable row(s) skipped.",
            report.imported,
            report.duplicates,
            report.credits_kept + report.credits_skipped,
            if report.credits_skipped > 0 { "left out" } else { "kept apart" },
            report.refunds,
            report.error_count
        )?;
    }
    if preview.rows.is_empty() && preview.credits.is_empty() && preview.error_count > 0 {
        return Err(CliError::File {
            path: file.clone(),
            detail: "no row could be read, nothing was imported: check the rows above, or choose the columns, \
                     decimal separator and date order yourself (see --help)"
                .into(),
        });
    }
    Ok(())
}

/// The question a file leaves open, with the options that answer it.
fn ask(question: &CsvQuestion) -> String {
    match question {
        CsvQuestion::DateOrder { examples } => format!(
            "every date (such as {}) can be read day first or month first: say which with --date-order dmy or --date-order mdy",
            examples.join(", ")
        ),
        CsvQuestion::DecimalSeparator { examples } => format!(
            "the amounts (such as {}) can be read with a decimal comma or a decimal point: say which with --decimal-comma or --decimal-point",
            examples.join(", ")
        ),
        CsvQuestion::SpendingSign { examples } => format!(
            "as many amounts are negative as positive (such as {}): say whether spending is written as negative amounts with --negate or --no-negate",
            examples.join(", ")
        ),
    }
}

/// The format, the column mapping and the skipped lines the import found (or was given).
fn print_detected(file: &Path, preview: &CsvPreview) -> Result<(), CliError> {
    let column = |c: Option<usize>| c.map_or("-".to_owned(), |c| (c + 1).to_string());
    let m = &preview.mapping;
    let separator = match preview.delimiter {
        '\t' => "tab".to_owned(),
        other => format!("\"{other}\""),
    };
    say!(
        "{}: {}, separator {separator}, {}, decimal {}, dates {}{}",
        file.display(),
        preview.encoding.describe(),
        preview.header_line.map_or("no header".to_owned(), |line| format!("header on line {line}")),
        if preview.decimal_comma { "comma" } else { "point" },
        preview.date_order.map_or("?", DateOrder::describe),
        if preview.negate_amounts { ", spending written as negative amounts" } else { "" }
    )?;
    say!(
        "columns: date={} merchant={} amount={} debit={} credit={} category={} currency={}",
        m.date + 1,
        m.merchant + 1,
        column(m.amount),
        column(m.debit),
        column(m.credit),
        column(m.category),
        column(m.currency)
    )?;
    for skipped in &preview.skipped {
        let lines = if skipped.first_line == skipped.last_line {
            format!("line {}", skipped.first_line)
        } else {
            format!("lines {}-{}", skipped.first_line, skipped.last_line)
        };
        say!("skipped {lines}: {}", skipped.reason.describe())?;
    }
    Ok(())
}

fn print_credits_preview(preview: &CsvPreview) -> Result<(), CliError> {
    if preview.credits.is_empty() {
        return Ok(());
    }
    say!(
        "Money received, {} (never counted in totals, never shared):",
        match preview.credit_handling {
            CreditHandling::Keep => "kept apart",
            CreditHandling::Skip => "left out",
        }
    )?;
    for row in preview.credits.iter().take(10) {
        let c = &row.credit;
        let note = match (&c.refund_of, row.duplicate) {
            (_, true) => "(already in the vault)".to_owned(),
            (Some(refund), false) => format!("refund from {}", refund.merchant),
            (None, false) => String::new(),
        };
        say!("{}  {:<32} {:>12} {}  {note}", c.date, c.label, shown_amount(c.amount), c.currency)?;
    }
    Ok(())
}

/// The first unreadable rows, then how many there are in all, by reason (on standard error).
fn print_errors(file: &Path, count: usize, listed: &[tessera_vault::csv_import::RowError], summary: &[ProblemCount]) {
    for error in listed.iter().take(LISTED_ERRORS) {
        eprintln!("{}: line {}: {}", file.display(), error.line, error.message);
    }
    if count > LISTED_ERRORS.min(listed.len()) {
        let reasons: Vec<String> = summary
            .iter()
            .map(|s| format!("{} {} (first on line {})", s.count, describe_problem(s.problem), s.first_line))
            .collect();
        eprintln!(
            "{}: {} more unreadable row(s) not listed; {count} in all: {}",
            file.display(),
            count - LISTED_ERRORS.min(listed.len()),
            reasons.join(", ")
        );
    }
}

fn describe_problem(code: &str) -> &'static str {
    match code {
        "unreadable" => "unreadable",
        "column_count" => "with too many columns",
        "missing" => "with a field missing",
        "not_a_date" => "without a date",
        "date_order" => "with a date in another order",
        "not_an_amount" => "without an amount",
        "decimal_separator" => "with the other decimal separator",
        "debit_and_credit" => "with both a debit and a credit",
        _ => "with a value that cannot be stored",
    }
}

/// A purchase as scripts read it (`list --json`): stable names, the amount as an exact decimal string.
#[derive(Serialize)]
struct PurchaseJson<'a> {
    id: &'a str,
    date: String,
    merchant: &'a str,
    amount: String,
    currency: &'a str,
    category: &'a str,
}

/// A total as scripts read it (`totals --json`).
#[derive(Serialize)]
struct TotalJson<'a> {
    category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    month: Option<&'a str>,
    currency: &'a str,
    total: String,
    refunded: String,
    count: u32,
}

impl<'a> From<&'a Total> for TotalJson<'a> {
    fn from(t: &'a Total) -> TotalJson<'a> {
        TotalJson {
            category: &t.category,
            month: t.month.as_deref(),
            currency: &t.currency,
            total: shown_amount(t.total),
            refunded: shown_amount(t.refunded),
            count: t.count,
        }
    }
}

/// Totals as scripts read them (`totals --json`).
#[derive(Serialize)]
struct TotalsJson<'a> {
    by_category: Vec<TotalJson<'a>>,
    by_month: Vec<TotalJson<'a>>,
}

/// Money received as scripts read it (`credits --json`).
#[derive(Serialize)]
struct CreditJson<'a> {
    id: &'a str,
    date: String,
    label: &'a str,
    amount: String,
    currency: &'a str,
    refund_of: Option<&'a tessera_vault::credits::RefundOf>,
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| unreachable!("listings serialise: {e}"))
}

fn list(
    vault: &Vault,
    filter: &FilterArgs,
    page: usize,
    per_page: usize,
    all: bool,
    as_json: bool,
) -> Result<(), CliError> {
    let filter = filter.to_filter()?;
    let (offset, per_page, page_number) = if all {
        (0, usize::MAX, 1)
    } else {
        ((page.max(1) - 1) * per_page.clamp(1, 1000), per_page.clamp(1, 1000), page.max(1))
    };
    let result = vault.purchases(&filter, offset, per_page)?;
    let mut out = Lines::new();
    for row in &result.rows {
        if as_json {
            let p = &row.purchase;
            out.line(format_args!(
                "{}",
                json(&PurchaseJson {
                    id: &row.id,
                    date: p.date.to_string(),
                    merchant: &p.merchant,
                    amount: shown_amount(p.amount),
                    currency: &p.currency,
                    category: &p.category,
                })
            ))?;
        } else {
            out.line(format_args!("{}", purchase_line(&row.id, &row.purchase)))?;
        }
    }
    if !as_json {
        if all {
            out.line(format_args!("{} matching purchase(s).", result.total_matching))?;
        } else {
            out.line(format_args!(
                "{} matching purchase(s); page {page_number} of {}.",
                result.total_matching,
                result.total_matching.div_ceil(per_page).max(1)
            ))?;
        }
    }
    out.finish()
}

fn totals(vault: &Vault, filter: &FilterArgs, as_json: bool) -> Result<(), CliError> {
    let totals = vault.purchase_totals(&filter.to_filter()?)?;
    if as_json {
        let by_category: Vec<TotalJson<'_>> = totals.by_category.iter().map(TotalJson::from).collect();
        let by_month: Vec<TotalJson<'_>> = totals.by_month.iter().map(TotalJson::from).collect();
        return say!("{}", json(&TotalsJson { by_category, by_month }));
    }
    let refunded = |t: &Total| {
        if t.refunded.is_zero() {
            String::new()
        } else {
            format!(", {} refunded", shown_amount(t.refunded))
        }
    };
    let mut out = Lines::new();
    out.line(format_args!("By category:"))?;
    for t in &totals.by_category {
        out.line(format_args!(
            "  {:<16} {:>12} {}  ({} purchase(s){})",
            t.category,
            shown_amount(t.total),
            t.currency,
            t.count,
            refunded(t)
        ))?;
    }
    out.line(format_args!("By month:"))?;
    for t in &totals.by_month {
        out.line(format_args!(
            "  {} {:<16} {:>12} {}",
            t.month.as_deref().unwrap_or_default(),
            t.category,
            shown_amount(t.total),
            t.currency
        ))?;
    }
    out.finish()
}

fn credits(vault: &Vault, as_json: bool) -> Result<(), CliError> {
    let credits: Vec<ListedCredit> = vault.credits()?;
    let mut out = Lines::new();
    for row in &credits {
        let c = &row.credit;
        if as_json {
            out.line(format_args!(
                "{}",
                json(&CreditJson {
                    id: &row.id,
                    date: c.date.to_string(),
                    label: &c.label,
                    amount: shown_amount(c.amount),
                    currency: &c.currency,
                    refund_of: c.refund_of.as_ref(),
                })
            ))?;
        } else {
            let note = c.refund_of.as_ref().map(|r| format!("refund from {} ({})", r.merchant, r.category));
            out.line(format_args!(
                "{}  {:<32} {:>12} {}  {:<30} {}",
                c.date,
                c.label,
                shown_amount(c.amount),
                c.currency,
                note.unwrap_or_default(),
                row.id
            ))?;
        }
    }
    if !as_json {
        out.line(format_args!(
            "{} sum(s) of money received, kept apart: never counted in totals (except refunds from a merchant), never shared.",
            credits.len()
        ))?;
    }
    out.finish()
}
