//! Authoring and signing the brand's requests.

use tessera_protocol::request::{self, RequestSpec, SignedRequest};
use tessera_protocol::{Artifact, ProtocolError};

use crate::backend::RequestRow;
use crate::data::Unreadable;
use crate::{BrandError, Result, Store};

/// A request the brand issued, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRequest {
    pub request: SignedRequest,
    /// How many packets answering it are held now.
    pub packets_held: u64,
}

/// A stored request that no longer verifies (altered on disk, or written by an older,
/// laxer Tessera): packets answering it cannot be imported; the others are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRequest {
    pub request_jti: String,
    pub reason: Unreadable,
}

/// Every request issued: those that verify, and those that do not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestListing {
    pub requests: Vec<IssuedRequest>,
    pub unreadable: Vec<UnreadableRequest>,
}

impl Store {
    /// Signs a request for `spec`, issued at `now`, whose packets are POSTed to `response_uri`
    /// when one is given (else answered with files), and records it so packets answering it
    /// can be imported.
    pub async fn create_request(
        &self,
        spec: &RequestSpec,
        response_uri: Option<&str>,
        now: i64,
    ) -> Result<SignedRequest> {
        let signed =
            request::sign_for_inbox(spec, &self.name, &self.age_recipient, response_uri, &self.keys.signing_key, now)?;
        self.backend
            .insert_request(RequestRow {
                jti: signed.claims.jti.clone(),
                jws: signed.jws.clone(),
                hash: signed.hash.clone(),
                iat: signed.claims.iat,
                exp: signed.claims.exp,
            })
            .await?;
        self.cache_request(signed.clone());
        Ok(signed)
    }

    fn cache_request(&self, request: SignedRequest) {
        let mut cache = self.request_cache.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Requests are few; a brand with very many keeps only the recent ones in memory.
        if cache.len() >= 10_000 {
            cache.clear();
        }
        cache.insert(request.claims.jti.clone(), request);
    }

    /// The brand's own request `jti`, verified once per process.
    pub async fn request(&self, jti: &str) -> Result<SignedRequest> {
        let cached = self.request_cache.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(jti).cloned();
        if let Some(found) = cached {
            return Ok(found);
        }
        let jws = self
            .backend
            .request_jws(jti)
            .await?
            .ok_or_else(|| BrandError::UnknownRequest { request_jti: jti.to_owned() })?;
        let verified = request::verify(&jws)?;
        if verified.brand() != &self.keys.did {
            return Err(ProtocolError::WrongSigner {
                artifact: Artifact::Request,
                expected: self.keys.did.to_string(),
                found: verified.brand().to_string(),
            }
            .into());
        }
        self.cache_request(verified.clone());
        Ok(verified)
    }

    /// Every request issued, newest first, with those that no longer verify listed apart.
    pub async fn requests(&self) -> Result<RequestListing> {
        let mut listing = RequestListing::default();
        for (jti, packets_held) in self.backend.request_counts().await? {
            match self.request(&jti).await {
                Ok(request) => listing.requests.push(IssuedRequest { request, packets_held }),
                Err(BrandError::Protocol(e)) => {
                    listing.unreadable.push(UnreadableRequest { request_jti: jti, reason: Unreadable::Invalid(e) })
                }
                Err(other) => return Err(other),
            }
        }
        Ok(listing)
    }
}
