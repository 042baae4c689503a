//! `tessera consent …`: the consumer's side of an exchange, on their vault.
//!
//! Open a brand's request, decide every item (nothing is shared by default),
//! preview and write the packet, or decline the whole request (recorded in
//! the ledger like a share); see what each brand knows; revoke; confirm
//! deletions with the brand's receipt. A request can be a file or a link
//! (https or `tessera://`); with `--send`, the packet and the revocation go to
//! the inbox the signed request names, and what cannot be sent waits in the
//! vault's outbox (`outbox`, `send`). Everything goes through `tessera-vault`,
//! which uses `tessera-protocol` for the formats, and the network through
//! [`crate::online`]; each subcommand is one small function that prints what
//! happened.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use tessera_online::RequestLink;
use tessera_protocol::ItemName;
use tessera_vault::consent::{BrandTrust, Choice, Decision, EarlierAnswer, PacketPreview, RequestReview};
use tessera_vault::Vault;

use crate::online::{self, Sent};
use crate::output::labelled;
use crate::vault::VaultArgs;
use crate::{files, show_time, CliError};

#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The request: a file the brand sent, or its link (https://… or tessera://request?request_uri=…).
    request: String,
    /// Share an item exactly (ITEM), or generalised (ITEM=FORM, e.g. birthdate=age_range).
    #[arg(long = "share", value_name = "ITEM[=FORM]")]
    share: Vec<String>,
    /// Refuse an item.
    #[arg(long = "deny", value_name = "ITEM")]
    deny: Vec<String>,
    /// The brand's key changed and the brand confirmed it to you: trust the new key.
    #[arg(long)]
    trust_new_key: bool,
    /// Only show what the packet would contain; write nothing.
    #[arg(long)]
    preview: bool,
    /// Where to write the packet file for the brand.
    #[arg(long, required_unless_present_any = ["preview", "send"])]
    out: Option<PathBuf>,
    /// Send the packet to the inbox named in the signed request (and nowhere else); if it cannot
    /// be sent now, it waits in your vault's outbox.
    #[arg(long, conflicts_with = "preview")]
    send: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Check a brand's request and show who asks, what for, for how long, and the offer.
    Show {
        /// The request: a file the brand sent, or its link (https://… or tessera://request?request_uri=…).
        request: String,
    },
    /// Answer a request, deciding every item, and write the packet for the brand.
    Answer(AnswerArgs),
    /// Decline a request as a whole: nothing is sent, and your ledger records it.
    Decline {
        /// The request: a file the brand sent, or its link (https://… or tessera://request?request_uri=…).
        request: String,
    },
    /// Every packet you shared, with its status.
    List,
    /// What each brand knows about you now.
    Brands,
    /// Revoke a packet: write a signed revocation for the brand, or send it to the brand's inbox.
    Revoke {
        /// The packet id (as listed).
        #[arg(allow_hyphen_values = true)]
        packet: String,
        /// Where to write the revocation file.
        #[arg(long, required_unless_present = "send", conflicts_with = "send")]
        out: Option<PathBuf>,
        /// Send the revocation to the brand's inbox; its signed deletion receipt is checked and
        /// recorded. If it cannot be sent now, it waits in your vault's outbox.
        #[arg(long)]
        send: bool,
    },
    /// What waits to be sent to brands' inboxes (packets, revocations), and why.
    Outbox,
    /// Send everything that waits in the outbox now.
    Send,
    /// Check a brand's deletion receipt and record the deletion as confirmed.
    Receipt {
        /// The receipt file the brand sent back.
        receipt: PathBuf,
    },
}

/// Reads a request from a file, or fetches it when `source` is a link, and verifies it.
fn review(vault: &Vault, source: &str, now: i64) -> Result<RequestReview, CliError> {
    // `javascript:…` or `data:…` is no file either: say it is not a request link.
    let has_scheme = source.split_once(':').is_some_and(|(scheme, _)| {
        scheme.len() > 1 && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if RequestLink::looks_like_link(source) || (has_scheme && !Path::new(source).exists()) {
        let link = RequestLink::parse(source)?;
        let jws = online::fetch_request(&link)?;
        return vault.review_request(&jws, now).map_err(|e| match e {
            tessera_vault::VaultError::Protocol(source) => CliError::FetchedArtifact { link: link.to_string(), source },
            other => other.into(),
        });
    }
    let path = Path::new(source);
    let text = files::read_artifact(path)?;
    vault.review_request(&text, now).map_err(|e| match e {
        tessera_vault::VaultError::Protocol(source) => CliError::Artifact { path: path.to_owned(), source },
        other => other.into(),
    })
}

fn print_review(r: &RequestReview) {
    match &r.inbox_host {
        Some(host) => println!("Request from {} — key fingerprint {} — inbox {host}", r.brand_name, r.fingerprint),
        None => println!("Request from {} — key fingerprint {}", r.brand_name, r.fingerprint),
    }
    match &r.trust {
        BrandTrust::FirstContact => println!("  First contact: this brand's key will be remembered if you share."),
        BrandTrust::Known => println!("  Known brand: same key as before."),
        BrandTrust::KeyChanged { pinned_fingerprint, .. } => {
            println!(
                "  WARNING: this brand used to sign with key {pinned_fingerprint}; this request uses {}.",
                r.fingerprint
            );
            println!(
                "  It may be an impostor. Share only if the brand confirmed the change (then use --trust-new-key)."
            );
        }
    }
    print_lookalike_warning(r);
    println!("{}", labelled("  Offer: ", &r.offer));
    println!("  Keeps your data {} days; answer before {}.", r.retention_days, show_time(r.expires_at));
    for item in &r.items {
        let required = if item.required { "required for the offer" } else { "optional" };
        println!("{}", labelled(&format!("  - {} ({required}): ", item.item), &item.purpose));
        if item.never_share {
            println!("      you set this to never share: it will be refused");
            let how = tessera_vault::error::how_to_allow(item.item.as_str());
            println!("      (to share it some day, change its setting: {how})");
        } else {
            match &item.exact {
                Some(v) => println!("      exactly: {v}"),
                None => println!("      you have no {} in your vault", item.item),
            }
            for g in &item.generalised {
                println!("      or generalised as {}: {}", g.item, g.value);
            }
        }
    }
}

/// Warns when the brand's name looks like the name of another brand you trust.
fn print_lookalike_warning(r: &RequestReview) {
    if let Some(known) = &r.lookalike {
        println!(
            "  CAREFUL: the name \"{}\" looks like \"{}\", a brand you already trust, but this request is signed by another key ({} instead of {}).",
            r.brand_name, known.name, r.fingerprint, known.fingerprint
        );
        println!("  It may be an impostor. Share only if you are sure who sent this request.");
    }
}

fn decisions(r: &RequestReview, share: &[String], deny: &[String]) -> Result<Vec<Decision>, CliError> {
    let parse = |name: &str| -> Result<ItemName, CliError> {
        name.parse().map_err(|e: tessera_protocol::ProtocolError| CliError::Usage(e.to_string()))
    };
    let mut out = Vec::new();
    for s in share {
        let (asked, choice) = match s.split_once('=') {
            Some((asked, form)) => (parse(asked)?, Choice::Generalised(parse(form)?)),
            None => (parse(s)?, Choice::Exact),
        };
        out.push(Decision { item: asked, choice });
    }
    for d in deny {
        out.push(Decision { item: parse(d)?, choice: Choice::Deny });
    }
    // Items set to never share are refused without being asked.
    for item in r.items.iter().filter(|i| i.never_share) {
        if !out.iter().any(|d| d.item == item.item) {
            out.push(Decision { item: item.item, choice: Choice::Deny });
        }
    }
    Ok(out)
}

pub fn run(command: ConsentCommand, args: &VaultArgs, now: i64) -> Result<(), CliError> {
    let mut vault = args.unlock()?;
    match command {
        ConsentCommand::Show { request } => {
            print_review(&review(&vault, &request, now)?);
            Ok(())
        }
        ConsentCommand::Answer(decided) => answer(&mut vault, &decided, now),
        ConsentCommand::Decline { request } => {
            let r = review(&vault, &request, now)?;
            note_earlier_answers(&r, true);
            let refusal = vault.decline_request(&r, now)?;
            println!("You declined {}'s request: nothing was sent. Your ledger records it.", refusal.brand_name);
            Ok(())
        }
        ConsentCommand::List => list(&vault, now),
        ConsentCommand::Brands => brands(&vault, now),
        ConsentCommand::Revoke { packet, out: Some(out), .. } => {
            let line = vault.revoke_packet(&packet, &out, now)?;
            println!(
                "Wrote the revocation of packet {packet} to {}; send it to {}.",
                out.display(),
                line.entry.brand_name
            );
            Ok(())
        }
        ConsentCommand::Revoke { packet, out: None, .. } => {
            let (line, item) = vault.queue_revocation(&packet, now)?;
            let Some(item) = item else {
                println!(
                    "You revoked packet {packet} before any of it was sent: it never left your computer, and {} has nothing to delete.",
                    line.entry.brand_name
                );
                return Ok(());
            };
            println!("You revoked packet {packet}; sending the revocation to {}…", line.entry.brand_name);
            send_now(&mut vault, &[item], now)
        }
        ConsentCommand::Outbox => online::print_outbox(&vault),
        ConsentCommand::Send => {
            let waiting = vault.outbox()?;
            if waiting.is_empty() {
                println!("Nothing waits to be sent.");
            }
            send_now(&mut vault, &waiting, now)
        }
        ConsentCommand::Receipt { receipt } => import_receipt(&mut vault, &receipt, now),
    }
}

/// Decides every item, shows exactly what would be sent, and writes the packet unless only previewing.
fn answer(vault: &mut Vault, answer: &AnswerArgs, now: i64) -> Result<(), CliError> {
    let r = review(vault, &answer.request, now)?;
    if answer.trust_new_key && matches!(r.trust, BrandTrust::KeyChanged { .. }) {
        vault.trust_brand(&r, now)?;
        println!("You now trust {}'s new key {}.", r.brand_name, r.fingerprint);
    }
    print_lookalike_warning(&r);
    let decisions = decisions(&r, &answer.share, &answer.deny)?;
    let preview = vault.preview_packet(&r, &decisions, now)?;
    print_preview(&preview);
    if answer.send || (answer.out.is_some() && !answer.preview) {
        note_earlier_answers(&r, false);
    }
    if answer.send {
        let (entry, item) = vault.queue_packet(&r, &preview, now)?;
        if let Some(out) = &answer.out {
            vault.save_waiting_packet(&entry.packet_jti, out)?;
            println!("Wrote packet {} to {} as well.", entry.packet_jti, out.display());
        }
        println!("Sending packet {} to {}…", entry.packet_jti, r.inbox_host.as_deref().unwrap_or_default());
        return send_now(vault, &[item], now);
    }
    let Some(out) = answer.out.as_deref().filter(|_| !answer.preview) else {
        println!("Preview only: nothing was written.");
        return Ok(());
    };
    let entry = vault.write_packet(&r, &preview, out, now)?;
    println!("Wrote packet {} to {}; send it to {}.", entry.packet_jti, out.display(), entry.brand_name);
    Ok(())
}

/// Sends `items` now, one after the other. Anything the inbox refused is an error; anything
/// only waiting (offline, the inbox failing) is [`CliError::NotSentYet`], its own exit status.
fn send_now(vault: &mut Vault, items: &[tessera_vault::outbox::OutboxItem], now: i64) -> Result<(), CliError> {
    let client = online::client()?;
    let (mut waiting, mut refused) = (Vec::new(), Vec::new());
    for item in items {
        match online::send(vault, &client, item, now)? {
            Sent::Done => {}
            Sent::Waiting(why) => waiting.push(why),
            Sent::Refused(why) => refused.push(why),
        }
    }
    if !refused.is_empty() {
        refused.extend(waiting);
        return Err(CliError::Refused(refused.join("\n  ")));
    }
    if !waiting.is_empty() {
        return Err(CliError::NotSentYet(waiting.join("\n  ")));
    }
    Ok(())
}

/// Tells, before a second answer is recorded, that the request was answered or declined already.
fn note_earlier_answers(r: &RequestReview, declining: bool) {
    for earlier in &r.answered_before {
        match earlier {
            EarlierAnswer::Shared { packet_jti, at, status } => {
                let then = if declining {
                    format!("declining now does not take it back: `tessera consent revoke {packet_jti} --send` (or `--out FILE`) does")
                } else {
                    "this answer makes another packet".to_owned()
                };
                eprintln!(
                    "note: you already answered this request on {} (packet {packet_jti}, {}); {then}",
                    show_time(*at),
                    status.as_str()
                );
            }
            EarlierAnswer::Declined { at } => eprintln!("note: you declined this request on {}", show_time(*at)),
        }
    }
}

fn print_preview(preview: &PacketPreview) {
    println!(
        "{} ({}) will receive, until {}:",
        preview.brand_name,
        preview.fingerprint,
        show_time(preview.retention_end)
    );
    for item in &preview.items {
        let form = if item.is_generalised() { format!(" (instead of {})", item.answers) } else { String::new() };
        println!("  {}{form}: {}", item.item, item.value);
    }
    for item in &preview.denied {
        println!("  {item}: refused");
    }
    println!("{}", labelled("In exchange for: ", &preview.offer));
}

fn list(vault: &Vault, now: i64) -> Result<(), CliError> {
    let ledger = vault.ledger(now)?;
    if ledger.is_empty() {
        println!("You have shared nothing yet.");
    }
    let held = held_since_a_restore(vault)?;
    for line in ledger {
        let e = &line.entry;
        let names: Vec<&str> = e.items.iter().map(|i| i.item.as_str()).collect();
        let restored = if held.contains(&e.packet_jti) { " (held since a restore)" } else { "" };
        println!(
            "{}  to {}  shared {}  kept until {}  {}{restored}",
            e.packet_jti,
            e.brand_name,
            show_time(e.shared_at),
            show_time(e.retention_end),
            line.status.as_str()
        );
        println!("{}", labelled(&format!("    items: {}; offer: ", names.join(", ")), &e.offer));
    }
    Ok(())
}

/// The packets whose items a restore brought back to the outbox and that wait for the person
/// to send them.
fn held_since_a_restore(vault: &Vault) -> Result<Vec<String>, CliError> {
    Ok(vault.outbox()?.into_iter().filter(|i| i.held).map(|i| i.packet_jti).collect())
}

fn brands(vault: &Vault, now: i64) -> Result<(), CliError> {
    let brands = vault.what_brands_know(now)?;
    let held = held_since_a_restore(vault)?;
    if brands.is_empty() {
        println!("No brand knows anything about you through Tessera.");
    }
    for b in brands {
        println!("{} ({})", b.brand_name, b.fingerprint);
        if b.holds.is_empty() && b.deletion_pending.is_empty() && b.not_received.is_empty() {
            println!("  holds nothing now");
        }
        for item in &b.holds {
            println!("  holds {}: {}", item.item, item.value);
        }
        for item in &b.deletion_pending {
            println!("  may still hold {}: {} (deletion asked, not confirmed yet)", item.item, item.value);
        }
        for item in &b.not_received {
            println!("  has not received {}: {} (not delivered yet)", item.item, item.value);
        }
        for p in &b.packets {
            let restored = if held.contains(&p.entry.packet_jti) { " (held since a restore)" } else { "" };
            println!(
                "  packet {} shared {}: {}{restored}",
                p.entry.packet_jti,
                show_time(p.entry.shared_at),
                p.status.as_str()
            );
        }
        for r in &b.refusals {
            let asked: Vec<String> = r.asked.iter().map(|a| format!("{} ({})", a.item, a.purpose)).collect();
            println!("  request declined {}: asked for {}", show_time(r.declined_at), asked.join(", "));
        }
    }
    Ok(())
}

fn import_receipt(vault: &mut Vault, receipt: &Path, now: i64) -> Result<(), CliError> {
    let text = files::read_artifact(receipt)?;
    let line = vault.import_receipt(&text, now).map_err(|e| match e {
        tessera_vault::VaultError::Protocol(source) => CliError::Artifact { path: receipt.to_owned(), source },
        other => other.into(),
    })?;
    let deletion = line.entry.deletion.as_ref().map(|d| show_time(d.deleted_at)).unwrap_or_default();
    println!(
        "{} confirmed deleting packet {} on {deletion}: deletion confirmed.",
        line.entry.brand_name, line.entry.packet_jti
    );
    Ok(())
}
