//! The inbox over HTTP, for real: `tessera brand serve` processes on a SQLite store, the
//! `tessera` command on both sides, curl and raw sockets as clients — all on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tessera_system_tests::consumer::{self, now};
use tessera_system_tests::http::{self, Client};
use tessera_system_tests::process::{brand_with_request, run, tessera_ok, InboxServer, StoreAt};
use tessera_system_tests::scenarios;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// curl, an HTTP client nobody at Tessera wrote; returns (status, body).
fn curl(args: &[&str]) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "30", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl (Debian package curl)");
    let text = out.stdout;
    let split = text.iter().rposition(|b| *b == b'\n').expect("a status line");
    let status = String::from_utf8_lossy(&text[split + 1..]).trim().parse().expect("a status");
    (status, text[..split].to_vec())
}

fn sqlite(dir: &Path) -> StoreAt {
    StoreAt::Dir(dir.join("brand"))
}

#[test]
fn the_whole_exchange_runs_through_the_command_line_against_the_running_inbox() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    tessera_ok(cwd, &["brand", "init", "--name", "Maison Exemple", "--dir", "brand"]);
    let mut server = InboxServer::start(cwd, &store, &[]);

    // The brand makes a request that names its inbox, and publishes it by reference.
    let out = tessera_ok(
        cwd,
        &[
            "brand",
            "request",
            "--spec",
            &write_spec(cwd),
            "--out",
            "request.tessera-request",
            "--inbox",
            &server.url,
            "--dir",
            "brand",
        ],
    );
    let published = out.lines().find_map(|l| l.strip_prefix("  publish it as ")).expect("the link").to_owned();
    assert!(published.starts_with(&format!("{}/v1/requests/", server.url)), "{out}");
    assert!(out.contains(&format!("packets are sent to {}/v1/packets", server.url)), "{out}");
    let (status, fetched) = curl(&[&published]);
    assert_eq!(status, 200);
    let file = std::fs::read_to_string(cwd.join("request.tessera-request")).unwrap();
    assert_eq!(String::from_utf8(fetched.clone()).unwrap(), file.trim(), "the same bytes as the file");
    std::fs::write(cwd.join("fetched.tessera-request"), &fetched).unwrap();

    // The consumer answers the request fetched over HTTP.
    tessera_ok(cwd, &["vault", "init", "--vault", "vault"]);
    tessera_ok(cwd, &["vault", "--vault", "vault", "fact", "set", "email", "ana@example.org"]);
    tessera_ok(
        cwd,
        &[
            "consent",
            "--vault",
            "vault",
            "answer",
            "fetched.tessera-request",
            "--share",
            "email",
            "--out",
            "p.tessera-packet",
        ],
    );
    let packets = format!("{}/v1/packets", server.url);
    let post_packet =
        ["-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary", "@p.tessera-packet"];
    let in_cwd = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.push(&packets);
        let owned: Vec<String> = all.iter().map(|a| a.to_string()).collect();
        let out = Command::new("curl")
            .current_dir(cwd)
            .args(["-s", "--max-time", "30", "-w", "\n%{http_code}"])
            .args(&owned)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let (body, status) = text.rsplit_once('\n').unwrap();
        (status.parse::<u16>().unwrap(), body.to_owned())
    };
    let (first_status, first) = in_cwd(&post_packet);
    let (again_status, again) = in_cwd(&post_packet);
    assert_eq!((first_status, again_status), (201, 200), "{first} / {again}");
    assert_eq!(first, again, "the same acknowledgement both times");
    let ack: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(ack["status"], "stored");
    let packet_id = ack["packet_id"].as_str().unwrap().to_owned();

    // The brand sees it with its own tools while the inbox runs.
    let listed = tessera_ok(cwd, &["brand", "list", "--dir", "brand"]);
    assert!(listed.contains(&packet_id) && listed.lines().count() == 1, "{listed}");

    // The consumer revokes: the receipt comes back in the same exchange.
    tessera_ok(cwd, &["consent", "--vault", "vault", "revoke", &packet_id, "--out", "r.tessera-revocation"]);
    let revocations = format!("{}/v1/revocations", server.url);
    let revoke = |out: &str| {
        let status = Command::new("curl")
            .current_dir(cwd)
            .args(["-s", "--max-time", "30", "-X", "POST", "-H", "Content-Type: application/tessera-revocation+jwt"])
            .args(["--data-binary", "@r.tessera-revocation", "-o", out, "-w", "%{http_code} %{content_type}"])
            .arg(&revocations)
            .output()
            .unwrap();
        String::from_utf8(status.stdout).unwrap()
    };
    assert_eq!(revoke("receipt.tessera-receipt"), "200 application/tessera-receipt+jwt");
    let confirmed = tessera_ok(cwd, &["consent", "--vault", "vault", "receipt", "receipt.tessera-receipt"]);
    assert!(confirmed.contains("deletion confirmed"), "{confirmed}");
    assert_eq!(revoke("again.tessera-receipt"), "200 application/tessera-receipt+jwt");
    let receipt = std::fs::read(cwd.join("receipt.tessera-receipt")).unwrap();
    assert_eq!(std::fs::read(cwd.join("again.tessera-receipt")).unwrap(), receipt, "the same receipt bytes");
    let (status, fetched_receipt) = curl(&[&format!("{}/v1/receipts/{packet_id}", server.url)]);
    assert_eq!((status, fetched_receipt), (200, receipt));

    assert!(tessera_ok(cwd, &["brand", "list", "--dir", "brand"]).contains("No packet held."));
    assert!(tessera_ok(cwd, &["brand", "list", "--deleted", "--dir", "brand"]).contains(&packet_id));
    let status = tessera_ok(cwd, &["consent", "--vault", "vault", "list"]);
    assert!(status.contains("deletion confirmed"), "{status}");

    // Metrics count what happened and say nothing about whom.
    let (status, metrics) = curl(&[&format!("{}/metrics", server.url)]);
    let metrics = String::from_utf8(metrics).unwrap();
    assert_eq!(status, 200);
    assert!(metrics.contains("tessera_inbox_packets_total{outcome=\"stored\"} 1"), "{metrics}");
    assert!(metrics.contains("tessera_inbox_packets_total{outcome=\"duplicate\"} 1"), "{metrics}");
    assert!(metrics.contains("tessera_inbox_revocations_total{outcome=\"deleted\"} 1"), "{metrics}");
    for secret in [packet_id.as_str(), "ana@example.org", "did:key"] {
        assert!(!metrics.contains(secret), "metrics mention {secret}");
    }
    assert_eq!(curl(&[&format!("{}/healthz", server.url)]), (200, b"ok".to_vec()));
    assert!(server.terminate(Duration::from_secs(30)).success());
}

fn write_spec(cwd: &Path) -> String {
    let spec = cwd.join("spec.json");
    std::fs::write(
        &spec,
        r#"{"items":[{"item":"email","purpose":"Send your loyalty card","required":true}],"retention_days":30,"offer":"15 % off","valid_days":30}"#,
    )
    .unwrap();
    spec.display().to_string()
}

#[test]
fn a_client_still_sending_a_body_too_large_reads_the_refusal() {
    // The inbox answers 413 from the declared length at once; the client is then still sending
    // 16 MiB. It must read the JSON refusal, not a reset connection — every time.
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    tessera_ok(cwd, &["brand", "init", "--name", "Maison Exemple", "--dir", "brand"]);
    let server = InboxServer::start(cwd, &store, &[]);
    let too_large = bytes::Bytes::from(vec![b'a'; 16 * 1024 * 1024 + 64 * 1024 + 1]);
    runtime().block_on(async {
        for attempt in 0..10 {
            let answer =
                http::once(server.addr, "POST", "/v1/packets", Some("application/octet-stream"), too_large.clone())
                    .await
                    .unwrap_or_else(|e| panic!("attempt {attempt}: no answer but {e}"));
            assert_eq!((answer.status, answer.code()), (413, "payload_too_large".to_owned()), "{}", answer.text());
        }
    });
    assert_eq!(http_status(&server, "/healthz"), 200, "still serving");
    assert!(tessera_ok(cwd, &["brand", "list", "--dir", "brand"]).contains("No packet held."));
}

/// A request the inbox refuses: method, path, content type, body, and the status and code expected.
type Refusal<'a> = (&'a str, &'a str, Option<&'a str>, Vec<u8>, u16, &'a str);

#[test]
fn every_refusal_is_json_with_a_fitting_status_and_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    tessera_ok(cwd, &["brand", "init", "--name", "Maison Exemple", "--dir", "brand"]);
    let server = InboxServer::start(cwd, &store, &[]);
    let request = consumer::read_request(&tessera_system_tests::process::request(cwd, &store, Some(&server.url)));
    let honest = consumer::answer(&request, "ana@example.org", now());

    // A packet for another brand.
    let other_dir = tempfile::tempdir().unwrap();
    let other_store = StoreAt::Dir(other_dir.path().join("brand"));
    let other = consumer::read_request(&brand_with_request(other_dir.path(), &other_store, None));
    let foreign = consumer::answer(&other, "ana@example.org", now());

    let cases: Vec<Refusal> = vec![
        ("POST", "/v1/packets", Some("application/octet-stream"), b"not an age file".to_vec(), 400, "cannot_decrypt"),
        ("POST", "/v1/packets", Some("application/octet-stream"), Vec::new(), 400, "cannot_decrypt"),
        (
            "POST",
            "/v1/packets",
            Some("application/octet-stream"),
            honest.file[..honest.file.len() / 2].to_vec(),
            400,
            "cannot_decrypt",
        ),
        ("POST", "/v1/packets", Some("application/octet-stream"), honest.file[..40].to_vec(), 400, "cannot_decrypt"),
        ("POST", "/v1/packets", Some("application/octet-stream"), foreign.file.clone(), 400, "cannot_decrypt"),
        (
            "POST",
            "/v1/packets",
            Some("application/x-www-form-urlencoded"),
            honest.file.clone(),
            415,
            "unsupported_media_type",
        ),
        ("POST", "/v1/packets", None, honest.file.clone(), 415, "unsupported_media_type"),
        (
            "POST",
            "/v1/packets",
            Some("application/octet-stream"),
            vec![b'a'; 16 * 1024 * 1024 + 64 * 1024 + 1],
            413,
            "payload_too_large",
        ),
        (
            "POST",
            "/v1/revocations",
            Some("application/tessera-revocation+jwt"),
            vec![b'x'; 70_000],
            413,
            "payload_too_large",
        ),
        (
            "POST",
            "/v1/revocations",
            Some("application/tessera-revocation+jwt"),
            vec![0xff, 0xfe, 0x00],
            400,
            "malformed",
        ),
        ("POST", "/v1/revocations", Some("application/tessera-revocation+jwt"), b"a.b.c".to_vec(), 400, "malformed"),
        (
            "POST",
            "/v1/revocations",
            Some("application/tessera-revocation+jwt"),
            honest.revocation(&request, now()).into_bytes(),
            404,
            "unknown_packet",
        ),
        (
            "POST",
            "/v1/revocations",
            Some("application/tessera-revocation+jwt"),
            request.jws.clone().into_bytes(),
            400,
            "wrong_type",
        ),
        ("GET", "/v1/requests/unknown-request", None, Vec::new(), 404, "unknown_request"),
        ("GET", "/v1/requests/%3Cscript%3E", None, Vec::new(), 404, "unknown_request"),
        ("GET", "/v1/receipts/unknown-packet", None, Vec::new(), 404, "no_receipt"),
        ("GET", "/v1/packets", None, Vec::new(), 405, "method_not_allowed"),
        ("DELETE", "/v1/revocations", None, Vec::new(), 405, "method_not_allowed"),
        ("GET", "/v1/export", None, Vec::new(), 404, "not_found"),
        ("GET", "/admin", None, Vec::new(), 404, "not_found"),
    ];
    runtime().block_on(async {
        for (method, path, content_type, body, status, code) in cases {
            let answer = http::once(server.addr, method, path, content_type, body).await.unwrap();
            assert_eq!((answer.status, answer.code()), (status, code.to_owned()), "{method} {path}: {}", answer.text());
            assert_eq!(answer.content_type.as_deref(), Some("application/json"));
            assert!(answer.json()["message"].as_str().unwrap().len() > 15, "{}", answer.text());
        }
    });
    assert!(tessera_ok(cwd, &["brand", "list", "--dir", "brand"]).contains("No packet held."));
    assert_eq!(tessera_ok(cwd, &["brand", "list", "--deleted", "--dir", "brand"]), "");
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn ten_thousand_random_bodies_are_refused_and_nothing_is_stored() {
    const BODIES: usize = 10_000;
    const CONNECTIONS: usize = 8;
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    let server = InboxServer::start(cwd, &store, &[]);
    let honest = consumer::answer(&request, "ana@example.org", now());
    let revocation = honest.revocation(&request, now());
    let started = Instant::now();
    let statuses = runtime().block_on(async {
        let mut tasks = Vec::new();
        for connection in 0..CONNECTIONS {
            let (addr, file, revocation) = (server.addr, honest.file.clone(), revocation.clone());
            tasks.push(tokio::spawn(async move {
                let mut random = Random(0x9e37_79b9_7f4a_7c15 ^ (connection as u64 + 1));
                let mut client = Client::connect(addr).await.unwrap();
                let mut seen = Vec::new();
                for i in (connection..BODIES).step_by(CONNECTIONS) {
                    assert!(started.elapsed() < Duration::from_secs(300), "bounded in time");
                    // Random bytes; random bytes after an age header; a real file with bytes
                    // flipped; a revocation with bytes flipped; random text with dots.
                    let (path, content_type, body) = match i % 5 {
                        0 => {
                            let len = (random.next() % 4096) as usize;
                            ("/v1/packets", "application/octet-stream", random.bytes(len))
                        }
                        1 => {
                            let mut body = b"age-encryption.org/v1\n-> X25519 ".to_vec();
                            let len = (random.next() % 600) as usize;
                            body.extend(random.bytes(len));
                            ("/v1/packets", "application/octet-stream", body)
                        }
                        2 => {
                            // One to four bits flipped, each in a different byte: two flips of one
                            // bit would cancel out and leave the honest file (which is then stored).
                            let mut body = file.clone();
                            let mut flipped = Vec::new();
                            for _ in 0..1 + random.next() % 4 {
                                let at = (random.next() as usize) % body.len();
                                let bit = 1 << (random.next() % 8);
                                if !flipped.contains(&at) {
                                    flipped.push(at);
                                    body[at] ^= bit;
                                }
                            }
                            assert_ne!(body, file);
                            ("/v1/packets", "application/octet-stream", body)
                        }
                        3 => {
                            let mut body = revocation.clone().into_bytes();
                            let at = (random.next() as usize) % body.len();
                            // Always a different byte.
                            body[at] = (random.next() as u8).max(1).wrapping_add(body[at]);
                            ("/v1/revocations", "application/tessera-revocation+jwt", body)
                        }
                        _ => {
                            let text: String = (0..(random.next() % 300))
                                .map(|_| b"ab.-_=eyJ0{}\"\\ \n\x00\xc3"[(random.next() % 16) as usize] as char)
                                .collect();
                            ("/v1/revocations", "application/tessera-revocation+jwt", text.into_bytes())
                        }
                    };
                    let answer = client.send("POST", path, Some(content_type), body).await.unwrap();
                    assert!((400..500).contains(&answer.status), "body {i}: {} {}", answer.status, answer.text());
                    seen.push(answer.code());
                }
                seen
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });
    assert_eq!(statuses.len(), BODIES);
    let mut codes: Vec<&String> = statuses.iter().collect();
    codes.sort();
    codes.dedup();
    assert!(codes.len() >= 3, "refused for several reasons: {codes:?}");
    assert_eq!(http_status(&server, "/healthz"), 200, "still serving");
    assert!(tessera_ok(cwd, &["brand", "list", "--dir", "brand"]).contains("No packet held."));
    assert_eq!(tessera_ok(cwd, &["brand", "list", "--deleted", "--dir", "brand"]), "");
}

fn http_status(server: &InboxServer, path: &str) -> u16 {
    runtime().block_on(http::once(server.addr, "GET", path, None, Vec::new())).unwrap().status
}

/// Reads from `stream` until it is closed or `limit` passes; what was read.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Vec<u8> {
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let started = Instant::now();
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < limit {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => read.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    read
}

#[test]
fn a_client_sending_one_byte_a_second_is_cut_off() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    brand_with_request(cwd, &store, None);
    let server = InboxServer::start(cwd, &store, &["--header-timeout", "2", "--body-timeout", "3"]);

    // A slow body: the headers come at once, then one byte a second.
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"POST /v1/packets HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    for _ in 0..20 {
        if stream.write_all(b"a").is_err() {
            break;
        }
        answer.extend(read_until_closed(&mut stream, Duration::from_secs(1)));
        if !answer.is_empty() {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("body_timeout"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(8), "cut off after {:?}", started.elapsed());

    // Slow headers: one byte a second, never a full request.
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let mut closed = false;
    for byte in b"POST /v1/packets HTTP/1.1\r\nHost: slowly-slowly-slowly".iter() {
        if stream.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        let read = read_until_closed(&mut stream, Duration::from_secs(1));
        if read.is_empty() && stream.peek(&mut [0u8; 1]).map(|n| n == 0).unwrap_or(true) {
            closed = true;
            break;
        }
    }
    assert!(closed, "the connection was closed");
    assert!(started.elapsed() < Duration::from_secs(8), "cut off after {:?}", started.elapsed());
    assert_eq!(http_status(&server, "/healthz"), 200, "others are still served");
}

#[test]
fn slow_uploads_are_cut_off_within_seconds_and_never_block_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    brand_with_request(cwd, &store, None);
    // Two upload slots only, and the default 30 s body deadline.
    let server = InboxServer::start(cwd, &store, &["--max-in-flight", "2"]);
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            stream
                .write_all(b"POST /v1/packets HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\na")
                .unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Two uploads trickling in (they hold no slot, only the bytes they sent): reading a receipt
    // does not wait behind them.
    let asked = Instant::now();
    assert_eq!(http_status(&server, "/v1/receipts/unknown-packet"), 404);
    assert!(asked.elapsed() < Duration::from_secs(2), "a read waited {:?}", asked.elapsed());
    // One byte a second is far below the minimum rate: both are cut off within seconds, not 30 s.
    for stream in &mut slow {
        let mut answer = Vec::new();
        for _ in 0..10 {
            if stream.write_all(b"a").is_err() {
                break;
            }
            answer.extend(read_until_closed(stream, Duration::from_secs(1)));
            if !answer.is_empty() {
                break;
            }
        }
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408") && text.contains("body_timeout"), "{text}");
    }
    assert!(started.elapsed() < Duration::from_secs(8), "cut off after {:?}", started.elapsed());
}

#[test]
fn slow_senders_hold_no_upload_slot_so_an_honest_packet_is_stored_meanwhile() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    // Two upload slots only; four clients sending big bodies slowly, yet above the minimum rate
    // (10 KiB a second), for up to 16 s: longer than an upload waits for a slot (10 s).
    let server = InboxServer::start(cwd, &store, &["--max-in-flight", "2"]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let senders: Vec<std::thread::JoinHandle<()>> = (0..4)
        .map(|_| {
            let (addr, stop) = (server.addr, std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .write_all(b"POST /v1/packets HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
                    .unwrap();
                for _ in 0..160 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) || stream.write_all(&[b'a'; 1024]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // Meanwhile an honest packet arrives: stored, not kept waiting for a slot until 503.
    let honest = consumer::answer(&request, "ana@example.org", now());
    let answer =
        runtime().block_on(async { Client::connect(server.addr).await.unwrap().post_packet(&honest.file).await });
    let answer = answer.unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for sender in senders {
        sender.join().unwrap();
    }
    assert!(tessera_ok(cwd, &["brand", "list", "--dir", "brand"]).contains(&honest.packet_jti));
}

#[test]
fn a_large_body_refused_from_its_length_does_not_keep_its_connection_open() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    tessera_ok(cwd, &["brand", "init", "--name", "Maison Exemple", "--dir", "brand"]);
    let server = InboxServer::start(cwd, &store, &[]);
    // Declared just over the cap (so the inbox reads and discards what comes), then nothing.
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"POST /v1/packets HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 16842753\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(15));
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413") && text.contains("payload_too_large"), "{text}");
    // Closed after a short lingering read, not held for the 30 s body deadline.
    assert!(started.elapsed() < Duration::from_secs(15), "still open after {:?}", started.elapsed());
}

#[test]
fn a_server_whose_brand_changed_its_keys_says_so_on_its_health_check() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    let server = InboxServer::start(cwd, &store, &[]);
    assert_eq!(http_status(&server, "/healthz"), 200);
    std::fs::write(cwd.join("new-passphrase.txt"), "another long passphrase for system tests\n").unwrap();
    tessera_ok(cwd, &["brand", "change-unlock", "--new-passphrase-file", "new-passphrase.txt", "--dir", "brand"]);
    let honest = consumer::answer(&request, "ana@example.org", now());
    let (refused, health) = runtime().block_on(async {
        let refused = Client::connect(server.addr).await.unwrap().post_packet(&honest.file).await.unwrap();
        (refused, http::once(server.addr, "GET", "/healthz", None, Vec::new()).await.unwrap())
    });
    assert_eq!((refused.status, refused.code()), (503, "keys_changed".to_owned()), "{}", refused.text());
    assert_eq!((health.status, health.code()), (503, "keys_changed".to_owned()), "{}", health.text());
    assert!(health.json()["message"].as_str().unwrap().contains("restart"), "{}", health.text());
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    let mut server = InboxServer::start(cwd, &store, &[]);
    let answer = consumer::answer(&request, "ana@example.org", now());
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST /v1/packets HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        answer.file.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let half = answer.file.len() / 2;
    stream.write_all(&answer.file[..half]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.send_sigterm();
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.is_running(), "it waits for the request in flight");
    assert!(TcpStream::connect(server.addr).is_err(), "and takes no new connection");
    stream.write_all(&answer.file[half..]).unwrap();
    let reply = String::from_utf8_lossy(&read_until_closed(&mut stream, Duration::from_secs(20))).into_owned();
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    assert!(reply.contains(&answer.packet_jti), "{reply}");
    assert!(server.wait(Duration::from_secs(30)).success());
    let listed = tessera_ok(cwd, &["brand", "list", "--dir", "brand"]);
    assert!(listed.contains(&answer.packet_jti), "{listed}");
}

#[test]
fn a_server_killed_under_load_loses_nothing_it_acknowledged_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    scenarios::kill_under_load(tmp.path(), &sqlite(tmp.path()));
}

#[test]
fn a_store_opened_by_the_inbox_and_the_command_line_at_once_stays_consistent() {
    // The brand's tools write (requests, purges) while the inbox writes packets.
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = sqlite(cwd);
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    let server = InboxServer::start(cwd, &store, &[]);
    let answers: Vec<_> = (0..60).map(|i| consumer::answer(&request, &format!("p{i}@example.org"), now())).collect();
    let addr = server.addr;
    let files: Vec<Vec<u8>> = answers.iter().map(|a| a.file.clone()).collect();
    let posting = std::thread::spawn(move || {
        runtime().block_on(async {
            let mut client = Client::connect(addr).await.unwrap();
            for file in files {
                assert_eq!(client.post_packet(&file).await.unwrap().status, 201);
            }
        })
    });
    for _ in 0..5 {
        tessera_system_tests::process::request(cwd, &store, None);
        let out = run(cwd, &["brand", "purge", "--dir", "brand"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    posting.join().unwrap();
    let listed = tessera_ok(cwd, &["brand", "list", "--dir", "brand"]);
    assert_eq!(listed.lines().count(), 60, "{listed}");
}
