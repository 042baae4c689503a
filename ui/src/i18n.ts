// French and English. Every text shown lives in locales/*.json.
import en from "./locales/en.json";
import fr from "./locales/fr.json";

export type Language = "fr" | "en";
type Dict = Record<string, string>;
const dictionaries: Record<Language, Dict> = { fr, en };
let current: Language = "fr";

export function setLanguage(language: string | null | undefined): void {
  current = language === "en" ? "en" : "fr";
  document.documentElement.lang = current;
}

export function language(): Language {
  return current;
}

/** The text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const text = dictionaries[current][key] ?? dictionaries.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** The label of a vocabulary item or category in the current language. */
export function label(item: { label_en: string; label_fr: string }): string {
  return current === "fr" ? item.label_fr : item.label_en;
}

export function itemLabel(name: string): string {
  return t(`item.${name}`) === `item.${name}` ? name : t(`item.${name}`);
}

export function categoryLabel(category: string): string {
  const key = `category.${category}`;
  const text = t(key);
  return text === key ? category : text;
}

export function formatDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleDateString(current === "fr" ? "fr-FR" : "en-GB", { day: "numeric", month: "long", year: "numeric" });
}

export function formatDay(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(current === "fr" ? "fr-FR" : "en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

/** An exact decimal string shown as money, without going through floating point for the digits. */
export function formatMoney(amount: string, currency: string): string {
  const negative = amount.startsWith("-");
  const [whole, fraction = ""] = amount.replace("-", "").split(".");
  const cents = (fraction + "00").slice(0, Math.max(2, fraction.replace(/0+$/, "").length));
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, current === "fr" ? "\u202f" : ",");
  const number = `${negative ? "−" : ""}${grouped}${current === "fr" ? "," : "."}${cents}`;
  const symbol = currency === "EUR" ? "€" : currency;
  return current === "fr" ? `${number} ${symbol}` : `${symbol === "€" ? "€" : symbol + " "}${number}`;
}

export function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === "object") return t("common.entries", { count: value.length });
    return value.join(", ");
  }
  return JSON.stringify(value);
}
