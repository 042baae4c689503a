//! [`BrandStore`]: the brand store for code that is not async — the command line and tests.
//!
//! Each method runs the same method of [`Store`] to completion on a small runtime of its own.
//! Never use it inside an async runtime (an inbox uses [`Store`] directly).

use std::fmt;
use std::path::Path;

use tessera_protocol::request::{RequestSpec, SignedRequest};
use tessera_protocol::Did;
use zeroize::Zeroizing;

use crate::data::{Export, HeldPacket, PacketListing};
use crate::deletion::{RevocationOutcome, Tombstone};
use crate::import::ImportOutcome;
use crate::requests::RequestListing;
use crate::store::MoveReport;
use crate::{BrandError, Location, Result, Store, Unlock};

/// An open, unlocked brand store, used without async.
pub struct BrandStore {
    runtime: tokio::runtime::Runtime,
    store: Store,
}

impl fmt::Debug for BrandStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.store.fmt(f)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BrandError::Io { dir: "(runtime)".into(), detail: e.to_string() })
}

impl BrandStore {
    /// Creates a new SQLite brand store in `dir` with fresh keys, sealed under `unlock`.
    pub fn create(dir: &Path, name: &str, unlock: Unlock<'_>, now: i64) -> Result<BrandStore> {
        BrandStore::create_at(&Location::Sqlite(dir.to_owned()), name, unlock, now)
    }

    /// Creates a new brand store at `location`.
    pub fn create_at(location: &Location, name: &str, unlock: Unlock<'_>, now: i64) -> Result<BrandStore> {
        let runtime = runtime()?;
        let store = runtime.block_on(Store::create(location, name, unlock, now))?;
        Ok(BrandStore { runtime, store })
    }

    /// Opens and unlocks the SQLite store in `dir`.
    pub fn open(dir: &Path, unlock: Unlock<'_>) -> Result<BrandStore> {
        BrandStore::open_at(&Location::Sqlite(dir.to_owned()), unlock)
    }

    /// Opens and unlocks the store at `location`.
    pub fn open_at(location: &Location, unlock: Unlock<'_>) -> Result<BrandStore> {
        let runtime = runtime()?;
        let store = runtime.block_on(Store::open(location, unlock))?;
        Ok(BrandStore { runtime, store })
    }

    /// The async store inside, and a runtime to run it on.
    pub fn into_parts(self) -> (tokio::runtime::Runtime, Store) {
        (self.runtime, self.store)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn did(&self) -> &Did {
        self.store.did()
    }
    pub fn name(&self) -> &str {
        self.store.name()
    }
    pub fn age_recipient(&self) -> &str {
        self.store.age_recipient()
    }
    pub fn export_age_identity(&self) -> Zeroizing<String> {
        self.store.export_age_identity()
    }
    pub fn create_request(&mut self, spec: &RequestSpec, now: i64) -> Result<SignedRequest> {
        self.runtime.block_on(self.store.create_request(spec, None, now))
    }
    pub fn create_request_for_inbox(
        &mut self,
        spec: &RequestSpec,
        response_uri: Option<&str>,
        now: i64,
    ) -> Result<SignedRequest> {
        self.runtime.block_on(self.store.create_request(spec, response_uri, now))
    }
    pub fn request(&mut self, jti: &str) -> Result<SignedRequest> {
        self.runtime.block_on(self.store.request(jti))
    }
    pub fn requests(&mut self) -> Result<RequestListing> {
        self.runtime.block_on(self.store.requests())
    }
    pub fn import_packet(&mut self, file: &[u8], now: i64) -> Result<ImportOutcome> {
        self.runtime.block_on(self.store.import_packet(file, now))
    }
    pub fn import_packets(&mut self, files: &[&[u8]], now: i64) -> Result<Vec<Result<ImportOutcome>>> {
        self.runtime.block_on(self.store.import_packets(files, now))
    }
    /// Imports a revocation, then checkpoints at once: nothing of the deleted data stays in a log.
    pub fn import_revocation(&mut self, jws: &str, now: i64) -> Result<RevocationOutcome> {
        let outcome = self.runtime.block_on(self.store.import_revocation(jws, now))?;
        if !outcome.already_deleted {
            self.runtime.block_on(self.store.checkpoint())?;
        }
        Ok(outcome)
    }
    pub fn purge_expired(&mut self, now: i64) -> Result<Vec<Tombstone>> {
        self.runtime.block_on(self.store.purge_expired(now))
    }
    pub fn tombstones(&self) -> Result<Vec<Tombstone>> {
        self.runtime.block_on(self.store.tombstones())
    }
    pub fn receipt_for(&mut self, packet_jti: &str, now: i64) -> Result<String> {
        self.runtime.block_on(self.store.receipt_for(packet_jti, now))
    }
    pub fn packet_listing(&self) -> Result<PacketListing> {
        self.runtime.block_on(self.store.packet_listing())
    }
    pub fn packets(&self) -> Result<Vec<HeldPacket>> {
        self.runtime.block_on(self.store.packets())
    }
    pub fn packet(&self, jti: &str) -> Result<HeldPacket> {
        self.runtime.block_on(self.store.packet(jti))
    }
    pub fn export_json(&self) -> Result<Export> {
        self.runtime.block_on(self.store.export_json())
    }
    pub fn export_csv(&self) -> Result<Export> {
        self.runtime.block_on(self.store.export_csv())
    }
    pub fn change_unlock(&mut self, new_unlock: Unlock<'_>) -> Result<()> {
        self.runtime.block_on(self.store.change_unlock(new_unlock))
    }
    pub fn move_to(&self, target: &Location) -> Result<MoveReport> {
        self.runtime.block_on(self.store.move_to(target))
    }
}
