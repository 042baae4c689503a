//! CSV import of purchases from banks and shops, French and English formats.
//!
//! Bank exports come in many shapes; this module reads them as they are:
//!
//! * **Encoding**: UTF-8 (with or without BOM), UTF-16 (with a BOM, or
//!   recognised by its zero bytes), else Windows-1252 (Latin-1 with the euro
//!   sign). A forced encoding the bytes do not fit is refused, never garbled.
//! * **Separator**: `;`, `,`, tab or `|`, the one that splits most records
//!   into the same number of columns (quotes and line breaks inside quoted
//!   labels respected).
//! * **Header**: found wherever it is — account number, balance, period and
//!   download date lines before it are skipped and reported
//!   ([`SkippedLines`]), as are summary lines (balance, totals) and rows whose
//!   status says they did not go through (declined, reverted, pending).
//!   Columns are recognised by the words of their names in French or English
//!   (date, label, debit/credit, amount, category, currency, status); a value
//!   date, a foreign-currency amount or an original-currency column is never
//!   taken for the date, the amount or its currency. Without a header, the
//!   columns are recognised from their values.
//! * **Amounts**: the decimal convention (comma or point) is decided from all
//!   amounts of the file (see [`crate::parse`]); a row that does not fit it is
//!   refused by line with the reason, never read another way. If the file
//!   cannot tell (every amount is `1,234`-like, or as many of each), it is a
//!   [`CsvQuestion`]. Whether spending is written negative is decided from the
//!   signs, or from separate debit and credit columns.
//! * **Dates**: the day/month order is decided from all dates; when every
//!   date could be either, it is a [`CsvQuestion`], not a guess.
//! * **Money received** (credits) is kept apart from purchases (or left out,
//!   [`CreditHandling`]); refunds are identified by the rule of
//!   [`crate::credits`].
//!
//! A preview reads everything and writes nothing; rows it cannot read are
//! reported with their line numbers and the reason, the first
//! [`MAX_LISTED_ERRORS`] in full and all of them counted by reason.
//! Re-importing a file does not duplicate purchases or credits.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::credits::{has_income_word, Credit, Credits};
use crate::error::{PurchaseProblem, Result, VaultError};
use crate::parse::{amount_readings, date_text, fold, folded_words, DateText};
use crate::purchases::{suggest_category, Purchase, Purchases, RefundFinder};

pub use crate::parse::{parse_amount, parse_date, DateOrder};

/// How many unreadable rows a preview lists in full (all are counted).
pub const MAX_LISTED_ERRORS: usize = 100;

/// How many records at the top of a file are searched for the header.
const HEADER_SEARCH: usize = 60;

/// The file's text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    /// UTF-16, little-endian (Windows' "Unicode").
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// Windows-1252: ISO 8859-1 (Latin-1) with `0x80` as `€` and the other printable characters of 0x80–0x9F.
    #[serde(alias = "latin1")]
    Windows1252,
}

impl Encoding {
    /// The encoding's name for people.
    pub fn describe(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16 (little-endian)",
            Encoding::Utf16Be => "UTF-16 (big-endian)",
            Encoding::Windows1252 => "Windows-1252 (Latin-1)",
        }
    }
}

/// Which column holds what (0-based indexes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub date: usize,
    pub merchant: usize,
    /// One signed amount column…
    pub amount: Option<usize>,
    /// …or separate debit (money spent) and credit (money received) columns.
    pub debit: Option<usize>,
    pub credit: Option<usize>,
    pub category: Option<usize>,
    pub currency: Option<usize>,
}

/// What to do with money received (credits) found in a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditHandling {
    /// Keep them apart from purchases: never counted in totals, never shared (the default).
    #[default]
    Keep,
    /// Leave them out of the vault.
    Skip,
}

/// Choices that override detection; `None` means "detect".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsvOptions {
    pub encoding: Option<Encoding>,
    pub delimiter: Option<char>,
    /// Whether the file has a header row (found wherever it is).
    pub has_header: Option<bool>,
    pub mapping: Option<ColumnMapping>,
    pub decimal_comma: Option<bool>,
    pub date_order: Option<DateOrder>,
    /// Whether spending is written as negative amounts (usual in bank exports).
    pub negate_amounts: Option<bool>,
    /// Currency when the file names none (default `EUR`).
    pub currency: Option<String>,
    /// Keep money received apart (default) or leave it out.
    pub credits: Option<CreditHandling>,
}

/// Why a row could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum RowProblem {
    #[error("unreadable: {detail}")]
    Unreadable { detail: String },
    #[error("{found} columns instead of {expected} (a separator inside a value that is not in quotes?)")]
    ColumnCount { found: usize, expected: usize },
    #[error("no {field} (column {column})")]
    Missing { field: &'static str, column: usize },
    #[error("{text:?} is not a date")]
    NotADate { text: String },
    #[error("{text:?} is not a date in this file's order ({})", .order.describe())]
    DateOrder { text: String, order: DateOrder },
    #[error("{text:?} is not an amount")]
    NotAnAmount { text: String },
    #[error("{text:?} is written with a decimal {}, but this file writes amounts with a decimal {}", if *.file_comma { "point" } else { "comma" }, if *.file_comma { "comma" } else { "point" })]
    DecimalSeparator { text: String, file_comma: bool },
    #[error("both a debit ({debit}) and a credit ({credit})")]
    DebitAndCredit { debit: String, credit: String },
    #[error("{invalid}")]
    Invalid { invalid: PurchaseProblem },
}

impl RowProblem {
    /// A stable name for the problem, for summaries and interfaces that translate it.
    pub fn code(&self) -> &'static str {
        match self {
            RowProblem::Unreadable { .. } => "unreadable",
            RowProblem::ColumnCount { .. } => "column_count",
            RowProblem::Missing { .. } => "missing",
            RowProblem::NotADate { .. } => "not_a_date",
            RowProblem::DateOrder { .. } => "date_order",
            RowProblem::NotAnAmount { .. } => "not_an_amount",
            RowProblem::DecimalSeparator { .. } => "decimal_separator",
            RowProblem::DebitAndCredit { .. } => "debit_and_credit",
            RowProblem::Invalid { .. } => "invalid",
        }
    }
}

impl Serialize for PurchaseProblem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file.
    pub line: u64,
    #[serde(flatten)]
    pub problem: RowProblem,
    /// The problem in English words.
    pub message: String,
}

/// How many rows could not be read for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemCount {
    /// [`RowProblem::code`].
    pub problem: &'static str,
    pub count: usize,
    /// The first line with this problem.
    pub first_line: u64,
    /// The first such row's message.
    pub example: String,
}

/// Why lines were skipped without being errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Account details, balance, period… before the header.
    BeforeHeader,
    /// Lines before the first row of data, in a file without a header Tessera recognises.
    BeforeData,
    /// A balance or total line.
    Summary,
    /// A transaction whose status says it did not go through (declined, reverted, pending…).
    NotCompleted,
    /// An amount of zero: neither money spent nor money received.
    ZeroAmount,
}

impl SkipReason {
    /// The reason in words.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::BeforeHeader => "before the header (account details)",
            SkipReason::BeforeData => "before the first row of data",
            SkipReason::Summary => "balance or total lines",
            SkipReason::NotCompleted => "transactions that did not go through (declined, reverted, pending)",
            SkipReason::ZeroAmount => "amounts of zero (neither spent nor received)",
        }
    }
}

/// Consecutive lines skipped for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedLines {
    pub first_line: u64,
    pub last_line: u64,
    pub reason: SkipReason,
}

/// What the file cannot tell and the person must say before anything is imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "question", rename_all = "snake_case")]
pub enum CsvQuestion {
    /// Every date can be read day first or month first (`03/04/2026`): which order?
    DateOrder { examples: Vec<String> },
    /// The amounts can be read with a decimal comma or a decimal point (`1,234`): which?
    DecimalSeparator { examples: Vec<String> },
    /// As many amounts are negative as positive: is spending written negative?
    SpendingSign { examples: Vec<String> },
}

/// A purchase read from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRow {
    pub line: u64,
    pub purchase: Purchase,
    /// Already in the vault (from an earlier import or entry).
    pub duplicate: bool,
}

/// Money received read from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedCredit {
    pub line: u64,
    pub credit: Credit,
    /// Already in the vault.
    pub duplicate: bool,
}

/// What an import would do (dry run) or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvPreview {
    pub encoding: Encoding,
    pub delimiter: char,
    pub has_header: bool,
    /// The header's line, when there is one.
    pub header_line: Option<u64>,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    pub decimal_comma: bool,
    /// `None` while it is a question.
    pub date_order: Option<DateOrder>,
    pub negate_amounts: bool,
    pub currency: String,
    pub credit_handling: CreditHandling,
    /// What must be answered before importing; while there is one, no row is read.
    pub questions: Vec<CsvQuestion>,
    /// Lines skipped without being errors.
    pub skipped: Vec<SkippedLines>,
    pub rows: Vec<ParsedRow>,
    /// Money received, kept apart (or left out, by `credit_handling`).
    pub credits: Vec<ParsedCredit>,
    /// The first [`MAX_LISTED_ERRORS`] rows that cannot be read.
    pub errors: Vec<RowError>,
    /// How many rows cannot be read.
    pub error_count: usize,
    /// How many rows cannot be read, by reason.
    pub error_summary: Vec<ProblemCount>,
    pub new_count: usize,
    pub duplicate_count: usize,
    /// New credits (imported if kept).
    pub new_credit_count: usize,
    pub duplicate_credit_count: usize,
    /// New credits identified as refunds from a merchant.
    pub refund_count: usize,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvImportReport {
    pub imported: usize,
    pub duplicates: usize,
    /// Money received stored apart.
    pub credits_kept: usize,
    /// Money received left out by choice.
    pub credits_skipped: usize,
    /// Of the credits kept, how many are refunds from a merchant.
    pub refunds: usize,
    pub skipped: Vec<SkippedLines>,
    pub errors: Vec<RowError>,
    pub error_count: usize,
    pub error_summary: Vec<ProblemCount>,
}

// ---------------------------------------------------------------------------
// Encoding

const CP1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’',
    '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn decode_utf16(bytes: &[u8], little_endian: bool) -> Result<String> {
    let encoding = if little_endian { Encoding::Utf16Le } else { Encoding::Utf16Be };
    if bytes.len() % 2 != 0 {
        return Err(VaultError::CsvEncoding { encoding: encoding.describe(), offset: bytes.len() - 1 });
    }
    let units = bytes.chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for (index, c) in char::decode_utf16(units).enumerate() {
        text.push(c.map_err(|_| VaultError::CsvEncoding { encoding: encoding.describe(), offset: index * 2 })?);
    }
    Ok(text)
}

fn decode_windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| if (0x80..0xA0).contains(&b) { CP1252[usize::from(b - 0x80)] } else { char::from(b) })
        .collect()
}

/// UTF-16 without a BOM shows as a zero byte in every other position of ASCII text.
fn looks_like_utf16(bytes: &[u8]) -> Option<bool> {
    let sample = &bytes[..bytes.len().min(400) / 2 * 2];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_odd = sample.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    let zero_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    if zero_odd * 10 >= pairs * 7 && zero_even == 0 {
        Some(true)
    } else if zero_even * 10 >= pairs * 7 && zero_odd == 0 {
        Some(false)
    } else {
        None
    }
}

fn decode(bytes: &[u8], forced: Option<Encoding>) -> Result<(String, Encoding)> {
    let (bytes, bom) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (rest, Some(Encoding::Utf8))
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (rest, Some(Encoding::Utf16Le))
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (rest, Some(Encoding::Utf16Be))
    } else {
        (bytes, None)
    };
    let encoding = forced.or(bom).unwrap_or_else(|| match looks_like_utf16(bytes) {
        Some(true) => Encoding::Utf16Le,
        Some(false) => Encoding::Utf16Be,
        None if std::str::from_utf8(bytes).is_ok() => Encoding::Utf8,
        None => Encoding::Windows1252,
    });
    let text = match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes)
            .map_err(|e| VaultError::CsvEncoding { encoding: encoding.describe(), offset: e.valid_up_to() })?
            .to_owned(),
        Encoding::Utf16Le => decode_utf16(bytes, true)?,
        Encoding::Utf16Be => decode_utf16(bytes, false)?,
        Encoding::Windows1252 => decode_windows_1252(bytes),
    };
    Ok((text, encoding))
}

// ---------------------------------------------------------------------------
// Separator

/// How many fields each of the first `max` records has with `delimiter` (quotes respected).
fn field_counts(text: &str, delimiter: char, max: usize) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut fields, mut in_quotes, mut at_field_start, mut empty_record) = (1usize, false, true, true);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    in_quotes = false;
                }
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                at_field_start = false;
                empty_record = false;
            }
            '\n' | '\r' => {
                if !empty_record {
                    counts.push(fields);
                    if counts.len() >= max {
                        break;
                    }
                }
                (fields, at_field_start, empty_record) = (1, true, true);
            }
            c if c == delimiter => {
                fields += 1;
                at_field_start = true;
                empty_record = false;
            }
            c => {
                at_field_start = false;
                if !c.is_whitespace() {
                    empty_record = false;
                }
            }
        }
    }
    if !empty_record && counts.len() < max {
        counts.push(fields);
    }
    counts
}

/// The most common value of `counts` and how often it occurs (the larger value on ties).
fn modal(counts: impl IntoIterator<Item = usize>) -> Option<(usize, usize)> {
    let mut tally: HashMap<usize, usize> = HashMap::new();
    for n in counts {
        *tally.entry(n).or_default() += 1;
    }
    tally.into_iter().max_by_key(|(len, n)| (*n, *len))
}

fn sniff_delimiter(text: &str) -> char {
    // Each candidate scores the separators it finds on the records that agree on their number
    // (preamble lines with two columns do not outweigh the rows below them).
    let mut best = (',', 0usize);
    for delimiter in [';', ',', '\t', '|'] {
        let mut tally: HashMap<usize, usize> = HashMap::new();
        for columns in field_counts(text, delimiter, 200).into_iter().filter(|n| *n >= 2) {
            *tally.entry(columns).or_default() += 1;
        }
        let score = tally.into_iter().map(|(columns, records)| records * (columns - 1)).max().unwrap_or(0);
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

// ---------------------------------------------------------------------------
// Records

/// One record of the file: its first line and its fields, spaces normalised.
struct Record {
    line: u64,
    fields: Vec<String>,
}

impl Record {
    fn field(&self, column: usize) -> Option<&str> {
        self.fields.get(column).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// How many columns the record really has: trailing empty fields do not count.
    fn meaningful_len(&self) -> usize {
        self.fields.iter().rposition(|f| !f.is_empty()).map_or(0, |i| i + 1)
    }
}

/// Reads every record; a record the CSV reader refuses is an error of its line.
fn read_records(text: &str, delimiter: u8, errors: &mut ErrorLog) -> Vec<Record> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = Vec::new();
    // Line numbers are counted here from byte offsets: the csv crate's own
    // count is wrong for CRLF files.
    let (mut counted_to, mut lines_before) = (0usize, 0u64);
    let mut line_at = |byte: u64| -> u64 {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        // A record's reported start can be the line break that ends the previous one.
        while byte < text.len() && matches!(text.as_bytes()[byte], b'\r' | b'\n') {
            byte += 1;
        }
        if byte >= counted_to {
            lines_before += text.as_bytes()[counted_to..byte].iter().filter(|b| **b == b'\n').count() as u64;
            counted_to = byte;
        }
        lines_before + 1
    };
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| line_at(p.byte()));
                // Spaces are normalised: padded columns and line breaks inside quoted values become single spaces.
                let fields: Vec<String> =
                    r.iter().map(|f| f.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
                if fields.iter().all(String::is_empty) {
                    continue;
                }
                records.push(Record { line, fields });
            }
            Err(e) => errors
                .push(e.position().map_or(0, |p| line_at(p.byte())), RowProblem::Unreadable { detail: e.to_string() }),
        }
    }
    records
}

/// Unreadable rows: the first [`MAX_LISTED_ERRORS`] in full, all counted by reason.
#[derive(Default)]
struct ErrorLog {
    listed: Vec<RowError>,
    count: usize,
    summary: Vec<ProblemCount>,
}

impl ErrorLog {
    fn push(&mut self, line: u64, problem: RowProblem) {
        self.count += 1;
        let code = problem.code();
        match self.summary.iter_mut().find(|s| s.problem == code) {
            Some(s) => {
                s.count += 1;
                if line < s.first_line {
                    s.first_line = line;
                }
            }
            None => self.summary.push(ProblemCount {
                problem: code,
                count: 1,
                first_line: line,
                example: problem.to_string(),
            }),
        }
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(RowError { line, message: problem.to_string(), problem });
        }
    }
}

// ---------------------------------------------------------------------------
// Columns

/// What a header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Date,
    ValueDate,
    Merchant,
    Amount,
    Debit,
    Credit,
    Category,
    Currency,
    Status,
    /// An amount or a currency in another currency than the account's: never used.
    Foreign,
}

fn header_role(name: &str) -> Option<Role> {
    let words = folded_words(name);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if has(&["foreign", "original", "origine", "etrangere", "etranger", "exchange", "change", "originale"]) {
        return has(&["amount", "montant", "currency", "devise", "somme"]).then_some(Role::Foreign);
    }
    if has(&["date", "jour", "day"]) || words.iter().any(|w| w == "dateop") {
        if has(&["valeur", "value", "val", "settlement", "completed", "comptable", "comptabilisation"]) {
            return Some(Role::ValueDate);
        }
        return Some(Role::Date);
    }
    if has(&["debit", "debits", "withdrawal", "withdrawals", "sortie", "sorties"])
        || (has(&["out"]) && has(&["money", "paid"]))
    {
        return Some(Role::Debit);
    }
    if has(&["credit", "credits", "deposit", "deposits", "entree", "entrees"])
        || (has(&["in"]) && has(&["money", "paid"]))
    {
        return Some(Role::Credit);
    }
    if has(&["montant", "amount", "somme", "prix", "price", "total"]) {
        return Some(Role::Amount);
    }
    if has(&["categorie", "category", "rubrique"]) {
        return Some(Role::Category);
    }
    if has(&["devise", "currency", "monnaie"]) {
        return Some(Role::Currency);
    }
    if has(&["status", "statut", "state", "etat"]) {
        return Some(Role::Status);
    }
    if has(&["account", "compte", "iban", "numero", "number", "reference", "solde", "balance"]) {
        return None;
    }
    if has(&[
        "libelle",
        "description",
        "merchant",
        "marchand",
        "commercant",
        "payee",
        "label",
        "detail",
        "details",
        "magasin",
        "enseigne",
        "beneficiaire",
        "contrepartie",
        "counterparty",
        "name",
        "nom",
        "operation",
        "intitule",
    ]) {
        return Some(Role::Merchant);
    }
    None
}

/// The currency a column name states (`Montant(EUROS)`, `Amount (EUR)`, `Débit euros`).
fn header_currency(name: &str) -> Option<&'static str> {
    let words = folded_words(name);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if has(&["eur", "euro", "euros"]) || name.contains('€') {
        Some("EUR")
    } else if has(&["francs", "frf"]) {
        Some("FRF")
    } else if has(&["usd", "dollars"]) || name.contains('$') {
        Some("USD")
    } else if has(&["gbp", "pounds"]) || name.contains('£') {
        Some("GBP")
    } else if has(&["chf"]) {
        Some("CHF")
    } else {
        None
    }
}

/// The mapping a header gives, with the currency its amount columns state and its status column.
struct HeaderMapping {
    mapping: ColumnMapping,
    currency: Option<&'static str>,
    status: Option<usize>,
}

fn mapping_from_headers(headers: &[String], preferred_currency: &str) -> Option<HeaderMapping> {
    let roles: Vec<Option<Role>> = headers.iter().map(|h| header_role(h)).collect();
    let find = |role: Role| roles.iter().position(|r| *r == Some(role));
    let all = |role: Role| roles.iter().enumerate().filter(move |(_, r)| **r == Some(role)).map(|(i, _)| i);
    let date = find(Role::Date).or_else(|| find(Role::ValueDate))?;
    let merchant = find(Role::Merchant)?;
    // Among several amount columns, the one in the account's currency.
    let pick = |role: Role| {
        let columns: Vec<usize> = all(role).collect();
        columns
            .iter()
            .copied()
            .find(|c| header_currency(&headers[*c]) == Some(preferred_currency))
            .or_else(|| columns.iter().copied().find(|c| header_currency(&headers[*c]).is_none()))
            .or_else(|| columns.first().copied())
    };
    let amount = pick(Role::Amount);
    let (debit, credit) = (pick(Role::Debit), pick(Role::Credit));
    let (amount, debit, credit) =
        if debit.is_some() || credit.is_some() { (None, debit, credit) } else { (Some(amount?), None, None) };
    let currency = amount.or(debit).or(credit).and_then(|c| header_currency(&headers[c]));
    Some(HeaderMapping {
        mapping: ColumnMapping {
            date,
            merchant,
            amount,
            debit,
            credit,
            category: find(Role::Category),
            currency: find(Role::Currency),
        },
        currency,
        status: find(Role::Status),
    })
}

/// Whether a record is a header: a date, a label and an amount (or debit/credit) named, and no value in it.
fn is_header(record: &Record) -> bool {
    let roles: Vec<Option<Role>> = record.fields.iter().map(|f| header_role(f)).collect();
    let has = |wanted: &[Role]| roles.iter().any(|r| r.is_some_and(|r| wanted.contains(&r)));
    has(&[Role::Date, Role::ValueDate])
        && has(&[Role::Merchant])
        && has(&[Role::Amount, Role::Debit, Role::Credit])
        && !record.fields.iter().any(|f| date_text(f).is_some() || amount_readings(f).is_amount())
}

/// Whether a record looks like a row of data: a date and an amount.
fn looks_like_data(record: &Record) -> bool {
    let date = record.fields.iter().position(|f| date_text(f).is_some());
    date.is_some_and(|d| record.fields.iter().enumerate().any(|(i, f)| i != d && amount_readings(f).is_amount()))
}

fn mapping_from_values(rows: &[&Record]) -> Option<ColumnMapping> {
    let columns = rows.iter().map(|r| r.fields.len()).max()?;
    let share = |col: usize, test: &dyn Fn(&str) -> bool| {
        rows.iter().filter(|r| r.fields.get(col).is_some_and(|v| test(v))).count() * 2 > rows.len()
    };
    let date = (0..columns).find(|&c| share(c, &|v| date_text(v).is_some()))?;
    let amount = (0..columns).find(|&c| c != date && share(c, &|v| amount_readings(v).is_amount()))?;
    let merchant = (0..columns).filter(|&c| c != date && c != amount).max_by_key(|&c| {
        rows.iter()
            .map(|r| r.fields.get(c).map_or(0, |v| v.chars().filter(|ch| ch.is_alphabetic()).count()))
            .sum::<usize>()
    })?;
    Some(ColumnMapping {
        date,
        merchant,
        amount: Some(amount),
        debit: None,
        credit: None,
        category: None,
        currency: None,
    })
}

// ---------------------------------------------------------------------------
// Lines that are not purchases

/// Whether a record is a balance or total line rather than a transaction.
fn is_summary(record: &Record, mapping: &ColumnMapping, dated: bool) -> bool {
    let starts = |text: &str, words: &[&str]| folded_words(text).first().is_some_and(|w| words.contains(&w.as_str()));
    if dated {
        // A dated line is a summary only when its label is a balance.
        return record.field(mapping.merchant).is_some_and(|label| {
            starts(label, &["solde", "balance"])
                || fold(label).starts_with("nouveau solde")
                || fold(label).starts_with("ancien solde")
                || fold(label).starts_with("closing balance")
                || fold(label).starts_with("opening balance")
        });
    }
    record.fields.iter().any(|f| {
        starts(f, &["solde", "total", "totaux", "balance", "cumul", "report"])
            || fold(f).starts_with("sous-total")
            || fold(f).starts_with("nouveau solde")
            || fold(f).starts_with("ancien solde")
            || fold(f).starts_with("closing balance")
            || fold(f).starts_with("opening balance")
    })
}

/// Whether a status says the transaction did not go through.
fn not_completed(status: &str) -> bool {
    folded_words(status).iter().any(|w| {
        matches!(
            w.as_str(),
            "declined"
                | "reverted"
                | "failed"
                | "cancelled"
                | "canceled"
                | "rejected"
                | "pending"
                | "refusee"
                | "refuse"
                | "annulee"
                | "annule"
                | "rejetee"
                | "attente"
                | "echouee"
        )
    })
}

/// Adds `line` to the skipped ranges, merging it with the previous range of the same reason.
fn skip(skipped: &mut Vec<SkippedLines>, first_line: u64, last_line: u64, reason: SkipReason) {
    if let Some(previous) = skipped.last_mut() {
        if previous.reason == reason && previous.last_line + 1 >= first_line {
            previous.last_line = previous.last_line.max(last_line);
            return;
        }
    }
    skipped.push(SkippedLines { first_line, last_line, reason });
}

// ---------------------------------------------------------------------------
// Conventions decided from all rows

const EXAMPLES: usize = 3;

/// The decimal convention all the amounts show: `Ok(comma)`, or the examples for a question.
fn decide_decimal(values: &[&str], delimiter: char) -> std::result::Result<bool, Vec<String>> {
    let (mut comma, mut point) = (0usize, 0usize);
    let mut depending = Vec::new();
    for value in values {
        let readings = amount_readings(value);
        match readings.shows_decimal_comma() {
            Some(true) => comma += 1,
            Some(false) => point += 1,
            None if readings.depends_on_convention() && depending.len() < EXAMPLES => {
                depending.push((*value).to_owned())
            }
            None => {}
        }
    }
    match (comma, point) {
        (0, 0) if depending.is_empty() => Ok(delimiter == ';'),
        (0, 0) => Err(depending),
        (c, p) if c > p => Ok(true),
        (c, p) if p > c => Ok(false),
        _ => Err(values
            .iter()
            .filter(|v| amount_readings(v).shows_decimal_comma().is_some())
            .take(EXAMPLES * 2)
            .map(|v| (*v).to_owned())
            .collect()),
    }
}

/// The date order all the dates show: `Ok(order)`, or the examples for a question.
fn decide_date_order(values: &[&str]) -> std::result::Result<DateOrder, Vec<String>> {
    let (mut day_first, mut month_first, mut numeric) = (0usize, 0usize, 0usize);
    let mut depending = Vec::new();
    for value in values {
        let Some(text) = date_text(value) else { continue };
        if let DateText::Numeric { .. } = text {
            numeric += 1;
        }
        match text.fits() {
            (true, false) => day_first += 1,
            (false, true) => month_first += 1,
            (true, true) if text.depends_on_order() && depending.len() < EXAMPLES => {
                depending.push((*value).to_owned())
            }
            _ => {}
        }
    }
    match (day_first, month_first) {
        (0, 0) if !depending.is_empty() => Err(depending),
        (0, 0) if numeric == 0 => Ok(DateOrder::YearFirst),
        (0, 0) => Ok(DateOrder::DayFirst),
        (d, m) if d > m => Ok(DateOrder::DayFirst),
        (d, m) if m > d => Ok(DateOrder::MonthFirst),
        _ => Err(depending),
    }
}

// ---------------------------------------------------------------------------
// Reading

/// The columns and conventions every row is read with.
struct RowReader<'a> {
    mapping: &'a ColumnMapping,
    decimal_comma: bool,
    date_order: DateOrder,
    negate: bool,
    currency: &'a str,
}

/// A row read: money spent, money received, or an amount of zero.
enum Read {
    Spent(Purchase),
    Received(Credit),
    Zero,
}

impl RowReader<'_> {
    fn amount(&self, text: &str) -> std::result::Result<Decimal, RowProblem> {
        let readings = amount_readings(text);
        match readings.under(self.decimal_comma) {
            Some(value) => Ok(value),
            None if readings.is_amount() => {
                Err(RowProblem::DecimalSeparator { text: text.to_owned(), file_comma: self.decimal_comma })
            }
            None => Err(RowProblem::NotAnAmount { text: text.to_owned() }),
        }
    }

    fn read(&self, record: &Record) -> std::result::Result<Read, RowProblem> {
        let m = self.mapping;
        let field = |column: usize, field: &'static str| {
            record.field(column).ok_or(RowProblem::Missing { field, column: column + 1 })
        };
        let date_cell = field(m.date, "date")?;
        let date = match date_text(date_cell) {
            None => return Err(RowProblem::NotADate { text: date_cell.to_owned() }),
            Some(text) => match text.in_order(self.date_order) {
                Some(date) => date,
                None if text.fits() != (false, false) => {
                    return Err(RowProblem::DateOrder { text: date_cell.to_owned(), order: self.date_order })
                }
                None => return Err(RowProblem::NotADate { text: date_cell.to_owned() }),
            },
        };
        let merchant = field(m.merchant, "merchant")?.to_owned();
        // Money spent is positive, money received negative.
        let signed = if let Some(column) = m.amount {
            let value = self.amount(field(column, "amount")?)?;
            if self.negate {
                -value
            } else {
                value
            }
        } else {
            let read = |column: Option<usize>| -> std::result::Result<Option<(Decimal, &str)>, RowProblem> {
                match column.and_then(|c| record.field(c)) {
                    None => Ok(None),
                    Some(text) => Ok(Some((self.amount(text)?.abs(), text)).filter(|(v, _)| !v.is_zero())),
                }
            };
            match (read(m.debit)?, read(m.credit)?) {
                (Some((debit, d)), Some((_, c))) if !debit.is_zero() => {
                    return Err(RowProblem::DebitAndCredit { debit: d.to_owned(), credit: c.to_owned() })
                }
                (Some((debit, _)), _) => debit,
                (None, Some((credit, _))) => -credit,
                (None, None) if [m.debit, m.credit].into_iter().flatten().any(|c| record.field(c).is_some()) => {
                    return Ok(Read::Zero)
                }
                (None, None) => {
                    return Err(RowProblem::Missing { field: "amount", column: m.debit.or(m.credit).unwrap_or(0) + 1 })
                }
            }
        };
        if signed.is_zero() {
            return Ok(Read::Zero);
        }
        let currency = m
            .currency
            .and_then(|c| record.field(c))
            .map(|c| c.trim().to_uppercase())
            .unwrap_or_else(|| self.currency.to_owned());
        let invalid = |e: VaultError| match e {
            VaultError::InvalidPurchase(invalid) => RowProblem::Invalid { invalid },
            other => RowProblem::Unreadable { detail: other.to_string() },
        };
        if signed.is_sign_negative() {
            let credit = Credit { date, label: merchant, amount: -signed, currency, refund_of: None };
            credit.validate().map_err(invalid)?;
            return Ok(Read::Received(credit));
        }
        let category = m
            .category
            .and_then(|c| record.field(c))
            .map(str::to_owned)
            .unwrap_or_else(|| suggest_category(&merchant).to_owned());
        let purchase = Purchase { date, merchant, amount: signed, currency, category };
        purchase.validate().map_err(invalid)?;
        Ok(Read::Spent(purchase))
    }
}

/// Reads a CSV file of purchases, detecting what `options` leaves open.
pub fn parse(bytes: &[u8], options: &CsvOptions) -> Result<CsvPreview> {
    let (text, encoding) = decode(bytes, options.encoding)?;
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let delimiter_byte = u8::try_from(delimiter)
        .ok()
        .filter(|b| b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r'))
        .ok_or(VaultError::CsvSeparator { separator: delimiter })?;
    let mut errors = ErrorLog::default();
    let records = read_records(&text, delimiter_byte, &mut errors);
    if records.is_empty() {
        return Err(VaultError::CsvEmpty);
    }
    let preferred_currency = options.currency.clone().unwrap_or_else(|| "EUR".into());
    let mut skipped = Vec::new();

    // Where the header and the data are.
    let search = &records[..records.len().min(HEADER_SEARCH)];
    let found_header = search.iter().position(is_header);
    let header_index = match options.has_header {
        Some(false) => None,
        Some(true) => found_header.or_else(|| {
            let (columns, _) = modal(records.iter().map(|r| r.meaningful_len()))?;
            records.iter().position(|r| r.meaningful_len() == columns)
        }),
        None => found_header,
    };
    let data_start = match header_index {
        Some(h) => h + 1,
        None => search.iter().position(looks_like_data).unwrap_or(0),
    };
    if data_start > 0 && header_index != Some(0) {
        let (reason, next) = match header_index {
            Some(h) => (SkipReason::BeforeHeader, records[h].line),
            None => (SkipReason::BeforeData, records[data_start].line),
        };
        skip(&mut skipped, records[0].line, next.saturating_sub(1).max(records[0].line), reason);
    }
    let headers = header_index.map(|h| records[h].fields.clone()).unwrap_or_default();
    let data: Vec<&Record> = records.iter().skip(data_start).collect();

    // Which column holds what.
    let from_headers = mapping_from_headers(&headers, &preferred_currency);
    let mapping = match (&options.mapping, &from_headers) {
        (Some(m), _) => m.clone(),
        (None, Some(h)) => h.mapping.clone(),
        (None, None) => {
            let sample: Vec<&Record> = data.iter().copied().filter(|r| looks_like_data(r)).take(200).collect();
            mapping_from_values(&sample).ok_or(VaultError::CsvColumnsUnknown)?
        }
    };
    let widest = data.iter().map(|r| r.fields.len()).max().unwrap_or(0).max(headers.len());
    for column in [Some(mapping.date), Some(mapping.merchant), mapping.amount, mapping.debit, mapping.credit]
        .into_iter()
        .chain([mapping.category, mapping.currency])
        .flatten()
    {
        if column >= widest {
            return Err(VaultError::CsvColumnMissing { column: column + 1, columns: widest });
        }
    }
    let status = from_headers.as_ref().and_then(|h| h.status);
    let currency = options
        .currency
        .clone()
        .or_else(|| from_headers.as_ref().and_then(|h| h.currency).map(str::to_owned))
        .unwrap_or_else(|| "EUR".into());

    // Rows must have as many columns as the header (or as most rows): an extra
    // column usually means a separator inside an unquoted value.
    let expected_columns = if header_index.is_some() {
        headers.len()
    } else {
        modal(data.iter().map(|r| r.fields.len())).map_or(0, |(len, _)| len)
    };
    let mut candidates: Vec<&Record> = Vec::with_capacity(data.len());
    for record in data {
        if record.meaningful_len() > expected_columns {
            errors
                .push(record.line, RowProblem::ColumnCount { found: record.fields.len(), expected: expected_columns });
            continue;
        }
        if status.and_then(|s| record.field(s)).is_some_and(not_completed) {
            skip(&mut skipped, record.line, record.line, SkipReason::NotCompleted);
            continue;
        }
        let dated = record.field(mapping.date).and_then(date_text).is_some();
        if is_summary(record, &mapping, dated) {
            skip(&mut skipped, record.line, record.line, SkipReason::Summary);
            continue;
        }
        candidates.push(record);
    }

    // Conventions, decided from all rows.
    let mut questions = Vec::new();
    let amount_columns: Vec<usize> = [mapping.amount, mapping.debit, mapping.credit].into_iter().flatten().collect();
    let amounts: Vec<&str> =
        candidates.iter().flat_map(|r| amount_columns.iter().filter_map(|c| r.field(*c))).collect();
    let decimal_comma = match options.decimal_comma {
        Some(forced) => forced,
        None => decide_decimal(&amounts, delimiter).unwrap_or_else(|examples| {
            questions.push(CsvQuestion::DecimalSeparator { examples });
            delimiter == ';'
        }),
    };
    let dates: Vec<&str> = candidates.iter().filter_map(|r| r.field(mapping.date)).collect();
    let date_order = match options.date_order {
        Some(forced) => Some(forced),
        None => match decide_date_order(&dates) {
            Ok(order) => Some(order),
            Err(examples) => {
                questions.push(CsvQuestion::DateOrder { examples });
                None
            }
        },
    };
    let negate_amounts = match (options.negate_amounts, mapping.amount) {
        (Some(forced), _) => forced,
        (None, None) => false,
        (None, Some(column)) => {
            // Each amount's sign, its text, and whether its row's label names money received.
            let signs: Vec<(bool, &str, bool)> = candidates
                .iter()
                .filter_map(|r| r.field(column).map(|t| (t, r.field(mapping.merchant).is_some_and(has_income_word))))
                .filter_map(|(t, income)| {
                    amount_readings(t)
                        .under(decimal_comma)
                        .filter(|v| !v.is_zero())
                        .map(|v| (v.is_sign_negative(), t, income))
                })
                .collect();
            let negative = signs.iter().filter(|(n, ..)| *n).count();
            let positive = signs.len() - negative;
            // A bank that writes `+312,45` marks money received: spending is the negative amounts.
            let plus_marks_credits =
                negative > 0 && signs.iter().any(|(n, t, _)| !*n && t.trim_start().starts_with('+'));
            // Labels that name money received (salary, benefits, refunds) tell which sign it has.
            let income = |sign: bool| signs.iter().filter(|(n, _, income)| *n == sign && *income).count();
            let (income_positive, income_negative) = (income(false), income(true));
            let by_labels = match (income_positive > 0, income_negative > 0) {
                (true, false) if negative > 0 => Some(true),
                (false, true) if positive > 0 => Some(false),
                _ => None,
            };
            match (plus_marks_credits, by_labels) {
                (true, _) => true,
                (false, Some(spending_negative)) => spending_negative,
                (false, None) => {
                    if negative > 0 && negative == positive {
                        let examples = signs.iter().take(EXAMPLES * 2).map(|(_, t, _)| (*t).to_owned()).collect();
                        questions.push(CsvQuestion::SpendingSign { examples });
                    }
                    negative > positive
                }
            }
        }
    };

    let mut rows = Vec::new();
    let mut credits = Vec::new();
    if let (true, Some(date_order)) = (questions.is_empty(), date_order) {
        let reader =
            RowReader { mapping: &mapping, decimal_comma, date_order, negate: negate_amounts, currency: &currency };
        rows.reserve(candidates.len());
        for record in candidates {
            match reader.read(record) {
                Ok(Read::Spent(purchase)) => rows.push(ParsedRow { line: record.line, purchase, duplicate: false }),
                Ok(Read::Received(credit)) => {
                    credits.push(ParsedCredit { line: record.line, credit, duplicate: false })
                }
                Ok(Read::Zero) => skip(&mut skipped, record.line, record.line, SkipReason::ZeroAmount),
                Err(problem) => errors.push(record.line, problem),
            }
        }
    }
    let ErrorLog { mut listed, count, mut summary } = errors;
    listed.sort_by_key(|e| e.line);
    summary.sort_by_key(|s| s.first_line);
    let new_count = rows.len();
    let new_credit_count = credits.len();
    Ok(CsvPreview {
        encoding,
        delimiter,
        has_header: header_index.is_some(),
        header_line: header_index.map(|h| records[h].line),
        headers,
        mapping,
        decimal_comma,
        date_order,
        negate_amounts,
        currency,
        credit_handling: options.credits.unwrap_or_default(),
        questions,
        skipped,
        rows,
        credits,
        errors: listed,
        error_count: count,
        error_summary: summary,
        new_count,
        duplicate_count: 0,
        new_credit_count,
        duplicate_credit_count: 0,
        refund_count: 0,
    })
}

/// Marks the rows and credits already in the vault as duplicates, identifies
/// refunds among the new credits (against the vault's purchases and the
/// file's), and counts.
///
/// Each purchase already in the vault cancels one identical row of the file:
/// two identical coffees on one day in the file stay two purchases.
pub(crate) fn compare_with_vault(preview: &mut CsvPreview, purchases: &Purchases, credits: &Credits) {
    let mut existing: HashMap<_, usize> = HashMap::new();
    for p in purchases.iter() {
        *existing.entry(p.duplicate_key()).or_default() += 1;
    }
    for row in &mut preview.rows {
        if let Some(count) = existing.get_mut(&row.purchase.duplicate_key()).filter(|c| **c > 0) {
            *count -= 1;
            row.duplicate = true;
        }
    }
    let mut existing: HashMap<_, usize> = HashMap::new();
    for c in credits.iter() {
        *existing.entry(c.duplicate_key()).or_default() += 1;
    }
    for row in &mut preview.credits {
        if let Some(count) = existing.get_mut(&row.credit.duplicate_key()).filter(|c| **c > 0) {
            *count -= 1;
            row.duplicate = true;
        }
    }
    if preview.credits.iter().any(|c| !c.duplicate) {
        let finder = RefundFinder::new(purchases.iter().chain(preview.rows.iter().map(|r| &r.purchase)));
        let found: Vec<_> = preview.credits.iter().map(|c| finder.refund_of(&c.credit)).collect();
        for (row, refund) in preview.credits.iter_mut().zip(found) {
            row.credit.refund_of = refund;
        }
    }
    preview.duplicate_count = preview.rows.iter().filter(|r| r.duplicate).count();
    preview.new_count = preview.rows.len() - preview.duplicate_count;
    preview.duplicate_credit_count = preview.credits.iter().filter(|c| c.duplicate).count();
    preview.new_credit_count = preview.credits.len() - preview.duplicate_credit_count;
    preview.refund_count = preview.credits.iter().filter(|c| !c.duplicate && c.credit.refund_of.is_some()).count();
}

impl CsvPreview {
    /// Refuses an import while the file leaves a question open.
    pub fn check_answered(&self) -> Result<()> {
        match self.questions.first() {
            None => Ok(()),
            Some(CsvQuestion::DateOrder { examples }) => {
                Err(VaultError::CsvDateOrderUnknown { examples: examples.clone() })
            }
            Some(CsvQuestion::DecimalSeparator { examples }) => {
                Err(VaultError::CsvDecimalUnknown { examples: examples.clone() })
            }
            Some(CsvQuestion::SpendingSign { examples }) => {
                Err(VaultError::CsvSpendingSignUnknown { examples: examples.clone() })
            }
        }
    }

    /// What importing it does.
    pub fn report(&self) -> CsvImportReport {
        let keep = self.credit_handling == CreditHandling::Keep;
        CsvImportReport {
            imported: self.new_count,
            duplicates: self.duplicate_count,
            credits_kept: if keep { self.new_credit_count } else { 0 },
            credits_skipped: if keep { 0 } else { self.new_credit_count },
            refunds: if keep { self.refund_count } else { 0 },
            skipped: self.skipped.clone(),
            errors: self.errors.clone(),
            error_count: self.error_count,
            error_summary: self.error_summary.clone(),
        }
    }

    /// The new purchases, and the new credits when they are kept.
    pub(crate) fn into_new_rows(self) -> (Vec<Purchase>, Vec<Credit>) {
        let keep = self.credit_handling == CreditHandling::Keep;
        let purchases = self.rows.into_iter().filter(|r| !r.duplicate).map(|r| r.purchase).collect();
        let credits = if keep {
            self.credits.into_iter().filter(|c| !c.duplicate).map(|c| c.credit).collect()
        } else {
            Vec::new()
        };
        (purchases, credits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_order_is_decided_from_all_dates_or_asked() {
        assert_eq!(decide_date_order(&["03/04/2026", "25/04/2026"]), Ok(DateOrder::DayFirst));
        assert_eq!(decide_date_order(&["04/25/2026"]), Ok(DateOrder::MonthFirst));
        assert_eq!(decide_date_order(&["2026-04-25"]), Ok(DateOrder::YearFirst));
        assert_eq!(decide_date_order(&["04/04/2026", "11/11/2026"]), Ok(DateOrder::DayFirst), "the same either way");
        assert_eq!(
            decide_date_order(&["03/04/2026", "05/06/2026"]),
            Err(vec!["03/04/2026".into(), "05/06/2026".into()])
        );
    }

    #[test]
    fn the_decimal_convention_is_decided_from_all_amounts_or_asked() {
        assert_eq!(decide_decimal(&["-10.00", "-12,50", "-3.99"], ','), Ok(false));
        assert_eq!(decide_decimal(&["-10,00", "-12.5", "3,99"], ';'), Ok(true));
        assert_eq!(decide_decimal(&["12", "13"], ';'), Ok(true), "integers fit both");
        assert!(decide_decimal(&["1,234", "2,500"], ',').is_err(), "thousands or decimals?");
        assert!(decide_decimal(&["1,50", "2.50"], ',').is_err(), "one of each");
    }

    #[test]
    fn line_numbers_are_right_with_crlf_and_quoted_line_breaks() {
        let preview = parse(
            b"Date;Libell\xc3\xa9;Montant\r\n21/02/2026;A;1,00\r\n22/02/2026;\"Two\r\nlines\";2,00\r\nbad;B;3,00\r\n",
            &CsvOptions::default(),
        )
        .unwrap();
        assert_eq!(preview.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3], "{preview:?}");
        assert_eq!(preview.rows[1].purchase.merchant, "Two lines");
        assert_eq!(preview.errors[0].line, 5);
    }

    #[test]
    fn windows_1252_and_utf16_files_decode() {
        let (text, encoding) = decode(b"Libell\xe9;Montant\r\nCaf\xe9;3,50 \x80\r\n", None).unwrap();
        assert_eq!(encoding, Encoding::Windows1252);
        assert!(text.contains("Libellé") && text.contains("3,50 €"));
        let utf16: Vec<u8> =
            "Date;Montant\r\n14/03/2026;3,50 €\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (text, encoding) = decode(&utf16, None).unwrap();
        assert_eq!((encoding, text.contains("3,50 €")), (Encoding::Utf16Le, true), "without a BOM too");
        assert!(matches!(decode(b"caf\xe9", Some(Encoding::Utf8)), Err(VaultError::CsvEncoding { offset: 3, .. })));
    }

    #[test]
    fn headers_are_recognised_by_their_words() {
        assert_eq!(header_role("Date de l'opération"), Some(Role::Date));
        assert_eq!(header_role("Date de valeur"), Some(Role::ValueDate));
        assert_eq!(header_role("dateVal"), Some(Role::ValueDate));
        assert_eq!(header_role("Montant(EUROS)"), Some(Role::Amount));
        assert_eq!(header_currency("Montant(EUROS)"), Some("EUR"));
        assert_eq!(header_role("Amount (Foreign Currency)"), Some(Role::Foreign));
        assert_eq!(header_role("Type Foreign Currency"), Some(Role::Foreign));
        assert_eq!(header_role("Débit euros"), Some(Role::Debit));
        assert_eq!(header_role("accountLabel"), None);
        assert_eq!(header_role("Payee"), Some(Role::Merchant));
        assert_eq!(header_role("State"), Some(Role::Status));
    }

    #[test]
    fn the_separator_is_the_one_that_splits_records_evenly() {
        assert_eq!(sniff_delimiter("Compte;123\n\nDate;Libellé;Montant\n01/02/2026;A;1,00\n02/02/2026;B;2,00\n"), ';');
        assert_eq!(sniff_delimiter("Date,Description,Amount\n2026-03-01,\"A; B\",-10.00\n"), ',');
        assert_eq!(sniff_delimiter("Date\tLabel\tAmount\n2026-03-01\tA\t-10.00\n"), '\t');
    }
}
