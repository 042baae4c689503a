//! Round trips of every artifact, and every way the protocol says no.

use serde_json::json;
use tessera_protocol::packet::{self, SharedItem};
use tessera_protocol::receipt::{self, Deletion, DeletionReason};
use tessera_protocol::request::{self, RequestSpec, RequestedItem, SignedRequest};
use tessera_protocol::{derive_brand_key, envelope, revocation, Artifact, MasterSecret, ProtocolError, SigningKey};

const NOW: i64 = 1_790_000_000;
const DAY: i64 = 86_400;

struct Brand {
    key: SigningKey,
    age: age::x25519::Identity,
}

impl Brand {
    fn new() -> Brand {
        Brand { key: SigningKey::generate(), age: age::x25519::Identity::generate() }
    }
    fn request(&self, items: &[&str]) -> SignedRequest {
        let spec = RequestSpec {
            items: items
                .iter()
                .map(|i| RequestedItem {
                    item: i.parse().unwrap(),
                    purpose: format!("to use your {i}"),
                    required: false,
                })
                .collect(),
            retention_days: 30,
            offer: "10 % off your next order".into(),
            valid_days: 7,
        };
        request::sign(&spec, "Maison Test", &self.age.to_public().to_string(), &self.key, NOW).unwrap()
    }
}

fn item(answers: &str, item: &str, value: serde_json::Value) -> SharedItem {
    SharedItem { answers: answers.parse().unwrap(), item: item.parse().unwrap(), value }
}

struct Exchange {
    brand: Brand,
    consumer: SigningKey,
    request: SignedRequest,
    packet_file: Vec<u8>,
    packet_jws: String,
}

fn exchange() -> Exchange {
    let brand = Brand::new();
    let request = brand.request(&["email", "birthdate"]);
    let master = MasterSecret::generate();
    let consumer = derive_brand_key(&master, request.brand());
    let claims = packet::draft(
        &request,
        &consumer.did(),
        vec![item("email", "email", json!("ana@example.org")), item("birthdate", "age_range", json!("25-34"))],
        NOW + 60,
    )
    .unwrap();
    let signed = packet::sign(&claims, &consumer).unwrap();
    let packet_file = envelope::seal(&signed.jws, &request.claims.age_recipient).unwrap();
    Exchange { brand, consumer, request, packet_file, packet_jws: signed.jws }
}

#[test]
fn a_request_round_trips() {
    let brand = Brand::new();
    let signed = brand.request(&["email", "address.postal_code"]);
    let verified = request::verify(&signed.jws).unwrap();
    assert_eq!(verified, signed);
    verified.check_answerable(NOW + DAY).unwrap();
}

#[test]
fn a_packet_round_trips_through_age_and_binds_to_its_request() {
    let ex = exchange();
    let jws = envelope::open(&ex.packet_file, &ex.brand.age).unwrap();
    assert_eq!(jws, ex.packet_jws);
    let packet = packet::verify(&jws, &ex.brand.key.did(), NOW + 120).unwrap();
    packet.check_answers(&ex.request).unwrap();
    assert_eq!(packet.claims.items.len(), 2);
    assert!(packet.claims.items[1].is_generalised());
    assert_eq!(packet.claims.exp, NOW + 60 + 30 * DAY);
}

#[test]
fn a_revocation_and_its_receipt_round_trip() {
    let ex = exchange();
    let packet = packet::verify(&ex.packet_jws, &ex.brand.key.did(), NOW + 120).unwrap();
    let (rev_jws, _) = revocation::sign(&ex.consumer, &ex.brand.key.did(), &packet.claims.jti, &packet.hash, NOW + 200);
    let rev = revocation::verify(&rev_jws, &ex.brand.key.did(), NOW + 300).unwrap();
    rev.check_revokes(&packet.claims.jti, &packet.hash, &packet.claims.iss).unwrap();
    let deletion = Deletion {
        consumer: rev.iss.clone(),
        packet_jti: rev.packet_jti.clone(),
        packet_hash: rev.packet_hash.clone(),
        revocation_jti: Some(rev.jti.clone()),
        deleted_at: NOW + 300,
        reason: DeletionReason::Revoked,
    };
    let (receipt_jws, _) = receipt::sign(&ex.brand.key, &deletion, NOW + 300);
    let receipt = receipt::verify(
        &receipt_jws,
        &ex.brand.key.did(),
        &ex.consumer.did(),
        &packet.claims.jti,
        &packet.hash,
        NOW + 400,
    )
    .unwrap();
    assert_eq!(receipt.reason, DeletionReason::Revoked);
    assert_eq!(receipt.revocation_jti, Some(rev.jti));
}

/// Every single byte flipped, each with several bit patterns: always an error, never a panic.
fn assert_every_flip_rejected(artifact: &[u8], check: impl Fn(&[u8]) -> Result<(), ProtocolError>) {
    check(artifact).expect("the intact artifact is accepted");
    for position in 0..artifact.len() {
        for mask in [0x01u8, 0x02, 0x20, 0x80] {
            let mut flipped = artifact.to_vec();
            flipped[position] ^= mask;
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&flipped)));
            match outcome {
                Ok(Err(_)) => {}
                Ok(Ok(())) => panic!("flipping byte {position} with {mask:#04x} was accepted"),
                Err(_) => panic!("flipping byte {position} with {mask:#04x} panicked"),
            }
        }
    }
}

fn text(bytes: &[u8]) -> Result<&str, ProtocolError> {
    std::str::from_utf8(bytes)
        .map_err(|_| ProtocolError::Malformed { artifact: Artifact::Request, detail: "not UTF-8".into() })
}

#[test]
fn every_flipped_byte_of_a_request_is_rejected() {
    let brand = Brand::new();
    let signed = brand.request(&["email"]);
    assert_every_flip_rejected(signed.jws.as_bytes(), |b| request::verify(text(b)?).map(drop));
}

#[test]
fn every_flipped_byte_of_a_packet_jws_and_of_its_age_file_is_rejected() {
    let ex = exchange();
    let brand = ex.brand.key.did();
    let check_jws = |b: &[u8]| packet::verify(text(b)?, &brand, NOW + 120)?.check_answers(&ex.request);
    assert_every_flip_rejected(ex.packet_jws.as_bytes(), check_jws);
    assert_every_flip_rejected(&ex.packet_file, |b| {
        let jws = envelope::open(b, &ex.brand.age)?;
        packet::verify(&jws, &brand, NOW + 120)?.check_answers(&ex.request)
    });
}

#[test]
fn every_flipped_byte_of_a_revocation_and_a_receipt_is_rejected() {
    let ex = exchange();
    let brand = ex.brand.key.did();
    let packet = packet::verify(&ex.packet_jws, &brand, NOW + 120).unwrap();
    let (rev_jws, _) = revocation::sign(&ex.consumer, &brand, &packet.claims.jti, &packet.hash, NOW + 200);
    assert_every_flip_rejected(rev_jws.as_bytes(), |b| {
        revocation::verify(text(b)?, &brand, NOW + 300)?.check_revokes(
            &packet.claims.jti,
            &packet.hash,
            &packet.claims.iss,
        )
    });
    let deletion = Deletion {
        consumer: ex.consumer.did(),
        packet_jti: packet.claims.jti.clone(),
        packet_hash: packet.hash.clone(),
        revocation_jti: None,
        deleted_at: NOW + 300,
        reason: DeletionReason::RetentionExpired,
    };
    let (receipt_jws, _) = receipt::sign(&ex.brand.key, &deletion, NOW + 300);
    assert_every_flip_rejected(receipt_jws.as_bytes(), |b| {
        receipt::verify(text(b)?, &brand, &ex.consumer.did(), &packet.claims.jti, &packet.hash, NOW + 400).map(drop)
    });
}

#[test]
fn a_packet_for_one_brand_cannot_be_opened_or_replayed_by_another() {
    let ex = exchange();
    let other = Brand::new();
    // Encrypted to brand A: brand B cannot even decrypt it.
    let err = envelope::open(&ex.packet_file, &other.age).unwrap_err();
    assert!(matches!(err, ProtocolError::Decryption { .. }), "{err}");
    // Re-encrypted to brand B by a dishonest party: the audience gives it away.
    let replayed = envelope::seal(&ex.packet_jws, &other.age.to_public().to_string()).unwrap();
    let jws = envelope::open(&replayed, &other.age).unwrap();
    let err = packet::verify(&jws, &other.key.did(), NOW + 120).unwrap_err();
    assert!(matches!(err, ProtocolError::WrongAudience { .. }), "{err}");
}

#[test]
fn expired_requests_cannot_be_answered_and_expired_packets_are_refused() {
    let ex = exchange();
    let err =
        packet::draft(&ex.request, &ex.consumer.did(), vec![item("email", "email", json!("a@b.fr"))], NOW + 8 * DAY)
            .unwrap_err();
    assert!(matches!(err, ProtocolError::Expired { artifact: Artifact::Request, .. }), "{err}");
    let err = packet::verify(&ex.packet_jws, &ex.brand.key.did(), NOW + 31 * DAY).unwrap_err();
    assert!(matches!(err, ProtocolError::Expired { artifact: Artifact::Packet, .. }), "{err}");
}

#[test]
fn a_packet_claiming_items_the_request_did_not_ask_for_is_refused() {
    let ex = exchange();
    // A consumer-side draft refuses it outright…
    let err = packet::draft(
        &ex.request,
        &ex.consumer.did(),
        vec![item("phone_number", "phone_number", json!("+33 6 12 34 56 78"))],
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, ProtocolError::ScopeBeyondRequest { .. }), "{err}");
    // …and a hand-made packet that sneaks one in is refused by the brand.
    let mut claims =
        packet::draft(&ex.request, &ex.consumer.did(), vec![item("email", "email", json!("a@b.fr"))], NOW).unwrap();
    claims.items.push(item("phone_number", "phone_number", json!("+33 6 12 34 56 78")));
    let signed = packet::sign(&claims, &ex.consumer).unwrap();
    let verified = packet::verify(&signed.jws, &ex.brand.key.did(), NOW + 10).unwrap();
    let err = verified.check_answers(&ex.request).unwrap_err();
    assert!(matches!(err, ProtocolError::ScopeBeyondRequest { .. }), "{err}");
    // A generalised request cannot be answered with the exact fact.
    let mut claims =
        packet::draft(&ex.request, &ex.consumer.did(), vec![item("email", "email", json!("a@b.fr"))], NOW).unwrap();
    claims.items =
        vec![item("birthdate", "birthdate", json!("1990-01-01")), item("email", "address.department", json!("75"))];
    let signed = packet::sign(&claims, &ex.consumer).unwrap();
    let err = packet::verify(&signed.jws, &ex.brand.key.did(), NOW + 10).unwrap_err();
    assert!(matches!(err, ProtocolError::ScopeBeyondRequest { .. }), "{err}");
}

#[test]
fn a_packet_answering_a_different_request_is_refused() {
    let ex = exchange();
    let other_request = ex.brand.request(&["email", "birthdate"]);
    let packet = packet::verify(&ex.packet_jws, &ex.brand.key.did(), NOW + 120).unwrap();
    let err = packet.check_answers(&other_request).unwrap_err();
    assert!(matches!(err, ProtocolError::RequestHashMismatch { .. }), "{err}");
}

#[test]
fn a_revocation_signed_by_a_different_key_is_refused() {
    let ex = exchange();
    let brand = ex.brand.key.did();
    let packet = packet::verify(&ex.packet_jws, &brand, NOW + 120).unwrap();
    let stranger = SigningKey::generate();
    let (rev_jws, _) = revocation::sign(&stranger, &brand, &packet.claims.jti, &packet.hash, NOW + 200);
    let rev = revocation::verify(&rev_jws, &brand, NOW + 300).unwrap();
    let err = rev.check_revokes(&packet.claims.jti, &packet.hash, &packet.claims.iss).unwrap_err();
    assert!(matches!(err, ProtocolError::WrongSigner { .. }), "{err}");
}

#[test]
fn a_receipt_for_another_packet_or_from_another_brand_is_refused() {
    let ex = exchange();
    let brand = ex.brand.key.did();
    let packet = packet::verify(&ex.packet_jws, &brand, NOW + 120).unwrap();
    let deletion = Deletion {
        consumer: ex.consumer.did(),
        packet_jti: "another-packet".into(),
        packet_hash: packet.hash.clone(),
        revocation_jti: None,
        deleted_at: NOW,
        reason: DeletionReason::RetentionExpired,
    };
    let (receipt_jws, _) = receipt::sign(&ex.brand.key, &deletion, NOW + 300);
    let err = receipt::verify(&receipt_jws, &brand, &ex.consumer.did(), &packet.claims.jti, &packet.hash, NOW + 400)
        .unwrap_err();
    assert!(matches!(err, ProtocolError::PacketMismatch { .. }), "{err}");
    let impostor = SigningKey::generate();
    let deletion = Deletion { packet_jti: packet.claims.jti.clone(), ..deletion };
    let (receipt_jws, _) = receipt::sign(&impostor, &deletion, NOW + 300);
    let err = receipt::verify(&receipt_jws, &brand, &ex.consumer.did(), &packet.claims.jti, &packet.hash, NOW + 400)
        .unwrap_err();
    assert!(matches!(err, ProtocolError::WrongSigner { .. }), "{err}");
}

#[test]
fn an_artifact_of_another_type_is_named_in_the_error() {
    let ex = exchange();
    let err = request::verify(&ex.packet_jws).unwrap_err();
    assert!(matches!(err, ProtocolError::WrongType { expected: Artifact::Request, .. }), "{err}");
    assert!(err.to_string().contains("a packet"), "{err}");
}

#[test]
fn an_unknown_version_is_refused_by_name() {
    // A version-2 request, validly signed: the version is what fails.
    let brand = Brand::new();
    let signed = brand.request(&["email"]);
    let mut parts = signed.jws.split('.');
    let header = parts.next().unwrap();
    let payload = tessera_protocol::encoding::b64url_decode(parts.next().unwrap()).unwrap();
    let mut payload: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    payload["ver"] = json!(2);
    let input = format!("{header}.{}", tessera_protocol::encoding::b64url(&serde_json::to_vec(&payload).unwrap()));
    let jws = format!("{input}.{}", tessera_protocol::encoding::b64url(&brand.key.sign(input.as_bytes())));
    let err = request::verify(&jws).unwrap_err();
    assert!(matches!(err, ProtocolError::UnknownVersion { .. }), "{err}");
}

#[test]
fn consumer_keys_are_unlinkable_across_brands() {
    let master = MasterSecret::generate();
    let a = Brand::new().key.did();
    let b = Brand::new().key.did();
    assert_ne!(derive_brand_key(&master, &a).did(), derive_brand_key(&master, &b).did());
}

#[test]
fn an_armored_packet_file_opens_and_every_flipped_byte_of_it_is_rejected() {
    use std::io::Write;
    let ex = exchange();
    let mut armored = Vec::new();
    {
        let mut writer = age::armor::ArmoredWriter::wrap_output(&mut armored, age::armor::Format::AsciiArmor).unwrap();
        writer.write_all(&ex.packet_file).unwrap();
        writer.finish().unwrap();
    }
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    assert_eq!(envelope::open(&armored, &ex.brand.age).unwrap(), ex.packet_jws);
    let brand = ex.brand.key.did();
    assert_every_flip_rejected(&armored, |b| {
        let jws = envelope::open(b, &ex.brand.age)?;
        packet::verify(&jws, &brand, NOW + 120)?.check_answers(&ex.request)
    });
}

#[test]
fn a_packet_file_for_two_recipients_is_refused_before_decrypting() {
    let ex = exchange();
    let eavesdropper = age::x25519::Identity::generate();
    let recipients: Vec<Box<dyn age::Recipient + Send>> =
        vec![Box::new(ex.brand.age.to_public()), Box::new(eavesdropper.to_public())];
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as _)).unwrap();
    let mut file = Vec::new();
    let mut writer = encryptor.wrap_output(&mut file).unwrap();
    std::io::Write::write_all(&mut writer, ex.packet_jws.as_bytes()).unwrap();
    writer.finish().unwrap();
    let err = envelope::open(&file, &ex.brand.age).unwrap_err();
    assert!(matches!(err, ProtocolError::PacketRecipients { x25519: 2, .. }), "{err}");
    assert!(err.to_string().contains("its brand alone"), "{err}");
}

#[test]
fn times_near_the_limits_never_overflow_when_signing() {
    let brand = Brand::new();
    let spec = RequestSpec {
        items: vec![RequestedItem { item: "email".parse().unwrap(), purpose: "p".into(), required: true }],
        retention_days: 30,
        offer: "o".into(),
        valid_days: 7,
    };
    let recipient = brand.age.to_public().to_string();
    for now in [i64::MAX, tessera_protocol::MAX_TIME, -1, i64::MIN] {
        assert!(request::sign(&spec, "Maison", &recipient, &brand.key, now).is_err(), "{now}");
    }
    let late = request::sign(&spec, "Maison", &recipient, &brand.key, tessera_protocol::MAX_TIME - 8 * DAY).unwrap();
    let consumer = SigningKey::generate();
    let err = packet::draft(
        &late,
        &consumer.did(),
        vec![item("email", "email", json!("a@b.fr"))],
        tessera_protocol::MAX_TIME - 8 * DAY,
    )
    .unwrap_err();
    assert!(matches!(err, ProtocolError::TimeOutOfRange { .. }), "{err}");
}

#[test]
fn a_receipt_for_the_same_id_but_another_packet_says_so() {
    let ex = exchange();
    let brand = ex.brand.key.did();
    let packet = packet::verify(&ex.packet_jws, &brand, NOW + 120).unwrap();
    let deletion = Deletion {
        consumer: ex.consumer.did(),
        packet_jti: packet.claims.jti.clone(),
        packet_hash: tessera_protocol::encoding::sha256_b64url(b"another packet with the same id"),
        revocation_jti: None,
        deleted_at: NOW,
        reason: DeletionReason::RetentionExpired,
    };
    let (receipt_jws, _) = receipt::sign(&ex.brand.key, &deletion, NOW + 300);
    let err = receipt::verify(&receipt_jws, &brand, &ex.consumer.did(), &packet.claims.jti, &packet.hash, NOW + 400)
        .unwrap_err();
    assert!(matches!(err, ProtocolError::PacketHashMismatch { .. }), "{err}");
    let message = err.to_string();
    assert!(!message.contains(&format!("not to packet {}", packet.claims.jti)), "{message}");
    assert!(message.contains("another hash") && message.contains(&packet.hash), "{message}");
}

#[test]
fn nothing_is_encrypted_to_an_age_recipient_of_small_order() {
    let ex = exchange();
    // u = 0, the all-zero point: age itself would stop with a panic ("Generated the all-zero esk").
    let all_zero = "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z";
    assert_eq!(envelope::parse_recipient(all_zero).unwrap_err(), envelope::RecipientProblem::SmallOrder);
    let err = envelope::seal(&ex.packet_jws, all_zero).unwrap_err();
    assert_eq!(err.code(), "weak_key");
    assert!(err.to_string().contains("age_recipient") && err.to_string().contains("small order"), "{err}");
    assert!(envelope::parse_recipient(&ex.request.claims.age_recipient).is_ok());
}

#[test]
fn a_request_names_its_inbox_and_the_other_endpoints_follow() {
    let brand = SigningKey::generate();
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let spec = RequestSpec {
        items: vec![RequestedItem { item: "email".parse().unwrap(), purpose: "Receipts".into(), required: true }],
        retention_days: 30,
        offer: "Free delivery".into(),
        valid_days: 7,
    };
    let uri = tessera_protocol::inbox::response_uri_for_inbox("https://inbox.example.com").unwrap();
    let signed = request::sign_for_inbox(&spec, "Maison", &recipient, Some(&uri), &brand, NOW).unwrap();
    let verified = request::verify(&signed.jws).unwrap();
    assert_eq!(verified.claims.response_uri.as_deref(), Some("https://inbox.example.com/v1/packets"));
    let inbox = verified.inbox().unwrap();
    assert_eq!(inbox.revocations(), "https://inbox.example.com/v1/revocations");
    assert_eq!(
        inbox.request(&verified.claims.jti),
        format!("https://inbox.example.com/v1/requests/{}", verified.claims.jti)
    );

    // Without an inbox the member is left out, as in files written before it existed.
    let plain = request::sign(&spec, "Maison", &recipient, &brand, NOW).unwrap();
    assert!(!String::from_utf8(
        tessera_protocol::encoding::b64url_decode(plain.jws.split('.').nth(1).unwrap()).unwrap()
    )
    .unwrap()
    .contains("response_uri"));
    assert_eq!(request::verify(&plain.jws).unwrap().inbox(), None);

    // A brand cannot sign a request naming an inbox a consumer's app would refuse.
    let err =
        request::sign_for_inbox(&spec, "Maison", &recipient, Some("http://inbox.example.com/v1/packets"), &brand, NOW)
            .unwrap_err();
    assert_eq!(err.code(), "invalid_response_uri", "{err}");
}
