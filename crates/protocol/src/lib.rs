//! # tessera-protocol — the exchange formats of Tessera
//!
//! This crate owns every artifact two parties exchange, and the rules for
//! making and checking them:
//!
//! * [`identity`] — `did:key` identities for Ed25519, signing keys, and the
//!   per-brand consumer key derived from a master secret (HKDF-SHA256);
//! * [`items`] — the vocabulary of shareable items (OpenID Connect claim
//!   names, Tessera facts, generalised forms) and how a fact is generalised;
//! * [`request`], [`packet`], [`revocation`], [`receipt`] — the four signed
//!   artifacts, each a JWS compact serialization with alg `EdDSA`;
//! * [`envelope`] — age encryption of a packet to the brand's X25519 recipient;
//! * [`inbox`] — the HTTP binding: a request's `response_uri`, the inbox endpoints derived from
//!   it, `tessera://` links, and the JSON bodies an inbox answers with;
//! * [`text`] — what names and other displayed texts may contain, and when two names look alike.
//!
//! What it must never do: read or write files, open sockets, touch SQLite or
//! Tauri, or read the clock. Time is always passed in as Unix seconds
//! (`now`), so every check is reproducible. Randomness (key generation,
//! identifiers, nonces) comes from the operating system through `ring`/`age`.
//!
//! Every parser returns a typed [`ProtocolError`] that names what failed (with a
//! stable [`ProtocolError::code`]), never panics on hostile input, and is covered
//! by byte-flip tests, test vectors made by an independent JOSE library
//! (`tests/vectors/`) and fuzz targets (`fuzz/`). One strict JSON parser reads
//! every signed artifact: a member named twice refuses it.

pub mod encoding;
pub mod envelope;
pub mod error;
pub mod identity;
pub mod inbox;
pub mod items;
mod json;
mod jws;
pub mod packet;
pub mod receipt;
pub mod request;
pub mod revocation;
pub mod text;

pub use error::{Artifact, JwsPart, ProtocolError};
pub use identity::{derive_brand_key, Did, MasterSecret, SigningKey};
pub use items::ItemName;
pub use jws::{trim as trim_artifact, MAX_ARTIFACT_BYTES};

/// The format version this implementation writes and accepts in every artifact (`ver` claim).
pub const FORMAT_VERSION: u32 = 1;

/// The latest time an artifact may carry: 9999-12-31 23:59:59 UTC. Every time claim is
/// from 0 (1970-01-01) to this, so that no date arithmetic can overflow.
pub const MAX_TIME: i64 = 253_402_300_799;

/// One day, in seconds.
pub const DAY_SECONDS: i64 = 86_400;

/// Clock skew tolerated when checking that an artifact was not issued in the future.
pub const CLOCK_LEEWAY_SECONDS: i64 = 300;

/// A Unix time as a readable UTC date and time (`2026-11-23 14:05 UTC`), for messages.
pub fn display_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| format!("Unix time {unix}"))
}
