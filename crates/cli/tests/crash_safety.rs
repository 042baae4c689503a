//! A `tessera` process killed with SIGKILL at many points of a 10,000-row
//! import and of a passphrase change: each time the vault opens, passes
//! SQLite's integrity check, and has lost nothing that had been committed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tessera_vault::Vault;

const PASSPHRASE: &str = "the first long passphrase";
const ROWS: usize = 10_000;

fn tessera(vault: &Path, passphrase: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .args(args)
        .env("TESSERA_VAULT_DIR", vault)
        .env("TESSERA_PASSPHRASE", passphrase)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn big_csv(path: &Path, batch: usize) {
    let mut csv = String::from("Date;Libellé;Montant;Catégorie\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "{:02}/{:02}/2026;Magasin {batch}-{i};-{},{:02};courses\n",
            i % 28 + 1,
            i % 12 + 1,
            i % 500 + 1,
            i % 100
        ));
    }
    std::fs::write(path, csv).unwrap();
}

/// Runs `command` to completion and returns how long it took.
fn timed(mut command: Command) -> Duration {
    let started = Instant::now();
    assert!(command.status().unwrap().success());
    started.elapsed()
}

/// Starts `command`, kills it with SIGKILL after `delay` (if still running), and waits for it.
fn kill_after(mut command: Command, delay: Duration) -> bool {
    let mut child = command.spawn().unwrap();
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    if !finished {
        child.kill().unwrap();
    }
    child.wait().unwrap();
    !finished
}

fn open_checked(dir: &Path, passphrase: &str) -> Result<Vault, tessera_vault::VaultError> {
    let mut vault = Vault::open(dir)?;
    vault.integrity_check()?;
    vault.unlock(passphrase)?;
    assert!(vault.damaged_records()?.is_empty(), "no record is half-written");
    Ok(vault)
}

#[test]
fn killing_an_import_at_any_point_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    Vault::create(&vault_dir, PASSPHRASE).unwrap();
    big_csv(&dir.path().join("calibrate.csv"), 999);
    let full = timed(tessera(
        &vault_dir,
        PASSPHRASE,
        &["vault", "purchase", "import", dir.path().join("calibrate.csv").to_str().unwrap()],
    ));
    let mut expected = ROWS;
    let mut killed = 0;
    let points = 16;
    for point in 0..points {
        let csv = dir.path().join(format!("batch{point}.csv"));
        big_csv(&csv, point);
        let delay = full.mul_f64(1.1 * point as f64 / points as f64);
        killed += usize::from(kill_after(
            tessera(&vault_dir, PASSPHRASE, &["vault", "purchase", "import", csv.to_str().unwrap()]),
            delay,
        ));
        let vault = open_checked(&vault_dir, PASSPHRASE).unwrap();
        let count = vault.purchase_count().unwrap();
        assert!(
            count == expected || count == expected + ROWS,
            "after a kill at {delay:?}: {count} purchases, expected {expected} or {}",
            expected + ROWS
        );
        expected = count;
    }
    assert!(killed >= points / 2, "most runs were really killed mid-way ({killed} of {points})");
}

#[test]
fn killing_a_passphrase_change_leaves_the_old_or_the_new_passphrase_working() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let (mut vault, _) = Vault::create(&vault_dir, PASSPHRASE).unwrap();
    vault
        .set_fact(
            "email".parse().unwrap(),
            serde_json::json!("ana@example.org"),
            tessera_vault::facts::Sensitivity::AskMe,
        )
        .unwrap();
    drop(vault);
    let passphrases = ["the first long passphrase", "the second long passphrase"];
    for (i, p) in passphrases.iter().enumerate() {
        std::fs::write(dir.path().join(format!("p{i}")), p).unwrap();
    }
    let change = |from: usize| {
        let to = dir.path().join(format!("p{}", 1 - from));
        tessera(&vault_dir, passphrases[from], &["vault", "passphrase", "--new-passphrase-file", to.to_str().unwrap()])
    };
    let full = timed(change(0));
    let mut current = 1;
    let mut killed = 0;
    let points = 16;
    for point in 0..points {
        let delay = full.mul_f64(1.1 * point as f64 / points as f64);
        killed += usize::from(kill_after(change(current), delay));
        let opened_with = passphrases.iter().position(|p| open_checked(&vault_dir, p).is_ok());
        let Some(opened_with) = opened_with else {
            panic!("after a kill at {delay:?} neither passphrase opens the vault")
        };
        let vault = open_checked(&vault_dir, passphrases[opened_with]).unwrap();
        assert_eq!(vault.facts().unwrap().len(), 1, "nothing was lost");
        current = opened_with;
    }
    assert!(killed >= points / 2, "most runs were really killed mid-way ({killed} of {points})");
}
