//! Writing files the user asked for, atomically.
//!
//! What it must never do: leave half a file where the user expects a whole one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, VaultError};

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over `path`. Either the old file
/// or the complete new one is there, never half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let error = |detail: String| VaultError::File { path: path.to_owned(), detail };
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
