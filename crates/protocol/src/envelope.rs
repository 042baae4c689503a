//! age encryption of a packet JWS to the brand's X25519 recipient.
//!
//! A packet file is an age v1 file (<https://age-encryption.org/v1>) with exactly one
//! X25519 recipient stanza (plus, possibly, the random `…-grease` stanzas age
//! implementations add and every reader ignores); its plaintext is the packet JWS in
//! ASCII. The binary format is what Tessera writes; the ASCII-armored form
//! (`age --armor`, `-----BEGIN AGE ENCRYPTED FILE-----`) is accepted too.
//! `age --decrypt -i brand-identity.txt packet.tessera` opens either.
//!
//! Before age reads a file, its header is checked against limits far above what one
//! recipient needs ([`MAX_HEADER_BYTES`], [`MAX_STANZAS`], [`MAX_STANZA_BODY_BYTES`]): the age
//! library re-parses a header as it grows, so a header of huge grease stanzas would take time
//! in the square of its size. Recipients of small order, with which X25519 gives the all-zero
//! secret, are refused ([`parse_recipient`]).

use std::io::Read;
use std::str::FromStr;

use crate::jws::MAX_ARTIFACT_BYTES;
use crate::ProtocolError;

/// Largest binary packet file accepted: the largest JWS plus room for the age header and tags.
const MAX_FILE_BYTES: usize = MAX_ARTIFACT_BYTES + 64 * 1024;

/// Largest packet file accepted as it comes, armored (base64, a third larger) or not: a reader
/// need not read more of a file than this.
pub const MAX_PACKET_FILE_BYTES: usize = MAX_FILE_BYTES * 2;

/// Why an `age1…` text cannot be encrypted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientProblem {
    /// Not an age X25519 recipient at all.
    NotARecipient(String),
    /// A point of small order: every X25519 key agreement with it gives the all-zero secret, so
    /// anyone could read what is encrypted to it (the age library stops with a panic instead).
    SmallOrder,
}

/// Parses an age X25519 recipient (`age1…`), refusing the points of small order, with which
/// key agreement gives the all-zero shared secret whatever the other key.
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient, RecipientProblem> {
    let recipient =
        age::x25519::Recipient::from_str(text).map_err(|e| RecipientProblem::NotARecipient(e.to_owned()))?;
    // age parsed it, so it is bech32 with 32 bytes of data.
    let (_, bytes) = bech32::decode(text).map_err(|e| RecipientProblem::NotARecipient(e.to_string()))?;
    let u: [u8; 32] = bytes.try_into().map_err(|_| RecipientProblem::NotARecipient("not 32 bytes".into()))?;
    // A clamped scalar is a multiple of 8, the cofactor: it sends exactly the points of small
    // order (on the curve or its twist, canonically encoded or not) to zero. Any fixed scalar will do.
    let shared = curve25519_dalek::MontgomeryPoint(u).mul_clamped([0x5a; 32]);
    if shared.to_bytes() == [0; 32] {
        return Err(RecipientProblem::SmallOrder);
    }
    Ok(recipient)
}

/// Encrypts `packet_jws` to the age `recipient` (`age1…`).
pub fn seal(packet_jws: &str, recipient: &str) -> Result<Vec<u8>, ProtocolError> {
    let recipient = parse_recipient(recipient).map_err(|problem| match problem {
        RecipientProblem::NotARecipient(e) => {
            ProtocolError::Encryption { detail: format!("{recipient:?} is not an age X25519 recipient: {e}") }
        }
        RecipientProblem::SmallOrder => ProtocolError::WeakRecipient { found: recipient.to_owned() },
    })?;
    age::encrypt(&recipient, packet_jws.as_bytes()).map_err(|e| ProtocolError::Encryption { detail: e.to_string() })
}

/// The first line of an ASCII-armored age file (`age --armor`).
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// The binary age file inside `file`, de-armored if it is ASCII-armored.
fn binary(file: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    if !file.trim_ascii_start().starts_with(ARMOR_BEGIN) {
        return Ok(file.to_vec());
    }
    let mut out = Vec::with_capacity(file.len());
    age::armor::ArmoredReader::new(file).take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut out).map_err(|e| {
        ProtocolError::Decryption { detail: format!("it is an ASCII-armored age file whose armor is damaged ({e})") }
    })?;
    Ok(out)
}

/// Most bytes an age header of a packet file may have, from its first line through the `---`
/// (MAC) line. One X25519 stanza and a grease stanza take about 250.
pub const MAX_HEADER_BYTES: usize = 4096;

/// Most recipient stanzas (`-> …` lines) an age header of a packet file may have: its one X25519
/// stanza and a few grease stanzas.
pub const MAX_STANZAS: usize = 8;

/// Longest stanza body in a packet file's age header, in bytes once decoded. An X25519 body has
/// 32 bytes; the grease stanzas of rage have at most 100.
pub const MAX_STANZA_BODY_BYTES: usize = 256;

/// What is wrong with the age header of a packet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Longer than [`MAX_HEADER_BYTES`].
    TooLong,
    /// More than [`MAX_STANZAS`] stanzas.
    TooManyStanzas,
    /// A stanza body longer than [`MAX_STANZA_BODY_BYTES`].
    StanzaBodyTooLong { stanza: String },
}

impl std::fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderProblem::TooLong => write!(f, "is longer than {MAX_HEADER_BYTES} bytes"),
            HeaderProblem::TooManyStanzas => write!(f, "has more than {MAX_STANZAS} recipient stanzas"),
            HeaderProblem::StanzaBodyTooLong { stanza } => {
                write!(f, "has a stanza ({stanza}) whose body is longer than {MAX_STANZA_BODY_BYTES} bytes")
            }
        }
    }
}

/// The types of the recipient stanzas of an age v1 header (`-> TYPE args…` lines, up to
/// the `---` line), checked against the limits above while reading at most
/// [`MAX_HEADER_BYTES`]: so whatever the file, this and the age library's own reading of
/// the header take time in proportion to a few kilobytes. Body lines are base64 and never
/// start with `-`. `None` if the header ends early (the age library then says what is wrong).
fn stanza_types(file: &[u8]) -> Result<Option<Vec<String>>, ProtocolError> {
    let too_large = |problem| Err(ProtocolError::PacketHeaderTooLarge { problem });
    let head = &file[..file.len().min(MAX_HEADER_BYTES)];
    let mut lines = head.split(|b| *b == b'\n');
    let Some(version) = lines.next() else { return Ok(None) };
    let mut read = version.len() + 1;
    let mut types: Vec<String> = Vec::new();
    let mut body_chars = 0;
    for line in lines {
        read += line.len() + 1;
        let complete = read <= head.len();
        if !complete {
            break;
        }
        if line.starts_with(b"---") {
            return Ok(Some(types));
        }
        if let Some(stanza) = line.strip_prefix(b"-> ") {
            if types.len() == MAX_STANZAS {
                return too_large(HeaderProblem::TooManyStanzas);
            }
            let kind = stanza.split(|b| *b == b' ').next().unwrap_or_default();
            types.push(String::from_utf8_lossy(kind).into_owned());
            body_chars = 0;
        } else {
            body_chars += line.len();
            if body_chars * 3 / 4 > MAX_STANZA_BODY_BYTES {
                let stanza = types.last().cloned().unwrap_or_default();
                return too_large(HeaderProblem::StanzaBodyTooLong { stanza });
            }
        }
    }
    if file.len() > MAX_HEADER_BYTES {
        return too_large(HeaderProblem::TooLong);
    }
    Ok(None)
}

/// Refuses a packet file whose header exceeds the limits above, or that is not encrypted to
/// exactly one X25519 recipient.
fn check_header(file: &[u8]) -> Result<(), ProtocolError> {
    // A header that ends early: the age library says why below.
    let Some(types) = stanza_types(file)? else { return Ok(()) };
    let x25519 = types.iter().filter(|t| *t == "X25519").count();
    let others: Vec<String> = types.into_iter().filter(|t| t != "X25519" && !t.ends_with("-grease")).collect();
    if x25519 != 1 || !others.is_empty() {
        return Err(ProtocolError::PacketRecipients { x25519, others });
    }
    Ok(())
}

/// Decrypts a packet file with the brand's age identity and returns the packet JWS.
pub fn open(file: &[u8], identity: &age::x25519::Identity) -> Result<String, ProtocolError> {
    if file.len() > MAX_PACKET_FILE_BYTES {
        return Err(ProtocolError::Decryption { detail: "the file is larger than any packet can be".into() });
    }
    let file = binary(file)?;
    if file.len() > MAX_FILE_BYTES {
        return Err(ProtocolError::Decryption { detail: "the file is larger than any packet can be".into() });
    }
    if !file.starts_with(b"age-encryption.org/v1\n") {
        return Err(ProtocolError::Decryption {
            detail: "it is not an age file (a packet file starts with the line age-encryption.org/v1)".into(),
        });
    }
    check_header(&file)?;
    let plaintext = age::decrypt(identity, &file).map_err(|e| ProtocolError::Decryption {
        detail: match e {
            age::DecryptError::NoMatchingKeys => {
                "it is not encrypted to this brand's key (it was made for another brand, or it is not a packet)".into()
            }
            age::DecryptError::InvalidHeader if file.starts_with(b"-----BEGIN") => {
                "it looks like an ASCII-armored file, but not an age one".into()
            }
            other => format!("it is not an intact age file ({other})"),
        },
    })?;
    String::from_utf8(plaintext)
        .map_err(|_| ProtocolError::Decryption { detail: "the decrypted content is not text".into() })
}
