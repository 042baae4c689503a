//! The worked examples in docs/PROTOCOL.md (files in docs/examples/) verify with this code.

use std::path::PathBuf;

use tessera_protocol::{envelope, packet, receipt, request, revocation};

/// The examples were made at this instant.
const MADE_AT: i64 = 1_795_000_000;

fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).trim_end().to_owned()
}

#[test]
fn the_documented_exchange_verifies_step_by_step() {
    let request = request::verify(&example("request.tessera")).unwrap();
    request.check_answerable(MADE_AT).unwrap();
    let identity: age::x25519::Identity = example("brand-age-identity.txt").parse().unwrap();
    assert_eq!(identity.to_public().to_string(), request.claims.age_recipient);
    let file =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/packet.tessera")).unwrap();
    let jws = envelope::open(&file, &identity).unwrap();
    assert_eq!(jws, example("packet.jws"));
    let packet = packet::verify(&jws, request.brand(), MADE_AT).unwrap();
    packet.check_answers(&request).unwrap();
    let revocation = revocation::verify(&example("revocation.tessera"), request.brand(), MADE_AT).unwrap();
    revocation.check_revokes(&packet.claims.jti, &packet.hash, &packet.claims.iss).unwrap();
    let receipt = receipt::verify(
        &example("receipt.tessera"),
        request.brand(),
        &packet.claims.iss,
        &packet.claims.jti,
        &packet.hash,
        MADE_AT,
    )
    .unwrap();
    assert_eq!(receipt.revocation_jti.as_deref(), Some(revocation.jti.as_str()));
}

#[test]
fn the_documented_fingerprint_is_that_of_the_example_brand() {
    let protocol =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/PROTOCOL.md")).unwrap();
    let (_, after) = protocol.split_once("has the\nfingerprint `").expect("PROTOCOL.md gives an example fingerprint");
    let documented = &after[..after.find('`').unwrap()];
    let request = request::verify(&example("request.tessera")).unwrap();
    assert_eq!(documented, request.brand().fingerprint());
    assert!(protocol.contains(&format!("`{}`, has the", request.brand())), "the example names the brand's DID");
}

#[test]
fn the_documented_small_order_points_are_refused_as_keys() {
    let protocol =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/PROTOCOL.md")).unwrap();
    for hex in [
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ] {
        assert!(protocol.contains(hex), "{hex}");
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        assert!(tessera_protocol::identity::is_weak_point(&key));
        key[31] |= 0x80;
        assert!(tessera_protocol::identity::is_weak_point(&key), "with either sign of x");
    }
}

#[test]
fn the_documented_inbox_urls_are_those_derived_from_the_response_uri() {
    let protocol =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/PROTOCOL.md")).unwrap();
    // §12.1: the request of the inbox test vector, published by reference and as a tessera:// link.
    let vector = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/inbox-valid-request.json"),
    )
    .unwrap();
    let vector: serde_json::Value = serde_json::from_str(&vector).unwrap();
    let request = request::verify(vector["artifact"].as_str().unwrap()).unwrap();
    let endpoints = request.inbox().expect("the vector names its inbox");
    let published = endpoints.request(&request.claims.jti);
    let link = tessera_protocol::inbox::request_link(&published);
    assert!(protocol.contains(&format!("\n    {published}\n    {link}\n")), "{published}\n{link}");
    // §12.1: the endpoints of an inbox under a path.
    let endpoints =
        tessera_protocol::inbox::Endpoints::from_response_uri("https://maison.example/tessera/v1/packets").unwrap();
    assert!(protocol.contains(&format!("`{}`", endpoints.revocations())));
    assert!(protocol.contains(&format!("`{}`", endpoints.receipt("raZX6oUMZbeTqH9jiNxMqw"))));
}
