//! The outbox: a packet and a revocation wait, sealed in the vault, until the brand's inbox
//! answers; each leaves it exactly once, with its outcome in the ledger. The brand's side is the
//! real brand store (what the inbox runs); the network itself is tested in the top-level tests/.

mod support;

use serde_json::json;
use support::*;
use tessera_brand::{BrandStore, Unlock};
use tessera_protocol::inbox::PacketAcknowledgement;
use tessera_protocol::request::{RequestSpec, RequestedItem};
use tessera_vault::consent::{Choice, Decision};
use tessera_vault::facts::Sensitivity;
use tessera_vault::ledger::PacketStatus;
use tessera_vault::outbox::OutgoingKind;
use tessera_vault::{Vault, VaultError};

const BRAND: Unlock<'static> = Unlock::Passphrase("brand passphrase for tests");
const INBOX: &str = "https://inbox.maison.example/v1/packets";

fn spec() -> RequestSpec {
    RequestSpec {
        items: vec![RequestedItem { item: "email".parse().unwrap(), purpose: "your card".into(), required: true }],
        retention_days: 30,
        offer: "10 % off".into(),
        valid_days: 14,
    }
}

fn ack(packet_id: &str, request_id: &str, retention_end: i64) -> PacketAcknowledgement {
    PacketAcknowledgement {
        packet_id: packet_id.into(),
        request_id: request_id.into(),
        retention_end,
        status: "stored".into(),
    }
}

fn status_of(vault: &Vault, packet_jti: &str, now: i64) -> PacketStatus {
    vault.ledger(now).unwrap().into_iter().find(|l| l.entry.packet_jti == packet_jti).unwrap().status
}

#[test]
fn a_packet_and_its_revocation_wait_then_leave_the_outbox_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut brand = BrandStore::create(&dir.path().join("brand"), "Maison Exemple", BRAND, NOW).unwrap();
    let request = brand.create_request_for_inbox(&spec(), Some(INBOX), NOW).unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();

    let now = NOW + 60;
    let review = vault.review_request(&request.jws, now).unwrap();
    assert_eq!(review.inbox_host.as_deref(), Some("inbox.maison.example"));
    let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
    let preview = vault.preview_packet(&review, &decisions, now).unwrap();
    let (entry, item) = vault.queue_packet(&review, &preview, now).unwrap();
    assert_eq!((item.kind, item.response_uri.as_str(), item.attempts), (OutgoingKind::Packet, INBOX, 0));
    assert_eq!(status_of(&vault, &entry.packet_jti, now), PacketStatus::WaitingToBeSent);
    assert_eq!(vault.outbox_due(now).unwrap().len(), 1);

    // The inbox is down: one attempt counted, the next waits 30 s, then 60 s.
    let failed = vault.delivery_failed(&entry.packet_jti, OutgoingKind::Packet, "cannot reach", true, now).unwrap();
    assert_eq!((failed.attempts, failed.next_try_at, failed.refused), (1, now + 30, false));
    assert!(vault.outbox_due(now + 29).unwrap().is_empty());
    let failed = vault.delivery_failed(&entry.packet_jti, OutgoingKind::Packet, "cannot reach", true, now).unwrap();
    assert_eq!(failed.next_try_at, now + 60);

    // The outbox is in the vault: it survives locking and reopening.
    drop(vault);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    let waiting = vault.outbox().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 2);

    // The brand stores the very bytes; an acknowledgement of another packet is refused.
    let outcome = brand.import_packet(&waiting[0].body_bytes(), now + 90).unwrap();
    let tessera_brand::import::ImportOutcome::Imported { retention_end, .. } = outcome else { panic!("imported once") };
    let wrong = ack("another", &entry.request_jti, retention_end);
    assert!(matches!(
        vault.packet_delivered(&entry.packet_jti, &wrong, now + 90),
        Err(VaultError::WrongAcknowledgement { .. })
    ));
    let good = ack(&entry.packet_jti, &entry.request_jti, retention_end);
    let line = vault.packet_delivered(&entry.packet_jti, &good, now + 90).unwrap();
    assert_eq!(line.status, PacketStatus::Active);
    assert_eq!(
        line.entry.delivered.as_ref().map(|d| (d.acknowledged_at, d.retention_end)),
        Some((now + 90, retention_end))
    );
    // The same acknowledgement again (a 200 after a lost 201) changes nothing.
    let again = vault.packet_delivered(&entry.packet_jti, &good, now + 120).unwrap();
    assert_eq!(again.entry.delivered, line.entry.delivered);
    assert!(vault.outbox().unwrap().is_empty());

    // Revoke: the revocation waits, then the brand's receipt confirms the deletion.
    let (line, item) = vault.queue_revocation(&entry.packet_jti, now + 200).unwrap();
    assert_eq!(line.status, PacketStatus::RevocationWaiting);
    assert_eq!(item.kind, OutgoingKind::Revocation);
    let revoked = brand.import_revocation(std::str::from_utf8(&item.body_bytes()).unwrap(), now + 210).unwrap();
    // A receipt that does not verify (another packet's, truncated) changes nothing and stops the retries.
    let truncated = &revoked.receipt[..revoked.receipt.len() - 4];
    assert!(vault.revocation_answered(&entry.packet_jti, truncated, now + 220).is_err());
    let stuck = vault.outbox().unwrap();
    assert!(stuck[0].refused && stuck[0].last_error.is_some());
    assert_eq!(status_of(&vault, &entry.packet_jti, now + 220), PacketStatus::RevocationWaiting);
    let line = vault.revocation_answered(&entry.packet_jti, &revoked.receipt, now + 230).unwrap();
    assert_eq!(line.status, PacketStatus::DeletionConfirmed);
    assert!(vault.outbox().unwrap().is_empty());
    assert_eq!(status_of(&vault, &entry.packet_jti, now + 230), PacketStatus::DeletionConfirmed);
}

#[test]
fn a_request_without_an_inbox_is_answered_with_a_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut brand = BrandStore::create(&dir.path().join("brand"), "Maison Exemple", BRAND, NOW).unwrap();
    let request = brand.create_request(&spec(), NOW).unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();
    let review = vault.review_request(&request.jws, NOW).unwrap();
    assert_eq!(review.inbox_host, None);
    let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
    let preview = vault.preview_packet(&review, &decisions, NOW).unwrap();
    assert!(matches!(vault.queue_packet(&review, &preview, NOW), Err(VaultError::NoInbox { .. })));
    assert!(vault.ledger(NOW).unwrap().is_empty(), "nothing recorded");
    let entry = vault.write_packet(&review, &preview, &dir.path().join("p.tessera-packet"), NOW).unwrap();
    assert!(matches!(vault.queue_revocation(&entry.packet_jti, NOW), Err(VaultError::NoInbox { .. })));
    assert_eq!(status_of(&vault, &entry.packet_jti, NOW), PacketStatus::Active, "not revoked");
}
