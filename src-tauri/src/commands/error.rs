//! Errors for the page: one variant per thing that can go wrong, serialised
//! as `{"code": "...", ...fields}`. The page shows the text of `error.<code>`
//! from `ui/src/locales/{fr,en}.json`, filled with the fields; a test checks
//! that every code has both texts.
//!
//! What it must never do: carry an English sentence, a free-form string or a
//! file path to the page. Fields are identifiers the page translates (item
//! names), numbers, the brand's own name, or a file's name (never its
//! directory). Every `VaultError` and `ProtocolError` variant is mapped here
//! by an exhaustive `match`: a new variant does not compile until it has a code.

use serde::Serialize;
use tessera_online::OnlineError;
use tessera_protocol::ProtocolError;
use tessera_vault::error::{KeyslotKind, PurchaseProblem};
use tessera_vault::VaultError;

/// What went wrong, for the page to say in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CommandError {
    // The vault.
    #[error("no vault yet")]
    NoVault,
    #[error("a vault already exists")]
    VaultExists,
    #[error("the vault is locked")]
    Locked,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("wrong recovery secret")]
    WrongRecoverySecret,
    #[error("not a recovery secret")]
    MalformedRecoverySecret,
    #[error("the groups typed back are not those of the recovery secret")]
    RecoveryGroupsDiffer,
    #[error("passphrase shorter than {min} characters")]
    WeakPassphrase { min: u32 },
    #[error("the vault is damaged")]
    VaultDamaged,
    #[error("the vault was made by a newer Tessera")]
    VaultFromNewerTessera,
    #[error("the vault's header is damaged")]
    VaultHeaderDamaged,
    #[error("the part of the vault the passphrase opens is damaged")]
    PassphraseSlotDamaged,
    #[error("the part of the vault the recovery secret opens is damaged")]
    RecoverySlotDamaged,
    #[error("the master secret is damaged")]
    MasterSecretDamaged,
    #[error("the vault changed while the key rotation was prepared")]
    RotationOutdated,

    // Profile facts.
    #[error("unknown fact")]
    UnknownFact,
    #[error("{item} is not a profile fact")]
    NotAProfileFact { item: String },
    #[error("no {item} fact")]
    NoSuchFact { item: String },
    #[error("{item} needs a whole number")]
    NotAWholeNumber { item: String },
    #[error("not a valid value for {item}")]
    InvalidValue { item: String },
    #[error("no deleted fact to bring back")]
    NothingToUndo,

    // Purchases.
    #[error("the purchase as typed is not valid")]
    InvalidEntry,
    #[error("no such purchase")]
    UnknownPurchase,
    #[error("no CSV file chosen")]
    NoCsvChosen,
    #[error("{text:?} is not an amount")]
    NotAnAmount { text: String },
    #[error("{text:?} could be {point} or {comma}")]
    AmbiguousAmount { text: String, comma: String, point: String },
    #[error("{text:?} is not money spent")]
    NotSpending { text: String },
    #[error("{text:?} is not a date")]
    NotADate { text: String },
    #[error("the merchant must be 1 to 200 characters on one line")]
    PurchaseMerchant,
    #[error("the category must be 1 to 60 characters on one line")]
    PurchaseCategory,
    #[error("{text:?} is not a currency code")]
    PurchaseCurrency { text: String },
    #[error("{amount} is not a plausible amount")]
    PurchaseAmount { amount: String },
    #[error("an amount of zero")]
    PurchaseZeroAmount,
    #[error("{date} is not a plausible date")]
    PurchaseDate { date: String },
    #[error("a refund beyond what was spent with {merchant}")]
    RefundBeyondSpending { merchant: String, spent: String, currency: String },
    #[error("the CSV file has no rows")]
    CsvEmpty,
    #[error("{separator:?} cannot be a column separator")]
    CsvSeparator { separator: String },
    #[error("the file is not {encoding} text")]
    CsvEncoding { encoding: String },
    #[error("cannot tell which columns hold the date, merchant and amount")]
    CsvColumnsUnknown,
    #[error("column {column} is beyond the {columns} columns of the file")]
    CsvColumnMissing { column: u32, columns: u32 },
    #[error("day/month order unknown")]
    CsvDateOrder { examples: Vec<String> },
    #[error("decimal separator unknown")]
    CsvDecimal { examples: Vec<String> },
    #[error("spending sign unknown")]
    CsvSpendingSign { examples: Vec<String> },

    // A brand's request and the answer to it.
    #[error("no request open")]
    NoRequestOpen,
    #[error("{item} is not asked for")]
    NotRequested { item: String },
    #[error("{item} decided twice")]
    DecidedTwice { item: String },
    #[error("undecided items")]
    Undecided { items: Vec<String> },
    #[error("{item} cannot be shared as {form}")]
    CannotGeneralise { item: String, form: String },
    #[error("no {item} to share as {form}")]
    NothingToShareAs { item: String, form: String },
    #[error("{item} cannot be computed from the vault")]
    CannotAnswer { item: String },
    #[error("every item denied")]
    EverythingDenied,
    #[error("{brand_name}'s key changed")]
    BrandKeyChanged { brand_name: String },
    #[error("{item} is never shared")]
    NeverShare { item: String },
    #[error("an item Tessera does not know")]
    UnknownItem,

    // Files from brands: requests, receipts.
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("bad signature")]
    BadSignature,
    #[error("not the kind of file expected")]
    WrongFileType,
    #[error("a version of the format this Tessera does not know")]
    UnknownVersion,
    #[error("from another signer or for someone else")]
    NotForYou,
    #[error("about another packet")]
    WrongPacket,
    #[error("the file {file} is not a Tessera file")]
    NotATesseraFile { file: String },
    #[error("damaged file")]
    DamagedFile,

    // The ledger.
    #[error("no such packet")]
    UnknownPacket,
    #[error("{brand_name} already deleted it")]
    AlreadyDeleted { brand_name: String },

    // Sending to a brand's inbox (fields: hosts the person is shown, the inbox's HTTP status and code).
    #[error("{brand_name}'s request names no inbox")]
    NoInbox { brand_name: String },
    #[error("nothing of this packet waits to be sent")]
    NothingWaiting,
    #[error("the inbox acknowledged another packet")]
    WrongAcknowledgement,
    #[error("the inbox answered with the receipt of another packet")]
    ReceiptForAnotherPacket,
    #[error("not a request link")]
    BadLink,
    #[error("plain http to {host}")]
    InsecureLink { host: String },
    #[error("{host} redirects to {to}")]
    Redirected { host: String, to: String },
    #[error("cannot reach {host}")]
    Unreachable { host: String },
    #[error("{host} did not answer in time")]
    InboxTimeout { host: String },
    #[error("{host} sent too much")]
    AnswerTooLarge { host: String },
    #[error("{host} answered with something unexpected")]
    UnexpectedAnswer { host: String },
    #[error("{host} refused it ({status})")]
    InboxRefused { host: String, status: u16, inbox_code: Option<String> },
    #[error("{host} could not take it now ({status})")]
    InboxUnavailable { host: String, status: u16 },

    // Settings, backups.
    #[error("language not available")]
    UnavailableLanguage,
    #[error("auto-lock out of range")]
    AutoLockOutOfRange { min: u32, max: u32 },
    #[error("no backup chosen")]
    NoBackupChosen,
    #[error("the backup {file} does not open")]
    BackupUnreadable { file: String },

    // Files in general.
    #[error("the file {file} cannot be read or written")]
    File { file: String },

    // Tessera itself.
    #[error("internal error")]
    Internal,
}

pub type CmdResult<T> = Result<T, CommandError>;

/// The name of a file, never the directories above it.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

impl From<VaultError> for CommandError {
    fn from(e: VaultError) -> CommandError {
        match e {
            VaultError::NoVault { .. } => CommandError::NoVault,
            VaultError::VaultExists { .. } => CommandError::VaultExists,
            VaultError::Locked => CommandError::Locked,
            VaultError::WrongPassphrase => CommandError::WrongPassphrase,
            VaultError::WrongRecoverySecret => CommandError::WrongRecoverySecret,
            VaultError::MalformedRecoverySecret(_) => CommandError::MalformedRecoverySecret,
            VaultError::WeakPassphrase { min } => {
                CommandError::WeakPassphrase { min: u32::try_from(min).unwrap_or(u32::MAX) }
            }
            VaultError::Corrupt { .. } => CommandError::VaultDamaged,
            VaultError::NewerSchema { .. } => CommandError::VaultFromNewerTessera,
            VaultError::Database(_) | VaultError::Seal(_) => CommandError::Internal,
            VaultError::File { path, .. } => CommandError::File { file: file_name(&path) },
            VaultError::Protocol(e) => e.into(),
            // Still used by the purchase checks (parse.rs, purchases.rs); its English text never leaves Rust.
            VaultError::InvalidInput(_) => CommandError::InvalidEntry,
            VaultError::NotAnAmount { text } => CommandError::NotAnAmount { text },
            VaultError::AmbiguousAmount { text, comma, point } => {
                CommandError::AmbiguousAmount { text, comma: comma.to_string(), point: point.to_string() }
            }
            VaultError::NotSpending { text } => CommandError::NotSpending { text },
            VaultError::NotADate { text } => CommandError::NotADate { text },
            VaultError::InvalidPurchase(problem) => match problem {
                PurchaseProblem::Merchant => CommandError::PurchaseMerchant,
                PurchaseProblem::Category => CommandError::PurchaseCategory,
                PurchaseProblem::Currency { text } => CommandError::PurchaseCurrency { text },
                PurchaseProblem::Amount { amount } => CommandError::PurchaseAmount { amount: amount.to_string() },
                PurchaseProblem::ZeroAmount => CommandError::PurchaseZeroAmount,
                PurchaseProblem::Date { date } => CommandError::PurchaseDate { date: date.to_string() },
            },
            VaultError::MalformedPurchaseId { .. } => CommandError::UnknownPurchase,
            VaultError::RefundBeyondSpending { merchant, spent, currency } => {
                CommandError::RefundBeyondSpending { merchant, spent, currency }
            }
            VaultError::CsvEmpty => CommandError::CsvEmpty,
            VaultError::CsvSeparator { separator } => CommandError::CsvSeparator { separator: separator.to_string() },
            VaultError::CsvEncoding { encoding, .. } => CommandError::CsvEncoding { encoding: encoding.to_owned() },
            VaultError::CsvColumnsUnknown => CommandError::CsvColumnsUnknown,
            VaultError::CsvColumnMissing { column, columns } => CommandError::CsvColumnMissing {
                column: u32::try_from(column).unwrap_or(u32::MAX),
                columns: u32::try_from(columns).unwrap_or(u32::MAX),
            },
            VaultError::CsvDateOrderUnknown { examples } => CommandError::CsvDateOrder { examples },
            VaultError::CsvDecimalUnknown { examples } => CommandError::CsvDecimal { examples },
            VaultError::CsvSpendingSignUnknown { examples } => CommandError::CsvSpendingSign { examples },
            VaultError::HeaderDamaged { .. } => CommandError::VaultHeaderDamaged,
            VaultError::KeyslotDamaged { slot: KeyslotKind::Passphrase } => CommandError::PassphraseSlotDamaged,
            VaultError::KeyslotDamaged { slot: KeyslotKind::Recovery } => CommandError::RecoverySlotDamaged,
            VaultError::MasterSecretDamaged => CommandError::MasterSecretDamaged,
            VaultError::RotationOutdated { .. } => CommandError::RotationOutdated,
            VaultError::BrandKeyChanged { brand_name, .. } => CommandError::BrandKeyChanged { brand_name },
            VaultError::NeverShare { item } => CommandError::NeverShare { item },
            VaultError::UnknownPacket { .. } => CommandError::UnknownPacket,
            VaultError::Backup { path, .. } => CommandError::BackupUnreadable { file: file_name(&path) },
            VaultError::UnknownFact { .. } => CommandError::UnknownFact,
            VaultError::NotAProfileFact { item } => CommandError::NotAProfileFact { item: item.to_string() },
            VaultError::NoSuchFact { item } => CommandError::NoSuchFact { item: item.to_string() },
            VaultError::NotAWholeNumber { item, .. } => CommandError::NotAWholeNumber { item: item.to_string() },
            VaultError::UnavailableLanguage { .. } => CommandError::UnavailableLanguage,
            VaultError::AutoLockOutOfRange { min, max } => CommandError::AutoLockOutOfRange { min, max },
            VaultError::NotRequested { item } => CommandError::NotRequested { item: item.to_string() },
            VaultError::DecidedTwice { item } => CommandError::DecidedTwice { item: item.to_string() },
            VaultError::Undecided { items } => {
                CommandError::Undecided { items: items.iter().map(ToString::to_string).collect() }
            }
            VaultError::CannotGeneralise { item, form } => {
                CommandError::CannotGeneralise { item: item.to_string(), form: form.to_string() }
            }
            VaultError::NothingToShareAs { item, form } => {
                CommandError::NothingToShareAs { item: item.to_string(), form: form.to_string() }
            }
            VaultError::EverythingDenied => CommandError::EverythingDenied,
            VaultError::PreviewOfAnotherRequest => CommandError::NoRequestOpen,
            VaultError::AlreadyDeleted { brand_name } => CommandError::AlreadyDeleted { brand_name },
            VaultError::UnknownPurchase { .. } => CommandError::UnknownPurchase,
            VaultError::NoInbox { brand_name } => CommandError::NoInbox { brand_name },
            VaultError::NotInOutbox { .. } => CommandError::NothingWaiting,
            VaultError::WrongAcknowledgement { .. } => CommandError::WrongAcknowledgement,
            VaultError::ReceiptForAnotherPacket { .. } => CommandError::ReceiptForAnotherPacket,
        }
    }
}

impl From<OnlineError> for CommandError {
    fn from(e: OnlineError) -> CommandError {
        match e {
            OnlineError::BadLink { .. } => CommandError::BadLink,
            OnlineError::Insecure { host } => CommandError::InsecureLink { host },
            OnlineError::BadInbox { source } => source.into(),
            OnlineError::Redirected { host, to, .. } => CommandError::Redirected { host, to },
            OnlineError::Unreachable { host, .. } => CommandError::Unreachable { host },
            OnlineError::Timeout { host } => CommandError::InboxTimeout { host },
            OnlineError::TooLarge { host, .. } => CommandError::AnswerTooLarge { host },
            OnlineError::UnexpectedAnswer { host, .. } => CommandError::UnexpectedAnswer { host },
            OnlineError::Refused { host, status, code, .. } => {
                CommandError::InboxRefused { host, status, inbox_code: code }
            }
            OnlineError::ServerError { host, status, .. } => CommandError::InboxUnavailable { host, status },
            OnlineError::Setup { .. } => CommandError::Internal,
        }
    }
}

impl From<ProtocolError> for CommandError {
    fn from(e: ProtocolError) -> CommandError {
        match e {
            ProtocolError::Expired { .. } | ProtocolError::AnsweredAfterExpiry { .. } => CommandError::Expired,
            ProtocolError::IssuedInFuture { .. } | ProtocolError::AnsweredBeforeIssue { .. } => {
                CommandError::NotYetValid
            }
            ProtocolError::BadSignature { .. }
            | ProtocolError::WeakSignature { .. }
            | ProtocolError::WeakKey { .. }
            | ProtocolError::WeakRecipient { .. }
            | ProtocolError::UnsupportedAlgorithm { .. } => CommandError::BadSignature,
            ProtocolError::WrongType { .. } => CommandError::WrongFileType,
            ProtocolError::UnknownVersion { .. } => CommandError::UnknownVersion,
            ProtocolError::WrongSigner { .. } | ProtocolError::WrongAudience { .. } => CommandError::NotForYou,
            ProtocolError::PacketMismatch { .. }
            | ProtocolError::PacketHashMismatch { .. }
            | ProtocolError::RequestHashMismatch { .. }
            | ProtocolError::InconsistentReceipt { .. } => CommandError::WrongPacket,
            ProtocolError::InvalidItemValue { item, .. } => CommandError::InvalidValue { item },
            ProtocolError::CannotAnswer { item, .. } => CommandError::CannotAnswer { item },
            ProtocolError::UnknownItem { .. } => CommandError::UnknownItem,
            ProtocolError::Encryption { .. } => CommandError::Internal,
            ProtocolError::Malformed { .. }
            | ProtocolError::DuplicateMember { .. }
            | ProtocolError::MissingMember { .. }
            | ProtocolError::UnknownMember { .. }
            | ProtocolError::TimeOutOfRange { .. }
            | ProtocolError::InvalidText { .. }
            | ProtocolError::InvalidIdentifier { .. }
            | ProtocolError::ScopeBeyondRequest { .. }
            | ProtocolError::RetentionBeyondRequest { .. }
            | ProtocolError::Decryption { .. }
            | ProtocolError::PacketRecipients { .. }
            | ProtocolError::PacketHeaderTooLarge { .. }
            | ProtocolError::InvalidDid { .. }
            | ProtocolError::InvalidRequest { .. }
            | ProtocolError::InvalidResponseUri { .. }
            | ProtocolError::InvalidKey { .. } => CommandError::DamagedFile,
        }
    }
}
