//! Importing packet files: decrypt, verify, bind to a request, store sealed.

use rusqlite::{params, OptionalExtension};
use tessera_protocol::{envelope, packet};
use zeroize::Zeroizing;

use crate::{BrandError, BrandStore, Result};

/// What importing one packet did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Newly stored.
    Imported { packet_jti: String, items: usize },
    /// The very same packet was already stored; nothing changed.
    AlreadyImported { packet_jti: String },
}

/// Associated data binding a sealed packet to its row.
pub(crate) fn packet_aad(jti: &str) -> Vec<u8> {
    format!("tessera/v1/brand/packets/{jti}").into_bytes()
}

impl BrandStore {
    /// Imports one packet file (the bytes of an age-encrypted packet) at `now`.
    pub fn import_packet(&mut self, file: &[u8], now: i64) -> Result<ImportOutcome> {
        let mut outcomes = self.import_packets(&[file], now)?;
        outcomes.pop().unwrap_or_else(|| unreachable!("one outcome per file"))
    }

    /// Imports packet files in one transaction; each file succeeds or fails on
    /// its own (a failed one leaves no trace), in the order given.
    pub fn import_packets(&mut self, files: &[&[u8]], now: i64) -> Result<Vec<Result<ImportOutcome>>> {
        let mut outcomes = Vec::with_capacity(files.len());
        // Checks that need no database happen first, outside the transaction.
        let mut checked = Vec::with_capacity(files.len());
        for file in files {
            checked.push(self.check_packet_file(file, now));
        }
        let mut tx = self.conn.transaction()?;
        for packet in checked {
            outcomes.push(packet.and_then(|(packet, retention_end)| {
                // A savepoint per packet: a failure rolls back that packet only.
                let sp = tx.savepoint()?;
                let outcome = store_packet(&sp, &self.cipher, &packet, retention_end, now)?;
                sp.commit()?;
                Ok(outcome)
            }));
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// The verified packet, and when its data must be purged: never later than the
    /// retention the brand's own request set, counted from now.
    fn check_packet_file(&mut self, file: &[u8], now: i64) -> Result<(packet::VerifiedPacket, i64)> {
        let jws = Zeroizing::new(envelope::open(file, &self.age_identity)?);
        let packet = packet::verify(&jws, &self.did, now)?;
        let request = self.request(&packet.claims.request_jti)?;
        packet.check_answers(&request)?;
        let retention_end = packet.retention_end(&request, now);
        Ok((packet, retention_end))
    }
}

fn store_packet(
    tx: &rusqlite::Connection,
    cipher: &tessera_seal::RecordCipher,
    packet: &packet::VerifiedPacket,
    retention_end: i64,
    now: i64,
) -> Result<ImportOutcome> {
    let jti = &packet.claims.jti;
    let tombstone: Option<(i64, String)> = tx
        .prepare_cached("SELECT deleted_at, reason FROM tombstones WHERE packet_jti = ?1")?
        .query_row([jti], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((deleted_at, reason)) = tombstone {
        return Err(BrandError::PacketDeleted { packet_jti: jti.clone(), deleted_at, reason });
    }
    let existing: Option<String> =
        tx.prepare_cached("SELECT hash FROM packets WHERE jti = ?1")?.query_row([jti], |r| r.get(0)).optional()?;
    match existing {
        Some(hash) if hash == packet.hash => return Ok(ImportOutcome::AlreadyImported { packet_jti: jti.clone() }),
        Some(_) => return Err(BrandError::PacketConflict { packet_jti: jti.clone() }),
        None => {}
    }
    let sealed = cipher.seal(&packet_aad(jti), packet.jws.as_bytes())?;
    tx.prepare_cached(
        "INSERT INTO packets (jti, hash, request_jti, consumer, iat, retention_end, imported_at, sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        jti,
        packet.hash,
        packet.claims.request_jti,
        packet.claims.iss.to_string(),
        packet.claims.iat,
        retention_end,
        now,
        sealed
    ])?;
    Ok(ImportOutcome::Imported { packet_jti: jti.clone(), items: packet.claims.items.len() })
}
