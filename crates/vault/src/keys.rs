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
//! Each slot is stored with its SHA-256 (schema 2), so a slot damaged on disk
//! is reported as damaged ([`VaultError::KeyslotDamaged`]), never as a wrong
//! passphrase; a vault made by schema 1 gets its checks at its first unlock.
//!
//! Replacing the vault key is done in two steps so that the new recovery
//! secret is in the person's hands before the old one stops working:
//! [`KeyRotation`] is prepared (nothing written), the caller hands its secret
//! over, then it is committed in one transaction.
//!
//! What it must never do: keep a key or a secret in memory that is not
//! zeroised when dropped, or write one in clear.

use std::fmt;
use std::path::Path;

use tessera_protocol::encoding::sha256_b64url;
use tessera_protocol::MasterSecret;
use tessera_seal::{Argon2Params, DataKey, Keyslot, RecordCipher, SealError};
use zeroize::Zeroizing;

use crate::error::{KeyslotKind, Result, VaultError};
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

/// The vault header, read: the format, the key generation and both wrapped
/// copies of the vault key (`None` for a copy damaged on disk).
pub(crate) struct Keyslots {
    pub(crate) format: String,
    pub(crate) generation: i64,
    passphrase: Option<Keyslot>,
    recovery: Option<Keyslot>,
    /// Whether the header has no checks yet (a vault made by schema 1).
    unchecked: bool,
    passphrase_text: String,
    recovery_text: String,
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
        let passphrase_slot = slot_json(&Keyslot::wrap_with_passphrase(key, passphrase, Argon2Params::RECOMMENDED)?);
        let recovery_slot = slot_json(&Keyslot::wrap_with_secret(key, recovery.0.as_ref())?);
        Ok(Header {
            format: format.to_owned(),
            key_generation: generation,
            passphrase_check: Some(slot_check(&passphrase_slot)),
            recovery_check: Some(slot_check(&recovery_slot)),
            passphrase_slot,
            recovery_slot,
        })
    }

    /// A passphrase slot for `key`, as stored, and its check.
    pub(crate) fn passphrase_slot(key: &DataKey, passphrase: &str) -> Result<(String, String)> {
        let slot = slot_json(&Keyslot::wrap_with_passphrase(key, passphrase, Argon2Params::RECOMMENDED)?);
        let check = slot_check(&slot);
        Ok((slot, check))
    }

    pub(crate) fn read(store: &RecordStore) -> Result<Keyslots> {
        let header = store.header()?;
        let slot = |text: &str, check: &Option<String>| -> Option<Keyslot> {
            if check.as_ref().is_some_and(|check| *check != slot_check(text)) {
                return None;
            }
            serde_json::from_str(text).ok()
        };
        Ok(Keyslots {
            passphrase: slot(&header.passphrase_slot, &header.passphrase_check),
            recovery: slot(&header.recovery_slot, &header.recovery_check),
            unchecked: header.passphrase_check.is_none() || header.recovery_check.is_none(),
            format: header.format,
            generation: header.key_generation,
            passphrase_text: header.passphrase_slot,
            recovery_text: header.recovery_slot,
        })
    }

    /// Whether the copy of the key the recovery secret opens is damaged.
    pub(crate) fn recovery_damaged(&self) -> bool {
        self.recovery.is_none()
    }

    /// For a vault made by schema 1, once a slot has opened: both checks, to be stored.
    pub(crate) fn missing_checks(&self) -> Option<(String, String)> {
        self.unchecked.then(|| (slot_check(&self.passphrase_text), slot_check(&self.recovery_text)))
    }

    /// The vault key, unwrapped with the passphrase (Argon2id).
    pub(crate) fn open_with_passphrase(&self, passphrase: &str) -> Result<DataKey> {
        let slot = self.passphrase.as_ref().ok_or(VaultError::KeyslotDamaged { slot: KeyslotKind::Passphrase })?;
        slot.unwrap_with_passphrase(passphrase).map_err(|e| match e {
            SealError::WrongPassphrase => VaultError::WrongPassphrase,
            SealError::UnsafeParameters(_) | SealError::WrongUnlockMethod { .. } => {
                VaultError::KeyslotDamaged { slot: KeyslotKind::Passphrase }
            }
            other => other.into(),
        })
    }

    /// The vault key, unwrapped with the recovery secret.
    pub(crate) fn open_with_recovery(&self, recovery: &RecoverySecret) -> Result<DataKey> {
        let slot = self.recovery.as_ref().ok_or(VaultError::KeyslotDamaged { slot: KeyslotKind::Recovery })?;
        slot.unwrap_with_secret(recovery.0.as_ref()).map_err(|e| match e {
            SealError::WrongSecret => VaultError::WrongRecoverySecret,
            SealError::WrongUnlockMethod { .. } => VaultError::KeyslotDamaged { slot: KeyslotKind::Recovery },
            other => other.into(),
        })
    }
}

/// A replacement of the vault key, prepared and not yet written: the new
/// recovery secret is to be handed to the person first
/// ([`KeyRotation::recovery_secret`]), then the rotation committed
/// (`Vault::commit_key_rotation`). Dropping it changes nothing.
pub struct KeyRotation {
    pub(crate) recovery: RecoverySecret,
    pub(crate) key: DataKey,
    pub(crate) header: Header,
    /// The key generation it replaces.
    pub(crate) from_generation: i64,
}

impl fmt::Debug for KeyRotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRotation").field("from_generation", &self.from_generation).finish_non_exhaustive()
    }
}

impl KeyRotation {
    /// The recovery secret that will open the vault once the rotation is committed.
    pub fn recovery_secret(&self) -> &RecoverySecret {
        &self.recovery
    }
}

/// The check stored beside a slot: SHA-256 of its stored text.
fn slot_check(slot: &str) -> String {
    sha256_b64url(slot.as_bytes())
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
/// When that record is damaged, everything else stays readable and only sharing is impossible.
pub(crate) struct Master {
    secret: Option<MasterSecret>,
}

impl Master {
    /// Reads the master secret (absent when its record is damaged: it is then reported in `damaged`).
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Master> {
        let records = store.load::<MasterRecord>(Kind::Master, key, damaged)?;
        Ok(Master { secret: records.into_iter().last().map(|(_, record)| MasterSecret::from_bytes(&record.secret)) })
    }

    /// Writes `secret` as a new master record (a new vault, a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, secret: MasterSecret) -> Result<Master> {
        writer.put(Kind::Master, &RecordId::random(), &MasterRecord { secret: *secret.as_bytes() })?;
        Ok(Master { secret: Some(secret) })
    }

    /// The master secret; [`VaultError::MasterSecretDamaged`] when its record could not be read.
    pub(crate) fn secret(&self) -> Result<&MasterSecret> {
        self.secret.as_ref().ok_or(VaultError::MasterSecretDamaged)
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
