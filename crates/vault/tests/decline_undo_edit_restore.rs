//! Safety nets and refusals: declining a request is recorded like a share, a
//! deleted fact comes back exactly, a purchase is edited in place, and a
//! backup becomes a new vault on a computer that has none.

mod support;

use std::io::Write;

use serde_json::json;
use support::*;
use tessera_brand::{BrandStore, Unlock};
use tessera_protocol::request::{RequestSpec, RequestedItem};
use tessera_vault::consent::{Choice, Decision};
use tessera_vault::facts::Sensitivity;
use tessera_vault::purchases::{PurchaseEntry, PurchaseFilter};
use tessera_vault::{Vault, VaultError};

fn request(dir: &std::path::Path) -> String {
    let mut store =
        BrandStore::create(dir, "Maison Exemple", Unlock::Passphrase("brand passphrase for tests"), NOW).unwrap();
    let ask = |item: &str, purpose: &str, required| RequestedItem {
        item: item.parse().unwrap(),
        purpose: purpose.into(),
        required,
    };
    let spec = RequestSpec {
        items: vec![ask("email", "Send your loyalty card", true), ask("birthdate", "A birthday offer", false)],
        retention_days: 90,
        offer: "15 % off".into(),
        valid_days: 14,
    };
    store.create_request(&spec, NOW).unwrap().jws
}

#[test]
fn declining_is_recorded_with_what_was_asked_and_why_and_pins_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let jws = request(&dir.path().join("brand"));
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    let review = vault.review_request(&jws, NOW + 60).unwrap();

    // Denying every item is not a packet: it is declining, said without an English catch-all.
    let deny_all: Vec<Decision> =
        review.items.iter().map(|i| Decision { item: i.item, choice: Choice::Deny }).collect();
    assert!(matches!(vault.preview_packet(&review, &deny_all, NOW + 60), Err(VaultError::EverythingDenied)));

    let refusal = vault.decline_request(&review, NOW + 120).unwrap();
    assert_eq!(refusal.brand_name, "Maison Exemple");
    assert_eq!(refusal.request_jti, review.request_jti);
    assert_eq!(refusal.declined_at, NOW + 120);
    let asked: Vec<(&str, &str, bool)> =
        refusal.asked.iter().map(|a| (a.item.as_str(), a.purpose.as_str(), a.required)).collect();
    assert_eq!(asked, [("email", "Send your loyalty card", true), ("birthdate", "A birthday offer", false)]);

    // The ledger shows the brand, holding nothing, with the refusal; no packet, no pinned key.
    let brands = vault.what_brands_know(NOW + 180).unwrap();
    assert_eq!(brands.len(), 1);
    assert!(brands[0].packets.is_empty() && brands[0].holds.is_empty());
    assert_eq!(brands[0].refusals, vec![refusal.clone()]);
    assert!(vault.ledger(NOW + 180).unwrap().is_empty());
    let again = vault.review_request(&jws, NOW + 200).unwrap();
    assert_eq!(again.trust, tessera_vault::consent::BrandTrust::FirstContact, "declining pins no key");

    // It is sealed like every record and survives locking.
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.refusals().unwrap(), vec![refusal]);
}

#[test]
fn a_deleted_fact_is_returned_and_setting_it_again_undoes_the_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let interests = "tessera.interests".parse().unwrap();
    vault.set_fact(interests, json!(["vélo, électrique", "cuisine"]), Sensitivity::NeverShare).unwrap();
    let removed = vault.remove_fact(&interests).unwrap();
    assert!(vault.fact(&interests).unwrap().is_none());
    assert!(matches!(vault.remove_fact(&interests), Err(VaultError::NoSuchFact { .. })));
    vault.set_fact(removed.item, removed.value.clone(), removed.sensitivity).unwrap();
    let back = vault.fact(&interests).unwrap().unwrap();
    assert_eq!(back.value, json!(["vélo, électrique", "cuisine"]), "a value with a comma comes back whole");
    assert_eq!(back.sensitivity, Sensitivity::NeverShare);
}

#[test]
fn a_purchase_is_edited_in_place_and_an_unknown_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let entry = |merchant: &str, amount: &str| PurchaseEntry {
        date: "14/03/2026".into(),
        merchant: merchant.into(),
        amount: amount.into(),
        currency: "EUR".into(),
        category: None,
    };
    let id = vault.add_purchase(entry("Fnac", "12,50").read().unwrap()).unwrap();
    vault.add_purchase(entry("SNCF", "40").read().unwrap()).unwrap();
    vault.edit_purchase(&id, entry("Fnac Montparnasse", "21,50").read().unwrap()).unwrap();
    let page = vault.purchases(&PurchaseFilter::default(), 0, 10).unwrap();
    assert_eq!(page.total_matching, 2);
    let edited = page.rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(edited.purchase.merchant, "Fnac Montparnasse");
    assert_eq!(edited.purchase.amount.to_string(), "21.50");
    assert!(matches!(
        vault.edit_purchase("00", entry("X", "1").read().unwrap()),
        Err(VaultError::UnknownPurchase { .. })
    ));
    let mut bad = entry("Fnac", "1").read().unwrap();
    bad.currency = "euros".into();
    assert!(vault.edit_purchase(&id, bad).is_err(), "an edit is checked like a new purchase");
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.purchase_count().unwrap(), 2);
    assert!(vault
        .purchases(&PurchaseFilter::default(), 0, 10)
        .unwrap()
        .rows
        .iter()
        .any(|r| r.id == id && r.purchase.merchant == "Fnac Montparnasse"));
}

#[test]
fn a_backup_is_inspected_without_change_and_becomes_a_new_vault_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let jws = request(&dir.path().join("brand"));
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    let review = vault.review_request(&jws, NOW + 60).unwrap();
    vault.decline_request(&review, NOW + 60).unwrap();
    let backup = dir.path().join("backup.age");
    vault.backup(&backup, "backup passphrase 2026", NOW + 100).unwrap();

    let report = Vault::inspect_backup(&backup, "backup passphrase 2026").unwrap();
    assert_eq!((report.facts, report.purchases, report.packets, report.created_at), (1, 0, 0, NOW + 100));
    assert!(matches!(Vault::inspect_backup(&backup, "not the passphrase"), Err(VaultError::Backup { .. })));

    // A new computer: no vault, and the backup becomes one, under a new passphrase and a new recovery secret.
    let elsewhere = dir.path().join("new-computer");
    assert!(matches!(
        Vault::create_from_backup(&elsewhere, &backup, "backup passphrase 2026", "short"),
        Err(VaultError::WeakPassphrase { .. })
    ));
    assert!(!Vault::exists(&elsewhere), "nothing is created when the new passphrase is refused");
    assert!(matches!(
        Vault::create_from_backup(&elsewhere, &backup, "wrong", "a new passphrase for here"),
        Err(VaultError::Backup { .. })
    ));
    assert!(!Vault::exists(&elsewhere), "nothing is created from a backup that does not open");
    let (restored, recovery, report) =
        Vault::create_from_backup(&elsewhere, &backup, "backup passphrase 2026", "a new passphrase for here").unwrap();
    assert_eq!(report.facts, 1);
    assert_eq!(restored.facts().unwrap()[0].value, json!("ana@example.org"));
    assert_eq!(restored.refusals().unwrap().len(), 1, "declined requests travel with the backup");
    drop(restored);
    let mut reopened = Vault::open(&elsewhere).unwrap();
    reopened.unlock("a new passphrase for here").unwrap();
    reopened.lock();
    reopened.recover(&recovery, "another passphrase again").unwrap();
    assert!(matches!(
        Vault::create_from_backup(&elsewhere, &backup, "backup passphrase 2026", "a new passphrase for here"),
        Err(VaultError::VaultExists { .. })
    ));
}

#[test]
fn a_version_1_backup_from_before_refusals_still_restores() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    // A version 1 backup, as Tessera wrote them before declined requests existed.
    let content = json!({
        "format": "tessera-vault-backup", "version": 1, "created_at": NOW,
        "master_secret": vec![7u8; 32],
        "settings": {"language": "fr", "auto_lock_minutes": 5, "purchases_sensitivity": "ask_me"},
        "facts": [{"item": "email", "value": "old@example.org", "sensitivity": "ask_me"}],
        "purchases": [], "brands": [], "ledger": []
    });
    let encryptor = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from("old backup passphrase"));
    let mut file = Vec::new();
    let mut writer = encryptor.wrap_output(&mut file).unwrap();
    writer.write_all(content.to_string().as_bytes()).unwrap();
    writer.finish().unwrap();
    let path = dir.path().join("v1.age");
    std::fs::write(&path, file).unwrap();

    let report = vault.restore(&path, "old backup passphrase").unwrap();
    assert_eq!(report.facts, 1);
    assert_eq!(vault.facts().unwrap()[0].value, json!("old@example.org"));
    assert!(vault.refusals().unwrap().is_empty());
}
