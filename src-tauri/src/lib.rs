//! # tessera-app — the desktop shell
//!
//! Owns the Tauri application: the window, the app state holding the open
//! vault, auto-lock after idle, file dialogs, and the commands the page calls
//! ([`commands`], one module per screen of the interface). Commands only
//! translate between the page and `tessera-vault`: arguments in, vault calls,
//! results or `{code, message}` errors out.
//!
//! What it must never do: put vault logic here, expose a file-system or shell
//! plugin to the page, hand paths to the page, or keep keys once locked.
//! The vault lives in the platform's app data directory; tests point
//! `TESSERA_DATA_DIR` elsewhere, and `TESSERA_TEST_FILES` replaces file
//! dialogs with fixed file names in a directory, so a real window can be
//! driven end to end.

pub mod commands;
pub mod state;

include!("command_names.rs");

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tauri::Manager;

/// When the process started, for `TESSERA_TRACE_STARTUP` (the app benchmark).
pub(crate) static STARTED: OnceLock<Instant> = OnceLock::new();

/// Adds Tessera's plugins and commands to a builder, on any Tauri runtime (real or mock).
pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.plugin(tauri_plugin_dialog::init()).invoke_handler(commands::handler())
}

/// Runs the desktop app.
pub fn run() {
    STARTED.get_or_init(Instant::now);
    configure(tauri::Builder::default())
        .setup(|app| {
            let data_dir = match std::env::var_os("TESSERA_DATA_DIR") {
                Some(dir) => std::path::PathBuf::from(dir),
                None => app.path().app_data_dir()?,
            };
            let test_files = std::env::var_os("TESSERA_TEST_FILES").map(std::path::PathBuf::from);
            app.manage(state::AppState::new(data_dir, test_files));
            let handle = app.handle().clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_secs(2));
                handle.state::<state::AppState>().lock_if_idle();
            });
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("error: Tessera could not start: {e}");
            std::process::exit(1);
        });
}
