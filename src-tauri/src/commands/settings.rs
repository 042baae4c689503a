//! The settings screen: language and auto-lock, passphrase change, backup,
//! restore (inspected and confirmed first), export all my data.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tauri::State;
use tessera_vault::backup::RestoreReport;
use tessera_vault::{settings, Vault};
use zeroize::Zeroizing;

use super::error::{file_name, CmdResult, CommandError};
use super::files::Pick;
use super::profile::Sensitivity;
use super::{now, poisoned, with_vault};
use crate::state::AppState;

/// Preferences kept in the vault.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct Settings {
    /// `fr` or `en`; none follows the system.
    pub language: Option<String>,
    /// Minutes of inactivity before the vault locks.
    pub auto_lock_minutes: u32,
    pub purchases_sensitivity: Sensitivity,
}

#[tauri::command]
#[specta::specta]
pub fn settings_get(state: State<'_, AppState>) -> CmdResult<Settings> {
    let settings::Settings { language, auto_lock_minutes, purchases_sensitivity } =
        with_vault(&state, |v| v.settings())?;
    Ok(Settings { language, auto_lock_minutes, purchases_sensitivity: purchases_sensitivity.into() })
}

#[tauri::command]
#[specta::specta]
pub fn settings_set(state: State<'_, AppState>, settings: Settings) -> CmdResult<()> {
    let Settings { language, auto_lock_minutes, purchases_sensitivity } = settings;
    let stored = settings::Settings {
        language: language.clone(),
        auto_lock_minutes,
        purchases_sensitivity: purchases_sensitivity.into(),
    };
    with_vault(&state, |v| v.set_settings(stored))?;
    state.set_auto_lock_minutes(auto_lock_minutes);
    *state.language.lock().map_err(|_| poisoned())? = language;
    Ok(())
}

#[tauri::command(async)]
#[specta::specta]
pub fn passphrase_change(state: State<'_, AppState>, current: String, new_passphrase: String) -> CmdResult<()> {
    let (current, new_passphrase) = (Zeroizing::new(current), Zeroizing::new(new_passphrase));
    with_vault(&state, |v| v.change_passphrase(&current, &new_passphrase))
}

/// Writes an encrypted backup where the person chooses; returns the file's name, or nothing when cancelled.
#[tauri::command(async)]
#[specta::specta]
pub fn backup_create(state: State<'_, AppState>, backup_passphrase: String) -> CmdResult<Option<String>> {
    let backup_passphrase = Zeroizing::new(backup_passphrase);
    state.touch();
    let suggested = format!("tessera-backup-{}.age", chrono::Utc::now().format("%Y-%m-%d"));
    let Some(path) = state.choose_file(Pick::SaveBackup, &suggested) else { return Ok(None) };
    with_vault(&state, |v| v.backup(&path, &backup_passphrase, now()))?;
    Ok(Some(file_name(&path)))
}

/// How much a vault or a backup holds.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Counts {
    pub facts: u32,
    pub purchases: u32,
    pub packets: u32,
    /// Shares and revocations that waited to be sent: after a restore they are held, sent
    /// only with "Send now" (the backup may be older than a revocation).
    pub held: u32,
}

impl From<&RestoreReport> for Counts {
    fn from(r: &RestoreReport) -> Counts {
        let n = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Counts { facts: n(r.facts), purchases: n(r.purchases), packets: n(r.packets), held: n(r.held) }
    }
}

/// A backup, read and checked, before it replaces anything.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BackupSummary {
    pub file_name: String,
    /// When the backup was made (Unix seconds).
    pub created_at: i64,
    /// What the backup holds.
    pub holds: Counts,
    /// What the open vault holds now and a restore would replace (none on a computer without a vault).
    pub replaces: Option<Counts>,
}

impl BackupSummary {
    pub(crate) fn new(path: &Path, report: &RestoreReport, replaces: Option<Counts>) -> BackupSummary {
        BackupSummary { file_name: file_name(path), created_at: report.created_at, holds: report.into(), replaces }
    }
}

/// Asks for a backup file, decrypts and checks it, and says what it holds and
/// what it would replace; changes nothing. Nothing when cancelled.
#[tauri::command(async)]
#[specta::specta]
pub fn backup_inspect(state: State<'_, AppState>, backup_passphrase: String) -> CmdResult<Option<BackupSummary>> {
    let backup_passphrase = Zeroizing::new(backup_passphrase);
    state.touch();
    *state.backup_path.lock().map_err(|_| poisoned())? = None;
    let Some(path) = state.choose_file(Pick::OpenBackup, "") else { return Ok(None) };
    let report = Vault::inspect_backup(&path, &backup_passphrase)?;
    let replaces = if state.is_unlocked() { Some(with_vault(&state, |v| v.holdings_report())?) } else { None };
    let summary = BackupSummary::new(&path, &report, replaces.as_ref().map(Counts::from));
    *state.backup_path.lock().map_err(|_| poisoned())? = Some(path);
    Ok(Some(summary))
}

/// Replaces everything in the vault with the backup inspected by `backup_inspect`, once the person confirmed.
#[tauri::command(async)]
#[specta::specta]
pub fn backup_restore(state: State<'_, AppState>, backup_passphrase: String) -> CmdResult<BackupSummary> {
    let backup_passphrase = Zeroizing::new(backup_passphrase);
    let path = state.backup_path.lock().map_err(|_| poisoned())?.clone().ok_or(CommandError::NoBackupChosen)?;
    let report = with_vault(&state, |v| v.restore(&path, &backup_passphrase))?;
    *state.backup_path.lock().map_err(|_| poisoned())? = None;
    let restored = with_vault(&state, |v| v.settings())?;
    state.set_auto_lock_minutes(restored.auto_lock_minutes);
    *state.language.lock().map_err(|_| poisoned())? = restored.language;
    Ok(BackupSummary::new(&path, &report, None))
}

/// Writes all my data as readable JSON in an encrypted file the person chooses; returns its name.
#[tauri::command(async)]
#[specta::specta]
pub fn export_data(state: State<'_, AppState>, passphrase: String) -> CmdResult<Option<String>> {
    let passphrase = Zeroizing::new(passphrase);
    state.touch();
    let suggested = format!("tessera-export-{}.age", chrono::Utc::now().format("%Y-%m-%d"));
    let Some(path) = state.choose_file(Pick::SaveExport, &suggested) else { return Ok(None) };
    with_vault(&state, |v| v.export_all(&path, &passphrase, now()))?;
    Ok(Some(file_name(&path)))
}
