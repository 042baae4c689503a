//! Identities: `did:key` for Ed25519, signing keys, and per-brand consumer keys.
//!
//! A `did:key` is `did:key:z` followed by the base58btc encoding of the
//! multicodec prefix `0xed 0x01` and the 32-byte Ed25519 public key. The JWS
//! `kid` of every artifact is the DID URL `did:key:z…#z…` (the key's own
//! fragment), so a verifier needs nothing but the artifact itself.

use std::fmt;
use std::str::FromStr;

use ring::hkdf;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::ProtocolError;

const DID_KEY_PREFIX: &str = "did:key:z";
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// A party's identity: a `did:key` holding an Ed25519 public key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did {
    public_key: [u8; 32],
}

impl Did {
    /// The raw 32-byte Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The multibase part after `did:key:` (starts with `z6Mk`).
    pub fn multibase(&self) -> String {
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&ED25519_MULTICODEC);
        bytes.extend_from_slice(&self.public_key);
        format!("z{}", bs58::encode(bytes).into_string())
    }

    /// The key identifier used as JWS `kid`: `did:key:z…#z…`.
    pub fn key_id(&self) -> String {
        format!("{self}#{}", self.multibase())
    }

    /// Parses a `kid` of the form `did:key:z…#z…`, where the fragment must repeat the key.
    pub fn from_key_id(kid: &str) -> Result<Did, ProtocolError> {
        let (did, fragment) = kid.split_once('#').ok_or_else(|| ProtocolError::InvalidDid {
            found: kid.to_owned(),
            detail: "a key id must be a DID URL of the form did:key:z…#z…".into(),
        })?;
        let did: Did = did.parse()?;
        if fragment != did.multibase() {
            return Err(ProtocolError::InvalidDid {
                found: kid.to_owned(),
                detail: "the fragment of the key id does not repeat the key".into(),
            });
        }
        Ok(did)
    }

    /// Short human-checkable fingerprint: the first 16 bytes of SHA-256 of the
    /// public key, as four groups of hex digits (`ab12 cd34 …`).
    pub fn fingerprint(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.public_key);
        let hex: String = digest.as_ref()[..8].iter().map(|b| format!("{b:02X}")).collect();
        hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    }

    /// Verifies an Ed25519 signature made by this identity.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.public_key).verify(message, signature).is_ok()
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "did:key:{}", self.multibase())
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({self})")
    }
}

impl FromStr for Did {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Did, ProtocolError> {
        let invalid = |detail: &str| ProtocolError::InvalidDid { found: text.to_owned(), detail: detail.to_owned() };
        let encoded = text
            .strip_prefix(DID_KEY_PREFIX)
            .ok_or_else(|| invalid("an identity must start with did:key:z (base58btc did:key)"))?;
        let bytes = bs58::decode(encoded).into_vec().map_err(|_| invalid("not valid base58btc"))?;
        if bytes.len() != 34 || bytes[..2] != ED25519_MULTICODEC {
            return Err(invalid("not an Ed25519 did:key (multicodec 0xed01 followed by 32 bytes)"));
        }
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(&bytes[2..]);
        let did = Did { public_key };
        // Only the canonical spelling is accepted, so one key has one identity string.
        if did.to_string() != text {
            return Err(invalid("not the canonical encoding of this key"));
        }
        Ok(did)
    }
}

impl Serialize for Did {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Did {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Did, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 signing key, kept as its 32-byte seed (zeroised on drop).
pub struct SigningKey {
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.did())
    }
}

impl SigningKey {
    /// A fresh random signing key.
    pub fn generate() -> SigningKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        crate::encoding::fill_random(seed.as_mut());
        SigningKey::from_seed(&seed)
    }

    /// The signing key whose seed is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .unwrap_or_else(|_| unreachable!("any 32-byte seed is a valid Ed25519 key"));
        SigningKey { seed: Zeroizing::new(*seed), pair }
    }

    /// The seed, for sealed storage only.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The identity (public key) of this key.
    pub fn did(&self) -> Did {
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(self.pair.public_key().as_ref());
        Did { public_key }
    }

    /// An Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

/// The consumer's master secret: 32 random bytes from which every per-brand key is derived.
pub struct MasterSecret(Zeroizing<[u8; 32]>);

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(…)")
    }
}

impl MasterSecret {
    pub fn generate() -> MasterSecret {
        let mut bytes = Zeroizing::new([0u8; 32]);
        crate::encoding::fill_random(bytes.as_mut());
        MasterSecret(bytes)
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> MasterSecret {
        MasterSecret(Zeroizing::new(*bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

struct SeedLength;

impl hkdf::KeyType for SeedLength {
    fn len(&self) -> usize {
        32
    }
}

/// HKDF salt of the per-brand key derivation.
pub const BRAND_KEY_SALT: &[u8] = b"tessera/v1/per-brand-consumer-key";

/// The consumer's signing key for one brand: HKDF-SHA256 with salt
/// [`BRAND_KEY_SALT`], the master secret as input key material and the brand's
/// DID string as info, giving the 32-byte Ed25519 seed. Two brands see two
/// unrelated keys; the same brand always sees the same one.
pub fn derive_brand_key(master: &MasterSecret, brand: &Did) -> SigningKey {
    let info = brand.to_string();
    let info_parts = [info.as_bytes()];
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, BRAND_KEY_SALT).extract(master.as_bytes());
    let okm = prk
        .expand(&info_parts, SeedLength)
        .unwrap_or_else(|_| unreachable!("32 bytes is within HKDF-SHA256's output limit"));
    let mut seed = Zeroizing::new([0u8; 32]);
    okm.fill(seed.as_mut()).unwrap_or_else(|_| unreachable!("length matches"));
    SigningKey::from_seed(&seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_key_round_trips_and_uses_the_ed25519_prefix() {
        let key = SigningKey::generate();
        let did = key.did();
        let text = did.to_string();
        assert!(text.starts_with("did:key:z6Mk"), "{text}");
        assert_eq!(text.parse::<Did>().unwrap(), did);
        assert_eq!(Did::from_key_id(&did.key_id()).unwrap(), did);
    }

    #[test]
    fn known_did_key_vector_decodes() {
        // Test vector from the did:key specification (Ed25519).
        let did: Did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp".parse().unwrap();
        assert_eq!(did.public_key().len(), 32);
    }

    #[test]
    fn malformed_dids_are_refused() {
        for bad in [
            "",
            "did:key:",
            "did:web:example.com",
            "did:key:z0OIl",
            "did:key:z6Mk",
            "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        ] {
            assert!(bad.parse::<Did>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn per_brand_keys_differ_between_brands_and_are_stable() {
        let master = MasterSecret::generate();
        let brand_a = SigningKey::generate().did();
        let brand_b = SigningKey::generate().did();
        let a1 = derive_brand_key(&master, &brand_a).did();
        let a2 = derive_brand_key(&master, &brand_a).did();
        let b = derive_brand_key(&master, &brand_b).did();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
    }

    #[test]
    fn signatures_verify_only_for_the_signed_message() {
        let key = SigningKey::generate();
        let sig = key.sign(b"hello");
        assert!(key.did().verify(b"hello", &sig));
        assert!(!key.did().verify(b"hellp", &sig));
        assert!(!SigningKey::generate().did().verify(b"hello", &sig));
    }
}
