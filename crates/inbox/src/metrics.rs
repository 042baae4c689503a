//! What an inbox counts, in Prometheus' text format (`GET /metrics`).
//!
//! Only counts and latencies, labelled by route template (`/v1/packets`, never a path with an
//! id in it), status, outcome and error code — nothing about who sent what.

use std::fmt;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Code {
    code: String,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

fn batch_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 10))
}

/// The inbox's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    durations: Family<Route, Histogram, fn() -> Histogram>,
    packets: Family<Outcome, Counter>,
    revocations: Family<Outcome, Counter>,
    refusals: Family<Code, Counter>,
    purged: Counter,
    batch_sizes: Histogram,
    connections: Gauge,
    connections_refused: Counter,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Counts an open connection until dropped.
#[derive(Debug)]
pub struct ConnectionGauge(Gauge);

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tessera_inbox");
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        let durations = Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's headers to its answer, by route",
            durations.clone(),
        );
        let packets = Family::<Outcome, Counter>::default();
        registry.register("packets", "Packets received, by outcome (stored, duplicate, refused)", packets.clone());
        let revocations = Family::<Outcome, Counter>::default();
        registry.register(
            "revocations",
            "Revocations received, by outcome (deleted, already_deleted, refused)",
            revocations.clone(),
        );
        let refusals = Family::<Code, Counter>::default();
        registry.register("refusals", "Requests refused, by error code", refusals.clone());
        let purged = Counter::default();
        registry.register("purged_packets", "Packets deleted because their retention ended", purged.clone());
        let batch_sizes = batch_histogram();
        registry.register(
            "store_batch_size",
            "Packets written per transaction, new ones and ones sent again alike",
            batch_sizes.clone(),
        );
        let connections = Gauge::default();
        registry.register("open_connections", "Connections open now", connections.clone());
        let connections_refused = Counter::default();
        registry.register(
            "refused_connections",
            "Connections closed at once because too many were open",
            connections_refused.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            packets,
            revocations,
            refusals,
            purged,
            batch_sizes,
            connections,
            connections_refused,
        }
    }

    /// A request to `route` answered with `status` after `elapsed`.
    pub fn answered(&self, route: &str, status: u16, elapsed: Duration) {
        self.requests.get_or_create(&RouteStatus { route: route.to_owned(), status }).inc();
        self.durations.get_or_create(&Route { route: route.to_owned() }).observe(elapsed.as_secs_f64());
    }

    pub fn packet(&self, outcome: &str) {
        self.packets.get_or_create(&Outcome { outcome: outcome.to_owned() }).inc();
    }

    pub fn revocation(&self, outcome: &str) {
        self.revocations.get_or_create(&Outcome { outcome: outcome.to_owned() }).inc();
    }

    pub fn refused(&self, code: &str) {
        self.refusals.get_or_create(&Code { code: code.to_owned() }).inc();
    }

    pub fn purged(&self, count: usize) {
        self.purged.inc_by(count as u64);
    }

    pub fn batch(&self, size: usize) {
        self.batch_sizes.observe(size as f64);
    }

    pub fn connection_opened(&self) -> ConnectionGauge {
        self.connections.inc();
        ConnectionGauge(self.connections.clone())
    }

    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// Everything, in Prometheus' text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .unwrap_or_else(|e| unreachable!("writing to a String cannot fail: {e}"));
        text
    }
}
