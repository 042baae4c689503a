//! A consumer's signed packet: the items they approved, for one brand, answering one request.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::encoding::{random_id, sha256_b64url};
use crate::jws::{self, Claims};
use crate::request::SignedRequest;
use crate::{Artifact, Did, ItemName, ProtocolError, SigningKey, FORMAT_VERSION};

/// One shared item: which requested item it answers, and with what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedItem {
    /// The requested item this answers.
    pub answers: ItemName,
    /// The item delivered: `answers` itself (exact) or one of its generalisations.
    pub item: ItemName,
    pub value: Value,
}

impl SharedItem {
    /// Whether this item was generalised rather than shared exactly.
    pub fn is_generalised(&self) -> bool {
        self.answers != self.item
    }
}

/// The payload of a `tessera-packet+jwt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketClaims {
    pub ver: u32,
    /// The consumer's per-brand identity.
    pub iss: Did,
    /// The brand's identity (the request's `iss`).
    pub aud: Did,
    pub iat: i64,
    /// The retention end: the brand must purge the data at this instant.
    pub exp: i64,
    pub jti: String,
    pub request_jti: String,
    /// SHA-256 (base64url) of the request JWS this packet answers.
    pub request_hash: String,
    pub request_nonce: String,
    /// The approved items, and only those.
    pub items: Vec<SharedItem>,
}

impl Claims for PacketClaims {
    const ARTIFACT: Artifact = Artifact::Packet;
    const MEMBERS: &'static [&'static str] =
        &["ver", "iss", "aud", "iat", "exp", "jti", "request_jti", "request_hash", "request_nonce", "items"];
    fn issuer(&self) -> &Did {
        &self.iss
    }
    fn check(&self) -> Result<(), ProtocolError> {
        const ARTIFACT: Artifact = Artifact::Packet;
        jws::check_time(ARTIFACT, "iat", self.iat)?;
        jws::check_time(ARTIFACT, "exp", self.exp)?;
        jws::check_id(ARTIFACT, "jti", &self.jti)?;
        jws::check_id(ARTIFACT, "request_jti", &self.request_jti)?;
        jws::check_hash(ARTIFACT, "request_hash", &self.request_hash)?;
        jws::check_id(ARTIFACT, "request_nonce", &self.request_nonce)?;
        if self.exp <= self.iat {
            return Err(ProtocolError::malformed(ARTIFACT, "exp (retention end) is not after iat"));
        }
        check_items(&self.items)
    }
}

/// A packet whose signature, format, audience and dates have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPacket {
    pub jws: String,
    /// SHA-256 of the JWS, base64url: revocations and receipts name the packet by it.
    pub hash: String,
    pub claims: PacketClaims,
}

fn check_items(items: &[SharedItem]) -> Result<(), ProtocolError> {
    if items.is_empty() {
        return Err(ProtocolError::ScopeBeyondRequest { detail: "the packet shares no item".into() });
    }
    let mut answered = HashSet::new();
    for shared in items {
        if !answered.insert(shared.answers) {
            return Err(ProtocolError::ScopeBeyondRequest {
                detail: format!("item {} is answered twice", shared.answers),
            });
        }
        if !shared.answers.may_be_answered_with(&shared.item) {
            return Err(ProtocolError::ScopeBeyondRequest {
                detail: format!("{} is neither {} nor a generalisation of it", shared.item, shared.answers),
            });
        }
        shared.item.validate(&shared.value)?;
    }
    Ok(())
}

/// Checks that every item answers something `request` asked for, in an allowed form.
fn check_scope(items: &[SharedItem], request: &SignedRequest) -> Result<(), ProtocolError> {
    for shared in items {
        if request.requested(&shared.answers).is_none() {
            return Err(ProtocolError::ScopeBeyondRequest {
                detail: format!(
                    "the packet shares {}, which request {} did not ask for",
                    shared.answers, request.claims.jti
                ),
            });
        }
    }
    check_items(items)
}

/// Prepares the claims of a packet answering `request` with `items`, as the
/// consumer identified by `consumer` (their per-brand identity), at `now`.
/// Nothing is signed yet: the claims are what a preview shows.
pub fn draft(
    request: &SignedRequest,
    consumer: &Did,
    items: Vec<SharedItem>,
    now: i64,
) -> Result<PacketClaims, ProtocolError> {
    request.check_answerable(now)?;
    check_scope(&items, request)?;
    let exp = now
        .checked_add(request.claims.retention_seconds())
        .filter(|exp| *exp <= crate::MAX_TIME)
        .ok_or(ProtocolError::TimeOutOfRange { artifact: Artifact::Packet, member: "exp", value: now })?;
    Ok(PacketClaims {
        ver: FORMAT_VERSION,
        iss: consumer.clone(),
        aud: request.claims.iss.clone(),
        iat: now,
        exp,
        jti: random_id(),
        request_jti: request.claims.jti.clone(),
        request_hash: request.hash.clone(),
        request_nonce: request.claims.nonce.clone(),
        items,
    })
}

/// Signs drafted claims with the consumer's per-brand key.
pub fn sign(claims: &PacketClaims, key: &SigningKey) -> Result<VerifiedPacket, ProtocolError> {
    if claims.iss != key.did() {
        return Err(ProtocolError::InvalidKey { detail: "the packet's iss is not the signing key's identity".into() });
    }
    let jws = jws::sign(claims, key);
    Ok(VerifiedPacket { hash: sha256_b64url(jws.as_bytes()), jws, claims: claims.clone() })
}

/// Checks a packet JWS for the brand `brand` at `now`: structure, signature,
/// type, version, members, issuer, audience, times, and the shape
/// of every item. Binding to the request is [`VerifiedPacket::check_answers`].
/// White space around the JWS is ignored; the hash is that of the JWS itself.
pub fn verify(jws: &str, brand: &Did, now: i64) -> Result<VerifiedPacket, ProtocolError> {
    let packet = verify_stored(jws, brand)?;
    jws::check_issued(Artifact::Packet, packet.claims.iat, now)?;
    jws::check_not_expired(Artifact::Packet, "reached its retention end", packet.claims.exp, now)?;
    Ok(packet)
}

/// Reads back a packet that was verified when it was imported: the same parser and the
/// same checks as [`verify`] (signature, strict JSON, members, items, audience), except
/// those of time, so a stored packet reads back exactly as it was accepted.
pub fn verify_stored(jws: &str, brand: &Did) -> Result<VerifiedPacket, ProtocolError> {
    let jws = jws::trim(jws);
    let claims: PacketClaims = jws::verify(jws)?;
    jws::check_audience(Artifact::Packet, &claims.aud, brand)?;
    Ok(VerifiedPacket { hash: sha256_b64url(jws.as_bytes()), jws: jws.to_owned(), claims })
}

/// Checks a packet JWS's signature and format only (not its audience nor its times), to show
/// what it says; a brand imports packets with [`verify`].
pub fn inspect(jws: &str) -> Result<PacketClaims, ProtocolError> {
    jws::verify(jws::trim(jws))
}

impl VerifiedPacket {
    /// The instant a brand that received this packet at `received_at` must delete its data:
    /// the packet's `exp`, or the request's retention counted from reception if that is earlier.
    /// Purges rely on this, never on the packet's times alone.
    pub fn retention_end(&self, request: &SignedRequest, received_at: i64) -> i64 {
        self.claims.exp.min(received_at.saturating_add(request.claims.retention_seconds()))
    }

    /// Checks that this packet answers `request`: same id, hash and nonce,
    /// made while the request was open (not before it was issued, less the clock
    /// leeway, nor after it expired), retention no longer than asked, and only items
    /// the request asked for.
    pub fn check_answers(&self, request: &SignedRequest) -> Result<(), ProtocolError> {
        let claims = &self.claims;
        if claims.request_jti != request.claims.jti
            || claims.request_hash != request.hash
            || claims.request_nonce != request.claims.nonce
        {
            return Err(ProtocolError::RequestHashMismatch { request_jti: request.claims.jti.clone() });
        }
        jws::check_audience(Artifact::Packet, &claims.aud, &request.claims.iss)?;
        if claims.iat < request.claims.iat.saturating_sub(crate::CLOCK_LEEWAY_SECONDS) {
            return Err(ProtocolError::AnsweredBeforeIssue {
                request_jti: request.claims.jti.clone(),
                issued_at: request.claims.iat,
                answered_at: claims.iat,
            });
        }
        if claims.iat >= request.claims.exp {
            return Err(ProtocolError::AnsweredAfterExpiry {
                request_jti: request.claims.jti.clone(),
                expired_at: request.claims.exp,
                answered_at: claims.iat,
            });
        }
        // Both times are within 0..=MAX_TIME (checked when parsing), so this cannot overflow;
        // it is checked all the same.
        let kept = claims.exp.checked_sub(claims.iat).unwrap_or(i64::MAX);
        if kept > request.claims.retention_seconds() {
            return Err(ProtocolError::RetentionBeyondRequest {
                request_jti: request.claims.jti.clone(),
                retention_days: request.claims.retention_days,
                packet_seconds: kept,
            });
        }
        check_scope(&claims.items, request)
    }
}
