//! `tessera vault …`: the consumer's encrypted vault — create, unlock, change
//! the passphrase, recover, rotate the key, backups and exports, preferences;
//! profile facts in [`fact`] and purchase history in [`purchase`].
//!
//! Each subcommand is one small function that unlocks the vault
//! (`tessera-vault`), makes one call and prints what happened; every rule
//! lives in the vault. Collections are decrypted when a command first needs
//! them (listing facts never decrypts purchases); what could not be read
//! among them is reported after the command. Replacing a vault (`restore`)
//! is asked on a terminal or needs `--force`, and keeps the replaced vault
//! aside; a new recovery secret (`rotate-key`) is in the person's hands
//! before the old one stops working.

mod fact;
mod purchase;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use tessera_vault::backup::BackupSummary;
use tessera_vault::facts::Sensitivity;
use tessera_vault::keys::KeyRotation;
use tessera_vault::{RecoverySecret, Vault, VaultError};

use crate::secrets::{self, PASSPHRASE_ENV};
use crate::{files, say, show_time, CliError};

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

    /// Opens and unlocks the vault; each collection is decrypted when first
    /// needed. Says what the unlock did besides (money received moved apart,
    /// a safety copy removed).
    pub fn unlock(&self) -> Result<Vault, CliError> {
        let mut vault = Vault::open(&self.dir())?;
        vault.unlock_on_demand(&self.passphrase("Vault passphrase", false)?)?;
        tell_unlock_notes(&vault)?;
        Ok(vault)
    }
}

/// Notes about what an unlock did, on standard error.
fn tell_unlock_notes(vault: &Vault) -> Result<(), CliError> {
    let notes = vault.unlock_notes()?;
    if let Some(moved) = notes.moved_to_credits {
        eprintln!(
            "note: {} negative amount(s) an earlier version kept as purchases are now money received, kept apart \
             and never counted ({} identified as refunds from a merchant); see `tessera vault purchase credits`.",
            moved.moved, moved.refunds
        );
    }
    if let Some(copy) = &notes.safety_copy_removed {
        eprintln!(
            "note: the vault replaced by your last restore was kept in {} until now; it is removed.",
            copy.display()
        );
    }
    Ok(())
}

/// After a command: what could not be read among what it decrypted, and how to get it back.
pub fn warn_damage(vault: &Vault) {
    if let Ok(report) = vault.damage_report(false) {
        if !report.is_empty() {
            eprintln!("warning: {report}.");
        }
    }
}

/// Runs `command` on the unlocked vault, then warns about what could not be read.
fn with_vault<T>(args: &VaultArgs, command: impl FnOnce(&mut Vault) -> Result<T, CliError>) -> Result<T, CliError> {
    let mut vault = args.unlock()?;
    let result = command(&mut vault);
    warn_damage(&vault);
    result
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
    /// Show what the vault holds, and what could not be read.
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
    /// Replace the vault key and re-encrypt everything, with a new recovery secret.
    ///
    /// The new secret is in your hands before the old one stops working: shown
    /// on the terminal and confirmed by typing back one of its groups, or
    /// written to a new file you name.
    RotateKey {
        /// Write the new recovery secret to this new file (readable by you only) instead of showing it.
        #[arg(long)]
        recovery_secret_out: Option<PathBuf>,
    },
    /// Profile facts.
    #[command(subcommand)]
    Fact(fact::FactCommand),
    /// Purchase history, and money received kept apart.
    #[command(subcommand)]
    Purchase(purchase::PurchaseCommand),
    /// Write an encrypted backup of the whole vault.
    Backup {
        /// Where to write the backup (an existing file is kept unless --force)
        #[arg(long)]
        out: PathBuf,
        /// Read the backup passphrase from this file (else $TESSERA_BACKUP_PASSPHRASE, else asked).
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
        /// Replace the file at --out if there is one
        #[arg(long)]
        force: bool,
    },
    /// Replace the vault's content with a backup (creating the vault if there is none).
    ///
    /// The vault as it was is kept in its folder `replaced-by-restore` until
    /// the next successful unlock. A vault that cannot be opened because it is
    /// damaged is set aside there, and the backup restored into a new one.
    Restore {
        backup: PathBuf,
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
        /// Replace the vault without asking (needed when there is no terminal to ask on).
        #[arg(long)]
        force: bool,
    },
    /// Write all my data as readable JSON, in a passphrase-protected age file (`age -d FILE` opens it).
    Export {
        /// Where to write the export (an existing file is kept unless --force)
        #[arg(long)]
        out: PathBuf,
        /// Read the export passphrase from this file (else $TESSERA_BACKUP_PASSPHRASE, else asked).
        #[arg(long)]
        export_passphrase_file: Option<PathBuf>,
        /// Replace the file at --out if there is one
        #[arg(long)]
        force: bool,
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

fn show_recovery(recovery: &RecoverySecret) -> Result<(), CliError> {
    say!("Your recovery secret (shown this once; write it down and keep it somewhere safe):")?;
    say!()?;
    say!("    {}", recovery.display().as_str())?;
    say!()?;
    say!("With it you can set a new passphrase if you forget yours: `tessera vault recover`.")
}

pub fn run(command: VaultCommand, args: &VaultArgs, now: i64) -> Result<(), CliError> {
    match command {
        VaultCommand::Init => init(args),
        // Status says what is damaged itself, on standard output.
        VaultCommand::Status => status(&mut args.unlock()?, now),
        VaultCommand::Passphrase { new_passphrase_file } => change_passphrase(args, new_passphrase_file.as_deref()),
        VaultCommand::Recover { recovery_secret_file, new_passphrase_file } => {
            recover(args, recovery_secret_file.as_deref(), new_passphrase_file.as_deref())
        }
        VaultCommand::RotateKey { recovery_secret_out } => rotate_key(args, recovery_secret_out.as_deref()),
        VaultCommand::Fact(command) => with_vault(args, |vault| fact::run(command, vault)),
        VaultCommand::Purchase(command) => with_vault(args, |vault| purchase::run(command, vault)),
        VaultCommand::Backup { out, backup_passphrase_file, force } => {
            keep_existing(&out, force)?;
            with_vault(args, |vault| backup(vault, &out, backup_passphrase_file.as_deref(), now))
        }
        VaultCommand::Restore { backup, backup_passphrase_file, force } => {
            restore(args, &backup, backup_passphrase_file.as_deref(), force, now)
        }
        VaultCommand::Export { out, export_passphrase_file, force } => {
            keep_existing(&out, force)?;
            with_vault(args, |vault| export(vault, &out, export_passphrase_file.as_deref(), now))
        }
        VaultCommand::Settings(changes) => with_vault(args, |vault| settings(vault, changes)),
    }
}

/// A backup or an export never replaces a file silently (it may be an older backup).
fn keep_existing(out: &Path, force: bool) -> Result<(), CliError> {
    if out.exists() && !force {
        return Err(CliError::File {
            path: out.to_owned(),
            detail: "a file is already there (an earlier backup?); nothing was written: choose another name, or add \
                     --force to replace it"
                .into(),
        });
    }
    Ok(())
}

fn init(args: &VaultArgs) -> Result<(), CliError> {
    let passphrase = args.passphrase("Choose a vault passphrase", true)?;
    say!("Passphrase strength: {}/4", tessera_vault::keys::passphrase_strength(&passphrase))?;
    let (_, recovery) = Vault::create(&args.dir(), &passphrase)?;
    say!("Created your vault in {}", args.dir().display())?;
    show_recovery(&recovery)
}

fn status(vault: &mut Vault, now: i64) -> Result<(), CliError> {
    let damage = vault.damage_report(true)?;
    say!("Vault: {}", vault.dir().display())?;
    say!("Facts: {}", vault.facts()?.len())?;
    say!("Purchases: {}", vault.purchase_count()?)?;
    say!("Money received (kept apart): {}", vault.credit_count()?)?;
    say!("Packets shared: {}", vault.ledger(now)?.len())?;
    let settings = vault.settings()?;
    say!(
        "Language: {}; auto-lock after {} min; purchases: {}",
        settings.language.as_deref().unwrap_or("system"),
        settings.auto_lock_minutes,
        settings.purchases_sensitivity.as_str()
    )?;
    if damage.is_empty() {
        say!("Nothing is damaged.")
    } else {
        say!("Damaged: {damage}.")
    }
}

fn change_passphrase(args: &VaultArgs, new_passphrase_file: Option<&Path>) -> Result<(), CliError> {
    let current = args.passphrase("Current passphrase", false)?;
    let mut vault = Vault::open(&args.dir())?;
    vault.unlock_on_demand(&current)?;
    tell_unlock_notes(&vault)?;
    let new = secrets::passphrase(new_passphrase_file, "TESSERA_NEW_PASSPHRASE", "New passphrase", true)?;
    vault.change_passphrase(&current, &new)?;
    say!("The vault passphrase was changed.")
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
    tell_unlock_notes(&vault)?;
    warn_damage(&vault);
    say!("The vault is open with your new passphrase.")
}

/// Replaces the vault key; the new recovery secret is handed over first, or nothing changes.
fn rotate_key(args: &VaultArgs, recovery_secret_out: Option<&Path>) -> Result<(), CliError> {
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if recovery_secret_out.is_none() && !interactive {
        return Err(CliError::Usage(
            "rotate-key gives you a new recovery secret before your old one stops working: run it in a terminal \
             to see it and type part of it back, or give --recovery-secret-out FILE; nothing was changed"
                .into(),
        ));
    }
    if let Some(path) = recovery_secret_out {
        if path.exists() {
            return Err(CliError::File {
                path: path.to_owned(),
                detail: "already exists (it may hold your current recovery secret): name a new file; nothing was \
                         changed"
                    .into(),
            });
        }
    }
    let passphrase = args.passphrase("Vault passphrase", false)?;
    let mut vault = Vault::open(&args.dir())?;
    vault.unlock_on_demand(&passphrase)?;
    tell_unlock_notes(&vault)?;
    let rotation = vault.prepare_key_rotation(&passphrase)?;
    match recovery_secret_out {
        Some(path) => {
            hand_over_in_file(&rotation, path)?;
            if let Err(e) = vault.commit_key_rotation(rotation) {
                let _ = std::fs::remove_file(path);
                return Err(e.into());
            }
            say!("Every record was re-encrypted under a new key. Your old recovery secret no longer works.")?;
            say!(
                "Your new recovery secret is in {}: print it or copy it somewhere safe, away from this computer, then delete the file.",
                path.display()
            )
        }
        None => {
            hand_over_on_terminal(&rotation)?;
            vault.commit_key_rotation(rotation)?;
            say!("Every record was re-encrypted under a new key. Your old recovery secret no longer works.")
        }
    }
}

/// Writes the new recovery secret to a new file (readable by its owner only) and reads it back.
fn hand_over_in_file(rotation: &KeyRotation, path: &Path) -> Result<(), CliError> {
    let shown = rotation.recovery_secret().display();
    let content = zeroize::Zeroizing::new(format!("{}\n", shown.as_str()));
    let not_written = |detail: String| CliError::File {
        path: path.to_owned(),
        detail: format!("{detail}; nothing was changed, your current recovery secret still works"),
    };
    files::write_private(path, content.as_bytes()).map_err(|e| match e {
        VaultError::File { detail, .. } => not_written(detail),
        other => not_written(other.to_string()),
    })?;
    let back = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| not_written(e.to_string()))?);
    if back.as_slice() != content.as_bytes() {
        let _ = std::fs::remove_file(path);
        return Err(not_written("the file does not read back as written".into()));
    }
    Ok(())
}

/// Shows the new recovery secret and has one of its groups typed back.
fn hand_over_on_terminal(rotation: &KeyRotation) -> Result<(), CliError> {
    let shown = rotation.recovery_secret().display();
    let groups: Vec<&str> = shown.split('-').collect();
    let not_shown = |e: CliError| match e {
        CliError::Output(e) => CliError::Usage(format!(
            "cannot show the new recovery secret ({e}); nothing was changed, your current recovery secret still works"
        )),
        other => other,
    };
    (|| {
        say!("Your new recovery secret (write it down now and keep it somewhere safe):")?;
        say!()?;
        say!("    {}", shown.as_str())?;
        say!()
    })()
    .map_err(not_shown)?;
    let mut random = [0u8; 1];
    tessera_protocol::encoding::fill_random(&mut random);
    let asked = 1 + usize::from(random[0]) % (groups.len() - 1);
    for _ in 0..3 {
        print!("To check you have it, type group {} of {} (the {} after the first): ", asked + 1, groups.len(), asked);
        std::io::stdout().flush().map_err(|e| not_shown(CliError::Output(e)))?;
        let mut typed = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut typed)
            .map_err(|e| CliError::Usage(format!("cannot read your answer ({e}); nothing was changed")))?;
        if typed.trim().eq_ignore_ascii_case(groups[asked]) {
            return Ok(());
        }
        say!("That is not group {}; look again.", asked + 1)?;
    }
    Err(CliError::Usage(
        "the new recovery secret was not confirmed: nothing was changed, your current recovery secret still works"
            .into(),
    ))
}

fn backup(vault: &mut Vault, out: &Path, passphrase_file: Option<&Path>, now: i64) -> Result<(), CliError> {
    let passphrase = backup_passphrase(passphrase_file, true)?;
    vault.backup(out, &passphrase, now)?;
    say!("Wrote an encrypted backup to {}", out.display())
}

fn describe_summary(summary: &BackupSummary) -> String {
    format!(
        "{} fact(s), {} purchase(s), {} sum(s) of money received, {} packet(s)",
        summary.facts, summary.purchases, summary.credits, summary.packets
    )
}

/// Asks on the terminal whether to go on; without a terminal, `--force` is needed.
fn confirm(question: &str, force: bool) -> Result<(), CliError> {
    if force {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{question} There is no terminal to ask on: add --force to go ahead. Nothing was changed."
        )));
    }
    eprint!("{question} Type yes to go ahead: ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::Usage(format!("cannot read your answer ({e}); nothing was changed")))?;
    if matches!(answer.trim().to_lowercase().as_str(), "yes" | "oui" | "y" | "o") {
        Ok(())
    } else {
        Err(CliError::Usage("not confirmed: nothing was changed".into()))
    }
}

/// Whether an error means the vault itself cannot be opened (damaged), rather than a wrong passphrase.
fn vault_damaged(error: &VaultError) -> bool {
    matches!(error, VaultError::Corrupt { .. } | VaultError::HeaderDamaged { .. } | VaultError::KeyslotDamaged { .. })
}

/// Restores into the vault after asking (a damaged vault is set aside), creating it first when there is none.
fn restore(
    args: &VaultArgs,
    backup: &Path,
    passphrase_file: Option<&Path>,
    force: bool,
    now: i64,
) -> Result<(), CliError> {
    let dir = args.dir();
    let backup_passphrase = backup_passphrase(passphrase_file, false)?;
    let checked = Vault::open_backup(backup, &backup_passphrase)?;
    let summary = checked.summary();
    let from = format!("the backup of {} ({})", show_time(summary.created_at), describe_summary(&summary));
    let mut set_aside = None;
    let opened = if Vault::exists(&dir) {
        let passphrase = args.passphrase("Vault passphrase", false)?;
        let opened = Vault::open(&dir).and_then(|mut vault| vault.unlock_on_demand(&passphrase).map(|()| vault));
        match opened {
            Ok(vault) => Some(vault),
            Err(e) if vault_damaged(&e) => {
                confirm(
                    &format!(
                        "The vault in {} cannot be opened: {e}. Restoring sets it aside in {}/{} and puts {from} in a new vault.",
                        dir.display(),
                        dir.display(),
                        tessera_vault::vault::SAFETY_COPY_DIR
                    ),
                    force,
                )?;
                set_aside = Some(Vault::set_aside(&dir)?);
                None
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    if let Some(vault) = &opened {
        tell_unlock_notes(vault)?;
    }
    let mut vault = match opened {
        Some(vault) if vault.holds_nothing()? => vault,
        Some(vault) => {
            confirm(
                &format!(
                    "Restoring replaces everything in your vault ({} fact(s), {} purchase(s), {} sum(s) of money received, {} packet(s)) with {from}.",
                    vault.facts()?.len(),
                    vault.purchase_count()?,
                    vault.credit_count()?,
                    vault.ledger(now)?.len()
                ),
                force,
            )?;
            vault
        }
        None => {
            let passphrase = args.passphrase("Choose a vault passphrase", true)?;
            let (vault, recovery) = Vault::create(&dir, &passphrase)?;
            show_recovery(&recovery)?;
            vault
        }
    };
    let report = vault.restore_backup(checked)?;
    say!(
        "Restored the backup of {}: {} fact(s), {} purchase(s), {} sum(s) of money received, {} packet(s).",
        show_time(report.created_at),
        report.facts,
        report.purchases,
        report.credits,
        report.packets
    )?;
    if report.held > 0 {
        say!(
            "{} item(s) waited to be sent when this backup was made: they are held, not sent by themselves (you may have revoked since). `tessera consent outbox` lists them; `tessera consent send` sends them; `tessera consent revoke PACKET --send` withdraws a packet.",
            report.held
        )?;
    }
    if let Some(moved) = report.moved_to_credits.filter(|m| m.moved > 0) {
        say!(
            "{} negative amount(s) of this older backup are money received, kept apart ({} refund(s) from a merchant).",
            moved.moved,
            moved.refunds
        )?;
    }
    if let Some(aside) = &set_aside {
        say!(
            "The damaged vault is kept in {} until your next unlock; to try it: `tessera vault --vault {} status`.",
            aside.display(),
            aside.display()
        )?;
    } else if let Some(copy) = &report.safety_copy {
        let since = if report.safety_copy_kept_from_before { " (from before your earlier restore)" } else { "" };
        say!(
            "The vault as it was{since} is kept in {} until your next unlock; to look at it: `tessera vault --vault {} status`.",
            copy.display(),
            copy.display()
        )?;
    }
    Ok(())
}

fn export(vault: &mut Vault, out: &Path, passphrase_file: Option<&Path>, now: i64) -> Result<(), CliError> {
    let passphrase = backup_passphrase(passphrase_file, true)?;
    vault.export_all(out, &passphrase, now)?;
    say!("Wrote all your data to {} (open it with `age --decrypt {}`).", out.display(), out.display())
}

fn settings(vault: &mut Vault, changes: SettingsArgs) -> Result<(), CliError> {
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
    say!("language: {}", settings.language.as_deref().unwrap_or("system"))?;
    say!("auto-lock: {} min", settings.auto_lock_minutes)?;
    say!("purchases: {}", settings.purchases_sensitivity.as_str())
}
