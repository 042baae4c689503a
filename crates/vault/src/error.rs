//! The vault's errors: what went wrong, in words a person can act on.
//!
//! Every fallible function of the crate returns [`VaultError`]; the desktop app
//! maps each variant to a stable code its interface translates. Each variant
//! has one meaning: a new kind of failure gets a new variant, never a text in
//! a catch-all.

use std::path::PathBuf;

use rust_decimal::Decimal;
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
    #[error("the vault in {dir} is damaged or is not a Tessera vault ({detail}); restore a backup into a new vault: `tessera vault restore BACKUP --force` keeps the damaged one aside")]
    Corrupt { dir: PathBuf, detail: String },
    #[error("the vault header in {dir} is damaged: the vault cannot be opened. Restore a backup: `tessera vault restore BACKUP --force` keeps the damaged vault aside")]
    HeaderDamaged { dir: PathBuf },
    #[error("the secret your per-brand keys come from is damaged in this vault: facts and purchases are still readable, but nothing can be shared or revoked; restore a backup")]
    MasterSecretDamaged,
    #[error("{}", keyslot_damaged_message(*.slot))]
    KeyslotDamaged { slot: KeyslotKind },
    #[error(
        "this vault was made by a newer Tessera (schema {found}; this one knows up to {supported}); update Tessera"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("{brand_name}'s request names no inbox: save the packet as a file and send it to the brand yourself")]
    NoInbox { brand_name: String },
    #[error("nothing of packet {packet_jti} waits to be sent")]
    NotInOutbox { packet_jti: String },
    #[error("the inbox acknowledged another packet ({found}) than the one sent ({expected}); it stays in the outbox")]
    WrongAcknowledgement { expected: String, found: String },
    #[error("the inbox answered with the receipt of packet {found}, not of packet {expected}; the revocation stays in the outbox")]
    ReceiptForAnotherPacket { expected: String, found: String },
    #[error("{}", database_message(.0))]
    Database(#[from] rusqlite::Error),
    #[error("{path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("{0}")]
    Seal(#[from] tessera_seal::SealError),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{text:?} is not an amount: write 12.50 or 12,50")]
    NotAnAmount { text: String },
    #[error("{text:?} could be {point} or {comma}: write it with two decimals (12,50 or 12.50) or without a separator (1234)")]
    AmbiguousAmount { text: String, comma: Decimal, point: Decimal },
    #[error("{text:?} is not money spent: a purchase is written without a minus sign (a refund from a merchant is entered as a refund)")]
    NotSpending { text: String },
    #[error("{text:?} is not a date: write 2026-03-14 or 14/03/2026")]
    NotADate { text: String },
    #[error("{0}")]
    InvalidPurchase(PurchaseProblem),
    #[error("{id:?} is not a purchase id (32 hexadecimal characters, as `purchase list` shows them)")]
    MalformedPurchaseId { id: String },
    #[error("no purchase or money received {id} in your vault")]
    UnknownPurchase { id: String },
    #[error("the file has no rows")]
    CsvEmpty,
    #[error("{separator:?} cannot be a column separator: use one character such as ; , or a tab")]
    CsvSeparator { separator: char },
    #[error("the file is not {encoding} text (byte {offset} cannot be read): choose another encoding")]
    CsvEncoding { encoding: &'static str, offset: usize },
    #[error("cannot tell which columns hold the date, the merchant and the amount: choose the columns yourself")]
    CsvColumnsUnknown,
    #[error("column {column} is beyond the {columns} columns of the file")]
    CsvColumnMissing { column: usize, columns: usize },
    #[error("every date of this file (such as {}) can be read day first or month first: say which order the file uses", .examples.join(", "))]
    CsvDateOrderUnknown { examples: Vec<String> },
    #[error("the amounts of this file (such as {}) can be read with a decimal comma or a decimal point: say which the file uses", .examples.join(", "))]
    CsvDecimalUnknown { examples: Vec<String> },
    #[error("this file has as many positive amounts as negative ones (such as {}): say whether spending is written as negative amounts", .examples.join(", "))]
    CsvSpendingSignUnknown { examples: Vec<String> },
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
    #[error("a refund is money back from a merchant you bought from, but your purchases from {merchant} up to that day come to {spent} {currency}, less than this refund: check the merchant's name and the amount")]
    RefundBeyondSpending { merchant: String, spent: String, currency: String },
    #[error("the vault changed since this key rotation was prepared (key generation {expected}, now {found}); nothing was changed: start the rotation again")]
    RotationOutdated { expected: i64, found: i64 },

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
}

/// The two wrapped copies of the vault key in the vault header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyslotKind {
    /// The copy the passphrase opens.
    Passphrase,
    /// The copy the recovery secret opens.
    Recovery,
}

fn keyslot_damaged_message(slot: KeyslotKind) -> &'static str {
    match slot {
        KeyslotKind::Passphrase => {
            "the part of the vault your passphrase opens is damaged (this is not a wrong passphrase): open it with your recovery secret (`tessera vault recover`), which writes it anew, or restore a backup"
        }
        KeyslotKind::Recovery => {
            "the part of the vault your recovery secret opens is damaged: unlock with your passphrase and run `tessera vault rotate-key` to get a new recovery secret, or restore a backup"
        }
    }
}

/// Why a purchase (or money received) cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseProblem {
    #[error("the merchant must be 1 to 200 characters on one line")]
    Merchant,
    #[error("the category must be 1 to 60 characters on one line")]
    Category,
    #[error("{text:?} is not a currency code such as EUR")]
    Currency { text: String },
    #[error("{amount} is not a plausible amount (more than 4 decimals, or a trillion or more)")]
    Amount { amount: Decimal },
    #[error("an amount of zero is neither money spent nor money received")]
    ZeroAmount,
    #[error("{date} is not a plausible date (1900 to 2200)")]
    Date { date: chrono::NaiveDate },
}

impl PurchaseProblem {
    /// A stable name for the problem, for interfaces that translate it.
    pub fn code(&self) -> &'static str {
        match self {
            PurchaseProblem::Merchant => "merchant",
            PurchaseProblem::Category => "category",
            PurchaseProblem::Currency { .. } => "currency",
            PurchaseProblem::Amount { .. } => "amount",
            PurchaseProblem::ZeroAmount => "zero_amount",
            PurchaseProblem::Date { .. } => "date",
        }
    }
}

/// A database error in words: damage to the file says what to do about it.
fn database_message(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match e.sqlite_error_code() {
        Some(DatabaseCorrupt | NotADatabase) => format!(
            "the vault file is damaged ({e}): what can still be read stays readable, but it cannot be changed. \
             Restore a backup made before the damage (`tessera vault restore BACKUP`, or Settings in the app); \
             the damaged vault is kept aside"
        ),
        _ => format!("database error: {e}"),
    }
}

fn join(items: &[ItemName]) -> String {
    items.iter().map(ItemName::to_string).collect::<Vec<_>>().join(", ")
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
