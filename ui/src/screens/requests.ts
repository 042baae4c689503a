// A brand's request: who asks, why, for how long, for what; a decision per item, nothing pre-selected.
import { api, type Decision, type ItemReview, type RequestReview } from "../api";
import { h } from "../dom";
import { formatDate, formatValue, itemLabel, label, t } from "../i18n";
import { busy, errorText, notice } from "../ui";

export async function renderRequests(main: HTMLElement): Promise<void> {
  const area = h("div", { id: "request-area" });
  const out = h("div", { class: "out" });
  const open = h("button", { class: "primary", id: "request-open" }, t("requests.open"));
  open.addEventListener("click", () =>
    void busy(open, out, async () => {
      const review = await api.openRequest();
      if (review) showReview(area, review);
    }),
  );
  main.replaceChildren(h("h1", {}, t("requests.title")), h("p", { class: "lead" }, t("requests.intro")), h("div", { class: "toolbar" }, open), out, area);
}

function trustBanner(area: HTMLElement, review: RequestReview): HTMLElement {
  switch (review.trust.state) {
    case "first_contact":
      return notice("info", t("requests.first_contact"));
    case "known":
      return notice("success", t("requests.known"));
    case "key_changed": {
      const trust = h("button", { class: "danger", id: "trust-new-key" }, t("requests.trust_new_key"));
      const out = h("div", { class: "out" });
      trust.addEventListener("click", () => void busy(trust, out, async () => showReview(area, await api.trustBrand())));
      return h("div", { class: "notice notice-error", role: "alert" }, h("p", {}, t("requests.key_changed", { old: review.trust.pinned_fingerprint })), trust, out);
    }
  }
}

function itemChoices(item: ItemReview, onChange: (d: Decision | null) => void): HTMLElement {
  const name = `choice-${item.item}`;
  const choices: [string, string, Decision][] = [];
  if (!item.never_share) {
    if (item.exact !== null) choices.push(["exact", t("requests.choice.exact", { value: formatValue(item.exact) }), { item: item.item, choice: "exact" }]);
    for (const g of item.generalised) choices.push([`generalised:${g.item}`, t("requests.choice.generalised", { label: label(g), value: formatValue(g.value) }), { item: item.item, choice: "generalised", form: g.item }]);
  }
  choices.push(["deny", t("requests.choice.deny"), { item: item.item, choice: "deny" }]);
  const radios = choices.map(([value, text, decision]) => {
    const input = h("input", { type: "radio", name, value, "data-choice": value });
    input.addEventListener("change", () => onChange(decision));
    return h("label", { class: "choice" }, input, h("span", {}, text));
  });
  const notes = [item.never_share ? notice("warning", t("requests.never")) : null, !item.never_share && item.exact === null && item.generalised.length === 0 ? h("p", { class: "hint" }, t("requests.missing")) : null];
  if (item.never_share) {
    // Refused automatically: the only choice, already made, is "don't share".
    const deny = radios[0].querySelector("input") as HTMLInputElement;
    deny.checked = true;
    deny.disabled = true;
    onChange({ item: item.item, choice: "deny" });
  }
  return h(
    "fieldset",
    { class: "item-decision", "data-item": item.item },
    h("legend", {}, label(item), " ", h("span", { class: item.required ? "badge required" : "badge" }, t(item.required ? "requests.required" : "requests.optional"))),
    h("p", { class: "purpose" }, t("requests.purpose", { purpose: item.purpose })),
    ...notes,
    ...radios,
  );
}

function showReview(area: HTMLElement, review: RequestReview): void {
  const decisions = new Map<string, Decision>();
  const previewArea = h("div", { id: "packet-preview", "aria-live": "polite" });
  const update = async (): Promise<void> => {
    const left = review.items.length - decisions.size;
    if (left > 0) {
      previewArea.replaceChildren(h("p", { class: "hint" }, t("requests.undecided", { count: left })));
      return;
    }
    const chosen = [...decisions.values()];
    try {
      const preview = await api.previewPacket(chosen);
      const out = h("div", { class: "out" });
      const save = h("button", { class: "primary", id: "packet-save" }, t("requests.save", { brand: preview.brand_name }));
      save.addEventListener("click", () =>
        void busy(save, out, async () => {
          const entry = await api.savePacket(chosen);
          if (!entry) return null;
          area.replaceChildren(notice("success", t("requests.saved", { brand: entry.brand_name })));
          return null;
        }),
      );
      previewArea.replaceChildren(
        h(
          "section",
          { class: "card preview" },
          h("h2", {}, t("requests.preview", { brand: preview.brand_name, date: formatDate(preview.retention_end) })),
          h("dl", {}, ...preview.items.flatMap((i) => [h("dt", {}, itemLabel(i.item)), h("dd", { "data-shared": i.item }, formatValue(i.value))])),
          preview.denied.length > 0 ? h("p", { class: "hint" }, t("requests.denied", { items: preview.denied.map(itemLabel).join(", ") })) : null,
          h("p", {}, t("requests.offer", { offer: preview.offer })),
          save,
          out,
        ),
      );
    } catch (e) {
      previewArea.replaceChildren(notice("error", errorText(e)));
    }
  };
  const items = review.items.map((item) =>
    itemChoices(item, (d) => {
      if (d) decisions.set(item.item, d);
      void update();
    }),
  );
  area.replaceChildren(
    h(
      "section",
      { class: "card request" },
      h("h2", { id: "request-brand" }, t("requests.from", { brand: review.brand_name })),
      h("p", { class: "fingerprint" }, t("requests.fingerprint", { fingerprint: review.fingerprint })),
      trustBanner(area, review),
      review.lookalike ? notice("warning", t("requests.lookalike", { name: review.lookalike.name, fingerprint: review.lookalike.fingerprint })) : null,
      h("p", { class: "offer" }, t("requests.offer", { offer: review.offer })),
      h("p", {}, t("requests.retention", { days: review.retention_days, date: formatDate(review.expires_at) })),
      ...items,
    ),
    previewArea,
  );
  void update();
}
