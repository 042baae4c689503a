//! Writing files the user asked for, atomically, and reading files of bounded size.
//!
//! What it must never do: leave half a file where the user expects a whole one, or read more
//! of a file than its kind can hold (a 1 GB file or `/dev/zero` given as a backup).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, VaultError};

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over `path`. Either the old file
/// or the complete new one is there, never half of it.
///
/// Only a file is replaced: a device (`/dev/null`), a pipe or a socket at
/// `path` is refused, since renaming over it would put a plain file in its
/// place (for everyone, when run as root).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let error = |detail: String| VaultError::File { path: path.to_owned(), detail };
    if let Ok(existing) = std::fs::metadata(path) {
        if !existing.is_file() {
            let what = if existing.is_dir() { "a folder" } else { "not a file (a device, a pipe or a socket)" };
            return Err(error(format!("this is {what}; give the path of a file to write")));
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(error(format!("the folder {} does not exist", dir.display())));
    }
    let mut temp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| error(format!("cannot write in {}: {}", dir.display(), std::io::Error::from(e.kind()))))?;
    temp.write_all(bytes).map_err(|e| error(e.to_string()))?;
    temp.as_file().sync_all().map_err(|e| error(e.to_string()))?;
    temp.persist(path).map_err(|e| error(e.error.to_string()))?;
    Ok(())
}

/// Like [`write_atomic`], readable by the owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| VaultError::File { path: path.to_owned(), detail: e.to_string() })?;
    }
    Ok(())
}

/// Why [`read_capped`] returned no content.
#[derive(Debug)]
pub enum CappedReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file holds more than the cap. `size` is its size when the file system knows it (not
    /// for a pipe or a device); `start` is its first bytes (at most 64), to tell what it seems to be.
    TooLarge { size: Option<u64>, start: Vec<u8> },
}

/// Reads the file at `path` if it holds at most `max_bytes`, reading no more than that (plus
/// one byte) whatever it is: a larger regular file is refused from its size, before reading.
pub fn read_capped(path: &Path, max_bytes: u64) -> std::result::Result<Vec<u8>, CappedReadError> {
    let mut file = std::fs::File::open(path).map_err(CappedReadError::Io)?;
    let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    let mut bytes = Vec::new();
    if size.is_some_and(|size| size > max_bytes) {
        (&mut file).take(64).read_to_end(&mut bytes).map_err(CappedReadError::Io)?;
        return Err(CappedReadError::TooLarge { size, start: bytes });
    }
    (&mut file).take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(CappedReadError::Io)?;
    if bytes.len() as u64 > max_bytes {
        bytes.truncate(64);
        return Err(CappedReadError::TooLarge { size, start: bytes });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capped_read_stops_at_the_cap_whatever_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, b"twelve bytes").unwrap();
        assert_eq!(read_capped(&small, 12).unwrap(), b"twelve bytes");
        match read_capped(&small, 11) {
            Err(CappedReadError::TooLarge { size: Some(12), start }) => assert_eq!(start, b"twelve bytes"),
            other => panic!("{other:?}"),
        }
        // A device without end: read up to the cap, not until memory runs out.
        match read_capped(Path::new("/dev/zero"), 1024) {
            Err(CappedReadError::TooLarge { size: None, start }) => assert_eq!(start, vec![0; 64]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_capped(&dir.path().join("missing"), 10), Err(CappedReadError::Io(_))));
    }

    #[test]
    fn only_a_file_is_replaced_never_a_pipe_or_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let refused = write_atomic(&fifo, b"packet").unwrap_err().to_string();
        assert!(refused.contains("not a file (a device, a pipe or a socket)"), "{refused}");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe is still a pipe");
        let refused = write_atomic(dir.path(), b"packet").unwrap_err().to_string();
        assert!(refused.contains("this is a folder"), "{refused}");
        // A file, or a link to one, is replaced whole.
        let file = dir.path().join("file");
        std::fs::write(&file, b"old").unwrap();
        write_atomic(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
    }
}
