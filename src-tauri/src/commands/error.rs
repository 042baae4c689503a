//! Errors for the page: a stable `code` the interface translates, and an English `message`.

use serde::Serialize;
use tessera_protocol::ProtocolError;
use tessera_vault::error::{KeyslotKind, PurchaseProblem};
use tessera_vault::VaultError;

/// An error for the page: a stable `code` it can translate, and an English `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

pub type CmdResult<T> = Result<T, CommandError>;

pub(crate) fn error(code: &str, message: impl Into<String>) -> CommandError {
    CommandError { code: code.into(), message: message.into() }
}

impl From<VaultError> for CommandError {
    fn from(e: VaultError) -> CommandError {
        let code = match &e {
            VaultError::NoVault { .. } => "no_vault",
            VaultError::VaultExists { .. } => "vault_exists",
            VaultError::Locked => "locked",
            VaultError::WrongPassphrase => "wrong_passphrase",
            VaultError::WrongRecoverySecret => "wrong_recovery_secret",
            VaultError::MalformedRecoverySecret(_) => "malformed_recovery_secret",
            VaultError::WeakPassphrase { .. } => "weak_passphrase",
            VaultError::BrandKeyChanged { .. } => "brand_key_changed",
            VaultError::NeverShare { .. } => "never_share",
            VaultError::UnknownPacket { .. } => "unknown_packet",
            VaultError::Backup { .. } => "backup",
            VaultError::NotAnAmount { .. } => "not_an_amount",
            VaultError::AmbiguousAmount { .. } => "ambiguous_amount",
            VaultError::NotSpending { .. } => "not_spending",
            VaultError::NotADate { .. } => "not_a_date",
            VaultError::InvalidPurchase(problem) => match problem {
                PurchaseProblem::Merchant => "purchase_merchant",
                PurchaseProblem::Category => "purchase_category",
                PurchaseProblem::Currency { .. } => "purchase_currency",
                PurchaseProblem::Amount { .. } => "purchase_amount",
                PurchaseProblem::ZeroAmount => "purchase_zero_amount",
                PurchaseProblem::Date { .. } => "purchase_date",
            },
            VaultError::MalformedPurchaseId { .. } => "malformed_purchase_id",
            VaultError::UnknownPurchase { .. } => "unknown_purchase",
            VaultError::CsvEmpty => "csv_empty",
            VaultError::CsvSeparator { .. } => "csv_separator",
            VaultError::CsvEncoding { .. } => "csv_encoding",
            VaultError::CsvColumnsUnknown => "csv_columns_unknown",
            VaultError::CsvColumnMissing { .. } => "csv_column_missing",
            VaultError::CsvDateOrderUnknown { .. } => "csv_date_order",
            VaultError::CsvDecimalUnknown { .. } => "csv_decimal",
            VaultError::CsvSpendingSignUnknown { .. } => "csv_spending_sign",
            VaultError::HeaderDamaged { .. } => "vault_header_damaged",
            VaultError::KeyslotDamaged { slot: KeyslotKind::Passphrase } => "passphrase_slot_damaged",
            VaultError::KeyslotDamaged { slot: KeyslotKind::Recovery } => "recovery_slot_damaged",
            VaultError::MasterSecretDamaged => "master_secret_damaged",
            VaultError::RotationOutdated { .. } => "rotation_outdated",
            VaultError::InvalidInput(_) => "invalid_input",
            VaultError::File { .. } => "file",
            VaultError::Protocol(ProtocolError::Expired { .. } | ProtocolError::AnsweredAfterExpiry { .. }) => {
                "expired"
            }
            VaultError::Protocol(ProtocolError::BadSignature { .. }) => "bad_signature",
            VaultError::Protocol(ProtocolError::WrongType { .. }) => "wrong_type",
            VaultError::Protocol(
                ProtocolError::InvalidItemValue { .. }
                | ProtocolError::UnknownItem { .. }
                | ProtocolError::CannotAnswer { .. },
            ) => "invalid_input",
            VaultError::Protocol(_) => "invalid_file",
            VaultError::Corrupt { .. } | VaultError::NewerSchema { .. } => "vault_damaged",
            VaultError::Database(_) | VaultError::Seal(_) => "internal",
        };
        error(code, e.to_string())
    }
}
