//! A brand's signed request: what it wants, why, for how long, and what it offers.

use serde::{Deserialize, Serialize};

use crate::encoding::{random_id, sha256_b64url};
use crate::envelope::RecipientProblem;
use crate::jws::{self, Claims};
use crate::{text, Artifact, Did, ItemName, ProtocolError, SigningKey, FORMAT_VERSION};

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
    /// Where packets answering this request are POSTed (the brand's inbox; OpenID4VP's
    /// `response_uri`). Optional: a request without it is answered with a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_uri: Option<String>,
}

impl Claims for RequestClaims {
    const ARTIFACT: Artifact = Artifact::Request;
    const MEMBERS: &'static [&'static str] = &[
        "ver",
        "iss",
        "iat",
        "exp",
        "jti",
        "nonce",
        "brand_name",
        "age_recipient",
        "items",
        "retention_days",
        "offer",
    ];
    const OPTIONAL: &'static [&'static str] = &["response_uri"];
    fn issuer(&self) -> &Did {
        &self.iss
    }
    fn check(&self) -> Result<(), ProtocolError> {
        check_claims(self)
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

impl RequestSpec {
    /// Reads a request spec written in JSON, saying in plain words what does not fit (which
    /// member, what was found, what is expected).
    pub fn from_json(bytes: &[u8]) -> Result<RequestSpec, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("it is not JSON: {}", crate::json::plain_syntax_error(&e)))?;
        crate::json::from_value(value, "the spec")
    }
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

/// Longest brand name, in characters.
pub const MAX_BRAND_NAME_CHARS: usize = 200;

/// Longest offer: characters and lines.
pub const MAX_OFFER_CHARS: usize = 2000;
pub const MAX_OFFER_LINES: usize = 12;

/// Longest purpose of an item: characters and lines.
pub const MAX_PURPOSE_CHARS: usize = 500;
pub const MAX_PURPOSE_LINES: usize = 4;

fn text_error(field: impl Into<String>, problem: crate::text::TextProblem) -> ProtocolError {
    ProtocolError::InvalidText { artifact: Artifact::Request, field: field.into(), problem }
}

/// Rules every request obeys, checked when signing and when verifying.
fn check_claims(claims: &RequestClaims) -> Result<(), ProtocolError> {
    const ARTIFACT: Artifact = Artifact::Request;
    jws::check_time(ARTIFACT, "iat", claims.iat)?;
    jws::check_time(ARTIFACT, "exp", claims.exp)?;
    jws::check_id(ARTIFACT, "jti", &claims.jti)?;
    jws::check_id(ARTIFACT, "nonce", &claims.nonce)?;
    text::check_name(&claims.brand_name, MAX_BRAND_NAME_CHARS).map_err(|p| text_error("brand_name", p))?;
    text::check_display_text(&claims.offer, MAX_OFFER_CHARS, MAX_OFFER_LINES).map_err(|p| text_error("offer", p))?;
    if claims.items.is_empty() {
        return Err(ProtocolError::malformed(ARTIFACT, "the request asks for no item"));
    }
    for (i, item) in claims.items.iter().enumerate() {
        text::check_display_text(&item.purpose, MAX_PURPOSE_CHARS, MAX_PURPOSE_LINES)
            .map_err(|p| text_error(format!("the purpose of {}", item.item), p))?;
        if claims.items[..i].iter().any(|earlier| earlier.item == item.item) {
            return Err(ProtocolError::malformed(ARTIFACT, format!("item {} is asked for twice", item.item)));
        }
    }
    if claims.retention_days == 0 || claims.retention_days > MAX_RETENTION_DAYS {
        return Err(ProtocolError::malformed(
            ARTIFACT,
            format!("retention_days must be from 1 to {MAX_RETENTION_DAYS}, not {}", claims.retention_days),
        ));
    }
    if claims.exp <= claims.iat {
        return Err(ProtocolError::malformed(ARTIFACT, "exp is not after iat"));
    }
    crate::envelope::parse_recipient(&claims.age_recipient).map_err(|problem| match problem {
        RecipientProblem::NotARecipient(e) => {
            ProtocolError::malformed(ARTIFACT, format!("age_recipient is not an age X25519 recipient (age1…): {e}"))
        }
        RecipientProblem::SmallOrder => ProtocolError::WeakRecipient { found: claims.age_recipient.clone() },
    })?;
    if let Some(uri) = &claims.response_uri {
        crate::inbox::check_response_uri(uri).map_err(|problem| ProtocolError::InvalidResponseUri { problem })?;
    }
    Ok(())
}

impl RequestClaims {
    /// How long the brand may keep shared data, in seconds.
    pub fn retention_seconds(&self) -> i64 {
        i64::from(self.retention_days) * crate::DAY_SECONDS
    }
}

/// Signs a new request for `spec` with the brand's `key`, issued at `now`, answered with files
/// (no `response_uri`).
pub fn sign(
    spec: &RequestSpec,
    brand_name: &str,
    age_recipient: &str,
    key: &SigningKey,
    now: i64,
) -> Result<SignedRequest, ProtocolError> {
    sign_for_inbox(spec, brand_name, age_recipient, None, key, now)
}

/// Signs a new request for `spec` with the brand's `key`, issued at `now`, whose packets are
/// POSTed to `response_uri` (see [`crate::inbox::check_response_uri`]) when one is given.
pub fn sign_for_inbox(
    spec: &RequestSpec,
    brand_name: &str,
    age_recipient: &str,
    response_uri: Option<&str>,
    key: &SigningKey,
    now: i64,
) -> Result<SignedRequest, ProtocolError> {
    if spec.valid_days == 0 || spec.valid_days > 366 {
        return Err(ProtocolError::InvalidRequest {
            detail: format!("valid_days must be from 1 to 366, not {}", spec.valid_days),
        });
    }
    let exp = now
        .checked_add(i64::from(spec.valid_days) * crate::DAY_SECONDS)
        .ok_or_else(|| ProtocolError::InvalidRequest { detail: format!("the time {now} is out of range") })?;
    let claims = RequestClaims {
        ver: FORMAT_VERSION,
        iss: key.did(),
        iat: now,
        exp,
        jti: random_id(),
        nonce: random_id(),
        brand_name: brand_name.to_owned(),
        age_recipient: age_recipient.to_owned(),
        items: spec.items.clone(),
        retention_days: spec.retention_days,
        offer: spec.offer.clone(),
        response_uri: response_uri.map(str::to_owned),
    };
    check_claims(&claims)?;
    let jws = jws::sign(&claims, key);
    Ok(SignedRequest { hash: sha256_b64url(jws.as_bytes()), jws, claims })
}

/// Checks a request's structure, signature, type and version. Time is not
/// checked here: see [`SignedRequest::check_answerable`].
/// White space around the JWS (a file's final line break) is ignored; the hash is that
/// of the JWS itself.
pub fn verify(jws: &str) -> Result<SignedRequest, ProtocolError> {
    let jws = jws::trim(jws);
    let claims: RequestClaims = jws::verify(jws)?;
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

    /// The endpoints of the brand's inbox, when the request names one.
    pub fn inbox(&self) -> Option<crate::inbox::Endpoints> {
        let uri = self.claims.response_uri.as_deref()?;
        crate::inbox::Endpoints::from_response_uri(uri).ok()
    }

    /// The requested entry for `item`, if asked.
    pub fn requested(&self, item: &ItemName) -> Option<&RequestedItem> {
        self.claims.items.iter().find(|r| &r.item == item)
    }
}
