//! Brand import throughput against the raw crypto limit, measured in the same run.
//!
//! `cargo bench -p tessera-brand --bench import [-- N]` (default N = 5000).
//! Prints packets/s for (a) the raw crypto of N packets — age X25519 decrypt
//! and Ed25519 verify, no parsing, no storage — and (b) a full import of the
//! same N packets into a fresh brand store, then the ratio. Target: ≥ 70 %.

use std::time::Instant;

use serde_json::json;
use tessera_brand::{BrandStore, Unlock};
use tessera_protocol::packet::{self, SharedItem};
use tessera_protocol::request::{RequestSpec, RequestedItem};
use tessera_protocol::{derive_brand_key, envelope, Did, MasterSecret};

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5000);
    let now = 1_795_000_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store =
        BrandStore::create(dir.path(), "Bench", Unlock::Passphrase("bench passphrase"), now).expect("store");
    let spec = RequestSpec {
        items: ["email", "birthdate", "address.postal_code", "tessera.interests"]
            .iter()
            .map(|i| RequestedItem { item: i.parse().expect("item"), purpose: "bench".into(), required: false })
            .collect(),
        retention_days: 365,
        offer: "bench".into(),
        valid_days: 30,
    };
    let request = store.create_request(&spec, now).expect("request");
    let master = MasterSecret::generate();
    eprintln!("making {n} packets…");
    let files: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            // A different consumer for every packet, as in real life.
            let consumer = derive_brand_key(
                &MasterSecret::from_bytes(&{
                    let mut b = *master.as_bytes();
                    b[..8].copy_from_slice(&(i as u64).to_le_bytes());
                    b
                }),
                request.brand(),
            );
            let items = vec![
                SharedItem {
                    answers: "email".parse().expect("item"),
                    item: "email".parse().expect("item"),
                    value: json!(format!("person{i}@example.org")),
                },
                SharedItem {
                    answers: "birthdate".parse().expect("item"),
                    item: "age_range".parse().expect("item"),
                    value: json!("25-34"),
                },
                SharedItem {
                    answers: "address.postal_code".parse().expect("item"),
                    item: "address.department".parse().expect("item"),
                    value: json!("69"),
                },
                SharedItem {
                    answers: "tessera.interests".parse().expect("item"),
                    item: "tessera.interests".parse().expect("item"),
                    value: json!(["cycling", "cooking"]),
                },
            ];
            let claims = packet::draft(&request, &consumer.did(), items, now + 1).expect("draft");
            let signed = packet::sign(&claims, &consumer).expect("sign");
            envelope::seal(&signed.jws, &request.claims.age_recipient).expect("seal")
        })
        .collect();
    let identity: age::x25519::Identity = store.export_age_identity().parse().expect("identity");

    // (a) Raw crypto limit: age decrypt + Ed25519 verify of the same packets.
    let started = Instant::now();
    for file in &files {
        let jws = age::decrypt(&identity, file).expect("decrypt");
        let jws = std::str::from_utf8(&jws).expect("utf-8");
        let (input, signature) = jws.rsplit_once('.').expect("jws");
        let header: serde_json::Value = serde_json::from_slice(
            &tessera_protocol::encoding::b64url_decode(input.split('.').next().expect("header")).expect("b64"),
        )
        .expect("json");
        let signer = Did::from_key_id(header["kid"].as_str().expect("kid")).expect("did");
        assert!(signer.verify(input.as_bytes(), &tessera_protocol::encoding::b64url_decode(signature).expect("b64")));
    }
    let raw = started.elapsed();

    // (b) Full import into the store, one batch.
    let slices: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    let started = Instant::now();
    let outcomes = store.import_packets(&slices, now + 2).expect("import");
    let import = started.elapsed();
    assert!(outcomes.iter().all(Result::is_ok), "every packet imports");
    assert_eq!(store.packets().expect("list").len(), n);

    let raw_rate = n as f64 / raw.as_secs_f64();
    let import_rate = n as f64 / import.as_secs_f64();
    println!("packets:                 {n}");
    println!(
        "raw crypto limit:        {raw_rate:>9.0} packets/s  (age X25519 decrypt + Ed25519 verify, {:.1} µs/packet)",
        raw.as_secs_f64() * 1e6 / n as f64
    );
    println!("brand import:            {import_rate:>9.0} packets/s  (decrypt, verify, bind to request, seal, store; {:.1} µs/packet)", import.as_secs_f64() * 1e6 / n as f64);
    println!("import / limit:          {:>9.1} %  (target ≥ 70 %)", 100.0 * import_rate / raw_rate);
}
