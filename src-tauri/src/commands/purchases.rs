//! The purchases screen: list, search, totals, manual entry, and CSV import with its preview.

use std::path::PathBuf;

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tessera_vault::csv_import::{CsvImportReport, CsvOptions, CsvPreview};
use tessera_vault::purchases::{PurchaseEntry, PurchaseFilter, PurchasePage, Totals};

use super::error::error;
use super::files::{file_name, pick, Pick};
use super::{poisoned, with_vault, CmdResult};
use crate::state::AppState;

#[tauri::command]
pub fn purchases_query(
    state: State<'_, AppState>,
    filter: PurchaseFilter,
    offset: usize,
    limit: usize,
) -> CmdResult<PurchasePage> {
    with_vault(&state, |v| v.purchases(&filter, offset, limit.clamp(1, 500)))
}

#[tauri::command]
pub fn purchases_totals(state: State<'_, AppState>, filter: PurchaseFilter) -> CmdResult<Totals> {
    with_vault(&state, |v| v.purchase_totals(&filter))
}

#[tauri::command]
pub fn purchase_add(
    state: State<'_, AppState>,
    date: String,
    merchant: String,
    amount: String,
    currency: String,
    category: Option<String>,
) -> CmdResult<String> {
    with_vault(&state, |v| v.add_purchase(PurchaseEntry { date, merchant, amount, currency, category }.read()?))
}

#[tauri::command]
pub fn purchase_remove(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    with_vault(&state, |v| v.remove_purchase(&id))
}

#[tauri::command(async)]
pub fn csv_choose<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> CmdResult<Option<String>> {
    state.touch();
    let chosen = pick(&app, &state, Pick::OpenCsv, "");
    let name = chosen.as_deref().map(file_name);
    *state.csv_path.lock().map_err(|_| poisoned())? = chosen;
    Ok(name)
}

/// What the import screen shows before importing: the preview, with its first rows only
/// (the preview counts every unreadable row in `error_count` and lists the first ones).
#[derive(Debug, Clone, Serialize)]
pub struct CsvPreviewView {
    pub file_name: String,
    #[serde(flatten)]
    pub preview: CsvPreview,
}

fn csv_bytes(state: &AppState) -> CmdResult<(PathBuf, Vec<u8>)> {
    let path = state
        .csv_path
        .lock()
        .map_err(|_| poisoned())?
        .clone()
        .ok_or_else(|| error("invalid_input", "choose a CSV file first"))?;
    let bytes = std::fs::read(&path).map_err(|e| error("file", format!("{}: {e}", file_name(&path))))?;
    Ok((path, bytes))
}

#[tauri::command(async)]
pub fn csv_preview(state: State<'_, AppState>, options: CsvOptions) -> CmdResult<CsvPreviewView> {
    let (path, bytes) = csv_bytes(&state)?;
    with_vault(&state, |v| {
        let mut preview = v.preview_csv(&bytes, &options)?;
        preview.rows.truncate(20);
        preview.credits.truncate(20);
        Ok(CsvPreviewView { file_name: file_name(&path), preview })
    })
}

#[tauri::command(async)]
pub fn csv_import(state: State<'_, AppState>, options: CsvOptions) -> CmdResult<CsvImportReport> {
    let (_, bytes) = csv_bytes(&state)?;
    with_vault(&state, |v| v.import_csv(&bytes, &options))
}
