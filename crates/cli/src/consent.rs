//! `tessera consent …`: the consumer's minimal side of an exchange.
//!
//! A consent keystore is one file: the consumer's master secret and the ledger
//! of packets they shared, sealed (ChaCha20-Poly1305) under a key wrapped by
//! their passphrase (Argon2id). Facts come from a JSON file the user keeps.
//! Everything protocol-related goes through `tessera-protocol`, exactly as the
//! consumer vault does.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_protocol::packet::{self, SharedItem};
use tessera_protocol::request::{self, SignedRequest};
use tessera_protocol::{derive_brand_key, envelope, items, receipt, revocation, Did, ItemName, MasterSecret};
use tessera_seal::{Argon2Params, DataKey, Keyslot, RecordCipher};
use zeroize::Zeroizing;

use crate::secrets::{Secret, SecretSource};
use crate::{files, show_time, CliError};

#[derive(Debug, Args)]
pub struct KeystoreArgs {
    /// The consent keystore file [default: ~/.local/share/tessera/consent.keystore].
    #[arg(long, env = "TESSERA_CONSENT_KEYSTORE", global = true)]
    keystore: Option<PathBuf>,
    /// Read the passphrase from the first line of this file (else $TESSERA_PASSPHRASE, else asked).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
}

impl KeystoreArgs {
    fn path(&self) -> PathBuf {
        self.keystore.clone().unwrap_or_else(|| files::default_data_path("consent.keystore"))
    }
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Create a consent keystore: your master secret, sealed under a passphrase.
    Init {
        #[command(flatten)]
        keystore: KeystoreArgs,
    },
    /// Answer a brand's request from your facts file, deciding every item, and write the packet.
    Answer(AnswerArgs),
    /// List the packets you shared and their status.
    List {
        #[command(flatten)]
        keystore: KeystoreArgs,
    },
    /// Revoke a packet you shared: write a signed revocation for the brand.
    Revoke {
        /// The packet id (as listed).
        #[arg(allow_hyphen_values = true)]
        packet: String,
        /// Where to write the revocation file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        keystore: KeystoreArgs,
    },
    /// Check a brand's deletion receipt and record the deletion as confirmed.
    Receipt {
        /// The receipt file the brand sent back.
        receipt: PathBuf,
        #[command(flatten)]
        keystore: KeystoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The request file the brand sent.
    request: PathBuf,
    /// Your facts: a JSON object such as {"email": "…", "birthdate": "1990-04-02"}.
    #[arg(long)]
    facts: PathBuf,
    /// Share an item exactly (ITEM), or generalised (ITEM=FORM, e.g. birthdate=age_range).
    #[arg(long = "share", value_name = "ITEM[=FORM]")]
    share: Vec<String>,
    /// Refuse an item.
    #[arg(long = "deny", value_name = "ITEM")]
    deny: Vec<String>,
    /// Only show what the packet would contain; write nothing.
    #[arg(long)]
    preview: bool,
    /// Where to write the packet file for the brand.
    #[arg(long, required_unless_present = "preview")]
    out: Option<PathBuf>,
    #[command(flatten)]
    keystore: KeystoreArgs,
}

const KEYSTORE_FORMAT: &str = "tessera-consent-keystore";
const KEYSTORE_AAD: &[u8] = b"tessera/v1/consent-keystore";

#[derive(Serialize, Deserialize)]
struct KeystoreFile {
    format: String,
    version: u32,
    keyslot: Keyslot,
    /// base64 of the sealed [`KeystoreContent`].
    sealed: String,
}

#[derive(Serialize, Deserialize)]
struct KeystoreContent {
    master_secret: [u8; 32],
    ledger: Vec<LedgerEntry>,
}

impl Drop for KeystoreContent {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.master_secret.zeroize();
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LedgerEntry {
    packet_jti: String,
    packet_hash: String,
    brand: Did,
    brand_name: String,
    request_jti: String,
    offer: String,
    consumer: Did,
    shared_at: i64,
    retention_end: i64,
    items: Vec<SharedItem>,
    revocation_jti: Option<String>,
    revoked_at: Option<i64>,
    deletion_confirmed_at: Option<i64>,
}

impl LedgerEntry {
    fn status(&self, now: i64) -> &'static str {
        match (self.deletion_confirmed_at, self.revoked_at) {
            (Some(_), _) => "deletion confirmed",
            (None, Some(_)) => "revoked (waiting for the brand's receipt)",
            _ if now >= self.retention_end => "expired (the brand must have deleted it)",
            _ => "active",
        }
    }
}

/// An unlocked keystore and how to seal it again.
struct Keystore {
    path: PathBuf,
    keyslot: Keyslot,
    cipher: RecordCipher,
    content: KeystoreContent,
}

impl Keystore {
    fn create(path: &Path, passphrase: &str) -> Result<(), CliError> {
        if path.exists() {
            return Err(CliError::File { path: path.to_owned(), detail: "a keystore already exists here; nothing was changed".into() });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| CliError::File { path: parent.to_owned(), detail: e.to_string() })?;
        }
        let key = DataKey::generate()?;
        let keystore = Keystore {
            path: path.to_owned(),
            keyslot: Keyslot::wrap_with_passphrase(&key, passphrase, Argon2Params::RECOMMENDED)?,
            cipher: RecordCipher::new(&key),
            content: KeystoreContent { master_secret: *MasterSecret::generate().as_bytes(), ledger: Vec::new() },
        };
        keystore.save()
    }

    fn open(args: &KeystoreArgs) -> Result<Keystore, CliError> {
        let path = args.path();
        if !path.exists() {
            return Err(CliError::File { path, detail: "no consent keystore here: create one with `tessera consent init`".into() });
        }
        let bytes = files::read(&path)?;
        let invalid = |detail: &str| CliError::File { path: path.clone(), detail: format!("not a usable consent keystore: {detail}") };
        let file: KeystoreFile = serde_json::from_slice(&bytes).map_err(|e| invalid(&e.to_string()))?;
        if file.format != KEYSTORE_FORMAT || file.version != 1 {
            return Err(invalid("unknown format or version"));
        }
        let source = SecretSource { passphrase_file: args.passphrase_file.clone(), key_file: None };
        let Secret::Passphrase(passphrase) = source.read("Keystore passphrase", false)? else {
            unreachable!("no key file source was given")
        };
        let key = file.keyslot.unwrap_with_passphrase(&passphrase)?;
        let cipher = RecordCipher::new(&key);
        let sealed = base64::engine::general_purpose::STANDARD.decode(&file.sealed).map_err(|_| invalid("damaged content"))?;
        let plain = cipher.open(KEYSTORE_AAD, &sealed).map_err(|_| invalid("damaged content"))?;
        let content: KeystoreContent = serde_json::from_slice(&plain).map_err(|e| invalid(&e.to_string()))?;
        Ok(Keystore { path, keyslot: file.keyslot, cipher, content })
    }

    fn save(&self) -> Result<(), CliError> {
        let plain = Zeroizing::new(serde_json::to_vec(&self.content).unwrap_or_else(|e| unreachable!("keystore serialises: {e}")));
        let file = KeystoreFile {
            format: KEYSTORE_FORMAT.into(),
            version: 1,
            keyslot: self.keyslot.clone(),
            sealed: base64::engine::general_purpose::STANDARD.encode(self.cipher.seal(KEYSTORE_AAD, &plain)?),
        };
        let text = serde_json::to_vec_pretty(&file).unwrap_or_else(|e| unreachable!("keystore serialises: {e}"));
        files::write_private(&self.path, &text)
    }

    fn master(&self) -> MasterSecret {
        MasterSecret::from_bytes(&self.content.master_secret)
    }

    fn entry_mut(&mut self, packet_jti: &str) -> Result<&mut LedgerEntry, CliError> {
        self.content
            .ledger
            .iter_mut()
            .find(|e| e.packet_jti == packet_jti)
            .ok_or_else(|| CliError::Usage(format!("no packet {packet_jti} in your ledger; see `tessera consent list`")))
    }
}

/// Reads the facts file: a JSON object of vocabulary items and their values.
fn read_facts(path: &Path) -> Result<HashMap<ItemName, Value>, CliError> {
    let bytes = files::read(path)?;
    let bad = |detail: String| CliError::File { path: path.to_owned(), detail };
    let object: BTreeMap<String, Value> =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("expected a JSON object of facts such as {{\"email\": \"ana@example.org\"}} ({e})")))?;
    let mut facts = HashMap::new();
    for (name, value) in object {
        let item: ItemName = name.parse().map_err(|e: tessera_protocol::ProtocolError| {
            let known: Vec<&str> = items::VOCABULARY.iter().map(|s| s.name).collect();
            bad(format!("{e}; known items: {}", known.join(", ")))
        })?;
        item.validate(&value).map_err(|e| bad(e.to_string()))?;
        facts.insert(item, value);
    }
    Ok(facts)
}

/// Turns `--share`/`--deny` into one decision per requested item; every item must be decided.
fn decide(request: &SignedRequest, share: &[String], deny: &[String]) -> Result<Vec<(ItemName, ItemName)>, CliError> {
    let mut decided: HashMap<ItemName, Option<ItemName>> = HashMap::new();
    let mut record = |asked: &str, delivered: Option<&str>| -> Result<(), CliError> {
        let asked: ItemName = asked.parse()?;
        if request.requested(&asked).is_none() {
            return Err(CliError::Usage(format!("the request does not ask for {asked}")));
        }
        let delivered = match delivered {
            None => None,
            Some(form) => {
                let form: ItemName = form.parse()?;
                if !asked.may_be_answered_with(&form) {
                    let forms: Vec<String> = asked.generalisations().iter().map(ToString::to_string).collect();
                    let choices = if forms.is_empty() { "it has no generalised form".to_owned() } else { format!("its generalised forms are {}", forms.join(", ")) };
                    return Err(CliError::Usage(format!("{asked} cannot be shared as {form}: {choices}")));
                }
                Some(form)
            }
        };
        if decided.insert(asked, delivered).is_some() {
            return Err(CliError::Usage(format!("{asked} is decided twice; decide each item once")));
        }
        Ok(())
    };
    for s in share {
        match s.split_once('=') {
            Some((asked, form)) => record(asked, Some(form))?,
            None => record(s, Some(s))?,
        }
    }
    for d in deny {
        record(d, None)?;
    }
    let undecided: Vec<String> = request.claims.items.iter().filter(|i| !decided.contains_key(&i.item)).map(|i| i.item.to_string()).collect();
    if !undecided.is_empty() {
        return Err(CliError::Usage(format!(
            "nothing is shared without your decision: decide {} with --share ITEM, --share ITEM=FORM or --deny ITEM",
            undecided.join(", ")
        )));
    }
    let mut shares: Vec<(ItemName, ItemName)> =
        request.claims.items.iter().filter_map(|i| decided.get(&i.item).copied().flatten().map(|form| (i.item, form))).collect();
    shares.dedup();
    Ok(shares)
}

fn today(now: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(now, 0).map(|t| t.date_naive()).unwrap_or_default()
}

fn answer(answer: &AnswerArgs, now: i64) -> Result<(), CliError> {
    let AnswerArgs { request: request_path, facts: facts_path, share, deny, preview, out, keystore: args } = answer;
    let text = files::read_artifact(request_path)?;
    let attach = |source| CliError::Artifact { path: request_path.to_owned(), source };
    let request = request::verify(&text).map_err(attach)?;
    request.check_answerable(now).map_err(attach)?;
    let facts = read_facts(facts_path)?;
    let decisions = decide(&request, share, deny)?;
    let mut shared = Vec::new();
    for (asked, delivered) in decisions {
        let (source, value) = delivered
            .sources()
            .into_iter()
            .find_map(|source| facts.get(&source).map(|v| (source, v)))
            .ok_or_else(|| CliError::File {
                path: facts_path.to_owned(),
                detail: format!("no fact to share as {delivered}: add {} to your facts, or deny {asked}", delivered.sources().iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ")),
            })?;
        let value = items::derive(&delivered, &source, value, today(now))?;
        shared.push(SharedItem { answers: asked, item: delivered, value });
    }
    if shared.is_empty() {
        return Err(CliError::Usage("every item was denied: there is nothing to send, and nothing was written".into()));
    }
    let mut keystore = Keystore::open(args)?;
    let key = derive_brand_key(&keystore.master(), request.brand());
    let claims = packet::draft(&request, &key.did(), shared, now)?;
    println!("{} ({}) will receive, until {}:", request.claims.brand_name, request.brand().fingerprint(), show_time(claims.exp));
    for item in &claims.items {
        let form = if item.is_generalised() { format!(" (instead of {})", item.answers) } else { String::new() };
        println!("  {}{form}: {}", item.item, item.value);
    }
    println!("In exchange for: {}", request.claims.offer);
    let Some(out) = out.as_deref().filter(|_| !preview) else {
        println!("Preview only: nothing was written.");
        return Ok(());
    };
    let signed = packet::sign(&claims, &key)?;
    let file = envelope::seal(&signed.jws, &request.claims.age_recipient)?;
    keystore.content.ledger.push(LedgerEntry {
        packet_jti: claims.jti.clone(),
        packet_hash: signed.hash.clone(),
        brand: request.brand().clone(),
        brand_name: request.claims.brand_name.clone(),
        request_jti: request.claims.jti.clone(),
        offer: request.claims.offer.clone(),
        consumer: key.did(),
        shared_at: claims.iat,
        retention_end: claims.exp,
        items: claims.items.clone(),
        revocation_jti: None,
        revoked_at: None,
        deletion_confirmed_at: None,
    });
    files::write_atomic(out, &file)?;
    if let Err(e) = keystore.save() {
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    println!("Wrote packet {} to {}; send it to {}.", claims.jti, out.display(), request.claims.brand_name);
    Ok(())
}

pub fn run(command: ConsentCommand, now: i64) -> Result<(), CliError> {
    match command {
        ConsentCommand::Init { keystore } => {
            let source = SecretSource { passphrase_file: keystore.passphrase_file.clone(), key_file: None };
            let secret = source.read("Choose a passphrase", true)?;
            crate::secrets::check_new_passphrase(&secret)?;
            let Secret::Passphrase(passphrase) = secret else { unreachable!("no key file source was given") };
            Keystore::create(&keystore.path(), &passphrase)?;
            println!("Created your consent keystore at {}", keystore.path().display());
        }
        ConsentCommand::Answer(args) => answer(&args, now)?,
        ConsentCommand::List { keystore } => {
            let keystore = Keystore::open(&keystore)?;
            if keystore.content.ledger.is_empty() {
                println!("You have shared nothing yet.");
            }
            for e in &keystore.content.ledger {
                let names: Vec<&str> = e.items.iter().map(|i| i.item.as_str()).collect();
                println!("{}  to {}  shared {}  kept until {}  {}", e.packet_jti, e.brand_name, show_time(e.shared_at), show_time(e.retention_end), e.status(now));
                println!("    items: {}; offer: {}", names.join(", "), e.offer);
            }
        }
        ConsentCommand::Revoke { packet, out, keystore: args } => {
            let mut keystore = Keystore::open(&args)?;
            let master = keystore.master();
            let entry = keystore.entry_mut(&packet)?;
            if entry.deletion_confirmed_at.is_some() {
                return Err(CliError::Usage(format!("{} already confirmed deleting packet {packet}; there is nothing to revoke", entry.brand_name)));
            }
            let key = derive_brand_key(&master, &entry.brand);
            let (jws, claims) = revocation::sign(&key, &entry.brand, &entry.packet_jti, &entry.packet_hash, now);
            entry.revocation_jti = Some(claims.jti);
            entry.revoked_at = Some(now);
            let brand_name = entry.brand_name.clone();
            files::write_atomic(&out, format!("{jws}\n").as_bytes())?;
            keystore.save()?;
            println!("Wrote the revocation of packet {packet} to {}; send it to {brand_name}.", out.display());
        }
        ConsentCommand::Receipt { receipt: path, keystore: args } => {
            let text = files::read_artifact(&path)?;
            let attach = |source| CliError::Artifact { path: path.clone(), source };
            let claims = receipt::inspect(&text).map_err(attach)?;
            let mut keystore = Keystore::open(&args)?;
            let entry = keystore.entry_mut(&claims.packet_jti)?;
            receipt::verify(&text, &entry.brand, &entry.consumer, &entry.packet_jti, &entry.packet_hash, now).map_err(attach)?;
            entry.deletion_confirmed_at = Some(claims.deleted_at);
            let (brand_name, jti) = (entry.brand_name.clone(), entry.packet_jti.clone());
            keystore.save()?;
            println!("{brand_name} confirmed deleting packet {jti} on {}: deletion confirmed.", show_time(claims.deleted_at));
        }
    }
    Ok(())
}
