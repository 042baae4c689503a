//! The commands the page calls. Each one translates: arguments in, a vault call, a result or
//! `{code, message}` out. No vault logic lives here.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tessera_protocol::items::ValueKind;
use tessera_protocol::{ItemName, ProtocolError};
use tessera_vault::backup::RestoreReport;
use tessera_vault::consent::{Decision, PacketPreview, RequestReview};
use tessera_vault::csv_import::{CsvImportReport, CsvOptions, CsvPreview, DateOrder};
use tessera_vault::facts::{self, Sensitivity};
use tessera_vault::ledger::{BrandKnowledge, LedgerEntry, LedgerLine};
use tessera_vault::purchases::{Purchase, PurchaseFilter, PurchasePage, Totals};
use tessera_vault::settings::Settings;
use tessera_vault::{RecoverySecret, Vault, VaultError};

use crate::state::AppState;

/// An error for the page: a stable `code` it can translate, and an English `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

type CmdResult<T> = Result<T, CommandError>;

fn error(code: &str, message: impl Into<String>) -> CommandError {
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
            VaultError::Csv(_) | VaultError::CsvLine { .. } => "csv",
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

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn poisoned() -> CommandError {
    error("internal", "the app's state is unavailable after an earlier failure; restart Tessera")
}

/// Runs `f` on the unlocked vault, noting the activity.
fn with_vault<T>(state: &AppState, f: impl FnOnce(&mut Vault) -> Result<T, VaultError>) -> CmdResult<T> {
    state.touch();
    let mut guard = state.vault.lock().map_err(|_| poisoned())?;
    let vault = guard.as_mut().filter(|v| v.is_unlocked()).ok_or_else(|| CommandError::from(VaultError::Locked))?;
    Ok(f(vault)?)
}

/// The files the app reads or writes, each chosen in a dialog.
#[derive(Debug, Clone, Copy)]
enum Pick {
    OpenRequest,
    SavePacket,
    OpenCsv,
    SaveRevocation,
    OpenReceipt,
    SaveBackup,
    OpenBackup,
    SaveExport,
}

impl Pick {
    /// The file used instead of a dialog in tests.
    fn test_name(self) -> &'static str {
        match self {
            Pick::OpenRequest => "request.tessera",
            Pick::SavePacket => "packet.tessera",
            Pick::OpenCsv => "purchases.csv",
            Pick::SaveRevocation => "revocation.tessera",
            Pick::OpenReceipt => "receipt.tessera",
            Pick::SaveBackup | Pick::OpenBackup => "backup.age",
            Pick::SaveExport => "export.age",
        }
    }
}

/// Asks the user for a file (or, in tests, uses a fixed name). `None` when cancelled.
fn pick<R: Runtime>(app: &AppHandle<R>, state: &AppState, what: Pick, suggested_name: &str) -> Option<PathBuf> {
    if let Some(dir) = &state.test_files {
        return Some(dir.join(what.test_name()));
    }
    let dialog = app.dialog().file();
    let chosen = match what {
        Pick::OpenRequest | Pick::OpenReceipt => {
            dialog.add_filter("Tessera", &["tessera", "tessera-request", "tessera-receipt", "jws"]).blocking_pick_file()
        }
        Pick::OpenCsv => dialog.add_filter("CSV", &["csv", "txt"]).blocking_pick_file(),
        Pick::OpenBackup => dialog.add_filter("Backup", &["age"]).blocking_pick_file(),
        Pick::SavePacket | Pick::SaveRevocation | Pick::SaveBackup | Pick::SaveExport => {
            dialog.set_file_name(suggested_name).blocking_save_file()
        }
    };
    chosen.and_then(|p| p.into_path().ok())
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn read_text(path: &std::path::Path) -> CmdResult<String> {
    let bytes = std::fs::read(path).map_err(|e| error("file", format!("{}: {e}", file_name(path))))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| error("invalid_file", format!("{} is not a Tessera file", file_name(path))))?;
    Ok(text.trim_end().to_owned())
}

/// What the page needs to know to start.
#[derive(Debug, Clone, Serialize)]
pub struct AppStatus {
    pub vault_exists: bool,
    pub unlocked: bool,
    /// `fr` or `en`, from the system locale.
    pub system_language: String,
    /// The language chosen in settings, if any (only known when unlocked).
    pub language: Option<String>,
    pub auto_lock_minutes: u32,
}

fn system_language() -> String {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    if locale.starts_with("fr") {
        "fr".into()
    } else {
        "en".into()
    }
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> CmdResult<AppStatus> {
    // With TESSERA_TRACE_STARTUP set, the first call (the page asking which screen to show) reports the start-up time.
    static TRACED: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("TESSERA_TRACE_STARTUP").is_some() {
        TRACED.call_once(|| {
            if let Some(started) = crate::STARTED.get() {
                eprintln!("tessera-startup-ms {}", started.elapsed().as_millis());
            }
        });
    }
    let guard = state.vault.lock().map_err(|_| poisoned())?;
    let unlocked = guard.as_ref().is_some_and(Vault::is_unlocked);
    let language = guard.as_ref().filter(|v| v.is_unlocked()).and_then(|v| v.settings().ok()).and_then(|s| s.language);
    Ok(AppStatus {
        vault_exists: Vault::exists(&state.vault_dir()),
        unlocked,
        system_language: system_language(),
        language,
        auto_lock_minutes: state.auto_lock_minutes.load(Ordering::Relaxed),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Shown once, never stored.
    pub recovery_secret: String,
}

#[tauri::command(async)]
pub fn create_vault(state: State<'_, AppState>, passphrase: String) -> CmdResult<Created> {
    let (vault, recovery) = Vault::create(&state.vault_dir(), &passphrase)?;
    *state.vault.lock().map_err(|_| poisoned())? = Some(vault);
    state.touch();
    Ok(Created { recovery_secret: recovery.display().to_string() })
}

fn opened(state: &AppState) -> CmdResult<std::sync::MutexGuard<'_, Option<Vault>>> {
    let mut guard = state.vault.lock().map_err(|_| poisoned())?;
    if guard.is_none() {
        *guard = Some(Vault::open(&state.vault_dir())?);
    }
    Ok(guard)
}

fn after_unlock(state: &AppState, vault: &Vault) -> CmdResult<UnlockInfo> {
    let settings = vault.settings()?;
    state.auto_lock_minutes.store(settings.auto_lock_minutes, Ordering::Relaxed);
    state.touch();
    Ok(UnlockInfo { damaged_records: vault.damaged_records()?.len(), language: settings.language })
}

#[derive(Debug, Clone, Serialize)]
pub struct UnlockInfo {
    /// Records that could not be read (the others are available).
    pub damaged_records: usize,
    pub language: Option<String>,
}

#[tauri::command(async)]
pub fn unlock(state: State<'_, AppState>, passphrase: String) -> CmdResult<UnlockInfo> {
    let mut guard = opened(&state)?;
    let vault = guard.as_mut().ok_or_else(poisoned)?;
    vault.unlock(&passphrase)?;
    after_unlock(&state, vault)
}

#[tauri::command]
pub fn lock(state: State<'_, AppState>) {
    state.lock();
}

#[tauri::command(async)]
pub fn recover(state: State<'_, AppState>, recovery_secret: String, new_passphrase: String) -> CmdResult<UnlockInfo> {
    let secret = RecoverySecret::parse(&recovery_secret)?;
    let mut guard = opened(&state)?;
    let vault = guard.as_mut().ok_or_else(poisoned)?;
    vault.recover(&secret, &new_passphrase)?;
    after_unlock(&state, vault)
}

#[tauri::command]
pub fn touch(state: State<'_, AppState>) {
    state.touch();
}

#[tauri::command]
pub fn passphrase_strength(passphrase: String) -> u8 {
    tessera_vault::keys::passphrase_strength(&passphrase)
}

/// A fact the user can enter.
#[derive(Debug, Clone, Serialize)]
pub struct VocabularyItem {
    pub name: &'static str,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    /// `text`, `email`, `phone`, `date`, `count` or `list`.
    pub input: &'static str,
}

#[tauri::command]
pub fn vocabulary() -> Vec<VocabularyItem> {
    tessera_protocol::items::VOCABULARY
        .iter()
        .filter_map(|spec| ItemName::lookup(spec.name))
        .filter(facts::is_profile_fact)
        .map(|item| {
            let spec = item.spec();
            let input = match spec.kind {
                ValueKind::Email => "email",
                ValueKind::PhoneNumber => "phone",
                ValueKind::Date => "date",
                ValueKind::Count => "count",
                ValueKind::TextList => "list",
                _ => "text",
            };
            VocabularyItem { name: spec.name, label_en: spec.label_en, label_fr: spec.label_fr, input }
        })
        .collect()
}

/// A fact as shown.
#[derive(Debug, Clone, Serialize)]
pub struct FactView {
    pub item: ItemName,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    /// The value as the user would type it.
    pub text: String,
    pub sensitivity: Sensitivity,
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(list) => list.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[tauri::command]
pub fn facts_list(state: State<'_, AppState>) -> CmdResult<Vec<FactView>> {
    with_vault(&state, |v| {
        Ok(v.facts()?
            .into_iter()
            .map(|f| FactView {
                item: f.item,
                label_en: f.item.spec().label_en,
                label_fr: f.item.spec().label_fr,
                text: value_text(&f.value),
                sensitivity: f.sensitivity,
            })
            .collect())
    })
}

fn parse_item(name: &str) -> Result<ItemName, VaultError> {
    name.parse().map_err(|_| VaultError::InvalidInput(format!("{name:?} is not a fact Tessera knows")))
}

#[tauri::command]
pub fn fact_set(state: State<'_, AppState>, item: String, value: String, sensitivity: Sensitivity) -> CmdResult<()> {
    with_vault(&state, |v| {
        let item = parse_item(&item)?;
        let value = facts::value_from_text(&item, &value)?;
        v.set_fact(item, value, sensitivity)
    })
}

#[tauri::command]
pub fn fact_remove(state: State<'_, AppState>, item: String) -> CmdResult<()> {
    with_vault(&state, |v| v.remove_fact(&parse_item(&item)?))
}

#[tauri::command]
pub fn purchases_query(
    state: State<'_, AppState>,
    filter: PurchaseFilter,
    offset: usize,
    limit: usize,
) -> CmdResult<PurchasePage> {
    with_vault(&state, |v| v.purchases(&filter, offset, limit.clamp(1, 500)))
}

#[tauri::command]
pub fn purchases_totals(state: State<'_, AppState>, filter: PurchaseFilter) -> CmdResult<Totals> {
    with_vault(&state, |v| v.purchase_totals(&filter))
}

#[tauri::command]
pub fn purchase_add(
    state: State<'_, AppState>,
    date: String,
    merchant: String,
    amount: String,
    currency: String,
    category: Option<String>,
) -> CmdResult<String> {
    with_vault(&state, |v| {
        let date = tessera_vault::csv_import::parse_date(&date, DateOrder::DayFirst)
            .ok_or_else(|| VaultError::InvalidInput(format!("{date:?} is not a date")))?;
        let decimal_comma = amount.contains(',') && !amount.contains('.');
        let amount = tessera_vault::csv_import::parse_amount(&amount, decimal_comma)
            .ok_or_else(|| VaultError::InvalidInput(format!("{amount:?} is not an amount")))?;
        let category = category
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| tessera_vault::purchases::suggest_category(&merchant).to_owned());
        v.add_purchase(Purchase {
            date,
            merchant: merchant.trim().to_owned(),
            amount,
            currency: currency.trim().to_uppercase(),
            category,
        })
    })
}

#[tauri::command]
pub fn purchase_remove(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    with_vault(&state, |v| v.remove_purchase(&id))
}

#[tauri::command(async)]
pub fn csv_choose<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> CmdResult<Option<String>> {
    state.touch();
    let chosen = pick(&app, &state, Pick::OpenCsv, "");
    let name = chosen.as_deref().map(file_name);
    *state.csv_path.lock().map_err(|_| poisoned())? = chosen;
    Ok(name)
}

/// What the import screen shows before importing: the preview, with its first rows only.
#[derive(Debug, Clone, Serialize)]
pub struct CsvPreviewView {
    pub file_name: String,
    /// How many rows cannot be read (only the first 200 are listed).
    pub error_count: usize,
    #[serde(flatten)]
    pub preview: CsvPreview,
}

fn csv_bytes(state: &AppState) -> CmdResult<(PathBuf, Vec<u8>)> {
    let path = state
        .csv_path
        .lock()
        .map_err(|_| poisoned())?
        .clone()
        .ok_or_else(|| error("invalid_input", "choose a CSV file first"))?;
    let bytes = std::fs::read(&path).map_err(|e| error("file", format!("{}: {e}", file_name(&path))))?;
    Ok((path, bytes))
}

#[tauri::command(async)]
pub fn csv_preview(state: State<'_, AppState>, options: CsvOptions) -> CmdResult<CsvPreviewView> {
    let (path, bytes) = csv_bytes(&state)?;
    with_vault(&state, |v| {
        let mut preview = v.preview_csv(&bytes, &options)?;
        let error_count = preview.errors.len();
        preview.rows.truncate(20);
        preview.errors.truncate(200);
        Ok(CsvPreviewView { file_name: file_name(&path), error_count, preview })
    })
}

#[tauri::command(async)]
pub fn csv_import(state: State<'_, AppState>, options: CsvOptions) -> CmdResult<CsvImportReport> {
    let (_, bytes) = csv_bytes(&state)?;
    with_vault(&state, |v| v.import_csv(&bytes, &options))
}

#[tauri::command(async)]
pub fn request_open<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> CmdResult<Option<RequestReview>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::OpenRequest, "") else { return Ok(None) };
    let text = read_text(&path)?;
    let review = with_vault(&state, |v| v.review_request(&text, now()))?;
    *state.review.lock().map_err(|_| poisoned())? = Some(review.clone());
    Ok(Some(review))
}

fn current_review(state: &AppState) -> CmdResult<RequestReview> {
    state.review.lock().map_err(|_| poisoned())?.clone().ok_or_else(|| error("invalid_input", "open a request first"))
}

#[tauri::command]
pub fn request_preview(state: State<'_, AppState>, decisions: Vec<Decision>) -> CmdResult<PacketPreview> {
    let review = current_review(&state)?;
    with_vault(&state, |v| v.preview_packet(&review, &decisions, now()))
}

#[tauri::command]
pub fn request_trust(state: State<'_, AppState>) -> CmdResult<RequestReview> {
    let review = current_review(&state)?;
    let jws = review.request_jws().to_owned();
    let renewed = with_vault(&state, |v| {
        v.trust_brand(&review, now())?;
        v.review_request(&jws, now())
    })?;
    *state.review.lock().map_err(|_| poisoned())? = Some(renewed.clone());
    Ok(renewed)
}

#[tauri::command(async)]
pub fn request_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    decisions: Vec<Decision>,
) -> CmdResult<Option<LedgerEntry>> {
    let review = current_review(&state)?;
    let preview = with_vault(&state, |v| v.preview_packet(&review, &decisions, now()))?;
    let suggested = format!(
        "{}.tessera",
        review.brand_name.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase()
    );
    let Some(path) = pick(&app, &state, Pick::SavePacket, &suggested) else { return Ok(None) };
    let entry = with_vault(&state, |v| v.write_packet(&review, &preview, &path, now()))?;
    *state.review.lock().map_err(|_| poisoned())? = None;
    Ok(Some(entry))
}

#[tauri::command]
pub fn ledger(state: State<'_, AppState>) -> CmdResult<Vec<BrandKnowledge>> {
    with_vault(&state, |v| v.what_brands_know(now()))
}

#[tauri::command(async)]
pub fn packet_revoke<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    packet_jti: String,
) -> CmdResult<Option<LedgerLine>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::SaveRevocation, "revocation.tessera") else { return Ok(None) };
    with_vault(&state, |v| v.revoke_packet(&packet_jti, &path, now())).map(Some)
}

#[tauri::command(async)]
pub fn receipt_import<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> CmdResult<Option<LedgerLine>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::OpenReceipt, "") else { return Ok(None) };
    let text = read_text(&path)?;
    with_vault(&state, |v| v.import_receipt(&text, now())).map(Some)
}

#[tauri::command]
pub fn settings_get(state: State<'_, AppState>) -> CmdResult<Settings> {
    with_vault(&state, |v| v.settings())
}

#[tauri::command]
pub fn settings_set(state: State<'_, AppState>, settings: Settings) -> CmdResult<()> {
    let minutes = settings.auto_lock_minutes;
    with_vault(&state, |v| v.set_settings(settings))?;
    state.auto_lock_minutes.store(minutes, Ordering::Relaxed);
    Ok(())
}

#[tauri::command(async)]
pub fn passphrase_change(state: State<'_, AppState>, current: String, new: String) -> CmdResult<()> {
    with_vault(&state, |v| v.change_passphrase(&current, &new))
}

#[tauri::command(async)]
pub fn backup_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    backup_passphrase: String,
) -> CmdResult<Option<String>> {
    state.touch();
    let suggested = format!("tessera-backup-{}.age", chrono::Utc::now().format("%Y-%m-%d"));
    let Some(path) = pick(&app, &state, Pick::SaveBackup, &suggested) else { return Ok(None) };
    with_vault(&state, |v| v.backup(&path, &backup_passphrase, now()))?;
    Ok(Some(file_name(&path)))
}

#[tauri::command(async)]
pub fn backup_restore<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    backup_passphrase: String,
) -> CmdResult<Option<RestoreReport>> {
    state.touch();
    let Some(path) = pick(&app, &state, Pick::OpenBackup, "") else { return Ok(None) };
    with_vault(&state, |v| v.restore(&path, &backup_passphrase)).map(Some)
}

#[tauri::command(async)]
pub fn export_data<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    passphrase: String,
) -> CmdResult<Option<String>> {
    state.touch();
    let suggested = format!("tessera-export-{}.age", chrono::Utc::now().format("%Y-%m-%d"));
    let Some(path) = pick(&app, &state, Pick::SaveExport, &suggested) else { return Ok(None) };
    with_vault(&state, |v| v.export_all(&path, &passphrase, now()))?;
    Ok(Some(file_name(&path)))
}

/// The handler for every command listed in `COMMANDS`.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_status,
        create_vault,
        unlock,
        lock,
        recover,
        touch,
        passphrase_strength,
        vocabulary,
        facts_list,
        fact_set,
        fact_remove,
        purchases_query,
        purchases_totals,
        purchase_add,
        purchase_remove,
        csv_choose,
        csv_preview,
        csv_import,
        request_open,
        request_preview,
        request_trust,
        request_save,
        ledger,
        packet_revoke,
        receipt_import,
        settings_get,
        settings_set,
        passphrase_change,
        backup_create,
        backup_restore,
        export_data
    ]
}
