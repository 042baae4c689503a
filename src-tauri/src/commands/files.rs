//! The files the app reads or writes, each chosen by the person in a dialog
//! shown by Rust; the page never sees a path, only a file's name to display.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use super::error::{file_name, CmdResult, CommandError};

/// The files the app reads or writes, each chosen in a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    OpenRequest,
    SavePacket,
    OpenCsv,
    SaveRevocation,
    OpenReceipt,
    SaveBackup,
    OpenBackup,
    SaveExport,
    SaveRecoverySecret,
}

impl Pick {
    /// The file used instead of a dialog in tests.
    pub(crate) fn test_name(self) -> &'static str {
        match self {
            Pick::OpenRequest => "request.tessera",
            Pick::SavePacket => "packet.tessera",
            Pick::OpenCsv => "purchases.csv",
            Pick::SaveRevocation => "revocation.tessera",
            Pick::OpenReceipt => "receipt.tessera",
            Pick::SaveBackup | Pick::OpenBackup => "backup.age",
            Pick::SaveExport => "export.age",
            Pick::SaveRecoverySecret => "recovery-secret.txt",
        }
    }
}

/// Shows the dialog for `what` (blocking: call it from an async command, off the main thread).
pub fn dialog<R: Runtime>(app: &AppHandle<R>, what: Pick, suggested_name: &str) -> Option<PathBuf> {
    let dialog = app.dialog().file();
    let chosen = match what {
        Pick::OpenRequest | Pick::OpenReceipt => {
            dialog.add_filter("Tessera", &["tessera", "tessera-request", "tessera-receipt", "jws"]).blocking_pick_file()
        }
        Pick::OpenCsv => dialog.add_filter("CSV", &["csv", "txt"]).blocking_pick_file(),
        Pick::OpenBackup => dialog.add_filter("Backup", &["age"]).blocking_pick_file(),
        Pick::SavePacket | Pick::SaveRevocation | Pick::SaveBackup | Pick::SaveExport | Pick::SaveRecoverySecret => {
            dialog.set_file_name(suggested_name).blocking_save_file()
        }
    };
    chosen.and_then(|p| p.into_path().ok())
}

/// Reads a Tessera file (a request, a receipt) as text.
pub(crate) fn read_text(path: &Path) -> CmdResult<String> {
    // Never more than the largest artifact (and the white space around it): a 1 GB file is not read.
    let cap = tessera_protocol::MAX_ARTIFACT_BYTES as u64 + (1 << 20);
    let bytes = tessera_vault::files::read_capped(path, cap).map_err(|e| match e {
        tessera_vault::files::CappedReadError::Io(_) => CommandError::File { file: file_name(path) },
        tessera_vault::files::CappedReadError::TooLarge { .. } => {
            CommandError::NotATesseraFile { file: file_name(path) }
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| CommandError::NotATesseraFile { file: file_name(path) })?;
    Ok(text.trim_end().to_owned())
}
