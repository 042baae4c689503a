//! The vault's errors: what went wrong, in words a person can act on.
//!
//! Every fallible function of the crate returns [`VaultError`]; the desktop app
//! maps each variant to a stable code its interface translates.

use std::path::PathBuf;

use tessera_protocol::ProtocolError;

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
    #[error(
        "{item} is set to never share: it was refused. To share it, change its setting first: {} (or in the app)",
        how_to_allow(item)
    )]
    NeverShare { item: String },
    #[error("no packet {packet_jti} in your ledger")]
    UnknownPacket { packet_jti: String },
    #[error("cannot read the backup {path}: {detail}")]
    Backup { path: PathBuf, detail: String },
}

pub type Result<T, E = VaultError> = std::result::Result<T, E>;

/// How to let the item `item` be shared again once set to never share: the command that changes
/// the setting of the fact it comes from (for `age_range`, the birthdate).
pub fn how_to_allow(item: &str) -> String {
    use tessera_protocol::items::Family;
    let fact = item
        .parse::<tessera_protocol::ItemName>()
        .ok()
        .and_then(|asked| asked.sources().into_iter().find(|source| source.spec().family != Family::Generalised));
    match fact.as_ref().map(|f| f.as_str()) {
        Some("purchases") => "`tessera vault settings --purchases ask`".into(),
        Some(fact) => format!("`tessera vault fact sensitivity {fact} ask`"),
        None => format!("`tessera vault fact sensitivity {item} ask`"),
    }
}
