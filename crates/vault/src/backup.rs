//! Backup and restore, and "export all my data", as passphrase-encrypted age files.
//!
//! Both are standard age files (scrypt passphrase recipient): `age --decrypt`
//! opens them anywhere. A restore decrypts and checks the whole backup before
//! anything in the vault is replaced, then replaces everything in one
//! transaction (the vault does that, collection by collection).
//!
//! What it must never do: write a backup or an export in clear, or hand back
//! a backup it has not checked entirely.

use std::io::{Read, Write};
use std::iter;
use std::path::Path;

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use zeroize::Zeroizing;

use crate::brands::PinnedBrand;
use crate::error::{Result, VaultError};
use crate::facts::{is_profile_fact, Fact};
use crate::files;
use crate::keys::MIN_PASSPHRASE_CHARS;
use crate::ledger::{BrandKnowledge, LedgerRecord};
use crate::purchases::Purchase;
use crate::settings::Settings;

pub(crate) const BACKUP_FORMAT: &str = "tessera-vault-backup";
/// Version 2 added declined requests to the ledger; version 1 backups still restore.
pub(crate) const BACKUP_VERSION: u32 = 2;
const READABLE_BACKUP_VERSIONS: std::ops::RangeInclusive<u32> = 1..=BACKUP_VERSION;

/// Everything in a vault, as a backup holds it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackupContent {
    pub(crate) format: String,
    pub(crate) version: u32,
    pub(crate) created_at: i64,
    pub(crate) master_secret: [u8; 32],
    pub(crate) settings: Settings,
    pub(crate) facts: Vec<Fact>,
    pub(crate) purchases: Vec<Purchase>,
    pub(crate) brands: Vec<PinnedBrand>,
    pub(crate) ledger: Vec<LedgerRecord>,
}

impl Drop for BackupContent {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.master_secret.zeroize();
    }
}

/// What a restore brought back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    pub created_at: i64,
    pub facts: usize,
    pub purchases: usize,
    pub packets: usize,
}

fn encrypt(plain: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::WeakPassphrase { min: MIN_PASSPHRASE_CHARS });
    }
    let encryptor = age::Encryptor::with_user_passphrase(SecretString::from(passphrase.to_owned()));
    let mut out = Vec::with_capacity(plain.len() + 256);
    let io = |e: std::io::Error| VaultError::InvalidInput(format!("encryption failed: {e}"));
    let mut writer = encryptor.wrap_output(&mut out).map_err(io)?;
    writer.write_all(plain).map_err(io)?;
    writer.finish().map_err(io)?;
    Ok(out)
}

fn decrypt(bytes: &[u8], passphrase: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let fail = |detail: String| VaultError::Backup { path: path.to_owned(), detail };
    let decryptor = age::Decryptor::new_buffered(bytes).map_err(|e| fail(format!("it is not an age file ({e})")))?;
    if !decryptor.is_scrypt() {
        return Err(fail("it is not protected by a passphrase; it is not a Tessera backup".into()));
    }
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    let mut reader = decryptor.decrypt(iter::once(&identity as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
            fail("wrong backup passphrase".into())
        }
        other => fail(other.to_string()),
    })?;
    let mut plain = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plain).map_err(|e| fail(format!("the file is damaged ({e})")))?;
    Ok(plain)
}

/// Writes an encrypted backup of `content` to `path`, protected by `backup_passphrase`.
pub(crate) fn write(path: &Path, backup_passphrase: &str, content: &BackupContent) -> Result<()> {
    let plain = Zeroizing::new(serde_json::to_vec(content).unwrap_or_else(|e| unreachable!("backups serialise: {e}")));
    files::write_private(path, &encrypt(&plain, backup_passphrase)?)
}

/// Decrypts and checks the whole backup at `path`; nothing is returned unless all of it is sound.
pub(crate) fn read(path: &Path, backup_passphrase: &str) -> Result<BackupContent> {
    let bytes = std::fs::read(path).map_err(|e| VaultError::Backup { path: path.to_owned(), detail: e.to_string() })?;
    let plain = decrypt(&bytes, backup_passphrase, path)?;
    let fail = |detail: String| VaultError::Backup { path: path.to_owned(), detail };
    let content: BackupContent =
        serde_json::from_slice(&plain).map_err(|e| fail(format!("not a Tessera backup ({e})")))?;
    if content.format != BACKUP_FORMAT || !READABLE_BACKUP_VERSIONS.contains(&content.version) {
        return Err(fail(format!("unknown backup format {} version {}", content.format, content.version)));
    }
    for fact in &content.facts {
        if !is_profile_fact(&fact.item) {
            return Err(fail(format!("{} is not a profile fact", fact.item)));
        }
        fact.item.validate(&fact.value).map_err(|e| fail(e.to_string()))?;
    }
    for purchase in &content.purchases {
        purchase.validate().map_err(|e| fail(e.to_string()))?;
    }
    Ok(content)
}

impl BackupContent {
    /// What restoring this backup brings back.
    pub(crate) fn report(&self) -> RestoreReport {
        RestoreReport {
            created_at: self.created_at,
            facts: self.facts.len(),
            purchases: self.purchases.len(),
            packets: self.ledger.iter().filter(|r| matches!(r, LedgerRecord::Shared(_))).count(),
        }
    }
}

/// What "export all my data" holds.
pub(crate) struct ExportContent<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) facts: Vec<Fact>,
    pub(crate) purchases: Vec<Purchase>,
    pub(crate) what_brands_know: Vec<BrandKnowledge>,
}

/// Writes all my data as readable JSON inside an age file protected by `passphrase`
/// (`age --decrypt FILE` shows it).
pub(crate) fn export(path: &Path, passphrase: &str, now: i64, content: ExportContent<'_>) -> Result<()> {
    let facts: Vec<_> = content
        .facts
        .into_iter()
        .map(|f| json!({"item": f.item, "label_en": f.item.spec().label_en, "label_fr": f.item.spec().label_fr, "value": f.value, "sensitivity": f.sensitivity}))
        .collect();
    let export = json!({
        "exported_at": tessera_protocol::display_time(now),
        "settings": content.settings,
        "facts": facts,
        "purchases": content.purchases,
        "what_brands_know": content.what_brands_know,
    });
    let text =
        Zeroizing::new(serde_json::to_vec_pretty(&export).unwrap_or_else(|e| unreachable!("exports serialise: {e}")));
    files::write_private(path, &encrypt(&text, passphrase)?)
}
