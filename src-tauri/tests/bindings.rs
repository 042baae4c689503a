//! The contract between Rust and the page is defined once, in Rust: the
//! page's `ui/src/bindings.ts` is generated from the commands' types and must
//! be up to date; every command is allowed by the capability; every error code
//! has a text in French and in English.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn bindings_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts")
}

#[test]
fn the_pages_bindings_are_generated_from_the_rust_types_and_up_to_date() {
    let fresh = tessera_app::bindings();
    if std::env::var_os("TESSERA_WRITE_BINDINGS").is_some() {
        std::fs::write(bindings_file(), &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(bindings_file()).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/bindings.ts is stale: a command or one of its types changed in Rust. Regenerate it with\n    \
         TESSERA_WRITE_BINDINGS=1 cargo test -p tessera-app --test bindings\nand adapt the page to what changed."
    );
}

/// The command names the bindings invoke.
fn bound_commands(bindings: &str) -> BTreeSet<String> {
    bindings
        .split("__TAURI_INVOKE<")
        .skip(1)
        .filter_map(|rest| rest.split_once("(\"").and_then(|(_, name)| name.split('"').next()))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_bound_command_is_allowed_and_every_allowed_command_is_bound() {
    let bound = bound_commands(&tessera_app::bindings());
    let allowed: BTreeSet<String> = tessera_app::COMMANDS.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(bound, allowed, "commands::builder and COMMANDS (command_names.rs) must list the same commands");
}

/// The `code`s of the `CommandError` union in the bindings.
fn error_codes(bindings: &str) -> Vec<String> {
    let start = bindings.find("export type CommandError =").expect("CommandError is exported");
    let union = &bindings[start..];
    let union = &union[..union.find("\n\n").unwrap_or(union.len())];
    union.split("code: \"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

#[test]
fn every_error_code_has_a_text_in_french_and_in_english() {
    let codes = error_codes(&tessera_app::bindings());
    assert!(codes.len() > 40 && codes.contains(&"wrong_passphrase".to_owned()), "{codes:?}");
    for (language, text) in
        [("fr", include_str!("../../ui/src/locales/fr.json")), ("en", include_str!("../../ui/src/locales/en.json"))]
    {
        let texts: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).unwrap();
        let missing: Vec<&String> = codes.iter().filter(|c| !texts.contains_key(&format!("error.{c}"))).collect();
        assert!(missing.is_empty(), "error codes without a text in {language}.json: {missing:?}");
    }
}
