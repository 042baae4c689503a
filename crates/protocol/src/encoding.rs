//! Byte encodings used by every format: unpadded base64url and SHA-256 digests.

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

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_never_look_like_command_line_options() {
        for _ in 0..2000 {
            let id = super::random_id();
            assert_eq!(id.len(), 22);
            assert!(id.starts_with(|c: char| c.is_ascii_alphanumeric()), "{id}");
        }
    }
}
