//! Backup and restore, and "export all my data", as passphrase-encrypted age files.
//!
//! Both are standard age files (scrypt passphrase recipient): `age --decrypt`
//! opens them anywhere. A restore decrypts and checks the whole backup before
//! anything in the vault is replaced, then replaces everything in one
//! transaction.

use std::io::{Read, Write};
use std::iter;
use std::path::Path;

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_protocol::MasterSecret;
use zeroize::Zeroizing;

use crate::consent::PinnedBrand;
use crate::facts::{is_profile_fact, Fact};
use crate::ledger::LedgerEntry;
use crate::purchases::Purchase;
use crate::settings::Settings;
use crate::store::{begin, Kind, RecordId};
use crate::{files, Result, Vault, VaultError};

const BACKUP_FORMAT: &str = "tessera-vault-backup";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupContent {
    format: String,
    version: u32,
    created_at: i64,
    master_secret: [u8; 32],
    settings: Settings,
    facts: Vec<Fact>,
    purchases: Vec<Purchase>,
    brands: Vec<PinnedBrand>,
    ledger: Vec<LedgerEntry>,
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
    if passphrase.chars().count() < crate::keys::MIN_PASSPHRASE_CHARS {
        return Err(VaultError::WeakPassphrase { min: crate::keys::MIN_PASSPHRASE_CHARS });
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

impl Vault {
    /// Writes an encrypted backup of everything to `path`, protected by `backup_passphrase`.
    pub fn backup(&self, path: &Path, backup_passphrase: &str, now: i64) -> Result<()> {
        let open = self.unlocked()?;
        let content = BackupContent {
            format: BACKUP_FORMAT.into(),
            version: 1,
            created_at: now,
            master_secret: *open.master.as_bytes(),
            settings: open.settings.1.clone(),
            facts: open.facts.values().map(|(_, f)| f.clone()).collect(),
            purchases: open.purchases.iter().map(|(_, p)| p.clone()).collect(),
            brands: open.brands.values().map(|(_, b)| b.clone()).collect(),
            ledger: open.ledger.iter().map(|(_, e)| e.clone()).collect(),
        };
        let plain =
            Zeroizing::new(serde_json::to_vec(&content).unwrap_or_else(|e| unreachable!("backups serialise: {e}")));
        files::write_private(path, &encrypt(&plain, backup_passphrase)?)
    }

    /// Replaces the whole vault content with the backup at `path`. The backup
    /// is decrypted and checked entirely first; nothing changes if it fails.
    pub fn restore(&mut self, path: &Path, backup_passphrase: &str) -> Result<RestoreReport> {
        self.unlocked()?;
        let bytes =
            std::fs::read(path).map_err(|e| VaultError::Backup { path: path.to_owned(), detail: e.to_string() })?;
        let plain = decrypt(&bytes, backup_passphrase, path)?;
        let fail = |detail: String| VaultError::Backup { path: path.to_owned(), detail };
        let content: BackupContent =
            serde_json::from_slice(&plain).map_err(|e| fail(format!("not a Tessera backup ({e})")))?;
        if content.format != BACKUP_FORMAT || content.version != 1 {
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
        let report = RestoreReport {
            created_at: content.created_at,
            facts: content.facts.len(),
            purchases: content.purchases.len(),
            packets: content.ledger.len(),
        };

        let (conn, open) = self.parts()?;
        let master_id = RecordId::random();
        let settings_id = RecordId::random();
        let facts: Vec<(RecordId, Fact)> = content.facts.iter().map(|f| (RecordId::random(), f.clone())).collect();
        let purchases: Vec<(RecordId, Purchase)> =
            content.purchases.iter().map(|p| (RecordId::random(), p.clone())).collect();
        let brands: Vec<(RecordId, PinnedBrand)> =
            content.brands.iter().map(|b| (RecordId::random(), b.clone())).collect();
        let ledger: Vec<(RecordId, LedgerEntry)> =
            content.ledger.iter().map(|e| (RecordId::random(), e.clone())).collect();
        let writer = begin(conn, open)?;
        writer.tx.execute("DELETE FROM records", [])?;
        writer.put(Kind::Master, &master_id, &crate::keys::MasterRecord { secret: content.master_secret })?;
        writer.put(Kind::Settings, &settings_id, &content.settings)?;
        for (id, f) in &facts {
            writer.put(Kind::Fact, id, f)?;
        }
        for (id, p) in &purchases {
            writer.put(Kind::Purchase, id, p)?;
        }
        for (id, b) in &brands {
            writer.put(Kind::Brand, id, b)?;
        }
        for (id, e) in &ledger {
            writer.put(Kind::Ledger, id, e)?;
        }
        writer.commit()?;
        open.master = MasterSecret::from_bytes(&content.master_secret);
        open.settings = (settings_id, content.settings.clone());
        open.facts = facts.into_iter().map(|(id, f)| (f.item, (id, f))).collect();
        open.purchases = purchases;
        crate::purchases::sort_newest_first(&mut open.purchases);
        open.brands = brands.into_iter().map(|(id, b)| (b.key(), (id, b))).collect();
        open.ledger = ledger;
        open.ledger.sort_by_key(|(_, e)| std::cmp::Reverse(e.shared_at));
        open.damaged.clear();
        Ok(report)
    }

    /// Writes all my data as readable JSON inside an age file protected by `passphrase`
    /// (`age --decrypt FILE` shows it).
    pub fn export_all(&self, path: &Path, passphrase: &str, now: i64) -> Result<()> {
        let settings = self.settings()?;
        let facts: Vec<_> = self
            .facts()?
            .into_iter()
            .map(|f| json!({"item": f.item, "label_en": f.item.spec().label_en, "label_fr": f.item.spec().label_fr, "value": f.value, "sensitivity": f.sensitivity}))
            .collect();
        let purchases = self.all_purchases(&Default::default())?;
        let export = json!({
            "exported_at": tessera_protocol::display_time(now),
            "settings": settings,
            "facts": facts,
            "purchases": purchases,
            "what_brands_know": self.what_brands_know(now)?,
        });
        let text = Zeroizing::new(
            serde_json::to_vec_pretty(&export).unwrap_or_else(|e| unreachable!("exports serialise: {e}")),
        );
        files::write_private(path, &encrypt(&text, passphrase)?)
    }
}
