//! The request screen's data warns about a brand whose name imitates one the person trusts.

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tessera_app::state::AppState;

fn brand_request(dir: &std::path::Path, name: &str) -> String {
    let mut brand =
        tessera_brand::BrandStore::create(dir, name, tessera_brand::Unlock::Passphrase("brand passphrase"), 0).unwrap();
    let spec: tessera_protocol::request::RequestSpec = serde_json::from_value(json!({
        "items": [{"item": "email", "purpose": "receipts", "required": true}],
        "retention_days": 30, "offer": "Free delivery", "valid_days": 7
    }))
    .unwrap();
    brand.create_request(&spec, chrono::Utc::now().timestamp()).unwrap().jws
}

#[test]
fn opening_a_request_from_a_lookalike_brand_returns_the_warning() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let app = tessera_app::configure(mock_builder())
        .manage(AppState::new(data.path().to_owned(), Some(files.path().to_owned())))
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let call = |cmd: &str, args: Value| -> Value {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&webview, request)
            .map(|body| body.deserialize::<Value>().unwrap())
            .unwrap_or_else(|e| panic!("{cmd}: {e:?}"))
    };
    call("create_vault", json!({"passphrase": "correct horse battery staple"}));
    call("fact_set", json!({"item": "email", "value": "ana@example.org", "sensitivity": "ask_me"}));
    let brands = tempfile::tempdir().unwrap();
    let request_file = files.path().join("request.tessera");

    std::fs::write(&request_file, brand_request(&brands.path().join("real"), "Maison Exemple")).unwrap();
    let real = call("request_open", json!({}));
    assert_eq!(real["lookalike"], Value::Null);
    call("request_save", json!({"decisions": [{"item": "email", "choice": "exact"}]}));

    // The same name with a Cyrillic capital IE, from another key.
    std::fs::write(&request_file, brand_request(&brands.path().join("impostor"), "Maison \u{0415}xemple")).unwrap();
    let impostor = call("request_open", json!({}));
    assert_eq!(impostor["trust"]["state"], "first_contact");
    assert_eq!(impostor["lookalike"]["name"], "Maison Exemple");
    assert_eq!(impostor["lookalike"]["fingerprint"], real["fingerprint"]);
}
