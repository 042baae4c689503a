//! What the app holds while it runs: the vault, the request being answered, and idle time.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tessera_vault::consent::RequestReview;
use tessera_vault::Vault;

/// The app's state, shared by every command.
pub struct AppState {
    /// Where the vault lives (`<app data>/vault`).
    pub data_dir: PathBuf,
    /// Tests only: file dialogs replaced by fixed names in this directory.
    pub test_files: Option<PathBuf>,
    pub vault: Mutex<Option<Vault>>,
    /// The request being answered, verified, kept here so the page never handles it.
    pub review: Mutex<Option<RequestReview>>,
    /// The CSV file chosen for import.
    pub csv_path: Mutex<Option<PathBuf>>,
    pub last_activity: Mutex<Instant>,
    pub auto_lock_minutes: AtomicU32,
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
            vault: Mutex::new(None),
            review: Mutex::new(None),
            csv_path: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            auto_lock_minutes: AtomicU32::new(5),
        }
    }

    pub fn vault_dir(&self) -> PathBuf {
        self.data_dir.join("vault")
    }

    /// Notes user activity, postponing auto-lock.
    pub fn touch(&self) {
        if let Ok(mut last) = self.last_activity.lock() {
            *last = Instant::now();
        }
    }

    /// Locks the vault (dropping its keys) when idle longer than the auto-lock delay.
    pub fn lock_if_idle(&self) {
        let idle = self.last_activity.lock().map(|l| l.elapsed()).unwrap_or_default();
        let limit = Duration::from_secs(u64::from(self.auto_lock_minutes.load(Ordering::Relaxed)) * 60);
        if idle >= limit {
            self.lock();
        }
    }

    /// Locks now: keys and decrypted data leave memory, the pending request is forgotten.
    pub fn lock(&self) {
        if let Ok(mut vault) = self.vault.lock() {
            if let Some(v) = vault.as_mut() {
                v.lock();
            }
        }
        if let Ok(mut review) = self.review.lock() {
            *review = None;
        }
    }
}
