//! The consent commands' network side: fetching a request by link, and sending what waits in
//! the vault's outbox to the brand's inbox, then telling the vault what came back.
//!
//! The HTTP is `tessera-online`'s, the outbox and its outcomes the vault's; this module only
//! runs one after the other and says what happened. It contacts nothing but a link the person
//! gave or the inbox named in a request they answered, and only when a command asks for it.

use std::time::Duration;

use tessera_online::{Client, OnlineError, RequestLink, Timeouts};
use tessera_protocol::inbox::Endpoints;
use tessera_vault::outbox::{OutboxItem, OutgoingKind};
use tessera_vault::Vault;

use crate::{show_time, CliError};

/// The client, with the total timeout from `TESSERA_HTTP_TIMEOUT` (seconds; hidden, for tests).
pub fn client() -> Result<Client, CliError> {
    let mut timeouts = Timeouts::default();
    if let Some(seconds) = std::env::var("TESSERA_HTTP_TIMEOUT").ok().and_then(|s| s.parse::<u64>().ok()) {
        timeouts.total = Duration::from_secs(seconds.max(1));
        timeouts.connect = timeouts.connect.min(timeouts.total);
    }
    Ok(Client::with_timeouts(timeouts)?)
}

/// Runs one network exchange to its end.
fn block_on<T>(future: impl std::future::Future<Output = T>) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the network runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// Fetches the request a link points to (its JWS, unverified).
pub fn fetch_request(link: &RequestLink) -> Result<String, CliError> {
    let client = client()?;
    Ok(block_on(client.fetch_request(link))??.jws)
}

/// What became of one item sent.
pub enum Sent {
    Delivered,
    /// Still in the outbox; the words say why.
    Waiting(String),
}

fn host(item: &OutboxItem) -> String {
    Endpoints::from_response_uri(&item.response_uri).map(|e| e.host()).unwrap_or_else(|_| item.response_uri.clone())
}

/// Sends one item of the outbox, records the outcome in the vault and prints it.
pub fn send(vault: &mut Vault, client: &Client, item: &OutboxItem, now: i64) -> Result<Sent, CliError> {
    let host = host(item);
    let outcome = match item.kind {
        OutgoingKind::Packet => match block_on(client.send_packet(&item.response_uri, &item.body_bytes()))? {
            Ok(delivered) => {
                let line = vault.packet_delivered(&item.packet_jti, &delivered.acknowledgement, now)?;
                let again = if delivered.first_time { "" } else { " (it had it already)" };
                println!(
                    "{} ({host}) acknowledged packet {}{again}: stored, deleted by {}.",
                    line.entry.brand_name,
                    item.packet_jti,
                    show_time(delivered.acknowledgement.retention_end)
                );
                return Ok(Sent::Delivered);
            }
            Err(e) => e,
        },
        OutgoingKind::Revocation => {
            let body = String::from_utf8_lossy(&item.body_bytes()).into_owned();
            match block_on(client.send_revocation(&item.response_uri, &body))? {
                Ok(receipt) => match vault.revocation_answered(&item.packet_jti, &receipt, now) {
                    Ok(line) => {
                        let deleted = line.entry.deletion.as_ref().map(|d| show_time(d.deleted_at)).unwrap_or_default();
                        println!(
                            "{} ({host}) confirmed deleting packet {} on {deleted}: deletion confirmed.",
                            line.entry.brand_name, item.packet_jti
                        );
                        return Ok(Sent::Delivered);
                    }
                    Err(e) => {
                        let why = format!("{host} answered with a receipt that does not verify: {e}");
                        return Ok(Sent::Waiting(why));
                    }
                },
                Err(e) => e,
            }
        }
    };
    failed(vault, item, &outcome, now)
}

fn failed(vault: &mut Vault, item: &OutboxItem, error: &OnlineError, now: i64) -> Result<Sent, CliError> {
    let retryable = error.is_retryable();
    let recorded = vault.delivery_failed(&item.packet_jti, item.kind, &error.to_string(), retryable, now)?;
    let what = match item.kind {
        OutgoingKind::Packet => "packet",
        OutgoingKind::Revocation => "revocation of packet",
    };
    let then = if retryable {
        format!("it waits in your outbox (attempt {}); send it again with `tessera consent send`", recorded.attempts)
    } else {
        "sending it again as it is will not help; it stays in your outbox until you remove the cause".to_owned()
    };
    Ok(Sent::Waiting(format!("could not send the {what} {}: {error}; {then}", item.packet_jti)))
}

/// Prints what waits in the outbox.
pub fn print_outbox(vault: &Vault) -> Result<(), CliError> {
    let items = vault.outbox()?;
    if items.is_empty() {
        println!("Nothing waits to be sent.");
    }
    for item in &items {
        let what = match item.kind {
            OutgoingKind::Packet => "packet",
            OutgoingKind::Revocation => "revocation of",
        };
        let state = if item.refused {
            "refused".to_owned()
        } else if item.attempts == 0 {
            "not tried yet".to_owned()
        } else {
            format!("{} attempts, next {}", item.attempts, show_time(item.next_try_at))
        };
        println!("{what} {} to {} ({})  {state}", item.packet_jti, item.brand_name, host(item));
        if let Some(error) = &item.last_error {
            println!("    last error: {error}");
        }
    }
    Ok(())
}
