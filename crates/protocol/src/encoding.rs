//! Byte encodings used by every format: unpadded base64url, SHA-256 digests, identifiers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SecureRandom;

/// Unpadded base64url (RFC 4648 §5), as JOSE uses it.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict unpadded base64url decoding: padding, other alphabets and
/// non-canonical trailing bits are all refused.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// SHA-256 of `bytes`, base64url-encoded: how artifacts refer to one another.
pub fn sha256_b64url(bytes: &[u8]) -> String {
    b64url(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Fills `buffer` with random bytes from the operating system, in place (so a
/// key buffer that zeroises itself is never copied).
pub fn fill_random(buffer: &mut [u8]) {
    ring::rand::SystemRandom::new()
        .fill(buffer)
        .unwrap_or_else(|_| panic!("the operating system's random number generator failed"));
}

/// A fresh 128-bit random identifier, base64url-encoded (22 characters), for
/// `jti` and nonces. It starts with a letter or digit, so that it can be typed
/// as a command-line argument without being taken for an option.
pub fn random_id() -> String {
    loop {
        let mut bytes = [0u8; 16];
        fill_random(&mut bytes);
        let id = b64url(&bytes);
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return id;
        }
    }
}

/// Longest identifier (`jti`, `nonce`, …) a verifier accepts.
pub const MAX_IDENTIFIER_CHARS: usize = 64;

/// What is wrong with an identifier or a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierProblem {
    Empty,
    TooLong,
    /// A character other than an ASCII letter, digit, `-` or `_`.
    BadCharacter {
        code_point: u32,
    },
    /// Not 43 base64url characters encoding 32 bytes.
    NotAHash,
}

impl std::fmt::Display for IdentifierProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentifierProblem::Empty => f.write_str("is empty"),
            IdentifierProblem::TooLong => write!(f, "is longer than {MAX_IDENTIFIER_CHARS} characters"),
            IdentifierProblem::BadCharacter { code_point } => {
                write!(f, "contains U+{code_point:04X}; an identifier is made of ASCII letters, digits, '-' and '_'")
            }
            IdentifierProblem::NotAHash => f.write_str("is not a SHA-256 hash in base64url (43 characters)"),
        }
    }
}

/// Checks an identifier (`jti`, `nonce`, `request_jti`, …): 1 to 64 characters, each an
/// ASCII letter, digit, `-` or `_` (the base64url alphabet, which also covers UUIDs).
pub fn check_identifier(id: &str) -> Result<(), IdentifierProblem> {
    if id.is_empty() {
        return Err(IdentifierProblem::Empty);
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(IdentifierProblem::BadCharacter { code_point: c.into() });
    }
    if id.len() > MAX_IDENTIFIER_CHARS {
        return Err(IdentifierProblem::TooLong);
    }
    Ok(())
}

/// Checks a hash (`request_hash`, `packet_hash`): SHA-256, base64url without padding (43 characters).
pub fn check_hash(hash: &str) -> Result<(), IdentifierProblem> {
    match b64url_decode(hash) {
        Some(bytes) if bytes.len() == 32 => Ok(()),
        _ => Err(IdentifierProblem::NotAHash),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_hashes_have_one_shape() {
        assert_eq!(check_identifier("i-_P39faWLWq5I3lroPwvw"), Ok(()));
        assert_eq!(check_identifier("123e4567-e89b-12d3-a456-426614174000"), Ok(()));
        assert_eq!(check_identifier(""), Err(IdentifierProblem::Empty));
        assert_eq!(check_identifier("=HYPERLINK(1)"), Err(IdentifierProblem::BadCharacter { code_point: 0x3D }));
        assert_eq!(check_identifier("a b"), Err(IdentifierProblem::BadCharacter { code_point: 0x20 }));
        assert_eq!(check_identifier(&"a".repeat(65)), Err(IdentifierProblem::TooLong));
        assert_eq!(check_hash(&sha256_b64url(b"x")), Ok(()));
        assert_eq!(check_hash("abc"), Err(IdentifierProblem::NotAHash));
        assert_eq!(check_hash(&format!("{}=", sha256_b64url(b"x"))), Err(IdentifierProblem::NotAHash));
    }

    #[test]
    fn identifiers_never_look_like_command_line_options() {
        for _ in 0..2000 {
            let id = random_id();
            assert_eq!(id.len(), 22);
            assert!(id.starts_with(|c: char| c.is_ascii_alphanumeric()), "{id}");
        }
    }
}
