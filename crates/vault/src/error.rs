//! The vault's errors: what went wrong, in words a person can act on.
//!
//! Every fallible function of the crate returns [`VaultError`]; the desktop app
//! maps each variant to a stable code its interface translates.

use std::path::PathBuf;

use tessera_protocol::{ItemName, ProtocolError};

/// What went wrong in the vault, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault in {dir}: create one with `tessera vault init` (or in the Tessera app)")]
    NoVault { dir: PathBuf },
    #[error("a vault already exists in {dir}; nothing was changed")]
    VaultExists { dir: PathBuf },
    #[error("the vault is locked: unlock it with your passphrase")]
    Locked,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("wrong recovery secret")]
    WrongRecoverySecret,
    #[error("the recovery secret is not in the expected form (13 groups of 4 letters and digits): {0}")]
    MalformedRecoverySecret(String),
    #[error("choose a passphrase of at least {min} characters; several words are easiest to remember")]
    WeakPassphrase { min: usize },
    #[error("the vault in {dir} is damaged or is not a Tessera vault: {detail}")]
    Corrupt { dir: PathBuf, detail: String },
    #[error(
        "this vault was made by a newer Tessera (schema {found}; this one knows up to {supported}); update Tessera"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("{path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("{0}")]
    Seal(#[from] tessera_seal::SealError),
    #[error("{0}")]
    InvalidInput(String),
    #[error("line {line}: {detail}")]
    CsvLine { line: u64, detail: String },
    #[error("{0}")]
    Csv(String),
    #[error("the brand {brand_name} now signs with a different key ({new_fingerprint}) than the one you trusted ({pinned_fingerprint}); this may be an impostor. Nothing was shared. Re-trust the new key only if the brand confirmed the change.")]
    BrandKeyChanged { brand_name: String, pinned_fingerprint: String, new_fingerprint: String },
    #[error("{item} is set to never share: it was refused")]
    NeverShare { item: String },
    #[error("no packet {packet_jti} in your ledger")]
    UnknownPacket { packet_jti: String },
    #[error("cannot read the backup {path}: {detail}")]
    Backup { path: PathBuf, detail: String },

    // Profile facts.
    #[error("{name:?} is not a fact Tessera knows; known facts: {}", known.join(", "))]
    UnknownFact { name: String, known: Vec<&'static str> },
    #[error("{item} is not a profile fact: it is computed from your facts or purchases when you share")]
    NotAProfileFact { item: ItemName },
    #[error("you have no {item} fact")]
    NoSuchFact { item: ItemName },
    #[error("{item} must be a whole number, not {text:?}")]
    NotAWholeNumber { item: ItemName, text: String },

    // Settings.
    #[error("language {language:?} is not available: choose fr or en")]
    UnavailableLanguage { language: String },
    #[error("auto-lock must be between {min} and {max} minutes")]
    AutoLockOutOfRange { min: u32, max: u32 },

    // Deciding on a request.
    #[error("the request does not ask for {item}")]
    NotRequested { item: ItemName },
    #[error("{item} is decided twice")]
    DecidedTwice { item: ItemName },
    #[error("nothing is shared without your decision: decide {}", join(items))]
    Undecided { items: Vec<ItemName> },
    #[error("{item} cannot be shared as {form}")]
    CannotGeneralise { item: ItemName, form: ItemName },
    #[error("you have no {item} to share as {form}: add it first, or deny it")]
    NothingToShareAs { item: ItemName, form: ItemName },
    #[error("every item is denied: there is nothing to send; to refuse the request, decline it")]
    EverythingDenied,
    #[error("this preview belongs to another request")]
    PreviewOfAnotherRequest,

    // The ledger.
    #[error("{brand_name} already confirmed deleting this packet: there is nothing left to revoke")]
    AlreadyDeleted { brand_name: String },

    // Purchases.
    #[error("no purchase {id}")]
    UnknownPurchase { id: String },
}

fn join(items: &[ItemName]) -> String {
    items.iter().map(ItemName::to_string).collect::<Vec<_>>().join(", ")
}

pub type Result<T, E = VaultError> = std::result::Result<T, E>;
