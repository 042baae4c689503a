//! How text a person types or a file holds becomes values: words folded for
//! matching, exact amounts, and dates in each order.
//!
//! One place for these rules: the CSV import, manual purchase entry (in the
//! app and on the command line) and the purchase filters all read through
//! here. Amounts are exact decimals, never floats.
//!
//! **Amounts.** An amount is read under one decimal convention: a decimal
//! *comma* (`12,50`, `1 234,56`, `1.234,56`) or a decimal *point* (`12.50`,
//! `1,234.56`). Under a convention the other separator (or a space, a
//! no-break space or an apostrophe) may only group thousands: groups of
//! exactly three digits after the first, and never after the decimal
//! separator. So `"-12,50"` does not fit the point convention, `-10.00` does
//! not fit the comma one, and `12,345,67` fits neither. [`amount_readings`]
//! says what a text means under each convention; a file's convention is
//! decided from all its amounts ([`crate::csv_import`]), and a person's typed
//! amount must mean one thing only ([`typed_amount`]).
//!
//! **Dates.** `dd/mm/yyyy`, `mm/dd/yyyy`, ISO `yyyy-mm-dd` (with or without a
//! time), two-digit years, and month names in French or English
//! (`14 mars 2026`, `14-Mar-2026`, `Mar 14, 2026`). A numeric date whose first
//! two parts are both 12 or less depends on the order; [`date_text`] says so.
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

/// The words of `text`, folded: split on anything that is not a letter or a
/// digit, and between a lower-case letter and an upper-case one (`dateOp` is
/// `date op`).
pub fn folded_words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 8);
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_uppercase() && previous_lower {
            spaced.push(' ');
        }
        previous_lower = c.is_lowercase();
        spaced.push(c);
    }
    fold(&spaced).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

/// Which part of a date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `31/12/2026` (French).
    DayFirst,
    /// `12/31/2026` (US).
    MonthFirst,
    /// `2026-12-31` (ISO).
    YearFirst,
}

impl DateOrder {
    /// How the order is written for people: `day/month/year`.
    pub fn describe(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "day/month/year",
            DateOrder::MonthFirst => "month/day/year",
            DateOrder::YearFirst => "year-month-day",
        }
    }
}

/// Strips what may surround an amount: spaces, currency signs and codes.
fn strip_currency(raw: &str) -> String {
    let mut text = raw.trim().to_owned();
    for code in ["EUR", "EUROS", "USD", "GBP", "CHF", "eur", "euros", "€", "$", "£"] {
        if let Some(rest) = text.strip_suffix(code) {
            text = rest.trim_end().to_owned();
        }
        if let Some(rest) = text.strip_prefix(code) {
            text = rest.trim_start().to_owned();
        }
    }
    text
}

/// Splits the sign off an amount: `-12`, `+12`, `−12` (minus sign), `12-`, `(12)`.
fn strip_sign(text: &str) -> (bool, &str) {
    let mut negative = false;
    let mut text = text.trim();
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        negative = true;
        text = inner.trim();
    }
    if let Some(rest) = text.strip_suffix('-') {
        negative = !negative;
        text = rest.trim_end();
    }
    if let Some(rest) = text.strip_prefix('-').or_else(|| text.strip_prefix('\u{2212}')) {
        negative = !negative;
        text = rest.trim_start();
    } else if let Some(rest) = text.strip_prefix('+') {
        text = rest.trim_start();
    }
    (negative, text)
}

fn is_group_separator(c: char, decimal: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'') || (c == ',' && decimal == '.') || (c == '.' && decimal == ',')
}

/// The digits of a whole part written with or without thousands groups
/// (`1234`, `1 234`, `1.234.567`): groups of three after the first, one kind
/// of separator.
fn whole_part(text: &str, decimal: char) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(text.to_owned());
    }
    let separator = text.chars().find(|c| !c.is_ascii_digit())?;
    if !is_group_separator(separator, decimal) {
        return None;
    }
    let groups: Vec<&str> = text.split(separator).collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    let digits_ok = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    (first_ok && rest_ok && digits_ok).then(|| groups.concat())
}

/// Reads an amount under one convention (decimal comma or decimal point), strictly.
fn amount_under(raw: &str, decimal_comma: bool) -> Option<Decimal> {
    let decimal = if decimal_comma { ',' } else { '.' };
    let text = strip_currency(raw);
    let (negative, body) = strip_sign(&text);
    let (whole, fraction) = match body.split_once(decimal) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let mut digits = whole_part(whole, decimal)?;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push('.');
        digits.push_str(fraction);
    }
    let value = Decimal::from_str_exact(&digits).ok()?;
    Some(if negative { -value } else { value })
}

/// What an amount text means under each decimal convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountReadings {
    /// Read with a decimal comma (`1.234,56`).
    pub comma: Option<Decimal>,
    /// Read with a decimal point (`1,234.56`).
    pub point: Option<Decimal>,
}

impl AmountReadings {
    /// Whether the text is an amount under at least one convention.
    pub fn is_amount(&self) -> bool {
        self.comma.is_some() || self.point.is_some()
    }

    /// Whether the two conventions read it differently (`1,234`: 1234 or 1.234).
    pub fn depends_on_convention(&self) -> bool {
        matches!((self.comma, self.point), (Some(c), Some(p)) if c != p)
    }

    /// The convention this text alone shows, when it fits only one:
    /// `Some(true)` for a decimal comma, `Some(false)` for a point.
    pub fn shows_decimal_comma(&self) -> Option<bool> {
        match (self.comma, self.point) {
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            _ => None,
        }
    }

    /// The value under the chosen convention.
    pub fn under(&self, decimal_comma: bool) -> Option<Decimal> {
        if decimal_comma {
            self.comma
        } else {
            self.point
        }
    }
}

/// What `raw` means as an amount with a decimal comma and with a decimal point.
pub fn amount_readings(raw: &str) -> AmountReadings {
    AmountReadings { comma: amount_under(raw, true), point: amount_under(raw, false) }
}

/// Parses an amount such as `12,50`, `-1 234,56 €`, `(12.50)`, `$1,234.00`
/// under the given convention; `None` when it does not fit it.
pub fn parse_amount(raw: &str, decimal_comma: bool) -> Option<Decimal> {
    amount_under(raw, decimal_comma)
}

/// A date as written, before an order is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateText {
    /// Only one reading: ISO (`2026-03-14`) or with a month name (`14 mars 2026`).
    Fixed(NaiveDate),
    /// `a/b/year`: day first or month first, depending on the order.
    Numeric { first: u32, second: u32, year: i32 },
}

impl DateText {
    /// The date in `order` (the order does not matter for a fixed date).
    pub fn in_order(self, order: DateOrder) -> Option<NaiveDate> {
        match self {
            DateText::Fixed(date) => Some(date),
            DateText::Numeric { first, second, year } => match order {
                DateOrder::MonthFirst => NaiveDate::from_ymd_opt(year, first, second),
                DateOrder::DayFirst | DateOrder::YearFirst => NaiveDate::from_ymd_opt(year, second, first),
            },
        }
    }

    /// The orders this text can be read in, as a real date: day first, month first.
    pub fn fits(self) -> (bool, bool) {
        (self.in_order(DateOrder::DayFirst).is_some(), self.in_order(DateOrder::MonthFirst).is_some())
    }

    /// Whether day first and month first give two different real dates (`03/04/2026`).
    pub fn depends_on_order(self) -> bool {
        match self.fits() {
            (true, true) => self.in_order(DateOrder::DayFirst) != self.in_order(DateOrder::MonthFirst),
            _ => false,
        }
    }
}

fn full_year(year: u32, digits: usize) -> i32 {
    let year = year as i32;
    if digits <= 2 {
        if year < 70 {
            2000 + year
        } else {
            1900 + year
        }
    } else {
        year
    }
}

const MONTHS: &[(&str, u32)] = &[
    ("janvier", 1),
    ("janv", 1),
    ("january", 1),
    ("jan", 1),
    ("fevrier", 2),
    ("fevr", 2),
    ("fev", 2),
    ("february", 2),
    ("feb", 2),
    ("mars", 3),
    ("march", 3),
    ("mar", 3),
    ("avril", 4),
    ("avr", 4),
    ("april", 4),
    ("apr", 4),
    ("mai", 5),
    ("may", 5),
    ("juin", 6),
    ("june", 6),
    ("jun", 6),
    ("juillet", 7),
    ("juil", 7),
    ("july", 7),
    ("jul", 7),
    ("aout", 8),
    ("august", 8),
    ("aug", 8),
    ("septembre", 9),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("octobre", 10),
    ("october", 10),
    ("oct", 10),
    ("novembre", 11),
    ("november", 11),
    ("nov", 11),
    ("decembre", 12),
    ("december", 12),
    ("dec", 12),
];

/// `14 mars 2026`, `14-Mar-2026`, `Mar 14, 2026`, `14 mars 2026 10:21`.
fn named_month_date(text: &str) -> Option<NaiveDate> {
    let words: Vec<String> =
        fold(text).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
    let month_at = words.iter().position(|w| w.chars().all(char::is_alphabetic))?;
    let month = MONTHS.iter().find(|(name, _)| *name == words[month_at])?.1;
    let number = |i: usize| -> Option<(u32, usize)> {
        let w = words.get(i)?;
        (w.len() <= 4 && w.bytes().all(|b| b.is_ascii_digit())).then(|| Some((w.parse().ok()?, w.len())))?
    };
    let ((day, _), (year, year_digits)) = match month_at {
        1 => (number(0)?, number(2)?),
        0 => (number(1)?, number(2)?),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(full_year(year, year_digits), month, day)
}

/// Reads the shape of a date: fixed, or numeric with an order to choose.
pub fn date_text(raw: &str) -> Option<DateText> {
    let text = raw.trim();
    if text.chars().any(|c| c.is_alphabetic() && c != 'T' && c != 'Z') {
        return named_month_date(text).map(DateText::Fixed);
    }
    let text = text.split([' ', 'T']).next().unwrap_or(text);
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let number = |i: usize| parts[i].parse::<u32>().ok();
    if parts[0].len() == 4 {
        let date = NaiveDate::from_ymd_opt(full_year(number(0)?, 4), number(1)?, number(2)?)?;
        return Some(DateText::Fixed(date));
    }
    if parts[0].len() > 2 || parts[1].len() > 2 || parts[2].len() == 3 {
        return None;
    }
    Some(DateText::Numeric { first: number(0)?, second: number(1)?, year: full_year(number(2)?, parts[2].len()) })
}

/// Parses a date in the given order; `None` when it is not a real date.
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    date_text(raw)?.in_order(order)
}

/// Writes an amount back exactly, with at least two decimals: `35.5` is
/// `35.50`, `1299.9` is `1299.90`, `0.125` stays `0.125`. A point separates
/// the decimals; there is no thousands separator.
pub fn exact_amount(amount: Decimal) -> String {
    let mut shown = amount;
    if shown.scale() < 2 {
        shown.rescale(2);
    }
    shown.to_string()
}

/// Reads an amount a person typed (`12.50`, `12,50`, `1 234,56`, `1,234.50`).
///
/// The rule: the separator followed by one or two digits at the end is the
/// decimal separator, and the other one may only group thousands. A single
/// separator followed by exactly three digits (`1,234`, `1.234`) could be
/// either: it is refused with the two readings, never guessed. The sign is
/// kept; whether a negative amount is allowed is the caller's rule.
pub fn typed_amount(text: &str) -> Result<Decimal> {
    let readings = amount_readings(text);
    match (readings.comma, readings.point) {
        (Some(comma), Some(point)) if comma != point => {
            Err(VaultError::AmbiguousAmount { text: text.to_owned(), comma, point })
        }
        (Some(value), _) | (None, Some(value)) => Ok(value),
        (None, None) => Err(VaultError::NotAnAmount { text: text.to_owned() }),
    }
}

/// Reads a day a person typed: `2026-03-14`, `14/03/2026` (day first) or `14 mars 2026`.
pub fn typed_date(text: &str) -> Result<NaiveDate> {
    parse_date(text, DateOrder::DayFirst).ok_or_else(|| VaultError::NotADate { text: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn amounts_in_french_and_english_forms_are_exact() {
        assert_eq!(parse_amount("12,50", true), Some(d("12.50")));
        assert_eq!(parse_amount("-1 234,56 €", true), Some(d("-1234.56")));
        assert_eq!(parse_amount("1.234,56", true), Some(d("1234.56")));
        assert_eq!(parse_amount("1,234.56", false), Some(d("1234.56")));
        assert_eq!(parse_amount("(12.50)", false), Some(d("-12.50")));
        assert_eq!(parse_amount("12.50-", false), Some(d("-12.50")));
        assert_eq!(parse_amount("\u{2212}3,99", true), Some(d("-3.99")));
        assert_eq!(parse_amount("EUR 1'234.50", false), Some(d("1234.50")));
        assert_eq!(parse_amount("0,1", true).map(|a| a + parse_amount("0,2", true).unwrap()), Some(d("0.3")));
        assert_eq!(parse_amount("douze", true), None);
        assert_eq!(parse_amount("", true), None);
    }

    #[test]
    fn an_amount_that_does_not_fit_the_convention_is_not_read_another_way() {
        assert_eq!(parse_amount("-12,50", false), None, "a decimal comma in a decimal-point file");
        assert_eq!(parse_amount("-12.5", true), None, "a decimal point in a decimal-comma file");
        assert_eq!(parse_amount("12,345,67", false), None);
        assert_eq!(parse_amount("12,345,67", true), None);
        assert_eq!(parse_amount("1,23,456.00", false), None, "thousands are grouped by three");
        assert_eq!(parse_amount("1 234.567,8", true), None, "one kind of group separator");
        assert_eq!(parse_amount("12.50.3", false), None);
        assert_eq!(parse_amount(",50", true), None);
        assert_eq!(parse_amount("12,", true), None);
    }

    #[test]
    fn readings_say_which_convention_a_text_shows() {
        assert_eq!(amount_readings("12,50").shows_decimal_comma(), Some(true));
        assert_eq!(amount_readings("-10.00").shows_decimal_comma(), Some(false));
        assert_eq!(amount_readings("1.234,56").shows_decimal_comma(), Some(true));
        assert_eq!(amount_readings("1,234.56").shows_decimal_comma(), Some(false));
        assert_eq!(amount_readings("42").shows_decimal_comma(), None);
        assert!(!amount_readings("42").depends_on_convention());
        assert!(amount_readings("1,234").depends_on_convention());
        assert!(!amount_readings("12,345,67").is_amount());
    }

    #[test]
    fn dates_in_each_order() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("31/12/2026", DateOrder::DayFirst), date(2026, 12, 31));
        assert_eq!(parse_date("12/31/2026", DateOrder::MonthFirst), date(2026, 12, 31));
        assert_eq!(parse_date("2026-12-31", DateOrder::DayFirst), date(2026, 12, 31));
        assert_eq!(parse_date("2026-12-31 10:21:05", DateOrder::MonthFirst), date(2026, 12, 31));
        assert_eq!(parse_date("2026-12-31T10:21:05Z", DateOrder::MonthFirst), date(2026, 12, 31));
        assert_eq!(parse_date("31.12.26", DateOrder::DayFirst), date(2026, 12, 31));
        assert_eq!(parse_date("31/02/2026", DateOrder::DayFirst), None);
        assert_eq!(parse_date("14 mars 2026", DateOrder::MonthFirst), date(2026, 3, 14));
        assert_eq!(parse_date("14-Mar-2026", DateOrder::DayFirst), date(2026, 3, 14));
        assert_eq!(parse_date("Mar 14, 2026", DateOrder::DayFirst), date(2026, 3, 14));
        assert_eq!(parse_date("1er août 2026", DateOrder::DayFirst), None, "not a day number");
        assert_eq!(parse_date("14 août 2026", DateOrder::DayFirst), date(2026, 8, 14));
        assert_eq!(parse_date("Solde au 14/03/2026", DateOrder::DayFirst), None);
        assert!(date_text("03/04/2026").unwrap().depends_on_order());
        assert!(!date_text("04/04/2026").unwrap().depends_on_order(), "the same day either way");
        assert!(!date_text("25/04/2026").unwrap().depends_on_order());
    }

    #[test]
    fn words_are_folded_and_split_at_case_changes() {
        assert_eq!(folded_words("dateOp"), ["date", "op"]);
        assert_eq!(folded_words("Montant(EUROS)"), ["montant", "euros"]);
        assert_eq!(folded_words("Date de l'opération"), ["date", "de", "l", "operation"]);
    }

    #[test]
    fn typed_amounts_mean_one_thing_or_are_refused() {
        assert_eq!(typed_amount("12,50").unwrap(), d("12.50"));
        assert_eq!(typed_amount("12.5").unwrap(), d("12.5"));
        assert_eq!(typed_amount("1,234.50").unwrap(), d("1234.50"));
        assert_eq!(typed_amount("1 234,50").unwrap(), d("1234.50"));
        assert_eq!(typed_amount("1234").unwrap(), d("1234"));
        assert!(matches!(typed_amount("1,234"), Err(VaultError::AmbiguousAmount { .. })));
        assert!(matches!(typed_amount("1.234"), Err(VaultError::AmbiguousAmount { .. })));
        assert!(typed_amount("douze").unwrap_err().to_string().contains("write 12.50 or 12,50"));
        assert_eq!(typed_date("14/03/2026").unwrap(), NaiveDate::from_ymd_opt(2026, 3, 14).unwrap());
        assert!(typed_date("03/14/2026").unwrap_err().to_string().contains("write 2026-03-14 or 14/03/2026"));
    }
}
