// French and English. Every text shown lives in locales/*.json; plurals follow the platform's plural rules
// (Intl.PluralRules), dates and numbers the person's language (Intl).
import en from "./locales/en.json";
import fr from "./locales/fr.json";

export type Language = "fr" | "en";
type Text = string | Partial<Record<Intl.LDMLPluralRule, string>>;
const dictionaries: Record<Language, Record<string, Text>> = { fr, en };
let current: Language = "fr";

export function setLanguage(language: string | null | undefined): void {
  current = language === "en" ? "en" : "fr";
  document.documentElement.lang = current;
}

export function language(): Language {
  return current;
}

/** The locale used to format dates and numbers. English dates are written day first, as in the UK. */
export function locale(): string {
  return current === "fr" ? "fr-FR" : "en-GB";
}

/**
 * The text for `key`, with `{name}` placeholders filled from `vars`. A text with plural forms
 * (`{"one": …, "other": …}`) is chosen by `vars.count` with the language's plural rules.
 */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const entry = dictionaries[current][key] ?? dictionaries.en[key];
  let text: string;
  if (entry === undefined) text = key;
  else if (typeof entry === "string") text = entry;
  else {
    const count = Number(vars.count ?? 0);
    const rule = new Intl.PluralRules(locale()).select(count);
    text = entry[rule] ?? entry.other ?? key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in vars)) return `{${name}}`;
    const value = vars[name];
    return typeof value === "number" ? formatNumber(value) : value;
  });
}

export function hasText(key: string): boolean {
  return key in dictionaries[current] || key in dictionaries.en;
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(locale()).format(n);
}

/** The label of a vocabulary item or category in the current language. */
export function label(item: { label_en: string; label_fr: string }): string {
  return current === "fr" ? item.label_fr : item.label_en;
}

export function itemLabel(name: string): string {
  return hasText(`item.${name}`) ? t(`item.${name}`) : name;
}

export function categoryLabel(category: string): string {
  return hasText(`category.${category}`) ? t(`category.${category}`) : category;
}

/** A list in the person's language: "a, b et c" / "a, b and c". */
export function formatList(items: string[]): string {
  return new Intl.ListFormat(locale(), { style: "long", type: "conjunction" }).format(items);
}

export function formatDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleDateString(locale(), { day: "numeric", month: "long", year: "numeric" });
}

export function formatDateTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString(locale(), { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function isoParts(iso: string): [number, number, number] {
  const [y, m, d] = iso.split("-").map(Number);
  return [y, m, d];
}

/** `2026-03-14` as "14 mars 2026" / "14 Mar 2026". */
export function formatDay(iso: string): string {
  const [y, m, d] = isoParts(iso);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale(), { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

/** A month `2026-10` as two unambiguous parts: the month's short name ("oct.", "Oct") and the year. */
export function monthParts(month: string): { month: string; year: string } {
  const [y, m] = month.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, 1));
  return { month: date.toLocaleDateString(locale(), { month: "short", timeZone: "UTC" }), year: String(y) };
}

/** `2026-10` as "octobre 2026" / "October 2026". */
export function formatMonth(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString(locale(), { month: "long", year: "numeric", timeZone: "UTC" });
}

/** How a date is typed: day, month, year (both languages write the day first). */
export function datePattern(): string {
  return t("date.pattern");
}

/** `2026-03-14` as typed in a date field: `14/03/2026`. */
export function typedDate(iso: string): string {
  const [y, m, d] = isoParts(iso);
  if (!y || !m || !d) return iso;
  return `${String(d).padStart(2, "0")}/${String(m).padStart(2, "0")}/${y}`;
}

/**
 * A date as a person types it — `14/03/2026`, `14.3.2026`, `14-03-2026` (day first) or `2026-03-14` — as
 * `YYYY-MM-DD`, or null when it is not a real date.
 */
export function readTypedDate(text: string): string | null {
  const trimmed = text.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(trimmed);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else {
    match = /^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$/.exec(trimmed);
    if (!match) return null;
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || y > 2200 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** An exact decimal string shown as money, without going through floating point for the digits. */
export function formatMoney(amount: string, currency: string): string {
  const negative = amount.startsWith("-");
  const [whole, fraction = ""] = amount.replace("-", "").split(".");
  const cents = (fraction + "00").slice(0, Math.max(2, fraction.replace(/0+$/, "").length));
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, current === "fr" ? "\u202f" : ",");
  const number = `${negative ? "−" : ""}${grouped}${current === "fr" ? "," : "."}${cents}`;
  const symbol = currency === "EUR" ? "€" : currency;
  return current === "fr" ? `${number}\u00a0${symbol}` : `${symbol === "€" ? "€" : symbol + " "}${number}`;
}

/** A decimal amount as typed in a form: `12,50` in French, `12.50` in English. */
export function typedAmount(amount: string): string {
  return current === "fr" ? amount.replace(".", ",") : amount;
}

export function formatValue(value: unknown): string {
  if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDay(value) : value;
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (typeof value === "number") return formatNumber(value);
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === "object") return t("common.entries", { count: value.length });
    return formatList(value.map(String));
  }
  return JSON.stringify(value);
}
