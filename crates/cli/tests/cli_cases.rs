//! The `tessera` command's cases as data: each `.md` file under `tests/cmd/`
//! holds commands (`$ tessera …`), their exit status (`? failed`) and their
//! exact output, stdout and stderr together; `[..]` stands for what is random
//! (keys, ids, recovery secrets) and `...` for lines left out. Files a case
//! reads are in the `.in/` folder beside it; a case with a `.out/` folder runs
//! all its commands in one fresh copy of it, so they share a vault and a brand
//! store. A new case is a new file.
//!
//! After a deliberate change of output: `TRYCMD=overwrite cargo test -p
//! tessera-cli --test cli_cases`, then read the diff (random values must be
//! elided again by hand).

/// Every variable the command reads: the cases set what they need, nothing comes from outside.
const VARIABLES: &[&str] = &[
    "TESSERA_NOW",
    "TESSERA_PASSPHRASE",
    "TESSERA_NEW_PASSPHRASE",
    "TESSERA_RECOVERY_SECRET",
    "TESSERA_BACKUP_PASSPHRASE",
    "TESSERA_VAULT_DIR",
    "TESSERA_BRAND_DIR",
    "TESSERA_BRAND_KEY_FILE",
    "TESSERA_HTTP_TIMEOUT",
];

fn clean_environment() {
    for name in VARIABLES {
        std::env::remove_var(name);
    }
}

/// Help texts and usage errors.
#[test]
fn help_and_usage() {
    clean_environment();
    trycmd::TestCases::new().case("tests/cmd/help/*.md");
}

/// Commands on a vault and a brand store made by the case itself, at a fixed time,
/// with the passphrase given by the environment (as scripts give it).
#[test]
fn commands() {
    clean_environment();
    trycmd::TestCases::new()
        .env("TESSERA_NOW", "1795000000")
        .env("TESSERA_PASSPHRASE", "a long passphrase for the cases")
        .env("TESSERA_BACKUP_PASSPHRASE", "a long backup passphrase")
        .env("TESSERA_VAULT_DIR", "vault")
        .env("TESSERA_BRAND_DIR", "brand")
        .case("tests/cmd/errors/*.md")
        .case("tests/cmd/vault/*.md")
        .case("tests/cmd/consent/*.md")
        .case("tests/cmd/brand/*.md")
        .case("tests/cmd/inspect/*.md");
}

/// Commands with no passphrase in the environment and no terminal to ask on.
#[test]
fn without_a_passphrase() {
    clean_environment();
    trycmd::TestCases::new()
        .env("TESSERA_NOW", "1795000000")
        .env("TESSERA_VAULT_DIR", "vault")
        .env("TESSERA_BRAND_DIR", "brand")
        .case("tests/cmd/no-passphrase/*.md");
}
