//! The consumer's preferences, sealed like everything else.
//!
//! [`StoredSettings`] is the collection of the one `settings` record. What it
//! must never do: save preferences it has not checked.

use serde::{Deserialize, Serialize};

use crate::error::{Result, VaultError};
use crate::facts::Sensitivity;
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Writer};

/// The shortest auto-lock delay a person can choose, in minutes.
pub const AUTO_LOCK_MINUTES_MIN: u32 = 1;
/// The longest auto-lock delay a person can choose, in minutes.
pub const AUTO_LOCK_MINUTES_MAX: u32 = 240;

/// Preferences kept in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `"fr"` or `"en"`; `None` follows the system.
    pub language: Option<String>,
    /// Minutes of inactivity before the app locks the vault (1 to 240).
    pub auto_lock_minutes: u32,
    /// How purchase history may be shared.
    pub purchases_sensitivity: Sensitivity,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { language: None, auto_lock_minutes: 5, purchases_sensitivity: Sensitivity::AskMe }
    }
}

/// The preferences: the one `settings` record (defaults when it is missing or unreadable).
pub(crate) struct StoredSettings {
    id: RecordId,
    settings: Settings,
}

impl StoredSettings {
    pub(crate) fn load(
        store: &RecordStore,
        key: &RecordKey,
        damaged: &mut Vec<DamagedRecord>,
    ) -> Result<StoredSettings> {
        let records = store.load::<Settings>(Kind::Settings, key, damaged)?;
        let (id, settings) = records.into_iter().last().unwrap_or_else(|| (RecordId::random(), Settings::default()));
        Ok(StoredSettings { id, settings })
    }

    /// Writes `settings` as a new record (a new vault, a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, settings: &Settings) -> Result<StoredSettings> {
        let id = RecordId::random();
        writer.put(Kind::Settings, &id, settings)?;
        Ok(StoredSettings { id, settings: settings.clone() })
    }

    pub(crate) fn get(&self) -> &Settings {
        &self.settings
    }

    /// Saves new preferences after checking them.
    pub(crate) fn set(&mut self, store: &mut RecordStore, key: &RecordKey, settings: Settings) -> Result<()> {
        if let Some(language) = &settings.language {
            if language != "fr" && language != "en" {
                return Err(VaultError::UnavailableLanguage { language: language.clone() });
            }
        }
        if !(AUTO_LOCK_MINUTES_MIN..=AUTO_LOCK_MINUTES_MAX).contains(&settings.auto_lock_minutes) {
            return Err(VaultError::AutoLockOutOfRange { min: AUTO_LOCK_MINUTES_MIN, max: AUTO_LOCK_MINUTES_MAX });
        }
        let writer = store.write(key)?;
        writer.put(Kind::Settings, &self.id, &settings)?;
        writer.commit()?;
        self.settings = settings;
        Ok(())
    }
}
