// The only module that talks to Tauri. Every call goes to one of the app's own commands.
import { invoke } from "@tauri-apps/api/core";

export interface CommandError {
  code: string;
  message: string;
}

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export type Sensitivity = "share_freely" | "ask_me" | "never_share";

export interface AppStatus {
  vault_exists: boolean;
  unlocked: boolean;
  system_language: string;
  language: string | null;
  auto_lock_minutes: number;
}
export interface UnlockInfo {
  damaged_records: number;
  language: string | null;
}
export interface VocabularyItem {
  name: string;
  label_en: string;
  label_fr: string;
  input: "text" | "email" | "phone" | "date" | "count" | "list";
}
export interface FactView {
  item: string;
  label_en: string;
  label_fr: string;
  text: string;
  sensitivity: Sensitivity;
}
export interface Purchase {
  date: string;
  merchant: string;
  amount: string;
  currency: string;
  category: string;
}
export interface ListedPurchase extends Purchase {
  id: string;
}
export interface PurchaseFilter {
  search?: string | null;
  from?: string | null;
  to?: string | null;
  category?: string | null;
  merchant?: string | null;
}
export interface PurchasePage {
  total_matching: number;
  rows: ListedPurchase[];
}
export interface Total {
  category: string;
  month: string | null;
  currency: string;
  /** Money spent, less the refunds identified as coming from merchants of this category. */
  total: string;
  /** The refunds subtracted. */
  refunded: string;
  count: number;
}
export interface Totals {
  by_category: Total[];
  by_month: Total[];
}
export interface ColumnMapping {
  date: number;
  merchant: number;
  amount: number | null;
  debit: number | null;
  credit: number | null;
  category: number | null;
  currency: number | null;
}
export type DateOrder = "day_first" | "month_first" | "year_first";
export interface CsvOptions {
  encoding?: "utf8" | "utf16_le" | "utf16_be" | "windows1252" | null;
  delimiter?: string | null;
  has_header?: boolean | null;
  mapping?: ColumnMapping | null;
  decimal_comma?: boolean | null;
  date_order?: DateOrder | null;
  negate_amounts?: boolean | null;
  currency?: string | null;
  credits?: "keep" | "skip" | null;
}
/** What the file cannot tell: asked before anything is imported. */
export type CsvQuestion =
  | { question: "date_order"; examples: string[] }
  | { question: "decimal_separator"; examples: string[] }
  | { question: "spending_sign"; examples: string[] };
/** A row that cannot be read: `problem` is a stable code, its other members the details; `message` is in English. */
export interface RowError {
  line: number;
  problem: string;
  message: string;
  [detail: string]: string | number | boolean | null;
}
export interface Credit {
  date: string;
  label: string;
  amount: string;
  currency: string;
  refund_of?: { merchant: string; category: string } | null;
}
export interface CsvPreview {
  file_name: string;
  encoding: "utf8" | "utf16_le" | "utf16_be" | "windows1252";
  delimiter: string;
  has_header: boolean;
  header_line: number | null;
  headers: string[];
  mapping: ColumnMapping;
  decimal_comma: boolean;
  date_order: DateOrder | null;
  negate_amounts: boolean;
  credit_handling: "keep" | "skip";
  questions: CsvQuestion[];
  skipped: { first_line: number; last_line: number; reason: "before_header" | "before_data" | "summary" | "not_completed" | "zero_amount" }[];
  rows: { line: number; purchase: Purchase; duplicate: boolean }[];
  credits: { line: number; credit: Credit; duplicate: boolean }[];
  errors: RowError[];
  error_count: number;
  new_count: number;
  duplicate_count: number;
  new_credit_count: number;
  refund_count: number;
}
export interface CsvImportReport {
  imported: number;
  duplicates: number;
  credits_kept: number;
  credits_skipped: number;
  refunds: number;
  error_count: number;
  errors: RowError[];
}
export type BrandTrust =
  | { state: "first_contact" }
  | { state: "known" }
  | { state: "key_changed"; pinned_fingerprint: string; pinned_did: string };
export interface GeneralisedOption {
  item: string;
  label_en: string;
  label_fr: string;
  value: unknown;
}
export interface ItemReview {
  item: string;
  label_en: string;
  label_fr: string;
  purpose: string;
  required: boolean;
  sensitivity: Sensitivity | null;
  never_share: boolean;
  exact: unknown | null;
  generalised: GeneralisedOption[];
}
export interface RequestReview {
  request_jti: string;
  brand_name: string;
  brand_did: string;
  fingerprint: string;
  trust: BrandTrust;
  /** A brand you trust whose name looks like this one, under another key: a possible impostor. */
  lookalike: { name: string; fingerprint: string; did: string } | null;
  offer: string;
  retention_days: number;
  expires_at: number;
  items: ItemReview[];
}
export type Decision =
  | { item: string; choice: "exact" }
  | { item: string; choice: "deny" }
  | { item: string; choice: "generalised"; form: string };
export interface SharedItem {
  answers: string;
  item: string;
  value: unknown;
}
export interface PacketPreview {
  brand_name: string;
  fingerprint: string;
  offer: string;
  retention_end: number;
  items: SharedItem[];
  denied: string[];
}
export interface LedgerEntry {
  packet_jti: string;
  brand_name: string;
  offer: string;
  purposes: [string, string][];
  shared_at: number;
  retention_end: number;
  items: SharedItem[];
  revoked_at: number | null;
  deletion: { deleted_at: number; reason: string } | null;
}
export type PacketStatus = "active" | "expired" | "revoked" | "deletion_confirmed";
export interface LedgerLine extends LedgerEntry {
  status: PacketStatus;
}
export interface BrandKnowledge {
  brand_name: string;
  brand_did: string;
  fingerprint: string;
  holds: SharedItem[];
  packets: LedgerLine[];
}
export interface Settings {
  language: string | null;
  auto_lock_minutes: number;
  purchases_sensitivity: Sensitivity;
}
export interface RestoreReport {
  created_at: number;
  facts: number;
  purchases: number;
  packets: number;
}

export const api = {
  status: () => invoke<AppStatus>("app_status"),
  createVault: (passphrase: string) => invoke<{ recovery_secret: string }>("create_vault", { passphrase }),
  unlock: (passphrase: string) => invoke<UnlockInfo>("unlock", { passphrase }),
  lock: () => invoke<void>("lock"),
  recover: (recoverySecret: string, newPassphrase: string) => invoke<UnlockInfo>("recover", { recoverySecret, newPassphrase }),
  touch: () => invoke<void>("touch"),
  strength: (passphrase: string) => invoke<number>("passphrase_strength", { passphrase }),
  vocabulary: () => invoke<VocabularyItem[]>("vocabulary"),
  facts: () => invoke<FactView[]>("facts_list"),
  setFact: (item: string, value: string, sensitivity: Sensitivity) => invoke<void>("fact_set", { item, value, sensitivity }),
  removeFact: (item: string) => invoke<void>("fact_remove", { item }),
  purchases: (filter: PurchaseFilter, offset: number, limit: number) => invoke<PurchasePage>("purchases_query", { filter, offset, limit }),
  totals: (filter: PurchaseFilter) => invoke<Totals>("purchases_totals", { filter }),
  addPurchase: (p: { date: string; merchant: string; amount: string; currency: string; category: string | null }) => invoke<string>("purchase_add", p),
  removePurchase: (id: string) => invoke<void>("purchase_remove", { id }),
  chooseCsv: () => invoke<string | null>("csv_choose"),
  previewCsv: (options: CsvOptions) => invoke<CsvPreview>("csv_preview", { options }),
  importCsv: (options: CsvOptions) => invoke<CsvImportReport>("csv_import", { options }),
  openRequest: () => invoke<RequestReview | null>("request_open"),
  previewPacket: (decisions: Decision[]) => invoke<PacketPreview>("request_preview", { decisions }),
  trustBrand: () => invoke<RequestReview>("request_trust"),
  savePacket: (decisions: Decision[]) => invoke<LedgerEntry | null>("request_save", { decisions }),
  ledger: () => invoke<BrandKnowledge[]>("ledger"),
  revoke: (packetJti: string) => invoke<LedgerLine | null>("packet_revoke", { packetJti }),
  importReceipt: () => invoke<LedgerLine | null>("receipt_import"),
  settings: () => invoke<Settings>("settings_get"),
  setSettings: (settings: Settings) => invoke<void>("settings_set", { settings }),
  changePassphrase: (current: string, next: string) => invoke<void>("passphrase_change", { current, new: next }),
  backup: (backupPassphrase: string) => invoke<string | null>("backup_create", { backupPassphrase }),
  restore: (backupPassphrase: string) => invoke<RestoreReport | null>("backup_restore", { backupPassphrase }),
  exportData: (passphrase: string) => invoke<string | null>("export_data", { passphrase }),
};
