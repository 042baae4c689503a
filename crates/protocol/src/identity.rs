//! Identities: `did:key` for Ed25519, signing keys, and per-brand consumer keys.
//!
//! A `did:key` is `did:key:z` followed by the base58btc encoding of the
//! multicodec prefix `0xed 0x01` and the 32-byte Ed25519 public key. The JWS
//! `kid` of every artifact is the DID URL `did:key:z…#z…` (the key's own
//! fragment), so a verifier needs nothing but the artifact itself.
//!
//! Weak keys are refused here, by the verifier itself: mainstream Ed25519 and JOSE
//! libraries (ring included) accept a public key that is a small-order point, such as
//! the identity, for which a signature verifies without any private key (R = identity,
//! S = 0). A `did:key` whose key is one of the eight small-order points, or is not
//! canonically encoded, is refused wherever it appears; so is a signature whose `S` is not
//! below the group order or whose `R` is a small-order point or not canonical. A key with a
//! small-order *component* ([a]B + T) is accepted: signing for it still takes its private
//! scalar, and verification is cofactorless (ring's), which PROTOCOL.md §2 requires of every
//! verifier so that all agree on such keys.

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

/// The field prime p = 2^255 - 19, little-endian.
const FIELD_PRIME: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// The order L = 2^252 + 27742317777372353535851937790883648493 of the Ed25519 base point, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The y coordinates (sign bit cleared) of the eight points of small order: y = 1 (the
/// identity, order 1), y = p − 1 (order 2), y = 0 (the two points of order 4), and the two
/// y values shared by the four points of order 8. With the sign bit of x, these encodings
/// cover all eight points; their non-canonical encodings (y ≥ p) are refused separately.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    {
        let mut p_minus_1 = FIELD_PRIME;
        p_minus_1[0] = 0xec;
        p_minus_1
    },
    [0; 32],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf,
        0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20,
        0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
    ],
];

/// Whether the little-endian number `a` is below `b`.
fn less_than(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Less
}

/// Whether a compressed Edwards point is unfit as a key or as a signature's R: its y is
/// not below p (non-canonical), or it is one of the eight small-order points.
pub fn is_weak_point(encoded: &[u8; 32]) -> bool {
    let mut y = *encoded;
    y[31] &= 0x7f;
    !less_than(&y, &FIELD_PRIME) || SMALL_ORDER_Y.contains(&y)
}

/// The result of checking a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    Valid,
    /// Not 64 bytes, or it does not verify.
    Invalid,
    /// `S` is not below the group order, or `R` is small-order or not canonical:
    /// malleable or made without a private key.
    Weak,
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

    /// Short human-checkable fingerprint: the first 8 bytes of SHA-256 of the
    /// public key, in upper-case hex, as four groups of four digits (`AB12 CD34 …`).
    pub fn fingerprint(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.public_key);
        let hex: String = digest.as_ref()[..8].iter().map(|b| format!("{b:02X}")).collect();
        hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    }

    /// Verifies an Ed25519 signature made by this identity.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.check_signature(message, signature) == SignatureCheck::Valid
    }

    /// Checks an Ed25519 signature made by this identity, refusing weak signatures
    /// and weak keys before `ring` verifies it.
    pub fn check_signature(&self, message: &[u8], signature: &[u8]) -> SignatureCheck {
        let Ok(signature) = <&[u8; 64]>::try_from(signature) else { return SignatureCheck::Invalid };
        let (r, s) = signature.split_at(32);
        let r: &[u8; 32] = r.try_into().unwrap_or_else(|_| unreachable!("32 of 64 bytes"));
        let s: &[u8; 32] = s.try_into().unwrap_or_else(|_| unreachable!("32 of 64 bytes"));
        if is_weak_point(&self.public_key) || is_weak_point(r) || !less_than(s, &GROUP_ORDER) {
            return SignatureCheck::Weak;
        }
        match UnparsedPublicKey::new(&ED25519, &self.public_key).verify(message, signature) {
            Ok(()) => SignatureCheck::Valid,
            Err(_) => SignatureCheck::Invalid,
        }
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
        if is_weak_point(&public_key) {
            return Err(ProtocolError::WeakKey { found: text.to_owned() });
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
    fn the_identity_key_and_its_free_signature_are_refused() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(is_weak_point(&identity));
        let did = Did { public_key: identity };
        let text = did.to_string();
        assert!(matches!(text.parse::<Did>(), Err(ProtocolError::WeakKey { .. })), "{text}");
        // R = identity, S = 0 "verifies" for the identity key in plain Ed25519; not here.
        let mut free = [0u8; 64];
        free[0] = 1;
        assert_eq!(did.check_signature(b"anything", &free), SignatureCheck::Weak);
    }

    #[test]
    fn a_signature_with_s_not_below_the_group_order_is_weak() {
        let key = SigningKey::generate();
        let mut sig = key.sign(b"hello");
        assert_eq!(key.did().check_signature(b"hello", &sig), SignatureCheck::Valid);
        // S + L verifies in lax implementations (same point); it is malleated, so refused.
        let mut carry = 0u16;
        for (byte, order) in sig[32..].iter_mut().zip(GROUP_ORDER) {
            let sum = u16::from(*byte) + u16::from(order) + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(key.did().check_signature(b"hello", &sig), SignatureCheck::Weak);
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
