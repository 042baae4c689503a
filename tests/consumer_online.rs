//! The consumer goes online, through the real `tessera` command: a request opened by its link
//! from a running inbox, the packet sent with `consent answer --send`, the revocation with
//! `consent revoke --send` and its receipt verified and stored ("deletion confirmed"), on SQLite
//! and on PostgreSQL; the inbox down when the person sends, then up (delivered once); and
//! request links that answer with garbage, a huge body, a slow body, a redirect to another host,
//! or plain http to another computer: a clear error, and nothing stored in the vault.
//!
//! Loopback only; every server loop here is bounded in connections and time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use tessera_protocol::inbox::request_link;
use tessera_system_tests::http::Client;
use tessera_system_tests::postgres::PgCluster;
use tessera_system_tests::process::{command, request, run, tessera_ok, InboxServer, StoreAt};
use tessera_system_tests::scenarios::listed_packets;

/// A consumer's vault in `cwd/vault`, holding an e-mail address.
fn consumer(cwd: &Path) -> PathBuf {
    let vault = cwd.join("vault");
    let dir = vault.display().to_string();
    tessera_ok(cwd, &["vault", "--vault", &dir, "init"]);
    tessera_ok(cwd, &["vault", "--vault", &dir, "fact", "set", "email", "ana@example.org"]);
    vault
}

/// `tessera consent ARGS… --vault VAULT`.
fn consent(cwd: &Path, vault: &Path, args: &[&str]) -> Output {
    let dir = vault.display().to_string();
    let mut all = vec!["consent", "--vault", &dir];
    all.extend_from_slice(args);
    run(cwd, &all)
}

fn consent_ok(cwd: &Path, vault: &Path, args: &[&str]) -> String {
    let out = consent(cwd, vault, args);
    let text = both(&out);
    assert!(out.status.success(), "tessera consent {args:?} failed:\n{text}");
    text
}

fn both(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Initialises the brand store and starts its inbox; returns the server and the request's links.
fn brand_serving(cwd: &Path, store: &StoreAt) -> (InboxServer, String) {
    let mut init = vec!["brand", "init", "--name", "Maison Système"];
    let args = store.args();
    init.extend(args.iter().map(String::as_str));
    tessera_ok(cwd, &init);
    let server = InboxServer::start(cwd, store, &[]);
    let jws = request(cwd, store, Some(&server.url));
    let jti = tessera_protocol::request::verify(&jws).unwrap().claims.jti;
    let link = format!("{}/v1/requests/{jti}", server.url);
    (server, link)
}

/// The whole journey through the command line, on one backend.
fn journey(cwd: &Path, store: &StoreAt) {
    let (server, https_link) = brand_serving(cwd, store);
    let vault = consumer(cwd);
    let link = request_link(&https_link);

    let shown = consent_ok(cwd, &vault, &["show", &link]);
    let host = server.url.trim_start_matches("http://");
    assert!(shown.contains("Request from Maison Système — key fingerprint "), "{shown}");
    assert!(shown.lines().next().unwrap().ends_with(&format!("— inbox {host}")), "{shown}");

    let sent = consent_ok(cwd, &vault, &["answer", &link, "--share", "email", "--send"]);
    assert!(sent.contains(&format!("Maison Système ({host}) acknowledged packet ")), "{sent}");
    let listed = consent_ok(cwd, &vault, &["list"]);
    let packet = listed.split_whitespace().next().unwrap().to_owned();
    assert!(listed.lines().next().unwrap().ends_with("active"), "{listed}");
    assert_eq!(listed_packets(cwd, store), [packet.clone()].into(), "the brand holds the packet, once");

    let revoked = consent_ok(cwd, &vault, &["revoke", &packet, "--send"]);
    assert!(revoked.contains(&format!("confirmed deleting packet {packet}")), "{revoked}");
    assert!(revoked.trim_end().ends_with("deletion confirmed."), "{revoked}");
    let listed = consent_ok(cwd, &vault, &["list"]);
    assert!(listed.lines().next().unwrap().ends_with("deletion confirmed"), "{listed}");
    assert!(listed_packets(cwd, store).is_empty(), "the brand holds nothing");
    assert_eq!(consent_ok(cwd, &vault, &["outbox"]).trim(), "Nothing waits to be sent.");
    drop(server);
}

#[test]
fn a_person_opens_a_link_shares_revokes_and_the_receipt_confirms_the_deletion_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    journey(tmp.path(), &StoreAt::Dir(tmp.path().join("brand")));
}

#[test]
fn a_person_opens_a_link_shares_revokes_and_the_receipt_confirms_the_deletion_on_postgres() {
    let pg = PgCluster::start();
    let url = pg.create_database("brand");
    let tmp = tempfile::tempdir().unwrap();
    journey(tmp.path(), &StoreAt::Database(url));
    assert_eq!(pg.psql("brand", "SELECT count(*) FROM packets"), "0");
}

/// `tessera brand serve` on a given loopback address.
fn serve_at(cwd: &Path, store: &StoreAt, addr: SocketAddr) -> InboxServer {
    let mut serve = command(cwd);
    serve.args(["brand", "serve", "--listen", &addr.to_string()]).args(store.args());
    InboxServer::spawn(serve)
}

#[test]
fn the_inbox_down_when_the_person_sends_then_up_gets_the_packet_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = StoreAt::Dir(cwd.join("brand"));
    let (mut server, link) = brand_serving(cwd, &store);
    let addr = server.addr;
    let vault = consumer(cwd);
    let shown = consent_ok(cwd, &vault, &["show", &link]);
    assert!(shown.contains("inbox 127.0.0.1:"), "{shown}");
    server.terminate(Duration::from_secs(30));

    // Down: the decision is recorded, the packet waits in the outbox (and as a file, asked for).
    let file = cwd.join("packet.tessera-packet");
    let file_arg = file.display().to_string();
    let request_file = cwd.join("request.tessera-request");
    let fetched = std::fs::read_dir(cwd)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tessera-request"))
        .unwrap();
    std::fs::copy(fetched, &request_file).unwrap();
    let request_arg = request_file.display().to_string();
    let out = consent(cwd, &vault, &["answer", &request_arg, "--share", "email", "--send", "--out", &file_arg]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(75), "recorded and waiting: its own exit status\n{text}");
    assert!(!text.contains("error:"), "waiting is not an error: {text}");
    assert!(text.contains("not sent yet: packet ") && text.contains("cannot reach 127.0.0.1:"), "{text}");
    assert!(text.contains("nothing answers at that address"), "in words, not the library's: {text}");
    assert!(text.contains("It waits in your outbox (1 attempt)"), "{text}");
    assert!(file.is_file(), "the packet was saved as a file too");
    let listed = consent_ok(cwd, &vault, &["list"]);
    assert!(listed.lines().next().unwrap().ends_with("waiting to be sent"), "{listed}");
    let waiting = consent_ok(cwd, &vault, &["outbox"]);
    assert!(waiting.starts_with("packet ") && waiting.contains("1 attempt, next"), "{waiting}");
    let brands = consent_ok(cwd, &vault, &["brands"]);
    assert!(
        brands.contains("has not received email: \"ana@example.org\" (not delivered yet)")
            && !brands.contains("holds nothing"),
        "{brands}"
    );
    // Still down: one more attempt, still waiting.
    let out = consent(cwd, &vault, &["send"]);
    assert!(out.status.code() == Some(75) && both(&out).contains("(2 attempts)"), "{}", both(&out));
    // Answering the same request again says so before making another packet.
    let again = consent(cwd, &vault, &["answer", &request_arg, "--share", "email", "--preview"]);
    assert!(!both(&again).contains("note:"), "a preview records nothing: {}", both(&again));

    // Up again, on the same address. The first POST arrived but its answer was lost: the file,
    // posted by hand, stands for it. Sending again is acknowledged (200) and stored once.
    let server = serve_at(cwd, &store, addr);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let first = runtime.block_on(async {
        let mut client = Client::connect(server.addr).await.unwrap();
        client.post_packet(&std::fs::read(&file).unwrap()).await.unwrap()
    });
    assert_eq!(first.status, 201, "{}", first.text());
    let sent = consent_ok(cwd, &vault, &["send"]);
    assert!(sent.contains("acknowledged packet") && sent.contains("(it had it already)"), "{sent}");
    let packet = consent_ok(cwd, &vault, &["list"]).split_whitespace().next().unwrap().to_owned();
    assert_eq!(listed_packets(cwd, &store), [packet].into(), "one row");
    assert_eq!(consent_ok(cwd, &vault, &["send"]).trim(), "Nothing waits to be sent.");
    assert!(consent_ok(cwd, &vault, &["list"]).lines().next().unwrap().ends_with("active"));
}

#[test]
fn a_revocation_waits_while_the_inbox_is_down_and_the_receipt_arrives_once_it_is_up() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = StoreAt::Dir(cwd.join("brand"));
    let (mut server, link) = brand_serving(cwd, &store);
    let addr = server.addr;
    let vault = consumer(cwd);
    consent_ok(cwd, &vault, &["answer", &link, "--share", "email", "--send"]);
    let packet = consent_ok(cwd, &vault, &["list"]).split_whitespace().next().unwrap().to_owned();
    server.kill();

    let out = consent(cwd, &vault, &["revoke", &packet, "--send"]);
    assert_eq!(out.status.code(), Some(75), "{}", both(&out));
    let listed = consent_ok(cwd, &vault, &["list"]);
    assert!(listed.lines().next().unwrap().ends_with("revocation waiting to be sent"), "{listed}");
    // Until the brand confirms the deletion, it may still hold the data.
    let brands = consent_ok(cwd, &vault, &["brands"]);
    assert!(
        brands.contains("may still hold email: \"ana@example.org\" (deletion asked, not confirmed yet)"),
        "{brands}"
    );
    assert!(!brands.contains("holds nothing"), "{brands}");

    let _server = serve_at(cwd, &store, addr);
    let sent = consent_ok(cwd, &vault, &["send"]);
    assert!(sent.contains("deletion confirmed."), "{sent}");
    assert!(consent_ok(cwd, &vault, &["list"]).lines().next().unwrap().ends_with("deletion confirmed"));
    assert!(listed_packets(cwd, &store).is_empty());
}

#[test]
fn a_packet_revoked_while_it_waits_is_never_sent_and_the_brand_says_it_never_had_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = StoreAt::Dir(cwd.join("brand"));
    let (mut server, link) = brand_serving(cwd, &store);
    let addr = server.addr;
    let vault = consumer(cwd);
    consent_ok(cwd, &vault, &["show", &link]);
    let request_file = std::fs::read_dir(cwd)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tessera-request"))
        .unwrap();
    let request_arg = request_file.display().to_string();
    server.terminate(Duration::from_secs(30));

    // Down: the packet waits. Revoked, still down: the packet leaves the outbox, the revocation waits.
    let out = consent(cwd, &vault, &["answer", &request_arg, "--share", "email", "--send"]);
    assert_eq!(out.status.code(), Some(75), "{}", both(&out));
    let packet = consent_ok(cwd, &vault, &["list"]).split_whitespace().next().unwrap().to_owned();
    let out = consent(cwd, &vault, &["revoke", &packet, "--send"]);
    assert_eq!(out.status.code(), Some(75), "{}", both(&out));
    let waiting = consent_ok(cwd, &vault, &["outbox"]);
    assert!(waiting.starts_with(&format!("revocation of {packet}")) && waiting.lines().count() == 2, "{waiting}");

    // Up: only the revocation goes. The inbox has no such packet — but a send of it began a
    // moment ago and could still arrive, so the revocation asks again later.
    let _server = serve_at(cwd, &store, addr);
    let out = consent(cwd, &vault, &["send"]);
    assert_eq!(out.status.code(), Some(75), "{}", both(&out));
    assert!(both(&out).contains(&format!("does not have packet {packet} yet")), "{}", both(&out));
    // Once no send of it can still arrive, its "no such packet" is recorded as never received.
    let later = (chrono_now() + 200).to_string();
    let sent = consent_ok(cwd, &vault, &["--now", &later, "send"]);
    assert!(
        sent.contains(&format!("says it never received packet {packet}: you revoked it before it arrived")),
        "{sent}"
    );
    assert!(listed_packets(cwd, &store).is_empty(), "the packet never left the person's computer");
    let listed = consent_ok(cwd, &vault, &["list"]);
    assert!(listed.lines().next().unwrap().ends_with("revoked before the brand received it"), "{listed}");
    assert_eq!(consent_ok(cwd, &vault, &["send"]).trim(), "Nothing waits to be sent.");
    assert!(listed_packets(cwd, &store).is_empty(), "and never will");
    let brands = consent_ok(cwd, &vault, &["brands"]);
    assert!(brands.contains("holds nothing now") && !brands.contains("email: ana"), "{brands}");

    // Answering the same request again says it was answered before.
    let again = consent(cwd, &vault, &["answer", &request_arg, "--share", "email", "--send"]);
    assert!(both(&again).contains("note: you already answered this request on "), "{}", both(&again));
    assert!(both(&again).contains(&format!("(packet {packet}, revoked before the brand received it)")));
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A hostile "request server" on loopback: answers each path its own bad way. Accepts at most
/// `connections` connections within 120 s, each answered for at most 15 s; returns how many
/// connections it accepted.
fn hostile_server(connections: usize) -> (SocketAddr, std::thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let started = Instant::now();
        let mut accepted = 0;
        while accepted < connections && started.elapsed() < Duration::from_secs(120) {
            match listener.accept() {
                Ok((stream, _)) => {
                    accepted += 1;
                    stream.set_nonblocking(false).unwrap();
                    std::thread::spawn(move || answer_badly(stream));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        accepted
    });
    (addr, handle)
}

fn answer_badly(mut stream: TcpStream) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let started = Instant::now();
    let _ = match path.as_str() {
        "/garbage" => {
            let body = "<html>Welcome, friend</html>";
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n", body.len());
            stream.write_all(format!("{head}{body}").as_bytes())
        }
        "/forged" => {
            let body = "eyJhbGciOiJFZERTQSJ9.eyJub3QiOiJzaWduZWQifQ.AAAA";
            stream.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes())
        }
        "/huge" => {
            // Announces nothing (chunked) and sends 64 KiB chunks until cut off (at most 64 MiB).
            let mut result = stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            let chunk = format!("10000\r\n{}\r\n", "eyJ".repeat(0x10000 / 3 + 1)[..0x10000].to_owned());
            for _ in 0..1024 {
                if result.is_err() || started.elapsed() > Duration::from_secs(15) {
                    break;
                }
                result = stream.write_all(chunk.as_bytes());
            }
            result
        }
        "/slow" => {
            // Headers at once, then one byte every 300 ms (at most 40).
            let mut result = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n");
            for _ in 0..40 {
                if result.is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(300));
                result = stream.write_all(b"e");
            }
            result
        }
        "/terminal" => {
            // The server's words try to clear the screen, colour it, reverse it and fake a line.
            let body = "{\"code\":\"unknown_request\\u001b[2J\",\"message\":\"<script>x</script>\\u001b[31mred\\u202egnp.exe\\r\\nerror: none, deletion confirmed\"}";
            let head = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(format!("{head}{body}").as_bytes())
        }
        "/redirect" => stream.write_all(
            b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/v1/requests/abc\r\nContent-Length: 0\r\n\r\n",
        ),
        _ => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    };
}

#[test]
fn request_links_that_answer_badly_give_clear_errors_and_store_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let vault = consumer(cwd);
    let (addr, server) = hostile_server(8);
    let cases: [(&str, &str); 7] = [
        (
            "garbage",
            "answered with something unexpected: the answer is not a Tessera request (<html>Welcome, friend</html>)",
        ),
        ("forged", "malformed"),
        ("huge", "sent more than 262144 bytes; this is not a Tessera answer"),
        ("slow", "did not answer in time"),
        ("redirect", "answered with a redirect (302) to elsewhere.example; Tessera follows no redirect"),
        ("missing", "refused it (404)"),
        ("terminal", "refused it (404): “<script>x</script> [31mredgnp.exe error: none, deletion confirmed”"),
    ];
    for (path, expected) in cases {
        let http = format!("http://{addr}/{path}");
        for link in [http.clone(), request_link(&http)] {
            let started = Instant::now();
            let dir = vault.display().to_string();
            let mut answer = command(cwd);
            answer.args(["consent", "--vault", &dir, "answer", &link, "--share", "email", "--send"]);
            let out = answer.env("TESSERA_HTTP_TIMEOUT", "2").output().unwrap();
            let text = both(&out);
            assert!(!out.status.success(), "{link}: {text}");
            assert!(text.contains(expected), "{link}: expected {expected:?} in {text}");
            assert!(
                !text.contains(['\u{1b}', '\u{202e}', '\r']),
                "{link}: control characters reached the terminal: {text:?}"
            );
            assert_eq!(text.lines().count(), 1, "{link}: one line: {text:?}");
            assert!(started.elapsed() < Duration::from_secs(20), "{link} took {:?}", started.elapsed());
            if path != "redirect" {
                break; // the tessera:// form is checked once, on one case: it is the same fetch
            }
        }
    }
    // One connection per fetch: the redirect was not followed (elsewhere.example is not even
    // looked up: the tests have no network), and nothing was tried twice.
    assert_eq!(server.join().unwrap(), 8);

    // Plain http to another computer is refused before any connection is made.
    let out = consent(cwd, &vault, &["show", "http://inbox.maison.example/v1/requests/abc"]);
    assert!(!out.status.success());
    assert!(both(&out).contains("plain http to inbox.maison.example, which is not this computer"), "{}", both(&out));

    // Nothing was recorded or queued, and no brand was remembered.
    assert_eq!(consent_ok(cwd, &vault, &["list"]).trim(), "You have shared nothing yet.");
    assert_eq!(consent_ok(cwd, &vault, &["outbox"]).trim(), "Nothing waits to be sent.");
    assert_eq!(consent_ok(cwd, &vault, &["brands"]).trim(), "No brand knows anything about you through Tessera.");
}
