//! The app's commands through Tauri's mock runtime: no display needed. Errors
//! reach the page as a code and typed fields only: no English, no path.

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;
use tessera_app::state::AppState;

struct TestApp {
    _app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    files: tempfile::TempDir,
    _data: tempfile::TempDir,
}

fn app() -> TestApp {
    new_app()
}

fn new_app() -> TestApp {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let app = tessera_app::configure(mock_builder())
        .manage(AppState::new(data.path().to_owned(), Some(files.path().to_owned())))
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    TestApp { _app: app, webview, files, _data: data }
}

impl TestApp {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.webview, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args.clone()).unwrap_or_else(|e| panic!("{cmd}({args}) failed: {e}"))
    }

    fn error(&self, cmd: &str, args: Value) -> Value {
        let error = self.call(cmd, args).expect_err("the command should fail");
        assert!(error.get("message").is_none(), "no English sentence reaches the page: {error}");
        let text = error.to_string();
        let temp = std::env::temp_dir();
        let paths = [temp.to_string_lossy().into_owned(), "/home/".to_owned(), "/root".to_owned()];
        assert!(!paths.iter().any(|p| text.contains(p.as_str())), "no path reaches the page: {error}");
        error
    }

    fn error_code(&self, cmd: &str, args: Value) -> String {
        self.error(cmd, args)["code"].as_str().unwrap().to_owned()
    }
}

const PASSPHRASE: &str = "correct horse battery staple";

#[test]
fn a_vault_is_created_locked_and_unlocked_with_errors_as_code_and_message() {
    let app = app();
    assert_eq!(app.ok("app_status", json!({}))["vault_exists"], false);
    assert_eq!(
        app.error("create_vault", json!({"passphrase": "short"})),
        json!({"code": "weak_passphrase", "min": 10})
    );
    let created = app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    assert_eq!(created["recovery_secret"].as_str().unwrap().len(), 64);
    assert_eq!(app.ok("app_status", json!({}))["unlocked"], true);
    assert_eq!(app.ok("app_status", json!({}))["recovery_unconfirmed"], true);

    // Two groups of the recovery secret typed back, at different positions, before going on.
    let groups: Vec<String> = created["recovery_secret"].as_str().unwrap().split('-').map(str::to_owned).collect();
    let typed = |a: usize, b: &str| json!({"position": a, "group": b});
    for wrong in [
        json!([typed(2, &groups[1])]),
        json!([typed(2, &groups[1]), typed(2, &groups[1])]),
        json!([typed(2, &groups[1]), typed(9, &groups[7])]),
        json!([typed(2, &groups[1]), typed(14, "ABCD")]),
    ] {
        assert_eq!(app.error_code("recovery_confirm", json!({"groups": wrong})), "recovery_groups_differ");
    }
    std::fs::create_dir_all(app.files.path()).unwrap();
    assert_eq!(app.ok("recovery_save", json!({})), "recovery-secret.txt");
    let saved = std::fs::read_to_string(app.files.path().join("recovery-secret.txt")).unwrap();
    assert!(saved.contains(created["recovery_secret"].as_str().unwrap()));
    app.ok("recovery_confirm", json!({"groups": [typed(3, &groups[2].to_lowercase()), typed(13, &groups[12])]}));
    assert_eq!(app.ok("app_status", json!({}))["recovery_unconfirmed"], false);
    assert_eq!(app.error_code("recovery_save", json!({})), "locked", "the secret is forgotten once confirmed");
    app.ok("lock", json!({}));
    assert_eq!(app.error_code("facts_list", json!({})), "locked");
    assert_eq!(app.error_code("unlock", json!({"passphrase": "not the passphrase"})), "wrong_passphrase");
    assert_eq!(app.ok("unlock", json!({"passphrase": PASSPHRASE}))["damaged_records"], 0);
    let secret = created["recovery_secret"].as_str().unwrap();
    app.ok("lock", json!({}));
    app.ok("recover", json!({"recoverySecret": secret, "newPassphrase": "a brand new passphrase"}));
    app.ok("lock", json!({}));
    app.ok("unlock", json!({"passphrase": "a brand new passphrase"}));
}

#[test]
fn facts_purchases_and_settings_go_through_the_vault() {
    let app = app();
    app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    assert!(
        app.ok("vocabulary", json!({})).as_array().unwrap().iter().all(|v| v["name"] != "age_range"),
        "only profile facts are offered"
    );
    app.ok("fact_set", json!({"item": "email", "value": "ana@example.org", "sensitivity": "ask_me"}));
    app.ok("fact_set", json!({"item": "tessera.interests", "value": "vélo, cuisine", "sensitivity": "share_freely"}));
    assert_eq!(
        app.error("fact_set", json!({"item": "birthdate", "value": "02/04/1990", "sensitivity": "ask_me"})),
        json!({"code": "invalid_value", "item": "birthdate"}),
        "the page sends dates as YYYY-MM-DD"
    );
    assert_eq!(
        app.error("fact_set", json!({"item": "tessera.household_size", "value": "three", "sensitivity": "ask_me"})),
        json!({"code": "not_a_whole_number", "item": "tessera.household_size"})
    );
    let facts = app.ok("facts_list", json!({}));
    assert_eq!(facts[0]["item"], "email");
    assert_eq!(facts[1]["text"], "vélo, cuisine");

    // A deleted fact comes back exactly, once.
    let removed = app.ok("fact_remove", json!({"item": "tessera.interests"}));
    assert_eq!(removed["text"], "vélo, cuisine");
    assert_eq!(app.ok("facts_list", json!({})).as_array().unwrap().len(), 1);
    assert_eq!(app.ok("fact_undo_remove", json!({}))["item"], "tessera.interests");
    assert_eq!(app.ok("facts_list", json!({}))[1]["sensitivity"], "share_freely");
    assert_eq!(app.error_code("fact_undo_remove", json!({})), "nothing_to_undo");
    app.ok("fact_remove", json!({"item": "email"}));
    assert_eq!(app.ok("facts_list", json!({})).as_array().unwrap().len(), 1);
    assert_eq!(app.error("fact_remove", json!({"item": "email"})), json!({"code": "no_such_fact", "item": "email"}));

    let entry = |date: &str, merchant: &str, amount: &str| json!({"purchase": {"date": date, "merchant": merchant, "amount": amount, "currency": "eur", "category": null}});
    let id = app.ok("purchase_add", entry("14/03/2026", "Carrefour", "12,50"));
    assert_eq!(
        app.error("purchase_add", entry("2026-02-30", "Carrefour", "1")),
        json!({"code": "not_a_date", "text": "2026-02-30"})
    );
    std::fs::write(
        app.files.path().join("purchases.csv"),
        "Compte courant;0123456\n\nDate;Libellé;Montant\n01/03/2026;SNCF;-45,00\n02/03/2026;Fnac;-20,00\n\
         03/03/2026;VIR SALAIRE ACME;2 350,00\nbad;row;x\n",
    )
    .unwrap();
    assert_eq!(app.ok("csv_choose", json!({})), "purchases.csv");
    // Every date could be day first or month first: the preview asks, and importing without an answer is refused.
    let preview = app.ok("csv_preview", json!({"options": {}}));
    assert_eq!(preview["questions"][0]["question"], "date_order");
    assert_eq!(preview["date_order"], Value::Null);
    assert_eq!(app.error_code("csv_import", json!({"options": {}})), "csv_date_order");
    let answered = json!({"options": {"date_order": "day_first"}});
    let preview = app.ok("csv_preview", answered.clone());
    assert_eq!(preview["new_count"], 2);
    assert_eq!(preview["skipped"][0], json!({"first_line": 1, "last_line": 2, "reason": "before_header"}));
    assert_eq!(preview["new_credit_count"], 1, "the salary is money received, kept apart");
    assert_eq!(preview["errors"][0]["line"], 7);
    assert_eq!(preview["errors"][0]["problem"], "not_a_date");
    assert_eq!(preview["error_count"], 1);
    let report = app.ok("csv_import", answered);
    assert_eq!((report["imported"].clone(), report["credits_kept"].clone()), (json!(2), json!(1)));
    assert_eq!(
        app.error("purchase_add", entry("14/03/2026", "Fnac", "-15")),
        json!({"code": "not_spending", "text": "-15"})
    );
    let page = app.ok("purchases_query", json!({"filter": {}, "offset": 0, "limit": 50}));
    assert_eq!(page["total_matching"], 3);
    let totals = app.ok("purchases_totals", json!({"filter": {"category": "transport"}}));
    assert_eq!(totals["by_category"][0]["total"], "45.00");

    // Edited in place, then deleted.
    let mut edited = entry("2026-03-15", "Carrefour City", "13.75");
    edited["id"] = id.clone();
    app.ok("purchase_edit", edited.clone());
    let march = app
        .ok("purchases_query", json!({"filter": {"from": "2026-03-15", "to": "2026-03-15"}, "offset": 0, "limit": 5}));
    assert_eq!(
        (&march["rows"][0]["merchant"], &march["rows"][0]["amount"]),
        (&json!("Carrefour City"), &json!("13.75"))
    );
    app.ok("purchase_remove", json!({"id": id}));
    assert_eq!(app.error_code("purchase_edit", edited), "unknown_purchase");
    assert_eq!(app.ok("purchases_query", json!({"filter": {}, "offset": 0, "limit": 50}))["total_matching"], 2);

    let mut settings = app.ok("settings_get", json!({}));
    settings["language"] = json!("en");
    settings["auto_lock_minutes"] = json!(10);
    app.ok("settings_set", json!({"settings": settings}));
    assert_eq!(app.ok("app_status", json!({}))["auto_lock_minutes"], 10);
    settings["language"] = json!("de");
    assert_eq!(app.error_code("settings_set", json!({"settings": settings})), "unavailable_language");
    settings["language"] = json!("en");
    settings["auto_lock_minutes"] = json!(0);
    assert_eq!(
        app.error("settings_set", json!({"settings": settings})),
        json!({"code": "auto_lock_out_of_range", "min": 1, "max": 240})
    );
    app.ok("lock", json!({}));
    assert_eq!(app.ok("app_status", json!({}))["language"], "en", "the lock screen speaks the chosen language");
}

#[test]
fn a_request_is_answered_item_by_item_and_the_packet_saved() {
    let app = app();
    app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    app.ok("fact_set", json!({"item": "email", "value": "ana@example.org", "sensitivity": "ask_me"}));
    app.ok("fact_set", json!({"item": "birthdate", "value": "1990-04-02", "sensitivity": "ask_me"}));
    let brand_dir = tempfile::tempdir().unwrap();
    let mut brand = tessera_brand::BrandStore::create(
        brand_dir.path(),
        "Maison Test",
        tessera_brand::Unlock::Passphrase("brand passphrase"),
        0,
    )
    .unwrap();
    let spec: tessera_protocol::request::RequestSpec = serde_json::from_value(json!({
        "items": [{"item": "email", "purpose": "receipts", "required": true}, {"item": "birthdate", "purpose": "offers", "required": false}],
        "retention_days": 30, "offer": "Free delivery", "valid_days": 7
    }))
    .unwrap();
    let request = brand.create_request(&spec, chrono::Utc::now().timestamp()).unwrap();
    std::fs::write(app.files.path().join("request.tessera"), &request.jws).unwrap();

    let review = app.ok("request_open", json!({}));
    assert_eq!(review["brand_name"], "Maison Test");
    assert_eq!(review["trust"]["state"], "first_contact");
    assert_eq!(
        app.error("request_preview", json!({"decisions": [{"item": "email", "choice": "exact"}]})),
        json!({"code": "undecided", "items": ["birthdate"]})
    );
    assert_eq!(
        app.error_code(
            "request_preview",
            json!({"decisions": [{"item": "email", "choice": "deny"}, {"item": "birthdate", "choice": "deny"}]})
        ),
        "everything_denied"
    );
    assert_eq!(app.ok("request_current", json!({}))["brand_name"], "Maison Test", "the open request waits");
    let decisions = json!([{"item": "email", "choice": "exact"}, {"item": "birthdate", "choice": "generalised", "form": "age_over_18"}]);
    let preview = app.ok("request_preview", json!({"decisions": decisions}));
    assert_eq!(preview["items"][1]["value"], true);
    let saved = app.ok("request_save", json!({"decisions": decisions}));
    assert_eq!(saved, json!({"brand_name": "Maison Test", "file_name": "packet.tessera"}));
    assert!(app.files.path().join("packet.tessera").exists());
    assert_eq!(app.ok("request_current", json!({})), Value::Null, "an answered request is closed");
    let ledger = app.ok("ledger", json!({}));
    let jti = ledger[0]["packets"][0]["packet_jti"].as_str().unwrap().to_owned();
    let jti = jti.as_str();
    assert_eq!(
        ledger[0]["packets"][0]["items"][0],
        json!({"answers": "email", "item": "email", "value": "ana@example.org", "purpose": "receipts"})
    );
    let imported = brand
        .import_packet(&std::fs::read(app.files.path().join("packet.tessera")).unwrap(), chrono::Utc::now().timestamp())
        .unwrap();
    assert!(matches!(imported, tessera_brand::import::ImportOutcome::Imported { items: 2, .. }));

    let ledger = app.ok("ledger", json!({}));
    assert_eq!(ledger[0]["packets"][0]["status"], "active");
    let revoked = app.ok("packet_revoke", json!({"packetJti": jti}));
    assert_eq!(revoked["status"], "revoked");
    let revocation = std::fs::read_to_string(app.files.path().join("revocation.tessera")).unwrap();
    let outcome = brand.import_revocation(revocation.trim(), chrono::Utc::now().timestamp()).unwrap();
    std::fs::write(app.files.path().join("receipt.tessera"), outcome.receipt).unwrap();
    assert_eq!(app.ok("receipt_import", json!({}))["status"], "deletion_confirmed");

    // The same request again, declined in one call: recorded with what was asked and why.
    app.ok("request_open", json!({}));
    let refusal = app.ok("request_decline", json!({}));
    assert_eq!(refusal["brand_name"], "Maison Test");
    assert_eq!(refusal["asked"][1], json!({"item": "birthdate", "purpose": "offers", "required": false}));
    assert_eq!(app.ok("ledger", json!({}))[0]["refusals"][0]["asked"], refusal["asked"]);
    assert_eq!(app.error_code("request_decline", json!({})), "no_request_open");

    // A receipt that is not a Tessera file is named by its file name, never its path.
    std::fs::write(app.files.path().join("receipt.tessera"), [0xff, 0xfe, 0x00]).unwrap();
    assert_eq!(
        app.error("receipt_import", json!({})),
        json!({"code": "not_a_tessera_file", "file": "receipt.tessera"})
    );
}

#[test]
fn a_backup_is_inspected_then_restored_after_confirming_and_becomes_a_vault_on_a_new_computer() {
    let app = app();
    app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    app.ok("fact_set", json!({"item": "email", "value": "ana@example.org", "sensitivity": "ask_me"}));
    assert_eq!(app.ok("backup_create", json!({"backupPassphrase": "backup passphrase 2026"})), "backup.age");
    app.ok("fact_set", json!({"item": "given_name", "value": "Ana", "sensitivity": "ask_me"}));
    assert_eq!(
        app.error_code("backup_restore", json!({"backupPassphrase": "backup passphrase 2026"})),
        "no_backup_chosen"
    );
    assert_eq!(
        app.error("backup_inspect", json!({"backupPassphrase": "wrong passphrase"})),
        json!({"code": "backup_unreadable", "file": "backup.age"})
    );
    let summary = app.ok("backup_inspect", json!({"backupPassphrase": "backup passphrase 2026"}));
    assert_eq!(summary["holds"], json!({"facts": 1, "purchases": 0, "packets": 0, "held": 0}));
    assert_eq!(
        summary["replaces"],
        json!({"facts": 2, "purchases": 0, "packets": 0, "held": 0}),
        "what a restore would replace"
    );
    assert_eq!(app.ok("facts_list", json!({})).as_array().unwrap().len(), 2, "inspecting changes nothing");
    app.ok("backup_restore", json!({"backupPassphrase": "backup passphrase 2026"}));
    assert_eq!(app.ok("facts_list", json!({})).as_array().unwrap().len(), 1);

    // Another computer: no vault, and the backup becomes one, with a new passphrase and a new recovery secret.
    let other = new_app();
    std::fs::copy(app.files.path().join("backup.age"), other.files.path().join("backup.age")).unwrap();
    assert_eq!(other.ok("app_status", json!({}))["vault_exists"], false);
    let summary = other.ok("backup_inspect", json!({"backupPassphrase": "backup passphrase 2026"}));
    assert_eq!(summary["replaces"], Value::Null, "nothing to replace on a new computer");
    let args = |new: &str| json!({"backupPassphrase": "backup passphrase 2026", "newPassphrase": new});
    assert_eq!(other.error_code("vault_from_backup", args("short")), "weak_passphrase");
    assert_eq!(other.ok("app_status", json!({}))["vault_exists"], false, "nothing made with a refused passphrase");
    let restored = other.ok("vault_from_backup", args("a passphrase for this computer"));
    assert_eq!(restored["restored"]["holds"]["facts"], 1);
    assert_eq!(restored["recovery_secret"].as_str().unwrap().len(), 64);
    assert_eq!(other.ok("app_status", json!({}))["recovery_unconfirmed"], true);
    assert_eq!(other.ok("facts_list", json!({}))[0]["text"], "ana@example.org");
    other.ok("lock", json!({}));
    other.ok("unlock", json!({"passphrase": "a passphrase for this computer"}));
    assert_eq!(other.error_code("vault_from_backup", args("a passphrase for this computer")), "no_backup_chosen");
    other.ok("backup_inspect", json!({"backupPassphrase": "backup passphrase 2026"}));
    assert_eq!(other.error_code("vault_from_backup", args("a passphrase for this computer")), "vault_exists");
}

#[test]
fn the_page_hears_at_once_when_the_vault_locks_by_itself() {
    use std::sync::{Arc, Mutex};
    use tauri::Manager;
    let app = app();
    app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&heard);
    let state = app.webview.state::<AppState>();
    state.watch_locks(tauri::ipc::Channel::new(move |body| {
        if let tauri::ipc::InvokeResponseBody::Json(json) = body {
            sink.lock().unwrap().push(json);
        }
        Ok(())
    }));
    state.lock_because(tessera_app::locking::LockReason::Sleep);
    assert_eq!(app.ok("app_status", json!({}))["unlocked"], false);
    state.lock_because(tessera_app::locking::LockReason::ScreenLocked);
    assert_eq!(*heard.lock().unwrap(), vec![r#"{"reason":"sleep"}"#.to_owned()], "told once, when it was open");
    app.ok("unlock", json!({"passphrase": PASSPHRASE}));
    app.ok("lock", json!({}));
    assert_eq!(heard.lock().unwrap().len(), 1, "locking from the page needs no message back");
}

#[test]
fn the_capability_grants_exactly_the_apps_own_commands() {
    let capability: Value = serde_json::from_str(include_str!("../capabilities/main-window.json")).unwrap();
    assert_eq!(capability["windows"], json!(["main"]));
    let permissions: Vec<String> =
        capability["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> =
        tessera_app::COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    assert_eq!(permissions, expected, "one permission per app command, no plugin permission");
    let config: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let csp = config["app"]["security"]["csp"].as_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
}

#[test]
fn every_text_of_the_interface_exists_in_french_and_english() {
    let fr: serde_json::Map<String, Value> =
        serde_json::from_str(include_str!("../../ui/src/locales/fr.json")).unwrap();
    let en: serde_json::Map<String, Value> =
        serde_json::from_str(include_str!("../../ui/src/locales/en.json")).unwrap();
    let missing_in_en: Vec<&String> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
    let missing_in_fr: Vec<&String> = en.keys().filter(|k| !fr.contains_key(*k)).collect();
    assert!(
        missing_in_en.is_empty() && missing_in_fr.is_empty(),
        "fr only: {missing_in_en:?}; en only: {missing_in_fr:?}"
    );
}

#[test]
fn the_vault_locks_itself_after_the_idle_delay_and_not_before() {
    use tauri::Manager;
    let app = app();
    app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    let state = app.webview.state::<AppState>();
    state.lock_if_idle();
    assert_eq!(app.ok("app_status", json!({}))["unlocked"], true, "fresh activity keeps it open");
    *state.last_activity.lock().unwrap() = std::time::Instant::now() - std::time::Duration::from_secs(5 * 60 + 1);
    state.lock_if_idle();
    assert_eq!(app.ok("app_status", json!({}))["unlocked"], false, "idle past 5 minutes: locked, keys dropped");
    assert_eq!(app.error_code("facts_list", json!({})), "locked");
}

#[test]
fn a_request_file_opened_from_outside_waits_for_the_vault_then_opens_like_a_chosen_file() {
    use tauri::Manager;
    use tessera_app::incoming::{Incoming, IncomingRequest};
    let app = app();
    app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    let brand_dir = tempfile::tempdir().unwrap();
    let mut brand = tessera_brand::BrandStore::create(
        brand_dir.path(),
        "Maison Test",
        tessera_brand::Unlock::Passphrase("brand passphrase"),
        0,
    )
    .unwrap();
    let spec: tessera_protocol::request::RequestSpec = serde_json::from_value(json!({
        "items": [{"item": "email", "purpose": "receipts", "required": true}],
        "retention_days": 30, "offer": "Free delivery", "valid_days": 7
    }))
    .unwrap();
    let request = brand.create_request(&spec, chrono::Utc::now().timestamp()).unwrap();
    let file = app.files.path().join("offre.tessera-request");
    std::fs::write(&file, format!("{}\r\n", request.jws)).unwrap();
    let incoming = app._app.state::<Incoming>();

    // Nothing waits: nothing opens.
    assert_eq!(app.ok("request_open_incoming", json!({})), Value::Null);

    // The file arrives while the vault is locked: it keeps waiting, unread.
    incoming.arrive(IncomingRequest::File(file.clone()));
    app.ok("lock", json!({}));
    assert_eq!(app.error_code("request_open_incoming", json!({})), "locked");
    assert!(incoming.is_waiting());

    // Unlocked: it opens once, exactly like a request file chosen in the dialog, and waits no more.
    app.ok("unlock", json!({"passphrase": PASSPHRASE}));
    let review = app.ok("request_open_incoming", json!({}));
    assert_eq!(review["brand_name"], "Maison Test");
    assert_eq!(review["offer"], "Free delivery");
    assert_eq!(app.ok("request_current", json!({}))["brand_name"], "Maison Test");
    assert!(!incoming.is_waiting());
    assert_eq!(app.ok("request_open_incoming", json!({})), Value::Null);

    // A file that is not a request is named by its file name, never its path; a link that is not one is refused.
    let bad = app.files.path().join("vide.tessera-request");
    std::fs::write(&bad, [0xff, 0xfe]).unwrap();
    incoming.arrive(IncomingRequest::File(bad));
    assert_eq!(
        app.error("request_open_incoming", json!({})),
        json!({"code": "not_a_tessera_file", "file": "vide.tessera-request"})
    );
    incoming.arrive(IncomingRequest::Link("tessera://request?request_uri=http://inbox.example/v1/requests/1".into()));
    app.error("request_open_incoming", json!({}));
    assert!(!incoming.is_waiting(), "a request that cannot be opened does not come back at every unlock");
}
