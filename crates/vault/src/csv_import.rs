//! CSV import of purchases from banks and shops, French and English formats.
//!
//! Detected, and each overridable: the encoding (UTF-8 with or without BOM,
//! else Latin-1/Windows-1252), the separator (`;`, `,`, tab), whether there is
//! a header row, the column mapping (from header names in French or English,
//! or from the values), decimal commas (`12,50`, `1 234,56`), the date order
//! (`dd/mm/yyyy`, ISO, `mm/dd/yyyy`), and whether spending is written as
//! negative amounts. Amounts are exact decimals, never floats. A preview reads
//! everything and writes nothing; rows it cannot read are reported with their
//! line numbers. Re-importing a file does not duplicate purchases.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Result, VaultError};
use crate::parse::{date_parts, fold};
use crate::purchases::{suggest_category, Purchase};

pub use crate::parse::{parse_amount, parse_date, DateOrder};

/// The file's text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    /// ISO 8859-1, read as Windows-1252 (so `0x80` is `€`).
    Latin1,
}

/// Which column holds what (0-based indexes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub date: usize,
    pub merchant: usize,
    /// One signed amount column…
    pub amount: Option<usize>,
    /// …or separate debit (money spent) and credit (money back) columns.
    pub debit: Option<usize>,
    pub credit: Option<usize>,
    pub category: Option<usize>,
    pub currency: Option<usize>,
}

/// Choices that override detection; `None` means "detect".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsvOptions {
    pub encoding: Option<Encoding>,
    pub delimiter: Option<char>,
    pub has_header: Option<bool>,
    pub mapping: Option<ColumnMapping>,
    pub decimal_comma: Option<bool>,
    pub date_order: Option<DateOrder>,
    /// Whether spending is written as negative amounts (usual in bank exports).
    pub negate_amounts: Option<bool>,
    /// Currency when the file has no currency column (default `EUR`).
    pub currency: Option<String>,
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file.
    pub line: u64,
    pub message: String,
}

/// A row read from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRow {
    pub line: u64,
    pub purchase: Purchase,
    /// Already in the vault (from an earlier import or entry).
    pub duplicate: bool,
}

/// What an import would do (dry run) or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvPreview {
    pub encoding: Encoding,
    pub delimiter: char,
    pub has_header: bool,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    pub decimal_comma: bool,
    pub date_order: DateOrder,
    pub negate_amounts: bool,
    pub currency: String,
    pub rows: Vec<ParsedRow>,
    pub errors: Vec<RowError>,
    pub new_count: usize,
    pub duplicate_count: usize,
}

const CP1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’',
    '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn decode(bytes: &[u8], forced: Option<Encoding>) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match (forced, std::str::from_utf8(bytes)) {
        (None | Some(Encoding::Utf8), Ok(text)) => (text.to_owned(), Encoding::Utf8),
        (Some(Encoding::Utf8), Err(_)) => (String::from_utf8_lossy(bytes).into_owned(), Encoding::Utf8),
        (_, _) => (
            bytes
                .iter()
                .map(|&b| if (0x80..0xA0).contains(&b) { CP1252[usize::from(b - 0x80)] } else { char::from(b) })
                .collect(),
            Encoding::Latin1,
        ),
    }
}

fn sniff_delimiter(text: &str) -> char {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let mut counts = [(';', 0), (',', 0), ('\t', 0)];
    let mut quoted = false;
    for c in first.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in counts.iter_mut() {
                if c == *d {
                    *n += 1;
                }
            }
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0).map(|(d, _)| *d).unwrap_or(',')
}

fn looks_like_date(raw: &str) -> bool {
    date_parts(raw).is_some_and(|(a, b, c, first_len)| {
        if first_len == 4 {
            (1..=12).contains(&b) && (1..=31).contains(&c)
        } else {
            (1..=31).contains(&a) && (1..=31).contains(&b) && c < 10000
        }
    })
}

fn header_role(name: &str) -> Option<&'static str> {
    let n = fold(name.trim());
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&["date valeur", "value date"]) {
        return None;
    }
    if has(&["date", "jour"]) {
        Some("date")
    } else if has(&["debit", "withdrawal", "money out", "paid out"]) {
        Some("debit")
    } else if has(&["credit", "deposit", "money in", "paid in"]) {
        Some("credit")
    } else if has(&["montant", "amount", "somme", "prix", "price", "total"]) {
        Some("amount")
    } else if has(&["categorie", "category", "rubrique"]) {
        Some("category")
    } else if has(&["devise", "currency", "monnaie"]) {
        Some("currency")
    } else if has(&[
        "libelle",
        "description",
        "merchant",
        "marchand",
        "commercant",
        "payee",
        "label",
        "detail",
        "magasin",
        "enseigne",
        "beneficiaire",
        "name",
        "nom",
    ]) {
        Some("merchant")
    } else {
        None
    }
}

fn mapping_from_headers(headers: &[String]) -> Option<ColumnMapping> {
    let find = |role: &str| headers.iter().position(|h| header_role(h) == Some(role));
    let date = find("date")?;
    let merchant = find("merchant")?;
    let amount = find("amount");
    let (debit, credit) = (find("debit"), find("credit"));
    if amount.is_none() && debit.is_none() && credit.is_none() {
        return None;
    }
    Some(ColumnMapping {
        date,
        merchant,
        amount,
        debit,
        credit,
        category: find("category"),
        currency: find("currency"),
    })
}

fn mapping_from_values(rows: &[Vec<String>], decimal_comma: bool) -> Option<ColumnMapping> {
    let columns = rows.iter().map(Vec::len).max()?;
    let share = |col: usize, test: &dyn Fn(&str) -> bool| {
        rows.iter().filter(|r| r.get(col).is_some_and(|v| test(v))).count() * 2 > rows.len()
    };
    let date = (0..columns).find(|&c| share(c, &looks_like_date))?;
    let amount = (0..columns).find(|&c| c != date && share(c, &|v| parse_amount(v, decimal_comma).is_some()))?;
    let merchant = (0..columns).filter(|&c| c != date && c != amount).max_by_key(|&c| {
        rows.iter().map(|r| r.get(c).map_or(0, |v| v.chars().filter(|ch| ch.is_alphabetic()).count())).sum::<usize>()
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

fn detect_decimal_comma(values: &[&str], delimiter: char) -> bool {
    let (mut comma, mut point) = (0, 0);
    for v in values {
        let v = v.trim();
        match (v.rfind(','), v.rfind('.')) {
            (Some(c), Some(p)) => {
                if c > p {
                    comma += 1
                } else {
                    point += 1
                }
            }
            (Some(c), None) => {
                if v.len() - c - 1 != 3 {
                    comma += 1
                }
            }
            (None, Some(p)) => {
                if v.len() - p - 1 != 3 {
                    point += 1
                }
            }
            (None, None) => {}
        }
    }
    if comma == point {
        delimiter == ';'
    } else {
        comma > point
    }
}

fn detect_date_order(values: &[&str]) -> DateOrder {
    let parts: Vec<(u32, u32, u32, usize)> = values.iter().filter_map(|v| date_parts(v)).collect();
    if !parts.is_empty() && parts.iter().all(|p| p.3 == 4) {
        return DateOrder::YearFirst;
    }
    if parts.iter().any(|p| p.3 != 4 && p.0 > 12) {
        return DateOrder::DayFirst;
    }
    if parts.iter().any(|p| p.3 != 4 && p.1 > 12) {
        return DateOrder::MonthFirst;
    }
    DateOrder::DayFirst
}

/// Reads a CSV file of purchases, detecting what `options` leaves open.
pub fn parse(bytes: &[u8], options: &CsvOptions) -> Result<CsvPreview> {
    let (text, encoding) = decode(bytes, options.encoding);
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let delimiter_byte = u8::try_from(delimiter)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| VaultError::Csv(format!("{delimiter:?} cannot be a column separator")))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter_byte)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records: Vec<(u64, Vec<String>)> = Vec::new();
    let mut errors = Vec::new();
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
                records.push((line, fields));
            }
            Err(e) => errors.push(RowError {
                line: e.position().map_or(0, |p| line_at(p.byte())),
                message: format!("unreadable: {e}"),
            }),
        }
    }
    if records.is_empty() {
        return Err(VaultError::Csv("the file has no rows".into()));
    }
    let first_is_header = {
        let first = &records[0].1;
        !first.iter().any(|f| looks_like_date(f)) && first.iter().any(|f| header_role(f).is_some())
    };
    let has_header = options.has_header.unwrap_or(first_is_header);
    let headers = if has_header { records[0].1.clone() } else { Vec::new() };
    let data: Vec<(u64, Vec<String>)> = records.into_iter().skip(usize::from(has_header)).collect();
    let sample: Vec<Vec<String>> = data.iter().take(200).map(|(_, f)| f.clone()).collect();

    let guess_comma_from = |col: Option<usize>| {
        let values: Vec<&str> = sample.iter().filter_map(|r| col.and_then(|c| r.get(c)).map(String::as_str)).collect();
        detect_decimal_comma(&values, delimiter)
    };
    let mapping = match &options.mapping {
        Some(m) => m.clone(),
        None => mapping_from_headers(&headers).or_else(|| mapping_from_values(&sample, delimiter == ';')).ok_or_else(
            || {
                VaultError::Csv(
                    "cannot tell which columns hold the date, the merchant and the amount: choose the columns yourself"
                        .into(),
                )
            },
        )?,
    };
    let decimal_comma =
        options.decimal_comma.unwrap_or_else(|| guess_comma_from(mapping.amount.or(mapping.debit).or(mapping.credit)));
    let date_order = options.date_order.unwrap_or_else(|| {
        let values: Vec<&str> = sample.iter().filter_map(|r| r.get(mapping.date)).map(String::as_str).collect();
        detect_date_order(&values)
    });
    let negate_amounts = options.negate_amounts.unwrap_or_else(|| {
        let Some(col) = mapping.amount else { return false };
        let amounts: Vec<Decimal> =
            sample.iter().filter_map(|r| r.get(col)).filter_map(|v| parse_amount(v, decimal_comma)).collect();
        amounts.iter().filter(|a| a.is_sign_negative()).count() * 5 > amounts.len() * 3
    });
    let currency = options.currency.clone().unwrap_or_else(|| "EUR".into());

    // Rows must have as many columns as the header (or as most rows): an extra
    // column usually means a separator inside an unquoted value.
    let expected_columns = if has_header {
        headers.len()
    } else {
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for row in &sample {
            *counts.entry(row.len()).or_default() += 1;
        }
        counts.into_iter().max_by_key(|(len, n)| (*n, *len)).map_or(0, |(len, _)| len)
    };
    let mut rows = Vec::with_capacity(data.len());
    for (line, fields) in &data {
        if fields.len() != expected_columns {
            errors.push(RowError {
                line: *line,
                message: format!(
                    "{} columns instead of {expected_columns} (a separator inside a value that is not in quotes?)",
                    fields.len()
                ),
            });
            continue;
        }
        match read_row(fields, &mapping, decimal_comma, date_order, negate_amounts, &currency) {
            Ok(purchase) => rows.push(ParsedRow { line: *line, purchase, duplicate: false }),
            Err(message) => errors.push(RowError { line: *line, message }),
        }
    }
    errors.sort_by_key(|e| e.line);
    let new_count = rows.len();
    Ok(CsvPreview {
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
        duplicate_count: 0,
    })
}

fn read_row(
    fields: &[String],
    m: &ColumnMapping,
    decimal_comma: bool,
    order: DateOrder,
    negate: bool,
    currency: &str,
) -> Result<Purchase, String> {
    let field = |col: usize, what: &str| {
        fields
            .get(col)
            .filter(|v| !v.is_empty())
            .map(String::as_str)
            .ok_or_else(|| format!("no {what} (column {})", col + 1))
    };
    let date_text = field(m.date, "date")?;
    let date = parse_date(date_text, order).ok_or_else(|| format!("{date_text:?} is not a date"))?;
    let merchant = field(m.merchant, "merchant")?.to_owned();
    let amount = if let Some(col) = m.amount {
        let text = field(col, "amount")?;
        let value = parse_amount(text, decimal_comma).ok_or_else(|| format!("{text:?} is not an amount"))?;
        if negate {
            -value
        } else {
            value
        }
    } else {
        let read = |col: Option<usize>| -> Result<Option<Decimal>, String> {
            match col.and_then(|c| fields.get(c)).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(text) => parse_amount(text, decimal_comma)
                    .map(|v| Some(v.abs()))
                    .ok_or_else(|| format!("{text:?} is not an amount")),
            }
        };
        match (read(m.debit)?, read(m.credit)?) {
            (Some(debit), _) if !debit.is_zero() => debit,
            (_, Some(credit)) => -credit,
            (Some(zero), None) => zero,
            (None, None) => return Err("no amount in the debit or credit column".into()),
        }
    };
    let category = m
        .category
        .and_then(|c| fields.get(c))
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| suggest_category(&merchant).to_owned());
    let currency = m
        .currency
        .and_then(|c| fields.get(c))
        .filter(|v| !v.is_empty())
        .map(|c| c.to_uppercase())
        .unwrap_or_else(|| currency.to_owned());
    let purchase = Purchase { date, merchant, amount, currency, category };
    purchase.validate().map_err(|e| e.to_string())?;
    Ok(purchase)
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvImportReport {
    pub imported: usize,
    pub duplicates: usize,
    pub errors: Vec<RowError>,
}

/// Marks the rows already in the vault as duplicates, and counts the new ones.
///
/// Each purchase already in the vault cancels one identical row of the file:
/// two identical coffees on one day in the file stay two purchases.
pub(crate) fn mark_duplicates<'a>(preview: &mut CsvPreview, existing: impl Iterator<Item = &'a Purchase>) {
    let mut existing_keys: HashMap<_, usize> = HashMap::new();
    for p in existing {
        *existing_keys.entry(p.duplicate_key()).or_default() += 1;
    }
    for row in &mut preview.rows {
        if let Some(count) = existing_keys.get_mut(&row.purchase.duplicate_key()).filter(|c| **c > 0) {
            *count -= 1;
            row.duplicate = true;
        }
    }
    preview.duplicate_count = preview.rows.iter().filter(|r| r.duplicate).count();
    preview.new_count = preview.rows.len() - preview.duplicate_count;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_order_is_detected_from_the_values() {
        assert_eq!(detect_date_order(&["03/04/2026", "25/04/2026"]), DateOrder::DayFirst);
        assert_eq!(detect_date_order(&["04/25/2026"]), DateOrder::MonthFirst);
    }

    #[test]
    fn line_numbers_are_right_with_crlf_and_quoted_line_breaks() {
        let preview = parse(
            b"Date;Libell\xc3\xa9;Montant\r\n01/02/2026;A;1,00\r\n02/02/2026;\"Two\r\nlines\";2,00\r\nbad;B;3,00\r\n",
            &CsvOptions::default(),
        )
        .unwrap();
        assert_eq!(preview.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3], "{preview:?}");
        assert_eq!(preview.rows[1].purchase.merchant, "Two lines");
        assert_eq!(preview.errors[0].line, 5);
    }

    #[test]
    fn latin1_files_decode_with_the_euro_sign() {
        let (text, encoding) = decode(b"Libell\xe9;Montant\r\nCaf\xe9;3,50 \x80\r\n", None);
        assert_eq!(encoding, Encoding::Latin1);
        assert!(text.contains("Libellé") && text.contains("3,50 €"));
    }
}
