//! How text a person types or a file holds becomes values: words folded for
//! matching, exact amounts, and dates in each order.
//!
//! One place for these rules: the CSV import, manual purchase entry (in the
//! app and on the command line) and the purchase filters all read through
//! here. Amounts are exact decimals, never floats.
//!
//! What it must never do: guess silently where a person can be asked; every
//! function that reads what a person typed says what was wrong and how to write it.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Result, VaultError};

/// Lower-cases and strips French accents, for matching.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' => out.push('i'),
            'ô' | 'ö' | 'ó' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            other => out.push(other),
        }
    }
    out
}

/// Which part of a date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `31/12/2026` (French).
    DayFirst,
    /// `12/31/2026` (US).
    MonthFirst,
    /// `2026-12-31` (ISO).
    YearFirst,
}

/// Parses an amount such as `12,50`, `-1 234,56 €`, `(12.50)`, `$1,234.00`.
pub fn parse_amount(raw: &str, decimal_comma: bool) -> Option<Decimal> {
    let mut text: String =
        raw.trim().chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '€' | '$' | '£')).collect();
    for code in ["EUR", "USD", "GBP", "CHF"] {
        text = text.replace(code, "");
    }
    if text.is_empty() {
        return None;
    }
    let mut negative = false;
    if text.starts_with('(') && text.ends_with(')') {
        negative = true;
        text = text[1..text.len() - 1].to_owned();
    }
    if let Some(rest) = text.strip_suffix('-') {
        negative = !negative;
        text = rest.to_owned();
    }
    if let Some(rest) = text.strip_prefix('-') {
        negative = !negative;
        text = rest.to_owned();
    } else if let Some(rest) = text.strip_prefix('+') {
        text = rest.to_owned();
    }
    let normalised = if decimal_comma { text.replace('.', "").replace(',', ".") } else { text.replace(',', "") };
    let digits_ok = !normalised.is_empty()
        && normalised.chars().all(|c| c.is_ascii_digit() || c == '.')
        && normalised.matches('.').count() <= 1
        && !normalised.starts_with('.')
        && !normalised.ends_with('.');
    if !digits_ok {
        return None;
    }
    let value = Decimal::from_str_exact(&normalised).ok()?;
    Some(if negative { -value } else { value })
}

pub(crate) fn date_parts(raw: &str) -> Option<(u32, u32, u32, usize)> {
    let text = raw.trim();
    let text = text.split([' ', 'T']).next().unwrap_or(text);
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let first_len = parts[0].len();
    Some((parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?, first_len))
}

fn full_year(year: u32) -> i32 {
    let year = year as i32;
    if year < 100 {
        if year < 70 {
            2000 + year
        } else {
            1900 + year
        }
    } else {
        year
    }
}

/// Parses a date in the given order; `None` when it is not a real date.
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    let (a, b, c, first_len) = date_parts(raw)?;
    let (y, m, d) = if first_len == 4 {
        (full_year(a), b, c)
    } else {
        match order {
            DateOrder::DayFirst | DateOrder::YearFirst => (full_year(c), b, a),
            DateOrder::MonthFirst => (full_year(c), a, b),
        }
    };
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Reads an amount a person typed (`12.50`, `12,50`, `-3`, `1,234.50`): the
/// comma is the decimal separator when there is a comma and no point.
pub fn typed_amount(text: &str) -> Result<Decimal> {
    let decimal_comma = text.contains(',') && !text.contains('.');
    parse_amount(text, decimal_comma)
        .ok_or_else(|| VaultError::InvalidInput(format!("{text:?} is not an amount: write 12.50 or 12,50")))
}

/// Reads a day a person typed: `2026-03-14` or `14/03/2026` (day first).
pub fn typed_date(text: &str) -> Result<NaiveDate> {
    parse_date(text, DateOrder::DayFirst)
        .ok_or_else(|| VaultError::InvalidInput(format!("{text:?} is not a date: write 2026-03-14 or 14/03/2026")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_french_and_english_forms_are_exact() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        assert_eq!(parse_amount("12,50", true), Some(d("12.50")));
        assert_eq!(parse_amount("-1 234,56 €", true), Some(d("-1234.56")));
        assert_eq!(parse_amount("1.234,56", true), Some(d("1234.56")));
        assert_eq!(parse_amount("1,234.56", false), Some(d("1234.56")));
        assert_eq!(parse_amount("(12.50)", false), Some(d("-12.50")));
        assert_eq!(parse_amount("12.50-", false), Some(d("-12.50")));
        assert_eq!(parse_amount("0,1", true).map(|a| a + parse_amount("0,2", true).unwrap()), Some(d("0.3")));
        assert_eq!(parse_amount("douze", true), None);
        assert_eq!(parse_amount("", true), None);
    }

    #[test]
    fn dates_in_each_order() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("31/12/2026", DateOrder::DayFirst), date(2026, 12, 31));
        assert_eq!(parse_date("12/31/2026", DateOrder::MonthFirst), date(2026, 12, 31));
        assert_eq!(parse_date("2026-12-31", DateOrder::DayFirst), date(2026, 12, 31));
        assert_eq!(parse_date("31.12.26", DateOrder::DayFirst), date(2026, 12, 31));
        assert_eq!(parse_date("31/02/2026", DateOrder::DayFirst), None);
    }

    #[test]
    fn typed_amounts_take_a_comma_as_decimal_only_without_a_point() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        assert_eq!(typed_amount("12,50").unwrap(), d("12.50"));
        assert_eq!(typed_amount("1,234.50").unwrap(), d("1234.50"));
        assert_eq!(typed_amount("-3").unwrap(), d("-3"));
        assert!(typed_amount("douze").unwrap_err().to_string().contains("write 12.50 or 12,50"));
        assert_eq!(typed_date("14/03/2026").unwrap(), NaiveDate::from_ymd_opt(2026, 3, 14).unwrap());
        assert!(typed_date("03/14/2026").unwrap_err().to_string().contains("write 2026-03-14 or 14/03/2026"));
    }
}
