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
use tessera_vault::csv_import::{self, CreditHandling, DateOrder, Encoding, RowProblem, SkipReason};
use tessera_vault::purchases::{self, shown_amount, Purchase, PurchaseEntry};

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

/// One purchase as shown: `date` is `YYYY-MM-DD`, `amount` an exact decimal, never negative (money
/// received is kept apart).
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
            amount: shown_amount(*amount),
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
    /// Money spent less the refunds identified as coming from merchants of this category: an exact decimal.
    pub total: String,
    /// The refunds subtracted (`0.00` when none).
    pub refunded: String,
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
        let purchases::Total { category, month, currency, total, refunded, count } = t;
        Total {
            category: category.clone(),
            month: month.clone(),
            currency: currency.clone(),
            total: shown_amount(*total),
            refunded: shown_amount(*refunded),
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
    Utf16Le,
    Utf16Be,
    /// Windows-1252 (Latin-1 with the euro sign).
    Windows1252,
}

/// Which part of a date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CsvDateOrder {
    DayFirst,
    MonthFirst,
    YearFirst,
}

/// What to do with money received found in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CsvCredits {
    /// Keep it apart from purchases: never counted, never shared.
    Keep,
    /// Leave it out of the vault.
    Skip,
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

/// Choices that override detection; none means "detect" (or, for what the file cannot tell, "ask").
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
    pub credits: Option<CsvCredits>,
}

impl From<Encoding> for CsvEncoding {
    fn from(e: Encoding) -> CsvEncoding {
        match e {
            Encoding::Utf8 => CsvEncoding::Utf8,
            Encoding::Utf16Le => CsvEncoding::Utf16Le,
            Encoding::Utf16Be => CsvEncoding::Utf16Be,
            Encoding::Windows1252 => CsvEncoding::Windows1252,
        }
    }
}

impl From<CsvEncoding> for Encoding {
    fn from(e: CsvEncoding) -> Encoding {
        match e {
            CsvEncoding::Utf8 => Encoding::Utf8,
            CsvEncoding::Utf16Le => Encoding::Utf16Le,
            CsvEncoding::Utf16Be => Encoding::Utf16Be,
            CsvEncoding::Windows1252 => Encoding::Windows1252,
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

impl From<CreditHandling> for CsvCredits {
    fn from(c: CreditHandling) -> CsvCredits {
        match c {
            CreditHandling::Keep => CsvCredits::Keep,
            CreditHandling::Skip => CsvCredits::Skip,
        }
    }
}

impl From<CsvCredits> for CreditHandling {
    fn from(c: CsvCredits) -> CreditHandling {
        match c {
            CsvCredits::Keep => CreditHandling::Keep,
            CsvCredits::Skip => CreditHandling::Skip,
        }
    }
}

fn index(i: usize) -> u32 {
    count(i)
}

fn line(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
            credits,
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
            credits: credits.map(Into::into),
        }
    }
}

/// Why a row of the file cannot be read; the page words it (`csv.problem.<problem>`).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum CsvRowProblem {
    Unreadable,
    ColumnCount {
        found: u32,
        expected: u32,
    },
    /// `column` is 1-based, as people count.
    Missing {
        field: String,
        column: u32,
    },
    NotADate {
        text: String,
    },
    DateOrder {
        text: String,
    },
    NotAnAmount {
        text: String,
    },
    DecimalSeparator {
        text: String,
    },
    DebitAndCredit {
        debit: String,
        credit: String,
    },
    /// A value that cannot be stored; `invalid` names which (merchant, category, currency, amount, zero_amount, date).
    Invalid {
        invalid: String,
    },
}

impl From<&RowProblem> for CsvRowProblem {
    fn from(p: &RowProblem) -> CsvRowProblem {
        match p {
            RowProblem::Unreadable { .. } => CsvRowProblem::Unreadable,
            RowProblem::ColumnCount { found, expected } => {
                CsvRowProblem::ColumnCount { found: count(*found), expected: count(*expected) }
            }
            RowProblem::Missing { field, column } => {
                CsvRowProblem::Missing { field: (*field).to_owned(), column: index(*column).saturating_add(1) }
            }
            RowProblem::NotADate { text } => CsvRowProblem::NotADate { text: text.clone() },
            RowProblem::DateOrder { text, .. } => CsvRowProblem::DateOrder { text: text.clone() },
            RowProblem::NotAnAmount { text } => CsvRowProblem::NotAnAmount { text: text.clone() },
            RowProblem::DecimalSeparator { text, .. } => CsvRowProblem::DecimalSeparator { text: text.clone() },
            RowProblem::DebitAndCredit { debit, credit } => {
                CsvRowProblem::DebitAndCredit { debit: debit.clone(), credit: credit.clone() }
            }
            RowProblem::Invalid { invalid } => CsvRowProblem::Invalid { invalid: invalid.code().to_owned() },
        }
    }
}

/// A row of the file that cannot be read.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvRowError {
    pub line: u32,
    #[serde(flatten)]
    pub problem: CsvRowProblem,
}

/// Why lines were left out without being errors.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CsvSkipReason {
    BeforeHeader,
    BeforeData,
    Summary,
    NotCompleted,
    ZeroAmount,
}

/// Consecutive lines left out for one reason.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvSkippedLines {
    pub first_line: u32,
    pub last_line: u32,
    pub reason: CsvSkipReason,
}

fn skipped_lines(skipped: &[csv_import::SkippedLines]) -> Vec<CsvSkippedLines> {
    skipped
        .iter()
        .map(|s| CsvSkippedLines {
            first_line: line(s.first_line),
            last_line: line(s.last_line),
            reason: match s.reason {
                SkipReason::BeforeHeader => CsvSkipReason::BeforeHeader,
                SkipReason::BeforeData => CsvSkipReason::BeforeData,
                SkipReason::Summary => CsvSkipReason::Summary,
                SkipReason::NotCompleted => CsvSkipReason::NotCompleted,
                SkipReason::ZeroAmount => CsvSkipReason::ZeroAmount,
            },
        })
        .collect()
}

/// What the file cannot tell: the person answers it before anything is imported.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "question", rename_all = "snake_case")]
pub enum CsvQuestion {
    DateOrder { examples: Vec<String> },
    DecimalSeparator { examples: Vec<String> },
    SpendingSign { examples: Vec<String> },
}

impl From<&csv_import::CsvQuestion> for CsvQuestion {
    fn from(q: &csv_import::CsvQuestion) -> CsvQuestion {
        match q {
            csv_import::CsvQuestion::DateOrder { examples } => CsvQuestion::DateOrder { examples: examples.clone() },
            csv_import::CsvQuestion::DecimalSeparator { examples } => {
                CsvQuestion::DecimalSeparator { examples: examples.clone() }
            }
            csv_import::CsvQuestion::SpendingSign { examples } => {
                CsvQuestion::SpendingSign { examples: examples.clone() }
            }
        }
    }
}

/// A row read from the file.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvRow {
    pub line: u32,
    pub purchase: PurchaseView,
    /// Already in the vault.
    pub duplicate: bool,
}

/// Money received read from the file (kept apart, never a purchase).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvCredit {
    pub line: u32,
    pub date: String,
    pub label: String,
    /// An exact decimal, positive.
    pub amount: String,
    pub currency: String,
    /// The merchant, when this is a refund from a merchant the person bought from.
    pub refund_from: Option<String>,
    pub duplicate: bool,
}

/// What the import screen shows before importing: what was detected, what must be answered,
/// the first rows, money received, and the unreadable rows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvPreview {
    pub file_name: String,
    pub encoding: CsvEncoding,
    pub delimiter: char,
    pub has_header: bool,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    pub decimal_comma: bool,
    /// None while it is a question.
    pub date_order: Option<CsvDateOrder>,
    pub negate_amounts: bool,
    pub currency: String,
    pub credit_handling: CsvCredits,
    /// What must be answered before importing; while there is one, no row is read.
    pub questions: Vec<CsvQuestion>,
    /// Lines left out without being errors (account details, balances…).
    pub skipped: Vec<CsvSkippedLines>,
    /// The first 20 rows.
    pub rows: Vec<CsvRow>,
    /// The first 20 sums of money received.
    pub credits: Vec<CsvCredit>,
    /// The first unreadable rows.
    pub errors: Vec<CsvRowError>,
    /// How many rows cannot be read in all.
    pub error_count: u32,
    pub new_count: u32,
    pub duplicate_count: u32,
    pub new_credit_count: u32,
    pub duplicate_credit_count: u32,
    /// New credits identified as refunds from a merchant.
    pub refund_count: u32,
}

fn row_errors(errors: &[csv_import::RowError]) -> Vec<CsvRowError> {
    errors.iter().map(|e| CsvRowError { line: line(e.line), problem: (&e.problem).into() }).collect()
}

impl CsvPreview {
    fn new(file_name: String, preview: &csv_import::CsvPreview) -> CsvPreview {
        let csv_import::CsvPreview {
            encoding,
            delimiter,
            has_header,
            header_line: _,
            headers,
            mapping,
            decimal_comma,
            date_order,
            negate_amounts,
            currency,
            credit_handling,
            questions,
            skipped,
            rows,
            credits,
            errors,
            error_count,
            error_summary: _,
            new_count,
            duplicate_count,
            new_credit_count,
            duplicate_credit_count,
            refund_count,
        } = preview;
        CsvPreview {
            file_name,
            encoding: (*encoding).into(),
            delimiter: *delimiter,
            has_header: *has_header,
            headers: headers.clone(),
            mapping: mapping.into(),
            decimal_comma: *decimal_comma,
            date_order: date_order.map(Into::into),
            negate_amounts: *negate_amounts,
            currency: currency.clone(),
            credit_handling: (*credit_handling).into(),
            questions: questions.iter().map(Into::into).collect(),
            skipped: skipped_lines(skipped),
            rows: rows
                .iter()
                .take(20)
                .map(|r| CsvRow { line: line(r.line), purchase: (&r.purchase).into(), duplicate: r.duplicate })
                .collect(),
            credits: credits
                .iter()
                .take(20)
                .map(|c| CsvCredit {
                    line: line(c.line),
                    date: c.credit.date.format("%Y-%m-%d").to_string(),
                    label: c.credit.label.clone(),
                    amount: shown_amount(c.credit.amount),
                    currency: c.credit.currency.clone(),
                    refund_from: c.credit.refund_of.as_ref().map(|r| r.merchant.clone()),
                    duplicate: c.duplicate,
                })
                .collect(),
            errors: row_errors(errors),
            error_count: count(*error_count),
            new_count: count(*new_count),
            duplicate_count: count(*duplicate_count),
            new_credit_count: count(*new_credit_count),
            duplicate_credit_count: count(*duplicate_credit_count),
            refund_count: count(*refund_count),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CsvImportReport {
    pub imported: u32,
    pub duplicates: u32,
    /// Money received kept apart.
    pub credits_kept: u32,
    /// Money received left out.
    pub credits_skipped: u32,
    /// Of the credits kept, refunds from a merchant.
    pub refunds: u32,
    pub skipped: Vec<CsvSkippedLines>,
    /// The first unreadable rows.
    pub errors: Vec<CsvRowError>,
    pub error_count: u32,
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

#[tauri::command(async)]
#[specta::specta]
pub fn csv_import(state: State<'_, AppState>, options: CsvOptions) -> CmdResult<CsvImportReport> {
    let (_, bytes) = csv_bytes(&state)?;
    let csv_import::CsvImportReport {
        imported,
        duplicates,
        credits_kept,
        credits_skipped,
        refunds,
        skipped,
        errors,
        error_count,
        error_summary: _,
    } = with_vault(&state, |v| v.import_csv(&bytes, &options.into()))?;
    Ok(CsvImportReport {
        imported: count(imported),
        duplicates: count(duplicates),
        credits_kept: count(credits_kept),
        credits_skipped: count(credits_skipped),
        refunds: count(refunds),
        skipped: skipped_lines(&skipped),
        errors: row_errors(&errors),
        error_count: count(error_count),
    })
}
