//! # tessera-app — the desktop shell
//!
//! Owns the Tauri application: the window, the app state holding the open
//! vault, locking by itself ([`locking`]: idle, sleep, screen lock), file
//! dialogs, requests opened from outside ([`incoming`]: `tessera://` links and
//! `.tessera-request` files, one instance handing them to the window already
//! open), and the commands the page calls ([`commands`], one module per
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
pub mod incoming;
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
    builder
        .plugin(tauri_plugin_dialog::init())
        .manage(incoming::Incoming::default())
        .invoke_handler(commands::builder::<R>().invoke_handler())
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
    let context = tauri::generate_context!();
    let data_dir_override = std::env::var_os("TESSERA_DATA_DIR").map(std::path::PathBuf::from);
    // One instance per vault: a second launch (a link or a file opened from the desktop) hands its
    // arguments to the window already open, through the session bus, and exits.
    let instance = incoming::instance_id(&context.config().identifier, data_dir_override.as_deref());
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::Builder::new().dbus_id(instance).callback(second_launch).build())
        .plugin(tauri_plugin_deep_link::init())
        .on_window_event(file_dropped);
    configure(builder)
        .setup(move |app| {
            let data_dir = match data_dir_override {
                Some(dir) => dir,
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
            listen_for_requests(app.handle());
            Ok(())
        })
        .run(context)
        .unwrap_or_else(|e| {
            eprintln!("error: Tessera could not start: {e}");
            std::process::exit(1);
        });
}

/// Takes the request the app was started with, if any.
fn listen_for_requests(app: &tauri::AppHandle) {
    use tauri_plugin_deep_link::DeepLinkExt;
    // An AppImage is not installed: it registers itself for `tessera://` links when it runs.
    if app.env().appimage.is_some() {
        if let Err(e) = app.deep_link().register_all() {
            eprintln!("warning: Tessera could not register itself for tessera:// links: {e}");
        }
    }
    let started_with_link = app.deep_link().get_current().ok().flatten().and_then(|urls| urls.into_iter().next());
    let request = match started_with_link {
        Some(url) => Some(incoming::IncomingRequest::Link(url.to_string())),
        None => std::env::current_dir().ok().and_then(|cwd| incoming::request_in_args(std::env::args(), &cwd)),
    };
    if let Some(request) = request {
        app.state::<incoming::Incoming>().arrive(request);
    }
}

/// A request file dropped on the window waits like one opened from the file manager.
fn file_dropped(window: &tauri::Window, event: &tauri::WindowEvent) {
    if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
        if let Some(request) = incoming::request_in_dropped(paths) {
            window.app_handle().state::<incoming::Incoming>().arrive(request);
        }
    }
}

/// A second launch's arguments, handed over by the single-instance plugin: takes its link or
/// request file, if any, and brings the window to the front.
fn second_launch(app: &tauri::AppHandle, args: Vec<String>, cwd: String) {
    if let Some(request) = incoming::request_in_args(&args, std::path::Path::new(&cwd)) {
        app.state::<incoming::Incoming>().arrive(request);
    }
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
