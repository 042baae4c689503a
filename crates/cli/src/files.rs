//! Reading and writing the user's files, with errors that name the file.

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
