//! Consumers, made in-process with the protocol crate: each answers a request with a packet
//! file (as the app would send it) and can revoke it.

use serde_json::json;
use tessera_protocol::packet::{self, SharedItem};
use tessera_protocol::request::{self, SignedRequest};
use tessera_protocol::{derive_brand_key, envelope, revocation, MasterSecret, SigningKey};

/// A consumer and the packet they sent.
#[derive(Debug)]
pub struct Answer {
    pub key: SigningKey,
    pub packet_jti: String,
    pub packet_hash: String,
    /// The age file, as POSTed.
    pub file: Vec<u8>,
    /// The e-mail address shared: a canary to look for on disk.
    pub email: String,
}

/// Reads a request file's JWS.
pub fn read_request(jws: &str) -> SignedRequest {
    request::verify(jws).expect("a valid request")
}

/// A new consumer answers `request` at `now`, sharing the e-mail `email` (the request must ask for `email`).
pub fn answer(request: &SignedRequest, email: &str, now: i64) -> Answer {
    let key = derive_brand_key(&MasterSecret::generate(), request.brand());
    let items =
        vec![SharedItem { answers: "email".parse().unwrap(), item: "email".parse().unwrap(), value: json!(email) }];
    let claims = packet::draft(request, &key.did(), items, now).expect("draft");
    let signed = packet::sign(&claims, &key).expect("sign");
    let file = envelope::seal(&signed.jws, &request.claims.age_recipient).expect("seal");
    Answer {
        key,
        packet_jti: signed.claims.jti.clone(),
        packet_hash: signed.hash.clone(),
        file,
        email: email.to_owned(),
    }
}

impl Answer {
    /// The consumer's revocation of this packet, signed at `now`.
    pub fn revocation(&self, request: &SignedRequest, now: i64) -> String {
        revocation::sign(&self.key, request.brand(), &self.packet_jti, &self.packet_hash, now).0
    }
}

/// Unix time now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}
