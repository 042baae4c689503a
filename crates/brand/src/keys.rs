//! The brand's secret keys (Ed25519 signing key, age X25519 identity) and the data key that
//! seals every imported packet, as kept in the store's `brand` record: sealed under a random
//! data key, itself wrapped by a passphrase (Argon2id) or a key file (HKDF). Never in clear.

use std::fmt;

use serde::{Deserialize, Serialize};
use tessera_protocol::{Did, SigningKey};
use tessera_seal::{Argon2Params, DataKey, Keyslot, RecordCipher};
use zeroize::Zeroizing;

use crate::{BrandError, Result};

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

/// The `brand` record of a store, as stored: public identity in clear, keys sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrandRecord {
    pub did: String,
    pub name: String,
    pub age_recipient: String,
    /// The keyslot (JSON) wrapping the data key.
    pub keyslot: String,
    /// The secret keys, sealed with the data key.
    pub sealed_keys: Vec<u8>,
    pub created_at: i64,
    /// Raised by every change of the data key: a server still holding an older key refuses to
    /// write packets it could not be read back with.
    pub keys_generation: i64,
}

/// The brand's secret keys, as sealed in the store.
#[derive(Serialize, Deserialize)]
struct SecretKeys {
    signing_seed: [u8; 32],
    age_identity: String,
}

/// The unlocked keys of a brand.
pub(crate) struct BrandKeys {
    pub did: Did,
    pub signing_key: SigningKey,
    pub age_identity: age::x25519::Identity,
    pub cipher: RecordCipher,
}

impl fmt::Debug for BrandKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrandKeys").field("did", &self.did).finish_non_exhaustive()
    }
}

const KEYS_AAD: &[u8] = b"tessera/v1/brand/keys";

fn wrap(key: &DataKey, unlock: Unlock<'_>) -> Result<String> {
    let slot = match unlock {
        Unlock::Passphrase(p) => Keyslot::wrap_with_passphrase(key, p, Argon2Params::RECOMMENDED)?,
        Unlock::KeyFile(bytes) => Keyslot::wrap_with_secret(key, bytes)?,
    };
    Ok(serde_json::to_string(&slot).unwrap_or_else(|e| unreachable!("a keyslot serialises: {e}")))
}

fn corrupt(location: &str, detail: String) -> BrandError {
    BrandError::Corrupt { dir: location.to_owned(), detail }
}

/// Fresh keys for a new brand `name`, and the record that keeps them sealed under `unlock`.
pub(crate) fn generate(name: &str, unlock: Unlock<'_>, now: i64) -> Result<(BrandRecord, BrandKeys)> {
    let data_key = DataKey::generate()?;
    let keyslot = wrap(&data_key, unlock)?;
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
    let plain = Zeroizing::new(serde_json::to_vec(&secrets).unwrap_or_else(|e| unreachable!("keys serialise: {e}")));
    drop(secrets);
    let sealed_keys = cipher.seal(KEYS_AAD, &plain)?;
    let did = signing_key.did();
    let record = BrandRecord {
        did: did.to_string(),
        name: name.to_owned(),
        age_recipient: age_identity.to_public().to_string(),
        keyslot,
        sealed_keys,
        created_at: now,
        keys_generation: 1,
    };
    Ok((record, BrandKeys { did, signing_key, age_identity, cipher }))
}

/// Unlocks the keys of `record`; `location` names the store in errors.
pub(crate) fn unlock(record: &BrandRecord, unlock: Unlock<'_>, location: &str) -> Result<BrandKeys> {
    let keyslot: Keyslot =
        serde_json::from_str(&record.keyslot).map_err(|e| corrupt(location, format!("keyslot: {e}")))?;
    let data_key = match unlock {
        Unlock::Passphrase(p) => keyslot.unwrap_with_passphrase(p)?,
        Unlock::KeyFile(bytes) => keyslot.unwrap_with_secret(bytes)?,
    };
    let cipher = RecordCipher::new(&data_key);
    let plain =
        cipher.open(KEYS_AAD, &record.sealed_keys).map_err(|e| corrupt(location, format!("sealed keys: {e}")))?;
    let secrets: SecretKeys =
        serde_json::from_slice(&plain).map_err(|e| corrupt(location, format!("sealed keys: {e}")))?;
    let signing_key = SigningKey::from_seed(&secrets.signing_seed);
    let age_identity: age::x25519::Identity =
        secrets.age_identity.parse().map_err(|e: &str| corrupt(location, format!("age identity: {e}")))?;
    let did: Did = record.did.parse().map_err(|e| corrupt(location, format!("brand identity: {e}")))?;
    if signing_key.did() != did || age_identity.to_public().to_string() != record.age_recipient {
        return Err(corrupt(location, "the stored public identity does not match the sealed keys".into()));
    }
    Ok(BrandKeys { did, signing_key, age_identity, cipher })
}

/// The same keys under a fresh data key wrapped by `new_unlock`: the new keyslot, the keys
/// sealed anew, and the new cipher every packet is re-sealed with.
pub(crate) fn rewrap(
    keys: &BrandKeys,
    record: &BrandRecord,
    new_unlock: Unlock<'_>,
) -> Result<(String, Vec<u8>, RecordCipher)> {
    let data_key = DataKey::generate()?;
    let keyslot = wrap(&data_key, new_unlock)?;
    let cipher = RecordCipher::new(&data_key);
    let plain = keys.cipher.open(KEYS_AAD, &record.sealed_keys)?;
    let sealed_keys = cipher.seal(KEYS_AAD, &plain)?;
    Ok((keyslot, sealed_keys, cipher))
}

/// Associated data binding a sealed packet to its row (the same in every backend, so a store
/// moved from SQLite to PostgreSQL keeps its sealed rows as they are).
pub(crate) fn packet_aad(jti: &str) -> Vec<u8> {
    format!("tessera/v1/brand/packets/{jti}").into_bytes()
}
