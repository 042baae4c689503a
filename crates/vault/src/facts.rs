//! Profile facts: typed values from the item vocabulary, each with a sensitivity.
//!
//! [`Facts`] is the collection of `fact` records, one per item. What it must
//! never do: store a fact that is not a profile fact (generalised forms and
//! purchase history are computed when sharing) or a value its item refuses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_protocol::items::{Family, ValueKind, VOCABULARY};
use tessera_protocol::ItemName;

use crate::error::{Result, VaultError};
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Writer};

/// How freely a fact may be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Shown as fine to share; still never shared without the consumer's approval.
    ShareFreely,
    /// Asked each time (the default).
    AskMe,
    /// Refused automatically, and requests for it are flagged.
    NeverShare,
}

impl Sensitivity {
    pub fn parse(text: &str) -> Option<Sensitivity> {
        match text {
            "share_freely" | "share-freely" | "share" => Some(Sensitivity::ShareFreely),
            "ask_me" | "ask-me" | "ask" => Some(Sensitivity::AskMe),
            "never_share" | "never-share" | "never" => Some(Sensitivity::NeverShare),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::ShareFreely => "share_freely",
            Sensitivity::AskMe => "ask_me",
            Sensitivity::NeverShare => "never_share",
        }
    }
}

/// One profile fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub item: ItemName,
    pub value: Value,
    pub sensitivity: Sensitivity,
}

/// Whether `item` is something a person states about themselves (not a
/// generalised form, not purchase history).
pub fn is_profile_fact(item: &ItemName) -> bool {
    item.spec().family != Family::Generalised && item.spec().kind != ValueKind::Purchases
}

/// Turns what a person typed into the value an item needs: numbers for
/// counts, lists (comma-separated) for lists, text otherwise.
pub fn value_from_text(item: &ItemName, text: &str) -> Result<Value> {
    let text = text.trim();
    let value = match item.spec().kind {
        ValueKind::Count => Value::from(
            text.parse::<u64>().map_err(|_| VaultError::NotAWholeNumber { item: *item, text: text.to_owned() })?,
        ),
        ValueKind::TextList => {
            Value::from(text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect::<Vec<_>>())
        }
        ValueKind::Boolean => Value::from(matches!(text, "true" | "yes" | "oui" | "1")),
        _ => Value::from(text),
    };
    item.validate(&value)?;
    Ok(value)
}

/// Reads an item name as a person types it (`email`, `address.postal_code`);
/// an unknown name is answered with the list of profile facts.
pub fn parse_fact_item(name: &str) -> Result<ItemName> {
    name.parse().map_err(|_| {
        let known = VOCABULARY
            .iter()
            .filter(|s| ItemName::lookup(s.name).is_some_and(|i| is_profile_fact(&i)))
            .map(|s| s.name)
            .collect();
        VaultError::UnknownFact { name: name.to_owned(), known }
    })
}

/// The profile facts: every `fact` record, one per item, in vocabulary-name order.
#[derive(Default)]
pub(crate) struct Facts {
    by_item: BTreeMap<ItemName, (RecordId, Fact)>,
}

impl Facts {
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Facts> {
        let records = store.load::<Fact>(Kind::Fact, key, damaged)?;
        Ok(Facts { by_item: records.into_iter().map(|(id, fact)| (fact.item, (id, fact))).collect() })
    }

    /// Writes `facts` as new records (a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, facts: &[Fact]) -> Result<Facts> {
        let records = writer.put_all_new(Kind::Fact, facts.iter().cloned())?;
        Ok(Facts { by_item: records.into_iter().map(|(id, fact)| (fact.item, (id, fact))).collect() })
    }

    /// How many facts there are.
    pub(crate) fn count(&self) -> usize {
        self.by_item.len()
    }

    /// All facts, in vocabulary-name order.
    pub(crate) fn list(&self) -> Vec<Fact> {
        self.by_item.values().map(|(_, f)| f.clone()).collect()
    }

    pub(crate) fn get(&self, item: &ItemName) -> Option<&Fact> {
        self.by_item.get(item).map(|(_, f)| f)
    }

    /// Adds or replaces a fact.
    pub(crate) fn set(&mut self, store: &mut RecordStore, key: &RecordKey, fact: Fact) -> Result<()> {
        if !is_profile_fact(&fact.item) {
            return Err(VaultError::NotAProfileFact { item: fact.item });
        }
        fact.item.validate(&fact.value)?;
        let id = self.by_item.get(&fact.item).map(|(id, _)| *id).unwrap_or_else(RecordId::random);
        let writer = store.write(key)?;
        writer.put(Kind::Fact, &id, &fact)?;
        writer.commit()?;
        self.by_item.insert(fact.item, (id, fact));
        Ok(())
    }

    /// Deletes a fact and returns it, so that the deletion can be undone by setting it again.
    pub(crate) fn remove(&mut self, store: &mut RecordStore, key: &RecordKey, item: &ItemName) -> Result<Fact> {
        let Some((id, _)) = self.by_item.get(item) else {
            return Err(VaultError::NoSuchFact { item: *item });
        };
        let writer = store.write(key)?;
        writer.delete(id)?;
        writer.commit()?;
        let (_, removed) = self.by_item.remove(item).unwrap_or_else(|| unreachable!("the fact was just found"));
        Ok(removed)
    }
}
