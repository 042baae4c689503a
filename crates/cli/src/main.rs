//! # tessera — the command line of Tessera
//!
//! Owns the user-facing commands: `tessera brand …` (a brand's tools: keys,
//! requests, packet import, data export, revocations, purges), `tessera vault
//! …` (the consumer's encrypted vault: facts, purchases, passphrase, backups),
//! `tessera consent …` (answer a request, revoke, confirm a deletion) and
//! `tessera inspect`.
//!
//! It only translates: arguments and files in, calls into `tessera-brand`,
//! `tessera-vault` and `tessera-protocol`, messages out. It must never print a
//! secret or a personal value unless the user asked to see it, and every file
//! it writes is written atomically.

mod brand;
mod consent;
mod files;
mod secrets;
mod vault;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// An error for the user: what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {detail}", path = path.display())]
    File { path: PathBuf, detail: String },
    #[error("{path}: {source}", path = path.display())]
    Artifact { path: PathBuf, source: tessera_protocol::ProtocolError },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Brand(#[from] tessera_brand::BrandError),
    #[error(transparent)]
    Protocol(#[from] tessera_protocol::ProtocolError),
    #[error(transparent)]
    Vault(#[from] tessera_vault::VaultError),
}

#[derive(Debug, Parser)]
#[command(name = "tessera", version, about = "Tessera: share your data with brands on your terms, and take it back.")]
struct Cli {
    /// Pretend the time is this Unix timestamp (for tests and rehearsals).
    #[arg(long, global = true, env = "TESSERA_NOW", hide = true)]
    now: Option<i64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A brand's tools: keys, requests, importing packets, exporting data, revocations.
    #[command(subcommand)]
    Brand(brand::BrandCommand),
    /// Your vault: facts, purchases, passphrase, backups.
    Vault {
        #[command(flatten)]
        vault: vault::VaultArgs,
        #[command(subcommand)]
        command: vault::VaultCommand,
    },
    /// Your consent: answer a brand's request, see what brands know, revoke, confirm deletions.
    Consent {
        #[command(flatten)]
        vault: vault::VaultArgs,
        #[command(subcommand)]
        command: consent::ConsentCommand,
    },
    /// Check any Tessera request, revocation or receipt file and show what it says.
    Inspect {
        /// The file to check.
        file: PathBuf,
    },
}

/// Unix time now, or the time given with `--now`.
fn current_time(forced: Option<i64>) -> i64 {
    forced.unwrap_or_else(|| chrono::Utc::now().timestamp())
}

pub use tessera_protocol::display_time as show_time;

fn inspect(path: &std::path::Path) -> Result<(), CliError> {
    use tessera_protocol::{receipt, request, revocation, Artifact, ProtocolError};
    let text = files::read_artifact(path)?;
    let attach = |source: ProtocolError| CliError::Artifact { path: path.to_owned(), source };
    match request::verify(&text) {
        Ok(r) => {
            println!(
                "A signed request from {} ({}), fingerprint {}",
                r.claims.brand_name,
                r.claims.iss,
                r.brand().fingerprint()
            );
            brand::print_request(&r);
            return Ok(());
        }
        Err(ProtocolError::WrongType { expected: Artifact::Request, .. }) => {}
        Err(e) => return Err(attach(e)),
    }
    match receipt::inspect(&text) {
        Ok(c) => {
            println!("A signed deletion receipt from {}", c.iss);
            println!("  packet {} deleted at {} ({})", c.packet_jti, show_time(c.deleted_at), c.reason.as_str());
            return Ok(());
        }
        Err(ProtocolError::WrongType { expected: Artifact::Receipt, .. }) => {}
        Err(e) => return Err(attach(e)),
    }
    let c = revocation::inspect(&text).map_err(attach)?;
    println!("A signed revocation from {} to {}", c.iss, c.aud);
    println!("  revokes packet {} (made {})", c.packet_jti, show_time(c.iat));
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let now = current_time(cli.now);
    let outcome = match cli.command {
        Command::Brand(command) => brand::run(command, now),
        Command::Vault { vault, command } => vault::run(command, &vault, now),
        Command::Consent { vault, command } => consent::run(command, &vault, now),
        Command::Inspect { file } => inspect(&file),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
