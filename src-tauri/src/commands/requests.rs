//! The requests screen: open a brand's request, trust a changed key, preview
//! the packet for the user's decisions, save it. The verified request stays
//! in the app's state; the page never handles it.

use tauri::{AppHandle, Runtime, State};
use tessera_vault::consent::{Decision, PacketPreview, RequestReview};
use tessera_vault::ledger::LedgerEntry;

use super::error::error;
use super::files::{pick, read_text, Pick};
use super::{now, poisoned, with_vault, CmdResult};
use crate::state::AppState;

#[tauri::command(async)]
pub fn request_open<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> CmdResult<Option<RequestReview>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::OpenRequest, "") else { return Ok(None) };
    let text = read_text(&path)?;
    let review = with_vault(&state, |v| v.review_request(&text, now()))?;
    *state.review.lock().map_err(|_| poisoned())? = Some(review.clone());
    Ok(Some(review))
}

fn current_review(state: &AppState) -> CmdResult<RequestReview> {
    state.review.lock().map_err(|_| poisoned())?.clone().ok_or_else(|| error("invalid_input", "open a request first"))
}

#[tauri::command]
pub fn request_preview(state: State<'_, AppState>, decisions: Vec<Decision>) -> CmdResult<PacketPreview> {
    let review = current_review(&state)?;
    with_vault(&state, |v| v.preview_packet(&review, &decisions, now()))
}

#[tauri::command]
pub fn request_trust(state: State<'_, AppState>) -> CmdResult<RequestReview> {
    let review = current_review(&state)?;
    let jws = review.request_jws().to_owned();
    let renewed = with_vault(&state, |v| {
        v.trust_brand(&review, now())?;
        v.review_request(&jws, now())
    })?;
    *state.review.lock().map_err(|_| poisoned())? = Some(renewed.clone());
    Ok(renewed)
}

#[tauri::command(async)]
pub fn request_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    decisions: Vec<Decision>,
) -> CmdResult<Option<LedgerEntry>> {
    let review = current_review(&state)?;
    let preview = with_vault(&state, |v| v.preview_packet(&review, &decisions, now()))?;
    let suggested = format!(
        "{}.tessera",
        review.brand_name.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase()
    );
    let Some(path) = pick(&app, &state, Pick::SavePacket, &suggested) else { return Ok(None) };
    let entry = with_vault(&state, |v| v.write_packet(&review, &preview, &path, now()))?;
    *state.review.lock().map_err(|_| poisoned())? = None;
    Ok(Some(entry))
}
