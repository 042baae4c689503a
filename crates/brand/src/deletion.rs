//! Deleting data for real: revocations, purges past retention, tombstones and signed receipts.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use tessera_protocol::receipt::{self, Deletion, DeletionReason};
use tessera_protocol::{revocation, Did};

use crate::{BrandError, BrandStore, Result};

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

impl BrandStore {
    /// Verifies a revocation, purges the packet's data, keeps a tombstone and
    /// returns a signed deletion receipt. Importing the same revocation again
    /// returns the same receipt.
    pub fn import_revocation(&mut self, jws: &str, now: i64) -> Result<RevocationOutcome> {
        let claims = revocation::verify(jws, &self.did, now)?;
        let tx = self.conn.transaction()?;
        let held: Option<(String, String, String)> = tx
            .query_row("SELECT hash, consumer, request_jti FROM packets WHERE jti = ?1", [&claims.packet_jti], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        if let Some((hash, consumer, request_jti)) = held {
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
            let (receipt_jws, _) = receipt::sign(&self.signing_key, &deletion, now);
            tx.execute("DELETE FROM packets WHERE jti = ?1", [&claims.packet_jti])?;
            tx.execute(
                "INSERT INTO tombstones (packet_jti, packet_hash, request_jti, consumer, deleted_at, reason, revocation_jti, receipt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![claims.packet_jti, hash, request_jti, consumer, now, DeletionReason::Revoked.as_str(), claims.jti, receipt_jws],
            )?;
            tx.commit()?;
            self.checkpoint()?;
            return Ok(RevocationOutcome {
                packet_jti: claims.packet_jti,
                receipt: receipt_jws,
                already_deleted: false,
            });
        }
        let tombstone = tombstone_row(&tx, &claims.packet_jti)?
            .ok_or_else(|| BrandError::UnknownPacket { packet_jti: claims.packet_jti.clone() })?;
        let consumer_did: Did = tombstone.consumer.parse()?;
        claims.check_revokes(&tombstone.packet_jti, &tombstone.packet_hash, &consumer_did)?;
        let receipt_jws = match tombstone.receipt {
            Some(existing) => existing,
            None => {
                let (receipt_jws, _) =
                    receipt::sign(&self.signing_key, &deletion_of(&tombstone, Some(claims.jti.clone()))?, now);
                tx.execute(
                    "UPDATE tombstones SET receipt = ?1, revocation_jti = ?2 WHERE packet_jti = ?3",
                    params![receipt_jws, claims.jti, tombstone.packet_jti],
                )?;
                receipt_jws
            }
        };
        tx.commit()?;
        Ok(RevocationOutcome { packet_jti: claims.packet_jti, receipt: receipt_jws, already_deleted: true })
    }

    /// Purges every packet whose retention end is at or before `now`, keeping tombstones.
    pub fn purge_expired(&mut self, now: i64) -> Result<Vec<Tombstone>> {
        let tx = self.conn.transaction()?;
        let expired: Vec<(String, String, String, String)> = {
            let mut stmt = tx.prepare(
                "SELECT jti, hash, request_jti, consumer FROM packets WHERE retention_end <= ?1 ORDER BY jti",
            )?;
            let rows = stmt
                .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            rows
        };
        let mut purged = Vec::with_capacity(expired.len());
        for (jti, hash, request_jti, consumer) in expired {
            tx.execute("DELETE FROM packets WHERE jti = ?1", [&jti])?;
            tx.execute(
                "INSERT INTO tombstones (packet_jti, packet_hash, request_jti, consumer, deleted_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![jti, hash, request_jti, consumer, now, DeletionReason::RetentionExpired.as_str()],
            )?;
            purged.push(Tombstone {
                packet_jti: jti,
                packet_hash: hash,
                request_jti,
                consumer,
                deleted_at: now,
                reason: DeletionReason::RetentionExpired.as_str().into(),
                revocation_jti: None,
                receipt: None,
            });
        }
        tx.commit()?;
        if !purged.is_empty() {
            self.checkpoint()?;
        }
        Ok(purged)
    }

    /// Every deleted packet, newest deletion first.
    pub fn tombstones(&self) -> Result<Vec<Tombstone>> {
        let mut stmt = self.conn.prepare(
            "SELECT packet_jti, packet_hash, request_jti, consumer, deleted_at, reason, revocation_jti, receipt FROM tombstones ORDER BY deleted_at DESC, packet_jti",
        )?;
        let rows = stmt.query_map([], tombstone_from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// A signed deletion receipt for the deleted packet `packet_jti` (the stored
    /// one if issued, else a new one, which is then stored).
    pub fn receipt_for(&mut self, packet_jti: &str, now: i64) -> Result<String> {
        let tombstone = tombstone_row(&self.conn, packet_jti)?
            .ok_or_else(|| BrandError::UnknownPacket { packet_jti: packet_jti.to_owned() })?;
        if let Some(receipt) = tombstone.receipt {
            return Ok(receipt);
        }
        let (receipt_jws, _) =
            receipt::sign(&self.signing_key, &deletion_of(&tombstone, tombstone.revocation_jti.clone())?, now);
        self.conn
            .execute("UPDATE tombstones SET receipt = ?1 WHERE packet_jti = ?2", params![receipt_jws, packet_jti])?;
        Ok(receipt_jws)
    }

    /// Moves the write-ahead log into the database and truncates it, so deleted pages do not linger in the WAL.
    fn checkpoint(&self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
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

fn tombstone_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tombstone> {
    Ok(Tombstone {
        packet_jti: r.get(0)?,
        packet_hash: r.get(1)?,
        request_jti: r.get(2)?,
        consumer: r.get(3)?,
        deleted_at: r.get(4)?,
        reason: r.get(5)?,
        revocation_jti: r.get(6)?,
        receipt: r.get(7)?,
    })
}

fn tombstone_row(conn: &rusqlite::Connection, packet_jti: &str) -> Result<Option<Tombstone>> {
    Ok(conn
        .query_row(
            "SELECT packet_jti, packet_hash, request_jti, consumer, deleted_at, reason, revocation_jti, receipt FROM tombstones WHERE packet_jti = ?1",
            [packet_jti],
            tombstone_from_row,
        )
        .optional()?)
}
