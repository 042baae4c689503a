//! The brand store: one SQLite file, and the brand's sealed keys.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use tessera_protocol::request::SignedRequest;
use tessera_protocol::{Did, SigningKey};
use tessera_seal::{Argon2Params, DataKey, Keyslot, RecordCipher};
use zeroize::Zeroizing;

use crate::{BrandError, Result};

/// The schema version this code writes (`PRAGMA user_version`). Version 2 has the tables
/// of version 1 and one more invariant: no packet's `retention_end` is later than its
/// `imported_at` plus the retention of the request it answers (see [`migrate_to_v2`]).
pub const SCHEMA_VERSION: i64 = 2;

/// File name of the database inside the store directory.
pub const DATABASE_FILE: &str = "brand.db";

const SCHEMA: &str = "
CREATE TABLE brand (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    did TEXT NOT NULL,
    name TEXT NOT NULL,
    age_recipient TEXT NOT NULL,
    keyslot TEXT NOT NULL,
    sealed_keys BLOB NOT NULL,
    created_at INTEGER NOT NULL
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

/// How the store's keys are unlocked.
#[derive(Clone, Copy)]
pub enum Unlock<'a> {
    Passphrase(&'a str),
    /// The contents of a key file (at least 32 bytes of high-entropy secret).
    KeyFile(&'a [u8]),
}

impl fmt::Debug for Unlock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unlock::Passphrase(_) => "Unlock::Passphrase(…)",
            Unlock::KeyFile(_) => "Unlock::KeyFile(…)",
        })
    }
}

/// The brand's secret keys, as sealed in the store.
#[derive(Serialize, Deserialize)]
struct SecretKeys {
    signing_seed: [u8; 32],
    age_identity: String,
}

/// An open, unlocked brand store.
pub struct BrandStore {
    pub(crate) conn: Connection,
    pub(crate) dir: PathBuf,
    pub(crate) did: Did,
    pub(crate) name: String,
    pub(crate) age_recipient: String,
    pub(crate) signing_key: SigningKey,
    pub(crate) age_identity: age::x25519::Identity,
    pub(crate) cipher: RecordCipher,
    /// Requests already verified in this session, by `jti`.
    pub(crate) request_cache: HashMap<String, SignedRequest>,
}

impl fmt::Debug for BrandStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrandStore").field("dir", &self.dir).field("did", &self.did).field("name", &self.name).finish()
    }
}

const KEYS_AAD: &[u8] = b"tessera/v1/brand/keys";

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn wrap_unlock(key: &DataKey, unlock: Unlock<'_>) -> Result<Keyslot> {
    Ok(match unlock {
        Unlock::Passphrase(p) => Keyslot::wrap_with_passphrase(key, p, Argon2Params::RECOMMENDED)?,
        Unlock::KeyFile(bytes) => Keyslot::wrap_with_secret(key, bytes)?,
    })
}

impl BrandStore {
    /// Creates a new brand store in `dir` with fresh keys, sealed under `unlock`.
    pub fn create(dir: &Path, name: &str, unlock: Unlock<'_>, now: i64) -> Result<BrandStore> {
        let name = name.trim();
        // The name goes into every request: it obeys the protocol's rule for names.
        tessera_protocol::text::check_name(name, tessera_protocol::request::MAX_BRAND_NAME_CHARS)
            .map_err(|problem| BrandError::InvalidName { problem })?;
        let path = dir.join(DATABASE_FILE);
        if path.exists() {
            return Err(BrandError::StoreExists { dir: dir.display().to_string() });
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| BrandError::Io { dir: dir.display().to_string(), detail: e.to_string() })?;
        let data_key = DataKey::generate()?;
        let keyslot = wrap_unlock(&data_key, unlock)?;
        let cipher = RecordCipher::new(&data_key);
        let signing_key = SigningKey::generate();
        let age_identity = age::x25519::Identity::generate();
        let secrets = {
            use age::secrecy::ExposeSecret;
            SecretKeys {
                signing_seed: *signing_key.seed(),
                age_identity: age_identity.to_string().expose_secret().to_owned(),
            }
        };
        let plain = Zeroizing::new(
            serde_json::to_vec(&secrets)
                .map_err(|e| BrandError::Corrupt { dir: dir.display().to_string(), detail: e.to_string() })?,
        );
        drop(secrets);
        let sealed_keys = cipher.seal(KEYS_AAD, &plain)?;
        let keyslot_json = serde_json::to_string(&keyslot)
            .map_err(|e| BrandError::Corrupt { dir: dir.display().to_string(), detail: e.to_string() })?;
        let age_recipient = age_identity.to_public().to_string();
        let did = signing_key.did();

        // Build the whole store in a temporary file, then move it into place:
        // a crash leaves either no store or a complete one.
        let partial = dir.join(format!("{DATABASE_FILE}.creating"));
        let _ = std::fs::remove_file(&partial);
        {
            let mut conn = Connection::open(&partial)?;
            conn.pragma_update(None, "secure_delete", "ON")?;
            let tx = conn.transaction()?;
            tx.execute_batch(SCHEMA)?;
            tx.execute(
                "INSERT INTO brand (id, did, name, age_recipient, keyslot, sealed_keys, created_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
                params![did.to_string(), name, age_recipient, keyslot_json, sealed_keys, now],
            )?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
        }
        std::fs::rename(&partial, &path)
            .map_err(|e| BrandError::Io { dir: dir.display().to_string(), detail: e.to_string() })?;
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        configure(&conn)?;
        Ok(BrandStore {
            conn,
            dir: dir.to_owned(),
            did,
            name: name.to_owned(),
            age_recipient,
            signing_key,
            age_identity,
            cipher,
            request_cache: HashMap::new(),
        })
    }

    /// Opens and unlocks the store in `dir`. Callers should then run
    /// [`BrandStore::purge_expired`], as the command line does on every command.
    pub fn open(dir: &Path, unlock: Unlock<'_>) -> Result<BrandStore> {
        let path = dir.join(DATABASE_FILE);
        if !path.is_file() {
            return Err(BrandError::NoStore { dir: dir.display().to_string() });
        }
        let corrupt = |detail: String| BrandError::Corrupt { dir: dir.display().to_string(), detail };
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| corrupt(e.to_string()))?;
        configure(&conn).map_err(|e| corrupt(e.to_string()))?;
        let version: i64 =
            conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| corrupt(e.to_string()))?;
        if version > SCHEMA_VERSION {
            return Err(BrandError::NewerSchema { found: version, supported: SCHEMA_VERSION });
        }
        if version == 1 {
            migrate_to_v2(&conn).map_err(|e| corrupt(format!("cannot bring the store to schema 2: {e}")))?;
        } else if version != SCHEMA_VERSION {
            return Err(corrupt(format!("unknown schema version {version}")));
        }
        let row: Option<(String, String, String, String, Vec<u8>)> = conn
            .query_row("SELECT did, name, age_recipient, keyslot, sealed_keys FROM brand WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
            .map_err(|e| corrupt(e.to_string()))?;
        let (did, name, age_recipient, keyslot, sealed_keys) =
            row.ok_or_else(|| corrupt("the brand record is missing".into()))?;
        let keyslot: Keyslot = serde_json::from_str(&keyslot).map_err(|e| corrupt(format!("keyslot: {e}")))?;
        let data_key = match unlock {
            Unlock::Passphrase(p) => keyslot.unwrap_with_passphrase(p)?,
            Unlock::KeyFile(bytes) => keyslot.unwrap_with_secret(bytes)?,
        };
        let cipher = RecordCipher::new(&data_key);
        let plain = cipher.open(KEYS_AAD, &sealed_keys).map_err(|e| corrupt(format!("sealed keys: {e}")))?;
        let secrets: SecretKeys = serde_json::from_slice(&plain).map_err(|e| corrupt(format!("sealed keys: {e}")))?;
        let signing_key = SigningKey::from_seed(&secrets.signing_seed);
        let age_identity: age::x25519::Identity =
            secrets.age_identity.parse().map_err(|e: &str| corrupt(format!("age identity: {e}")))?;
        let did: Did = did.parse().map_err(|e| corrupt(format!("brand identity: {e}")))?;
        if signing_key.did() != did || age_identity.to_public().to_string() != age_recipient {
            return Err(corrupt("the stored public identity does not match the sealed keys".into()));
        }
        Ok(BrandStore {
            conn,
            dir: dir.to_owned(),
            did,
            name,
            age_recipient,
            signing_key,
            age_identity,
            cipher,
            request_cache: HashMap::new(),
        })
    }

    /// The brand's identity (`did:key`).
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The brand's public name, as shown to consumers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The age recipient (`age1…`) packets are encrypted to.
    pub fn age_recipient(&self) -> &str {
        &self.age_recipient
    }

    /// The brand's age identity in the `AGE-SECRET-KEY-1…` form, for the stock
    /// `age` tool. The caller decides where it goes; it is a secret.
    pub fn export_age_identity(&self) -> Zeroizing<String> {
        use age::secrecy::ExposeSecret;
        Zeroizing::new(self.age_identity.to_string().expose_secret().to_owned())
    }

    /// Re-seals the keys under a new passphrase or key file, in one transaction.
    pub fn change_unlock(&mut self, new_unlock: Unlock<'_>) -> Result<()> {
        // A fresh data key: every sealed record is re-sealed under it.
        let data_key = DataKey::generate()?;
        let cipher = RecordCipher::new(&data_key);
        let new_slot = serde_json::to_string(&wrap_unlock(&data_key, new_unlock)?)
            .map_err(|e| BrandError::Corrupt { dir: self.dir.display().to_string(), detail: e.to_string() })?;
        let tx = self.conn.transaction()?;
        let sealed_keys: Vec<u8> = tx.query_row("SELECT sealed_keys FROM brand WHERE id = 1", [], |r| r.get(0))?;
        let plain = self.cipher.open(KEYS_AAD, &sealed_keys)?;
        tx.execute(
            "UPDATE brand SET keyslot = ?1, sealed_keys = ?2 WHERE id = 1",
            params![new_slot, cipher.seal(KEYS_AAD, &plain)?],
        )?;
        let rows: Vec<(String, rusqlite::types::Value)> = {
            let mut stmt = tx.prepare("SELECT jti, sealed FROM packets")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            rows
        };
        for (jti, sealed) in rows {
            let aad = crate::import::packet_aad(&jti);
            // A row that does not open is damaged already: it is left as it is (and stays
            // reported as unreadable) rather than blocking the change for every other one.
            let rusqlite::types::Value::Blob(sealed) = sealed else { continue };
            let Ok(plain) = self.cipher.open(&aad, &sealed) else { continue };
            tx.execute("UPDATE packets SET sealed = ?1 WHERE jti = ?2", params![cipher.seal(&aad, &plain)?, jti])?;
        }
        tx.commit()?;
        self.cipher = cipher;
        Ok(())
    }
}

/// Schema 1 → 2, in one transaction: every packet's purge date is brought within the
/// retention of the request it answers, counted from its import. Stores written before
/// this rule could hold a packet whose own times kept it "until 9999"; after this, the
/// purge relies on the brand's request, whatever a packet claimed.
pub(crate) fn migrate_to_v2(conn: &Connection) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
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
    tx.pragma_update(None, "user_version", 2)?;
    tx.commit()?;
    Ok(())
}
