//! The consumer's preferences, sealed like everything else.

use serde::{Deserialize, Serialize};

use crate::facts::Sensitivity;
use crate::store::{begin, Kind};
use crate::{Result, Vault, VaultError};

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

impl Vault {
    pub fn settings(&self) -> Result<Settings> {
        Ok(self.unlocked()?.settings.1.clone())
    }

    /// Saves new preferences after checking them.
    pub fn set_settings(&mut self, settings: Settings) -> Result<()> {
        if let Some(language) = &settings.language {
            if language != "fr" && language != "en" {
                return Err(VaultError::InvalidInput(format!(
                    "language {language:?} is not available: choose fr or en"
                )));
            }
        }
        if !(1..=240).contains(&settings.auto_lock_minutes) {
            return Err(VaultError::InvalidInput("auto-lock must be between 1 and 240 minutes".into()));
        }
        let (conn, open) = self.parts()?;
        let writer = begin(conn, open)?;
        writer.put(Kind::Settings, &open.settings.0, &settings)?;
        writer.commit()?;
        open.settings.1 = settings;
        Ok(())
    }
}
