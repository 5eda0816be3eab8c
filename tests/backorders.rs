//! The backorder desk end to end: open customer order lines get ship dates
//! by each allocation rule, changes against the previous report become
//! customer updates, substitutes are offered only with the stock, and bad
//! order or substitute files are reported like every other input.

mod common;

use std::collections::BTreeMap;

use common::{Fixture, read_csv, stderr, weekly_sales};

type Row = BTreeMap<String, String>;

/// SKU D at DC1: 12 on hand, 2 allocated (10 free), P2 overdue (5), P1 due
/// 2024-06-01 (20), P3 due 2024-06-08 (30), lead time 60 days, so an order
/// placed today lands on 2024-07-19; six open lines wanting 75 (by order
/// date 8, 6, 4, 15, 12, 30; priorities 0, 5, 0, 9, 0, 5). E (explicit
/// substitute) and F (same category) are in stock; G names D as its one-way
/// substitute, so G is never offered for D. The plan is made on 2024-05-20.
fn desk_fixture(p1_due: &str) -> Fixture {
    let f = Fixture::new();
    let mut sales = String::from("sku,location,date,qty\n");
    for sku in ["D", "E", "F", "G"] {
        weekly_sales(&mut sales, sku, "DC1", 20, 10.0);
    }
    f.write("sales.csv", sales);
    f.write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days,category\n\
         D,S1,4,60,valves\n\
         E,S1,4.5,14,valves\n\
         F,S1,3,14,valves\n\
         G,S1,4,14,pumps\n",
    );
    f.write(
        "inventory.csv",
        "sku,location,on_hand,backordered,allocated\n\
         D,DC1,12,75,2\n\
         E,DC1,40,0,0\n\
         F,DC1,100,0,0\n\
         G,DC1,50,0,0\n",
    );
    f.write(
        "purchase_orders.csv",
        format!(
            "po_id,sku,location,qty,order_date,due_date,received_date,received_qty\n\
             P1,D,DC1,20,2024-04-01,{p1_due},,\n\
             P2,D,DC1,5,2024-04-01,2024-05-10,,\n\
             P3,D,DC1,30,2024-04-01,2024-06-08,,\n"
        ),
    );
    f.write(
        "open_orders.csv",
        "order_id,line,customer,sku,location,qty,order_date,priority\n\
         A100,1,Acme,D,DC1,8,2024-04-20,0\n\
         A101,1,Bolt,D,DC1,6,2024-04-25,5\n\
         A101,2,Bolt,D,DC1,4,2024-04-25,0\n\
         A102,1,Crane,D,DC1,15,2024-04-30,9\n\
         A103,1,Acme,D,DC1,12,2024-05-10,0\n\
         A104,1,Dyna,D,DC1,30,2024-05-15,5\n",
    );
    f.write(
        "substitutes.csv",
        "sku,substitute,priority\n\
         D,E,1\n\
         G,D,1\n",
    );
    f
}

fn line<'a>(rows: &'a [Row], order: &str, line: &str) -> &'a Row {
    rows.iter()
        .find(|r| r["order_id"] == order && r["line"] == line)
        .unwrap_or_else(|| panic!("no line {order}/{line}"))
}

/// (ship date, source, po id, ready now) of the six lines in order.
fn answers(rows: &[Row]) -> Vec<(String, String, String, String)> {
    [
        ("A100", "1"),
        ("A101", "1"),
        ("A101", "2"),
        ("A102", "1"),
        ("A103", "1"),
        ("A104", "1"),
    ]
    .iter()
    .map(|&(o, l)| {
        let r = line(rows, o, l);
        (
            r["ship_date"].clone(),
            r["ship_date_source"].clone(),
            r["po_id"].clone(),
            r["ready_now_qty"].clone(),
        )
    })
    .collect()
}

fn run_with(f: &Fixture, toml: &str) -> Vec<Row> {
    let out = f.run(&["--config", &f.config(toml)]);
    assert!(out.status.success(), "{}", stderr(&out));
    read_csv(&f.reports()[0].join("backorder_lines.csv"))
}

fn a(date: &str, source: &str, po: &str, ready: &str) -> (String, String, String, String) {
    (date.into(), source.into(), po.into(), ready.into())
}

#[test]
fn every_line_gets_its_ship_date_by_each_rule() {
    let f = desk_fixture("2024-06-01");
    let fifo = run_with(&f, "");
    assert_eq!(
        answers(&fifo),
        [
            a("2024-05-20", "stock", "", "8"),
            a("2024-05-20", "overdue_purchase_order", "P2", "2"),
            a("2024-06-01", "purchase_order", "P1", "0"),
            a("2024-06-01", "purchase_order", "P1", "0"),
            a("2024-06-08", "purchase_order", "P3", "0"),
            a("2024-07-19", "recommended_order", "", "0"),
        ]
    );
    let status: Vec<&str> = fifo.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(
        status,
        [
            "ready", "waiting", "waiting", "waiting", "waiting", "waiting"
        ]
    );
    let priority = run_with(&f, "[backorders]\nallocation = \"priority\"\n");
    assert_eq!(
        answers(&priority),
        [
            a("2024-06-08", "purchase_order", "P3", "0"),
            a("2024-06-01", "purchase_order", "P1", "0"),
            a("2024-06-08", "purchase_order", "P3", "0"),
            a("2024-05-20", "overdue_purchase_order", "P2", "10"),
            a("2024-07-19", "recommended_order", "", "0"),
            a("2024-06-08", "purchase_order", "P3", "0"),
        ]
    );
    let fair = run_with(&f, "[backorders]\nallocation = \"fair_share\"\n");
    assert_eq!(
        answers(&fair),
        [
            a("2024-06-08", "purchase_order", "P3", "2"),
            a("2024-07-19", "recommended_order", "", "1"),
            a("2024-07-19", "recommended_order", "", "0"),
            a("2024-07-19", "recommended_order", "", "2"),
            a("2024-07-19", "recommended_order", "", "1"),
            a("2024-07-19", "recommended_order", "", "4"),
        ]
    );
    // Whole lines only: the same dates, nothing ships in part.
    let whole = run_with(&f, "[backorders]\nallow_partial = false\n");
    let ready: Vec<&str> = whole.iter().map(|r| r["ready_now_qty"].as_str()).collect();
    assert_eq!(ready, ["8", "0", "0", "0", "0", "0"]);
}

#[test]
fn substitutes_have_the_stock_and_respect_one_way() {
    let f = desk_fixture("2024-06-01");
    let rows = run_with(&f, "");
    let subs = |o: &str, l: &str| line(&rows, o, l)["substitutes"].clone();
    assert_eq!(subs("A100", "1"), "", "a ready line needs none");
    // E explicit first, then F of the same category; G (one-way G → D) never.
    assert_eq!(subs("A101", "1"), "E:40;F:100");
    assert_eq!(subs("A101", "2"), "E:36;F:100");
    assert_eq!(subs("A103", "1"), "E:17;F:100");
    // E has 5 left after the lines before took it first: not enough for 30.
    assert_eq!(subs("A104", "1"), "F:100");
}

#[test]
fn available_to_promise_after_the_open_lines() {
    let f = desk_fixture("2024-06-01");
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let atp = read_csv(&f.reports()[0].join("atp.csv"));
    let of = |sku: &str| -> Vec<(String, String)> {
        atp.iter()
            .filter(|r| r["sku"] == sku)
            .map(|r| (r["date"].clone(), r["available_to_promise"].clone()))
            .collect()
    };
    // D: everything up to the recommended order is promised to the lines.
    let d = of("D");
    assert_eq!(d[0], ("2024-05-20".to_string(), "0".to_string()));
    assert_eq!(d.len(), 2);
    assert_eq!(d[1].0, "2024-07-19");
    assert_eq!(of("E"), [("2024-05-20".to_string(), "40".to_string())]);
}

#[test]
fn a_later_purchase_order_is_told_to_the_customers() {
    let f = desk_fixture("2024-06-01");
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = read_csv(&f.reports()[0].join("customer_updates.csv"));
    // No earlier report: the ready line is news, the waiting ones are not.
    let kinds: Vec<(&str, &str)> = first
        .iter()
        .map(|r| (r["order_id"].as_str(), r["update"].as_str()))
        .collect();
    assert_eq!(kinds, [("A100", "ready")]);
    // A day later the supplier moves P1 from 2024-06-01 to 2024-06-05.
    let moved = desk_fixture("2024-06-05");
    std::fs::copy(
        moved.data().join("purchase_orders.csv"),
        f.data().join("purchase_orders.csv"),
    )
    .unwrap();
    let out = f.run(&["--as-of", "2024-05-21"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = &f.reports()[1];
    let lines = read_csv(&second.join("backorder_lines.csv"));
    let l = line(&lines, "A102", "1");
    assert_eq!(
        (
            l["ship_date"].as_str(),
            l["previous_ship_date"].as_str(),
            l["delay_days"].as_str()
        ),
        ("2024-06-05", "2024-06-01", "4")
    );
    let updates = read_csv(&second.join("customer_updates.csv"));
    let later: Vec<(&str, &str, &str, &str)> = updates
        .iter()
        .map(|r| {
            (
                r["update"].as_str(),
                r["order_id"].as_str(),
                r["line"].as_str(),
                r["delay_days"].as_str(),
            )
        })
        .collect();
    // P1's lines 4 days; the overdue line and the one waiting for the
    // recommended order move with the planning date (one day).
    assert_eq!(
        later,
        [
            ("later", "A101", "1", "1"),
            ("later", "A101", "2", "4"),
            ("later", "A102", "1", "4"),
            ("later", "A104", "1", "1"),
        ]
    );
    let message = &updates[2]["message"];
    assert!(
        message.contains("ships on 2024-06-05, 4 days later than the 2024-06-01 we gave"),
        "{message}"
    );
}

#[test]
fn open_lines_replace_the_inventory_backorders_with_a_warning() {
    let f = desk_fixture("2024-06-01");
    f.write(
        "inventory.csv",
        "sku,location,on_hand,backordered,allocated\n\
         D,DC1,12,70,2\n\
         E,DC1,40,0,0\n\
         F,DC1,100,0,0\n\
         G,DC1,50,0,0\n",
    );
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    let warnings = read_csv(&dir.join("warnings.csv"));
    let w = warnings
        .iter()
        .find(|w| w["kind"] == "backorders_disagree")
        .expect("a warning");
    assert!(
        w["message"].contains("75") && w["message"].contains("70"),
        "{w:?}"
    );
    let plan = read_csv(&dir.join("plan.csv"));
    let d = plan.iter().find(|r| r["sku"] == "D").unwrap();
    assert_eq!(d["backordered"], "75");
}

#[test]
fn bad_order_and_substitute_files() {
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "open_orders.csv",
            "order_id,line,customer,sku,location,qty,order_date\nA1,1,Acme,D,DC1,-3,2024-05-01\n",
            &["open_orders.csv", "line 2", "qty"],
        ),
        (
            "open_orders.csv",
            "order_id,line,customer,sku,location,qty,order_date\nA1,1.5,Acme,D,DC1,3,2024-05-01\n",
            &["open_orders.csv", "line 2", "column `line`", "whole number"],
        ),
        (
            "substitutes.csv",
            "sku,substitute\nD,E\nE,E\n",
            &[
                "substitutes.csv",
                "line 3",
                "substitute",
                "its own substitute",
            ],
        ),
        (
            "substitutes.csv",
            "sku,substitute,ratio\nD,E,0\n",
            &["substitutes.csv", "line 2", "ratio"],
        ),
    ];
    for (file, content, expected) in cases {
        let f = desk_fixture("2024-06-01");
        f.write(file, content);
        let out = f.run(&[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{file}: {err}");
        for part in expected {
            assert!(err.contains(part), "message lacks {part:?}: {err}");
        }
        assert!(f.reports().is_empty());
    }
}

#[test]
fn survivable_oddities_are_listed() {
    let f = desk_fixture("2024-06-01");
    let mut orders = std::fs::read_to_string(f.data().join("open_orders.csv")).unwrap();
    orders.push_str("A200,1,Acme,Z,DC1,3,2024-05-01,0\n");
    f.write("open_orders.csv", orders);
    f.write("substitutes.csv", "sku,substitute\nD,E\nE,D\n");
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = &f.reports()[0];
    let kinds: Vec<String> = read_csv(&dir.join("warnings.csv"))
        .into_iter()
        .map(|w| w["kind"].clone())
        .collect();
    assert!(
        kinds.contains(&"order_without_history".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"substitute_cycle".to_string()), "{kinds:?}");
    let rejected = read_csv(&dir.join("rejected_rows.csv"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "order_without_history");
    assert_eq!(rejected[0]["line"], "8");
}

#[test]
fn same_answers_at_any_thread_count() {
    let f = desk_fixture("2024-06-01");
    let one = f.dir.path().join("one");
    let two = f.dir.path().join("two");
    for (dir, threads) in [(&one, "1"), (&two, "2")] {
        let out = f.run_into(dir, &["--threads", threads]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for file in ["backorder_lines.csv", "customer_updates.csv", "atp.csv"] {
        let a = std::fs::read(one.join("2024-05-20").join(file)).unwrap();
        let b = std::fs::read(two.join("2024-05-20").join(file)).unwrap();
        assert_eq!(a, b, "{file}");
    }
}
