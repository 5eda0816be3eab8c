//! orders.xlsx read back: a Summary sheet of formulas per supplier, one
//! Excel table of every line (filters, total row, real date cells), and a
//! draft purchase order per supplier, with sheet names Excel accepts.

mod common;

use std::io::Read;

use common::{Fixture, read_csv, stderr};

/// The text of one part of the workbook.
fn part(book: &mut zip::ZipArchive<std::fs::File>, name: &str) -> String {
    let mut text = String::new();
    book.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// A cell of a sheet's XML: (formula, value), `None` when it is absent.
fn cell(sheet: &str, at: &str) -> Option<(Option<String>, String)> {
    let start = sheet.find(&format!("<c r=\"{at}\""))?;
    let rest = &sheet[start..];
    let end = rest.find("</c>").unwrap_or(rest.len());
    let c = &rest[..end];
    let inner = |tag: &str| {
        let open = format!("<{tag}>");
        let a = c.find(&open)? + open.len();
        let b = c[a..].find(&format!("</{tag}>"))? + a;
        Some(c[a..b].to_string())
    };
    Some((inner("f"), inner("v").unwrap_or_default()))
}

/// Days from Excel's day 0 (1899-12-30) to an ISO date.
fn serial(date: &str) -> f64 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let zero = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    (d - zero).num_days() as f64
}

#[test]
fn orders_xlsx_is_a_summary_a_table_and_a_po_per_supplier() {
    let f = Fixture::new();
    f.write("sales.csv", common::steady_sales(&["A", "B", "C"]));
    // Supplier names Excel refuses in a sheet name, and one a SUMIF would
    // read as a pattern.
    f.write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days\nA,S*1,2,14\nB,S*1,3,14\nC,ACME/EU,1.5,14\n",
    );
    f.write(
        "inventory.csv",
        "sku,location,on_hand\nA,DC1,0\nB,DC1,0\nC,DC1,0\n",
    );
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = f.reports()[0].clone();
    let orders = read_csv(&dir.join("orders.csv"));
    assert_eq!(orders.len(), 3, "{orders:?}");
    let value = |supplier: &str| -> f64 {
        orders
            .iter()
            .filter(|r| r["supplier"] == supplier)
            .map(|r| r["extended_cost"].parse::<f64>().unwrap())
            .sum()
    };

    let mut book =
        zip::ZipArchive::new(std::fs::File::open(dir.join("orders.xlsx")).unwrap()).unwrap();
    let workbook = part(&mut book, "xl/workbook.xml");
    let names: Vec<&str> = workbook
        .split("<sheet name=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(names, ["Summary", "Orders", "PO ACME_EU", "PO S_1"]);

    // Orders: one table over the header, three lines and a total row.
    let sheet = part(&mut book, "xl/worksheets/sheet2.xml");
    assert!(sheet.contains("<tablePart "), "no table");
    assert!(sheet.contains("state=\"frozen\""), "no frozen header");
    let table = part(&mut book, "xl/tables/table1.xml");
    assert!(table.contains("ref=\"A1:L5\""), "{table}");
    assert!(table.contains("<autoFilter") && table.contains("totalsRowCount=\"1\""));
    for column in [
        "Qty",
        "Pack size",
        "MOQ",
        "Unit cost",
        "Extended cost",
        "Order by",
        "Needed by",
        "Flags",
    ] {
        assert!(table.contains(&format!("name=\"{column}\"")), "{column}");
    }
    // Real dates: a number of days under a date format.
    let (_, order_by) = cell(&sheet, "J2").unwrap();
    assert_eq!(
        order_by.parse::<f64>().unwrap(),
        serial(&orders[0]["order_by"])
    );
    let (_, needed_by) = cell(&sheet, "K2").unwrap();
    assert_eq!(
        needed_by.parse::<f64>().unwrap(),
        serial(&orders[0]["needed_by"])
    );
    assert!(part(&mut book, "xl/styles.xml").contains("formatCode=\"yyyy-mm-dd\""));
    // The extended cost is a formula, its value cached.
    let (formula, cost) = cell(&sheet, "I2").unwrap();
    assert_eq!(formula.as_deref(), Some("E2*H2"));
    let want: f64 = orders[0]["extended_cost"].parse().unwrap();
    assert!((cost.parse::<f64>().unwrap() - want).abs() < 1e-6);
    // No subtotal rows inside the data.
    let strings = part(&mut book, "xl/sharedStrings.xml");
    assert!(
        !strings.contains("Total S") && !strings.contains("Total ACME"),
        "{strings}"
    );

    // Summary: per supplier, formulas over the table, the same totals.
    let summary = part(&mut book, "xl/worksheets/sheet1.xml");
    let (formula, v) = cell(&summary, "D4").unwrap();
    assert_eq!(
        formula.as_deref(),
        Some("SUMPRODUCT((Orders!$A$2:$A$4=A4)*Orders!$I$2:$I$4)")
    );
    assert!((v.parse::<f64>().unwrap() - value("ACME/EU")).abs() < 1e-6);
    let (formula, v) = cell(&summary, "B5").unwrap();
    assert!(formula.unwrap().starts_with("SUMPRODUCT(--("));
    assert_eq!(v, "2");
    let (formula, v) = cell(&summary, "D6").unwrap();
    assert_eq!(formula.as_deref(), Some("SUM(D4:D5)"));
    assert!((v.parse::<f64>().unwrap() - value("ACME/EU") - value("S*1")).abs() < 1e-6);

    // A draft PO: supplier, date, its two lines and a total formula.
    let po = part(&mut book, "xl/worksheets/sheet4.xml");
    assert!(strings.contains("Draft purchase order") && strings.contains("S*1"));
    let (_, date) = cell(&po, "B3").unwrap();
    assert_eq!(date.parse::<f64>().unwrap(), serial("2024-05-20"));
    let (formula, total) = cell(&po, "G9").unwrap();
    assert_eq!(formula.as_deref(), Some("SUM(G7:G8)"));
    assert!((total.parse::<f64>().unwrap() - value("S*1")).abs() < 1e-6);
}

#[test]
fn a_plan_without_orders_gives_a_workbook_without_po_sheets_or_circular_totals() {
    let f = Fixture::new();
    f.write("sales.csv", common::steady_sales(&["A", "B"]));
    f.write(
        "inventory.csv",
        "sku,location,on_hand\nA,DC1,500\nB,DC1,500\n",
    );
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = f.reports()[0].clone();
    assert!(read_csv(&dir.join("orders.csv")).is_empty());
    let mut book =
        zip::ZipArchive::new(std::fs::File::open(dir.join("orders.xlsx")).unwrap()).unwrap();
    let workbook = part(&mut book, "xl/workbook.xml");
    assert_eq!(workbook.matches("<sheet name=").count(), 2, "{workbook}");
    let summary = part(&mut book, "xl/worksheets/sheet1.xml");
    assert!(!summary.contains("<f>"), "{summary}");
    let (_, total) = cell(&summary, "D4").unwrap();
    assert_eq!(total, "0");
}
