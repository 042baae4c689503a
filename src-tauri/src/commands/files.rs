//! The files the app reads or writes, each chosen by the user in a dialog; the page never sees a path.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use super::error::{error, CmdResult};
use crate::state::AppState;

/// The files the app reads or writes, each chosen in a dialog.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pick {
    OpenRequest,
    SavePacket,
    OpenCsv,
    SaveRevocation,
    OpenReceipt,
    SaveBackup,
    OpenBackup,
    SaveExport,
}

impl Pick {
    /// The file used instead of a dialog in tests.
    fn test_name(self) -> &'static str {
        match self {
            Pick::OpenRequest => "request.tessera",
            Pick::SavePacket => "packet.tessera",
            Pick::OpenCsv => "purchases.csv",
            Pick::SaveRevocation => "revocation.tessera",
            Pick::OpenReceipt => "receipt.tessera",
            Pick::SaveBackup | Pick::OpenBackup => "backup.age",
            Pick::SaveExport => "export.age",
        }
    }
}

/// Asks the user for a file (or, in tests, uses a fixed name). `None` when cancelled.
pub(crate) fn pick<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    what: Pick,
    suggested_name: &str,
) -> Option<PathBuf> {
    if let Some(dir) = &state.test_files {
        return Some(dir.join(what.test_name()));
    }
    let dialog = app.dialog().file();
    let chosen = match what {
        Pick::OpenRequest | Pick::OpenReceipt => {
            dialog.add_filter("Tessera", &["tessera", "tessera-request", "tessera-receipt", "jws"]).blocking_pick_file()
        }
        Pick::OpenCsv => dialog.add_filter("CSV", &["csv", "txt"]).blocking_pick_file(),
        Pick::OpenBackup => dialog.add_filter("Backup", &["age"]).blocking_pick_file(),
        Pick::SavePacket | Pick::SaveRevocation | Pick::SaveBackup | Pick::SaveExport => {
            dialog.set_file_name(suggested_name).blocking_save_file()
        }
    };
    chosen.and_then(|p| p.into_path().ok())
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

pub(crate) fn read_text(path: &Path) -> CmdResult<String> {
    // Never more than the largest artifact (and the white space around it): a 1 GB file is not read.
    let cap = tessera_protocol::MAX_ARTIFACT_BYTES as u64 + (1 << 20);
    let bytes = tessera_vault::files::read_capped(path, cap).map_err(|e| match e {
        tessera_vault::files::CappedReadError::Io(e) => error("file", format!("{}: {e}", file_name(path))),
        tessera_vault::files::CappedReadError::TooLarge { .. } => {
            error("invalid_file", format!("{} is far larger than any Tessera file: it is not one", file_name(path)))
        }
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| error("invalid_file", format!("{} is not a Tessera file", file_name(path))))?;
    Ok(text.trim_end().to_owned())
}
