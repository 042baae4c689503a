//! Profile facts: typed values from the item vocabulary, each with a sensitivity.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_protocol::items::{Family, ValueKind};
use tessera_protocol::ItemName;

use crate::store::{begin, Kind, RecordId};
use crate::{Result, Vault, VaultError};

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
            text.parse::<u64>()
                .map_err(|_| VaultError::InvalidInput(format!("{item} must be a whole number, not {text:?}")))?,
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

impl Vault {
    /// All facts, in vocabulary-name order.
    pub fn facts(&self) -> Result<Vec<Fact>> {
        Ok(self.unlocked()?.facts.values().map(|(_, f)| f.clone()).collect())
    }

    pub fn fact(&self, item: &ItemName) -> Result<Option<Fact>> {
        Ok(self.unlocked()?.facts.get(item).map(|(_, f)| f.clone()))
    }

    /// Adds or replaces a fact.
    pub fn set_fact(&mut self, item: ItemName, value: Value, sensitivity: Sensitivity) -> Result<()> {
        if !is_profile_fact(&item) {
            return Err(VaultError::InvalidInput(format!(
                "{item} is not a profile fact: it is computed from your facts or purchases when you share"
            )));
        }
        item.validate(&value)?;
        let fact = Fact { item, value, sensitivity };
        let (conn, open) = self.parts()?;
        let id = open.facts.get(&item).map(|(id, _)| *id).unwrap_or_else(RecordId::random);
        let writer = begin(conn, open)?;
        writer.put(Kind::Fact, &id, &fact)?;
        writer.commit()?;
        open.facts.insert(item, (id, fact));
        Ok(())
    }

    /// Changes how freely a fact may be shared.
    pub fn set_sensitivity(&mut self, item: &ItemName, sensitivity: Sensitivity) -> Result<()> {
        let fact = self.fact(item)?.ok_or_else(|| VaultError::InvalidInput(format!("you have no {item} fact")))?;
        self.set_fact(fact.item, fact.value, sensitivity)
    }

    /// Deletes a fact.
    pub fn remove_fact(&mut self, item: &ItemName) -> Result<()> {
        let (conn, open) = self.parts()?;
        let Some((id, _)) = open.facts.get(item).cloned() else {
            return Err(VaultError::InvalidInput(format!("you have no {item} fact")));
        };
        let writer = begin(conn, open)?;
        writer.delete(&id)?;
        writer.commit()?;
        open.facts.remove(item);
        Ok(())
    }
}
