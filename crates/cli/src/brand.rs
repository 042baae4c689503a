//! `tessera brand …`: the brand's tools — keys, requests, importing packets,
//! listing and exporting the data held, revocations and receipts, purges.
//!
//! Every subcommand opens the brand store (`tessera-brand`) — a SQLite store in a directory, or
//! a PostgreSQL database with `--database` — which deletes what is past its retention first,
//! and is one small function below; this module only reads arguments and files and prints
//! what happened. `serve` runs the brand's inbox (`tessera-inbox`) until it is stopped.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use tessera_brand::import::ImportOutcome;
use tessera_brand::{BrandStore, Location, Unlock};
use tessera_protocol::request::{RequestSpec, SignedRequest};

mod serve;

use crate::output::labelled;
use crate::secrets::{Secret, SecretSource};
use crate::{files, show_time, CliError};

/// Where the brand store is and how to unlock it.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The brand store directory [default: ~/.local/share/tessera/brand].
    #[arg(long, env = "TESSERA_BRAND_DIR", global = true)]
    dir: Option<PathBuf>,
    /// Use the brand store in this PostgreSQL database instead (postgres://USER@HOST/DATABASE).
    #[arg(long, env = "TESSERA_BRAND_DATABASE", global = true, value_name = "URL")]
    database: Option<String>,
    /// Read the passphrase from the first line of this file (else $TESSERA_PASSPHRASE, else asked).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    /// Unlock with this key file (32 random bytes or more) instead of a passphrase.
    #[arg(long, env = "TESSERA_BRAND_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,
}

impl StoreArgs {
    fn dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| files::default_data_path("tessera", "brand"))
    }

    /// The PostgreSQL database if one is given, else the SQLite store's directory.
    fn location(&self) -> Location {
        match &self.database {
            Some(url) => Location::Postgres(url.clone()),
            None => Location::Sqlite(self.dir()),
        }
    }

    fn source(&self) -> SecretSource {
        SecretSource { passphrase_file: self.passphrase_file.clone(), key_file: self.key_file.clone() }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum BrandCommand {
    /// Create the brand store and the brand's keys.
    Init {
        /// The brand's public name, shown to consumers.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show the brand's identity, key fingerprint and age recipient.
    Identity {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Sign a request from a JSON spec and write it to a file for consumers.
    Request {
        /// The request spec: {"items":[{"item":"email","purpose":"…","required":true}],"retention_days":180,"offer":"…","valid_days":30}
        #[arg(long)]
        spec: PathBuf,
        /// Where to write the signed request.
        #[arg(long)]
        out: PathBuf,
        /// The brand's inbox (its https base URL, as `brand serve` says): consumers' apps send
        /// their packets there. Without it, consumers answer with a file. The spec may give it as "inbox".
        #[arg(long, value_name = "URL")]
        inbox: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Run the brand's inbox: receive packets and revocations over HTTP, answer with receipts.
    Serve {
        /// The address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long, value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// The https URL consumers reach this inbox at (through a reverse proxy doing TLS).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        /// Seconds a client has to send its request headers.
        #[arg(long, default_value_t = 10, value_name = "SECONDS")]
        header_timeout: u64,
        /// Seconds a client has to send a whole body, however slowly.
        #[arg(long, default_value_t = 30, value_name = "SECONDS")]
        body_timeout: u64,
        /// Connections open at once; more are closed.
        #[arg(long, default_value_t = 4096)]
        max_connections: usize,
        /// Uploads checked and stored at once, once their body has arrived; more wait, then get 503 (try again).
        #[arg(long, default_value_t = 512)]
        max_in_flight: usize,
        /// Seconds between two purges of packets past their retention.
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        purge_every: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Copy the brand store, everything in it, into a new PostgreSQL store (the original is kept).
    Move {
        /// The PostgreSQL database to move to (postgres://USER@HOST/DATABASE); it must hold no brand store yet.
        #[arg(long, value_name = "URL")]
        to: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import packet files: decrypt, verify, check against our request, store. Safe to repeat.
    Import {
        /// Packet files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the packets held (or the requests issued, or the deletions made).
    List {
        /// List the requests issued instead.
        #[arg(long, conflicts_with = "deleted")]
        requests: bool,
        /// List deleted packets (tombstones) instead.
        #[arg(long)]
        deleted: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show one packet's items.
    Show {
        /// The packet id (as listed).
        #[arg(allow_hyphen_values = true)]
        packet: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Export all held data as JSON or CSV (in CSV, a value a spreadsheet would run as a formula starts with ').
    Export {
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
        /// Where to write the export.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import a consumer's revocation: delete the packet's data and write a signed deletion receipt.
    RevokeImport {
        /// The revocation file.
        revocation: PathBuf,
        /// Where to write the deletion receipt to send back.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write the signed deletion receipt of a deleted packet again.
    Receipt {
        /// The packet id.
        #[arg(allow_hyphen_values = true)]
        packet: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete every packet past its retention end (also done before every command).
    Purge {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write the brand's age identity (a secret) to a file, for the stock `age` tool.
    ExportAgeIdentity {
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change the passphrase or key file that protects the brand's keys.
    ChangeUnlock {
        /// The new passphrase is read from the first line of this file (else asked).
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
        /// Or: protect the store with this key file from now on.
        #[arg(long, conflicts_with = "new_passphrase_file")]
        new_key_file: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn with_unlock<T>(secret: &Secret, f: impl FnOnce(Unlock<'_>) -> T) -> T {
    match secret {
        Secret::Passphrase(p) => f(Unlock::Passphrase(p)),
        Secret::KeyFile(k) => f(Unlock::KeyFile(k)),
    }
}

/// Opens the store and purges what is past its retention, as every command does.
fn open(store: &StoreArgs, now: i64) -> Result<BrandStore, CliError> {
    let secret = store.source().read("Brand passphrase", false)?;
    let mut brand = with_unlock(&secret, |unlock| BrandStore::open_at(&store.location(), unlock))?;
    let purged = brand.purge_expired(now)?;
    if !purged.is_empty() {
        eprintln!("Deleted {} packet(s) that reached their retention end.", purged.len());
    }
    Ok(brand)
}

/// Warns about stored packets that cannot be read back; the others are listed or exported as usual.
fn report_unreadable(unreadable: &[tessera_brand::data::UnreadablePacket]) {
    for u in unreadable {
        eprintln!("warning: packet {} cannot be read back ({}); it is left out", u.packet_jti, u.reason);
    }
}

pub fn print_request(r: &SignedRequest) {
    let c = &r.claims;
    println!("  request {}", c.jti);
    println!("{}", labelled("  offer: ", &c.offer));
    println!("  keeps data for {} days; answer before {}", c.retention_days, show_time(c.exp));
    for item in &c.items {
        let required = if item.required { "required" } else { "optional" };
        println!("{}", labelled(&format!("  - {} ({required}): ", item.item), &item.purpose));
    }
}

fn print_identity(brand: &BrandStore) {
    println!("Brand:          {}", brand.name());
    println!("Identity:       {}", brand.did());
    println!("Fingerprint:    {}", brand.did().fingerprint());
    println!("Age recipient:  {}", brand.age_recipient());
}

/// The spec, and the inbox it names if any (`"inbox"`, beside the spec's own members).
fn read_spec(path: &Path) -> Result<(RequestSpec, Option<String>), CliError> {
    let bytes = files::read_capped(path, 1 << 20, "request spec")?;
    let invalid = |e: &dyn std::fmt::Display| {
        CliError::File {
        path: path.to_owned(),
        detail: format!(
            "not a valid request spec: {e}; expected {{\"items\":[{{\"item\":\"email\",\"purpose\":\"…\",\"required\":true}}],\"retention_days\":180,\"offer\":\"…\",\"valid_days\":30}}, and possibly \"inbox\":\"https://…\""
        ),
    }
    };
    // Read as the protocol reads a spec (its plain words for what is wrong), once the
    // inbox, which is not part of the spec, is taken out.
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(_) => return Err(invalid(&RequestSpec::from_json(&bytes).err().unwrap_or_default())),
    };
    let inbox = match value.as_object_mut().and_then(|o| o.remove("inbox")) {
        None => None,
        Some(serde_json::Value::String(url)) => Some(url),
        Some(_) => return Err(invalid(&"\"inbox\" is not a URL in quotes")),
    };
    let spec = RequestSpec::from_json(value.to_string().as_bytes()).map_err(|e| invalid(&e))?;
    Ok((spec, inbox))
}

pub fn run(command: BrandCommand, now: i64) -> Result<(), CliError> {
    match command {
        BrandCommand::Init { name, store } => init(&store, &name, now),
        BrandCommand::Identity { store } => {
            print_identity(&open(&store, now)?);
            Ok(())
        }
        BrandCommand::Request { spec, out, inbox, store } => request(&store, &spec, &out, inbox, now),
        BrandCommand::Serve {
            listen,
            public_url,
            header_timeout,
            body_timeout,
            max_connections,
            max_in_flight,
            purge_every,
            store,
        } => {
            let limits = serve::Limits { header_timeout, body_timeout, max_connections, max_in_flight, purge_every };
            serve::run(&store.location(), store.source(), listen, public_url.as_deref(), limits, now)
        }
        BrandCommand::Move { to, store } => move_store(&store, &to, now),
        BrandCommand::Import { files: paths, store } => import(&store, &paths, now),
        BrandCommand::List { requests: true, store, .. } => list_requests(&store, now),
        BrandCommand::List { deleted: true, store, .. } => list_deleted(&store, now),
        BrandCommand::List { store, .. } => list_packets(&store, now),
        BrandCommand::Show { packet, store } => show(&store, &packet, now),
        BrandCommand::Export { format, out, store } => export(&store, format, &out, now),
        BrandCommand::RevokeImport { revocation, out, store } => revoke_import(&store, &revocation, &out, now),
        BrandCommand::Receipt { packet, out, store } => receipt(&store, &packet, &out, now),
        BrandCommand::Purge { store } => purge(&store, now),
        BrandCommand::ExportAgeIdentity { out, store } => export_age_identity(&store, &out, now),
        BrandCommand::ChangeUnlock { new_passphrase_file, new_key_file, store } => {
            change_unlock(&store, SecretSource { passphrase_file: new_passphrase_file, key_file: new_key_file }, now)
        }
    }
}

fn init(store: &StoreArgs, name: &str, now: i64) -> Result<(), CliError> {
    let secret = store.source().read("Choose a passphrase for the brand's keys", true)?;
    crate::secrets::check_new_passphrase(&secret)?;
    let brand = with_unlock(&secret, |unlock| BrandStore::create_at(&store.location(), name, unlock, now))?;
    println!("Created the brand store in {}", store.location().describe());
    print_identity(&brand);
    Ok(())
}

fn request(store: &StoreArgs, spec: &Path, out: &Path, inbox: Option<String>, now: i64) -> Result<(), CliError> {
    let (spec, spec_inbox) = read_spec(spec)?;
    let response_uri = match inbox.or(spec_inbox) {
        None => None,
        Some(url) => Some(tessera_protocol::inbox::response_uri_for_inbox(&url).map_err(|problem| {
            CliError::Usage(format!("the inbox URL {url:?} {problem}; give the https URL consumers reach the inbox at"))
        })?),
    };
    let mut brand = open(store, now)?;
    let request = brand.create_request_for_inbox(&spec, response_uri.as_deref(), now)?;
    files::write_atomic(out, format!("{}\n", request.jws).as_bytes())?;
    println!("Wrote the signed request to {}", out.display());
    print_request(&request);
    if let Some(inbox) = request.inbox() {
        let published = inbox.request(&request.claims.jti);
        println!("  packets are sent to {}", inbox.packets());
        println!("  publish it as {published}");
        println!("  or as {}", tessera_protocol::inbox::request_link(&published));
    }
    Ok(())
}

fn move_store(store: &StoreArgs, to: &str, now: i64) -> Result<(), CliError> {
    let brand = open(store, now)?;
    let target = Location::Postgres(to.to_owned());
    let report = brand.move_to(&target)?;
    println!(
        "Copied {} request(s), {} packet(s) and {} deletion record(s) to {}; the copy was checked row by row.",
        report.requests,
        report.packets,
        report.tombstones,
        target.describe()
    );
    println!("From now on, give --database with that URL (or set TESSERA_BRAND_DATABASE). The original store in {} is unchanged: keep it as a backup, or delete it.", store.location().describe());
    Ok(())
}

/// Imports every packet file it can read, in one batch, and reports each file
/// in the order given; fails when any file could not be imported.
fn import(store: &StoreArgs, paths: &[PathBuf], now: i64) -> Result<(), CliError> {
    let mut brand = open(store, now)?;
    let mut outcomes: Vec<(usize, Result<ImportOutcome, String>)> = Vec::with_capacity(paths.len());
    let mut readable_at = Vec::with_capacity(paths.len());
    let mut readable = Vec::with_capacity(paths.len());
    for (at, path) in paths.iter().enumerate() {
        match files::read_capped(path, files::MAX_PACKET_FILE, "packet file") {
            Ok(bytes) => {
                readable_at.push(at);
                readable.push(bytes);
            }
            Err(CliError::File { detail, .. }) => outcomes.push((at, Err(detail))),
            Err(other) => outcomes.push((at, Err(other.to_string()))),
        }
    }
    let contents: Vec<&[u8]> = readable.iter().map(Vec::as_slice).collect();
    // One outcome per packet given, in the same order.
    let imported = brand.import_packets(&contents, now)?.into_iter().map(|o| o.map_err(|e| e.to_string()));
    outcomes.extend(readable_at.into_iter().zip(imported));
    outcomes.sort_by_key(|(at, _)| *at);
    let mut failures = 0;
    for (at, outcome) in outcomes {
        let path = paths[at].display();
        match outcome {
            Ok(ImportOutcome::Imported { packet_jti, items, .. }) => {
                println!("{path}: imported packet {packet_jti} ({items} item(s))")
            }
            Ok(ImportOutcome::AlreadyImported { packet_jti, .. }) => {
                println!("{path}: packet {packet_jti} was already imported; nothing changed")
            }
            Err(e) => {
                failures += 1;
                eprintln!("error: {path}: {e}");
            }
        }
    }
    if failures > 0 {
        let imported = paths.len() - failures;
        return Err(CliError::Usage(format!(
            "{failures} of {} file(s) could not be imported ({imported} imported)",
            paths.len()
        )));
    }
    Ok(())
}

fn list_requests(store: &StoreArgs, now: i64) -> Result<(), CliError> {
    let mut brand = open(store, now)?;
    let listing = brand.requests()?;
    for unreadable in &listing.unreadable {
        eprintln!("warning: request {} cannot be read back ({})", unreadable.request_jti, unreadable.reason);
    }
    for issued in listing.requests {
        let c = &issued.request.claims;
        println!(
            "{}  issued {}  expires {}  {} item(s)  {} packet(s) held",
            c.jti,
            show_time(c.iat),
            show_time(c.exp),
            c.items.len(),
            issued.packets_held
        );
    }
    Ok(())
}

fn list_deleted(store: &StoreArgs, now: i64) -> Result<(), CliError> {
    let brand = open(store, now)?;
    for t in brand.tombstones()? {
        let receipt = if t.receipt.is_some() { "receipt issued" } else { "no receipt yet" };
        println!("{}  deleted {}  {}  {receipt}", t.packet_jti, show_time(t.deleted_at), t.reason);
    }
    Ok(())
}

fn list_packets(store: &StoreArgs, now: i64) -> Result<(), CliError> {
    let brand = open(store, now)?;
    let listing = brand.packet_listing()?;
    report_unreadable(&listing.unreadable);
    if listing.packets.is_empty() {
        println!("No packet held.");
    }
    for p in listing.packets {
        let names: Vec<&str> = p.items.iter().map(|i| i.item.as_str()).collect();
        println!(
            "{}  from {}  kept until {}  items: {}",
            p.packet_jti,
            p.consumer,
            show_time(p.retention_end),
            names.join(", ")
        );
    }
    Ok(())
}

fn show(store: &StoreArgs, packet: &str, now: i64) -> Result<(), CliError> {
    let brand = open(store, now)?;
    let p = brand.packet(packet)?;
    println!("Packet {}", p.packet_jti);
    println!("  from consumer {}", p.consumer);
    println!("  answers request {}", p.request_jti);
    println!(
        "  shared {}, imported {}, kept until {}",
        show_time(p.issued_at),
        show_time(p.imported_at),
        show_time(p.retention_end)
    );
    for item in &p.items {
        let form = if item.is_generalised() { format!(" (generalised from {})", item.answers) } else { String::new() };
        println!("  {}{form}: {}", item.item, item.value);
    }
    Ok(())
}

fn export(store: &StoreArgs, format: ExportFormat, out: &Path, now: i64) -> Result<(), CliError> {
    let brand = open(store, now)?;
    let export = match format {
        ExportFormat::Json => brand.export_json()?,
        ExportFormat::Csv => brand.export_csv()?,
    };
    report_unreadable(&export.unreadable);
    files::write_atomic(out, export.text.as_bytes())?;
    println!("Exported {} packet(s) to {}", export.packets, out.display());
    Ok(())
}

fn revoke_import(store: &StoreArgs, revocation: &Path, out: &Path, now: i64) -> Result<(), CliError> {
    let text = files::read_artifact(revocation)?;
    let mut brand = open(store, now)?;
    let outcome = brand.import_revocation(&text, now).map_err(|e| match e {
        tessera_brand::BrandError::Protocol(source) => CliError::Artifact { path: revocation.to_owned(), source },
        other => other.into(),
    })?;
    files::write_atomic(out, format!("{}\n", outcome.receipt).as_bytes())?;
    if outcome.already_deleted {
        println!("Packet {} had already been deleted.", outcome.packet_jti);
    } else {
        println!("Deleted the data of packet {}.", outcome.packet_jti);
    }
    println!("Wrote the signed deletion receipt to {}; send it back to the consumer.", out.display());
    Ok(())
}

fn receipt(store: &StoreArgs, packet: &str, out: &Path, now: i64) -> Result<(), CliError> {
    let mut brand = open(store, now)?;
    let receipt = brand.receipt_for(packet, now)?;
    files::write_atomic(out, format!("{receipt}\n").as_bytes())?;
    println!("Wrote the signed deletion receipt of packet {packet} to {}", out.display());
    Ok(())
}

/// Unlike the other subcommands, says what it purged on stdout.
fn purge(store: &StoreArgs, now: i64) -> Result<(), CliError> {
    let secret = store.source().read("Brand passphrase", false)?;
    let mut brand = with_unlock(&secret, |unlock| BrandStore::open_at(&store.location(), unlock))?;
    let purged = brand.purge_expired(now)?;
    println!("Deleted {} packet(s) past their retention end.", purged.len());
    for t in purged {
        println!("  {} (from {})", t.packet_jti, t.consumer);
    }
    Ok(())
}

fn export_age_identity(store: &StoreArgs, out: &Path, now: i64) -> Result<(), CliError> {
    let brand = open(store, now)?;
    let identity = brand.export_age_identity();
    files::write_private(out, format!("{}\n", identity.as_str()).as_bytes())?;
    println!(
        "Wrote the brand's age identity to {} (readable by you only). Keep it secret; delete it when done.",
        out.display()
    );
    Ok(())
}

fn change_unlock(store: &StoreArgs, new_source: SecretSource, now: i64) -> Result<(), CliError> {
    let mut brand = open(store, now)?;
    // Without a file, the new passphrase is asked for; $TESSERA_PASSPHRASE is the old one.
    let new_secret = if new_source.passphrase_file.is_none() && new_source.key_file.is_none() {
        Secret::Passphrase(crate::secrets::prompt(
            "New passphrase",
            true,
            "give it in a file with --new-passphrase-file (or protect the store with --new-key-file)",
        )?)
    } else {
        new_source.read("New passphrase", true)?
    };
    crate::secrets::check_new_passphrase(&new_secret)?;
    with_unlock(&new_secret, |unlock| brand.change_unlock(unlock))?;
    println!(
        "The brand's keys are now protected by the new {}.",
        if matches!(new_secret, Secret::KeyFile(_)) { "key file" } else { "passphrase" }
    );
    Ok(())
}
