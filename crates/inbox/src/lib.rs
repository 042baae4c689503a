//! # tessera-inbox — a brand's always-on side of an exchange
//!
//! An HTTP service (axum on hyper and tokio) on a brand's [`tessera_brand::Store`]: consumers'
//! apps POST packets and revocations to it and get the brand's acknowledgement or signed
//! deletion receipt back in the same exchange. The bodies are the very bytes of the files
//! (`tessera_protocol::inbox` names the endpoints):
//!
//! * `GET  /v1/requests/{request_jti}` — a published request (the JWS);
//! * `POST /v1/packets` — a packet file; 201 the first time, 200 with the same answer after;
//! * `POST /v1/revocations` — a revocation; answered at once with the deletion receipt;
//! * `GET  /v1/receipts/{packet_jti}` — a receipt again;
//! * `GET  /healthz`, `GET /metrics` (Prometheus text: counts and latencies, nothing personal).
//!
//! Modules: [`routes`] (the handlers), [`body`] (reading a body within its size and time
//! limits), [`batch`] (packets and revocations written in groups: one transaction and one disk flush for all
//! that arrive together), [`metrics`], [`error`] (every refusal as JSON `{code,
//! message}` with its HTTP status), and [`serve`] here: connections, limits, periodic purge,
//! graceful shutdown.
//!
//! What it must never do: log or expose personal data (no body, no client address, no
//! endpoint that lists or exports what the brand holds — reading stays in the brand's
//! tools), store anything from a refused body, or acknowledge a packet before it is committed.

pub mod batch;
pub mod body;
pub mod error;
pub mod metrics;
pub mod routes;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::atomic::{AtomicBool, Ordering};

use tessera_brand::deletion::RevocationOutcome;
use tessera_brand::import::{CheckedPacket, ImportOutcome};
use tessera_brand::{BrandError, Location, Store};
use tessera_protocol::revocation::RevocationClaims;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The time an inbox uses: the system clock, possibly shifted (for rehearsals and tests that
/// replay artifacts made at a fixed time).
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// Seconds added to the system clock.
    pub offset: i64,
}

impl Clock {
    /// A clock that says `forced` now and runs from there.
    pub fn starting_at(forced: i64) -> Clock {
        Clock { offset: forced - system_now() }
    }

    /// Unix time now.
    pub fn now(&self) -> i64 {
        system_now() + self.offset
    }
}

fn system_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// The limits and rhythms of an inbox.
#[derive(Debug, Clone)]
pub struct InboxConfig {
    /// A client must send its request line and headers within this time (a connection kept
    /// alive is closed after this long idle).
    pub header_timeout: Duration,
    /// A client must send its whole body within this time, whatever its pace.
    pub body_timeout: Duration,
    /// Connections open at once; more are closed as they come.
    pub max_connections: usize,
    /// Uploads checked and stored at once (once their body has arrived); more wait up to
    /// `queue_timeout`, then get 503.
    pub max_in_flight: usize,
    pub queue_timeout: Duration,
    /// How often packets past their retention are purged.
    pub purge_every: Duration,
    /// How long a shutdown waits for requests in flight before leaving.
    pub shutdown_grace: Duration,
    /// Most packets stored in one transaction.
    pub max_batch: usize,
    /// Longest a batch gathers the packets (or revocations) of the requests ready to run, so
    /// that a busy server commits them together; a write alone never waits.
    pub batch_window: Duration,
    pub clock: Clock,
}

impl Default for InboxConfig {
    fn default() -> Self {
        InboxConfig {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_in_flight: 512,
            queue_timeout: Duration::from_secs(10),
            purge_every: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            max_batch: 256,
            batch_window: Duration::from_millis(5),
            clock: Clock::default(),
        }
    }
}

/// What every request handler shares.
#[derive(Debug)]
pub struct Inbox {
    pub store: Arc<Store>,
    pub config: InboxConfig,
    pub metrics: Arc<metrics::Metrics>,
    pub packets: batch::Batcher<CheckedPacket, ImportOutcome>,
    pub revocations: batch::Batcher<RevocationClaims, RevocationOutcome>,
    pub in_flight: Semaphore,
    /// The bytes of bodies being received ([`body::RECEIVING_BUDGET`] permits).
    pub receiving: Arc<Semaphore>,
    /// Set when a revocation deleted data, until the next checkpoint.
    pub deleted_since_checkpoint: AtomicBool,
    /// The keys generations (held, stored) once an upload found the brand's keys changed.
    keys_changed: std::sync::Mutex<Option<(i64, i64)>>,
}

impl Inbox {
    /// Remembers a refusal that only a restart can cure (the brand's keys changed).
    pub fn note_refusal(&self, refusal: &error::ApiError) {
        if let error::ApiError::Brand(BrandError::KeysChanged { held, stored }) = refusal {
            *self.keys_changed.lock().unwrap_or_else(|p| p.into_inner()) = Some((*held, *stored));
        }
    }

    /// The brand's keys changed since this server started, if an upload found so.
    pub fn keys_changed(&self) -> Option<BrandError> {
        let changed = *self.keys_changed.lock().unwrap_or_else(|p| p.into_inner());
        changed.map(|(held, stored)| BrandError::KeysChanged { held, stored })
    }
}

/// Serves `store`'s inbox on `listener` until `shutdown` completes; then stops accepting,
/// lets requests in flight finish (up to `config.shutdown_grace`), and returns.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    config: InboxConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // SQLite has one writer: one batch at a time, the next one gathering meanwhile.
    // PostgreSQL takes several at once, from every server.
    let parallel_batches = match store.location() {
        Location::Sqlite(_) => 1,
        Location::Postgres(_) => 4,
    };
    let store = Arc::new(store);
    let metrics = Arc::new(metrics::Metrics::new());
    let packets = {
        let (store, sizes) = (Arc::clone(&store), Arc::clone(&metrics));
        batch::Batcher::start(
            Arc::new(move |batch: Vec<CheckedPacket>| {
                let store = Arc::clone(&store);
                Box::pin(async move { store.store_packets(batch).await })
            }),
            config.max_batch,
            parallel_batches,
            config.batch_window,
            move |size| sizes.batch(size),
        )
    };
    let revocations = {
        let (store, clock) = (Arc::clone(&store), config.clock);
        batch::Batcher::start(
            Arc::new(move |batch: Vec<RevocationClaims>| {
                let store = Arc::clone(&store);
                Box::pin(async move { store.revoke(batch, clock.now()).await })
            }),
            config.max_batch,
            parallel_batches,
            config.batch_window,
            |_| {},
        )
    };
    let inbox = Arc::new(Inbox {
        store,
        in_flight: Semaphore::new(config.max_in_flight),
        receiving: Arc::new(Semaphore::new(body::RECEIVING_BUDGET)),
        keys_changed: std::sync::Mutex::new(None),
        config,
        metrics,
        packets,
        revocations,
        deleted_since_checkpoint: AtomicBool::new(false),
    });
    let checkpoints = tokio::spawn(checkpoint_after_deletions(Arc::clone(&inbox)));
    let purge = tokio::spawn(purge_periodically(Arc::clone(&inbox)));
    let service = TowerToHyperService::new(routes::router(Arc::clone(&inbox)));
    let connections = Arc::new(Semaphore::new(inbox.config.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted: go on.
                eprintln!("inbox: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            inbox.metrics.connection_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(inbox.config.header_timeout).max_buf_size(64 * 1024);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service.clone()));
        let gauge = inbox.metrics.connection_opened();
        tokio::spawn(async move {
            // A connection ends with an error when its client misbehaves (too slow, reset):
            // nothing to report.
            let _ = connection.await;
            drop(gauge);
            drop(permit);
        });
    }
    drop(listener);
    let finished = tokio::time::timeout(inbox.config.shutdown_grace, graceful.shutdown()).await;
    if finished.is_err() {
        eprintln!("inbox: requests still in flight after {:?}; leaving", inbox.config.shutdown_grace);
    }
    purge.abort();
    checkpoints.abort();
    checkpoint(&inbox).await;
    Ok(())
}

/// Within a second of a revocation, nothing of the deleted data stays in SQLite's
/// write-ahead log (one checkpoint for a whole burst of revocations).
async fn checkpoint_after_deletions(inbox: Arc<Inbox>) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticks.tick().await;
        checkpoint(&inbox).await;
    }
}

async fn checkpoint(inbox: &Inbox) {
    if inbox.deleted_since_checkpoint.swap(false, Ordering::AcqRel) {
        if let Err(e) = inbox.store.checkpoint().await {
            inbox.deleted_since_checkpoint.store(true, Ordering::Release);
            eprintln!("inbox: cannot checkpoint the store ({}): {e}; it is tried again", e.code());
        }
    }
}

/// Purges packets past their retention now and then (and once at the start). With several
/// servers on one database, each purges; every packet is purged once.
async fn purge_periodically(inbox: Arc<Inbox>) {
    let mut ticks = tokio::time::interval(inbox.config.purge_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match inbox.store.purge_expired(inbox.config.clock.now()).await {
            Ok(purged) => inbox.metrics.purged(purged.len()),
            Err(e) => eprintln!("inbox: the retention purge failed ({}): {e}; it runs again later", e.code()),
        }
    }
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn termination_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
