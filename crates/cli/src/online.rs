//! The consent commands' network side: fetching a request by link, and sending what waits in
//! the vault's outbox to the brand's inbox, then telling the vault what came back.
//!
//! The HTTP is `tessera-online`'s, the outbox and its outcomes the vault's; this module only
//! runs one after the other and says what happened. It contacts nothing but a link the person
//! gave or the inbox named in a request they answered, and only when a command asks for it.

use std::time::Duration;

use tessera_online::{Client, OnlineError, RequestLink, Timeouts};
use tessera_protocol::inbox::Endpoints;
use tessera_vault::ledger::LedgerLine;
use tessera_vault::outbox::{OutboxItem, OutgoingKind};
use tessera_vault::sending::{Answered, InboxAnswer, SendFailure};
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
    /// It left the outbox: delivered, or nothing is left to send.
    Done,
    /// Still in the outbox, tried again later; the words say why.
    Waiting(String),
    /// Still in the outbox, refused by the inbox: not tried again by itself; the words say why.
    Refused(String),
}

fn host(item: &OutboxItem) -> String {
    Endpoints::from_response_uri(&item.response_uri).map(|e| e.host()).unwrap_or_else(|_| item.response_uri.clone())
}

fn what(item: &OutboxItem) -> String {
    match item.kind {
        OutgoingKind::Packet => format!("packet {}", item.packet_jti),
        OutgoingKind::Revocation => format!("revocation of packet {}", item.packet_jti),
    }
}

/// What an inbox answered to one item.
enum Exchange {
    Acknowledged(tessera_online::Delivered),
    Receipt(String),
}

/// Sends `item` to its inbox and waits for the answer.
fn exchange(client: &Client, item: &OutboxItem) -> Result<Result<Exchange, OnlineError>, CliError> {
    Ok(match item.kind {
        OutgoingKind::Packet => {
            block_on(client.send_packet(&item.response_uri, &item.body_bytes()))?.map(Exchange::Acknowledged)
        }
        OutgoingKind::Revocation => {
            let body = String::from_utf8_lossy(&item.body_bytes()).into_owned();
            block_on(client.send_revocation(&item.response_uri, &body))?.map(Exchange::Receipt)
        }
    })
}

/// Sends one item of the outbox, records the outcome in the vault and prints it. The item is
/// taken again from the vault first: if it left the outbox meanwhile (another Tessera sent it,
/// or the person revoked the packet), nothing is sent. What the answer means is the vault's
/// ([`Vault::record_answer`]); this only puts it into words.
pub fn send(vault: &mut Vault, client: &Client, item: &OutboxItem, now: i64) -> Result<Sent, CliError> {
    if item.held {
        println!("Sending the {}, held since a restore, as you asked.", what(item));
    }
    let Some(item) = vault.begin_sending(&item.packet_jti, item.kind, now)? else {
        return Ok(Sent::Done);
    };
    let item = &item;
    let host = host(item);
    let jti = item.packet_jti.as_str();
    let exchange = exchange(client, item)?;
    let answered = match &exchange {
        Ok(Exchange::Acknowledged(delivered)) => {
            vault.record_answer(item, InboxAnswer::Acknowledged(&delivered.acknowledgement), now)?
        }
        Ok(Exchange::Receipt(receipt)) => vault.record_answer(item, InboxAnswer::Receipt(receipt), now)?,
        Err(e) => {
            let error = e.to_string();
            let failure = SendFailure {
                error: &error,
                retryable: e.is_retryable(),
                unknown_packet: e.inbox_code() == Some("unknown_packet"),
            };
            vault.record_answer(item, InboxAnswer::Failed(failure), now)?
        }
    };
    let acknowledged = |line: &LedgerLine| {
        if let Ok(Exchange::Acknowledged(delivered)) = &exchange {
            let again = if delivered.first_time { "" } else { " (it had it already)" };
            println!(
                "{} ({host}) acknowledged packet {jti}{again}: stored, deleted by {}.",
                line.entry.brand_name,
                show_time(delivered.acknowledgement.retention_end)
            );
        }
    };
    Ok(match answered {
        Answered::Delivered(line) => {
            match item.kind {
                OutgoingKind::Packet => acknowledged(&line),
                OutgoingKind::Revocation => {
                    let deleted = line.entry.deletion.as_ref().map(|d| show_time(d.deleted_at)).unwrap_or_default();
                    println!(
                        "{} ({host}) confirmed deleting packet {jti} on {deleted}: deletion confirmed.",
                        line.entry.brand_name
                    );
                }
            }
            Sent::Done
        }
        Answered::DeliveredThenRevoke(line, revocation) => {
            acknowledged(&line);
            println!("You revoked packet {jti} meanwhile: sending the revocation to {}…", line.entry.brand_name);
            return send(vault, client, &revocation, now);
        }
        Answered::NeverReceived(line) => {
            println!(
                "{} ({host}) says it never received packet {jti}: you revoked it before it arrived, and this vault's last send of it began more than 2 minutes ago. There is no receipt: the brand says it has nothing to delete.",
                line.entry.brand_name
            );
            Sent::Done
        }
        Answered::NotYet { ask_again_at } => Sent::Waiting(format!(
            "{host} does not have packet {jti} yet, but a send of it began shortly before you revoked it and may still arrive; the revocation asks again from {}",
            show_time(ask_again_at)
        )),
        Answered::WrongAnswer(e) => {
            let why = match item.kind {
                OutgoingKind::Packet => format!("{host} answered wrongly: {e}"),
                OutgoingKind::Revocation => {
                    format!("{host} answered with a receipt that does not prove the deletion: {e}")
                }
            };
            Sent::Refused(format!("{why}; {}", refused_then(item)))
        }
        Answered::Failed(waiting) => {
            let error = waiting.last_error.clone().unwrap_or_default();
            if waiting.refused {
                Sent::Refused(format!("could not send the {}: {error}; {}", what(item), refused_then(item)))
            } else {
                Sent::Waiting(format!(
                    "{} — {error}. It waits in your outbox ({}); `tessera consent send` tries again",
                    what(item),
                    attempts(waiting.attempts)
                ))
            }
        }
        Answered::LeftOutbox => {
            // It left the outbox while this send was under way: revoked, or sent by another Tessera.
            println!(
                "The {} left your outbox while this send was under way (you revoked it, or another Tessera sent it): `tessera consent list` says where it stands.",
                what(item)
            );
            Sent::Done
        }
    })
}

/// What a person can do about an item the inbox refused.
fn refused_then(item: &OutboxItem) -> String {
    let jti = &item.packet_jti;
    match item.kind {
        OutgoingKind::Packet => format!(
            "it stays in your outbox and is not sent again by itself. `tessera consent send` tries again once the brand has fixed its inbox; `tessera consent revoke {jti} --send` withdraws it"
        ),
        OutgoingKind::Revocation => format!(
            "it stays in your outbox and is not sent again by itself. `tessera consent send` tries again once the brand has fixed its inbox, or has received the packet (one saved as a file or brought back by a restore may reach it later); `tessera consent revoke {jti} --out FILE` writes the revocation to send to the brand another way"
        ),
    }
}

fn attempts(n: u32) -> String {
    if n == 1 {
        "1 attempt".into()
    } else {
        format!("{n} attempts")
    }
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
        let state = if item.held {
            "held since a restore: sent only when you run `tessera consent send`".to_owned()
        } else if item.refused {
            format!("stopped after {}: not sent again by itself", attempts(item.attempts))
        } else if item.attempts == 0 {
            "not tried yet".to_owned()
        } else {
            format!("{}, next {}", attempts(item.attempts), show_time(item.next_try_at))
        };
        println!("{what} {} to {} ({})  {state}", item.packet_jti, item.brand_name, host(item));
        if let Some(error) = &item.last_error {
            println!("    last error: {error}");
        }
    }
    Ok(())
}
