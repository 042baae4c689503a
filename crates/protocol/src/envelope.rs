//! age encryption of a packet JWS to the brand's X25519 recipient.
//!
//! A packet file is an age v1 file (<https://age-encryption.org/v1>) with exactly one
//! X25519 recipient stanza (plus, possibly, the random `…-grease` stanzas age
//! implementations add and every reader ignores); its plaintext is the packet JWS in
//! ASCII. The binary format is what Tessera writes; the ASCII-armored form
//! (`age --armor`, `-----BEGIN AGE ENCRYPTED FILE-----`) is accepted too.
//! `age --decrypt -i brand-identity.txt packet.tessera` opens either.

use std::io::Read;
use std::str::FromStr;

use crate::jws::MAX_ARTIFACT_BYTES;
use crate::ProtocolError;

/// Largest packet file accepted: the largest JWS plus room for the age header and tags.
const MAX_FILE_BYTES: usize = MAX_ARTIFACT_BYTES + 64 * 1024;

/// Encrypts `packet_jws` to the age `recipient` (`age1…`).
pub fn seal(packet_jws: &str, recipient: &str) -> Result<Vec<u8>, ProtocolError> {
    let recipient = age::x25519::Recipient::from_str(recipient).map_err(|e| ProtocolError::Encryption {
        detail: format!("{recipient:?} is not an age X25519 recipient: {e}"),
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

/// The types of the recipient stanzas of an age v1 header (`-> TYPE args…` lines, up to
/// the `---` line). Body lines are base64 and never start with `-`. `None` if `file` is
/// not an age v1 file.
fn stanza_types(file: &[u8]) -> Option<Vec<String>> {
    let mut lines = file.split(|b| *b == b'\n');
    if lines.next()? != b"age-encryption.org/v1" {
        return None;
    }
    let mut types = Vec::new();
    for line in lines.take(10_000) {
        if line.starts_with(b"---") {
            return Some(types);
        }
        if let Some(stanza) = line.strip_prefix(b"-> ") {
            let kind = stanza.split(|b| *b == b' ').next().unwrap_or_default();
            types.push(String::from_utf8_lossy(kind).into_owned());
        }
    }
    None
}

/// Refuses a packet file that is not encrypted to exactly one X25519 recipient.
fn check_single_recipient(file: &[u8]) -> Result<(), ProtocolError> {
    // Not an age v1 file at all: the age library says why below.
    let Some(types) = stanza_types(file) else { return Ok(()) };
    let x25519 = types.iter().filter(|t| *t == "X25519").count();
    let others: Vec<String> = types.into_iter().filter(|t| t != "X25519" && !t.ends_with("-grease")).collect();
    if x25519 != 1 || !others.is_empty() {
        return Err(ProtocolError::PacketRecipients { x25519, others });
    }
    Ok(())
}

/// Decrypts a packet file with the brand's age identity and returns the packet JWS.
pub fn open(file: &[u8], identity: &age::x25519::Identity) -> Result<String, ProtocolError> {
    if file.len() > MAX_FILE_BYTES * 2 {
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
    check_single_recipient(&file)?;
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
