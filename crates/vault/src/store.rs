//! The vault file: one SQLite database of sealed records, and its migrations.
//!
//! In clear, each record has only a random 16-byte id, its kind, the schema
//! version and the key generation it was sealed under. The content is sealed
//! with ChaCha20-Poly1305 under the vault key; the associated data is
//! `tessera-vault/v1/<kind>/<id hex>/s<schema>/g<generation>`, so a record
//! altered, moved to another row, relabelled or replayed from another key
//! generation does not open.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_protocol::{ItemName, MasterSecret};
use tessera_seal::{DataKey, RecordCipher};
use zeroize::Zeroizing;

use crate::consent::PinnedBrand;
use crate::facts::Fact;
use crate::ledger::LedgerEntry;
use crate::purchases::Purchase;
use crate::settings::Settings;
use crate::{Result, VaultError};

/// The schema version this code writes and reads (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// The database file inside the vault directory.
pub const DATABASE_FILE: &str = "vault.db";

/// Each migration takes the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &["
CREATE TABLE vault (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format TEXT NOT NULL,
    key_generation INTEGER NOT NULL,
    passphrase_slot TEXT NOT NULL,
    recovery_slot TEXT NOT NULL
);
CREATE TABLE records (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    key_generation INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX records_by_kind ON records(kind);
"];

/// The kinds of record, the only thing about a record's content that is in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Master,
    Settings,
    Fact,
    Purchase,
    Brand,
    Ledger,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Master => "master",
            Kind::Settings => "settings",
            Kind::Fact => "fact",
            Kind::Purchase => "purchase",
            Kind::Brand => "brand",
            Kind::Ledger => "ledger",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        [Kind::Master, Kind::Settings, Kind::Fact, Kind::Purchase, Kind::Brand, Kind::Ledger]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A record's random id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub [u8; 16]);

impl RecordId {
    pub(crate) fn random() -> RecordId {
        let mut id = [0u8; 16];
        tessera_protocol::encoding::fill_random(&mut id);
        RecordId(id)
    }

    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn parse_hex(text: &str) -> Option<RecordId> {
        if text.len() != 32 {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(RecordId(id))
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.hex())
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

/// Seals record contents: AEAD normally; in the test-only control build, nothing.
pub(crate) enum Sealer {
    Aead(Box<RecordCipher>),
    #[cfg(feature = "plaintext-control")]
    Plaintext,
}

impl Sealer {
    pub(crate) fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>> {
        match self {
            Sealer::Aead(cipher) => Ok(cipher.seal(aad, plain)?),
            #[cfg(feature = "plaintext-control")]
            Sealer::Plaintext => Ok(plain.to_vec()),
        }
    }

    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        match self {
            Sealer::Aead(cipher) => Ok(cipher.open(aad, sealed)?),
            #[cfg(feature = "plaintext-control")]
            Sealer::Plaintext => Ok(Zeroizing::new(sealed.to_vec())),
        }
    }
}

pub(crate) fn record_aad(kind: Kind, id: &RecordId, schema: i64, generation: i64) -> Vec<u8> {
    format!("tessera-vault/v1/{}/{}/s{schema}/g{generation}", kind.as_str(), id.hex()).into_bytes()
}

/// A record that could not be opened: altered on disk, moved, or sealed under another key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRecord {
    pub id: RecordId,
    pub kind: String,
    pub detail: String,
}

/// Everything that exists only while the vault is unlocked.
pub(crate) struct Unlocked {
    pub(crate) key: DataKey,
    pub(crate) sealer: Sealer,
    pub(crate) generation: i64,
    pub(crate) master: MasterSecret,
    pub(crate) settings: (RecordId, Settings),
    pub(crate) facts: BTreeMap<ItemName, (RecordId, Fact)>,
    pub(crate) purchases: Vec<(RecordId, Purchase)>,
    pub(crate) brands: BTreeMap<String, (RecordId, PinnedBrand)>,
    pub(crate) ledger: Vec<(RecordId, LedgerEntry)>,
    pub(crate) damaged: Vec<DamagedRecord>,
}

/// A consumer's vault. Locked when opened; [`Vault::unlock`] loads and decrypts everything into memory.
pub struct Vault {
    pub(crate) dir: PathBuf,
    pub(crate) conn: Connection,
    pub(crate) open: Option<Unlocked>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault").field("dir", &self.dir).field("unlocked", &self.open.is_some()).finish()
    }
}

pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

/// Brings the schema up to [`SCHEMA_VERSION`], one migration per transaction.
pub(crate) fn migrate(conn: &mut Connection, dir: &Path) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(VaultError::NewerSchema { found: version, supported: SCHEMA_VERSION });
    }
    if version < 0 {
        return Err(VaultError::Corrupt { dir: dir.to_owned(), detail: format!("schema version {version}") });
    }
    for (from, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl Vault {
    /// Whether a vault exists in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DATABASE_FILE).is_file()
    }

    /// Opens the vault in `dir`, locked.
    pub fn open(dir: &Path) -> Result<Vault> {
        let path = dir.join(DATABASE_FILE);
        if !path.is_file() {
            return Err(VaultError::NoVault { dir: dir.to_owned() });
        }
        let corrupt = |e: rusqlite::Error| VaultError::Corrupt { dir: dir.to_owned(), detail: e.to_string() };
        let mut conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(corrupt)?;
        configure(&conn).map_err(|e| VaultError::Corrupt { dir: dir.to_owned(), detail: e.to_string() })?;
        migrate(&mut conn, dir)?;
        let format: Option<String> =
            conn.query_row("SELECT format FROM vault WHERE id = 1", [], |r| r.get(0)).optional().map_err(corrupt)?;
        if !format.as_deref().is_some_and(crate::keys::is_known_format) {
            return Err(VaultError::Corrupt { dir: dir.to_owned(), detail: "no vault header".into() });
        }
        Ok(Vault { dir: dir.to_owned(), conn, open: None })
    }

    /// The vault's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the vault is unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.open.is_some()
    }

    pub(crate) fn unlocked(&self) -> Result<&Unlocked> {
        self.open.as_ref().ok_or(VaultError::Locked)
    }

    /// Records that could not be read at unlock (the others are available).
    pub fn damaged_records(&self) -> Result<&[DamagedRecord]> {
        Ok(&self.unlocked()?.damaged)
    }

    /// Runs SQLite's integrity check; `Ok(())` when the database file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        let result: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(VaultError::Corrupt { dir: self.dir.clone(), detail: result })
        }
    }

    /// Drops every key and every decrypted value from memory.
    pub fn lock(&mut self) {
        self.open = None;
    }
}

/// Seals and writes records inside one transaction.
pub(crate) struct Writer<'a> {
    pub(crate) tx: rusqlite::Transaction<'a>,
    pub(crate) sealer: &'a Sealer,
    pub(crate) generation: i64,
}

impl Writer<'_> {
    pub(crate) fn put<T: Serialize>(&self, kind: Kind, id: &RecordId, value: &T) -> Result<()> {
        let plain =
            Zeroizing::new(serde_json::to_vec(value).unwrap_or_else(|e| unreachable!("records serialise: {e}")));
        let sealed = self.sealer.seal(&record_aad(kind, id, SCHEMA_VERSION, self.generation), &plain)?;
        self.tx
            .prepare_cached(
                "INSERT INTO records (id, kind, schema_version, key_generation, sealed) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, schema_version = excluded.schema_version,
                 key_generation = excluded.key_generation, sealed = excluded.sealed",
            )?
            .execute(params![&id.0[..], kind.as_str(), SCHEMA_VERSION, self.generation, sealed])?;
        Ok(())
    }

    pub(crate) fn delete(&self, id: &RecordId) -> Result<()> {
        self.tx.prepare_cached("DELETE FROM records WHERE id = ?1")?.execute([&id.0[..]])?;
        Ok(())
    }

    pub(crate) fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

impl Vault {
    /// The database and the unlocked state, borrowed apart: start a write
    /// with [`begin`], commit it, then update the in-memory state.
    pub(crate) fn parts(&mut self) -> Result<(&mut Connection, &mut Unlocked)> {
        let open = self.open.as_mut().ok_or(VaultError::Locked)?;
        Ok((&mut self.conn, open))
    }
}

/// Starts a write transaction sealing under the unlocked vault's key.
pub(crate) fn begin<'a>(conn: &'a mut Connection, open: &'a Unlocked) -> Result<Writer<'a>> {
    Ok(Writer { tx: conn.transaction()?, sealer: &open.sealer, generation: open.generation })
}

/// A decrypted record: its kind, id and plaintext.
pub(crate) type OpenedRecord = (Kind, RecordId, Zeroizing<Vec<u8>>);

/// Reads and decrypts every record; those that do not open are reported apart.
pub(crate) fn load_records(conn: &Connection, sealer: &Sealer) -> Result<(Vec<OpenedRecord>, Vec<DamagedRecord>)> {
    let mut stmt = conn.prepare("SELECT id, kind, schema_version, key_generation, sealed FROM records")?;
    let mut rows = stmt.query([])?;
    let mut records = Vec::new();
    let mut damaged = Vec::new();
    while let Some(row) = rows.next()? {
        let id_bytes: Vec<u8> = row.get(0)?;
        let kind_text: String = row.get(1)?;
        let schema: i64 = row.get(2)?;
        let generation: i64 = row.get(3)?;
        let sealed: Vec<u8> = row.get_ref(4)?.as_blob().map(<[u8]>::to_vec).unwrap_or_default();
        let Ok(id) = <[u8; 16]>::try_from(id_bytes.as_slice()).map(RecordId) else {
            damaged.push(DamagedRecord {
                id: RecordId([0; 16]),
                kind: kind_text,
                detail: "malformed record id".into(),
            });
            continue;
        };
        let Some(kind) = Kind::parse(&kind_text) else {
            damaged.push(DamagedRecord { id, kind: kind_text, detail: "unknown record kind".into() });
            continue;
        };
        match sealer.open(&record_aad(kind, &id, schema, generation), &sealed) {
            Ok(plain) => records.push((kind, id, plain)),
            Err(_) => damaged.push(DamagedRecord {
                id,
                kind: kind_text,
                detail: "altered, moved, or sealed under another key".into(),
            }),
        }
    }
    Ok((records, damaged))
}

/// Parses a record's JSON, reporting a damaged record on failure.
pub(crate) fn parse_record<T: DeserializeOwned>(
    kind: Kind,
    id: RecordId,
    plain: &[u8],
    damaged: &mut Vec<DamagedRecord>,
) -> Option<T> {
    match serde_json::from_slice(plain) {
        Ok(value) => Some(value),
        Err(e) => {
            damaged.push(DamagedRecord { id, kind: kind.as_str().into(), detail: format!("unreadable content: {e}") });
            None
        }
    }
}
