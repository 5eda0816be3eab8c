//! Slow and lumpy movers (issue 17): discontinuation read against an item's
//! own rhythm, the item master's lifecycle status, no order for a collapsed
//! item, and a reorder point for a part that sells every few months.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Fixture, read_csv, stderr};

type Row = BTreeMap<String, String>;

fn plan(f: &Fixture) -> Vec<Row> {
    let reports = f.reports();
    let dir = reports.last().expect("a report folder");
    read_csv(&dir.join("plan.csv"))
}

fn row<'a>(rows: &'a [Row], sku: &str) -> &'a Row {
    rows.iter()
        .find(|r| r["sku"] == sku)
        .unwrap_or_else(|| panic!("no plan row for {sku}"))
}

fn num(row: &Row, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

fn run_ok(f: &Fixture, extra: &[&str]) -> Vec<Row> {
    let out = f.run(extra);
    assert!(out.status.success(), "{}", stderr(&out));
    plan(f)
}

/// The lines of a committed sample file whose first column is `sku`, with its header.
fn sample_rows(file: &str, sku: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/sample")
        .join(file);
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next()?);
    let sku_col = out
        .trim_end()
        .split(',')
        .position(|c| c == "sku")
        .expect("sku column");
    for line in lines.filter(|l| l.split(',').nth(sku_col) == Some(sku)) {
        out.push_str(line);
        out.push('\n');
    }
    Some(out)
}

/// SKU-00077 of the sample sold 20–120 a week for 2.5 years and nothing
/// since June; its backtest spread from the old level once made a reorder
/// point of 3,235 and an order of 2,768 units, while the same run flagged
/// its stock excess.
#[test]
fn the_samples_collapsed_item_gets_no_order() {
    let f = Fixture::new();
    for file in [
        "sales.csv",
        "inventory.csv",
        "items.csv",
        "purchase_orders.csv",
    ] {
        f.write(file, sample_rows(file, "SKU-00077").expect(file));
    }
    let rows = run_ok(&f, &["--as-of", "2026-11-22"]);
    let dc1 = rows
        .iter()
        .find(|r| r["sku"] == "SKU-00077" && r["location"] == "DC1")
        .expect("SKU-00077 DC1");
    assert_eq!(num(dc1, "order_qty"), 0.0, "{dc1:?}");
    assert_eq!(dc1["lifecycle"], "discontinued", "{dc1:?}");
    assert!(dc1["lifecycle_reason"].contains("no demand for"), "{dc1:?}");
    assert_eq!(num(dc1, "reorder_point"), 0.0);
}

/// Monthly sales of one unit every five months for three years, the last
/// six months ago.
fn every_five_months() -> String {
    let mut sales = String::from("sku,date,qty\n");
    let (mut year, mut month) = (2021, 1);
    let mut last = String::new();
    for i in 0..36 {
        if i % 5 == 0 {
            last = format!("{year}-{month:02}-15");
            sales.push_str(&format!("P5,{last},1\n"));
        }
        month += 1;
        if month > 12 {
            (year, month) = (year + 1, 1);
        }
    }
    assert_eq!(last, "2023-12-15");
    sales
}

#[test]
fn a_part_sold_every_five_months_keeps_a_reorder_point_after_six_quiet_months() {
    let f = Fixture::new();
    f.write("sales.csv", every_five_months());
    f.write("inventory.csv", "sku,on_hand\nP5,0\n");
    let config = f.config(
        "[run]\nbucket = \"month\"\n[policy]\nlead_time_days = 30\nreview_period_days = 30\n",
    );
    let rows = run_ok(&f, &["--config", &config, "--as-of", "2024-07-01"]);
    let p5 = row(&rows, "P5");
    assert_eq!(p5["lifecycle"], "active", "{p5:?}");
    assert!(num(p5, "reorder_point") >= 1.0, "{p5:?}");
    assert!(num(p5, "lead_time_demand_sd") > 0.0, "{p5:?}");
    assert!(num(p5, "order_qty") >= 1.0, "{p5:?}");
    assert_eq!(p5["demand_distribution"], "compound", "{p5:?}");
}

#[test]
fn a_weekly_seller_quiet_for_nine_months_is_discontinued() {
    let f = Fixture::new();
    let mut sales = String::from("sku,date,qty\n");
    let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    for w in 0..104 {
        let d = start + chrono::Duration::weeks(w);
        sales.push_str(&format!("W,{d},{}\n", 10 + w % 7));
        sales.push_str(&format!("K,{d},{}\n", 10 + w % 5));
    }
    // K keeps selling; W stops for 39 weeks.
    for w in 104..143 {
        let d = start + chrono::Duration::weeks(w);
        sales.push_str(&format!("K,{d},{}\n", 10 + w % 5));
    }
    f.write("sales.csv", sales);
    f.write("inventory.csv", "sku,on_hand\nW,0\nK,0\n");
    let rows = run_ok(&f, &[]);
    let w = row(&rows, "W");
    assert_eq!(w["lifecycle"], "discontinued", "{w:?}");
    assert!(
        w["lifecycle_reason"].contains("no demand for 39 week"),
        "{w:?}"
    );
    assert_eq!(num(w, "order_qty"), 0.0);
    let k = row(&rows, "K");
    assert_eq!(k["lifecycle"], "active");
    assert!(num(k, "order_qty") > 0.0);
}

/// Three items selling steadily; the item master retires one and phases
/// another out, each with open customer backorders.
fn lifecycle_fixture(statuses: &str) -> Fixture {
    let f = Fixture::new();
    let mut sales = String::from("sku,location,date,qty\n");
    for sku in ["D", "P", "A"] {
        common::weekly_sales(&mut sales, sku, "DC1", 30, 10.0);
    }
    f.write("sales.csv", sales);
    f.write(
        "inventory.csv",
        "sku,location,on_hand,backordered\nD,DC1,0,5\nP,DC1,0,7\nA,DC1,0,0\n",
    );
    f.write("items.csv", statuses);
    f
}

#[test]
fn the_item_masters_lifecycle_decides_what_is_ordered() {
    let f = lifecycle_fixture(
        "sku,unit_cost,moq,pack_size,status,successor_sku\n\
         D,2,0,1,discontinued,D2\n\
         P,2,0,1,Phase-Out,\n\
         A,2,0,1,,\n",
    );
    let rows = run_ok(&f, &[]);
    let d = row(&rows, "D");
    assert_eq!(d["lifecycle"], "discontinued");
    assert_eq!(d["lifecycle_reason"], "item master");
    assert_eq!(d["successor_sku"], "D2");
    assert_eq!(num(d, "order_qty"), 0.0, "no line even for backorders");
    let p = row(&rows, "P");
    assert_eq!(p["lifecycle"], "phase_out");
    assert_eq!(num(p, "order_qty"), 7.0, "exactly the open backorders");
    assert_eq!(num(p, "reorder_point"), 0.0);
    let a = row(&rows, "A");
    assert_eq!(a["lifecycle"], "active");
    assert!(num(a, "order_qty") > 7.0);
    let reports = f.reports();
    let orders = read_csv(&reports.last().unwrap().join("orders.csv"));
    assert!(orders.iter().all(|o| o["sku"] != "D"), "{orders:?}");
    assert!(orders.iter().any(|o| o["sku"] == "P"));
}

#[test]
fn an_unknown_lifecycle_status_is_bad_input() {
    let f = lifecycle_fixture("sku,status\nD,retired\n");
    let out = f.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    for part in ["items.csv", "line 2", "column `status`", "retired"] {
        assert!(err.contains(part), "message lacks {part:?}: {err}");
    }
}

/// `policy.auto_calibrate`: the run replays its policy over the 26 weeks
/// before the plan and plans each class at the target that achieved the
/// configured one; run.json and plan.csv say so.
#[test]
fn auto_calibrate_plans_each_class_at_the_target_its_replay_needed() {
    let f = Fixture::new();
    let mut sales = String::from("sku,location,date,qty\n");
    let end = chrono::NaiveDate::from_ymd_opt(2024, 5, 19).unwrap();
    for w in (0..80).rev() {
        let d = end - chrono::Duration::weeks(w);
        let b = 20 + (w * 37) % 11;
        sales.push_str(&format!("A,DC1,{d},{}\nB,DC1,{d},{b}\n", 30 + w % 3));
        if w % 4 == 0 {
            sales.push_str(&format!("C,DC1,{d},{}\n", 1 + w % 3));
        }
    }
    f.write("sales.csv", sales);
    // Per-series targets: each series planned at its class's calibrated one.
    let config = f.config(&format!(
        "[policy]\nauto_calibrate = true\nlead_time_days = 14\n{}",
        common::PER_SERIES_KEYS
    ));
    let rows = run_ok(&f, &["--config", &config]);
    let dir = f.reports().pop().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let calibration = json["service_calibration"].as_object().expect("calibrated");
    assert!(!calibration.is_empty(), "{json}");
    for row in &rows {
        let class = &row["abc"];
        let planned = calibration[class.as_str()]["planned"].as_f64().unwrap();
        assert_eq!(
            calibration[class.as_str()]["configured"].as_f64().unwrap(),
            num(row, "service_target")
        );
        assert!(
            (num(row, "planned_target") - planned).abs() < 1e-3,
            "{row:?}"
        );
        assert!((0.5..=0.999).contains(&planned));
    }
    // The replay of `simulate` tunes on the window before its own origin.
    let out = f.command("simulate", &f.out(), &["--config", &config]);
    assert!(out.status.success(), "{}", stderr(&out));
}
