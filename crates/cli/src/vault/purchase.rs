//! `tessera vault purchase …`: purchase history — add, import a CSV export,
//! list, totals, remove. Amounts and dates are read by the vault
//! (`tessera_vault::parse`), the same way as in the app.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use tessera_vault::csv_import::{ColumnMapping, CsvOptions, CsvPreview, DateOrder, Encoding};
use tessera_vault::parse::typed_date;
use tessera_vault::purchases::{Purchase, PurchaseEntry, PurchaseFilter};
use tessera_vault::Vault;

use super::VaultArgs;
use crate::{files, CliError};

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
    Import(ImportArgs),
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

/// A CSV file to import, and the choices that override what is detected.
#[derive(Debug, Args)]
pub struct ImportArgs {
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
}

impl ImportArgs {
    fn options(&self) -> Result<CsvOptions, CliError> {
        Ok(CsvOptions {
            encoding: self.encoding.map(|e| match e {
                EncodingArg::Utf8 => Encoding::Utf8,
                EncodingArg::Latin1 => Encoding::Latin1,
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

fn print_purchase(id: &str, p: &Purchase) {
    println!("{}  {:<32} {:>12} {}  {:<14} {id}", p.date, p.merchant, p.amount.to_string(), p.currency, p.category);
}

pub fn run(command: PurchaseCommand, args: &VaultArgs) -> Result<(), CliError> {
    let mut vault = args.unlock()?;
    match command {
        PurchaseCommand::Add { date, merchant, amount, currency, category } => {
            let id = vault.add_purchase(PurchaseEntry { date, merchant, amount, currency, category }.read()?)?;
            println!("Added purchase {id}.");
            Ok(())
        }
        PurchaseCommand::Import(import) => import_csv(&mut vault, &import),
        PurchaseCommand::List { filter, page, per_page } => list(&vault, &filter, page, per_page),
        PurchaseCommand::Totals { filter } => totals(&vault, &filter),
        PurchaseCommand::Remove { id } => {
            vault.remove_purchase(&id)?;
            println!("Deleted purchase {id}.");
            Ok(())
        }
    }
}

/// Shows what was detected and the rows that cannot be read, then imports (or, for a dry run, shows the first rows).
fn import_csv(vault: &mut Vault, import: &ImportArgs) -> Result<(), CliError> {
    let options = import.options()?;
    let file = &import.file;
    let bytes = files::read(file)?;
    let in_file = |e: tessera_vault::VaultError| CliError::File { path: file.clone(), detail: e.to_string() };
    let preview = vault.preview_csv(&bytes, &options).map_err(in_file)?;
    print_detected(file, &preview);
    for row in preview.rows.iter().take(if import.dry_run { 10 } else { 0 }) {
        print_purchase(if row.duplicate { "(already in the vault)" } else { "" }, &row.purchase);
    }
    for error in &preview.errors {
        eprintln!("{}: line {}: {}", file.display(), error.line, error.message);
    }
    if import.dry_run {
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
    Ok(())
}

/// The format and the column mapping the import found (or was given).
fn print_detected(file: &Path, preview: &CsvPreview) {
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
}

fn list(vault: &Vault, filter: &FilterArgs, page: usize, per_page: usize) -> Result<(), CliError> {
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
    Ok(())
}

fn totals(vault: &Vault, filter: &FilterArgs) -> Result<(), CliError> {
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
    Ok(())
}
