// Profile facts, each with how freely it may be shared.
import { api, type FactView, type Sensitivity, type VocabularyItem } from "../api";
import { h } from "../dom";
import { label, t } from "../i18n";
import { busy, errorText, field, notice, select } from "../ui";

const SENSITIVITIES: Sensitivity[] = ["share_freely", "ask_me", "never_share"];

function sensitivitySelect(value: Sensitivity, attrs: Record<string, string> = {}): HTMLSelectElement {
  return select(SENSITIVITIES.map((s) => [s, t(`sensitivity.${s}`)]), value, attrs);
}

export async function renderProfile(main: HTMLElement): Promise<void> {
  const [vocabulary, facts] = await Promise.all([api.vocabulary(), api.facts()]);
  main.replaceChildren(h("h1", {}, t("profile.title")), h("p", { class: "lead" }, t("profile.intro")), factTable(main, facts), addForm(main, vocabulary, facts));
}

function factTable(main: HTMLElement, facts: FactView[]): HTMLElement {
  if (facts.length === 0) return notice("info", t("profile.empty"));
  const out = h("div", { class: "out" });
  return h(
    "div",
    {},
    h(
      "table",
      { class: "facts", id: "facts" },
      h("thead", {}, h("tr", {}, h("th", {}, t("profile.item")), h("th", {}, t("profile.value")), h("th", {}, t("profile.sensitivity")), h("th", {}, ""))),
      h(
        "tbody",
        {},
        ...facts.map((f) => {
          const level = sensitivitySelect(f.sensitivity, { "aria-label": `${t("profile.sensitivity")} — ${label(f)}`, "data-fact": f.item });
          level.addEventListener("change", async () => {
            try {
              await api.setFact(f.item, f.text, level.value as Sensitivity);
              out.replaceChildren(notice("success", t("profile.saved")));
            } catch (e) {
              out.replaceChildren(notice("error", errorText(e)));
            }
          });
          const remove = h("button", { class: "quiet", "aria-label": `${t("common.delete")} — ${label(f)}` }, t("common.delete"));
          remove.addEventListener("click", () => void busy(remove, out, async () => { await api.removeFact(f.item); await renderProfile(main); }));
          return h("tr", { "data-item": f.item }, h("th", { scope: "row" }, label(f)), h("td", { class: "value" }, f.text), h("td", {}, level), h("td", {}, remove));
        }),
      ),
    ),
    out,
  );
}

function addForm(main: HTMLElement, vocabulary: VocabularyItem[], facts: FactView[]): HTMLElement {
  const item = select(vocabulary.map((v) => [v.name, label(v)]), vocabulary[0]?.name ?? "", { id: "fact-item" });
  const value = h("input", { id: "fact-value", type: "text", autocomplete: "off", required: true });
  const hint = h("small", { class: "hint" });
  const level = sensitivitySelect("ask_me", { id: "fact-sensitivity" });
  const adapt = (): void => {
    const spec = vocabulary.find((v) => v.name === item.value);
    value.type = spec?.input === "email" ? "email" : spec?.input === "date" ? "date" : spec?.input === "phone" ? "tel" : spec?.input === "count" ? "number" : "text";
    hint.textContent = spec?.input === "list" ? t("profile.list_hint") : "";
    const existing = facts.find((f) => f.item === item.value);
    value.value = existing?.text ?? "";
    level.value = existing?.sensitivity ?? "ask_me";
  };
  item.addEventListener("change", adapt);
  adapt();
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "fact-save" }, t("common.save"));
  const form = h("form", { class: "card inline-form" }, h("h2", {}, t("profile.add")), h("div", { class: "row" }, field(t("profile.item"), item), field(t("profile.value"), value), field(t("profile.sensitivity"), level)), hint, submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(submit, out, async () => {
      await api.setFact(item.value, value.value, level.value as Sensitivity);
      await renderProfile(main);
      document.getElementById("main")?.prepend(notice("success", t("profile.saved")));
    });
  });
  return form;
}
