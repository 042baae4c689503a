//! Helpers shared by the vault's tests.
#![allow(dead_code)]

use std::path::Path;

use tessera_vault::{RecoverySecret, Vault};

pub const PASSPHRASE: &str = "correct horse battery staple";
pub const NOW: i64 = 1_795_000_000;

pub fn new_vault(dir: &Path) -> (Vault, RecoverySecret) {
    Vault::create(&dir.join("vault"), PASSPHRASE).expect("create vault")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).expect("fixture")
}
