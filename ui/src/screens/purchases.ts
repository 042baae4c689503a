// Purchases: import with a mapping preview, a searchable table, totals and a spending chart.
import { api, type ColumnMapping, type CsvOptions, type CsvPreview, type PurchaseFilter, type RowError, type Totals } from "../api";
import { h, svg } from "../dom";
import { categoryLabel, formatDay, formatMoney, t } from "../i18n";
import { busy, field, notice, select } from "../ui";

const PAGE = 50;

export async function renderPurchases(main: HTMLElement): Promise<void> {
  const filter: PurchaseFilter = {};
  let page = 0;
  const importArea = h("div", { id: "csv-area" });
  const chartArea = h("div", { class: "charts" });
  const tableArea = h("div", { id: "purchase-table" });
  const categories = select([["", t("purchases.all_categories")]], "", { id: "filter-category" });
  const search = h("input", { id: "filter-search", type: "search", autocomplete: "off" });
  const from = h("input", { id: "filter-from", type: "date" });
  const to = h("input", { id: "filter-to", type: "date" });

  const refresh = async (): Promise<void> => {
    filter.search = search.value || null;
    filter.from = from.value || null;
    filter.to = to.value || null;
    filter.category = categories.value || null;
    const [result, totals] = await Promise.all([api.purchases(filter, page * PAGE, PAGE), api.totals(filter)]);
    const known = new Set(totals.by_category.map((c) => c.category));
    if (!filter.category) {
      categories.replaceChildren(h("option", { value: "" }, t("purchases.all_categories")), ...[...known].sort().map((c) => h("option", { value: c }, categoryLabel(c))));
    }
    chartArea.replaceChildren(...charts(totals));
    const pages = Math.max(1, Math.ceil(result.total_matching / PAGE));
    if (result.total_matching === 0) {
      tableArea.replaceChildren(notice("info", t("purchases.empty")));
      return;
    }
    const previous = h("button", { class: "quiet", disabled: page === 0, onclick: () => { page -= 1; void refresh(); } }, t("purchases.previous"));
    const next = h("button", { class: "quiet", disabled: page + 1 >= pages, onclick: () => { page += 1; void refresh(); } }, t("purchases.next"));
    tableArea.replaceChildren(
      h("p", { class: "count", id: "purchase-count" }, t("purchases.count", { count: result.total_matching })),
      h(
        "table",
        { class: "purchases" },
        h("thead", {}, h("tr", {}, h("th", {}, t("purchases.date")), h("th", {}, t("purchases.merchant")), h("th", {}, t("purchases.category")), h("th", { class: "num" }, t("purchases.amount")))),
        h("tbody", {}, ...result.rows.map((p) => h("tr", {}, h("td", {}, formatDay(p.date)), h("td", {}, p.merchant), h("td", {}, categoryLabel(p.category)), h("td", { class: "num" }, formatMoney(p.amount, p.currency))))),
      ),
      h("div", { class: "pager" }, previous, h("span", {}, t("purchases.page", { page: page + 1, pages })), next),
    );
  };
  for (const input of [search, from, to, categories]) input.addEventListener("input", () => { page = 0; void refresh(); });

  const importButton = h("button", { class: "primary", id: "csv-choose" }, t("purchases.import"));
  const importOut = h("div", { class: "out" });
  importButton.addEventListener("click", () =>
    void busy(importButton, importOut, async () => {
      const name = await api.chooseCsv();
      if (name) await showPreview(importArea, {}, refresh);
    }),
  );

  main.replaceChildren(
    h("h1", {}, t("purchases.title")),
    h("p", { class: "lead" }, t("purchases.intro")),
    h("div", { class: "toolbar" }, importButton, addPurchaseForm(refresh)),
    importOut,
    importArea,
    chartArea,
    h("div", { class: "filters" }, field(t("purchases.search"), search), field(t("purchases.from"), from), field(t("purchases.to"), to), field(t("purchases.category"), categories)),
    tableArea,
  );
  await refresh();
}

function addPurchaseForm(refresh: () => Promise<void>): HTMLElement {
  const date = h("input", { type: "date", required: true, id: "add-date" });
  const merchant = h("input", { type: "text", required: true, id: "add-merchant" });
  const amount = h("input", { type: "text", required: true, inputmode: "decimal", id: "add-amount", placeholder: "12,50" });
  const currency = h("input", { type: "text", value: "EUR", maxlength: 3, size: 4, id: "add-currency" });
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h("form", { class: "row" }, field(t("purchases.date"), date), field(t("purchases.merchant"), merchant), field(t("purchases.amount"), amount), field(t("purchases.currency"), currency), submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(submit, out, async () => {
      await api.addPurchase({ date: date.value, merchant: merchant.value, amount: amount.value, currency: currency.value, category: null });
      merchant.value = "";
      amount.value = "";
      await refresh();
      return t("purchases.added");
    });
  });
  return h("details", { class: "add-purchase" }, h("summary", {}, t("purchases.add")), form, out);
}

function columnSelect(preview: CsvPreview, field: keyof ColumnMapping, optional: boolean): HTMLSelectElement {
  const columns = Math.max(preview.headers.length, ...preview.rows.map(() => preview.headers.length || 1), 1);
  const names = preview.headers.length > 0 ? preview.headers : Array.from({ length: columns }, (_, i) => `#${i + 1}`);
  const options: [string, string][] = names.map((name, i) => [String(i), `${i + 1}. ${name}`]);
  if (optional) options.unshift(["", t("csv.none")]);
  const current = preview.mapping[field];
  return select(options, current === null ? "" : String(current), { "data-column": field });
}

const ENCODINGS: Record<CsvPreview["encoding"], string> = { utf8: "UTF-8", utf16_le: "UTF-16", utf16_be: "UTF-16", windows1252: "Windows-1252 (Latin-1)" };

/** A row that cannot be read, in the interface's language (the English message when the problem has no text). */
function rowProblem(e: RowError): string {
  const key = `csv.problem.${e.problem}`;
  const vars: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(e)) if (typeof v === "string" || typeof v === "number") vars[k] = v;
  const text = t(key, vars);
  return text === key ? e.message : text;
}

async function showPreview(area: HTMLElement, options: CsvOptions, refresh: () => Promise<void>): Promise<void> {
  const preview = await api.previewCsv(options);
  const asked = new Set(preview.questions.map((q) => q.question));
  const header = h("input", { type: "checkbox", id: "csv-header", checked: preview.has_header });
  const negate = h("input", { type: "checkbox", id: "csv-negate", checked: preview.negate_amounts });
  let negateTouched = options.negate_amounts !== undefined && options.negate_amounts !== null;
  negate.addEventListener("change", () => { negateTouched = true; });
  const skipCredits = h("input", { type: "checkbox", id: "csv-skip-credits", checked: preview.credit_handling === "skip" });
  // What the file cannot tell starts unanswered ("—"): nothing is guessed for the person.
  const decimalChoices: [string, string][] = [["comma", t("csv.decimal_comma")], ["point", t("csv.decimal_point")]];
  if (asked.has("decimal_separator")) decimalChoices.unshift(["", "—"]);
  const decimal = select(decimalChoices, asked.has("decimal_separator") ? "" : preview.decimal_comma ? "comma" : "point", { id: "csv-decimal" });
  const orderChoices: [string, string][] = (["day_first", "month_first", "year_first"] as const).map((o) => [o, t(`csv.order.${o}`)]);
  if (preview.date_order === null) orderChoices.unshift(["", "—"]);
  const order = select(orderChoices, preview.date_order ?? "", { id: "csv-order" });
  const columns = {
    date: columnSelect(preview, "date", false),
    merchant: columnSelect(preview, "merchant", false),
    amount: columnSelect(preview, "amount", true),
    debit: columnSelect(preview, "debit", true),
    credit: columnSelect(preview, "credit", true),
    category: columnSelect(preview, "category", true),
  };
  const chosen = (): CsvOptions => {
    const num = (s: HTMLSelectElement): number | null => (s.value === "" ? null : Number(s.value));
    return {
      has_header: header.checked,
      negate_amounts: asked.has("spending_sign") && !negateTouched ? null : negate.checked,
      decimal_comma: decimal.value === "" ? null : decimal.value === "comma",
      date_order: order.value === "" ? null : (order.value as CsvOptions["date_order"]),
      credits: skipCredits.checked ? "skip" : "keep",
      mapping: {
        date: Number(columns.date.value),
        merchant: Number(columns.merchant.value),
        amount: num(columns.amount),
        debit: num(columns.debit),
        credit: num(columns.credit),
        category: num(columns.category),
        currency: preview.mapping.currency,
      },
    };
  };
  for (const input of [header, negate, decimal, order, skipCredits, ...Object.values(columns)]) input.addEventListener("change", () => void showPreview(area, chosen(), refresh));

  const out = h("div", { class: "out" });
  const blocked = preview.questions.length > 0;
  const importButton = h("button", { class: "primary", id: "csv-import", disabled: blocked || preview.new_count + (preview.credit_handling === "keep" ? preview.new_credit_count : 0) === 0 }, t("csv.import", { count: preview.new_count }));
  importButton.addEventListener("click", () =>
    void busy(importButton, out, async () => {
      const report = await api.importCsv(chosen());
      area.replaceChildren(notice("success", t("csv.done", { imported: report.imported, duplicates: report.duplicates })));
      await refresh();
    }),
  );
  const cancel = h("button", { class: "quiet", onclick: () => area.replaceChildren() }, t("common.cancel"));
  const questions = preview.questions.map((q) => notice("warning", t(`csv.question.${q.question}`, { examples: q.examples.join(", ") })));
  const skipped = preview.skipped.map((s) =>
    h("li", {}, t(s.first_line === s.last_line ? "csv.skipped_line" : "csv.skipped_lines", { first: s.first_line, last: s.last_line, reason: t(`csv.skip.${s.reason}`) })),
  );
  const credits =
    preview.credits.length > 0
      ? h("p", { class: "credits", id: "csv-credits" }, t(preview.credit_handling === "keep" ? "csv.credits_kept" : "csv.credits_skipped", { count: preview.new_credit_count, refunds: preview.refund_count }))
      : null;
  area.replaceChildren(
    h(
      "section",
      { class: "card csv-preview" },
      h("h2", {}, t("csv.title", { file: preview.file_name })),
      h("p", {}, t("csv.detected", { encoding: ENCODINGS[preview.encoding], delimiter: preview.delimiter === "\t" ? "tab" : preview.delimiter, decimal: t(preview.decimal_comma ? "csv.decimal_comma" : "csv.decimal_point"), order: preview.date_order ? t(`csv.order.${preview.date_order}`) : "?" })),
      ...questions,
      skipped.length > 0 ? h("ul", { class: "skipped", id: "csv-skipped" }, ...skipped) : null,
      h("div", { class: "row" }, h("label", { class: "check" }, header, t("csv.header")), h("label", { class: "check" }, negate, t("csv.negate")), field(t("csv.decimal"), decimal), field(t("csv.date_order"), order)),
      h("div", { class: "row" }, ...(Object.keys(columns) as (keyof typeof columns)[]).map((k) => field(t("csv.column", { field: t(`csv.field.${k}`) }), columns[k]))),
      h("p", { class: "summary", id: "csv-summary" }, t("csv.summary", { new: preview.new_count, duplicates: preview.duplicate_count, errors: preview.error_count })),
      credits,
      preview.credits.length > 0 ? h("label", { class: "check" }, skipCredits, t("csv.skip_credits")) : null,
      h(
        "table",
        { class: "purchases compact" },
        h("tbody", {}, ...preview.rows.map((r) => h("tr", { class: r.duplicate ? "duplicate" : "" }, h("td", {}, String(r.line)), h("td", {}, formatDay(r.purchase.date)), h("td", {}, r.purchase.merchant), h("td", {}, categoryLabel(r.purchase.category)), h("td", { class: "num" }, formatMoney(r.purchase.amount, r.purchase.currency)), h("td", {}, r.duplicate ? t("csv.duplicate") : "")))),
      ),
      preview.errors.length > 0
        ? h("details", { class: "errors", open: true }, h("summary", {}, t("csv.errors")), h("ul", { id: "csv-errors" }, ...preview.errors.map((e) => h("li", {}, t("csv.line", { line: e.line, message: rowProblem(e) })))), preview.error_count > preview.errors.length ? h("p", {}, t("csv.more_errors", { count: preview.error_count - preview.errors.length })) : null)
        : null,
      h("div", { class: "actions" }, importButton, cancel),
      out,
    ),
  );
}

/** Spending by category (bars) and by month (columns), drawn as SVG. */
function charts(totals: Totals): HTMLElement[] {
  const spent = totals.by_category.filter((c) => Number(c.total) > 0);
  if (spent.length === 0) return [];
  const max = Math.max(...spent.map((c) => Number(c.total)));
  const barHeight = 26;
  const byCategory = svg("svg", { viewBox: `0 0 520 ${spent.length * barHeight + 8}`, role: "img", "aria-label": t("purchases.by_category"), class: "chart" });
  spent.slice(0, 12).forEach((c, i) => {
    const width = Math.max(2, (Number(c.total) / max) * 280);
    const y = i * barHeight + 4;
    byCategory.append(
      svg("text", { x: 0, y: y + 16, class: "chart-label" }, categoryLabel(c.category)),
      svg("rect", { x: 120, y, width, height: barHeight - 8, rx: 4, class: `bar bar-${i % 6}` }),
      svg("text", { x: 128 + width, y: y + 16, class: "chart-value" }, formatMoney(c.total, c.currency)),
    );
  });
  const months = new Map<string, number>();
  for (const m of totals.by_month) if (m.month && Number(m.total) > 0) months.set(m.month, (months.get(m.month) ?? 0) + Number(m.total));
  const lastMonths = [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).slice(-12);
  const monthMax = Math.max(1, ...lastMonths.map(([, v]) => v));
  const byMonth = svg("svg", { viewBox: "0 0 520 200", role: "img", "aria-label": t("purchases.by_month"), class: "chart" });
  const columnWidth = Math.min(72, 520 / Math.max(lastMonths.length, 1));
  lastMonths.forEach(([month, value], i) => {
    const height = (value / monthMax) * 150;
    const x = i * columnWidth + 6;
    byMonth.append(svg("rect", { x, y: 170 - height, width: columnWidth - 12, height, rx: 4, class: "bar bar-0" }, svg("title", {}, `${month}: ${value.toFixed(2)}`)), svg("text", { x: x + (columnWidth - 12) / 2, y: 190, class: "chart-axis", "text-anchor": "middle" }, month.slice(2).replace("-", "/")));
  });
  return [h("figure", { class: "card" }, h("figcaption", {}, t("purchases.by_category")), byCategory), h("figure", { class: "card" }, h("figcaption", {}, t("purchases.by_month")), byMonth)];
}
