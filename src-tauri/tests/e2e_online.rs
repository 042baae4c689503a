//! The real app in a real window (Xvfb, tauri-driver) going online: a brand's inbox (the real
//! `tessera brand serve`, SQLite, on loopback) publishes a request; the person pastes its
//! `tessera://` link, sees the inbox host beside the brand's name, shares, and sees the brand's
//! acknowledgement; the inbox stops, the person revokes in one click and sees "revocation waiting
//! to be sent"; the inbox comes back, "Send now", and the status becomes "deletion confirmed".
//! The brand's store is checked with the brand CLI at each step.
//!
//! Screenshots go to `target/e2e-screenshots-online/{fr,en}/` (copied to docs/screenshots).
//! Needs what `e2e.rs` needs (xvfb-run, tauri-driver, WebKitWebDriver).

mod support;

use std::path::Path;

use support::brand::{brand_cli, held_packets, Inbox};
use support::journeys;
use support::webdriver::{self, Session};
use tessera_protocol::inbox::request_link;

const PASSPHRASE: &str = "correct horse battery staple";
/// Creates the vault, saving the recovery secret as a file first.
async fn create_vault(s: &Session) {
    let secret = journeys::create_vault(s, PASSPHRASE).await;
    s.click("#recovery-save").await;
    s.wait_text("#main", "recovery-secret.txt").await;
    journeys::confirm_recovery_noted(s, &secret).await;
    s.find("#fact-item").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_opened_by_link_is_shared_acknowledged_revoked_and_its_deletion_confirmed() {
    assert!(std::env::var_os("DISPLAY").is_some(), "no display: run the tests under xvfb-run (scripts/test.sh does)");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots-online");
    let _ = std::fs::remove_dir_all(&shots);

    // The brand: a store, its inbox on loopback, and a request published there.
    brand_cli(&["brand", "init", "--name", "Maison Exemple"], w);
    let (inbox, addr) = Inbox::start(w, "127.0.0.1:0");
    std::fs::write(
        w.join("spec.json"),
        r#"{"items":[{"item":"email","purpose":"Vous envoyer votre carte de fidélité","required":true}],
            "retention_days":180,"offer":"15 % de remise sur votre prochaine commande","valid_days":30}"#,
    )
    .unwrap();
    let base = format!("http://{addr}");
    let request_file = w.join("request.tessera");
    brand_cli(
        &["brand", "request", "--spec", "spec.json", "--out", request_file.to_str().unwrap(), "--inbox", &base],
        w,
    );
    let jws = std::fs::read_to_string(&request_file).unwrap();
    let jti = tessera_protocol::request::verify(jws.trim()).unwrap().claims.jti;
    let link = request_link(&format!("{base}/v1/requests/{jti}"));

    let files = w.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let data = w.join("data");
    let xdg = w.join("xdg");
    let (xdg_data, xdg_cache, xdg_config) = (xdg.join("data"), xdg.join("cache"), xdg.join("config"));
    let envs = [
        ("TESSERA_DATA_DIR", data.as_path()),
        ("TESSERA_TEST_FILES", files.as_path()),
        ("XDG_DATA_HOME", xdg_data.as_path()),
        ("XDG_CACHE_HOME", xdg_cache.as_path()),
        ("XDG_CONFIG_HOME", xdg_config.as_path()),
    ];
    let app = Path::new(env!("CARGO_BIN_EXE_tessera-app"));
    let (driver, s) = webdriver::start(app, &envs, shots.clone()).await;

    create_vault(&s).await;
    s.select("#fact-item", "email").await;
    s.type_into("#fact-value", "ana@example.org").await;
    s.click("#fact-save").await;
    s.find("tr[data-item='email']").await;

    // 1. The link, pasted: the request is fetched and verified; the inbox host is beside the brand.
    s.click("[data-nav='requests']").await;
    s.wait_text("#main", "collez ici le lien").await;
    s.type_into("#request-link", &link).await;
    s.screenshot("fr/30-request-link").await;
    s.click("#request-open-link").await;
    s.wait_text("#request-brand", "Maison Exemple").await;
    let inbox_line = s.wait_text("#request-inbox", &addr.to_string()).await;
    assert!(inbox_line.contains("nulle part ailleurs"), "{inbox_line}");
    s.click("[data-item='email'] input[data-choice='exact']").await;
    s.wait_text("#packet-preview", "ana@example.org").await;
    s.scroll_top().await;
    s.screenshot("fr/31-request-by-link").await;

    // 2. Share: sent to the inbox, and the brand's acknowledgement shown.
    s.click("#packet-send").await;
    s.wait_text("#send-result[data-outcome='delivered']", "a reçu vos données").await;
    s.scroll_top().await;
    s.screenshot("fr/32-shared-acknowledged").await;
    assert_eq!(held_packets(w), 1, "the brand holds the packet");

    // 3. The inbox stops; Revoke: the revocation waits in the vault.
    inbox.stop();
    s.click("[data-nav='ledger']").await;
    s.wait_text(".packet .status", "actif").await;
    s.wait_text(".packet", "Reçu par la marque le").await;
    s.click("[data-revoke]").await;
    s.wait_text("dialog.confirm", &addr.to_string()).await;
    s.click("#dialog-confirm").await;
    s.wait_text(".packet .status", "révocation en attente d'envoi").await;
    s.wait_text("#ledger-out", "n'a pas pu être joint").await;
    s.scroll_top().await;
    s.screenshot("fr/33-revocation-waiting").await;
    assert_eq!(held_packets(w), 1, "nothing reached the brand");

    // 4. The inbox is back on the same address; Send now: the receipt is verified and stored.
    let (inbox, _) = Inbox::start(w, &addr.to_string());
    s.click("[data-send-now]").await;
    s.wait_text(".packet .status", "suppression confirmée").await;
    s.scroll_top().await;
    s.screenshot("fr/34-deletion-confirmed-online").await;
    assert_eq!(held_packets(w), 0, "the brand deleted the data");

    // 5. The same screens in English.
    s.click("[data-nav='settings']").await;
    s.select("#settings-language", "en").await;
    s.click("#settings-save").await;
    s.wait_text("nav", "Who knows what").await;
    s.click("[data-nav='requests']").await;
    s.wait_text("#main", "paste the link").await;
    s.type_into("#request-link", &link).await;
    s.screenshot("en/30-request-link").await;
    s.click("#request-open-link").await;
    s.wait_text("#request-inbox", "and nowhere else").await;
    // Opened again, the request says how it was answered before.
    s.wait_text("#main", "You have answered this request before.").await;
    s.wait_text("#main", "Shared on").await;
    s.scroll_top().await;
    s.screenshot("en/31-request-by-link").await;
    s.click("[data-nav='ledger']").await;
    s.wait_text(".packet .status", "deletion confirmed").await;
    s.scroll_top().await;
    s.screenshot("en/34-deletion-confirmed-online").await;

    // A link in plain http to another computer is refused before any connection.
    s.click("[data-nav='requests']").await;
    s.type_into("#request-link", "http://inbox.maison.example/v1/requests/abc").await;
    s.click("#request-open-link").await;
    s.wait_text("#request-out", "only secure (https) links").await;

    drop(s);
    drop(driver);
    inbox.stop();
}
