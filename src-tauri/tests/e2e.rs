//! The real app binary in a real window (Xvfb), driven through tauri-driver and
//! WebKitWebDriver, asserting on what the person sees:
//!
//! * session A (French system): a passphrase auto-typed at 50 keys per second,
//!   the recovery secret saved and two of its groups typed back, facts with an
//!   undone deletion, a CSV import, a purchase edited and one deleted, requests
//!   from a first-contact brand (shared), a lookalike brand (declined in one
//!   click) and a brand whose key changed (every item denied: a decline),
//!   checked with the brand CLI; the ledger with purposes and refusals,
//!   revocation and receipt; passphrase change, backup and a restore that names
//!   what it replaces; the screen locking through D-Bus; Ctrl+L; recovery with
//!   the secret; then the whole interface in English;
//! * session B (English system): a backup restored on the first screen, on a
//!   computer with no vault;
//! * session C (French system): auto-lock after idle, the page emptied at once,
//!   and the lock screen in the language chosen in settings.
//!
//! Screenshots of every screen and state, in both languages, go to
//! `target/e2e-screenshots/{fr,en}/` (the README's gallery is copied from there).
//! Needs a display (`xvfb-run`), `tauri-driver`, `WebKitWebDriver` and
//! `dbus-daemon`; `scripts/test.sh` provides them.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};
use support::journeys::type_back_recovery_groups;
use support::webdriver::{self, Session};

const PASSPHRASE: &str = "correct horse battery staple";
const NEW_PASSPHRASE: &str = "Vingt-huit caractères, tapés vite";
const RECOVERED_PASSPHRASE: &str = "a third passphrase after recovery";
const BACKUP_PASSPHRASE: &str = "backup passphrase 2026";

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

/// A brand named `name` in its own directory under `work`, and its signed request written to `out`.
fn brand_request(work: &Path, dir: &str, name: &str, out: &Path) -> PathBuf {
    let dir = work.join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    brand_cli(&["brand", "init", "--name", name], &dir);
    brand_cli(
        &["brand", "request", "--spec", work.join("spec.json").to_str().unwrap(), "--out", out.to_str().unwrap()],
        &dir,
    );
    dir
}

/// Relative luminance of a CSS `rgb(…)`/`rgba(…)` colour (WCAG 2).
fn luminance(css: &str) -> f64 {
    let numbers: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    let channel = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(numbers[0]) + 0.7152 * channel(numbers[1]) + 0.0722 * channel(numbers[2])
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The focused element's ring and the background around it.
const FOCUS_RING: &str = "const el = document.activeElement; const style = getComputedStyle(el);
    let bg = 'rgb(255, 255, 255)';
    for (let p = el.parentElement; p; p = p.parentElement) {
        const c = getComputedStyle(p).backgroundColor;
        if (c && c !== 'transparent' && c !== 'rgba(0, 0, 0, 0)') { bg = c; break; }
    }
    return [el.id || el.textContent, style.outlineStyle, style.outlineWidth, style.outlineColor, bg];";

/// Checks that the keyboard focus ring of the next `stops` tab stops contrasts 3:1 with what surrounds it.
async fn focus_rings_contrast(s: &Session, stops: usize) {
    for _ in 0..stops {
        s.tab().await;
        let ring = s.eval(FOCUS_RING).await;
        let ring: Vec<&str> = ring.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(ring[1], "solid", "{ring:?}: a visible focus ring");
        assert!(ring[2].trim_end_matches("px").parse::<f64>().unwrap() >= 2.0, "{ring:?}");
        let ratio = contrast(ring[3], ring[4]);
        assert!(ratio >= 3.0, "focus ring of {:?}: {ratio:.2}:1 against {} (WCAG asks 3:1)", ring[0], ring[4]);
    }
}

/// Opens the request file `request` (copied where the test's file dialog looks).
async fn open_request(s: &Session, request: &Path, files: &Path, brand: &str) {
    std::fs::copy(request, files.join("request.tessera")).unwrap();
    s.click("#request-open").await;
    s.wait_text("#request-brand", brand).await;
    s.scroll_top().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_journey_in_the_real_window_in_french_and_in_english() {
    assert!(std::env::var_os("DISPLAY").is_some(), "no display: run the tests under xvfb-run (scripts/test.sh does)");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let files = w.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let app = Path::new(env!("CARGO_BIN_EXE_tessera-app"));

    // The brands prepare their requests with the brand CLI.
    std::fs::write(
        w.join("spec.json"),
        r#"{"items":[{"item":"email","purpose":"Vous envoyer votre carte de fidélité","required":true},
                    {"item":"birthdate","purpose":"Une offre pour votre anniversaire","required":false},
                    {"item":"phone_number","purpose":"Vous appeler","required":false}],
            "retention_days":180,"offer":"15 % de remise sur votre prochaine commande","valid_days":30}"#,
    )
    .unwrap();
    let maison = brand_request(w, "maison", "Maison Exemple", &w.join("maison.tessera"));
    brand_request(w, "impostor", "Maison \u{0415}xemple", &w.join("impostor.tessera"));
    brand_request(w, "changed", "Maison Exemple", &w.join("changed.tessera"));
    brand_request(w, "cafe", "Café Exemple", &w.join("cafe.tessera"));
    std::fs::write(
        files.join("purchases.csv"),
        // One day above 12 tells the order: the file writes dates day first.
        "Date;Libellé;Montant\r\n23/10/2026;Carrefour Market;-45,20\r\n05/10/2026;SNCF;-89,00\r\n12/11/2026;Boulangerie Paul;-3,80\r\n",
    )
    .unwrap();

    // The web view's own profile (storage, caches) goes to directories of this test, scanned at the end.
    let data = w.join("data");
    let xdg = w.join("xdg");
    let (xdg_data, xdg_cache, xdg_config) = (xdg.join("data"), xdg.join("cache"), xdg.join("config"));
    let (session_bus, system_bus) = (support::Bus::start(), support::Bus::start());
    let (session_address, system_address) = (PathBuf::from(&session_bus.address), PathBuf::from(&system_bus.address));
    let envs = [
        ("TESSERA_DATA_DIR", data.as_path()),
        ("TESSERA_TEST_FILES", files.as_path()),
        ("XDG_DATA_HOME", xdg_data.as_path()),
        ("XDG_CACHE_HOME", xdg_cache.as_path()),
        ("XDG_CONFIG_HOME", xdg_config.as_path()),
        ("DBUS_SESSION_BUS_ADDRESS", session_address.as_path()),
        ("DBUS_SYSTEM_BUS_ADDRESS", system_address.as_path()),
    ];
    let (driver, s) = webdriver::start(app, &envs, shots.clone()).await;

    // A. 1. The first screen offers to restore a backup instead of creating a throwaway vault.
    s.click("#restore-instead").await;
    s.wait_text("#main", "Sur un nouvel ordinateur").await;
    s.screenshot("fr/02-restore-on-a-new-computer").await;
    s.click("#restore-back").await;

    // 2. Create the vault: the passphrase auto-typed at 50 keys per second loses nothing, and never leaves the page
    //    while typed (the strength is computed there).
    assert_eq!(s.eval("return document.getElementById('app').getAttribute('aria-live');").await, Value::Null);
    s.auto_type("#new-passphrase", NEW_PASSPHRASE, Duration::from_millis(20)).await;
    assert_eq!(s.value("#new-passphrase").await, NEW_PASSPHRASE, "every character typed at 50 keys/s is kept");
    s.wait_text("#new-passphrase-strength", "Solidité : très bonne").await;
    let described = s.eval("return document.getElementById('new-passphrase').getAttribute('aria-describedby').split(' ').map(id => document.getElementById(id).textContent).join(' | ');").await;
    assert!(described.as_str().unwrap().contains("au moins 10 caractères"), "hints are tied to the field: {described}");
    s.auto_type("#new-passphrase-repeat", "Vingt-huit caractères, tapés", Duration::from_millis(20)).await;
    s.click("#create-vault").await;
    s.wait_text("#new-passphrase-problem", "différentes").await;
    s.screenshot("fr/01-create-vault").await;
    s.auto_type("#new-passphrase-repeat", " vite", Duration::from_millis(20)).await;
    s.click("#create-vault").await;

    // 3. The recovery secret: saved to a file, then two of its groups typed back before going on.
    let secret = s.text("#recovery-secret").await;
    assert_eq!(secret.len(), 64, "{secret}");
    s.screenshot("fr/03-recovery-secret").await;
    s.click("#recovery-save").await;
    s.wait_text("#main", "recovery-secret.txt").await;
    assert!(std::fs::read_to_string(files.join("recovery-secret.txt")).unwrap().contains(&secret));
    s.click("#recovery-noted").await;
    s.type_into("input[data-position]", "ZZZZ").await;
    s.click("#recovery-check").await;
    s.wait_text(".notice-error", "ne correspondent pas").await;
    s.screenshot("fr/04-recovery-check").await;
    type_back_recovery_groups(&s, &secret).await;

    // 4. Profile facts with sensitivities; the birthdate typed day first, shown in French.
    for (item, value, sensitivity) in [
        ("email", "ana@example.org", "ask_me"),
        ("birthdate", "02/04/1990", "ask_me"),
        ("phone_number", "+33 6 12 34 56 78", "never_share"),
    ] {
        s.select("#fact-item", item).await;
        s.type_into("#fact-value", value).await;
        s.select("#fact-sensitivity", sensitivity).await;
        s.click("#fact-save").await;
        s.find(&format!("tr[data-item='{item}']")).await;
    }
    s.wait_text("tr[data-item='birthdate']", "2 avr. 1990").await;
    s.scroll_top().await;
    s.screenshot("fr/05-profile").await;
    // A deletion can be undone, and the fact comes back as it was.
    s.click("[data-remove='phone_number']").await;
    s.wait_text("#profile-out", "supprimé").await;
    s.wait_gone("tr[data-item='phone_number']").await;
    s.scroll_top().await;
    s.screenshot("fr/06-profile-undo").await;
    s.click("#fact-undo").await;
    s.wait_text("tr[data-item='phone_number']", "+33 6 12 34 56 78").await;
    s.wait_text("tr[data-item='phone_number']", "Ne jamais partager").await;

    // 5. Import a CSV with its preview; edit one purchase, delete another after confirming.
    s.click("[data-nav='purchases']").await;
    s.click("#csv-choose").await;
    s.wait_text("#csv-summary", "3 nouveaux achats").await;
    assert_eq!(
        s.text(".csv-preview tbody tr:first-child td:first-child").await,
        "2",
        "rows are numbered by their line"
    );
    s.scroll_top().await;
    s.screenshot("fr/07-csv-preview").await;
    s.click("#csv-import").await;
    s.wait_text("#purchase-count", "3 achats").await;
    let axis = s.eval("return [...document.querySelectorAll('.chart-axis')].map(t => t.textContent);").await;
    assert_eq!(axis, json!(["oct.", "2026", "nov."]), "months named, the year written once");
    s.scroll_top().await;
    s.screenshot("fr/08-purchases").await;
    let carrefour = s.eval("return document.querySelector('tr[data-purchase] td:nth-child(2)') && [...document.querySelectorAll('tr[data-purchase]')].find(r => r.textContent.includes('Carrefour')).dataset.purchase;").await;
    let carrefour = carrefour.as_str().unwrap().to_owned();
    s.click(&format!("[data-edit='{carrefour}']")).await;
    assert_eq!(s.value("#edit-date").await, "23/10/2026", "the date to edit is written day first");
    assert_eq!(s.value("#edit-amount").await, "45,20", "the amount to edit is written with a decimal comma");
    s.type_into("#edit-merchant", "Carrefour City").await;
    s.screenshot("fr/09-purchase-edit").await;
    s.click("#edit-save").await;
    s.wait_text("#purchase-table", "Carrefour City").await;
    let paul = s.eval("return [...document.querySelectorAll('tr[data-purchase]')].find(r => r.textContent.includes('Boulangerie')).dataset.purchase;").await;
    s.click(&format!("[data-delete='{}']", paul.as_str().unwrap())).await;
    s.wait_text("dialog.confirm", "Boulangerie Paul").await;
    s.screenshot("fr/10-purchase-delete-confirm").await;
    s.click("#dialog-confirm").await;
    s.wait_text("#purchase-count", "2 achats").await;

    // 6. A first-contact request; the open request and its decisions survive a visit to another screen.
    s.click("[data-nav='requests']").await;
    open_request(&s, &w.join("maison.tessera"), &files, "Maison Exemple").await;
    s.wait_text("#request-area", "Premier contact").await;
    assert!(
        s.client.find(Locator::Css("input[type='radio']:checked:not(:disabled)")).await.is_err(),
        "nothing is pre-selected"
    );
    s.screenshot("fr/11-request-first-contact").await;
    s.click("[data-item='email'] input[data-choice='exact']").await;
    s.click("[data-nav='profile']").await;
    s.find("#facts").await;
    s.click("[data-nav='requests']").await;
    s.wait_text("#request-brand", "Maison Exemple").await;
    s.find("[data-item='email'] input[data-choice='exact']:checked").await;
    s.click("[data-item='birthdate'] input[data-choice='generalised:age_range']").await;
    s.wait_text("#packet-preview", "35-44").await;
    let preview = s.text("#packet-preview").await;
    assert!(preview.contains("ana@example.org") && !preview.contains("1990") && !preview.contains("+33"), "{preview}");
    let (decline, share) = (s.find("#request-decline").await, s.find("#packet-save").await);
    let (decline_size, share_size) = (decline.rectangle().await.unwrap(), share.rectangle().await.unwrap());
    assert!(decline.is_displayed().await.unwrap() && share.is_enabled().await.unwrap());
    assert_eq!((decline_size.2, decline_size.3), (share_size.2, share_size.3), "declining is as visible as sharing");
    s.scroll_to("#packet-preview").await;
    s.screenshot("fr/12-request-preview").await;
    s.click("#packet-save").await;
    s.wait_text("#request-area", "Paquet enregistré").await;
    assert!(files.join("packet.tessera").is_file());

    // 7. A lookalike brand (Cyrillic Е, another key): the warning at the top; declined in one click.
    open_request(&s, &w.join("impostor.tessera"), &files, "Maison").await;
    s.wait_text("#request-area", "ressemble à « Maison Exemple »").await;
    s.wait_text("#request-area", "« Е » U+0415").await;
    s.screenshot("fr/13-request-lookalike").await;
    s.click("#request-decline").await;
    s.wait_text("#request-area", "Vous avez décliné la demande").await;
    s.scroll_top().await;
    s.screenshot("fr/16-request-declined").await;

    // 8. The same brand name under another key: a loud warning; denying every item is declining, not an error.
    open_request(&s, &w.join("changed.tessera"), &files, "Maison Exemple").await;
    s.wait_text("#key-changed", "la clé de cette marque a changé").await;
    s.screenshot("fr/14-request-key-changed").await;
    for item in ["email", "birthdate"] {
        s.click(&format!("[data-item='{item}'] input[data-choice='deny']")).await;
    }
    s.wait_text("#packet-preview", "Vous ne partagez rien").await;
    assert!(!s.find("#packet-save").await.is_enabled().await.unwrap(), "nothing to share");
    assert!(s.client.find(Locator::Css("#request-area .notice-error:not(#key-changed)")).await.is_err(), "no error");
    s.scroll_to("#request-decline").await;
    s.screenshot("fr/15-request-all-denied").await;
    s.click("#request-decline").await;
    s.wait_text("#request-area", "Vous avez décliné la demande de Maison Exemple").await;

    // 9. The brand CLI imports the packet and holds exactly the approved items.
    brand_cli(&["brand", "import", files.join("packet.tessera").to_str().unwrap()], &maison);
    brand_cli(&["brand", "export", "--format", "json", "--out", "held.json"], &maison);
    let held: Value = serde_json::from_str(&std::fs::read_to_string(maison.join("held.json")).unwrap()).unwrap();
    let items: Vec<(&str, &Value)> =
        held[0]["items"].as_array().unwrap().iter().map(|i| (i["item"].as_str().unwrap(), &i["value"])).collect();
    assert_eq!(items, vec![("email", &json!("ana@example.org")), ("age_range", &json!("35-44"))]);

    // 10. The ledger: each item with its purpose, the refused one, the declined requests; revoke, then the receipt.
    s.click("[data-nav='ledger']").await;
    let card = s.wait_text("[data-brand='Maison Exemple']", "ana@example.org").await;
    for shown in [
        "Pourquoi : Vous envoyer votre carte de fidélité",
        "Pourquoi : Une offre pour votre anniversaire",
        "non partagé",
        "Pourquoi : Vous appeler",
    ] {
        assert!(card.contains(shown), "the ledger shows {shown:?}:\n{card}");
    }
    // The two declined requests (the lookalike's, and the one under a changed key: another key, another card).
    let ledger = s.text("#main").await;
    assert_eq!(ledger.matches("Demande déclinée le").count(), 2, "{ledger}");
    s.wait_text("[data-brand='Maison Еxemple']", "Demande déclinée").await;
    s.scroll_top().await;
    s.screenshot("fr/17-ledger").await;
    s.click("[data-revoke]").await;
    s.wait_text("dialog.confirm", "ne peut pas être rétabli").await;
    s.screenshot("fr/18-ledger-revoke-confirm").await;
    s.click("#dialog-confirm").await;
    s.find("[data-status='revoked']").await;
    brand_cli(
        &[
            "brand",
            "revoke-import",
            files.join("revocation.tessera").to_str().unwrap(),
            "--out",
            files.join("receipt.tessera").to_str().unwrap(),
        ],
        &maison,
    );
    s.click("#receipt-import").await;
    s.wait_text("[data-status='deletion_confirmed']", "suppression confirmée").await;
    s.scroll_top().await;
    s.screenshot("fr/19-ledger-deletion-confirmed").await;

    // 11. Settings: the focus ring is visible on every background; passphrase change and backup typed twice.
    s.click("[data-nav='settings']").await;
    s.find("#settings-language").await;
    s.scroll_top().await;
    s.screenshot("fr/20-settings").await;
    focus_rings_contrast(&s, 4).await;
    s.type_into("#passphrase-current", NEW_PASSPHRASE).await;
    s.type_into("#passphrase-new", PASSPHRASE).await;
    s.type_into("#passphrase-new-repeat", PASSPHRASE).await;
    s.click("#passphrase-change").await;
    s.wait_text("#main", "Votre phrase secrète a été changée").await;
    s.type_into("#backup-passphrase", BACKUP_PASSPHRASE).await;
    s.type_into("#backup-passphrase-repeat", BACKUP_PASSPHRASE).await;
    s.click("#backup-create").await;
    s.wait_text("#main", "Sauvegarde enregistrée : backup.age").await;

    // 12. A fact added after the backup; restoring asks first, naming what is replaced, and brings the backup back.
    s.click("[data-nav='profile']").await;
    s.select("#fact-item", "given_name").await;
    s.type_into("#fact-value", "Ana").await;
    s.click("#fact-save").await;
    s.find("tr[data-item='given_name']").await;
    s.click("[data-nav='settings']").await;
    s.type_into("#restore-passphrase", BACKUP_PASSPHRASE).await;
    s.click("#backup-restore").await;
    let dialog = s.wait_text("dialog.confirm", "Remplacer tout votre coffre").await;
    assert!(dialog.contains("3 informations de profil, 2 achats et 1 partage"), "what the backup holds: {dialog}");
    assert!(
        dialog.contains("aujourd'hui : 4 informations de profil, 2 achats et 1 partage"),
        "what it replaces: {dialog}"
    );
    s.screenshot("fr/21-restore-confirm").await;
    s.click("#dialog-cancel").await;
    s.wait_text("#main", "Restauration annulée").await;
    s.click("#backup-restore").await;
    s.wait_text("dialog.confirm", "Remplacer tout votre coffre").await;
    s.click("#dialog-confirm").await;
    s.wait_text("#main", "Restauré : 3 informations de profil, 2 achats et 1 partage").await;
    s.click("[data-nav='profile']").await;
    s.find("tr[data-item='email']").await;
    assert!(s.client.find(Locator::Css("tr[data-item='given_name']")).await.is_err(), "the backup replaced the vault");

    // 13. The screen locks (the screensaver's D-Bus signal): the vault locks and the page empties at once.
    let started = Instant::now();
    session_bus.signal("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", true);
    s.wait_text("#main", "l'écran a été verrouillé").await;
    assert!(started.elapsed() < Duration::from_secs(3), "pushed, not polled: {:?}", started.elapsed());
    assert!(s.client.find(Locator::Css("#facts")).await.is_err(), "no data left on screen");
    s.find("#unlock-passphrase").await;
    s.screenshot("fr/22-locked-screen").await;
    s.type_into("#unlock-passphrase", "not my passphrase").await;
    s.click("#unlock").await;
    s.wait_text(".notice-error", "incorrecte").await;
    s.screenshot("fr/23-unlock-wrong-passphrase").await;
    s.auto_type("#unlock-passphrase", PASSPHRASE, Duration::from_millis(20)).await;
    assert_eq!(s.value("#unlock-passphrase").await, PASSPHRASE);
    s.click("#unlock").await;
    s.find("#facts").await;

    // 14. Ctrl+L locks from anywhere; the recovery secret then sets a new passphrase.
    s.ctrl('l').await;
    s.wait_text("#main", "Coffre verrouillé.").await;
    s.click("#forgot").await;
    s.type_into("#recovery-input", &secret).await;
    s.type_into("#recover-passphrase", RECOVERED_PASSPHRASE).await;
    s.type_into("#recover-passphrase-repeat", RECOVERED_PASSPHRASE).await;
    s.screenshot("fr/24-recover").await;
    s.click("#recover").await;
    s.find("#facts").await;

    // 15. The whole interface in English, chosen in settings; every screen and state again.
    s.click("[data-nav='settings']").await;
    s.select("#settings-language", "en").await;
    s.click("#settings-save").await;
    s.wait_text("nav", "Who knows what").await;
    s.wait_text("h1", "Settings").await;
    s.scroll_top().await;
    s.screenshot("en/20-settings").await;
    s.type_into("#restore-passphrase", BACKUP_PASSPHRASE).await;
    s.click("#backup-restore").await;
    let dialog = s.wait_text("dialog.confirm", "Replace your whole vault?").await;
    assert!(dialog.contains("3 profile facts, 2 purchases and 1 share"), "{dialog}");
    s.screenshot("en/21-restore-confirm").await;
    s.click("#dialog-cancel").await;

    s.click("[data-nav='profile']").await;
    s.wait_text("tr[data-item='birthdate']", "2 Apr 1990").await;
    s.wait_text("#main", "Never share").await;
    s.scroll_top().await;
    s.screenshot("en/05-profile").await;
    s.click("[data-remove='email']").await;
    s.wait_text("#profile-out", "deleted").await;
    s.scroll_top().await;
    s.screenshot("en/06-profile-undo").await;
    s.click("#fact-undo").await;
    s.wait_text("tr[data-item='email']", "ana@example.org").await;

    s.click("[data-nav='purchases']").await;
    s.wait_text("#purchase-count", "2 purchases").await;
    assert_eq!(
        s.eval("return [...document.querySelectorAll('.chart-axis')].map(t => t.textContent);").await,
        json!(["Oct", "2026"])
    );
    s.scroll_top().await;
    s.screenshot("en/08-purchases").await;
    s.click("[data-edit]").await;
    assert!(s.value("#edit-amount").await.contains('.'), "English amounts take a decimal point");
    s.screenshot("en/09-purchase-edit").await;
    s.click("tr.editing button.quiet").await;
    s.click("[data-delete]").await;
    s.wait_text("dialog.confirm", "Delete this purchase?").await;
    s.screenshot("en/10-purchase-delete-confirm").await;
    s.click("#dialog-cancel").await;
    s.click("#csv-choose").await;
    // The edited and the deleted purchases are new again; SNCF is already there.
    s.wait_text("#csv-summary", "2 new purchases · 1 already in your vault · 0 unreadable lines").await;
    s.scroll_top().await;
    s.screenshot("en/07-csv-preview").await;

    s.click("[data-nav='requests']").await;
    open_request(&s, &w.join("cafe.tessera"), &files, "Café Exemple").await;
    s.wait_text("#request-area", "First contact").await;
    s.screenshot("en/11-request-first-contact").await;
    s.click("[data-item='email'] input[data-choice='exact']").await;
    s.click("[data-item='birthdate'] input[data-choice='generalised:age_over_18']").await;
    s.wait_text("#packet-preview", "Exactly what Café Exemple will receive").await;
    s.scroll_to("#packet-preview").await;
    s.screenshot("en/12-request-preview").await;
    open_request(&s, &w.join("impostor.tessera"), &files, "Maison").await;
    s.wait_text("#request-area", "looks like “Maison Exemple”").await;
    s.screenshot("en/13-request-lookalike").await;
    open_request(&s, &w.join("changed.tessera"), &files, "Maison Exemple").await;
    s.wait_text("#key-changed", "this brand's key changed").await;
    s.screenshot("en/14-request-key-changed").await;
    for item in ["email", "birthdate"] {
        s.click(&format!("[data-item='{item}'] input[data-choice='deny']")).await;
    }
    s.wait_text("#packet-preview", "You share nothing").await;
    s.scroll_to("#request-decline").await;
    s.screenshot("en/15-request-all-denied").await;
    s.click("#request-decline").await;
    s.wait_text("#request-area", "You declined Maison Exemple's request").await;
    s.scroll_top().await;
    s.screenshot("en/16-request-declined").await;

    s.click("[data-nav='ledger']").await;
    let card = s.wait_text("[data-brand='Maison Exemple']", "deletion confirmed").await;
    assert!(card.contains("Why: Vous envoyer votre carte de fidélité"), "purposes as the brand wrote them: {card}");
    assert_eq!(s.text("#main").await.matches("Request declined on").count(), 3);
    s.scroll_top().await;
    s.screenshot("en/19-ledger-deletion-confirmed").await;

    s.ctrl('l').await;
    s.wait_text("#main", "Vault locked.").await;
    s.find("#unlock-passphrase").await;
    s.screenshot("en/22-locked-screen").await;
    s.type_into("#unlock-passphrase", "not my passphrase").await;
    s.click("#unlock").await;
    s.wait_text(".notice-error", "Wrong passphrase").await;
    s.screenshot("en/23-unlock-wrong-passphrase").await;
    s.click("#forgot").await;
    s.wait_text("#main", "Type your recovery secret").await;
    s.screenshot("en/24-recover").await;
    s.click("#recover-back").await;
    s.type_into("#unlock-passphrase", RECOVERED_PASSPHRASE).await;
    s.click("#unlock").await;
    s.find("#facts").await;
    // A packet to revoke, for the English ledger with an active share and the revocation's confirmation.
    s.click("[data-nav='requests']").await;
    open_request(&s, &w.join("cafe.tessera"), &files, "Café Exemple").await;
    s.click("[data-item='email'] input[data-choice='exact']").await;
    s.click("[data-item='birthdate'] input[data-choice='deny']").await;
    s.wait_text("#packet-preview", "ana@example.org").await;
    s.click("#packet-save").await;
    s.wait_text("#request-area", "Packet saved").await;
    s.click("[data-nav='ledger']").await;
    s.wait_text("[data-brand='Café Exemple']", "active").await;
    s.scroll_top().await;
    s.screenshot("en/17-ledger").await;
    s.click("[data-brand='Café Exemple'] [data-revoke]").await;
    s.wait_text("dialog.confirm", "cannot be brought back").await;
    s.screenshot("en/18-ledger-revoke-confirm").await;
    s.click("#dialog-cancel").await;

    s.client.close().await.unwrap();
    drop(driver);

    // B. An English system, a new computer: the backup is restored from the first screen, no vault needed first.
    let data_b = w.join("data-b");
    let files_b = w.join("files-b");
    std::fs::create_dir_all(&files_b).unwrap();
    std::fs::copy(files.join("backup.age"), files_b.join("backup.age")).unwrap();
    let lang_en = PathBuf::from("en_GB.UTF-8");
    let envs_b = [
        ("TESSERA_DATA_DIR", data_b.as_path()),
        ("TESSERA_TEST_FILES", files_b.as_path()),
        ("XDG_DATA_HOME", xdg_data.as_path()),
        ("XDG_CACHE_HOME", xdg_cache.as_path()),
        ("XDG_CONFIG_HOME", xdg_config.as_path()),
        ("LANG", lang_en.as_path()),
    ];
    let (driver, s) = webdriver::start(app, &envs_b, shots.clone()).await;
    s.wait_text("h1", "Create your vault").await;
    s.auto_type("#new-passphrase", "short", Duration::from_millis(20)).await;
    s.wait_text("#new-passphrase-strength", "Strength: too short").await;
    s.screenshot("en/01-create-vault").await;
    s.click("#restore-instead").await;
    s.type_into("#restore-backup-passphrase", "wrong backup passphrase").await;
    s.click("#restore-choose").await;
    s.wait_text(".notice-error", "The backup backup.age does not open").await;
    s.type_into("#restore-backup-passphrase", BACKUP_PASSPHRASE).await;
    s.click("#restore-choose").await;
    s.wait_text("#restore-second-step", "3 profile facts, 2 purchases and 1 share").await;
    s.type_into("#restore-new-passphrase", "a passphrase for the new computer").await;
    s.type_into("#restore-new-passphrase-repeat", "a passphrase for the new computer").await;
    s.screenshot("en/02-restore-on-a-new-computer").await;
    s.click("#restore-new-vault").await;
    let secret_b = s.text("#recovery-secret").await;
    s.wait_text("#main", "Your vault is restored").await;
    s.screenshot("en/03-recovery-secret").await;
    s.click("#recovery-noted").await;
    s.find("input[data-position]").await;
    s.screenshot("en/04-recovery-check").await;
    type_back_recovery_groups(&s, &secret_b).await;
    s.wait_text("#facts", "ana@example.org").await;
    s.wait_text("nav", "Who knows what").await;
    s.client.close().await.unwrap();
    drop(driver);

    // C. Auto-lock after idle, pushed to the page at once; the lock screen speaks the language chosen in settings.
    // Six seconds: long enough for an unlock and a click on a busy machine, short for a test.
    let idle = PathBuf::from("6");
    let envs_c = [
        ("TESSERA_DATA_DIR", data_b.as_path()),
        ("TESSERA_TEST_FILES", files_b.as_path()),
        ("XDG_DATA_HOME", xdg_data.as_path()),
        ("XDG_CACHE_HOME", xdg_cache.as_path()),
        ("XDG_CONFIG_HOME", xdg_config.as_path()),
        ("TESSERA_TEST_IDLE_SECONDS", idle.as_path()),
    ];
    let (driver, s) = webdriver::start(app, &envs_c, shots.clone()).await;
    s.wait_text("h1", "Ouvrez votre coffre").await;
    s.type_into("#unlock-passphrase", "a passphrase for the new computer").await;
    s.click("#unlock").await;
    s.click("[data-nav='purchases']").await;
    s.wait_text("#purchase-count", "2 achats").await;
    let idle_since = Instant::now();
    s.wait_text("#main", "Coffre verrouillé après un moment sans activité").await;
    assert!(
        idle_since.elapsed() < Duration::from_secs(12),
        "locked {:?} after the last activity",
        idle_since.elapsed()
    );
    assert!(s.client.find(Locator::Css("#purchase-count")).await.is_err(), "no data left on screen");
    s.screenshot("fr/25-locked-idle").await;
    s.type_into("#unlock-passphrase", "a passphrase for the new computer").await;
    s.click("#unlock").await;
    s.click("[data-nav='settings']").await;
    s.select("#settings-language", "en").await;
    s.click("#settings-save").await;
    s.wait_text("nav", "Who knows what").await;
    s.wait_text("#main", "Vault locked after a while without activity").await;
    s.find("#unlock-passphrase").await;
    s.screenshot("en/25-locked-idle").await;
    s.client.close().await.unwrap();
    drop(driver);

    // Nothing personal in clear in the vaults, the app data or the web view's profile.
    let mut scanned = 0;
    let mut found = Vec::new();
    for dir in [&data, &data_b, &xdg] {
        for file in files_under(dir) {
            scanned += 1;
            let content = std::fs::read(&file).unwrap_or_default();
            for canary in ["ana@example.org", "Carrefour Market", "1990-04-02", "SNCF", "Vous envoyer votre carte"] {
                let utf16: Vec<u8> = canary.encode_utf16().flat_map(u16::to_le_bytes).collect();
                for needle in [canary.as_bytes().to_vec(), utf16] {
                    if content.windows(needle.len()).any(|w| w == needle.as_slice()) {
                        found.push(format!("{}: {canary}", file.display()));
                    }
                }
            }
        }
    }
    assert!(scanned > 0, "the vaults and the web view profile were scanned");
    assert!(found.is_empty(), "personal data in clear on disk:\n{}", found.join("\n"));
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
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
