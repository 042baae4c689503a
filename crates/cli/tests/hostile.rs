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

/// A request from the impostor key with `changes` made to an honest request's claims, signed by jwcrypto.
fn request_with(ws: &Workspace, name: &str, changes: serde_json::Value) {
    let mut claims = json!({
        "ver": 1, "iss": "ISS", "iat": NOW, "exp": NOW + 86_400, "jti": "hostile-request", "nonce": "hostile-nonce",
        "brand_name": "Boutique Hostile", "age_recipient": age::x25519::Identity::generate().to_public().to_string(),
        "items": [{"item": "email", "purpose": "Send your loyalty card", "required": true}],
        "retention_days": 30, "offer": "15 % off",
    });
    for (member, value) in changes.as_object().unwrap() {
        claims[member] = value.clone();
    }
    let header = r#"{"alg":"EdDSA","typ":"tessera-request+jwt","kid":"KID"}"#;
    let jws = python(&["sign", IMPOSTOR_SEED, header, &claims.to_string()]);
    std::fs::write(ws.path(name), format!("{jws}\n")).unwrap();
}

#[test]
fn a_packet_file_with_a_huge_age_header_is_refused_before_age_reads_it() {
    let (ws, request) = Workspace::with_brand();
    let jws = python(&[
        "sign",
        CONSUMER_SEED,
        r#"{"alg":"EdDSA","typ":"tessera-packet+jwt","kid":"KID"}"#,
        &claims(&request, "greased").to_string(),
    ]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../protocol/tests/hostile_jose.py");
    let recipient = request.claims.age_recipient.as_str();
    // One grease stanza of 512 KiB (the issue's 25 s import), and 4000 empty ones.
    for (name, stanzas, body) in [("big-grease.tessera", "1", "524288"), ("many-grease.tessera", "4000", "0")] {
        let file =
            external("python3", &[script.to_str().unwrap(), "age-file", recipient, stanzas, body], jws.as_bytes());
        std::fs::write(ws.path(name), &file).unwrap();
        // A genuine age file all the same: the stock age decrypts it.
        ws.ok(&["brand", "export-age-identity", "--out", "identity.txt"]);
        let plain = external("age", &["--decrypt", "-i", ws.path("identity.txt").to_str().unwrap()], &file);
        assert_eq!(String::from_utf8(plain).unwrap(), jws);
        let refused = ws.fails(&["brand", "import", name]);
        assert!(refused.contains(name) && refused.contains("refused packet file: its age header"), "{refused}");
    }
    assert!(ws.ok(&["brand", "list"]).contains("No packet held"));
    // Within the limits (what rage writes), the same packet imports.
    let file = external("python3", &[script.to_str().unwrap(), "age-file", recipient, "2", "100"], jws.as_bytes());
    std::fs::write(ws.path("greased.tessera"), file).unwrap();
    assert!(ws.ok(&["brand", "import", "greased.tessera"]).contains("imported packet greased"));
}

#[test]
fn a_request_to_an_age_recipient_of_small_order_is_refused_without_a_panic() {
    let (ws, _) = Workspace::with_brand();
    ws.ok(&["vault", "init"]);
    ws.ok(&["vault", "fact", "set", "email", "ana@example.org"]);
    let all_zero = python(&["age-recipient", &"00".repeat(32)]);
    request_with(&ws, "low-order.tessera", json!({"age_recipient": all_zero}));
    for args in [
        vec!["consent", "show", "low-order.tessera"],
        vec!["consent", "answer", "low-order.tessera", "--share", "email", "--out", "p.tessera"],
        vec!["inspect", "low-order.tessera"],
    ] {
        let refused = ws.fails(&args);
        assert!(refused.contains("weak key: the age_recipient") && refused.contains("small order"), "{refused}");
    }
    assert!(!ws.path("p.tessera").exists());
}

#[test]
fn brand_texts_on_several_lines_cannot_fake_the_lines_around_them() {
    let (ws, _) = Workspace::with_brand();
    ws.ok(&["vault", "init"]);
    ws.ok(&["vault", "fact", "set", "email", "ana@example.org"]);
    // The issue's offer: a fake retention line, then a fake item, under a purpose that fakes a value.
    let fake_offer =
        "15 % off\n  Keeps your data 1 day; answer before 2026-12-01 00:00 UTC.\n  - email (optional): nothing";
    request_with(&ws, "two-lines.tessera", json!({"offer": fake_offer, "retention_days": 3650}));
    let shown = ws.ok(&["consent", "show", "two-lines.tessera"]);
    let lines: Vec<&str> = shown.lines().collect();
    let offer_at = lines.iter().position(|l| l.starts_with("  Offer: 15 % off")).unwrap();
    assert_eq!(lines[offer_at + 1], "           Keeps your data 1 day; answer before 2026-12-01 00:00 UTC.", "{shown}");
    assert_eq!(lines[offer_at + 2], "           - email (optional): nothing", "{shown}");
    assert!(lines[offer_at + 3].starts_with("  Keeps your data 3650 days"), "{shown}");
    // Too many lines, or blank ones, and the request is refused.
    request_with(&ws, "scroll.tessera", json!({"offer": format!("x{}", "\n".repeat(1999))}));
    let refused = ws.fails(&["consent", "show", "scroll.tessera"]);
    assert!(refused.contains("malformed request: offer has more than 12 lines"), "{refused}");
    let blank = json!([{"item": "email", "purpose": "Loyalty card\n\n      exactly: nothing", "required": true}]);
    request_with(&ws, "blank.tessera", json!({ "items": blank }));
    let refused = ws.fails(&["consent", "show", "blank.tessera"]);
    assert!(refused.contains("the purpose of email has a blank line"), "{refused}");
    request_with(&ws, "invisible.tessera", json!({"offer": "\u{200B}\u{3164}"}));
    let refused = ws.fails(&["consent", "show", "invisible.tessera"]);
    assert!(refused.contains("offer shows nothing"), "{refused}");
}

#[test]
fn files_far_larger_than_any_artifact_are_refused_from_their_size() {
    let (ws, _) = Workspace::with_brand();
    ws.ok(&["vault", "init"]);
    // A sparse file of 1 GiB: refused from its size, never read (the issue saw 2.1 GB in memory).
    let huge = std::fs::File::create(ws.path("huge.tessera")).unwrap();
    huge.set_len(1 << 30).unwrap();
    drop(huge);
    for args in [
        vec!["inspect", "huge.tessera"],
        vec!["consent", "show", "huge.tessera"],
        vec!["consent", "receipt", "huge.tessera"],
        vec!["brand", "revoke-import", "huge.tessera", "--out", "r.tessera"],
        vec!["brand", "import", "huge.tessera"],
    ] {
        let refused = ws.fails(&args);
        assert!(refused.contains("this file is 1.0 GiB, larger than any"), "{args:?}: {refused}");
        assert!(refused.contains("it seems to be nothing but zero bytes"), "{refused}");
        assert!(!refused.contains("malformed request"), "{refused}");
    }
    // A device without end is read up to the cap only.
    let refused = ws.fails(&["brand", "import", "/dev/zero"]);
    assert!(refused.contains("goes on past 32 MiB, larger than any packet file can be"), "{refused}");
}

#[test]
fn text_files_as_editors_save_them_and_others_are_said_for_what_they_are() {
    let (ws, request) = Workspace::with_brand();
    ws.ok(&["vault", "init"]);
    ws.ok(&["vault", "fact", "set", "email", "ana@example.org"]);
    // Saved by Notepad: a byte order mark and CRLF. Accepted.
    let jws = std::fs::read_to_string(ws.path("request.tessera")).unwrap();
    std::fs::write(ws.path("notepad.tessera"), format!("\u{FEFF}{}\r\n", jws.trim())).unwrap();
    assert!(ws.ok(&["consent", "show", "notepad.tessera"]).contains("Request from Maison Exemple"));
    // UTF-16: said so, with what to do.
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(jws.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    std::fs::write(ws.path("utf16.tessera"), utf16).unwrap();
    let refused = ws.fails(&["consent", "show", "utf16.tessera"]);
    assert!(refused.contains("this file is UTF-16 text") && refused.contains("save it again as UTF-8"), "{refused}");
    assert!(!refused.contains("brand import"), "no advice for brands to a consumer: {refused}");
    // A packet file given to the consumer's commands: named, and who opens it.
    ws.ok(&["consent", "answer", "request.tessera", "--share", "email", "--deny", "given_name", "--out", "p.tessera"]);
    let refused = ws.fails(&["consent", "receipt", "p.tessera"]);
    assert!(refused.contains("this is an encrypted packet file"), "{refused}");
    // A form feed after the JWS is not white space a file may add.
    std::fs::write(ws.path("form-feed.tessera"), format!("{}\u{0C}", jws.trim())).unwrap();
    let refused = ws.fails(&["consent", "show", "form-feed.tessera"]);
    assert!(refused.contains("U+000C (a form feed or vertical tab)"), "{refused}");
    drop(request);
}

#[test]
fn parse_errors_are_said_in_plain_words_naming_the_member() {
    let (ws, _) = Workspace::with_brand();
    ws.ok(&["vault", "init"]);
    request_with(&ws, "float.tessera", json!({"retention_days": 30.0}));
    let refused = ws.fails(&["consent", "show", "float.tessera"]);
    assert!(
        refused.contains("retention_days is the number 30.0, where a whole number from 0 to 4294967295 is expected"),
        "{refused}"
    );
    request_with(&ws, "text.tessera", json!({"items": [{"item": "email", "purpose": "p", "required": "yes"}]}));
    let refused = ws.fails(&["consent", "show", "text.tessera"]);
    assert!(refused.contains("items[0].required is the text \"yes\", where true or false is expected"), "{refused}");
    assert!(!refused.contains("invalid type"), "{refused}");
    // A value too long is not repeated whole in the message.
    let long = format!("{}@b.co", "a".repeat(495));
    let refused = ws.fails(&["vault", "fact", "set", "email", &long]);
    assert!(refused.contains("is not an e-mail address") && refused.len() < 200, "{refused}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let (ws, request) = Workspace::with_brand();
    ws.hostile_packet("p.tessera", &claims(&request, "piped-packet").to_string(), &request);
    ws.ok(&["brand", "import", "p.tessera"]);
    ws.ok(&["vault", "init"]);
    for args in [
        vec!["brand", "list"],
        vec!["brand", "list", "--requests"],
        vec!["brand", "show", "piped-packet"],
        vec!["brand", "identity"],
        vec!["inspect", "request.tessera"],
        vec!["vault", "fact", "list"],
        vec!["consent", "list"],
        vec!["--help"],
    ] {
        // Standard output is a pipe whose reading end is closed before the command writes.
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(&args)
            .current_dir(ws.dir.path())
            .env("TESSERA_NOW", (NOW + 120).to_string())
            .env("TESSERA_PASSPHRASE", "a long brand and consumer passphrase")
            .env("TESSERA_BRAND_DIR", ws.path("brand"))
            .env("TESSERA_VAULT_DIR", ws.path("vault"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}
