//! Money received, kept apart from purchases: salaries, benefits, transfers
//! received, card top-ups, refunds.
//!
//! A bank export mixes money spent and money received. Money received is not
//! a purchase: [`Credits`] is its own collection of `credit` records, so it is
//! never counted as spending and can never reach a brand (the consent code
//! reads purchases only). At import the person chooses to keep credits apart
//! (the default) or to leave them out.
//!
//! **Refunds.** A credit may lower the spending shown for one merchant only
//! when it is clearly a refund from that merchant ([`RefundOf`]), which is
//! decided once, when the credit enters the vault:
//! * typed by the person as a refund from a merchant (`purchase add --refund`);
//! * or, from a file or an earlier version, when its label holds a refund word
//!   ([`REFUND_WORDS`]: *remboursement*, *avoir*, *refund*, *retour*,
//!   *annulation*…), every other meaningful word of the label is a word of the
//!   name of a merchant the person spent money with (card and transfer
//!   vocabulary, numbers and dates aside), and the spending with that merchant
//!   in the same currency, on or before the credit's day, is at least the
//!   credit's amount. Among several such merchants, the most recent one.
//!
//! Any other credit is money received, shown apart and counted nowhere. A
//! refund lowers the total of its merchant's category in the month it was
//! received; it is never shared either.
//!
//! What it must never do: store a credit that does not pass
//! [`Credit::validate`], or let a credit be counted as spending.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{PurchaseProblem, Result, VaultError};
use crate::parse::{fold, folded_words};
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Writer};

/// Money received: always a positive amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub date: NaiveDate,
    /// The label, as the bank or the person wrote it (`VIR SALAIRE ACME`).
    pub label: String,
    /// The amount received, positive.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Set when this credit is a refund from a merchant the person bought from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_of: Option<RefundOf>,
}

/// The merchant a refund comes from, and the category of that merchant's spending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundOf {
    pub merchant: String,
    pub category: String,
}

/// Words that name a refund in a bank label (folded).
pub const REFUND_WORDS: &[&str] = &[
    "remboursement",
    "rembourst",
    "rembt",
    "remb",
    "rbt",
    "avoir",
    "refund",
    "refunded",
    "return",
    "retour",
    "annulation",
    "annul",
];

/// Words of a bank label that say how money moved, not who moved it (folded).
const PAYMENT_WORDS: &[&str] = &[
    "cb",
    "carte",
    "card",
    "paiement",
    "payment",
    "achat",
    "purchase",
    "vir",
    "virement",
    "sepa",
    "inst",
    "transfer",
    "recu",
    "received",
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "par",
    "pour",
    "en",
    "votre",
    "faveur",
    "from",
    "the",
    "of",
    "to",
    "chez",
    "prlv",
    "prelevement",
    "fact",
    "facture",
    "ref",
    "sur",
    "et",
    "au",
    "aux",
];

impl Credit {
    /// Checks the fields a person or a file gave.
    pub fn validate(&self) -> Result<()> {
        let bad = |problem| Err(VaultError::InvalidPurchase(problem));
        if self.label.trim().is_empty() || self.label.chars().count() > 200 || self.label.chars().any(char::is_control)
        {
            return bad(PurchaseProblem::Merchant);
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad(PurchaseProblem::Currency { text: self.currency.clone() });
        }
        if self.amount.is_zero() {
            return bad(PurchaseProblem::ZeroAmount);
        }
        if self.amount.is_sign_negative()
            || self.amount.scale() > 4
            || self.amount >= Decimal::from(1_000_000_000_000i64)
        {
            return bad(PurchaseProblem::Amount { amount: self.amount });
        }
        if self.date.year() < 1900 || self.date.year() > 2200 {
            return bad(PurchaseProblem::Date { date: self.date });
        }
        if let Some(refund) = &self.refund_of {
            if refund.merchant.trim().is_empty() || refund.merchant.chars().any(char::is_control) {
                return bad(PurchaseProblem::Merchant);
            }
            if refund.category.trim().is_empty() || refund.category.chars().any(char::is_control) {
                return bad(PurchaseProblem::Category);
            }
        }
        Ok(())
    }

    /// What makes two credits the same for duplicate detection.
    pub fn duplicate_key(&self) -> (NaiveDate, Decimal, String, String) {
        (self.date, self.amount.normalize(), self.currency.clone(), fold(self.label.trim()))
    }
}

/// Words that name money received in a bank label (folded): pay, benefits, pensions,
/// transfers received. Used only to tell which sign a file gives spending, never to decide
/// on its own that a row is money received.
pub const INCOME_WORDS: &[&str] = &[
    "salaire",
    "salary",
    "payroll",
    "paie",
    "caf",
    "prestation",
    "prestations",
    "allocation",
    "allocations",
    "pension",
    "retraite",
    "cpam",
    "ameli",
    "chomage",
    "interets",
    "dividende",
    "dividendes",
    "recu",
    "received",
    "wage",
    "wages",
];

/// Whether a label holds a word of money received (a refund word or an income word).
pub fn has_income_word(label: &str) -> bool {
    folded_words(label).iter().any(|w| INCOME_WORDS.contains(&w.as_str()) || REFUND_WORDS.contains(&w.as_str()))
}

/// Whether a folded label holds a refund word.
pub fn has_refund_word(label: &str) -> bool {
    folded_words(label).iter().any(|w| REFUND_WORDS.contains(&w.as_str()))
}

/// The words of a label that could name a merchant: refund words, payment
/// vocabulary, one-letter words and anything with a digit (dates, card
/// numbers, references) left out.
pub fn naming_words(label: &str) -> BTreeSet<String> {
    folded_words(label)
        .into_iter()
        .filter(|w| {
            w.chars().count() > 1
                && !w.chars().any(|c| c.is_ascii_digit())
                && !REFUND_WORDS.contains(&w.as_str())
                && !PAYMENT_WORDS.contains(&w.as_str())
        })
        .collect()
}

/// One credit with its id, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedCredit {
    pub id: String,
    #[serde(flatten)]
    pub credit: Credit,
}

fn sort_newest_first(credits: &mut [(RecordId, Credit)]) {
    credits.sort_by(|a, b| b.1.date.cmp(&a.1.date).then_with(|| a.1.label.cmp(&b.1.label)).then_with(|| a.0.cmp(&b.0)));
}

/// Money received: every `credit` record, newest first.
#[derive(Debug, Default)]
pub(crate) struct Credits {
    rows: Vec<(RecordId, Credit)>,
}

impl Credits {
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Credits> {
        let mut rows = store.load(Kind::Credit, key, damaged)?;
        sort_newest_first(&mut rows);
        Ok(Credits { rows })
    }

    /// Writes `credits` as new records (a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, credits: &[Credit]) -> Result<Credits> {
        let mut rows = writer.put_all_new(Kind::Credit, credits.iter().cloned())?;
        sort_newest_first(&mut rows);
        Ok(Credits { rows })
    }

    /// Every credit, newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Credit> {
        self.rows.iter().map(|(_, c)| c)
    }

    /// Every credit with its id, newest first.
    pub(crate) fn listed(&self) -> Vec<ListedCredit> {
        self.rows.iter().map(|(id, credit)| ListedCredit { id: id.hex(), credit: credit.clone() }).collect()
    }

    pub(crate) fn count(&self) -> usize {
        self.rows.len()
    }

    /// Writes credits in `writer`'s transaction; [`Credits::apply`] them once it commits.
    pub(crate) fn stage(writer: &Writer<'_>, credits: Vec<Credit>) -> Result<Vec<(RecordId, Credit)>> {
        writer.put_all_new(Kind::Credit, credits)
    }

    /// Adds credits written in a committed transaction.
    pub(crate) fn apply(&mut self, rows: Vec<(RecordId, Credit)>) {
        self.rows.extend(rows);
        sort_newest_first(&mut self.rows);
    }

    /// Stores credits in one transaction: all of them or none.
    pub(crate) fn add_all(
        &mut self,
        store: &mut RecordStore,
        key: &RecordKey,
        credits: Vec<Credit>,
    ) -> Result<Vec<RecordId>> {
        let writer = store.write(key)?;
        let rows = Self::stage(&writer, credits)?;
        writer.commit()?;
        let ids = rows.iter().map(|(id, _)| *id).collect();
        self.apply(rows);
        Ok(ids)
    }

    /// Deletes one credit.
    pub(crate) fn remove(&mut self, store: &mut RecordStore, key: &RecordKey, id: &RecordId) -> Result<()> {
        let Some(position) = self.rows.iter().position(|(cid, _)| cid == id) else {
            return Err(VaultError::UnknownPurchase { id: id.hex() });
        };
        let writer = store.write(key)?;
        writer.delete(id)?;
        writer.commit()?;
        self.rows.remove(position);
        Ok(())
    }
}

/// The month of a day, as totals name it: `YYYY-MM`.
pub(crate) fn month_of(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_words_leave_out_payment_vocabulary_numbers_and_refund_words() {
        let words = naming_words("AVOIR CB FNAC BELLECOUR 03/04 X1234");
        assert_eq!(words.into_iter().collect::<Vec<_>>(), ["bellecour", "fnac"]);
        assert!(has_refund_word("Remboursement Fnac"));
        assert!(!has_refund_word("VIR SEPA SALAIRE MARS ACME"));
    }
}
