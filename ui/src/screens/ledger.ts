// What each brand knows: every packet with each item's purpose, the requests declined, revocation, receipts.
// A packet whose request named an inbox is revoked in one click: the revocation goes to that inbox and the
// signed receipt that comes back makes it "deletion confirmed"; offline, it shows "revocation waiting to be
// sent" and the outbox is retried (main.ts). The revocation can still be saved as a file.
import { api, type BrandLedger, type Packet, type Refusal, type Sent } from "../api";
import { h } from "../dom";
import { formatDate, formatValue, itemLabel, t } from "../i18n";
import { busy, confirmDialog, errorText, notice } from "../ui";

export async function renderLedger(main: HTMLElement, message?: HTMLElement): Promise<void> {
  const brands = await api.ledger();
  const out = h("div", { class: "out", id: "ledger-out" });
  if (message) out.append(message);
  const receipt = h("button", { class: "primary", id: "receipt-import" }, t("ledger.import_receipt"));
  receipt.addEventListener("click", () =>
    void busy(receipt, out, async () => {
      const packet = await api.receiptImport();
      if (!packet) return null;
      await renderLedger(main, notice("success", t("ledger.receipt_done", { brand: packet.brand_name })));
      return null;
    }),
  );
  main.replaceChildren(
    h("h1", {}, t("ledger.title")),
    h("p", { class: "lead" }, t("ledger.intro")),
    h("div", { class: "toolbar" }, receipt),
    out,
    ...(brands.length === 0 ? [notice("info", t("ledger.empty"))] : brands.map((b) => brandCard(main, b))),
  );
}

function brandCard(main: HTMLElement, brand: BrandLedger): HTMLElement {
  const listed = (items: BrandLedger["holds"]): string => items.map((i) => `${itemLabel(i.item)} (${formatValue(i.value)})`).join(" · ");
  const reached = brand.packets.some((p) => !["waiting_to_be_sent", "sending_refused", "never_received"].includes(p.status));
  const nothing = brand.holds.length > 0 || brand.deletion_pending.length > 0 ? null : t(reached ? "ledger.holds_nothing" : "ledger.received_nothing");
  const held = [
    nothing !== null ? h("p", { class: "holds" }, nothing) : null,
    brand.holds.length > 0 ? h("p", { class: "holds" }, t("ledger.holds", { items: listed(brand.holds) })) : null,
    brand.deletion_pending.length > 0 ? h("p", { class: "holds pending" }, t("ledger.deletion_pending", { items: listed(brand.deletion_pending) })) : null,
    brand.not_received.length > 0 ? h("p", { class: "holds not-received" }, t("ledger.not_received", { items: listed(brand.not_received) })) : null,
  ];
  return h(
    "section",
    { class: "card brand-card", "data-brand": brand.brand_name, "aria-label": brand.brand_name },
    h("h2", {}, brand.brand_name, " ", h("small", { class: "fingerprint" }, brand.fingerprint)),
    ...held,
    ...brand.packets.map((p) => packetRow(main, p)),
    ...brand.refusals.map(refusalRow),
  );
}

function revokedNotice(sent: Sent, host: string): HTMLElement {
  const brand = sent.packet.brand_name;
  switch (sent.outcome) {
    case "delivered":
      return notice("success", t("ledger.revoke_sent", { brand }));
    case "withdrawn":
      return notice("success", t("ledger.revoke_withdrawn", { brand }));
    case "waiting":
      return notice("info", t("ledger.revoke_waiting", { host }), h("br"), h("small", {}, errorText(sent.error)));
    case "refused":
      return notice("error", t("ledger.revoke_refused", { host }), " ", errorText(sent.error));
  }
}

function packetRow(main: HTMLElement, p: Packet): HTMLElement {
  const out = h("div", { class: "out" });
  // A share still waiting to be sent is withdrawn: it never leaves, and a revocation covers an earlier attempt.
  const unsent = p.status === "waiting_to_be_sent" || p.status === "sending_refused";
  const canRevoke = p.status === "active" || p.status === "expired" || unsent;
  const host = p.inbox_host;
  const revoke = canRevoke ? h("button", { class: "danger", "data-revoke": p.packet_jti }, t(unsent ? "ledger.withdraw" : "ledger.revoke")) : null;
  revoke?.addEventListener("click", async () => {
    const body = unsent && host ? t("ledger.withdraw_body", { brand: p.brand_name, host }) : host ? t("ledger.revoke_send_body", { brand: p.brand_name, host }) : t("ledger.revoke_body", { brand: p.brand_name });
    const title = t(unsent ? "ledger.withdraw_title" : "ledger.revoke_title", { brand: p.brand_name });
    const sure = await confirmDialog(title, [body], t(unsent ? "ledger.withdraw" : "ledger.revoke_confirm"));
    if (!sure) return;
    void busy(revoke, out, async () => {
      try {
        if (host) {
          const sent = await api.packetRevokeSend(p.packet_jti);
          await renderLedger(main, revokedNotice(sent, host));
          return null;
        }
        const packet = await api.packetRevoke(p.packet_jti);
        if (!packet) return null;
        await renderLedger(main, notice("success", t("ledger.revoked", { brand: packet.brand_name })));
      } catch (e) {
        out.replaceChildren(notice("error", errorText(e)));
      }
      return null;
    });
  });
  // With an inbox, the revocation can still be saved as a file, to send another way.
  const saveRevocation = canRevoke && !unsent && host ? h("button", { class: "quiet", "data-save-revocation": p.packet_jti }, t("ledger.save_revocation")) : null;
  saveRevocation?.addEventListener("click", () =>
    void busy(saveRevocation, out, async () => {
      const packet = await api.packetRevoke(p.packet_jti);
      if (!packet) return null;
      await renderLedger(main, notice("success", t("ledger.revoked", { brand: packet.brand_name })));
      return null;
    }),
  );
  const waiting = unsent || p.status === "revocation_waiting" || p.status === "revocation_refused";
  const sendNow = waiting ? h("button", { class: "primary", "data-send-now": p.packet_jti }, t("ledger.send_now")) : null;
  sendNow?.addEventListener("click", () =>
    void busy(sendNow, out, async () => {
      const pass = await api.outboxSend(true);
      const mine = pass.sent.find((s) => s.packet.packet_jti === p.packet_jti);
      await renderLedger(main, mine && host ? (p.status === "revocation_waiting" || p.status === "revocation_refused" ? revokedNotice(mine, host) : undefined) : undefined);
      return null;
    }),
  );
  return h(
    "div",
    { class: "packet", "data-packet": p.packet_jti },
    h("p", {}, h("span", { class: `status status-${p.status}`, "data-status": p.status }, t(`status.${p.status}`)), " ", t("ledger.packet", { date: formatDate(p.shared_at), end: formatDate(p.retention_end) })),
    h(
      "ul",
      { class: "ledger-items" },
      ...p.items.map((i) => h("li", { "data-ledger-item": i.item }, h("span", { class: "item-name" }, itemLabel(i.item)), " ", h("span", { class: "item-value" }, formatValue(i.value)), h("small", { class: "purpose" }, t("ledger.purpose", { purpose: i.purpose })))),
      ...p.refused.map((i) => h("li", { class: "refused", "data-refused-item": i.item }, h("span", { class: "item-name" }, itemLabel(i.item)), " ", h("span", { class: "item-value" }, t("ledger.not_shared")), h("small", { class: "purpose" }, t("ledger.purpose", { purpose: i.purpose })))),
    ),
    h("p", { class: "hint" }, t("ledger.offer", { offer: p.offer })),
    host ? h("p", { class: "hint inbox" }, t("ledger.inbox", { host }), p.acknowledged_at !== null ? ` · ${t("ledger.acknowledged", { date: formatDate(p.acknowledged_at) })}` : "") : null,
    h("div", { class: "actions" }, sendNow, revoke, saveRevocation),
    out,
  );
}

function refusalRow(r: Refusal): HTMLElement {
  return h(
    "div",
    { class: "packet refusal", "data-refusal": String(r.declined_at) },
    h("p", {}, h("span", { class: "status status-declined", "data-status": "declined" }, t("status.declined")), " ", t("ledger.declined", { date: formatDate(r.declined_at) })),
    h("ul", { class: "ledger-items" }, ...r.asked.map((a) => h("li", { "data-asked-item": a.item }, h("span", { class: "item-name" }, itemLabel(a.item)), h("small", { class: "purpose" }, t("ledger.purpose", { purpose: a.purpose }))))),
    h("p", { class: "hint" }, t("ledger.offer_declined", { offer: r.offer })),
  );
}
