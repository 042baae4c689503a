//! The inbox under load: a load generator posting real packets over loopback HTTP to
//! `tessera brand serve` (release build) on SQLite and on PostgreSQL, with one server and two.
//!
//! `cargo bench -p tessera-system-tests --bench inbox_load [-- PACKETS] [sqlite|postgres]`
//! (default 4000 per run at 64 and 512 connections, a tenth of that at 1; both backends).
//!
//! Every server runs on core 0 only (`taskset -c 0`); this process — the load generator and
//! the in-process measure — on core 1; PostgreSQL wherever the system puts it. For each
//! backend it prints the in-process import rate (`Store::import_packets`, one transaction, one
//! core), then for 1, 64 and 512 connections: packets/s, p50 and p99 latency, and the ratio of
//! the HTTP rate to the in-process one, and the CPU time the servers used per packet (from
//! `/proc`; PostgreSQL's own processes not counted); then revocation → receipt latencies. First,
//! the floor: the server CPU an HTTP exchange alone costs (`GET /healthz`). Targets: HTTP ≥ 70 %
//! of in-process on one core; p99 ≤ 50 ms at 64 connections; revocation → receipt p99 ≤ 20 ms.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_brand::{Location, Store, Unlock};
use tessera_protocol::request::{RequestSpec, RequestedItem, SignedRequest};
use tessera_system_tests::consumer::{self, now};
use tessera_system_tests::http::{self, Client};
use tessera_system_tests::postgres::PgCluster;
use tessera_system_tests::process::{self, InboxServer, StoreAt, PASSPHRASE};

fn pin_this_process_to(core: usize) {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &core.to_string(), &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("taskset (util-linux)");
    assert!(status.success());
}

fn start_server(cwd: &std::path::Path, store: &StoreAt) -> InboxServer {
    let mut command = Command::new("taskset");
    command.args(["-c", "0"]).arg(process::tessera()).args(InboxServer::arguments(store, &[]));
    command.current_dir(cwd).env("TESSERA_PASSPHRASE", PASSPHRASE).env_remove("TESSERA_NOW").stdin(Stdio::null());
    InboxServer::spawn(command)
}

fn spec() -> RequestSpec {
    RequestSpec {
        items: vec![RequestedItem { item: "email".parse().unwrap(), purpose: "Loyalty card".into(), required: true }],
        retention_days: 365,
        offer: "15 % off".into(),
        valid_days: 30,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Run {
    elapsed: Duration,
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// Posts every file once over `connections` connections spread over `servers`; every answer
/// must be 201.
fn post_all(runtime: &tokio::runtime::Runtime, servers: &[SocketAddr], connections: usize, files: Vec<Vec<u8>>) -> Run {
    let files = Arc::new(files);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let latencies = runtime.block_on(async {
        let mut tasks = Vec::new();
        for c in 0..connections {
            let (files, next, addr) = (Arc::clone(&files), Arc::clone(&next), servers[c % servers.len()]);
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(addr).await.expect("connect");
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { return latencies };
                    let sent = Instant::now();
                    let answer = client.post_packet(file).await.expect("an answer");
                    latencies.push(sent.elapsed());
                    assert_eq!(answer.status, 201, "{}", answer.text());
                }
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("client"));
        }
        all
    });
    let elapsed = started.elapsed();
    let mut sorted = latencies;
    sorted.sort();
    Run {
        elapsed,
        rate: sorted.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&sorted, 0.5),
        p99: percentile(&sorted, 0.99),
    }
}

/// How many transactions the servers have committed packets in so far (their `/metrics`).
fn batches(runtime: &tokio::runtime::Runtime, servers: &[SocketAddr]) -> f64 {
    let count = |text: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with("tessera_inbox_store_batch_size_count")).expect("batch count");
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    runtime.block_on(async {
        let mut total = 0.0;
        for addr in servers {
            let answer = http::once(*addr, "GET", "/metrics", None, Vec::new()).await.expect("metrics");
            total += count(&answer.text());
        }
        total
    })
}

/// GETs `path` `n` times over `connections` connections to `server`: the requests per second.
fn get_all(
    runtime: &tokio::runtime::Runtime,
    server: SocketAddr,
    connections: usize,
    n: usize,
    path: &'static str,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let next = Arc::clone(&next);
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(server).await.expect("connect");
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    assert_eq!(client.get(path).await.expect("an answer").status, 200);
                }
            }));
        }
        for task in tasks {
            task.await.expect("client");
        }
    });
    n as f64 / started.elapsed().as_secs_f64()
}

/// Revokes `answers` over `connections` connections; the latencies of revocation → receipt.
fn revoke_all(
    runtime: &tokio::runtime::Runtime,
    server: SocketAddr,
    connections: usize,
    revocations: Vec<String>,
) -> Vec<Duration> {
    let revocations = Arc::new(revocations);
    let next = Arc::new(AtomicUsize::new(0));
    let mut latencies = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (revocations, next) = (Arc::clone(&revocations), Arc::clone(&next));
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(server).await.expect("connect");
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(jws) = revocations.get(i) else { return latencies };
                    let sent = Instant::now();
                    let answer = client.post_revocation(jws).await.expect("an answer");
                    latencies.push(sent.elapsed());
                    assert_eq!(answer.status, 200, "{}", answer.text());
                }
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("client"));
        }
        all
    });
    latencies.sort();
    latencies
}

fn answers(request: &SignedRequest, n: usize, tag: &str) -> Vec<consumer::Answer> {
    (0..n).map(|i| consumer::answer(request, &format!("{tag}{i}@example.org"), now())).collect()
}

fn bench_backend(name: &str, cwd: &std::path::Path, store: StoreAt, location: Location, packets: usize) {
    println!("\n== {name} ==");
    // In-process: the store's own import, one transaction, on this process's one core.
    let in_process = {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let brand = Store::create(&location, "Maison Bench", Unlock::Passphrase(PASSPHRASE), now()).await.unwrap();
            let request = brand.create_request(&spec(), None, now()).await.unwrap();
            let files: Vec<Vec<u8>> = answers(&request, packets, "inproc").into_iter().map(|a| a.file).collect();
            let slices: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
            let started = Instant::now();
            let outcomes = brand.import_packets(&slices, now()).await.unwrap();
            let rate = packets as f64 / started.elapsed().as_secs_f64();
            assert!(outcomes.iter().all(Result::is_ok));
            rate
        })
    };
    println!(
        "in-process import (one transaction, one core): {in_process:>7.0} packets/s ({:.0} µs/packet)",
        1e6 / in_process
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let request_jws = process::request(cwd, &store, None);
    let request = consumer::read_request(&request_jws);
    for server_count in [1, 2] {
        let servers: Vec<InboxServer> = (0..server_count).map(|_| start_server(cwd, &store)).collect();
        let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
        // Warm up connections and caches.
        post_all(&runtime, &addrs, 4, answers(&request, 200, "warm").into_iter().map(|a| a.file).collect());
        if server_count == 1 {
            // The floor: what an HTTP exchange alone costs the server (no body, no store).
            const GETS: usize = 20_000;
            let before = servers[0].cpu_time();
            let rate = get_all(&runtime, addrs[0], 64, GETS, "/healthz");
            let cpu = servers[0].cpu_time() - before;
            println!(
                "HTTP alone (GET /healthz, 64 connections): {rate:>7.0} requests/s, server CPU {:>3.0} µs/request",
                cpu.as_secs_f64() * 1e6 / GETS as f64
            );
        }
        for connections in [1, 64, 512] {
            let n = if connections == 1 { packets / 10 } else { packets };
            let files =
                answers(&request, n, &format!("s{server_count}c{connections}-")).into_iter().map(|a| a.file).collect();
            let cpu_before: Duration = servers.iter().map(InboxServer::cpu_time).sum();
            let batches_before = batches(&runtime, &addrs);
            let run = post_all(&runtime, &addrs, connections, files);
            let cpu = servers.iter().map(InboxServer::cpu_time).sum::<Duration>() - cpu_before;
            let batches = batches(&runtime, &addrs) - batches_before;
            println!(
                "{server_count} server(s), {connections:>3} connection(s): {:>7.0} packets/s  p50 {:>6.2} ms  p99 {:>6.2} ms  HTTP / in-process {:>5.1} %  server CPU {:>4.0} µs/packet, core 0 busy {:>3.0} %, {:>5.1} packets/transaction",
                run.rate,
                ms(run.p50),
                ms(run.p99),
                100.0 * run.rate / in_process,
                cpu.as_secs_f64() * 1e6 / n as f64,
                100.0 * cpu.as_secs_f64() / run.elapsed.as_secs_f64(),
                n as f64 / batches,
            );
        }
        if server_count == 1 {
            for connections in [1, 64] {
                let batch = answers(&request, 1000, &format!("revoke{connections}-"));
                post_all(&runtime, &addrs, 16, batch.iter().map(|a| a.file.clone()).collect());
                let revocations = batch.iter().map(|a| a.revocation(&request, now())).collect();
                let latencies = revoke_all(&runtime, addrs[0], connections, revocations);
                println!(
                    "revocation → receipt, {connections:>2} connection(s): p50 {:>6.2} ms  p99 {:>6.2} ms",
                    ms(percentile(&latencies, 0.5)),
                    ms(percentile(&latencies, 0.99))
                );
            }
        }
        drop(servers);
    }
}

fn main() {
    let packets: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(4000);
    // `sqlite` or `postgres` among the arguments: that backend only.
    let only: Option<String> = std::env::args().skip(1).find(|a| a == "sqlite" || a == "postgres");
    let wanted = |backend: &str| only.as_deref().is_none_or(|o| o == backend);
    // The server measured is the release build of this very source.
    let built = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "tessera-cli", "--bin", "tessera"])
        .status()
        .expect("cargo");
    assert!(built.success());
    pin_this_process_to(1);
    let binary = process::tessera();
    println!(
        "inbox load: {packets} packets per run; servers on core 0 ({}), load generator on core 1",
        binary.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let sqlite_dir = tmp.path().join("sqlite");
    std::fs::create_dir_all(&sqlite_dir).unwrap();
    process::tessera_ok(tmp.path(), &["brand", "init", "--name", "Maison Bench", "--dir", "sqlite/brand"]);
    if wanted("sqlite") {
        bench_backend(
            "SQLite",
            tmp.path(),
            StoreAt::Dir(sqlite_dir.join("brand")),
            Location::Sqlite(tmp.path().join("inproc-sqlite")),
            packets,
        );
    }
    if !wanted("postgres") {
        return;
    }
    let pg = PgCluster::start();
    let url = pg.create_database("bench");
    let inproc = pg.create_database("inproc");
    process::tessera_ok(tmp.path(), &["brand", "init", "--name", "Maison Bench", "--database", &url]);
    bench_backend("PostgreSQL", tmp.path(), StoreAt::Database(url), Location::Postgres(inproc), packets);
}
