//! # tessera-vault — the consumer's encrypted vault
//!
//! Owns everything a consumer keeps on their own machine, on top of
//! `tessera-protocol` and `tessera-seal`. Layered, each module using only
//! those below it:
//!
//! * [`vault`] — [`Vault`], the one entry point: opens the store, unlocks it,
//!   and composes the collections below; adds no rule of its own;
//! * [`consent`] — deciding on a brand's request item by item and sealing the
//!   packet; [`backup`] — encrypted backup and restore, export of all my data;
//! * one collection per domain, each owning one kind of record:
//!   [`facts`] (profile facts with a sensitivity each), [`purchases`]
//!   (purchase history: entry, search, filters, totals), [`settings`],
//!   [`credits`] (money received, kept apart from purchases),
//!   [`brands`] (pinned brand keys), [`ledger`] (what each brand holds,
//!   revocations, deletion receipts), and the master secret in [`keys`];
//!   [`csv_import`] reads bank and shop exports into purchases and credits;
//! * [`keys`] — the vault key, wrapped by the passphrase (Argon2id) and by a
//!   recovery secret shown once;
//! * [`store`] — the record store: one SQLite file (WAL, `synchronous=FULL`,
//!   `temp_store=MEMORY`, `secure_delete=ON`) of sealed records, its
//!   migrations and the kinds of record; it knows no domain type;
//! * [`parse`] — amounts, dates and words as people type them; [`files`] —
//!   atomic file writes and capped reads; [`error`] — [`VaultError`].
//!
//! What it must never do: write a key or a personal value to disk in clear
//! (every record is sealed with associated data binding it to its kind, id,
//! schema version and key generation; only those four are in clear), keep keys
//! after [`Vault::lock`], log personal data, or know anything of Tauri.
//! Search and totals are computed in memory after unlock; there is no
//! plaintext index on disk.

pub mod backup;
pub mod brands;
pub mod consent;
pub mod credits;
pub mod csv_import;
pub mod error;
pub mod facts;
pub mod files;
pub mod keys;
pub mod ledger;
pub mod outbox;
pub mod parse;
pub mod purchases;
pub mod sending;
pub mod settings;
pub mod store;
pub mod vault;

pub use error::{Result, VaultError};
pub use keys::RecoverySecret;
pub use vault::{DamageReport, UnknownToInbox, UnlockNotes, Vault};
