//! A vault and a backup written by the previous Tessera (schema 1, backup
//! version 1: money received stored as negative purchases), made by that
//! version's own `tessera` command (`tests/fixtures/schema1/README.md`). They
//! open without reinterpreting anything silently: negative amounts become
//! money received, said once, refunds from a merchant bought from are
//! recognised, and everything else reads as before.

mod support;

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use support::*;
use tessera_vault::purchases::{LegacyCredits, PurchaseFilter};
use tessera_vault::{RecoverySecret, Vault};

const OLD_PASSPHRASE: &str = "the passphrase of an older vault";
const OLD_BACKUP_PASSPHRASE: &str = "the backup passphrase of an older vault";

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

/// A copy of the schema-1 vault, with the loose permissions that version left.
fn old_vault(dir: &Path) -> PathBuf {
    let vault_dir = dir.join("vault");
    std::fs::create_dir_all(&vault_dir).unwrap();
    std::fs::write(vault_dir.join("vault.db"), fixture("schema1/vault.db")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&vault_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(vault_dir.join("vault.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    vault_dir
}

#[test]
fn negative_purchases_of_an_older_vault_become_money_received_once_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = old_vault(dir.path());
    let mut vault = Vault::open(&vault_dir).unwrap();
    vault.unlock(OLD_PASSPHRASE).unwrap();
    assert_eq!(vault.unlock_notes().unwrap().moved_to_credits, Some(LegacyCredits { moved: 4, refunds: 2 }));
    assert!(vault.damaged_records().unwrap().is_empty());

    let page = vault.purchases(&PurchaseFilter::default(), 0, 100).unwrap();
    assert_eq!(page.total_matching, 7);
    assert!(page.rows.iter().all(|r| r.purchase.amount > Decimal::ZERO));
    let credits = vault.credits().unwrap();
    let summary: Vec<(&str, Decimal, Option<&str>)> = credits
        .iter()
        .map(|c| (c.credit.label.as_str(), c.credit.amount, c.credit.refund_of.as_ref().map(|r| r.merchant.as_str())))
        .collect();
    assert_eq!(
        summary,
        [
            ("Decathlon", dec("15"), Some("Decathlon")),
            ("REMBOURSEMENT FNAC", dec("19.99"), Some("FNAC BELLECOUR")),
            ("CAF ALLOCATIONS", dec("312.45"), None),
            ("VIR SEPA SALAIRE MARS ACME", dec("2350.00"), None),
        ]
    );
    assert_eq!(credits[0].credit.refund_of.as_ref().unwrap().category, "clothing", "the category the person kept");

    // Totals no longer count the salary or the benefit; refunds offset their merchant's category.
    let totals = vault.purchase_totals(&PurchaseFilter::default()).unwrap();
    assert!(totals.by_category.iter().all(|t| t.total >= Decimal::ZERO), "{totals:?}");
    let all: Decimal = totals.by_category.iter().map(|t| t.total).sum();
    assert_eq!(all, dec("301.60") - dec("19.99") - dec("15"));
    assert!(totals.by_category.iter().all(|t| t.category != "other"), "nothing received is spending");

    // Everything else reads as before: facts, the packet shared, the preferences.
    assert_eq!(vault.facts().unwrap().len(), 2);
    assert_eq!(vault.ledger(NOW).unwrap().len(), 1);

    // The move happened once: a second unlock has nothing to say.
    drop(vault);
    let mut vault = Vault::open(&vault_dir).unwrap();
    vault.unlock(OLD_PASSPHRASE).unwrap();
    assert_eq!(vault.unlock_notes().unwrap().moved_to_credits, None);
    assert_eq!((vault.purchase_count().unwrap(), vault.credit_count().unwrap()), (7, 4));
    let conn = rusqlite::Connection::open(vault_dir.join("vault.db")).unwrap();
    let old: i64 = conn
        .query_row("SELECT count(*) FROM records WHERE kind = 'purchase' AND schema_version < 2", [], |r| r.get(0))
        .unwrap();
    assert_eq!(old, 0, "every purchase is sealed under the current schema");
    let checks: (Option<String>, Option<String>) = conn
        .query_row("SELECT passphrase_check, recovery_check FROM vault", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert!(checks.0.is_some() && checks.1.is_some(), "the keyslots got their checks at the first unlock");
}

#[test]
fn an_older_vault_file_is_made_private_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = old_vault(dir.path());
    Vault::open(&vault_dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&vault_dir), 0o700);
        assert_eq!(mode(&vault_dir.join("vault.db")), 0o600);
    }
}

#[test]
fn the_recovery_secret_of_an_older_vault_still_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = old_vault(dir.path());
    let secret = String::from_utf8(fixture("schema1/recovery-secret.txt")).unwrap();
    let mut vault = Vault::open(&vault_dir).unwrap();
    vault.recover(&RecoverySecret::parse(&secret).unwrap(), "a new passphrase for it").unwrap();
    assert_eq!(vault.unlock_notes().unwrap().moved_to_credits, Some(LegacyCredits { moved: 4, refunds: 2 }));
    assert_eq!(vault.purchase_count().unwrap(), 7);
}

#[test]
fn a_backup_of_version_1_is_restored_with_money_received_apart() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backup-v1.age"), fixture("schema1/backup-v1.age")).unwrap();
    let checked = Vault::open_backup(&dir.path().join("backup-v1.age"), OLD_BACKUP_PASSPHRASE).unwrap();
    let summary = checked.summary();
    assert_eq!((summary.facts, summary.purchases, summary.credits, summary.packets), (2, 7, 4, 1));
    assert_eq!(summary.moved_to_credits, Some(LegacyCredits { moved: 4, refunds: 2 }));
    let (mut vault, _) = new_vault(dir.path());
    let report = vault.restore_backup(checked).unwrap();
    assert_eq!(report.safety_copy, None, "a new, empty vault is not copied aside");
    assert_eq!((vault.purchase_count().unwrap(), vault.credit_count().unwrap()), (7, 4));
    let totals = vault.purchase_totals(&PurchaseFilter::default()).unwrap();
    assert!(totals.by_category.iter().all(|t| t.total >= Decimal::ZERO), "{totals:?}");
}
