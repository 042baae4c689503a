//! The settings screen: language and auto-lock, passphrase change, backup and restore, export all my data.

use std::sync::atomic::Ordering;

use tauri::{AppHandle, Runtime, State};
use tessera_vault::backup::RestoreReport;
use tessera_vault::settings::Settings;

use super::files::{file_name, pick, Pick};
use super::{now, with_vault, CmdResult};
use crate::state::AppState;

#[tauri::command]
pub fn settings_get(state: State<'_, AppState>) -> CmdResult<Settings> {
    with_vault(&state, |v| v.settings())
}

#[tauri::command]
pub fn settings_set(state: State<'_, AppState>, settings: Settings) -> CmdResult<()> {
    let minutes = settings.auto_lock_minutes;
    with_vault(&state, |v| v.set_settings(settings))?;
    state.auto_lock_minutes.store(minutes, Ordering::Relaxed);
    Ok(())
}

#[tauri::command(async)]
pub fn passphrase_change(state: State<'_, AppState>, current: String, new: String) -> CmdResult<()> {
    with_vault(&state, |v| v.change_passphrase(&current, &new))
}

#[tauri::command(async)]
pub fn backup_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    backup_passphrase: String,
) -> CmdResult<Option<String>> {
    state.touch();
    let suggested = format!("tessera-backup-{}.age", chrono::Utc::now().format("%Y-%m-%d"));
    let Some(path) = pick(&app, &state, Pick::SaveBackup, &suggested) else { return Ok(None) };
    with_vault(&state, |v| v.backup(&path, &backup_passphrase, now()))?;
    Ok(Some(file_name(&path)))
}

#[tauri::command(async)]
pub fn backup_restore<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    backup_passphrase: String,
) -> CmdResult<Option<RestoreReport>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::OpenBackup, "") else { return Ok(None) };
    with_vault(&state, |v| v.restore(&path, &backup_passphrase)).map(Some)
}

#[tauri::command(async)]
pub fn export_data<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    passphrase: String,
) -> CmdResult<Option<String>> {
    state.touch();
    let suggested = format!("tessera-export-{}.age", chrono::Utc::now().format("%Y-%m-%d"));
    let Some(path) = pick(&app, &state, Pick::SaveExport, &suggested) else { return Ok(None) };
    with_vault(&state, |v| v.export_all(&path, &passphrase, now()))?;
    Ok(Some(file_name(&path)))
}
