//! The welcome screen and the session it opens: what to show first, create or
//! unlock the vault, recover it with the recovery secret, restore a backup on
//! a computer that has no vault yet, keep the recovery secret safe (save it to
//! a file, then type two of its groups back), note activity, lock.

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use tessera_vault::{RecoverySecret, Vault};
use zeroize::Zeroizing;

use super::error::{file_name, CmdResult, CommandError};
use super::files::Pick;
use super::poisoned;
use super::settings::BackupSummary;
use crate::locking::VaultLocked;
use crate::state::AppState;

/// What the page needs to know to start.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppStatus {
    pub vault_exists: bool,
    pub unlocked: bool,
    /// `fr` or `en`, from the system locale.
    pub system_language: String,
    /// The language chosen in settings, if known (remembered while the app runs, so the lock screen speaks it).
    pub language: Option<String>,
    pub auto_lock_minutes: u32,
    /// A recovery secret was just made and its groups have not been typed back yet.
    pub recovery_unconfirmed: bool,
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
#[specta::specta]
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
    let unlocked = state.is_unlocked();
    Ok(AppStatus {
        vault_exists: Vault::exists(&state.vault_dir()),
        unlocked,
        system_language: system_language(),
        language: state.language.lock().map_err(|_| poisoned())?.clone(),
        auto_lock_minutes: state.auto_lock_minutes(),
        recovery_unconfirmed: unlocked && state.pending_recovery.lock().map_err(|_| poisoned())?.is_some(),
    })
}

/// A new vault's recovery secret, shown once.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Created {
    /// `ABCD-EFGH-…`: 13 groups of 4 letters and digits. Shown once, never stored.
    pub recovery_secret: String,
}

fn keep_recovery_secret(state: &AppState, recovery: &RecoverySecret) -> CmdResult<Created> {
    let shown = recovery.display();
    *state.pending_recovery.lock().map_err(|_| poisoned())? = Some(shown.clone());
    Ok(Created { recovery_secret: shown.to_string() })
}

#[tauri::command(async)]
#[specta::specta]
pub fn create_vault(state: State<'_, AppState>, passphrase: String) -> CmdResult<Created> {
    let passphrase = Zeroizing::new(passphrase);
    let (vault, recovery) = Vault::create(&state.vault_dir(), &passphrase)?;
    *state.vault.lock().map_err(|_| poisoned())? = Some(vault);
    state.touch();
    keep_recovery_secret(&state, &recovery)
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
    state.set_auto_lock_minutes(settings.auto_lock_minutes);
    *state.language.lock().map_err(|_| poisoned())? = settings.language.clone();
    state.touch();
    Ok(UnlockInfo {
        damaged_records: u32::try_from(vault.damaged_records()?.len()).unwrap_or(u32::MAX),
        language: settings.language,
    })
}

/// What the page needs after unlocking.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct UnlockInfo {
    /// Records that could not be read (the others are available).
    pub damaged_records: u32,
    pub language: Option<String>,
}

#[tauri::command(async)]
#[specta::specta]
pub fn unlock(state: State<'_, AppState>, passphrase: String) -> CmdResult<UnlockInfo> {
    let passphrase = Zeroizing::new(passphrase);
    let mut guard = opened(&state)?;
    let vault = guard.as_mut().ok_or_else(poisoned)?;
    vault.unlock(&passphrase)?;
    after_unlock(&state, vault)
}

/// Locks now (the Lock button, Ctrl+L).
#[tauri::command]
#[specta::specta]
pub fn lock(state: State<'_, AppState>) {
    state.lock();
}

#[tauri::command(async)]
#[specta::specta]
pub fn recover(state: State<'_, AppState>, recovery_secret: String, new_passphrase: String) -> CmdResult<UnlockInfo> {
    let (recovery_secret, new_passphrase) = (Zeroizing::new(recovery_secret), Zeroizing::new(new_passphrase));
    let secret = RecoverySecret::parse(&recovery_secret)?;
    let mut guard = opened(&state)?;
    let vault = guard.as_mut().ok_or_else(poisoned)?;
    vault.recover(&secret, &new_passphrase)?;
    after_unlock(&state, vault)
}

/// Gives the channel on which the page hears, at once, that the vault locked by itself.
#[tauri::command]
#[specta::specta]
pub fn lock_watch(state: State<'_, AppState>, on_lock: Channel<VaultLocked>) {
    state.watch_locks(on_lock);
}

/// Notes activity in the page, postponing auto-lock.
#[tauri::command]
#[specta::specta]
pub fn touch(state: State<'_, AppState>) {
    state.touch();
}

fn pending_recovery(state: &AppState) -> CmdResult<Zeroizing<String>> {
    state.pending_recovery.lock().map_err(|_| poisoned())?.clone().ok_or(CommandError::Locked)
}

/// Saves the new recovery secret to a file the person chooses (a USB key, a
/// printer's folder); returns the file's name, or nothing when cancelled.
#[tauri::command(async)]
#[specta::specta]
pub fn recovery_save(state: State<'_, AppState>) -> CmdResult<Option<String>> {
    state.touch();
    let secret = pending_recovery(&state)?;
    let Some(path) = state.choose_file(Pick::SaveRecoverySecret, "tessera-recovery-secret.txt") else {
        return Ok(None);
    };
    let text = Zeroizing::new(format!(
        "Tessera\n\n{}\n\n\
         FR — Votre code de secours. Il permet de choisir une nouvelle phrase secrète si vous oubliez la vôtre.\n\
         Rangez-le en lieu sûr, loin de cet ordinateur : avec lui, on peut ouvrir votre coffre.\n\n\
         EN — Your recovery secret. With it you can set a new passphrase if you forget yours.\n\
         Keep it somewhere safe, away from this computer: with it, your vault can be opened.\n",
        secret.as_str()
    ));
    tessera_vault::files::write_private(&path, text.as_bytes())?;
    Ok(Some(file_name(&path)))
}

/// A group of the recovery secret typed back: its position (1 to 13) and its four characters.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct RecoveryGroup {
    pub position: u32,
    pub group: String,
}

/// Checks groups of the new recovery secret typed back by the person (at least
/// two, at different positions); once they match, the secret is forgotten.
#[tauri::command]
#[specta::specta]
pub fn recovery_confirm(state: State<'_, AppState>, groups: Vec<RecoveryGroup>) -> CmdResult<()> {
    state.touch();
    let secret = pending_recovery(&state)?;
    let expected: Vec<&str> = secret.split('-').collect();
    let mut positions: Vec<u32> = groups.iter().map(|g| g.position).collect();
    positions.sort_unstable();
    positions.dedup();
    let matches = |g: &RecoveryGroup| {
        let typed: String =
            g.group.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        (g.position as usize).checked_sub(1).and_then(|i| expected.get(i)).is_some_and(|e| *e == typed)
    };
    if positions.len() < 2 || positions.len() != groups.len() || !groups.iter().all(matches) {
        return Err(CommandError::RecoveryGroupsDiffer);
    }
    *state.pending_recovery.lock().map_err(|_| poisoned())? = None;
    Ok(())
}

/// A vault made from a backup on a computer that had none.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RestoredVault {
    /// The new vault's recovery secret (a new vault key, so a new secret), shown once.
    pub recovery_secret: String,
    pub restored: BackupSummary,
    /// The language chosen in the restored settings.
    pub language: Option<String>,
}

/// Makes a new vault from the backup chosen with `backup_inspect`, protected by `new_passphrase`.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_from_backup(
    state: State<'_, AppState>,
    backup_passphrase: String,
    new_passphrase: String,
) -> CmdResult<RestoredVault> {
    let (backup_passphrase, new_passphrase) = (Zeroizing::new(backup_passphrase), Zeroizing::new(new_passphrase));
    let path = state.backup_path.lock().map_err(|_| poisoned())?.clone().ok_or(CommandError::NoBackupChosen)?;
    let (vault, recovery, report) =
        Vault::create_from_backup(&state.vault_dir(), &path, &backup_passphrase, &new_passphrase)?;
    let restored = BackupSummary::new(&path, &report, None);
    let UnlockInfo { language, .. } = after_unlock(&state, &vault)?;
    *state.vault.lock().map_err(|_| poisoned())? = Some(vault);
    *state.backup_path.lock().map_err(|_| poisoned())? = None;
    let created = keep_recovery_secret(&state, &recovery)?;
    Ok(RestoredVault { recovery_secret: created.recovery_secret, restored, language })
}
