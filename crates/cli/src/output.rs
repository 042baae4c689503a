//! What `tessera` prints on standard output, and how.
//!
//! Every `println!` of this crate is the macro defined at the top of `main.rs`, which calls
//! [`line`]: when the reader of the output goes away (`tessera brand list | head -1`), the rest
//! of the output is dropped quietly and the command still finishes what it was doing, where the
//! standard `println!` would panic on the broken pipe. Any other failure to write (a full disk
//! behind a redirection) is reported at the end ([`failure`]).
//!
//! [`labelled`] prints a brand's text that may span several lines (an offer, a purpose) with
//! every continuation line indented under the first, so that it can never pass for one of the
//! lines Tessera prints around it.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Set once standard output is closed (a broken pipe) or failed: nothing more is written to it.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// The first write error other than a broken pipe.
static FAILURE: OnceLock<String> = OnceLock::new();

/// Writes one line to standard output, unless its reader went away.
pub fn line(args: fmt::Arguments<'_>) {
    if STOPPED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        STOPPED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe {
            let _ = FAILURE.set(e.to_string());
        }
    }
}

/// Why standard output could not be written, if it could not (a closed pipe is not a failure:
/// whoever closed it had read enough).
pub fn failure() -> Option<&'static str> {
    FAILURE.get().map(String::as_str)
}

/// `label` followed by `text`, each further line of `text` indented to start under its first.
pub fn labelled(label: &str, text: &str) -> String {
    let indent = format!("\n{}", " ".repeat(label.chars().count()));
    format!("{label}{}", text.split('\n').collect::<Vec<_>>().join(&indent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_are_indented_under_the_first() {
        assert_eq!(labelled("  Offer: ", "15 % off"), "  Offer: 15 % off");
        assert_eq!(
            labelled("  Offer: ", "15 % off\n  Keeps your data 1 day"),
            "  Offer: 15 % off\n           Keeps your data 1 day"
        );
    }
}
