//! The brand store: keys sealed at rest, import rules, deletion for real.

use serde_json::json;
use tessera_brand::import::ImportOutcome;
use tessera_brand::{BrandError, BrandStore, Unlock};
use tessera_protocol::packet::{self, SharedItem};
use tessera_protocol::request::{RequestSpec, RequestedItem, SignedRequest};
use tessera_protocol::{derive_brand_key, envelope, revocation, MasterSecret, ProtocolError, SigningKey};

const NOW: i64 = 1_795_000_000;
const PASSPHRASE: Unlock<'static> = Unlock::Passphrase("brand passphrase for tests");

fn spec() -> RequestSpec {
    RequestSpec {
        items: vec![RequestedItem {
            item: "email".parse().unwrap(),
            purpose: "Send the receipt".into(),
            required: true,
        }],
        retention_days: 10,
        offer: "Free delivery".into(),
        valid_days: 5,
    }
}

fn answer(request: &SignedRequest, consumer: &SigningKey, email: &str, now: i64) -> (Vec<u8>, packet::VerifiedPacket) {
    let items =
        vec![SharedItem { answers: "email".parse().unwrap(), item: "email".parse().unwrap(), value: json!(email) }];
    let claims = packet::draft(request, &consumer.did(), items, now).unwrap();
    let signed = packet::sign(&claims, consumer).unwrap();
    (envelope::seal(&signed.jws, &request.claims.age_recipient).unwrap(), signed)
}

fn consumer_for(request: &SignedRequest) -> SigningKey {
    derive_brand_key(&MasterSecret::generate(), request.brand())
}

#[test]
fn keys_and_imported_data_are_never_in_clear_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BrandStore::create(dir.path(), "Maison Canari", PASSPHRASE, NOW).unwrap();
    let request = store.create_request(&spec(), NOW).unwrap();
    let (file, _) = answer(&request, &consumer_for(&request), "canary-1234@example.org", NOW + 1);
    store.import_packet(&file, NOW + 2).unwrap();
    let identity = store.export_age_identity();
    drop(store);
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        on_disk.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let contains = |needle: &[u8]| on_disk.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"Maison Canari"), "the scan sees what is stored in clear");
    assert!(!contains(b"canary-1234"), "imported personal data is sealed");
    assert!(!contains(identity.as_bytes()), "the age identity is sealed");
    assert!(!contains(b"AGE-SECRET-KEY"), "no age secret key in clear");
}

#[test]
fn the_store_opens_only_with_its_passphrase_or_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let did = BrandStore::create(dir.path(), "Maison", PASSPHRASE, NOW).unwrap().did().clone();
    let err = BrandStore::open(dir.path(), Unlock::Passphrase("nope")).unwrap_err();
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    let mut store = BrandStore::open(dir.path(), PASSPHRASE).unwrap();
    assert_eq!(store.did(), &did);
    let key_file = [42u8; 48];
    store.change_unlock(Unlock::KeyFile(&key_file)).unwrap();
    drop(store);
    assert!(BrandStore::open(dir.path(), PASSPHRASE).is_err());
    let store = BrandStore::open(dir.path(), Unlock::KeyFile(&key_file)).unwrap();
    assert_eq!(store.did(), &did, "same keys, new protection");
    assert!(matches!(BrandStore::create(dir.path(), "Again", PASSPHRASE, NOW), Err(BrandError::StoreExists { .. })));
}

#[test]
fn data_survives_a_change_of_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BrandStore::create(dir.path(), "Maison", PASSPHRASE, NOW).unwrap();
    let request = store.create_request(&spec(), NOW).unwrap();
    let (file, signed) = answer(&request, &consumer_for(&request), "ana@example.org", NOW + 1);
    store.import_packet(&file, NOW + 2).unwrap();
    store.change_unlock(Unlock::Passphrase("a brand new passphrase")).unwrap();
    drop(store);
    let store = BrandStore::open(dir.path(), Unlock::Passphrase("a brand new passphrase")).unwrap();
    assert_eq!(store.packet(&signed.claims.jti).unwrap().items[0].value, json!("ana@example.org"));
}

#[test]
fn import_is_idempotent_and_refuses_packets_for_requests_it_never_made() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BrandStore::create(dir.path(), "Maison", PASSPHRASE, NOW).unwrap();
    let request = store.create_request(&spec(), NOW).unwrap();
    let consumer = consumer_for(&request);
    let (file, signed) = answer(&request, &consumer, "ana@example.org", NOW + 1);
    let outcomes = store.import_packets(&[&file, &file], NOW + 2).unwrap();
    assert!(matches!(outcomes[0], Ok(ImportOutcome::Imported { items: 1, .. })));
    assert!(matches!(outcomes[1], Ok(ImportOutcome::AlreadyImported { .. })));
    assert_eq!(store.packets().unwrap().len(), 1);

    // A packet for this brand that claims to answer a request this store never issued.
    let items = vec![SharedItem {
        answers: "email".parse().unwrap(),
        item: "email".parse().unwrap(),
        value: json!("bob@example.org"),
    }];
    let mut claims = packet::draft(&request, &consumer.did(), items, NOW + 1).unwrap();
    claims.request_jti = "a-request-nobody-made".into();
    let forged = packet::sign(&claims, &consumer).unwrap();
    let forged_file = envelope::seal(&forged.jws, &request.claims.age_recipient).unwrap();
    let err = store.import_packet(&forged_file, NOW + 2).unwrap_err();
    assert!(matches!(err, BrandError::UnknownRequest { .. }), "{err}");

    // A packet for another brand does not even decrypt here.
    let other_dir = tempfile::tempdir().unwrap();
    let mut other = BrandStore::create(other_dir.path(), "Other", PASSPHRASE, NOW).unwrap();
    let foreign_request = other.create_request(&spec(), NOW).unwrap();
    let (foreign_file, _) = answer(&foreign_request, &consumer_for(&foreign_request), "bob@example.org", NOW + 1);
    let err = store.import_packet(&foreign_file, NOW + 2).unwrap_err();
    assert!(matches!(err, BrandError::Protocol(ProtocolError::Decryption { .. })), "{err}");
    assert_eq!(store.packets().unwrap().len(), 1);
    assert_eq!(store.packet(&signed.claims.jti).unwrap().consumer, consumer.did().to_string());
}

#[test]
fn a_bad_packet_in_a_batch_leaves_the_good_ones_imported() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BrandStore::create(dir.path(), "Maison", PASSPHRASE, NOW).unwrap();
    let request = store.create_request(&spec(), NOW).unwrap();
    let (good, _) = answer(&request, &consumer_for(&request), "ana@example.org", NOW + 1);
    let (mut bad, _) = answer(&request, &consumer_for(&request), "bob@example.org", NOW + 1);
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let outcomes = store.import_packets(&[&bad, &good], NOW + 2).unwrap();
    assert!(outcomes[0].is_err());
    assert!(outcomes[1].is_ok());
    assert_eq!(store.packets().unwrap().len(), 1);
}

#[test]
fn revocation_purges_for_real_and_keeps_only_a_tombstone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BrandStore::create(dir.path(), "Maison", PASSPHRASE, NOW).unwrap();
    let request = store.create_request(&spec(), NOW).unwrap();
    let consumer = consumer_for(&request);
    let (file, signed) = answer(&request, &consumer, "ana@example.org", NOW + 1);
    store.import_packet(&file, NOW + 2).unwrap();
    let (rev, _) = revocation::sign(&consumer, store.did(), &signed.claims.jti, &signed.hash, NOW + 3);
    let outcome = store.import_revocation(&rev, NOW + 4).unwrap();
    assert!(!outcome.already_deleted);
    assert!(store.packets().unwrap().is_empty());
    assert!(matches!(store.packet(&signed.claims.jti), Err(BrandError::UnknownPacket { .. })));
    let tombstones = store.tombstones().unwrap();
    assert_eq!(tombstones.len(), 1);
    assert_eq!(tombstones[0].reason, "revoked");
    let receipt = tessera_protocol::receipt::verify(
        &outcome.receipt,
        store.did(),
        &consumer.did(),
        &signed.claims.jti,
        &signed.hash,
        NOW + 5,
    )
    .unwrap();
    assert_eq!(receipt.deleted_at, NOW + 4);
    // Re-import of the packet is refused; the same revocation gives the same receipt.
    assert!(matches!(store.import_packet(&file, NOW + 6), Err(BrandError::PacketDeleted { .. })));
    assert_eq!(store.import_revocation(&rev, NOW + 7).unwrap().receipt, outcome.receipt);
}

#[test]
fn retention_purge_deletes_exactly_the_packets_past_their_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BrandStore::create(dir.path(), "Maison", PASSPHRASE, NOW).unwrap();
    let request = store.create_request(&spec(), NOW).unwrap();
    let (early, early_signed) = answer(&request, &consumer_for(&request), "a@example.org", NOW + 1);
    let (late, _) = answer(&request, &consumer_for(&request), "b@example.org", NOW + 3 * 86_400);
    store.import_packets(&[&early, &late], NOW + 3 * 86_400 + 1).unwrap().into_iter().for_each(|o| {
        o.unwrap();
    });
    let end_of_early = early_signed.claims.exp;
    assert!(store.purge_expired(end_of_early - 1).unwrap().is_empty());
    let purged = store.purge_expired(end_of_early).unwrap();
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0].packet_jti, early_signed.claims.jti);
    assert_eq!(store.packets().unwrap().len(), 1);
    let receipt = store.receipt_for(&early_signed.claims.jti, end_of_early + 10).unwrap();
    let claims = tessera_protocol::receipt::inspect(&receipt).unwrap();
    assert_eq!(claims.reason, tessera_protocol::receipt::DeletionReason::RetentionExpired);
}
