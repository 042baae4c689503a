//! Reading and writing the user's files, with errors that name the file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::CliError;

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::File { path: path.to_owned(), detail: e.to_string() })
}

/// Reads a text artifact (a JWS): UTF-8, one trailing line break allowed.
pub fn read_artifact(path: &Path) -> Result<String, CliError> {
    let bytes = read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| CliError::File {
        path: path.to_owned(),
        detail: "this is not a Tessera text file (it is not UTF-8 text); a packet file is opened with `tessera brand import`".into(),
    })?;
    let text = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    Ok(text.to_owned())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over `path`. Either the old file
/// or the complete new one is there, never half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let error = |detail: String| CliError::File { path: path.to_owned(), detail };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| error(format!("cannot write in {}: {e}", dir.display())))?;
    temp.write_all(bytes).map_err(|e| error(e.to_string()))?;
    temp.as_file().sync_all().map_err(|e| error(e.to_string()))?;
    temp.persist(path).map_err(|e| error(e.error.to_string()))?;
    Ok(())
}

/// Like [`write_atomic`], readable by the owner only (for secrets the user asked to export).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_atomic(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::File { path: path.to_owned(), detail: e.to_string() })?;
    }
    Ok(())
}

/// `$XDG_DATA_HOME/tessera/<name>`, or `~/.local/share/tessera/<name>`.
pub fn default_data_path(name: &str) -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("tessera").join(name)
}
