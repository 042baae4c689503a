//! Sending what waits in the vault's outbox to a brand's inbox, for the commands of the
//! requests and ledger screens: the vault gives the item, `tessera-online` POSTs it, the vault
//! records what came back. The vault's lock is never held while waiting on the network.
//!
//! What it must never do: send anything the person did not decide (only outbox items, which
//! only a Share or a Revoke puts there), or contact a host other than the item's inbox.

use serde::Serialize;
use tessera_online::{Client, OnlineError};
use tessera_vault::outbox::{OutboxItem, OutgoingKind};
use tessera_vault::sending::{Answered, InboxAnswer, SendFailure};

use super::error::{CmdResult, CommandError};
use super::ledger::{Packet, Status};
use super::{now, with_vault};
use crate::state::AppState;

/// What became of one item sent.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Sent {
    /// The inbox acknowledged the packet, or answered the revocation with a receipt that verified.
    Delivered { packet: Packet },
    /// Revoked before it reached the brand: the packet is not sent, and the brand's inbox says
    /// it never received it (or the packet's send failed while the person revoked it).
    Withdrawn { packet: Packet },
    /// It waits in the outbox: `error` says why (offline, the brand's server failing…); it is
    /// tried again by itself while the app is open, at `next_try_at`.
    Waiting { packet: Packet, error: CommandError, next_try_at: i64 },
    /// The inbox refused it, or answered with something that does not verify: it stays in the
    /// outbox, and is not tried again by itself.
    Refused { packet: Packet, error: CommandError },
}

fn packet_line(state: &AppState, packet_jti: &str) -> CmdResult<Packet> {
    let lines = with_vault(state, |v| v.ledger(now()))?;
    lines.iter().find(|l| l.entry.packet_jti == packet_jti).map(Packet::from).ok_or(CommandError::UnknownPacket)
}

/// Sends one item now and records the outcome in the vault. The item is taken again from the
/// vault first: if it left the outbox meanwhile (sent already, or a packet the person revoked),
/// nothing is sent. What the answer means is the vault's ([`Vault::record_answer`]); this
/// only turns it into what the page shows.
///
/// [`Vault::record_answer`]: tessera_vault::Vault::record_answer
pub(crate) async fn send(state: &AppState, client: &Client, item: &OutboxItem) -> CmdResult<Sent> {
    let jti = item.packet_jti.as_str();
    let Some(item) = with_vault(state, |v| v.begin_sending(jti, item.kind, now()))? else {
        let packet = packet_line(state, jti)?;
        return Ok(match packet.status {
            Status::NeverReceived => Sent::Withdrawn { packet },
            _ => Sent::Delivered { packet },
        });
    };
    let item = &item;
    // The inbox's answer, or why there is none (kept: the page shows it in the person's language).
    let (answered, failure) = match item.kind {
        OutgoingKind::Packet => match client.send_packet(&item.response_uri, &item.body_bytes()).await {
            Ok(delivered) => {
                let answer = InboxAnswer::Acknowledged(&delivered.acknowledgement);
                (with_vault(state, |v| v.record_answer(item, answer, now()))?, None)
            }
            Err(e) => (record_failure(state, item, &e)?, Some(e)),
        },
        OutgoingKind::Revocation => {
            let body = String::from_utf8_lossy(&item.body_bytes()).into_owned();
            match client.send_revocation(&item.response_uri, &body).await {
                Ok(receipt) => {
                    (with_vault(state, |v| v.record_answer(item, InboxAnswer::Receipt(&receipt), now()))?, None)
                }
                Err(e) => (record_failure(state, item, &e)?, Some(e)),
            }
        }
    };
    // Only a failed send makes the vault answer `NotYet` or `Failed`.
    let failure = || failure.map(CommandError::from).unwrap_or(CommandError::Internal);
    Ok(match answered {
        Answered::Delivered(line) => Sent::Delivered { packet: Packet::from(&line) },
        // Revoked while this send was under way: the brand has it, so the revocation goes now.
        Answered::DeliveredThenRevoke(_, revocation) => return Box::pin(send(state, client, &revocation)).await,
        Answered::NeverReceived(line) => Sent::Withdrawn { packet: Packet::from(&line) },
        Answered::NotYet { ask_again_at } => {
            Sent::Waiting { packet: packet_line(state, jti)?, error: failure(), next_try_at: ask_again_at }
        }
        // A wrong acknowledgement or receipt, recorded as refused.
        Answered::WrongAnswer(e) => Sent::Refused { packet: packet_line(state, jti)?, error: CommandError::from(e) },
        Answered::Failed(waiting) => {
            let packet = packet_line(state, jti)?;
            if waiting.refused {
                Sent::Refused { packet, error: failure() }
            } else {
                Sent::Waiting { packet, error: failure(), next_try_at: waiting.next_try_at }
            }
        }
        // Revoked while it was being sent: it left the outbox; its revocation waits instead.
        Answered::LeftOutbox => Sent::Withdrawn { packet: packet_line(state, jti)? },
    })
}

/// Tells the vault a send failed with `error`.
fn record_failure(state: &AppState, item: &OutboxItem, error: &OnlineError) -> CmdResult<Answered> {
    let text = error.to_string();
    let failure = SendFailure {
        error: &text,
        retryable: error.is_retryable(),
        unknown_packet: error.inbox_code() == Some("unknown_packet"),
    };
    with_vault(state, |v| v.record_answer(item, InboxAnswer::Failed(failure), now()))
}

/// The network client (rustls, no redirect, no proxy, timeouts).
pub(crate) fn client() -> CmdResult<Client> {
    Client::new().map_err(CommandError::from)
}
