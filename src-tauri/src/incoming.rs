//! Requests that come from outside the window: a `tessera://` link clicked in
//! a browser or a mail, or a `.tessera-request` file opened from the file
//! manager. The desktop starts the app with it as its argument; when the app
//! already runs, the second launch hands its arguments to the first one
//! (single instance) and exits.
//!
//! The deep-link plugin declares the `tessera` scheme (the package's desktop
//! entry) and reads the link the app was started with; a later launch's
//! arguments come through the single-instance plugin and are read here, like
//! files, as a path or a `file://` URL relative to the directory of the launch
//! that named them. What arrived waits in [`Incoming`] until the page, with the vault
//! open, asks for it (`commands::incoming`): the person still reads the
//! request and decides; nothing is fetched or sent before the vault is open.
//!
//! What it must never do: open a connection, read a file that does not end in
//! `.tessera-request`, or hand a path to the page.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::Url;

/// The extension of a request file, which the package registers as `application/x-tessera-request`.
pub const REQUEST_FILE_EXTENSION: &str = "tessera-request";

/// A request named from outside the window, not opened yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingRequest {
    /// A `tessera://request?request_uri=…` link, as given.
    Link(String),
    /// A request file, as an absolute path.
    File(PathBuf),
}

/// What the page hears when a request arrives from outside: that one waits (it asks for it when the vault is open).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RequestArrived {
    /// Always true: a request waits for the page.
    pub waiting: bool,
}

/// The request that arrived last from outside, and where the page hears of the next one.
#[derive(Default)]
pub struct Incoming {
    pending: Mutex<Option<IncomingRequest>>,
    channel: Mutex<Option<Channel<RequestArrived>>>,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming").field("pending", &self.pending.lock().map(|p| p.is_some())).finish()
    }
}

impl Incoming {
    /// Keeps `request` (it replaces one not opened yet: the person's latest click wins) and tells the page.
    pub fn arrive(&self, request: IncomingRequest) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending = Some(request);
        }
        if let Ok(channel) = self.channel.lock() {
            if let Some(channel) = channel.as_ref() {
                let _ = channel.send(RequestArrived { waiting: true });
            }
        }
    }

    /// Where the page hears of the next request; returns whether one waits already.
    pub fn watch(&self, channel: Channel<RequestArrived>) -> bool {
        if let Ok(mut slot) = self.channel.lock() {
            *slot = Some(channel);
        }
        self.is_waiting()
    }

    /// Whether a request waits to be opened.
    pub fn is_waiting(&self) -> bool {
        self.pending.lock().map(|p| p.is_some()).unwrap_or(false)
    }

    /// The waiting request, which is then no longer waiting.
    pub fn take(&self) -> Option<IncomingRequest> {
        self.pending.lock().ok().and_then(|mut p| p.take())
    }
}

/// The request among a launch's arguments (the program's name first, as in `std::env::args`):
/// a `tessera:` link, or a path or `file://` URL ending in `.tessera-request`, made absolute
/// against `cwd`, the directory the launch was made from. Options (`--…`), web links and other
/// files are ignored: an `https://` link is opened by pasting it, never from the command line.
pub fn request_in_args<S: AsRef<str>>(args: impl IntoIterator<Item = S>, cwd: &Path) -> Option<IncomingRequest> {
    args.into_iter().skip(1).find_map(|arg| {
        let arg = arg.as_ref();
        let scheme = arg.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase());
        let path = match scheme.as_deref() {
            Some("tessera") => return Some(IncomingRequest::Link(arg.to_owned())),
            Some("file") => Url::parse(arg).ok()?.to_file_path().ok()?,
            _ if arg.contains("://") || arg.starts_with('-') => return None,
            _ => PathBuf::from(arg),
        };
        let named_as_request = path.extension().is_some_and(|e| e.eq_ignore_ascii_case(REQUEST_FILE_EXTENSION));
        named_as_request.then(|| IncomingRequest::File(cwd.join(path)))
    })
}

/// The request file among files dropped on the window: the first whose name ends in
/// `.tessera-request` (the window gives absolute paths).
pub fn request_in_dropped(paths: &[PathBuf]) -> Option<IncomingRequest> {
    paths
        .iter()
        .find(|p| p.is_absolute() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case(REQUEST_FILE_EXTENSION)))
        .map(|p| IncomingRequest::File(p.clone()))
}

/// The D-Bus name suffix that makes one instance per vault: the app's own for the usual data
/// directory, one per directory when `TESSERA_DATA_DIR` points elsewhere (tests, a second vault).
pub fn instance_id(identifier: &str, data_dir_override: Option<&Path>) -> String {
    match data_dir_override {
        None => identifier.to_owned(),
        Some(dir) => {
            // FNV-1a: stable across builds, enough to tell directories apart.
            let hash = dir
                .as_os_str()
                .as_encoded_bytes()
                .iter()
                .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
            format!("{identifier}.dir_{hash:016x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(args: &[&str]) -> Option<IncomingRequest> {
        request_in_args(args.iter().copied(), Path::new("/home/marie/Téléchargements"))
    }

    fn file(path: &str) -> Option<IncomingRequest> {
        Some(IncomingRequest::File(PathBuf::from(path)))
    }

    #[test]
    fn a_request_file_is_found_as_a_path_relative_or_absolute() {
        assert_eq!(
            request(&["tessera-app", "offre.tessera-request"]),
            file("/home/marie/Téléchargements/offre.tessera-request")
        );
        assert_eq!(request(&["tessera-app", "/tmp/a b.TESSERA-REQUEST"]), file("/tmp/a b.TESSERA-REQUEST"));
    }

    #[test]
    fn a_request_file_is_found_as_a_file_url() {
        assert_eq!(
            request(&["tessera-app", "file:///tmp/Offre%20d%C3%A9cembre.tessera-request"]),
            file("/tmp/Offre décembre.tessera-request")
        );
    }

    #[test]
    fn of_files_dropped_on_the_window_the_first_request_file_is_taken() {
        let dropped = [PathBuf::from("/tmp/photo.jpg"), PathBuf::from("/tmp/Offre.Tessera-Request")];
        assert_eq!(request_in_dropped(&dropped), file("/tmp/Offre.Tessera-Request"));
        assert_eq!(request_in_dropped(&[PathBuf::from("/etc/passwd")]), None);
        assert_eq!(request_in_dropped(&[PathBuf::from("relative.tessera-request")]), None);
        assert_eq!(request_in_dropped(&[]), None);
    }

    #[test]
    fn a_tessera_link_is_found_among_options() {
        let link = "tessera://request?request_uri=https%3A%2F%2Fb.example%2Fv1%2Frequests%2F1";
        assert_eq!(request(&["tessera-app", link]), Some(IncomingRequest::Link(link.into())));
        assert_eq!(request(&["tessera-app", "--automation", link]), Some(IncomingRequest::Link(link.into())));
    }

    #[test]
    fn options_web_links_and_other_files_are_not_requests() {
        assert_eq!(request(&["tessera-app"]), None);
        assert_eq!(request(&["tessera-app", "https://b.example/x.tessera-request"]), None);
        assert_eq!(request(&["tessera-app", "--flag.tessera-request"]), None);
        assert_eq!(request(&["tessera-app", "/etc/passwd"]), None);
        assert_eq!(request(&["tessera-app", "file:///etc/passwd"]), None);
        assert_eq!(request(&["offre.tessera-request"]), None, "the program's own name is not an argument");
    }

    #[test]
    fn one_instance_per_data_directory() {
        assert_eq!(instance_id("org.tessera.vault", None), "org.tessera.vault");
        let a = instance_id("org.tessera.vault", Some(Path::new("/tmp/a")));
        let b = instance_id("org.tessera.vault", Some(Path::new("/tmp/b")));
        assert_ne!(a, b);
        assert!(a.starts_with("org.tessera.vault.dir_") && a.len() == "org.tessera.vault.dir_".len() + 16);
        assert_eq!(a, instance_id("org.tessera.vault", Some(Path::new("/tmp/a"))));
    }

    #[test]
    fn the_latest_request_waits_until_taken() {
        let incoming = Incoming::default();
        assert!(!incoming.is_waiting());
        incoming.arrive(IncomingRequest::Link("tessera://request?request_uri=https://a.example/1".into()));
        incoming.arrive(IncomingRequest::File(PathBuf::from("/tmp/b.tessera-request")));
        assert!(incoming.is_waiting());
        assert_eq!(incoming.take(), Some(IncomingRequest::File(PathBuf::from("/tmp/b.tessera-request"))));
        assert_eq!(incoming.take(), None);
    }
}
