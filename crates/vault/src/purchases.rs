//! Purchase history: money spent — entry, search, filters and totals, all in memory after unlock.
//!
//! [`Purchases`] is the collection of `purchase` records, newest first. A
//! purchase is money spent: its amount is never negative (money received is a
//! [`Credit`](crate::credits::Credit), kept apart). [`PurchaseEntry`] reads a
//! purchase as a person types it. Totals lower a merchant's category by the
//! refunds clearly identified as coming from that merchant
//! ([`crate::credits`] states the rule); nothing else received counts.
//!
//! Records sealed by schema 1 (before money received was kept apart) may hold
//! negative amounts; [`migrate_schema_1`] moves them apart once, at unlock,
//! and says how many it moved.
//!
//! What it must never do: keep an index of purchases on disk, store a
//! purchase that does not pass [`Purchase::validate`], or count money
//! received as spending.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tessera_protocol::items;

use crate::credits::{has_refund_word, month_of, naming_words, Credit, Credits, RefundOf};
use crate::error::{PurchaseProblem, Result, VaultError};
use crate::parse::{exact_amount, fold, typed_amount, typed_date};
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Writer};

/// One purchase: money spent. `amount` is exact and never negative.
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
        let bad = |problem| Err(VaultError::InvalidPurchase(problem));
        if self.merchant.trim().is_empty()
            || self.merchant.chars().count() > 200
            || self.merchant.chars().any(char::is_control)
        {
            return bad(PurchaseProblem::Merchant);
        }
        if self.category.trim().is_empty()
            || self.category.chars().count() > 60
            || self.category.chars().any(char::is_control)
        {
            return bad(PurchaseProblem::Category);
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad(PurchaseProblem::Currency { text: self.currency.clone() });
        }
        if self.amount.is_sign_negative() && !self.amount.is_zero() {
            return Err(VaultError::NotSpending { text: self.amount.to_string() });
        }
        if self.amount.scale() > 4 || self.amount >= Decimal::from(1_000_000_000_000i64) {
            return bad(PurchaseProblem::Amount { amount: self.amount });
        }
        if self.date.year() < 1900 || self.date.year() > 2200 {
            return bad(PurchaseProblem::Date { date: self.date });
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
    /// Money spent, less the refunds identified as coming from merchants of this category.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// The refunds subtracted (zero when none).
    #[serde(with = "rust_decimal::serde::str")]
    pub refunded: Decimal,
    /// How many purchases.
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

    fn matches_fields(&self, date: NaiveDate, merchant: &str, category: &str) -> bool {
        if self.from.is_some_and(|from| date < from) || self.to.is_some_and(|to| date > to) {
            return false;
        }
        if self.category.as_ref().is_some_and(|c| fold(category) != *c) {
            return false;
        }
        if self.merchant.as_ref().is_some_and(|m| !fold(merchant).contains(m.as_str())) {
            return false;
        }
        if !self.words.is_empty() {
            let haystack = format!("{} {}", fold(merchant), fold(category));
            return self.words.iter().all(|w| haystack.contains(w.as_str()));
        }
        true
    }

    fn matches(&self, p: &Purchase) -> bool {
        self.matches_fields(p.date, &p.merchant, &p.category)
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
    /// `2026-03-14`, `14/03/2026` or `14 mars 2026`.
    pub date: String,
    pub merchant: String,
    /// `12.50`, `12,50`, `1 234,56` or `1,234.56`: money spent, without a sign.
    pub amount: String,
    pub currency: String,
    /// Suggested from the merchant when empty.
    pub category: Option<String>,
}

impl PurchaseEntry {
    /// Reads the entry: the date day first ([`typed_date`]), the amount with a
    /// decimal comma or point ([`typed_amount`]: an amount that could mean two
    /// things is refused), never negative (money spent; a refund is entered
    /// with [`PurchaseEntry::read_refund`]), the merchant trimmed, the
    /// currency trimmed and in capitals, and the category suggested from the
    /// merchant when none is given. The result still needs [`Purchase::validate`].
    pub fn read(&self) -> Result<Purchase> {
        let (date, amount) = self.date_and_amount()?;
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

    /// Reads the entry as a refund received from its merchant (amount without
    /// a sign, the money received). The category is the one given, else that
    /// of the latest spending with this merchant in `purchases`, else suggested.
    pub(crate) fn read_refund(&self, purchases: &Purchases) -> Result<Credit> {
        let (date, amount) = self.date_and_amount()?;
        let merchant = self.merchant.trim().to_owned();
        let currency = self.currency.trim().to_uppercase();
        // A refund gives back money spent with this merchant: never more than was spent there by then.
        let spent: Decimal = purchases
            .iter()
            .filter(|p| fold(p.merchant.trim()) == fold(&merchant) && p.currency == currency && p.date <= date)
            .map(|p| p.amount)
            .sum();
        if spent < amount {
            return Err(VaultError::RefundBeyondSpending { merchant, spent: exact_amount(spent), currency });
        }
        let category = self
            .category
            .clone()
            .filter(|c| !c.trim().is_empty())
            .or_else(|| purchases.category_of(&merchant))
            .unwrap_or_else(|| suggest_category(&merchant).to_owned());
        Ok(Credit { date, label: merchant.clone(), amount, currency, refund_of: Some(RefundOf { merchant, category }) })
    }

    fn date_and_amount(&self) -> Result<(NaiveDate, Decimal)> {
        let date = typed_date(&self.date)?;
        let amount = typed_amount(&self.amount)?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(VaultError::NotSpending { text: self.amount.trim().to_owned() });
        }
        Ok((date, amount))
    }
}

/// Finds which merchant a credit refunds, by the rule of [`crate::credits`].
pub(crate) struct RefundFinder<'a> {
    merchants: Vec<MerchantSpending<'a>>,
    by_name: HashMap<String, usize>,
}

struct MerchantSpending<'a> {
    name: &'a str,
    words: std::collections::BTreeSet<String>,
    /// Day, currency, amount and category of each purchase, oldest first.
    spending: Vec<(NaiveDate, &'a str, Decimal, &'a str)>,
}

impl<'a> RefundFinder<'a> {
    pub(crate) fn new(purchases: impl Iterator<Item = &'a Purchase>) -> RefundFinder<'a> {
        let mut finder = RefundFinder { merchants: Vec::new(), by_name: HashMap::new() };
        for p in purchases {
            let key = fold(p.merchant.trim());
            let index = *finder.by_name.entry(key).or_insert_with(|| {
                finder.merchants.push(MerchantSpending {
                    name: &p.merchant,
                    words: naming_words(&p.merchant),
                    spending: Vec::new(),
                });
                finder.merchants.len() - 1
            });
            finder.merchants[index].spending.push((p.date, &p.currency, p.amount, &p.category));
        }
        for merchant in &mut finder.merchants {
            merchant.spending.sort_by_key(|(date, ..)| *date);
        }
        finder
    }

    /// Spending with `merchant` in `currency` up to `day`: its total, and the latest purchase's day and category.
    fn spent_until(
        merchant: &MerchantSpending<'a>,
        currency: &str,
        day: NaiveDate,
    ) -> (Decimal, Option<(NaiveDate, &'a str)>) {
        let mut total = Decimal::ZERO;
        let mut latest = None;
        for (date, cur, amount, category) in &merchant.spending {
            if *date <= day && *cur == currency {
                total += amount;
                latest = Some((*date, *category));
            }
        }
        (total, latest)
    }

    /// The merchant `credit` clearly refunds, if any (see [`crate::credits`]).
    pub(crate) fn refund_of(&self, credit: &Credit) -> Option<RefundOf> {
        if !has_refund_word(&credit.label) {
            return None;
        }
        let words = naming_words(&credit.label);
        if words.is_empty() {
            return None;
        }
        let mut best: Option<(NaiveDate, &'a str, &'a str)> = None;
        for merchant in &self.merchants {
            if !words.iter().all(|w| merchant.words.contains(w)) {
                continue;
            }
            let (spent, latest) = Self::spent_until(merchant, &credit.currency, credit.date);
            let Some((day, category)) = latest else { continue };
            if spent >= credit.amount && best.is_none_or(|(best_day, ..)| day > best_day) {
                best = Some((day, merchant.name, category));
            }
        }
        best.map(|(_, merchant, category)| RefundOf { merchant: merchant.to_owned(), category: category.to_owned() })
    }

    /// For money received that an earlier version kept as a negative purchase
    /// of `merchant`: a refund when the person also spent money with a
    /// merchant of exactly that name (or by the general rule).
    fn legacy_refund_of(&self, credit: &Credit, category: &str) -> Option<RefundOf> {
        if let Some(&index) = self.by_name.get(&fold(credit.label.trim())) {
            let merchant = &self.merchants[index];
            if merchant.spending.iter().any(|(_, currency, ..)| *currency == credit.currency) {
                return Some(RefundOf { merchant: merchant.name.to_owned(), category: category.to_owned() });
            }
        }
        self.refund_of(credit).map(|refund| RefundOf { category: category.to_owned(), ..refund })
    }
}

/// What moving schema-1 purchases apart did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LegacyCredits {
    /// Negative amounts moved to money received.
    pub moved: usize,
    /// Of those, how many were identified as refunds from a merchant.
    pub refunds: usize,
}

/// Splits purchases written by schema 1 (negative for money received) into
/// purchases and credits; the refund rule of [`crate::credits`] applies, and
/// a negative amount named exactly like a merchant the person bought from is
/// a refund from it.
pub(crate) fn split_schema_1(purchases: Vec<Purchase>) -> (Vec<Purchase>, Vec<Credit>, LegacyCredits) {
    let (received, spent): (Vec<Purchase>, Vec<Purchase>) = purchases.into_iter().partition(is_money_received);
    let finder = RefundFinder::new(spent.iter());
    let mut report = LegacyCredits::default();
    let credits = received.iter().map(|p| legacy_credit(&finder, p, &mut report)).collect();
    (spent, credits, report)
}

/// Whether a schema-1 purchase is money received (a negative amount).
fn is_money_received(p: &Purchase) -> bool {
    p.amount.is_sign_negative() && !p.amount.is_zero()
}

/// The credit a schema-1 negative purchase stands for.
fn legacy_credit(finder: &RefundFinder<'_>, p: &Purchase, report: &mut LegacyCredits) -> Credit {
    let mut credit = Credit {
        date: p.date,
        label: p.merchant.clone(),
        amount: -p.amount,
        currency: p.currency.clone(),
        refund_of: None,
    };
    credit.refund_of = finder.legacy_refund_of(&credit, &p.category);
    report.moved += 1;
    report.refunds += usize::from(credit.refund_of.is_some());
    credit
}

/// Moves money received out of purchase records sealed by schema 1, in one
/// transaction: negative amounts become credits, the others are sealed again
/// under the current schema. Returns `None` when there is nothing to move.
pub(crate) fn migrate_schema_1(store: &mut RecordStore, key: &RecordKey) -> Result<Option<LegacyCredits>> {
    let old_ids = store.ids_older_than(Kind::Purchase, 2)?;
    if old_ids.is_empty() {
        return Ok(None);
    }
    let old_ids: std::collections::HashSet<RecordId> = old_ids.into_iter().collect();
    // Records that do not open are reported by the load that follows; they are left as they are.
    let all: Vec<(RecordId, Purchase)> = store.load(Kind::Purchase, key, &mut Vec::new())?;
    let finder = RefundFinder::new(all.iter().map(|(_, p)| p).filter(|p| !is_money_received(p)));
    let mut report = LegacyCredits::default();
    let writer = store.write(key)?;
    for (id, purchase) in all.iter().filter(|(id, _)| old_ids.contains(id)) {
        if is_money_received(purchase) {
            writer.delete(id)?;
            writer.put(Kind::Credit, &RecordId::random(), &legacy_credit(&finder, purchase, &mut report))?;
        } else {
            writer.put(Kind::Purchase, id, purchase)?;
        }
    }
    writer.commit()?;
    // A record that did not open keeps its old version and is looked at again at the next
    // unlock; there is nothing to tell until something was actually moved.
    Ok((report.moved > 0).then_some(report))
}

/// The purchase history: every `purchase` record, newest first.
#[derive(Debug, Default)]
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

    /// The category of the latest purchase from a merchant of this name (accents and case ignored).
    pub(crate) fn category_of(&self, merchant: &str) -> Option<String> {
        let key = fold(merchant.trim());
        self.rows.iter().find(|(_, p)| fold(p.merchant.trim()) == key).map(|(_, p)| p.category.clone())
    }

    /// Writes purchases in `writer`'s transaction; [`Purchases::apply`] them once it commits.
    pub(crate) fn stage(writer: &Writer<'_>, purchases: Vec<Purchase>) -> Result<Vec<(RecordId, Purchase)>> {
        writer.put_all_new(Kind::Purchase, purchases)
    }

    /// Adds purchases written in a committed transaction.
    pub(crate) fn apply(&mut self, rows: Vec<(RecordId, Purchase)>) {
        self.rows.extend(rows);
        sort_newest_first(&mut self.rows);
    }

    /// Stores purchases in one transaction: all of them or none.
    pub(crate) fn add_all(
        &mut self,
        store: &mut RecordStore,
        key: &RecordKey,
        purchases: Vec<Purchase>,
    ) -> Result<Vec<RecordId>> {
        let writer = store.write(key)?;
        let rows = Self::stage(&writer, purchases)?;
        writer.commit()?;
        let ids = rows.iter().map(|(id, _)| *id).collect();
        self.apply(rows);
        Ok(ids)
    }

    /// Whether `id` is one of these purchases.
    pub(crate) fn contains(&self, id: &RecordId) -> bool {
        self.rows.iter().any(|(pid, _)| pid == id)
    }

    /// Deletes one purchase, by the id shown in listings.
    pub(crate) fn remove(&mut self, store: &mut RecordStore, key: &RecordKey, id: &RecordId) -> Result<()> {
        let Some(position) = self.rows.iter().position(|(pid, _)| pid == id) else {
            return Err(VaultError::UnknownPurchase { id: id.hex() });
        };
        let writer = store.write(key)?;
        writer.delete(id)?;
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

    /// Totals of the purchases matching `filter`, by category and by category
    /// and month, less the identified refunds among `credits` that match it
    /// (by their merchant and category). Other credits count nowhere.
    pub(crate) fn totals(&self, filter: &PurchaseFilter, credits: &Credits) -> Totals {
        type Sums = (Decimal, Decimal, u32);
        let matcher = Matcher::new(filter);
        let mut by_category: BTreeMap<(&str, &str), Sums> = BTreeMap::new();
        let mut by_month: BTreeMap<(String, &str, &str), Sums> = BTreeMap::new();
        for (_, p) in &self.rows {
            if !matcher.matches(p) {
                continue;
            }
            let entry = by_category.entry((p.category.as_str(), p.currency.as_str())).or_default();
            entry.0 += p.amount;
            entry.2 += 1;
            let entry = by_month.entry((month_of(p.date), p.category.as_str(), p.currency.as_str())).or_default();
            entry.0 += p.amount;
            entry.2 += 1;
        }
        for credit in credits.iter() {
            let Some(refund) = &credit.refund_of else { continue };
            if !matcher.matches_fields(credit.date, &refund.merchant, &refund.category) {
                continue;
            }
            by_category.entry((refund.category.as_str(), credit.currency.as_str())).or_default().1 += credit.amount;
            by_month
                .entry((month_of(credit.date), refund.category.as_str(), credit.currency.as_str()))
                .or_default()
                .1 += credit.amount;
        }
        // Refunds offset spending, never beyond it: a total is never negative.
        let total = |category: &str, month: Option<String>, currency: &str, (spent, refunded, count): Sums| {
            let refunded = refunded.min(spent).max(Decimal::ZERO);
            Total {
                category: category.into(),
                month,
                currency: currency.into(),
                total: spent - refunded,
                refunded,
                count,
            }
        };
        // A refund where nothing was spent (another month, or outside the filter) offsets nothing here.
        let by_category = by_category.into_iter().filter(|(_, (.., count))| *count > 0);
        let by_month = by_month.into_iter().filter(|(_, (.., count))| *count > 0);
        let mut by_category: Vec<Total> =
            by_category.map(|((category, currency), sums)| total(category, None, currency, sums)).collect();
        by_category.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.category.cmp(&b.category)));
        let by_month =
            by_month.map(|((month, category, currency), sums)| total(category, Some(month), currency, sums)).collect();
        Totals { by_category, by_month }
    }
}

/// An amount as listings and scripts show it: exact, at least two decimals (see [`exact_amount`]).
pub fn shown_amount(amount: Decimal) -> String {
    exact_amount(amount)
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
        assert!(PurchaseEntry { date: "2026-13-01".into(), ..entry.clone() }.read().is_err());
        assert!(matches!(
            PurchaseEntry { amount: "-15".into(), ..entry.clone() }.read(),
            Err(VaultError::NotSpending { .. })
        ));
        assert!(matches!(
            PurchaseEntry { amount: "1,299".into(), ..entry }.read(),
            Err(VaultError::AmbiguousAmount { .. })
        ));
    }

    #[test]
    fn merchants_suggest_categories_whatever_their_accents() {
        assert_eq!(suggest_category("CARREFOUR MARKET PARIS"), "groceries");
        assert_eq!(suggest_category("Intermarché"), "groceries");
        assert_eq!(suggest_category("SNCF Voyageurs"), "transport");
        assert_eq!(suggest_category("Chez Paulette"), "other");
    }

    fn purchase(date: &str, merchant: &str, amount: &str, category: &str) -> Purchase {
        Purchase {
            date: date.parse().unwrap(),
            merchant: merchant.into(),
            amount: Decimal::from_str_exact(amount).unwrap(),
            currency: "EUR".into(),
            category: category.into(),
        }
    }

    fn credit(date: &str, label: &str, amount: &str) -> Credit {
        Credit {
            date: date.parse().unwrap(),
            label: label.into(),
            amount: Decimal::from_str_exact(amount).unwrap(),
            currency: "EUR".into(),
            refund_of: None,
        }
    }

    #[test]
    fn a_refund_is_identified_only_with_a_refund_word_a_known_merchant_and_enough_spending() {
        let purchases = [
            purchase("2026-03-20", "FNAC BELLECOUR", "129.90", "culture"),
            purchase("2026-03-21", "CB CARREFOUR LYON 21/03", "42.10", "groceries"),
        ];
        let finder = RefundFinder::new(purchases.iter());
        let found = |c: Credit| finder.refund_of(&c).map(|r| r.merchant);
        assert_eq!(found(credit("2026-04-03", "REMBOURSEMENT FNAC", "15")), Some("FNAC BELLECOUR".into()));
        assert_eq!(
            found(credit("2026-04-03", "AVOIR CB CARREFOUR 02/04", "4.20")),
            Some("CB CARREFOUR LYON 21/03".into())
        );
        assert_eq!(found(credit("2026-04-03", "FNAC BELLECOUR", "15")), None, "no refund word");
        assert_eq!(found(credit("2026-04-03", "REMBOURSEMENT CPAM", "15")), None, "not a merchant bought from");
        assert_eq!(found(credit("2026-04-03", "REMBOURSEMENT FNAC", "500")), None, "more than was spent there");
        assert_eq!(found(credit("2026-03-01", "REMBOURSEMENT FNAC", "15")), None, "before any purchase there");
        assert_eq!(found(credit("2026-04-03", "REMBOURSEMENT", "15")), None, "no merchant named");
    }

    #[test]
    fn schema_1_negatives_become_credits_and_named_merchants_make_refunds() {
        let (spent, credits, report) = split_schema_1(vec![
            purchase("2026-03-20", "Fnac", "1299.90", "culture"),
            purchase("2026-04-03", "Fnac", "-15", "culture"),
            purchase("2026-04-25", "VIR SEPA SALAIRE ACME", "-2350.00", "other"),
        ]);
        assert_eq!(spent.len(), 1);
        assert_eq!(report, LegacyCredits { moved: 2, refunds: 1 });
        assert_eq!(credits[0].refund_of, Some(RefundOf { merchant: "Fnac".into(), category: "culture".into() }));
        assert_eq!(credits[0].amount, Decimal::from(15));
        assert_eq!(credits[1].refund_of, None);
    }

    #[test]
    fn totals_count_spending_less_identified_refunds_and_nothing_else_received() {
        let mut purchases = Purchases::default();
        purchases.apply(vec![
            (RecordId::random(), purchase("2026-03-20", "Fnac", "1299.90", "culture")),
            (RecordId::random(), purchase("2026-03-14", "Carrefour", "42.10", "groceries")),
        ]);
        let mut credits = Credits::default();
        let mut refund = credit("2026-04-03", "REMBOURSEMENT FNAC", "15");
        refund.refund_of = Some(RefundOf { merchant: "Fnac".into(), category: "culture".into() });
        credits.apply(vec![
            (RecordId::random(), refund),
            (RecordId::random(), credit("2026-04-25", "VIR SALAIRE", "2350")),
        ]);
        let totals = purchases.totals(&PurchaseFilter::default(), &credits);
        let culture = totals.by_category.iter().find(|t| t.category == "culture").unwrap();
        assert_eq!((culture.total, culture.refunded, culture.count), (Decimal::new(128490, 2), Decimal::from(15), 1));
        let all: Decimal = totals.by_category.iter().map(|t| t.total).sum();
        assert_eq!(all, Decimal::new(132700, 2), "1299.90 + 42.10 - 15: the salary counts nowhere");
        let groceries_only =
            purchases.totals(&PurchaseFilter { category: Some("groceries".into()), ..Default::default() }, &credits);
        assert_eq!(groceries_only.by_category.len(), 1);
        assert!(groceries_only.by_category[0].refunded.is_zero());
    }
}
