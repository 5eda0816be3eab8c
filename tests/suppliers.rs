//! The supplier scorecard from purchase-order lines, by hand, and the
//! supplier's lead time for an item with no receipts of its own.

mod common;

use common::{Fixture, read_csv, stderr};

/// Supplier S1 at DC1: seven lines received in the last year (A: four, B:
/// three), one old line, two open (one overdue); C is S1's too, with no
/// purchase orders of its own. The plan is made on 2024-05-20.
fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write("sales.csv", common::steady_sales(&["A", "B", "C"]));
    f.write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days\n\
         A,S1,2,10\n\
         B,S1,3,10\n\
         C,S1,1,5\n",
    );
    f.write(
        "purchase_orders.csv",
        "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
         P1,A,DC1,10,2024-01-01,2024-01-15,2024-01-15,10\n\
         P2,A,DC1,10,2024-02-01,2024-02-15,2024-02-20,10\n\
         P3,A,DC1,10,2024-03-01,2024-03-15,2024-03-14,8\n\
         P4,A,DC1,10,2024-04-01,2024-04-15,2024-04-25,\n\
         P5,B,DC1,20,2024-02-10,2024-02-24,2024-02-24,20\n\
         P6,B,DC1,20,2024-03-10,2024-03-24,2024-03-30,20\n\
         P7,B,DC1,20,2024-04-20,2024-05-04,2024-05-04,20\n\
         P8,B,DC1,20,2024-05-01,2024-05-10,,\n\
         P9,B,DC1,20,2024-05-15,2024-06-01,,\n\
         P0,B,DC1,20,2023-01-01,2023-01-15,2023-01-20,20\n",
    );
    f
}

fn num(row: &std::collections::BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

#[test]
fn scorecard_by_hand() {
    let f = fixture();
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    let cards = read_csv(&dir.join("supplier_scorecard.csv"));
    assert_eq!(cards.len(), 1);
    let c = &cards[0];
    assert_eq!(
        (c["supplier"].as_str(), c["location"].as_str()),
        ("S1", "DC1")
    );
    // Lead times 14, 19, 13, 24, 14, 20, 14; days late 0, 5, 0, 10, 0, 6, 0.
    let expected = [
        ("lines_received", 7.0),
        ("units_received", 98.0),
        ("spend", 38.0 * 2.0 + 60.0 * 3.0),
        ("on_time_share", 4.0 / 7.0),
        ("in_full_share", 6.0 / 7.0),
        ("days_late_mean", 3.0),
        ("days_late_p90", 7.6),
        ("lead_time_mean", 118.0 / 7.0),
        ("lead_time_sd", (104.857_142_857 / 6.0f64).sqrt()),
        ("lead_time_p90", 21.6),
        // Received since 2024-02-20: 19, 13, 24, 14, 20, 14.
        ("lead_time_change_90d", 104.0 / 6.0 - 118.0 / 7.0),
        ("open_lines", 2.0),
        ("open_lines_overdue", 1.0),
    ];
    for (col, want) in expected {
        assert!(
            (num(c, col) - want).abs() < 1e-3,
            "{col}: {} vs {want}",
            c[col]
        );
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("Supplier scorecard"));
}

#[test]
fn an_item_without_receipts_takes_its_suppliers_lead_time() {
    let f = fixture();
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = read_csv(&f.reports()[0].join("plan.csv"));
    let row = |sku: &str| plan.iter().find(|r| r["sku"] == sku).unwrap();
    // C: every S1 receipt at DC1 (the old line's 19 days too), not its item master's 5.
    let c = row("C");
    assert_eq!(c["lead_time_source"], "supplier");
    assert!(
        (num(c, "lead_time_days") - 137.0 / 8.0).abs() < 1e-3,
        "{c:?}"
    );
    // A has four receipts of its own.
    assert_eq!(row("A")["lead_time_source"], "purchase_orders");
}

#[test]
fn orders_fall_on_the_suppliers_order_days() {
    let f = fixture();
    // 2024-05-20 is a Monday: S1 takes orders on Tuesdays and Fridays.
    f.write("suppliers.csv", "supplier,order_days\nS1,Tue;fri\n");
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    let orders = read_csv(&dir.join("orders.csv"));
    let a = orders
        .iter()
        .find(|r| r["sku"] == "A")
        .expect("A is ordered");
    // A's own lead time: 14, 19, 13, 24 days → 17.5, arriving 18 days after it goes out.
    assert_eq!(
        (a["order_by"].as_str(), a["needed_by"].as_str()),
        ("2024-05-21", "2024-06-08")
    );
    let plan = read_csv(&dir.join("plan.csv"));
    let a = plan.iter().find(|r| r["sku"] == "A").unwrap();
    // Tuesday → Friday 3 days, Friday → Tuesday 4: the review period is 4.
    assert_eq!(a["review_period_days"], "4");
    assert_eq!(a["order_by"], "2024-05-21");
}

#[test]
fn an_order_day_that_is_not_a_weekday_is_bad_input() {
    let f = fixture();
    f.write(
        "suppliers.csv",
        "supplier,order_days\nS1,Mon\nS2,Mon;Funday\n",
    );
    let out = f.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    for part in ["suppliers.csv", "line 3", "order_days", "Funday"] {
        assert!(err.contains(part), "message lacks {part:?}: {err}");
    }
}

/// The order lines of a run, by SKU: (qty, extended cost, flags).
fn orders_of(dir: &std::path::Path) -> std::collections::BTreeMap<String, (f64, f64, String)> {
    read_csv(&dir.join("orders.csv"))
        .into_iter()
        .map(|r| {
            let q = (num(&r, "qty"), num(&r, "extended_cost"), r["flags"].clone());
            (r["sku"].clone(), q)
        })
        .collect()
}

#[test]
fn a_budget_cuts_the_orders_and_lists_what_it_cut() {
    let f = fixture();
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = orders_of(&f.reports()[0]);
    let total: f64 = before.values().map(|o| o.1).sum();
    assert!(total > 0.0);
    let config = f.config(&format!("[purchasing]\nbudget = {}\n", total / 2.0));
    let out = f.run(&["--config", &config]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    let after = orders_of(dir);
    let spent: f64 = after.values().map(|o| o.1).sum();
    assert!(spent <= total / 2.0 + 1e-9, "{spent} of {total}");
    let cut = read_csv(&dir.join("orders_deferred.csv"));
    assert!(!cut.is_empty());
    let cut_value: f64 = cut.iter().map(|r| num(r, "deferred_value")).sum();
    assert!(
        (spent + cut_value - total).abs() < 1e-6,
        "{spent} + {cut_value} ≠ {total}"
    );
    for r in &cut {
        assert_eq!(r["reason"], "budget");
        let plan = read_csv(&dir.join("plan.csv"));
        let p = plan.iter().find(|p| p["sku"] == r["sku"]).unwrap();
        assert!(p["flags"].contains("budget_cut"), "{p:?}");
    }
}

#[test]
fn an_order_below_its_suppliers_minimum_is_topped_up() {
    let f = fixture();
    f.write("suppliers.csv", "supplier,min_order_value\nS1,300\n");
    let out = f.run(&["--config", &f.config(&common::per_series())]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    // A (77 × 2) and C (71 × 1) make 225 of the 300: B, with the least
    // cover of S1's other items, brings forward the 75 missing, 25 × 3.
    let rows = read_csv(&dir.join("orders_by_supplier.csv"));
    assert_eq!(rows.len(), 1);
    let s1 = &rows[0];
    assert_eq!(s1["minimum"], "topped_up");
    assert_eq!((num(s1, "planned_value"), num(s1, "value")), (225.0, 300.0));
    // A and C are out of stock and sell 10 a week each: a week's delay
    // costs 20 more units of backorders.
    let delay = num(s1, "backorders_if_deferred") - num(s1, "backorders_if_sent");
    assert!((delay - 20.0).abs() < 1e-3, "{s1:?}");
    let orders = orders_of(dir);
    assert_eq!(orders["B"].0, 25.0);
    assert!(orders["B"].2.contains("brought_forward"));

    // With 1,000 the minimum cannot be reached: the order is deferred and
    // every line listed with the backorders the week costs.
    f.write("suppliers.csv", "supplier,min_order_value\nS1,1000\n");
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    assert!(orders_of(dir).is_empty());
    let cut = read_csv(&dir.join("orders_deferred.csv"));
    let skus: Vec<&str> = cut.iter().map(|r| r["sku"].as_str()).collect();
    assert_eq!(skus, ["A", "C"]);
    for r in &cut {
        assert_eq!(r["reason"], "below_minimum");
        assert!((num(r, "expected_backorders") - 10.0).abs() < 1e-3, "{r:?}");
    }
}

#[test]
fn a_fractional_number_of_containers_is_bad_input() {
    let f = fixture();
    f.write(
        "suppliers.csv",
        "supplier,container_volume,max_containers\nS1,30,1.5\n",
    );
    let out = f.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    for part in ["suppliers.csv", "line 2", "max_containers", "1.5"] {
        assert!(err.contains(part), "message lacks {part:?}: {err}");
    }
}
