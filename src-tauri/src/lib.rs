//! # tessera-app — the desktop shell
//!
//! Owns the Tauri application: the window, the app state holding the open
//! vault, locking by itself ([`locking`]: idle, sleep, screen lock), file
//! dialogs, and the commands the page calls ([`commands`], one module per
//! screen of the interface). Commands only translate between the page and
//! `tessera-vault`: arguments in, vault calls, results or typed errors out.
//! Their types are the contract with the page: `ui/src/bindings.ts` is
//! generated from them ([`write_bindings`]).
//!
//! What it must never do: put vault logic here, expose a file-system, shell
//! or event plugin to the page, hand paths or English sentences to the page,
//! or keep keys once locked. The vault lives in the platform's app data
//! directory; tests point `TESSERA_DATA_DIR` elsewhere, `TESSERA_TEST_FILES`
//! replaces file dialogs with fixed file names in a directory, and
//! `TESSERA_TEST_IDLE_SECONDS` shortens the auto-lock delay, so a real window
//! can be driven end to end.

pub mod commands;
pub mod locking;
pub mod state;

include!("command_names.rs");

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use tauri::Manager;

/// When the process started, for `TESSERA_TRACE_STARTUP` (the app benchmark).
pub(crate) static STARTED: OnceLock<Instant> = OnceLock::new();

/// Adds Tessera's plugins and commands to a builder, on any Tauri runtime (real or mock).
pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.plugin(tauri_plugin_dialog::init()).invoke_handler(commands::builder::<R>().invoke_handler())
}

/// The page's `bindings.ts`: every type the commands take and return, and one typed function per command.
pub fn bindings() -> String {
    let file = tempfile_path();
    write_bindings(&file);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    let _ = std::fs::remove_file(&file);
    text
}

/// Writes the page's `bindings.ts` to `path`.
pub fn write_bindings(path: &Path) {
    commands::builder::<tauri::Wry>()
        .export(
            specta_typescript::Typescript::default()
                .header("// Generated from the Rust types of src-tauri by `tessera_app::write_bindings`: do not edit.\n// Regenerate with: TESSERA_WRITE_BINDINGS=1 cargo test -p tessera-app --test bindings"),
            path,
        )
        .unwrap_or_else(|e| panic!("the page's bindings cannot be generated: {e}"));
}

fn tempfile_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tessera-bindings-{}-{:?}.ts", std::process::id(), std::thread::current().id()))
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
            let handle = app.handle().clone();
            let mut state = state::AppState::new(data_dir, test_files)
                .with_dialog(move |what, name| commands::files::dialog(&handle, what, name));
            if let Some(seconds) = std::env::var("TESSERA_TEST_IDLE_SECONDS").ok().and_then(|s| s.parse().ok()) {
                state = state.with_idle_override(seconds);
            }
            app.manage(state);
            locking::watch_idle(app.handle().clone());
            let handle = app.handle().clone();
            locking::watch_session(move |reason| handle.state::<state::AppState>().lock_because(reason));
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("error: Tessera could not start: {e}");
            std::process::exit(1);
        });
}
