//! Hostile packets and revocations, signed by an independent JOSE implementation (jwcrypto
//! and raw Ed25519 through `crates/protocol/tests/hostile_jose.py`) and encrypted by the stock
//! `age` command, against a real brand store: each is refused with a message that says why,
//! and the store is left exactly as it was; what is stored can always be read back.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use tessera_brand::data::Unreadable;
use tessera_brand::import::ImportOutcome;
use tessera_brand::{BrandError, BrandStore, Unlock};
use tessera_protocol::request::{RequestSpec, RequestedItem, SignedRequest};
use tessera_protocol::{ProtocolError, DAY_SECONDS};

const NOW: i64 = 1_795_000_000;
const PASSPHRASE: Unlock<'static> = Unlock::Passphrase("brand passphrase for tests");
const CONSUMER_SEED: &str = "1111111111111111111111111111111111111111111111111111111111111111";

fn script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../protocol/tests/hostile_jose.py").display().to_string()
}

/// Runs a program nobody at Tessera wrote; a missing one fails the test (the README's test command installs them).
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
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A JWS over exactly these texts, signed by jwcrypto with the consumer's seed ("ISS" and "KID" filled in).
fn jwcrypto_sign(typ: &str, payload: &str) -> String {
    let header = format!(r#"{{"alg":"EdDSA","typ":"{typ}","kid":"KID"}}"#);
    String::from_utf8(external("python3", &[&script(), "sign", CONSUMER_SEED, &header, payload], b""))
        .unwrap()
        .trim()
        .to_owned()
}

/// A JWS "signed" by the identity point, with no private key at all.
fn forge_weak(typ: &str, payload: &str) -> String {
    let header = format!(r#"{{"alg":"EdDSA","typ":"{typ}","kid":"KID"}}"#);
    String::from_utf8(external("python3", &[&script(), "forge-weak", &header, payload], b"")).unwrap().trim().to_owned()
}

fn consumer_did() -> String {
    String::from_utf8(external("python3", &[&script(), "did", CONSUMER_SEED], b"")).unwrap().trim().to_owned()
}

/// The stock age command encrypts `plaintext` to `recipients`.
fn age_encrypt(plaintext: &str, recipients: &[&str], armor: bool) -> Vec<u8> {
    let mut args = Vec::new();
    if armor {
        args.push("--armor");
    }
    for r in recipients {
        args.extend(["-r", r]);
    }
    external("age", &args, plaintext.as_bytes())
}

struct Brand {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    store: BrandStore,
    request: SignedRequest,
}

/// What a store holds, to compare before and after a refused input.
#[derive(Debug, PartialEq)]
struct Snapshot {
    packets: Vec<String>,
    unreadable: usize,
    tombstones: Vec<String>,
    requests: usize,
}

impl Brand {
    fn new() -> Brand {
        let dir = tempfile::tempdir().unwrap();
        let mut store = BrandStore::create(dir.path(), "Maison Exemple", PASSPHRASE, NOW).unwrap();
        let spec = RequestSpec {
            items: ["email", "given_name", "phone_number", "purchases"]
                .into_iter()
                .map(|i| RequestedItem {
                    item: i.parse().unwrap(),
                    purpose: format!("to use your {i}"),
                    required: false,
                })
                .collect(),
            retention_days: 30,
            offer: "15 % off".into(),
            valid_days: 7,
        };
        let request = store.create_request(&spec, NOW).unwrap();
        Brand { dir: dir.path().to_owned(), _dir: dir, store, request }
    }

    /// The claims of an honest packet answering the request, made at `iat`.
    fn claims(&self, iat: i64) -> Value {
        json!({
            "ver": 1, "iss": "ISS", "aud": self.store.did().to_string(), "iat": iat, "exp": iat + 30 * DAY_SECONDS,
            "jti": format!("hostile-packet-{iat}"), "request_jti": self.request.claims.jti,
            "request_hash": self.request.hash, "request_nonce": self.request.claims.nonce,
            "items": [{"answers": "email", "item": "email", "value": "ana@example.org"}],
        })
    }

    fn file(&self, jws: &str) -> Vec<u8> {
        age_encrypt(jws, &[self.store.age_recipient()], false)
    }

    fn snapshot(&mut self) -> Snapshot {
        let listing = self.store.packet_listing().unwrap();
        Snapshot {
            packets: listing.packets.iter().map(|p| format!("{}:{}", p.packet_jti, p.retention_end)).collect(),
            unreadable: listing.unreadable.len(),
            tombstones: self.store.tombstones().unwrap().iter().map(|t| t.packet_jti.clone()).collect(),
            requests: self.store.requests().unwrap().requests.len(),
        }
    }

    /// Imports `file`, expects a refusal, checks the store did not change, returns the error.
    fn refused(&mut self, file: &[u8]) -> BrandError {
        let before = self.snapshot();
        let err = self.store.import_packet(file, NOW + 120).expect_err("the hostile packet must be refused");
        assert_eq!(self.snapshot(), before, "a refused packet changes nothing ({err})");
        err
    }

    fn import_honest(&mut self, iat: i64) -> String {
        let jws = jwcrypto_sign("tessera-packet+jwt", &self.claims(iat).to_string());
        let file = self.file(&jws);
        match self.store.import_packet(&file, NOW + 120).unwrap() {
            ImportOutcome::Imported { packet_jti, .. } => packet_jti,
            other => panic!("{other:?}"),
        }
    }
}

fn protocol(err: BrandError) -> ProtocolError {
    match err {
        BrandError::Protocol(e) => e,
        other => panic!("expected a protocol error, got {other}"),
    }
}

#[test]
fn duplicate_members_are_refused_and_the_store_stays_readable() {
    let mut brand = Brand::new();
    let honest = brand.import_honest(NOW + 60);
    let claims = brand.claims(NOW + 61).to_string();
    // The same member twice at the top level: last-wins parsers and first-wins parsers disagree.
    let twice = claims.replacen(r#""jti":"#, r#""jti":"first-of-two","jti":"#, 1);
    let err = protocol(brand.refused(&brand.file(&jwcrypto_sign("tessera-packet+jwt", &twice))));
    assert!(matches!(err, ProtocolError::DuplicateMember { ref member, .. } if member == "jti"), "{err}");
    assert!(err.to_string().contains("repeats the member \"jti\""), "{err}");
    // …and deep inside a value.
    let mut deep = brand.claims(NOW + 62);
    deep["items"] = json!([{"answers": "purchases", "item": "purchases", "value": [
        {"date": "2026-10-01", "merchant": "Fnac", "amount": "30.00", "currency": "EUR", "category": "books"}]}]);
    let deep = deep.to_string().replace(r#""amount":"30.00""#, r#""amount":"30.00","amount":"3000.00""#);
    let err = protocol(brand.refused(&brand.file(&jwcrypto_sign("tessera-packet+jwt", &deep))));
    assert!(matches!(err, ProtocolError::DuplicateMember { ref member, .. } if member == "amount"), "{err}");
    // Every later listing, show and export still works.
    assert_eq!(brand.store.packets().unwrap().len(), 1);
    brand.store.packet(&honest).unwrap();
    assert_eq!(brand.store.export_json().unwrap().packets, 1);
    assert_eq!(brand.store.export_csv().unwrap().packets, 1);
}

#[test]
fn a_duplicate_member_in_a_revocation_is_refused_and_the_data_stays() {
    let mut brand = Brand::new();
    let honest = brand.import_honest(NOW + 60);
    let hash = brand.store.packet(&honest).unwrap().packet_hash;
    let payload = json!({"ver": 1, "iss": "ISS", "aud": brand.store.did().to_string(), "iat": NOW + 100,
        "jti": "hostile-revocation", "packet_jti": honest, "packet_hash": hash})
    .to_string()
    .replacen(r#""packet_jti":"#, r#""packet_jti":"another-packet","packet_jti":"#, 1);
    let before = brand.snapshot();
    let err = protocol(
        brand.store.import_revocation(&jwcrypto_sign("tessera-revocation+jwt", &payload), NOW + 120).unwrap_err(),
    );
    assert!(matches!(err, ProtocolError::DuplicateMember { .. }), "{err}");
    assert_eq!(brand.snapshot(), before);
}

#[test]
fn overflowing_times_are_refused() {
    let mut brand = Brand::new();
    let mut claims = brand.claims(NOW + 60);
    claims["iat"] = json!(i64::MIN);
    claims["exp"] = json!(i64::MAX);
    let err = protocol(brand.refused(&brand.file(&jwcrypto_sign("tessera-packet+jwt", &claims.to_string()))));
    assert!(matches!(err, ProtocolError::TimeOutOfRange { member: "iat", .. }), "{err}");
    assert!(err.to_string().contains("between 1970 and 9999"), "{err}");
    // A retention one second longer than the request allows.
    let mut claims = brand.claims(NOW + 60);
    claims["exp"] = json!(NOW + 60 + 30 * DAY_SECONDS + 1);
    let err = protocol(brand.refused(&brand.file(&jwcrypto_sign("tessera-packet+jwt", &claims.to_string()))));
    assert!(matches!(err, ProtocolError::RetentionBeyondRequest { retention_days: 30, .. }), "{err}");
    // A packet dated before the request existed, with a retention that would look fine from there.
    let claims = brand.claims(NOW - 10 * DAY_SECONDS);
    let err = protocol(brand.refused(&brand.file(&jwcrypto_sign("tessera-packet+jwt", &claims.to_string()))));
    assert!(matches!(err, ProtocolError::AnsweredBeforeIssue { .. }), "{err}");
}

#[test]
fn purge_relies_on_the_retention_the_request_set() {
    let mut brand = Brand::new();
    // Made five minutes "in the future" (the clock leeway): its own exp is 30 days after that,
    // but the store keeps it 30 days from the import, no longer.
    let jti = brand.import_honest(NOW + 120 + 300);
    assert_eq!(brand.store.packet(&jti).unwrap().retention_end, NOW + 120 + 30 * DAY_SECONDS);
    assert!(brand.store.purge_expired(NOW + 120 + 30 * DAY_SECONDS - 1).unwrap().is_empty());
    assert_eq!(brand.store.purge_expired(NOW + 120 + 30 * DAY_SECONDS).unwrap().len(), 1);

    // A store written by an older Tessera holds a packet kept "until Unix time 2^63 - 1".
    let old = brand.import_honest(NOW + 60);
    drop(brand.store);
    {
        let conn = rusqlite::Connection::open(brand.dir.join("brand.db")).unwrap();
        conn.execute("UPDATE packets SET retention_end = ?1 WHERE jti = ?2", rusqlite::params![i64::MAX, old]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let mut store = BrandStore::open(&brand.dir, PASSPHRASE).unwrap();
    assert_eq!(store.packet(&old).unwrap().retention_end, NOW + 120 + 30 * DAY_SECONDS, "migrated to schema 2");
    assert_eq!(store.purge_expired(NOW + 120 + 30 * DAY_SECONDS).unwrap().len(), 1);
    assert!(store.packets().unwrap().is_empty());
}

#[test]
fn packets_and_revocations_signed_by_a_weak_key_are_refused() {
    let mut brand = Brand::new();
    let honest = brand.import_honest(NOW + 60);
    let claims = brand.claims(NOW + 61).to_string();
    let err = protocol(brand.refused(&brand.file(&forge_weak("tessera-packet+jwt", &claims))));
    assert!(matches!(err, ProtocolError::WeakKey { .. }), "{err}");
    assert!(err.to_string().contains("anyone can sign for"), "{err}");
    // A revocation that needs no private key cannot delete anything.
    let hash = brand.store.packet(&honest).unwrap().packet_hash;
    let revocation = json!({"ver": 1, "iss": "ISS", "aud": brand.store.did().to_string(), "iat": NOW + 100,
        "jti": "forged-revocation", "packet_jti": honest, "packet_hash": hash});
    let before = brand.snapshot();
    let err = protocol(
        brand
            .store
            .import_revocation(&forge_weak("tessera-revocation+jwt", &revocation.to_string()), NOW + 120)
            .unwrap_err(),
    );
    assert!(matches!(err, ProtocolError::WeakKey { .. }), "{err}");
    assert_eq!(brand.snapshot(), before);
}

#[test]
fn every_required_member_is_required() {
    let mut brand = Brand::new();
    let honest = brand.import_honest(NOW + 60);
    let mut claims = brand.claims(NOW + 61);
    claims.as_object_mut().unwrap().remove("request_nonce");
    let err = protocol(brand.refused(&brand.file(&jwcrypto_sign("tessera-packet+jwt", &claims.to_string()))));
    assert!(matches!(err, ProtocolError::MissingMember { member: "request_nonce", .. }), "{err}");
    let revocation = json!({"ver": 1, "iss": "ISS", "aud": brand.store.did().to_string(), "iat": NOW + 100,
        "jti": "no-hash", "packet_jti": honest});
    let before = brand.snapshot();
    let err = protocol(
        brand
            .store
            .import_revocation(&jwcrypto_sign("tessera-revocation+jwt", &revocation.to_string()), NOW + 120)
            .unwrap_err(),
    );
    assert!(matches!(err, ProtocolError::MissingMember { member: "packet_hash", .. }), "{err}");
    assert_eq!(brand.snapshot(), before);
}

#[test]
fn csv_exports_neutralise_formulas() {
    let mut brand = Brand::new();
    let mut claims = brand.claims(NOW + 60);
    claims["items"] = json!([
        {"answers": "given_name", "item": "given_name", "value": "=HYPERLINK(\"http://evil.example\",\"Ana\")"},
        {"answers": "phone_number", "item": "phone_number", "value": "+33 6 12 34 56 78"},
        {"answers": "email", "item": "email", "value": "-2+3@example.org"},
    ]);
    let file = brand.file(&jwcrypto_sign("tessera-packet+jwt", &claims.to_string()));
    brand.store.import_packet(&file, NOW + 120).unwrap();
    let csv = brand.store.export_csv().unwrap().text;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let values: Vec<String> = reader.records().map(|r| r.unwrap()[7].to_owned()).collect();
    assert_eq!(values, ["'=HYPERLINK(\"http://evil.example\",\"Ana\")", "'+33 6 12 34 56 78", "'-2+3@example.org"]);
    for line in csv.lines() {
        assert!(line.starts_with('"') && line.ends_with('"'), "every field is quoted: {line}");
    }
    // The JSON export keeps the values exactly: JSON is not run by spreadsheets.
    assert!(brand.store.export_json().unwrap().text.contains("=HYPERLINK"));
}

#[test]
fn one_damaged_row_never_makes_the_others_unreadable() {
    let mut brand = Brand::new();
    let good = brand.import_honest(NOW + 60);
    let bad = brand.import_honest(NOW + 61);
    let retyped = brand.import_honest(NOW + 62);
    {
        let conn = rusqlite::Connection::open(brand.dir.join("brand.db")).unwrap();
        // One byte more in the sealed blob; and a row whose blob became text.
        conn.execute("UPDATE packets SET sealed = CAST(x'00' || sealed AS BLOB) WHERE jti = ?1", [&bad]).unwrap();
        conn.execute("UPDATE packets SET sealed = 'not a blob' WHERE jti = ?1", [&retyped]).unwrap();
    }
    let listing = brand.store.packet_listing().unwrap();
    assert_eq!(listing.packets.iter().map(|p| p.packet_jti.as_str()).collect::<Vec<_>>(), [good.as_str()]);
    assert_eq!(listing.unreadable.len(), 2);
    assert_eq!(listing.unreadable[0].packet_jti, bad);
    assert_eq!(listing.unreadable[0].reason, Unreadable::Sealed);
    brand.store.packet(&good).unwrap();
    let err = brand.store.packet(&bad).unwrap_err();
    assert!(matches!(err, BrandError::UnreadablePacket { .. }), "{err}");
    assert!(err.to_string().contains("the other packets are unaffected"), "{err}");
    for export in [brand.store.export_json().unwrap(), brand.store.export_csv().unwrap()] {
        assert_eq!((export.packets, export.unreadable.len()), (1, 2));
        assert!(export.text.contains(&good) && !export.text.contains(&bad));
    }
    // A change of passphrase carries on past the damaged row.
    brand.store.change_unlock(Unlock::Passphrase("another brand passphrase")).unwrap();
    assert_eq!(brand.store.packets().unwrap().len(), 1);
}

#[test]
fn packet_files_in_the_shapes_age_makes() {
    let mut brand = Brand::new();
    let recipient = brand.store.age_recipient().to_owned();
    // `echo $JWS | age -r …`: the JWS and a line break.
    let jws = jwcrypto_sign("tessera-packet+jwt", &brand.claims(NOW + 60).to_string());
    let file = age_encrypt(&format!("{jws}\n"), &[&recipient], false);
    assert!(matches!(brand.store.import_packet(&file, NOW + 120).unwrap(), ImportOutcome::Imported { .. }));
    let stored = brand.store.packets().unwrap().remove(0);
    assert_eq!(stored.jws, jws, "the JWS is stored without the line break");
    // ASCII-armored (`age --armor`).
    let jws = jwcrypto_sign("tessera-packet+jwt", &brand.claims(NOW + 61).to_string());
    let file = age_encrypt(&jws, &[&recipient], true);
    assert!(file.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(matches!(brand.store.import_packet(&file, NOW + 120).unwrap(), ImportOutcome::Imported { .. }));
    // Encrypted to the brand and to someone else: refused.
    let eavesdropper = "age1kmnwt245eek0ynuzfl7362ulce9tcn4k3nq77lc3ukr3tvjmsqksexqhsg";
    let jws = jwcrypto_sign("tessera-packet+jwt", &brand.claims(NOW + 62).to_string());
    let err = protocol(brand.refused(&age_encrypt(&jws, &[&recipient, eavesdropper], false)));
    assert!(matches!(err, ProtocolError::PacketRecipients { x25519: 2, .. }), "{err}");
}

#[test]
fn a_brand_name_with_controls_or_invisible_characters_is_refused() {
    for name in ["Maison \u{202E}elpmexE", "Maison Ex\u{200B}emple", "Maison\u{7}"] {
        let dir = tempfile::tempdir().unwrap();
        let err = BrandStore::create(dir.path(), name, PASSPHRASE, NOW).unwrap_err();
        assert!(matches!(err, BrandError::InvalidName { .. }), "{err}");
        assert!(!dir.path().join("brand.db").exists(), "nothing is created");
    }
    assert!(consumer_did().starts_with("did:key:z6Mk"));
}
