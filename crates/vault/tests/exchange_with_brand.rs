//! The whole exchange between a consumer's vault and a brand's store.

mod support;

use serde_json::json;
use support::*;
use tessera_brand::{BrandStore, Unlock};
use tessera_protocol::request::{RequestSpec, RequestedItem};
use tessera_vault::consent::{BrandTrust, Choice, Decision};
use tessera_vault::csv_import::CsvOptions;
use tessera_vault::facts::Sensitivity;
use tessera_vault::ledger::PacketStatus;
use tessera_vault::VaultError;

const BRAND_PASSPHRASE: Unlock<'static> = Unlock::Passphrase("brand passphrase for tests");

fn brand_with_request(dir: &std::path::Path, name: &str) -> (BrandStore, String) {
    let mut store = BrandStore::create(dir, name, BRAND_PASSPHRASE, NOW).unwrap();
    let ask = |item: &str, required| RequestedItem {
        item: item.parse().unwrap(),
        purpose: format!("we use your {item}"),
        required,
    };
    let spec = RequestSpec {
        items: vec![ask("email", true), ask("birthdate", false), ask("phone_number", false), ask("purchases", false)],
        retention_days: 90,
        offer: "Free delivery for a year".into(),
        valid_days: 14,
    };
    let request = store.create_request(&spec, NOW).unwrap();
    (store, request.jws)
}

fn decide(item: &str, choice: Choice) -> Decision {
    Decision { item: item.parse().unwrap(), choice }
}

#[test]
fn vault_answers_brand_imports_vault_revokes_brand_purges_vault_confirms() {
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, request) = brand_with_request(&dir.path().join("brand"), "Maison Exemple");
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();
    vault.set_fact("birthdate".parse().unwrap(), json!("1990-04-02"), Sensitivity::AskMe).unwrap();
    vault.set_fact("phone_number".parse().unwrap(), json!("+33 6 12 34 56 78"), Sensitivity::NeverShare).unwrap();
    vault.import_csv(&fixture("fr_bank_latin1.csv"), &CsvOptions::default()).unwrap();

    let now = NOW + 3600;
    let review = vault.review_request(&request, now).unwrap();
    assert_eq!(review.trust, BrandTrust::FirstContact);
    let phone = review.items.iter().find(|i| i.item.as_str() == "phone_number").unwrap();
    assert!(phone.never_share, "never-share facts are flagged");
    let birthdate = review.items.iter().find(|i| i.item.as_str() == "birthdate").unwrap();
    assert_eq!(birthdate.generalised.iter().map(|g| g.item.as_str()).collect::<Vec<_>>(), ["age_over_18", "age_range"]);

    // Nothing goes without a decision for every item, and never-share stays refused.
    let partial = [decide("email", Choice::Exact)];
    assert!(matches!(vault.preview_packet(&review, &partial, now), Err(VaultError::Undecided { .. })));
    let sneaky = [
        decide("email", Choice::Exact),
        decide("birthdate", Choice::Deny),
        decide("phone_number", Choice::Exact),
        decide("purchases", Choice::Deny),
    ];
    assert!(matches!(vault.preview_packet(&review, &sneaky, now), Err(VaultError::NeverShare { .. })));

    let decisions = [
        decide("email", Choice::Exact),
        decide("birthdate", Choice::Generalised("age_range".parse().unwrap())),
        decide("phone_number", Choice::Deny),
        decide("purchases", Choice::Generalised("purchase_totals".parse().unwrap())),
    ];
    let preview = vault.preview_packet(&review, &decisions, now).unwrap();
    assert_eq!(preview.items.len(), 3);
    assert_eq!(preview.denied.len(), 1);
    let packet_path = dir.path().join("packet.tessera");
    let entry = vault.write_packet(&review, &preview, &packet_path, now).unwrap();
    assert_eq!(vault.review_request(&request, now).unwrap().trust, BrandTrust::Known, "the brand's key is pinned");

    // The brand holds exactly what was approved.
    brand.import_packet(&std::fs::read(&packet_path).unwrap(), now + 60).unwrap();
    let held = brand.packet(&entry.packet_jti).unwrap();
    let names: Vec<&str> = held.items.iter().map(|i| i.item.as_str()).collect();
    assert_eq!(names, ["email", "age_range", "purchase_totals"]);
    assert_eq!(held.items[1].value, json!("35-44"));
    assert!(!serde_json::to_string(&held.items).unwrap().contains("CARREFOUR"), "totals, not purchases");

    let knowledge = vault.what_brands_know(now + 120).unwrap();
    assert_eq!(knowledge.len(), 1);
    assert_eq!(knowledge[0].holds.len(), 3);

    // Revoke, purge, receipt, confirmation.
    let revocation_path = dir.path().join("revocation.tessera");
    let line = vault.revoke_packet(&entry.packet_jti, &revocation_path, now + 200).unwrap();
    assert_eq!(line.status, PacketStatus::Revoked);
    // Revoking again (the person clicked twice, or the first one was lost) gives the same revocation,
    // byte for byte: the brand's receipt answers both.
    let again_path = dir.path().join("revocation-again.tessera");
    vault.revoke_packet(&entry.packet_jti, &again_path, now + 250).unwrap();
    assert_eq!(std::fs::read(&again_path).unwrap(), std::fs::read(&revocation_path).unwrap());
    let outcome =
        brand.import_revocation(std::fs::read_to_string(&revocation_path).unwrap().trim(), now + 300).unwrap();
    assert!(brand.packets().unwrap().is_empty());
    let again = brand.import_revocation(std::fs::read_to_string(&again_path).unwrap().trim(), now + 350).unwrap();
    assert_eq!(again.receipt, outcome.receipt);
    let line = vault.import_receipt(&outcome.receipt, now + 400).unwrap();
    assert_eq!(line.status, PacketStatus::DeletionConfirmed);
    assert!(vault.what_brands_know(now + 500).unwrap()[0].holds.is_empty());
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(
        vault.ledger(now + 600).unwrap()[0].status,
        PacketStatus::DeletionConfirmed,
        "the ledger is stored, not just in memory"
    );
}

#[test]
fn a_brand_whose_key_changed_is_refused_until_re_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first_request) = brand_with_request(&dir.path().join("brand"), "Maison Exemple");
    let (_, impostor_request) = brand_with_request(&dir.path().join("impostor"), "maison exemple");
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    let review = vault.review_request(&first_request, NOW).unwrap();
    vault.trust_brand(&review, NOW).unwrap();

    let review = vault.review_request(&impostor_request, NOW).unwrap();
    assert!(matches!(review.trust, BrandTrust::KeyChanged { .. }), "{:?}", review.trust);
    let decisions = [
        decide("email", Choice::Exact),
        decide("birthdate", Choice::Deny),
        decide("phone_number", Choice::Deny),
        decide("purchases", Choice::Deny),
    ];
    let err = vault.preview_packet(&review, &decisions, NOW).unwrap_err();
    assert!(matches!(err, VaultError::BrandKeyChanged { .. }), "{err}");
    assert!(err.to_string().contains("impostor"), "{err}");
    vault.trust_brand(&review, NOW).unwrap();
    vault.preview_packet(&review, &decisions, NOW).unwrap();
}

#[test]
fn expired_or_tampered_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, request) = brand_with_request(&dir.path().join("brand"), "Maison Exemple");
    let (vault, _) = new_vault(dir.path());
    assert!(matches!(
        vault.review_request(&request, NOW + 15 * 86_400),
        Err(VaultError::Protocol(tessera_protocol::ProtocolError::Expired { .. }))
    ));
    let mut tampered = request.clone().into_bytes();
    tampered[40] ^= 1;
    assert!(vault.review_request(&String::from_utf8_lossy(&tampered), NOW).is_err());
}

#[test]
fn a_backup_restores_everything_and_a_bad_backup_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    vault.import_csv(&fixture("us_card.csv"), &CsvOptions::default()).unwrap();
    let backup = dir.path().join("backup.age");
    vault.backup(&backup, "backup passphrase 123", NOW).unwrap();
    vault.remove_fact(&"email".parse().unwrap()).unwrap();

    let err = vault.restore(&backup, "wrong backup passphrase").unwrap_err();
    assert!(err.to_string().contains("wrong backup passphrase"), "{err}");
    let mut damaged = std::fs::read(&backup).unwrap();
    let at = damaged.len() - 10;
    damaged[at] ^= 1;
    std::fs::write(dir.path().join("damaged.age"), damaged).unwrap();
    assert!(vault.restore(&dir.path().join("damaged.age"), "backup passphrase 123").is_err());
    assert!(vault.facts().unwrap().is_empty(), "a failed restore changed nothing");

    vault.set_fact("given_name".parse().unwrap(), json!("Ana"), Sensitivity::AskMe).unwrap();
    let report = vault.restore(&backup, "backup passphrase 123").unwrap();
    assert_eq!((report.facts, report.purchases, report.credits), (1, 2, 1));
    // The vault the restore replaced is kept aside, whole, until the next unlock.
    let safety_copy = report.safety_copy.clone().unwrap();
    assert_eq!(safety_copy, dir.path().join("vault").join(tessera_vault::vault::SAFETY_COPY_DIR));
    let mut replaced = tessera_vault::Vault::open(&safety_copy).unwrap();
    replaced.unlock(PASSPHRASE).unwrap();
    assert_eq!(replaced.facts().unwrap()[0].value, json!("Ana"), "the newer fact is in the safety copy");
    drop(replaced);
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.unlock_notes().unwrap().safety_copy_removed.as_deref(), Some(safety_copy.as_path()));
    assert!(!safety_copy.exists(), "removed at the next successful unlock");
    assert_eq!(vault.facts().unwrap()[0].value, json!("ana@example.org"));
    assert_eq!(vault.purchase_count().unwrap(), 2);
    assert_eq!(vault.credit_count().unwrap(), 1);
}

#[test]
fn a_revocation_after_the_retention_purge_gets_a_receipt_the_vault_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (mut brand, request) = brand_with_request(&dir.path().join("brand"), "Maison Exemple");
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();
    let review = vault.review_request(&request, NOW).unwrap();
    let decisions = [
        decide("email", Choice::Exact),
        decide("birthdate", Choice::Deny),
        decide("phone_number", Choice::Deny),
        decide("purchases", Choice::Deny),
    ];
    let preview = vault.preview_packet(&review, &decisions, NOW).unwrap();
    let packet_path = dir.path().join("packet.tessera");
    let entry = vault.write_packet(&review, &preview, &packet_path, NOW).unwrap();
    brand.import_packet(&std::fs::read(&packet_path).unwrap(), NOW + 60).unwrap();
    // The 90 days pass: the brand purges; then the consumer revokes.
    let after = NOW + 91 * 86_400;
    assert_eq!(brand.purge_expired(after).unwrap().len(), 1);
    let revocation_path = dir.path().join("revocation.tessera");
    vault.revoke_packet(&entry.packet_jti, &revocation_path, after + 60).unwrap();
    let outcome = brand.import_revocation(&std::fs::read_to_string(&revocation_path).unwrap(), after + 120).unwrap();
    assert!(outcome.already_deleted);
    let claims = tessera_protocol::receipt::inspect(&outcome.receipt).unwrap();
    assert_eq!(claims.reason.as_str(), "retention_expired");
    assert_eq!(claims.revocation_jti, None, "the retention end asked for the deletion, not the revocation");
    assert_eq!(claims.deleted_at, after);
    let line = vault.import_receipt(&outcome.receipt, after + 180).unwrap();
    assert_eq!(line.status, PacketStatus::DeletionConfirmed);
}
