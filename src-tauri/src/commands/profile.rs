//! The profile screen: the facts the person can enter, their values and
//! sensitivities, and undoing a deletion.

use serde::{Deserialize, Serialize};
use tauri::State;
use tessera_protocol::items::ValueKind;
use tessera_protocol::ItemName;
use tessera_vault::facts::{self, Fact};

use super::{poisoned, with_vault, CmdResult, CommandError};
use crate::state::AppState;

/// How freely a fact may be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    ShareFreely,
    AskMe,
    NeverShare,
}

impl From<facts::Sensitivity> for Sensitivity {
    fn from(s: facts::Sensitivity) -> Sensitivity {
        match s {
            facts::Sensitivity::ShareFreely => Sensitivity::ShareFreely,
            facts::Sensitivity::AskMe => Sensitivity::AskMe,
            facts::Sensitivity::NeverShare => Sensitivity::NeverShare,
        }
    }
}

impl From<Sensitivity> for facts::Sensitivity {
    fn from(s: Sensitivity) -> facts::Sensitivity {
        match s {
            Sensitivity::ShareFreely => facts::Sensitivity::ShareFreely,
            Sensitivity::AskMe => facts::Sensitivity::AskMe,
            Sensitivity::NeverShare => facts::Sensitivity::NeverShare,
        }
    }
}

/// How a fact is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Text,
    Email,
    Phone,
    /// Sent as `YYYY-MM-DD`; the page shows and reads it in the person's language.
    Date,
    Count,
    /// Several values, separated by commas.
    List,
}

fn input_kind(item: &ItemName) -> InputKind {
    match item.spec().kind {
        ValueKind::Email => InputKind::Email,
        ValueKind::PhoneNumber => InputKind::Phone,
        ValueKind::Date => InputKind::Date,
        ValueKind::Count => InputKind::Count,
        ValueKind::TextList => InputKind::List,
        _ => InputKind::Text,
    }
}

/// A fact the person can enter.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct VocabularyItem {
    pub name: String,
    pub label_en: String,
    pub label_fr: String,
    pub input: InputKind,
}

#[tauri::command]
#[specta::specta]
pub fn vocabulary() -> Vec<VocabularyItem> {
    tessera_protocol::items::VOCABULARY
        .iter()
        .filter_map(|spec| ItemName::lookup(spec.name))
        .filter(facts::is_profile_fact)
        .map(|item| {
            let spec = item.spec();
            VocabularyItem {
                name: spec.name.into(),
                label_en: spec.label_en.into(),
                label_fr: spec.label_fr.into(),
                input: input_kind(&item),
            }
        })
        .collect()
}

/// A fact as shown.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct FactView {
    pub item: String,
    pub label_en: String,
    pub label_fr: String,
    pub input: InputKind,
    /// The value as the person would type it (dates as `YYYY-MM-DD`).
    pub text: String,
    pub sensitivity: Sensitivity,
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(list) => list.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

impl From<&Fact> for FactView {
    fn from(f: &Fact) -> FactView {
        FactView {
            item: f.item.to_string(),
            label_en: f.item.spec().label_en.into(),
            label_fr: f.item.spec().label_fr.into(),
            input: input_kind(&f.item),
            text: value_text(&f.value),
            sensitivity: f.sensitivity.into(),
        }
    }
}

#[tauri::command]
#[specta::specta]
pub fn facts_list(state: State<'_, AppState>) -> CmdResult<Vec<FactView>> {
    with_vault(&state, |v| Ok(v.facts()?.iter().map(FactView::from).collect()))
}

#[tauri::command]
#[specta::specta]
pub fn fact_set(state: State<'_, AppState>, item: String, value: String, sensitivity: Sensitivity) -> CmdResult<()> {
    with_vault(&state, |v| {
        let item = facts::parse_fact_item(&item)?;
        let value = facts::value_from_text(&item, &value)?;
        v.set_fact(item, value, sensitivity.into())
    })
}

/// Deletes a fact; [`fact_undo_remove`] brings it back exactly as it was.
#[tauri::command]
#[specta::specta]
pub fn fact_remove(state: State<'_, AppState>, item: String) -> CmdResult<FactView> {
    let removed = with_vault(&state, |v| v.remove_fact(&facts::parse_fact_item(&item)?))?;
    let view = FactView::from(&removed);
    *state.removed_fact.lock().map_err(|_| poisoned())? = Some(removed);
    Ok(view)
}

/// Brings back the fact deleted last, with its value and sensitivity.
#[tauri::command]
#[specta::specta]
pub fn fact_undo_remove(state: State<'_, AppState>) -> CmdResult<FactView> {
    let removed = state.removed_fact.lock().map_err(|_| poisoned())?.take().ok_or(CommandError::NothingToUndo)?;
    let view = FactView::from(&removed);
    with_vault(&state, |v| v.set_fact(removed.item, removed.value, removed.sensitivity))?;
    Ok(view)
}
