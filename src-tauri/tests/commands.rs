//! The app's commands through Tauri's mock runtime: no display needed.

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

    fn error_code(&self, cmd: &str, args: Value) -> String {
        let error = self.call(cmd, args).expect_err("the command should fail");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "errors carry a message: {error}");
        error["code"].as_str().unwrap().to_owned()
    }
}

const PASSPHRASE: &str = "correct horse battery staple";

#[test]
fn a_vault_is_created_locked_and_unlocked_with_errors_as_code_and_message() {
    let app = app();
    assert_eq!(app.ok("app_status", json!({}))["vault_exists"], false);
    assert_eq!(app.error_code("create_vault", json!({"passphrase": "short"})), "weak_passphrase");
    let created = app.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    assert_eq!(created["recovery_secret"].as_str().unwrap().len(), 64);
    assert_eq!(app.ok("app_status", json!({}))["unlocked"], true);
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
        app.error_code("fact_set", json!({"item": "birthdate", "value": "02/04/1990", "sensitivity": "ask_me"})),
        "invalid_input"
    );
    let facts = app.ok("facts_list", json!({}));
    assert_eq!(facts[0]["item"], "email");
    assert_eq!(facts[1]["text"], "vélo, cuisine");
    app.ok("fact_remove", json!({"item": "email"}));
    assert_eq!(app.ok("facts_list", json!({})).as_array().unwrap().len(), 1);

    app.ok(
        "purchase_add",
        json!({"date": "14/03/2026", "merchant": "Carrefour", "amount": "12,50", "currency": "eur", "category": null}),
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
        app.error_code(
            "purchase_add",
            json!({"date": "14/03/2026", "merchant": "Fnac", "amount": "-15", "currency": "EUR", "category": null})
        ),
        "not_spending"
    );
    let page = app.ok("purchases_query", json!({"filter": {}, "offset": 0, "limit": 50}));
    assert_eq!(page["total_matching"], 3);
    let totals = app.ok("purchases_totals", json!({"filter": {"category": "transport"}}));
    assert_eq!(totals["by_category"][0]["total"], "45.00");

    let mut settings = app.ok("settings_get", json!({}));
    settings["language"] = json!("en");
    settings["auto_lock_minutes"] = json!(10);
    app.ok("settings_set", json!({"settings": settings}));
    assert_eq!(app.ok("app_status", json!({}))["auto_lock_minutes"], 10);
    settings["language"] = json!("de");
    assert_eq!(app.error_code("settings_set", json!({"settings": settings})), "invalid_input");
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
        app.error_code("request_preview", json!({"decisions": [{"item": "email", "choice": "exact"}]})),
        "invalid_input"
    );
    let decisions = json!([{"item": "email", "choice": "exact"}, {"item": "birthdate", "choice": "generalised", "form": "age_over_18"}]);
    let preview = app.ok("request_preview", json!({"decisions": decisions}));
    assert_eq!(preview["items"][1]["value"], true);
    let entry = app.ok("request_save", json!({"decisions": decisions}));
    assert!(app.files.path().join("packet.tessera").exists());
    let jti = entry["packet_jti"].as_str().unwrap();
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
