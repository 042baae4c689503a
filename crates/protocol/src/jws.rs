//! JWS compact serialization with EdDSA (Ed25519, RFC 8037), shared by the four artifacts.
//!
//! `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)`, where
//! the header is exactly `{"alg":"EdDSA","typ":…,"kid":…}` and the signature
//! covers the ASCII bytes of the first two parts. [`verify`] is the one reader of
//! every artifact: import, read-back and the consumer's checks all go through it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::encoding::{b64url, b64url_decode};
use crate::error::JwsPart;
use crate::identity::SignatureCheck;
use crate::json::{parse_object, StrictJsonError};
use crate::{Artifact, Did, ProtocolError, SigningKey, FORMAT_VERSION};

/// Largest artifact accepted, in bytes (a packet with a long purchase history fits easily).
pub const MAX_ARTIFACT_BYTES: usize = 16 * 1024 * 1024;

/// The members of the header, all required.
const HEADER_MEMBERS: [&str; 3] = ["alg", "typ", "kid"];

/// Claims that name their issuer, which must be the signer.
pub(crate) trait Claims: Serialize + DeserializeOwned {
    const ARTIFACT: Artifact;
    /// The required members of the payload: each must be present.
    const MEMBERS: &'static [&'static str];
    /// Members a payload may leave out (added to a format after files were written without
    /// them). When present, they are never `null`. No member outside these two lists is allowed.
    const OPTIONAL: &'static [&'static str] = &[];
    fn issuer(&self) -> &Did;
    /// The rules the claims obey whatever the context (no clock, no other artifact):
    /// times in range, identifiers and texts well formed, internal consistency.
    fn check(&self) -> Result<(), ProtocolError>;
}

/// Whether `c` is white space a file or a pipe may put around a JWS: space, tab, CR, LF.
fn is_white_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The JWS text without the white space (spaces, tabs, line breaks) a file or a pipe may put
/// around it, nor the byte order mark (U+FEFF) some editors write at the start of a UTF-8
/// file. Neither ever occurs inside a JWS, so this is unambiguous.
pub fn trim(jws: &str) -> &str {
    let jws = jws.trim_start_matches(is_white_space);
    let jws = jws.strip_prefix('\u{FEFF}').unwrap_or(jws);
    jws.trim_matches(is_white_space)
}

/// Signs `claims` with `key`. The caller makes sure `claims.issuer()` is `key.did()`.
pub(crate) fn sign<C: Claims>(claims: &C, key: &SigningKey) -> String {
    let header = serde_json::json!({"alg": "EdDSA", "typ": C::ARTIFACT.typ(), "kid": key.did().key_id()});
    let header = serde_json::to_vec(&header).unwrap_or_else(|e| unreachable!("header serialises: {e}"));
    let payload = serde_json::to_vec(claims).unwrap_or_else(|e| unreachable!("claims serialise: {e}"));
    let signing_input = format!("{}.{}", b64url(&header), b64url(&payload));
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&signature))
}

/// Parses one JSON part strictly (no duplicate member at any depth).
fn parse_part(artifact: Artifact, part: JwsPart, bytes: &[u8]) -> Result<Map<String, Value>, ProtocolError> {
    parse_object(bytes).map_err(|e| match e {
        StrictJsonError::Duplicate(member) => ProtocolError::DuplicateMember { artifact, part, member },
        StrictJsonError::Syntax(detail) => {
            ProtocolError::malformed(artifact, format!("the JWS {part} is not a JSON object: {detail}"))
        }
    })
}

/// Checks that a part has every one of `members`, possibly some of `optional` (never
/// `null`), and no other.
fn check_members(
    artifact: Artifact,
    part: JwsPart,
    object: &Map<String, Value>,
    members: &[&'static str],
    optional: &[&'static str],
) -> Result<(), ProtocolError> {
    let known = |k: &String| members.contains(&k.as_str()) || optional.contains(&k.as_str());
    if let Some(unknown) = object.keys().find(|k| !known(k)) {
        return Err(ProtocolError::UnknownMember { artifact, part, member: unknown.clone() });
    }
    if let Some(missing) = members.iter().find(|m| !object.contains_key(**m)) {
        return Err(ProtocolError::MissingMember { artifact, part, member: missing });
    }
    if let Some(null) = optional.iter().find(|m| object.get(**m).is_some_and(Value::is_null)) {
        return Err(ProtocolError::malformed(
            artifact,
            format!("its {part}'s member {null:?} is null; leave an optional member out instead"),
        ));
    }
    Ok(())
}

fn header_text(artifact: Artifact, header: &Map<String, Value>, member: &str) -> Result<String, ProtocolError> {
    header
        .get(member)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ProtocolError::malformed(artifact, format!("the JWS header's {member} is not a string")))
}

/// Checks structure, algorithm, signature, `typ`, version, members and issuer, in that
/// order, and returns the claims. Time, audience and bindings are the caller's.
/// `jws` must already be trimmed (see [`trim`]).
pub(crate) fn verify<C: Claims>(jws: &str) -> Result<C, ProtocolError> {
    let artifact = C::ARTIFACT;
    let malformed = |detail: &str| ProtocolError::malformed(artifact, detail);
    if jws.len() > MAX_ARTIFACT_BYTES {
        return Err(malformed("larger than 16 MiB"));
    }
    let not_compact = "not a JWS compact serialization (three base64url parts separated by dots)";
    if let Some(space) = jws.chars().find(|c| c.is_ascii_whitespace() || *c == '\u{0B}') {
        let unwrapped: String = jws.chars().filter(|c| !(c.is_ascii_whitespace() || *c == '\u{0B}')).collect();
        let looks_wrapped = unwrapped.split('.').count() == 3
            && unwrapped.split('.').all(|part| !part.is_empty() && b64url_decode(part).is_some());
        if !looks_wrapped {
            return Err(malformed(not_compact));
        }
        if !is_white_space(space) {
            return Err(malformed(&format!(
                "the JWS has the control character U+{:04X} (a form feed or vertical tab) in it or around it; only \
                 spaces, tabs and line breaks may surround a JWS",
                u32::from(space)
            )));
        }
        return Err(malformed(
            "the JWS has spaces or line breaks inside it (was it wrapped by a mail program?); it must be one line",
        ));
    }
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(not_compact));
    };
    let header_bytes = b64url_decode(header_b64).ok_or_else(|| malformed("the JWS header is not valid base64url"))?;
    let header = parse_part(artifact, JwsPart::Header, &header_bytes)?;
    check_members(artifact, JwsPart::Header, &header, &HEADER_MEMBERS, &[])?;
    let (alg, typ, kid) = (
        header_text(artifact, &header, "alg")?,
        header_text(artifact, &header, "typ")?,
        header_text(artifact, &header, "kid")?,
    );
    if alg != "EdDSA" {
        return Err(ProtocolError::UnsupportedAlgorithm { artifact, found: alg });
    }
    let signer = Did::from_key_id(&kid).map_err(|e| match e {
        weak @ ProtocolError::WeakKey { .. } => weak,
        other => malformed(&format!("the JWS header's kid is unusable: {other}")),
    })?;
    let signature =
        b64url_decode(signature_b64).ok_or_else(|| malformed("the JWS signature is not valid base64url"))?;
    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    match signer.check_signature(&jws.as_bytes()[..signing_input_len], &signature) {
        SignatureCheck::Valid => {}
        SignatureCheck::Weak => return Err(ProtocolError::WeakSignature { artifact, kid }),
        SignatureCheck::Invalid => return Err(ProtocolError::BadSignature { artifact, kid }),
    }
    if typ != artifact.typ() {
        let found = match Artifact::from_typ(&typ) {
            Some(other) => format!("a {other}"),
            None => format!("of type {typ:?}"),
        };
        return Err(ProtocolError::WrongType { expected: artifact, found });
    }
    let payload_bytes =
        b64url_decode(payload_b64).ok_or_else(|| malformed("the JWS payload is not valid base64url"))?;
    let payload = parse_part(artifact, JwsPart::Payload, &payload_bytes)?;
    match payload.get("ver") {
        None => return Err(ProtocolError::MissingMember { artifact, part: JwsPart::Payload, member: "ver" }),
        Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
        Some(other) => {
            return Err(ProtocolError::UnknownVersion { artifact, found: other.to_string(), supported: FORMAT_VERSION })
        }
    }
    check_members(artifact, JwsPart::Payload, &payload, C::MEMBERS, C::OPTIONAL)?;
    let claims: C =
        crate::json::from_value(Value::Object(payload), "the payload").map_err(|words| malformed(&words))?;
    claims.check()?;
    if *claims.issuer() != signer {
        return Err(ProtocolError::WrongSigner {
            artifact,
            expected: claims.issuer().to_string(),
            found: signer.to_string(),
        });
    }
    Ok(claims)
}

/// Fails with `TimeOutOfRange` unless `value` is a time from 1970 to 9999.
pub(crate) fn check_time(artifact: Artifact, member: &'static str, value: i64) -> Result<(), ProtocolError> {
    if !(0..=crate::MAX_TIME).contains(&value) {
        return Err(ProtocolError::TimeOutOfRange { artifact, member, value });
    }
    Ok(())
}

/// Fails with `InvalidIdentifier` unless `value` is a well-formed identifier.
pub(crate) fn check_id(artifact: Artifact, member: &'static str, value: &str) -> Result<(), ProtocolError> {
    crate::encoding::check_identifier(value).map_err(|problem| ProtocolError::InvalidIdentifier {
        artifact,
        member,
        problem,
    })
}

/// Fails with `InvalidIdentifier` unless `value` is a well-formed SHA-256 hash.
pub(crate) fn check_hash(artifact: Artifact, member: &'static str, value: &str) -> Result<(), ProtocolError> {
    crate::encoding::check_hash(value).map_err(|problem| ProtocolError::InvalidIdentifier { artifact, member, problem })
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

/// Fails with `PacketMismatch` (another id) or `PacketHashMismatch` (same id, another
/// packet) unless `found` names the packet `expected`, both as `(jti, hash)`.
pub(crate) fn check_packet(
    artifact: Artifact,
    found: (&str, &str),
    expected: (&str, &str),
) -> Result<(), ProtocolError> {
    if found.0 != expected.0 {
        return Err(ProtocolError::PacketMismatch {
            artifact,
            expected: expected.0.to_owned(),
            found: found.0.to_owned(),
        });
    }
    if found.1 != expected.1 {
        return Err(ProtocolError::PacketHashMismatch {
            artifact,
            packet_jti: expected.0.to_owned(),
            expected: expected.1.to_owned(),
            found: found.1.to_owned(),
        });
    }
    Ok(())
}
