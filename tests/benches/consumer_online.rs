//! The consumer online, timed on loopback: from "Share" to the brand's acknowledgement, and from
//! "Revoke" to "deletion confirmed", as the app does them — the vault signs, encrypts and seals
//! the packet into its outbox (`Vault::queue_packet`), `tessera-online` POSTs it to a running
//! `tessera brand serve` (SQLite), the vault records the acknowledgement; then the vault signs
//! the revocation into the outbox, it is POSTed, and the receipt is verified and stored.
//!
//! `cargo bench -p tessera-system-tests --bench consumer_online [-- ROUNDS]` (default 200).
//! Prints p50, p95 and p99 of each; targets: Share → acknowledgement p95 ≤ 100 ms, Revoke →
//! deletion confirmed p95 ≤ 100 ms on loopback (what a person feels as "at once").

use std::time::{Duration, Instant};

use serde_json::json;
use tessera_online::Client;
use tessera_system_tests::process::{request, tessera_ok, InboxServer, StoreAt};
use tessera_vault::consent::{Choice, Decision};
use tessera_vault::facts::Sensitivity;
use tessera_vault::ledger::PacketStatus;
use tessera_vault::Vault;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} rounds)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap()),
        times.len()
    );
}

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200).clamp(1, 10_000);
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = StoreAt::Dir(cwd.join("brand"));
    let dir = cwd.join("brand").display().to_string();
    tessera_ok(cwd, &["brand", "init", "--name", "Maison Banc", "--dir", &dir]);
    let server = InboxServer::start(cwd, &store, &[]);
    let jws = request(cwd, &store, Some(&server.url));

    let (mut vault, _) = Vault::create(&cwd.join("vault"), "a long passphrase for the benchmark").unwrap();
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::ShareFreely).unwrap();
    let now = || chrono::Utc::now().timestamp();
    let review = vault.review_request(&jws, now()).unwrap();
    let decisions = [Decision { item: "email".parse().unwrap(), choice: Choice::Exact }];
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = Client::new().unwrap();
    let started = Instant::now();

    let (mut shares, mut revokes) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for _ in 0..rounds {
        assert!(started.elapsed() < Duration::from_secs(600), "the benchmark took more than 10 minutes");
        // Share → acknowledgement.
        let clicked = Instant::now();
        let preview = vault.preview_packet(&review, &decisions, now()).unwrap();
        let (entry, item) = vault.queue_packet(&review, &preview, now()).unwrap();
        let item = vault.begin_sending(&entry.packet_jti, item.kind, now()).unwrap().expect("waiting");
        let delivered = runtime.block_on(client.send_packet(&item.response_uri, &item.body_bytes())).unwrap();
        let line = vault.packet_delivered(&entry.packet_jti, &delivered.acknowledgement, now()).unwrap();
        shares.push(clicked.elapsed());
        assert_eq!(line.status, PacketStatus::Active);

        // Revoke → deletion confirmed.
        let clicked = Instant::now();
        let (_, item) = vault.queue_revocation(&entry.packet_jti, now()).unwrap();
        let item = item.expect("delivered: the revocation goes");
        let item = vault.begin_sending(&entry.packet_jti, item.kind, now()).unwrap().expect("waiting");
        let body = String::from_utf8(item.body_bytes()).unwrap();
        let receipt = runtime.block_on(client.send_revocation(&item.response_uri, &body)).unwrap();
        let line = vault.revocation_answered(&entry.packet_jti, &receipt, now()).unwrap();
        revokes.push(clicked.elapsed());
        assert_eq!(line.status, PacketStatus::DeletionConfirmed);
    }
    println!("loopback, `tessera brand serve` on SQLite, one consumer vault, {rounds} rounds");
    report("Share → acknowledgement", shares);
    report("Revoke → deletion confirmed", revokes);
    drop(server);
}
