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
use tessera_vault::outbox::{OutgoingKind, IN_FLIGHT_SETTLE_SECONDS};
use tessera_vault::{UnknownToInbox, Vault, VaultError};

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
    let failed = failed.expect("still in the outbox");
    assert_eq!((failed.attempts, failed.next_try_at, failed.refused), (1, now + 30, false));
    assert!(vault.outbox_due(now + 29).unwrap().is_empty());
    let failed = vault.delivery_failed(&entry.packet_jti, OutgoingKind::Packet, "cannot reach", true, now).unwrap();
    let failed = failed.expect("still in the outbox");
    assert_eq!(failed.next_try_at, now + 60);

    // The outbox is in the vault: it survives locking and reopening.
    drop(vault);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    let waiting = vault.outbox().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 2);

    // The brand stores the very bytes; an acknowledgement of another packet is refused, and
    // the attempt is recorded with its reason: it is not tried again by itself.
    let outcome = brand.import_packet(&waiting[0].body_bytes(), now + 90).unwrap();
    let tessera_brand::import::ImportOutcome::Imported { retention_end, .. } = outcome else { panic!("imported once") };
    let wrong = ack("another", &entry.request_jti, retention_end);
    assert!(matches!(
        vault.packet_delivered(&entry.packet_jti, &wrong, now + 90),
        Err(VaultError::WrongAcknowledgement { .. })
    ));
    let stuck = vault.outbox().unwrap();
    assert!(stuck[0].refused && stuck[0].attempts == 3);
    assert!(stuck[0].last_error.as_deref().unwrap().contains("another"), "{:?}", stuck[0].last_error);
    assert_eq!(status_of(&vault, &entry.packet_jti, now + 90), PacketStatus::SendingRefused);
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
    let item = item.expect("the brand has it: the revocation goes to its inbox");
    assert_eq!(line.status, PacketStatus::RevocationWaiting);
    assert_eq!(item.kind, OutgoingKind::Revocation);
    let revoked = brand.import_revocation(std::str::from_utf8(&item.body_bytes()).unwrap(), now + 210).unwrap();
    // A receipt that does not verify (another packet's, truncated) changes nothing and stops the retries.
    let truncated = &revoked.receipt[..revoked.receipt.len() - 4];
    assert!(vault.revocation_answered(&entry.packet_jti, truncated, now + 220).is_err());
    let stuck = vault.outbox().unwrap();
    assert!(stuck[0].refused && stuck[0].last_error.is_some());
    assert_eq!(status_of(&vault, &entry.packet_jti, now + 220), PacketStatus::RevocationRefused);
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

/// A brand, a vault with an email, and a packet for the brand's inbox waiting in the outbox.
fn a_packet_waiting(dir: &std::path::Path) -> (BrandStore, Vault, tessera_vault::ledger::LedgerEntry) {
    let mut brand = BrandStore::create(&dir.join("brand"), "Maison Exemple", BRAND, NOW).unwrap();
    let request = brand.create_request_for_inbox(&spec(), Some(INBOX), NOW).unwrap();
    let (mut vault, _) = new_vault(dir);
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();
    let review = vault.review_request(&request.jws, NOW).unwrap();
    let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
    let preview = vault.preview_packet(&review, &decisions, NOW).unwrap();
    let (entry, _) = vault.queue_packet(&review, &preview, NOW).unwrap();
    (brand, vault, entry)
}

fn holdings(vault: &Vault, now: i64) -> (usize, usize, usize) {
    let brands = vault.what_brands_know(now).unwrap();
    let b = &brands[0];
    (b.holds.len(), b.deletion_pending.len(), b.not_received.len())
}

#[test]
fn a_packet_revoked_before_any_send_began_never_leaves_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (_brand, mut vault, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();
    assert_eq!(holdings(&vault, NOW + 1), (0, 0, 1));
    let (line, revocation) = vault.queue_revocation(jti, NOW + 2).unwrap();
    assert_eq!(revocation, None, "the brand cannot have it: nothing to tell it");
    assert_eq!(line.status, PacketStatus::NeverReceived);
    assert!(vault.outbox().unwrap().is_empty());
    assert_eq!(holdings(&vault, NOW + 2), (0, 0, 0));
    // Whoever still held the item cannot send it any more.
    assert_eq!(vault.begin_sending(jti, OutgoingKind::Packet, NOW + 3).unwrap(), None);
    assert_eq!(vault.delivery_failed(jti, OutgoingKind::Packet, "500", true, NOW + 4).unwrap(), None);
    drop(vault);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(status_of(&vault, jti, NOW + 5), PacketStatus::NeverReceived);
}

#[test]
fn a_packet_revoked_after_a_send_began_is_withdrawn_and_never_received_only_once_no_send_can_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, mut vault, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();
    // A send began and failed on the inbox's side: the packet waits.
    vault.begin_sending(jti, OutgoingKind::Packet, NOW + 1).unwrap().expect("waiting");
    vault.delivery_failed(jti, OutgoingKind::Packet, "500", true, NOW + 1).unwrap();

    // Revoked: the packet leaves the outbox at once; the revocation waits, since the send may
    // have reached the brand with its answer lost.
    let (line, item) = vault.queue_revocation(jti, NOW + 2).unwrap();
    let item = item.expect("the revocation goes");
    assert_eq!(line.status, PacketStatus::RevocationWaiting);
    let waiting = vault.outbox().unwrap();
    assert_eq!(waiting.iter().map(|i| i.kind).collect::<Vec<_>>(), [OutgoingKind::Revocation]);
    assert_eq!(holdings(&vault, NOW + 2), (0, 1, 0), "until the brand answers, it may hold it");

    // The inbox does not know it — but a send that began at NOW + 1 could still arrive.
    let revocation = std::str::from_utf8(&item.body_bytes()).unwrap().to_owned();
    assert!(brand.import_revocation(&revocation, NOW + 3).is_err(), "the brand does not have it");
    let settle = NOW + 1 + IN_FLIGHT_SETTLE_SECONDS;
    let early = vault.revocation_unknown_to_inbox(jti, "404 unknown_packet", NOW + 3).unwrap();
    assert_eq!(early, UnknownToInbox::NotYet { ask_again_at: settle });
    assert_eq!(vault.outbox().unwrap()[0].next_try_at, settle);
    assert_eq!(status_of(&vault, jti, NOW + 3), PacketStatus::RevocationWaiting);

    // Asked again once no send can still arrive: never received, recorded; nothing waits.
    let UnknownToInbox::NeverReceived(line) = vault.revocation_unknown_to_inbox(jti, "404", settle).unwrap() else {
        panic!("never received")
    };
    assert_eq!(line.status, PacketStatus::NeverReceived);
    assert!(vault.outbox().unwrap().is_empty());
    assert_eq!(holdings(&vault, settle), (0, 0, 0));
}

#[test]
fn a_packet_that_arrived_after_all_gets_its_revocation_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, mut vault, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();
    let file = vault.begin_sending(jti, OutgoingKind::Packet, NOW + 1).unwrap().unwrap().body_bytes();
    let (_, revocation) = vault.queue_revocation(jti, NOW + 2).unwrap();
    let revocation = revocation.expect("a send began: the revocation goes");
    // The revocation overtook the packet's send under way: the inbox does not know it yet.
    let early = vault.revocation_unknown_to_inbox(jti, "404", NOW + 3).unwrap();
    assert!(matches!(early, UnknownToInbox::NotYet { .. }));
    // Then the packet's send ends with the brand's acknowledgement.
    let outcome = brand.import_packet(&file, NOW + 4).unwrap();
    let tessera_brand::import::ImportOutcome::Imported { retention_end, .. } = outcome else { panic!("imported") };
    let line = vault.packet_delivered(jti, &ack(jti, &entry.request_jti, retention_end), NOW + 4).unwrap();
    assert_eq!(line.status, PacketStatus::RevocationWaiting, "the brand has it: revoke it there");
    let again = vault.outbox_due(NOW + 4).unwrap();
    assert_eq!(again.len(), 1, "due now");
    assert_eq!(again[0].body_bytes(), revocation.body_bytes(), "the same revocation, so one receipt answers it");
    let revoked = brand.import_revocation(std::str::from_utf8(&again[0].body_bytes()).unwrap(), NOW + 5).unwrap();
    let line = vault.revocation_answered(jti, &revoked.receipt, NOW + 6).unwrap();
    assert_eq!(line.status, PacketStatus::DeletionConfirmed);
}

#[test]
fn two_tesseras_on_one_vault_never_undo_a_revocation_or_send_a_withdrawn_packet() {
    // The app and the command line (or two terminals) have the same vault open: each decides on
    // what is on disk, not on the copy it read earlier.
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, mut sender, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();
    let mut revoker = Vault::open(&dir.path().join("vault")).unwrap();
    revoker.unlock(PASSPHRASE).unwrap();
    assert_eq!(status_of(&revoker, jti, NOW), PacketStatus::WaitingToBeSent);

    // The sender begins a send; meanwhile the other revokes.
    let file = sender.begin_sending(jti, OutgoingKind::Packet, NOW + 1).unwrap().unwrap().body_bytes();
    revoker.queue_revocation(jti, NOW + 2).unwrap().1.expect("a send began: the revocation goes");
    // The send is acknowledged: the revocation is still there, and due.
    let outcome = brand.import_packet(&file, NOW + 3).unwrap();
    let tessera_brand::import::ImportOutcome::Imported { retention_end, .. } = outcome else { panic!("imported") };
    let line = sender.packet_delivered(jti, &ack(jti, &entry.request_jti, retention_end), NOW + 3).unwrap();
    assert_eq!(line.status, PacketStatus::RevocationWaiting);
    assert!(line.entry.revoked_at.is_some(), "the revocation was not undone");

    // Another packet: the send fails after the other revoked it: it is not put back.
    let request = brand.create_request_for_inbox(&spec(), Some(INBOX), NOW).unwrap();
    let review = sender.review_request(&request.jws, NOW).unwrap();
    let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
    let preview = sender.preview_packet(&review, &decisions, NOW).unwrap();
    let (second, _) = sender.queue_packet(&review, &preview, NOW + 10).unwrap();
    let second = second.packet_jti.as_str();
    sender.begin_sending(second, OutgoingKind::Packet, NOW + 11).unwrap().expect("waiting");
    revoker.queue_revocation(second, NOW + 12).unwrap();
    assert_eq!(sender.delivery_failed(second, OutgoingKind::Packet, "timeout", true, NOW + 13).unwrap(), None);
    let waiting = sender.outbox().unwrap();
    assert!(waiting.iter().all(|i| i.kind == OutgoingKind::Revocation), "no packet waits: {waiting:?}");
    assert_eq!(sender.begin_sending(second, OutgoingKind::Packet, NOW + 14).unwrap(), None);
}

#[test]
fn an_acknowledged_packet_unknown_to_the_inbox_is_not_taken_as_never_received() {
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, mut vault, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();
    let file = vault.outbox().unwrap()[0].body_bytes();
    let outcome = brand.import_packet(&file, NOW + 1).unwrap();
    let tessera_brand::import::ImportOutcome::Imported { retention_end, .. } = outcome else { panic!("imported") };
    vault.packet_delivered(jti, &ack(jti, &entry.request_jti, retention_end), NOW + 1).unwrap();
    vault.queue_revocation(jti, NOW + 2).unwrap();
    let unknown = vault.revocation_unknown_to_inbox(jti, "404", NOW + 10_000).unwrap();
    assert_eq!(unknown, UnknownToInbox::Unexplained);
    assert_eq!(status_of(&vault, jti, NOW + 3), PacketStatus::RevocationWaiting);
    assert_eq!(holdings(&vault, NOW + 3), (0, 1, 0));
}

#[test]
fn the_receipt_of_another_packet_does_not_confirm_this_one_and_is_recorded_as_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, mut vault, first) = a_packet_waiting(dir.path());
    // A second packet for the same brand, delivered and revoked with a receipt.
    let request = brand.create_request_for_inbox(&spec(), Some(INBOX), NOW).unwrap();
    let review = vault.review_request(&request.jws, NOW).unwrap();
    let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
    let preview = vault.preview_packet(&review, &decisions, NOW).unwrap();
    let (second, second_item) = vault.queue_packet(&review, &preview, NOW).unwrap();
    let first_file = vault.outbox().unwrap().into_iter().find(|i| i.packet_jti == first.packet_jti).unwrap();
    for (entry, file) in [(&first, first_file.body_bytes()), (&second, second_item.body_bytes())] {
        let outcome = brand.import_packet(&file, NOW + 1).unwrap();
        let tessera_brand::import::ImportOutcome::Imported { retention_end, .. } = outcome else { panic!() };
        vault
            .packet_delivered(&entry.packet_jti, &ack(&entry.packet_jti, &entry.request_jti, retention_end), NOW + 1)
            .unwrap();
    }
    let first_revocation = vault.queue_revocation(&first.packet_jti, NOW + 2).unwrap().1.unwrap();
    let second_revocation = vault.queue_revocation(&second.packet_jti, NOW + 2).unwrap().1.unwrap();
    let _ = brand.import_revocation(std::str::from_utf8(&first_revocation.body_bytes()).unwrap(), NOW + 3).unwrap();
    let second_receipt =
        brand.import_revocation(std::str::from_utf8(&second_revocation.body_bytes()).unwrap(), NOW + 3).unwrap();

    // The inbox answers the first revocation with the second packet's receipt.
    let wrong = vault.revocation_answered(&first.packet_jti, &second_receipt.receipt, NOW + 4);
    assert!(matches!(wrong, Err(VaultError::ReceiptForAnotherPacket { .. })), "{wrong:?}");
    assert_eq!(status_of(&vault, &first.packet_jti, NOW + 4), PacketStatus::RevocationRefused);
    assert_eq!(status_of(&vault, &second.packet_jti, NOW + 4), PacketStatus::RevocationWaiting, "nothing recorded");
    let item = vault.outbox().unwrap().into_iter().find(|i| i.packet_jti == first.packet_jti).unwrap();
    assert_eq!((item.attempts, item.refused), (1, true));
    assert!(item.last_error.unwrap().contains(&second.packet_jti));
}

#[test]
fn a_backup_keeps_what_waits_to_be_sent_and_refuses_an_outbox_sending_elsewhere() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (_brand, mut vault, entry) = a_packet_waiting(dir.path());
    let waiting = vault.outbox().unwrap();
    let backup = dir.path().join("backup.age");
    vault.backup(&backup, "backup passphrase 2026", NOW + 10).unwrap();

    // Restored on another computer, the share still waits, byte for byte, but held: the backup
    // may be older than a revocation, so it is sent only when the person asks.
    let elsewhere = dir.path().join("elsewhere");
    let (restored, _, _) =
        Vault::create_from_backup(&elsewhere, &backup, "backup passphrase 2026", "a new passphrase for here").unwrap();
    let held = restored.outbox().unwrap();
    assert_eq!(held[0].body_bytes(), waiting[0].body_bytes());
    assert!(held[0].held);
    assert!(restored.outbox_due(NOW + 100_000).unwrap().is_empty(), "never sent by itself");
    assert_eq!(status_of(&restored, &entry.packet_jti, NOW + 20), PacketStatus::WaitingToBeSent);

    // Sent from there once (the inbox failing), then revoked long after: the vault the backup was
    // made of may still send it, so the revocation goes, and an inbox's "no such packet" is
    // never taken as "never received".
    let mut restored = restored;
    let sending = restored.begin_sending(&entry.packet_jti, OutgoingKind::Packet, NOW + 30).unwrap().unwrap();
    assert!(!sending.held && sending.restored, "asked for: no longer held, still restored");
    restored.delivery_failed(&entry.packet_jti, OutgoingKind::Packet, "500", true, NOW + 30).unwrap();
    let (line, revocation) = restored.queue_revocation(&entry.packet_jti, NOW + 100_000).unwrap();
    assert!(revocation.is_some(), "{line:?}");
    let unknown = restored.revocation_unknown_to_inbox(&entry.packet_jti, "404", NOW + 200_000).unwrap();
    assert_eq!(unknown, UnknownToInbox::Unexplained);
    // Taken over by hand, as a file: the inbox is not asked any more.
    restored.revoke_packet(&entry.packet_jti, &dir.path().join("revocation.tessera"), NOW + 200_001).unwrap();
    assert!(restored.outbox().unwrap().is_empty());

    // Opened with age (as anyone can), it is version 3 with its outbox; pointed at another
    // inbox than the ledger's, it is refused whole.
    let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from("backup passphrase 2026"));
    let bytes = std::fs::read(&backup).unwrap();
    let decryptor = age::Decryptor::new_buffered(&bytes[..]).unwrap();
    let mut plain = Vec::new();
    decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).unwrap().read_to_end(&mut plain).unwrap();
    let mut content: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(content["version"], 3);
    assert_eq!(content["outbox"].as_array().unwrap().len(), 1);
    content["outbox"][0]["response_uri"] = json!("https://collector.example/v1/packets");
    let encryptor = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from("backup passphrase 2026"));
    let mut file = Vec::new();
    let mut writer = encryptor.wrap_output(&mut file).unwrap();
    writer.write_all(content.to_string().as_bytes()).unwrap();
    writer.finish().unwrap();
    let tampered = dir.path().join("tampered.age");
    std::fs::write(&tampered, file).unwrap();
    let refused = vault.restore(&tampered, "backup passphrase 2026").unwrap_err().to_string();
    assert!(refused.contains("does not send to https://collector.example/v1/packets"), "{refused}");
    assert_eq!(vault.outbox().unwrap(), waiting, "nothing replaced");
}

#[test]
fn a_request_opened_again_says_how_it_was_answered_before() {
    use tessera_vault::consent::EarlierAnswer;
    let dir = tempfile::tempdir().unwrap();
    let mut brand = BrandStore::create(&dir.path().join("brand"), "Maison Exemple", BRAND, NOW).unwrap();
    let request = brand.create_request_for_inbox(&spec(), Some(INBOX), NOW).unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();
    let review = vault.review_request(&request.jws, NOW).unwrap();
    assert!(review.answered_before.is_empty(), "the first time");
    let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
    let preview = vault.preview_packet(&review, &decisions, NOW).unwrap();
    let (entry, _) = vault.queue_packet(&review, &preview, NOW).unwrap();
    vault.decline_request(&review, NOW + 5).unwrap();

    let again = vault.review_request(&request.jws, NOW + 10).unwrap();
    assert_eq!(
        again.answered_before,
        [
            EarlierAnswer::Shared { packet_jti: entry.packet_jti, at: NOW, status: PacketStatus::WaitingToBeSent },
            EarlierAnswer::Declined { at: NOW + 5 },
        ]
    );
    // Another request of the same brand was never answered.
    let other = brand.create_request_for_inbox(&spec(), Some(INBOX), NOW).unwrap();
    assert!(vault.review_request(&other.jws, NOW + 10).unwrap().answered_before.is_empty());
}

#[test]
fn a_revocation_written_to_a_file_withdraws_the_packet_waiting_too() {
    let dir = tempfile::tempdir().unwrap();
    let (_brand, mut vault, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();
    vault.begin_sending(jti, OutgoingKind::Packet, NOW + 1).unwrap().expect("waiting");
    vault.delivery_failed(jti, OutgoingKind::Packet, "timeout", true, NOW + 1).unwrap();
    let line = vault.revoke_packet(jti, &dir.path().join("revocation.tessera"), NOW + 2).unwrap();
    assert_eq!(line.status, PacketStatus::Revoked, "a send began: the brand may have it");
    assert!(vault.outbox().unwrap().is_empty(), "the packet is not sent after the revocation");
    assert_eq!(vault.begin_sending(jti, OutgoingKind::Packet, NOW + 3).unwrap(), None);
}

#[test]
fn every_answer_an_inbox_can_give_is_decided_by_the_vault() {
    use tessera_vault::sending::{Answered, InboxAnswer, SendFailure};
    let failure =
        |error, retryable, unknown_packet| InboxAnswer::Failed(SendFailure { error, retryable, unknown_packet });
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, mut vault, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();

    // Offline: the packet waits, tried again later.
    let item = vault.begin_sending(jti, OutgoingKind::Packet, NOW + 1).unwrap().unwrap();
    let Answered::Failed(waiting) = vault.record_answer(&item, failure("offline", true, false), NOW + 1).unwrap()
    else {
        panic!("failed")
    };
    assert!(!waiting.refused);
    assert_eq!((waiting.attempts, waiting.last_error.as_deref()), (1, Some("offline")));

    // An acknowledgement of another packet: recorded as refused, not as delivered.
    let item = vault.begin_sending(jti, OutgoingKind::Packet, NOW + 2).unwrap().unwrap();
    let wrong = ack("another-packet", &entry.request_jti, NOW + 100);
    let answered = vault.record_answer(&item, InboxAnswer::Acknowledged(&wrong), NOW + 2).unwrap();
    assert!(matches!(answered, Answered::WrongAnswer(VaultError::WrongAcknowledgement { .. })), "{answered:?}");
    assert!(vault.outbox().unwrap()[0].refused);

    // Revoked while the right acknowledgement was on its way: delivered, and the revocation is next.
    let item = vault.begin_sending(jti, OutgoingKind::Packet, NOW + 3).unwrap().unwrap();
    vault.queue_revocation(jti, NOW + 4).unwrap();
    let tessera_brand::import::ImportOutcome::Imported { retention_end, .. } =
        brand.import_packet(&item.body_bytes(), NOW + 5).unwrap()
    else {
        panic!("imported")
    };
    let right = ack(jti, &entry.request_jti, retention_end);
    let Answered::DeliveredThenRevoke(line, revocation) =
        vault.record_answer(&item, InboxAnswer::Acknowledged(&right), NOW + 5).unwrap()
    else {
        panic!("delivered, then the revocation")
    };
    assert_eq!((line.status, revocation.kind), (PacketStatus::RevocationWaiting, OutgoingKind::Revocation));

    // A receipt that does not verify: refused; the right one: deletion confirmed.
    let revocation = vault.begin_sending(jti, OutgoingKind::Revocation, NOW + 6).unwrap().unwrap();
    let answered = vault.record_answer(&revocation, InboxAnswer::Receipt("not.a.receipt"), NOW + 6).unwrap();
    assert!(matches!(answered, Answered::WrongAnswer(_)), "{answered:?}");
    let receipt = brand.import_revocation(std::str::from_utf8(&revocation.body_bytes()).unwrap(), NOW + 7).unwrap();
    let Answered::Delivered(line) =
        vault.record_answer(&revocation, InboxAnswer::Receipt(&receipt.receipt), NOW + 7).unwrap()
    else {
        panic!("confirmed")
    };
    assert_eq!(line.status, PacketStatus::DeletionConfirmed);
    assert!(vault.outbox().unwrap().is_empty());

    // Whatever arrives after that for an item gone from the outbox changes nothing.
    let answered = vault.record_answer(&revocation, failure("500", true, false), NOW + 8).unwrap();
    assert!(matches!(answered, Answered::LeftOutbox), "{answered:?}");
}

#[test]
fn an_inbox_without_the_packet_revoked_during_its_send_is_asked_again_then_believed() {
    use tessera_vault::sending::{Answered, InboxAnswer, SendFailure};
    let unknown =
        InboxAnswer::Failed(SendFailure { error: "404 unknown_packet", retryable: false, unknown_packet: true });
    let dir = tempfile::tempdir().unwrap();
    let (_brand, mut vault, entry) = a_packet_waiting(dir.path());
    let jti = entry.packet_jti.as_str();
    vault.begin_sending(jti, OutgoingKind::Packet, NOW + 1).unwrap().unwrap();
    let (_, revocation) = vault.queue_revocation(jti, NOW + 2).unwrap();
    let revocation = revocation.expect("a send began: the revocation goes");
    let settle = NOW + 1 + IN_FLIGHT_SETTLE_SECONDS;
    let answered = vault.record_answer(&revocation, unknown, NOW + 3).unwrap();
    assert!(matches!(answered, Answered::NotYet { ask_again_at } if ask_again_at == settle), "{answered:?}");
    let Answered::NeverReceived(line) = vault.record_answer(&revocation, unknown, settle).unwrap() else {
        panic!("never received")
    };
    assert_eq!(line.status, PacketStatus::NeverReceived);
    assert!(vault.outbox().unwrap().is_empty());
}
