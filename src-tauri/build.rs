// The app's own commands get `allow-…` permissions; the capability file grants exactly those.
include!("src/command_names.rs");

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri configuration and capabilities are valid");
}
