//! The commands the page calls, one module per screen of the interface
//! (`ui/src/screens/`): [`welcome`] (status, create, unlock, recover, lock),
//! [`profile`], [`purchases`], [`requests`], [`ledger`] and [`settings`].
//!
//! Each command only translates: arguments in, a vault call, a result or a
//! [`CommandError`] (`{code, message}`) out. No vault logic lives here; file
//! dialogs are in [`files`], errors and their codes in [`error`].

pub mod error;
pub mod files;
pub mod ledger;
pub mod profile;
pub mod purchases;
pub mod requests;
pub mod settings;
pub mod welcome;

use tauri::Runtime;
use tessera_vault::{Vault, VaultError};

pub use error::{CmdResult, CommandError};

use crate::state::AppState;

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn poisoned() -> CommandError {
    error::error("internal", "the app's state is unavailable after an earlier failure; restart Tessera")
}

/// Runs `f` on the unlocked vault, noting the activity.
pub(crate) fn with_vault<T>(state: &AppState, f: impl FnOnce(&mut Vault) -> Result<T, VaultError>) -> CmdResult<T> {
    state.touch();
    let mut guard = state.vault.lock().map_err(|_| poisoned())?;
    let vault = guard.as_mut().filter(|v| v.is_unlocked()).ok_or_else(|| CommandError::from(VaultError::Locked))?;
    Ok(f(vault)?)
}

/// The handler for every command listed in `COMMANDS`.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        welcome::app_status,
        welcome::create_vault,
        welcome::unlock,
        welcome::lock,
        welcome::recover,
        welcome::touch,
        welcome::passphrase_strength,
        profile::vocabulary,
        profile::facts_list,
        profile::fact_set,
        profile::fact_remove,
        purchases::purchases_query,
        purchases::purchases_totals,
        purchases::purchase_add,
        purchases::purchase_remove,
        purchases::csv_choose,
        purchases::csv_preview,
        purchases::csv_import,
        requests::request_open,
        requests::request_preview,
        requests::request_trust,
        requests::request_save,
        ledger::ledger,
        ledger::packet_revoke,
        ledger::receipt_import,
        settings::settings_get,
        settings::settings_set,
        settings::passphrase_change,
        settings::backup_create,
        settings::backup_restore,
        settings::export_data
    ]
}
