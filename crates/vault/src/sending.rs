//! What an inbox's answer to an item sent from the outbox means, decided once for every
//! front end: the CLI and the app send the item (the network is theirs), hand the answer
//! over as an [`InboxAnswer`], and only put the [`Answered`] into words.
//!
//! What it must never do: touch the network, or decide anything the vault's sending rules
//! (`Vault::packet_delivered`, `Vault::revocation_answered`,
//! `Vault::revocation_unknown_to_inbox`, `Vault::delivery_failed`) do not already say.

use tessera_protocol::inbox::PacketAcknowledgement;

use crate::ledger::{LedgerLine, PacketStatus};
use crate::outbox::{OutboxItem, OutgoingKind};
use crate::vault::{UnknownToInbox, Vault};
use crate::{Result, VaultError};

/// What came back from sending an item, in the vault's terms.
#[derive(Debug, Clone, Copy)]
pub enum InboxAnswer<'a> {
    /// The inbox acknowledged the packet (201 or 200).
    Acknowledged(&'a PacketAcknowledgement),
    /// The inbox answered the revocation with this receipt (not verified yet).
    Receipt(&'a str),
    /// No answer that counts: the inbox refused the item, or could not be reached.
    Failed(SendFailure<'a>),
}

/// A send that failed ([`InboxAnswer::Failed`]).
#[derive(Debug, Clone, Copy)]
pub struct SendFailure<'a> {
    /// What went wrong, in words (kept in the outbox item).
    pub error: &'a str,
    /// Whether trying again later may work (offline, a server error, too busy).
    pub retryable: bool,
    /// The inbox said it has no such packet (its `unknown_packet` code).
    pub unknown_packet: bool,
}

/// What an answer changed.
#[derive(Debug)]
pub enum Answered {
    /// The packet is acknowledged, or the deletion confirmed by a receipt that verified.
    Delivered(LedgerLine),
    /// The packet is acknowledged, but the person revoked it while it was on its way: the brand
    /// has it, so its revocation (due now) is to be sent next.
    DeliveredThenRevoke(LedgerLine, OutboxItem),
    /// The inbox never received the packet revoked before it arrived: nothing is left to delete.
    NeverReceived(LedgerLine),
    /// The inbox does not have the revoked packet yet, but a send of it may still arrive: the
    /// revocation asks again at `ask_again_at`.
    NotYet { ask_again_at: i64 },
    /// An acknowledgement of another packet, or a receipt that does not prove the deletion:
    /// recorded as refused (the item stays, and is not sent again by itself).
    WrongAnswer(VaultError),
    /// The send failed: the item as it now waits (`refused` when it is not tried again by
    /// itself).
    Failed(OutboxItem),
    /// The item left the outbox while it was being sent (the person revoked the packet, or
    /// another Tessera on this vault sent it): nothing was recorded.
    LeftOutbox,
}

impl Vault {
    /// Records what came back from sending `item` (taken by [`Vault::begin_sending`]) at `now`,
    /// and says what that changed.
    pub fn record_answer(&mut self, item: &OutboxItem, answer: InboxAnswer<'_>, now: i64) -> Result<Answered> {
        let jti = item.packet_jti.as_str();
        let failure = match answer {
            InboxAnswer::Acknowledged(acknowledgement) => {
                return Ok(match self.record_acknowledgement(jti, acknowledgement, now)? {
                    Ok(line) if line.status == PacketStatus::RevocationWaiting => {
                        let revocation = self
                            .outbox()?
                            .into_iter()
                            .find(|i| i.packet_jti == jti && i.kind == OutgoingKind::Revocation);
                        match revocation {
                            Some(revocation) => Answered::DeliveredThenRevoke(line, revocation),
                            None => Answered::Delivered(line),
                        }
                    }
                    Ok(line) => Answered::Delivered(line),
                    Err(wrong) => Answered::WrongAnswer(wrong),
                });
            }
            InboxAnswer::Receipt(receipt) => {
                return Ok(match self.record_receipt(jti, receipt, now)? {
                    Ok(line) => Answered::Delivered(line),
                    Err(wrong) => Answered::WrongAnswer(wrong),
                });
            }
            InboxAnswer::Failed(failure) => failure,
        };
        if failure.unknown_packet && item.kind == OutgoingKind::Revocation {
            match self.revocation_unknown_to_inbox(jti, failure.error, now)? {
                UnknownToInbox::NeverReceived(line) => return Ok(Answered::NeverReceived(*line)),
                UnknownToInbox::NotYet { ask_again_at } => return Ok(Answered::NotYet { ask_again_at }),
                UnknownToInbox::Unexplained => {}
            }
        }
        Ok(match self.delivery_failed(jti, item.kind, failure.error, failure.retryable, now)? {
            Some(waiting) => Answered::Failed(waiting),
            None => Answered::LeftOutbox,
        })
    }
}
