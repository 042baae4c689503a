//! Authoring and signing the brand's requests.

use rusqlite::{params, OptionalExtension};
use tessera_protocol::request::{self, RequestSpec, SignedRequest};
use tessera_protocol::{Artifact, ProtocolError};

use crate::data::Unreadable;
use crate::{BrandError, BrandStore, Result};

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

impl BrandStore {
    /// Signs a request for `spec`, issued at `now`, and records it so packets answering it can be imported.
    pub fn create_request(&mut self, spec: &RequestSpec, now: i64) -> Result<SignedRequest> {
        let signed = request::sign(spec, &self.name, &self.age_recipient, &self.signing_key, now)?;
        self.conn.execute(
            "INSERT INTO requests (jti, jws, hash, iat, exp) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![signed.claims.jti, signed.jws, signed.hash, signed.claims.iat, signed.claims.exp],
        )?;
        self.request_cache.insert(signed.claims.jti.clone(), signed.clone());
        Ok(signed)
    }

    /// The brand's own request `jti`, verified once per session.
    pub fn request(&mut self, jti: &str) -> Result<SignedRequest> {
        if let Some(found) = self.request_cache.get(jti) {
            return Ok(found.clone());
        }
        let jws: Option<String> = self
            .conn
            .prepare_cached("SELECT jws FROM requests WHERE jti = ?1")?
            .query_row([jti], |r| r.get(0))
            .optional()?;
        let jws = jws.ok_or_else(|| BrandError::UnknownRequest { request_jti: jti.to_owned() })?;
        let verified = request::verify(&jws)?;
        if verified.brand() != &self.did {
            return Err(ProtocolError::WrongSigner {
                artifact: Artifact::Request,
                expected: self.did.to_string(),
                found: verified.brand().to_string(),
            }
            .into());
        }
        self.request_cache.insert(jti.to_owned(), verified.clone());
        Ok(verified)
    }

    /// Every request issued, newest first, with those that no longer verify listed apart.
    pub fn requests(&mut self) -> Result<RequestListing> {
        let rows: Vec<(String, u64)> = {
            let mut stmt = self.conn.prepare(
                "SELECT r.jti, (SELECT COUNT(*) FROM packets p WHERE p.request_jti = r.jti) FROM requests r ORDER BY r.iat DESC, r.jti",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            rows
        };
        let mut listing = RequestListing::default();
        for (jti, packets_held) in rows {
            match self.request(&jti) {
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
