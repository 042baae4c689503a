//! # tessera-brand — a brand's own Tessera store
//!
//! Owns the brand's side of an exchange, on top of `tessera-protocol`:
//!
//! * [`store`] — [`Store`], the one door into a brand's store, async, on either
//!   backend of [`backend`]: SQLite (the default: one file, WAL, `synchronous=FULL`,
//!   `secure_delete=ON`) or PostgreSQL (several inbox servers on one database); and
//!   [`BrandStore`] ([`blocking`]), the same for code that is not async;
//! * [`keys`] — the brand's keys (Ed25519 signing key, age X25519 identity, data key),
//!   sealed under a passphrase (Argon2id) or a key file, never in clear;
//! * [`requests`] — authoring and signing requests;
//! * [`import`] — importing packet files: decrypt, verify, bind to one of the
//!   brand's own requests, store (idempotent on re-import);
//! * [`data`] — listing, showing and exporting (JSON, CSV) imported data; a
//!   stored packet that cannot be read back is reported and skipped, never
//!   blocking the others;
//! * [`deletion`] — revocations, purges past retention, tombstones and signed
//!   deletion receipts.
//!
//! What it must never do: write keys or imported personal data to disk in
//! clear (packet contents are sealed per record with the store's data key),
//! log personal data, or keep a packet's data after it is revoked or past its
//! retention. It reads no clock: `now` is passed in. It knows nothing of the
//! command line.

mod backend;
pub mod blocking;
pub mod data;
pub mod deletion;
pub mod import;
pub mod keys;
pub mod requests;
pub mod store;

use tessera_protocol::ProtocolError;

pub use backend::Location;
pub use blocking::BrandStore;
pub use keys::Unlock;
pub use store::Store;

/// What went wrong in the brand store.
#[derive(Debug, thiserror::Error)]
pub enum BrandError {
    #[error("no brand store in {dir}: create one with `tessera brand init`")]
    NoStore { dir: String },
    #[error("a brand store already exists in {dir}; nothing was changed")]
    StoreExists { dir: String },
    #[error("cannot unlock the brand store: {0}")]
    Unlock(#[from] tessera_seal::SealError),
    #[error("the brand store in {dir} is damaged or from another program: {detail}")]
    Corrupt { dir: String, detail: String },
    #[error("the brand store in {dir} stayed locked by another program (an inbox server or a `tessera brand` command writing to it) for 10 seconds; nothing was changed: try again, or stop the other program first")]
    Busy { dir: String },
    #[error("the brand store was made by a newer Tessera (schema {found}, this one knows up to {supported}); update Tessera")]
    NewerSchema { found: i64, supported: i64 },
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("cannot create the store directory {dir}: {detail}")]
    Io { dir: String, detail: String },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("this packet answers request {request_jti}, which this brand store did not issue")]
    UnknownRequest { request_jti: String },
    #[error("packet {packet_jti} was deleted on {} ({reason}); its data cannot be imported again", tessera_protocol::display_time(*deleted_at))]
    PacketDeleted { packet_jti: String, deleted_at: i64, reason: String },
    #[error("a different packet with the same id {packet_jti} is already stored; the new one was refused")]
    PacketConflict { packet_jti: String },
    #[error("no packet {packet_jti} in this brand store")]
    UnknownPacket { packet_jti: String },
    #[error("invalid brand name: it {problem}; give the brand's public name, 1 to 200 characters, on one line")]
    InvalidName { problem: tessera_protocol::text::TextProblem },
    #[error("packet {packet_jti} cannot be read back ({reason}); the other packets are unaffected")]
    UnreadablePacket { packet_jti: String, reason: data::Unreadable },
    #[error("database error ({location}): {detail}")]
    Postgres { location: String, detail: String },
    #[error("the brand's keys were changed since this program opened the store (generation {held}, now {stored}); nothing was stored: restart it with the new passphrase or key file")]
    KeysChanged { held: i64, stored: i64 },
    #[error("{detail}")]
    Unsupported { detail: String },
}

impl BrandError {
    /// A stable, machine-readable name of what failed: the protocol's codes for a refused
    /// artifact, and the store's own otherwise. An inbox answers with it.
    pub fn code(&self) -> &'static str {
        match self {
            BrandError::Protocol(e) => e.code(),
            BrandError::NoStore { .. } => "no_store",
            BrandError::StoreExists { .. } => "store_exists",
            BrandError::Unlock(_) => "cannot_unlock",
            BrandError::Corrupt { .. } => "store_damaged",
            BrandError::Busy { .. } => "store_busy",
            BrandError::NewerSchema { .. } => "newer_schema",
            BrandError::Database(_) | BrandError::Postgres { .. } => "database_error",
            BrandError::Io { .. } => "io_error",
            BrandError::UnknownRequest { .. } => "unknown_request",
            BrandError::PacketDeleted { .. } => "packet_deleted",
            BrandError::PacketConflict { .. } => "packet_conflict",
            BrandError::UnknownPacket { .. } => "unknown_packet",
            BrandError::InvalidName { .. } => "invalid_name",
            BrandError::UnreadablePacket { .. } => "unreadable_packet",
            BrandError::KeysChanged { .. } => "keys_changed",
            BrandError::Unsupported { .. } => "unsupported",
        }
    }
}

pub type Result<T, E = BrandError> = std::result::Result<T, E>;
