//! The welcome screen and the session it opens: what to show first, create or
//! unlock the vault (passphrase strength, recovery secret shown once), recover
//! with the recovery secret, note activity, lock.

use std::sync::atomic::Ordering;

use serde::Serialize;
use tauri::State;
use tessera_vault::{RecoverySecret, Vault};

use super::{poisoned, CmdResult};
use crate::state::AppState;

/// What the page needs to know to start.
#[derive(Debug, Clone, Serialize)]
pub struct AppStatus {
    pub vault_exists: bool,
    pub unlocked: bool,
    /// `fr` or `en`, from the system locale.
    pub system_language: String,
    /// The language chosen in settings, if any (only known when unlocked).
    pub language: Option<String>,
    pub auto_lock_minutes: u32,
}

fn system_language() -> String {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    if locale.starts_with("fr") {
        "fr".into()
    } else {
        "en".into()
    }
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> CmdResult<AppStatus> {
    // With TESSERA_TRACE_STARTUP set, the first call (the page asking which screen to show) reports the start-up time.
    static TRACED: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("TESSERA_TRACE_STARTUP").is_some() {
        TRACED.call_once(|| {
            if let Some(started) = crate::STARTED.get() {
                eprintln!("tessera-startup-ms {}", started.elapsed().as_millis());
            }
        });
    }
    let guard = state.vault.lock().map_err(|_| poisoned())?;
    let unlocked = guard.as_ref().is_some_and(Vault::is_unlocked);
    let language = guard.as_ref().filter(|v| v.is_unlocked()).and_then(|v| v.settings().ok()).and_then(|s| s.language);
    Ok(AppStatus {
        vault_exists: Vault::exists(&state.vault_dir()),
        unlocked,
        system_language: system_language(),
        language,
        auto_lock_minutes: state.auto_lock_minutes.load(Ordering::Relaxed),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Shown once, never stored.
    pub recovery_secret: String,
}

#[tauri::command(async)]
pub fn create_vault(state: State<'_, AppState>, passphrase: String) -> CmdResult<Created> {
    let (vault, recovery) = Vault::create(&state.vault_dir(), &passphrase)?;
    *state.vault.lock().map_err(|_| poisoned())? = Some(vault);
    state.touch();
    Ok(Created { recovery_secret: recovery.display().to_string() })
}

fn opened(state: &AppState) -> CmdResult<std::sync::MutexGuard<'_, Option<Vault>>> {
    let mut guard = state.vault.lock().map_err(|_| poisoned())?;
    if guard.is_none() {
        *guard = Some(Vault::open(&state.vault_dir())?);
    }
    Ok(guard)
}

fn after_unlock(state: &AppState, vault: &Vault) -> CmdResult<UnlockInfo> {
    let settings = vault.settings()?;
    state.auto_lock_minutes.store(settings.auto_lock_minutes, Ordering::Relaxed);
    state.touch();
    Ok(UnlockInfo { damaged_records: vault.damaged_records()?.len(), language: settings.language })
}

#[derive(Debug, Clone, Serialize)]
pub struct UnlockInfo {
    /// Records that could not be read (the others are available).
    pub damaged_records: usize,
    pub language: Option<String>,
}

#[tauri::command(async)]
pub fn unlock(state: State<'_, AppState>, passphrase: String) -> CmdResult<UnlockInfo> {
    let mut guard = opened(&state)?;
    let vault = guard.as_mut().ok_or_else(poisoned)?;
    vault.unlock(&passphrase)?;
    after_unlock(&state, vault)
}

#[tauri::command]
pub fn lock(state: State<'_, AppState>) {
    state.lock();
}

#[tauri::command(async)]
pub fn recover(state: State<'_, AppState>, recovery_secret: String, new_passphrase: String) -> CmdResult<UnlockInfo> {
    let secret = RecoverySecret::parse(&recovery_secret)?;
    let mut guard = opened(&state)?;
    let vault = guard.as_mut().ok_or_else(poisoned)?;
    vault.recover(&secret, &new_passphrase)?;
    after_unlock(&state, vault)
}

#[tauri::command]
pub fn touch(state: State<'_, AppState>) {
    state.touch();
}

#[tauri::command]
pub fn passphrase_strength(passphrase: String) -> u8 {
    tessera_vault::keys::passphrase_strength(&passphrase)
}
