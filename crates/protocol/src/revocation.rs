//! A consumer's signed revocation of a packet they shared.

use serde::{Deserialize, Serialize};

use crate::encoding::random_id;
use crate::jws::{self, Claims};
use crate::{Artifact, Did, ProtocolError, SigningKey, FORMAT_VERSION};

/// The payload of a `tessera-revocation+jwt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationClaims {
    pub ver: u32,
    /// The consumer's per-brand identity: the packet's `iss`.
    pub iss: Did,
    /// The brand: the packet's `aud`.
    pub aud: Did,
    pub iat: i64,
    pub jti: String,
    pub packet_jti: String,
    /// SHA-256 (base64url) of the packet JWS.
    pub packet_hash: String,
}

impl Claims for RevocationClaims {
    const ARTIFACT: Artifact = Artifact::Revocation;
    const MEMBERS: &'static [&'static str] = &["ver", "iss", "aud", "iat", "jti", "packet_jti", "packet_hash"];
    fn issuer(&self) -> &Did {
        &self.iss
    }
    fn check(&self) -> Result<(), ProtocolError> {
        const ARTIFACT: Artifact = Artifact::Revocation;
        jws::check_time(ARTIFACT, "iat", self.iat)?;
        jws::check_id(ARTIFACT, "jti", &self.jti)?;
        jws::check_id(ARTIFACT, "packet_jti", &self.packet_jti)?;
        jws::check_hash(ARTIFACT, "packet_hash", &self.packet_hash)
    }
}

/// Signs a revocation of packet `packet_jti`/`packet_hash`, sent to `brand`, with the same per-brand key that signed the packet.
pub fn sign(
    key: &SigningKey,
    brand: &Did,
    packet_jti: &str,
    packet_hash: &str,
    now: i64,
) -> (String, RevocationClaims) {
    let claims = RevocationClaims {
        ver: FORMAT_VERSION,
        iss: key.did(),
        aud: brand.clone(),
        iat: now,
        jti: random_id(),
        packet_jti: packet_jti.to_owned(),
        packet_hash: packet_hash.to_owned(),
    };
    (jws::sign(&claims, key), claims)
}

/// The revocation signed earlier with id `jti` at time `iat`, signed again: Ed25519 signatures
/// are deterministic, so it is the same JWS, byte for byte. A consumer revoking a packet twice
/// sends the same revocation, and the receipt the brand gave for it still answers it.
pub fn sign_again(
    key: &SigningKey,
    brand: &Did,
    packet_jti: &str,
    packet_hash: &str,
    jti: &str,
    iat: i64,
) -> (String, RevocationClaims) {
    let claims = RevocationClaims {
        ver: FORMAT_VERSION,
        iss: key.did(),
        aud: brand.clone(),
        iat,
        jti: jti.to_owned(),
        packet_jti: packet_jti.to_owned(),
        packet_hash: packet_hash.to_owned(),
    };
    (jws::sign(&claims, key), claims)
}

/// Checks a revocation addressed to `brand`: structure, signature, type, version, audience, issue time.
/// White space around the JWS is ignored.
pub fn verify(jws: &str, brand: &Did, now: i64) -> Result<RevocationClaims, ProtocolError> {
    let claims: RevocationClaims = jws::verify(jws::trim(jws))?;
    jws::check_audience(Artifact::Revocation, &claims.aud, brand)?;
    jws::check_issued(Artifact::Revocation, claims.iat, now)?;
    Ok(claims)
}

impl RevocationClaims {
    /// Checks that this revocation is for the packet `packet_jti`/`packet_hash`
    /// and signed by its consumer `packet_issuer`.
    pub fn check_revokes(&self, packet_jti: &str, packet_hash: &str, packet_issuer: &Did) -> Result<(), ProtocolError> {
        if &self.iss != packet_issuer {
            return Err(ProtocolError::WrongSigner {
                artifact: Artifact::Revocation,
                expected: packet_issuer.to_string(),
                found: self.iss.to_string(),
            });
        }
        jws::check_packet(Artifact::Revocation, (&self.packet_jti, &self.packet_hash), (packet_jti, packet_hash))
    }
}

/// Checks a revocation's signature and format only, and says which packet it revokes.
pub fn inspect(jws: &str) -> Result<RevocationClaims, ProtocolError> {
    jws::verify(jws::trim(jws))
}
