//! What the app holds while it runs: the vault, what a screen left half-done
//! (the request being answered, the CSV or backup file chosen, the fact just
//! deleted, the recovery secret not yet confirmed), idle time, and the page's
//! channel to hear that the vault locked by itself.
//!
//! Everything personal held here is dropped by [`AppState::lock`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tauri::ipc::Channel;
use tessera_vault::consent::RequestReview;
use tessera_vault::facts::Fact;
use tessera_vault::Vault;
use zeroize::Zeroizing;

use crate::commands::files::Pick;
use crate::locking::{LockReason, VaultLocked};

/// Shows a file dialog and returns the chosen file, `None` when cancelled.
pub type FileDialog = dyn Fn(Pick, &str) -> Option<PathBuf> + Send + Sync;

/// The app's state, shared by every command.
pub struct AppState {
    /// Where the vault lives (`<app data>/vault`).
    pub data_dir: PathBuf,
    /// Tests only: file dialogs replaced by fixed names in this directory.
    pub test_files: Option<PathBuf>,
    dialog: Option<Box<FileDialog>>,
    /// Where the page hears that the vault locked by itself.
    lock_channel: Mutex<Option<Channel<VaultLocked>>>,
    pub vault: Mutex<Option<Vault>>,
    /// The request being answered, verified, kept here so the page never handles it (and can come back to it).
    pub review: Mutex<Option<RequestReview>>,
    /// The CSV file chosen for import.
    pub csv_path: Mutex<Option<PathBuf>>,
    /// The backup file chosen and inspected, waiting for the person to confirm the restore.
    pub backup_path: Mutex<Option<PathBuf>>,
    /// The fact deleted last, so that the deletion can be undone.
    pub removed_fact: Mutex<Option<Fact>>,
    /// A new recovery secret, until the person has typed two of its groups back.
    pub pending_recovery: Mutex<Option<Zeroizing<String>>>,
    /// The language chosen in settings, remembered while the app runs so the lock screen speaks it.
    pub language: Mutex<Option<String>>,
    pub last_activity: Mutex<Instant>,
    /// Idle time before locking, in seconds.
    idle_limit_seconds: AtomicU64,
    /// Tests only: an idle time in seconds that settings do not change.
    idle_override_seconds: Option<u64>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("data_dir", &self.data_dir)
            .field("test_files", &self.test_files)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(data_dir: PathBuf, test_files: Option<PathBuf>) -> AppState {
        AppState {
            data_dir,
            test_files,
            dialog: None,
            lock_channel: Mutex::new(None),
            vault: Mutex::new(None),
            review: Mutex::new(None),
            csv_path: Mutex::new(None),
            backup_path: Mutex::new(None),
            removed_fact: Mutex::new(None),
            pending_recovery: Mutex::new(None),
            language: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            idle_limit_seconds: AtomicU64::new(5 * 60),
            idle_override_seconds: None,
        }
    }

    /// Tests only: lock after `seconds` of inactivity, whatever the settings say.
    pub fn with_idle_override(mut self, seconds: u64) -> AppState {
        self.idle_override_seconds = Some(seconds.max(1));
        self.idle_limit_seconds.store(seconds.max(1), Ordering::Relaxed);
        self
    }

    /// Files are chosen with `dialog` (unless tests fixed them with `test_files`).
    pub fn with_dialog(mut self, dialog: impl Fn(Pick, &str) -> Option<PathBuf> + Send + Sync + 'static) -> AppState {
        self.dialog = Some(Box::new(dialog));
        self
    }

    /// The page hears on `channel` every time the vault locks by itself (replacing an earlier channel).
    pub fn watch_locks(&self, channel: Channel<VaultLocked>) {
        if let Ok(mut current) = self.lock_channel.lock() {
            *current = Some(channel);
        }
    }

    pub fn vault_dir(&self) -> PathBuf {
        self.data_dir.join("vault")
    }

    /// Asks the person for a file (in tests, a fixed name). `None` when cancelled or when no dialog exists.
    pub(crate) fn choose_file(&self, what: Pick, suggested_name: &str) -> Option<PathBuf> {
        if let Some(dir) = &self.test_files {
            return Some(dir.join(what.test_name()));
        }
        self.dialog.as_ref().and_then(|dialog| dialog(what, suggested_name))
    }

    /// Notes user activity, postponing auto-lock.
    pub fn touch(&self) {
        if let Ok(mut last) = self.last_activity.lock() {
            *last = Instant::now();
        }
    }

    /// Sets the auto-lock delay chosen in settings (unless tests fixed it).
    pub fn set_auto_lock_minutes(&self, minutes: u32) {
        let seconds = self.idle_override_seconds.unwrap_or(u64::from(minutes) * 60);
        self.idle_limit_seconds.store(seconds.max(1), Ordering::Relaxed);
    }

    /// The auto-lock delay, in whole minutes (at least 1).
    pub fn auto_lock_minutes(&self) -> u32 {
        u32::try_from(self.idle_limit().as_secs().div_ceil(60)).unwrap_or(u32::MAX)
    }

    pub fn idle_limit(&self) -> Duration {
        Duration::from_secs(self.idle_limit_seconds.load(Ordering::Relaxed))
    }

    /// Whether the vault is open now.
    pub fn is_unlocked(&self) -> bool {
        self.vault.lock().is_ok_and(|v| v.as_ref().is_some_and(Vault::is_unlocked))
    }

    /// Locks the vault when idle longer than the auto-lock delay, and says so to the listener.
    /// Returns whether it locked.
    pub fn lock_if_idle(&self) -> bool {
        // Whether the vault is open first: that waits for an unlock in progress, which counts as
        // activity when it ends. Reading the idle time before would see the time spent locked and
        // lock again a vault just unlocked.
        if !self.is_unlocked() {
            return false;
        }
        let idle = self.last_activity.lock().map(|l| l.elapsed()).unwrap_or_default();
        if idle >= self.idle_limit() {
            self.lock_because(LockReason::Idle);
            return true;
        }
        false
    }

    /// Locks because of `reason` (sleep, screen lock, idle) and, if the vault was open, tells the page at once.
    pub fn lock_because(&self, reason: LockReason) {
        let was_open = self.is_unlocked();
        self.lock();
        if was_open {
            if let Some(channel) = self.lock_channel.lock().ok().and_then(|c| c.clone()) {
                // A page that went away cannot hear it; the vault is locked all the same.
                let _ = channel.send(VaultLocked { reason });
            }
        }
    }

    /// Locks now: keys and decrypted data leave memory, and so does everything a screen left half-done.
    pub fn lock(&self) {
        if let Ok(mut vault) = self.vault.lock() {
            if let Some(v) = vault.as_mut() {
                v.lock();
            }
        }
        self.forget_pending();
    }

    /// Forgets what screens left half-done (the request, chosen files, the deleted fact, the recovery secret).
    pub(crate) fn forget_pending(&self) {
        if let Ok(mut review) = self.review.lock() {
            *review = None;
        }
        if let Ok(mut path) = self.csv_path.lock() {
            *path = None;
        }
        if let Ok(mut path) = self.backup_path.lock() {
            *path = None;
        }
        if let Ok(mut fact) = self.removed_fact.lock() {
            *fact = None;
        }
        if let Ok(mut secret) = self.pending_recovery.lock() {
            *secret = None;
        }
    }
}
