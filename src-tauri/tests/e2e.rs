//! The real app binary in a real window (Xvfb), driven through tauri-driver and
//! WebKitWebDriver: create a vault, add facts, import a CSV, answer a request
//! made with the brand CLI, check with the brand CLI that it holds exactly the
//! approved items, revoke, feed the receipt back, lock and unlock.
//!
//! Needs a display (`xvfb-run`), `tauri-driver` and `WebKitWebDriver`;
//! `scripts/test.sh` provides all three. Screenshots go to `target/e2e-screenshots/`.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use fantoccini::Locator;
use serde_json::{json, Value};
use support::webdriver;

const PASSPHRASE: &str = "correct horse battery staple";

/// The brand CLI, built beside the app by `cargo build --workspace`.
fn brand_cli(args: &[&str], dir: &Path) -> String {
    let cli = Path::new(env!("CARGO_BIN_EXE_tessera-app")).with_file_name("tessera");
    assert!(cli.is_file(), "{} is missing: build the workspace first (cargo build --workspace)", cli.display());
    let output = Command::new(&cli)
        .args(args)
        .current_dir(dir)
        .env("TESSERA_BRAND_DIR", dir.join("brand"))
        .env("TESSERA_PASSPHRASE", "brand passphrase for the e2e test")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "tessera {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_journey_in_the_real_window() {
    assert!(std::env::var_os("DISPLAY").is_some(), "no display: run the tests under xvfb-run (scripts/test.sh does)");
    let work = tempfile::tempdir().unwrap();
    let files = work.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    // The brand prepares its request with the brand CLI.
    brand_cli(&["brand", "init", "--name", "Maison Exemple"], work.path());
    std::fs::write(
        work.path().join("spec.json"),
        r#"{"items":[{"item":"email","purpose":"Vous envoyer votre carte de fidélité","required":true},
                    {"item":"birthdate","purpose":"Une offre pour votre anniversaire","required":false},
                    {"item":"phone_number","purpose":"Vous appeler","required":false}],
            "retention_days":180,"offer":"15 % de remise sur votre prochaine commande","valid_days":30}"#,
    )
    .unwrap();
    brand_cli(
        &["brand", "request", "--spec", "spec.json", "--out", files.join("request.tessera").to_str().unwrap()],
        work.path(),
    );
    std::fs::write(files.join("purchases.csv"), "Date;Libellé;Montant\r\n23/10/2026;Carrefour Market;-45,20\r\n25/10/2026;SNCF;-89,00\r\n12/10/2026;Boulangerie Paul;-3,80\r\n").unwrap();

    // tauri-driver and WebKitWebDriver on free ports, with the app's test environment.
    // The web view's own profile (storage, caches) goes to directories of this test, scanned at the end.
    let data = work.path().join("data");
    let xdg = work.path().join("xdg");
    let (xdg_data, xdg_cache, xdg_config) = (xdg.join("data"), xdg.join("cache"), xdg.join("config"));
    let envs = [
        ("TESSERA_DATA_DIR", data.as_path()),
        ("TESSERA_TEST_FILES", files.as_path()),
        ("XDG_DATA_HOME", xdg_data.as_path()),
        ("XDG_CACHE_HOME", xdg_cache.as_path()),
        ("XDG_CONFIG_HOME", xdg_config.as_path()),
    ];
    let (driver, s) = webdriver::start(Path::new(env!("CARGO_BIN_EXE_tessera-app")), &envs, shots).await;

    // 1. Create the vault; the recovery secret is shown once.
    s.type_into("#new-passphrase", PASSPHRASE).await;
    s.type_into("#repeat-passphrase", PASSPHRASE).await;
    s.wait_text("#strength-text", "solide").await;
    s.screenshot("01-create-vault").await;
    s.click("#create-vault").await;
    let secret = s.text("#recovery-secret").await;
    assert_eq!(secret.len(), 64, "{secret}");
    s.screenshot("02-recovery-secret").await;
    s.click("#recovery-noted").await;

    // 2. Profile facts with sensitivities.
    for (item, value, sensitivity) in [
        ("email", "ana@example.org", "ask_me"),
        ("birthdate", "1990-04-02", "ask_me"),
        ("phone_number", "+33 6 12 34 56 78", "never_share"),
    ] {
        s.select("#fact-item", item).await;
        s.set_value("#fact-value", value).await;
        s.select("#fact-sensitivity", sensitivity).await;
        s.click("#fact-save").await;
        s.find(&format!("tr[data-item='{item}']")).await;
    }
    s.wait_text("#facts", "ana@example.org").await;
    s.screenshot("03-profile").await;

    // 3. Import a CSV with its preview.
    s.click("[data-nav='purchases']").await;
    s.click("#csv-choose").await;
    s.wait_text("#csv-summary", "3 nouvel(s) achat(s)").await;
    assert!(
        s.text(".csv-preview tbody tr:first-child td:first-child").await == "2",
        "rows are numbered by their line in the file"
    );
    s.screenshot("04-csv-preview").await;
    s.click("#csv-import").await;
    s.wait_text("#purchase-count", "3 achat(s)").await;
    s.screenshot("05-purchases").await;

    // 4. Open the request, approve email, generalise the birthdate; the phone is refused (never share).
    s.click("[data-nav='requests']").await;
    s.click("#request-open").await;
    s.wait_text("#request-brand", "Maison Exemple").await;
    assert!(
        s.client.find(Locator::Css("input[type='radio']:checked:not(:disabled)")).await.is_err(),
        "nothing is pre-selected"
    );
    s.click("[data-item='email'] input[data-choice='exact']").await;
    s.click("[data-item='birthdate'] input[data-choice='generalised:age_range']").await;
    s.wait_text("#packet-preview", "35-44").await;
    let preview = s.text("#packet-preview").await;
    assert!(preview.contains("ana@example.org") && !preview.contains("1990") && !preview.contains("+33"), "{preview}");
    s.client.execute("document.getElementById('packet-preview').scrollIntoView()", vec![]).await.unwrap();
    s.screenshot("06-request-preview").await;
    s.click("#packet-save").await;
    s.wait_text("#request-area", "Paquet enregistré").await;
    assert!(files.join("packet.tessera").is_file());

    // 4b. A request from another key under a lookalike name (Cyrillic Е): the screen warns.
    let impostor = work.path().join("impostor");
    std::fs::create_dir_all(&impostor).unwrap();
    brand_cli(&["brand", "init", "--name", "Maison \u{0415}xemple"], &impostor);
    brand_cli(
        &["brand", "request", "--spec", "../spec.json", "--out", files.join("request.tessera").to_str().unwrap()],
        &impostor,
    );
    s.click("#request-open").await;
    s.wait_text("#request-area", "ressemble à « Maison Exemple »").await;
    s.screenshot("06b-request-lookalike").await;

    // 5. The brand CLI imports it and holds exactly the approved items.
    brand_cli(&["brand", "import", files.join("packet.tessera").to_str().unwrap()], work.path());
    brand_cli(&["brand", "export", "--format", "json", "--out", "held.json"], work.path());
    let held: Value = serde_json::from_str(&std::fs::read_to_string(work.path().join("held.json")).unwrap()).unwrap();
    let items: Vec<(&str, &Value)> =
        held[0]["items"].as_array().unwrap().iter().map(|i| (i["item"].as_str().unwrap(), &i["value"])).collect();
    assert_eq!(items, vec![("email", &json!("ana@example.org")), ("age_range", &json!("35-44"))]);

    // 6. Revoke; the brand purges and signs a receipt; feeding it back shows "deletion confirmed".
    s.click("[data-nav='ledger']").await;
    s.wait_text("[data-brand='Maison Exemple']", "ana@example.org").await;
    s.screenshot("07-ledger-active").await;
    s.click("[data-revoke]").await;
    s.find("[data-status='revoked']").await;
    brand_cli(
        &[
            "brand",
            "revoke-import",
            files.join("revocation.tessera").to_str().unwrap(),
            "--out",
            files.join("receipt.tessera").to_str().unwrap(),
        ],
        work.path(),
    );
    s.click("#receipt-import").await;
    s.wait_text("[data-status='deletion_confirmed']", "suppression confirmée").await;
    s.screenshot("08-ledger-deletion-confirmed").await;

    // 7. Settings, lock, a wrong passphrase, unlock.
    s.click("[data-nav='settings']").await;
    s.find("#settings-language").await;
    s.screenshot("09-settings").await;
    s.click("[data-nav='lock']").await;
    s.type_into("#unlock-passphrase", "not my passphrase").await;
    s.click("#unlock").await;
    s.wait_text(".notice-error", "incorrecte").await;
    s.screenshot("10-unlock-wrong-passphrase").await;
    s.type_into("#unlock-passphrase", PASSPHRASE).await;
    s.click("#unlock").await;
    s.wait_text("#facts", "ana@example.org").await;

    s.client.close().await.unwrap();
    drop(driver);

    // Nothing personal in clear in the vault, the app data or the web view's profile.
    let mut scanned = 0;
    let mut found = Vec::new();
    for dir in [&data, &xdg] {
        for file in files_under(dir) {
            scanned += 1;
            let content = std::fs::read(&file).unwrap_or_default();
            for canary in ["ana@example.org", "Carrefour Market", "1990-04-02", "Boulangerie Paul"] {
                let utf16: Vec<u8> = canary.encode_utf16().flat_map(u16::to_le_bytes).collect();
                for needle in [canary.as_bytes().to_vec(), utf16] {
                    if content.windows(needle.len()).any(|w| w == needle.as_slice()) {
                        found.push(format!("{}: {canary}", file.display()));
                    }
                }
            }
        }
    }
    assert!(scanned > 0, "the vault and the web view profile were scanned");
    assert!(found.is_empty(), "personal data in clear on disk:\n{}", found.join("\n"));
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}
