//! `tessera vault fact …`: profile facts — set, import from JSON, list, change
//! sensitivity, remove.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::Value;
use tessera_vault::facts::{self, Sensitivity};
use tessera_vault::Vault;

use super::SensitivityArg;
use crate::{files, say, CliError};

#[derive(Debug, Subcommand)]
pub enum FactCommand {
    /// Set a fact, e.g. `fact set email ana@example.org --sensitivity ask`.
    Set {
        item: String,
        value: String,
        #[arg(long, value_enum, default_value = "ask")]
        sensitivity: SensitivityArg,
    },
    /// Set many facts from a JSON object file such as {"email": "…", "birthdate": "1990-04-02"}.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "ask")]
        sensitivity: SensitivityArg,
    },
    /// List your facts.
    List,
    /// Change how freely a fact may be shared.
    Sensitivity {
        item: String,
        #[arg(value_enum)]
        level: SensitivityArg,
    },
    /// Delete a fact.
    Remove { item: String },
}

pub fn run(command: FactCommand, vault: &mut Vault) -> Result<(), CliError> {
    match command {
        FactCommand::Set { item, value, sensitivity } => set(vault, &item, &value, sensitivity.into()),
        FactCommand::Import { file, sensitivity } => import(vault, &file, sensitivity.into()),
        FactCommand::List => list(vault),
        FactCommand::Sensitivity { item, level } => {
            let item = facts::parse_fact_item(&item)?;
            vault.set_sensitivity(&item, level.into())?;
            say!("{item} is now {}.", Sensitivity::from(level).as_str())
        }
        FactCommand::Remove { item } => {
            let item = facts::parse_fact_item(&item)?;
            vault.remove_fact(&item)?;
            say!("Deleted {item}.")
        }
    }
}

fn set(vault: &mut Vault, item: &str, value: &str, sensitivity: Sensitivity) -> Result<(), CliError> {
    let item = facts::parse_fact_item(item)?;
    let value = facts::value_from_text(&item, value)?;
    vault.set_fact(item, value, sensitivity)?;
    say!("Saved {item}.")
}

/// Checks every fact of the file before saving any.
fn import(vault: &mut Vault, file: &Path, sensitivity: Sensitivity) -> Result<(), CliError> {
    let in_file = |detail: String| CliError::File { path: file.to_owned(), detail };
    let bytes = files::read(file)?;
    let object: serde_json::Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|e| in_file(format!("expected a JSON object such as {{\"email\": \"ana@example.org\"}} ({e})")))?;
    let mut checked = Vec::new();
    for (name, value) in object {
        let item = facts::parse_fact_item(&name).map_err(|e| in_file(e.to_string()))?;
        item.validate(&value).map_err(|e| in_file(e.to_string()))?;
        checked.push((item, value));
    }
    for (item, value) in &checked {
        vault.set_fact(*item, value.clone(), sensitivity)?;
    }
    say!("Saved {} fact(s).", checked.len())
}

fn list(vault: &Vault) -> Result<(), CliError> {
    let facts = vault.facts()?;
    if facts.is_empty() {
        say!("No fact yet: add one with `tessera vault fact set ITEM VALUE`.")?;
    }
    for f in facts {
        say!("{:<30} {:<40} {}", f.item.as_str(), f.value.to_string(), f.sensitivity.as_str())?;
    }
    Ok(())
}
