//! End-to-end runs on small fixtures whose results can be computed by hand.

mod common;

use common::{Fixture, header, read_csv, stderr, weekly_sales};
use replenish::inventory_theory::inverse_normal_loss;

/// Constant demand of 10 a week, lead time 14 days, review 14 days: the
/// reorder point covers L + R/2 = 21 days.
fn constant_fixture() -> Fixture {
    let f = Fixture::new();
    let mut sales = String::from("sku,location,date,qty\n");
    weekly_sales(&mut sales, "A", "DC1", 20, 10.0);
    weekly_sales(&mut sales, "B", "DC1", 20, 10.0);
    weekly_sales(&mut sales, "C", "DC1", 20, 10.0);
    f.write("sales.csv", sales);
    f.write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days,moq,pack_size,review_period_days\n\
         A,S1,2.5,14,50,12,14\n\
         B,S2,1,14,0,1,14\n\
         C,S1,4,14,0,1,14\n",
    );
    f.write(
        "inventory.csv",
        "sku,location,on_hand,backordered,allocated\n\
         A,DC1,25,0,0\n\
         B,DC1,40,0,5\n\
         C,DC1,0,6,0\n",
    );
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
         P1,B,DC1,20,2024-05-01,2024-05-25,,\n\
         P0,B,DC1,99,2024-03-01,2024-03-20,2024-03-21,99\n",
    );
    f
}

fn plan_row(
    rows: &[std::collections::BTreeMap<String, String>],
    sku: &str,
) -> std::collections::BTreeMap<String, String> {
    rows.iter().find(|r| r["sku"] == sku).expect("row").clone()
}

fn num(row: &std::collections::BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

#[test]
fn constant_demand_reorder_point_rounding_and_position() {
    let f = constant_fixture();
    let out = f.run(&["--config", &f.config(&common::per_series())]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reports = f.reports();
    assert_eq!(
        reports.len(),
        1,
        "one report folder, no leftovers: {reports:?}"
    );
    let dir = &reports[0];
    assert!(
        dir.ends_with("2024-05-20"),
        "as-of = day after the last sale: {dir:?}"
    );
    let plan = read_csv(&dir.join("plan.csv"));
    assert_eq!(plan.len(), 3);

    // The undershoot of a 14-day review at 10/7 a day is about uniform over
    // 20 units: σ = 20/√12, the only spread of constant demand.
    let sigma = 20.0 / 12f64.sqrt();
    let reorder_point =
        |target: f64, q: f64| 30.0 + inverse_normal_loss((1.0 - target) * q / sigma) * sigma;
    // Classes by value (20 weeks × 10 × unit cost): C 800 and A 500 close
    // the first 80 % (class A, 98 % fill), B 200 is class B (95 %).
    // A: L + R/2 = 3 weeks of 10 = 30; one order is 28 days = 40 → MOQ 50 →
    // 60 (packs of 12): G(k) = 0.02 · 60 / σ.
    let a = plan_row(&plan, "A");
    assert_eq!(a["abc"], "A");
    let s_a = reorder_point(0.98, 60.0);
    assert_eq!(num(&a, "lead_time_demand"), 30.0);
    assert!((num(&a, "reorder_point") - s_a).abs() < 1e-3, "{a:?}");
    assert!((num(&a, "safety_stock") - (s_a - 30.0)).abs() < 1e-3);
    assert!((num(&a, "order_up_to") - (s_a + 40.0)).abs() < 1e-3);
    assert_eq!(num(&a, "inventory_position"), 25.0);
    // S − IP = s + 15 → MOQ 50 → 5 packs of 12 = 60.
    assert_eq!(num(&a, "order_qty"), 60.0);
    assert_eq!(a["order_by"], "2024-05-20");
    assert_eq!(a["lead_time_source"], "item_master");

    // B (class B, 95 %, Q = 40): IP = 40 on hand + 20 open PO − 5 allocated
    // = 55 ≥ s: no order yet; the position falls below s after
    // (55 − s) / (10/7) days.
    let b = plan_row(&plan, "B");
    assert_eq!(b["abc"], "B");
    let s_b = reorder_point(0.95, 40.0);
    assert!((num(&b, "reorder_point") - s_b).abs() < 1e-3, "{b:?}");
    assert_eq!(num(&b, "on_order"), 20.0);
    assert_eq!(num(&b, "inventory_position"), 55.0);
    assert_eq!(num(&b, "order_qty"), 0.0);
    let below = ((55.0 - s_b) * 0.7).floor() as i64 + 1;
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 5, 20).unwrap();
    assert_eq!(
        b["order_by"],
        (as_of + chrono::Duration::days(below)).to_string()
    );

    // C (class A, 98 %): open backorders of 6 and nothing on hand: IP = −6,
    // order S − IP = s + 40 + 6, rounded up to whole units.
    let c = plan_row(&plan, "C");
    assert_eq!(c["abc"], "A");
    let c_qty = (reorder_point(0.98, 40.0) + 46.0).ceil();
    assert_eq!(num(&c, "inventory_position"), -6.0);
    assert_eq!(num(&c, "order_qty"), c_qty);
    assert!(c["flags"].contains("backordered"), "{}", c["flags"]);
    assert_eq!(c["projected_stockout"], "2024-05-20");
    assert_eq!(num(&c, "stockout_risk"), 1.0);

    // orders.csv: the two lines, grouped by supplier.
    let orders = read_csv(&dir.join("orders.csv"));
    let lines: Vec<(String, String, String)> = orders
        .iter()
        .map(|o| (o["supplier"].clone(), o["sku"].clone(), o["qty"].clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("S1".into(), "A".into(), "60".into()),
            ("S1".into(), "C".into(), c_qty.to_string())
        ]
    );
    assert_eq!(orders[0]["extended_cost"], "150");
    assert_eq!(orders[0]["needed_by"], "2024-06-03");
    // Supplier totals: S1 orders 60 × 2.5 + C's line × 4.
    let totals = read_csv(&dir.join("orders_by_supplier.csv"));
    assert_eq!(totals.len(), 1);
    assert_eq!(
        (
            totals[0]["supplier"].as_str(),
            totals[0]["lines"].as_str(),
            num(&totals[0], "units"),
            num(&totals[0], "value")
        ),
        ("S1", "2", 60.0 + c_qty, 150.0 + 4.0 * c_qty)
    );
}

#[test]
fn report_has_every_file_and_column() {
    let f = constant_fixture();
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    for file in [
        "plan.csv",
        "orders.csv",
        "orders.xlsx",
        "exceptions.csv",
        "forecast.csv",
        "accuracy.csv",
        "warnings.csv",
        "rejected_rows.csv",
        "availability.csv",
        "orders_by_supplier.csv",
        "supplier_scorecard.csv",
        "run.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let plan = header(&dir.join("plan.csv"));
    for col in [
        "sku",
        "location",
        "abc",
        "xyz",
        "pattern",
        "model",
        "forecast_per_period",
        "lead_time_days",
        "lead_time_demand",
        "lead_time_demand_sd",
        "safety_stock",
        "reorder_point",
        "order_up_to",
        "on_hand",
        "on_order",
        "backordered",
        "inventory_position",
        "order_qty",
        "order_by",
        "projected_stockout",
        "stockout_risk",
        "days_of_cover",
        "service_type",
        "service_target",
        "expected_fill_rate",
        "demand_distribution",
        "cycle_order_qty",
        "cycle_order_source",
        "uncovered_backorders",
        "flags",
    ] {
        assert!(plan.contains(&col.to_string()), "plan.csv lacks {col}");
    }
    assert_eq!(
        header(&dir.join("forecast.csv")),
        [
            "sku",
            "location",
            "period_start",
            "mean",
            "p10",
            "p50",
            "p90"
        ]
    );
    let forecast = read_csv(&dir.join("forecast.csv"));
    assert_eq!(forecast[0]["period_start"], "2024-05-20");
    assert_eq!(forecast[0]["mean"], "10");
    // A chart per series, PNG only by default (`report.chart_formats`).
    for sku in ["A", "B", "C"] {
        let png = std::fs::read(dir.join(format!("charts/{sku}__DC1.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(!dir.join(format!("charts/{sku}__DC1.svg")).exists());
    }
    // Three series charts and four portfolio charts (patterns, models,
    // inventory value, suppliers).
    assert_eq!(std::fs::read_dir(dir.join("charts")).unwrap().count(), 7);
    assert!(dir.join("index.html").is_file());
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["as_of"], "2024-05-20");
    assert_eq!(run["counts"]["series"], 3);
    assert_eq!(run["counts"]["order_lines"], 2);
    assert_eq!(run["inputs"].as_array().unwrap().len(), 4);
    assert_eq!(run["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let f = constant_fixture();
    // A less regular series too, so that models and spreads differ.
    let mut sales = std::fs::read_to_string(f.data().join("sales.csv")).unwrap();
    for w in 0..30 {
        let d = chrono::NaiveDate::from_ymd_opt(2023, 10, 22).unwrap() + chrono::Duration::weeks(w);
        sales.push_str(&format!("D,DC2,{d},{}\n", (w * 7919) % 13));
    }
    f.write("sales.csv", sales);
    let one = f.dir.path().join("one");
    let two = f.dir.path().join("two");
    for (dir, threads) in [(&one, "1"), (&two, "2")] {
        let out = f.run_into(dir, &["--threads", threads]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let a = one.join("2024-05-20");
    let b = two.join("2024-05-20");
    for file in [
        "plan.csv",
        "orders.csv",
        "orders.xlsx",
        "exceptions.csv",
        "forecast.csv",
        "accuracy.csv",
        "warnings.csv",
        "rejected_rows.csv",
        "availability.csv",
        "orders_by_supplier.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file} differs"
        );
    }
    let strip = |p: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("timings_seconds");
        v["config"]["run"]["out"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&a.join("run.json")), strip(&b.join("run.json")));
}

#[test]
fn backorders_count_as_demand() {
    // Shipments of 6 a week, plus 4 a week backordered: demand is 10 a week.
    let f = Fixture::new();
    let mut sales = String::from("sku,date,qty\n");
    let mut backorders = String::from("sku,date,qty\n");
    let end = chrono::NaiveDate::from_ymd_opt(2024, 5, 19).unwrap();
    for w in 0..20 {
        let d = end - chrono::Duration::weeks(w);
        sales.push_str(&format!("X,{d},6\n"));
        backorders.push_str(&format!("X,{d},4\n"));
    }
    f.write("sales.csv", sales)
        .write("backorders.csv", backorders);
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = read_csv(&f.reports()[0].join("plan.csv"));
    assert_eq!(plan[0]["location"], "main");
    assert_eq!(num(&plan[0], "forecast_per_period"), 10.0);
    assert!(plan[0]["flags"].contains("no_inventory_record"));
    // Config defaults: lead time 28 + half the review of 7 = 31.5 days of 10 a week.
    assert_eq!(num(&plan[0], "lead_time_demand"), 45.0);
    assert_eq!(plan[0]["lead_time_source"], "config_default");
}

#[test]
fn rerun_replaces_the_report_and_as_of_is_respected() {
    let f = constant_fixture();
    assert!(f.run(&[]).status.success());
    assert!(f.run(&[]).status.success());
    let out = f.run(&["--as-of", "2024-05-13"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = f
        .reports()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["2024-05-13", "2024-05-20"]);
    let warnings = read_csv(&f.reports()[0].join("warnings.csv"));
    assert!(
        warnings.iter().any(|w| w["kind"] == "after_as_of"),
        "{warnings:?}"
    );
}

#[test]
fn lead_time_comes_from_received_purchase_orders() {
    let f = constant_fixture();
    // Three received lines for A: 10, 14 and 18 days from order to receipt.
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
         P1,A,DC1,5,2024-01-01,2024-01-15,2024-01-11,5\n\
         P2,A,DC1,5,2024-02-01,2024-02-15,2024-02-15,5\n\
         P3,A,DC1,5,2024-03-01,2024-03-15,2024-03-19,5\n\
         P4,B,DC1,5,2024-03-01,2024-03-15,2024-03-19,5\n",
    );
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = read_csv(&f.reports()[0].join("plan.csv"));
    let a = plan_row(&plan, "A");
    assert_eq!(a["lead_time_source"], "purchase_orders");
    assert_eq!(num(&a, "lead_time_days"), 14.0);
    assert_eq!(num(&a, "lead_time_sd_days"), 4.0);
    // One received line is too few: B keeps the item master's 14 days.
    let b = plan_row(&plan, "B");
    assert_eq!(b["lead_time_source"], "item_master");
}

#[test]
fn exceptions_list_backorders_overdue_orders_and_excess() {
    let f = constant_fixture();
    f.write(
        "inventory.csv",
        "sku,location,on_hand,backordered,allocated\n\
         A,DC1,25,0,0\n\
         B,DC1,1000,0,0\n\
         C,DC1,0,6,0\n",
    );
    // An open line for A that was due before the as-of date 2024-05-20; B's
    // received lines took 10, 11, 12, 10 and 40 days (median 11, MAD 1: 40 is
    // beyond 11 + max(3 · 1.4826, 5.5)).
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
         P9,A,DC1,12,2024-04-01,2024-05-01,,\n\
         Q1,B,DC1,5,2024-01-01,2024-01-11,2024-01-11,5\n\
         Q2,B,DC1,5,2024-02-01,2024-02-11,2024-02-12,5\n\
         Q3,B,DC1,5,2024-02-10,2024-02-20,2024-02-22,5\n\
         Q4,B,DC1,5,2024-03-01,2024-03-11,2024-03-11,5\n\
         Q5,B,DC1,5,2024-03-05,2024-03-15,2024-04-14,5\n",
    );
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    let rows = read_csv(&dir.join("exceptions.csv"));
    let found: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r["sku"].clone(), r["exception"].clone(), r["value"].clone()))
        .collect();
    assert!(
        found.contains(&("A".into(), "overdue_purchase_order".into(), "12".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("B".into(), "lead_time_outlier".into(), "40".into())),
        "{found:?}"
    );
    let outlier = rows
        .iter()
        .find(|r| r["exception"] == "lead_time_outlier")
        .unwrap();
    assert!(outlier["detail"].contains("PO Q5"), "{outlier:?}");
    // 1000 units at 10 a week: 700 days of cover.
    assert!(
        found.contains(&("B".into(), "excess".into(), "700".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("C".into(), "backordered_now".into(), "6".into())),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, kind, _)| kind == "dead_stock"),
        "{found:?}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["exceptions"]["excess"], 1);
}

/// Backordered items C (PO due after the lead time) and D (PO due within it),
/// and a slow mover E selling one unit a week.
fn backorder_fixture(d_due: &str) -> Fixture {
    let f = constant_fixture();
    let mut sales = String::from("sku,location,date,qty\n");
    for sku in ["A", "B", "C", "D"] {
        weekly_sales(&mut sales, sku, "DC1", 20, 10.0);
    }
    weekly_sales(&mut sales, "E", "DC1", 20, 1.0);
    f.write("sales.csv", sales);
    f.write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days,moq,pack_size,review_period_days,service_level\n\
         A,S1,2.5,14,50,12,14,\n\
         B,S2,1,14,0,1,14,\n\
         C,S1,4,14,0,1,14,\n\
         D,S1,4,14,0,1,14,\n\
         E,S2,1,14,0,1,14,0.95\n",
    );
    f.write(
        "inventory.csv",
        "sku,location,on_hand,backordered,allocated\n\
         A,DC1,25,0,0\n\
         B,DC1,40,0,5\n\
         C,DC1,0,6,0\n\
         D,DC1,0,6,0\n\
         E,DC1,10,0,0\n",
    );
    f.write(
        "purchase_orders.csv",
        format!(
            "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
             P1,B,DC1,20,2024-05-01,2024-05-25,,\n\
             P2,C,DC1,100,2024-05-01,2024-07-15,,\n\
             P3,D,DC1,100,2024-05-01,{d_due},,\n"
        ),
    );
    f
}

#[test]
fn backorders_always_get_a_covering_line() {
    let f = backorder_fixture("2024-05-25");
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    let plan = read_csv(&dir.join("plan.csv"));
    // C: IP = 100 − 6 = 94 is far above s = 30, but the PO lands on 2024-07-15,
    // after an order placed today (lead time 14 days): a line for the 6 waiting.
    let c = plan_row(&plan, "C");
    assert_eq!(num(&c, "inventory_position"), 94.0);
    assert_eq!(num(&c, "uncovered_backorders"), 6.0);
    assert_eq!(num(&c, "order_qty"), 6.0);
    assert!(c["flags"].contains("covers_backorders"), "{}", c["flags"]);
    assert!(
        !c["flags"].contains("below_reorder_point"),
        "{}",
        c["flags"]
    );
    // D: the PO is due on 2024-05-25, within the lead time: no line.
    let d = plan_row(&plan, "D");
    assert_eq!(num(&d, "uncovered_backorders"), 0.0);
    assert_eq!(num(&d, "order_qty"), 0.0);

    let avail = read_csv(&dir.join("availability.csv"));
    let row = |sku: &str| avail.iter().find(|r| r["sku"] == sku).unwrap().clone();
    // A: 25 on hand at 10/7 a day last 17.5 days, longer than the lead time.
    assert_eq!(row("A")["status"], "in_stock");
    assert_eq!(row("A")["available_to_promise"], "25");
    assert_eq!(row("A")["expected_stockout"], "2024-06-06");
    // B: 40 on hand − 5 allocated.
    assert_eq!(row("B")["available_to_promise"], "35");
    // C: −6 − 56 days × 10/7 + 100 > 0 on 2024-07-15 (the 6 ordered today do
    // not clear the 26 waiting by 2024-06-03).
    let c = row("C");
    assert_eq!(c["status"], "backordered");
    assert_eq!(c["available_to_promise"], "0");
    assert_eq!(c["backordered"], "6");
    assert_eq!(c["back_in_stock"], "2024-07-15");
    assert_eq!(c["back_in_stock_by"], "purchase_order");
    assert_eq!(row("D")["back_in_stock"], "2024-05-25");
}

#[test]
fn slow_mover_demand_from_its_history_or_poisson_on_its_forecast() {
    let f = backorder_fixture("2024-05-25");
    let out = f.run(&["--config", &f.config(&common::per_series())]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = read_csv(&f.reports()[0].join("plan.csv"));
    // E sold exactly one a week: its demand process has no spread. Over
    // L = 2 weeks and L + R = 4 weeks it is 2 and 4; with Q = 4 the
    // positions after a review run from s to s + 4, and s = 4 leaves none short.
    let e = plan_row(&plan, "E");
    assert_eq!(e["demand_distribution"], "compound");
    assert_eq!(num(&e, "lead_time_demand"), 3.0);
    assert_eq!(num(&e, "lead_time_demand_sd"), 0.0);
    assert_eq!(num(&e, "reorder_point"), 4.0);
    assert_eq!(num(&e, "order_up_to"), 8.0);
    assert_eq!(num(&e, "expected_fill_rate"), 1.0);
    assert_eq!(num(&e, "order_qty"), 0.0);

    // The negative binomial on the forecast, as before issue 17.
    let config = f.config(&format!(
        "[policy]\nslow_mover_demand = \"forecast\"\n{}",
        common::PER_SERIES_KEYS
    ));
    let out = f.run(&["--config", &config]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = read_csv(&f.reports()[0].join("plan.csv"));
    // E: one a week, L + R/2 = 3 weeks: Poisson(3). Fill rate 95 % with
    // Q = 28 days = 4 units: smallest s with E[(X − s)⁺] ≤ 0.2 is 5
    // (E[(X − 4)⁺] = 0.319, E[(X − 5)⁺] = 0.135).
    let e = plan_row(&plan, "E");
    assert_eq!(e["demand_distribution"], "poisson");
    assert_eq!(e["service_type"], "fill_rate");
    assert_eq!(num(&e, "service_target"), 0.95);
    assert_eq!(num(&e, "lead_time_demand"), 3.0);
    assert_eq!(num(&e, "reorder_point"), 5.0);
    assert_eq!(num(&e, "safety_stock"), 2.0);
    assert_eq!(num(&e, "order_up_to"), 9.0);
    assert_eq!(num(&e, "expected_fill_rate"), 0.966);
    // IP 10 ≥ 5: no order.
    assert_eq!(num(&e, "order_qty"), 0.0);
}

#[test]
fn later_back_in_stock_dates_are_listed_as_delays() {
    let f = backorder_fixture("2024-05-25");
    let out = f.run(&["--as-of", "2024-05-13"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A week later the supplier has moved D's PO to 2024-06-10.
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
         P1,B,DC1,20,2024-05-01,2024-05-25,,\n\
         P2,C,DC1,100,2024-05-01,2024-07-15,,\n\
         P3,D,DC1,100,2024-05-01,2024-06-10,,\n",
    );
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reports = f.reports();
    assert_eq!(reports.len(), 2);
    let first = read_csv(&reports[0].join("availability.csv"));
    let d0 = first.iter().find(|r| r["sku"] == "D").unwrap();
    assert_eq!(d0["back_in_stock"], "2024-05-25");
    let avail = read_csv(&reports[1].join("availability.csv"));
    let d = avail.iter().find(|r| r["sku"] == "D").unwrap();
    assert_eq!(d["back_in_stock"], "2024-06-10");
    assert_eq!(d["previous_back_in_stock"], "2024-05-25");
    assert_eq!(d["delay_days"], "16");
    let c = avail.iter().find(|r| r["sku"] == "C").unwrap();
    assert_eq!(c["delay_days"], "", "C's date did not move");
    let exceptions = read_csv(&reports[1].join("exceptions.csv"));
    let delayed: Vec<_> = exceptions
        .iter()
        .filter(|r| r["exception"] == "back_in_stock_delayed")
        .map(|r| (r["sku"].as_str(), r["value"].as_str()))
        .collect();
    assert_eq!(delayed, [("D", "16")]);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports[1].join("run.json")).unwrap())
            .unwrap();
    assert_eq!(run["previous_report"], "2024-05-13");
    assert_eq!(run["counts"]["back_in_stock_delays"], 1);
}

#[test]
fn order_quantity_is_the_eoq_when_costs_are_known() {
    let f = constant_fixture();
    let out = f.run(&[
        "--config",
        &f.config(&format!(
            "[policy]\norder_cost = 50\nholding_rate = 0.25\n{}",
            common::PER_SERIES_KEYS
        )),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = read_csv(&f.reports()[0].join("plan.csv"));
    // A: 10/7 a day, unit cost 2.5: EOQ = √(2 · 50 · 10/7 / (0.25 · 2.5 / 365)).
    let a = plan_row(&plan, "A");
    let eoq = (2.0f64 * 50.0 * (10.0 / 7.0) / (0.25 * 2.5 / 365.0)).sqrt();
    assert_eq!(a["cycle_order_source"], "eoq");
    assert!((num(&a, "cycle_order_qty") - eoq).abs() < 1e-3, "{a:?}");
    // Fill rate 98 % with Q = 288.8 → 25 packs of 12 = 300: a reorder point
    // below the 30 of lead-time demand.
    let sigma = 20.0 / 12f64.sqrt();
    let s = 30.0 + inverse_normal_loss(0.02 * 300.0 / sigma) * sigma;
    assert!((num(&a, "reorder_point") - s).abs() < 1e-3, "{a:?}");
    assert!((num(&a, "order_up_to") - (s + eoq)).abs() < 1e-3);
    // IP 25 is above s = 24.5: no order yet.
    assert!(s < 25.0);
    assert_eq!(num(&a, "order_qty"), 0.0);
}

#[test]
fn a_replenish_toml_in_the_working_folder_is_used_and_the_console_says_which_config() {
    let f = constant_fixture();
    let run_in = |dir: &std::path::Path| {
        common::binary()
            .current_dir(dir)
            .args(["run", "--data"])
            .arg(f.data())
            .arg("--out")
            .arg(f.out())
            .output()
            .expect("run the binary")
    };
    // No config anywhere: the defaults, said so.
    let bare = tempfile::tempdir().unwrap();
    let out = run_in(bare.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let console = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(console.contains("built-in defaults"), "{console}");
    assert!(console.contains("(week buckets)"), "{console}");
    // replenish.toml beside: found, said and applied.
    let with = tempfile::tempdir().unwrap();
    std::fs::write(
        with.path().join("replenish.toml"),
        "[run]\nbucket = \"day\"\n",
    )
    .unwrap();
    let out = run_in(with.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let console = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        console.contains("replenish.toml (found in the working folder)"),
        "{console}"
    );
    assert!(console.contains("(day buckets)"), "{console}");
    // --config wins over the file in the working folder.
    let given = f.config("[run]\nbucket = \"week\"\n");
    let out = common::binary()
        .current_dir(with.path())
        .args(["run", "--data"])
        .arg(f.data())
        .arg("--out")
        .arg(f.out())
        .args(["--config", &given])
        .output()
        .expect("run the binary");
    let console = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        console.contains(&format!("config        {given}")),
        "{console}"
    );
    assert!(console.contains("(week buckets)"), "{console}");
}

#[test]
fn the_help_names_the_folders_the_commands_write_and_their_defaults() {
    let help = |sub: &str| {
        let out = common::binary()
            .args([sub, "--help"])
            .output()
            .expect("run the binary");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let simulate = help("simulate");
    assert!(
        simulate.contains("OUT/<as-of date>-simulation/"),
        "{simulate}"
    );
    let run = help("run");
    for default in ["data/sample", "reports", "replenish.toml"] {
        assert!(run.contains(default), "{default} in {run}");
    }
    let top = help("help");
    assert!(!top.contains("../shared"), "{top}");
    // What the help says simulate writes is where it writes.
    let f = constant_fixture();
    let out = f.command("simulate", &f.out(), &["--origin", "2024-04-01"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written: Vec<String> = std::fs::read_dir(f.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        written.iter().any(|n| n.ends_with("-simulation")),
        "{written:?}"
    );
}

/// The panel keeps each bucket's price and promotion only for the global
/// model; its demand is the same either way.
#[test]
fn the_panel_keeps_prices_and_promotions_only_when_asked() {
    use replenish::demand::{Panel, PricePromo};
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty,price,promo\n\
         A,DC1,2024-05-06,3,2.5,1\n\
         A,DC1,2024-05-14,2,2.0,0\n",
    );
    let config = replenish::config::Config::default();
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 5, 20);
    let data = replenish::ingest::load(&f.data(), &config, as_of).unwrap();
    let kept = Panel::build(&data, data.bucket, PricePromo::Kept);
    let dropped = Panel::build(&data, data.bucket, PricePromo::Dropped);
    let (k, d) = (&kept.series[0], &dropped.series[0]);
    assert_eq!(k.demand, vec![3.0, 2.0]);
    assert_eq!(d.demand, k.demand);
    assert_eq!(k.price, vec![2.5, 2.0]);
    assert_eq!(k.promo, vec![1.0, 0.0]);
    assert!(d.price.is_empty() && d.promo.is_empty());
    assert_eq!(PricePromo::when_global(false), PricePromo::Dropped);
}
