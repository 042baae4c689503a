//! Damage on disk: bits flipped and bytes overwritten all over the database
//! file. Each time, the vault opens with every record that is still readable,
//! never reads a changed value, says what was lost, and never calls damage a
//! wrong passphrase.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use rust_decimal::Decimal;
use serde_json::json;
use support::*;
use tessera_vault::facts::Sensitivity;
use tessera_vault::purchases::{Purchase, PurchaseFilter};
use tessera_vault::{Vault, VaultError};

const PURCHASES: usize = 300;

/// A closed vault with facts and purchases; returns its directory and the merchants it holds.
fn made_vault(dir: &Path) -> BTreeSet<String> {
    let (mut vault, _) = new_vault(dir);
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    vault.set_fact("given_name".parse().unwrap(), json!("Ana"), Sensitivity::AskMe).unwrap();
    let mut merchants = BTreeSet::new();
    for i in 0..PURCHASES {
        let merchant = format!("Merchant number {i:04}");
        vault
            .add_purchase(Purchase {
                date: "2026-03-14".parse().unwrap(),
                merchant: merchant.clone(),
                amount: Decimal::new(1000 + i as i64, 2),
                currency: "EUR".into(),
                category: "other".into(),
            })
            .unwrap();
        merchants.insert(merchant);
    }
    drop(vault);
    merchants
}

/// What opening a damaged copy gave.
enum Outcome {
    /// Unlocked: how many purchases were lost, and how many the damage report names.
    Opened { lost: usize, reported: usize },
    /// Refused with an error that says the vault is damaged (checked in [`refused`]).
    Refused,
}

fn open_damaged(dir: &Path, merchants: &BTreeSet<String>) -> Outcome {
    let vault_dir = dir.join("vault");
    let mut vault = match Vault::open(&vault_dir) {
        Ok(vault) => vault,
        Err(e) => return refused(e),
    };
    if let Err(e) = vault.unlock(PASSPHRASE) {
        return refused(e);
    }
    let page = vault.purchases(&PurchaseFilter::default(), 0, usize::MAX).unwrap();
    for row in &page.rows {
        let p = &row.purchase;
        assert!(merchants.contains(&p.merchant), "a changed value was read: {p:?}");
        let i: i64 = p.merchant[16..].parse().unwrap();
        assert_eq!(p.amount, Decimal::new(1000 + i, 2), "a changed amount was read");
    }
    let report = vault.damage_report(true).unwrap();
    let reported = report.lost.iter().filter(|(kind, _)| kind == "purchase").map(|(_, n)| n).sum();
    if !report.lost.is_empty() {
        let text = report.to_string();
        assert!(text.contains("could not be read") && text.contains("restore"), "{text}");
    }
    Outcome::Opened { lost: merchants.len() - page.rows.len(), reported }
}

fn refused(e: VaultError) -> Outcome {
    assert!(!matches!(e, VaultError::WrongPassphrase), "damage reported as a wrong passphrase");
    assert!(
        matches!(
            e,
            VaultError::Corrupt { .. }
                | VaultError::HeaderDamaged { .. }
                | VaultError::KeyslotDamaged { .. }
                | VaultError::NewerSchema { .. }
        ),
        "not a damage error: {e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("restore") || text.contains("newer Tessera"), "{text}");
    Outcome::Refused
}

/// Applies `damage` to a copy of the vault file, opens it, and tallies the outcome.
fn run(original: &[u8], merchants: &BTreeSet<String>, positions: &[usize], damage: impl Fn(&mut [u8], usize)) -> Tally {
    let mut tally = Tally::default();
    for &at in positions {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("vault")).unwrap();
        let mut bytes = original.to_vec();
        damage(&mut bytes, at);
        std::fs::write(dir.path().join("vault/vault.db"), &bytes).unwrap();
        match open_damaged(dir.path(), merchants) {
            Outcome::Opened { lost, reported } => {
                tally.opened += 1;
                tally.most_lost = tally.most_lost.max(lost);
                if lost > 0 && reported == 0 {
                    tally.lost_unreported.push(at);
                }
                if lost == 0 {
                    tally.nothing_lost += 1;
                }
            }
            Outcome::Refused => tally.refused.push(at),
        }
    }
    tally
}

#[derive(Default, Debug)]
struct Tally {
    opened: usize,
    nothing_lost: usize,
    most_lost: usize,
    refused: Vec<usize>,
    lost_unreported: Vec<usize>,
}

/// Positions spread over the whole file: `count` of them, from a fixed seed.
fn positions(len: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    (0..count)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Half evenly spaced, half pseudo-random.
            if i % 2 == 0 {
                i * len / count
            } else {
                (state % len as u64) as usize
            }
        })
        .collect()
}

/// The byte ranges whose damage may keep the vault closed: page 1 (SQLite's schema) and the page of
/// the vault header (the wrapped keys).
fn header_pages(dir: &Path, bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let page = page_size(bytes);
    let conn = rusqlite::Connection::open(dir.join("vault/vault.db")).unwrap();
    let root: usize =
        conn.query_row("SELECT rootpage FROM sqlite_schema WHERE name = 'vault'", [], |r| r.get(0)).unwrap();
    vec![0..page, (root - 1) * page..root * page]
}

fn page_size(bytes: &[u8]) -> usize {
    match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    }
}

#[test]
fn a_single_flipped_bit_anywhere_costs_at_most_the_record_it_falls_in() {
    let dir = tempfile::tempdir().unwrap();
    let merchants = made_vault(dir.path());
    let original = std::fs::read(dir.path().join("vault/vault.db")).unwrap();
    let spots = positions(original.len(), 120, 0x9e37_79b9_7f4a_7c15);
    let tally = run(&original, &merchants, &spots, |bytes, at| bytes[at] ^= 1 << (at % 8));
    assert!(tally.most_lost <= 1, "one flip lost {} records: {tally:?}", tally.most_lost);
    assert!(tally.lost_unreported.is_empty(), "records lost without a word: {tally:?}");
    let headers = header_pages(dir.path(), &original);
    assert!(
        tally.refused.iter().all(|at| headers.iter().any(|r| r.contains(at))),
        "only damage to the schema or the vault header may keep the vault closed: {tally:?} {headers:?}"
    );
    assert!(tally.nothing_lost > 0 && tally.opened > 100, "{tally:?}");
}

#[test]
fn bytes_overwritten_in_the_middle_of_the_file_lose_only_what_they_cover() {
    let dir = tempfile::tempdir().unwrap();
    let merchants = made_vault(dir.path());
    let original = std::fs::read(dir.path().join("vault/vault.db")).unwrap();
    let page = page_size(&original);
    let spots: Vec<usize> =
        positions(original.len() - page - 64, 40, 0x2545_f491_4f6c_dd1d).into_iter().map(|at| at + page).collect();
    let tally = run(&original, &merchants, &spots, |bytes, at| {
        for (i, byte) in bytes[at..at + 32].iter_mut().enumerate() {
            *byte = 0x5a ^ (i as u8);
        }
    });
    let headers = header_pages(dir.path(), &original);
    assert!(
        tally.refused.iter().all(|at| headers.iter().any(|r| r.contains(at) || r.contains(&(at + 31)))),
        "only damage to the schema or the vault header may keep the vault closed: {tally:?} {headers:?}"
    );
    // A sealed purchase takes about 150 bytes: 32 bytes touch two at most.
    assert!(tally.most_lost <= 2, "32 bytes lost {} records: {tally:?}", tally.most_lost);
    assert!(tally.lost_unreported.is_empty(), "records lost without a word: {tally:?}");
}

#[test]
fn a_damaged_keyslot_is_not_a_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, recovery) = new_vault(dir.path());
    drop(vault);
    let conn = rusqlite::Connection::open(dir.path().join("vault/vault.db")).unwrap();
    let slot: String = conn.query_row("SELECT passphrase_slot FROM vault", [], |r| r.get(0)).unwrap();
    let mut slot: serde_json::Value = serde_json::from_str(&slot).unwrap();
    let wrapped = &mut slot["wrapped"][3];
    *wrapped = json!(wrapped.as_u64().unwrap() ^ 0x10);
    conn.execute("UPDATE vault SET passphrase_slot = ?1", [slot.to_string()]).unwrap();
    drop(conn);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    let err = vault.unlock(PASSPHRASE).unwrap_err();
    assert!(
        matches!(err, VaultError::KeyslotDamaged { slot: tessera_vault::error::KeyslotKind::Passphrase }),
        "{err:?}"
    );
    assert!(err.to_string().contains("not a wrong passphrase"), "{err}");
    // The recovery secret still opens it, and writes the passphrase's copy anew.
    vault.recover(&recovery, "a new long passphrase").unwrap();
    vault.lock();
    vault.unlock("a new long passphrase").unwrap();
    // A wrong passphrase is still called one.
    vault.lock();
    assert!(matches!(vault.unlock("not the passphrase"), Err(VaultError::WrongPassphrase)));
}

#[test]
fn a_damaged_recovery_slot_is_reported_after_unlock_and_rotation_repairs_it() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    drop(vault);
    let conn = rusqlite::Connection::open(dir.path().join("vault/vault.db")).unwrap();
    conn.execute(
        "UPDATE vault SET recovery_slot = substr(recovery_slot, 1, 40) || 'x' || substr(recovery_slot, 42)",
        [],
    )
    .unwrap();
    drop(conn);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    let report = vault.damage_report(true).unwrap();
    assert!(report.recovery_slot_damaged);
    assert!(report.to_string().contains("rotate-key"), "{report}");
    let rotation = vault.prepare_key_rotation(PASSPHRASE).unwrap();
    let recovery = tessera_vault::RecoverySecret::parse(&rotation.recovery_secret().display()).unwrap();
    vault.commit_key_rotation(rotation).unwrap();
    assert!(vault.damage_report(true).unwrap().is_empty());
    vault.lock();
    vault.recover(&recovery, "a new long passphrase").unwrap();
}

#[test]
fn a_damaged_master_secret_leaves_facts_and_purchases_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.set_fact("email".parse().unwrap(), json!("ana@example.org"), Sensitivity::AskMe).unwrap();
    drop(vault);
    let conn = rusqlite::Connection::open(dir.path().join("vault/vault.db")).unwrap();
    conn.execute("UPDATE records SET sealed = zeroblob(length(sealed)) WHERE kind = 'master'", []).unwrap();
    drop(conn);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!(vault.facts().unwrap().len(), 1);
    let report = vault.damage_report(true).unwrap();
    assert_eq!(report.lost, [("master".to_owned(), 1)]);
    assert!(report.to_string().contains("master secret"), "{report}");
    let backup = dir.path().join("backup.age");
    assert!(matches!(vault.backup(&backup, "backup passphrase 123", NOW), Err(VaultError::MasterSecretDamaged)));
}
