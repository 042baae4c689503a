// What each brand knows: packets, statuses, revocation, deletion receipts.
import { api, type BrandKnowledge, type LedgerLine } from "../api";
import { h } from "../dom";
import { formatDate, formatValue, itemLabel, t } from "../i18n";
import { busy, notice } from "../ui";

export async function renderLedger(main: HTMLElement): Promise<void> {
  const brands = await api.ledger();
  const out = h("div", { class: "out", id: "ledger-out" });
  const receipt = h("button", { class: "primary", id: "receipt-import" }, t("ledger.import_receipt"));
  receipt.addEventListener("click", () =>
    void busy(receipt, out, async () => {
      const line = await api.importReceipt();
      if (!line) return null;
      await renderLedger(main);
      document.getElementById("ledger-out")?.replaceChildren(notice("success", t("ledger.receipt_done", { brand: line.brand_name })));
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

function brandCard(main: HTMLElement, brand: BrandKnowledge): HTMLElement {
  const holds = brand.holds.length === 0 ? t("ledger.holds_nothing") : t("ledger.holds", { items: brand.holds.map((i) => `${itemLabel(i.item)} (${formatValue(i.value)})`).join(" · ") });
  return h(
    "section",
    { class: "card brand-card", "data-brand": brand.brand_name },
    h("h2", {}, brand.brand_name, " ", h("small", { class: "fingerprint" }, brand.fingerprint)),
    h("p", { class: "holds" }, holds),
    ...brand.packets.map((p) => packetRow(main, p)),
  );
}

function packetRow(main: HTMLElement, p: LedgerLine): HTMLElement {
  const out = h("div", { class: "out" });
  const canRevoke = p.status === "active" || p.status === "expired";
  const revoke = canRevoke ? h("button", { class: "danger", "data-revoke": p.packet_jti }, t("ledger.revoke")) : null;
  revoke?.addEventListener("click", () =>
    void busy(revoke, out, async () => {
      const line = await api.revoke(p.packet_jti);
      if (!line) return null;
      await renderLedger(main);
      document.getElementById("ledger-out")?.replaceChildren(notice("success", t("ledger.revoked", { brand: line.brand_name })));
      return null;
    }),
  );
  return h(
    "div",
    { class: "packet", "data-packet": p.packet_jti },
    h("p", {}, h("span", { class: `status status-${p.status}`, "data-status": p.status }, t(`status.${p.status}`)), " ", t("ledger.packet", { date: formatDate(p.shared_at), end: formatDate(p.retention_end) })),
    h("ul", {}, ...p.items.map((i) => h("li", {}, `${itemLabel(i.item)} : ${formatValue(i.value)}`))),
    h("p", { class: "hint" }, t("ledger.offer", { offer: p.offer })),
    revoke,
    out,
  );
}
