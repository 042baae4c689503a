//! A brand's signed request: what it wants, why, for how long, and what it offers.

use serde::{Deserialize, Serialize};

use crate::encoding::{random_id, sha256_b64url};
use crate::jws::{self, Claims};
use crate::{Artifact, Did, ItemName, ProtocolError, SigningKey, FORMAT_VERSION};

/// Longest retention a request may ask for: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// One item a brand asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestedItem {
    pub item: ItemName,
    /// Why the brand wants it, in the brand's words, shown to the consumer.
    pub purpose: String,
    /// Whether the offer depends on this item. The consumer may still deny it.
    pub required: bool,
}

/// The payload of a `tessera-request+jwt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestClaims {
    pub ver: u32,
    /// The brand's identity; signs the request and, later, deletion receipts.
    pub iss: Did,
    pub iat: i64,
    /// After this instant the request can no longer be answered.
    pub exp: i64,
    pub jti: String,
    /// Random value a packet must repeat, binding it to this very request.
    pub nonce: String,
    pub brand_name: String,
    /// The brand's age X25519 recipient (`age1…`) that packets are encrypted to.
    pub age_recipient: String,
    pub items: Vec<RequestedItem>,
    /// How many days the brand keeps shared data before purging it.
    pub retention_days: u32,
    /// What the consumer gets in exchange.
    pub offer: String,
}

impl Claims for RequestClaims {
    const ARTIFACT: Artifact = Artifact::Request;
    fn issuer(&self) -> &Did {
        &self.iss
    }
}

/// What a brand writes to make a request; identifiers and times are filled in when signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub items: Vec<RequestedItem>,
    pub retention_days: u32,
    pub offer: String,
    /// How many days the consumer has to answer.
    pub valid_days: u32,
}

/// A request whose signature, format and version have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The JWS compact serialization, exactly as signed.
    pub jws: String,
    /// SHA-256 of the JWS, base64url: packets carry it as `request_hash`.
    pub hash: String,
    pub claims: RequestClaims,
}

fn check_text(field: &str, text: &str, max_chars: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    if text.chars().count() > max_chars {
        return Err(format!("{field} is longer than {max_chars} characters"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!("{field} contains control characters"));
    }
    Ok(())
}

/// Rules every request obeys, checked when signing and when verifying.
fn check_claims(claims: &RequestClaims) -> Result<(), String> {
    check_text("brand_name", &claims.brand_name, 200)?;
    check_text("offer", &claims.offer, 2000)?;
    check_text("jti", &claims.jti, 64)?;
    check_text("nonce", &claims.nonce, 64)?;
    if claims.items.is_empty() {
        return Err("the request asks for no item".into());
    }
    for (i, item) in claims.items.iter().enumerate() {
        check_text(&format!("purpose of {}", item.item), &item.purpose, 500)?;
        if claims.items[..i].iter().any(|earlier| earlier.item == item.item) {
            return Err(format!("item {} is asked for twice", item.item));
        }
    }
    if claims.retention_days == 0 || claims.retention_days > MAX_RETENTION_DAYS {
        return Err(format!("retention_days must be from 1 to {MAX_RETENTION_DAYS}, not {}", claims.retention_days));
    }
    if claims.exp <= claims.iat {
        return Err("exp is not after iat".into());
    }
    claims
        .age_recipient
        .parse::<age::x25519::Recipient>()
        .map_err(|e| format!("age_recipient is not an age X25519 recipient (age1…): {e}"))?;
    Ok(())
}

/// Signs a new request for `spec` with the brand's `key`, issued at `now`.
pub fn sign(
    spec: &RequestSpec,
    brand_name: &str,
    age_recipient: &str,
    key: &SigningKey,
    now: i64,
) -> Result<SignedRequest, ProtocolError> {
    if spec.valid_days == 0 || spec.valid_days > 366 {
        return Err(ProtocolError::InvalidRequest {
            detail: format!("valid_days must be from 1 to 366, not {}", spec.valid_days),
        });
    }
    let claims = RequestClaims {
        ver: FORMAT_VERSION,
        iss: key.did(),
        iat: now,
        exp: now + i64::from(spec.valid_days) * 86_400,
        jti: random_id(),
        nonce: random_id(),
        brand_name: brand_name.to_owned(),
        age_recipient: age_recipient.to_owned(),
        items: spec.items.clone(),
        retention_days: spec.retention_days,
        offer: spec.offer.clone(),
    };
    check_claims(&claims).map_err(|detail| ProtocolError::InvalidRequest { detail })?;
    let jws = jws::sign(&claims, key);
    Ok(SignedRequest { hash: sha256_b64url(jws.as_bytes()), jws, claims })
}

/// Checks a request's structure, signature, type and version. Time is not
/// checked here: see [`SignedRequest::check_answerable`].
pub fn verify(jws: &str) -> Result<SignedRequest, ProtocolError> {
    let claims: RequestClaims = jws::verify(jws)?;
    check_claims(&claims).map_err(|detail| ProtocolError::malformed(Artifact::Request, detail))?;
    Ok(SignedRequest { hash: sha256_b64url(jws.as_bytes()), jws: jws.to_owned(), claims })
}

impl SignedRequest {
    /// The brand's identity.
    pub fn brand(&self) -> &Did {
        &self.claims.iss
    }

    /// Fails unless the request can be answered at `now`: issued, not expired.
    pub fn check_answerable(&self, now: i64) -> Result<(), ProtocolError> {
        jws::check_issued(Artifact::Request, self.claims.iat, now)?;
        jws::check_not_expired(Artifact::Request, "expired", self.claims.exp, now)
    }

    /// The requested entry for `item`, if asked.
    pub fn requested(&self, item: &ItemName) -> Option<&RequestedItem> {
        self.claims.items.iter().find(|r| &r.item == item)
    }
}
