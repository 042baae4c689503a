// Shared pieces of the interface: notices, error texts, busy buttons.
import { isCommandError } from "./api";
import { h } from "./dom";
import { t } from "./i18n";

/** A message the user can read and act on, translated when its code is known. */
export function errorText(e: unknown): string {
  if (isCommandError(e)) {
    const key = `error.${e.code}`;
    const text = t(key, { message: e.message });
    return text === key ? t("error.generic", { message: e.message }) : text;
  }
  return t("error.generic", { message: String(e) });
}

export function notice(kind: "info" | "success" | "warning" | "error", text: string): HTMLElement {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** Runs `work` with the button disabled, showing the outcome in `out`. */
export async function busy(button: HTMLButtonElement, out: HTMLElement, work: () => Promise<string | null | void>): Promise<void> {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = t("common.working");
  out.replaceChildren();
  try {
    const message = await work();
    if (message) out.replaceChildren(notice("success", message));
  } catch (e) {
    out.replaceChildren(notice("error", errorText(e)));
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

export function field(labelText: string, input: HTMLElement, hint?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, labelText), input, hint ? h("small", { class: "hint" }, hint) : null);
}

export function select(options: [string, string][], value: string, attrs: Record<string, string> = {}): HTMLSelectElement {
  const el = h("select", attrs, ...options.map(([v, text]) => h("option", { value: v }, text)));
  el.value = value;
  return el;
}
