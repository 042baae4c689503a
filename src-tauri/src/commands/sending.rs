//! Sending what waits in the vault's outbox to a brand's inbox, for the commands of the
//! requests and ledger screens: the vault gives the item, `tessera-online` POSTs it, the vault
//! records what came back. The vault's lock is never held while waiting on the network.
//!
//! What it must never do: send anything the person did not decide (only outbox items, which
//! only a Share or a Revoke puts there), or contact a host other than the item's inbox.

use serde::Serialize;
use tessera_online::{Client, OnlineError};
use tessera_vault::ledger::PacketStatus;
use tessera_vault::outbox::{OutboxItem, OutgoingKind};
use tessera_vault::UnknownToInbox;

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
/// nothing is sent.
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
    // The vault records a wrong acknowledgement or receipt as refused; anything else (locked…) is the command's error.
    let refused = |error: CommandError| -> CmdResult<Sent> {
        match error {
            CommandError::Locked | CommandError::NoVault | CommandError::UnknownPacket => Err(error),
            error => Ok(Sent::Refused { packet: packet_line(state, jti)?, error }),
        }
    };
    let failure = match item.kind {
        OutgoingKind::Packet => match client.send_packet(&item.response_uri, &item.body_bytes()).await {
            Ok(delivered) => {
                return match with_vault(state, |v| v.packet_delivered(jti, &delivered.acknowledgement, now())) {
                    // Revoked while this send was under way: the brand has it, so the revocation goes now.
                    Ok(line) if line.status == PacketStatus::RevocationWaiting => {
                        let outbox = with_vault(state, |v| v.outbox())?;
                        match outbox.into_iter().find(|i| i.packet_jti == jti && i.kind == OutgoingKind::Revocation) {
                            Some(revocation) => Box::pin(send(state, client, &revocation)).await,
                            None => Ok(Sent::Delivered { packet: Packet::from(&line) }),
                        }
                    }
                    Ok(line) => Ok(Sent::Delivered { packet: Packet::from(&line) }),
                    Err(error) => refused(error),
                };
            }
            Err(e) => e,
        },
        OutgoingKind::Revocation => {
            let body = String::from_utf8_lossy(&item.body_bytes()).into_owned();
            match client.send_revocation(&item.response_uri, &body).await {
                Ok(receipt) => {
                    return match with_vault(state, |v| v.revocation_answered(jti, &receipt, now())) {
                        Ok(line) => Ok(Sent::Delivered { packet: Packet::from(&line) }),
                        Err(error) => refused(error),
                    };
                }
                Err(e) if e.inbox_code() == Some("unknown_packet") => {
                    let text = e.to_string();
                    match with_vault(state, |v| v.revocation_unknown_to_inbox(jti, &text, now()))? {
                        UnknownToInbox::NeverReceived(line) => {
                            return Ok(Sent::Withdrawn { packet: Packet::from(line.as_ref()) })
                        }
                        UnknownToInbox::NotYet { ask_again_at } => {
                            let packet = packet_line(state, jti)?;
                            let error = CommandError::from(e);
                            return Ok(Sent::Waiting { packet, error, next_try_at: ask_again_at });
                        }
                        UnknownToInbox::Unexplained => e,
                    }
                }
                Err(e) => e,
            }
        }
    };
    failed(state, item, failure)
}

fn failed(state: &AppState, item: &OutboxItem, error: OnlineError) -> CmdResult<Sent> {
    let retryable = error.is_retryable();
    let text = error.to_string();
    let recorded = with_vault(state, |v| v.delivery_failed(&item.packet_jti, item.kind, &text, retryable, now()))?;
    let packet = packet_line(state, &item.packet_jti)?;
    let Some(recorded) = recorded else {
        // Revoked while it was being sent: it left the outbox; its revocation waits instead.
        return Ok(Sent::Withdrawn { packet });
    };
    let error = CommandError::from(error);
    Ok(if retryable {
        Sent::Waiting { packet, error, next_try_at: recorded.next_try_at }
    } else {
        Sent::Refused { packet, error }
    })
}

/// The network client (rustls, no redirect, no proxy, timeouts).
pub(crate) fn client() -> CmdResult<Client> {
    Client::new().map_err(CommandError::from)
}
