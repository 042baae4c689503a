//! The outbox: what the consumer decided to send to a brand's inbox and that has not arrived yet.
//!
//! [`Outbox`] is the collection of `outbox` records, sealed like every other record: a packet
//! file waiting to be POSTed to its request's `response_uri`, or a revocation waiting to be
//! POSTed to the inbox's revocations endpoint, each with the number of attempts, when to try
//! next ([`backoff`]) and what went wrong last. An item leaves the outbox in the same
//! transaction that records its outcome in the ledger (the brand's acknowledgement, or the
//! verified deletion receipt), so it is delivered exactly once. What it must never do: open a
//! socket (the caller sends; `tessera-online` does the HTTP), hold a declined request (a
//! refusal is never sent anywhere), or keep an item whose outcome the ledger recorded.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::InOutbox;
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Staged, Writer};

/// What waits to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutgoingKind {
    /// A packet file, for the request's `response_uri`.
    Packet,
    /// A revocation, for the inbox's revocations endpoint.
    Revocation,
}

/// One item of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub kind: OutgoingKind,
    /// The packet it is (or revokes).
    pub packet_jti: String,
    pub brand_name: String,
    /// The request's `response_uri`: every endpoint is derived from it.
    pub response_uri: String,
    /// The bytes to send: the packet file (base64) or the revocation JWS.
    pub body: String,
    pub queued_at: i64,
    pub attempts: u32,
    /// When it is tried next by the automatic retries (Unix seconds).
    pub next_try_at: i64,
    /// What went wrong the last time, in words.
    pub last_error: Option<String>,
    /// The inbox refused it (a 4xx, or an answer that does not verify): trying the same bytes
    /// again will not help, so it is only tried again when the person asks.
    pub refused: bool,
    /// When its last send began (a packet whose send began may reach the brand even if the
    /// person revokes it meanwhile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<i64>,
    /// The packet was also saved as a file, to be sent another way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub saved_as_file: bool,
    /// Brought back by a restore: sent only when the person asks (the backup may be older than
    /// a revocation), never by the automatic retries.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    /// Brought back by a restore, for good (unlike `held`, which sending clears): the vault the
    /// backup was made of may send the same packet, so the brand may have it whatever this
    /// vault saw.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restored: bool,
}

impl OutboxItem {
    /// The bytes to POST.
    pub fn body_bytes(&self) -> Vec<u8> {
        match self.kind {
            OutgoingKind::Packet => STANDARD.decode(&self.body).unwrap_or_default(),
            OutgoingKind::Revocation => self.body.as_bytes().to_vec(),
        }
    }

    pub(crate) fn packet(packet_jti: &str, brand_name: &str, response_uri: &str, file: &[u8], now: i64) -> Self {
        OutboxItem::new(OutgoingKind::Packet, packet_jti, brand_name, response_uri, STANDARD.encode(file), now)
    }

    pub(crate) fn revocation(packet_jti: &str, brand_name: &str, response_uri: &str, jws: &str, now: i64) -> Self {
        OutboxItem::new(OutgoingKind::Revocation, packet_jti, brand_name, response_uri, jws.to_owned(), now)
    }

    fn new(kind: OutgoingKind, packet_jti: &str, brand_name: &str, response_uri: &str, body: String, now: i64) -> Self {
        OutboxItem {
            kind,
            packet_jti: packet_jti.to_owned(),
            brand_name: brand_name.to_owned(),
            response_uri: response_uri.to_owned(),
            body,
            queued_at: now,
            attempts: 0,
            next_try_at: now,
            last_error: None,
            refused: false,
            last_attempt_at: None,
            saved_as_file: false,
            held: false,
            restored: false,
        }
    }

    /// Whether the automatic retries should send it at `now`.
    pub fn is_due(&self, now: i64) -> bool {
        !self.refused && !self.held && self.next_try_at <= now
    }

    /// When a send of it may have begun: for items queued before sends were dated, the time it
    /// was queued if it was ever attempted.
    pub(crate) fn maybe_sent_since(&self) -> Option<i64> {
        self.last_attempt_at.or((self.attempts > 0).then_some(self.queued_at))
    }
}

/// How long after a packet's send began it may still reach the inbox: twice the consumer's
/// whole-exchange timeout (§12.10). Until then, an inbox that does not know the packet may
/// know it soon.
pub const IN_FLIGHT_SETTLE_SECONDS: i64 = 120;

/// Seconds to wait after `attempts` failed attempts: 30 s, then doubling, at most an hour.
pub fn backoff(attempts: u32) -> i64 {
    let doubled = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(10));
    doubled.min(3600)
}

/// Every item waiting, oldest first.
#[derive(Default)]
pub(crate) struct Outbox {
    items: Vec<(RecordId, OutboxItem)>,
}

impl Outbox {
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<Outbox> {
        let mut items: Vec<(RecordId, OutboxItem)> = store.load(Kind::Outbox, key, damaged)?;
        items.sort_by_key(|(_, item)| item.queued_at);
        Ok(Outbox { items })
    }

    pub(crate) fn items(&self) -> impl Iterator<Item = &OutboxItem> {
        self.items.iter().map(|(_, item)| item)
    }

    pub(crate) fn find(&self, packet_jti: &str, kind: OutgoingKind) -> Option<(RecordId, OutboxItem)> {
        self.items.iter().find(|(_, i)| i.packet_jti == packet_jti && i.kind == kind).cloned()
    }

    /// Where packet `packet_jti`'s item of `kind` stands.
    pub(crate) fn state_of(&self, packet_jti: &str, kind: OutgoingKind) -> InOutbox {
        match self.items.iter().find(|(_, i)| i.packet_jti == packet_jti && i.kind == kind) {
            None => InOutbox::No,
            Some((_, item)) if item.refused => InOutbox::Refused,
            Some(_) => InOutbox::Waiting,
        }
    }

    /// Writes `items` as new records (a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, items: &[OutboxItem]) -> Result<Outbox> {
        let mut items = writer.put_all_new(Kind::Outbox, items.iter().cloned())?;
        items.sort_by_key(|(_, item)| item.queued_at);
        Ok(Outbox { items })
    }

    /// Writes a new item in `writer`'s transaction.
    pub(crate) fn stage(&self, writer: &Writer<'_>, item: OutboxItem) -> Result<Staged<OutboxItem>> {
        let id = RecordId::random();
        writer.put(Kind::Outbox, &id, &item)?;
        Ok(Staged { id, value: item })
    }

    /// Writes a changed item in `writer`'s transaction.
    pub(crate) fn stage_update(
        &self,
        writer: &Writer<'_>,
        id: RecordId,
        item: OutboxItem,
    ) -> Result<Staged<OutboxItem>> {
        writer.put(Kind::Outbox, &id, &item)?;
        Ok(Staged { id, value: item })
    }

    /// Applies a new or changed item once its transaction committed.
    pub(crate) fn apply(&mut self, staged: Staged<OutboxItem>) {
        match self.items.iter_mut().find(|(id, _)| *id == staged.id) {
            Some(slot) => slot.1 = staged.value,
            None => self.items.push((staged.id, staged.value)),
        }
    }

    /// Forgets an item whose removal committed.
    pub(crate) fn forget(&mut self, id: RecordId) {
        self.items.retain(|(i, _)| *i != id);
    }

    /// Removes packet `packet_jti`'s item of `kind` in `writer`'s transaction, and from this
    /// copy at once (a copy read for that transaction: it is put in place only if the
    /// transaction commits). The item removed, if there was one.
    pub(crate) fn remove(
        &mut self,
        writer: &Writer<'_>,
        packet_jti: &str,
        kind: OutgoingKind,
    ) -> Result<Option<OutboxItem>> {
        let Some((id, item)) = self.find(packet_jti, kind) else { return Ok(None) };
        writer.delete(&id)?;
        self.forget(id);
        Ok(Some(item))
    }

    /// Changes packet `packet_jti`'s item of `kind` with `change`, in `writer`'s transaction
    /// and in this copy (as [`Outbox::remove`]). The changed item; `None` if there is none.
    pub(crate) fn update(
        &mut self,
        writer: &Writer<'_>,
        packet_jti: &str,
        kind: OutgoingKind,
        change: impl FnOnce(&mut OutboxItem),
    ) -> Result<Option<OutboxItem>> {
        let Some((id, mut item)) = self.find(packet_jti, kind) else { return Ok(None) };
        change(&mut item);
        let staged = self.stage_update(writer, id, item.clone())?;
        self.apply(staged);
        Ok(Some(item))
    }

    /// Puts `item` in place of the one for the same packet and kind, or adds it, in `writer`'s
    /// transaction and in this copy (as [`Outbox::remove`]).
    pub(crate) fn replace_or_add(&mut self, writer: &Writer<'_>, item: OutboxItem) -> Result<()> {
        let staged = match self.find(&item.packet_jti, item.kind) {
            Some((id, _)) => self.stage_update(writer, id, item)?,
            None => self.stage(writer, item)?,
        };
        self.apply(staged);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_thirty_seconds_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(backoff).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(u32::MAX), 3600);
    }
}
