//! The profile screen: the facts the user can enter, their values and sensitivities.

use serde::Serialize;
use tauri::State;
use tessera_protocol::items::ValueKind;
use tessera_protocol::ItemName;
use tessera_vault::facts::{self, Sensitivity};

use super::{with_vault, CmdResult};
use crate::state::AppState;

/// A fact the user can enter.
#[derive(Debug, Clone, Serialize)]
pub struct VocabularyItem {
    pub name: &'static str,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    /// `text`, `email`, `phone`, `date`, `count` or `list`.
    pub input: &'static str,
}

#[tauri::command]
pub fn vocabulary() -> Vec<VocabularyItem> {
    tessera_protocol::items::VOCABULARY
        .iter()
        .filter_map(|spec| ItemName::lookup(spec.name))
        .filter(facts::is_profile_fact)
        .map(|item| {
            let spec = item.spec();
            let input = match spec.kind {
                ValueKind::Email => "email",
                ValueKind::PhoneNumber => "phone",
                ValueKind::Date => "date",
                ValueKind::Count => "count",
                ValueKind::TextList => "list",
                _ => "text",
            };
            VocabularyItem { name: spec.name, label_en: spec.label_en, label_fr: spec.label_fr, input }
        })
        .collect()
}

/// A fact as shown.
#[derive(Debug, Clone, Serialize)]
pub struct FactView {
    pub item: ItemName,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    /// The value as the user would type it.
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

#[tauri::command]
pub fn facts_list(state: State<'_, AppState>) -> CmdResult<Vec<FactView>> {
    with_vault(&state, |v| {
        Ok(v.facts()?
            .into_iter()
            .map(|f| FactView {
                item: f.item,
                label_en: f.item.spec().label_en,
                label_fr: f.item.spec().label_fr,
                text: value_text(&f.value),
                sensitivity: f.sensitivity,
            })
            .collect())
    })
}

#[tauri::command]
pub fn fact_set(state: State<'_, AppState>, item: String, value: String, sensitivity: Sensitivity) -> CmdResult<()> {
    with_vault(&state, |v| {
        let item = facts::parse_fact_item(&item)?;
        let value = facts::value_from_text(&item, &value)?;
        v.set_fact(item, value, sensitivity)
    })
}

#[tauri::command]
pub fn fact_remove(state: State<'_, AppState>, item: String) -> CmdResult<()> {
    with_vault(&state, |v| v.remove_fact(&facts::parse_fact_item(&item)?))
}
