/// Every command the page may call, and nothing else, by screen (`commands/<screen>.rs`).
/// A new command is added here, in its screen's module and in `commands::builder`
/// (a test checks that this list and the builder's agree).
pub const COMMANDS: &[&str] = &[
    // welcome
    "app_status",
    "create_vault",
    "unlock",
    "lock",
    "recover",
    "touch",
    "lock_watch",
    "recovery_save",
    "recovery_confirm",
    "vault_from_backup",
    // profile
    "vocabulary",
    "facts_list",
    "fact_set",
    "fact_remove",
    "fact_undo_remove",
    // purchases
    "purchases_query",
    "purchases_totals",
    "purchase_add",
    "purchase_edit",
    "purchase_remove",
    "csv_choose",
    "csv_preview",
    "csv_import",
    // requests
    "request_open",
    "request_current",
    "request_preview",
    "request_trust",
    "request_save",
    "request_decline",
    "request_open_link",
    "request_send",
    "incoming_watch",
    "request_open_incoming",
    // ledger
    "ledger",
    "packet_revoke",
    "receipt_import",
    "packet_revoke_send",
    "outbox_send",
    // settings
    "settings_get",
    "settings_set",
    "passphrase_change",
    "backup_create",
    "backup_inspect",
    "backup_restore",
    "export_data",
];
