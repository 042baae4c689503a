//! Hostile input through the `tessera` command, as an attacker holding a brand's request file
//! would send it: artifacts signed by an independent JOSE implementation
//! (`crates/protocol/tests/hostile_jose.py`, jwcrypto and raw Ed25519) and encrypted by the
//! stock `age` command. Each is refused with a message that says why, and the brand's data
//! stays listable, showable and exportable.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::json;

const NOW: i64 = 1_795_000_000;
const CONSUMER_SEED: &str = "4444444444444444444444444444444444444444444444444444444444444444";
const IMPOSTOR_SEED: &str = "5555555555555555555555555555555555555555555555555555555555555555";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        Workspace { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn tessera(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .current_dir(self.dir.path())
            .env("TESSERA_NOW", (NOW + 120).to_string())
            .env("TESSERA_PASSPHRASE", "a long brand and consumer passphrase")
            .env("TESSERA_BRAND_DIR", self.path("brand"))
            .env("TESSERA_VAULT_DIR", self.path("vault"))
            .env_remove("TESSERA_BRAND_KEY_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.tessera(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that must fail; returns its standard error.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.tessera(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{args:?} should fail: {}", String::from_utf8_lossy(&out.stdout));
        assert!(stderr.starts_with("error: ") && !stderr.contains("panicked"), "{stderr}");
        stderr
    }

    /// A brand store with one request, as `tessera brand` makes them.
    fn with_brand() -> (Workspace, tessera_protocol::request::SignedRequest) {
        let ws = Workspace::new();
        ws.ok(&["brand", "init", "--name", "Maison Exemple"]);
        std::fs::write(
            ws.path("spec.json"),
            r#"{"items":[{"item":"email","purpose":"Send your loyalty card","required":true},
                {"item":"given_name","purpose":"Greet you","required":false}],
                "retention_days":30,"offer":"15 % off","valid_days":7}"#,
        )
        .unwrap();
        ws.ok(&["brand", "request", "--spec", "spec.json", "--out", "request.tessera"]);
        let request =
            tessera_protocol::request::verify(&std::fs::read_to_string(ws.path("request.tessera")).unwrap()).unwrap();
        (ws, request)
    }

    /// A packet file answering `request`, whose payload is `payload` (a JSON text, used as is),
    /// signed by jwcrypto and encrypted by the age command.
    fn hostile_packet(&self, name: &str, payload: &str, request: &tessera_protocol::request::SignedRequest) {
        let jws =
            python(&["sign", CONSUMER_SEED, r#"{"alg":"EdDSA","typ":"tessera-packet+jwt","kid":"KID"}"#, payload]);
        let file = external("age", &["-r", &request.claims.age_recipient], jws.as_bytes());
        std::fs::write(self.path(name), file).unwrap();
    }
}

fn external(program: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); install it (Debian: age; PyPI: jwcrypto)"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn python(args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../protocol/tests/hostile_jose.py");
    let mut all = vec![script.to_str().unwrap()];
    all.extend(args);
    String::from_utf8(external("python3", &all, b"")).unwrap().trim().to_owned()
}

fn claims(request: &tessera_protocol::request::SignedRequest, jti: &str) -> serde_json::Value {
    json!({
        "ver": 1, "iss": "ISS", "aud": request.claims.iss.to_string(), "iat": NOW + 60, "exp": NOW + 60 + 30 * 86_400,
        "jti": jti, "request_jti": request.claims.jti, "request_hash": request.hash,
        "request_nonce": request.claims.nonce,
        "items": [{"answers": "email", "item": "email", "value": "ana@example.org"}],
    })
}

#[test]
fn a_packet_with_a_repeated_member_is_refused_and_the_store_stays_readable() {
    let (ws, request) = Workspace::with_brand();
    ws.hostile_packet("honest.tessera", &claims(&request, "honest-packet").to_string(), &request);
    ws.ok(&["brand", "import", "honest.tessera"]);
    let twice = claims(&request, "hostile-packet")
        .to_string()
        .replace(r#""value":"ana@example.org""#, r#""value":"ana@example.org","value":"=1+1""#);
    ws.hostile_packet("twice.tessera", &twice, &request);
    let refused = ws.fails(&["brand", "import", "twice.tessera"]);
    assert!(refused.contains("twice.tessera") && refused.contains("repeats the member \"value\""), "{refused}");
    // What the issue saw: every later list, show and export failed. Not any more.
    let list = ws.ok(&["brand", "list"]);
    assert!(list.contains("honest-packet") && !list.contains("hostile-packet"), "{list}");
    assert!(ws.ok(&["brand", "show", "honest-packet"]).contains("ana@example.org"));
    ws.ok(&["brand", "export", "--format", "json", "--out", "export.json"]);
    ws.ok(&["brand", "export", "--format", "csv", "--out", "export.csv"]);
}

#[test]
fn a_packet_kept_until_the_end_of_time_is_refused() {
    let (ws, request) = Workspace::with_brand();
    let mut forever = claims(&request, "forever");
    forever["iat"] = json!(i64::MIN);
    forever["exp"] = json!(i64::MAX);
    ws.hostile_packet("forever.tessera", &forever.to_string(), &request);
    let refused = ws.fails(&["brand", "import", "forever.tessera"]);
    assert!(refused.contains("iat = -9223372036854775808 is not a time between 1970 and 9999"), "{refused}");
    assert!(ws.ok(&["brand", "list"]).contains("No packet held"));
}

#[test]
fn formulas_in_shared_values_reach_the_csv_export_as_text() {
    let (ws, request) = Workspace::with_brand();
    let mut formula = claims(&request, "formula");
    formula["items"] =
        json!([{"answers": "given_name", "item": "given_name", "value": "=HYPERLINK(\"http://x\",\"Ana\")"}]);
    ws.hostile_packet("formula.tessera", &formula.to_string(), &request);
    ws.ok(&["brand", "import", "formula.tessera"]);
    ws.ok(&["brand", "export", "--format", "csv", "--out", "export.csv"]);
    let csv = std::fs::read_to_string(ws.path("export.csv")).unwrap();
    assert!(csv.contains(r#""'=HYPERLINK(""http://x"",""Ana"")""#), "{csv}");
}

#[test]
fn a_damaged_row_is_reported_and_the_others_listed() {
    let (ws, request) = Workspace::with_brand();
    for jti in ["first-packet", "second-packet"] {
        ws.hostile_packet(&format!("{jti}.tessera"), &claims(&request, jti).to_string(), &request);
        ws.ok(&["brand", "import", &format!("{jti}.tessera")]);
    }
    let conn = rusqlite::Connection::open(ws.path("brand/brand.db")).unwrap();
    conn.execute("UPDATE packets SET sealed = CAST(x'00' || sealed AS BLOB) WHERE jti = 'second-packet'", []).unwrap();
    drop(conn);
    let out = ws.tessera(&["brand", "list"]);
    assert!(out.status.success());
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("first-packet") && !stdout.contains("second-packet"), "{stdout}");
    assert!(stderr.contains("warning: packet second-packet cannot be read back"), "{stderr}");
    let shown = ws.fails(&["brand", "show", "second-packet"]);
    assert!(shown.contains("altered or damaged on disk"), "{shown}");
    let exported = ws.tessera(&["brand", "export", "--format", "json", "--out", "export.json"]);
    assert!(String::from_utf8_lossy(&exported.stdout).contains("Exported 1 packet(s)"));
    assert!(String::from_utf8_lossy(&exported.stderr).contains("second-packet"));
}

#[test]
fn consent_show_warns_about_a_brand_name_that_imitates_a_trusted_one() {
    let (ws, _) = Workspace::with_brand();
    ws.ok(&["vault", "init"]);
    ws.ok(&["vault", "fact", "set", "email", "ana@example.org"]);
    ws.ok(&["consent", "answer", "request.tessera", "--share", "email", "--deny", "given_name", "--out", "p.tessera"]);
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let impostor = json!({
        "ver": 1, "iss": "ISS", "iat": NOW, "exp": NOW + 86_400, "jti": "impostor", "nonce": "impostor",
        "brand_name": "Maison \u{0415}xemple", "age_recipient": recipient,
        "items": [{"item": "email", "purpose": "Send your loyalty card", "required": true}],
        "retention_days": 30, "offer": "15 % off",
    });
    let jws = python(&[
        "sign",
        IMPOSTOR_SEED,
        r#"{"alg":"EdDSA","typ":"tessera-request+jwt","kid":"KID"}"#,
        &impostor.to_string(),
    ]);
    std::fs::write(ws.path("impostor.tessera"), format!("{jws}\n")).unwrap();
    let shown = ws.ok(&["consent", "show", "impostor.tessera"]);
    assert!(shown.contains("First contact"), "{shown}");
    assert!(shown.contains("CAREFUL") && shown.contains("looks like \"Maison Exemple\""), "{shown}");
    let honest = ws.ok(&["consent", "show", "request.tessera"]);
    assert!(!honest.contains("CAREFUL"), "{honest}");
    // A name that hides a right-to-left override is refused outright.
    let mut reversed = impostor.clone();
    reversed["brand_name"] = json!("Maison \u{202E}elpmexE");
    let jws = python(&[
        "sign",
        IMPOSTOR_SEED,
        r#"{"alg":"EdDSA","typ":"tessera-request+jwt","kid":"KID"}"#,
        &reversed.to_string(),
    ]);
    std::fs::write(ws.path("reversed.tessera"), jws).unwrap();
    let refused = ws.fails(&["consent", "show", "reversed.tessera"]);
    assert!(refused.contains("brand_name contains U+202E"), "{refused}");
}

#[test]
fn messages_name_the_real_command_and_options() {
    let ws = Workspace::new();
    let no_vault = ws.fails(&["vault", "status"]);
    assert!(no_vault.contains("tessera vault init"), "{no_vault}");
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["vault", "init"])
        .env("TESSERA_VAULT_DIR", ws.path("vault"))
        .env_remove("TESSERA_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--passphrase-file") && stderr.contains("TESSERA_PASSPHRASE"), "{stderr}");
    assert!(!stderr.contains('…'), "{stderr}");
}
