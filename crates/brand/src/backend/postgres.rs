//! The PostgreSQL backend, for a brand running several inbox servers on one database
//! (tokio-postgres, a deadpool pool, TLS through rustls when the URL asks for it).
//!
//! One database (or one schema, through the URL's `options=-csearch_path=…`) holds one brand
//! store. Schema versions are rows of `tessera_schema`, applied by whichever server starts first
//! under a transaction-wide advisory lock, so servers starting together never race.
//!
//! Concurrency, with transactions at READ COMMITTED:
//! * an import and a revocation of the same packet id take the same advisory lock
//!   (`pg_advisory_xact_lock` on a hash of the id) first, so they happen one after the other:
//!   the same packet posted to two servers at once is stored once, and a revocation is never
//!   followed by a re-import of what it deleted;
//! * a packet row and its tombstone change in one statement's commit, and readers look for the
//!   row before the tombstone, so they never see neither;
//! * a purge deletes expired rows with `FOR UPDATE SKIP LOCKED`: two servers purging at once
//!   split the work, and a revocation holding a row is left to finish; a revocation whose row a
//!   purge holds waits, then answers with the purge's tombstone;
//! * a change of keys holds the `brand` row, which every batch of imports reads `FOR SHARE`.
//!
//! PostgreSQL has no `secure_delete`: a deleted row's bytes stay in free space until it is
//! reused. They are sealed under the store's data key, as every packet row is.

use std::collections::HashMap;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tessera_protocol::revocation::RevocationClaims;
use tokio_postgres::{Config, Row};

use super::{Dump, NewPacket, PacketRow, PacketState, RequestRow, Reseal, RevocationWrite};
use crate::deletion::{self, RevocationOutcome, Tombstone};
use crate::import::{self, ImportOutcome};
use crate::keys::{BrandKeys, BrandRecord};
use crate::{BrandError, Result};

/// The schema version this code writes: the number of [`MIGRATIONS`].
pub const SCHEMA_VERSION: i64 = 1;

/// Each entry brings the schema from its index to its index + 1. Never edit one; add one.
const MIGRATIONS: &[&str] = &["
CREATE TABLE brand (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    did TEXT NOT NULL,
    name TEXT NOT NULL,
    age_recipient TEXT NOT NULL,
    keyslot TEXT NOT NULL,
    sealed_keys BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    keys_generation BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE requests (
    jti TEXT PRIMARY KEY,
    jws TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    iat BIGINT NOT NULL,
    exp BIGINT NOT NULL
);
CREATE TABLE packets (
    jti TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    request_jti TEXT NOT NULL REFERENCES requests(jti),
    consumer TEXT NOT NULL,
    iat BIGINT NOT NULL,
    retention_end BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    sealed BYTEA NOT NULL
);
CREATE INDEX packets_by_retention_end ON packets(retention_end);
CREATE INDEX packets_by_request ON packets(request_jti);
CREATE TABLE tombstones (
    packet_jti TEXT PRIMARY KEY,
    packet_hash TEXT NOT NULL,
    request_jti TEXT NOT NULL,
    consumer TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    revocation_jti TEXT,
    receipt TEXT
);
"];

/// The advisory lock key of schema migrations (any constant; "tessera" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6573_7365_7261;

/// How many connections one server opens at most.
const POOL_SIZE: usize = 16;

/// An open PostgreSQL store.
pub(crate) struct Postgres {
    pool: Pool,
    location: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").field("location", &self.location).finish_non_exhaustive()
    }
}

/// A database URL for messages: host, port, database and user, never the password.
pub(crate) fn describe(url: &str) -> String {
    match url.parse::<Config>() {
        Ok(config) => {
            let host = config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(",");
            let port = config.get_ports().first().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "PostgreSQL database {} on {host}{port}",
                config.get_dbname().or(config.get_user()).unwrap_or("(default)")
            )
        }
        Err(_) => "a PostgreSQL database".into(),
    }
}

/// A PostgreSQL error in words: the server's own message when there is one (a wrong password,
/// a database that does not exist), with the causes behind a pool's generic wording, and what
/// to do about the usual ones.
fn pg_error(location: &str, e: impl std::error::Error) -> BrandError {
    let mut words = vec![e.to_string()];
    let mut source = e.source();
    while let Some(cause) = source {
        let text = match cause.downcast_ref::<tokio_postgres::Error>().and_then(|e| e.as_db_error()) {
            Some(db) => db.message().to_owned(),
            None => cause.to_string(),
        };
        if !words.iter().any(|w| w.contains(&text)) {
            words.push(text);
        }
        source = cause.source();
    }
    let detail = words.join(": ");
    let hint = if detail.contains("password authentication failed") {
        "; check the user and password in the URL (and the server's pg_hba.conf)"
    } else if detail.contains("does not exist") && detail.contains("database") {
        "; create the database first (`createdb`), or correct its name in the URL"
    } else if detail.contains("error connecting to server") || detail.contains("Connection refused") {
        "; is the PostgreSQL server running and listening at that address?"
    } else if detail.contains("TLS") || detail.contains("tls") {
        "; for a server without a trusted certificate on a private network, add ?sslmode=disable to the URL"
    } else {
        ""
    };
    BrandError::Postgres { location: location.to_owned(), detail: format!("{detail}{hint}") }
}

/// TLS for connections whose URL asks for it (`sslmode=require`, or `prefer` when the server
/// offers it): rustls with the system's root certificates, never OpenSSL.
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|e| unreachable!("ring supports the default TLS versions: {e}"))
            .with_root_certificates(roots)
            .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// A 64-bit advisory lock key for packet id `jti` (the first 8 bytes of its SHA-256).
fn packet_lock(jti: &str) -> i64 {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("tessera/packet/{jti}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest.as_ref()[..8]);
    i64::from_le_bytes(bytes)
}

fn tombstone_from_row(r: &Row) -> Tombstone {
    Tombstone {
        packet_jti: r.get(0),
        packet_hash: r.get(1),
        request_jti: r.get(2),
        consumer: r.get(3),
        deleted_at: r.get(4),
        reason: r.get(5),
        revocation_jti: r.get(6),
        receipt: r.get(7),
    }
}

const TOMBSTONE_COLUMNS: &str =
    "packet_jti, packet_hash, request_jti, consumer, deleted_at, reason, revocation_jti, receipt";
const PACKET_COLUMNS: &str = "jti, hash, request_jti, consumer, iat, retention_end, imported_at, sealed";

fn packet_from_row(r: &Row) -> PacketRow {
    PacketRow {
        jti: r.get(0),
        hash: r.get(1),
        request_jti: r.get(2),
        consumer: r.get(3),
        iat: r.get(4),
        retention_end: r.get(5),
        imported_at: r.get(6),
        sealed: r.get(7),
    }
}

fn brand_from_row(r: &Row) -> BrandRecord {
    BrandRecord {
        did: r.get(0),
        name: r.get(1),
        age_recipient: r.get(2),
        keyslot: r.get(3),
        sealed_keys: r.get(4),
        created_at: r.get(5),
        keys_generation: r.get(6),
    }
}

const BRAND_COLUMNS: &str = "did, name, age_recipient, keyslot, sealed_keys, created_at, keys_generation";

type Client = deadpool_postgres::Object;

impl Postgres {
    async fn connect(url: &str) -> Result<Postgres> {
        let location = describe(url);
        let config: Config = url.parse().map_err(|e| BrandError::Postgres {
            location: "the --database URL".into(),
            detail: format!("it is not a PostgreSQL connection URL ({e}); write postgres://USER@HOST/DATABASE"),
        })?;
        let manager = Manager::from_config(config, tls(), ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| pg_error(&location, e))?;
        let store = Postgres { pool, location };
        // Connect once now, so that a wrong URL or password is said at once.
        drop(store.client().await?);
        Ok(store)
    }

    async fn client(&self) -> Result<Client> {
        self.pool.get().await.map_err(|e| match e {
            // The server's refusal itself (a wrong password, no such database), not the pool's wording.
            deadpool_postgres::PoolError::Backend(e) => pg_error(&self.location, e),
            e => pg_error(&self.location, e),
        })
    }

    fn err(&self, e: tokio_postgres::Error) -> BrandError {
        pg_error(&self.location, e)
    }

    /// The schema version of the database; `None` when it holds no Tessera store.
    async fn schema_version(&self, client: &Client) -> Result<Option<i64>> {
        let exists: bool = client
            .query_one("SELECT to_regclass('tessera_schema') IS NOT NULL", &[])
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let row = client.query_one("SELECT MAX(version) FROM tessera_schema", &[]).await.map_err(|e| self.err(e))?;
        Ok(Some(row.get::<_, Option<i32>>(0).map(i64::from).unwrap_or(0)))
    }

    /// Applies the migrations this database lacks, under the migration lock, in one transaction.
    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(|e| self.err(e))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS tessera_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            .await
            .map_err(|e| self.err(e))?;
        let row = tx.query_one("SELECT MAX(version) FROM tessera_schema", &[]).await.map_err(|e| self.err(e))?;
        let version = row.get::<_, Option<i32>>(0).map(i64::from).unwrap_or(0);
        if version > SCHEMA_VERSION {
            return Err(BrandError::NewerSchema { found: version, supported: SCHEMA_VERSION });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(migration).await.map_err(|e| self.err(e))?;
            let applied = index as i32 + 1;
            tx.execute("INSERT INTO tessera_schema (version) VALUES ($1)", &[&applied])
                .await
                .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))
    }

    pub async fn create(url: &str, brand: &BrandRecord) -> Result<Postgres> {
        let store = Postgres::connect(url).await?;
        store.migrate().await?;
        let mut client = store.client().await?;
        let tx = client.transaction().await.map_err(|e| store.err(e))?;
        tx.execute("LOCK TABLE brand IN EXCLUSIVE MODE", &[]).await.map_err(|e| store.err(e))?;
        let exists = tx.query_opt("SELECT 1 FROM brand WHERE id = 1", &[]).await.map_err(|e| store.err(e))?;
        if exists.is_some() {
            return Err(BrandError::StoreExists { dir: store.location.clone() });
        }
        insert_brand(&tx, brand).await.map_err(|e| store.err(e))?;
        tx.commit().await.map_err(|e| store.err(e))?;
        drop(client);
        Ok(store)
    }

    pub async fn open(url: &str) -> Result<(Postgres, BrandRecord)> {
        let store = Postgres::connect(url).await?;
        let client = store.client().await?;
        match store.schema_version(&client).await? {
            None => return Err(BrandError::NoStore { dir: store.location.clone() }),
            Some(v) if v > SCHEMA_VERSION => {
                return Err(BrandError::NewerSchema { found: v, supported: SCHEMA_VERSION })
            }
            Some(v) if v < SCHEMA_VERSION => store.migrate().await?,
            Some(_) => {}
        }
        drop(client);
        let brand = store.brand_record().await?;
        Ok((store, brand))
    }

    pub async fn brand_record(&self) -> Result<BrandRecord> {
        let client = self.client().await?;
        let row = client
            .query_opt(&format!("SELECT {BRAND_COLUMNS} FROM brand WHERE id = 1"), &[])
            .await
            .map_err(|e| self.err(e))?;
        row.map(|r| brand_from_row(&r)).ok_or_else(|| BrandError::NoStore { dir: self.location.clone() })
    }

    pub async fn insert_request(&self, row: &RequestRow) -> Result<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO requests (jti, jws, hash, iat, exp) VALUES ($1, $2, $3, $4, $5)",
                &[&row.jti, &row.jws, &row.hash, &row.iat, &row.exp],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub async fn request_jws(&self, jti: &str) -> Result<Option<String>> {
        let client = self.client().await?;
        let statement =
            client.prepare_cached("SELECT jws FROM requests WHERE jti = $1").await.map_err(|e| self.err(e))?;
        Ok(client.query_opt(&statement, &[&jti]).await.map_err(|e| self.err(e))?.map(|r| r.get(0)))
    }

    pub async fn request_counts(&self) -> Result<Vec<(String, u64)>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT r.jti, (SELECT COUNT(*) FROM packets p WHERE p.request_jti = r.jti) FROM requests r ORDER BY r.iat DESC, r.jti",
                &[],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1).max(0) as u64)).collect())
    }

    /// The state of each of `jtis`, read in a transaction that holds their advisory locks:
    /// the packet rows first, then the tombstones (see the module's notes). The statements go
    /// out together (pipelined): one round trip.
    async fn states(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        jtis: &[String],
        lock_rows: bool,
    ) -> Result<HashMap<String, PacketState>> {
        let mut locks: Vec<i64> = jtis.iter().map(|j| packet_lock(j)).collect();
        locks.sort_unstable();
        locks.dedup();
        let lock_rows = if lock_rows { " FOR UPDATE" } else { "" };
        let held_sql = format!(
            "SELECT jti, hash, consumer, request_jti, retention_end FROM packets WHERE jti = ANY($1){lock_rows}"
        );
        let deleted_sql = format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones WHERE packet_jti = ANY($1)");
        let (lock, held, deleted) = tokio::try_join!(
            // In one order for everyone, so that two batches never wait on each other in a circle.
            tx.prepare_cached("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k ORDER BY k"),
            tx.prepare_cached(&held_sql),
            tx.prepare_cached(&deleted_sql),
        )
        .map_err(|e| self.err(e))?;
        let (lock_params, jti_params): (
            [&(dyn tokio_postgres::types::ToSql + Sync); 1],
            [&(dyn tokio_postgres::types::ToSql + Sync); 1],
        ) = ([&locks], [&jtis]);
        let (_, held, deleted) = tokio::try_join!(
            tx.query(&lock, &lock_params),
            tx.query(&held, &jti_params),
            tx.query(&deleted, &jti_params)
        )
        .map_err(|e| self.err(e))?;
        let mut states: HashMap<String, PacketState> = HashMap::new();
        for r in held {
            states.insert(
                r.get(0),
                PacketState::Held {
                    hash: r.get(1),
                    consumer: r.get(2),
                    request_jti: r.get(3),
                    retention_end: r.get(4),
                },
            );
        }
        for r in deleted {
            let tombstone = tombstone_from_row(&r);
            states.entry(tombstone.packet_jti.clone()).or_insert(PacketState::Deleted(tombstone));
        }
        Ok(states)
    }

    pub async fn store_packets(&self, generation: i64, packets: &[NewPacket]) -> Result<Vec<Result<ImportOutcome>>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        let generation_statement = tx
            .prepare_cached("SELECT keys_generation FROM brand WHERE id = 1 FOR SHARE")
            .await
            .map_err(|e| self.err(e))?;
        let jtis: Vec<String> = packets.iter().map(|p| p.jti.clone()).collect();
        let (found, states) = tokio::join!(tx.query_one(&generation_statement, &[]), self.states(&tx, &jtis, false));
        let found: i64 = found.map_err(|e| self.err(e))?.get(0);
        if found != generation {
            return Err(BrandError::KeysChanged { held: generation, stored: found });
        }
        let mut states = states?;
        let mut outcomes = Vec::with_capacity(packets.len());
        let mut new = Vec::new();
        for packet in packets {
            let state = states.get(&packet.jti).cloned().unwrap_or(PacketState::Unknown);
            let outcome = match import::decide(&state, packet) {
                Ok(Some(outcome)) => Ok(outcome),
                Ok(None) => {
                    // A later copy in this batch finds this one held.
                    states.insert(
                        packet.jti.clone(),
                        PacketState::Held {
                            hash: packet.hash.clone(),
                            consumer: packet.consumer.clone(),
                            request_jti: packet.request_jti.clone(),
                            retention_end: packet.retention_end,
                        },
                    );
                    new.push(packet);
                    Ok(import::imported(packet))
                }
                Err(e) => Err(e),
            };
            outcomes.push(outcome);
        }
        if !new.is_empty() {
            let column = |f: fn(&NewPacket) -> String| new.iter().map(|p| f(p)).collect::<Vec<String>>();
            let number = |f: fn(&NewPacket) -> i64| new.iter().map(|p| f(p)).collect::<Vec<i64>>();
            let sealed: Vec<&[u8]> = new.iter().map(|p| p.sealed.as_slice()).collect();
            let insert = tx
                .prepare_cached(
                    "INSERT INTO packets (jti, hash, request_jti, consumer, iat, retention_end, imported_at, sealed)
                     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[])",
                )
                .await
                .map_err(|e| self.err(e))?;
            let inserted = tx
                .execute(
                    &insert,
                    &[
                        &column(|p| p.jti.clone()),
                        &column(|p| p.hash.clone()),
                        &column(|p| p.request_jti.clone()),
                        &column(|p| p.consumer.clone()),
                        &number(|p| p.iat),
                        &number(|p| p.retention_end),
                        &number(|p| p.imported_at),
                        &sealed,
                    ],
                )
                .await
                .map_err(|e| self.err(e))?;
            debug_assert_eq!(inserted as usize, new.len());
        }
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(outcomes)
    }

    pub async fn revoke(
        &self,
        revocations: &[RevocationClaims],
        now: i64,
        keys: &BrandKeys,
    ) -> Result<Vec<Result<RevocationOutcome>>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        let jtis: Vec<String> = revocations.iter().map(|c| c.packet_jti.clone()).collect();
        let mut states = self.states(&tx, &jtis, true).await?;
        let mut outcomes = Vec::with_capacity(revocations.len());
        for claims in revocations {
            let state = states.get(&claims.packet_jti).cloned().unwrap_or(PacketState::Unknown);
            let (write, outcome) = match deletion::decide_revocation(state, claims, now, keys) {
                Ok(decided) => decided,
                Err(e) => {
                    outcomes.push(Err(e));
                    continue;
                }
            };
            // A later revocation of the same packet in this batch finds it deleted.
            match &write {
                RevocationWrite::Delete(t) => {
                    states.insert(t.packet_jti.clone(), PacketState::Deleted(t.clone()));
                }
                RevocationWrite::SetReceipt { packet_jti, receipt, revocation_jti } => {
                    if let Some(PacketState::Deleted(t)) = states.get_mut(packet_jti) {
                        t.receipt = Some(receipt.clone());
                        t.revocation_jti = revocation_jti.clone();
                    }
                }
                RevocationWrite::Nothing => {}
            }
            self.apply(&tx, write).await?;
            outcomes.push(Ok(outcome));
        }
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(outcomes)
    }

    async fn apply(&self, tx: &deadpool_postgres::Transaction<'_>, write: RevocationWrite) -> Result<()> {
        match write {
            RevocationWrite::Delete(t) => {
                let insert_sql =
                    format!("INSERT INTO tombstones ({TOMBSTONE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
                let (delete, insert) = tokio::try_join!(
                    tx.prepare_cached("DELETE FROM packets WHERE jti = $1"),
                    tx.prepare_cached(&insert_sql),
                )
                .map_err(|e| self.err(e))?;
                let delete_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&t.packet_jti];
                let insert_params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
                    &t.packet_jti,
                    &t.packet_hash,
                    &t.request_jti,
                    &t.consumer,
                    &t.deleted_at,
                    &t.reason,
                    &t.revocation_jti,
                    &t.receipt,
                ];
                tokio::try_join!(tx.execute(&delete, &delete_params), tx.execute(&insert, &insert_params))
                    .map_err(|e| self.err(e))?;
            }
            RevocationWrite::SetReceipt { packet_jti, receipt, revocation_jti } => {
                tx.execute(
                    "UPDATE tombstones SET receipt = $1, revocation_jti = $2 WHERE packet_jti = $3",
                    &[&receipt, &revocation_jti, &packet_jti],
                )
                .await
                .map_err(|e| self.err(e))?;
            }
            RevocationWrite::Nothing => {}
        }
        Ok(())
    }

    pub async fn purge_expired(&self, now: i64) -> Result<Vec<Tombstone>> {
        const CHUNK: i64 = 1000;
        let mut purged = Vec::new();
        let mut client = self.client().await?;
        loop {
            let tx = client.transaction().await.map_err(|e| self.err(e))?;
            let rows = tx
                .query(
                    "WITH gone AS (
                         DELETE FROM packets WHERE jti IN (
                             SELECT jti FROM packets WHERE retention_end <= $1 ORDER BY jti LIMIT $2 FOR UPDATE SKIP LOCKED)
                         RETURNING jti, hash, request_jti, consumer)
                     INSERT INTO tombstones (packet_jti, packet_hash, request_jti, consumer, deleted_at, reason)
                     SELECT jti, hash, request_jti, consumer, $1, $3 FROM gone
                     ON CONFLICT (packet_jti) DO NOTHING
                     RETURNING packet_jti, packet_hash, request_jti, consumer",
                    &[&now, &CHUNK, &tessera_protocol::receipt::DeletionReason::RetentionExpired.as_str()],
                )
                .await
                .map_err(|e| self.err(e))?;
            tx.commit().await.map_err(|e| self.err(e))?;
            let count = rows.len();
            purged.extend(rows.iter().map(|r| deletion::purged(r.get(0), r.get(1), r.get(2), r.get(3), now)));
            if (count as i64) < CHUNK {
                break;
            }
        }
        purged.sort_by(|a, b| a.packet_jti.cmp(&b.packet_jti));
        Ok(purged)
    }

    pub async fn tombstones(&self) -> Result<Vec<Tombstone>> {
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones ORDER BY deleted_at DESC, packet_jti"), &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(tombstone_from_row).collect())
    }

    pub async fn receipt(&self, packet_jti: &str, now: i64, keys: &BrandKeys) -> Result<Option<String>> {
        let mut client = self.client().await?;
        let statement = client
            .prepare_cached(&format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones WHERE packet_jti = $1"))
            .await
            .map_err(|e| self.err(e))?;
        let read = client.query_opt(&statement, &[&packet_jti]).await.map_err(|e| self.err(e))?;
        match read.map(|r| tombstone_from_row(&r)) {
            None => return Ok(None),
            Some(Tombstone { receipt: Some(receipt), .. }) => return Ok(Some(receipt)),
            Some(_) => {}
        }
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        let jti = packet_jti.to_owned();
        let Some(PacketState::Deleted(tombstone)) =
            self.states(&tx, std::slice::from_ref(&jti), false).await?.remove(&jti)
        else {
            return Ok(None);
        };
        let (receipt, write) = deletion::receipt_of(&tombstone, now, keys)?;
        self.apply(&tx, write).await?;
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(Some(receipt))
    }

    pub async fn packet_rows(&self) -> Result<Vec<PacketRow>> {
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT {PACKET_COLUMNS} FROM packets ORDER BY imported_at, jti"), &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(packet_from_row).collect())
    }

    pub async fn packet_row(&self, jti: &str) -> Result<Option<PacketRow>> {
        let client = self.client().await?;
        let row = client
            .query_opt(&format!("SELECT {PACKET_COLUMNS} FROM packets WHERE jti = $1"), &[&jti])
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.map(|r| packet_from_row(&r)))
    }

    pub async fn rekey(&self, keyslot: &str, sealed_keys: &[u8], reseal: &Reseal) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        let generation: i64 = tx
            .query_one(
                "UPDATE brand SET keyslot = $1, sealed_keys = $2, keys_generation = keys_generation + 1 WHERE id = 1 RETURNING keys_generation",
                &[&keyslot, &sealed_keys],
            )
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        let rows = tx.query("SELECT jti, sealed FROM packets FOR UPDATE", &[]).await.map_err(|e| self.err(e))?;
        let (mut jtis, mut sealed) = (Vec::new(), Vec::new());
        for r in rows {
            let jti: String = r.get(0);
            let old: Vec<u8> = r.get(1);
            if let Some(new) = reseal(&jti, &old) {
                jtis.push(jti);
                sealed.push(new);
            }
        }
        tx.execute(
            "UPDATE packets SET sealed = n.sealed FROM unnest($1::text[], $2::bytea[]) AS n(jti, sealed) WHERE packets.jti = n.jti",
            &[&jtis, &sealed],
        )
        .await
        .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(generation)
    }

    pub async fn dump(&self) -> Result<Dump> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| self.err(e))?;
        let brand = tx
            .query_opt(&format!("SELECT {BRAND_COLUMNS} FROM brand WHERE id = 1"), &[])
            .await
            .map_err(|e| self.err(e))?
            .map(|r| brand_from_row(&r))
            .ok_or_else(|| BrandError::NoStore { dir: self.location.clone() })?;
        let requests = tx
            .query("SELECT jti, jws, hash, iat, exp FROM requests ORDER BY iat, jti", &[])
            .await
            .map_err(|e| self.err(e))?
            .iter()
            .map(|r| RequestRow { jti: r.get(0), jws: r.get(1), hash: r.get(2), iat: r.get(3), exp: r.get(4) })
            .collect();
        let packets = tx
            .query(&format!("SELECT {PACKET_COLUMNS} FROM packets ORDER BY imported_at, jti"), &[])
            .await
            .map_err(|e| self.err(e))?
            .iter()
            .map(packet_from_row)
            .collect();
        let tombstones = tx
            .query(&format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones ORDER BY deleted_at, packet_jti"), &[])
            .await
            .map_err(|e| self.err(e))?
            .iter()
            .map(tombstone_from_row)
            .collect();
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(Dump { brand, requests, packets, tombstones })
    }

    /// A new store holding exactly `dump`, written in one transaction.
    pub async fn restore(url: &str, dump: &Dump) -> Result<Postgres> {
        let store = Postgres::connect(url).await?;
        store.migrate().await?;
        let mut client = store.client().await?;
        let tx = client.transaction().await.map_err(|e| store.err(e))?;
        tx.execute("LOCK TABLE brand IN EXCLUSIVE MODE", &[]).await.map_err(|e| store.err(e))?;
        let exists = tx.query_opt("SELECT 1 FROM brand WHERE id = 1", &[]).await.map_err(|e| store.err(e))?;
        if exists.is_some() {
            return Err(BrandError::StoreExists { dir: store.location.clone() });
        }
        insert_brand(&tx, &dump.brand).await.map_err(|e| store.err(e))?;
        for r in &dump.requests {
            tx.execute(
                "INSERT INTO requests (jti, jws, hash, iat, exp) VALUES ($1, $2, $3, $4, $5)",
                &[&r.jti, &r.jws, &r.hash, &r.iat, &r.exp],
            )
            .await
            .map_err(|e| store.err(e))?;
        }
        let insert_packet = tx
            .prepare(&format!("INSERT INTO packets ({PACKET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .await
            .map_err(|e| store.err(e))?;
        for p in &dump.packets {
            tx.execute(
                &insert_packet,
                &[&p.jti, &p.hash, &p.request_jti, &p.consumer, &p.iat, &p.retention_end, &p.imported_at, &p.sealed],
            )
            .await
            .map_err(|e| store.err(e))?;
        }
        let insert_tombstone = tx
            .prepare(&format!("INSERT INTO tombstones ({TOMBSTONE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .await
            .map_err(|e| store.err(e))?;
        for t in &dump.tombstones {
            tx.execute(
                &insert_tombstone,
                &[
                    &t.packet_jti,
                    &t.packet_hash,
                    &t.request_jti,
                    &t.consumer,
                    &t.deleted_at,
                    &t.reason,
                    &t.revocation_jti,
                    &t.receipt,
                ],
            )
            .await
            .map_err(|e| store.err(e))?;
        }
        tx.commit().await.map_err(|e| store.err(e))?;
        drop(client);
        Ok(store)
    }
}

async fn insert_brand(
    tx: &deadpool_postgres::Transaction<'_>,
    brand: &BrandRecord,
) -> std::result::Result<u64, tokio_postgres::Error> {
    tx.execute(
        &format!("INSERT INTO brand (id, {BRAND_COLUMNS}) VALUES (1, $1, $2, $3, $4, $5, $6, $7)"),
        &[
            &brand.did,
            &brand.name,
            &brand.age_recipient,
            &brand.keyslot,
            &brand.sealed_keys,
            &brand.created_at,
            &brand.keys_generation,
        ],
    )
    .await
}
