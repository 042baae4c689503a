//! The purchases screen: list, search, totals, manual entry, editing and
//! deleting, and CSV import with its preview.
//!
//! The types here are the page's view of `tessera_vault::purchases` and
//! `tessera_vault::csv_import`; conversions destructure the vault's types
//! whole, so a field added there does not compile until the page gets it too.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tauri::State;
use tessera_vault::csv_import::{self, DateOrder, Encoding};
use tessera_vault::purchases::{self, Purchase, PurchaseEntry};

use super::error::{file_name, CmdResult, CommandError};
use super::files::Pick;
use super::{poisoned, with_vault};
use crate::state::AppState;

/// Filters over the purchase list; all optional. Dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
#[serde(default)]
pub struct PurchaseFilter {
    pub search: Option<String>,
    #[specta(type = Option<String>)]
    pub from: Option<NaiveDate>,
    #[specta(type = Option<String>)]
    pub to: Option<NaiveDate>,
    pub category: Option<String>,
    pub merchant: Option<String>,
}

impl From<PurchaseFilter> for purchases::PurchaseFilter {
    fn from(f: PurchaseFilter) -> purchases::PurchaseFilter {
        let PurchaseFilter { search, from, to, category, merchant } = f;
        purchases::PurchaseFilter { search, from, to, category, merchant }
    }
}

/// One purchase as shown: `date` is `YYYY-MM-DD`, `amount` an exact decimal (`-12.50` for a refund).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PurchaseView {
    pub date: String,
    pub merchant: String,
    pub amount: String,
    pub currency: String,
    pub category: String,
}

impl From<&Purchase> for PurchaseView {
    fn from(p: &Purchase) -> PurchaseView {
        let Purchase { date, merchant, amount, currency, category } = p;
        PurchaseView {
            date: date.format("%Y-%m-%d").to_string(),
            merchant: merchant.clone(),
            amount: amount.to_string(),
            currency: currency.clone(),
            category: category.clone(),
        }
    }
}

/// A listed purchase, with the id that edits or deletes it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ListedPurchase {
    pub id: String,
    #[serde(flatten)]
    pub purchase: PurchaseView,
}

/// A page of matching purchases, newest first.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PurchasePage {
    pub total_matching: u32,
    pub rows: Vec<ListedPurchase>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[tauri::command]
#[specta::specta]
pub fn purchases_query(
    state: State<'_, AppState>,
    filter: PurchaseFilter,
    offset: u32,
    limit: u32,
) -> CmdResult<PurchasePage> {
    let page = with_vault(&state, |v| v.purchases(&filter.into(), offset as usize, limit.clamp(1, 500) as usize))?;
    Ok(PurchasePage {
        total_matching: count(page.total_matching),
        rows: page.rows.iter().map(|r| ListedPurchase { id: r.id.clone(), purchase: (&r.purchase).into() }).collect(),
    })
}

/// A total for one category (and month, `YYYY-MM`, or none for all months), in one currency.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Total {
    pub category: String,
    pub month: Option<String>,
    pub currency: String,
    /// An exact decimal.
    pub total: String,
    pub count: u32,
}

/// Totals by category, and by category and month.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Totals {
    pub by_category: Vec<Total>,
    pub by_month: Vec<Total>,
}

impl From<&purchases::Total> for Total {
    fn from(t: &purchases::Total) -> Total {
        let purchases::Total { category, month, currency, total, count } = t;
        Total {
            category: category.clone(),
            month: month.clone(),
            currency: currency.clone(),
            total: total.to_string(),
            count: *count,
        }
    }
}

#[tauri::command]
#[specta::specta]
pub fn purchases_totals(state: State<'_, AppState>, filter: PurchaseFilter) -> CmdResult<Totals> {
    let totals = with_vault(&state, |v| v.purchase_totals(&filter.into()))?;
    Ok(Totals {
        by_category: totals.by_category.iter().map(Total::from).collect(),
        by_month: totals.by_month.iter().map(Total::from).collect(),
    })
}

/// A purchase as typed in the form: the date as `YYYY-MM-DD` or `14/03/2026`,
/// the amount as `12.50` or `12,50`; the category is suggested when empty.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct PurchaseInput {
    pub date: String,
    pub merchant: String,
    pub amount: String,
    pub currency: String,
    pub category: Option<String>,
}

impl PurchaseInput {
    fn read(self) -> Result<Purchase, tessera_vault::VaultError> {
        let PurchaseInput { date, merchant, amount, currency, category } = self;
        PurchaseEntry { date, merchant, amount, currency, category }.read()
    }
}

/// Adds a purchase typed by the person; returns its id.
#[tauri::command]
#[specta::specta]
pub fn purchase_add(state: State<'_, AppState>, purchase: PurchaseInput) -> CmdResult<String> {
    with_vault(&state, |v| v.add_purchase(purchase.read()?))
}

/// Replaces the purchase `id` by what the person typed.
#[tauri::command]
#[specta::specta]
pub fn purchase_edit(state: State<'_, AppState>, id: String, purchase: PurchaseInput) -> CmdResult<()> {
    with_vault(&state, |v| v.edit_purchase(&id, purchase.read()?))
}

#[tauri::command]
#[specta::specta]
pub fn purchase_remove(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    with_vault(&state, |v| v.remove_purchase(&id))
}

/// Asks for a CSV file; returns its name, or nothing when cancelled.
#[tauri::command(async)]
#[specta::specta]
pub fn csv_choose(state: State<'_, AppState>) -> CmdResult<Option<String>> {
    state.touch();
    let chosen = state.choose_file(Pick::OpenCsv, "");
    let name = chosen.as_deref().map(file_name);
    *state.csv_path.lock().map_err(|_| poisoned())? = chosen;
    Ok(name)
}

/// The file's text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CsvEncoding {
    Utf8,
    Latin1,
}

/// Which part of a date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CsvDateOrder {
    DayFirst,
    MonthFirst,
    YearFirst,
}

/// Which column holds what (0-based indexes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ColumnMapping {
    pub date: u32,
    pub merchant: u32,
    pub amount: Option<u32>,
    pub debit: Option<u32>,
    pub credit: Option<u32>,
    pub category: Option<u32>,
    pub currency: Option<u32>,
}

/// Choices that override detection; none means "detect".
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
#[serde(default)]
pub struct CsvOptions {
    pub encoding: Option<CsvEncoding>,
    pub delimiter: Option<char>,
    pub has_header: Option<bool>,
    pub mapping: Option<ColumnMapping>,
    pub decimal_comma: Option<bool>,
    pub date_order: Option<CsvDateOrder>,
    pub negate_amounts: Option<bool>,
    pub currency: Option<String>,
}

impl From<Encoding> for CsvEncoding {
    fn from(e: Encoding) -> CsvEncoding {
        match e {
            Encoding::Utf8 => CsvEncoding::Utf8,
            Encoding::Latin1 => CsvEncoding::Latin1,
        }
    }
}

impl From<CsvEncoding> for Encoding {
    fn from(e: CsvEncoding) -> Encoding {
        match e {
            CsvEncoding::Utf8 => Encoding::Utf8,
            CsvEncoding::Latin1 => Encoding::Latin1,
        }
    }
}

impl From<DateOrder> for CsvDateOrder {
    fn from(o: DateOrder) -> CsvDateOrder {
        match o {
            DateOrder::DayFirst => CsvDateOrder::DayFirst,
            DateOrder::MonthFirst => CsvDateOrder::MonthFirst,
            DateOrder::YearFirst => CsvDateOrder::YearFirst,
        }
    }
}

impl From<CsvDateOrder> for DateOrder {
    fn from(o: CsvDateOrder) -> DateOrder {
        match o {
            CsvDateOrder::DayFirst => DateOrder::DayFirst,
            CsvDateOrder::MonthFirst => DateOrder::MonthFirst,
            CsvDateOrder::YearFirst => DateOrder::YearFirst,
        }
    }
}

fn index(i: usize) -> u32 {
    count(i)
}

impl From<&csv_import::ColumnMapping> for ColumnMapping {
    fn from(m: &csv_import::ColumnMapping) -> ColumnMapping {
        let csv_import::ColumnMapping { date, merchant, amount, debit, credit, category, currency } = *m;
        ColumnMapping {
            date: index(date),
            merchant: index(merchant),
            amount: amount.map(index),
            debit: debit.map(index),
            credit: credit.map(index),
            category: category.map(index),
            currency: currency.map(index),
        }
    }
}

impl From<ColumnMapping> for csv_import::ColumnMapping {
    fn from(m: ColumnMapping) -> csv_import::ColumnMapping {
        let ColumnMapping { date, merchant, amount, debit, credit, category, currency } = m;
        let at = |i: u32| i as usize;
        csv_import::ColumnMapping {
            date: at(date),
            merchant: at(merchant),
            amount: amount.map(at),
            debit: debit.map(at),
            credit: credit.map(at),
            category: category.map(at),
            currency: currency.map(at),
        }
    }
}

impl From<CsvOptions> for csv_import::CsvOptions {
    fn from(o: CsvOptions) -> csv_import::CsvOptions {
        let CsvOptions {
            encoding,
            delimiter,
            has_header,
            mapping,
            decimal_comma,
            date_order,
            negate_amounts,
            currency,
        } = o;
        csv_import::CsvOptions {
            encoding: encoding.map(Into::into),
            delimiter,
            has_header,
            mapping: mapping.map(Into::into),
            decimal_comma,
            date_order: date_order.map(Into::into),
            negate_amounts,
            currency,
        }
    }
}

/// A row of the file that cannot be read. `detail` is in English (the CSV reader's words), shown as a detail.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvRowError {
    pub line: u32,
    pub detail: String,
}

/// A row read from the file.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvRow {
    pub line: u32,
    pub purchase: PurchaseView,
    /// Already in the vault.
    pub duplicate: bool,
}

/// What the import screen shows before importing: what was detected, the first rows and the unreadable ones.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvPreview {
    pub file_name: String,
    pub encoding: CsvEncoding,
    pub delimiter: char,
    pub has_header: bool,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    pub decimal_comma: bool,
    pub date_order: CsvDateOrder,
    pub negate_amounts: bool,
    pub currency: String,
    /// The first 20 rows.
    pub rows: Vec<CsvRow>,
    /// The first 200 unreadable rows.
    pub errors: Vec<CsvRowError>,
    /// How many rows cannot be read in all.
    pub error_count: u32,
    pub new_count: u32,
    pub duplicate_count: u32,
}

fn row_errors(errors: &[csv_import::RowError], at_most: usize) -> Vec<CsvRowError> {
    errors
        .iter()
        .take(at_most)
        .map(|e| CsvRowError { line: count(e.line as usize), detail: e.message.clone() })
        .collect()
}

impl CsvPreview {
    fn new(file_name: String, preview: &csv_import::CsvPreview) -> CsvPreview {
        let csv_import::CsvPreview {
            encoding,
            delimiter,
            has_header,
            headers,
            mapping,
            decimal_comma,
            date_order,
            negate_amounts,
            currency,
            rows,
            errors,
            new_count,
            duplicate_count,
        } = preview;
        CsvPreview {
            file_name,
            encoding: (*encoding).into(),
            delimiter: *delimiter,
            has_header: *has_header,
            headers: headers.clone(),
            mapping: mapping.into(),
            decimal_comma: *decimal_comma,
            date_order: (*date_order).into(),
            negate_amounts: *negate_amounts,
            currency: currency.clone(),
            rows: rows
                .iter()
                .take(20)
                .map(|r| CsvRow {
                    line: count(r.line as usize),
                    purchase: (&r.purchase).into(),
                    duplicate: r.duplicate,
                })
                .collect(),
            errors: row_errors(errors, 200),
            error_count: count(errors.len()),
            new_count: count(*new_count),
            duplicate_count: count(*duplicate_count),
        }
    }
}

fn csv_bytes(state: &AppState) -> CmdResult<(PathBuf, Vec<u8>)> {
    let path = state.csv_path.lock().map_err(|_| poisoned())?.clone().ok_or(CommandError::NoCsvChosen)?;
    let bytes = std::fs::read(&path).map_err(|_| CommandError::File { file: file_name(&path) })?;
    Ok((path, bytes))
}

#[tauri::command(async)]
#[specta::specta]
pub fn csv_preview(state: State<'_, AppState>, options: CsvOptions) -> CmdResult<CsvPreview> {
    let (path, bytes) = csv_bytes(&state)?;
    let preview = with_vault(&state, |v| v.preview_csv(&bytes, &options.into()))?;
    Ok(CsvPreview::new(file_name(&path), &preview))
}

/// What an import did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvImportReport {
    pub imported: u32,
    pub duplicates: u32,
    pub errors: Vec<CsvRowError>,
}

#[tauri::command(async)]
#[specta::specta]
pub fn csv_import(state: State<'_, AppState>, options: CsvOptions) -> CmdResult<CsvImportReport> {
    let (_, bytes) = csv_bytes(&state)?;
    let csv_import::CsvImportReport { imported, duplicates, errors } =
        with_vault(&state, |v| v.import_csv(&bytes, &options.into()))?;
    Ok(CsvImportReport { imported: count(imported), duplicates: count(duplicates), errors: row_errors(&errors, 200) })
}
