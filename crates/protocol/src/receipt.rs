//! A brand's signed deletion receipt: proof that a packet's data was purged.

use serde::{Deserialize, Serialize};

use crate::encoding::random_id;
use crate::jws::{self, Claims};
use crate::{Artifact, Did, ProtocolError, SigningKey, FORMAT_VERSION};

/// Why the data was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionReason {
    /// The consumer revoked the packet.
    Revoked,
    /// The packet reached its retention end.
    RetentionExpired,
}

impl DeletionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionReason::Revoked => "revoked",
            DeletionReason::RetentionExpired => "retention_expired",
        }
    }

    pub fn parse(text: &str) -> Option<DeletionReason> {
        match text {
            "revoked" => Some(DeletionReason::Revoked),
            "retention_expired" => Some(DeletionReason::RetentionExpired),
            _ => None,
        }
    }
}

/// The payload of a `tessera-receipt+jwt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptClaims {
    pub ver: u32,
    /// The brand: the key that signed the request.
    pub iss: Did,
    /// The consumer's per-brand identity: the packet's `iss`.
    pub aud: Did,
    pub iat: i64,
    pub jti: String,
    pub packet_jti: String,
    pub packet_hash: String,
    /// The revocation that asked for the deletion, or `null`: a required member all the
    /// same (present, possibly null), never defaulted when missing.
    #[serde(deserialize_with = "Option::deserialize")]
    pub revocation_jti: Option<String>,
    pub deleted_at: i64,
    pub reason: DeletionReason,
}

impl Claims for ReceiptClaims {
    const ARTIFACT: Artifact = Artifact::Receipt;
    const MEMBERS: &'static [&'static str] =
        &["ver", "iss", "aud", "iat", "jti", "packet_jti", "packet_hash", "revocation_jti", "deleted_at", "reason"];
    fn issuer(&self) -> &Did {
        &self.iss
    }
    fn check(&self) -> Result<(), ProtocolError> {
        const ARTIFACT: Artifact = Artifact::Receipt;
        jws::check_time(ARTIFACT, "iat", self.iat)?;
        jws::check_time(ARTIFACT, "deleted_at", self.deleted_at)?;
        jws::check_id(ARTIFACT, "jti", &self.jti)?;
        jws::check_id(ARTIFACT, "packet_jti", &self.packet_jti)?;
        jws::check_hash(ARTIFACT, "packet_hash", &self.packet_hash)?;
        if let Some(revocation_jti) = &self.revocation_jti {
            jws::check_id(ARTIFACT, "revocation_jti", revocation_jti)?;
        }
        let inconsistent = |detail: String| Err(ProtocolError::InconsistentReceipt { detail });
        if self.deleted_at > self.iat.saturating_add(crate::CLOCK_LEEWAY_SECONDS) {
            return inconsistent(format!(
                "it says the data was deleted on {}, after the receipt itself was signed ({})",
                crate::display_time(self.deleted_at),
                crate::display_time(self.iat)
            ));
        }
        match (self.reason, &self.revocation_jti) {
            (DeletionReason::Revoked, None) => {
                inconsistent("its reason is \"revoked\" but it names no revocation (revocation_jti is null)".into())
            }
            (DeletionReason::RetentionExpired, Some(jti)) => inconsistent(format!(
                "its reason is \"retention_expired\" but it names revocation {jti}, as if a revocation had asked for \
                 the deletion"
            )),
            _ => Ok(()),
        }
    }
}

/// What the consumer recorded about the packet a receipt is about, against which the receipt
/// is checked by [`ReceiptClaims::check_against`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketRecord<'a> {
    /// When the packet was made: its `iat`.
    pub shared_at: i64,
    /// The consumer's revocation of the packet, if they revoked it: its `jti` and its `iat`.
    pub revocation: Option<(&'a str, i64)>,
    /// The deletion already confirmed by an earlier receipt, if any: its `deleted_at` and `reason`.
    pub confirmed: Option<(i64, DeletionReason)>,
}

impl ReceiptClaims {
    /// Checks that this receipt agrees with what the consumer recorded about the packet: the
    /// data was not deleted before the packet was made (less the clock leeway); a deletion
    /// "revoked" answers the consumer's own revocation, by its id, and does not come before it;
    /// a deletion already confirmed is not dated or explained anew by a later receipt.
    pub fn check_against(&self, record: &PacketRecord<'_>) -> Result<(), ProtocolError> {
        let inconsistent = |detail: String| Err(ProtocolError::InconsistentReceipt { detail });
        if self.deleted_at < record.shared_at.saturating_sub(crate::CLOCK_LEEWAY_SECONDS) {
            return inconsistent(format!(
                "it says the data was deleted on {}, before the packet was even shared ({})",
                crate::display_time(self.deleted_at),
                crate::display_time(record.shared_at)
            ));
        }
        if self.reason == DeletionReason::Revoked {
            let named = self.revocation_jti.as_deref().unwrap_or_default();
            match record.revocation {
                None => {
                    return inconsistent(format!(
                        "it says the data was deleted because you revoked packet {}, but you never revoked it",
                        self.packet_jti
                    ))
                }
                Some((yours, _)) if yours != named => {
                    return inconsistent(format!(
                        "it answers revocation {named}, but your revocation of packet {} is {yours}",
                        self.packet_jti
                    ))
                }
                Some((_, revoked_at)) if self.deleted_at < revoked_at.saturating_sub(crate::CLOCK_LEEWAY_SECONDS) => {
                    return inconsistent(format!(
                        "it says the data was deleted on {}, before you revoked the packet ({})",
                        crate::display_time(self.deleted_at),
                        crate::display_time(revoked_at)
                    ))
                }
                Some(_) => {}
            }
        }
        if let Some((deleted_at, reason)) = record.confirmed {
            if (deleted_at, reason) != (self.deleted_at, self.reason) {
                return inconsistent(format!(
                    "the deletion of packet {} was already confirmed as made on {} ({}); this receipt says {} ({})",
                    self.packet_jti,
                    crate::display_time(deleted_at),
                    reason.as_str(),
                    crate::display_time(self.deleted_at),
                    self.reason.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// What a receipt attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub consumer: Did,
    pub packet_jti: String,
    pub packet_hash: String,
    pub revocation_jti: Option<String>,
    pub deleted_at: i64,
    pub reason: DeletionReason,
}

/// Signs a receipt for `deletion` with the brand's key, at `now`.
pub fn sign(key: &SigningKey, deletion: &Deletion, now: i64) -> (String, ReceiptClaims) {
    let claims = ReceiptClaims {
        ver: FORMAT_VERSION,
        iss: key.did(),
        aud: deletion.consumer.clone(),
        iat: now,
        jti: random_id(),
        packet_jti: deletion.packet_jti.clone(),
        packet_hash: deletion.packet_hash.clone(),
        revocation_jti: deletion.revocation_jti.clone(),
        deleted_at: deletion.deleted_at,
        reason: deletion.reason,
    };
    (jws::sign(&claims, key), claims)
}

/// Checks a receipt for the consumer: signed by `brand`, addressed to
/// `consumer` (their per-brand identity), about packet `packet_jti`/`packet_hash`.
/// White space around the JWS is ignored.
pub fn verify(
    jws: &str,
    brand: &Did,
    consumer: &Did,
    packet_jti: &str,
    packet_hash: &str,
    now: i64,
) -> Result<ReceiptClaims, ProtocolError> {
    let claims: ReceiptClaims = jws::verify(jws::trim(jws))?;
    if &claims.iss != brand {
        return Err(ProtocolError::WrongSigner {
            artifact: Artifact::Receipt,
            expected: brand.to_string(),
            found: claims.iss.to_string(),
        });
    }
    jws::check_audience(Artifact::Receipt, &claims.aud, consumer)?;
    jws::check_issued(Artifact::Receipt, claims.iat, now)?;
    jws::check_packet(Artifact::Receipt, (&claims.packet_jti, &claims.packet_hash), (packet_jti, packet_hash))?;
    Ok(claims)
}

/// Checks a receipt's signature and format only, and says which packet it is about.
pub fn inspect(jws: &str) -> Result<ReceiptClaims, ProtocolError> {
    jws::verify(jws::trim(jws))
}
