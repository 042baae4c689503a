// A brand's request: who asks, why, for how long, for what; a decision per item, nothing pre-selected.
// A request is opened from a link (pasted, or dropped on the window) or from a file. Declining the whole
// request is one click, beside sharing, and is recorded in the ledger like a share. Sharing sends the packet
// to the inbox the signed request names (shown beside the brand's name), with the brand's acknowledgement or,
// offline, the packet kept in the vault's outbox; it can still be saved as a file.
// The open request waits while the person visits other screens. A request opened from outside the window (a
// `tessera://` link clicked elsewhere, a request file opened from the file manager) is opened here as soon as the
// vault is open, exactly like a pasted link: the person still decides.
import { api, type Decision, type ItemReview, type RequestReview, type Sent } from "../api";
import { h } from "../dom";
import { formatDate, formatDateTime, formatValue, itemLabel, label, t } from "../i18n";
import { busy, errorText, field, notice } from "../ui";

/** The decisions taken on the open request, kept while the person visits other screens. */
let decisions = new Map<string, Decision>();

/** A request opened from outside the window waits: this screen opens it when it is shown next. */
let incomingWaiting = false;

/** Notes that a request opened from outside waits (main.ts then shows this screen, once the vault is open). */
export function requestArrived(): void {
  incomingWaiting = true;
}

/** Whether a request opened from outside waits to be shown. */
export function isRequestWaiting(): boolean {
  return incomingWaiting;
}

/** Forgets the decisions (the vault locked, or the request was answered). */
export function forgetRequest(): void {
  decisions = new Map();
}

/** Opens the request a link points to (from the field, or a link dropped on the window). */
async function openLink(area: HTMLElement, link: string): Promise<null> {
  const review = await api.requestOpenLink(link.trim());
  forgetRequest();
  showReview(area, review);
  return null;
}

/** The link a drop carries: a URL dragged from a browser or a mail, or text. */
function droppedLink(e: DragEvent): string | null {
  const text = e.dataTransfer?.getData("text/uri-list") || e.dataTransfer?.getData("text/plain") || "";
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  return first && /^(https?|tessera):/i.test(first) ? first : null;
}

/** The characters of `name` that `known` does not have, with their code points: what makes two names that look the same differ. */
function lookalikeLetters(name: string, known: string): string {
  const different = [...new Set([...name])].filter((c) => !known.includes(c));
  if (different.length === 0) return "";
  const shown = different.map((c) => t("requests.lookalike_letter", { letter: c, code: `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` })).join(", ");
  return " " + t("requests.lookalike_letters", { letters: shown });
}

export async function renderRequests(main: HTMLElement): Promise<void> {
  const area = h("div", { id: "request-area" });
  const out = h("div", { class: "out", id: "request-out" });
  const linkInput = h("input", { type: "url", id: "request-link", placeholder: t("requests.link_placeholder"), autocomplete: "off", spellcheck: false }) as HTMLInputElement;
  const openLinkButton = h("button", { class: "primary", id: "request-open-link", type: "submit" }, t("requests.open_link"));
  const linkForm = h("form", { class: "link-form", id: "request-link-form" }, field(t("requests.link_label"), linkInput, t("requests.link_hint")), openLinkButton);
  linkForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (linkInput.value.trim() === "") return;
    void busy(openLinkButton, out, () => openLink(area, linkInput.value));
  });
  main.addEventListener("dragover", (e) => e.preventDefault());
  main.addEventListener("drop", (e) => {
    const link = droppedLink(e);
    if (!link) return;
    e.preventDefault();
    linkInput.value = link;
    void busy(openLinkButton, out, () => openLink(area, link));
  });
  const open = h("button", { class: "quiet", id: "request-open" }, t("requests.open"));
  open.addEventListener("click", () =>
    void busy(open, out, async () => {
      const review = await api.requestOpen();
      if (!review) return null;
      forgetRequest();
      showReview(area, review);
      return null;
    }),
  );
  main.replaceChildren(h("h1", {}, t("requests.title")), h("p", { class: "lead" }, t("requests.intro")), linkForm, h("p", { class: "hint" }, t("requests.drop_hint")), h("div", { class: "toolbar" }, open), out, area);
  if (incomingWaiting) {
    incomingWaiting = false;
    await busy(open, out, async () => {
      const review = await api.requestOpenIncoming();
      if (!review) return null;
      forgetRequest();
      showReview(area, review);
      return null;
    });
    return;
  }
  const current = await api.requestCurrent();
  if (current) showReview(area, current);
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
      trust.addEventListener("click", () => void busy(trust, out, async () => showReview(area, await api.requestTrust())));
      return h("div", { class: "notice notice-error", role: "alert", id: "key-changed" }, h("p", {}, h("strong", {}, t("requests.key_changed_title")), " ", t("requests.key_changed", { old: review.trust.pinned_fingerprint, new: review.fingerprint })), trust, out);
    }
  }
}

/** This very request was answered before: said before a second answer makes another packet. */
function answeredBefore(review: RequestReview): HTMLElement | null {
  if (review.answered_before.length === 0) return null;
  const lines = review.answered_before.map((a) =>
    a.answer === "shared" ? t("requests.answered_before_shared", { date: formatDate(a.at), status: t(`status.${a.status}`) }) : t("requests.answered_before_declined", { date: formatDate(a.at) }),
  );
  return notice("warning", h("strong", {}, t("requests.answered_before")), " ", lines.join(" · "));
}

function itemChoices(item: ItemReview, onChange: (d: Decision) => void): HTMLElement {
  const name = `choice-${item.item}`;
  const choices: [string, string, Decision][] = [];
  if (!item.never_share) {
    if (item.exact !== null) choices.push(["exact", t("requests.choice.exact", { value: formatValue(item.exact) }), { item: item.item, choice: "exact" }]);
    for (const g of item.generalised) choices.push([`generalised:${g.item}`, t("requests.choice.generalised", { label: label(g), value: formatValue(g.value) }), { item: item.item, choice: "generalised", form: g.item }]);
  }
  choices.push(["deny", t("requests.choice.deny"), { item: item.item, choice: "deny" }]);
  const previous = decisions.get(item.item);
  const radios = choices.map(([value, text, decision]) => {
    const chosen = previous !== undefined && JSON.stringify(previous) === JSON.stringify(decision);
    const input = h("input", { type: "radio", name, value, "data-choice": value, checked: chosen });
    input.addEventListener("change", () => onChange(decision));
    return h("label", { class: "choice" }, input, h("span", {}, text));
  });
  const notes = [item.never_share ? notice("warning", t("requests.never")) : null, !item.never_share && item.exact === null && item.generalised.length === 0 ? h("p", { class: "hint" }, t("requests.missing")) : null];
  if (item.never_share) {
    // Refused automatically: the only choice, already made, is "don't share".
    const deny = radios[0].querySelector("input") as HTMLInputElement;
    deny.checked = true;
    deny.disabled = true;
    decisions.set(item.item, { item: item.item, choice: "deny" });
  }
  const purposeId = `purpose-${item.item.replace(/\W/g, "-")}`;
  return h(
    "fieldset",
    { class: "item-decision", "data-item": item.item, "aria-describedby": purposeId },
    h("legend", {}, label(item), " ", h("span", { class: item.required ? "badge required" : "badge" }, t(item.required ? "requests.required" : "requests.optional"))),
    h("p", { class: "purpose", id: purposeId }, t("requests.purpose", { purpose: item.purpose })),
    ...notes,
    ...radios,
  );
}

function showReview(area: HTMLElement, review: RequestReview): void {
  const previewArea = h("div", { id: "packet-preview" });
  const out = h("div", { class: "out", id: "decision-out" });
  const decline = h("button", { class: "decide decline", id: "request-decline" }, t("requests.decline"));
  const host = review.inbox_host;
  const share = host
    ? h("button", { class: "decide share", id: "packet-send", disabled: true }, t("requests.send"))
    : h("button", { class: "decide share", id: "packet-save", disabled: true }, t("requests.share"));
  const saveFile = host ? h("button", { class: "quiet", id: "packet-save", disabled: true }, t("requests.save_file")) : null;
  decline.addEventListener("click", () =>
    void busy(decline, out, async () => {
      const refusal = await api.requestDecline();
      forgetRequest();
      area.replaceChildren(notice("success", t("requests.declined", { brand: refusal.brand_name })));
      return null;
    }),
  );
  const save = async (): Promise<null> => {
    const saved = await api.requestSave([...decisions.values()]);
    if (!saved) return null;
    forgetRequest();
    area.replaceChildren(notice("success", t("requests.saved", { brand: saved.brand_name, file: saved.file_name })));
    return null;
  };
  const send = async (inbox: string): Promise<null> => {
    share.textContent = t("requests.sending", { host: inbox });
    out.replaceChildren(h("p", { class: "hint", id: "send-progress", role: "status" }, t("requests.sending", { host: inbox })));
    const sent = await api.requestSend([...decisions.values()]);
    forgetRequest();
    area.replaceChildren(sentNotice(sent, inbox));
    return null;
  };
  share.addEventListener("click", () => void busy(share, out, () => (host ? send(host) : save())));
  saveFile?.addEventListener("click", () => void busy(saveFile, out, save));
  const update = async (): Promise<void> => {
    share.disabled = true;
    if (saveFile) saveFile.disabled = true;
    const left = review.items.filter((i) => !decisions.has(i.item)).length;
    if (left > 0) {
      previewArea.replaceChildren(h("p", { class: "hint" }, t("requests.undecided", { count: left })));
      return;
    }
    const chosen = [...decisions.values()];
    if (chosen.every((d) => d.choice === "deny")) {
      previewArea.replaceChildren(notice("info", t("requests.all_denied", { brand: review.brand_name })));
      return;
    }
    try {
      const preview = await api.requestPreview(chosen);
      share.disabled = false;
      if (saveFile) saveFile.disabled = false;
      previewArea.replaceChildren(
        h(
          "section",
          { class: "card preview", "aria-labelledby": "preview-title" },
          h("h2", { id: "preview-title" }, t("requests.preview", { brand: preview.brand_name, date: formatDate(preview.retention_end) })),
          h("dl", {}, ...preview.items.flatMap((i) => [h("dt", {}, itemLabel(i.item)), h("dd", { "data-shared": i.item }, formatValue(i.value))])),
          preview.denied.length > 0 ? h("p", { class: "hint" }, t("requests.denied", { items: preview.denied.map(itemLabel).join(", ") })) : null,
          h("p", {}, t("requests.offer", { offer: preview.offer })),
        ),
      );
    } catch (e) {
      previewArea.replaceChildren(notice("error", errorText(e)));
    }
  };
  const items = review.items.map((item) =>
    itemChoices(item, (d) => {
      decisions.set(item.item, d);
      void update();
    }),
  );
  area.replaceChildren(
    h(
      "section",
      { class: "card request", "aria-labelledby": "request-brand" },
      h("h2", { id: "request-brand" }, t("requests.from", { brand: review.brand_name })),
      h("p", { class: "fingerprint" }, t("requests.fingerprint", { fingerprint: review.fingerprint })),
      host ? h("p", { class: "inbox", id: "request-inbox", "data-inbox": host }, t("requests.inbox", { host })) : h("p", { class: "hint", id: "request-no-inbox" }, t("requests.no_inbox")),
      // A lookalike comes first, and no calm "first contact" banner reassures above it.
      review.lookalike ? notice("warning", t("requests.lookalike", { name: review.lookalike.name, fingerprint: review.lookalike.fingerprint }) + lookalikeLetters(review.brand_name, review.lookalike.name)) : null,
      review.lookalike && review.trust.state === "first_contact" ? null : trustBanner(area, review),
      answeredBefore(review),
      h("p", { class: "offer" }, t("requests.offer", { offer: review.offer })),
      h("p", {}, t("requests.retention", { brand: review.brand_name, count: review.retention_days, date: formatDate(review.expires_at) })),
      ...items,
    ),
    previewArea,
    h("div", { class: "decision-bar" }, h("p", { class: "hint" }, t(host ? "requests.decide_hint_inbox" : "requests.decide_hint")), h("div", { class: "actions" }, decline, saveFile, share), out),
  );
  void update();
}

/** What became of the packet sent: the brand's acknowledgement, or why it waits. */
function sentNotice(sent: Sent, host: string): HTMLElement {
  const brand = sent.packet.brand_name;
  const result = (kind: "success" | "info" | "error", ...content: (Node | string)[]): HTMLElement => {
    const box = notice(kind, ...content);
    box.id = "send-result";
    box.dataset.outcome = sent.outcome;
    return box;
  };
  switch (sent.outcome) {
    case "delivered":
      return result("success", t("requests.acknowledged", { brand, date: formatDate(sent.packet.acknowledged_at ?? sent.packet.shared_at) }));
    case "withdrawn":
      return result("info", t("requests.withdrawn", { brand }));
    case "waiting":
      return result("info", t("requests.waiting", { host, date: formatDateTime(sent.next_try_at) }), h("br"), h("small", {}, errorText(sent.error)));
    case "refused":
      return result("error", t("requests.refused_by_inbox", { host }), " ", errorText(sent.error));
  }
}
