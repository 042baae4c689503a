//! The whole exchange through the `tessera` command, as a brand and a consumer would run it,
//! and interop with tools nobody here wrote: the stock `age` command and Python's jwcrypto.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DAY: i64 = 86_400;
const NOW: i64 = 1_795_000_000;

struct Workspace {
    dir: tempfile::TempDir,
}

struct Run {
    output: Output,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    fn ok(self) -> Run {
        assert!(self.output.status.success(), "command failed:\nstdout: {}\nstderr: {}", self.stdout(), self.stderr());
        self
    }
    fn fails(self) -> Run {
        assert!(!self.output.status.success(), "command should have failed:\nstdout: {}", self.stdout());
        assert!(self.stderr().starts_with("error: "), "errors start with 'error: ': {}", self.stderr());
        assert!(!self.stderr().contains("panicked"), "{}", self.stderr());
        self
    }
}

impl Workspace {
    fn new() -> Workspace {
        Workspace { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Runs `tessera` at time `now` as brand `brand` (its store directory) and the consumer of this workspace.
    fn tessera_as(&self, brand: &str, now: i64, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .current_dir(self.dir.path())
            .env("TESSERA_NOW", now.to_string())
            .env("TESSERA_PASSPHRASE", "a long brand and consumer passphrase")
            .env("TESSERA_BRAND_DIR", self.path(brand))
            .env("TESSERA_VAULT_DIR", self.path("vault"))
            .env_remove("TESSERA_BRAND_KEY_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run { output }
    }

    fn tessera(&self, now: i64, args: &[&str]) -> Run {
        self.tessera_as("brand", now, args)
    }

    /// A brand, a consumer with facts, and a request from the brand.
    fn with_request(items: &str) -> Workspace {
        let ws = Workspace::new();
        ws.tessera(NOW, &["brand", "init", "--name", "Maison Exemple"]).ok();
        ws.write(
            "spec.json",
            &format!(r#"{{"items":{items},"retention_days":30,"offer":"15 % off your next order","valid_days":7}}"#),
        );
        ws.tessera(NOW, &["brand", "request", "--spec", "spec.json", "--out", "request.tessera"]).ok();
        ws.write(
            "facts.json",
            r#"{"email":"ana@example.org","birthdate":"1990-04-02","phone_number":"+33 6 12 34 56 78","address.postal_code":"69003"}"#,
        );
        ws.tessera(NOW, &["vault", "init"]).ok();
        ws.tessera(NOW, &["vault", "fact", "import", "facts.json"]).ok();
        ws.write("purchases.csv", "Date;Libellé;Montant\n01/10/2026;Bio c Bon;-12,50\n12/10/2026;Fnac;-30,00\n");
        ws.tessera(NOW, &["vault", "purchase", "import", "purchases.csv", "--date-order", "dmy"]).ok();
        ws
    }

    fn packet_ids(&self, now: i64) -> Vec<String> {
        self.tessera(now, &["brand", "list"])
            .ok()
            .stdout()
            .lines()
            .filter(|l| !l.starts_with("No packet"))
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .collect()
    }
}

const THREE_ITEMS: &str = r#"[{"item":"email","purpose":"Send your loyalty card","required":true},
    {"item":"birthdate","purpose":"A birthday offer","required":false},
    {"item":"phone_number","purpose":"Call you","required":false}]"#;

fn answer(ws: &Workspace, now: i64, out: &str) -> Run {
    ws.tessera(
        now,
        &[
            "consent",
            "answer",
            "request.tessera",
            "--share",
            "email",
            "--share",
            "birthdate=age_range",
            "--deny",
            "phone_number",
            "--out",
            out,
        ],
    )
}

#[test]
fn the_whole_exchange_runs_from_request_to_confirmed_deletion() {
    let ws = Workspace::with_request(THREE_ITEMS);
    answer(&ws, NOW + 60, "packet.tessera").ok();

    let imported = ws.tessera(NOW + 120, &["brand", "import", "packet.tessera"]).ok();
    assert!(imported.stdout().contains("imported packet"), "{}", imported.stdout());
    let again = ws.tessera(NOW + 130, &["brand", "import", "packet.tessera"]).ok();
    assert!(again.stdout().contains("already imported"), "{}", again.stdout());
    let ids = ws.packet_ids(NOW + 140);
    assert_eq!(ids.len(), 1, "re-import is idempotent");
    let packet = &ids[0];

    // The brand holds exactly the approved items: email exactly, birthdate as an age range, no phone.
    let shown = ws.tessera(NOW + 150, &["brand", "show", packet]).ok().stdout();
    assert!(shown.contains("email: \"ana@example.org\""), "{shown}");
    assert!(shown.contains("age_range (generalised from birthdate): \"35-44\""), "{shown}");
    assert!(!shown.contains("1990-04-02") && !shown.contains("phone"), "{shown}");
    ws.tessera(NOW + 160, &["brand", "export", "--format", "json", "--out", "export.json"]).ok();
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("export.json")).unwrap()).unwrap();
    assert_eq!(export[0]["items"].as_array().unwrap().len(), 2);
    ws.tessera(NOW + 160, &["brand", "export", "--format", "csv", "--out", "export.csv"]).ok();
    let csv = std::fs::read_to_string(ws.path("export.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(r#","birthdate","age_range","35-44""#), "{csv}");

    // The consumer revokes; the brand purges and signs a receipt; the consumer checks it.
    ws.tessera(NOW + DAY, &["consent", "revoke", packet, "--out", "revocation.tessera"]).ok();
    let revoked =
        ws.tessera(NOW + DAY + 60, &["brand", "revoke-import", "revocation.tessera", "--out", "receipt.tessera"]).ok();
    assert!(revoked.stdout().contains("Deleted the data"), "{}", revoked.stdout());
    assert!(ws.packet_ids(NOW + DAY + 70).is_empty(), "the data is gone");
    let tombstones = ws.tessera(NOW + DAY + 70, &["brand", "list", "--deleted"]).ok().stdout();
    assert!(tombstones.contains(packet.as_str()) && tombstones.contains("revoked"), "{tombstones}");
    let inspected = ws.tessera(NOW + DAY + 80, &["inspect", "receipt.tessera"]).ok().stdout();
    assert!(inspected.contains("deletion receipt"), "{inspected}");
    let confirmed = ws.tessera(NOW + DAY + 90, &["consent", "receipt", "receipt.tessera"]).ok();
    assert!(confirmed.stdout().contains("deletion confirmed"), "{}", confirmed.stdout());
    let ledger = ws.tessera(NOW + DAY + 100, &["consent", "list"]).ok().stdout();
    assert!(ledger.contains("deletion confirmed"), "{ledger}");

    // The purged packet cannot come back, and the revocation is idempotent.
    let refused = ws.tessera(NOW + DAY + 110, &["brand", "import", "packet.tessera"]).fails();
    assert!(
        refused.stderr().contains("packet.tessera") && refused.stderr().contains("cannot be imported again"),
        "{}",
        refused.stderr()
    );
    let again = ws
        .tessera(NOW + DAY + 120, &["brand", "revoke-import", "revocation.tessera", "--out", "receipt2.tessera"])
        .ok();
    assert!(again.stdout().contains("already been deleted"), "{}", again.stdout());
    assert_eq!(std::fs::read(ws.path("receipt.tessera")).unwrap(), std::fs::read(ws.path("receipt2.tessera")).unwrap());
}

#[test]
fn packets_past_retention_are_purged_on_the_next_command_with_a_receipt_on_demand() {
    let ws = Workspace::with_request(THREE_ITEMS);
    answer(&ws, NOW + 60, "packet.tessera").ok();
    ws.tessera(NOW + 120, &["brand", "import", "packet.tessera"]).ok();
    let packet = ws.packet_ids(NOW + 130).remove(0);
    let later = ws.tessera(NOW + 60 + 30 * DAY, &["brand", "list"]).ok();
    assert!(later.stderr().contains("Deleted 1 packet(s) that reached their retention end"), "{}", later.stderr());
    assert!(later.stdout().contains("No packet held"), "{}", later.stdout());
    let purge = ws.tessera(NOW + 31 * DAY, &["brand", "purge"]).ok();
    assert!(purge.stdout().contains("Deleted 0 packet(s)"), "{}", purge.stdout());
    ws.tessera(NOW + 31 * DAY, &["brand", "receipt", &packet, "--out", "receipt.tessera"]).ok();
    let confirmed = ws.tessera(NOW + 31 * DAY, &["consent", "receipt", "receipt.tessera"]).ok();
    assert!(confirmed.stdout().contains("deletion confirmed"), "{}", confirmed.stdout());
    // And a packet that reached its retention end is not imported late.
    let late = ws.tessera(NOW + 31 * DAY, &["brand", "import", "packet.tessera"]).fails();
    assert!(
        late.stderr().contains("retention end") || late.stderr().contains("cannot be imported again"),
        "{}",
        late.stderr()
    );
}

#[test]
fn nothing_is_shared_without_a_decision_for_every_item() {
    let ws = Workspace::with_request(THREE_ITEMS);
    let undecided =
        ws.tessera(NOW, &["consent", "answer", "request.tessera", "--share", "email", "--out", "p.tessera"]).fails();
    assert!(
        undecided.stderr().contains("birthdate") && undecided.stderr().contains("phone_number"),
        "{}",
        undecided.stderr()
    );
    assert!(!ws.path("p.tessera").exists());
    let wrong_form = ws
        .tessera(
            NOW,
            &[
                "consent",
                "answer",
                "request.tessera",
                "--share",
                "email=age_range",
                "--deny",
                "birthdate",
                "--deny",
                "phone_number",
                "--out",
                "p.tessera",
            ],
        )
        .fails();
    assert!(wrong_form.stderr().contains("cannot be shared as age_range"), "{}", wrong_form.stderr());
    let preview = ws
        .tessera(
            NOW,
            &[
                "consent",
                "answer",
                "request.tessera",
                "--share",
                "email",
                "--deny",
                "birthdate",
                "--deny",
                "phone_number",
                "--preview",
            ],
        )
        .ok();
    assert!(
        preview.stdout().contains("email: \"ana@example.org\"") && preview.stdout().contains("nothing was written"),
        "{}",
        preview.stdout()
    );
    let expired = answer(&ws, NOW + 8 * DAY, "p.tessera").fails();
    assert!(
        expired.stderr().contains("request.tessera") && expired.stderr().contains("expired"),
        "{}",
        expired.stderr()
    );
    assert!(!ws.path("p.tessera").exists());
}

#[test]
fn a_packet_sent_to_the_wrong_brand_is_refused_and_changes_nothing() {
    let ws = Workspace::with_request(THREE_ITEMS);
    ws.tessera_as("other-brand", NOW, &["brand", "init", "--name", "Autre Marque"]).ok();
    answer(&ws, NOW + 60, "packet.tessera").ok();
    let refused = ws.tessera_as("other-brand", NOW + 120, &["brand", "import", "packet.tessera"]).fails();
    assert!(
        refused.stderr().contains("packet.tessera") && refused.stderr().contains("not encrypted to this brand"),
        "{}",
        refused.stderr()
    );
    let list = ws.tessera_as("other-brand", NOW + 130, &["brand", "list"]).ok();
    assert!(list.stdout().contains("No packet held"));
}

#[test]
fn bad_files_and_wrong_passphrases_get_clear_errors_and_lose_nothing() {
    let ws = Workspace::with_request(THREE_ITEMS);
    answer(&ws, NOW + 60, "packet.tessera").ok();
    ws.tessera(NOW + 120, &["brand", "import", "packet.tessera"]).ok();
    ws.write("garbage.tessera", "this is not a packet");
    let run = ws.tessera(NOW + 130, &["brand", "import", "garbage.tessera", "missing.tessera"]).fails();
    assert!(run.stderr().contains("garbage.tessera: cannot decrypt"), "{}", run.stderr());
    assert!(run.stderr().contains("missing.tessera"), "{}", run.stderr());
    assert!(run.stderr().contains("2 of 2 file(s) could not be imported"), "{}", run.stderr());
    assert_eq!(ws.packet_ids(NOW + 140).len(), 1, "the packet already stored is still there");

    let wrong = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["brand", "list"])
        .env("TESSERA_PASSPHRASE", "not the passphrase")
        .env("TESSERA_BRAND_DIR", ws.path("brand"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert_eq!(ws.packet_ids(NOW + 150).len(), 1);

    let no_store = ws.tessera_as("nowhere", NOW, &["brand", "list"]).fails();
    assert!(no_store.stderr().contains("tessera brand init"), "{}", no_store.stderr());
    ws.write("bad-spec.json", r#"{"items":[{"item":"shoe_colour","purpose":"x","required":true}],"retention_days":30,"offer":"o","valid_days":7}"#);
    let bad_spec = ws.tessera(NOW, &["brand", "request", "--spec", "bad-spec.json", "--out", "r2.tessera"]).fails();
    assert!(
        bad_spec.stderr().contains("bad-spec.json") && bad_spec.stderr().contains("shoe_colour"),
        "{}",
        bad_spec.stderr()
    );
    let not_a_request = ws.tessera(NOW, &["inspect", "facts.json"]).fails();
    assert!(not_a_request.stderr().contains("facts.json: malformed"), "{}", not_a_request.stderr());
}

#[test]
fn a_revocation_signed_by_someone_else_is_refused_and_the_data_stays() {
    let ws = Workspace::with_request(THREE_ITEMS);
    answer(&ws, NOW + 60, "packet.tessera").ok();
    ws.tessera(NOW + 120, &["brand", "import", "packet.tessera"]).ok();
    let packet = ws.packet_ids(NOW + 130).remove(0);
    // A revocation signed by any key other than the packet's own must not work.
    let shown = ws.tessera(NOW + 130, &["brand", "identity"]).ok().stdout();
    let brand_did: tessera_protocol::Did =
        shown.lines().find(|l| l.starts_with("Identity:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let stranger = tessera_protocol::SigningKey::generate();
    let (forged, _) = tessera_protocol::revocation::sign(
        &stranger,
        &brand_did,
        &packet,
        &tessera_protocol::encoding::sha256_b64url(b"irrelevant"),
        NOW + 200,
    );
    ws.write("forged.tessera", &forged);
    let refused =
        ws.tessera(NOW + 300, &["brand", "revoke-import", "forged.tessera", "--out", "receipt.tessera"]).fails();
    assert!(refused.stderr().contains("forged.tessera: wrong signer"), "{}", refused.stderr());
    assert!(!ws.path("receipt.tessera").exists());
    assert_eq!(ws.packet_ids(NOW + 400), vec![packet]);
}

/// Runs a program nobody at Tessera wrote; a missing one is a failed test, not a skipped one.
fn external(program: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(program).args(args).current_dir(dir).stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}); install it (Debian: age; PyPI: jwcrypto) — the README's test command does")
    })
}

fn interop_script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/jose_interop.py").display().to_string()
}

#[test]
fn the_stock_age_command_decrypts_a_packet_and_jwcrypto_verifies_it() {
    let ws = Workspace::with_request(THREE_ITEMS);
    answer(&ws, NOW + 60, "packet.tessera").ok();
    ws.tessera(NOW + 120, &["brand", "export-age-identity", "--out", "brand-identity.txt"]).ok();
    let decrypted = external(
        "age",
        &["--decrypt", "-i", "brand-identity.txt", "-o", "packet.jws", "packet.tessera"],
        ws.dir.path(),
    );
    assert!(decrypted.status.success(), "age: {}", String::from_utf8_lossy(&decrypted.stderr));
    let verified = external("python3", &[&interop_script(), "verify", "packet.jws"], ws.dir.path());
    assert!(verified.status.success(), "jwcrypto: {}", String::from_utf8_lossy(&verified.stderr));
    let jose: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(jose["header"]["typ"], "tessera-packet+jwt");
    assert_eq!(jose["header"]["alg"], "EdDSA");
    assert_eq!(jose["payload"]["items"][0]["value"], "ana@example.org");
    // Requests, revocations and receipts verify with jwcrypto too.
    let packet = ws.packet_ids(NOW + 120);
    assert!(packet.is_empty());
    ws.tessera(NOW + 130, &["brand", "import", "packet.tessera"]).ok();
    let packet = ws.packet_ids(NOW + 140).remove(0);
    ws.tessera(NOW + 150, &["consent", "revoke", &packet, "--out", "revocation.tessera"]).ok();
    ws.tessera(NOW + 160, &["brand", "revoke-import", "revocation.tessera", "--out", "receipt.tessera"]).ok();
    for (file, typ) in [
        ("request.tessera", "tessera-request+jwt"),
        ("revocation.tessera", "tessera-revocation+jwt"),
        ("receipt.tessera", "tessera-receipt+jwt"),
    ] {
        let verified = external("python3", &[&interop_script(), "verify", file], ws.dir.path());
        assert!(verified.status.success(), "jwcrypto on {file}: {}", String::from_utf8_lossy(&verified.stderr));
        let jose: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
        assert_eq!(jose["header"]["typ"], typ);
    }
    // jwcrypto notices a tampered packet.
    let mut jws = std::fs::read_to_string(ws.path("packet.jws")).unwrap();
    let middle = jws.len() / 2;
    let replacement = if &jws[middle..=middle] == "A" { "B" } else { "A" };
    jws.replace_range(middle..=middle, replacement);
    ws.write("tampered.jws", &jws);
    let refused = external("python3", &[&interop_script(), "verify", "tampered.jws"], ws.dir.path());
    assert!(!refused.status.success(), "jwcrypto accepted a tampered packet");
}

#[test]
fn a_request_signed_by_jwcrypto_is_accepted_and_answered() {
    let ws = Workspace::new();
    ws.tessera(NOW, &["vault", "init"]).ok();
    let brand_age = age::x25519::Identity::generate();
    let now = NOW.to_string();
    let signed = external(
        "python3",
        &[&interop_script(), "sign-request", &brand_age.to_public().to_string(), &now, "request.tessera"],
        ws.dir.path(),
    );
    assert!(signed.status.success(), "jwcrypto: {}", String::from_utf8_lossy(&signed.stderr));
    let did = String::from_utf8_lossy(&signed.stdout).trim().to_owned();
    let inspected = ws.tessera(NOW + 10, &["inspect", "request.tessera"]).ok().stdout();
    assert!(inspected.contains("Brasserie Python") && inspected.contains(&did), "{inspected}");
    ws.tessera(NOW, &["vault", "fact", "set", "email", "ana@example.org"]).ok();
    ws.tessera(NOW + 20, &["consent", "answer", "request.tessera", "--share", "email", "--out", "packet.tessera"]).ok();
    // The packet opens with the brand's age key and is addressed to the jwcrypto-made identity.
    let jws = tessera_protocol::envelope::open(&std::fs::read(ws.path("packet.tessera")).unwrap(), &brand_age).unwrap();
    let packet = tessera_protocol::packet::verify(&jws, &did.parse().unwrap(), NOW + 30).unwrap();
    packet
        .check_answers(
            &tessera_protocol::request::verify(std::fs::read_to_string(ws.path("request.tessera")).unwrap().trim())
                .unwrap(),
        )
        .unwrap();
}
