//! The vault commands that could lose something, run as real processes: a key
//! rotation killed at any point, or shown to an output that cannot take it,
//! never leaves the person without a working recovery secret; a restore asks
//! on a terminal; a listing cut short by its reader ends quietly.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tessera_vault::purchases::Purchase;
use tessera_vault::{RecoverySecret, Vault, VaultError};

const PASSPHRASE: &str = "the first long passphrase";

fn tessera(vault: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .args(args)
        .env("TESSERA_VAULT_DIR", vault)
        .env("TESSERA_PASSPHRASE", PASSPHRASE)
        .env("TESSERA_BACKUP_PASSPHRASE", "a long backup passphrase")
        .env_remove("TESSERA_NOW")
        .stdin(Stdio::null());
    command
}

/// Runs `args` on a pseudo-terminal, answering as `mode` says (see tests/interop/terminal.py).
fn on_terminal(vault: &Path, mode: &str, args: &[&str]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/terminal.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(mode)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("TESSERA_VAULT_DIR", vault)
        .env("TESSERA_PASSPHRASE", PASSPHRASE)
        .env("TESSERA_BACKUP_PASSPHRASE", "a long backup passphrase")
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); the README's test command installs it"));
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Which recovery secret opens the vault now: `old`, or the one written in `file`.
fn working_secret(dir: &Path, old: &str, file: &Path) -> String {
    let mut vault = Vault::open(dir).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    vault.lock();
    let written = std::fs::read_to_string(file).ok();
    if let Some(written) = &written {
        let secret = RecoverySecret::parse(written).expect("a secret file is whole or absent");
        match vault.recover(&secret, PASSPHRASE) {
            Ok(()) => return written.trim().to_owned(),
            Err(VaultError::WrongRecoverySecret) => {}
            Err(e) => panic!("{e}"),
        }
    }
    vault
        .recover(&RecoverySecret::parse(old).unwrap(), PASSPHRASE)
        .unwrap_or_else(|e| panic!("neither the old recovery secret nor the file ({written:?}) opens the vault: {e}"));
    old.to_owned()
}

#[test]
fn a_key_rotation_killed_at_any_point_leaves_a_recovery_secret_in_hand() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let (mut vault, recovery) = Vault::create(&vault_dir, PASSPHRASE).unwrap();
    for i in 0..2000 {
        vault
            .add_purchase(Purchase {
                date: "2026-03-14".parse().unwrap(),
                merchant: format!("Magasin {i}"),
                amount: "12.50".parse().unwrap(),
                currency: "EUR".into(),
                category: "other".into(),
            })
            .unwrap();
    }
    drop(vault);
    let mut current = recovery.display().to_string();
    let started = Instant::now();
    let calibrate = dir.path().join("calibrate.txt");
    assert!(tessera(&vault_dir, &["vault", "rotate-key", "--recovery-secret-out", calibrate.to_str().unwrap()])
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success());
    let full = started.elapsed();
    current = working_secret(&vault_dir, &current, &calibrate);
    let (mut killed, mut rotated) = (0, 0);
    let points = 14;
    for point in 0..points {
        let file = dir.path().join(format!("secret-{point}.txt"));
        let mut child = tessera(&vault_dir, &["vault", "rotate-key", "--recovery-secret-out", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill points spread over 2.2 times a full run: the early ones land mid-way, the late ones
        // let a run finish even on a machine busy enough to make it twice as slow as the first.
        std::thread::sleep(full.mul_f64(2.2 * point as f64 / points as f64));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        let now = working_secret(&vault_dir, &current, &file);
        rotated += usize::from(now != current);
        current = now;
    }
    assert!(killed >= points / 3, "most runs were really killed mid-way ({killed} of {points})");
    assert!(rotated >= 1, "some runs went through");
}

#[test]
fn a_recovery_secret_that_cannot_be_shown_is_not_put_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let (_, recovery) = Vault::create(&vault_dir, PASSPHRASE).unwrap();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = tessera(&vault_dir, &["vault", "rotate-key"]).stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    let mut vault = Vault::open(&vault_dir).unwrap();
    vault.recover(&recovery, PASSPHRASE).expect("the old recovery secret still works");
}

#[test]
fn on_a_terminal_the_new_recovery_secret_is_shown_and_typed_back_before_it_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let (_, recovery) = Vault::create(&vault_dir, PASSPHRASE).unwrap();

    let (ok, transcript) = on_terminal(&vault_dir, "wrong-group", &["vault", "rotate-key"]);
    assert!(!ok, "{transcript}");
    assert!(transcript.contains("not confirmed: nothing was changed"), "{transcript}");
    Vault::open(&vault_dir).unwrap().recover(&recovery, PASSPHRASE).expect("the old secret still works");

    let (ok, transcript) = on_terminal(&vault_dir, "confirm-group", &["vault", "rotate-key"]);
    assert!(ok, "{transcript}");
    assert!(transcript.contains("Your old recovery secret no longer works"), "{transcript}");
    let shown = regex_secret(&transcript).expect("the new secret was shown");
    let mut vault = Vault::open(&vault_dir).unwrap();
    assert!(matches!(vault.recover(&recovery, PASSPHRASE), Err(VaultError::WrongRecoverySecret)));
    vault.recover(&RecoverySecret::parse(&shown).unwrap(), PASSPHRASE).expect("the secret shown works");
}

/// The recovery secret a transcript shows (13 groups of 4).
fn regex_secret(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.len() == 64 && w.split('-').count() == 13 && w.split('-').all(|g| g.len() == 4))
        .map(str::to_owned)
}

#[test]
fn a_restore_over_newer_data_is_asked_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let backup = dir.path().join("backup.age");
    let (mut vault, _) = Vault::create(&vault_dir, PASSPHRASE).unwrap();
    vault
        .set_fact(
            "email".parse().unwrap(),
            serde_json::json!("ana@example.org"),
            tessera_vault::facts::Sensitivity::AskMe,
        )
        .unwrap();
    vault.backup(&backup, "a long backup passphrase", 1_795_000_000).unwrap();
    vault
        .set_fact("given_name".parse().unwrap(), serde_json::json!("Ana"), tessera_vault::facts::Sensitivity::AskMe)
        .unwrap();
    drop(vault);
    let backup_arg = backup.to_str().unwrap();

    let (ok, transcript) = on_terminal(&vault_dir, "answer:no", &["vault", "restore", backup_arg]);
    assert!(!ok, "{transcript}");
    assert!(transcript.contains("Restoring replaces everything in your vault (2 fact(s)"), "{transcript}");
    assert!(transcript.contains("not confirmed: nothing was changed"), "{transcript}");
    let facts = |dir: &PathBuf| {
        let mut vault = Vault::open(dir).unwrap();
        vault.unlock(PASSPHRASE).unwrap();
        vault.facts().unwrap().len()
    };
    assert_eq!(facts(&vault_dir), 2);

    let (ok, transcript) = on_terminal(&vault_dir, "answer:yes", &["vault", "restore", backup_arg]);
    assert!(ok, "{transcript}");
    assert!(transcript.contains("is kept in"), "{transcript}");
    assert_eq!(facts(&vault_dir.join("replaced-by-restore")), 2, "the replaced vault is kept whole");
    assert_eq!(facts(&vault_dir), 1);
    assert!(!vault_dir.join("replaced-by-restore").exists(), "removed at the next successful unlock");
}

#[test]
fn a_listing_whose_reader_goes_away_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let (mut vault, _) = Vault::create(&vault_dir, PASSPHRASE).unwrap();
    for i in 0..3000 {
        vault
            .add_purchase(Purchase {
                date: "2026-03-14".parse().unwrap(),
                merchant: format!("Magasin {i}"),
                amount: "12.50".parse().unwrap(),
                currency: "EUR".into(),
                category: "other".into(),
            })
            .unwrap();
    }
    drop(vault);
    for args in [&["vault", "purchase", "list", "--all"][..], &["vault", "purchase", "list", "--all", "--json"]] {
        // `tessera … | head -1`: the reader takes one line and closes the pipe.
        let mut child = tessera(&vault_dir, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(first.contains("Magasin"), "{first}");
        assert!(output.status.success(), "{:?} {stderr}", output.status);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A reader that waits a moment before going away, as a slow pipe does.
    let mut child =
        tessera(&vault_dir, &["vault", "purchase", "list", "--all"]).stdout(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(child.stdout.take());
    assert!(child.wait().unwrap().success());
}
