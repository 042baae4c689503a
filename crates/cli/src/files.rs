//! Reading and writing the user's files, with errors that name the file.
//!
//! Files are read with a cap fitting their kind ([`read_capped`]): a 1 GB file, or `/dev/zero`,
//! given as a request is refused after its size (or the first bytes past the cap), never read
//! whole. A file that is not what was expected is described by what it seems to be ([`seems`]):
//! an encrypted packet, UTF-16 text, a PDF, binary data…

use std::path::{Path, PathBuf};

use tessera_protocol::envelope::MAX_PACKET_FILE_BYTES;
use tessera_protocol::MAX_ARTIFACT_BYTES;
use tessera_vault::files::CappedReadError;

use crate::CliError;

/// Largest text artifact file read: the largest JWS, and room for white space around it.
pub const MAX_ARTIFACT_FILE_BYTES: u64 = MAX_ARTIFACT_BYTES as u64 + (1 << 20);

/// Largest packet file read (armored or not).
pub const MAX_PACKET_FILE: u64 = MAX_PACKET_FILE_BYTES as u64;

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::File { path: path.to_owned(), detail: e.to_string() })
}

/// Reads a file of at most `max_bytes`, the largest a `kind` of file (e.g. "request, revocation
/// or receipt") can be; a larger file is refused, saying what it seems to be.
pub fn read_capped(path: &Path, max_bytes: u64, kind: &str) -> Result<Vec<u8>, CliError> {
    let error = |detail: String| CliError::File { path: path.to_owned(), detail };
    tessera_vault::files::read_capped(path, max_bytes).map_err(|e| match e {
        CappedReadError::Io(e) => error(e.to_string()),
        CappedReadError::TooLarge { size, start } => {
            let size = match size {
                Some(bytes) => format!("is {}", show_size(bytes)),
                None => format!("goes on past {}", show_size(max_bytes)),
            };
            error(format!(
                "this file {size}, larger than any {kind} can be ({} at most); it seems to be {}. Nothing more \
                 was read",
                show_size(max_bytes),
                seems(&start)
            ))
        }
    })
}

/// Reads a text artifact (a JWS): UTF-8, one trailing line break allowed.
pub fn read_artifact(path: &Path) -> Result<String, CliError> {
    let bytes = read_capped(path, MAX_ARTIFACT_FILE_BYTES, "request, revocation or receipt")?;
    let not_text = |detail: String| CliError::File { path: path.to_owned(), detail };
    let start = bytes[..bytes.len().min(64)].to_vec();
    let text =
        match String::from_utf8(bytes) {
            Ok(text) if !text.contains('\0') => text,
            _ if is_utf16(&start) => {
                return Err(not_text(
                    "this file is UTF-16 text, and Tessera files are UTF-8 (plain ASCII): save it again as UTF-8 \
                 (in Notepad: File, Save as, Encoding: UTF-8)"
                        .into(),
                ))
            }
            _ if is_age(&start) => return Err(not_text(
                "this is an encrypted packet file, not a request, revocation or receipt; the brand it was made for \
                 opens it with `tessera brand import`"
                    .into(),
            )),
            _ => {
                return Err(not_text(format!(
                    "this is not a Tessera request, revocation or receipt (those are text): it seems to be {}",
                    seems(&start)
                )))
            }
        };
    if text.trim().is_empty() {
        return Err(not_text("this file is empty (or holds only spaces and line breaks)".into()));
    }
    let text = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    Ok(text.to_owned())
}

/// Whether `start` begins an age file, binary or armored.
fn is_age(start: &[u8]) -> bool {
    start.starts_with(b"age-encryption.org/") || start.trim_ascii_start().starts_with(b"-----BEGIN AGE ENCRYPTED FILE")
}

/// Whether `start` looks like UTF-16: a byte order mark, or ASCII with a zero byte after (or
/// before) every character.
fn is_utf16(start: &[u8]) -> bool {
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let pairs: Vec<&[u8]> = start.chunks_exact(2).collect();
    pairs.len() >= 4 && (pairs.iter().all(|p| p[1] == 0 && p[0] != 0) || pairs.iter().all(|p| p[0] == 0 && p[1] != 0))
}

/// What a file beginning with `start` seems to be, in words.
pub fn seems(start: &[u8]) -> String {
    let known: [(&[u8], &str); 8] = [
        (b"age-encryption.org/", "an age-encrypted file (a packet file, or a backup)"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive or an office document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"SQLite format 3\0", "an SQLite database"),
        (b"\x7FELF", "a program"),
    ];
    if let Some((_, what)) = known.iter().find(|(magic, _)| start.starts_with(magic)) {
        return (*what).to_owned();
    }
    if start.trim_ascii_start().starts_with(b"-----BEGIN AGE ENCRYPTED FILE") {
        return "an ASCII-armored age file (a packet file?)".into();
    }
    if is_utf16(start) {
        return "UTF-16 text".into();
    }
    if !start.is_empty() && start.iter().all(|b| *b == 0) {
        return "nothing but zero bytes (a device such as /dev/zero, or an empty disk image)".into();
    }
    // The cut at 64 bytes may split a character: only what comes before it must be UTF-8.
    let text = match std::str::from_utf8(start) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&start[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match text {
        Some(text) if !text.contains('\0') && text.trim_start().starts_with("eyJ") => {
            "a JWS, far too long to be a Tessera artifact".into()
        }
        Some(text) if !text.contains('\0') => "a text file of some other kind".into(),
        _ => "binary data".into(),
    }
}

/// A size in bytes, KiB, MiB or GiB, for messages.
fn show_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

pub use tessera_vault::files::{write_atomic, write_private};

/// `$XDG_DATA_HOME/<app>/<name>`, or `~/.local/share/<app>/<name>`.
pub fn default_data_path(app: &str, name: &str) -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join(app).join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_described_by_what_they_seem_to_be() {
        assert_eq!(seems(b"%PDF-1.7\n"), "a PDF document");
        assert_eq!(seems(b"age-encryption.org/v1\n-> X25519"), "an age-encrypted file (a packet file, or a backup)");
        assert_eq!(seems(&[0xFF, 0xFE, b'e', 0, b'y', 0]), "UTF-16 text");
        assert_eq!(seems(&[b'e', 0, b'y', 0, b'J', 0, b'h', 0]), "UTF-16 text");
        assert_eq!(seems(&[0; 64]), "nothing but zero bytes (a device such as /dev/zero, or an empty disk image)");
        assert_eq!(seems(b"eyJhbGciOiJFZERTQSJ9.eyJ"), "a JWS, far too long to be a Tessera artifact");
        assert_eq!(seems("Bonjour, voici le fichier é".as_bytes()), "a text file of some other kind");
        assert_eq!(seems(&"é".repeat(32).as_bytes()[..63]), "a text file of some other kind", "cut mid-character");
        assert_eq!(seems(&[0x00, 0x9F, 0x92, 0x96, 0x01]), "binary data");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(show_size(17 << 20), "17 MiB");
        assert_eq!(show_size(1 << 30), "1.0 GiB");
        assert_eq!(show_size(500), "500 bytes");
    }
}
