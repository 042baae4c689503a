//! Scenarios the tests run on both backends.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::consumer::{self, now};
use crate::http::Client;
use crate::process::{brand_with_request, tessera_ok, InboxServer, StoreAt};

/// The packet ids `brand list` shows.
pub fn listed_packets(cwd: &Path, store: &StoreAt) -> HashSet<String> {
    let mut args = vec!["brand", "list"];
    let store_args = store.args();
    args.extend(store_args.iter().map(String::as_str));
    tessera_ok(cwd, &args)
        .lines()
        .filter(|l| !l.starts_with("No packet"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Clients post packets to an inbox while it is killed with SIGKILL; every packet acknowledged
/// before the kill is in the store right after it, and once a new server runs, every client's
/// retries succeed, and every packet is stored once.
pub fn kill_under_load(cwd: &Path, store: &StoreAt) {
    const PACKETS: usize = 400;
    const CLIENTS: usize = 16;
    let request = consumer::read_request(&brand_with_request(cwd, store, None));
    let answers: Vec<consumer::Answer> =
        (0..PACKETS).map(|i| consumer::answer(&request, &format!("person{i}@example.org"), now())).collect();
    let mut server = InboxServer::start(cwd, store, &[]);
    let target: Arc<Mutex<SocketAddr>> = Arc::new(Mutex::new(server.addr));
    let acknowledged: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    // (packet id, packet file) still to post.
    let pending: Vec<(String, Vec<u8>)> = answers.iter().map(|a| (a.packet_jti.clone(), a.file.clone())).collect();
    let queue = Arc::new(Mutex::new(pending));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (target, acknowledged, queue) = (Arc::clone(&target), Arc::clone(&acknowledged), Arc::clone(&queue));
            runtime.spawn(async move {
                let mut client: Option<Client> = None;
                loop {
                    let Some((jti, file)) = queue.lock().unwrap().pop() else { return };
                    // Retry until acknowledged: bounded in count and time.
                    let mut attempts = 0;
                    loop {
                        attempts += 1;
                        assert!(
                            attempts < 500 && started.elapsed() < Duration::from_secs(180),
                            "retries never succeeded"
                        );
                        if client.is_none() {
                            let addr = *target.lock().unwrap();
                            client = Client::connect(addr).await.ok();
                        }
                        let answer = match client.as_mut() {
                            Some(c) => c.post_packet(&file).await.ok(),
                            None => None,
                        };
                        match answer {
                            Some(a) if a.status == 201 || a.status == 200 => {
                                assert_eq!(a.json()["packet_id"], jti.as_str());
                                acknowledged.lock().unwrap().push((jti.clone(), Instant::now()));
                                break;
                            }
                            Some(a) if a.status == 503 => tokio::time::sleep(Duration::from_millis(20)).await,
                            Some(a) => panic!("refused: {} {}", a.status, a.text()),
                            None => {
                                client = None;
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    // Let the load build up, then kill the server in the middle of it.
    while acknowledged.lock().unwrap().len() < PACKETS / 4 {
        assert!(started.elapsed() < Duration::from_secs(120), "the inbox never took a quarter of the packets");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    let killed_at = Instant::now();
    let acknowledged_before: Vec<String> =
        acknowledged.lock().unwrap().iter().filter(|(_, at)| *at < killed_at).map(|(j, _)| j.clone()).collect();
    assert!(acknowledged_before.len() < PACKETS, "killed under load, not after");
    let stored = listed_packets(cwd, store);
    for jti in &acknowledged_before {
        assert!(stored.contains(jti), "packet {jti} was acknowledged, then lost in the kill");
    }
    // A new server on the same store; the clients' retries go there.
    let replacement = InboxServer::start(cwd, store, &[]);
    *target.lock().unwrap() = replacement.addr;
    runtime.block_on(async {
        for client in clients {
            client.await.unwrap();
        }
    });
    assert_eq!(acknowledged.lock().unwrap().len(), PACKETS, "every packet acknowledged in the end");
    let stored = listed_packets(cwd, store);
    assert_eq!(stored.len(), PACKETS, "each packet stored once");
    for answer in &answers {
        assert!(stored.contains(&answer.packet_jti));
    }
}
