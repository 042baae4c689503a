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
//! A record's schema version is the version of the code that sealed it; a
//! collection may read older records its own way (purchases sealed by schema 1
//! may hold money received as negative amounts, moved apart at unlock by
//! [`crate::purchases`]).
//!
//! Damage on disk is contained: a row whose columns have the wrong type, a
//! page SQLite reports as malformed, an index that no longer matches its
//! table — each costs only the records it holds. Records are read in rowid
//! order; when SQLite stops with an error, reading resumes past the damaged
//! part, and every rowid the indexes still know is looked up on its own
//! ([`RecordStore::load`]). What could not be read is reported as a
//! [`DamagedRecord`] and the rest stays available.
//!
//! The database file is created readable by its owner only (0600) in a
//! directory only its owner can enter (0700); SQLite gives its `-wal` and
//! `-shm` files the same mode.
//!
//! What it must never do: write a record's content in clear, or decide what a
//! record means.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_seal::{DataKey, RecordCipher};
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};

/// The schema version this code writes and reads (`PRAGMA user_version`):
/// 2 adds the checks of the keyslots, the `credit` kind, and purchases that
/// are never negative.
pub const SCHEMA_VERSION: i64 = 2;

/// The database file inside the vault directory.
pub const DATABASE_FILE: &str = "vault.db";

/// Each migration takes the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    "
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
",
    "
ALTER TABLE vault ADD COLUMN passphrase_check TEXT;
ALTER TABLE vault ADD COLUMN recovery_check TEXT;
",
];

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
    /// Money received, kept apart from purchases ([`crate::credits`]).
    Credit,
    /// A pinned brand key ([`crate::brands`]).
    Brand,
    /// A ledger entry ([`crate::ledger`]).
    Ledger,
    /// A packet or revocation waiting to be sent ([`crate::outbox`]).
    Outbox,
}

impl Kind {
    /// Every kind this build knows.
    pub const ALL: [Kind; 8] = [
        Kind::Master,
        Kind::Settings,
        Kind::Fact,
        Kind::Purchase,
        Kind::Credit,
        Kind::Brand,
        Kind::Ledger,
        Kind::Outbox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Master => "master",
            Kind::Settings => "settings",
            Kind::Fact => "fact",
            Kind::Purchase => "purchase",
            Kind::Credit => "credit",
            Kind::Brand => "brand",
            Kind::Ledger => "ledger",
            Kind::Outbox => "outbox",
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
/// two wrapped copies of the vault key with a check of each (JSON and SHA-256
/// written and read by [`crate::keys`]; checks are absent in a vault made by
/// schema 1 until its first unlock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) format: String,
    pub(crate) key_generation: i64,
    pub(crate) passphrase_slot: String,
    pub(crate) recovery_slot: String,
    pub(crate) passphrase_check: Option<String>,
    pub(crate) recovery_check: Option<String>,
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
    let corrupt = |e: rusqlite::Error| VaultError::Corrupt { dir: dir.to_owned(), detail: e.to_string() };
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(corrupt)?;
    if version > SCHEMA_VERSION {
        return Err(VaultError::NewerSchema { found: version, supported: SCHEMA_VERSION });
    }
    if version < 0 {
        return Err(VaultError::Corrupt { dir: dir.to_owned(), detail: format!("schema version {version}") });
    }
    for (from, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        let tx = conn.transaction().map_err(corrupt)?;
        tx.execute_batch(migration).map_err(corrupt)?;
        tx.pragma_update(None, "user_version", from as i64 + 1).map_err(corrupt)?;
        tx.commit().map_err(corrupt)?;
    }
    Ok(())
}

/// Makes `path` readable and writable by its owner only, or, for a directory, enterable by its owner only.
pub(crate) fn make_private(path: &Path, directory: bool) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if directory { 0o700 } else { 0o600 };
        if let Ok(metadata) = std::fs::metadata(path) {
            if metadata.permissions().mode() & 0o777 != mode {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                    .map_err(|e| VaultError::File { path: path.to_owned(), detail: e.to_string() })?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, directory);
    Ok(())
}

/// Creates an empty file readable by its owner only, for SQLite to fill.
fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop).map_err(|e| VaultError::File { path: path.to_owned(), detail: e.to_string() })
}

/// One row of `records` as read, each column only if it has the right type.
struct RawRow {
    id: Option<[u8; 16]>,
    kind: Option<String>,
    schema: Option<i64>,
    generation: Option<i64>,
    sealed: Option<Vec<u8>>,
}

impl RawRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, RawRow)> {
        use rusqlite::types::ValueRef;
        let rowid: i64 = row.get(0)?;
        let raw = RawRow {
            id: match row.get_ref(1)? {
                ValueRef::Blob(bytes) => <[u8; 16]>::try_from(bytes).ok(),
                _ => None,
            },
            kind: match row.get_ref(2)? {
                ValueRef::Text(text) => std::str::from_utf8(text).ok().map(str::to_owned),
                _ => None,
            },
            schema: match row.get_ref(3)? {
                ValueRef::Integer(n) => Some(n),
                _ => None,
            },
            generation: match row.get_ref(4)? {
                ValueRef::Integer(n) => Some(n),
                _ => None,
            },
            sealed: match row.get_ref(5)? {
                ValueRef::Blob(bytes) => Some(bytes.to_vec()),
                _ => None,
            },
        };
        Ok((rowid, raw))
    }
}

const ROW_COLUMNS: &str = "rowid, id, kind, schema_version, key_generation, sealed";

/// What a read of `records` found: the rows it read, and the rowids an index
/// knows (with their kind when the index says) that could not be read.
#[derive(Default)]
struct Scan {
    rows: BTreeMap<i64, RawRow>,
    unreadable: Vec<(i64, Option<String>)>,
}

/// How far past a damaged part of the table reading may jump at most before giving up.
const LONGEST_SKIP: i64 = 1 << 40;

impl RecordStore {
    /// Whether a vault exists in `dir`.
    pub(crate) fn exists(dir: &Path) -> bool {
        dir.join(DATABASE_FILE).is_file()
    }

    /// Creates the database in `dir` with `header` and the first records that
    /// `fill` writes. It is built under a temporary name and renamed: a crash
    /// leaves no vault or a whole one. The directory is made private (0700),
    /// the file is created private (0600).
    pub(crate) fn create<T>(
        dir: &Path,
        header: &Header,
        key: &RecordKey,
        fill: impl FnOnce(&Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        std::fs::create_dir_all(dir).map_err(|e| VaultError::File { path: dir.to_owned(), detail: e.to_string() })?;
        make_private(dir, true)?;
        let partial = dir.join(format!("{DATABASE_FILE}.creating"));
        let _ = std::fs::remove_file(&partial);
        create_private_file(&partial)?;
        let filled = {
            let mut conn = Connection::open(&partial)?;
            conn.pragma_update(None, "secure_delete", "ON")?;
            migrate(&mut conn, dir)?;
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO vault (id, format, key_generation, passphrase_slot, recovery_slot, passphrase_check, recovery_check)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    header.format,
                    header.key_generation,
                    header.passphrase_slot,
                    header.recovery_slot,
                    header.passphrase_check,
                    header.recovery_check
                ],
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
    /// Files left readable by others by an earlier version are made private.
    pub(crate) fn open(dir: &Path) -> Result<(RecordStore, Option<String>)> {
        let path = dir.join(DATABASE_FILE);
        if !path.is_file() {
            return Err(VaultError::NoVault { dir: dir.to_owned() });
        }
        make_private(dir, true)?;
        for file in [path.clone(), dir.join(format!("{DATABASE_FILE}-wal")), dir.join(format!("{DATABASE_FILE}-shm"))] {
            make_private(&file, false)?;
        }
        let corrupt = |e: rusqlite::Error| VaultError::Corrupt { dir: dir.to_owned(), detail: e.to_string() };
        let mut conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(corrupt)?;
        configure(&conn).map_err(|e| VaultError::Corrupt { dir: dir.to_owned(), detail: e.to_string() })?;
        migrate(&mut conn, dir)?;
        let format: Option<String> = conn
            .query_row("SELECT format FROM vault WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|_| VaultError::HeaderDamaged { dir: dir.to_owned() })?;
        Ok((RecordStore { dir: dir.to_owned(), conn }, format))
    }

    /// The vault's directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The vault header; [`VaultError::HeaderDamaged`] when it cannot be read.
    pub(crate) fn header(&self) -> Result<Header> {
        self.conn
            .query_row(
                "SELECT format, key_generation, passphrase_slot, recovery_slot, passphrase_check, recovery_check
                 FROM vault WHERE id = 1",
                [],
                |r| {
                    Ok(Header {
                        format: r.get(0)?,
                        key_generation: r.get(1)?,
                        passphrase_slot: r.get(2)?,
                        recovery_slot: r.get(3)?,
                        passphrase_check: r.get(4)?,
                        recovery_check: r.get(5)?,
                    })
                },
            )
            .map_err(|_| VaultError::HeaderDamaged { dir: self.dir.clone() })
    }

    /// Replaces the wrapped copy of the vault key that the passphrase opens, and its check, in one transaction.
    pub(crate) fn set_passphrase_slot(&mut self, slot: &str, check: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE vault SET passphrase_slot = ?1, passphrase_check = ?2 WHERE id = 1", [slot, check])?;
        tx.commit()?;
        Ok(())
    }

    /// Records the checks of both keyslots (a vault made by schema 1, once unlocked).
    pub(crate) fn set_slot_checks(&mut self, passphrase_check: &str, recovery_check: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE vault SET passphrase_check = ?1, recovery_check = ?2 WHERE id = 1",
            [passphrase_check, recovery_check],
        )?;
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

    /// Writes a consistent copy of the database to `path` (a new file,
    /// readable by its owner only), as it is committed now.
    pub(crate) fn copy_to(&self, path: &Path) -> Result<()> {
        let text = path.to_str().ok_or_else(|| VaultError::File {
            path: path.to_owned(),
            detail: "the path is not valid Unicode".into(),
        })?;
        create_private_file(path)?;
        let copied = self.conn.execute("VACUUM INTO ?1", [text]).map(drop).map_err(VaultError::from).and_then(|()| {
            std::fs::File::open(path)
                .and_then(|f| f.sync_all())
                .map_err(|e| VaultError::File { path: path.to_owned(), detail: e.to_string() })
        });
        if copied.is_err() {
            let _ = std::fs::remove_file(path);
        }
        copied
    }

    /// Starts a write transaction sealing under `key`.
    pub(crate) fn write<'a>(&'a mut self, key: &'a RecordKey) -> Result<Writer<'a>> {
        Ok(Writer { tx: self.conn.transaction()?, sealer: &key.sealer, generation: key.generation })
    }

    /// Starts a write transaction that takes the file's write lock at once (`BEGIN
    /// IMMEDIATE`): what is read through this store until it commits is what another process
    /// can no longer change, so a read-then-write decides on what is on disk.
    pub(crate) fn write_locked<'a>(&'a self, key: &'a RecordKey) -> Result<Writer<'a>> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate)?;
        Ok(Writer { tx, sealer: &key.sealer, generation: key.generation })
    }

    /// The ids of the records of `kind` sealed by a schema older than `schema`.
    pub(crate) fn ids_older_than(&self, kind: Kind, schema: i64) -> Result<Vec<RecordId>> {
        let mut stmt = self.conn.prepare("SELECT id FROM records WHERE kind = ?1 AND schema_version < ?2")?;
        let ids = stmt
            .query_map(params![kind.as_str(), schema], |r| {
                Ok(r.get_ref(0)?.as_blob().ok().and_then(|b| <[u8; 16]>::try_from(b).ok()).map(RecordId))
            })?
            .filter_map(|id| id.ok().flatten())
            .collect();
        Ok(ids)
    }

    /// Every readable row of `records` of `kind` (every kind when `None`), by
    /// rowid, and the rowids an index knows that could not be read.
    ///
    /// The quick way first: one pass over the table itself, not through an
    /// index, checked against the number of rows the index counts. If SQLite
    /// stops with an error or the counts differ, the table is read again in
    /// rowid order, resuming past each damaged part, and every rowid the
    /// indexes still know is looked up on its own.
    fn rows(&self, kind: Option<Kind>) -> Result<Scan> {
        let mut scan = Scan::default();
        let (quick, counted) = match kind {
            Some(kind) => (
                self.read_rows(
                    &format!("SELECT {ROW_COLUMNS} FROM records NOT INDEXED WHERE kind = ?1 ORDER BY rowid"),
                    params![kind.as_str()],
                    &mut scan.rows,
                ),
                self.conn
                    .query_row(
                        "SELECT count(*) FROM records INDEXED BY records_by_kind WHERE kind = ?1",
                        [kind.as_str()],
                        |r| r.get::<_, i64>(0),
                    )
                    .ok(),
            ),
            None => (
                self.read_rows(
                    &format!("SELECT {ROW_COLUMNS} FROM records NOT INDEXED ORDER BY rowid"),
                    [],
                    &mut scan.rows,
                ),
                self.conn
                    .query_row("SELECT count(*) FROM records INDEXED BY sqlite_autoindex_records_1", [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .ok(),
            ),
        };
        if quick.is_ok() && counted.is_none_or(|n| usize::try_from(n).is_ok_and(|n| n == scan.rows.len())) {
            return Ok(scan);
        }
        self.read_around_damage(&mut scan);
        if let Some(kind) = kind {
            let wanted = |k: &Option<String>| k.as_deref().is_none_or(|k| k == kind.as_str());
            scan.rows.retain(|_, row| wanted(&row.kind));
            scan.unreadable.retain(|(_, k)| k.as_deref() == Some(kind.as_str()));
        }
        Ok(scan)
    }

    /// Runs `sql` and adds every row it returns to `found` until it ends or fails.
    fn read_rows(
        &self,
        sql: &str,
        parameters: impl rusqlite::Params,
        found: &mut BTreeMap<i64, RawRow>,
    ) -> rusqlite::Result<()> {
        self.read_rows_tracked(sql, parameters, found, &mut None)
    }

    /// Like [`RecordStore::read_rows`], noting in `last` the rowid of the last row read.
    fn read_rows_tracked(
        &self,
        sql: &str,
        parameters: impl rusqlite::Params,
        found: &mut BTreeMap<i64, RawRow>,
        last: &mut Option<i64>,
    ) -> rusqlite::Result<()> {
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query(parameters)?;
        while let Some(row) = rows.next()? {
            let (rowid, raw) = RawRow::read(row)?;
            found.insert(rowid, raw);
            *last = Some(rowid);
        }
        Ok(())
    }

    /// Reads what SQLite can still reach of a damaged `records` table.
    fn read_around_damage(&self, scan: &mut Scan) {
        // The table in rowid order: after an error, resume just past the last
        // row read, then jump further and further until reading goes on.
        let table = format!("SELECT {ROW_COLUMNS} FROM records NOT INDEXED WHERE rowid > ?1 ORDER BY rowid");
        let mut last_good = 0i64;
        let mut after = i64::MIN;
        let mut skip = 1i64;
        loop {
            let mut last = None;
            if self.read_rows_tracked(&table, [after], &mut scan.rows, &mut last).is_ok() {
                break;
            }
            if let Some(last) = last {
                last_good = last;
                after = last;
                skip = 1;
                continue;
            }
            if skip > LONGEST_SKIP {
                break;
            }
            after = last_good.saturating_add(skip);
            skip = skip.saturating_mul(2);
        }
        // Records SQLite can no longer reach (a page whose header or cell
        // pointers are damaged) are looked for in the file's pages directly.
        self.salvage_into(scan);
        // Every rowid an index still knows, each looked up on its own; what
        // does not read is reported. A row whose kind or id was damaged takes
        // them from the indexes (the sealed content decides: it opens only
        // with its true kind and id).
        let known = self.indexed_rows();
        let single = format!("SELECT {ROW_COLUMNS} FROM records WHERE rowid = ?1");
        for (rowid, (kind, id)) in known {
            if !scan.rows.contains_key(&rowid) {
                // A row that still fails is reported below.
                let _ = self.read_rows(&single, [rowid], &mut scan.rows);
            }
            match scan.rows.get_mut(&rowid) {
                None => scan.unreadable.push((rowid, kind)),
                Some(row) => {
                    if row.kind.as_deref().and_then(Kind::parse).is_none()
                        && kind.as_deref().and_then(Kind::parse).is_some()
                    {
                        row.kind = kind;
                    }
                    if row.id.is_none() {
                        row.id = id;
                    }
                }
            }
        }
    }

    /// Adds the rows found by [`salvage_cells`] in the database file that SQLite did not return.
    fn salvage_into(&self, scan: &mut Scan) {
        let Ok(bytes) = std::fs::read(self.dir.join(DATABASE_FILE)) else { return };
        for (rowid, row) in salvage_cells(&bytes) {
            scan.rows.entry(rowid).or_insert(row);
        }
    }

    /// What the indexes know of each rowid: its kind (from the index by kind)
    /// and its id (from the index of ids), as far as they can be read.
    fn indexed_rows(&self) -> BTreeMap<i64, (Option<String>, Option<[u8; 16]>)> {
        let mut known: BTreeMap<i64, (Option<String>, Option<[u8; 16]>)> = BTreeMap::new();
        let _ = self.conn.prepare("SELECT rowid, kind FROM records INDEXED BY records_by_kind").and_then(|mut stmt| {
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let kind = row.get_ref(1)?.as_str().ok().map(str::to_owned);
                known.entry(row.get(0)?).or_default().0 = kind;
            }
            Ok(())
        });
        let _ = self.conn.prepare("SELECT rowid, id FROM records INDEXED BY sqlite_autoindex_records_1").and_then(
            |mut stmt| {
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let id = row.get_ref(1)?.as_blob().ok().and_then(|b| <[u8; 16]>::try_from(b).ok());
                    known.entry(row.get(0)?).or_default().1 = id;
                }
                Ok(())
            },
        );
        known
    }

    /// Opens and parses every record of `kind`; those that do not open or do
    /// not parse as `T`, and those an index knows that cannot be read, are
    /// added to `damaged`, and the others are returned.
    pub(crate) fn load<T: DeserializeOwned>(
        &self,
        kind: Kind,
        key: &RecordKey,
        damaged: &mut Vec<DamagedRecord>,
    ) -> Result<Vec<(RecordId, T)>> {
        let scan = self.rows(Some(kind))?;
        for _ in &scan.unreadable {
            damaged.push(DamagedRecord {
                id: RecordId([0; 16]),
                kind: kind.as_str().into(),
                detail: "its part of the file is damaged".into(),
            });
        }
        let mut records = Vec::new();
        for raw in scan.rows.into_values() {
            let Some((kind, id, plain)) = open_row(raw, &key.sealer, damaged) else { continue };
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

    /// Reports the records of a kind this build does not know, or whose kind cannot be read.
    pub(crate) fn report_unknown_kinds(&self, damaged: &mut Vec<DamagedRecord>) -> Result<()> {
        let scan = self.rows(None)?;
        let unknown = |kind: &Option<String>| kind.as_deref().and_then(Kind::parse).is_none();
        // A row whose kind column is damaged but that an index files under a known kind was
        // read (or reported) with that kind's records.
        let indexed = if scan.rows.values().any(|r| unknown(&r.kind)) { self.indexed_rows() } else { BTreeMap::new() };
        for (rowid, raw) in scan.rows {
            let filed = indexed.get(&rowid).is_some_and(|(kind, _)| !unknown(kind));
            if unknown(&raw.kind) && !filed {
                damaged.push(DamagedRecord {
                    id: RecordId(raw.id.unwrap_or([0; 16])),
                    kind: raw.kind.unwrap_or_else(|| "?".into()),
                    detail: "unknown record kind".into(),
                });
            }
        }
        for (_, kind) in scan.unreadable {
            if kind.as_deref().and_then(Kind::parse).is_none() {
                damaged.push(DamagedRecord {
                    id: RecordId([0; 16]),
                    kind: kind.unwrap_or_else(|| "?".into()),
                    detail: "its part of the file is damaged".into(),
                });
            }
        }
        Ok(())
    }

    /// Seals every record that opens under `old` again under `new`, and writes
    /// `header` (the new key's slots and generation), in one transaction.
    /// Records that do not open are left as they are.
    pub(crate) fn rekey(&mut self, old: &RecordKey, new: &RecordKey, header: &Header) -> Result<()> {
        let mut records = Vec::new();
        let mut ignored = Vec::new();
        for raw in self.rows(None)?.rows.into_values() {
            if let Some(record) = open_row(raw, &old.sealer, &mut ignored) {
                records.push(record);
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
            "UPDATE vault SET key_generation = ?1, passphrase_slot = ?2, recovery_slot = ?3,
             passphrase_check = ?4, recovery_check = ?5 WHERE id = 1",
            params![
                header.key_generation,
                header.passphrase_slot,
                header.recovery_slot,
                header.passphrase_check,
                header.recovery_check
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The key generation the header names now.
    pub(crate) fn key_generation(&self) -> Result<i64> {
        Ok(self.header()?.key_generation)
    }
}

/// Reads one SQLite varint at `at`: its value and its length.
fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for i in 0..9 {
        let byte = *bytes.get(at + i)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(byte), 9));
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The length of a column of serial type `serial`, and whether it is an integer.
fn serial_len(serial: u64) -> Option<(usize, bool)> {
    match serial {
        0 => Some((0, false)),
        1..=4 => Some((serial as usize, true)),
        5 => Some((6, true)),
        6 => Some((8, true)),
        8 | 9 => Some((0, true)),
        n if n >= 12 => usize::try_from((n - 12) / 2).ok().map(|len| (len, false)),
        _ => None,
    }
}

fn integer(bytes: &[u8], serial: u64) -> i64 {
    match serial {
        8 => 0,
        9 => 1,
        _ => {
            let mut value: i64 = if bytes.first().is_some_and(|b| b & 0x80 != 0) { -1 } else { 0 };
            for b in bytes {
                value = (value << 8) | i64::from(*b);
            }
            value
        }
    }
}

/// Finds, in every page of a database file, the cells that have the exact
/// shape of a `records` row (a 16-byte id, a short kind, two integers, a
/// blob), wherever their page's header or cell pointers are damaged. What it
/// finds is only a candidate: a row opens only if its sealed content, kind,
/// id, schema and generation are intact (the associated data binds them).
fn salvage_cells(bytes: &[u8]) -> Vec<(i64, RawRow)> {
    let mut found = Vec::new();
    let Some(page_size) = bytes.get(16..18).map(|b| match u16::from_be_bytes([b[0], b[1]]) {
        1 => 65536usize,
        n => usize::from(n),
    }) else {
        return found;
    };
    if page_size < 512 || !page_size.is_power_of_two() {
        return found;
    }
    let usable = page_size - usize::from(bytes.get(20).copied().unwrap_or(0));
    let max_local = usable - 35;
    for page in bytes.chunks(page_size) {
        let mut at = 8;
        while at + 8 < page.len() {
            match cell_at(page, at, max_local) {
                Some((rowid, row, len)) => {
                    found.push((rowid, row));
                    at += len;
                }
                None => at += 1,
            }
        }
    }
    found
}

/// A `records` row stored whole in `page` at `at`, with the cell's length.
fn cell_at(page: &[u8], at: usize, max_local: usize) -> Option<(i64, RawRow, usize)> {
    let (payload, a) = varint(page, at)?;
    let payload = usize::try_from(payload).ok().filter(|p| *p <= max_local && *p > 20)?;
    let (rowid, b) = varint(page, at + a)?;
    let rowid = i64::try_from(rowid).ok().filter(|r| *r > 0)?;
    let start = at + a + b;
    let record = page.get(start..start + payload)?;
    let (header_len, c) = varint(record, 0)?;
    let header_len = usize::try_from(header_len).ok().filter(|h| *h < 24 && *h < payload)?;
    let mut serials = Vec::with_capacity(5);
    let mut h = c;
    while h < header_len {
        let (serial, n) = varint(record, h)?;
        serials.push(serial);
        h += n;
    }
    let [id_t, kind_t, schema_t, generation_t, sealed_t] = <[u64; 5]>::try_from(serials).ok()?;
    if id_t != 12 + 2 * 16
        || kind_t < 13
        || kind_t % 2 == 0
        || (kind_t - 13) / 2 > 32
        || sealed_t < 12
        || sealed_t % 2 != 0
    {
        return None;
    }
    let (schema_len, schema_int) = serial_len(schema_t)?;
    let (generation_len, generation_int) = serial_len(generation_t)?;
    if !schema_int || !generation_int {
        return None;
    }
    let kind_len = usize::try_from((kind_t - 13) / 2).ok()?;
    let sealed_len = usize::try_from((sealed_t - 12) / 2).ok()?;
    if header_len + 16 + kind_len + schema_len + generation_len + sealed_len != payload {
        return None;
    }
    let mut p = header_len;
    let mut take = |len: usize| {
        let part = &record[p..p + len];
        p += len;
        part
    };
    let id = <[u8; 16]>::try_from(take(16)).ok();
    let kind = std::str::from_utf8(take(kind_len)).ok().map(str::to_owned);
    let schema = integer(take(schema_len), schema_t);
    let generation = integer(take(generation_len), generation_t);
    let sealed = take(sealed_len).to_vec();
    let row = RawRow { id, kind, schema: Some(schema), generation: Some(generation), sealed: Some(sealed) };
    Some((rowid, row, start + payload - at))
}

/// A record opened: its kind, id and plaintext (zeroised when dropped).
type OpenedRecord = (Kind, RecordId, Zeroizing<Vec<u8>>);

/// Opens one row of `records`; a row that does not open is added to `damaged`.
fn open_row(raw: RawRow, sealer: &Sealer, damaged: &mut Vec<DamagedRecord>) -> Option<OpenedRecord> {
    let kind_text = raw.kind.unwrap_or_else(|| "?".into());
    let Some(id) = raw.id.map(RecordId) else {
        damaged.push(DamagedRecord { id: RecordId([0; 16]), kind: kind_text, detail: "malformed record id".into() });
        return None;
    };
    let Some(kind) = Kind::parse(&kind_text) else {
        damaged.push(DamagedRecord { id, kind: kind_text, detail: "unknown record kind".into() });
        return None;
    };
    let (Some(schema), Some(generation), Some(sealed)) = (raw.schema, raw.generation, raw.sealed) else {
        damaged.push(DamagedRecord { id, kind: kind_text, detail: "damaged on disk".into() });
        return None;
    };
    match sealer.open(&record_aad(kind, &id, schema, generation), &sealed) {
        Ok(plain) => Some((kind, id, plain)),
        Err(_) => {
            damaged.push(DamagedRecord {
                id,
                kind: kind_text,
                detail: "altered, moved, or sealed under another key".into(),
            });
            None
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
