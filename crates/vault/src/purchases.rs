//! Purchase history: entry, search, filters and totals, all in memory after unlock.
//!
//! [`Purchases`] is the collection of `purchase` records, newest first;
//! [`PurchaseEntry`] reads a purchase as a person types it. What it must never
//! do: keep an index of purchases on disk, or store a purchase that does not
//! pass [`Purchase::validate`].

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tessera_protocol::items;

use crate::error::{Result, VaultError};
use crate::parse::{fold, typed_amount, typed_date};
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Writer};

/// One purchase. `amount` is exact; positive for money spent, negative for a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub date: NaiveDate,
    pub merchant: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    pub category: String,
}

/// The category names Tessera suggests (stable identifiers; the app translates them).
pub const CATEGORIES: &[&str] = &[
    "groceries",
    "restaurants",
    "transport",
    "clothing",
    "culture",
    "electronics",
    "health",
    "home",
    "leisure",
    "travel",
    "utilities",
    "other",
];

const CATEGORY_KEYWORDS: &[(&str, &[&str])] = &[
    (
        "groceries",
        &[
            "carrefour",
            "leclerc",
            "auchan",
            "lidl",
            "aldi",
            "monoprix",
            "franprix",
            "intermarche",
            "casino",
            "super u",
            "biocoop",
            "bio c bon",
            "picard",
            "grand frais",
            "epicerie",
            "supermarche",
            "tesco",
            "sainsbury",
        ],
    ),
    (
        "restaurants",
        &[
            "restaurant",
            "brasserie",
            "cafe",
            "mcdonald",
            "burger",
            "pizza",
            "sushi",
            "deliveroo",
            "uber eats",
            "boulangerie",
            "starbucks",
        ],
    ),
    (
        "transport",
        &[
            "sncf",
            "ratp",
            "uber",
            "bolt",
            "blablacar",
            "navigo",
            "total",
            "shell",
            "esso",
            "bp ",
            "parking",
            "peage",
            "velib",
        ],
    ),
    ("clothing", &["zara", "h&m", "uniqlo", "decathlon", "kiabi", "celio", "galeries lafayette", "vinted", "primark"]),
    ("culture", &["fnac", "cultura", "librairie", "cinema", "ugc", "gaumont", "spotify", "netflix", "deezer", "musee"]),
    ("electronics", &["darty", "boulanger", "apple", "ldlc", "samsung"]),
    ("health", &["pharmacie", "pharmacy", "docteur", "medecin", "opticien", "dentiste"]),
    ("home", &["ikea", "leroy merlin", "castorama", "but ", "conforama", "maisons du monde"]),
    ("travel", &["airbnb", "booking", "hotel", "air france", "easyjet", "ryanair"]),
    ("utilities", &["edf", "engie", "orange", "sfr", "free mobile", "bouygues", "veolia"]),
];

/// A category suggested from the merchant's name, `other` when nothing matches.
pub fn suggest_category(merchant: &str) -> &'static str {
    let folded = format!("{} ", fold(merchant));
    CATEGORY_KEYWORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| folded.contains(w)))
        .map(|(c, _)| *c)
        .unwrap_or("other")
}

impl Purchase {
    /// Checks the fields a person or a file gave.
    pub fn validate(&self) -> Result<()> {
        let bad = |detail: String| Err(VaultError::InvalidInput(detail));
        if self.merchant.trim().is_empty()
            || self.merchant.chars().count() > 200
            || self.merchant.chars().any(char::is_control)
        {
            return bad("the merchant must be 1 to 200 characters on one line".into());
        }
        if self.category.trim().is_empty()
            || self.category.chars().count() > 60
            || self.category.chars().any(char::is_control)
        {
            return bad("the category must be 1 to 60 characters on one line".into());
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad(format!("{:?} is not a currency code such as EUR", self.currency));
        }
        if self.amount.scale() > 4 || self.amount.abs() >= Decimal::from(1_000_000_000_000i64) {
            return bad(format!("{} is not a plausible amount", self.amount));
        }
        if self.date.year() < 1900 || self.date.year() > 2200 {
            return bad(format!("{} is not a plausible date", self.date));
        }
        Ok(())
    }

    /// What makes two purchases the same for duplicate detection.
    pub fn duplicate_key(&self) -> (NaiveDate, Decimal, String, String) {
        (self.date, self.amount.normalize(), self.currency.clone(), fold(self.merchant.trim()))
    }

    /// The form shared in a packet.
    pub fn to_shared(&self) -> items::Purchase {
        items::Purchase {
            date: self.date.format("%Y-%m-%d").to_string(),
            merchant: self.merchant.clone(),
            amount: self.amount.to_string(),
            currency: self.currency.clone(),
            category: self.category.clone(),
        }
    }
}

/// Filters over the purchase list; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PurchaseFilter {
    /// Words to find in the merchant or category (accents and case ignored).
    pub search: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub category: Option<String>,
    pub merchant: Option<String>,
}

/// One purchase with its id, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedPurchase {
    pub id: String,
    #[serde(flatten)]
    pub purchase: Purchase,
}

/// A page of matching purchases, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchasePage {
    pub total_matching: usize,
    pub rows: Vec<ListedPurchase>,
}

/// A total for one category (and month, currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Total {
    pub category: String,
    /// `YYYY-MM`, or `None` for all months.
    pub month: Option<String>,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub count: u32,
}

/// Totals by category, and by category and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub by_category: Vec<Total>,
    pub by_month: Vec<Total>,
}

struct Matcher {
    words: Vec<String>,
    category: Option<String>,
    merchant: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Matcher {
    fn new(filter: &PurchaseFilter) -> Matcher {
        Matcher {
            words: filter.search.as_deref().map(|s| s.split_whitespace().map(fold).collect()).unwrap_or_default(),
            category: filter.category.as_deref().map(fold),
            merchant: filter.merchant.as_deref().map(fold),
            from: filter.from,
            to: filter.to,
        }
    }

    fn matches(&self, p: &Purchase) -> bool {
        if self.from.is_some_and(|from| p.date < from) || self.to.is_some_and(|to| p.date > to) {
            return false;
        }
        if self.category.as_ref().is_some_and(|c| fold(&p.category) != *c) {
            return false;
        }
        if self.merchant.as_ref().is_some_and(|m| !fold(&p.merchant).contains(m.as_str())) {
            return false;
        }
        if !self.words.is_empty() {
            let haystack = format!("{} {}", fold(&p.merchant), fold(&p.category));
            return self.words.iter().all(|w| haystack.contains(w.as_str()));
        }
        true
    }
}

fn sort_newest_first(purchases: &mut [(RecordId, Purchase)]) {
    purchases.sort_by(|a, b| {
        b.1.date.cmp(&a.1.date).then_with(|| a.1.merchant.cmp(&b.1.merchant)).then_with(|| a.0.cmp(&b.0))
    });
}

/// A purchase as a person types it: the app's form, `tessera vault purchase add`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurchaseEntry {
    /// `2026-03-14` or `14/03/2026`.
    pub date: String,
    pub merchant: String,
    /// `12.50` or `12,50`; negative for a refund.
    pub amount: String,
    pub currency: String,
    /// Suggested from the merchant when empty.
    pub category: Option<String>,
}

impl PurchaseEntry {
    /// Reads the entry: the date day first ([`typed_date`]), the amount with a
    /// decimal comma or point ([`typed_amount`]), the merchant trimmed, the
    /// currency trimmed and in capitals, and the category suggested from the
    /// merchant when none is given. The result still needs [`Purchase::validate`].
    pub fn read(&self) -> Result<Purchase> {
        let date = typed_date(&self.date)?;
        let amount = typed_amount(&self.amount)?;
        let category = self
            .category
            .clone()
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| suggest_category(&self.merchant).to_owned());
        Ok(Purchase {
            date,
            merchant: self.merchant.trim().to_owned(),
            amount,
            currency: self.currency.trim().to_uppercase(),
            category,
        })
    }
}

/// The purchase history: every `purchase` record, newest first.
#[derive(Default)]
pub(crate) struct Purchases {
    rows: Vec<(RecordId, Purchase)>,
}

impl Purchases {
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Purchases> {
        let mut rows = store.load(Kind::Purchase, key, damaged)?;
        sort_newest_first(&mut rows);
        Ok(Purchases { rows })
    }

    /// Writes `purchases` as new records (a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, purchases: &[Purchase]) -> Result<Purchases> {
        let mut rows = writer.put_all_new(Kind::Purchase, purchases.iter().cloned())?;
        sort_newest_first(&mut rows);
        Ok(Purchases { rows })
    }

    /// Every purchase, newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Purchase> {
        self.rows.iter().map(|(_, p)| p)
    }

    /// How many purchases there are.
    pub(crate) fn count(&self) -> usize {
        self.rows.len()
    }

    /// Stores purchases in one transaction: all of them or none.
    pub(crate) fn add_all(
        &mut self,
        store: &mut RecordStore,
        key: &RecordKey,
        purchases: Vec<Purchase>,
    ) -> Result<Vec<RecordId>> {
        let writer = store.write(key)?;
        let rows = writer.put_all_new(Kind::Purchase, purchases)?;
        writer.commit()?;
        let ids = rows.iter().map(|(id, _)| *id).collect();
        self.rows.extend(rows);
        sort_newest_first(&mut self.rows);
        Ok(ids)
    }

    /// Deletes one purchase, by the id shown in listings.
    pub(crate) fn remove(&mut self, store: &mut RecordStore, key: &RecordKey, id: &str) -> Result<()> {
        let id =
            RecordId::parse_hex(id).ok_or_else(|| VaultError::InvalidInput(format!("{id:?} is not a purchase id")))?;
        let Some(position) = self.rows.iter().position(|(pid, _)| *pid == id) else {
            return Err(VaultError::InvalidInput(format!("no purchase {}", id.hex())));
        };
        let writer = store.write(key)?;
        writer.delete(&id)?;
        writer.commit()?;
        self.rows.remove(position);
        Ok(())
    }

    /// Purchases matching `filter`, newest first, `limit` from `offset`.
    pub(crate) fn page(&self, filter: &PurchaseFilter, offset: usize, limit: usize) -> PurchasePage {
        let matcher = Matcher::new(filter);
        let mut total_matching = 0;
        let mut rows = Vec::with_capacity(limit.min(500));
        for (id, p) in &self.rows {
            if matcher.matches(p) {
                if total_matching >= offset && rows.len() < limit {
                    rows.push(ListedPurchase { id: id.hex(), purchase: p.clone() });
                }
                total_matching += 1;
            }
        }
        PurchasePage { total_matching, rows }
    }

    /// Every purchase matching `filter`.
    pub(crate) fn matching(&self, filter: &PurchaseFilter) -> Vec<Purchase> {
        let matcher = Matcher::new(filter);
        self.rows.iter().filter(|(_, p)| matcher.matches(p)).map(|(_, p)| p.clone()).collect()
    }

    /// Totals of the purchases matching `filter`, by category and by category and month.
    pub(crate) fn totals(&self, filter: &PurchaseFilter) -> Totals {
        let matcher = Matcher::new(filter);
        let mut by_category: BTreeMap<(&str, &str), (Decimal, u32)> = BTreeMap::new();
        let mut by_month: BTreeMap<(String, &str, &str), (Decimal, u32)> = BTreeMap::new();
        for (_, p) in &self.rows {
            if !matcher.matches(p) {
                continue;
            }
            let entry = by_category.entry((p.category.as_str(), p.currency.as_str())).or_default();
            entry.0 += p.amount;
            entry.1 += 1;
            let month = format!("{:04}-{:02}", p.date.year(), p.date.month());
            let entry = by_month.entry((month, p.category.as_str(), p.currency.as_str())).or_default();
            entry.0 += p.amount;
            entry.1 += 1;
        }
        let mut by_category: Vec<Total> = by_category
            .into_iter()
            .map(|((category, currency), (total, count))| Total {
                category: category.into(),
                month: None,
                currency: currency.into(),
                total,
                count,
            })
            .collect();
        by_category.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.category.cmp(&b.category)));
        let by_month = by_month
            .into_iter()
            .map(|((month, category, currency), (total, count))| Total {
                category: category.into(),
                month: Some(month),
                currency: currency.into(),
                total,
                count,
            })
            .collect();
        Totals { by_category, by_month }
    }
}

/// Editing one purchase in place.
impl Purchases {
    /// Replaces the purchase with id `id` (as shown in listings) by `purchase`, keeping its id.
    pub(crate) fn replace(
        &mut self,
        store: &mut RecordStore,
        key: &RecordKey,
        id: &str,
        purchase: Purchase,
    ) -> Result<()> {
        let unknown = || VaultError::UnknownPurchase { id: id.to_owned() };
        let id = RecordId::parse_hex(id).ok_or_else(unknown)?;
        let position = self.rows.iter().position(|(pid, _)| *pid == id).ok_or_else(unknown)?;
        let writer = store.write(key)?;
        writer.put(Kind::Purchase, &id, &purchase)?;
        writer.commit()?;
        self.rows[position].1 = purchase;
        sort_newest_first(&mut self.rows);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_purchase_is_read_with_a_suggested_category() {
        let entry = PurchaseEntry {
            date: "14/03/2026".into(),
            merchant: " Fnac ".into(),
            amount: "12,50".into(),
            currency: "eur ".into(),
            category: Some(" ".into()),
        };
        let purchase = entry.read().unwrap();
        assert_eq!(purchase.date, NaiveDate::from_ymd_opt(2026, 3, 14).unwrap());
        assert_eq!((purchase.merchant.as_str(), purchase.currency.as_str()), ("Fnac", "EUR"));
        assert_eq!(purchase.amount, Decimal::new(1250, 2));
        assert_eq!(purchase.category, "culture");
        assert!(PurchaseEntry { amount: "douze".into(), ..entry.clone() }.read().is_err());
        assert!(PurchaseEntry { date: "2026-13-01".into(), ..entry }.read().is_err());
    }

    #[test]
    fn merchants_suggest_categories_whatever_their_accents() {
        assert_eq!(suggest_category("CARREFOUR MARKET PARIS"), "groceries");
        assert_eq!(suggest_category("Intermarché"), "groceries");
        assert_eq!(suggest_category("SNCF Voyageurs"), "transport");
        assert_eq!(suggest_category("Chez Paulette"), "other");
    }
}
