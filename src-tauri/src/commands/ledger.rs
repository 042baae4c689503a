//! The ledger screen: what each brand knows, every packet with each item's
//! purpose, the requests declined, revocations (sent to the brand's inbox, or
//! saved as a file) and deletion receipts, and the outbox retried while the
//! app is open.

use serde::Serialize;
use serde_json::Value;
use tauri::State;
use tessera_vault::ledger::{self, BrandKnowledge, Holding, LedgerEntry, LedgerLine, PacketStatus};

use super::error::CmdResult;
use super::files::{read_text, Pick};
use super::sending::{self, Sent};
use super::{now, with_vault};
use crate::state::AppState;

/// An item a brand asked for, and why.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AskedItem {
    pub item: String,
    pub purpose: String,
    pub required: bool,
}

/// A request the person declined: nothing was sent.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Refusal {
    pub brand_name: String,
    pub offer: String,
    pub declined_at: i64,
    pub asked: Vec<AskedItem>,
}

impl From<&ledger::Refusal> for Refusal {
    fn from(r: &ledger::Refusal) -> Refusal {
        Refusal {
            brand_name: r.brand_name.clone(),
            offer: r.offer.clone(),
            declined_at: r.declined_at,
            asked: r
                .asked
                .iter()
                .map(|a| AskedItem { item: a.item.to_string(), purpose: a.purpose.clone(), required: a.required })
                .collect(),
        }
    }
}

/// An item a brand received, with the purpose it gave for asking.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LedgerItem {
    /// The item asked for; `item` is what was sent for it (the same, or a generalised form).
    pub answers: String,
    pub item: String,
    pub value: Value,
    pub purpose: String,
}

/// Where a packet stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Shared; waiting in the outbox to reach the brand's inbox.
    WaitingToBeSent,
    /// Shared; the brand's inbox refused it: not tried again by itself.
    SendingRefused,
    Active,
    Expired,
    /// Revoked; the revocation waits in the outbox to reach the brand's inbox.
    RevocationWaiting,
    /// Revoked; the brand's inbox refused the revocation: not tried again by itself.
    RevocationRefused,
    Revoked,
    /// Revoked before it reached the brand: its inbox never received it.
    NeverReceived,
    DeletionConfirmed,
}

impl From<PacketStatus> for Status {
    fn from(status: PacketStatus) -> Status {
        match status {
            PacketStatus::WaitingToBeSent => Status::WaitingToBeSent,
            PacketStatus::SendingRefused => Status::SendingRefused,
            PacketStatus::RevocationWaiting => Status::RevocationWaiting,
            PacketStatus::RevocationRefused => Status::RevocationRefused,
            PacketStatus::Active => Status::Active,
            PacketStatus::Expired => Status::Expired,
            PacketStatus::Revoked => Status::Revoked,
            PacketStatus::NeverReceived => Status::NeverReceived,
            PacketStatus::DeletionConfirmed => Status::DeletionConfirmed,
        }
    }
}

/// A deletion the brand proved with a signed receipt.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Deletion {
    pub deleted_at: i64,
    /// `revoked` or `retention_expired`.
    pub reason: String,
}

/// A packet shared, as the ledger shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Packet {
    pub packet_jti: String,
    pub brand_name: String,
    pub offer: String,
    pub shared_at: i64,
    pub retention_end: i64,
    pub status: Status,
    pub items: Vec<LedgerItem>,
    /// What the brand asked for and did not get, with its purpose.
    pub refused: Vec<AskedItem>,
    pub revoked_at: Option<i64>,
    pub deletion: Option<Deletion>,
    /// The host of the brand's inbox, when the request named one: Revoke sends the revocation there.
    pub inbox_host: Option<String>,
    /// When the brand's inbox acknowledged the packet.
    pub acknowledged_at: Option<i64>,
}

fn purpose_of(entry: &LedgerEntry, item: &tessera_protocol::ItemName) -> String {
    entry.purposes.iter().find(|(asked, _)| asked == item).map(|(_, purpose)| purpose.clone()).unwrap_or_default()
}

impl From<&LedgerLine> for Packet {
    fn from(line: &LedgerLine) -> Packet {
        let e = &line.entry;
        Packet {
            packet_jti: e.packet_jti.clone(),
            brand_name: e.brand_name.clone(),
            offer: e.offer.clone(),
            shared_at: e.shared_at,
            retention_end: e.retention_end,
            status: Status::from(line.status),
            items: e
                .items
                .iter()
                .map(|i| LedgerItem {
                    answers: i.answers.to_string(),
                    item: i.item.to_string(),
                    value: i.value.clone(),
                    purpose: purpose_of(e, &i.answers),
                })
                .collect(),
            refused: e
                .purposes
                .iter()
                .filter(|(asked, _)| !e.items.iter().any(|i| i.answers == *asked))
                .map(|(asked, purpose)| AskedItem {
                    item: asked.to_string(),
                    purpose: purpose.clone(),
                    required: false,
                })
                .collect(),
            revoked_at: e.revoked_at,
            deletion: e.deletion.as_ref().map(|d| Deletion { deleted_at: d.deleted_at, reason: d.reason.clone() }),
            inbox_host: e
                .response_uri
                .as_deref()
                .and_then(|uri| tessera_protocol::inbox::Endpoints::from_response_uri(uri).ok())
                .map(|inbox| inbox.host()),
            acknowledged_at: e.delivered.as_ref().map(|d| d.acknowledged_at),
        }
    }
}

/// What one brand knows about the person, and what it was refused.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BrandLedger {
    pub brand_name: String,
    pub fingerprint: String,
    /// Items the brand holds and may use (packets it received, not revoked, not expired).
    pub holds: Vec<LedgerItem>,
    /// Items of packets revoked whose deletion the brand has not confirmed yet.
    pub deletion_pending: Vec<LedgerItem>,
    /// Items of packets that have not reached the brand yet.
    pub not_received: Vec<LedgerItem>,
    pub packets: Vec<Packet>,
    pub refusals: Vec<Refusal>,
}

impl From<&BrandKnowledge> for BrandLedger {
    fn from(b: &BrandKnowledge) -> BrandLedger {
        // The vault says which packets the brand holds; the page wants each item with its purpose.
        let items_where = |holding: Holding| -> Vec<LedgerItem> {
            b.packets.iter().filter(|l| l.status.holding() == holding).flat_map(|l| Packet::from(l).items).collect()
        };
        BrandLedger {
            brand_name: b.brand_name.clone(),
            fingerprint: b.fingerprint.clone(),
            holds: items_where(Holding::Holds),
            deletion_pending: items_where(Holding::DeletionPending),
            not_received: items_where(Holding::NotReceived),
            packets: b.packets.iter().map(Packet::from).collect(),
            refusals: b.refusals.iter().map(Refusal::from).collect(),
        }
    }
}

#[tauri::command]
#[specta::specta]
pub fn ledger(state: State<'_, AppState>) -> CmdResult<Vec<BrandLedger>> {
    let brands = with_vault(&state, |v| v.what_brands_know(now()))?;
    Ok(brands.iter().map(BrandLedger::from).collect())
}

/// Signs a revocation of the packet, writes it where the person chooses, and marks the packet revoked.
#[tauri::command(async)]
#[specta::specta]
pub fn packet_revoke(state: State<'_, AppState>, packet_jti: String) -> CmdResult<Option<Packet>> {
    state.touch();
    let Some(path) = state.choose_file(Pick::SaveRevocation, "revocation.tessera") else { return Ok(None) };
    let line = with_vault(&state, |v| v.revoke_packet(&packet_jti, &path, now()))?;
    Ok(Some(Packet::from(&line)))
}

/// Checks a deletion receipt the person chooses and records the deletion as confirmed.
#[tauri::command(async)]
#[specta::specta]
pub fn receipt_import(state: State<'_, AppState>) -> CmdResult<Option<Packet>> {
    state.touch();
    let Some(path) = state.choose_file(Pick::OpenReceipt, "") else { return Ok(None) };
    let text = read_text(&path)?;
    let line = with_vault(&state, |v| v.import_receipt(&text, now()))?;
    Ok(Some(Packet::from(&line)))
}

/// Revokes the packet and sends the revocation to the brand's inbox: the signed deletion receipt
/// that comes back is verified and stored ("deletion confirmed"), or the revocation waits in the
/// outbox ("revocation waiting to be sent") and is tried again by itself while the app is open.
#[tauri::command]
#[specta::specta]
pub async fn packet_revoke_send(state: State<'_, AppState>, packet_jti: String) -> CmdResult<Sent> {
    let (line, item) = with_vault(&state, |v| v.queue_revocation(&packet_jti, now()))?;
    match item {
        Some(item) => sending::send(&state, &sending::client()?, &item).await,
        // No send of it ever began: withdrawn, it never left the computer, nothing to tell the brand.
        None => Ok(Sent::Withdrawn { packet: Packet::from(&line) }),
    }
}

/// What one pass over the outbox did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct OutboxPass {
    /// Each item that was due, and what became of it.
    pub sent: Vec<Sent>,
    /// Items still waiting after the pass (refused ones included).
    pub waiting: u32,
}

/// Sends what is due in the outbox (its wait after earlier failures over; refused items only
/// when `everything`, i.e. the person asked). Nothing due: no connection is opened.
#[tauri::command]
#[specta::specta]
pub async fn outbox_send(state: State<'_, AppState>, everything: bool) -> CmdResult<OutboxPass> {
    let due = with_vault(&state, |v| if everything { v.outbox() } else { v.outbox_due(now()) })?;
    let mut sent = Vec::new();
    if !due.is_empty() {
        let client = sending::client()?;
        for item in &due {
            sent.push(sending::send(&state, &client, item).await?);
        }
    }
    let waiting = with_vault(&state, |v| v.outbox())?.len();
    Ok(OutboxPass { sent, waiting: u32::try_from(waiting).unwrap_or(u32::MAX) })
}
