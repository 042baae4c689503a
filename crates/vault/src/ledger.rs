//! The ledger: every packet shared, what it holds, and what became of it; and
//! every request the consumer declined.
//!
//! [`Ledger`] is the collection of `ledger` records, newest first. A record is
//! either a packet shared ([`LedgerEntry`]) or a request declined
//! ([`Refusal`]: who asked, for what and why, and when it was declined —
//! refusing is an outcome recorded like sharing). Revoking a packet signs a
//! revocation with the per-brand key, and a brand's deletion receipt is
//! checked against the entry before it is recorded. What it must never do:
//! forget a packet that was shared or a request that was declined, or mark a
//! deletion confirmed without a receipt that verifies.

use serde::{Deserialize, Serialize};
use tessera_protocol::packet::SharedItem;
use tessera_protocol::receipt::{DeletionReason, PacketRecord};
use tessera_protocol::{derive_brand_key, receipt, revocation, Did, ItemName, MasterSecret};

use crate::consent::EarlierAnswer;
use crate::error::{Result, VaultError};
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Staged, Writer};

/// What a verified receipt changes.
pub(crate) enum ReceiptCheck {
    /// The deletion was confirmed already: nothing changes (the first receipt is kept).
    AlreadyConfirmed(LedgerEntry),
    /// The entry, with the deletion confirmed (not saved yet).
    Confirms(RecordId, LedgerEntry),
}

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
    /// The inbox the request named (its `response_uri`): where the packet and its revocation go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_uri: Option<String>,
    /// The brand's inbox acknowledged the packet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<Delivery>,
    /// When the packet was known never to have reached the brand: revoked before any send of
    /// it began, or its inbox said it has no such packet once no send could still arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_received_at: Option<i64>,
    /// The packet was revoked while it waited in the outbox, and taken out of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
}

/// A packet revoked while it waited to be sent: it is never sent after that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub at: i64,
    /// When its last send began, if one ever did: that send may have reached the brand.
    pub last_attempt_at: Option<i64>,
    /// It was also saved as a file, which may have reached the brand another way.
    pub saved_as_file: bool,
    /// It was brought back by a restore: the vault the backup was made of may still send it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_a_restore: bool,
}

impl Withdrawal {
    /// Whether the brand may have the packet all the same.
    pub fn brand_may_have_it(&self) -> bool {
        self.last_attempt_at.is_some() || self.saved_as_file || self.from_a_restore
    }
}

/// The brand's inbox said it stored the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub acknowledged_at: i64,
    /// When the brand says it deletes the data (its acknowledgement's `retention_end`).
    pub retention_end: i64,
}

/// A request the consumer declined as a whole: nothing was sent to the brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub request_jti: String,
    pub brand_did: Did,
    pub brand_name: String,
    pub offer: String,
    /// Every item the brand asked for, with the purpose it gave.
    pub asked: Vec<AskedItem>,
    pub declined_at: i64,
}

/// An item a brand asked for, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskedItem {
    pub item: ItemName,
    pub purpose: String,
    pub required: bool,
}

/// One `ledger` record: a packet shared or a request declined. Stored
/// untagged, so that the records of vaults made before refusals existed (plain
/// [`LedgerEntry`]s) read unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LedgerRecord {
    Shared(Box<LedgerEntry>),
    Declined(Refusal),
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
    /// Shared, waiting in the outbox to be sent to the brand's inbox.
    WaitingToBeSent,
    /// Shared, but the brand's inbox refused it or answered wrongly: it is not tried again by itself.
    SendingRefused,
    /// The brand may hold and use it.
    Active,
    /// Past its retention end: the brand must have deleted it.
    Expired,
    /// Revoked; the revocation waits in the outbox to be sent to the brand's inbox.
    RevocationWaiting,
    /// Revoked; the brand's inbox refused the revocation: it is not tried again by itself.
    RevocationRefused,
    /// Revoked; waiting for the brand's deletion receipt.
    Revoked,
    /// Revoked before it reached the brand: its inbox says it never received it.
    NeverReceived,
    /// The brand proved the deletion.
    DeletionConfirmed,
}

impl PacketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PacketStatus::WaitingToBeSent => "waiting to be sent",
            PacketStatus::SendingRefused => "sending stopped: the brand's inbox refused it or answered wrongly",
            PacketStatus::Active => "active",
            PacketStatus::Expired => "expired",
            PacketStatus::RevocationWaiting => "revocation waiting to be sent",
            PacketStatus::RevocationRefused => "revocation stopped: the brand's inbox refused it or answered wrongly",
            PacketStatus::Revoked => "revoked",
            PacketStatus::NeverReceived => "revoked before the brand received it",
            PacketStatus::DeletionConfirmed => "deletion confirmed",
        }
    }

    /// Whether the brand has the packet's items, as "what each brand knows" tells it.
    pub fn holding(self) -> Holding {
        match self {
            PacketStatus::Active => Holding::Holds,
            PacketStatus::Revoked | PacketStatus::RevocationWaiting | PacketStatus::RevocationRefused => {
                Holding::DeletionPending
            }
            PacketStatus::WaitingToBeSent | PacketStatus::SendingRefused => Holding::NotReceived,
            PacketStatus::Expired | PacketStatus::NeverReceived | PacketStatus::DeletionConfirmed => Holding::Nothing,
        }
    }
}

/// Whether a brand has a packet's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// It received them and may use them.
    Holds,
    /// Revoked, but the brand has not confirmed the deletion: it may still hold them.
    DeletionPending,
    /// They have not reached the brand yet.
    NotReceived,
    /// Expired, deleted, or never received.
    Nothing,
}

/// Where one item of the outbox stands, as the ledger's statuses need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InOutbox {
    No,
    Waiting,
    /// The inbox refused it; it is tried again only when the person asks.
    Refused,
}

/// What waits in the outbox: for a packet id, where its packet and its revocation stand.
pub(crate) type Waiting<'a> = &'a dyn Fn(&str) -> (InOutbox, InOutbox);

impl LedgerEntry {
    /// Its status at `now`, knowing what waits in the outbox.
    pub(crate) fn status_with(&self, now: i64, waiting: Waiting<'_>) -> PacketStatus {
        let (packet, revocation) = waiting(&self.packet_jti);
        match (self.status(now), packet, revocation) {
            (PacketStatus::Revoked, _, InOutbox::Waiting) => PacketStatus::RevocationWaiting,
            (PacketStatus::Revoked, _, InOutbox::Refused) => PacketStatus::RevocationRefused,
            (PacketStatus::Active | PacketStatus::Expired, InOutbox::Waiting, _) => PacketStatus::WaitingToBeSent,
            (PacketStatus::Active | PacketStatus::Expired, InOutbox::Refused, _) => PacketStatus::SendingRefused,
            (status, _, _) => status,
        }
    }

    /// Its status at `now`, from the entry alone.
    pub fn status(&self, now: i64) -> PacketStatus {
        if self.deletion.is_some() {
            PacketStatus::DeletionConfirmed
        } else if self.never_received_at.is_some() {
            PacketStatus::NeverReceived
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
    /// Items the brand may still hold and use (from packets it received, not revoked, not expired).
    pub holds: Vec<SharedItem>,
    /// Items of packets revoked whose deletion the brand has not confirmed yet: it may still
    /// hold them.
    pub deletion_pending: Vec<SharedItem>,
    /// Items of packets shared that have not reached the brand yet (waiting to be sent, or refused).
    pub not_received: Vec<SharedItem>,
    pub packets: Vec<LedgerLine>,
    /// The brand's requests the consumer declined, newest first.
    pub refusals: Vec<Refusal>,
}

/// Every packet shared and every request declined: the `ledger` records, newest first.
#[derive(Default)]
pub(crate) struct Ledger {
    entries: Vec<(RecordId, LedgerEntry)>,
    refusals: Vec<(RecordId, Refusal)>,
}

fn sort_newest_first(entries: &mut [(RecordId, LedgerEntry)]) {
    entries.sort_by_key(|(_, e)| std::cmp::Reverse(e.shared_at));
}

impl Ledger {
    fn from_records(records: Vec<(RecordId, LedgerRecord)>) -> Ledger {
        let mut ledger = Ledger::default();
        for (id, record) in records {
            match record {
                LedgerRecord::Shared(entry) => ledger.entries.push((id, *entry)),
                LedgerRecord::Declined(refusal) => ledger.refusals.push((id, refusal)),
            }
        }
        sort_newest_first(&mut ledger.entries);
        ledger.refusals.sort_by_key(|(_, r)| std::cmp::Reverse(r.declined_at));
        ledger
    }

    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Ledger> {
        Ok(Ledger::from_records(store.load(Kind::Ledger, key, damaged)?))
    }

    /// Writes `records` as new records (a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, records: &[LedgerRecord]) -> Result<Ledger> {
        Ok(Ledger::from_records(writer.put_all_new(Kind::Ledger, records.iter().cloned())?))
    }

    /// Every packet shared, newest first.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &LedgerEntry> {
        self.entries.iter().map(|(_, e)| e)
    }

    /// Every request declined, newest first.
    pub(crate) fn refusals(&self) -> impl Iterator<Item = &Refusal> {
        self.refusals.iter().map(|(_, r)| r)
    }

    /// Every record, packets then refusals (for a backup).
    pub(crate) fn records(&self) -> Vec<LedgerRecord> {
        let shared = self.entries().cloned().map(|e| LedgerRecord::Shared(Box::new(e)));
        shared.chain(self.refusals().cloned().map(LedgerRecord::Declined)).collect()
    }

    /// Every packet shared, newest first, with its status at `now`.
    pub(crate) fn lines(&self, now: i64, waiting: Waiting<'_>) -> Vec<LedgerLine> {
        self.entries().map(|e| LedgerLine { status: e.status_with(now, waiting), entry: e.clone() }).collect()
    }

    /// How request `request_jti` was answered before, oldest first.
    pub(crate) fn answers_to(&self, request_jti: &str, now: i64, waiting: Waiting<'_>) -> Vec<EarlierAnswer> {
        let shared = self.entries().filter(|e| e.request_jti == request_jti).map(|e| EarlierAnswer::Shared {
            packet_jti: e.packet_jti.clone(),
            at: e.shared_at,
            status: e.status_with(now, waiting),
        });
        let declined = self
            .refusals()
            .filter(|r| r.request_jti == request_jti)
            .map(|r| EarlierAnswer::Declined { at: r.declined_at });
        let mut answers: Vec<EarlierAnswer> = shared.chain(declined).collect();
        answers.sort_by_key(|a| match a {
            EarlierAnswer::Shared { at, .. } | EarlierAnswer::Declined { at } => *at,
        });
        answers
    }

    /// For each brand: what it holds now, every packet it received and every request of its that was declined.
    pub(crate) fn what_brands_know(&self, now: i64, waiting: Waiting<'_>) -> Vec<BrandKnowledge> {
        let mut brands: Vec<BrandKnowledge> = Vec::new();
        let mut brand_at = |did: &Did, name: &str| match brands.iter().position(|b| b.brand_did == did.to_string()) {
            Some(at) => at,
            None => {
                brands.push(BrandKnowledge {
                    brand_name: name.to_owned(),
                    brand_did: did.to_string(),
                    fingerprint: did.fingerprint(),
                    holds: Vec::new(),
                    deletion_pending: Vec::new(),
                    not_received: Vec::new(),
                    packets: Vec::new(),
                    refusals: Vec::new(),
                });
                brands.len() - 1
            }
        };
        let mut placed = Vec::new();
        for line in self.lines(now, waiting) {
            placed.push((brand_at(&line.entry.brand_did, &line.entry.brand_name), Some(line), None));
        }
        for refusal in self.refusals() {
            placed.push((brand_at(&refusal.brand_did, &refusal.brand_name), None, Some(refusal.clone())));
        }
        for (at, line, refusal) in placed {
            if let Some(line) = line {
                let brand = &mut brands[at];
                let items = line.entry.items.iter().cloned();
                match line.status.holding() {
                    Holding::Holds => brand.holds.extend(items),
                    Holding::DeletionPending => brand.deletion_pending.extend(items),
                    Holding::NotReceived => brand.not_received.extend(items),
                    Holding::Nothing => {}
                }
                brands[at].packets.push(line);
            }
            if let Some(refusal) = refusal {
                brands[at].refusals.push(refusal);
            }
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

    /// Records a declined request, in one transaction.
    pub(crate) fn decline(&mut self, store: &mut RecordStore, key: &RecordKey, refusal: Refusal) -> Result<Refusal> {
        let id = RecordId::random();
        let writer = store.write(key)?;
        writer.put(Kind::Ledger, &id, &refusal)?;
        writer.commit()?;
        self.refusals.insert(0, (id, refusal.clone()));
        Ok(refusal)
    }

    /// Applies a new entry once its transaction committed: it is the newest.
    pub(crate) fn apply(&mut self, staged: Staged<LedgerEntry>) {
        self.entries.insert(0, (staged.id, staged.value));
    }

    pub(crate) fn find(&self, packet_jti: &str) -> Result<(RecordId, LedgerEntry)> {
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

    /// Signs a revocation of packet `packet_jti` with the per-brand key derived from `master`;
    /// returns the entry marked revoked (not saved yet) and the revocation JWS.
    pub(crate) fn sign_revocation(
        &self,
        master: &MasterSecret,
        packet_jti: &str,
        now: i64,
    ) -> Result<(RecordId, LedgerEntry, String)> {
        let (id, entry) = self.find(packet_jti)?;
        if entry.deletion.is_some() {
            return Err(VaultError::AlreadyDeleted { brand_name: entry.brand_name });
        }
        let brand_key = derive_brand_key(master, &entry.brand_did);
        if let (Some(jti), Some(revoked_at)) = (&entry.revocation_jti, entry.revoked_at) {
            // Revoked already: the same revocation again, so that the brand's receipt for it answers it.
            let (jws, _) = revocation::sign_again(
                &brand_key,
                &entry.brand_did,
                &entry.packet_jti,
                &entry.packet_hash,
                jti,
                revoked_at,
            );
            return Ok((id, entry, jws));
        }
        let (jws, claims) = revocation::sign(&brand_key, &entry.brand_did, &entry.packet_jti, &entry.packet_hash, now);
        let mut updated = entry;
        updated.revocation_jti = Some(claims.jti);
        updated.revoked_at = Some(now);
        Ok((id, updated, jws))
    }

    /// Writes a changed entry in `writer`'s transaction.
    pub(crate) fn stage_update(
        &self,
        writer: &Writer<'_>,
        id: RecordId,
        updated: LedgerEntry,
    ) -> Result<Staged<LedgerEntry>> {
        writer.put(Kind::Ledger, &id, &updated)?;
        Ok(Staged { id, value: updated })
    }

    /// Applies a changed entry once its transaction committed.
    pub(crate) fn apply_update(&mut self, staged: Staged<LedgerEntry>) {
        if let Some(slot) = self.entries.iter_mut().find(|(i, _)| *i == staged.id) {
            slot.1 = staged.value;
        }
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
        match self.check_receipt(jws, now)? {
            ReceiptCheck::AlreadyConfirmed(entry) => Ok(LedgerLine { status: entry.status(now), entry }),
            ReceiptCheck::Confirms(id, updated) => self.update(store, key, id, updated, now),
        }
    }

    /// Verifies a deletion receipt against the ledger (see [`Ledger::import_receipt`]) without
    /// saving anything.
    pub(crate) fn check_receipt(&self, jws: &str, now: i64) -> Result<ReceiptCheck> {
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
            return Ok(ReceiptCheck::AlreadyConfirmed(entry));
        }
        let mut updated = entry;
        updated.deletion = Some(ConfirmedDeletion {
            deleted_at: claims.deleted_at,
            reason: claims.reason.as_str().into(),
            receipt_jti: claims.jti,
            receipt: jws.to_owned(),
        });
        Ok(ReceiptCheck::Confirms(id, updated))
    }
}
