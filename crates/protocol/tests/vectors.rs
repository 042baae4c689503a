//! Protocol test vectors: every file in `tests/vectors/` is one case — an artifact made by an
//! independent implementation (`tests/hostile_jose.py`: jwcrypto, raw Ed25519, the `age`
//! command), what to check it against, and the expected outcome: `"valid"` or the stable
//! code of the error (`ProtocolError::code`). A new case is a new file; this one loop reads
//! them all. Regenerate with `python3 crates/protocol/tests/hostile_jose.py vectors
//! crates/protocol/tests/vectors`.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;
use tessera_protocol::receipt::{DeletionReason, PacketRecord};
use tessera_protocol::{envelope, packet, receipt, request, revocation, Did, ProtocolError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    description: String,
    check: Check,
    now: i64,
    /// The artifact as text (a JWS, possibly with white space around it)…
    artifact: Option<String>,
    /// …or as bytes (a packet file).
    artifact_base64: Option<String>,
    context: Context,
    expect: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Check {
    Request,
    Packet,
    PacketFile,
    Revocation,
    Receipt,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Context {
    brand: Option<String>,
    consumer: Option<String>,
    request: Option<String>,
    age_identity: Option<String>,
    packet_jti: Option<String>,
    packet_hash: Option<String>,
    packet_issuer: Option<String>,
    /// For receipts, what the consumer recorded: when the packet was made…
    packet_iat: Option<i64>,
    /// …their revocation of it, if any…
    revocation_jti: Option<String>,
    revoked_at: Option<i64>,
    /// …and a deletion already confirmed, if any.
    confirmed_deleted_at: Option<i64>,
    confirmed_reason: Option<String>,
}

impl Context {
    fn did(value: &Option<String>, name: &str) -> Did {
        value.as_deref().unwrap_or_else(|| panic!("context.{name} is needed")).parse().expect("context DIDs are valid")
    }
    fn text<'a>(value: &'a Option<String>, name: &str) -> &'a str {
        value.as_deref().unwrap_or_else(|| panic!("context.{name} is needed"))
    }
}

fn run(vector: &Vector) -> Result<(), ProtocolError> {
    let ctx = &vector.context;
    let now = vector.now;
    let text = || vector.artifact.as_deref().expect("a text artifact");
    let the_request =
        || request::verify(Context::text(&ctx.request, "request")).expect("the context's request is valid");
    match vector.check {
        Check::Request => request::verify(text())?.check_answerable(now),
        Check::Packet => packet::verify(text(), &Context::did(&ctx.brand, "brand"), now)?.check_answers(&the_request()),
        Check::PacketFile => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(vector.artifact_base64.as_deref().expect("a binary artifact"))
                .expect("base64");
            let identity: age::x25519::Identity =
                Context::text(&ctx.age_identity, "age_identity").parse().expect("an age identity");
            let jws = envelope::open(&bytes, &identity)?;
            packet::verify(&jws, &Context::did(&ctx.brand, "brand"), now)?.check_answers(&the_request())
        }
        Check::Revocation => revocation::verify(text(), &Context::did(&ctx.brand, "brand"), now)?.check_revokes(
            Context::text(&ctx.packet_jti, "packet_jti"),
            Context::text(&ctx.packet_hash, "packet_hash"),
            &Context::did(&ctx.packet_issuer, "packet_issuer"),
        ),
        Check::Receipt => receipt::verify(
            text(),
            &Context::did(&ctx.brand, "brand"),
            &Context::did(&ctx.consumer, "consumer"),
            Context::text(&ctx.packet_jti, "packet_jti"),
            Context::text(&ctx.packet_hash, "packet_hash"),
            now,
        )?
        .check_against(&PacketRecord {
            shared_at: ctx.packet_iat.expect("context.packet_iat is needed"),
            revocation: ctx.revocation_jti.as_deref().zip(ctx.revoked_at),
            confirmed: ctx
                .confirmed_deleted_at
                .zip(ctx.confirmed_reason.as_deref().map(|r| DeletionReason::parse(r).expect("a reason"))),
        }),
    }
}

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_vector_has_its_expected_outcome() {
    let files = vector_files();
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let vector: Vector = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: not a test vector: {e}"));
        let outcome = std::panic::catch_unwind(|| run(&vector));
        let found = match &outcome {
            Ok(Ok(())) => "valid".to_owned(),
            Ok(Err(e)) => e.code().to_owned(),
            Err(_) => "panic".to_owned(),
        };
        if vector.expect == "valid" {
            valid += 1;
        } else {
            invalid += 1;
        }
        if found != vector.expect {
            let detail = match &outcome {
                Ok(Err(e)) => e.to_string(),
                _ => String::new(),
            };
            failures.push(format!("{name} ({}): expected {}, got {found} {detail}", vector.description, vector.expect));
        }
        if let Ok(Err(e)) = &outcome {
            // Every refusal says what was wrong in words, not only as a code.
            assert!(e.to_string().len() > 20, "{name}: {e}");
        }
    }
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert!(valid >= 10 && invalid >= 90, "{valid} valid and {invalid} invalid vectors: some files are missing");
}
