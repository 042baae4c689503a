//! A vault with 100,000 purchases: import, unlock, first screen, packet.
//!
//! `cargo bench -p tessera-vault --bench vault [-- ROWS]` (default 100 000). Prints:
//! CSV import rows/s (target: 100 000 rows < 2 s); unlock time, Argon2id apart;
//! time from unlocked to totals by category + first page of 50 rows (target
//! ≤ 100 ms); packet build + sign + encrypt time.

use std::time::Instant;

use serde_json::json;
use tessera_brand::{BrandStore, Unlock};
use tessera_protocol::request::{RequestSpec, RequestedItem};
use tessera_seal::{Argon2Params, DataKey, Keyslot};
use tessera_vault::consent::{Choice, Decision};
use tessera_vault::csv_import::CsvOptions;
use tessera_vault::facts::Sensitivity;
use tessera_vault::purchases::PurchaseFilter;
use tessera_vault::Vault;

const PASSPHRASE: &str = "benchmark passphrase";

fn main() {
    let rows: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let vault_dir = dir.path().join("vault");
    let (mut vault, _) = Vault::create(&vault_dir, PASSPHRASE).expect("vault");
    let merchants = [
        "Carrefour Market",
        "SNCF",
        "Fnac",
        "Boulangerie Paul",
        "Pharmacie du Centre",
        "Decathlon",
        "Ikea",
        "Café de la Gare",
    ];
    let mut csv = String::from("Date;Libellé;Montant\r\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "{:02}/{:02}/{};{} {};-{},{:02}\r\n",
            i % 28 + 1,
            i % 12 + 1,
            2020 + i % 6,
            merchants[i % merchants.len()],
            i / 8,
            i % 300 + 1,
            i % 100
        ));
    }

    let started = Instant::now();
    let report = vault.import_csv(csv.as_bytes(), &CsvOptions::default()).expect("import");
    let import = started.elapsed();
    assert_eq!(report.imported, rows);

    vault.set_fact("email".parse().expect("item"), json!("ana@example.org"), Sensitivity::AskMe).expect("fact");
    vault.set_fact("birthdate".parse().expect("item"), json!("1990-04-02"), Sensitivity::AskMe).expect("fact");
    vault.lock();
    drop(vault);

    let key = DataKey::generate().expect("key");
    let slot = Keyslot::wrap_with_passphrase(&key, PASSPHRASE, Argon2Params::RECOMMENDED).expect("slot");
    let started = Instant::now();
    slot.unwrap_with_passphrase(PASSPHRASE).expect("unwrap");
    let argon2 = started.elapsed();

    let mut vault = Vault::open(&vault_dir).expect("open");
    let started = Instant::now();
    vault.unlock(PASSPHRASE).expect("unlock");
    let unlock = started.elapsed();

    let started = Instant::now();
    let totals = vault.purchase_totals(&PurchaseFilter::default()).expect("totals");
    let page = vault.purchases(&PurchaseFilter::default(), 0, 50).expect("page");
    let first_screen = started.elapsed();
    assert_eq!(page.rows.len(), 50.min(rows));
    assert!(!totals.by_category.is_empty());

    let started = Instant::now();
    let search = vault
        .purchases(&PurchaseFilter { search: Some("boulangerie".into()), ..Default::default() }, 0, 50)
        .expect("search");
    let search_time = started.elapsed();

    let brand_dir = dir.path().join("brand");
    let mut brand =
        BrandStore::create(&brand_dir, "Bench", Unlock::Passphrase("brand passphrase"), 1_795_000_000).expect("brand");
    let ask =
        |item: &str| RequestedItem { item: item.parse().expect("item"), purpose: "bench".into(), required: false };
    let spec = RequestSpec {
        items: vec![ask("email"), ask("birthdate"), ask("purchases")],
        retention_days: 30,
        offer: "bench".into(),
        valid_days: 7,
    };
    let now = chrono::Utc::now().timestamp();
    let request = brand.create_request(&spec, now).expect("request");
    let decisions = [
        Decision { item: "email".parse().expect("item"), choice: Choice::Exact },
        Decision {
            item: "birthdate".parse().expect("item"),
            choice: Choice::Generalised("age_range".parse().expect("item")),
        },
        Decision {
            item: "purchases".parse().expect("item"),
            choice: Choice::Generalised("purchase_totals".parse().expect("item")),
        },
    ];
    let started = Instant::now();
    let review = vault.review_request(&request.jws, now).expect("review");
    let preview = vault.preview_packet(&review, &decisions, now).expect("preview");
    vault.write_packet(&review, &preview, &dir.path().join("packet.tessera"), now).expect("packet");
    let packet = started.elapsed();

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!("purchases:                         {rows}");
    println!(
        "CSV import:                        {:>8.0} ms  ({:.0} rows/s; target: 100 000 rows < 2 s)",
        ms(import),
        rows as f64 / import.as_secs_f64()
    );
    println!("unlock (Argon2id + decrypt all):   {:>8.0} ms", ms(unlock));
    println!("  of which Argon2id (64 MiB, t=3): {:>8.0} ms", ms(argon2));
    println!("  of which loading the records:    {:>8.0} ms", ms(unlock.saturating_sub(argon2)));
    println!("totals + first page of 50:         {:>8.1} ms  (target ≤ 100 ms)", ms(first_screen));
    println!("search over all purchases:         {:>8.1} ms  ({} matching)", ms(search_time), search.total_matching);
    println!(
        "packet build + sign + encrypt:     {:>8.1} ms  (email, age range, 12 months of purchase totals)",
        ms(packet)
    );
}
