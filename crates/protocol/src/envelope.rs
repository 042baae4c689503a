//! age encryption of a packet JWS to the brand's X25519 recipient.
//!
//! A packet file is a binary age v1 file (<https://age-encryption.org/v1>)
//! with one X25519 recipient stanza; its plaintext is the packet JWS in ASCII.
//! `age --decrypt -i brand-identity.txt packet.tessera` opens it.

use std::str::FromStr;

use crate::jws::MAX_ARTIFACT_BYTES;
use crate::ProtocolError;

/// Encrypts `packet_jws` to the age `recipient` (`age1…`).
pub fn seal(packet_jws: &str, recipient: &str) -> Result<Vec<u8>, ProtocolError> {
    let recipient = age::x25519::Recipient::from_str(recipient).map_err(|e| ProtocolError::Encryption {
        detail: format!("{recipient:?} is not an age X25519 recipient: {e}"),
    })?;
    age::encrypt(&recipient, packet_jws.as_bytes()).map_err(|e| ProtocolError::Encryption { detail: e.to_string() })
}

/// Decrypts a packet file with the brand's age identity and returns the packet JWS.
pub fn open(file: &[u8], identity: &age::x25519::Identity) -> Result<String, ProtocolError> {
    if file.len() > MAX_ARTIFACT_BYTES + 64 * 1024 {
        return Err(ProtocolError::Decryption { detail: "the file is larger than any packet can be".into() });
    }
    let plaintext = age::decrypt(identity, file).map_err(|e| ProtocolError::Decryption {
        detail: match e {
            age::DecryptError::NoMatchingKeys => {
                "it is not encrypted to this brand's key (it was made for another brand, or it is not a packet)".into()
            }
            other => format!("it is not an intact age file ({other})"),
        },
    })?;
    String::from_utf8(plaintext)
        .map_err(|_| ProtocolError::Decryption { detail: "the decrypted content is not text".into() })
}
