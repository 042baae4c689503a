//! # tessera — the command line of Tessera
//!
//! Owns the user-facing commands: `tessera brand …` (a brand's tools: keys,
//! requests, packet import, data export, revocations, purges), `tessera vault
//! …` (the consumer's encrypted vault: facts, purchases, passphrase, backups),
//! `tessera consent …` (answer a request, revoke, confirm a deletion) and
//! `tessera inspect`.
//!
//! One module per group of subcommands — [`brand`], [`vault`] (with
//! `vault::fact` and `vault::purchase`), [`consent`], [`inspect`] — each with a
//! clap enum of its subcommands, a `run` that only dispatches, and one small
//! function per subcommand. [`secrets`] reads passphrases and key files,
//! [`files`] reads and writes the user's files, [`output`] prints (every `println!` here is
//! the macro below: a closed pipe ends the output quietly, the command goes on),
//! [`out`] writes where a line that cannot be written must stop the command (`say!`: the
//! vault's commands, e.g. a new recovery secret that could not be shown is not put in place),
//! [`error`] holds [`CliError`].
//! Its behaviour is pinned by the cases in `tests/cmd/` (exact output) and the
//! end-to-end tests beside them.
//!
//! It only translates: arguments and files in, calls into `tessera-brand`,
//! `tessera-vault` and `tessera-protocol`, messages out. It must never print a
//! secret or a personal value unless the user asked to see it, and every file
//! it writes is written atomically.

/// This crate's `println!`: like the standard one, but a reader that went away
/// (`tessera … | head`) ends the output quietly instead of a panic ([`output::line`]).
macro_rules! println {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

mod brand;
mod consent;
mod error;
mod files;
mod inspect;
mod online;
mod out;
mod output;
mod secrets;
mod vault;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let now = current_time(cli.now);
    let outcome = match cli.command {
        Command::Brand(command) => brand::run(command, now),
        Command::Vault { vault, command } => vault::run(command, &vault, now),
        Command::Consent { vault, command } => consent::run(command, &vault, now),
        Command::Inspect { file } => inspect::run(&file),
    };
    match outcome {
        Ok(()) => match output::failure() {
            None => ExitCode::SUCCESS,
            Some(failure) => {
                eprintln!("error: cannot write to standard output ({failure}); what was done is done");
                ExitCode::FAILURE
            }
        },
        // The reader of the output went away (`tessera … | head`): nothing more to say.
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(CliError::NotSentYet(why)) => {
            eprintln!("not sent yet: {why}");
            ExitCode::from(error::NOT_SENT_YET)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
