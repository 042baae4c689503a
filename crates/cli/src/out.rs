//! Writing to standard output without panicking: a closed pipe (`tessera …
//! | head`) or a full disk is an error the command handles, never a panic.
//!
//! [`say!`](crate::say) writes one line; [`Lines`] buffers many (a listing of
//! every purchase). [`CliError::Output`] carries what went wrong; the command
//! ends quietly when the reader went away (a broken pipe), and with an error
//! otherwise.

use std::io::{BufWriter, StdoutLock, Write};

use crate::CliError;

/// Writes one line to standard output.
pub fn line(text: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(text).and_then(|()| stdout.write_all(b"\n")).map_err(CliError::Output)
}

/// Writes one formatted line to standard output; evaluates to `Result<(), CliError>`.
#[macro_export]
macro_rules! say {
    () => {
        $crate::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}

/// Many lines to standard output, buffered, flushed by [`Lines::finish`].
pub struct Lines(BufWriter<StdoutLock<'static>>);

impl Lines {
    pub fn new() -> Lines {
        Lines(BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()))
    }

    pub fn line(&mut self, text: std::fmt::Arguments<'_>) -> Result<(), CliError> {
        self.0.write_fmt(text).and_then(|()| self.0.write_all(b"\n")).map_err(CliError::Output)
    }

    pub fn finish(mut self) -> Result<(), CliError> {
        self.0.flush().map_err(CliError::Output)
    }
}
