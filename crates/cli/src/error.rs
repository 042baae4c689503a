//! The command's errors: what was wrong and what to do, printed as `error: …`.

use std::path::PathBuf;

/// An error for the user: what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {detail}", path = path.display())]
    File { path: PathBuf, detail: String },
    #[error("{path}: {source}", path = path.display())]
    Artifact { path: PathBuf, source: tessera_protocol::ProtocolError },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Brand(#[from] tessera_brand::BrandError),
    #[error(transparent)]
    Protocol(#[from] tessera_protocol::ProtocolError),
    #[error(transparent)]
    Vault(#[from] tessera_vault::VaultError),
    #[error("{link}: {source}")]
    FetchedArtifact { link: String, source: tessera_protocol::ProtocolError },
    #[error(transparent)]
    Online(#[from] tessera_online::OnlineError),
    /// The inbox refused something sent: it stays in the outbox, and is not tried again by itself.
    #[error("{0}")]
    Refused(String),
    /// Something recorded waits in the outbox (offline, the inbox failing): not an error of the
    /// person's, but not done either — its own exit status, [`NOT_SENT_YET`].
    #[error("{0}")]
    NotSentYet(String),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

/// The exit status when what was decided is recorded but waits to be sent (EX_TEMPFAIL).
pub const NOT_SENT_YET: u8 = 75;

impl CliError {
    /// Whether the reader of the output went away (`tessera … | head`): the command ends quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
