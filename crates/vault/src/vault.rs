//! The vault: one record store and, while unlocked, the vault key and one collection per domain.
//!
//! [`Vault`] is the crate's single entry point. It composes the layers below
//! and adds no rule of its own: [`crate::keys`] unwraps the vault key,
//! [`crate::store`] seals and opens records, each collection
//! ([`crate::facts`], [`crate::purchases`], [`crate::credits`],
//! [`crate::settings`], [`crate::brands`], [`crate::ledger`], and the master
//! secret in [`crate::keys`]) loads and changes its own kind of record, and
//! [`crate::consent`] and [`crate::backup`] work across collections. A change
//! that spans collections (sharing a packet, importing a file, restoring a
//! backup) is written in one transaction and applied to memory only once
//! committed.
//!
//! [`Vault::unlock`] decrypts every collection at once (the app shows them
//! all); [`Vault::unlock_on_demand`] decrypts each one the first time a call
//! needs it (a command that lists facts never decrypts purchases). Either way
//! an unlock first moves money received out of purchases sealed by schema 1
//! ([`crate::purchases::migrate_schema_1`]), stores the keyslots' checks of a
//! vault made by schema 1, and removes the safety copy a restore left
//! ([`UnlockNotes`] says what it did).
//!
//! What it must never do: keep a key or a decrypted value after
//! [`Vault::lock`], or write to the database outside a transaction of the
//! store.

use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use tessera_protocol::inbox::PacketAcknowledgement;
use tessera_protocol::{ItemName, MasterSecret};
use tessera_seal::DataKey;

use crate::backup::{self, BackupContent, CheckedBackup, ExportContent, RestoreReport};
use crate::brands::PinnedBrands;
use crate::consent::{self, Decision, Holdings, PacketPreview, RequestReview};
use crate::credits::{Credit, Credits, ListedCredit};
use crate::csv_import::{self, CsvImportReport, CsvOptions, CsvPreview};
use crate::error::{Result, VaultError};
use crate::facts::{Fact, Facts, Sensitivity};
use crate::files;
use crate::keys::{self, check_new_passphrase, KeyRotation, Keyslots, Master, RecoverySecret};
use crate::ledger::{
    BrandKnowledge, Delivery, InOutbox, Ledger, LedgerEntry, LedgerLine, ReceiptCheck, Refusal, Withdrawal,
};
use crate::outbox::{backoff, Outbox, OutboxItem, OutgoingKind, IN_FLIGHT_SETTLE_SECONDS};
use crate::purchases::{self, LegacyCredits, Purchase, PurchaseEntry, PurchaseFilter, PurchasePage, Purchases, Totals};
use crate::settings::{Settings, StoredSettings};
use crate::store::{make_private, DamagedRecord, RecordId, RecordKey, RecordStore, Writer, DATABASE_FILE};

/// The folder, inside the vault's directory, where a restore keeps the vault it replaced.
pub const SAFETY_COPY_DIR: &str = "replaced-by-restore";

/// How a collection is read from the store.
type Loader<T> = fn(&RecordStore, &RecordKey, &mut Vec<DamagedRecord>) -> Result<T>;

/// What an unlock did besides opening the vault.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnlockNotes {
    /// Money received that an earlier version kept as negative purchases, moved apart at this unlock.
    pub moved_to_credits: Option<LegacyCredits>,
    /// The safety copy of a vault replaced by a restore, removed now that the vault opened (never sent to the page).
    #[serde(skip)]
    pub safety_copy_removed: Option<PathBuf>,
    /// The copy of the vault key the recovery secret opens is damaged (rotate the key for a new one).
    pub recovery_slot_damaged: bool,
}

/// What could not be read in an unlocked vault, by kind, and how to get it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DamageReport {
    /// How many records of each kind could not be read, in the store's kind names.
    pub lost: Vec<(String, usize)>,
    /// The copy of the vault key the recovery secret opens is damaged.
    pub recovery_slot_damaged: bool,
}

impl DamageReport {
    /// Whether nothing is damaged.
    pub fn is_empty(&self) -> bool {
        self.lost.is_empty() && !self.recovery_slot_damaged
    }
}

impl fmt::Display for DamageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.lost.is_empty() {
            let parts: Vec<String> = self.lost.iter().map(|(kind, n)| describe_kind(kind, *n)).collect();
            write!(
                f,
                "{} could not be read (damaged on disk); everything else is available. To get {} back, restore a \
                 backup made before the damage: `tessera vault restore BACKUP` (the vault it replaces is kept aside \
                 until your next unlock)",
                join_words(&parts),
                if self.lost.iter().map(|(_, n)| n).sum::<usize>() == 1 { "it" } else { "them" }
            )?;
        }
        if self.recovery_slot_damaged {
            if !self.lost.is_empty() {
                f.write_str(". ")?;
            }
            f.write_str(
                "The part of the vault your recovery secret opens is damaged: run `tessera vault rotate-key` for a \
                 new recovery secret",
            )?;
        }
        Ok(())
    }
}

fn describe_kind(kind: &str, n: usize) -> String {
    let (one, many) = match kind {
        "fact" => ("fact", "facts"),
        "purchase" => ("purchase", "purchases"),
        "credit" => ("sum of money received", "sums of money received"),
        "brand" => ("trusted brand key", "trusted brand keys"),
        "ledger" => ("ledger entry (a packet shared)", "ledger entries (packets shared)"),
        "settings" => ("the preferences record (defaults are used)", "preference records (defaults are used)"),
        "master" => ("the master secret (sharing is impossible until a restore)", "master secrets"),
        _ => ("record of an unknown kind", "records of an unknown kind"),
    };
    if n == 1 && matches!(kind, "master" | "settings") {
        one.to_owned()
    } else if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn join_words(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Everything that exists only while the vault is unlocked. Collections other
/// than the master secret and the preferences are decrypted on first use.
struct Unlocked {
    key: RecordKey,
    master: Master,
    settings: StoredSettings,
    facts: OnceCell<Facts>,
    purchases: OnceCell<Purchases>,
    credits: OnceCell<Credits>,
    brands: OnceCell<PinnedBrands>,
    ledger: OnceCell<Ledger>,
    outbox: OnceCell<Outbox>,
    damaged: RefCell<Vec<DamagedRecord>>,
    unknown_kinds_checked: std::cell::Cell<bool>,
    notes: UnlockNotes,
}

/// A collection, decrypted now if it was not yet.
fn loaded<'a, T>(
    store: &RecordStore,
    key: &RecordKey,
    damaged: &RefCell<Vec<DamagedRecord>>,
    cell: &'a OnceCell<T>,
    load: Loader<T>,
) -> Result<&'a T> {
    if let Some(value) = cell.get() {
        return Ok(value);
    }
    let value = load(store, key, &mut damaged.borrow_mut())?;
    Ok(cell.get_or_init(|| value))
}

/// A collection already loaded, to change it.
fn loaded_mut<T>(cell: &mut OnceCell<T>) -> &mut T {
    cell.get_mut().unwrap_or_else(|| unreachable!("collections are loaded before they are changed"))
}

/// A consumer's vault. Locked when opened; [`Vault::unlock`] decrypts it into memory.
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
            return Err(VaultError::HeaderDamaged { dir: dir.to_owned() });
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
            facts: OnceCell::from(Facts::default()),
            purchases: OnceCell::from(Purchases::default()),
            credits: OnceCell::from(Credits::default()),
            brands: OnceCell::from(PinnedBrands::default()),
            ledger: OnceCell::from(Ledger::default()),
            outbox: OnceCell::from(Outbox::default()),
            damaged: RefCell::default(),
            unknown_kinds_checked: std::cell::Cell::new(true),
            notes: UnlockNotes::default(),
        });
        Ok((vault, recovery))
    }

    /// Moves the database of a vault that cannot be opened (damaged) into
    /// its safety-copy folder, so that a backup can be restored into a new
    /// vault in `dir`. Returns where it is kept (until the next successful
    /// unlock of the new vault).
    pub fn set_aside(dir: &Path) -> Result<PathBuf> {
        let aside = dir.join(SAFETY_COPY_DIR);
        let _ = std::fs::remove_dir_all(&aside);
        std::fs::create_dir_all(&aside).map_err(|e| VaultError::File { path: aside.clone(), detail: e.to_string() })?;
        make_private(&aside, true)?;
        for suffix in ["", "-wal", "-shm"] {
            let from = dir.join(format!("{DATABASE_FILE}{suffix}"));
            if from.exists() {
                let to = aside.join(format!("{DATABASE_FILE}{suffix}"));
                std::fs::rename(&from, &to)
                    .map_err(|e| VaultError::File { path: from.clone(), detail: e.to_string() })?;
            }
        }
        Ok(aside)
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

    fn facts_loaded(&self) -> Result<&Facts> {
        let open = self.unlocked()?;
        loaded(&self.store, &open.key, &open.damaged, &open.facts, Facts::load)
    }

    fn purchases_loaded(&self) -> Result<&Purchases> {
        let open = self.unlocked()?;
        loaded(&self.store, &open.key, &open.damaged, &open.purchases, Purchases::load)
    }

    fn credits_loaded(&self) -> Result<&Credits> {
        let open = self.unlocked()?;
        loaded(&self.store, &open.key, &open.damaged, &open.credits, Credits::load)
    }

    fn brands_loaded(&self) -> Result<&PinnedBrands> {
        let open = self.unlocked()?;
        loaded(&self.store, &open.key, &open.damaged, &open.brands, PinnedBrands::load)
    }

    fn ledger_loaded(&self) -> Result<&Ledger> {
        let open = self.unlocked()?;
        loaded(&self.store, &open.key, &open.damaged, &open.ledger, Ledger::load)
    }

    fn outbox_loaded(&self) -> Result<&Outbox> {
        let open = self.unlocked()?;
        loaded(&self.store, &open.key, &open.damaged, &open.outbox, Outbox::load)
    }

    fn holdings(&self) -> Result<Holdings<'_>> {
        let open = self.unlocked()?;
        Ok(Holdings {
            master: open.master.secret()?,
            settings: open.settings.get(),
            facts: self.facts_loaded()?,
            purchases: self.purchases_loaded()?,
            brands: self.brands_loaded()?,
        })
    }

    /// Records that could not be read among the collections decrypted so far (the others are available).
    pub fn damaged_records(&self) -> Result<Vec<DamagedRecord>> {
        Ok(self.unlocked()?.damaged.borrow().clone())
    }

    /// What could not be read among the collections decrypted so far, and how
    /// to get it back; `full` decrypts every collection first, and looks for
    /// records of kinds this version does not know.
    pub fn damage_report(&self, full: bool) -> Result<DamageReport> {
        let open = self.unlocked()?;
        if full {
            self.load_everything()?;
        }
        let mut lost: Vec<(String, usize)> = Vec::new();
        for record in open.damaged.borrow().iter() {
            match lost.iter_mut().find(|(kind, _)| *kind == record.kind) {
                Some((_, n)) => *n += 1,
                None => lost.push((record.kind.clone(), 1)),
            }
        }
        Ok(DamageReport { lost, recovery_slot_damaged: open.notes.recovery_slot_damaged })
    }

    /// What the last unlock did besides opening the vault.
    pub fn unlock_notes(&self) -> Result<&UnlockNotes> {
        Ok(&self.unlocked()?.notes)
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
        self.unlock_on_demand(passphrase)?;
        self.load_everything()
    }

    /// Unlocks with the passphrase, decrypting each collection only when a call first needs it.
    pub fn unlock_on_demand(&mut self, passphrase: &str) -> Result<()> {
        let slots = Keyslots::read(&self.store)?;
        let key = slots.open_with_passphrase(passphrase)?;
        self.load(&slots, key)
    }

    /// Unlocks with the recovery secret and sets a new passphrase, in one transaction.
    pub fn recover(&mut self, recovery: &RecoverySecret, new_passphrase: &str) -> Result<()> {
        check_new_passphrase(new_passphrase)?;
        let slots = Keyslots::read(&self.store)?;
        let key = slots.open_with_recovery(recovery)?;
        let (slot, check) = Keyslots::passphrase_slot(&key, new_passphrase)?;
        self.store.set_passphrase_slot(&slot, &check)?;
        let slots = Keyslots::read(&self.store)?;
        self.load(&slots, key)?;
        self.load_everything()
    }

    /// Replaces the passphrase, after checking the current one, in one transaction.
    pub fn change_passphrase(&mut self, current: &str, new: &str) -> Result<()> {
        self.unlocked()?;
        check_new_passphrase(new)?;
        let key = Keyslots::read(&self.store)?.open_with_passphrase(current)?;
        let (slot, check) = Keyslots::passphrase_slot(&key, new)?;
        self.store.set_passphrase_slot(&slot, &check)
    }

    /// Prepares a replacement of the vault key, writing nothing: hand
    /// [`KeyRotation::recovery_secret`] to the person, then
    /// [`Vault::commit_key_rotation`]. Until then the old recovery secret works.
    pub fn prepare_key_rotation(&self, passphrase: &str) -> Result<KeyRotation> {
        self.unlocked()?;
        let slots = Keyslots::read(&self.store)?;
        slots.open_with_passphrase(passphrase)?;
        let key = DataKey::generate()?;
        let recovery = RecoverySecret::generate();
        let header = Keyslots::wrap(&slots.format, slots.generation + 1, &key, passphrase, &recovery)?;
        Ok(KeyRotation { recovery, key, header, from_generation: slots.generation })
    }

    /// Replaces the vault key: every record is sealed again under the
    /// prepared key and key generation, in one transaction. From then on only
    /// the rotation's recovery secret works.
    pub fn commit_key_rotation(&mut self, rotation: KeyRotation) -> Result<()> {
        self.unlocked()?;
        let found = self.store.key_generation()?;
        if found != rotation.from_generation {
            return Err(VaultError::RotationOutdated { expected: rotation.from_generation, found });
        }
        let slots = Keyslots::read(&self.store)?;
        let dir = self.store.dir().to_owned();
        let (store, open) = self.parts()?;
        let new = keys::record_key(&dir, &slots.format, rotation.key.clone(), rotation.header.key_generation)?;
        store.rekey(&open.key, &new, &rotation.header)?;
        open.key = new;
        open.notes.recovery_slot_damaged = false;
        Ok(())
    }

    /// Opens the vault with `key`: moves money received out of schema-1
    /// purchases, stores missing keyslot checks, removes a restore's safety
    /// copy, and reads the master secret and the preferences.
    fn load(&mut self, slots: &Keyslots, key: DataKey) -> Result<()> {
        let key = keys::record_key(self.store.dir(), &slots.format, key, slots.generation)?;
        let mut notes = UnlockNotes {
            moved_to_credits: purchases::migrate_schema_1(&mut self.store, &key)?,
            recovery_slot_damaged: slots.recovery_damaged(),
            ..UnlockNotes::default()
        };
        if let Some((passphrase_check, recovery_check)) = slots.missing_checks() {
            self.store.set_slot_checks(&passphrase_check, &recovery_check)?;
        }
        let safety_copy = self.store.dir().join(SAFETY_COPY_DIR);
        if safety_copy.is_dir() && std::fs::remove_dir_all(&safety_copy).is_ok() {
            notes.safety_copy_removed = Some(safety_copy);
        }
        let mut damaged = Vec::new();
        let master = Master::load(&self.store, &key, &mut damaged)?;
        let settings = StoredSettings::load(&self.store, &key, &mut damaged)?;
        self.open = Some(Unlocked {
            key,
            master,
            settings,
            facts: OnceCell::new(),
            purchases: OnceCell::new(),
            credits: OnceCell::new(),
            brands: OnceCell::new(),
            ledger: OnceCell::new(),
            outbox: OnceCell::new(),
            damaged: RefCell::new(damaged),
            unknown_kinds_checked: std::cell::Cell::new(false),
            notes,
        });
        Ok(())
    }

    /// Decrypts every collection not decrypted yet, and reports records of unknown kinds.
    fn load_everything(&self) -> Result<()> {
        self.facts_loaded()?;
        self.purchases_loaded()?;
        self.credits_loaded()?;
        self.brands_loaded()?;
        self.ledger_loaded()?;
        let open = self.unlocked()?;
        if !open.unknown_kinds_checked.replace(true) {
            self.store.report_unknown_kinds(&mut open.damaged.borrow_mut())?;
        }
        Ok(())
    }
}

/// Profile facts ([`crate::facts`]).
impl Vault {
    /// All facts, in vocabulary-name order.
    pub fn facts(&self) -> Result<Vec<Fact>> {
        Ok(self.facts_loaded()?.list())
    }

    pub fn fact(&self, item: &ItemName) -> Result<Option<Fact>> {
        Ok(self.facts_loaded()?.get(item).cloned())
    }

    /// Adds or replaces a fact.
    pub fn set_fact(&mut self, item: ItemName, value: Value, sensitivity: Sensitivity) -> Result<()> {
        self.facts_loaded()?;
        let (store, open) = self.parts()?;
        loaded_mut(&mut open.facts).set(store, &open.key, Fact { item, value, sensitivity })
    }

    /// Changes how freely a fact may be shared.
    pub fn set_sensitivity(&mut self, item: &ItemName, sensitivity: Sensitivity) -> Result<()> {
        let fact = self.fact(item)?.ok_or(VaultError::NoSuchFact { item: *item })?;
        self.set_fact(fact.item, fact.value, sensitivity)
    }

    /// Deletes a fact and returns it: setting it again undoes the deletion.
    pub fn remove_fact(&mut self, item: &ItemName) -> Result<Fact> {
        self.facts_loaded()?;
        let (store, open) = self.parts()?;
        loaded_mut(&mut open.facts).remove(store, &open.key, item)
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

/// Purchase history and money received ([`crate::purchases`], [`crate::credits`], [`crate::csv_import`]).
impl Vault {
    /// Adds one purchase typed by the user; returns its id.
    pub fn add_purchase(&mut self, purchase: Purchase) -> Result<String> {
        purchase.validate()?;
        self.purchases_loaded()?;
        let (store, open) = self.parts()?;
        let ids = loaded_mut(&mut open.purchases).add_all(store, &open.key, vec![purchase])?;
        Ok(ids[0].hex())
    }

    /// Adds a refund typed by the user, from the entry's merchant (money
    /// received, kept apart; it lowers that merchant's category in totals).
    pub fn add_refund(&mut self, entry: &PurchaseEntry) -> Result<String> {
        let credit = entry.read_refund(self.purchases_loaded()?)?;
        credit.validate()?;
        self.credits_loaded()?;
        let (store, open) = self.parts()?;
        let ids = loaded_mut(&mut open.credits).add_all(store, &open.key, vec![credit])?;
        Ok(ids[0].hex())
    }

    /// Deletes one purchase or one sum of money received, by the id listings show.
    pub fn remove_purchase(&mut self, id: &str) -> Result<()> {
        let record = RecordId::parse_hex(id).ok_or_else(|| VaultError::MalformedPurchaseId { id: id.to_owned() })?;
        if self.purchases_loaded()?.contains(&record) {
            let (store, open) = self.parts()?;
            return loaded_mut(&mut open.purchases).remove(store, &open.key, &record);
        }
        self.credits_loaded()?;
        let (store, open) = self.parts()?;
        loaded_mut(&mut open.credits).remove(store, &open.key, &record)
    }

    /// How many purchases the vault holds.
    pub fn purchase_count(&self) -> Result<usize> {
        Ok(self.purchases_loaded()?.count())
    }

    /// Purchases matching `filter`, newest first, `limit` from `offset`.
    pub fn purchases(&self, filter: &PurchaseFilter, offset: usize, limit: usize) -> Result<PurchasePage> {
        Ok(self.purchases_loaded()?.page(filter, offset, limit))
    }

    /// Every purchase matching `filter` (for sharing and exports).
    pub fn all_purchases(&self, filter: &PurchaseFilter) -> Result<Vec<Purchase>> {
        Ok(self.purchases_loaded()?.matching(filter))
    }

    /// Money received, kept apart from purchases, newest first.
    pub fn credits(&self) -> Result<Vec<ListedCredit>> {
        Ok(self.credits_loaded()?.listed())
    }

    /// How many sums of money received the vault holds.
    pub fn credit_count(&self) -> Result<usize> {
        Ok(self.credits_loaded()?.count())
    }

    /// Totals of the purchases matching `filter`, by category and by category
    /// and month, less the refunds identified as coming from their merchants.
    pub fn purchase_totals(&self, filter: &PurchaseFilter) -> Result<Totals> {
        Ok(self.purchases_loaded()?.totals(filter, self.credits_loaded()?))
    }

    /// Reads a CSV file and says what importing it would do; writes nothing.
    pub fn preview_csv(&self, bytes: &[u8], options: &CsvOptions) -> Result<CsvPreview> {
        let mut preview = csv_import::parse(bytes, options)?;
        csv_import::compare_with_vault(&mut preview, self.purchases_loaded()?, self.credits_loaded()?);
        Ok(preview)
    }

    /// Imports the readable, new rows of a CSV file in one transaction:
    /// purchases, and money received kept apart unless the options leave it out.
    /// A file whose date order or decimal separator must be asked imports nothing.
    pub fn import_csv(&mut self, bytes: &[u8], options: &CsvOptions) -> Result<CsvImportReport> {
        let preview = self.preview_csv(bytes, options)?;
        preview.check_answered()?;
        let report = preview.report();
        let (purchases, credits) = preview.into_new_rows();
        if !purchases.is_empty() || !credits.is_empty() {
            let (store, open) = self.parts()?;
            let writer = store.write(&open.key)?;
            let staged_purchases = Purchases::stage(&writer, purchases)?;
            let staged_credits = Credits::stage(&writer, credits)?;
            writer.commit()?;
            loaded_mut(&mut open.purchases).apply(staged_purchases);
            loaded_mut(&mut open.credits).apply(staged_credits);
        }
        Ok(report)
    }
}

/// Deciding on a brand's request and sharing ([`crate::consent`], [`crate::brands`]).
impl Vault {
    /// Verifies a request (signature, format, dates) and describes it for a decision.
    pub fn review_request(&self, jws: &str, now: i64) -> Result<RequestReview> {
        let mut review = self.holdings()?.review_request(jws, now)?;
        let outbox = self.outbox_loaded()?;
        let waiting = |jti: &str| waiting_in(outbox, jti);
        review.answered_before = self.ledger_loaded()?.answers_to(&review.request_jti, now, &waiting);
        Ok(review)
    }

    /// Pins (or re-pins, after a key change the brand confirmed) the request's brand key.
    pub fn trust_brand(&mut self, review: &RequestReview, now: i64) -> Result<()> {
        self.brands_loaded()?;
        let (store, open) = self.parts()?;
        loaded_mut(&mut open.brands).pin(store, &open.key, review.brand_pin(now))
    }

    /// Computes exactly what the packet would contain for `decisions`. Every
    /// requested item needs one decision; `never share` facts must be denied.
    pub fn preview_packet(&self, review: &RequestReview, decisions: &[Decision], now: i64) -> Result<PacketPreview> {
        self.holdings()?.preview_packet(review, decisions, now)
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
        let sealed = consent::seal_packet(review, preview, self.unlocked()?.master.secret()?)?;
        let pin = review.brand_pin(now);
        let first_contact =
            matches!(self.brands_loaded()?.trust_of(&pin.name, &pin.did), consent::BrandTrust::FirstContact);
        self.ledger_loaded()?;
        files::write_atomic(path, &sealed.file)?;
        let entry = sealed.entry;
        let stored = (|| {
            let (store, open) = self.parts()?;
            let writer = store.write(&open.key)?;
            let ledger = loaded_mut(&mut open.ledger);
            let brands = loaded_mut(&mut open.brands);
            let staged_entry = ledger.stage(&writer, entry.clone())?;
            let staged_pin = if first_contact { Some(brands.stage(&writer, pin)?) } else { None };
            writer.commit()?;
            if let Some(staged) = staged_pin {
                brands.apply(staged);
            }
            ledger.apply(staged_entry);
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
        self.ledger_loaded()?;
        let (store, open) = self.parts()?;
        loaded_mut(&mut open.ledger).decline(store, &open.key, review.refusal(now))
    }

    /// Every request declined, newest first.
    pub fn refusals(&self) -> Result<Vec<Refusal>> {
        Ok(self.ledger_loaded()?.refusals().cloned().collect())
    }

    /// Every packet shared, newest first.
    pub fn ledger(&self, now: i64) -> Result<Vec<LedgerLine>> {
        let outbox = self.outbox_loaded()?;
        let waiting = |jti: &str| waiting_in(outbox, jti);
        Ok(self.ledger_loaded()?.lines(now, &waiting))
    }

    /// For each brand: what it holds now and every packet it received.
    pub fn what_brands_know(&self, now: i64) -> Result<Vec<BrandKnowledge>> {
        let outbox = self.outbox_loaded()?;
        let waiting = |jti: &str| waiting_in(outbox, jti);
        Ok(self.ledger_loaded()?.what_brands_know(now, &waiting))
    }

    /// Checks a brand's deletion receipt against the ledger and records the deletion as confirmed.
    pub fn import_receipt(&mut self, jws: &str, now: i64) -> Result<LedgerLine> {
        self.ledger_loaded()?;
        let (store, open) = self.parts()?;
        loaded_mut(&mut open.ledger).import_receipt(store, &open.key, jws, now)
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
            master_secret: *open.master.secret()?.as_bytes(),
            settings: open.settings.get().clone(),
            facts: self.facts_loaded()?.list(),
            purchases: self.purchases_loaded()?.iter().cloned().collect(),
            credits: self.credits_loaded()?.iter().cloned().collect(),
            brands: self.brands_loaded()?.list(),
            ledger: self.ledger_loaded()?.records(),
            outbox: self.outbox_loaded()?.items().cloned().collect(),
        };
        backup::write(path, backup_passphrase, &content)
    }

    /// Whether the vault holds no fact, purchase, money received, trusted brand or packet
    /// (a new vault: restoring into it loses nothing).
    pub fn holds_nothing(&self) -> Result<bool> {
        Ok(self.facts_loaded()?.count() == 0
            && self.purchases_loaded()?.count() == 0
            && self.credits_loaded()?.count() == 0
            && self.brands_loaded()?.list().is_empty()
            && self.ledger_loaded()?.records().is_empty())
    }

    /// Decrypts and checks the whole backup at `path`, changing nothing: its
    /// [`CheckedBackup::summary`] can be shown before [`Vault::restore_backup`].
    pub fn open_backup(path: &Path, backup_passphrase: &str) -> Result<CheckedBackup> {
        backup::read(path, backup_passphrase)
    }

    /// Replaces the whole vault content with the backup at `path` (see [`Vault::restore_backup`]).
    pub fn restore(&mut self, path: &Path, backup_passphrase: &str) -> Result<RestoreReport> {
        self.unlocked()?;
        let checked = Vault::open_backup(path, backup_passphrase)?;
        self.restore_backup(checked)
    }

    /// Replaces the whole vault content with a checked backup, in one
    /// transaction. First the vault as it is is copied to its safety-copy
    /// folder ([`SAFETY_COPY_DIR`]), kept until the next successful unlock; a
    /// copy already there from an earlier restore is kept instead (it is the
    /// older vault), and a vault that holds nothing is not copied.
    pub fn restore_backup(&mut self, checked: CheckedBackup) -> Result<RestoreReport> {
        let holds_something = !self.holds_nothing()?;
        let aside = self.store.dir().join(SAFETY_COPY_DIR);
        let copy = aside.join(DATABASE_FILE);
        let kept_from_before = copy.is_file();
        if holds_something && !kept_from_before {
            std::fs::create_dir_all(&aside)
                .map_err(|e| VaultError::File { path: aside.clone(), detail: e.to_string() })?;
            make_private(&aside, true)?;
            self.store.copy_to(&copy)?;
        }
        let content = &checked.content;
        let (store, open) = self.parts()?;
        let writer = store.write(&open.key)?;
        writer.delete_all()?;
        let master = Master::write_new(&writer, MasterSecret::from_bytes(&content.master_secret))?;
        let settings = StoredSettings::write_new(&writer, &content.settings)?;
        let facts = Facts::write_new(&writer, &content.facts)?;
        let purchases = Purchases::write_new(&writer, &content.purchases)?;
        let credits = Credits::write_new(&writer, &content.credits)?;
        let brands = PinnedBrands::write_new(&writer, &content.brands)?;
        let ledger = Ledger::write_new(&writer, &content.ledger)?;
        let outbox = Outbox::write_new(&writer, &checked.outbox_held())?;
        writer.commit()?;
        open.master = master;
        open.settings = settings;
        open.facts = OnceCell::from(facts);
        open.purchases = OnceCell::from(purchases);
        open.credits = OnceCell::from(credits);
        open.brands = OnceCell::from(brands);
        open.ledger = OnceCell::from(ledger);
        // What waits to be sent is the backup's: nothing of the replaced vault is sent.
        open.outbox = OnceCell::from(outbox);
        open.damaged.borrow_mut().clear();
        open.unknown_kinds_checked.set(true);
        let safety_copy = copy.is_file().then_some(aside);
        Ok(checked.report(safety_copy, kept_from_before))
    }

    /// Writes all my data as readable JSON inside an age file protected by `passphrase`
    /// (`age --decrypt FILE` shows it).
    pub fn export_all(&self, path: &Path, passphrase: &str, now: i64) -> Result<()> {
        let open = self.unlocked()?;
        let content = ExportContent {
            settings: open.settings.get(),
            facts: self.facts_loaded()?.list(),
            purchases: self.purchases_loaded()?.iter().cloned().collect(),
            credits: self.credits_loaded()?.iter().cloned().collect::<Vec<Credit>>(),
            what_brands_know: self.what_brands_know(now)?,
        };
        backup::export(path, passphrase, now, content)
    }
}

/// Editing a purchase ([`crate::purchases`]).
impl Vault {
    /// Replaces the purchase with id `id` (as listed) by `purchase`, after checking it.
    pub fn edit_purchase(&mut self, id: &str, purchase: Purchase) -> Result<()> {
        purchase.validate()?;
        self.purchases_loaded()?;
        let (store, open) = self.parts()?;
        loaded_mut(&mut open.purchases).replace(store, &open.key, id, purchase)
    }
}

/// A backup looked at before it replaces anything, and a vault made from a backup ([`crate::backup`]).
impl Vault {
    /// Decrypts and checks the whole backup at `path` and says what it holds; changes nothing.
    pub fn inspect_backup(path: &Path, backup_passphrase: &str) -> Result<RestoreReport> {
        Ok(backup::read(path, backup_passphrase)?.report(None, false))
    }

    /// What the unlocked vault holds now, counted as a restore report counts a backup (its `created_at` is 0).
    pub fn holdings_report(&self) -> Result<RestoreReport> {
        Ok(RestoreReport {
            created_at: 0,
            facts: self.facts_loaded()?.count(),
            purchases: self.purchases_loaded()?.count(),
            credits: self.credits_loaded()?.count(),
            packets: self.ledger_loaded()?.entries().count(),
            held: self.outbox_loaded()?.items().filter(|i| i.held).count(),
            moved_to_credits: None,
            safety_copy: None,
            safety_copy_kept_from_before: false,
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
        let checked = backup::read(path, backup_passphrase)?;
        let content = &checked.content;
        let format = keys::VAULT_FORMAT;
        let key = DataKey::generate()?;
        let recovery = RecoverySecret::generate();
        let header = Keyslots::wrap(format, 1, &key, new_passphrase, &recovery)?;
        let record_key = keys::record_key(dir, format, key, 1)?;
        let (master, settings, facts, purchases, credits, brands, ledger, outbox) =
            RecordStore::create(dir, &header, &record_key, |writer| {
                Ok((
                    Master::write_new(writer, MasterSecret::from_bytes(&content.master_secret))?,
                    StoredSettings::write_new(writer, &content.settings)?,
                    Facts::write_new(writer, &content.facts)?,
                    Purchases::write_new(writer, &content.purchases)?,
                    Credits::write_new(writer, &content.credits)?,
                    PinnedBrands::write_new(writer, &content.brands)?,
                    Ledger::write_new(writer, &content.ledger)?,
                    Outbox::write_new(writer, &checked.outbox_held())?,
                ))
            })?;
        let mut vault = Vault::open(dir)?;
        vault.open = Some(Unlocked {
            key: record_key,
            master,
            settings,
            facts: OnceCell::from(facts),
            purchases: OnceCell::from(purchases),
            credits: OnceCell::from(credits),
            brands: OnceCell::from(brands),
            ledger: OnceCell::from(ledger),
            outbox: OnceCell::from(outbox),
            damaged: RefCell::new(Vec::new()),
            unknown_kinds_checked: std::cell::Cell::new(true),
            notes: UnlockNotes::default(),
        });
        Ok((vault, recovery, checked.report(None, false)))
    }
}

/// Where the packet `jti` and its revocation stand in the outbox.
fn waiting_in(outbox: &Outbox, jti: &str) -> (InOutbox, InOutbox) {
    (outbox.state_of(jti, OutgoingKind::Packet), outbox.state_of(jti, OutgoingKind::Revocation))
}

/// Sending to a brand's inbox: what waits, and what came back ([`crate::outbox`]). The vault
/// sends nothing itself: the caller takes an item with [`Vault::begin_sending`], POSTs its
/// [`OutboxItem::body_bytes`] and reports the outcome.
///
/// Every change here reads the ledger and the outbox again inside a transaction holding the
/// file's write lock ([`Vault::change_sending`]): the app and the command line may both have
/// the vault open, and a decision taken on an old copy could undo a revocation or send a
/// withdrawn packet.
impl Vault {
    /// Signs and encrypts the previewed packet, records it in the ledger (pinning the brand's
    /// key on first contact) and puts it in the outbox for the inbox the request names, in one
    /// transaction. A request that names no inbox is refused ([`VaultError::NoInbox`]).
    pub fn queue_packet(
        &mut self,
        review: &RequestReview,
        preview: &PacketPreview,
        now: i64,
    ) -> Result<(LedgerEntry, OutboxItem)> {
        let sealed = consent::seal_packet(review, preview, self.unlocked()?.master.secret()?)?;
        let entry = sealed.entry;
        let Some(response_uri) = entry.response_uri.clone() else {
            return Err(VaultError::NoInbox { brand_name: entry.brand_name });
        };
        let pin = review.brand_pin(now);
        let first_contact =
            matches!(self.brands_loaded()?.trust_of(&pin.name, &pin.did), consent::BrandTrust::FirstContact);
        self.ledger_loaded()?;
        self.outbox_loaded()?;
        let item = OutboxItem::packet(&entry.packet_jti, &entry.brand_name, &response_uri, &sealed.file, now);
        let (store, open) = self.parts()?;
        let writer = store.write(&open.key)?;
        let staged_entry = loaded_mut(&mut open.ledger).stage(&writer, entry.clone())?;
        let staged_item = loaded_mut(&mut open.outbox).stage(&writer, item.clone())?;
        let staged_pin = if first_contact { Some(loaded_mut(&mut open.brands).stage(&writer, pin)?) } else { None };
        writer.commit()?;
        if let Some(staged) = staged_pin {
            loaded_mut(&mut open.brands).apply(staged);
        }
        loaded_mut(&mut open.ledger).apply(staged_entry);
        loaded_mut(&mut open.outbox).apply(staged_item);
        Ok((entry, item))
    }

    /// Runs `change` on the ledger and the outbox as they are on disk now, in one transaction
    /// that holds the file's write lock from its first read to its commit; the fresh copies
    /// replace those in memory once it committed (an error changes nothing). `change` gets the
    /// master secret when it is readable.
    fn change_sending<T>(
        &mut self,
        change: impl FnOnce(&Writer<'_>, &mut Ledger, &mut Outbox, Option<&MasterSecret>) -> Result<T>,
    ) -> Result<T> {
        let (store, open) = self.parts()?;
        let store: &RecordStore = store;
        let writer = store.write_locked(&open.key)?;
        // Unreadable records were reported when the collections were first loaded.
        let mut unreadable = Vec::new();
        let mut ledger = Ledger::load(store, &open.key, &mut unreadable)?;
        let mut outbox = Outbox::load(store, &open.key, &mut unreadable)?;
        let result = change(&writer, &mut ledger, &mut outbox, open.master.secret().ok())?;
        writer.commit()?;
        open.ledger = OnceCell::from(ledger);
        open.outbox = OnceCell::from(outbox);
        Ok(result)
    }

    /// Takes packet `packet_jti`'s item of `kind` to send it now, and records when this send
    /// began. `None` when it left the outbox meanwhile (sent by another Tessera, or a packet
    /// the person revoked): then nothing must be sent.
    pub fn begin_sending(&mut self, packet_jti: &str, kind: OutgoingKind, now: i64) -> Result<Option<OutboxItem>> {
        self.change_sending(|writer, _, outbox, _| {
            outbox.update(writer, packet_jti, kind, |item| {
                item.last_attempt_at = Some(now);
                item.held = false;
            })
        })
    }

    /// Signs a revocation of packet `packet_jti` and marks the packet revoked; the revocation
    /// goes in the outbox for the packet's inbox, in one transaction (`None` when there is no
    /// need to tell the brand anything).
    ///
    /// A packet still waiting in the outbox is withdrawn in the same transaction: it is never
    /// sent after the person revoked it. If no send of it ever began (and it was not saved as
    /// a file), the brand cannot have it: it is recorded as never received, and nothing is
    /// sent. Otherwise the revocation is queued all the same, because a send under way or one
    /// whose answer was lost may have reached the brand ([`Vault::revocation_unknown_to_inbox`]).
    pub fn queue_revocation(&mut self, packet_jti: &str, now: i64) -> Result<(LedgerLine, Option<OutboxItem>)> {
        self.change_sending(|writer, ledger, outbox, master| {
            let (_, entry) = ledger.find(packet_jti)?;
            let Some(response_uri) = entry.response_uri.clone() else {
                return Err(VaultError::NoInbox { brand_name: entry.brand_name });
            };
            let master = master.ok_or(VaultError::MasterSecretDamaged)?;
            let (id, mut updated, jws) = ledger.sign_revocation(master, packet_jti, now)?;
            let brand_may_have_it = withdraw(writer, outbox, &mut updated, now)?;
            let item = if brand_may_have_it {
                let item = OutboxItem::revocation(packet_jti, &updated.brand_name, &response_uri, &jws, now);
                // A revocation signed again replaces the one waiting (the brand answers both with one receipt).
                outbox.replace_or_add(writer, item.clone())?;
                Some(item)
            } else {
                None
            };
            let staged = ledger.stage_update(writer, id, updated)?;
            let entry = staged.value.clone();
            ledger.apply_update(staged);
            Ok((line_of(entry, now, outbox), item))
        })
    }

    /// Signs a revocation of packet `packet_jti`, writes it to `path` for the brand, and marks
    /// the packet revoked; a packet still waiting to be sent is withdrawn, as with
    /// [`Vault::queue_revocation`].
    pub fn revoke_packet(&mut self, packet_jti: &str, path: &Path, now: i64) -> Result<LedgerLine> {
        self.change_sending(|writer, ledger, outbox, master| {
            let master = master.ok_or(VaultError::MasterSecretDamaged)?;
            let (id, mut updated, jws) = ledger.sign_revocation(master, packet_jti, now)?;
            withdraw(writer, outbox, &mut updated, now)?;
            files::write_atomic(path, format!("{jws}\n").as_bytes())?;
            // The person takes the revocation to the brand themselves: the inbox is not asked any more.
            outbox.remove(writer, packet_jti, OutgoingKind::Revocation)?;
            let staged = ledger.stage_update(writer, id, updated)?;
            let entry = staged.value.clone();
            ledger.apply_update(staged);
            Ok(line_of(entry, now, outbox))
        })
    }

    /// The brand's inbox answered packet `packet_jti`'s revocation that it has no such packet
    /// (404 `unknown_packet`; `error` says it in words). Only for a packet withdrawn from the
    /// outbox, never acknowledged and not saved as a file does that mean something: once no
    /// send of it can still arrive ([`IN_FLIGHT_SETTLE_SECONDS`] after the last began), the
    /// brand never received it — recorded, and the revocation leaves the outbox; before that,
    /// the revocation waits to ask again then. Anything else is [`UnknownToInbox::Unexplained`]:
    /// the caller records a refusal.
    pub fn revocation_unknown_to_inbox(&mut self, packet_jti: &str, error: &str, now: i64) -> Result<UnknownToInbox> {
        self.change_sending(|writer, ledger, outbox, _| {
            let (id, entry) = ledger.find(packet_jti)?;
            // A copy made outside this vault (a file, or the vault a backup was made of) may reach the brand at any time.
            let withdrawal = entry.withdrawn.clone().filter(|w| !w.saved_as_file && !w.from_a_restore);
            let Some(withdrawal) = withdrawal.filter(|_| entry.delivered.is_none() && entry.deletion.is_none()) else {
                return Ok(UnknownToInbox::Unexplained);
            };
            let settled_at = withdrawal.last_attempt_at.map_or(now, |began| began + IN_FLIGHT_SETTLE_SECONDS);
            if now < settled_at {
                outbox.update(writer, packet_jti, OutgoingKind::Revocation, |item| {
                    item.attempts = item.attempts.saturating_add(1);
                    item.next_try_at = settled_at;
                    item.last_error = Some(format!(
                        "the inbox does not have the packet yet ({error}); a send of it began shortly before the revocation and may still arrive, so it is asked again"
                    ));
                    item.refused = false;
                })?;
                return Ok(UnknownToInbox::NotYet { ask_again_at: settled_at });
            }
            let mut updated = entry;
            updated.never_received_at.get_or_insert(now);
            outbox.remove(writer, packet_jti, OutgoingKind::Revocation)?;
            let staged = ledger.stage_update(writer, id, updated)?;
            let entry = staged.value.clone();
            ledger.apply_update(staged);
            Ok(UnknownToInbox::NeverReceived(Box::new(line_of(entry, now, outbox))))
        })
    }

    /// Everything waiting to be sent, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        Ok(self.outbox_loaded()?.items().cloned().collect())
    }

    /// What the automatic retries should send at `now` (not refused, not held after a restore,
    /// its wait over).
    pub fn outbox_due(&self, now: i64) -> Result<Vec<OutboxItem>> {
        Ok(self.outbox_loaded()?.items().filter(|i| i.is_due(now)).cloned().collect())
    }

    /// The inbox acknowledged packet `packet_jti` (201 or 200: both mean stored): the ledger
    /// records the delivery and the packet leaves the outbox, in one transaction. Reported
    /// twice, the second changes nothing. An acknowledgement of another packet changes nothing
    /// in the ledger: the attempt is recorded as refused, with the reason.
    ///
    /// A packet the person revoked while its send was under way reached the brand after all:
    /// it is no longer "never received", and its revocation (the same bytes) waits to be sent,
    /// due now.
    pub fn packet_delivered(&mut self, packet_jti: &str, ack: &PacketAcknowledgement, now: i64) -> Result<LedgerLine> {
        self.record_acknowledgement(packet_jti, ack, now)?
    }

    /// [`Vault::packet_delivered`], with a wrong acknowledgement (recorded as refused) apart
    /// from a failure to record anything.
    pub(crate) fn record_acknowledgement(
        &mut self,
        packet_jti: &str,
        ack: &PacketAcknowledgement,
        now: i64,
    ) -> Result<Result<LedgerLine>> {
        self.change_sending(|writer, ledger, outbox, master| {
            let (id, entry) = ledger.find(packet_jti)?;
            if ack.packet_id != entry.packet_jti || ack.request_id != entry.request_jti {
                let error = VaultError::WrongAcknowledgement {
                    expected: entry.packet_jti,
                    found: format!("{} for request {}", ack.packet_id, ack.request_id),
                };
                record_failure(writer, outbox, packet_jti, OutgoingKind::Packet, &error.to_string(), false, now)?;
                return Ok(Err(error));
            }
            outbox.remove(writer, packet_jti, OutgoingKind::Packet)?;
            let mut updated = entry.clone();
            updated.never_received_at = None;
            if updated.delivered.is_none() {
                updated.delivered = Some(Delivery { acknowledged_at: now, retention_end: ack.retention_end });
            }
            if updated.revoked_at.is_some() && updated.deletion.is_none() {
                let waiting = outbox.update(writer, packet_jti, OutgoingKind::Revocation, |item| {
                    item.next_try_at = now;
                    item.refused = false;
                })?;
                if let (None, Some(response_uri), Some(master)) = (waiting, &updated.response_uri, master) {
                    let (_, _, jws) = ledger.sign_revocation(master, packet_jti, now)?;
                    let item = OutboxItem::revocation(packet_jti, &updated.brand_name, response_uri, &jws, now);
                    outbox.replace_or_add(writer, item)?;
                }
            }
            if updated != entry {
                let staged = ledger.stage_update(writer, id, updated.clone())?;
                ledger.apply_update(staged);
            }
            Ok(Ok(line_of(updated, now, outbox)))
        })
    }

    /// The inbox answered packet `packet_jti`'s revocation with `receipt`: the receipt is
    /// verified like a receipt file ([`Vault::import_receipt`]) and must be for this very
    /// packet; the deletion is recorded as confirmed and the revocation leaves the outbox, in
    /// one transaction. A receipt that does not verify, or is for another packet, changes
    /// nothing in the ledger: the attempt is recorded as refused, with the reason.
    pub fn revocation_answered(&mut self, packet_jti: &str, receipt: &str, now: i64) -> Result<LedgerLine> {
        self.record_receipt(packet_jti, receipt, now)?
    }

    /// [`Vault::revocation_answered`], with a receipt that does not prove the deletion (recorded
    /// as refused) apart from a failure to record anything.
    pub(crate) fn record_receipt(&mut self, packet_jti: &str, receipt: &str, now: i64) -> Result<Result<LedgerLine>> {
        self.change_sending(|writer, ledger, outbox, _| {
            let check = ledger.check_receipt(receipt, now).and_then(|check| {
                let about = match &check {
                    ReceiptCheck::AlreadyConfirmed(entry) | ReceiptCheck::Confirms(_, entry) => &entry.packet_jti,
                };
                if about != packet_jti {
                    return Err(VaultError::ReceiptForAnotherPacket {
                        expected: packet_jti.to_owned(),
                        found: about.clone(),
                    });
                }
                Ok(check)
            });
            let check = match check {
                Ok(check) => check,
                Err(e) => {
                    record_failure(writer, outbox, packet_jti, OutgoingKind::Revocation, &e.to_string(), false, now)?;
                    return Ok(Err(e));
                }
            };
            let entry = match check {
                ReceiptCheck::AlreadyConfirmed(entry) => entry,
                ReceiptCheck::Confirms(id, updated) => {
                    let staged = ledger.stage_update(writer, id, updated.clone())?;
                    ledger.apply_update(staged);
                    updated
                }
            };
            outbox.remove(writer, packet_jti, OutgoingKind::Revocation)?;
            Ok(Ok(line_of(entry, now, outbox)))
        })
    }

    /// Sending packet `packet_jti`'s item of `kind` failed with `error`: one more attempt is
    /// counted and the next automatic try waits longer ([`backoff`]); an answer that will not
    /// change (`retryable` false) stops the automatic tries. `None` when the item left the
    /// outbox while it was being sent (a packet the person revoked meanwhile).
    pub fn delivery_failed(
        &mut self,
        packet_jti: &str,
        kind: OutgoingKind,
        error: &str,
        retryable: bool,
        now: i64,
    ) -> Result<Option<OutboxItem>> {
        self.change_sending(|writer, _, outbox, _| {
            record_failure(writer, outbox, packet_jti, kind, error, retryable, now)
        })
    }

    /// Writes the packet waiting in the outbox to `path` (atomically), to send it another way;
    /// from then on the brand may have it even if no send began.
    pub fn save_waiting_packet(&mut self, packet_jti: &str, path: &Path) -> Result<()> {
        self.change_sending(|writer, _, outbox, _| {
            let Some((_, item)) = outbox.find(packet_jti, OutgoingKind::Packet) else {
                return Err(VaultError::NotInOutbox { packet_jti: packet_jti.to_owned() });
            };
            files::write_atomic(path, &item.body_bytes())?;
            outbox.update(writer, packet_jti, OutgoingKind::Packet, |item| item.saved_as_file = true)?;
            Ok(())
        })
    }
}

/// What an inbox's "no such packet" to a revocation means ([`Vault::revocation_unknown_to_inbox`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownToInbox {
    /// The brand never received the packet: recorded, nothing waits any more.
    NeverReceived(Box<LedgerLine>),
    /// A send of the packet may still reach the inbox: the revocation asks again at `ask_again_at`.
    NotYet { ask_again_at: i64 },
    /// Nothing explains it (the inbox acknowledged the packet, or it may have it as a file):
    /// a refusal like any other.
    Unexplained,
}

/// A ledger entry with its status, knowing what waits in `outbox`.
fn line_of(entry: LedgerEntry, now: i64, outbox: &Outbox) -> LedgerLine {
    LedgerLine { status: entry.status_with(now, &|jti: &str| waiting_in(outbox, jti)), entry }
}

/// Takes a revoked packet out of the outbox if it still waits there (it is never sent after
/// that) and says whether the brand may have it all the same: only if a send of it began, or
/// it was saved as a file. If not, it is recorded as never received.
fn withdraw(writer: &Writer<'_>, outbox: &mut Outbox, entry: &mut LedgerEntry, now: i64) -> Result<bool> {
    if entry.delivered.is_some() {
        return Ok(true);
    }
    if entry.never_received_at.is_some() {
        return Ok(false);
    }
    let Some(item) = outbox.remove(writer, &entry.packet_jti, OutgoingKind::Packet)? else {
        // Withdrawn already (its withdrawal decides), or from before the outbox existed.
        return Ok(entry.withdrawn.as_ref().is_none_or(Withdrawal::brand_may_have_it));
    };
    let withdrawal = Withdrawal {
        at: now,
        last_attempt_at: item.maybe_sent_since(),
        saved_as_file: item.saved_as_file,
        from_a_restore: item.held || item.restored,
    };
    let brand_may_have_it = withdrawal.brand_may_have_it();
    if !brand_may_have_it {
        entry.never_received_at = Some(now);
    }
    entry.withdrawn = Some(withdrawal);
    Ok(brand_may_have_it)
}

/// Counts a failed attempt of packet `packet_jti`'s item of `kind` ([`Vault::delivery_failed`]).
fn record_failure(
    writer: &Writer<'_>,
    outbox: &mut Outbox,
    packet_jti: &str,
    kind: OutgoingKind,
    error: &str,
    retryable: bool,
    now: i64,
) -> Result<Option<OutboxItem>> {
    outbox.update(writer, packet_jti, kind, |item| {
        item.attempts = item.attempts.saturating_add(1);
        item.next_try_at = now.saturating_add(backoff(item.attempts));
        item.last_error = Some(error.to_owned());
        item.refused = !retryable;
    })
}
