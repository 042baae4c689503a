//! The ledger screen: what each brand knows, revocations, deletion receipts.

use tauri::{AppHandle, Runtime, State};
use tessera_vault::ledger::{BrandKnowledge, LedgerLine};

use super::files::{pick, read_text, Pick};
use super::{now, with_vault, CmdResult};
use crate::state::AppState;

#[tauri::command]
pub fn ledger(state: State<'_, AppState>) -> CmdResult<Vec<BrandKnowledge>> {
    with_vault(&state, |v| v.what_brands_know(now()))
}

#[tauri::command(async)]
pub fn packet_revoke<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    packet_jti: String,
) -> CmdResult<Option<LedgerLine>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::SaveRevocation, "revocation.tessera") else { return Ok(None) };
    with_vault(&state, |v| v.revoke_packet(&packet_jti, &path, now())).map(Some)
}

#[tauri::command(async)]
pub fn receipt_import<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> CmdResult<Option<LedgerLine>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::OpenReceipt, "") else { return Ok(None) };
    let text = read_text(&path)?;
    with_vault(&state, |v| v.import_receipt(&text, now())).map(Some)
}
