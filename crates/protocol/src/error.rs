//! The one error type of the protocol: each variant names what failed, and maps to a stable
//! [`ProtocolError::code`] that test vectors, the app and other implementations can rely on.

use std::fmt;

use crate::text::TextProblem;

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

/// The two JSON parts of a JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsPart {
    Header,
    Payload,
}

impl fmt::Display for JwsPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwsPart::Header => "header",
            JwsPart::Payload => "payload",
        })
    }
}

/// Why an artifact was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("malformed {artifact}: {detail}")]
    Malformed { artifact: Artifact, detail: String },

    #[error(
        "malformed {artifact}: its {part} repeats the member {member:?}; a JSON object must name each member once"
    )]
    DuplicateMember { artifact: Artifact, part: JwsPart, member: String },

    #[error("malformed {artifact}: its {part} lacks the required member {member:?}")]
    MissingMember { artifact: Artifact, part: JwsPart, member: &'static str },

    #[error("malformed {artifact}: its {part} has the member {member:?}, which the {artifact} format does not have")]
    UnknownMember { artifact: Artifact, part: JwsPart, member: String },

    #[error("malformed {artifact}: {member} = {value} is not a time between 1970 and 9999 (Unix seconds from 0 to {max})", max = crate::MAX_TIME)]
    TimeOutOfRange { artifact: Artifact, member: &'static str, value: i64 },

    #[error("malformed {artifact}: {field} {problem}")]
    InvalidText { artifact: Artifact, field: String, problem: TextProblem },

    #[error("malformed {artifact}: {member} {problem}")]
    InvalidIdentifier { artifact: Artifact, member: &'static str, problem: crate::encoding::IdentifierProblem },

    #[error("unsupported signature algorithm {found:?} in the {artifact}: only EdDSA (Ed25519) is accepted")]
    UnsupportedAlgorithm { artifact: Artifact, found: String },

    #[error(
        "bad signature: this {artifact} was not signed by the key it names ({kid}), or it was altered after signing"
    )]
    BadSignature { artifact: Artifact, kid: String },

    #[error("weak signature: this {artifact}'s signature is not in canonical form or uses a small-order point, which no honest signer produces; it is refused")]
    WeakSignature { artifact: Artifact, kid: String },

    #[error("weak key: {found} is an Ed25519 key that anyone can sign for (a small-order point) or is not canonically encoded; it is refused")]
    WeakKey { found: String },

    #[error("weak key: the age_recipient {found} is an X25519 key of small order: whatever is encrypted to it could be read by anyone, so nothing is encrypted to it")]
    WeakRecipient { found: String },

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

    #[error("answered after expiry: request {request_jti} expired on {}, but this packet was made later, on {}", crate::display_time(*expired_at), crate::display_time(*answered_at))]
    AnsweredAfterExpiry { request_jti: String, expired_at: i64, answered_at: i64 },

    #[error("answered before issue: this packet says it was made on {}, before request {request_jti} was issued on {}", crate::display_time(*answered_at), crate::display_time(*issued_at))]
    AnsweredBeforeIssue { request_jti: String, issued_at: i64, answered_at: i64 },

    #[error("not yet valid: this {artifact} says it was issued on {}, in the future (it is now {}); check the computer's clock", crate::display_time(*issued_at), crate::display_time(*now))]
    IssuedInFuture { artifact: Artifact, issued_at: i64, now: i64 },

    #[error("scope beyond the request: {detail}")]
    ScopeBeyondRequest { detail: String },

    #[error("retention beyond the request: the packet keeps the data {}, longer than the {retention_days} days request {request_jti} allows", duration_text(*packet_seconds))]
    RetentionBeyondRequest { request_jti: String, retention_days: u32, packet_seconds: i64 },

    #[error("request hash mismatch: this packet answers a request that differs from request {request_jti} held here")]
    RequestHashMismatch { request_jti: String },

    #[error("wrong packet: this {artifact} refers to packet {found}, not to packet {expected}")]
    PacketMismatch { artifact: Artifact, expected: String, found: String },

    #[error("wrong packet: this {artifact} names packet {packet_jti} but with another hash ({found}) than the packet held ({expected}): it is about a different packet that reuses the id")]
    PacketHashMismatch { artifact: Artifact, packet_jti: String, expected: String, found: String },

    #[error("inconsistent deletion receipt: {detail}; it does not prove the deletion and is refused")]
    InconsistentReceipt { detail: String },

    #[error("cannot decrypt the packet file: {detail}")]
    Decryption { detail: String },

    #[error("refused packet file: it is encrypted to {x25519} X25519 recipient(s){}, but a packet is encrypted to its brand alone (one X25519 recipient)", others_text(others))]
    PacketRecipients { x25519: usize, others: Vec<String> },

    #[error("refused packet file: its age header {problem}, far more than a packet file needs (one X25519 stanza and a few small grease stanzas); it is not read further")]
    PacketHeaderTooLarge { problem: crate::envelope::HeaderProblem },

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

    #[error("malformed request: its response_uri (the inbox packets are sent to) {problem}")]
    InvalidResponseUri { problem: crate::inbox::UriProblem },

    #[error("invalid key: {detail}")]
    InvalidKey { detail: String },
}

/// A duration in days, hours, minutes and seconds (`30 days and 1 s`), for messages.
fn duration_text(seconds: i64) -> String {
    let days = seconds / crate::DAY_SECONDS;
    let rest = seconds % crate::DAY_SECONDS;
    let clock = match (rest / 3600, rest % 3600 / 60, rest % 60) {
        (0, 0, 0) => String::new(),
        (h, m, s) => {
            let parts: Vec<String> = [(h, "h"), (m, "min"), (s, "s")]
                .into_iter()
                .filter(|(n, _)| *n != 0)
                .map(|(n, unit)| format!("{n} {unit}"))
                .collect();
            parts.join(" ")
        }
    };
    match (days, clock.is_empty()) {
        (0, _) => {
            if clock.is_empty() {
                "0 s".into()
            } else {
                clock
            }
        }
        (1, true) => "1 day".into(),
        (d, true) => format!("{d} days"),
        (1, false) => format!("1 day and {clock}"),
        (d, false) => format!("{d} days and {clock}"),
    }
}

fn others_text(others: &[String]) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!(" and to other recipients ({})", others.join(", "))
    }
}

impl ProtocolError {
    pub(crate) fn malformed(artifact: Artifact, detail: impl Into<String>) -> Self {
        ProtocolError::Malformed { artifact, detail: detail.into() }
    }

    /// A stable, machine-readable name of what failed, in snake case. Test vectors
    /// (`crates/protocol/tests/vectors/`) and PROTOCOL.md use these names; they never change meaning.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::Malformed { .. } => "malformed",
            ProtocolError::DuplicateMember { .. } => "duplicate_member",
            ProtocolError::MissingMember { .. } => "missing_member",
            ProtocolError::UnknownMember { .. } => "unknown_member",
            ProtocolError::TimeOutOfRange { .. } => "time_out_of_range",
            ProtocolError::InvalidText { .. } => "invalid_text",
            ProtocolError::InvalidIdentifier { .. } => "invalid_identifier",
            ProtocolError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            ProtocolError::BadSignature { .. } => "bad_signature",
            ProtocolError::WeakSignature { .. } => "weak_signature",
            ProtocolError::WeakKey { .. } | ProtocolError::WeakRecipient { .. } => "weak_key",
            ProtocolError::WrongType { .. } => "wrong_type",
            ProtocolError::UnknownVersion { .. } => "unknown_version",
            ProtocolError::WrongSigner { .. } => "wrong_signer",
            ProtocolError::WrongAudience { .. } => "wrong_audience",
            ProtocolError::Expired { .. } => "expired",
            ProtocolError::AnsweredAfterExpiry { .. } => "answered_after_expiry",
            ProtocolError::AnsweredBeforeIssue { .. } => "answered_before_issue",
            ProtocolError::IssuedInFuture { .. } => "not_yet_valid",
            ProtocolError::ScopeBeyondRequest { .. } => "scope_beyond_request",
            ProtocolError::RetentionBeyondRequest { .. } => "retention_beyond_request",
            ProtocolError::RequestHashMismatch { .. } => "request_hash_mismatch",
            ProtocolError::PacketMismatch { .. } | ProtocolError::PacketHashMismatch { .. } => "wrong_packet",
            ProtocolError::InconsistentReceipt { .. } => "inconsistent_receipt",
            ProtocolError::Decryption { .. } => "cannot_decrypt",
            ProtocolError::PacketRecipients { .. } => "packet_recipients",
            ProtocolError::PacketHeaderTooLarge { .. } => "packet_header_too_large",
            ProtocolError::Encryption { .. } => "cannot_encrypt",
            ProtocolError::InvalidDid { .. } => "invalid_identity",
            ProtocolError::UnknownItem { .. } => "unknown_item",
            ProtocolError::InvalidItemValue { .. } => "invalid_value",
            ProtocolError::CannotAnswer { .. } => "cannot_answer",
            ProtocolError::InvalidRequest { .. } => "invalid_request",
            ProtocolError::InvalidResponseUri { .. } => "invalid_response_uri",
            ProtocolError::InvalidKey { .. } => "invalid_key",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_days_and_time() {
        assert_eq!(duration_text(30 * 86_400 + 1), "30 days and 1 s");
        assert_eq!(duration_text(86_400), "1 day");
        assert_eq!(duration_text(3_600 + 120), "1 h 2 min");
        assert_eq!(duration_text(0), "0 s");
    }

    #[test]
    fn messages_begin_with_the_name_of_their_code() {
        let retention =
            ProtocolError::RetentionBeyondRequest { request_jti: "r".into(), retention_days: 30, packet_seconds: 1 };
        assert!(retention.to_string().starts_with("retention beyond the request: "), "{retention}");
        let early = ProtocolError::AnsweredBeforeIssue { request_jti: "r".into(), issued_at: 10, answered_at: 0 };
        assert!(early.to_string().starts_with("answered before issue: "), "{early}");
    }
}
