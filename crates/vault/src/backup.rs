//! Backup and restore, and "export all my data", as passphrase-encrypted age files.
//!
//! Both are standard age files (scrypt passphrase recipient): `age --decrypt`
//! opens them anywhere. A restore decrypts and checks the whole backup
//! ([`read`], giving a [`CheckedBackup`] whose [`BackupSummary`] can be shown
//! before anything is replaced), then replaces everything in one transaction
//! (the vault does that, collection by collection, after keeping the vault it
//! replaces as a safety copy).
//!
//! Backups of version 1 were written when money received was kept as negative
//! purchases; reading one moves those apart as credits, by the same rule as
//! the vault's own migration ([`crate::purchases`]), and the summary says how
//! many.
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
use crate::credits::Credit;
use crate::error::{Result, VaultError};
use crate::facts::{is_profile_fact, Fact};
use crate::files;
use crate::keys::MIN_PASSPHRASE_CHARS;
use crate::ledger::{BrandKnowledge, LedgerRecord};
use crate::outbox::OutboxItem;
use crate::purchases::{split_schema_1, LegacyCredits, Purchase};
use crate::settings::Settings;

pub(crate) const BACKUP_FORMAT: &str = "tessera-vault-backup";
/// 2: money received is apart (`credits`), purchases are never negative, and the ledger
/// holds declined requests beside shared packets. 3: what waits to be sent (`outbox`) is
/// kept, so a restore does not lose a share or a revocation not sent yet. Versions 1 and 2
/// still restore (with nothing waiting).
pub(crate) const BACKUP_VERSION: u32 = 3;
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
    /// Absent from version 1.
    #[serde(default)]
    pub(crate) credits: Vec<Credit>,
    pub(crate) brands: Vec<PinnedBrand>,
    pub(crate) ledger: Vec<LedgerRecord>,
    /// Absent before version 3.
    #[serde(default)]
    pub(crate) outbox: Vec<OutboxItem>,
}

impl Drop for BackupContent {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.master_secret.zeroize();
    }
}

/// What a backup holds, told before it replaces anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupSummary {
    pub created_at: i64,
    pub facts: usize,
    pub purchases: usize,
    /// Money received, kept apart.
    pub credits: usize,
    pub packets: usize,
    /// For a version-1 backup: the negative purchases moved apart as money received.
    pub moved_to_credits: Option<LegacyCredits>,
}

/// What a restore brought back, and where the vault it replaced is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    pub created_at: i64,
    pub facts: usize,
    pub purchases: usize,
    pub credits: usize,
    pub packets: usize,
    /// Packets and revocations that waited to be sent in the backup: held, sent only when the
    /// person asks (the backup may be older than a revocation).
    pub held: usize,
    pub moved_to_credits: Option<LegacyCredits>,
    /// The vault the restore replaced, kept until the next successful unlock
    /// (never sent to the app's page: paths stay in Rust).
    #[serde(skip)]
    pub safety_copy: Option<std::path::PathBuf>,
    /// Whether that copy was already there from an earlier restore (and was kept, not replaced).
    #[serde(skip)]
    pub safety_copy_kept_from_before: bool,
}

/// A backup decrypted and checked entirely, ready to replace a vault's content.
pub struct CheckedBackup {
    pub(crate) content: BackupContent,
    moved_to_credits: Option<LegacyCredits>,
}

impl std::fmt::Debug for CheckedBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedBackup").field("summary", &self.summary()).finish()
    }
}

impl CheckedBackup {
    /// What the backup holds.
    pub fn summary(&self) -> BackupSummary {
        BackupSummary {
            created_at: self.content.created_at,
            facts: self.content.facts.len(),
            purchases: self.content.purchases.len(),
            credits: self.content.credits.len(),
            packets: self.content.ledger.iter().filter(|r| matches!(r, LedgerRecord::Shared(_))).count(),
            moved_to_credits: self.moved_to_credits,
        }
    }
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

/// Largest backup file read, and largest content once decrypted: far more than a vault of a
/// million purchases needs; a larger file is not read into memory.
pub const MAX_BACKUP_BYTES: u64 = 512 << 20;

fn decrypt(bytes: &[u8], passphrase: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let fail = |detail: String| VaultError::Backup { path: path.to_owned(), detail };
    let decryptor = age::Decryptor::new_buffered(bytes).map_err(|e| fail(format!("it is not an age file ({e})")))?;
    if !decryptor.is_scrypt() {
        return Err(fail("it is not protected by a passphrase; it is not a Tessera backup".into()));
    }
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    let reader = decryptor.decrypt(iter::once(&identity as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
            fail("wrong backup passphrase".into())
        }
        other => fail(other.to_string()),
    })?;
    let mut plain = Zeroizing::new(Vec::new());
    reader
        .take(MAX_BACKUP_BYTES + 1)
        .read_to_end(&mut plain)
        .map_err(|e| fail(format!("the file is damaged ({e})")))?;
    if plain.len() as u64 > MAX_BACKUP_BYTES {
        return Err(fail(format!(
            "it holds more than any Tessera backup can ({} MiB at most)",
            MAX_BACKUP_BYTES >> 20
        )));
    }
    Ok(plain)
}

/// Writes an encrypted backup of `content` to `path`, protected by `backup_passphrase`.
pub(crate) fn write(path: &Path, backup_passphrase: &str, content: &BackupContent) -> Result<()> {
    let plain = Zeroizing::new(serde_json::to_vec(content).unwrap_or_else(|e| unreachable!("backups serialise: {e}")));
    files::write_private(path, &encrypt(&plain, backup_passphrase)?)
}

/// Decrypts and checks the whole backup at `path`; nothing is returned unless all of it is sound.
pub(crate) fn read(path: &Path, backup_passphrase: &str) -> Result<CheckedBackup> {
    let bytes = files::read_capped(path, MAX_BACKUP_BYTES).map_err(|e| VaultError::Backup {
        path: path.to_owned(),
        detail: match e {
            files::CappedReadError::Io(e) => e.to_string(),
            files::CappedReadError::TooLarge { .. } => format!(
                "the file is larger than any Tessera backup can be ({} MiB at most); it is not a backup",
                MAX_BACKUP_BYTES >> 20
            ),
        },
    })?;
    let plain = decrypt(&bytes, backup_passphrase, path)?;
    let fail = |detail: String| VaultError::Backup { path: path.to_owned(), detail };
    let mut content: BackupContent =
        serde_json::from_slice(&plain).map_err(|e| fail(format!("not a Tessera backup ({e})")))?;
    if content.format != BACKUP_FORMAT || !READABLE_BACKUP_VERSIONS.contains(&content.version) {
        return Err(fail(format!("unknown backup format {} version {}", content.format, content.version)));
    }
    let mut moved_to_credits = None;
    if content.version == 1 {
        let (purchases, credits, moved) = split_schema_1(std::mem::take(&mut content.purchases));
        content.purchases = purchases;
        content.credits = credits;
        content.version = BACKUP_VERSION;
        moved_to_credits = Some(moved);
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
    for credit in &content.credits {
        credit.validate().map_err(|e| fail(e.to_string()))?;
    }
    // What waits to be sent goes only where the packet's own request said.
    for item in &content.outbox {
        let goes_where_its_request_said = content.ledger.iter().any(|record| match record {
            LedgerRecord::Shared(entry) => {
                entry.packet_jti == item.packet_jti && entry.response_uri.as_deref() == Some(item.response_uri.as_str())
            }
            LedgerRecord::Declined(_) => false,
        });
        if !goes_where_its_request_said {
            return Err(fail(format!(
                "its outbox holds an item for packet {} that its ledger does not send to {}",
                item.packet_jti, item.response_uri
            )));
        }
    }
    Ok(CheckedBackup { content, moved_to_credits })
}

impl CheckedBackup {
    /// What waited to be sent, held: after a restore nothing is sent by itself (the backup may
    /// be older than a revocation); the person sends it when they ask.
    pub(crate) fn outbox_held(&self) -> Vec<OutboxItem> {
        self.content.outbox.iter().cloned().map(|item| OutboxItem { held: true, restored: true, ..item }).collect()
    }

    /// What restoring this backup brought back, the vault it replaced being kept at `safety_copy`.
    pub(crate) fn report(&self, safety_copy: Option<std::path::PathBuf>, kept_from_before: bool) -> RestoreReport {
        let summary = self.summary();
        RestoreReport {
            created_at: summary.created_at,
            facts: summary.facts,
            purchases: summary.purchases,
            credits: summary.credits,
            packets: summary.packets,
            held: self.content.outbox.len(),
            moved_to_credits: summary.moved_to_credits,
            safety_copy,
            safety_copy_kept_from_before: kept_from_before,
        }
    }
}

/// What "export all my data" holds.
pub(crate) struct ExportContent<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) facts: Vec<Fact>,
    pub(crate) purchases: Vec<Purchase>,
    pub(crate) credits: Vec<Credit>,
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
        "money_received": content.credits,
        "what_brands_know": content.what_brands_know,
    });
    let text =
        Zeroizing::new(serde_json::to_vec_pretty(&export).unwrap_or_else(|e| unreachable!("exports serialise: {e}")));
    files::write_private(path, &encrypt(&text, passphrase)?)
}
