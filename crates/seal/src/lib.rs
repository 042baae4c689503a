//! # tessera-seal — keys at rest, shared by the brand store and the consumer vault
//!
//! Owns two things:
//!
//! * [`Keyslot`] — a random 256-bit [`DataKey`] wrapped (ChaCha20-Poly1305)
//!   under a key derived either from a passphrase with **Argon2id**
//!   (parameters stored in the slot, held between a floor and a ceiling) or
//!   from a high-entropy secret such as a key file or a recovery secret
//!   (HKDF-SHA256);
//! * [`RecordCipher`] — per-record AEAD (ChaCha20-Poly1305, random nonce)
//!   whose associated data binds each ciphertext to where it belongs, so a
//!   record copied to another row or table fails to open.
//!
//! What it must never do: file or network I/O, logging, or exposing key bytes
//! except to another sealing step. Keys are zeroised when dropped.

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Why a key could not be unwrapped or a record could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("wrong key file or secret")]
    WrongSecret,
    #[error("this keyslot is opened with a {expected}, not a {given}")]
    WrongUnlockMethod { expected: &'static str, given: &'static str },
    #[error("unsafe Argon2id parameters: {0}")]
    UnsafeParameters(String),
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    #[error("the key file or secret is too short: {0} bytes, at least 32 are needed")]
    SecretTooShort(usize),
    #[error("a sealed record does not open: it was altered, moved, or sealed under another key")]
    RecordTampered,
    #[error("the operating system's random number generator failed")]
    Randomness,
}

/// A 256-bit symmetric key, zeroised on drop.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    pub fn generate() -> Result<DataKey, SealError> {
        let mut key = Zeroizing::new([0u8; 32]);
        SystemRandom::new().fill(key.as_mut()).map_err(|_| SealError::Randomness)?;
        Ok(DataKey(key))
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> DataKey {
        DataKey(Zeroizing::new(*bytes))
    }

    /// The key bytes, for wrapping in another sealed structure only.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Argon2id cost parameters, stored beside the slot they protect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Argon2Params {
    /// The parameters new slots use: 64 MiB, 3 passes, 1 lane.
    pub const RECOMMENDED: Argon2Params = Argon2Params { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 };
    /// Weakest accepted: 64 MiB, 3 passes.
    pub const FLOOR: Argon2Params = Argon2Params { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 };
    /// Costliest accepted, so a tampered slot cannot make unlocking hang or exhaust memory.
    pub const CEILING: Argon2Params = Argon2Params { memory_kib: 1024 * 1024, iterations: 16, parallelism: 8 };

    /// Fails unless the parameters lie between [`Self::FLOOR`] and [`Self::CEILING`].
    pub fn check(&self) -> Result<(), SealError> {
        let (lo, hi) = (Self::FLOOR, Self::CEILING);
        if !(lo.memory_kib..=hi.memory_kib).contains(&self.memory_kib) {
            return Err(SealError::UnsafeParameters(format!(
                "memory {} KiB is outside {}..={} KiB",
                self.memory_kib, lo.memory_kib, hi.memory_kib
            )));
        }
        if !(lo.iterations..=hi.iterations).contains(&self.iterations) {
            return Err(SealError::UnsafeParameters(format!(
                "{} passes is outside {}..={}",
                self.iterations, lo.iterations, hi.iterations
            )));
        }
        if !(lo.parallelism..=hi.parallelism).contains(&self.parallelism) {
            return Err(SealError::UnsafeParameters(format!(
                "{} lanes is outside {}..={}",
                self.parallelism, lo.parallelism, hi.parallelism
            )));
        }
        Ok(())
    }
}

/// How a keyslot's wrapping key is derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyDerivation {
    Passphrase { params: Argon2Params, salt: [u8; 16] },
    Secret { salt: [u8; 16] },
}

/// A data key wrapped under a passphrase or a secret. Serialisable: this is what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyslot {
    pub derivation: KeyDerivation,
    /// Nonce, then ciphertext and tag of the data key.
    pub wrapped: Vec<u8>,
}

const KEYSLOT_AAD: &[u8] = b"tessera/v1/keyslot";

fn random_salt() -> Result<[u8; 16], SealError> {
    let mut salt = [0u8; 16];
    SystemRandom::new().fill(&mut salt).map_err(|_| SealError::Randomness)?;
    Ok(salt)
}

fn argon2id(passphrase: &[u8], params: &Argon2Params, salt: &[u8; 16]) -> Result<DataKey, SealError> {
    params.check()?;
    let argon_params = argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32))
        .map_err(|e| SealError::UnsafeParameters(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon.hash_password_into(passphrase, salt, out.as_mut()).map_err(|e| SealError::UnsafeParameters(e.to_string()))?;
    Ok(DataKey(out))
}

struct Len32;
impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

fn hkdf_key(secret: &[u8], salt: &[u8; 16]) -> Result<DataKey, SealError> {
    if secret.len() < 32 {
        return Err(SealError::SecretTooShort(secret.len()));
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(secret);
    let okm = prk.expand(&[b"tessera/v1/keyslot-secret"], Len32).map_err(|_| SealError::Randomness)?;
    let mut out = Zeroizing::new([0u8; 32]);
    okm.fill(out.as_mut()).map_err(|_| SealError::Randomness)?;
    Ok(DataKey(out))
}

impl Keyslot {
    /// Wraps `key` under `passphrase` with Argon2id `params`.
    pub fn wrap_with_passphrase(key: &DataKey, passphrase: &str, params: Argon2Params) -> Result<Keyslot, SealError> {
        if passphrase.is_empty() {
            return Err(SealError::EmptyPassphrase);
        }
        let salt = random_salt()?;
        let kek = argon2id(passphrase.as_bytes(), &params, &salt)?;
        let wrapped = RecordCipher::new(&kek).seal(KEYSLOT_AAD, key.expose())?;
        Ok(Keyslot { derivation: KeyDerivation::Passphrase { params, salt }, wrapped })
    }

    /// Wraps `key` under a high-entropy `secret` (key file, recovery secret), at least 32 bytes.
    pub fn wrap_with_secret(key: &DataKey, secret: &[u8]) -> Result<Keyslot, SealError> {
        let salt = random_salt()?;
        let kek = hkdf_key(secret, &salt)?;
        let wrapped = RecordCipher::new(&kek).seal(KEYSLOT_AAD, key.expose())?;
        Ok(Keyslot { derivation: KeyDerivation::Secret { salt }, wrapped })
    }

    pub fn unwrap_with_passphrase(&self, passphrase: &str) -> Result<DataKey, SealError> {
        let KeyDerivation::Passphrase { params, salt } = &self.derivation else {
            return Err(SealError::WrongUnlockMethod { expected: "key file", given: "passphrase" });
        };
        let kek = argon2id(passphrase.as_bytes(), params, salt)?;
        Self::unwrap(&kek, &self.wrapped).map_err(|_| SealError::WrongPassphrase)
    }

    pub fn unwrap_with_secret(&self, secret: &[u8]) -> Result<DataKey, SealError> {
        let KeyDerivation::Secret { salt } = &self.derivation else {
            return Err(SealError::WrongUnlockMethod { expected: "passphrase", given: "key file" });
        };
        let kek = hkdf_key(secret, salt)?;
        Self::unwrap(&kek, &self.wrapped).map_err(|_| SealError::WrongSecret)
    }

    fn unwrap(kek: &DataKey, wrapped: &[u8]) -> Result<DataKey, SealError> {
        let bytes = RecordCipher::new(kek).open(KEYSLOT_AAD, wrapped)?;
        let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| SealError::RecordTampered)?;
        Ok(DataKey::from_bytes(&array))
    }
}

/// Seals and opens records with one data key; the associated data says where a record belongs.
pub struct RecordCipher {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordCipher(…)")
    }
}

impl RecordCipher {
    pub fn new(key: &DataKey) -> RecordCipher {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, key.expose()).unwrap_or_else(|_| unreachable!("32-byte key"));
        RecordCipher { key: LessSafeKey::new(unbound), rng: SystemRandom::new() }
    }

    /// Encrypts `plaintext`; returns nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, associated_data: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SealError::Randomness)?;
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data),
                &mut out[NONCE_LEN..],
            )
            .map_err(|_| SealError::Randomness)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts a sealed record; fails if it was altered or belongs elsewhere.
    pub fn open(&self, associated_data: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(SealError::RecordTampered);
        }
        let nonce: [u8; NONCE_LEN] = sealed[..NONCE_LEN].try_into().map_err(|_| SealError::RecordTampered)?;
        let mut buffer = Zeroizing::new(sealed[NONCE_LEN..].to_vec());
        let plain_len = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(associated_data), buffer.as_mut_slice())
            .map_err(|_| SealError::RecordTampered)?
            .len();
        buffer.truncate(plain_len);
        Ok(buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passphrase_slot_opens_with_the_passphrase_only() {
        let key = DataKey::generate().unwrap();
        let slot = Keyslot::wrap_with_passphrase(&key, "correct horse", Argon2Params::RECOMMENDED).unwrap();
        assert_eq!(slot.unwrap_with_passphrase("correct horse").unwrap().expose(), key.expose());
        assert_eq!(slot.unwrap_with_passphrase("wrong horse").unwrap_err(), SealError::WrongPassphrase);
        assert!(slot.unwrap_with_secret(&[7u8; 32]).is_err());
    }

    #[test]
    fn a_secret_slot_needs_enough_entropy_and_the_right_secret() {
        let key = DataKey::generate().unwrap();
        assert_eq!(Keyslot::wrap_with_secret(&key, b"short").unwrap_err(), SealError::SecretTooShort(5));
        let slot = Keyslot::wrap_with_secret(&key, &[1u8; 40]).unwrap();
        assert_eq!(slot.unwrap_with_secret(&[1u8; 40]).unwrap().expose(), key.expose());
        assert_eq!(slot.unwrap_with_secret(&[2u8; 40]).unwrap_err(), SealError::WrongSecret);
    }

    #[test]
    fn weakened_or_inflated_parameters_are_refused() {
        let key = DataKey::generate().unwrap();
        let weak = Argon2Params { memory_kib: 1024, iterations: 1, parallelism: 1 };
        assert!(matches!(Keyslot::wrap_with_passphrase(&key, "p", weak), Err(SealError::UnsafeParameters(_))));
        let mut slot = Keyslot::wrap_with_passphrase(&key, "p", Argon2Params::RECOMMENDED).unwrap();
        if let KeyDerivation::Passphrase { params, .. } = &mut slot.derivation {
            params.memory_kib = 64 * 1024 * 1024;
        }
        assert!(matches!(slot.unwrap_with_passphrase("p"), Err(SealError::UnsafeParameters(_))));
    }

    #[test]
    fn records_open_only_where_they_were_sealed() {
        let cipher = RecordCipher::new(&DataKey::generate().unwrap());
        let sealed = cipher.seal(b"packets/1", b"secret").unwrap();
        assert_eq!(cipher.open(b"packets/1", &sealed).unwrap().as_slice(), b"secret");
        assert_eq!(cipher.open(b"packets/2", &sealed).unwrap_err(), SealError::RecordTampered);
        for i in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[i] ^= 1;
            assert!(cipher.open(b"packets/1", &flipped).is_err(), "flip at {i} accepted");
        }
    }
}
