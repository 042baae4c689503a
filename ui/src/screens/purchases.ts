// Purchases: import with a mapping preview, a searchable table where each purchase can be edited or deleted,
// totals and a spending chart. Dates are typed and shown in the person's language.
import { api, type ColumnMapping, type CsvDateOrder, type CsvOptions, type CsvPreview, type CsvRowError, type ListedPurchase, type PurchaseFilter, type PurchaseInput, type Totals } from "../api";
import { h, svg } from "../dom";
import { categoryLabel, datePattern, formatDay, formatMoney, formatMonth, formatNumber, monthParts, readTypedDate, t, typedAmount, typedDate } from "../i18n";
import { busy, confirmDialog, errorText, field, notice, select } from "../ui";

const PAGE = 50;
const CATEGORIES = ["groceries", "restaurants", "transport", "clothing", "culture", "electronics", "health", "home", "leisure", "travel", "utilities", "other"];

/** A date field typed in the person's language; `read()` gives `YYYY-MM-DD`, "" when empty, or null when not a date. */
function dateInput(id: string): { input: HTMLInputElement; hint: HTMLElement; read(): string | null } {
  const input = h("input", { id, type: "text", inputmode: "numeric", autocomplete: "off", placeholder: datePattern(), size: 11 });
  const hint = h("small", { class: "hint" }, t("date.hint", { pattern: datePattern() }));
  return {
    input,
    hint,
    read(): string | null {
      if (input.value.trim() === "") {
        input.removeAttribute("aria-invalid");
        return "";
      }
      const iso = readTypedDate(input.value);
      if (iso === null) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      return iso;
    },
  };
}

export async function renderPurchases(main: HTMLElement): Promise<void> {
  const filter: PurchaseFilter = {};
  let page = 0;
  const importArea = h("div", { id: "csv-area" });
  const chartArea = h("div", { class: "charts" });
  const tableArea = h("div", { id: "purchase-table" });
  const filterOut = h("div", { class: "out" });
  const categories = select([["", t("purchases.all_categories")]], "", { id: "filter-category" });
  const search = h("input", { id: "filter-search", type: "search", autocomplete: "off" });
  const from = dateInput("filter-from");
  const to = dateInput("filter-to");

  const refresh = async (): Promise<void> => {
    const [fromDate, toDate] = [from.read(), to.read()];
    if (fromDate === null || toDate === null) {
      filterOut.replaceChildren(notice("error", t("date.invalid", { pattern: datePattern() })));
      return;
    }
    filterOut.replaceChildren();
    filter.search = search.value || null;
    filter.from = fromDate || null;
    filter.to = toDate || null;
    filter.category = categories.value || null;
    const [result, totals] = await Promise.all([api.purchasesQuery(filter, page * PAGE, PAGE), api.purchasesTotals(filter)]);
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
    const out = h("div", { class: "out", id: "purchase-out" });
    tableArea.replaceChildren(
      h("p", { class: "count", id: "purchase-count" }, t("purchases.count", { count: result.total_matching })),
      out,
      h(
        "table",
        { class: "purchases" },
        h("caption", { class: "visually-hidden" }, t("purchases.title")),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("purchases.date")), h("th", { scope: "col" }, t("purchases.merchant")), h("th", { scope: "col" }, t("purchases.category")), h("th", { class: "num", scope: "col" }, t("purchases.amount")), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("common.actions"))))),
        h("tbody", {}, ...result.rows.map((p) => purchaseRow(p, out, refresh))),
      ),
      h("div", { class: "pager" }, previous, h("span", {}, t("purchases.page", { page: page + 1, pages })), next),
    );
  };
  for (const input of [search, categories]) input.addEventListener("input", () => { page = 0; void refresh(); });
  for (const input of [from.input, to.input]) input.addEventListener("change", () => { page = 0; void refresh(); });

  const importButton = h("button", { class: "primary", id: "csv-choose" }, t("purchases.import"));
  const importOut = h("div", { class: "out" });
  importButton.addEventListener("click", () =>
    void busy(importButton, importOut, async () => {
      const name = await api.csvChoose();
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
    h("div", { class: "filters" }, field(t("purchases.search"), search), field(t("purchases.from"), from.input, from.hint), field(t("purchases.to"), to.input, to.hint), field(t("purchases.category"), categories)),
    filterOut,
    tableArea,
  );
  await refresh();
}

function purchaseRow(p: ListedPurchase, out: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const what = `${p.merchant}, ${formatDay(p.date)}, ${formatMoney(p.amount, p.currency)}`;
  const edit = h("button", { class: "quiet", "data-edit": p.id, "aria-label": `${t("purchases.edit")} — ${what}` }, t("purchases.edit"));
  const remove = h("button", { class: "quiet", "data-delete": p.id, "aria-label": `${t("common.delete")} — ${what}` }, t("common.delete"));
  const row = h("tr", { "data-purchase": p.id }, h("td", {}, formatDay(p.date)), h("td", {}, p.merchant), h("td", {}, categoryLabel(p.category)), h("td", { class: "num" }, formatMoney(p.amount, p.currency)), h("td", { class: "row-actions" }, edit, remove));
  edit.addEventListener("click", () => row.replaceWith(editRow(p, row, out, refresh)));
  remove.addEventListener("click", async () => {
    const sure = await confirmDialog(t("purchases.delete_title"), [t("purchases.delete_body", { what })], t("common.delete"));
    if (!sure) return;
    try {
      await api.purchaseRemove(p.id);
      await refresh();
      document.getElementById("purchase-out")?.replaceChildren(notice("success", t("purchases.deleted", { what })));
    } catch (e) {
      out.replaceChildren(notice("error", errorText(e)));
    }
  });
  return row;
}

function editRow(p: ListedPurchase, row: HTMLElement, out: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const date = h("input", { type: "text", value: typedDate(p.date), size: 11, "aria-label": t("purchases.date"), id: "edit-date", placeholder: datePattern() });
  const merchant = h("input", { type: "text", value: p.merchant, "aria-label": t("purchases.merchant"), id: "edit-merchant" });
  const options: [string, string][] = CATEGORIES.map((c) => [c, categoryLabel(c)]);
  if (!CATEGORIES.includes(p.category)) options.push([p.category, p.category]);
  const category = select(options, p.category, { "aria-label": t("purchases.category"), id: "edit-category" });
  const amount = h("input", { type: "text", value: typedAmount(p.amount), size: 9, inputmode: "decimal", "aria-label": t("purchases.amount"), id: "edit-amount" });
  const currency = h("input", { type: "text", value: p.currency, size: 4, maxlength: 3, "aria-label": t("purchases.currency"), id: "edit-currency" });
  const save = h("button", { class: "primary", id: "edit-save" }, t("common.save"));
  const cancel = h("button", { class: "quiet", onclick: () => editing.replaceWith(row) }, t("common.cancel"));
  const editing = h("tr", { class: "editing", "data-purchase": p.id }, h("td", {}, date), h("td", {}, merchant), h("td", {}, category), h("td", { class: "num" }, amount, " ", currency), h("td", { class: "row-actions" }, save, cancel));
  save.addEventListener("click", () =>
    void busy(save, out, async () => {
      const iso = readTypedDate(date.value);
      if (iso === null) throw { code: "invalid_entry" };
      const purchase: PurchaseInput = { date: iso, merchant: merchant.value, amount: amount.value, currency: currency.value, category: category.value };
      await api.purchaseEdit(p.id, purchase);
      await refresh();
      document.getElementById("purchase-out")?.replaceChildren(notice("success", t("purchases.edited")));
    }),
  );
  window.setTimeout(() => merchant.focus(), 0);
  return editing;
}

function addPurchaseForm(refresh: () => Promise<void>): HTMLElement {
  const date = dateInput("add-date");
  const merchant = h("input", { type: "text", id: "add-merchant" });
  const amount = h("input", { type: "text", inputmode: "decimal", id: "add-amount", placeholder: typedAmount("12.50") });
  const currency = h("input", { type: "text", value: "EUR", maxlength: 3, size: 4, id: "add-currency" });
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "add-save" }, t("common.save"));
  const form = h("form", { class: "row" }, field(t("purchases.date"), date.input, date.hint), field(t("purchases.merchant"), merchant), field(t("purchases.amount"), amount), field(t("purchases.currency"), currency), submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(submit, out, async () => {
      const iso = date.read();
      if (!iso) return Promise.reject({ code: "invalid_entry" });
      await api.purchaseAdd({ date: iso, merchant: merchant.value, amount: amount.value, currency: currency.value, category: null });
      merchant.value = "";
      amount.value = "";
      await refresh();
      return t("purchases.added");
    });
  });
  return h("details", { class: "add-purchase" }, h("summary", {}, t("purchases.add")), form, out);
}

function columnSelect(preview: CsvPreview, field: keyof ColumnMapping, optional: boolean): HTMLSelectElement {
  const columns = Math.max(preview.headers.length, 1);
  const names = preview.headers.length > 0 ? preview.headers : Array.from({ length: columns }, (_, i) => `#${i + 1}`);
  const options: [string, string][] = names.map((name, i) => [String(i), `${i + 1}. ${name}`]);
  if (optional) options.unshift(["", t("csv.none")]);
  const current = preview.mapping[field];
  return select(options, current === null ? "" : String(current), { "data-column": field });
}

const ENCODINGS: Record<CsvPreview["encoding"], string> = { utf8: "UTF-8", utf16_le: "UTF-16", utf16_be: "UTF-16", windows1252: "Windows-1252 (Latin-1)" };

/** A row that cannot be read, in the interface's language. */
function rowProblem(e: CsvRowError): string {
  const { problem, ...vars } = e;
  return t(`csv.problem.${problem}`, vars as Record<string, string | number>);
}

async function showPreview(area: HTMLElement, options: CsvOptions, refresh: () => Promise<void>): Promise<void> {
  const preview = await api.csvPreview(options);
  const asked = new Set(preview.questions.map((q) => q.question));
  const header = h("input", { type: "checkbox", id: "csv-header", checked: preview.has_header });
  const negate = h("input", { type: "checkbox", id: "csv-negate", checked: preview.negate_amounts });
  let negateTouched = options.negate_amounts !== undefined && options.negate_amounts !== null;
  negate.addEventListener("change", () => {
    negateTouched = true;
  });
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
      encoding: null,
      delimiter: null,
      currency: null,
      has_header: header.checked,
      negate_amounts: asked.has("spending_sign") && !negateTouched ? null : negate.checked,
      decimal_comma: decimal.value === "" ? null : decimal.value === "comma",
      date_order: order.value === "" ? null : (order.value as CsvDateOrder),
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
  const keptCredits = preview.credit_handling === "keep" ? preview.new_credit_count : 0;
  const importButton = h("button", { class: "primary", id: "csv-import", disabled: preview.questions.length > 0 || preview.new_count + keptCredits === 0 }, t("csv.import", { count: preview.new_count }));
  importButton.addEventListener("click", () =>
    void busy(importButton, out, async () => {
      const report = await api.csvImport(chosen());
      const said = [t("csv.done", { count: report.imported })];
      if (report.duplicates > 0) said.push(t("csv.done_duplicates", { count: report.duplicates }));
      if (report.credits_kept > 0) said.push(t("csv.done_credits", { count: report.credits_kept }));
      area.replaceChildren(notice("success", said.join(" ")));
      await refresh();
    }),
  );
  const cancel = h("button", { class: "quiet", onclick: () => area.replaceChildren() }, t("common.cancel"));
  const summary = [t("csv.summary_new", { count: preview.new_count }), t("csv.summary_duplicates", { count: preview.duplicate_count }), t("csv.summary_errors", { count: preview.error_count })].join(" · ");
  const questions = preview.questions.map((q) => notice("warning", t(`csv.question.${q.question}`, { examples: q.examples.join(", ") })));
  const skipped = preview.skipped.map((s) =>
    h("li", {}, t(s.first_line === s.last_line ? "csv.skipped_line" : "csv.skipped_lines", { first: s.first_line, last: s.last_line, reason: t(`csv.skip.${s.reason}`) })),
  );
  const credits =
    preview.credits.length > 0
      ? h(
          "div",
          { class: "credits", id: "csv-credits" },
          h("p", {}, preview.credit_handling === "keep" ? t("csv.credits_kept", { count: preview.new_credit_count }) + (preview.refund_count > 0 ? " " + t("csv.credits_refunds", { count: preview.refund_count }) : "") : t("csv.credits_skipped", { count: preview.new_credit_count })),
          h("label", { class: "check" }, skipCredits, t("csv.skip_credits")),
        )
      : null;
  area.replaceChildren(
    h(
      "section",
      { class: "card csv-preview", "aria-labelledby": "csv-title" },
      h("h2", { id: "csv-title" }, t("csv.title", { file: preview.file_name })),
      h("p", {}, t("csv.detected", { encoding: ENCODINGS[preview.encoding], delimiter: preview.delimiter === "\t" ? t("csv.tab") : preview.delimiter, decimal: t(preview.decimal_comma ? "csv.decimal_comma" : "csv.decimal_point"), order: preview.date_order ? t(`csv.order.${preview.date_order}`) : "?" })),
      ...questions,
      skipped.length > 0 ? h("ul", { class: "skipped", id: "csv-skipped" }, ...skipped) : null,
      h("div", { class: "row" }, h("label", { class: "check" }, header, t("csv.header")), h("label", { class: "check" }, negate, t("csv.negate")), field(t("csv.decimal"), decimal), field(t("csv.date_order"), order)),
      h("div", { class: "row" }, ...(Object.keys(columns) as (keyof typeof columns)[]).map((k) => field(t("csv.column", { field: t(`csv.field.${k}`) }), columns[k]))),
      h("p", { class: "summary", id: "csv-summary" }, summary),
      credits,
      h(
        "table",
        { class: "purchases compact" },
        h("caption", { class: "visually-hidden" }, t("csv.first_rows")),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("csv.line_number")), h("th", { scope: "col" }, t("purchases.date")), h("th", { scope: "col" }, t("purchases.merchant")), h("th", { scope: "col" }, t("purchases.category")), h("th", { scope: "col", class: "num" }, t("purchases.amount")), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("csv.duplicate_column"))))),
        h("tbody", {}, ...preview.rows.map((r) => h("tr", { class: r.duplicate ? "duplicate" : "" }, h("td", {}, String(r.line)), h("td", {}, formatDay(r.purchase.date)), h("td", {}, r.purchase.merchant), h("td", {}, categoryLabel(r.purchase.category)), h("td", { class: "num" }, formatMoney(r.purchase.amount, r.purchase.currency)), h("td", {}, r.duplicate ? t("csv.duplicate") : "")))),
      ),
      preview.errors.length > 0
        ? h(
            "details",
            { class: "errors", open: true },
            h("summary", {}, t("csv.errors")),
            h("ul", { id: "csv-errors" }, ...preview.errors.map((e) => h("li", {}, t("csv.line", { line: e.line }), " ", rowProblem(e)))),
            preview.error_count > preview.errors.length ? h("p", {}, t("csv.more_errors", { count: preview.error_count - preview.errors.length })) : null,
          )
        : null,
      h("div", { class: "actions" }, importButton, cancel),
      out,
    ),
  );
}

/** Spending by category (bars) and by month (columns, labelled with the month's name and the year), as SVG. */
function charts(totals: Totals): HTMLElement[] {
  const spent = totals.by_category.filter((c) => Number(c.total) > 0);
  if (spent.length === 0) return [];
  const max = Math.max(...spent.map((c) => Number(c.total)));
  const barHeight = 26;
  const shownCategories = spent.slice(0, 12);
  const byCategory = svg("svg", { viewBox: `0 0 400 ${shownCategories.length * barHeight + 8}`, role: "img", "aria-labelledby": "chart-category-title", class: "chart" });
  shownCategories.forEach((c, i) => {
    const width = Math.max(2, (Number(c.total) / max) * 180);
    const y = i * barHeight + 4;
    byCategory.append(
      svg("text", { x: 0, y: y + 16, class: "chart-label" }, categoryLabel(c.category)),
      svg("rect", { x: 110, y, width, height: barHeight - 8, rx: 4, class: `bar bar-${i % 6}` }),
      svg("text", { x: 116 + width, y: y + 16, class: "chart-value" }, formatMoney(c.total, c.currency)),
    );
  });
  const months = new Map<string, number>();
  for (const m of totals.by_month) if (m.month && Number(m.total) > 0) months.set(m.month, (months.get(m.month) ?? 0) + Number(m.total));
  const lastMonths = [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).slice(-12);
  const monthMax = Math.max(1, ...lastMonths.map(([, v]) => v));
  const byMonth = svg("svg", { viewBox: "0 0 400 215", role: "img", "aria-labelledby": "chart-month-title", class: "chart" });
  const columnWidth = Math.min(60, 400 / Math.max(lastMonths.length, 1));
  lastMonths.forEach(([month, value], i) => {
    const height = (value / monthMax) * 150;
    const x = i * columnWidth + 6;
    const middle = x + (columnWidth - 12) / 2;
    const parts = monthParts(month);
    const newYear = i === 0 || lastMonths[i - 1][0].slice(0, 4) !== month.slice(0, 4);
    byMonth.append(
      svg("rect", { x, y: 170 - height, width: columnWidth - 12, height, rx: 4, class: "bar bar-0" }, svg("title", {}, t("purchases.month_total", { month: formatMonth(month), total: formatNumber(Math.round(value * 100) / 100) }))),
      svg("text", { x: middle, y: 188, class: "chart-axis", "text-anchor": "middle" }, parts.month),
      ...(newYear ? [svg("text", { x: middle, y: 205, class: "chart-axis", "text-anchor": "middle" }, parts.year)] : []),
    );
  });
  return [
    h("figure", { class: "card" }, h("figcaption", { id: "chart-category-title" }, t("purchases.by_category")), byCategory),
    h("figure", { class: "card" }, h("figcaption", { id: "chart-month-title" }, t("purchases.by_month")), byMonth),
  ];
}
