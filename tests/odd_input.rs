//! Input the run survives: odd but usable files give a plan, the oddity is
//! counted in `warnings.csv`, rows not used are listed in `rejected_rows.csv`,
//! and no output holds a NaN, an infinity or a negative quantity. With
//! `input.bad_rows = "quarantine"`, bad rows of history files are set aside.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{Fixture, read_csv, stderr, weekly_sales};

/// Columns that may legitimately be negative (an error's sign, a safety
/// stock under a fill-rate target, an exception's measured bias).
const SIGNED: &[&str] = &["bias", "safety_stock", "value"];

/// Run the fixture with `extra` arguments, check it succeeded and that every
/// CSV output is clean; return the report folder.
fn survives(f: &Fixture, extra: &[&str]) -> PathBuf {
    let out = f.run(extra);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "exit code; stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let reports = f.reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let dir = reports[0].clone();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            check_clean(&path);
        }
    }
    dir
}

/// No NaN or infinity anywhere, no negative number outside [`SIGNED`].
fn check_clean(path: &Path) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    for (i, row) in read_csv(path).iter().enumerate() {
        for (col, v) in row {
            if name == "rejected_rows.csv" || name == "warnings.csv" {
                continue; // free text and the rejected values themselves
            }
            let lower = v.to_ascii_lowercase();
            assert!(
                !(lower == "nan" || lower.contains("inf")) || col == "flags" || col == "detail",
                "{name} row {} column {col}: {v}",
                i + 1
            );
            if let Ok(x) = v.parse::<f64>() {
                assert!(x.is_finite(), "{name} row {} column {col}: {v}", i + 1);
                assert!(
                    x >= 0.0 || SIGNED.contains(&col.as_str()),
                    "{name} row {} column {col}: negative {v}",
                    i + 1
                );
            }
        }
    }
}

/// The plan row of SKU `sku`.
fn plan_row(dir: &Path, sku: &str) -> BTreeMap<String, String> {
    read_csv(&dir.join("plan.csv"))
        .into_iter()
        .find(|r| r["sku"] == sku)
        .unwrap_or_else(|| panic!("no plan row for {sku}"))
}

/// Three columns of every row of the report's rejected_rows.csv.
fn rejected(dir: &Path, cols: [&str; 3]) -> Vec<[String; 3]> {
    read_csv(&dir.join("rejected_rows.csv"))
        .iter()
        .map(|r| cols.map(|c| r[c].clone()))
        .collect()
}

/// Warning kinds listed in the report.
fn warning_kinds(dir: &Path) -> Vec<String> {
    read_csv(&dir.join("warnings.csv"))
        .into_iter()
        .map(|r| r["kind"].clone())
        .collect()
}

fn two_skus() -> String {
    let mut s = String::from("sku,location,date,qty\n");
    weekly_sales(&mut s, "A", "DC1", 30, 5.0);
    weekly_sales(&mut s, "B", "DC1", 30, 2.0);
    s
}

#[test]
fn a_semicolon_or_tab_separated_export_reads_like_a_comma_one() {
    // A spreadsheet's export in many languages: semicolons (a quoted field
    // holding one), or tabs; the header line says which.
    let inventory = "sku,location,on_hand,comment\nA,DC1,12,\"x; y, z\"\nB,DC1,3,\n";
    let plans: Vec<String> = [',', ';', '\t']
        .iter()
        .map(|&sep| {
            let f = Fixture::new();
            let swap = |text: &str| -> String {
                let mut quoted = false;
                text.chars()
                    .map(|c| {
                        quoted ^= c == '"';
                        if c == ',' && !quoted { sep } else { c }
                    })
                    .collect()
            };
            f.write("sales.csv", swap(&two_skus()));
            f.write("inventory.csv", swap(inventory));
            let dir = survives(&f, &[]);
            std::fs::read_to_string(dir.join("plan.csv")).unwrap()
        })
        .collect();
    assert!(plans[0].contains("A,DC1"), "{}", plans[0]);
    assert_eq!(plans[1], plans[0]);
    assert_eq!(plans[2], plans[0]);
}

/// Sales of two SKUs dated once a month (`day` 1 or the month's last),
/// January 2024 to October 2025.
fn monthly_sales(first_of_month: bool) -> String {
    let mut s = String::from("sku,location,date,qty\n");
    for sku in ["A", "B"] {
        for m in 0..22u32 {
            let (y, mo) = (2024 + (m / 12) as i32, m % 12 + 1);
            let first = chrono::NaiveDate::from_ymd_opt(y, mo, 1).unwrap();
            let d = if first_of_month {
                first
            } else {
                first + chrono::Months::new(1) - chrono::Duration::days(1)
            };
            s.push_str(&format!("{sku},DC1,{d},{}\n", 40 + (m % 3) * 10));
        }
    }
    s
}

#[test]
fn monthly_dates_plan_in_months_from_the_next_month() {
    // Dated on the 1st or on the last: months, planned as of the 1st of the
    // month after the last one; forecast.csv steps by month.
    for first_of_month in [true, false] {
        let f = Fixture::new();
        f.write("sales.csv", monthly_sales(first_of_month));
        let dir = survives(&f, &[]);
        assert!(dir.ends_with("2025-11-01"), "{}", dir.display());
        let starts: Vec<String> = read_csv(&dir.join("forecast.csv"))
            .into_iter()
            .filter(|r| r["sku"] == "A")
            .map(|r| r["period_start"].clone())
            .take(2)
            .collect();
        assert_eq!(starts, ["2025-11-01", "2025-12-01"]);
        assert!(!warning_kinds(&dir).contains(&"bucket_finer_than_data".to_string()));
        let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
        assert!(!page.contains("class=\"notice\""));
    }
}

#[test]
fn a_bucket_finer_than_the_dates_is_said_on_the_console_page_and_warnings() {
    let f = Fixture::new();
    f.write("sales.csv", monthly_sales(true));
    let out = f.command("run", &f.out(), &["--bucket", "week"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = f.reports()[0].clone();
    assert!(warning_kinds(&dir).contains(&"bucket_finer_than_data".to_string()));
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        page.contains(
            "class=\"notice\">the sales are dated once a month but run.bucket = &quot;week&quot;"
        ),
        "{page}"
    );
    // The console (not --quiet) says it too.
    let loud = common::binary()
        .args(["run", "--bucket", "week", "--data"])
        .arg(f.data())
        .arg("--out")
        .arg(f.dir.path().join("loud"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&loud.stdout);
    assert!(
        said.contains("bucket        week — warning: the sales are dated once a month"),
        "{said}"
    );
}

#[test]
fn weekly_dates_on_mondays_plan_from_the_next_monday() {
    let mut s = String::from("sku,location,date,qty\n");
    let monday = chrono::NaiveDate::from_ymd_opt(2024, 5, 13).unwrap();
    for w in 0..30 {
        s.push_str(&format!(
            "A,DC1,{},{}\n",
            monday - chrono::Duration::weeks(w),
            5 + w % 3
        ));
    }
    let f = Fixture::new();
    f.write("sales.csv", &s);
    let dir = survives(&f, &[]);
    assert!(dir.ends_with("2024-05-20"), "{}", dir.display());
}

#[test]
fn decimal_commas_when_the_config_says_so() {
    // The same quantities as 2,5 and 1.002,0 read like 2.5 and 1002.
    let plain = "sku;date;qty\nA;2024-05-05;2.5\nA;2024-05-12;1002\nA;2024-05-19;3\n";
    let comma = "sku;date;qty\nA;2024-05-05;2,5\nA;2024-05-12;1.002,0\nA;2024-05-19;3\n";
    let plan = |text: &str, config: &str| {
        let f = Fixture::new();
        f.write("sales.csv", text);
        let extra = if config.is_empty() {
            Vec::new()
        } else {
            vec!["--config".to_string(), f.config(config)]
        };
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let dir = survives(&f, &extra);
        std::fs::read_to_string(dir.join("plan.csv")).unwrap()
    };
    assert_eq!(
        plan(comma, "[input]\ndecimal_comma = true\n"),
        plan(plain, "")
    );
    // A decimal point then is bad input, named with its line and column.
    let f = Fixture::new();
    f.write("sales.csv", plain);
    let out = f.run(&["--config", &f.config("[input]\ndecimal_comma = true\n")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("sales.csv, line 2, column `qty`") && err.contains("decimal comma"),
        "{err}"
    );
}

#[test]
fn extra_columns_are_ignored() {
    let f = Fixture::new();
    let mut s = String::from("sku,location,date,qty,channel,comment\n");
    for line in two_skus().lines().skip(1) {
        s.push_str(&format!("{line},web,\"note, with a comma\"\n"));
    }
    f.write("sales.csv", s);
    let dir = survives(&f, &[]);
    assert_eq!(read_csv(&dir.join("plan.csv")).len(), 2);
}

#[test]
fn a_single_sku_with_a_single_row() {
    let f = Fixture::new();
    f.write("sales.csv", "sku,location,date,qty\nA,DC1,2024-05-05,3\n");
    let dir = survives(&f, &[]);
    let row = plan_row(&dir, "A");
    assert_eq!(row["location"], "DC1");
}

#[test]
fn a_series_of_one_bucket_beside_a_long_one() {
    let f = Fixture::new();
    let mut s = two_skus();
    s.push_str("C,DC1,2024-05-19,7\n");
    f.write("sales.csv", s);
    let dir = survives(&f, &[]);
    plan_row(&dir, "C");
}

#[test]
fn an_all_zero_series_orders_nothing() {
    let f = Fixture::new();
    let mut s = two_skus();
    weekly_sales(&mut s, "Z", "DC1", 30, 0.0);
    f.write("sales.csv", s);
    f.write("inventory.csv", "sku,location,on_hand\nZ,DC1,0\n");
    let dir = survives(&f, &[]);
    let row = plan_row(&dir, "Z");
    assert_eq!(row["order_qty"].parse::<f64>().unwrap(), 0.0, "{row:?}");
    assert_eq!(row["forecast_per_period"].parse::<f64>().unwrap(), 0.0);
}

#[test]
fn a_ten_year_gap_in_the_history() {
    let f = Fixture::new();
    let mut s = String::from("sku,location,date,qty\n");
    for week in 0..20 {
        let d =
            chrono::NaiveDate::from_ymd_opt(2014, 6, 1).unwrap() + chrono::Duration::weeks(week);
        s.push_str(&format!("A,DC1,{d},4\n"));
    }
    weekly_sales(&mut s, "A", "DC1", 20, 6.0);
    f.write("sales.csv", s);
    let dir = survives(&f, &[]);
    let row = plan_row(&dir, "A");
    assert!(
        row["forecast_per_period"].parse::<f64>().unwrap() > 0.0,
        "{row:?}"
    );
}

#[test]
fn a_stray_ancient_date_is_left_out_of_a_daily_history() {
    let f = Fixture::new();
    let mut s = two_skus();
    s.push_str("A,DC1,1024-05-12,3\n");
    f.write("sales.csv", s);
    let dir = survives(&f, &["--bucket", "day"]);
    let warnings = read_csv(&dir.join("warnings.csv"));
    let w = warnings
        .iter()
        .find(|w| w["kind"] == "before_history_window")
        .expect("warning");
    assert!(w["message"].starts_with("1 sales rows"), "{w:?}");
    assert_eq!(read_csv(&dir.join("plan.csv")).len(), 2);
}

#[test]
fn returns_are_counted_apart_from_demand() {
    let f = Fixture::new();
    let mut s = two_skus();
    s.push_str("A,DC1,2024-05-12,-3\n");
    f.write("sales.csv", s);
    let dir = survives(&f, &[]);
    assert!(warning_kinds(&dir).contains(&"returns".to_string()));
}

#[test]
fn lead_time_zero_and_moq_zero_are_allowed() {
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write(
        "items.csv",
        "sku,lead_time_days,moq,pack_size\nA,0,0,1\nB,14,0,6\n",
    );
    f.write("inventory.csv", "sku,location,on_hand\nA,DC1,0\nB,DC1,0\n");
    let dir = survives(&f, &[]);
    let b = plan_row(&dir, "B");
    let q: f64 = b["order_qty"].parse().unwrap();
    assert!(q > 0.0 && q % 6.0 == 0.0, "{b:?}");
    assert_eq!(plan_row(&dir, "A")["lead_time_days"], "0");
}

#[test]
fn rows_for_skus_missing_elsewhere_are_listed() {
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write(
        "inventory.csv",
        "sku,location,on_hand\nA,DC1,3\nGHOST,DC1,9\n",
    );
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date\nP1,GHOST,DC1,5,2024-05-01,2024-05-20\n",
    );
    f.write("items.csv", "sku,unit_cost\nA,2\nONLY_IN_ITEMS,3\n");
    let dir = survives(&f, &[]);
    let rejected = read_csv(&dir.join("rejected_rows.csv"));
    let reasons: Vec<(&str, &str, &str)> = rejected
        .iter()
        .map(|r| (r["file"].as_str(), r["line"].as_str(), r["reason"].as_str()))
        .collect();
    assert!(
        reasons.iter().any(|(f, l, r)| f.ends_with("inventory.csv")
            && *l == "3"
            && *r == "inventory_without_history"),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(f, l, r)| f.ends_with("purchase_orders.csv")
                && *l == "2"
                && *r == "po_without_history"),
        "{reasons:?}"
    );
    let ghost = rejected
        .iter()
        .find(|r| r["reason"] == "inventory_without_history")
        .unwrap();
    assert_eq!(ghost["record"], "GHOST,DC1,9");
    // B has no item-master row: planned on the defaults, and said so.
    let kinds = warning_kinds(&dir);
    assert!(kinds.contains(&"no_item_record".to_string()), "{kinds:?}");
    assert!(
        kinds.contains(&"items_without_history".to_string()),
        "{kinds:?}"
    );
    assert_eq!(read_csv(&dir.join("plan.csv")).len(), 2);
}

#[test]
fn duplicate_item_rows_keep_the_last() {
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write("items.csv", "sku,unit_cost\nA,2\nB,1\nB,3\nA,5\n");
    let dir = survives(&f, &[]);
    assert_eq!(plan_row(&dir, "A")["unit_cost"], "5");
    assert_eq!(plan_row(&dir, "B")["unit_cost"], "3");
    assert_eq!(
        rejected(&dir, ["line", "reason", "record"]),
        [
            ["2", "duplicate_item", "A,2"],
            ["3", "duplicate_item", "B,1"]
        ]
    );
}

#[test]
fn duplicate_stock_rows_are_added() {
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write("inventory.csv", "sku,location,on_hand\nA,DC1,3\nA,DC1,4\n");
    let dir = survives(&f, &[]);
    assert_eq!(plan_row(&dir, "A")["on_hand"], "7");
    assert!(warning_kinds(&dir).contains(&"duplicate_inventory".to_string()));
}

#[test]
fn a_po_received_before_it_was_ordered_is_set_aside() {
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date,received_date\n\
         P1,A,DC1,10,2024-04-01,2024-04-20,2024-03-25\n\
         P2,A,DC1,10,2024-04-01,2024-04-20,2024-04-22\n",
    );
    let dir = survives(&f, &[]);
    let rejected = read_csv(&dir.join("rejected_rows.csv"));
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["reason"], "po_received_before_order");
    assert_eq!(rejected[0]["line"], "2");
    assert!(rejected[0]["record"].starts_with("P1,A,DC1,10,"));
}

#[test]
fn blank_lines_are_skipped_and_rows_set_aside_keep_their_text() {
    let f = Fixture::new();
    let mut lines: Vec<String> = two_skus().lines().map(str::to_string).collect();
    lines.insert(10, String::new());
    let mut s = lines.join("\n");
    s.push_str("\n\n");
    f.write("sales.csv", s);
    // Polars parses `on_hand` of this plain file; the record set aside is
    // still quoted as written.
    f.write(
        "inventory.csv",
        "sku,location,on_hand\nA,DC1,3\n\nZ,DC1,003.50\n",
    );
    // Blank lines in a quoted CRLF file are skipped as well.
    f.write(
        "items.csv",
        "sku,description\r\n\r\nA,\"cable, 2 m\"\r\n\r\nB,\"two\r\nlines\"\r\n\r\n",
    );
    let dir = survives(&f, &[]);
    assert_eq!(read_csv(&dir.join("plan.csv")).len(), 2);
    assert_eq!(plan_row(&dir, "A")["on_hand"], "3");
    let rejected = read_csv(&dir.join("rejected_rows.csv"));
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["reason"], "inventory_without_history");
    assert_eq!(rejected[0]["record"], "Z,DC1,003.50");
}

/// Sales with bad rows at lines 5 (qty), 9 (date) and 12 (empty sku) among 60 data rows.
fn dirty_sales() -> String {
    let mut lines: Vec<String> = two_skus().lines().map(str::to_string).collect();
    lines[4] = "A,DC1,2024-01-07,lots".into();
    lines[8] = "A,DC1,07/01/2024,3".into();
    lines[11] = ",DC1,2024-01-14,3".into();
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

#[test]
fn quarantine_sets_bad_history_rows_aside() {
    let f = Fixture::new();
    f.write("sales.csv", dirty_sales());
    let dir = survives(
        &f,
        &[
            "--config",
            &f.config("[input]\nbad_rows = \"quarantine\"\nmax_rejected_share = 0.1\n"),
        ],
    );
    assert_eq!(
        rejected(&dir, ["line", "column", "reason"]),
        [
            ["5", "qty", "bad_value"],
            ["9", "date", "bad_value"],
            ["12", "sku", "bad_value"]
        ]
    );
    let rejected = read_csv(&dir.join("rejected_rows.csv"));
    assert_eq!(rejected[0]["record"], "A,DC1,2024-01-07,lots");
    assert!(
        rejected[1]["message"].contains("YYYY-MM-DD"),
        "{rejected:?}"
    );
    assert!(warning_kinds(&dir).contains(&"rejected_rows".to_string()));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["counts"]["rejected_rows"], 3);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains("input rows not used"),
        "no headline for the rejected rows"
    );
}

#[test]
fn quarantine_still_stops_on_a_mostly_bad_file() {
    let f = Fixture::new();
    f.write("sales.csv", dirty_sales());
    let out = f.run(&[
        "--config",
        &f.config("[input]\nbad_rows = \"quarantine\"\n"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("line 5, column `qty`") && err.contains("3 of 60 rows"),
        "{err}"
    );
    assert!(f.reports().is_empty());
}

#[test]
fn quarantine_does_not_cover_stock_or_purchase_orders() {
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write("inventory.csv", "sku,location,on_hand\nA,DC1,many\n");
    let out = f.run(&[
        "--config",
        &f.config("[input]\nbad_rows = \"quarantine\"\n"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("inventory.csv, line 2, column `on_hand`"),
        "{err}"
    );
}

#[test]
fn with_a_past_as_of_date_purchase_orders_stand_as_they_did_then() {
    // As of 1 May: P1 was received (a lead time), P2 still open (on order),
    // P3 not yet ordered (left out and counted).
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
         P1,A,DC1,10,2024-04-01,2024-04-20,2024-04-25,10\n\
         P2,A,DC1,7,2024-04-10,2024-05-08,2024-05-10,7\n\
         P3,A,DC1,30,2024-05-05,2024-05-25,,\n",
    );
    let dir = survives(&f, &["--as-of", "2024-05-01"]);
    let plan = read_csv(&dir.join("plan.csv"));
    let a = plan.iter().find(|r| r["sku"] == "A").unwrap();
    assert_eq!(a["on_order"].parse::<f64>().unwrap(), 7.0, "{a:?}");
    let warnings = read_csv(&dir.join("warnings.csv"));
    assert!(
        warnings.iter().any(|w| w["kind"] == "after_as_of"
            && w["file"].ends_with("purchase_orders.csv")
            && w["message"].starts_with("1 purchase-order line")),
        "{warnings:?}"
    );
}

#[test]
fn every_series_gets_its_own_chart_file_of_bounded_length() {
    // A 300-character SKU once failed the run ("File name too long"), and
    // A/B and A_B (a b and a_b; x and X on a case-insensitive disk) shared
    // one picture.
    let long = "L".repeat(300);
    let skus = [long.as_str(), "A/B", "A_B", "a b", "a_b", "x", "X"];
    let mut sales = String::from("sku,location,date,qty\n");
    for sku in skus {
        weekly_sales(&mut sales, &format!("\"{sku}\""), "DC1", 30, 5.0);
    }
    let f = Fixture::new();
    f.write("sales.csv", sales);
    let dir = survives(&f, &[]);
    let mut pngs: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png") && !n.starts_with("portfolio"))
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), skus.len(), "{pngs:?}");
    assert!(pngs.iter().all(|n| n.len() <= 100), "{pngs:?}");
    let mut lower: Vec<String> = pngs.iter().map(|n| n.to_lowercase()).collect();
    lower.dedup();
    assert_eq!(lower.len(), pngs.len(), "{pngs:?}");
    // Every series link of the page names a chart that exists.
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let links: Vec<&str> = html
        .split("href=\"charts/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|l| !l.starts_with("portfolio") && !l.starts_with("simulation"))
        .collect();
    assert!(!links.is_empty());
    for l in links {
        assert!(pngs.iter().any(|p| p == l), "{l} linked but not written");
    }
}

#[test]
fn text_cells_a_spreadsheet_would_run_are_neutralised() {
    let skus = ["=HYPERLINK(1)", "+cmd|calc", "@SUM(1)", "A-1"];
    let mut sales = String::from("sku,location,date,qty\n");
    for sku in skus {
        weekly_sales(&mut sales, sku, "DC1", 30, 5.0);
    }
    let f = Fixture::new();
    f.write("sales.csv", sales);
    let dir = survives(&f, &[]);
    let mut written: Vec<String> = read_csv(&dir.join("plan.csv"))
        .into_iter()
        .map(|r| r["sku"].clone())
        .collect();
    written.sort();
    assert_eq!(
        written,
        ["'+cmd|calc", "'=HYPERLINK(1)", "'@SUM(1)", "A-1"],
        "plain names stay as they are"
    );
    assert!(warning_kinds(&dir).contains(&"formula_like_identifier".to_string()));
}

#[test]
fn a_fractional_pack_or_moq_is_listed_with_its_line_and_sku() {
    let f = Fixture::new();
    f.write("sales.csv", two_skus());
    f.write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days,moq,pack_size\nA,S1,2,14,0,2.5\nB,S1,2,14,3.5,1\n",
    );
    let dir = survives(&f, &[]);
    let warnings = read_csv(&dir.join("warnings.csv"));
    let listed: Vec<(String, String, String)> = warnings
        .iter()
        .filter(|w| w["kind"] == "fractional_pack_or_moq")
        .map(|w| (w["line"].clone(), w["sku"].clone(), w["message"].clone()))
        .collect();
    assert_eq!(listed.len(), 2, "{warnings:?}");
    assert_eq!((listed[0].0.as_str(), listed[0].1.as_str()), ("2", "A"));
    assert!(listed[0].2.contains("pack_size 2.5"), "{}", listed[0].2);
    assert_eq!((listed[1].0.as_str(), listed[1].1.as_str()), ("3", "B"));
    assert!(listed[1].2.contains("moq 3.5"), "{}", listed[1].2);
    // An integer pack says nothing.
    let g = Fixture::new();
    g.write("sales.csv", two_skus());
    g.write("items.csv", "sku,supplier,pack_size\nA,S1,12\nB,S1,6\n");
    let dir = survives(&g, &[]);
    assert!(!warning_kinds(&dir).contains(&"fractional_pack_or_moq".to_string()));
}
