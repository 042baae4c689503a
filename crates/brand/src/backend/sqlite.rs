//! The SQLite backend: one file, `brand.db`, in the store's directory (WAL, `synchronous=FULL`,
//! `secure_delete=ON`, `temp_store=MEMORY`).
//!
//! Every write is one `BEGIN IMMEDIATE` transaction, so writers — an inbox server and the
//! brand's command line on the same file — take turns and never see a half-done change; a
//! batch of packets or revocations uses one savepoint each. Deleting rows is followed by a WAL
//! checkpoint (`TRUNCATE`), so deleted pages do not linger in the log: at once after a purge,
//! and after revocations when the caller asks ([`checkpoint`]; the command line at once, an
//! inbox within a second, so that a burst of revocations shares one). Calls run on tokio's
//! blocking threads ([`Sqlite::run`]); the functions below are plain synchronous code.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use tessera_protocol::revocation::RevocationClaims;

use super::{Dump, NewPacket, PacketRow, PacketState, RequestRow, Reseal, RevocationWrite};
use crate::deletion::{self, RevocationOutcome, Tombstone};
use crate::import::{self, ImportOutcome};
use crate::keys::{BrandKeys, BrandRecord};
use crate::{BrandError, Result};

/// The schema version this code writes (`PRAGMA user_version`). Each version is the one before
/// plus one entry of [`migrate`]: 2 bounds every purge date by the request's retention, 3 adds
/// the keys' generation.
pub const SCHEMA_VERSION: i64 = 3;

/// File name of the database inside the store directory.
pub const DATABASE_FILE: &str = "brand.db";

/// The tables of a new store (schema [`SCHEMA_VERSION`]).
const SCHEMA: &str = "
CREATE TABLE brand (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    did TEXT NOT NULL,
    name TEXT NOT NULL,
    age_recipient TEXT NOT NULL,
    keyslot TEXT NOT NULL,
    sealed_keys BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    keys_generation INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE requests (
    jti TEXT PRIMARY KEY,
    jws TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    iat INTEGER NOT NULL,
    exp INTEGER NOT NULL
);
CREATE TABLE packets (
    jti TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    request_jti TEXT NOT NULL REFERENCES requests(jti),
    consumer TEXT NOT NULL,
    iat INTEGER NOT NULL,
    retention_end INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX packets_by_retention_end ON packets(retention_end);
CREATE TABLE tombstones (
    packet_jti TEXT PRIMARY KEY,
    packet_hash TEXT NOT NULL,
    request_jti TEXT NOT NULL,
    consumer TEXT NOT NULL,
    deleted_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    revocation_jti TEXT,
    receipt TEXT
);
";

/// An open SQLite store.
#[derive(Debug)]
pub(crate) struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    dir: PathBuf,
}

/// Whether `e` says another connection held the file locked for longer than the busy handler
/// waits ([`wait_for_the_other_writer`]).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// A database error as the store reports it: a file locked too long by another program is
/// [`BrandError::Busy`], not a damaged store or a bare database error.
fn in_store(dir: &Path, e: BrandError) -> BrandError {
    match e {
        BrandError::Database(e) if is_busy(&e) => BrandError::Busy { dir: dir.display().to_string() },
        other => other,
    }
}

/// How long a write waits for another process's (another inbox server, a `tessera brand`
/// command) before it gives up with "database is locked": 10 s, in attempts a millisecond apart.
const BUSY_ATTEMPTS: i32 = 10_000;

/// SQLite's own busy handler backs off to 100 ms between attempts, so a write that waits for
/// another server's transaction (a few milliseconds) often waits 25 to 100 ms more: check
/// every millisecond instead.
fn wait_for_the_other_writer(attempts_so_far: i32) -> bool {
    if attempts_so_far >= BUSY_ATTEMPTS {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(1));
    true
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_handler(Some(wait_for_the_other_writer))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn io_error(dir: &Path, e: impl std::fmt::Display) -> BrandError {
    BrandError::Io { dir: dir.display().to_string(), detail: e.to_string() }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

impl Sqlite {
    /// Runs `f` with the connection on a blocking thread.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = Arc::clone(&self.conn);
        let dir = self.dir.clone();
        blocking(move || {
            // A panic while holding the lock leaves no transaction open (rusqlite rolls back on drop).
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn).map_err(|e| in_store(&dir, e))
        })
        .await
    }

    /// Creates the store in `dir`: built in a temporary file, then renamed into place, so a
    /// crash leaves either no store or a complete one.
    pub async fn create(dir: PathBuf, brand: BrandRecord) -> Result<Sqlite> {
        blocking(move || {
            let path = dir.join(DATABASE_FILE);
            if path.exists() {
                return Err(BrandError::StoreExists { dir: dir.display().to_string() });
            }
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
            let partial = dir.join(format!("{DATABASE_FILE}.creating"));
            let _ = std::fs::remove_file(&partial);
            {
                let mut conn = Connection::open(&partial)?;
                conn.pragma_update(None, "secure_delete", "ON")?;
                let tx = conn.transaction()?;
                tx.execute_batch(SCHEMA)?;
                tx.execute(
                    "INSERT INTO brand (id, did, name, age_recipient, keyslot, sealed_keys, created_at, keys_generation) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![brand.did, brand.name, brand.age_recipient, brand.keyslot, brand.sealed_keys, brand.created_at, brand.keys_generation],
                )?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
                tx.commit()?;
            }
            std::fs::rename(&partial, &path).map_err(|e| io_error(&dir, e))?;
            let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            configure(&conn)?;
            Ok(Sqlite { conn: Arc::new(Mutex::new(conn)), dir })
        })
        .await
    }

    /// Opens the store in `dir`, migrating an older schema.
    pub async fn open(dir: PathBuf) -> Result<(Sqlite, BrandRecord)> {
        blocking(move || {
            let path = dir.join(DATABASE_FILE);
            if !path.is_file() {
                return Err(BrandError::NoStore { dir: dir.display().to_string() });
            }
            // Locked by another program for too long is not damage.
            let corrupt = |e: BrandError| match in_store(&dir, e) {
                busy @ BrandError::Busy { .. } => busy,
                other => BrandError::Corrupt { dir: dir.display().to_string(), detail: other.to_string() },
            };
            let mut conn =
                Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| corrupt(e.into()))?;
            configure(&conn).map_err(|e| corrupt(e.into()))?;
            migrate(&mut conn).map_err(|e| match in_store(&dir, e) {
                e @ (BrandError::NewerSchema { .. } | BrandError::Busy { .. }) => e,
                other => BrandError::Corrupt {
                    dir: dir.display().to_string(),
                    detail: format!("cannot bring the store to schema {SCHEMA_VERSION}: {other}"),
                },
            })?;
            let brand = brand_record(&conn).map_err(corrupt)?;
            Ok((Sqlite { conn: Arc::new(Mutex::new(conn)), dir }, brand))
        })
        .await
    }
}

/// Brings the schema to [`SCHEMA_VERSION`], one version per transaction; refuses a newer one.
fn migrate(conn: &mut Connection) -> Result<()> {
    loop {
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(BrandError::NewerSchema { found: version, supported: SCHEMA_VERSION });
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated meanwhile: read the version again inside the lock.
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        match version {
            SCHEMA_VERSION => return Ok(()),
            1 => migrate_to_v2(&tx)?,
            2 => migrate_to_v3(&tx)?,
            other => {
                return Err(BrandError::Corrupt {
                    dir: String::new(),
                    detail: format!("unknown schema version {other}"),
                })
            }
        }
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

/// Schema 1 → 2: every packet's purge date is brought within the retention of the request it
/// answers, counted from its import. Stores written before this rule could hold a packet whose
/// own times kept it "until 9999"; after this, the purge relies on the brand's request,
/// whatever a packet claimed.
fn migrate_to_v2(tx: &Connection) -> Result<()> {
    let requests: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT jti, jws FROM requests")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        rows
    };
    for (jti, jws) in requests {
        // A request that no longer verifies keeps its packets to the shortest retention there is.
        let seconds = tessera_protocol::request::verify(&jws)
            .map(|r| r.claims.retention_seconds())
            .unwrap_or(tessera_protocol::DAY_SECONDS);
        tx.execute(
            "UPDATE packets SET retention_end = imported_at + ?2 WHERE request_jti = ?1 AND retention_end > imported_at + ?2",
            params![jti, seconds],
        )?;
    }
    Ok(())
}

/// Schema 2 → 3: the keys' generation, 1 for the keys a store has until their first change.
fn migrate_to_v3(tx: &Connection) -> Result<()> {
    let has_column: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('brand') WHERE name = 'keys_generation')",
        [],
        |r| r.get(0),
    )?;
    if !has_column {
        tx.execute_batch("ALTER TABLE brand ADD COLUMN keys_generation INTEGER NOT NULL DEFAULT 1")?;
    }
    Ok(())
}

pub(crate) fn brand_record(conn: &Connection) -> Result<BrandRecord> {
    conn.query_row(
        "SELECT did, name, age_recipient, keyslot, sealed_keys, created_at, keys_generation FROM brand WHERE id = 1",
        [],
        |r| {
            Ok(BrandRecord {
                did: r.get(0)?,
                name: r.get(1)?,
                age_recipient: r.get(2)?,
                keyslot: r.get(3)?,
                sealed_keys: r.get(4)?,
                created_at: r.get(5)?,
                keys_generation: r.get(6)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| BrandError::Corrupt { dir: String::new(), detail: "the brand record is missing".into() })
}

pub(crate) fn insert_request(conn: &mut Connection, row: &RequestRow) -> Result<()> {
    conn.execute(
        "INSERT INTO requests (jti, jws, hash, iat, exp) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.jti, row.jws, row.hash, row.iat, row.exp],
    )?;
    Ok(())
}

pub(crate) fn request_jws(conn: &mut Connection, jti: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT jws FROM requests WHERE jti = ?1")?.query_row([jti], |r| r.get(0)).optional()?)
}

pub(crate) fn request_counts(conn: &mut Connection) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT r.jti, (SELECT COUNT(*) FROM packets p WHERE p.request_jti = r.jti) FROM requests r ORDER BY r.iat DESC, r.jti",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn tombstone_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tombstone> {
    Ok(Tombstone {
        packet_jti: r.get(0)?,
        packet_hash: r.get(1)?,
        request_jti: r.get(2)?,
        consumer: r.get(3)?,
        deleted_at: r.get(4)?,
        reason: r.get(5)?,
        revocation_jti: r.get(6)?,
        receipt: r.get(7)?,
    })
}

const TOMBSTONE_COLUMNS: &str =
    "packet_jti, packet_hash, request_jti, consumer, deleted_at, reason, revocation_jti, receipt";

fn tombstone(conn: &Connection, packet_jti: &str) -> Result<Option<Tombstone>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones WHERE packet_jti = ?1"))?
        .query_row([packet_jti], tombstone_from_row)
        .optional()?)
}

fn packet_state(conn: &Connection, jti: &str) -> Result<PacketState> {
    let held: Option<(String, String, String, i64)> = conn
        .prepare_cached("SELECT hash, consumer, request_jti, retention_end FROM packets WHERE jti = ?1")?
        .query_row([jti], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    if let Some((hash, consumer, request_jti, retention_end)) = held {
        return Ok(PacketState::Held { hash, consumer, request_jti, retention_end });
    }
    Ok(match tombstone(conn, jti)? {
        Some(t) => PacketState::Deleted(t),
        None => PacketState::Unknown,
    })
}

fn keys_generation(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT keys_generation FROM brand WHERE id = 1", [], |r| r.get(0))?)
}

pub(crate) fn store_packets(
    conn: &mut Connection,
    generation: i64,
    packets: &[NewPacket],
) -> Result<Vec<Result<ImportOutcome>>> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = keys_generation(&tx)?;
    if found != generation {
        return Err(BrandError::KeysChanged { held: generation, stored: found });
    }
    let mut outcomes = Vec::with_capacity(packets.len());
    for packet in packets {
        let sp = tx.savepoint()?;
        let outcome = import::decide(&packet_state(&sp, &packet.jti)?, packet).and_then(|decided| match decided {
            Some(outcome) => Ok(outcome),
            None => {
                sp.prepare_cached(
                    "INSERT INTO packets (jti, hash, request_jti, consumer, iat, retention_end, imported_at, sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    packet.jti,
                    packet.hash,
                    packet.request_jti,
                    packet.consumer,
                    packet.iat,
                    packet.retention_end,
                    packet.imported_at,
                    packet.sealed
                ])?;
                Ok(import::imported(packet))
            }
        });
        if outcome.is_ok() {
            sp.commit()?;
        }
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}

fn insert_tombstone(conn: &Connection, t: &Tombstone) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO tombstones ({TOMBSTONE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(params![
        t.packet_jti,
        t.packet_hash,
        t.request_jti,
        t.consumer,
        t.deleted_at,
        t.reason,
        t.revocation_jti,
        t.receipt
    ])?;
    Ok(())
}

/// Moves the write-ahead log into the database and truncates it, so deleted pages do not linger in the WAL.
pub(crate) fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Applies revocations in one transaction, each on its own (one refused changes nothing).
/// Deleted rows stay in the write-ahead log (sealed) until [`checkpoint`] runs.
pub(crate) fn revoke(
    conn: &mut Connection,
    revocations: &[RevocationClaims],
    now: i64,
    keys: &BrandKeys,
) -> Result<Vec<Result<RevocationOutcome>>> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(revocations.len());
    for claims in revocations {
        let sp = tx.savepoint()?;
        let outcome = packet_state(&sp, &claims.packet_jti).and_then(|state| {
            let (write, outcome) = deletion::decide_revocation(state, claims, now, keys)?;
            apply_revocation(&sp, write)?;
            Ok(outcome)
        });
        if outcome.is_ok() {
            sp.commit()?;
        }
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}

fn apply_revocation(tx: &Connection, write: RevocationWrite) -> Result<()> {
    match write {
        RevocationWrite::Delete(tombstone) => {
            tx.execute("DELETE FROM packets WHERE jti = ?1", [&tombstone.packet_jti])?;
            insert_tombstone(tx, &tombstone)?;
        }
        RevocationWrite::SetReceipt { packet_jti, receipt, revocation_jti } => {
            tx.execute(
                "UPDATE tombstones SET receipt = ?1, revocation_jti = ?2 WHERE packet_jti = ?3",
                params![receipt, revocation_jti, packet_jti],
            )?;
        }
        RevocationWrite::Nothing => {}
    }
    Ok(())
}

pub(crate) fn purge_expired(conn: &mut Connection, now: i64) -> Result<Vec<Tombstone>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let expired: Vec<(String, String, String, String)> = {
        let mut stmt =
            tx.prepare("SELECT jti, hash, request_jti, consumer FROM packets WHERE retention_end <= ?1 ORDER BY jti")?;
        let rows = stmt
            .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows
    };
    let mut purged = Vec::with_capacity(expired.len());
    for (jti, hash, request_jti, consumer) in expired {
        let tombstone = deletion::purged(jti, hash, request_jti, consumer, now);
        tx.execute("DELETE FROM packets WHERE jti = ?1", [&tombstone.packet_jti])?;
        insert_tombstone(&tx, &tombstone)?;
        purged.push(tombstone);
    }
    tx.commit()?;
    if !purged.is_empty() {
        checkpoint(conn)?;
    }
    Ok(purged)
}

pub(crate) fn tombstones(conn: &mut Connection) -> Result<Vec<Tombstone>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones ORDER BY deleted_at DESC, packet_jti"))?;
    let rows = stmt.query_map([], tombstone_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub(crate) fn receipt(conn: &mut Connection, packet_jti: &str, now: i64, keys: &BrandKeys) -> Result<Option<String>> {
    // Most receipts exist already: read them without taking the write lock.
    match tombstone(conn, packet_jti)? {
        None => return Ok(None),
        Some(Tombstone { receipt: Some(receipt), .. }) => return Ok(Some(receipt)),
        Some(_) => {}
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(tombstone) = tombstone(&tx, packet_jti)? else { return Ok(None) };
    let (receipt, write) = deletion::receipt_of(&tombstone, now, keys)?;
    apply_revocation(&tx, write)?;
    tx.commit()?;
    Ok(Some(receipt))
}

const PACKET_COLUMNS: &str = "jti, hash, request_jti, consumer, iat, retention_end, imported_at, sealed";

/// Reads a row; a `sealed` value that is not a blob (a damaged row) reads as empty, so that it
/// is reported as unreadable instead of failing the whole listing.
fn packet_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PacketRow> {
    let sealed = match r.get::<_, rusqlite::types::Value>(7)? {
        rusqlite::types::Value::Blob(bytes) => bytes,
        _ => Vec::new(),
    };
    Ok(PacketRow {
        jti: r.get(0)?,
        hash: r.get(1)?,
        request_jti: r.get(2)?,
        consumer: r.get(3)?,
        iat: r.get(4)?,
        retention_end: r.get(5)?,
        imported_at: r.get(6)?,
        sealed,
    })
}

pub(crate) fn packet_rows(conn: &mut Connection) -> Result<Vec<PacketRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {PACKET_COLUMNS} FROM packets ORDER BY imported_at, jti"))?;
    let rows = stmt.query_map([], packet_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub(crate) fn packet_row(conn: &mut Connection, jti: &str) -> Result<Option<PacketRow>> {
    Ok(conn
        .query_row(&format!("SELECT {PACKET_COLUMNS} FROM packets WHERE jti = ?1"), [jti], packet_from_row)
        .optional()?)
}

pub(crate) fn rekey(conn: &mut Connection, keyslot: &str, sealed_keys: &[u8], reseal: &Reseal) -> Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE brand SET keyslot = ?1, sealed_keys = ?2, keys_generation = keys_generation + 1 WHERE id = 1",
        params![keyslot, sealed_keys],
    )?;
    let rows: Vec<(String, rusqlite::types::Value)> = {
        let mut stmt = tx.prepare("SELECT jti, sealed FROM packets")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        rows
    };
    for (jti, sealed) in rows {
        // A row that does not open is damaged already: it is left as it is (and stays
        // reported as unreadable) rather than blocking the change for every other one.
        let rusqlite::types::Value::Blob(sealed) = sealed else { continue };
        let Some(resealed) = reseal(&jti, &sealed) else { continue };
        tx.execute("UPDATE packets SET sealed = ?1 WHERE jti = ?2", params![resealed, jti])?;
    }
    let generation = keys_generation(&tx)?;
    tx.commit()?;
    Ok(generation)
}

pub(crate) fn dump(conn: &mut Connection) -> Result<Dump> {
    let tx = conn.transaction()?;
    let brand = brand_record(&tx)?;
    let requests = {
        let mut stmt = tx.prepare("SELECT jti, jws, hash, iat, exp FROM requests ORDER BY iat, jti")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RequestRow { jti: r.get(0)?, jws: r.get(1)?, hash: r.get(2)?, iat: r.get(3)?, exp: r.get(4)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows
    };
    let packets = {
        let mut stmt = tx.prepare(&format!("SELECT {PACKET_COLUMNS} FROM packets ORDER BY imported_at, jti"))?;
        let rows = stmt.query_map([], packet_from_row)?.collect::<rusqlite::Result<_>>()?;
        rows
    };
    let tombstones = {
        let mut stmt =
            tx.prepare(&format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones ORDER BY deleted_at, packet_jti"))?;
        let rows = stmt.query_map([], tombstone_from_row)?.collect::<rusqlite::Result<_>>()?;
        rows
    };
    tx.commit()?;
    Ok(Dump { brand, requests, packets, tombstones })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_locked_by_another_program_is_busy_not_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        let holder = Connection::open(&path).unwrap();
        holder.pragma_update(None, "journal_mode", "WAL").unwrap();
        holder.execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);").unwrap();
        // A second writer that does not wait at all gets SQLite's "database is locked" at once.
        let waiting = Connection::open(&path).unwrap();
        let locked = waiting.execute_batch("BEGIN IMMEDIATE").unwrap_err();
        assert!(is_busy(&locked), "{locked}");
        let error = in_store(dir.path(), locked.into());
        assert_eq!(error.code(), "store_busy");
        assert!(error.to_string().contains("stayed locked by another program"), "{error}");
        // Any other database error stays what it is.
        let other = waiting.execute_batch("SELECT * FROM no_such_table").unwrap_err();
        assert_eq!(in_store(dir.path(), other.into()).code(), "database_error");
    }

    #[test]
    fn the_busy_handler_waits_a_millisecond_at_a_time_for_ten_seconds() {
        assert!(wait_for_the_other_writer(0));
        assert!(wait_for_the_other_writer(BUSY_ATTEMPTS - 1));
        assert!(!wait_for_the_other_writer(BUSY_ATTEMPTS));
    }
}
