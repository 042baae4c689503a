//! Unlocking, passphrases, recovery, rotation, and damaged records.

mod support;

use serde_json::json;
use support::*;
use tessera_vault::facts::Sensitivity;
use tessera_vault::{RecoverySecret, Vault, VaultError};

#[test]
fn a_vault_opens_with_its_passphrase_and_forgets_everything_when_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    vault.lock();
    assert!(matches!(vault.facts(), Err(VaultError::Locked)));
    assert!(matches!(vault.unlock("not the passphrase"), Err(VaultError::WrongPassphrase)));
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.facts().unwrap()[0].value, json!("ana@example.org"));
    drop(vault);
    let mut reopened = Vault::open(&dir.path().join("vault")).unwrap();
    assert!(!reopened.is_unlocked());
    reopened.unlock(PASSPHRASE).unwrap();
    assert_eq!(reopened.facts().unwrap().len(), 1);
}

#[test]
fn weak_passphrases_and_existing_vaults_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Vault::create(&dir.path().join("v"), "short"), Err(VaultError::WeakPassphrase { .. })));
    new_vault(dir.path());
    assert!(matches!(Vault::create(&dir.path().join("vault"), PASSPHRASE), Err(VaultError::VaultExists { .. })));
    assert!(matches!(Vault::open(&dir.path().join("nowhere")), Err(VaultError::NoVault { .. })));
}

#[test]
fn a_changed_passphrase_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    assert!(matches!(
        vault.change_passphrase("wrong passphrase", "a new long passphrase"),
        Err(VaultError::WrongPassphrase)
    ));
    vault.change_passphrase(PASSPHRASE, "a new long passphrase").unwrap();
    vault.lock();
    assert!(matches!(vault.unlock(PASSPHRASE), Err(VaultError::WrongPassphrase)));
    vault.unlock("a new long passphrase").unwrap();
}

#[test]
fn the_recovery_secret_sets_a_new_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, recovery) = new_vault(dir.path());
    vault.set_fact("given_name".parse().unwrap(), json!("Ana"), Sensitivity::ShareFreely).unwrap();
    let shown = recovery.display();
    drop(vault);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    let wrong = RecoverySecret::parse("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA").unwrap();
    assert!(matches!(vault.recover(&wrong, "forgotten no more"), Err(VaultError::WrongRecoverySecret)));
    vault.recover(&RecoverySecret::parse(&shown).unwrap(), "forgotten no more").unwrap();
    assert_eq!(vault.facts().unwrap()[0].value, json!("Ana"));
    vault.lock();
    vault.unlock("forgotten no more").unwrap();
}

#[test]
fn key_rotation_reseals_every_record_and_issues_a_new_recovery_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, old_recovery) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    let rotation = vault.prepare_key_rotation(PASSPHRASE).unwrap();
    vault.lock();
    drop(rotation);
    vault.recover(&old_recovery, PASSPHRASE).unwrap();
    assert!(vault.damaged_records().unwrap().is_empty(), "a rotation prepared and dropped changes nothing");
    let rotation = vault.prepare_key_rotation(PASSPHRASE).unwrap();
    let new_recovery = RecoverySecret::parse(&rotation.recovery_secret().display()).unwrap();
    vault.commit_key_rotation(rotation).unwrap();
    vault.set_fact("given_name".parse().unwrap(), json!("Ana"), Sensitivity::AskMe).unwrap();
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.facts().unwrap().len(), 2);
    assert!(vault.damaged_records().unwrap().is_empty());
    vault.lock();
    assert!(matches!(vault.recover(&old_recovery, "another long passphrase"), Err(VaultError::WrongRecoverySecret)));
    vault.recover(&new_recovery, "another long passphrase").unwrap();
}

fn raw_connection(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("vault").join("vault.db")).unwrap()
}

#[test]
fn a_flipped_byte_or_a_moved_record_is_reported_and_the_rest_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    vault.set_fact("given_name".parse().unwrap(), json!("Ana"), Sensitivity::AskMe).unwrap();
    vault.set_fact("family_name".parse().unwrap(), json!("Martin"), Sensitivity::AskMe).unwrap();
    drop(vault);
    {
        let conn = raw_connection(dir.path());
        let rows: Vec<(Vec<u8>, Vec<u8>)> = conn
            .prepare("SELECT id, sealed FROM records WHERE kind = 'fact'")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // One byte flipped in the first fact's ciphertext…
        let mut flipped = rows[0].1.clone();
        flipped[20] ^= 0x01;
        conn.execute("UPDATE records SET sealed = ?1 WHERE id = ?2", rusqlite::params![flipped, rows[0].0]).unwrap();
        // …and the third fact's ciphertext copied over the second's row.
        conn.execute("UPDATE records SET sealed = ?1 WHERE id = ?2", rusqlite::params![rows[2].1, rows[1].0]).unwrap();
    }
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.damaged_records().unwrap().len(), 2, "both tampered records are reported");
    let facts = vault.facts().unwrap();
    assert_eq!(facts.len(), 1, "the untouched fact is still readable");
    // The damaged facts can be entered again.
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
}

#[test]
fn a_vault_from_a_newer_tessera_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    raw_connection(dir.path()).pragma_update(None, "user_version", 99).unwrap();
    let err = Vault::open(&dir.path().join("vault")).unwrap_err();
    assert!(matches!(err, VaultError::NewerSchema { found: 99, .. }), "{err}");
}

#[test]
fn facts_are_typed_and_only_profile_facts_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    assert!(vault.set_fact("birthdate".parse().unwrap(), json!("02/04/1990"), Sensitivity::AskMe).is_err());
    assert!(vault.set_fact("age_range".parse().unwrap(), json!("25-34"), Sensitivity::AskMe).is_err());
    let size = tessera_vault::facts::value_from_text(&"tessera.household_size".parse().unwrap(), "3").unwrap();
    vault.set_fact("tessera.household_size".parse().unwrap(), size, Sensitivity::NeverShare).unwrap();
    vault.set_sensitivity(&"tessera.household_size".parse().unwrap(), Sensitivity::ShareFreely).unwrap();
    assert_eq!(vault.facts().unwrap()[0].sensitivity, Sensitivity::ShareFreely);
    vault.remove_fact(&"tessera.household_size".parse().unwrap()).unwrap();
    assert!(vault.facts().unwrap().is_empty());
}

#[test]
fn a_new_vault_is_readable_by_its_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let vault_dir = dir.path().join("vault");
        let mode = |name: &str| std::fs::metadata(vault_dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(""), 0o700, "the directory");
        for file in ["vault.db", "vault.db-wal", "vault.db-shm"] {
            assert_eq!(mode(file), 0o600, "{file}, while the vault is open");
        }
    }
}

#[test]
fn a_command_decrypts_only_the_collections_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    let purchase = tessera_vault::purchases::PurchaseEntry {
        date: "2026-03-14".into(),
        merchant: "Fnac".into(),
        amount: "12,50".into(),
        currency: "EUR".into(),
        category: None,
    };
    vault.add_purchase(purchase.read().unwrap()).unwrap();
    drop(vault);
    // A purchase that does not open shows whether purchases were decrypted.
    raw_connection(dir.path())
        .execute("UPDATE records SET sealed = zeroblob(length(sealed)) WHERE kind = 'purchase'", [])
        .unwrap();
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock_on_demand(PASSPHRASE).unwrap();
    assert_eq!(vault.facts().unwrap().len(), 1);
    assert!(vault.damaged_records().unwrap().is_empty(), "listing facts decrypted no purchase");
    assert_eq!(vault.purchase_count().unwrap(), 0);
    assert_eq!(vault.damage_report(false).unwrap().lost, [("purchase".to_owned(), 1)]);
    // An unlock for the app decrypts everything at once.
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.damaged_records().unwrap().len(), 1);
}
