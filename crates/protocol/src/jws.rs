//! JWS compact serialization with EdDSA (Ed25519, RFC 8037), shared by the four artifacts.
//!
//! `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)`, where
//! the header is exactly `{"alg":"EdDSA","typ":…,"kid":…}` and the signature
//! covers the ASCII bytes of the first two parts.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::encoding::{b64url, b64url_decode};
use crate::{Artifact, Did, ProtocolError, SigningKey, FORMAT_VERSION};

/// Largest artifact accepted, in bytes (a packet with a long purchase history fits easily).
pub const MAX_ARTIFACT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// Claims that name their issuer, which must be the signer.
pub(crate) trait Claims: Serialize + DeserializeOwned {
    const ARTIFACT: Artifact;
    fn issuer(&self) -> &Did;
}

/// Signs `claims` with `key`. The caller makes sure `claims.issuer()` is `key.did()`.
pub(crate) fn sign<C: Claims>(claims: &C, key: &SigningKey) -> String {
    let header = Header { alg: "EdDSA".into(), typ: C::ARTIFACT.typ().into(), kid: key.did().key_id() };
    let header = serde_json::to_vec(&header).unwrap_or_else(|e| unreachable!("header serialises: {e}"));
    let payload = serde_json::to_vec(claims).unwrap_or_else(|e| unreachable!("claims serialise: {e}"));
    let signing_input = format!("{}.{}", b64url(&header), b64url(&payload));
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&signature))
}

/// Checks structure, algorithm, signature, `typ`, version and issuer, in that
/// order, and returns the claims. Time, audience and bindings are the caller's.
pub(crate) fn verify<C: Claims>(jws: &str) -> Result<C, ProtocolError> {
    let artifact = C::ARTIFACT;
    let malformed = |detail: &str| ProtocolError::malformed(artifact, detail);
    if jws.len() > MAX_ARTIFACT_BYTES {
        return Err(malformed("larger than 16 MiB"));
    }
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("not a JWS compact serialization (three base64url parts separated by dots)"));
    };
    let header_bytes = b64url_decode(header_b64).ok_or_else(|| malformed("the JWS header is not valid base64url"))?;
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|e| malformed(&format!("the JWS header is not the expected JSON object ({e})")))?;
    if header.alg != "EdDSA" {
        return Err(ProtocolError::UnsupportedAlgorithm { artifact, found: header.alg });
    }
    let signer =
        Did::from_key_id(&header.kid).map_err(|e| malformed(&format!("the JWS header's kid is unusable: {e}")))?;
    let signature =
        b64url_decode(signature_b64).ok_or_else(|| malformed("the JWS signature is not valid base64url"))?;
    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    if signature.len() != 64 || !signer.verify(&jws.as_bytes()[..signing_input_len], &signature) {
        return Err(ProtocolError::BadSignature { artifact, kid: header.kid });
    }
    if header.typ != artifact.typ() {
        let found = match Artifact::from_typ(&header.typ) {
            Some(other) => format!("a {other}"),
            None => format!("of type {:?}", header.typ),
        };
        return Err(ProtocolError::WrongType { expected: artifact, found });
    }
    let payload_bytes =
        b64url_decode(payload_b64).ok_or_else(|| malformed("the JWS payload is not valid base64url"))?;
    let payload: serde_json::Value =
        serde_json::from_slice(&payload_bytes).map_err(|e| malformed(&format!("the payload is not JSON ({e})")))?;
    match payload.get("ver") {
        None => return Err(malformed("the payload has no ver (format version) claim")),
        Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
        Some(other) => {
            return Err(ProtocolError::UnknownVersion { artifact, found: other.to_string(), supported: FORMAT_VERSION })
        }
    }
    let claims: C = serde_json::from_value(payload)
        .map_err(|e| malformed(&format!("the payload does not fit the {artifact} format: {e}")))?;
    if *claims.issuer() != signer {
        return Err(ProtocolError::WrongSigner {
            artifact,
            expected: claims.issuer().to_string(),
            found: signer.to_string(),
        });
    }
    Ok(claims)
}

/// Fails with `Expired` when `now >= exp`.
pub(crate) fn check_not_expired(
    artifact: Artifact,
    what: &'static str,
    exp: i64,
    now: i64,
) -> Result<(), ProtocolError> {
    if now >= exp {
        return Err(ProtocolError::Expired { artifact, what, expired_at: exp, now });
    }
    Ok(())
}

/// Fails with `IssuedInFuture` when `iat` is later than `now` plus the leeway.
pub(crate) fn check_issued(artifact: Artifact, iat: i64, now: i64) -> Result<(), ProtocolError> {
    if iat > now.saturating_add(crate::CLOCK_LEEWAY_SECONDS) {
        return Err(ProtocolError::IssuedInFuture { artifact, issued_at: iat, now });
    }
    Ok(())
}

/// Fails with `WrongAudience` unless `aud` is `expected`.
pub(crate) fn check_audience(artifact: Artifact, aud: &Did, expected: &Did) -> Result<(), ProtocolError> {
    if aud != expected {
        return Err(ProtocolError::WrongAudience { artifact, expected: expected.to_string(), found: aud.to_string() });
    }
    Ok(())
}
