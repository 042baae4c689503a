//! The commands the page calls, one module per screen of the interface
//! (`ui/src/screens/`): [`welcome`] (status, create, unlock, recover, restore
//! on a new computer, the recovery secret's safe keeping, lock), [`profile`],
//! [`purchases`], [`requests`] (and [`incoming`]: a request opened from a
//! `tessera://` link or a file outside the window), [`ledger`] and [`settings`].
//!
//! Each command only translates: arguments in, a vault call, a result or a
//! [`CommandError`] out. The types they take and return are the contract with
//! the page: [`builder`] lists every command and event, and the page's
//! `ui/src/bindings.ts` (types and one typed wrapper per command) is
//! generated from it (`tests/bindings.rs` fails when it is stale). No vault
//! logic lives here; file dialogs are in [`files`], errors and their codes in
//! [`error`].

pub mod error;
pub mod files;
pub mod incoming;
pub mod ledger;
pub mod profile;
pub mod purchases;
pub mod requests;
pub mod sending;
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
    CommandError::Internal
}

/// Runs `f` on the unlocked vault, noting the activity.
pub(crate) fn with_vault<T>(state: &AppState, f: impl FnOnce(&mut Vault) -> Result<T, VaultError>) -> CmdResult<T> {
    state.touch();
    let mut guard = state.vault.lock().map_err(|_| poisoned())?;
    let vault = guard.as_mut().filter(|v| v.is_unlocked()).ok_or(CommandError::Locked)?;
    Ok(f(vault)?)
}

/// Every command the page may call: the invoke
/// handler, and the source of `ui/src/bindings.ts`. Command names must also be
/// in `COMMANDS` (`command_names.rs`), from which the capability is built.
pub fn builder<R: Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new()
        .commands(tauri_specta::collect_commands![
            welcome::app_status,
            welcome::create_vault,
            welcome::unlock,
            welcome::lock,
            welcome::recover,
            welcome::touch,
            welcome::lock_watch,
            welcome::recovery_save,
            welcome::recovery_confirm,
            welcome::vault_from_backup,
            profile::vocabulary,
            profile::facts_list,
            profile::fact_set,
            profile::fact_remove,
            profile::fact_undo_remove,
            purchases::purchases_query,
            purchases::purchases_totals,
            purchases::purchase_add,
            purchases::purchase_edit,
            purchases::purchase_remove,
            purchases::csv_choose,
            purchases::csv_preview,
            purchases::csv_import,
            requests::request_open,
            requests::request_current,
            requests::request_preview,
            requests::request_trust,
            requests::request_save,
            requests::request_decline,
            requests::request_open_link,
            requests::request_send,
            incoming::incoming_watch,
            incoming::request_open_incoming,
            ledger::ledger,
            ledger::packet_revoke,
            ledger::receipt_import,
            ledger::packet_revoke_send,
            ledger::outbox_send,
            settings::settings_get,
            settings::settings_set,
            settings::passphrase_change,
            settings::backup_create,
            settings::backup_inspect,
            settings::backup_restore,
            settings::export_data,
        ])
        .typ::<CommandError>()
        .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        // Arguments only go in and results only come out: one type each, not a serialise and a deserialise shape.
        .disable_serde_phases()
        // Every integer crossing is bounded well below 2^53: times between 1970 and 9999, counts of records.
        .dangerously_cast_bigints_to_number()
}
