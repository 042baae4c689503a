//! Money received never reaches a brand: whatever the vault holds, a packet's
//! purchases and purchase totals are spending only — no salary, no benefit, no
//! refund, no negative amount. Checked on a vault filled from bank exports and
//! on one written by the previous version.

mod support;

use std::path::Path;

use serde_json::Value;
use support::*;
use tessera_brand::{BrandStore, Unlock};
use tessera_protocol::request::{RequestSpec, RequestedItem};
use tessera_vault::consent::{Choice, Decision};
use tessera_vault::csv_import::CsvOptions;
use tessera_vault::Vault;

/// The values a brand would receive for `purchases` exactly and as `purchase_totals`.
fn shared_purchase_items(vault: &Vault, dir: &Path, now: i64) -> (Value, Value) {
    let mut brand =
        BrandStore::create(&dir.join("brand"), "Boutique du Coin", Unlock::Passphrase("brand passphrase"), now)
            .unwrap();
    let ask = |item: &str| RequestedItem { item: item.parse().unwrap(), purpose: "offers".into(), required: false };
    let spec =
        RequestSpec { items: vec![ask("purchases")], retention_days: 30, offer: "an offer".into(), valid_days: 7 };
    let request = brand.create_request(&spec, now).unwrap();
    let review = vault.review_request(&request.jws, now).unwrap();
    let exact = vault
        .preview_packet(&review, &[Decision { item: "purchases".parse().unwrap(), choice: Choice::Exact }], now)
        .unwrap();
    let totals = vault
        .preview_packet(
            &review,
            &[Decision {
                item: "purchases".parse().unwrap(),
                choice: Choice::Generalised("purchase_totals".parse().unwrap()),
            }],
            now,
        )
        .unwrap();
    (exact.items[0].value.clone(), totals.items[0].value.clone())
}

fn assert_spending_only(purchases: &Value, totals: &Value, received: &[&str]) {
    let text = format!("{purchases} {totals}");
    for label in received {
        assert!(!text.contains(label), "{label} reached the packet: {text}");
    }
    for p in purchases.as_array().unwrap() {
        assert!(!p["amount"].as_str().unwrap().starts_with('-'), "{p}");
    }
    for t in totals.as_array().unwrap() {
        assert!(!t["total"].as_str().unwrap().starts_with('-'), "{t}");
    }
}

/// 2026-04-20, within the twelve months a packet covers.
const APRIL_2026: i64 = 1_776_643_200;

#[test]
fn a_packet_from_bank_exports_carries_spending_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    for bank in ["la_banque_postale.csv", "credit_agricole.csv", "revolut.csv", "n26.csv"] {
        vault.import_csv(&fixture(&format!("banks/{bank}")), &CsvOptions::default()).unwrap();
    }
    assert!(vault.credit_count().unwrap() >= 6);
    let (purchases, totals) = shared_purchase_items(&vault, dir.path(), APRIL_2026);
    assert_spending_only(
        &purchases,
        &totals,
        &["SALAIRE", "ALLOCATIONS", "Top-up", "ACME", "AVOIR", "Refund Ryanair", "2350", "312.45"],
    );
    assert_eq!(purchases.as_array().unwrap().len(), vault.purchase_count().unwrap());
}

#[test]
fn a_packet_from_a_vault_of_the_previous_version_carries_spending_only() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    std::fs::create_dir_all(&vault_dir).unwrap();
    std::fs::write(vault_dir.join("vault.db"), fixture("schema1/vault.db")).unwrap();
    let mut vault = Vault::open(&vault_dir).unwrap();
    vault.unlock("the passphrase of an older vault").unwrap();
    let (purchases, totals) = shared_purchase_items(&vault, dir.path(), APRIL_2026);
    assert_spending_only(&purchases, &totals, &["SALAIRE", "CAF", "REMBOURSEMENT", "2662", "312.45"]);
    assert_eq!(purchases.as_array().unwrap().len(), 7);
}

#[test]
fn a_file_with_more_income_than_spending_still_keeps_income_apart() {
    // One card payment and two credits: counting signs alone would take the salary for spending.
    for bank in ["more_income_than_spending.csv", "boursorama_mostly_income.csv"] {
        let dir = tempfile::tempdir().unwrap();
        let (mut vault, _) = new_vault(dir.path());
        let report = vault.import_csv(&fixture(&format!("banks/{bank}")), &CsvOptions::default()).unwrap();
        assert_eq!((report.imported, report.credits_kept), (1, 2), "{bank}: {report:?}");
        let (purchases, totals) = shared_purchase_items(&vault, dir.path(), APRIL_2026);
        assert_spending_only(&purchases, &totals, &["SALAIRE", "PAYROLL", "CAF", "MAMAN", "3000", "250.00"]);
        assert_eq!(purchases[0]["amount"], "1049.90", "{bank}");
    }
}

#[test]
fn a_refund_offsets_only_what_was_spent_with_its_merchant() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let entry = |merchant: &str, amount: &str| tessera_vault::purchases::PurchaseEntry {
        date: "2026-04-10".into(),
        merchant: merchant.into(),
        amount: amount.into(),
        currency: "EUR".into(),
        category: Some("electronics".into()),
    };
    vault.add_purchase(entry("Fnac", "110").read().unwrap()).unwrap();
    // A merchant never bought from, or more than was spent there: refused, nothing stored.
    for (merchant, amount) in [("Inconnu SARL", "10"), ("Fnac", "9999")] {
        let err = vault.add_refund(&entry(merchant, amount)).unwrap_err();
        assert!(matches!(err, tessera_vault::VaultError::RefundBeyondSpending { .. }), "{merchant} {amount}: {err}");
    }
    assert_eq!(vault.credit_count().unwrap(), 0);
    vault.add_refund(&entry("FNAC", "30")).unwrap();
    let totals = vault.purchase_totals(&Default::default()).unwrap();
    assert_eq!(totals.by_category[0].total.to_string(), "80");
    assert!(totals.by_category.iter().all(|t| !t.total.is_sign_negative()));
}
