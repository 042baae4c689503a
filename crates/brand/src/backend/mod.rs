//! Where a brand store keeps its rows: one interface, two backends.
//!
//! * [`sqlite`] — one SQLite file in a directory (the default: one server, nothing to install);
//! * [`postgres`] — a PostgreSQL database, for several inbox servers behind a load balancer.
//!
//! Both hold the same tables with the same meaning (`brand`, `requests`, `packets`,
//! `tombstones`) and give the same guarantees: packets sealed at rest (the backends only see
//! sealed bytes), one row per packet however many times it is posted, at once or not, a
//! revocation racing an import never leaves data behind a receipt, a purge is safe with
//! several servers running it, and schema migrations are versioned. What a row means and
//! what to do with it (import rules, receipts) is decided once, in `import` and `deletion`;
//! a backend reads the state of a packet id and applies the decision in one transaction.
//!
//! A backend never logs and never sees a key or a packet in clear.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

use tessera_protocol::revocation::RevocationClaims;

use crate::deletion::{RevocationOutcome, Tombstone};
use crate::import::ImportOutcome;
use crate::keys::{BrandKeys, BrandRecord};
use crate::{BrandError, Result};

/// Opens a packet's sealed bytes with the old data key and seals them with the new one
/// (`None`: the row does not open and is left as it is).
pub(crate) type Reseal = dyn Fn(&str, &[u8]) -> Option<Vec<u8>> + Send + Sync;

/// Where a brand store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory holding the SQLite store (`brand.db`).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host/db`) or key=value string.
    Postgres(String),
}

impl Location {
    /// The store's location for messages: the directory, or the database without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(dir) => dir.display().to_string(),
            Location::Postgres(url) => postgres::describe(url),
        }
    }
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestRow {
    pub jti: String,
    pub jws: String,
    pub hash: String,
    pub iat: i64,
    pub exp: i64,
}

/// A packet to store, checked and sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewPacket {
    pub jti: String,
    pub hash: String,
    pub request_jti: String,
    pub consumer: String,
    pub iat: i64,
    pub retention_end: i64,
    pub imported_at: i64,
    pub sealed: Vec<u8>,
    pub items: usize,
}

/// A row of the `packets` table, still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PacketRow {
    pub jti: String,
    pub hash: String,
    pub request_jti: String,
    pub consumer: String,
    pub iat: i64,
    pub retention_end: i64,
    pub imported_at: i64,
    /// Empty when the stored value is not bytes at all (a damaged row, reported as unreadable).
    pub sealed: Vec<u8>,
}

/// What a store knows of a packet id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PacketState {
    Unknown,
    Held { hash: String, consumer: String, request_jti: String, retention_end: i64 },
    Deleted(Tombstone),
}

/// What a revocation changes, decided by `deletion::decide_revocation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RevocationWrite {
    /// Delete the held packet and keep this tombstone (with its receipt).
    Delete(Tombstone),
    /// The packet was deleted already: store the receipt newly issued for it.
    SetReceipt { packet_jti: String, receipt: String, revocation_jti: Option<String> },
    /// The packet was deleted and its receipt issued already.
    Nothing,
}

/// Everything a store holds, as stored (sealed rows stay sealed): what moves between backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dump {
    pub brand: BrandRecord,
    pub requests: Vec<RequestRow>,
    pub packets: Vec<PacketRow>,
    pub tombstones: Vec<Tombstone>,
}

/// An open backend.
#[derive(Debug)]
pub(crate) enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Backend {
    /// Creates an empty store at `location` holding `brand`.
    pub async fn create(location: &Location, brand: &BrandRecord) -> Result<Backend> {
        match location {
            Location::Sqlite(dir) => Ok(Backend::Sqlite(sqlite::Sqlite::create(dir.clone(), brand.clone()).await?)),
            Location::Postgres(url) => Ok(Backend::Postgres(postgres::Postgres::create(url, brand).await?)),
        }
    }

    /// Opens the store at `location` (bringing its schema up to date) and reads its brand record.
    pub async fn open(location: &Location) -> Result<(Backend, BrandRecord)> {
        match location {
            Location::Sqlite(dir) => {
                let (backend, brand) = sqlite::Sqlite::open(dir.clone()).await?;
                Ok((Backend::Sqlite(backend), brand))
            }
            Location::Postgres(url) => {
                let (backend, brand) = postgres::Postgres::open(url).await?;
                Ok((Backend::Postgres(backend), brand))
            }
        }
    }

    pub async fn brand_record(&self) -> Result<BrandRecord> {
        match self {
            Backend::Sqlite(b) => b.run(|c| sqlite::brand_record(c)).await,
            Backend::Postgres(b) => b.brand_record().await,
        }
    }

    pub async fn insert_request(&self, row: RequestRow) -> Result<()> {
        match self {
            Backend::Sqlite(b) => b.run(move |c| sqlite::insert_request(c, &row)).await,
            Backend::Postgres(b) => b.insert_request(&row).await,
        }
    }

    pub async fn request_jws(&self, jti: &str) -> Result<Option<String>> {
        match self {
            Backend::Sqlite(b) => {
                let jti = jti.to_owned();
                b.run(move |c| sqlite::request_jws(c, &jti)).await
            }
            Backend::Postgres(b) => b.request_jws(jti).await,
        }
    }

    /// Every request's id and how many packets answering it are held, newest first.
    pub async fn request_counts(&self) -> Result<Vec<(String, u64)>> {
        match self {
            Backend::Sqlite(b) => b.run(sqlite::request_counts).await,
            Backend::Postgres(b) => b.request_counts().await,
        }
    }

    /// Stores checked packets in one transaction, each on its own (one refused leaves no trace),
    /// if the store's keys are still those of `keys_generation`.
    pub async fn store_packets(
        &self,
        keys_generation: i64,
        packets: Vec<NewPacket>,
    ) -> Result<Vec<Result<ImportOutcome>>> {
        match self {
            Backend::Sqlite(b) => b.run(move |c| sqlite::store_packets(c, keys_generation, &packets)).await,
            Backend::Postgres(b) => b.store_packets(keys_generation, &packets).await,
        }
    }

    /// Applies verified revocations in one transaction, each on its own, in the order given.
    pub async fn revoke(
        &self,
        revocations: Vec<RevocationClaims>,
        now: i64,
        keys: Arc<BrandKeys>,
    ) -> Result<Vec<Result<RevocationOutcome>>> {
        match self {
            Backend::Sqlite(b) => b.run(move |c| sqlite::revoke(c, &revocations, now, &keys)).await,
            Backend::Postgres(b) => b.revoke(&revocations, now, &keys).await,
        }
    }

    /// Makes sure deleted rows leave no trace in a log: SQLite's write-ahead log is checkpointed
    /// and truncated. PostgreSQL has nothing to do here.
    pub async fn checkpoint(&self) -> Result<()> {
        match self {
            Backend::Sqlite(b) => b.run(|c| sqlite::checkpoint(c)).await,
            Backend::Postgres(_) => Ok(()),
        }
    }

    pub async fn purge_expired(&self, now: i64) -> Result<Vec<Tombstone>> {
        match self {
            Backend::Sqlite(b) => b.run(move |c| sqlite::purge_expired(c, now)).await,
            Backend::Postgres(b) => b.purge_expired(now).await,
        }
    }

    pub async fn tombstones(&self) -> Result<Vec<Tombstone>> {
        match self {
            Backend::Sqlite(b) => b.run(sqlite::tombstones).await,
            Backend::Postgres(b) => b.tombstones().await,
        }
    }

    /// The receipt of deleted packet `packet_jti`: the stored one, else one newly signed and stored.
    /// `None` when the packet is not deleted (held or unknown).
    pub async fn receipt(&self, packet_jti: &str, now: i64, keys: Arc<BrandKeys>) -> Result<Option<String>> {
        match self {
            Backend::Sqlite(b) => {
                let jti = packet_jti.to_owned();
                b.run(move |c| sqlite::receipt(c, &jti, now, &keys)).await
            }
            Backend::Postgres(b) => b.receipt(packet_jti, now, &keys).await,
        }
    }

    pub async fn packet_rows(&self) -> Result<Vec<PacketRow>> {
        match self {
            Backend::Sqlite(b) => b.run(sqlite::packet_rows).await,
            Backend::Postgres(b) => b.packet_rows().await,
        }
    }

    pub async fn packet_row(&self, jti: &str) -> Result<Option<PacketRow>> {
        match self {
            Backend::Sqlite(b) => {
                let jti = jti.to_owned();
                b.run(move |c| sqlite::packet_row(c, &jti)).await
            }
            Backend::Postgres(b) => b.packet_row(jti).await,
        }
    }

    /// Replaces the keyslot and sealed keys, raises the keys' generation and re-seals every
    /// packet with `reseal` (a row it cannot open is left as it is), in one transaction that
    /// no import can interleave with. Returns the new generation.
    pub async fn rekey(&self, keyslot: String, sealed_keys: Vec<u8>, reseal: Arc<Reseal>) -> Result<i64> {
        match self {
            Backend::Sqlite(b) => b.run(move |c| sqlite::rekey(c, &keyslot, &sealed_keys, &*reseal)).await,
            Backend::Postgres(b) => b.rekey(&keyslot, &sealed_keys, &*reseal).await,
        }
    }

    /// Everything the store holds, read in one transaction.
    pub async fn dump(&self) -> Result<Dump> {
        match self {
            Backend::Sqlite(b) => b.run(sqlite::dump).await,
            Backend::Postgres(b) => b.dump().await,
        }
    }

    /// Creates a store at `location` holding exactly `dump`, in one transaction; refuses a
    /// location that already holds a store.
    pub async fn restore(location: &Location, dump: &Dump) -> Result<Backend> {
        match location {
            Location::Sqlite(_) => Err(BrandError::Unsupported {
                detail: "a store can be moved to PostgreSQL only (give a postgres:// URL)".into(),
            }),
            Location::Postgres(url) => Ok(Backend::Postgres(postgres::Postgres::restore(url, dump).await?)),
        }
    }
}
