// Profile facts, each with how freely it may be shared. A deleted fact can be brought back.
import { api, type FactView, type InputKind, type Sensitivity, type VocabularyItem } from "../api";
import { h } from "../dom";
import { datePattern, formatDay, label, readTypedDate, t, typedDate } from "../i18n";
import { busy, errorText, field, notice, select } from "../ui";

const SENSITIVITIES: Sensitivity[] = ["share_freely", "ask_me", "never_share"];

function sensitivitySelect(value: Sensitivity, attrs: Record<string, string> = {}): HTMLSelectElement {
  return select(SENSITIVITIES.map((s) => [s, t(`sensitivity.${s}`)]), value, attrs);
}

/** A fact's value as shown: dates in the person's language. */
function shown(fact: FactView): string {
  return fact.input === "date" && /^\d{4}-\d{2}-\d{2}$/.test(fact.text) ? formatDay(fact.text) : fact.text;
}

export async function renderProfile(main: HTMLElement, message?: HTMLElement): Promise<void> {
  const [vocabulary, facts] = await Promise.all([api.vocabulary(), api.factsList()]);
  const out = h("div", { class: "out", id: "profile-out" });
  if (message) out.append(message);
  main.replaceChildren(h("h1", {}, t("profile.title")), h("p", { class: "lead" }, t("profile.intro")), out, factTable(main, facts, out), addForm(main, vocabulary, facts));
}

function undoNotice(main: HTMLElement, removed: FactView): HTMLElement {
  const undo = h("button", { class: "quiet", id: "fact-undo" }, t("profile.undo"));
  const box = notice("success", h("p", {}, t("profile.removed", { item: label(removed) }), " ", undo));
  undo.addEventListener("click", async () => {
    try {
      const back = await api.factUndoRemove();
      await renderProfile(main, notice("success", t("profile.restored", { item: label(back) })));
    } catch (e) {
      box.replaceWith(notice("error", errorText(e)));
    }
  });
  return box;
}

function factTable(main: HTMLElement, facts: FactView[], out: HTMLElement): HTMLElement {
  if (facts.length === 0) return notice("info", t("profile.empty"));
  return h(
    "table",
    { class: "facts", id: "facts" },
    h("caption", { class: "visually-hidden" }, t("profile.title")),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("profile.item")), h("th", { scope: "col" }, t("profile.value")), h("th", { scope: "col" }, t("profile.sensitivity")), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("common.actions"))))),
    h(
      "tbody",
      {},
      ...facts.map((f) => {
        const level = sensitivitySelect(f.sensitivity, { "aria-label": `${t("profile.sensitivity")} — ${label(f)}`, "data-fact": f.item });
        level.addEventListener("change", async () => {
          try {
            await api.factSet(f.item, f.text, level.value as Sensitivity);
            out.replaceChildren(notice("success", t("profile.saved")));
          } catch (e) {
            out.replaceChildren(notice("error", errorText(e)));
          }
        });
        const remove = h("button", { class: "quiet", "data-remove": f.item, "aria-label": `${t("common.delete")} — ${label(f)}` }, t("common.delete"));
        remove.addEventListener("click", () =>
          void busy(remove, out, async () => {
            const removed = await api.factRemove(f.item);
            await renderProfile(main, undoNotice(main, removed));
          }),
        );
        return h("tr", { "data-item": f.item }, h("th", { scope: "row" }, label(f)), h("td", { class: "value" }, shown(f)), h("td", {}, level), h("td", {}, remove));
      }),
    ),
  );
}

function inputType(kind: InputKind | undefined): string {
  return kind === "email" ? "email" : kind === "phone" ? "tel" : kind === "count" ? "number" : "text";
}

function addForm(main: HTMLElement, vocabulary: VocabularyItem[], facts: FactView[]): HTMLElement {
  const item = select(vocabulary.map((v) => [v.name, label(v)]), vocabulary[0]?.name ?? "", { id: "fact-item" });
  const value = h("input", { id: "fact-value", type: "text", autocomplete: "off" });
  const hint = h("small", { class: "hint", id: "fact-value-hint" });
  const level = sensitivitySelect("ask_me", { id: "fact-sensitivity" });
  const kind = (): InputKind | undefined => vocabulary.find((v) => v.name === item.value)?.input;
  const adapt = (): void => {
    value.type = inputType(kind());
    hint.textContent = kind() === "list" ? t("profile.list_hint") : kind() === "date" ? t("date.hint", { pattern: datePattern() }) : "";
    value.placeholder = kind() === "date" ? datePattern() : "";
    const existing = facts.find((f) => f.item === item.value);
    value.value = existing ? (existing.input === "date" ? typedDate(existing.text) : existing.text) : "";
    level.value = existing?.sensitivity ?? "ask_me";
  };
  item.addEventListener("change", adapt);
  adapt();
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "fact-save" }, t("common.save"));
  const form = h("form", { class: "card inline-form" }, h("h2", {}, t("profile.add")), h("div", { class: "row" }, field(t("profile.item"), item), field(t("profile.value"), value, hint), field(t("profile.sensitivity"), level)), submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    let text = value.value;
    if (kind() === "date") {
      const iso = readTypedDate(text);
      if (iso === null) {
        value.setAttribute("aria-invalid", "true");
        out.replaceChildren(notice("error", t("date.invalid", { pattern: datePattern() })));
        value.focus();
        return;
      }
      text = iso;
    }
    value.removeAttribute("aria-invalid");
    void busy(submit, out, async () => {
      await api.factSet(item.value, text, level.value as Sensitivity);
      await renderProfile(main, notice("success", t("profile.saved")));
    });
  });
  return form;
}
