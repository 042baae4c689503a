//! Canary values in every field, every flow, then a scan of everything on disk.
//! A control run with the test-only plaintext store proves the scan finds them.

mod support;

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::json;
use support::*;
use tessera_brand::{BrandStore, Unlock};
use tessera_protocol::request::{RequestSpec, RequestedItem};
use tessera_vault::consent::{Choice, Decision};
use tessera_vault::csv_import::CsvOptions;
use tessera_vault::facts::Sensitivity;
use tessera_vault::purchases::{Purchase, PurchaseEntry};
use tessera_vault::{RecoverySecret, Vault};

const CANARIES: &[&str] = &[
    "CanaryGivenZqx",
    "CanaryFamilyWvb",
    "canary.mail.qzt@example.org",
    "CanaryTownKpl",
    "canary-interest-kite",
    "CanaryShopMerchantXy",
    "canarycategoryzz",
    "9876.54",
    "1987-06-05",
    "Canary Brand Jqv",
    "CanaryIncomeLabelQw",
    "4321.98",
    "CanaryRefundShopVz",
];

/// Every encoding a canary is looked for in.
fn encodings(canary: &str) -> Vec<(String, Vec<u8>)> {
    let bytes = canary.as_bytes();
    let mut forms = vec![("utf-8".to_owned(), bytes.to_vec())];
    forms.push(("utf-16le".into(), canary.encode_utf16().flat_map(u16::to_le_bytes).collect()));
    forms.push(("utf-16be".into(), canary.encode_utf16().flat_map(u16::to_be_bytes).collect()));
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    forms.push(("hex".into(), hex.clone().into_bytes()));
    forms.push(("HEX".into(), hex.to_uppercase().into_bytes()));
    // Base64 at each of the three alignments a value can start at.
    for skip in 0..3 {
        let part = &bytes[skip..];
        let part = &part[..part.len() / 3 * 3];
        forms.push((format!("base64+{skip}"), base64::engine::general_purpose::STANDARD.encode(part).into_bytes()));
        forms.push((
            format!("base64url+{skip}"),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(part).into_bytes(),
        ));
    }
    forms
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Every (file, canary, encoding) found under `dir`.
fn scan(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in files_under(dir) {
        let content = std::fs::read(&file).unwrap_or_default();
        for canary in CANARIES {
            for (name, needle) in encodings(canary) {
                if content.windows(needle.len()).any(|w| w == needle.as_slice()) {
                    found.push(format!("{}: {canary} ({name})", file.display()));
                }
            }
        }
    }
    found
}

/// Every flow of the vault, with canaries in every field. Returns the files scanned.
fn run_every_flow(
    dir: &Path,
    create: fn(&Path, &str) -> tessera_vault::Result<(Vault, RecoverySecret)>,
) -> Vec<String> {
    let vault_dir = dir.join("vault");
    let (mut vault, recovery) = create(&vault_dir, PASSPHRASE).unwrap();
    vault.set_fact("given_name".parse().unwrap(), json!("CanaryGivenZqx"), Sensitivity::AskMe).unwrap();
    vault.set_fact("family_name".parse().unwrap(), json!("CanaryFamilyWvb"), Sensitivity::AskMe).unwrap();
    vault.set_fact("email".parse().unwrap(), json!("canary.mail.qzt@example.org"), Sensitivity::ShareFreely).unwrap();
    vault.set_fact("address.locality".parse().unwrap(), json!("CanaryTownKpl"), Sensitivity::NeverShare).unwrap();
    vault.set_fact("tessera.interests".parse().unwrap(), json!(["canary-interest-kite"]), Sensitivity::AskMe).unwrap();
    vault.set_fact("birthdate".parse().unwrap(), json!("1987-06-05"), Sensitivity::AskMe).unwrap();
    let csv = "Date;Libellé;Montant;Catégorie\n21/11/2026;CanaryShopMerchantXy;-9876,54;canarycategoryzz\n\
               22/11/2026;CanaryShopMerchantXy;-1,00;canarycategoryzz\n23/11/2026;CanaryIncomeLabelQw;4321,98;\n";
    vault.import_csv(csv.as_bytes(), &CsvOptions::default()).unwrap();
    // A refund comes from a merchant bought from.
    vault
        .add_purchase(Purchase {
            date: "2026-11-20".parse().unwrap(),
            merchant: "CanaryRefundShopVz".into(),
            amount: "5.00".parse().unwrap(),
            currency: "EUR".into(),
            category: "canarycategoryzz".into(),
        })
        .unwrap();
    vault
        .add_refund(&PurchaseEntry {
            date: "2026-11-24".into(),
            merchant: "CanaryRefundShopVz".into(),
            amount: "3,10".into(),
            currency: "EUR".into(),
            category: None,
        })
        .unwrap();
    vault
        .add_purchase(Purchase {
            date: "2026-11-02".parse().unwrap(),
            merchant: "CanaryShopMerchantXy".into(),
            amount: "9876.54".parse().unwrap(),
            currency: "EUR".into(),
            category: "canarycategoryzz".into(),
        })
        .unwrap();

    // Consent: a brand named with a canary asks; the consumer shares; then revokes.
    let mut brand =
        BrandStore::create(&dir.join("brand"), "Canary Brand Jqv", Unlock::Passphrase("brand passphrase"), NOW)
            .unwrap();
    let ask =
        |item: &str| RequestedItem { item: item.parse().unwrap(), purpose: "canary purpose".into(), required: false };
    let spec = RequestSpec {
        items: vec![ask("email"), ask("given_name"), ask("purchases")],
        retention_days: 30,
        offer: "an offer".into(),
        valid_days: 7,
    };
    let request = brand.create_request(&spec, NOW).unwrap();
    let review = vault.review_request(&request.jws, NOW + 10).unwrap();
    let decisions = [
        Decision { item: "email".parse().unwrap(), choice: Choice::Exact },
        Decision { item: "given_name".parse().unwrap(), choice: Choice::Exact },
        Decision { item: "purchases".parse().unwrap(), choice: Choice::Exact },
    ];
    let preview = vault.preview_packet(&review, &decisions, NOW + 10).unwrap();
    let entry = vault.write_packet(&review, &preview, &dir.join("out/packet.tessera"), NOW + 10).unwrap();
    vault.revoke_packet(&entry.packet_jti, &dir.join("out/revocation.tessera"), NOW + 20).unwrap();

    // Passphrase change, recovery, rotation, backup, export.
    vault.change_passphrase(PASSPHRASE, "a second long passphrase").unwrap();
    vault.lock();
    vault.recover(&recovery, PASSPHRASE).unwrap();
    let rotation = vault.prepare_key_rotation(PASSPHRASE).unwrap();
    vault.commit_key_rotation(rotation).unwrap();
    vault.backup(&dir.join("out/backup.age"), "backup passphrase 123", NOW + 30).unwrap();
    vault.export_all(&dir.join("out/export.age"), "export passphrase 123", NOW + 30).unwrap();
    vault.restore(&dir.join("out/backup.age"), "backup passphrase 123").unwrap();
    vault.remove_fact(&"family_name".parse().unwrap()).unwrap();

    // Scan while the vault is open (WAL and shared memory present), then after closing.
    let vault_dir_scan = dir.join("vault");
    let mut found = scan(&vault_dir_scan);
    found.extend(scan(&dir.join("out")));
    drop(vault);
    found.extend(scan(&vault_dir_scan));
    found
}

#[test]
fn no_canary_reaches_the_disk_in_any_encoding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    let found = run_every_flow(dir.path(), Vault::create);
    assert!(found.is_empty(), "plaintext found on disk:\n{}", found.join("\n"));
    // The vault directory held the database and its WAL while open: the scan saw real files.
    assert!(dir.path().join("vault/vault.db").exists());
}

#[test]
fn the_scan_finds_the_canaries_of_a_plaintext_store() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    let found = run_every_flow(dir.path(), Vault::create_plaintext_control);
    let in_vault: Vec<&String> = found.iter().filter(|f| f.contains("/vault/")).collect();
    for canary in [
        "CanaryGivenZqx",
        "CanaryShopMerchantXy",
        "canary.mail.qzt@example.org",
        "Canary Brand Jqv",
        "CanaryIncomeLabelQw",
    ] {
        assert!(in_vault.iter().any(|f| f.contains(canary)), "the control scan missed {canary}: {found:?}");
    }
}
