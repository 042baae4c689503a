// Shared pieces of the interface: notices, error texts, busy buttons, fields tied to their hints,
// new passphrases typed twice with their strength, a confirmation dialog.
import { isCommandError, type CommandError, type Counts } from "./api";
import { h } from "./dom";
import { formatList, itemLabel, t } from "./i18n";
import { MIN_PASSPHRASE_CHARS, passphraseStrength } from "./strength";

let ids = 0;
/** A fresh element id. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** The values an error's text is filled with: item names translated, lists joined. */
function errorVars(e: CommandError): Record<string, string | number> {
  const vars: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(e)) {
    if (name === "code") continue;
    if (name === "item" || name === "form") vars[name] = itemLabel(String(value));
    else if (Array.isArray(value)) vars[name] = formatList(value.map((v) => itemLabel(String(v))));
    else vars[name] = value as string | number;
  }
  return vars;
}

/** What went wrong, in the person's language: every error code has its text (a test checks it). */
export function errorText(e: unknown): string {
  if (isCommandError(e)) return t(`error.${e.code}`, errorVars(e));
  return t("error.unexpected");
}

/** What a vault or a backup holds: "3 profile facts, 12 purchases and 1 share". */
export function countsText(c: Counts): string {
  return formatList([t("count.facts", { count: c.facts }), t("count.purchases", { count: c.purchases }), t("count.packets", { count: c.packets })]);
}

/** A message. Only successes, warnings and errors are announced to screen readers (status or alert). */
export function notice(kind: "info" | "success" | "warning" | "error", ...content: (Node | string)[]): HTMLElement {
  const role = kind === "error" ? "alert" : kind === "info" ? null : "status";
  return h("div", { class: `notice notice-${kind}`, role }, ...content.map((c) => (typeof c === "string" ? h("p", {}, c) : c)));
}

/** Runs `work` with the button disabled, showing the outcome in `out`. */
export async function busy(button: HTMLButtonElement, out: HTMLElement, work: () => Promise<string | null | void>): Promise<void> {
  const text = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = t("common.working");
  out.replaceChildren();
  try {
    const message = await work();
    if (message) out.replaceChildren(notice("success", message));
  } catch (e) {
    out.replaceChildren(notice("error", errorText(e)));
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = text;
  }
}

/** A labelled field; its hints are tied to the input (aria-describedby), so screen readers read them with it. */
export function field(labelText: string, input: HTMLElement, ...hints: (string | HTMLElement | null)[]): HTMLElement {
  if (!input.id) input.id = uid("f");
  const hintElements = hints.filter((x): x is string | HTMLElement => x !== null).map((hint) => (typeof hint === "string" ? h("small", { class: "hint" }, hint) : hint));
  for (const hint of hintElements) if (!hint.id) hint.id = uid("hint");
  const described = [input.getAttribute("aria-describedby"), ...hintElements.map((x) => x.id)].filter(Boolean).join(" ");
  if (described) input.setAttribute("aria-describedby", described);
  return h("div", { class: "field" }, h("label", { for: input.id }, labelText), input, ...hintElements);
}

export function select(options: [string, string][], value: string, attrs: Record<string, string> = {}): HTMLSelectElement {
  const el = h("select", attrs, ...options.map(([v, text]) => h("option", { value: v }, text)));
  el.value = value;
  return el;
}

export function passwordInput(id: string, autocomplete: string): HTMLInputElement {
  return h("input", { id, type: "password", autocomplete, spellcheck: "false", autocapitalize: "off" });
}

/** A new passphrase, typed twice, with its strength shown as it is typed (computed here, nothing sent per key). */
export interface NewPassphrase {
  element: HTMLElement;
  /** The passphrase when both match and it is long enough; otherwise shows why in the form and returns null. */
  read(): string | null;
  clear(): void;
  focus(): void;
}

export function newPassphrase(id: string, labelText: string, hintText: string): NewPassphrase {
  const first = passwordInput(id, "new-password");
  const second = passwordInput(`${id}-repeat`, "new-password");
  const meter = h("meter", { min: 0, max: 4, low: 2, high: 3, optimum: 4, value: 0, "aria-hidden": "true" });
  const strengthText = h("span", { id: `${id}-strength` }, t("strength.label", { label: t("strength.0") }));
  const strength = h("small", { class: "strength" }, meter, strengthText);
  const problem = h("small", { class: "field-problem", id: `${id}-problem` });
  const update = (): void => {
    const score = passphraseStrength(first.value);
    meter.value = score;
    strengthText.textContent = t("strength.label", { label: t(`strength.${score}`) });
  };
  first.addEventListener("input", update);
  const element = h(
    "div",
    { class: "passphrase-pair" },
    field(labelText, first, hintText, strength),
    field(t("passphrase.repeat"), second, problem),
  );
  return {
    element,
    read(): string | null {
      problem.textContent = "";
      second.removeAttribute("aria-invalid");
      first.removeAttribute("aria-invalid");
      if ([...first.value].length < MIN_PASSPHRASE_CHARS) {
        problem.textContent = t("error.weak_passphrase", { min: MIN_PASSPHRASE_CHARS });
        first.setAttribute("aria-invalid", "true");
        first.focus();
        return null;
      }
      if (first.value !== second.value) {
        problem.textContent = t("passphrase.mismatch");
        second.setAttribute("aria-invalid", "true");
        second.focus();
        return null;
      }
      return first.value;
    },
    clear(): void {
      first.value = "";
      second.value = "";
      update();
    },
    focus(): void {
      first.focus();
    },
  };
}

/**
 * Asks before an irreversible step, in a modal dialog that names what will happen. Resolves true only when the
 * person confirms; Escape or "Cancel" resolve false.
 */
export function confirmDialog(title: string, body: (string | HTMLElement)[], confirmText: string, danger = true): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    const confirm = h("button", { class: danger ? "danger-solid" : "primary", id: "dialog-confirm", value: "yes" }, confirmText);
    const cancel = h("button", { class: "quiet", id: "dialog-cancel", value: "no" }, t("common.cancel"));
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": titleId },
      h("form", { method: "dialog" }, h("h2", { id: titleId }, title), ...body.map((b) => (typeof b === "string" ? h("p", {}, b) : b)), h("div", { class: "actions" }, cancel, confirm)),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
