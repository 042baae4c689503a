//! Importing packet files: decrypt, verify, bind to one of the brand's requests, seal, store.
//!
//! The checks that need no database ([`Store::check_packet_file`]) come first and can run
//! anywhere (an inbox runs them as packets arrive); storing ([`Store::store_packets`]) takes
//! a batch in one transaction, each packet on its own. What a packet id already held or
//! deleted means is decided here, once, for every backend ([`decide`]).

use tessera_protocol::{envelope, packet};
use zeroize::Zeroizing;

use crate::backend::{NewPacket, PacketState};
use crate::keys::packet_aad;
use crate::{BrandError, Result, Store};

/// What importing one packet did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Newly stored.
    Imported { packet_jti: String, request_jti: String, retention_end: i64, items: usize },
    /// The very same packet was already stored; nothing changed. `retention_end` is the one
    /// decided at its first import.
    AlreadyImported { packet_jti: String, request_jti: String, retention_end: i64 },
}

impl ImportOutcome {
    /// The packet's id.
    pub fn packet_jti(&self) -> &str {
        match self {
            ImportOutcome::Imported { packet_jti, .. } | ImportOutcome::AlreadyImported { packet_jti, .. } => {
                packet_jti
            }
        }
    }
}

/// A packet file that passed every check and is sealed, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPacket(pub(crate) NewPacket);

impl CheckedPacket {
    /// The packet's id.
    pub fn packet_jti(&self) -> &str {
        &self.0.jti
    }
}

/// What storing `packet` does given what the store knows of its id: `None` to insert it.
pub(crate) fn decide(state: &PacketState, packet: &NewPacket) -> Result<Option<ImportOutcome>> {
    match state {
        PacketState::Unknown => Ok(None),
        PacketState::Held { hash, request_jti, retention_end, .. } if *hash == packet.hash => {
            Ok(Some(ImportOutcome::AlreadyImported {
                packet_jti: packet.jti.clone(),
                request_jti: request_jti.clone(),
                retention_end: *retention_end,
            }))
        }
        PacketState::Held { .. } => Err(BrandError::PacketConflict { packet_jti: packet.jti.clone() }),
        PacketState::Deleted(t) => Err(BrandError::PacketDeleted {
            packet_jti: packet.jti.clone(),
            deleted_at: t.deleted_at,
            reason: t.reason.clone(),
        }),
    }
}

/// The outcome of inserting `packet`.
pub(crate) fn imported(packet: &NewPacket) -> ImportOutcome {
    ImportOutcome::Imported {
        packet_jti: packet.jti.clone(),
        request_jti: packet.request_jti.clone(),
        retention_end: packet.retention_end,
        items: packet.items,
    }
}

impl Store {
    /// Decrypts and verifies a packet file received at `now`, binds it to the brand's request,
    /// and seals it. The purge date is never later than the retention the brand's own request
    /// set, counted from now. Writes nothing.
    pub async fn check_packet_file(&self, file: &[u8], now: i64) -> Result<CheckedPacket> {
        let jws = Zeroizing::new(envelope::open(file, &self.keys.age_identity)?);
        let packet = packet::verify(&jws, &self.keys.did, now)?;
        let request = self.request(&packet.claims.request_jti).await?;
        packet.check_answers(&request)?;
        let retention_end = packet.retention_end(&request, now);
        let sealed = self.keys.cipher.seal(&packet_aad(&packet.claims.jti), packet.jws.as_bytes())?;
        Ok(CheckedPacket(NewPacket {
            jti: packet.claims.jti.clone(),
            hash: packet.hash.clone(),
            request_jti: packet.claims.request_jti.clone(),
            consumer: packet.claims.iss.to_string(),
            iat: packet.claims.iat,
            retention_end,
            imported_at: now,
            sealed,
            items: packet.claims.items.len(),
        }))
    }

    /// Stores checked packets in one transaction; each succeeds or fails on its own (a refused
    /// one leaves no trace), in the order given. The same packet twice keeps one row.
    pub async fn store_packets(&self, packets: Vec<CheckedPacket>) -> Result<Vec<Result<ImportOutcome>>> {
        if packets.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<NewPacket> = packets.into_iter().map(|p| p.0).collect();
        self.backend.store_packets(self.keys_generation, rows).await
    }

    /// Imports one packet file (the bytes of an age-encrypted packet) at `now`.
    pub async fn import_packet(&self, file: &[u8], now: i64) -> Result<ImportOutcome> {
        let checked = self.check_packet_file(file, now).await?;
        let mut outcomes = self.store_packets(vec![checked]).await?;
        outcomes.pop().unwrap_or_else(|| unreachable!("one outcome per packet"))
    }

    /// Imports packet files in one transaction; each file succeeds or fails on its own (a
    /// failed one leaves no trace), in the order given.
    pub async fn import_packets(&self, files: &[&[u8]], now: i64) -> Result<Vec<Result<ImportOutcome>>> {
        let mut outcomes: Vec<Option<Result<ImportOutcome>>> = Vec::with_capacity(files.len());
        let mut checked = Vec::with_capacity(files.len());
        let mut positions = Vec::with_capacity(files.len());
        for (at, file) in files.iter().enumerate() {
            match self.check_packet_file(file, now).await {
                Ok(packet) => {
                    checked.push(packet);
                    positions.push(at);
                    outcomes.push(None);
                }
                Err(e) => outcomes.push(Some(Err(e))),
            }
        }
        for (at, stored) in positions.into_iter().zip(self.store_packets(checked).await?) {
            outcomes[at] = Some(stored);
        }
        Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| unreachable!("every position has its outcome"))).collect())
    }
}
