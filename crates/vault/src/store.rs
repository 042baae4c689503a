//! The record store: one SQLite file of sealed records, its migrations, and the kinds of record.
//!
//! In clear, each record has only a random 16-byte id, its kind, the schema
//! version and the key generation it was sealed under. The content is sealed
//! with ChaCha20-Poly1305 under the vault key; the associated data is
//! `tessera-vault/v1/<kind>/<id hex>/s<schema>/g<generation>`, so a record
//! altered, moved to another row, relabelled or replayed from another key
//! generation does not open.
//!
//! The store knows no domain type: it seals what a collection hands it
//! (serialised as JSON) and opens records one kind at a time, so each
//! collection loads only its own records and a record that does not open is
//! reported without hiding the others. Beside the records it keeps the vault
//! header (format, key generation, the two wrapped copies of the vault key) as
//! text that [`crate::keys`] reads and writes.
//!
//! What it must never do: write a record's content in clear, or decide what a
//! record means.

use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_seal::{DataKey, RecordCipher};
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};

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
/// Each kind belongs to one collection, which alone reads and writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The master secret ([`crate::keys`]).
    Master,
    /// The preferences ([`crate::settings`]).
    Settings,
    /// A profile fact ([`crate::facts`]).
    Fact,
    /// A purchase ([`crate::purchases`]).
    Purchase,
    /// A pinned brand key ([`crate::brands`]).
    Brand,
    /// A ledger entry ([`crate::ledger`]).
    Ledger,
}

impl Kind {
    /// Every kind this build knows.
    pub const ALL: [Kind; 6] = [Kind::Master, Kind::Settings, Kind::Fact, Kind::Purchase, Kind::Brand, Kind::Ledger];

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
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
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

/// The vault key while the vault is unlocked: the key itself (zeroised on drop),
/// the sealer made from it, and its generation.
pub(crate) struct RecordKey {
    /// Kept so that it lives exactly as long as the sealer made from it.
    _key: DataKey,
    sealer: Sealer,
    generation: i64,
}

impl RecordKey {
    pub(crate) fn new(key: DataKey, sealer: Sealer, generation: i64) -> RecordKey {
        RecordKey { _key: key, sealer, generation }
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

/// The vault header, as stored: which format, which key generation, and the
/// two wrapped copies of the vault key (JSON written and read by [`crate::keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) format: String,
    pub(crate) key_generation: i64,
    pub(crate) passphrase_slot: String,
    pub(crate) recovery_slot: String,
}

/// The vault's SQLite file.
pub(crate) struct RecordStore {
    dir: PathBuf,
    conn: Connection,
}

impl fmt::Debug for RecordStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordStore").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

/// Brings the schema up to [`SCHEMA_VERSION`], one migration per transaction.
fn migrate(conn: &mut Connection, dir: &Path) -> Result<()> {
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

impl RecordStore {
    /// Whether a vault exists in `dir`.
    pub(crate) fn exists(dir: &Path) -> bool {
        dir.join(DATABASE_FILE).is_file()
    }

    /// Creates the database in `dir` with `header` and the first records that
    /// `fill` writes. It is built under a temporary name and renamed: a crash
    /// leaves no vault or a whole one.
    pub(crate) fn create<T>(
        dir: &Path,
        header: &Header,
        key: &RecordKey,
        fill: impl FnOnce(&Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        std::fs::create_dir_all(dir).map_err(|e| VaultError::File { path: dir.to_owned(), detail: e.to_string() })?;
        let partial = dir.join(format!("{DATABASE_FILE}.creating"));
        let _ = std::fs::remove_file(&partial);
        let filled = {
            let mut conn = Connection::open(&partial)?;
            conn.pragma_update(None, "secure_delete", "ON")?;
            migrate(&mut conn, dir)?;
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO vault (id, format, key_generation, passphrase_slot, recovery_slot) VALUES (1, ?1, ?2, ?3, ?4)",
                params![header.format, header.key_generation, header.passphrase_slot, header.recovery_slot],
            )?;
            let writer = Writer { tx, sealer: &key.sealer, generation: key.generation };
            let filled = fill(&writer)?;
            writer.commit()?;
            filled
        };
        let path = dir.join(DATABASE_FILE);
        std::fs::rename(&partial, &path).map_err(|e| VaultError::File { path: path.clone(), detail: e.to_string() })?;
        Ok(filled)
    }

    /// Opens the database in `dir`, bringing its schema up to date, and
    /// returns it with the format its header names (`None` without a header).
    pub(crate) fn open(dir: &Path) -> Result<(RecordStore, Option<String>)> {
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
        Ok((RecordStore { dir: dir.to_owned(), conn }, format))
    }

    /// The vault's directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The vault header.
    pub(crate) fn header(&self) -> Result<Header> {
        Ok(self.conn.query_row(
            "SELECT format, key_generation, passphrase_slot, recovery_slot FROM vault WHERE id = 1",
            [],
            |r| {
                Ok(Header {
                    format: r.get(0)?,
                    key_generation: r.get(1)?,
                    passphrase_slot: r.get(2)?,
                    recovery_slot: r.get(3)?,
                })
            },
        )?)
    }

    /// Replaces the wrapped copy of the vault key that the passphrase opens, in one transaction.
    pub(crate) fn set_passphrase_slot(&mut self, slot: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE vault SET passphrase_slot = ?1 WHERE id = 1", [slot])?;
        tx.commit()?;
        Ok(())
    }

    /// Runs SQLite's integrity check; `Ok(())` when the database file is sound.
    pub(crate) fn integrity_check(&self) -> Result<()> {
        let result: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(VaultError::Corrupt { dir: self.dir.clone(), detail: result })
        }
    }

    /// Starts a write transaction sealing under `key`.
    pub(crate) fn write<'a>(&'a mut self, key: &'a RecordKey) -> Result<Writer<'a>> {
        Ok(Writer { tx: self.conn.transaction()?, sealer: &key.sealer, generation: key.generation })
    }

    /// Opens and parses every record of `kind`; those that do not open or do
    /// not parse as `T` are added to `damaged`, and the others are returned.
    pub(crate) fn load<T: DeserializeOwned>(
        &self,
        kind: Kind,
        key: &RecordKey,
        damaged: &mut Vec<DamagedRecord>,
    ) -> Result<Vec<(RecordId, T)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, schema_version, key_generation, sealed FROM records WHERE kind = ?1 ORDER BY rowid",
        )?;
        let mut rows = stmt.query([kind.as_str()])?;
        let mut records = Vec::new();
        while let Some(row) = rows.next()? {
            let Some((kind, id, plain)) = open_row(row, &key.sealer, damaged)? else { continue };
            match serde_json::from_slice(&plain) {
                Ok(value) => records.push((id, value)),
                Err(e) => damaged.push(DamagedRecord {
                    id,
                    kind: kind.as_str().into(),
                    detail: format!("unreadable content: {e}"),
                }),
            }
        }
        Ok(records)
    }

    /// Reports the records of a kind this build does not know.
    pub(crate) fn report_unknown_kinds(&self, damaged: &mut Vec<DamagedRecord>) -> Result<()> {
        let known: Vec<String> = Kind::ALL.iter().map(|k| format!("'{}'", k.as_str())).collect();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, kind FROM records WHERE kind NOT IN ({}) ORDER BY rowid",
            known.join(", ")
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id_bytes: Vec<u8> = row.get(0)?;
            let kind: String = row.get(1)?;
            let id = <[u8; 16]>::try_from(id_bytes.as_slice()).map(RecordId).unwrap_or(RecordId([0; 16]));
            damaged.push(DamagedRecord { id, kind, detail: "unknown record kind".into() });
        }
        Ok(())
    }

    /// Seals every record that opens under `old` again under `new`, and writes
    /// `header` (the new key's slots and generation), in one transaction.
    /// Records that do not open are left as they are.
    pub(crate) fn rekey(&mut self, old: &RecordKey, new: &RecordKey, header: &Header) -> Result<()> {
        let mut records = Vec::new();
        {
            let mut stmt = self.conn.prepare("SELECT id, kind, schema_version, key_generation, sealed FROM records")?;
            let mut rows = stmt.query([])?;
            let mut ignored = Vec::new();
            while let Some(row) = rows.next()? {
                if let Some(record) = open_row(row, &old.sealer, &mut ignored)? {
                    records.push(record);
                }
            }
        }
        let tx = self.conn.transaction()?;
        for (kind, id, plain) in &records {
            let sealed = new.sealer.seal(&record_aad(*kind, id, SCHEMA_VERSION, new.generation), plain)?;
            tx.execute(
                "UPDATE records SET sealed = ?1, key_generation = ?2, schema_version = ?3 WHERE id = ?4",
                params![sealed, new.generation, SCHEMA_VERSION, &id.0[..]],
            )?;
        }
        tx.execute(
            "UPDATE vault SET key_generation = ?1, passphrase_slot = ?2, recovery_slot = ?3 WHERE id = 1",
            params![header.key_generation, header.passphrase_slot, header.recovery_slot],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// A record opened: its kind, id and plaintext (zeroised when dropped).
type OpenedRecord = (Kind, RecordId, Zeroizing<Vec<u8>>);

/// Opens one row of `records`; a row that does not open is added to `damaged`.
fn open_row(
    row: &rusqlite::Row<'_>,
    sealer: &Sealer,
    damaged: &mut Vec<DamagedRecord>,
) -> Result<Option<OpenedRecord>> {
    let id_bytes: Vec<u8> = row.get(0)?;
    let kind_text: String = row.get(1)?;
    let schema: i64 = row.get(2)?;
    let generation: i64 = row.get(3)?;
    let sealed: Vec<u8> = row.get_ref(4)?.as_blob().map(<[u8]>::to_vec).unwrap_or_default();
    let Ok(id) = <[u8; 16]>::try_from(id_bytes.as_slice()).map(RecordId) else {
        damaged.push(DamagedRecord { id: RecordId([0; 16]), kind: kind_text, detail: "malformed record id".into() });
        return Ok(None);
    };
    let Some(kind) = Kind::parse(&kind_text) else {
        damaged.push(DamagedRecord { id, kind: kind_text, detail: "unknown record kind".into() });
        return Ok(None);
    };
    match sealer.open(&record_aad(kind, &id, schema, generation), &sealed) {
        Ok(plain) => Ok(Some((kind, id, plain))),
        Err(_) => {
            damaged.push(DamagedRecord {
                id,
                kind: kind_text,
                detail: "altered, moved, or sealed under another key".into(),
            });
            Ok(None)
        }
    }
}

/// Seals and writes records inside one transaction.
pub(crate) struct Writer<'a> {
    tx: rusqlite::Transaction<'a>,
    sealer: &'a Sealer,
    generation: i64,
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

    /// Writes each value as a new record of `kind`; returns them with their new ids.
    pub(crate) fn put_all_new<T: Serialize>(
        &self,
        kind: Kind,
        values: impl IntoIterator<Item = T>,
    ) -> Result<Vec<(RecordId, T)>> {
        let values = values.into_iter();
        let mut records = Vec::with_capacity(values.size_hint().0);
        for value in values {
            let id = RecordId::random();
            self.put(kind, &id, &value)?;
            records.push((id, value));
        }
        Ok(records)
    }

    pub(crate) fn delete(&self, id: &RecordId) -> Result<()> {
        self.tx.prepare_cached("DELETE FROM records WHERE id = ?1")?.execute([&id.0[..]])?;
        Ok(())
    }

    /// Deletes every record (a restore replaces them all).
    pub(crate) fn delete_all(&self) -> Result<()> {
        self.tx.execute("DELETE FROM records", [])?;
        Ok(())
    }

    pub(crate) fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

/// A record written in a transaction that is not committed yet: a collection
/// applies it to its in-memory copy only once the transaction commits.
#[must_use = "apply it to the collection once the transaction commits"]
pub(crate) struct Staged<T> {
    pub(crate) id: RecordId,
    pub(crate) value: T,
}
