//! The ledger: every packet shared, what it holds, and what became of it.
//!
//! [`Ledger`] is the collection of `ledger` records, newest first: revoking a
//! packet signs a revocation with the per-brand key, and a brand's deletion
//! receipt is checked against the entry before it is recorded. What it must
//! never do: forget a packet that was shared, or mark a deletion confirmed
//! without a receipt that verifies.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tessera_protocol::packet::SharedItem;
use tessera_protocol::receipt::{DeletionReason, PacketRecord};
use tessera_protocol::{derive_brand_key, receipt, revocation, Did, ItemName, MasterSecret};

use crate::error::{Result, VaultError};
use crate::files;
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Staged, Writer};

/// A packet the consumer shared, as recorded when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub packet_jti: String,
    pub packet_hash: String,
    pub brand_did: Did,
    pub brand_name: String,
    pub request_jti: String,
    /// The purpose the brand gave for each item it asked for.
    pub purposes: Vec<(ItemName, String)>,
    pub offer: String,
    /// The consumer's identity towards this brand.
    pub consumer_did: Did,
    pub shared_at: i64,
    pub retention_end: i64,
    pub items: Vec<SharedItem>,
    pub revocation_jti: Option<String>,
    pub revoked_at: Option<i64>,
    pub deletion: Option<ConfirmedDeletion>,
}

/// A deletion the brand proved with a signed receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedDeletion {
    pub deleted_at: i64,
    pub reason: String,
    pub receipt_jti: String,
    /// The receipt JWS, kept as proof.
    pub receipt: String,
}

/// Where a packet stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PacketStatus {
    /// The brand may hold and use it.
    Active,
    /// Past its retention end: the brand must have deleted it.
    Expired,
    /// Revoked; waiting for the brand's deletion receipt.
    Revoked,
    /// The brand proved the deletion.
    DeletionConfirmed,
}

impl PacketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PacketStatus::Active => "active",
            PacketStatus::Expired => "expired",
            PacketStatus::Revoked => "revoked",
            PacketStatus::DeletionConfirmed => "deletion confirmed",
        }
    }
}

impl LedgerEntry {
    pub fn status(&self, now: i64) -> PacketStatus {
        if self.deletion.is_some() {
            PacketStatus::DeletionConfirmed
        } else if self.revoked_at.is_some() {
            PacketStatus::Revoked
        } else if now >= self.retention_end {
            PacketStatus::Expired
        } else {
            PacketStatus::Active
        }
    }
}

/// A ledger entry with its status now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerLine {
    #[serde(flatten)]
    pub entry: LedgerEntry,
    pub status: PacketStatus,
}

/// What one brand knows about the consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandKnowledge {
    pub brand_name: String,
    pub brand_did: String,
    pub fingerprint: String,
    /// Items the brand may still hold (from active packets).
    pub holds: Vec<SharedItem>,
    pub packets: Vec<LedgerLine>,
}

/// Every packet shared: the `ledger` records, newest first.
#[derive(Default)]
pub(crate) struct Ledger {
    entries: Vec<(RecordId, LedgerEntry)>,
}

fn sort_newest_first(entries: &mut [(RecordId, LedgerEntry)]) {
    entries.sort_by_key(|(_, e)| std::cmp::Reverse(e.shared_at));
}

impl Ledger {
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Ledger> {
        let mut entries = store.load(Kind::Ledger, key, damaged)?;
        sort_newest_first(&mut entries);
        Ok(Ledger { entries })
    }

    /// Writes `entries` as new records (a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, entries: &[LedgerEntry]) -> Result<Ledger> {
        let mut entries = writer.put_all_new(Kind::Ledger, entries.iter().cloned())?;
        sort_newest_first(&mut entries);
        Ok(Ledger { entries })
    }

    /// Every entry, newest first.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &LedgerEntry> {
        self.entries.iter().map(|(_, e)| e)
    }

    /// Every packet shared, newest first, with its status at `now`.
    pub(crate) fn lines(&self, now: i64) -> Vec<LedgerLine> {
        self.entries().map(|e| LedgerLine { status: e.status(now), entry: e.clone() }).collect()
    }

    /// For each brand: what it holds now and every packet it received.
    pub(crate) fn what_brands_know(&self, now: i64) -> Vec<BrandKnowledge> {
        let mut brands: Vec<BrandKnowledge> = Vec::new();
        for line in self.lines(now) {
            let at = match brands.iter().position(|b| b.brand_did == line.entry.brand_did.to_string()) {
                Some(at) => at,
                None => {
                    brands.push(BrandKnowledge {
                        brand_name: line.entry.brand_name.clone(),
                        brand_did: line.entry.brand_did.to_string(),
                        fingerprint: line.entry.brand_did.fingerprint(),
                        holds: Vec::new(),
                        packets: Vec::new(),
                    });
                    brands.len() - 1
                }
            };
            if line.status == PacketStatus::Active {
                brands[at].holds.extend(line.entry.items.iter().cloned());
            }
            brands[at].packets.push(line);
        }
        brands.sort_by(|a, b| a.brand_name.cmp(&b.brand_name));
        brands
    }

    /// Writes a new entry in `writer`'s transaction.
    pub(crate) fn stage(&self, writer: &Writer<'_>, entry: LedgerEntry) -> Result<Staged<LedgerEntry>> {
        let id = RecordId::random();
        writer.put(Kind::Ledger, &id, &entry)?;
        Ok(Staged { id, value: entry })
    }

    /// Applies a new entry once its transaction committed: it is the newest.
    pub(crate) fn apply(&mut self, staged: Staged<LedgerEntry>) {
        self.entries.insert(0, (staged.id, staged.value));
    }

    fn find(&self, packet_jti: &str) -> Result<(RecordId, LedgerEntry)> {
        self.entries
            .iter()
            .find(|(_, e)| e.packet_jti == packet_jti)
            .cloned()
            .ok_or_else(|| VaultError::UnknownPacket { packet_jti: packet_jti.to_owned() })
    }

    /// Saves an updated entry, then mirrors it in memory.
    fn update(
        &mut self,
        store: &mut RecordStore,
        key: &RecordKey,
        id: RecordId,
        updated: LedgerEntry,
        now: i64,
    ) -> Result<LedgerLine> {
        let writer = store.write(key)?;
        writer.put(Kind::Ledger, &id, &updated)?;
        writer.commit()?;
        if let Some(slot) = self.entries.iter_mut().find(|(i, _)| *i == id) {
            slot.1 = updated.clone();
        }
        Ok(LedgerLine { status: updated.status(now), entry: updated })
    }

    /// Signs a revocation of packet `packet_jti` with the per-brand key derived
    /// from `master`, writes it to `path` for the brand, and marks the packet revoked.
    pub(crate) fn revoke(
        &mut self,
        store: &mut RecordStore,
        key: &RecordKey,
        master: &MasterSecret,
        packet_jti: &str,
        path: &Path,
        now: i64,
    ) -> Result<LedgerLine> {
        let (id, entry) = self.find(packet_jti)?;
        if entry.deletion.is_some() {
            return Err(VaultError::InvalidInput(format!(
                "{} already confirmed deleting this packet: there is nothing left to revoke",
                entry.brand_name
            )));
        }
        let brand_key = derive_brand_key(master, &entry.brand_did);
        let (jws, claims) = revocation::sign(&brand_key, &entry.brand_did, &entry.packet_jti, &entry.packet_hash, now);
        let mut updated = entry;
        updated.revocation_jti = Some(claims.jti);
        updated.revoked_at = Some(now);
        files::write_atomic(path, format!("{jws}\n").as_bytes())?;
        self.update(store, key, id, updated, now)
    }

    /// Checks a brand's deletion receipt against the ledger — the packet, the revocation on
    /// record, a deletion already confirmed — and records the deletion as confirmed. A receipt
    /// for a deletion already confirmed changes nothing (the first receipt is kept), unless it
    /// contradicts it, which refuses it.
    pub(crate) fn import_receipt(
        &mut self,
        store: &mut RecordStore,
        key: &RecordKey,
        jws: &str,
        now: i64,
    ) -> Result<LedgerLine> {
        let about = receipt::inspect(jws)?;
        let (id, entry) = self.find(&about.packet_jti)?;
        let claims =
            receipt::verify(jws, &entry.brand_did, &entry.consumer_did, &entry.packet_jti, &entry.packet_hash, now)?;
        let confirmed = entry.deletion.as_ref().and_then(|d| Some((d.deleted_at, DeletionReason::parse(&d.reason)?)));
        claims.check_against(&PacketRecord {
            shared_at: entry.shared_at,
            revocation: entry.revocation_jti.as_deref().zip(entry.revoked_at),
            confirmed,
        })?;
        if entry.deletion.is_some() {
            return Ok(LedgerLine { status: entry.status(now), entry });
        }
        let mut updated = entry;
        updated.deletion = Some(ConfirmedDeletion {
            deleted_at: claims.deleted_at,
            reason: claims.reason.as_str().into(),
            receipt_jti: claims.jti,
            receipt: jws.to_owned(),
        });
        self.update(store, key, id, updated, now)
    }
}
