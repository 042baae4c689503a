//! CSV files in real-world shapes: French and online banks, shops, and the
//! messy parts of real exports (preamble lines, summary lines, labels on two
//! lines, UTF-16, Windows-1252, foreign-currency columns, statuses). The
//! fixtures in `tests/fixtures/banks/` are written for these tests in the
//! shapes those banks export; none holds real personal data.

mod support;

use rust_decimal::Decimal;
use support::*;
use tessera_vault::csv_import::{
    ColumnMapping, CreditHandling, CsvOptions, CsvPreview, CsvQuestion, DateOrder, Encoding, RowProblem, SkipReason,
};
use tessera_vault::purchases::PurchaseFilter;
use tessera_vault::{Vault, VaultError};

/// The French fixtures from before the order question: every date is 12 or less, so the order is given.
fn day_first() -> CsvOptions {
    CsvOptions { date_order: Some(DateOrder::DayFirst), ..CsvOptions::default() }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn bank(name: &str) -> Vec<u8> {
    fixture(&format!("banks/{name}"))
}

fn preview(name: &str) -> CsvPreview {
    preview_with(name, &CsvOptions::default())
}

fn preview_with(name: &str, options: &CsvOptions) -> CsvPreview {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    vault.preview_csv(&bank(name), options).unwrap()
}

/// `(line, merchant, amount)` of each purchase.
fn spent(preview: &CsvPreview) -> Vec<(u64, String, Decimal)> {
    preview.rows.iter().map(|r| (r.line, r.purchase.merchant.clone(), r.purchase.amount)).collect()
}

/// `(line, label, amount, refund)` of each credit.
fn received(preview: &CsvPreview) -> Vec<(u64, String, Decimal, bool)> {
    preview
        .credits
        .iter()
        .map(|c| (c.line, c.credit.label.clone(), c.credit.amount, c.credit.refund_of.is_some()))
        .collect()
}

fn skipped(preview: &CsvPreview) -> Vec<(u64, u64, SkipReason)> {
    preview.skipped.iter().map(|s| (s.first_line, s.last_line, s.reason)).collect()
}

#[test]
fn a_french_bank_export_in_latin1_with_debit_and_credit_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&fixture("fr_bank_latin1.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(preview.encoding, Encoding::Windows1252);
    assert_eq!(preview.delimiter, ';');
    assert!(preview.has_header && preview.decimal_comma);
    assert_eq!(preview.date_order, Some(DateOrder::DayFirst));
    assert_eq!(preview.mapping.debit, Some(2));
    assert_eq!(preview.mapping.credit, Some(3));
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    let rows: Vec<_> = preview.rows.iter().map(|r| &r.purchase).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].amount, dec("45.20"));
    assert_eq!(rows[0].category, "groceries");
    assert_eq!(rows[3].merchant, "CAFÉ DE LA GARE");
    assert_eq!(rows[3].amount, dec("2.50"));
    assert_eq!(received(&preview), [(4, "REMBOURSEMENT FNAC".into(), dec("19.99"), false)], "nothing bought at Fnac");
}

#[test]
fn a_utf8_export_with_bom_negative_amounts_thousands_and_quoted_names() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&fixture("fr_bank_bom_utf8.csv"), &day_first()).unwrap();
    assert_eq!(preview.encoding, Encoding::Utf8);
    assert!(preview.negate_amounts, "spending written as negative amounts is detected");
    assert_eq!(preview.headers[1], "Libellé", "the BOM is not part of the first header");
    let rows: Vec<_> = preview.rows.iter().map(|r| &r.purchase).collect();
    assert_eq!(rows[0].merchant, "Intermarché Lyon");
    assert_eq!(rows[0].amount, dec("62.35"));
    assert_eq!(rows[1].amount, dec("1234.56"));
    assert_eq!(rows[1].category, "Maison", "the file's own category is kept");
    assert_eq!(rows[2].merchant, "Pharmacie \"du Centre\"");
    assert_eq!(preview.new_count, 4);
    assert_eq!(received(&preview), [(4, "Salaire novembre".into(), dec("2450.00"), false)]);
}

#[test]
fn an_english_shop_export_with_iso_dates_and_a_broken_row() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&fixture("en_shop_orders.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(preview.delimiter, ',');
    assert!(!preview.decimal_comma);
    assert_eq!(preview.rows.len(), 3);
    assert_eq!(preview.rows[0].purchase.merchant, "Books, Music & More");
    assert_eq!(preview.rows[0].purchase.currency, "GBP");
    assert_eq!(preview.errors.len(), 1);
    assert_eq!(preview.errors[0].line, 5);
    assert!(preview.errors[0].message.contains("6 columns instead of 5"), "{}", preview.errors[0].message);
}

#[test]
fn a_us_card_export_with_month_first_dates_and_parenthesised_refunds() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&fixture("us_card.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(preview.date_order, Some(DateOrder::MonthFirst));
    assert_eq!(preview.rows[0].purchase.date.to_string(), "2026-09-14");
    assert_eq!(received(&preview), [(3, "APPLE.COM/BILL".into(), dec("2.99"), false)], "money back, kept apart");
    assert_eq!(preview.rows[1].purchase.category, "transport");
}

#[test]
fn a_file_without_header_is_mapped_from_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&fixture("no_header.csv"), &CsvOptions::default()).unwrap();
    assert!(!preview.has_header);
    assert_eq!(preview.mapping.date, 0);
    assert_eq!(preview.mapping.merchant, 1);
    assert_eq!(preview.mapping.amount, Some(2));
    assert_eq!(preview.rows.len(), 3);
    assert_eq!(preview.rows[1].purchase.amount, dec("11.50"));
}

#[test]
fn unreadable_rows_are_reported_by_line_and_the_others_imported() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let report = vault.import_csv(&fixture("malformed.csv"), &day_first()).unwrap();
    assert_eq!(report.imported, 2);
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6]);
    assert!(report.errors[0].message.contains("31/02/2026"), "{:?}", report.errors[0]);
    assert!(report.errors[1].message.contains("douze"), "{:?}", report.errors[1]);
    assert!(report.errors[2].message.contains("merchant"), "{:?}", report.errors[2]);
    assert_eq!(vault.purchase_count().unwrap(), 2);
}

#[test]
fn re_importing_a_file_adds_nothing_but_identical_purchases_in_one_file_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let first = vault.import_csv(&fixture("fr_bank_bom_utf8.csv"), &day_first()).unwrap();
    assert_eq!(first.imported, 4, "the two identical pharmacy purchases are both kept");
    assert_eq!(first.credits_kept, 1);
    let again = vault.import_csv(&fixture("fr_bank_bom_utf8.csv"), &day_first()).unwrap();
    assert_eq!((again.imported, again.credits_kept), (0, 0));
    assert_eq!(again.duplicates, 4);
    assert_eq!(vault.purchase_count().unwrap(), 4);
    assert_eq!(vault.credit_count().unwrap(), 1);
}

#[test]
fn the_detected_mapping_can_be_overridden() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let options = CsvOptions {
        has_header: Some(false),
        mapping: Some(ColumnMapping {
            date: 0,
            merchant: 1,
            amount: Some(2),
            debit: None,
            credit: None,
            category: None,
            currency: None,
        }),
        decimal_comma: Some(true),
        date_order: Some(DateOrder::YearFirst),
        negate_amounts: Some(true),
        currency: Some("CHF".into()),
        ..CsvOptions::default()
    };
    let preview = vault.preview_csv(&fixture("no_header.csv"), &options).unwrap();
    assert!(preview.rows.is_empty(), "spending written negative: these are credits");
    assert_eq!(preview.credits[0].credit.amount, dec("18.90"));
    assert_eq!(preview.credits[0].credit.currency, "CHF");
}

#[test]
fn search_filters_and_totals_work_on_imported_purchases() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.import_csv(&fixture("fr_bank_latin1.csv"), &CsvOptions::default()).unwrap();
    vault.import_csv(&fixture("no_header.csv"), &CsvOptions::default()).unwrap();
    let page = vault.purchases(&PurchaseFilter { search: Some("cafe".into()), ..Default::default() }, 0, 50).unwrap();
    assert_eq!(page.total_matching, 1, "accents are ignored");
    let october =
        PurchaseFilter { from: "2026-10-01".parse().ok(), to: "2026-10-31".parse().ok(), ..Default::default() };
    assert_eq!(vault.purchases(&october, 0, 50).unwrap().total_matching, 4);
    let first_page = vault.purchases(&PurchaseFilter::default(), 0, 3).unwrap();
    assert_eq!(first_page.total_matching, 7);
    assert_eq!(first_page.rows.len(), 3);
    assert_eq!(first_page.rows[0].purchase.date.to_string(), "2026-10-15", "newest first");
    let totals = vault.purchase_totals(&october).unwrap();
    let transport = totals.by_category.iter().find(|t| t.category == "transport").unwrap();
    assert_eq!(transport.total, dec("89.00"));
    assert!(totals.by_month.iter().all(|t| t.month.as_deref() == Some("2026-10")));
    let total: Decimal = totals.by_category.iter().map(|t| t.total).sum();
    assert_eq!(total, dec("140.50"), "45.20 + 89.00 + 3.80 + 2.50, exactly: money received is not counted");
}

// --- Point 1: amounts are never guessed --------------------------------------------------------

#[test]
fn a_decimal_comma_in_a_decimal_point_file_is_refused_not_multiplied() {
    let preview = preview("mixed_decimals.csv");
    assert!(!preview.decimal_comma, "three amounts with a point, one with a comma");
    assert_eq!(
        spent(&preview),
        [(2, "A".into(), dec("10.00")), (4, "C".into(), dec("3.99")), (6, "E".into(), dec("1234.50"))]
    );
    let problems: Vec<(u64, &RowProblem)> = preview.errors.iter().map(|e| (e.line, &e.problem)).collect();
    assert_eq!(
        problems,
        [
            (3, &RowProblem::DecimalSeparator { text: "-12,50".into(), file_comma: false }),
            (5, &RowProblem::NotAnAmount { text: "12,345,67".into() }),
        ]
    );
    assert!(preview.errors[0].message.contains("decimal comma, but this file writes amounts with a decimal point"));
}

#[test]
fn a_decimal_point_in_a_decimal_comma_file_is_refused_not_multiplied() {
    let preview = preview("mixed_decimals_comma.csv");
    assert!(preview.decimal_comma);
    assert_eq!(
        preview.rows.iter().map(|r| r.purchase.amount).collect::<Vec<_>>(),
        [dec("10.00"), dec("3.99"), dec("1234.50")]
    );
    assert_eq!(preview.errors.len(), 1);
    assert_eq!(preview.errors[0].line, 3);
    assert_eq!(preview.errors[0].problem, RowProblem::DecimalSeparator { text: "-12.5".into(), file_comma: true });
}

#[test]
fn amounts_that_could_be_thousands_or_decimals_are_asked() {
    let csv = b"Date;Libell\xc3\xa9;Montant\n01/03/2026;A;1,234\n25/03/2026;B;2,500\n";
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(csv, &CsvOptions::default()).unwrap();
    assert_eq!(preview.questions, [CsvQuestion::DecimalSeparator { examples: vec!["1,234".into(), "2,500".into()] }]);
    assert!(preview.rows.is_empty() && preview.errors.is_empty(), "nothing is read before the answer");
    assert!(matches!(vault.import_csv(csv, &CsvOptions::default()), Err(VaultError::CsvDecimalUnknown { .. })));
    assert_eq!(vault.purchase_count().unwrap(), 0);
    let answered = CsvOptions { decimal_comma: Some(false), ..CsvOptions::default() };
    let preview = vault.preview_csv(csv, &answered).unwrap();
    assert_eq!(preview.rows.iter().map(|r| r.purchase.amount).collect::<Vec<_>>(), [dec("1234"), dec("2500")]);
}

// --- Point 2: money received is not a purchase -------------------------------------------------

#[test]
fn salary_benefits_and_top_ups_are_kept_apart_and_never_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let report = vault.import_csv(&bank("la_banque_postale.csv"), &CsvOptions::default()).unwrap();
    assert_eq!((report.imported, report.credits_kept, report.refunds), (5, 2, 0));
    let report = vault.import_csv(&bank("revolut.csv"), &CsvOptions::default()).unwrap();
    assert_eq!((report.imported, report.credits_kept, report.refunds), (3, 2, 1), "a top-up, a refund from Ryanair");
    let totals = vault.purchase_totals(&PurchaseFilter::default()).unwrap();
    assert!(totals.by_category.iter().chain(&totals.by_month).all(|t| !t.total.is_sign_negative()), "{totals:?}");
    let all: Decimal = totals.by_category.iter().map(|t| t.total).sum();
    let spent = dec("42.10") + dec("65.00") + dec("12.90") + dec("129.90") + dec("2.50");
    let spent_revolut = dec("42.10") + dec("30.00") + dec("89.99");
    assert_eq!(all, spent + spent_revolut - dec("15.00"), "only the identified refund offsets spending");
    let travel = totals.by_category.iter().find(|t| t.category == "travel").unwrap();
    assert_eq!((travel.total, travel.refunded), (dec("74.99"), dec("15.00")));
    let labels: Vec<String> = vault.credits().unwrap().into_iter().map(|c| c.credit.label).collect();
    assert!(labels.contains(&"VIREMENT DE ACME SAS SALAIRE MARS".to_owned()), "{labels:?}");
    assert!(labels.contains(&"Top-up by *1234".to_owned()), "{labels:?}");
}

#[test]
fn credits_can_be_left_out_at_import() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let options = CsvOptions { credits: Some(CreditHandling::Skip), ..CsvOptions::default() };
    let report = vault.import_csv(&bank("credit_agricole.csv"), &options).unwrap();
    assert_eq!((report.imported, report.credits_kept, report.credits_skipped), (3, 0, 2));
    assert_eq!(vault.credit_count().unwrap(), 0);
}

#[test]
fn a_refund_offsets_its_merchant_only_when_clearly_identified() {
    let preview = preview("credit_agricole.csv");
    assert_eq!(
        received(&preview),
        [
            (11, "VIREMENT EN VOTRE FAVEUR SALAIRE AVRIL ACME SAS".into(), dec("2350.00"), false),
            (13, "AVOIR CARTE FNAC BELLECOUR 08/04".into(), dec("19.99"), true)
        ]
    );
    assert_eq!(preview.refund_count, 1);
    let refund = preview.credits[1].credit.refund_of.as_ref().unwrap();
    assert_eq!(
        (refund.merchant.as_str(), refund.category.as_str()),
        ("PAIEMENT PAR CARTE FNAC BELLECOUR 05/04", "culture")
    );
    // The CPAM repays care: money received, not a refund from a merchant bought from.
    let preview = preview_with("societe_generale.csv", &CsvOptions::default());
    assert_eq!(received(&preview), [(4, "VIR RECU 1234567".into(), dec("45.60"), false)]);
    // A refund from a merchant bought from in an earlier import is recognised too.
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let file = String::from_utf8(bank("boursorama.csv")).unwrap();
    let without_refund: String = file.split_inclusive('\n').filter(|l| !l.contains("REMBOURSEMENT")).collect();
    vault.import_csv(without_refund.as_bytes(), &CsvOptions::default()).unwrap();
    let preview = vault.preview_csv(&bank("boursorama.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(preview.refund_count, 1, "{:?}", preview.credits);
}

// --- Point 3: real bank exports -----------------------------------------------------------------

#[test]
fn la_banque_postale_key_value_preamble_and_a_francs_column() {
    let preview = preview("la_banque_postale.csv");
    assert_eq!(preview.encoding, Encoding::Windows1252);
    assert_eq!(preview.header_line, Some(8));
    assert_eq!(skipped(&preview), [(1, 7, SkipReason::BeforeHeader)]);
    assert_eq!(preview.mapping.amount, Some(2), "the euro column, not the francs one");
    assert_eq!(preview.currency, "EUR");
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(
        spent(&preview),
        [
            (9, "CARTE X1234 13/04 CARREFOUR MARKET LYON".into(), dec("42.10")),
            (11, "PRELEVEMENT DE EDF CLIENTS PARTICULIERS".into(), dec("65.00")),
            (12, "CARTE X1234 07/04 PHARMACIE DU CENTRE".into(), dec("12.90")),
            (13, "CARTE X1234 04/04 FNAC BELLECOUR".into(), dec("129.90")),
            (15, "CARTE X1234 01/04 CAFÉ DE LA GARE €".into(), dec("2.50")),
        ]
    );
    assert_eq!(preview.rows[0].purchase.category, "groceries");
    assert_eq!(received(&preview).iter().map(|c| c.2).collect::<Vec<_>>(), [dec("312.45"), dec("2350.00")]);
}

#[test]
fn credit_agricole_preamble_debit_credit_columns_and_labels_on_two_lines() {
    let preview = preview("credit_agricole.csv");
    assert_eq!(preview.header_line, Some(8));
    assert_eq!(skipped(&preview), [(1, 7, SkipReason::BeforeHeader)]);
    assert_eq!((preview.mapping.debit, preview.mapping.credit), (Some(2), Some(3)));
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(
        spent(&preview),
        [
            (9, "PAIEMENT PAR CARTE CARREFOUR LYON 13/04".into(), dec("42.10")),
            (15, "PAIEMENT PAR CARTE FNAC BELLECOUR 05/04".into(), dec("129.90")),
            (17, "PRELEVEMENT FREE MOBILE".into(), dec("19.99")),
        ]
    );
}

#[test]
fn societe_generale_account_line_before_the_header() {
    let preview = preview("societe_generale.csv");
    assert_eq!(preview.header_line, Some(2));
    assert_eq!(skipped(&preview), [(1, 1, SkipReason::BeforeHeader)]);
    assert!(preview.errors.is_empty(), "the header is not an unreadable row: {:?}", preview.errors);
    assert_eq!(preview.mapping.merchant, 1, "the label, not the detail");
    assert_eq!(spent(&preview).len(), 3);
    assert_eq!(preview.rows[1].purchase.category, "transport");
}

#[test]
fn bnp_paribas_rows_without_a_header_after_an_account_line() {
    let preview = preview("bnp_paribas.csv");
    assert!(!preview.has_header);
    assert_eq!(skipped(&preview), [(1, 1, SkipReason::BeforeData)]);
    assert_eq!((preview.mapping.date, preview.mapping.merchant, preview.mapping.amount), (0, 2, Some(3)));
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(spent(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("64.30"), dec("45.99"), dec("24.99")]);
    assert_eq!(preview.rows[0].purchase.category, "groceries");
    assert_eq!(received(&preview).len(), 1);
}

#[test]
fn lcl_rows_without_a_header_and_a_final_balance() {
    let preview = preview("lcl.csv");
    assert_eq!(skipped(&preview), [(5, 5, SkipReason::Summary)]);
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(preview.mapping.merchant, 4);
    assert_eq!(spent(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("42.10"), dec("18.50"), dec("60.00")]);
    assert_eq!(received(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("2350.00")]);
}

#[test]
fn caisse_d_epargne_balances_around_the_rows_and_two_digit_years() {
    let preview = preview("caisse_epargne.csv");
    assert_eq!(preview.header_line, Some(4));
    assert_eq!(skipped(&preview), [(1, 3, SkipReason::BeforeHeader), (9, 9, SkipReason::Summary)]);
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(preview.rows[0].purchase.date.to_string(), "2026-04-14");
    assert_eq!(spent(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("42.10"), dec("156.80"), dec("40.00")]);
    assert_eq!(preview.rows[1].purchase.category, "home");
    assert_eq!(received(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("2350.00")]);
}

#[test]
fn boursorama_camel_case_header_and_a_value_date() {
    let preview = preview("boursorama.csv");
    assert_eq!(preview.encoding, Encoding::Utf8);
    assert_eq!((preview.mapping.date, preview.mapping.merchant, preview.mapping.amount), (0, 2, Some(6)));
    assert_eq!(preview.mapping.category, Some(3));
    assert_eq!(preview.date_order, Some(DateOrder::YearFirst));
    assert_eq!(preview.rows[1].purchase.amount, dec("1099.00"));
    assert!(preview.negate_amounts, "four amounts spent, two received");
    assert_eq!(preview.rows[1].purchase.date.to_string(), "2026-04-08", "the operation date, not the value date");
    assert_eq!(
        received(&preview).iter().map(|r| (r.2, r.3)).collect::<Vec<_>>(),
        [(dec("35.90"), true), (dec("2350.00"), false)]
    );
}

#[test]
fn n26_foreign_currency_columns_do_not_relabel_the_euro_amount() {
    let preview = preview("n26.csv");
    assert_eq!(preview.mapping.amount, Some(5));
    assert_eq!(preview.mapping.currency, None, "\"Type Foreign Currency\" is not the amount's currency");
    assert!(preview.rows.iter().all(|r| r.purchase.currency == "EUR"));
    assert_eq!(spent(&preview)[1], (3, "Amazon US".into(), dec("18.45")));
    assert_eq!(received(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("2350.0")]);
}

#[test]
fn revolut_top_ups_declined_and_reverted_payments() {
    let preview = preview("revolut.csv");
    assert_eq!(skipped(&preview), [(4, 5, SkipReason::NotCompleted)]);
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(
        spent(&preview).iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        ["Carrefour", "To Jean Dupont", "Ryanair"]
    );
    assert_eq!(
        received(&preview),
        [(2, "Top-up by *1234".into(), dec("200.00"), false), (8, "Refund Ryanair".into(), dec("15.00"), true)]
    );
}

#[test]
fn qonto_decimal_points_in_a_semicolon_file_and_a_refused_payment() {
    let preview = preview("qonto.csv");
    assert_eq!(preview.delimiter, ';');
    assert!(!preview.decimal_comma, "decided from the amounts, not from the separator");
    assert_eq!(preview.mapping.date, 2, "the operation date");
    assert_eq!(skipped(&preview), [(4, 4, SkipReason::NotCompleted)]);
    assert_eq!(
        spent(&preview),
        [(2, "Carrefour City".into(), dec("42.10")), (5, "Apple Store".into(), dec("1299.00"))]
    );
    assert_eq!(preview.rows[0].purchase.date.to_string(), "2026-04-14");
    assert_eq!(preview.rows[0].purchase.category, "Restaurant et bar");
}

#[test]
fn utf16_with_a_bom_and_tabs() {
    let preview = preview("utf16_tabs.csv");
    assert_eq!(preview.encoding, Encoding::Utf16Le);
    assert_eq!(preview.delimiter, '\t');
    assert_eq!(preview.mapping.date, 0);
    assert_eq!(preview.mapping.merchant, 4);
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(spent(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("42.10"), dec("8.90")]);
    assert_eq!(received(&preview).iter().map(|r| r.2).collect::<Vec<_>>(), [dec("312.45")]);
}

#[test]
fn a_day_month_order_no_date_decides_is_asked_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let file = bank("ambiguous_dates.csv");
    let preview = vault.preview_csv(&file, &CsvOptions::default()).unwrap();
    assert_eq!(preview.date_order, None);
    assert_eq!(
        preview.questions,
        [CsvQuestion::DateOrder { examples: vec!["03/04/2026".into(), "05/04/2026".into(), "11/04/2026".into()] }]
    );
    assert!(preview.rows.is_empty());
    let refused = vault.import_csv(&file, &CsvOptions::default()).unwrap_err();
    assert!(matches!(refused, VaultError::CsvDateOrderUnknown { .. }), "{refused}");
    assert_eq!(vault.purchase_count().unwrap(), 0);
    let report = vault
        .import_csv(&file, &CsvOptions { date_order: Some(DateOrder::MonthFirst), ..CsvOptions::default() })
        .unwrap();
    assert_eq!(report.imported, 3);
    let page = vault.purchases(&PurchaseFilter::default(), 0, 1).unwrap();
    assert_eq!(page.rows[0].purchase.date.to_string(), "2026-11-04", "month first, as answered");
}

#[test]
fn as_many_amounts_received_as_spent_asks_which_sign_is_spending() {
    let csv = b"Date;Libell\xc3\xa9;Montant\n21/03/2026;A;-1,00\n22/03/2026;B;2,00\n";
    let preview = tessera_vault::csv_import::parse(csv, &CsvOptions::default()).unwrap();
    assert_eq!(preview.questions, [CsvQuestion::SpendingSign { examples: vec!["-1,00".into(), "2,00".into()] }]);
    let answered = CsvOptions { negate_amounts: Some(false), ..CsvOptions::default() };
    let preview = tessera_vault::csv_import::parse(csv, &answered).unwrap();
    assert_eq!((preview.rows.len(), preview.credits.len()), (1, 1));
    assert_eq!(preview.rows[0].purchase.merchant, "B");
}

#[test]
fn a_date_against_the_file_order_is_refused() {
    let csv = b"Date;Libell\xc3\xa9;Montant\n25/03/2026;A;-1,00\n26/03/2026;B;-2,00\n03/27/2026;C;-3,00\n";
    let preview = tessera_vault::csv_import::parse(csv, &CsvOptions::default()).unwrap();
    assert_eq!(preview.date_order, Some(DateOrder::DayFirst));
    assert_eq!(
        preview.errors[0].problem,
        RowProblem::DateOrder { text: "03/27/2026".into(), order: DateOrder::DayFirst }
    );
}

#[test]
fn a_forced_encoding_the_file_does_not_fit_is_refused() {
    let options = CsvOptions { encoding: Some(Encoding::Utf8), ..CsvOptions::default() };
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let refused = vault.preview_csv(&bank("la_banque_postale.csv"), &options).unwrap_err();
    assert!(matches!(refused, VaultError::CsvEncoding { encoding: "UTF-8", .. }), "{refused}");
}

// --- Point 7: bounded errors ---------------------------------------------------------------------

#[test]
fn forcing_columns_on_noise_lists_a_bounded_number_of_errors_and_counts_them_all() {
    let mut noise = Vec::with_capacity(1 << 20);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    while noise.len() < 1 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.extend_from_slice(&state.to_le_bytes());
    }
    let options = CsvOptions {
        has_header: Some(false),
        delimiter: Some(';'),
        mapping: Some(ColumnMapping {
            date: 0,
            merchant: 0,
            amount: Some(0),
            debit: None,
            credit: None,
            category: None,
            currency: None,
        }),
        decimal_comma: Some(true),
        date_order: Some(DateOrder::DayFirst),
        ..CsvOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&noise, &options).unwrap();
    assert!(preview.error_count > 1000, "{}", preview.error_count);
    assert_eq!(preview.errors.len(), tessera_vault::csv_import::MAX_LISTED_ERRORS);
    assert_eq!(preview.error_summary.iter().map(|s| s.count).sum::<usize>(), preview.error_count);
    let report = vault.import_csv(&noise, &options).unwrap();
    assert_eq!(report.imported, 0);
    assert_eq!(vault.purchase_count().unwrap(), 0);
}

#[test]
fn a_file_with_no_row_and_columns_beyond_the_file_are_refused() {
    assert!(matches!(tessera_vault::csv_import::parse(b"\r\n\r\n", &CsvOptions::default()), Err(VaultError::CsvEmpty)));
    let options = CsvOptions {
        mapping: Some(ColumnMapping {
            date: 0,
            merchant: 1,
            amount: Some(7),
            debit: None,
            credit: None,
            category: None,
            currency: None,
        }),
        ..CsvOptions::default()
    };
    let refused = tessera_vault::csv_import::parse(&bank("ambiguous_dates.csv"), &options).unwrap_err();
    assert!(matches!(refused, VaultError::CsvColumnMissing { column: 8, columns: 3 }), "{refused}");
}

#[test]
fn a_vault_reopened_keeps_purchases_and_credits_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _) = new_vault(dir.path());
    vault.import_csv(&bank("n26.csv"), &CsvOptions::default()).unwrap();
    drop(vault);
    let mut vault = Vault::open(&dir.path().join("vault")).unwrap();
    vault.unlock(PASSPHRASE).unwrap();
    assert_eq!((vault.purchase_count().unwrap(), vault.credit_count().unwrap()), (3, 1));
}
