//! CSV files in real-world shapes: French and English banks and shops.

mod support;

use rust_decimal::Decimal;
use support::*;
use tessera_vault::csv_import::{ColumnMapping, CsvOptions, DateOrder, Encoding};
use tessera_vault::purchases::PurchaseFilter;

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

#[test]
fn a_french_bank_export_in_latin1_with_debit_and_credit_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&fixture("fr_bank_latin1.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(preview.encoding, Encoding::Latin1);
    assert_eq!(preview.delimiter, ';');
    assert!(preview.has_header && preview.decimal_comma);
    assert_eq!(preview.date_order, DateOrder::DayFirst);
    assert_eq!(preview.mapping.debit, Some(2));
    assert_eq!(preview.mapping.credit, Some(3));
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    let rows: Vec<_> = preview.rows.iter().map(|r| &r.purchase).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].amount, dec("45.20"));
    assert_eq!(rows[0].category, "groceries");
    assert_eq!(rows[2].amount, dec("-19.99"), "a credit is a refund");
    assert_eq!(rows[4].merchant, "CAFÉ DE LA GARE");
    assert_eq!(rows[4].amount, dec("2.50"));
}

#[test]
fn a_utf8_export_with_bom_negative_amounts_thousands_and_quoted_names() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path());
    let preview = vault.preview_csv(&fixture("fr_bank_bom_utf8.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(preview.encoding, Encoding::Utf8);
    assert!(preview.negate_amounts, "spending written as negative amounts is detected");
    assert_eq!(preview.headers[1], "Libellé", "the BOM is not part of the first header");
    let rows: Vec<_> = preview.rows.iter().map(|r| &r.purchase).collect();
    assert_eq!(rows[0].merchant, "Intermarché Lyon");
    assert_eq!(rows[0].amount, dec("62.35"));
    assert_eq!(rows[1].amount, dec("1234.56"));
    assert_eq!(rows[1].category, "Maison", "the file's own category is kept");
    assert_eq!(rows[3].merchant, "Pharmacie \"du Centre\"");
    assert_eq!(preview.new_count, 5);
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
    assert_eq!(preview.date_order, DateOrder::MonthFirst);
    assert_eq!(preview.rows[0].purchase.date.to_string(), "2026-09-14");
    assert_eq!(preview.rows[1].purchase.amount, dec("-2.99"));
    assert_eq!(preview.rows[2].purchase.category, "transport");
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
    let report = vault.import_csv(&fixture("malformed.csv"), &CsvOptions::default()).unwrap();
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
    let first = vault.import_csv(&fixture("fr_bank_bom_utf8.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(first.imported, 5, "the two identical pharmacy purchases are both kept");
    let again = vault.import_csv(&fixture("fr_bank_bom_utf8.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(again.duplicates, 5);
    assert_eq!(vault.purchase_count().unwrap(), 5);
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
    assert_eq!(preview.rows[0].purchase.amount, dec("-18.90"));
    assert_eq!(preview.rows[0].purchase.currency, "CHF");
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
    assert_eq!(vault.purchases(&october, 0, 50).unwrap().total_matching, 5);
    let first_page = vault.purchases(&PurchaseFilter::default(), 0, 3).unwrap();
    assert_eq!(first_page.total_matching, 8);
    assert_eq!(first_page.rows.len(), 3);
    assert_eq!(first_page.rows[0].purchase.date.to_string(), "2026-10-15", "newest first");
    let totals = vault.purchase_totals(&october).unwrap();
    let transport = totals.by_category.iter().find(|t| t.category == "transport").unwrap();
    assert_eq!(transport.total, dec("89.00"));
    assert!(totals.by_month.iter().all(|t| t.month.as_deref() == Some("2026-10")));
    let total: Decimal = totals.by_category.iter().map(|t| t.total).sum();
    assert_eq!(total, dec("120.51"), "45.20 + 89.00 - 19.99 + 3.80 + 2.50, exactly");
}
