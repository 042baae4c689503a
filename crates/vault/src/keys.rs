//! The vault key and what unlocks it: the passphrase (Argon2id) and the recovery
//! secret; and the master secret every per-brand key is derived from.
//!
//! A random 256-bit vault key seals every record. It is stored twice, wrapped:
//! once under a key derived from the passphrase with Argon2id (parameters kept
//! in the slot, between the floor and ceiling of `tessera-seal`), once under
//! the recovery secret (HKDF). Both slots live in the vault header of the
//! [record store](crate::store); every change to them is one SQLite
//! transaction, so after a crash either the old or the new passphrase opens
//! the vault, never neither. The master secret is the one record of kind
//! `master`; [`Master`] is its collection.
//!
//! What it must never do: keep a key or a secret in memory that is not
//! zeroised when dropped, or write one in clear.

use std::fmt;
use std::path::Path;

use tessera_protocol::MasterSecret;
use tessera_seal::{Argon2Params, DataKey, Keyslot, RecordCipher, SealError};
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};
use crate::store::{DamagedRecord, Header, Kind, RecordId, RecordKey, RecordStore, Sealer, Writer};

pub(crate) const VAULT_FORMAT: &str = "tessera-vault";
#[cfg(feature = "plaintext-control")]
pub(crate) const PLAINTEXT_CONTROL_FORMAT: &str = "tessera-vault-plaintext-control";

/// Whether `format` names a vault this build can open.
pub(crate) fn is_known_format(format: &str) -> bool {
    #[cfg(feature = "plaintext-control")]
    if format == PLAINTEXT_CONTROL_FORMAT {
        return true;
    }
    format == VAULT_FORMAT
}

/// Shortest passphrase accepted for a vault.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The recovery secret: 32 random bytes, shown once as 13 groups of 4 characters.
pub struct RecoverySecret(Zeroizing<[u8; 32]>);

impl fmt::Debug for RecoverySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoverySecret(…)")
    }
}

impl RecoverySecret {
    pub(crate) fn generate() -> RecoverySecret {
        let mut bytes = Zeroizing::new([0u8; 32]);
        tessera_protocol::encoding::fill_random(bytes.as_mut());
        RecoverySecret(bytes)
    }

    /// `ABCD-EFGH-…` (base32, 52 characters in 13 groups).
    pub fn display(&self) -> Zeroizing<String> {
        let mut bits: u64 = 0;
        let mut count = 0;
        let mut chars = Zeroizing::new(String::with_capacity(64));
        for byte in self.0.iter() {
            bits = (bits << 8) | u64::from(*byte);
            count += 8;
            while count >= 5 {
                count -= 5;
                chars.push(BASE32[((bits >> count) & 31) as usize] as char);
            }
        }
        if count > 0 {
            chars.push(BASE32[((bits << (5 - count)) & 31) as usize] as char);
        }
        let groups: Vec<&str> =
            chars.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
        Zeroizing::new(groups.join("-"))
    }

    /// Reads a recovery secret as shown, ignoring case, spaces and dashes.
    pub fn parse(text: &str) -> Result<RecoverySecret> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect(),
        );
        if cleaned.len() != 52 {
            return Err(VaultError::MalformedRecoverySecret(format!("{} characters instead of 52", cleaned.len())));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        let (mut bits, mut count, mut at): (u64, u32, usize) = (0, 0, 0);
        for c in cleaned.bytes() {
            let value = BASE32.iter().position(|b| *b == c).ok_or_else(|| {
                VaultError::MalformedRecoverySecret(format!("{:?} is not one of its letters or digits", c as char))
            })?;
            bits = (bits << 5) | value as u64;
            count += 5;
            if count >= 8 {
                count -= 8;
                if at < 32 {
                    bytes[at] = ((bits >> count) & 0xff) as u8;
                }
                at += 1;
            }
        }
        Ok(RecoverySecret(bytes))
    }
}

/// Refuses passphrases that are too short.
pub fn check_new_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::WeakPassphrase { min: MIN_PASSPHRASE_CHARS });
    }
    Ok(())
}

/// A rough strength estimate for display: 0 (very weak) to 4 (strong).
pub fn passphrase_strength(passphrase: &str) -> u8 {
    let chars = passphrase.chars().count();
    let classes =
        [char::is_lowercase, char::is_uppercase, |c: char| c.is_ascii_digit(), |c: char| !c.is_alphanumeric()]
            .iter()
            .filter(|class| passphrase.chars().any(class))
            .count();
    let words = passphrase.split_whitespace().filter(|w| w.chars().count() >= 3).count();
    match (chars, classes, words) {
        (0..=9, _, _) => 0,
        (_, _, 4..) if chars >= 20 => 4,
        (20.., 2.., _) => 4,
        (14.., 2.., _) | (16.., _, _) => 3,
        (12.., _, _) => 2,
        _ => 1,
    }
}

/// The vault header, read: the format, the key generation and both wrapped copies of the vault key.
pub(crate) struct Keyslots {
    pub(crate) format: String,
    pub(crate) generation: i64,
    passphrase: Keyslot,
    recovery: Keyslot,
}

impl Keyslots {
    /// Wraps a new vault `key` under `passphrase` and `recovery`, as the header of key generation `generation`.
    pub(crate) fn wrap(
        format: &str,
        generation: i64,
        key: &DataKey,
        passphrase: &str,
        recovery: &RecoverySecret,
    ) -> Result<Header> {
        let passphrase_slot = Keyslot::wrap_with_passphrase(key, passphrase, Argon2Params::RECOMMENDED)?;
        let recovery_slot = Keyslot::wrap_with_secret(key, recovery.0.as_ref())?;
        Ok(Header {
            format: format.to_owned(),
            key_generation: generation,
            passphrase_slot: slot_json(&passphrase_slot),
            recovery_slot: slot_json(&recovery_slot),
        })
    }

    /// A passphrase slot for `key`, as stored.
    pub(crate) fn passphrase_slot(key: &DataKey, passphrase: &str) -> Result<String> {
        Ok(slot_json(&Keyslot::wrap_with_passphrase(key, passphrase, Argon2Params::RECOMMENDED)?))
    }

    pub(crate) fn read(store: &RecordStore) -> Result<Keyslots> {
        let header = store.header()?;
        let corrupt = |e: serde_json::Error| VaultError::Corrupt {
            dir: store.dir().to_owned(),
            detail: format!("key slot: {e}"),
        };
        Ok(Keyslots {
            format: header.format,
            generation: header.key_generation,
            passphrase: serde_json::from_str(&header.passphrase_slot).map_err(corrupt)?,
            recovery: serde_json::from_str(&header.recovery_slot).map_err(corrupt)?,
        })
    }

    /// The vault key, unwrapped with the passphrase (Argon2id).
    pub(crate) fn open_with_passphrase(&self, passphrase: &str) -> Result<DataKey> {
        self.passphrase.unwrap_with_passphrase(passphrase).map_err(|e| match e {
            SealError::WrongPassphrase => VaultError::WrongPassphrase,
            other => other.into(),
        })
    }

    /// The vault key, unwrapped with the recovery secret.
    pub(crate) fn open_with_recovery(&self, recovery: &RecoverySecret) -> Result<DataKey> {
        self.recovery.unwrap_with_secret(recovery.0.as_ref()).map_err(|e| match e {
            SealError::WrongSecret => VaultError::WrongRecoverySecret,
            other => other.into(),
        })
    }
}

/// The key records are sealed under, for a vault of `format`.
pub(crate) fn record_key(dir: &Path, format: &str, key: DataKey, generation: i64) -> Result<RecordKey> {
    let sealer = match format {
        VAULT_FORMAT => Sealer::Aead(Box::new(RecordCipher::new(&key))),
        #[cfg(feature = "plaintext-control")]
        PLAINTEXT_CONTROL_FORMAT => Sealer::Plaintext,
        other => {
            return Err(VaultError::Corrupt { dir: dir.to_owned(), detail: format!("unknown vault format {other:?}") })
        }
    };
    Ok(RecordKey::new(key, sealer, generation))
}

fn slot_json(slot: &Keyslot) -> String {
    serde_json::to_string(slot).unwrap_or_else(|e| unreachable!("keyslots serialise: {e}"))
}

/// The master secret every per-brand key is derived from: the collection of the one `master` record.
pub(crate) struct Master {
    secret: MasterSecret,
}

impl Master {
    /// Reads the master secret; the vault cannot be used without it.
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Master> {
        let records = store.load::<MasterRecord>(Kind::Master, key, damaged)?;
        let (_, record) = records.into_iter().last().ok_or_else(|| VaultError::Corrupt {
            dir: store.dir().to_owned(),
            detail: "the master secret record cannot be read".into(),
        })?;
        Ok(Master { secret: MasterSecret::from_bytes(&record.secret) })
    }

    /// Writes `secret` as a new master record (a new vault, a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, secret: MasterSecret) -> Result<Master> {
        writer.put(Kind::Master, &RecordId::random(), &MasterRecord { secret: *secret.as_bytes() })?;
        Ok(Master { secret })
    }

    pub(crate) fn secret(&self) -> &MasterSecret {
        &self.secret
    }
}

/// The content of the master-secret record.
#[derive(serde::Serialize, serde::Deserialize)]
struct MasterRecord {
    secret: [u8; 32],
}

impl Drop for MasterRecord {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.secret.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_secrets_round_trip_through_their_display_form() {
        let secret = RecoverySecret::generate();
        let shown = secret.display();
        assert_eq!(shown.len(), 52 + 12);
        let parsed = RecoverySecret::parse(&shown.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(*parsed.0, *secret.0);
        assert!(RecoverySecret::parse("ABCD").is_err());
        assert!(RecoverySecret::parse(&"1".repeat(52)).is_err(), "1 is not in the alphabet");
    }

    #[test]
    fn strength_grows_with_length_and_variety() {
        assert_eq!(passphrase_strength("short"), 0);
        assert!(passphrase_strength("correct horse battery staple") >= 4);
        assert!(passphrase_strength("abcdefghijkl") < passphrase_strength("Abcdefgh1234!xyz"));
    }
}
