//! The vault: one record store and, while unlocked, the vault key and one collection per domain.
//!
//! [`Vault`] is the crate's single entry point. It composes the layers below
//! and adds no rule of its own: [`crate::keys`] unwraps the vault key,
//! [`crate::store`] seals and opens records, each collection
//! ([`crate::facts`], [`crate::purchases`], [`crate::settings`],
//! [`crate::brands`], [`crate::ledger`], and the master secret in
//! [`crate::keys`]) loads and changes its own kind of record, and
//! [`crate::consent`] and [`crate::backup`] work across collections. A change
//! that spans collections (sharing a packet, restoring a backup) is written
//! in one transaction and applied to memory only once committed.
//!
//! What it must never do: keep a key or a decrypted value after
//! [`Vault::lock`], or write to the database outside a transaction of the
//! store.

use std::fmt;
use std::path::Path;

use serde_json::Value;
use tessera_protocol::{ItemName, MasterSecret};
use tessera_seal::DataKey;

use crate::backup::{self, BackupContent, ExportContent, RestoreReport};
use crate::brands::PinnedBrands;
use crate::consent::{self, Decision, Holdings, PacketPreview, RequestReview};
use crate::csv_import::{self, CsvImportReport, CsvOptions, CsvPreview};
use crate::error::{Result, VaultError};
use crate::facts::{Fact, Facts, Sensitivity};
use crate::files;
use crate::keys::{self, check_new_passphrase, Keyslots, Master, RecoverySecret};
use crate::ledger::{BrandKnowledge, Ledger, LedgerEntry, LedgerLine, Refusal};
use crate::purchases::{Purchase, PurchaseFilter, PurchasePage, Purchases, Totals};
use crate::settings::{Settings, StoredSettings};
use crate::store::{DamagedRecord, RecordKey, RecordStore};

/// Everything that exists only while the vault is unlocked.
struct Unlocked {
    key: RecordKey,
    master: Master,
    settings: StoredSettings,
    facts: Facts,
    purchases: Purchases,
    brands: PinnedBrands,
    ledger: Ledger,
    damaged: Vec<DamagedRecord>,
}

impl Unlocked {
    /// Decrypts every collection with `key`. Records that cannot be read are
    /// listed in `damaged`; the others are available.
    fn load(store: &RecordStore, key: RecordKey) -> Result<Unlocked> {
        let mut damaged = Vec::new();
        let master = Master::load(store, &key, &mut damaged)?;
        let settings = StoredSettings::load(store, &key, &mut damaged)?;
        let facts = Facts::load(store, &key, &mut damaged)?;
        let purchases = Purchases::load(store, &key, &mut damaged)?;
        let brands = PinnedBrands::load(store, &key, &mut damaged)?;
        let ledger = Ledger::load(store, &key, &mut damaged)?;
        store.report_unknown_kinds(&mut damaged)?;
        Ok(Unlocked { key, master, settings, facts, purchases, brands, ledger, damaged })
    }

    fn holdings(&self) -> Holdings<'_> {
        Holdings {
            master: self.master.secret(),
            settings: self.settings.get(),
            facts: &self.facts,
            purchases: &self.purchases,
            brands: &self.brands,
        }
    }
}

/// A consumer's vault. Locked when opened; [`Vault::unlock`] loads and decrypts everything into memory.
pub struct Vault {
    store: RecordStore,
    open: Option<Unlocked>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault").field("dir", &self.store.dir()).field("unlocked", &self.open.is_some()).finish()
    }
}

/// Opening, unlocking and locking; the passphrase, the recovery secret and the vault key.
impl Vault {
    /// Whether a vault exists in `dir`.
    pub fn exists(dir: &Path) -> bool {
        RecordStore::exists(dir)
    }

    /// Opens the vault in `dir`, locked.
    pub fn open(dir: &Path) -> Result<Vault> {
        let (store, format) = RecordStore::open(dir)?;
        if !format.as_deref().is_some_and(keys::is_known_format) {
            return Err(VaultError::Corrupt { dir: dir.to_owned(), detail: "no vault header".into() });
        }
        Ok(Vault { store, open: None })
    }

    /// Creates a vault in `dir` protected by `passphrase`, and returns it
    /// unlocked with the recovery secret to show the user once.
    pub fn create(dir: &Path, passphrase: &str) -> Result<(Vault, RecoverySecret)> {
        check_new_passphrase(passphrase)?;
        Self::create_with(dir, passphrase, keys::VAULT_FORMAT)
    }

    /// Test-only: a vault that stores its records in clear, to prove the plaintext scanner can fail.
    #[cfg(feature = "plaintext-control")]
    pub fn create_plaintext_control(dir: &Path, passphrase: &str) -> Result<(Vault, RecoverySecret)> {
        Self::create_with(dir, passphrase, keys::PLAINTEXT_CONTROL_FORMAT)
    }

    fn create_with(dir: &Path, passphrase: &str, format: &str) -> Result<(Vault, RecoverySecret)> {
        let key = DataKey::generate()?;
        if Vault::exists(dir) {
            return Err(VaultError::VaultExists { dir: dir.to_owned() });
        }
        let recovery = RecoverySecret::generate();
        let header = Keyslots::wrap(format, 1, &key, passphrase, &recovery)?;
        let record_key = keys::record_key(dir, format, key, 1)?;
        let (master, settings) = RecordStore::create(dir, &header, &record_key, |writer| {
            Ok((
                Master::write_new(writer, MasterSecret::generate())?,
                StoredSettings::write_new(writer, &Settings::default())?,
            ))
        })?;
        let mut vault = Vault::open(dir)?;
        vault.open = Some(Unlocked {
            key: record_key,
            master,
            settings,
            facts: Facts::default(),
            purchases: Purchases::default(),
            brands: PinnedBrands::default(),
            ledger: Ledger::default(),
            damaged: Vec::new(),
        });
        Ok((vault, recovery))
    }

    /// The vault's directory.
    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    /// Whether the vault is unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.open.is_some()
    }

    fn unlocked(&self) -> Result<&Unlocked> {
        self.open.as_ref().ok_or(VaultError::Locked)
    }

    /// The record store and the unlocked state, borrowed apart, for a collection to save a change.
    fn parts(&mut self) -> Result<(&mut RecordStore, &mut Unlocked)> {
        let open = self.open.as_mut().ok_or(VaultError::Locked)?;
        Ok((&mut self.store, open))
    }

    /// Records that could not be read at unlock (the others are available).
    pub fn damaged_records(&self) -> Result<&[DamagedRecord]> {
        Ok(&self.unlocked()?.damaged)
    }

    /// Runs SQLite's integrity check; `Ok(())` when the database file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        self.store.integrity_check()
    }

    /// Drops every key and every decrypted value from memory.
    pub fn lock(&mut self) {
        self.open = None;
    }

    /// Unlocks with the passphrase: derives the key (Argon2id), then decrypts every record into memory.
    /// Records that cannot be read are listed by [`Vault::damaged_records`]; the others are available.
    pub fn unlock(&mut self, passphrase: &str) -> Result<()> {
        let slots = Keyslots::read(&self.store)?;
        let key = slots.open_with_passphrase(passphrase)?;
        self.load(&slots, key)
    }

    /// Unlocks with the recovery secret and sets a new passphrase, in one transaction.
    pub fn recover(&mut self, recovery: &RecoverySecret, new_passphrase: &str) -> Result<()> {
        check_new_passphrase(new_passphrase)?;
        let slots = Keyslots::read(&self.store)?;
        let key = slots.open_with_recovery(recovery)?;
        self.store.set_passphrase_slot(&Keyslots::passphrase_slot(&key, new_passphrase)?)?;
        self.load(&slots, key)
    }

    /// Replaces the passphrase, after checking the current one, in one transaction.
    pub fn change_passphrase(&mut self, current: &str, new: &str) -> Result<()> {
        self.unlocked()?;
        check_new_passphrase(new)?;
        let key = Keyslots::read(&self.store)?.open_with_passphrase(current)?;
        self.store.set_passphrase_slot(&Keyslots::passphrase_slot(&key, new)?)
    }

    /// Replaces the vault key: every record is sealed again under a new key and
    /// key generation, in one transaction. The old recovery secret stops
    /// working; the new one is returned, to be shown once.
    pub fn rotate_key(&mut self, passphrase: &str) -> Result<RecoverySecret> {
        let slots = Keyslots::read(&self.store)?;
        let old_key = slots.open_with_passphrase(passphrase)?;
        self.unlocked()?;
        let old = keys::record_key(self.store.dir(), &slots.format, old_key, slots.generation)?;
        let new_key = DataKey::generate()?;
        let new_generation = slots.generation + 1;
        let recovery = RecoverySecret::generate();
        let header = Keyslots::wrap(&slots.format, new_generation, &new_key, passphrase, &recovery)?;
        let new = keys::record_key(self.store.dir(), &slots.format, new_key, new_generation)?;
        self.store.rekey(&old, &new, &header)?;
        if let Some(open) = self.open.as_mut() {
            open.key = new;
        }
        Ok(recovery)
    }

    /// Decrypts every record with `key` into memory.
    fn load(&mut self, slots: &Keyslots, key: DataKey) -> Result<()> {
        let key = keys::record_key(self.store.dir(), &slots.format, key, slots.generation)?;
        self.open = Some(Unlocked::load(&self.store, key)?);
        Ok(())
    }
}

/// Profile facts ([`crate::facts`]).
impl Vault {
    /// All facts, in vocabulary-name order.
    pub fn facts(&self) -> Result<Vec<Fact>> {
        Ok(self.unlocked()?.facts.list())
    }

    pub fn fact(&self, item: &ItemName) -> Result<Option<Fact>> {
        Ok(self.unlocked()?.facts.get(item).cloned())
    }

    /// Adds or replaces a fact.
    pub fn set_fact(&mut self, item: ItemName, value: Value, sensitivity: Sensitivity) -> Result<()> {
        let (store, open) = self.parts()?;
        open.facts.set(store, &open.key, Fact { item, value, sensitivity })
    }

    /// Changes how freely a fact may be shared.
    pub fn set_sensitivity(&mut self, item: &ItemName, sensitivity: Sensitivity) -> Result<()> {
        let fact = self.fact(item)?.ok_or(VaultError::NoSuchFact { item: *item })?;
        self.set_fact(fact.item, fact.value, sensitivity)
    }

    /// Deletes a fact and returns it: setting it again undoes the deletion.
    pub fn remove_fact(&mut self, item: &ItemName) -> Result<Fact> {
        let (store, open) = self.parts()?;
        open.facts.remove(store, &open.key, item)
    }
}

/// Preferences ([`crate::settings`]).
impl Vault {
    pub fn settings(&self) -> Result<Settings> {
        Ok(self.unlocked()?.settings.get().clone())
    }

    /// Saves new preferences after checking them.
    pub fn set_settings(&mut self, settings: Settings) -> Result<()> {
        let (store, open) = self.parts()?;
        open.settings.set(store, &open.key, settings)
    }
}

/// Purchase history ([`crate::purchases`], [`crate::csv_import`]).
impl Vault {
    /// Adds one purchase typed by the user; returns its id.
    pub fn add_purchase(&mut self, purchase: Purchase) -> Result<String> {
        purchase.validate()?;
        let (store, open) = self.parts()?;
        let ids = open.purchases.add_all(store, &open.key, vec![purchase])?;
        Ok(ids[0].hex())
    }

    /// Deletes one purchase.
    pub fn remove_purchase(&mut self, id: &str) -> Result<()> {
        let (store, open) = self.parts()?;
        open.purchases.remove(store, &open.key, id)
    }

    /// How many purchases the vault holds.
    pub fn purchase_count(&self) -> Result<usize> {
        Ok(self.unlocked()?.purchases.count())
    }

    /// Purchases matching `filter`, newest first, `limit` from `offset`.
    pub fn purchases(&self, filter: &PurchaseFilter, offset: usize, limit: usize) -> Result<PurchasePage> {
        Ok(self.unlocked()?.purchases.page(filter, offset, limit))
    }

    /// Every purchase matching `filter` (for sharing and exports).
    pub fn all_purchases(&self, filter: &PurchaseFilter) -> Result<Vec<Purchase>> {
        Ok(self.unlocked()?.purchases.matching(filter))
    }

    /// Totals of the purchases matching `filter`, by category and by category and month.
    pub fn purchase_totals(&self, filter: &PurchaseFilter) -> Result<Totals> {
        Ok(self.unlocked()?.purchases.totals(filter))
    }

    /// Reads a CSV file and says what importing it would do; writes nothing.
    pub fn preview_csv(&self, bytes: &[u8], options: &CsvOptions) -> Result<CsvPreview> {
        let mut preview = csv_import::parse(bytes, options)?;
        csv_import::mark_duplicates(&mut preview, self.unlocked()?.purchases.iter());
        Ok(preview)
    }

    /// Imports the readable, new rows of a CSV file in one transaction.
    pub fn import_csv(&mut self, bytes: &[u8], options: &CsvOptions) -> Result<CsvImportReport> {
        let preview = self.preview_csv(bytes, options)?;
        let new: Vec<Purchase> = preview.rows.into_iter().filter(|r| !r.duplicate).map(|r| r.purchase).collect();
        let imported = new.len();
        if imported > 0 {
            let (store, open) = self.parts()?;
            open.purchases.add_all(store, &open.key, new)?;
        }
        Ok(CsvImportReport { imported, duplicates: preview.duplicate_count, errors: preview.errors })
    }
}

/// Deciding on a brand's request and sharing ([`crate::consent`], [`crate::brands`]).
impl Vault {
    /// Verifies a request (signature, format, dates) and describes it for a decision.
    pub fn review_request(&self, jws: &str, now: i64) -> Result<RequestReview> {
        self.unlocked()?.holdings().review_request(jws, now)
    }

    /// Pins (or re-pins, after a key change the brand confirmed) the request's brand key.
    pub fn trust_brand(&mut self, review: &RequestReview, now: i64) -> Result<()> {
        let (store, open) = self.parts()?;
        open.brands.pin(store, &open.key, review.brand_pin(now))
    }

    /// Computes exactly what the packet would contain for `decisions`. Every
    /// requested item needs one decision; `never share` facts must be denied.
    pub fn preview_packet(&self, review: &RequestReview, decisions: &[Decision], now: i64) -> Result<PacketPreview> {
        self.unlocked()?.holdings().preview_packet(review, decisions, now)
    }

    /// Signs the previewed packet with the per-brand key, writes the encrypted
    /// packet file to `path` and records it in the ledger (pinning the brand's
    /// key on first contact). If the ledger cannot be updated, the file is removed.
    pub fn write_packet(
        &mut self,
        review: &RequestReview,
        preview: &PacketPreview,
        path: &Path,
        now: i64,
    ) -> Result<LedgerEntry> {
        let open = self.unlocked()?;
        let sealed = consent::seal_packet(review, preview, open.master.secret())?;
        let pin = review.brand_pin(now);
        let first_contact = matches!(open.brands.trust_of(&pin.name, &pin.did), consent::BrandTrust::FirstContact);
        files::write_atomic(path, &sealed.file)?;
        let entry = sealed.entry;
        let stored = (|| {
            let (store, open) = self.parts()?;
            let writer = store.write(&open.key)?;
            let staged_entry = open.ledger.stage(&writer, entry.clone())?;
            let staged_pin = if first_contact { Some(open.brands.stage(&writer, pin)?) } else { None };
            writer.commit()?;
            if let Some(staged) = staged_pin {
                open.brands.apply(staged);
            }
            open.ledger.apply(staged_entry);
            Ok(())
        })();
        if let Err(e) = stored {
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(entry)
    }
}

/// What each brand holds, refusals, revocations and deletion receipts ([`crate::ledger`]).
impl Vault {
    /// Declines the whole request: nothing is sent, no key is pinned, and the
    /// ledger records who asked, for what and why, and when it was declined.
    pub fn decline_request(&mut self, review: &RequestReview, now: i64) -> Result<Refusal> {
        let (store, open) = self.parts()?;
        open.ledger.decline(store, &open.key, review.refusal(now))
    }

    /// Every request declined, newest first.
    pub fn refusals(&self) -> Result<Vec<Refusal>> {
        Ok(self.unlocked()?.ledger.refusals().cloned().collect())
    }

    /// Every packet shared, newest first.
    pub fn ledger(&self, now: i64) -> Result<Vec<LedgerLine>> {
        Ok(self.unlocked()?.ledger.lines(now))
    }

    /// For each brand: what it holds now and every packet it received.
    pub fn what_brands_know(&self, now: i64) -> Result<Vec<BrandKnowledge>> {
        Ok(self.unlocked()?.ledger.what_brands_know(now))
    }

    /// Signs a revocation of packet `packet_jti`, writes it to `path` for the brand, and marks the packet revoked.
    pub fn revoke_packet(&mut self, packet_jti: &str, path: &Path, now: i64) -> Result<LedgerLine> {
        let (store, open) = self.parts()?;
        open.ledger.revoke(store, &open.key, open.master.secret(), packet_jti, path, now)
    }

    /// Checks a brand's deletion receipt against the ledger and records the deletion as confirmed.
    pub fn import_receipt(&mut self, jws: &str, now: i64) -> Result<LedgerLine> {
        let (store, open) = self.parts()?;
        open.ledger.import_receipt(store, &open.key, jws, now)
    }
}

/// Backup, restore and "export all my data" ([`crate::backup`]).
impl Vault {
    /// Writes an encrypted backup of everything to `path`, protected by `backup_passphrase`.
    pub fn backup(&self, path: &Path, backup_passphrase: &str, now: i64) -> Result<()> {
        let open = self.unlocked()?;
        let content = BackupContent {
            format: backup::BACKUP_FORMAT.into(),
            version: backup::BACKUP_VERSION,
            created_at: now,
            master_secret: *open.master.secret().as_bytes(),
            settings: open.settings.get().clone(),
            facts: open.facts.list(),
            purchases: open.purchases.iter().cloned().collect(),
            brands: open.brands.list(),
            ledger: open.ledger.records(),
        };
        backup::write(path, backup_passphrase, &content)
    }

    /// Replaces the whole vault content with the backup at `path`. The backup
    /// is decrypted and checked entirely first; nothing changes if it fails.
    pub fn restore(&mut self, path: &Path, backup_passphrase: &str) -> Result<RestoreReport> {
        self.unlocked()?;
        let content = backup::read(path, backup_passphrase)?;
        let (store, open) = self.parts()?;
        let writer = store.write(&open.key)?;
        writer.delete_all()?;
        let master = Master::write_new(&writer, MasterSecret::from_bytes(&content.master_secret))?;
        let settings = StoredSettings::write_new(&writer, &content.settings)?;
        let facts = Facts::write_new(&writer, &content.facts)?;
        let purchases = Purchases::write_new(&writer, &content.purchases)?;
        let brands = PinnedBrands::write_new(&writer, &content.brands)?;
        let ledger = Ledger::write_new(&writer, &content.ledger)?;
        writer.commit()?;
        open.master = master;
        open.settings = settings;
        open.facts = facts;
        open.purchases = purchases;
        open.brands = brands;
        open.ledger = ledger;
        open.damaged.clear();
        Ok(content.report())
    }

    /// Writes all my data as readable JSON inside an age file protected by `passphrase`
    /// (`age --decrypt FILE` shows it).
    pub fn export_all(&self, path: &Path, passphrase: &str, now: i64) -> Result<()> {
        let open = self.unlocked()?;
        let content = ExportContent {
            settings: open.settings.get(),
            facts: open.facts.list(),
            purchases: open.purchases.iter().cloned().collect(),
            what_brands_know: open.ledger.what_brands_know(now),
        };
        backup::export(path, passphrase, now, content)
    }
}

/// Editing a purchase ([`crate::purchases`]).
impl Vault {
    /// Replaces the purchase with id `id` (as listed) by `purchase`, after checking it.
    pub fn edit_purchase(&mut self, id: &str, purchase: Purchase) -> Result<()> {
        purchase.validate()?;
        let (store, open) = self.parts()?;
        open.purchases.replace(store, &open.key, id, purchase)
    }
}

/// A backup looked at before it replaces anything, and a vault made from a backup ([`crate::backup`]).
impl Vault {
    /// Decrypts and checks the whole backup at `path` and says what it holds; changes nothing.
    pub fn inspect_backup(path: &Path, backup_passphrase: &str) -> Result<RestoreReport> {
        Ok(backup::read(path, backup_passphrase)?.report())
    }

    /// What the unlocked vault holds now, counted as a restore report counts a backup (its `created_at` is 0).
    pub fn holdings_report(&self) -> Result<RestoreReport> {
        let open = self.unlocked()?;
        Ok(RestoreReport {
            created_at: 0,
            facts: open.facts.list().len(),
            purchases: open.purchases.count(),
            packets: open.ledger.entries().count(),
        })
    }

    /// Creates a vault in `dir` from the backup at `path` (on a new computer, with no
    /// vault yet), protected by `new_passphrase`. The backup is decrypted and checked
    /// entirely first, and the vault file appears only once everything is written.
    /// The vault has a new vault key, so a new recovery secret is returned, to be shown once.
    pub fn create_from_backup(
        dir: &Path,
        path: &Path,
        backup_passphrase: &str,
        new_passphrase: &str,
    ) -> Result<(Vault, RecoverySecret, RestoreReport)> {
        check_new_passphrase(new_passphrase)?;
        if Vault::exists(dir) {
            return Err(VaultError::VaultExists { dir: dir.to_owned() });
        }
        let content = backup::read(path, backup_passphrase)?;
        let format = keys::VAULT_FORMAT;
        let key = DataKey::generate()?;
        let recovery = RecoverySecret::generate();
        let header = Keyslots::wrap(format, 1, &key, new_passphrase, &recovery)?;
        let record_key = keys::record_key(dir, format, key, 1)?;
        let (master, settings, facts, purchases, brands, ledger) =
            RecordStore::create(dir, &header, &record_key, |writer| {
                Ok((
                    Master::write_new(writer, MasterSecret::from_bytes(&content.master_secret))?,
                    StoredSettings::write_new(writer, &content.settings)?,
                    Facts::write_new(writer, &content.facts)?,
                    Purchases::write_new(writer, &content.purchases)?,
                    PinnedBrands::write_new(writer, &content.brands)?,
                    Ledger::write_new(writer, &content.ledger)?,
                ))
            })?;
        let mut vault = Vault::open(dir)?;
        vault.open =
            Some(Unlocked { key: record_key, master, settings, facts, purchases, brands, ledger, damaged: Vec::new() });
        Ok((vault, recovery, content.report()))
    }
}
