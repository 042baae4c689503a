//! The one error type of the protocol: each variant names what failed.

use std::fmt;

/// The four signed artifacts of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    Request,
    Packet,
    Revocation,
    Receipt,
}

impl Artifact {
    /// The JOSE `typ` header value of this artifact.
    pub fn typ(self) -> &'static str {
        match self {
            Artifact::Request => "tessera-request+jwt",
            Artifact::Packet => "tessera-packet+jwt",
            Artifact::Revocation => "tessera-revocation+jwt",
            Artifact::Receipt => "tessera-receipt+jwt",
        }
    }

    /// The artifact whose `typ` this is, if any.
    pub fn from_typ(typ: &str) -> Option<Artifact> {
        [Artifact::Request, Artifact::Packet, Artifact::Revocation, Artifact::Receipt]
            .into_iter()
            .find(|a| a.typ() == typ)
    }
}

impl fmt::Display for Artifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Artifact::Request => "request",
            Artifact::Packet => "packet",
            Artifact::Revocation => "revocation",
            Artifact::Receipt => "deletion receipt",
        })
    }
}

/// Why an artifact was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("malformed {artifact}: {detail}")]
    Malformed { artifact: Artifact, detail: String },

    #[error("unsupported signature algorithm {found:?} in the {artifact}: only EdDSA (Ed25519) is accepted")]
    UnsupportedAlgorithm { artifact: Artifact, found: String },

    #[error(
        "bad signature: this {artifact} was not signed by the key it names ({kid}), or it was altered after signing"
    )]
    BadSignature { artifact: Artifact, kid: String },

    #[error("wrong type: expected a {expected} ({}), but this file is {found}", expected.typ())]
    WrongType { expected: Artifact, found: String },

    #[error("unknown version {found} of the {artifact} format: this Tessera understands version {supported}; update Tessera or ask the sender for version {supported}")]
    UnknownVersion { artifact: Artifact, found: String, supported: u32 },

    #[error("wrong signer: this {artifact} should be signed by {expected}, but it is signed by {found}")]
    WrongSigner { artifact: Artifact, expected: String, found: String },

    #[error("wrong audience: this {artifact} is addressed to {found}, not to {expected}")]
    WrongAudience { artifact: Artifact, expected: String, found: String },

    #[error("expired: this {artifact} {what} on {}, and it is now {}", crate::display_time(*expired_at), crate::display_time(*now))]
    Expired { artifact: Artifact, what: &'static str, expired_at: i64, now: i64 },

    #[error("expired: request {request_jti} expired on {}, but this packet was made later, on {}", crate::display_time(*expired_at), crate::display_time(*answered_at))]
    AnsweredAfterExpiry { request_jti: String, expired_at: i64, answered_at: i64 },

    #[error("not yet valid: this {artifact} says it was issued on {}, in the future (it is now {}); check the computer's clock", crate::display_time(*issued_at), crate::display_time(*now))]
    IssuedInFuture { artifact: Artifact, issued_at: i64, now: i64 },

    #[error("scope beyond the request: {detail}")]
    ScopeBeyondRequest { detail: String },

    #[error("request hash mismatch: this packet answers a request that differs from request {request_jti} held here")]
    RequestHashMismatch { request_jti: String },

    #[error("wrong packet: this {artifact} refers to packet {found}, not to packet {expected}")]
    PacketMismatch { artifact: Artifact, expected: String, found: String },

    #[error("cannot decrypt the packet file: {detail}")]
    Decryption { detail: String },

    #[error("cannot encrypt the packet: {detail}")]
    Encryption { detail: String },

    #[error("invalid identity {found:?}: {detail}")]
    InvalidDid { found: String, detail: String },

    #[error("unknown item {found:?}: it is not in Tessera's item vocabulary")]
    UnknownItem { found: String },

    #[error("invalid value for item {item}: {detail}")]
    InvalidItemValue { item: String, detail: String },

    #[error("cannot answer item {item}: {detail}")]
    CannotAnswer { item: String, detail: String },

    #[error("invalid request: {detail}")]
    InvalidRequest { detail: String },

    #[error("invalid key: {detail}")]
    InvalidKey { detail: String },
}

impl ProtocolError {
    pub(crate) fn malformed(artifact: Artifact, detail: impl Into<String>) -> Self {
        ProtocolError::Malformed { artifact, detail: detail.into() }
    }
}
