//! Where passphrases and key files come from: a file, the environment, or the terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::CliError;

/// Environment variable holding the passphrase of the vault or brand store, for scripts.
pub const PASSPHRASE_ENV: &str = "TESSERA_PASSPHRASE";

/// Reads a passphrase: from the first line of `file`, else from `$env`, else
/// asked on the terminal (twice when `confirm`).
pub fn passphrase(
    file: Option<&Path>,
    env: &str,
    prompt_text: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, CliError> {
    if let Some(path) = file {
        return passphrase_from_file(path);
    }
    if let Ok(value) = std::env::var(env) {
        if !value.is_empty() {
            return Ok(Zeroizing::new(value));
        }
    }
    prompt(prompt_text, confirm, &format!("give it in a file with {}, set {env}", file_option(env)))
}

/// The command-line option that gives, in a file, the secret otherwise read from `env`.
fn file_option(env: &str) -> &'static str {
    match env {
        "TESSERA_NEW_PASSPHRASE" => "--new-passphrase-file",
        "TESSERA_RECOVERY_SECRET" => "--recovery-secret-file",
        "TESSERA_BACKUP_PASSPHRASE" => "--backup-passphrase-file (--export-passphrase-file for an export)",
        _ => "--passphrase-file",
    }
}

/// Asks on the terminal (twice when `confirm`); without a terminal, fails with `other_ways`
/// (e.g. "give it in a file with --passphrase-file, set TESSERA_PASSPHRASE").
pub fn prompt(prompt: &str, confirm: bool, other_ways: &str) -> Result<Zeroizing<String>, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!("{prompt} is needed: {other_ways}, or run in a terminal to be asked")));
    }
    let read = |text: &str| {
        rpassword::prompt_password(format!("{text}: "))
            .map(Zeroizing::new)
            .map_err(|e| CliError::Usage(format!("cannot read the passphrase: {e}")))
    };
    let first = read(prompt)?;
    if confirm && *first != *read("Repeat it")? {
        return Err(CliError::Usage("the two passphrases differ; nothing was changed".into()));
    }
    Ok(first)
}

fn passphrase_from_file(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let bytes = Zeroizing::new(crate::files::read_capped(path, 64 << 10, "passphrase file")?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::File { path: path.to_owned(), detail: "a passphrase file must be UTF-8 text".into() })?;
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.is_empty() {
        return Err(CliError::File { path: path.to_owned(), detail: "the passphrase file is empty".into() });
    }
    Ok(Zeroizing::new(first_line.to_owned()))
}

/// How a brand provides its secret: a key file, or a passphrase.
#[derive(Debug, Clone, Default)]
pub struct SecretSource {
    pub passphrase_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// A secret read from the user.
pub enum Secret {
    Passphrase(Zeroizing<String>),
    KeyFile(Zeroizing<Vec<u8>>),
}

impl SecretSource {
    /// Reads the key file if one is given, else a passphrase (see [`passphrase`]).
    pub fn read(&self, prompt_text: &str, confirm: bool) -> Result<Secret, CliError> {
        if let Some(path) = &self.key_file {
            let bytes = Zeroizing::new(crate::files::read_capped(path, 1 << 20, "key file")?);
            if bytes.len() < 32 {
                return Err(CliError::File {
                    path: path.clone(),
                    detail: format!(
                        "a key file must hold at least 32 bytes of random data; this one has {}",
                        bytes.len()
                    ),
                });
            }
            return Ok(Secret::KeyFile(bytes));
        }
        Ok(Secret::Passphrase(passphrase(self.passphrase_file.as_deref(), PASSPHRASE_ENV, prompt_text, confirm)?))
    }
}

/// Refuses passphrases too short to resist guessing.
pub fn check_new_passphrase(secret: &Secret) -> Result<(), CliError> {
    if let Secret::Passphrase(p) = secret {
        if p.chars().count() < 10 {
            return Err(CliError::Usage(
                "choose a passphrase of at least 10 characters (several words are easiest to remember)".into(),
            ));
        }
    }
    Ok(())
}
