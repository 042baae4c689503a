//! `tessera vault …`: the consumer's encrypted vault — create, unlock, change
//! the passphrase, recover, rotate the key, backups and exports, preferences;
//! profile facts in [`fact`] and purchase history in [`purchase`].
//!
//! Each subcommand is one small function that unlocks the vault
//! (`tessera-vault`), makes one call and prints what happened; every rule
//! lives in the vault.

mod fact;
mod purchase;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use tessera_vault::facts::Sensitivity;
use tessera_vault::{RecoverySecret, Vault};

use crate::secrets::{self, PASSPHRASE_ENV};
use crate::{files, show_time, CliError};

/// Where the vault is and how to unlock it.
#[derive(Debug, Args)]
pub struct VaultArgs {
    /// The vault directory [default: the desktop app's, ~/.local/share/org.tessera.vault/vault].
    #[arg(long = "vault", env = "TESSERA_VAULT_DIR", global = true)]
    dir: Option<PathBuf>,
    /// Read the vault passphrase from the first line of this file (else $TESSERA_PASSPHRASE, else asked).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
}

impl VaultArgs {
    pub fn dir(&self) -> PathBuf {
        // The same vault as the desktop app (Tauri's app data directory for org.tessera.vault).
        self.dir.clone().unwrap_or_else(|| files::default_data_path("org.tessera.vault", "vault"))
    }

    fn passphrase(&self, prompt: &str, confirm: bool) -> Result<zeroize::Zeroizing<String>, CliError> {
        secrets::passphrase(self.passphrase_file.as_deref(), PASSPHRASE_ENV, prompt, confirm)
    }

    /// Opens and unlocks the vault, warning about records that cannot be read.
    pub fn unlock(&self) -> Result<Vault, CliError> {
        let mut vault = Vault::open(&self.dir())?;
        vault.unlock(&self.passphrase("Vault passphrase", false)?)?;
        let damaged = vault.damaged_records()?;
        if !damaged.is_empty() {
            eprintln!(
                "warning: {} record(s) of the vault cannot be read (altered or damaged on disk); everything else is available. Restore a backup to get them back.",
                damaged.len()
            );
        }
        Ok(vault)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SensitivityArg {
    /// Fine to share (still only with your approval).
    Share,
    /// Ask me each time.
    Ask,
    /// Refuse every request for it.
    Never,
}

impl From<SensitivityArg> for Sensitivity {
    fn from(s: SensitivityArg) -> Sensitivity {
        match s {
            SensitivityArg::Share => Sensitivity::ShareFreely,
            SensitivityArg::Ask => Sensitivity::AskMe,
            SensitivityArg::Never => Sensitivity::NeverShare,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create your vault; shows the recovery secret once.
    Init,
    /// Show what the vault holds.
    Status,
    /// Change the vault passphrase.
    Passphrase {
        /// Read the new passphrase from this file (else asked).
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Forgot the passphrase? Set a new one with the recovery secret.
    Recover {
        /// Read the recovery secret from this file (else asked).
        #[arg(long)]
        recovery_secret_file: Option<PathBuf>,
        /// Read the new passphrase from this file (else asked).
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Replace the vault key and re-encrypt everything; shows a new recovery secret.
    RotateKey,
    /// Profile facts.
    #[command(subcommand)]
    Fact(fact::FactCommand),
    /// Purchase history.
    #[command(subcommand)]
    Purchase(purchase::PurchaseCommand),
    /// Write an encrypted backup of the whole vault.
    Backup {
        #[arg(long)]
        out: PathBuf,
        /// Read the backup passphrase from this file (else $TESSERA_BACKUP_PASSPHRASE, else asked).
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// Replace the vault's content with a backup (creating the vault if there is none).
    Restore {
        backup: PathBuf,
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// Write all my data as readable JSON, in a passphrase-protected age file (`age -d FILE` opens it).
    Export {
        #[arg(long)]
        out: PathBuf,
        /// Read the export passphrase from this file (else $TESSERA_BACKUP_PASSPHRASE, else asked).
        #[arg(long)]
        export_passphrase_file: Option<PathBuf>,
    },
    /// Show or change preferences.
    Settings(SettingsArgs),
}

/// Preferences to change; none shows them.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// fr or en.
    #[arg(long)]
    language: Option<String>,
    /// Lock the app after this many idle minutes.
    #[arg(long)]
    auto_lock_minutes: Option<u32>,
    /// How purchase history may be shared.
    #[arg(long, value_enum)]
    purchases: Option<SensitivityArg>,
}

fn backup_passphrase(file: Option<&Path>, confirm: bool) -> Result<zeroize::Zeroizing<String>, CliError> {
    secrets::passphrase(file, "TESSERA_BACKUP_PASSPHRASE", "Backup passphrase", confirm)
}

fn show_recovery(recovery: &RecoverySecret) {
    println!("Your recovery secret (shown this once; write it down and keep it somewhere safe):");
    println!();
    println!("    {}", recovery.display().as_str());
    println!();
    println!("With it you can set a new passphrase if you forget yours: `tessera vault recover`.");
}

pub fn run(command: VaultCommand, args: &VaultArgs, now: i64) -> Result<(), CliError> {
    match command {
        VaultCommand::Init => init(args),
        VaultCommand::Status => status(args, now),
        VaultCommand::Passphrase { new_passphrase_file } => change_passphrase(args, new_passphrase_file.as_deref()),
        VaultCommand::Recover { recovery_secret_file, new_passphrase_file } => {
            recover(args, recovery_secret_file.as_deref(), new_passphrase_file.as_deref())
        }
        VaultCommand::RotateKey => rotate_key(args),
        VaultCommand::Fact(command) => fact::run(command, args),
        VaultCommand::Purchase(command) => purchase::run(command, args),
        VaultCommand::Backup { out, backup_passphrase_file } => {
            backup(args, &out, backup_passphrase_file.as_deref(), now)
        }
        VaultCommand::Restore { backup, backup_passphrase_file } => {
            restore(args, &backup, backup_passphrase_file.as_deref())
        }
        VaultCommand::Export { out, export_passphrase_file } => {
            export(args, &out, export_passphrase_file.as_deref(), now)
        }
        VaultCommand::Settings(changes) => settings(args, changes),
    }
}

fn init(args: &VaultArgs) -> Result<(), CliError> {
    let passphrase = args.passphrase("Choose a vault passphrase", true)?;
    println!("Passphrase strength: {}/4", tessera_vault::keys::passphrase_strength(&passphrase));
    let (_, recovery) = Vault::create(&args.dir(), &passphrase)?;
    println!("Created your vault in {}", args.dir().display());
    show_recovery(&recovery);
    Ok(())
}

fn status(args: &VaultArgs, now: i64) -> Result<(), CliError> {
    let vault = args.unlock()?;
    println!("Vault: {}", vault.dir().display());
    println!("Facts: {}", vault.facts()?.len());
    println!("Purchases: {}", vault.purchase_count()?);
    println!("Packets shared: {}", vault.ledger(now)?.len());
    let settings = vault.settings()?;
    println!(
        "Language: {}; auto-lock after {} min; purchases: {}",
        settings.language.as_deref().unwrap_or("system"),
        settings.auto_lock_minutes,
        settings.purchases_sensitivity.as_str()
    );
    Ok(())
}

fn change_passphrase(args: &VaultArgs, new_passphrase_file: Option<&Path>) -> Result<(), CliError> {
    let current = args.passphrase("Current passphrase", false)?;
    let mut vault = Vault::open(&args.dir())?;
    vault.unlock(&current)?;
    let new = secrets::passphrase(new_passphrase_file, "TESSERA_NEW_PASSPHRASE", "New passphrase", true)?;
    vault.change_passphrase(&current, &new)?;
    println!("The vault passphrase was changed.");
    Ok(())
}

fn recover(
    args: &VaultArgs,
    recovery_secret_file: Option<&Path>,
    new_passphrase_file: Option<&Path>,
) -> Result<(), CliError> {
    let secret = secrets::passphrase(recovery_secret_file, "TESSERA_RECOVERY_SECRET", "Recovery secret", false)?;
    let recovery = RecoverySecret::parse(&secret)?;
    let new = secrets::passphrase(new_passphrase_file, "TESSERA_NEW_PASSPHRASE", "New passphrase", true)?;
    let mut vault = Vault::open(&args.dir())?;
    vault.recover(&recovery, &new)?;
    println!("The vault is open with your new passphrase.");
    Ok(())
}

fn rotate_key(args: &VaultArgs) -> Result<(), CliError> {
    let passphrase = args.passphrase("Vault passphrase", false)?;
    let mut vault = Vault::open(&args.dir())?;
    vault.unlock(&passphrase)?;
    let recovery = vault.rotate_key(&passphrase)?;
    println!("Every record was re-encrypted under a new key. Your old recovery secret no longer works.");
    show_recovery(&recovery);
    Ok(())
}

fn backup(args: &VaultArgs, out: &Path, passphrase_file: Option<&Path>, now: i64) -> Result<(), CliError> {
    let vault = args.unlock()?;
    let passphrase = backup_passphrase(passphrase_file, true)?;
    vault.backup(out, &passphrase, now)?;
    println!("Wrote an encrypted backup to {}", out.display());
    Ok(())
}

/// Restores into the vault, creating it first when there is none.
fn restore(args: &VaultArgs, backup: &Path, passphrase_file: Option<&Path>) -> Result<(), CliError> {
    let mut vault = if Vault::exists(&args.dir()) {
        args.unlock()?
    } else {
        let passphrase = args.passphrase("Choose a vault passphrase", true)?;
        let (vault, recovery) = Vault::create(&args.dir(), &passphrase)?;
        show_recovery(&recovery);
        vault
    };
    let passphrase = backup_passphrase(passphrase_file, false)?;
    let report = vault.restore(backup, &passphrase)?;
    println!(
        "Restored the backup of {}: {} fact(s), {} purchase(s), {} packet(s).",
        show_time(report.created_at),
        report.facts,
        report.purchases,
        report.packets
    );
    Ok(())
}

fn export(args: &VaultArgs, out: &Path, passphrase_file: Option<&Path>, now: i64) -> Result<(), CliError> {
    let vault = args.unlock()?;
    let passphrase = backup_passphrase(passphrase_file, true)?;
    vault.export_all(out, &passphrase, now)?;
    println!("Wrote all your data to {} (open it with `age --decrypt {}`).", out.display(), out.display());
    Ok(())
}

fn settings(args: &VaultArgs, changes: SettingsArgs) -> Result<(), CliError> {
    let mut vault = args.unlock()?;
    let mut settings = vault.settings()?;
    let SettingsArgs { language, auto_lock_minutes, purchases } = changes;
    if language.is_some() || auto_lock_minutes.is_some() || purchases.is_some() {
        if let Some(language) = language {
            settings.language = if language == "system" { None } else { Some(language) };
        }
        if let Some(minutes) = auto_lock_minutes {
            settings.auto_lock_minutes = minutes;
        }
        if let Some(level) = purchases {
            settings.purchases_sensitivity = level.into();
        }
        vault.set_settings(settings.clone())?;
    }
    println!("language: {}", settings.language.as_deref().unwrap_or("system"));
    println!("auto-lock: {} min", settings.auto_lock_minutes);
    println!("purchases: {}", settings.purchases_sensitivity.as_str());
    Ok(())
}
