//! A brand at scale: inbox servers on one PostgreSQL database (a real server from Debian's
//! packages, started here in a temporary directory on a loopback port), the `tessera` command
//! with `--database`, and the move of a SQLite store to PostgreSQL.

use std::collections::HashSet;
use std::time::Duration;

use tessera_protocol::receipt;
use tessera_system_tests::consumer::{self, now};
use tessera_system_tests::http::Client;
use tessera_system_tests::postgres::PgCluster;
use tessera_system_tests::process::{brand_with_request, tessera_ok, InboxServer, StoreAt};
use tessera_system_tests::scenarios;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn count(pg: &PgCluster, db: &str, table: &str) -> usize {
    pg.psql(db, &format!("SELECT count(*) FROM {table}")).parse().unwrap()
}

#[test]
fn two_servers_on_one_database_keep_one_row_and_a_revocation_racing_the_import_leaves_no_data() {
    let pg = PgCluster::start();
    let url = pg.create_database("brand");
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = StoreAt::Database(url);
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    // Two servers start at once on the same database.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| InboxServer::start(cwd, &store, &[]));
        let b = s.spawn(|| InboxServer::start(cwd, &store, &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let rt = runtime();

    // 1. The same packet posted to both servers at once: one row, the same answer twice.
    let answers: Vec<_> = (0..40).map(|i| consumer::answer(&request, &format!("dup{i}@example.org"), now())).collect();
    rt.block_on(async {
        for answer in &answers {
            let (mut to_a, mut to_b) = (Client::connect(a.addr).await.unwrap(), Client::connect(b.addr).await.unwrap());
            let (from_a, from_b) = tokio::join!(to_a.post_packet(&answer.file), to_b.post_packet(&answer.file));
            let (from_a, from_b) = (from_a.unwrap(), from_b.unwrap());
            let mut statuses = [from_a.status, from_b.status];
            statuses.sort();
            assert_eq!(statuses, [200, 201], "{} / {}", from_a.text(), from_b.text());
            assert_eq!(from_a.body, from_b.body, "the same acknowledgement from both servers");
        }
    });
    assert_eq!(count(&pg, "brand", "packets"), 40);

    // 2. A revocation racing the import of its packet, on the other server: the revocation
    //    finds the packet (then deletes it) or does not (404, and the consumer sends it again).
    let racing: Vec<_> = (0..40).map(|i| consumer::answer(&request, &format!("race{i}@example.org"), now())).collect();
    let receipts = rt.block_on(async {
        let mut receipts = Vec::new();
        for answer in &racing {
            let revocation = answer.revocation(&request, now());
            let (mut to_a, mut to_b) = (Client::connect(a.addr).await.unwrap(), Client::connect(b.addr).await.unwrap());
            let (imported, revoked) = tokio::join!(to_a.post_packet(&answer.file), to_b.post_revocation(&revocation));
            let (imported, mut revoked) = (imported.unwrap(), revoked.unwrap());
            assert_eq!(imported.status, 201, "{}", imported.text());
            if revoked.status == 404 {
                assert_eq!(revoked.code(), "unknown_packet");
                revoked = to_b.post_revocation(&revocation).await.unwrap();
            }
            assert_eq!(revoked.status, 200, "{}", revoked.text());
            receipts.push((answer, revoked.text()));
        }
        receipts
    });
    for (answer, receipt_jws) in &receipts {
        let confirmed = receipt::verify(
            receipt_jws,
            request.brand(),
            &answer.key.did(),
            &answer.packet_jti,
            &answer.packet_hash,
            now(),
        )
        .unwrap();
        assert_eq!(confirmed.packet_jti, answer.packet_jti);
    }

    // 3. A client retrying an import while the revocation is processed elsewhere: the retry is
    //    acknowledged (before) or refused as deleted (after), never stored again.
    let retried: Vec<_> =
        (0..40).map(|i| consumer::answer(&request, &format!("retry{i}@example.org"), now())).collect();
    rt.block_on(async {
        let mut client = Client::connect(a.addr).await.unwrap();
        for answer in &retried {
            assert_eq!(client.post_packet(&answer.file).await.unwrap().status, 201);
        }
        for answer in &retried {
            let revocation = answer.revocation(&request, now());
            let (mut to_a, mut to_b) = (Client::connect(a.addr).await.unwrap(), Client::connect(b.addr).await.unwrap());
            let (imported, revoked) = tokio::join!(to_a.post_packet(&answer.file), to_b.post_revocation(&revocation));
            let (imported, revoked) = (imported.unwrap(), revoked.unwrap());
            assert_eq!(revoked.status, 200, "{}", revoked.text());
            assert!(
                imported.status == 200 || (imported.status == 410 && imported.code() == "packet_deleted"),
                "{} {}",
                imported.status,
                imported.text()
            );
        }
    });
    let held: HashSet<String> = scenarios::listed_packets(cwd, &store);
    assert_eq!(held.len(), 40, "only the packets never revoked are held");
    for answer in racing.iter().chain(&retried) {
        assert!(!held.contains(&answer.packet_jti), "packet {} was revoked but is held", answer.packet_jti);
    }
    assert_eq!(count(&pg, "brand", "packets"), 40);
    assert_eq!(count(&pg, "brand", "tombstones"), 80);
}

#[test]
fn a_server_killed_under_load_loses_nothing_it_acknowledged_postgres() {
    let pg = PgCluster::start();
    let url = pg.create_database("brand");
    let tmp = tempfile::tempdir().unwrap();
    scenarios::kill_under_load(tmp.path(), &StoreAt::Database(url));
}

#[test]
fn servers_purging_at_once_delete_each_packet_once() {
    let pg = PgCluster::start();
    let url = pg.create_database("brand");
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = StoreAt::Database(url);
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    let server = InboxServer::start(cwd, &store, &[]);
    runtime().block_on(async {
        let mut client = Client::connect(server.addr).await.unwrap();
        for i in 0..300 {
            let answer = consumer::answer(&request, &format!("p{i}@example.org"), now());
            assert_eq!(client.post_packet(&answer.file).await.unwrap().status, 201);
        }
    });
    drop(server);
    // Three servers start 31 days later (the request keeps data 30 days): each purges at once.
    let later = (now() + 31 * 86_400).to_string();
    let servers: Vec<InboxServer> = std::thread::scope(|s| {
        let starting: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| InboxServer::start_with(cwd, &store, &["--purge-every", "1"], &[("TESSERA_NOW", &later)]))
            })
            .collect();
        starting.into_iter().map(|t| t.join().unwrap()).collect()
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(count(&pg, "brand", "packets"), 0);
    assert_eq!(count(&pg, "brand", "tombstones"), 300, "one tombstone per packet");
    assert_eq!(pg.psql("brand", "SELECT count(DISTINCT reason) FROM tombstones"), "1");
    drop(servers);
}

#[test]
fn a_sqlite_store_moves_to_postgres_with_one_command_and_nothing_lost() {
    let pg = PgCluster::start();
    let url = pg.create_database("moved");
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let sqlite = StoreAt::Dir(cwd.join("brand"));
    let request = consumer::read_request(&brand_with_request(cwd, &sqlite, None));
    let server = InboxServer::start(cwd, &sqlite, &[]);
    let answers: Vec<_> = (0..20).map(|i| consumer::answer(&request, &format!("m{i}@example.org"), now())).collect();
    let receipts: Vec<String> = runtime().block_on(async {
        let mut client = Client::connect(server.addr).await.unwrap();
        for answer in &answers {
            assert_eq!(client.post_packet(&answer.file).await.unwrap().status, 201);
        }
        let mut receipts = Vec::new();
        for answer in &answers[..5] {
            let revoked = client.post_revocation(&answer.revocation(&request, now())).await.unwrap();
            assert_eq!(revoked.status, 200);
            receipts.push(revoked.text());
        }
        receipts
    });
    drop(server);
    let before_json = export(cwd, &sqlite, "before.json");
    let moved = tessera_ok(cwd, &["brand", "move", "--to", &url, "--dir", "brand"]);
    assert!(moved.contains("Copied 1 request(s), 15 packet(s) and 5 deletion record(s)"), "{moved}");
    assert!(!moved.contains("postgres://"), "no URL (with a password) is printed: {moved}");

    let pg_store = StoreAt::Database(url.clone());
    assert_eq!(export(cwd, &pg_store, "after.json"), before_json, "every packet reads back the same");
    let identity = |store: &StoreAt| {
        let mut args = vec!["brand", "identity"];
        let a = store.args();
        args.extend(a.iter().map(String::as_str));
        tessera_ok(cwd, &args)
    };
    assert_eq!(identity(&sqlite), identity(&pg_store), "the same keys");
    // The moved store serves the same receipts, and takes new packets answering the old request.
    let server = InboxServer::start(cwd, &pg_store, &[]);
    runtime().block_on(async {
        let mut client = Client::connect(server.addr).await.unwrap();
        for (answer, receipt) in answers.iter().zip(&receipts) {
            let again = client.post_revocation(&answer.revocation(&request, now())).await.unwrap();
            assert_eq!(&again.text(), receipt, "the same receipt as before the move");
        }
        let newcomer = consumer::answer(&request, "new@example.org", now());
        assert_eq!(client.post_packet(&newcomer.file).await.unwrap().status, 201);
        assert_eq!(client.post_packet(&answers[10].file).await.unwrap().status, 200, "held already");
        assert_eq!(client.post_packet(&answers[0].file).await.unwrap().code(), "packet_deleted");
    });
    // Moving again onto a database that holds a store changes nothing.
    let refused = tessera_system_tests::process::run(cwd, &["brand", "move", "--to", &url, "--dir", "brand"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));
    assert_eq!(count(&pg, "moved", "packets"), 16);
}

fn export(cwd: &std::path::Path, store: &StoreAt, name: &str) -> String {
    let mut args = vec!["brand", "export", "--format", "json", "--out", name];
    let a = store.args();
    args.extend(a.iter().map(String::as_str));
    tessera_ok(cwd, &args);
    std::fs::read_to_string(cwd.join(name)).unwrap()
}

#[test]
fn packets_are_sealed_in_the_database_files_and_a_newer_schema_is_refused() {
    let pg = PgCluster::start();
    let url = pg.create_database("sealed");
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let store = StoreAt::Database(url.clone());
    let request = consumer::read_request(&brand_with_request(cwd, &store, None));
    let server = InboxServer::start(cwd, &store, &[]);
    let canary = "canary-7c1d9e@example.org";
    runtime().block_on(async {
        let answer = consumer::answer(&request, canary, now());
        assert_eq!(Client::connect(server.addr).await.unwrap().post_packet(&answer.file).await.unwrap().status, 201);
    });
    drop(server);
    pg.psql("sealed", "CHECKPOINT");
    let mut scanned = 0;
    let mut stack = vec![pg.files().to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                scanned += bytes.len();
                assert!(
                    !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                    "{} holds it in clear",
                    path.display()
                );
                assert!(!bytes.windows(14).any(|w| w == b"AGE-SECRET-KEY"), "{} holds a key", path.display());
            }
        }
    }
    assert!(scanned > 1_000_000, "the scan read the cluster's files");
    let shown = tessera_ok(cwd, &["brand", "export", "--format", "csv", "--out", "x.csv", "--database", &url]);
    assert!(shown.contains("Exported 1 packet(s)"));

    pg.psql("sealed", "INSERT INTO tessera_schema (version) VALUES (99)");
    let refused = tessera_system_tests::process::run(cwd, &["brand", "list", "--database", &url]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("newer Tessera (schema 99"), "{message}");

    // A database that does not exist: the server's own words, and what to do.
    let missing = tessera_system_tests::process::run(cwd, &["brand", "list", "--database", &pg.url("nowhere")]);
    assert!(!missing.status.success());
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(message.contains("\"nowhere\" does not exist") && message.contains("createdb"), "{message}");
}
