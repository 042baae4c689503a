//! The vocabulary of items a brand may ask for and a consumer may share.
//!
//! Three families: OpenID Connect standard claim names (`given_name`,
//! `birthdate`, `address.postal_code`, …), Tessera facts (`tessera.*`), and
//! generalised forms that reveal less than the fact they come from
//! (`age_over_18` and `age_range` from `birthdate`, `address.department` from
//! `address.postal_code`, `purchase_totals` from `purchases`).
//!
//! A packet item either is the requested item (**exact**) or one of its
//! generalisations (**generalised**); every value is checked against the
//! item's value kind.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

use crate::ProtocolError;

/// The shape a value of an item must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A non-empty line of text (at most 500 characters, no control or bidirectional control characters).
    Text,
    /// An e-mail address.
    Email,
    /// A phone number: digits, spaces, `+`, `-`, `.`, parentheses.
    PhoneNumber,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// `true` or `false`.
    Boolean,
    /// A whole number from 0 to 1000.
    Count,
    /// A list of up to 100 texts.
    TextList,
    /// One of `under-18`, `18-24`, `25-34`, `35-44`, `45-54`, `55-64`, `65+`.
    AgeRange,
    /// A French département code: two digits, `2A`, `2B`, or three digits for overseas.
    Department,
    /// A list of purchases (see [`Purchase`]).
    Purchases,
    /// A list of totals by category and month (see [`PurchaseTotal`]).
    PurchaseTotals,
}

/// Where an item's name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    OpenIdConnect,
    Tessera,
    Generalised,
}

/// One entry of the vocabulary.
#[derive(Debug)]
pub struct ItemSpec {
    pub name: &'static str,
    pub kind: ValueKind,
    pub family: Family,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    /// The generalised items this item may be answered with instead.
    pub generalisations: &'static [&'static str],
}

macro_rules! item {
    ($name:literal, $kind:ident, $family:ident, $en:literal, $fr:literal) => {
        item!($name, $kind, $family, $en, $fr, [])
    };
    ($name:literal, $kind:ident, $family:ident, $en:literal, $fr:literal, [$($g:literal),*]) => {
        ItemSpec { name: $name, kind: ValueKind::$kind, family: Family::$family, label_en: $en, label_fr: $fr, generalisations: &[$($g),*] }
    };
}

/// Every item Tessera knows.
pub static VOCABULARY: &[ItemSpec] = &[
    item!("given_name", Text, OpenIdConnect, "Given name", "Prénom"),
    item!("family_name", Text, OpenIdConnect, "Family name", "Nom de famille"),
    item!("email", Email, OpenIdConnect, "E-mail address", "Adresse e-mail"),
    item!("phone_number", PhoneNumber, OpenIdConnect, "Phone number", "Numéro de téléphone"),
    item!("birthdate", Date, OpenIdConnect, "Date of birth", "Date de naissance", ["age_over_18", "age_range"]),
    item!("gender", Text, OpenIdConnect, "Gender", "Genre"),
    item!("locale", Text, OpenIdConnect, "Language and region", "Langue et région"),
    item!("address.postal_code", Text, OpenIdConnect, "Postal code", "Code postal", ["address.department"]),
    item!("address.locality", Text, OpenIdConnect, "Town or city", "Ville"),
    item!("address.country", Text, OpenIdConnect, "Country", "Pays"),
    item!("tessera.household_size", Count, Tessera, "Household size", "Taille du foyer"),
    item!("tessera.clothing_size", Text, Tessera, "Clothing size", "Taille de vêtements"),
    item!("tessera.shoe_size", Text, Tessera, "Shoe size", "Pointure"),
    item!("tessera.interests", TextList, Tessera, "Interests", "Centres d'intérêt"),
    item!("tessera.dietary_preferences", TextList, Tessera, "Dietary preferences", "Préférences alimentaires"),
    item!("tessera.contact_preferences", TextList, Tessera, "Contact preferences", "Préférences de contact"),
    item!("purchases", Purchases, Tessera, "Purchase history", "Historique d'achats", ["purchase_totals"]),
    item!("age_over_18", Boolean, Generalised, "Over 18", "Majeur (plus de 18 ans)"),
    item!("age_range", AgeRange, Generalised, "Age range", "Tranche d'âge"),
    item!("address.department", Department, Generalised, "Département", "Département"),
    item!(
        "purchase_totals",
        PurchaseTotals,
        Generalised,
        "Purchase totals by category and month",
        "Totaux d'achats par catégorie et par mois"
    ),
];

/// The name of an item of the vocabulary.
#[derive(Clone, Copy)]
pub struct ItemName(&'static ItemSpec);

impl ItemName {
    pub fn spec(&self) -> &'static ItemSpec {
        self.0
    }

    pub fn as_str(&self) -> &'static str {
        self.0.name
    }

    /// The item `name`, if the vocabulary has it.
    pub fn lookup(name: &str) -> Option<ItemName> {
        VOCABULARY.iter().find(|spec| spec.name == name).map(ItemName)
    }

    /// Whether a packet may answer a request for `self` with `delivered`.
    pub fn may_be_answered_with(&self, delivered: &ItemName) -> bool {
        self == delivered || self.0.generalisations.contains(&delivered.as_str())
    }

    /// The generalised forms this item can be shared as.
    pub fn generalisations(&self) -> Vec<ItemName> {
        self.0.generalisations.iter().filter_map(|n| ItemName::lookup(n)).collect()
    }

    /// The facts a value of this item can be computed from: itself, and the
    /// items it is a generalisation of.
    pub fn sources(&self) -> Vec<ItemName> {
        let mut sources = vec![*self];
        sources.extend(VOCABULARY.iter().filter(|s| s.generalisations.contains(&self.as_str())).map(ItemName));
        sources
    }

    /// Checks that `value` has the shape this item requires.
    pub fn validate(&self, value: &Value) -> Result<(), ProtocolError> {
        validate_value(self.0.kind, value)
            .map_err(|detail| ProtocolError::InvalidItemValue { item: self.as_str().into(), detail })
    }
}

impl PartialEq for ItemName {
    fn eq(&self, other: &ItemName) -> bool {
        self.0.name == other.0.name
    }
}
impl Eq for ItemName {}

impl std::hash::Hash for ItemName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state)
    }
}

impl PartialOrd for ItemName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ItemName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.name.cmp(other.0.name)
    }
}

impl fmt::Debug for ItemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemName({})", self.0.name)
    }
}

impl fmt::Display for ItemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl FromStr for ItemName {
    type Err = ProtocolError;
    fn from_str(name: &str) -> Result<ItemName, ProtocolError> {
        ItemName::lookup(name).ok_or_else(|| ProtocolError::UnknownItem { found: name.to_owned() })
    }
}

impl Serialize for ItemName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ItemName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ItemName, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// One purchase, as shared in a `purchases` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purchase {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub merchant: String,
    /// Exact decimal with a dot, e.g. `"12.50"`; negative for refunds.
    pub amount: String,
    /// ISO 4217 code, e.g. `"EUR"`.
    pub currency: String,
    pub category: String,
}

/// One line of a `purchase_totals` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseTotal {
    pub category: String,
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    /// Exact decimal sum of the amounts, e.g. `"123.40"`.
    pub total: String,
    pub count: u32,
}

/// A value quoted in an error message, cut short: a message never repeats a long value.
fn shown(text: &str) -> String {
    crate::text::excerpt(text, 40)
}

const AGE_RANGES: [&str; 7] = ["under-18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"];

fn validate_text(value: &Value) -> Result<&str, String> {
    let text = value.as_str().ok_or("expected a text")?;
    crate::text::check_display_text(text, 500, 1).map_err(|problem| format!("the text {problem}"))?;
    Ok(text)
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    if text.len() != 10 {
        return Err(format!("{} is not a date of the form YYYY-MM-DD", shown(text)));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{} is not a date of the form YYYY-MM-DD", shown(text)))
}

/// An exact decimal amount such as `12.50` or `-3` (no exponent, no thousands separator).
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    let well_formed = {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        !whole.is_empty()
            && whole.len() <= 15
            && whole.bytes().all(|b| b.is_ascii_digit())
            && !fraction.is_empty()
            && fraction.len() <= 4
            && fraction.bytes().all(|b| b.is_ascii_digit())
    };
    if !well_formed {
        return Err(format!("{} is not an exact decimal amount like 12.50", shown(text)));
    }
    Decimal::from_str_exact(text).map_err(|_| format!("{} is not an exact decimal amount like 12.50", shown(text)))
}

fn validate_currency(text: &str) -> Result<(), String> {
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!("{} is not an ISO 4217 currency code such as EUR", shown(text)))
    }
}

fn validate_value(kind: ValueKind, value: &Value) -> Result<(), String> {
    match kind {
        ValueKind::Text => validate_text(value).map(drop),
        ValueKind::Email => {
            let text = validate_text(value)?;
            let (local, domain) = text.split_once('@').ok_or("an e-mail address needs an @")?;
            if local.is_empty()
                || domain.is_empty()
                || domain.contains('@')
                || text.contains(char::is_whitespace)
                || text.len() > 254
            {
                return Err(format!("{} is not an e-mail address", shown(text)));
            }
            Ok(())
        }
        ValueKind::PhoneNumber => {
            let text = validate_text(value)?;
            let digits = text.chars().filter(char::is_ascii_digit).count();
            if !(4..=20).contains(&digits) || !text.chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c)) {
                return Err(format!("{} is not a phone number", shown(text)));
            }
            Ok(())
        }
        ValueKind::Date => parse_date(value.as_str().ok_or("expected a date text YYYY-MM-DD")?).map(drop),
        ValueKind::Boolean => value.as_bool().map(drop).ok_or_else(|| "expected true or false".into()),
        ValueKind::Count => match value.as_u64() {
            Some(n) if n <= 1000 => Ok(()),
            _ => Err("expected a whole number from 0 to 1000".into()),
        },
        ValueKind::TextList => {
            let list = value.as_array().ok_or("expected a list of texts")?;
            if list.len() > 100 {
                return Err("the list has more than 100 entries".into());
            }
            list.iter().try_for_each(|v| validate_text(v).map(drop))
        }
        ValueKind::AgeRange => {
            let text = value.as_str().ok_or("expected an age range text")?;
            if AGE_RANGES.contains(&text) {
                Ok(())
            } else {
                Err(format!("{} is not one of {}", shown(text), AGE_RANGES.join(", ")))
            }
        }
        ValueKind::Department => {
            let text = value.as_str().ok_or("expected a département code")?;
            let ok = match text.len() {
                2 => text.bytes().all(|b| b.is_ascii_digit()) && text != "00" || text == "2A" || text == "2B",
                3 => text.bytes().all(|b| b.is_ascii_digit()) && (text.starts_with("97") || text.starts_with("98")),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(format!("{} is not a French département code", shown(text)))
            }
        }
        ValueKind::Purchases => {
            let purchases: Vec<Purchase> =
                serde_json::from_value(value.clone()).map_err(|e| format!("expected a list of purchases: {e}"))?;
            for (i, p) in purchases.iter().enumerate() {
                let at = |e: String| format!("purchase {}: {e}", i + 1);
                parse_date(&p.date).map_err(at)?;
                parse_amount(&p.amount).map_err(at)?;
                validate_currency(&p.currency).map_err(at)?;
                validate_text(&Value::from(p.merchant.as_str())).map_err(|e| at(format!("merchant: {e}")))?;
                validate_text(&Value::from(p.category.as_str())).map_err(|e| at(format!("category: {e}")))?;
            }
            Ok(())
        }
        ValueKind::PurchaseTotals => {
            let totals: Vec<PurchaseTotal> =
                serde_json::from_value(value.clone()).map_err(|e| format!("expected a list of totals: {e}"))?;
            for (i, t) in totals.iter().enumerate() {
                let at = |e: String| format!("total {}: {e}", i + 1);
                parse_date(&format!("{}-01", t.month))
                    .map_err(|_| at(format!("{} is not a month YYYY-MM", shown(&t.month))))?;
                parse_amount(&t.total).map_err(at)?;
                validate_currency(&t.currency).map_err(at)?;
                validate_text(&Value::from(t.category.as_str())).map_err(|e| at(format!("category: {e}")))?;
            }
            Ok(())
        }
    }
}

/// Age in whole years on `today` of someone born on `birthdate`.
fn age_on(birthdate: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birthdate.year();
    if (today.month(), today.day()) < (birthdate.month(), birthdate.day()) {
        age -= 1;
    }
    age
}

/// The age range of someone born on `birthdate`, on `today`.
pub fn age_range(birthdate: NaiveDate, today: NaiveDate) -> &'static str {
    match age_on(birthdate, today) {
        ..=17 => "under-18",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    }
}

/// The French département of a five-digit French postal code.
pub fn department_of(postal_code: &str) -> Result<String, String> {
    let code = postal_code.trim();
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with("00") {
        return Err(format!(
            "{} is not a French postal code (five digits); only those can be generalised to a département",
            shown(code)
        ));
    }
    Ok(if code.starts_with("97") || code.starts_with("98") {
        code[..3].to_owned()
    } else if code.starts_with("20") {
        // Corse-du-Sud uses 200xx-201xx, Haute-Corse 202xx-206xx.
        if code < "20200" {
            "2A".to_owned()
        } else {
            "2B".to_owned()
        }
    } else {
        code[..2].to_owned()
    })
}

/// Totals by category, month and currency, in order of month then category.
pub fn purchase_totals(purchases: &[Purchase]) -> Result<Vec<PurchaseTotal>, String> {
    let mut sums: BTreeMap<(String, String, String), (Decimal, u32)> = BTreeMap::new();
    for p in purchases {
        let month = p.date.get(..7).ok_or_else(|| format!("{} is not a date", shown(&p.date)))?.to_owned();
        let amount = parse_amount(&p.amount)?;
        let entry = sums.entry((month, p.category.clone(), p.currency.clone())).or_insert((Decimal::ZERO, 0));
        entry.0 += amount;
        entry.1 += 1;
    }
    Ok(sums
        .into_iter()
        .map(|((month, category, currency), (total, count))| PurchaseTotal {
            category,
            month,
            currency,
            total: total.to_string(),
            count,
        })
        .collect())
}

/// Computes the value of `target` from the consumer's fact `source` = `value`,
/// on `today`. `source` must be `target` itself (exact) or an item that
/// `target` generalises. The result is validated against `target`.
pub fn derive(target: &ItemName, source: &ItemName, value: &Value, today: NaiveDate) -> Result<Value, ProtocolError> {
    let cannot = |detail: String| ProtocolError::CannotAnswer { item: target.as_str().into(), detail };
    source.validate(value)?;
    let derived = if target == source {
        value.clone()
    } else {
        match (source.as_str(), target.as_str()) {
            ("birthdate", "age_over_18") => {
                let born = parse_date(value.as_str().unwrap_or_default()).map_err(cannot)?;
                json!(age_on(born, today) >= 18)
            }
            ("birthdate", "age_range") => {
                let born = parse_date(value.as_str().unwrap_or_default()).map_err(cannot)?;
                json!(age_range(born, today))
            }
            ("address.postal_code", "address.department") => {
                json!(department_of(value.as_str().unwrap_or_default()).map_err(cannot)?)
            }
            ("purchases", "purchase_totals") => {
                let purchases: Vec<Purchase> =
                    serde_json::from_value(value.clone()).map_err(|e| cannot(e.to_string()))?;
                serde_json::to_value(purchase_totals(&purchases).map_err(cannot)?).map_err(|e| cannot(e.to_string()))?
            }
            _ => return Err(cannot(format!("it cannot be computed from {source}"))),
        }
    };
    target.validate(&derived)?;
    Ok(derived)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_generalisation_names_a_vocabulary_item() {
        for spec in VOCABULARY {
            for g in spec.generalisations {
                assert!(ItemName::lookup(g).is_some(), "{} -> {g}", spec.name);
            }
        }
    }

    #[test]
    fn birthdate_generalises_to_age_range_and_majority() {
        let today = date("2026-11-23");
        let birthdate: ItemName = "birthdate".parse().unwrap();
        let range: ItemName = "age_range".parse().unwrap();
        let over: ItemName = "age_over_18".parse().unwrap();
        assert_eq!(derive(&range, &birthdate, &json!("1990-04-02"), today).unwrap(), json!("35-44"));
        assert_eq!(derive(&over, &birthdate, &json!("2008-11-24"), today).unwrap(), json!(false));
        assert_eq!(derive(&over, &birthdate, &json!("2008-11-23"), today).unwrap(), json!(true));
    }

    #[test]
    fn postal_codes_give_departements_including_corsica_and_overseas() {
        assert_eq!(department_of("75011").unwrap(), "75");
        assert_eq!(department_of("20000").unwrap(), "2A");
        assert_eq!(department_of("20200").unwrap(), "2B");
        assert_eq!(department_of("97400").unwrap(), "974");
        assert!(department_of("SW1A 1AA").is_err());
    }

    #[test]
    fn purchase_totals_are_exact_decimal_sums() {
        let p = |date: &str, amount: &str, category: &str| Purchase {
            date: date.into(),
            merchant: "Shop".into(),
            amount: amount.into(),
            currency: "EUR".into(),
            category: category.into(),
        };
        let totals = purchase_totals(&[
            p("2026-03-01", "0.10", "food"),
            p("2026-03-09", "0.20", "food"),
            p("2026-04-01", "5", "books"),
        ])
        .unwrap();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[0].total, "0.30");
        assert_eq!(totals[0].count, 2);
        assert_eq!(totals[1].month, "2026-04");
    }

    #[test]
    fn values_of_the_wrong_shape_are_refused() {
        let cases = [
            ("email", json!("not-an-address")),
            ("birthdate", json!("02/04/1990")),
            ("age_over_18", json!("yes")),
            ("tessera.household_size", json!(-1)),
            ("age_range", json!("30-40")),
            ("address.department", json!("7")),
            (
                "purchases",
                json!([{"date": "2026-01-01", "merchant": "M", "amount": "1e3", "currency": "EUR", "category": "c"}]),
            ),
            ("given_name", json!("")),
        ];
        for (item, value) in cases {
            let item: ItemName = item.parse().unwrap();
            assert!(item.validate(&value).is_err(), "{item} accepted {value}");
        }
    }

    #[test]
    fn exact_and_generalised_answers_are_in_scope_and_others_are_not() {
        let birthdate: ItemName = "birthdate".parse().unwrap();
        assert!(birthdate.may_be_answered_with(&birthdate));
        assert!(birthdate.may_be_answered_with(&"age_range".parse().unwrap()));
        assert!(!birthdate.may_be_answered_with(&"email".parse().unwrap()));
        let range: ItemName = "age_range".parse().unwrap();
        assert!(!range.may_be_answered_with(&birthdate), "a generalised request cannot be answered with more");
        assert_eq!(range.sources(), vec![range, birthdate]);
    }
}
