/// Every command the page may call, and nothing else, by screen (`commands/<screen>.rs`).
/// A new command is added here, in its screen's module and in `commands::handler`.
pub const COMMANDS: &[&str] = &[
    // welcome
    "app_status",
    "create_vault",
    "unlock",
    "lock",
    "recover",
    "touch",
    "passphrase_strength",
    // profile
    "vocabulary",
    "facts_list",
    "fact_set",
    "fact_remove",
    // purchases
    "purchases_query",
    "purchases_totals",
    "purchase_add",
    "purchase_remove",
    "csv_choose",
    "csv_preview",
    "csv_import",
    // requests
    "request_open",
    "request_preview",
    "request_trust",
    "request_save",
    // ledger
    "ledger",
    "packet_revoke",
    "receipt_import",
    // settings
    "settings_get",
    "settings_set",
    "passphrase_change",
    "backup_create",
    "backup_restore",
    "export_data",
];
