//! `tessera brand serve`: unlocks the brand's keys once, then runs the inbox on a multi-threaded
//! runtime until SIGTERM or Ctrl-C, finishing the requests in flight before leaving.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tessera_brand::{Location, Store, Unlock};
use tessera_inbox::{Clock, InboxConfig};

use crate::secrets::{Secret, SecretSource};
use crate::CliError;

/// The limits given on the command line.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: u64,
    pub body_timeout: u64,
    pub max_connections: usize,
    pub max_in_flight: usize,
    pub purge_every: u64,
}

/// The inbox's clock: the system's, unless `--now` set another time (then it runs from there).
fn clock(now: i64) -> Clock {
    let system = chrono::Utc::now().timestamp();
    if (now - system).abs() <= 2 {
        Clock::default()
    } else {
        Clock::starting_at(now)
    }
}

fn io(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("{what}: {e}"))
}

pub fn run(
    location: &Location,
    source: SecretSource,
    listen: SocketAddr,
    public_url: Option<&str>,
    limits: Limits,
    now: i64,
) -> Result<(), CliError> {
    let public = match public_url {
        Some(url) => Some(tessera_protocol::inbox::response_uri_for_inbox(url).map_err(|problem| {
            CliError::Usage(format!(
                "the public URL {url:?} {problem}; give the https URL consumers reach the inbox at"
            ))
        })?),
        None => None,
    };
    let secret = source.read("Brand passphrase", false)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| io("cannot start the inbox's runtime", e))?;
    runtime.block_on(async {
        let store = match &secret {
            Secret::Passphrase(p) => Store::open(location, Unlock::Passphrase(p)).await?,
            Secret::KeyFile(k) => Store::open(location, Unlock::KeyFile(k)).await?,
        };
        // The keys are unlocked: the secret is not needed any more.
        drop(secret);
        let clock = clock(now);
        let purged = store.purge_expired(clock.now()).await?;
        if !purged.is_empty() {
            eprintln!("Deleted {} packet(s) that reached their retention end.", purged.len());
        }
        let listener =
            tokio::net::TcpListener::bind(listen).await.map_err(|e| io(&format!("cannot listen on {listen}"), e))?;
        let address = listener.local_addr().map_err(|e| io("cannot read the address listened on", e))?;
        let base = format!("http://{address}");
        println!("Inbox of {} listening on {base}", store.name());
        println!("Store: {}", location.describe());
        match &public {
            Some(response_uri) => {
                let base = response_uri.trim_end_matches(tessera_protocol::inbox::PACKETS_PATH).trim_end_matches('/');
                println!("Consumers reach it at {base}: make requests with `tessera brand request --inbox {base}`.");
            }
            None if address.ip().is_loopback() => {
                println!("Make requests with `tessera brand request --inbox {base}` (this computer only); behind an https reverse proxy, give --public-url.");
            }
            None => println!(
                "Consumers need https: put it behind a reverse proxy doing TLS and give --public-url https://…"
            ),
        }
        let _ = std::io::stdout().flush();
        let config = InboxConfig {
            header_timeout: Duration::from_secs(limits.header_timeout.max(1)),
            body_timeout: Duration::from_secs(limits.body_timeout.max(1)),
            max_connections: limits.max_connections.max(1),
            max_in_flight: limits.max_in_flight.max(1),
            purge_every: Duration::from_secs(limits.purge_every.max(1)),
            clock,
            ..InboxConfig::default()
        };
        tessera_inbox::serve(listener, store, config, tessera_inbox::termination_signal())
            .await
            .map_err(|e| io("the inbox stopped", e))?;
        println!("Inbox stopped.");
        Ok(())
    })
}
