//! Deleting data for real: revocations, purges past retention, tombstones and signed receipts.
//!
//! What a revocation does given what the store holds is decided here ([`decide_revocation`]),
//! once for every backend; the backend applies it in the same transaction that read the state.

use serde::Serialize;
use tessera_protocol::receipt::{self, Deletion, DeletionReason};
use tessera_protocol::revocation;
use tessera_protocol::Did;

use crate::backend::{PacketState, RevocationWrite};
use crate::keys::BrandKeys;
use crate::{BrandError, Result, Store};

/// What is kept of a deleted packet: no data, only the fact of its deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tombstone {
    pub packet_jti: String,
    pub packet_hash: String,
    pub request_jti: String,
    pub consumer: String,
    pub deleted_at: i64,
    pub reason: String,
    pub revocation_jti: Option<String>,
    /// The signed deletion receipt (JWS), once issued.
    pub receipt: Option<String>,
}

/// The result of importing a revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationOutcome {
    pub packet_jti: String,
    /// The signed deletion receipt to send back to the consumer.
    pub receipt: String,
    /// True when the packet had already been deleted before this revocation arrived.
    pub already_deleted: bool,
}

/// The tombstone of a packet purged at `now` because its retention ended.
pub(crate) fn purged(jti: String, hash: String, request_jti: String, consumer: String, now: i64) -> Tombstone {
    Tombstone {
        packet_jti: jti,
        packet_hash: hash,
        request_jti,
        consumer,
        deleted_at: now,
        reason: DeletionReason::RetentionExpired.as_str().into(),
        revocation_jti: None,
        receipt: None,
    }
}

/// What a verified revocation changes, and what to answer: a held packet is deleted (its
/// tombstone carries the new receipt); a deleted one gets its receipt (issued now if none was).
pub(crate) fn decide_revocation(
    state: PacketState,
    claims: &revocation::RevocationClaims,
    now: i64,
    keys: &BrandKeys,
) -> Result<(RevocationWrite, RevocationOutcome)> {
    match state {
        PacketState::Held { hash, consumer, request_jti, .. } => {
            let consumer_did: Did = consumer.parse()?;
            claims.check_revokes(&claims.packet_jti, &hash, &consumer_did)?;
            let deletion = Deletion {
                consumer: consumer_did,
                packet_jti: claims.packet_jti.clone(),
                packet_hash: hash.clone(),
                revocation_jti: Some(claims.jti.clone()),
                deleted_at: now,
                reason: DeletionReason::Revoked,
            };
            let (receipt_jws, _) = receipt::sign(&keys.signing_key, &deletion, now);
            let tombstone = Tombstone {
                packet_jti: claims.packet_jti.clone(),
                packet_hash: hash,
                request_jti,
                consumer,
                deleted_at: now,
                reason: DeletionReason::Revoked.as_str().into(),
                revocation_jti: Some(claims.jti.clone()),
                receipt: Some(receipt_jws.clone()),
            };
            let outcome = RevocationOutcome {
                packet_jti: claims.packet_jti.clone(),
                receipt: receipt_jws,
                already_deleted: false,
            };
            Ok((RevocationWrite::Delete(tombstone), outcome))
        }
        PacketState::Deleted(tombstone) => {
            let consumer_did: Did = tombstone.consumer.parse()?;
            claims.check_revokes(&tombstone.packet_jti, &tombstone.packet_hash, &consumer_did)?;
            let (receipt_jws, write) = match tombstone.receipt.clone() {
                Some(existing) => (existing, RevocationWrite::Nothing),
                None => {
                    let (receipt_jws, _) =
                        receipt::sign(&keys.signing_key, &deletion_of(&tombstone, Some(claims.jti.clone()))?, now);
                    let write = RevocationWrite::SetReceipt {
                        packet_jti: tombstone.packet_jti.clone(),
                        receipt: receipt_jws.clone(),
                        revocation_jti: Some(claims.jti.clone()),
                    };
                    (receipt_jws, write)
                }
            };
            Ok((
                write,
                RevocationOutcome {
                    packet_jti: claims.packet_jti.clone(),
                    receipt: receipt_jws,
                    already_deleted: true,
                },
            ))
        }
        PacketState::Unknown => Err(BrandError::UnknownPacket { packet_jti: claims.packet_jti.clone() }),
    }
}

/// The receipt of a deleted packet: the stored one, or one signed now (to be stored).
pub(crate) fn receipt_of(tombstone: &Tombstone, now: i64, keys: &BrandKeys) -> Result<(String, RevocationWrite)> {
    if let Some(receipt) = &tombstone.receipt {
        return Ok((receipt.clone(), RevocationWrite::Nothing));
    }
    let (receipt_jws, _) =
        receipt::sign(&keys.signing_key, &deletion_of(tombstone, tombstone.revocation_jti.clone())?, now);
    let write = RevocationWrite::SetReceipt {
        packet_jti: tombstone.packet_jti.clone(),
        receipt: receipt_jws.clone(),
        revocation_jti: tombstone.revocation_jti.clone(),
    };
    Ok((receipt_jws, write))
}

fn deletion_of(tombstone: &Tombstone, revocation_jti: Option<String>) -> Result<Deletion> {
    let reason = DeletionReason::parse(&tombstone.reason).unwrap_or(DeletionReason::Revoked);
    Ok(Deletion {
        consumer: tombstone.consumer.parse()?,
        packet_jti: tombstone.packet_jti.clone(),
        packet_hash: tombstone.packet_hash.clone(),
        // A receipt names the revocation that asked for the deletion: none when the retention
        // end did, even if a revocation came afterwards (PROTOCOL.md §8).
        revocation_jti: revocation_jti.filter(|_| reason == DeletionReason::Revoked),
        deleted_at: tombstone.deleted_at,
        reason,
    })
}

impl Store {
    /// Verifies a revocation, purges the packet's data, keeps a tombstone and returns a signed
    /// deletion receipt. Importing the same revocation again returns the same receipt.
    ///
    /// Deleted rows may stay (sealed) in SQLite's write-ahead log until [`Store::checkpoint`].
    pub async fn import_revocation(&self, jws: &str, now: i64) -> Result<RevocationOutcome> {
        let claims = self.check_revocation(jws, now)?;
        let mut outcomes = self.revoke(vec![claims], now).await?;
        outcomes.pop().unwrap_or_else(|| unreachable!("one outcome per revocation"))
    }

    /// Checks a revocation's signature, format, audience and time: what needs no database.
    pub fn check_revocation(&self, jws: &str, now: i64) -> Result<revocation::RevocationClaims> {
        Ok(revocation::verify(jws, &self.keys.did, now)?)
    }

    /// Applies checked revocations in one transaction, each on its own, in the order given.
    pub async fn revoke(
        &self,
        revocations: Vec<revocation::RevocationClaims>,
        now: i64,
    ) -> Result<Vec<Result<RevocationOutcome>>> {
        if revocations.is_empty() {
            return Ok(Vec::new());
        }
        self.backend.revoke(revocations, now, self.keys.clone()).await
    }

    /// Makes sure deleted data leaves no trace in a log (SQLite's write-ahead log is
    /// checkpointed and truncated; nothing to do on PostgreSQL).
    pub async fn checkpoint(&self) -> Result<()> {
        self.backend.checkpoint().await
    }

    /// Purges every packet whose retention end is at or before `now`, keeping tombstones.
    /// Safe to run on several servers at once: each packet is purged once.
    pub async fn purge_expired(&self, now: i64) -> Result<Vec<Tombstone>> {
        self.backend.purge_expired(now).await
    }

    /// Every deleted packet, newest deletion first.
    pub async fn tombstones(&self) -> Result<Vec<Tombstone>> {
        self.backend.tombstones().await
    }

    /// The signed deletion receipt of the deleted packet `packet_jti` (the stored one if
    /// issued, else a new one, which is then stored); `None` if it is not deleted.
    pub async fn receipt(&self, packet_jti: &str, now: i64) -> Result<Option<String>> {
        self.backend.receipt(packet_jti, now, self.keys.clone()).await
    }

    /// Like [`Store::receipt`], failing for a packet that is not deleted.
    pub async fn receipt_for(&self, packet_jti: &str, now: i64) -> Result<String> {
        self.receipt(packet_jti, now)
            .await?
            .ok_or_else(|| BrandError::UnknownPacket { packet_jti: packet_jti.to_owned() })
    }
}
