//! The consumer's side against hostile artifacts made by an independent JOSE implementation
//! (`crates/protocol/tests/hostile_jose.py`: jwcrypto and raw Ed25519): lookalike brand names
//! are flagged, weak keys and malformed receipts are refused, and the vault is left as it was.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use support::*;
use tessera_protocol::ProtocolError;
use tessera_vault::consent::{BrandTrust, Choice, Decision};
use tessera_vault::facts::Sensitivity;
use tessera_vault::ledger::{LedgerLine, PacketStatus};
use tessera_vault::{Vault, VaultError};

const BRAND_SEED: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const IMPOSTOR_SEED: &str = "3333333333333333333333333333333333333333333333333333333333333333";

fn script(args: &[&str]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../protocol/tests/hostile_jose.py");
    let out = Command::new("python3").arg(path).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run python3 ({e}); install it with jwcrypto (the README's test command does)")
    });
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn header(typ: &str) -> String {
    format!(r#"{{"alg":"EdDSA","typ":"{typ}","kid":"KID"}}"#)
}

/// A request signed by jwcrypto with `seed`, under `brand_name`.
fn request(seed: &str, brand_name: &str, recipient: &str) -> String {
    let claims = json!({
        "ver": 1, "iss": "ISS", "iat": NOW, "exp": NOW + 7 * 86_400, "jti": "hostile-request-1",
        "nonce": "hostile-nonce-1", "brand_name": brand_name, "age_recipient": recipient,
        "items": [{"item": "email", "purpose": "Send your loyalty card", "required": true}],
        "retention_days": 30, "offer": "15 % off",
    });
    script(&["sign", seed, &header("tessera-request+jwt"), &claims.to_string()])
}

struct Consumer {
    _dir: tempfile::TempDir,
    vault: Vault,
    recipient: String,
}

fn consumer() -> Consumer {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    Consumer { _dir: dir, vault, recipient }
}

impl Consumer {
    /// Answers a request from `seed`, named `brand_name`, sharing the e-mail: trusts the brand.
    fn share_with(&mut self, seed: &str, brand_name: &str) -> LedgerLine {
        let review = self.vault.review_request(&request(seed, brand_name, &self.recipient), NOW + 60).unwrap();
        let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
        let preview = self.vault.preview_packet(&review, &decisions, NOW + 60).unwrap();
        let out = self._dir.path().join("packet.tessera");
        self.vault.write_packet(&review, &preview, &out, NOW + 60).unwrap();
        self.vault.ledger(NOW + 60).unwrap().remove(0)
    }
}

#[test]
fn a_new_brand_whose_name_looks_like_a_trusted_one_is_flagged() {
    let mut c = consumer();
    c.share_with(BRAND_SEED, "Maison Exemple");
    let known = c.vault.review_request(&request(BRAND_SEED, "Maison Exemple", &c.recipient), NOW + 60).unwrap();
    assert_eq!((known.trust.clone(), known.lookalike.clone()), (BrandTrust::Known, None));
    let impostor_did = script(&["did", IMPOSTOR_SEED]);
    for lookalike in ["Maison \u{0415}xemple", "MAISON EXEMPLE ", "Mais0n Exemple", "Maison Exernple"] {
        let review = c.vault.review_request(&request(IMPOSTOR_SEED, lookalike, &c.recipient), NOW + 60).unwrap();
        assert_eq!(review.brand_did, impostor_did);
        let flagged = review.lookalike.unwrap_or_else(|| panic!("{lookalike:?} is not flagged"));
        assert_eq!(flagged.name, "Maison Exemple");
        assert_eq!(flagged.fingerprint, known.fingerprint);
    }
    let other = c.vault.review_request(&request(IMPOSTOR_SEED, "Brasserie du Port", &c.recipient), NOW + 60).unwrap();
    assert_eq!((other.trust, other.lookalike), (BrandTrust::FirstContact, None));
    // Invisible characters cannot make a name look different: they are refused outright.
    for hidden in ["Maison Ex\u{200B}emple", "Maison\u{2060}Exemple", "Maison \u{202E}elpmexE"] {
        let err = c.vault.review_request(&request(IMPOSTOR_SEED, hidden, &c.recipient), NOW + 60).unwrap_err();
        assert!(matches!(err, VaultError::Protocol(ProtocolError::InvalidText { .. })), "{hidden:?}: {err}");
    }
}

#[test]
fn requests_signed_by_a_weak_key_are_refused_and_nothing_is_pinned() {
    let mut c = consumer();
    let claims = json!({
        "ver": 1, "iss": "ISS", "iat": NOW, "exp": NOW + 86_400, "jti": "weak", "nonce": "weak",
        "brand_name": "Maison Faible", "age_recipient": c.recipient,
        "items": [{"item": "email", "purpose": "p", "required": true}], "retention_days": 30, "offer": "o",
    });
    let forged = script(&["forge-weak", &header("tessera-request+jwt"), &claims.to_string()]);
    let err = c.vault.review_request(&forged, NOW + 60).unwrap_err();
    assert!(matches!(err, VaultError::Protocol(ProtocolError::WeakKey { .. })), "{err}");
    assert!(c.vault.ledger(NOW).unwrap().is_empty());
    // The same name from a real key is still a first contact: nothing was remembered.
    let review = c.vault.review_request(&request(BRAND_SEED, "Maison Faible", &c.recipient), NOW + 60).unwrap();
    assert_eq!(review.trust, BrandTrust::FirstContact);
    c.share_with(BRAND_SEED, "Maison Faible");
}

/// A receipt for the packet of `e`, signed by jwcrypto with `seed`: revoked at `deleted_at` in
/// answer to `revocation_jti`, then changed by `change` (members removed or replaced).
fn receipt_for(e: &tessera_vault::ledger::LedgerEntry, seed: &str, change: serde_json::Value) -> String {
    let mut claims = json!({
        "ver": 1, "iss": "ISS", "aud": e.consumer_did.to_string(), "iat": NOW + 100, "jti": "receipt-1",
        "packet_jti": e.packet_jti, "packet_hash": e.packet_hash, "revocation_jti": e.revocation_jti,
        "deleted_at": NOW + 100, "reason": "revoked",
    });
    for (member, value) in change.as_object().unwrap() {
        match value.as_str() {
            Some("REMOVE") => drop(claims.as_object_mut().unwrap().remove(member)),
            _ => claims[member] = value.clone(),
        }
    }
    script(&["sign", seed, &header("tessera-receipt+jwt"), &claims.to_string()])
}

fn inconsistent(err: VaultError) -> String {
    match err {
        VaultError::Protocol(e @ ProtocolError::InconsistentReceipt { .. }) => e.to_string(),
        other => panic!("expected an inconsistent receipt, got {other}"),
    }
}

#[test]
fn only_a_complete_receipt_signed_by_the_brand_confirms_a_deletion() {
    let mut c = consumer();
    c.share_with(BRAND_SEED, "Maison Exemple");
    let revocation = c._dir.path().join("revocation.tessera");
    let packet_jti = c.vault.ledger(NOW).unwrap()[0].entry.packet_jti.clone();
    let line = c.vault.revoke_packet(&packet_jti, &revocation, NOW + 80).unwrap();
    let e = &line.entry;
    let before = c.vault.ledger(NOW + 200).unwrap();
    // Without its required revocation_jti.
    let missing = receipt_for(e, BRAND_SEED, json!({"revocation_jti": "REMOVE"}));
    let err = c.vault.import_receipt(&missing, NOW + 200).unwrap_err();
    assert!(
        matches!(err, VaultError::Protocol(ProtocolError::MissingMember { member: "revocation_jti", .. })),
        "{err}"
    );
    // Made with no private key at all (identity key, R = identity, S = 0).
    let claims = json!({
        "ver": 1, "iss": "ISS", "aud": e.consumer_did.to_string(), "iat": NOW + 100, "jti": "receipt-1",
        "packet_jti": e.packet_jti, "packet_hash": e.packet_hash, "revocation_jti": e.revocation_jti,
        "deleted_at": NOW + 100, "reason": "revoked",
    });
    let weak = script(&["forge-weak", &header("tessera-receipt+jwt"), &claims.to_string()]);
    let err = c.vault.import_receipt(&weak, NOW + 200).unwrap_err();
    assert!(matches!(err, VaultError::Protocol(ProtocolError::WeakKey { .. })), "{err}");
    // With a member named twice.
    let twice =
        claims.to_string().replace(r#""reason":"revoked""#, r#""reason":"retention_expired","reason":"revoked""#);
    let duplicate = script(&["sign", BRAND_SEED, &header("tessera-receipt+jwt"), &twice]);
    let err = c.vault.import_receipt(&duplicate, NOW + 200).unwrap_err();
    assert!(matches!(err, VaultError::Protocol(ProtocolError::DuplicateMember { .. })), "{err}");
    // Signed by another key than the brand's.
    let stranger = receipt_for(e, IMPOSTOR_SEED, json!({}));
    let err = c.vault.import_receipt(&stranger, NOW + 200).unwrap_err();
    assert!(matches!(err, VaultError::Protocol(ProtocolError::WrongSigner { .. })), "{err}");
    assert_eq!(c.vault.ledger(NOW + 200).unwrap(), before, "no refused receipt changed the ledger");
    assert_eq!(before[0].status, PacketStatus::Revoked);
    // The honest receipt, with a final line break, confirms the deletion.
    let honest = receipt_for(e, BRAND_SEED, json!({}));
    let confirmed = c.vault.import_receipt(&format!("{honest}\n"), NOW + 200).unwrap();
    assert_eq!(confirmed.status, PacketStatus::DeletionConfirmed);
}

#[test]
fn receipts_that_contradict_themselves_or_the_ledger_confirm_nothing() {
    let mut c = consumer();
    let shared = c.share_with(BRAND_SEED, "Maison Exemple");
    // A deletion "because you revoked it", for a packet never revoked.
    let made_up = receipt_for(&shared.entry, BRAND_SEED, json!({"revocation_jti": "made-up-revocation"}));
    let said = inconsistent(c.vault.import_receipt(&made_up, NOW + 200).unwrap_err());
    assert!(said.contains("you never revoked it"), "{said}");
    let revocation = c._dir.path().join("revocation.tessera");
    let line = c.vault.revoke_packet(&shared.entry.packet_jti, &revocation, NOW + 80).unwrap();
    let e = &line.entry;
    let before = c.vault.ledger(NOW + 200).unwrap();
    for (change, expected) in [
        (json!({"deleted_at": 253_402_300_799i64}), "after the receipt itself was signed"),
        (json!({"deleted_at": 0}), "before the packet was even shared"),
        (json!({"deleted_at": NOW + 70 - 400}), "before the packet was even shared"),
        (json!({"revocation_jti": "made-up-revocation"}), "but your revocation of packet"),
        (json!({"revocation_jti": null}), "names no revocation"),
        (json!({"reason": "retention_expired"}), "as if a revocation had asked"),
    ] {
        let hostile = receipt_for(e, BRAND_SEED, change.clone());
        let said = inconsistent(c.vault.import_receipt(&hostile, NOW + 200).unwrap_err());
        assert!(said.contains(expected), "{change}: {said}");
    }
    assert_eq!(c.vault.ledger(NOW + 200).unwrap(), before, "no contradictory receipt changed the ledger");
    // The honest receipt confirms; a later one dating the deletion otherwise is refused and the
    // first stays; one saying the same deletion again changes nothing.
    let honest = receipt_for(e, BRAND_SEED, json!({}));
    c.vault.import_receipt(&honest, NOW + 200).unwrap();
    let confirmed = c.vault.ledger(NOW + 200).unwrap();
    let redated = receipt_for(e, BRAND_SEED, json!({"jti": "receipt-2", "deleted_at": NOW + 90}));
    let said = inconsistent(c.vault.import_receipt(&redated, NOW + 300).unwrap_err());
    assert!(said.contains("was already confirmed as made on"), "{said}");
    let again = receipt_for(e, BRAND_SEED, json!({"jti": "receipt-3", "iat": NOW + 250}));
    let line = c.vault.import_receipt(&again, NOW + 300).unwrap();
    assert_eq!(line.status, PacketStatus::DeletionConfirmed);
    assert_eq!(c.vault.ledger(NOW + 200).unwrap(), confirmed, "the first receipt is kept");
    assert_eq!(confirmed[0].entry.deletion.as_ref().unwrap().receipt_jti, "receipt-1");
}
