//! Structure-aware: start from valid artifacts, mutate their JSON members (remove, replace,
//! repeat, nest, extreme numbers, hostile texts, weak keys), then **sign what was mutated**, so
//! every input reaches past the signature check into the claims and binding rules.
//!
//! Besides "no panic", it checks properties that must hold for anything accepted:
//! a packet accepted on import reads back with the same parser (`verify_stored`) to the same
//! claims; its retention never exceeds what the request allows; times are in range; nothing
//! signed by a weak key, and no JSON text naming a member twice, is ever accepted.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tessera_protocol::encoding::b64url;
use tessera_protocol::packet::{self, SharedItem};
use tessera_protocol::receipt::{self, Deletion, DeletionReason};
use tessera_protocol::request::{self, RequestSpec, RequestedItem, SignedRequest};
use tessera_protocol::{revocation, Did, SigningKey, MAX_TIME};

const NOW: i64 = 1_795_000_000;

/// The valid artifacts every input starts from.
struct Base {
    brand: SigningKey,
    consumer: SigningKey,
    request: SignedRequest,
    /// Member lists (name, JSON text) of each artifact's valid payload.
    payloads: [Vec<(String, String)>; 4],
}

fn members(value: Value) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
        _ => unreachable!("claims are objects"),
    }
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let brand = SigningKey::from_seed(&[1; 32]);
        let consumer = SigningKey::from_seed(&[2; 32]);
        let identity: age::x25519::Identity =
            "AGE-SECRET-KEY-1HWA4RVY9RD5J55KRCNFE2MYL03Y268PU026LL78KRS87V0JHUHCSC7U8HP".parse().expect("identity");
        let spec = RequestSpec {
            items: ["email", "birthdate", "purchases", "tessera.interests"]
                .iter()
                .map(|i| RequestedItem { item: i.parse().expect("item"), purpose: "p".into(), required: false })
                .collect(),
            retention_days: 30,
            offer: "offer".into(),
            valid_days: 7,
        };
        let request = request::sign(&spec, "Maison", &identity.to_public().to_string(), &brand, NOW).expect("request");
        let items = vec![
            SharedItem {
                answers: "email".parse().expect("item"),
                item: "email".parse().expect("item"),
                value: "a@b.fr".into(),
            },
            SharedItem {
                answers: "birthdate".parse().expect("item"),
                item: "age_range".parse().expect("item"),
                value: "35-44".into(),
            },
        ];
        let packet = packet::draft(&request, &consumer.did(), items, NOW + 60).expect("draft");
        let signed = packet::sign(&packet, &consumer).expect("packet");
        let (_, revocation) = revocation::sign(&consumer, &brand.did(), &packet.jti, &signed.hash, NOW + 100);
        let deletion = Deletion {
            consumer: consumer.did(),
            packet_jti: packet.jti.clone(),
            packet_hash: signed.hash.clone(),
            revocation_jti: Some(revocation.jti.clone()),
            deleted_at: NOW + 100,
            reason: DeletionReason::Revoked,
        };
        let (_, receipt) = receipt::sign(&brand, &deletion, NOW + 100);
        let payloads = [
            members(serde_json::to_value(&request.claims).expect("json")),
            members(serde_json::to_value(&packet).expect("json")),
            members(serde_json::to_value(&revocation).expect("json")),
            members(serde_json::to_value(&receipt).expect("json")),
        ];
        Base { brand, consumer, request, payloads }
    })
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Which {
    Request,
    Packet,
    Revocation,
    Receipt,
}

impl Which {
    fn index(self) -> usize {
        self as usize
    }
    fn typ(self) -> &'static str {
        ["tessera-request+jwt", "tessera-packet+jwt", "tessera-revocation+jwt", "tessera-receipt+jwt"][self.index()]
    }
}

const NAMES: &[&str] = &[
    "ver",
    "iss",
    "aud",
    "iat",
    "exp",
    "jti",
    "nonce",
    "brand_name",
    "age_recipient",
    "items",
    "retention_days",
    "offer",
    "request_jti",
    "request_hash",
    "request_nonce",
    "packet_jti",
    "packet_hash",
    "revocation_jti",
    "deleted_at",
    "reason",
    "item",
    "purpose",
    "required",
    "answers",
    "value",
    "alg",
    "typ",
    "kid",
    "crit",
    "v\\u0065r",
    "date",
    "merchant",
    "amount",
    "currency",
    "category",
];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Other(String),
}

impl Name {
    fn render(&self) -> String {
        match self {
            Name::Known(i) => format!("\"{}\"", NAMES[*i as usize % NAMES.len()]),
            Name::Other(s) => serde_json::to_string(s).unwrap_or_default(),
        }
    }
}

const TEXTS: &[&str] = &[
    "",
    " ",
    "Maison \u{202E}elpmexE",
    "Ex\u{200B}emple",
    "=HYPERLINK(\"x\")",
    "line\nbreak",
    "age_range",
    "purchase_totals",
    "35-44",
    "1990-04-02",
    "12.50",
    "EUR",
    "retention_expired",
    "revoked",
    "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
    "EdDSA",
];

const TIMES: &[i64] = &[0, -1, MAX_TIME, MAX_TIME + 1, i64::MIN, i64::MAX, NOW, NOW + 60, NOW + 30 * 86_400 + 60];

#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    Float(f64),
    Time(u8),
    Text(u8),
    Str(String),
    /// A DID: the brand's, the consumer's, or a weak one.
    Did(u8),
    /// A member value taken from one of the valid payloads (a real hash, nonce, item list…).
    Borrowed(u8, u8),
    Array(Vec<Json>),
    Object(Vec<(Name, Json)>),
}

impl Json {
    fn render(&self, depth: usize) -> String {
        if depth > 8 {
            return "null".into();
        }
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Int(i) => i.to_string(),
            Json::Big(u) => format!("{u}0"),
            Json::Float(f) if f.is_finite() => format!("{f:e}"),
            Json::Float(_) => "1e999".into(),
            Json::Time(i) => TIMES[*i as usize % TIMES.len()].to_string(),
            Json::Text(i) => serde_json::to_string(TEXTS[*i as usize % TEXTS.len()]).unwrap_or_default(),
            Json::Str(s) => serde_json::to_string(s).unwrap_or_default(),
            Json::Did(i) => {
                let b = base();
                let did = match i % 3 {
                    0 => b.brand.did().to_string(),
                    1 => b.consumer.did().to_string(),
                    _ => weak_did(*i),
                };
                format!("\"{did}\"")
            }
            Json::Borrowed(artifact, member) => {
                let payload = &base().payloads[*artifact as usize % 4];
                payload[*member as usize % payload.len()].1.clone()
            }
            Json::Array(items) => {
                format!("[{}]", items.iter().map(|v| v.render(depth + 1)).collect::<Vec<_>>().join(","))
            }
            Json::Object(members) => format!(
                "{{{}}}",
                members
                    .iter()
                    .map(|(k, v)| format!("{}:{}", k.render(), v.render(depth + 1)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }
}

/// The encodings of small-order points (and a non-canonical one): keys anyone can sign for.
fn weak_key(i: u8) -> [u8; 32] {
    let mut key = [0u8; 32];
    match i % 4 {
        0 => key[0] = 1,
        1 => {}
        2 => {
            key = [0xff; 32];
            key[0] = 0xec;
            key[31] = 0x7f;
        }
        _ => {
            key = [0xff; 32];
            key[0] = 0xee;
            key[31] = 0x7f;
        }
    }
    key
}

fn weak_did(i: u8) -> String {
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(&weak_key(i));
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

#[derive(Arbitrary, Debug)]
enum Mutation {
    Remove(Name),
    Set(Name, Json),
    /// Adds the member again (a duplicate if it is there already).
    Repeat(Name, Json),
    /// Replaces the value with one of the valid payloads' value for that same member.
    Swap(Name, u8),
}

#[derive(Arbitrary, Debug)]
enum Signer {
    Brand,
    Consumer,
    /// A small-order key with the free signature R = identity, S = 0.
    Weak(u8),
    Stranger,
}

#[derive(Arbitrary, Debug)]
struct Input {
    which: Which,
    signer: Signer,
    header: Vec<Mutation>,
    payload: Vec<Mutation>,
    /// White space before and after the JWS.
    padding: (u8, u8),
    now_offset: i32,
}

fn apply(mut members: Vec<(String, String)>, mutations: &[Mutation]) -> Vec<(String, String)> {
    for m in mutations.iter().take(16) {
        match m {
            Mutation::Remove(name) => {
                let name = name.render();
                members.retain(|(k, _)| format!("\"{k}\"") != name && *k != name);
            }
            Mutation::Set(name, value) => {
                let (name, value) = (name.render(), value.render(0));
                match members.iter_mut().find(|(k, _)| format!("\"{k}\"") == name) {
                    Some(slot) => slot.1 = value,
                    None => members.push((name, value)),
                }
            }
            Mutation::Repeat(name, value) => members.push((name.render(), value.render(0))),
            Mutation::Swap(name, from) => {
                let name = name.render();
                let donor = &base().payloads[*from as usize % 4];
                if let Some((_, v)) = donor.iter().find(|(k, _)| format!("\"{k}\"") == name) {
                    if let Some(slot) = members.iter_mut().find(|(k, _)| format!("\"{k}\"") == name) {
                        slot.1 = v.clone();
                    }
                }
            }
        }
    }
    members
}

fn render(members: &[(String, String)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| if k.starts_with('"') { format!("{k}:{v}") } else { format!("\"{k}\":{v}") })
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Whether some object of `text` names a member twice: serde_json's map keeps one of two
/// members of the same name, so it then holds fewer members than the text names.
fn has_duplicate(text: &str) -> bool {
    fn count(v: &Value) -> usize {
        match v {
            Value::Array(items) => items.iter().map(count).sum(),
            Value::Object(map) => map.len() + map.values().map(count).sum::<usize>(),
            _ => 0,
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(kept) => count_members(text) != count(&kept),
        Err(_) => false,
    }
}

/// Counts `"name":` member occurrences in a JSON text that serde_json parsed (strings are skipped).
fn count_members(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut n, mut stack) = (0, 0, Vec::new());
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(true),
            b'[' => stack.push(false),
            b'}' | b']' => {
                stack.pop();
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                // A string directly followed by ':' inside an object is a member name.
                let mut j = i + 1;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if stack.last() == Some(&true) && j < bytes.len() && bytes[j] == b':' && start < i {
                    n += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    n
}

fn sign(header: &str, payload: &str, signer: &Signer) -> (String, bool) {
    let b = base();
    let input = format!("{}.{}", b64url(header.as_bytes()), b64url(payload.as_bytes()));
    match signer {
        Signer::Weak(_) => {
            let mut free = [0u8; 64];
            free[0] = 1;
            (format!("{input}.{}", b64url(&free)), true)
        }
        Signer::Brand => (format!("{input}.{}", b64url(&b.brand.sign(input.as_bytes()))), false),
        Signer::Consumer => (format!("{input}.{}", b64url(&b.consumer.sign(input.as_bytes()))), false),
        Signer::Stranger => {
            let key = SigningKey::from_seed(&[3; 32]);
            (format!("{input}.{}", b64url(&key.sign(input.as_bytes()))), false)
        }
    }
}

fuzz_target!(|input: Input| {
    let b = base();
    let signer_did = match &input.signer {
        Signer::Brand => b.brand.did().to_string(),
        Signer::Consumer => b.consumer.did().to_string(),
        Signer::Weak(i) => weak_did(*i),
        Signer::Stranger => SigningKey::from_seed(&[3; 32]).did().to_string(),
    };
    let kid = format!("{signer_did}#{}", &signer_did["did:key:".len()..]);
    let header_members = vec![
        ("alg".to_owned(), "\"EdDSA\"".to_owned()),
        ("typ".to_owned(), format!("\"{}\"", input.which.typ())),
        ("kid".to_owned(), format!("\"{kid}\"")),
    ];
    let header = render(&apply(header_members, &input.header));
    let mut payload_members = b.payloads[input.which.index()].clone();
    // The issuer is the signer, so that the mutations, not the issuer check, decide.
    if let Some(iss) = payload_members.iter_mut().find(|(k, _)| k == "iss") {
        iss.1 = format!("\"{signer_did}\"");
    }
    let payload = render(&apply(payload_members, &input.payload));
    let (jws, weak) = sign(&header, &payload, &input.signer);
    let padded = format!(
        "{}{jws}{}",
        " \n".repeat(usize::from(input.padding.0 % 3)),
        "\r\n".repeat(usize::from(input.padding.1 % 3))
    );
    let now = NOW + i64::from(input.now_offset);
    let duplicate = has_duplicate(&header) || has_duplicate(&payload);
    let brand = b.brand.did();

    let accepted = match input.which {
        Which::Request => request::verify(&padded).map(|r| {
            assert!((0..=MAX_TIME).contains(&r.claims.iat) && (0..=MAX_TIME).contains(&r.claims.exp));
            assert_eq!(r.jws, jws, "the hash is that of the JWS without the white space around it");
            let _ = r.check_answerable(now);
        }),
        Which::Packet => packet::verify(&padded, &brand, now).map(|p| {
            let reread = packet::verify_stored(&p.jws, &brand).expect("an accepted packet reads back");
            assert_eq!(reread, p, "read-back gives the claims that were accepted");
            if p.check_answers(&b.request).is_ok() {
                let kept = p.claims.exp - p.claims.iat;
                assert!(kept <= b.request.claims.retention_seconds());
                assert!(p.retention_end(&b.request, now) <= now.saturating_add(b.request.claims.retention_seconds()));
            }
        }),
        Which::Revocation => revocation::verify(&padded, &brand, now).map(|r| {
            let _ = r.check_revokes(&r.packet_jti.clone(), &r.packet_hash.clone(), &b.consumer.did());
        }),
        Which::Receipt => {
            let consumer: Did = b.consumer.did();
            let about = receipt::inspect(&padded);
            match about {
                Ok(c) => receipt::verify(&padded, &brand, &consumer, &c.packet_jti, &c.packet_hash, now).map(drop),
                Err(e) => Err(e),
            }
        }
    };
    if std::env::var_os("TESSERA_FUZZ_REPORT").is_some() {
        // Replaying a corpus with this set shows how deep inputs reach: `… -runs=0 2>&1 | sort | uniq -c`.
        eprintln!("outcome {:?} {}", input.which, accepted.as_ref().map(|_| "accepted").unwrap_or_else(|e| e.code()));
    }
    if accepted.is_ok() {
        assert!(!weak, "nothing signed by a weak key is accepted: {jws}");
        assert!(!duplicate, "no JSON naming a member twice is accepted: {header} {payload}");
    }
});
