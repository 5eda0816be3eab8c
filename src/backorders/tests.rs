use super::*;

fn line(order_day: i32, order_id: &str, line: u64, qty: f64, priority: i64) -> OrderLine {
    OrderLine {
        order_id: order_id.into(),
        line,
        customer: "C".into(),
        qty,
        order_day,
        requested_day: None,
        priority,
        file_line: line + order_day.unsigned_abs() as u64,
    }
}

fn po(id: &str, due_day: i32, qty: f64) -> PurchaseOrder {
    PurchaseOrder::new(Some(id.into()), None, qty, (-60, due_day), None, None)
}

/// Free stock 10; P2 overdue (5), P1 on day 5 (20), P3 on day 12 (30); six
/// lines wanting 75 in all (by order date: 8, 6, 4, 15, 12, 30; priorities
/// 0, 5, 0, 9, 0, 5).
fn fixture() -> (Vec<OrderLine>, Vec<Supply>) {
    let lines = vec![
        line(-30, "A100", 1, 8.0, 0),
        line(-25, "A101", 1, 6.0, 5),
        line(-25, "A101", 2, 4.0, 0),
        line(-20, "A102", 1, 15.0, 9),
        line(-10, "A103", 1, 12.0, 0),
        line(-5, "A104", 1, 30.0, 5),
    ];
    let pos = [po("P1", 5, 20.0), po("P2", -3, 5.0), po("P3", 12, 30.0)];
    (lines, supply_of(10.0, &pos, 0, None))
}

/// (ship day, source name, po id, ready now) of every line.
fn answers(a: &SeriesAllocation) -> Vec<(Option<i64>, &'static str, Option<&str>, f64)> {
    a.lines
        .iter()
        .map(|l| {
            (
                l.ship_day,
                l.source.map(|s| s.name()).unwrap_or("none"),
                l.po_id.as_deref(),
                l.ready_now,
            )
        })
        .collect()
}

#[test]
fn supply_comes_in_time_order_with_overdue_lines_today() {
    let (_, supply) = fixture();
    let order: Vec<(i64, &str, Option<&str>)> = supply
        .iter()
        .map(|s| (s.day, s.source.name(), s.po_id.as_deref()))
        .collect();
    assert_eq!(
        order,
        [
            (0, "stock", None),
            (0, "overdue_purchase_order", Some("P2")),
            (5, "purchase_order", Some("P1")),
            (12, "purchase_order", Some("P3")),
        ]
    );
}

#[test]
fn fifo_by_hand() {
    let (lines, supply) = fixture();
    let a = allocate(&lines, &supply, AllocationRule::Fifo, true);
    assert_eq!(
        answers(&a),
        [
            (Some(0), "stock", None, 8.0),
            (Some(0), "overdue_purchase_order", Some("P2"), 2.0),
            (Some(5), "purchase_order", Some("P1"), 0.0),
            (Some(5), "purchase_order", Some("P1"), 0.0),
            (Some(12), "purchase_order", Some("P3"), 0.0),
            (None, "none", None, 0.0),
        ]
    );
    assert_eq!(a.lines[5].allocated, 20.0);
    assert_eq!(a.unallocated, [0.0; 4]);
}

#[test]
fn priority_by_hand() {
    let (lines, supply) = fixture();
    let a = allocate(&lines, &supply, AllocationRule::Priority, true);
    assert_eq!(
        answers(&a),
        [
            (Some(12), "purchase_order", Some("P3"), 0.0),
            (Some(5), "purchase_order", Some("P1"), 0.0),
            (Some(12), "purchase_order", Some("P3"), 0.0),
            (Some(0), "overdue_purchase_order", Some("P2"), 10.0),
            (None, "none", None, 0.0),
            (Some(12), "purchase_order", Some("P3"), 0.0),
        ]
    );
    assert_eq!(a.lines[4].allocated, 2.0);
}

#[test]
fn fair_share_by_hand() {
    let (lines, supply) = fixture();
    let a = allocate(&lines, &supply, AllocationRule::FairShare, true);
    assert_eq!(
        answers(&a),
        [
            (Some(12), "purchase_order", Some("P3"), 2.0),
            (None, "none", None, 1.0),
            (None, "none", None, 0.0),
            (None, "none", None, 2.0),
            (None, "none", None, 1.0),
            (None, "none", None, 4.0),
        ]
    );
    let allocated: Vec<f64> = a.lines.iter().map(|l| l.allocated).collect();
    assert_eq!(allocated, [8.0, 5.0, 3.0, 13.0, 10.0, 26.0]);
}

#[test]
fn fair_shares_are_within_one_unit_of_pro_rata() {
    let remaining = [8.0, 6.0, 4.0, 15.0, 12.0, 30.0, 0.0, 2.5];
    let order: Vec<usize> = (0..remaining.len()).collect();
    let need: f64 = remaining.iter().sum();
    for qty in [0.0, 1.0, 3.0, 7.5, 10.0, 33.0, 64.0, 77.5, 100.0] {
        let given = fair_shares(&order, &remaining, qty);
        let total: f64 = given.iter().map(|g| g.1).sum();
        assert!((total - qty.min(need)).abs() < 1e-9, "{qty}: {total}");
        for (i, s) in given {
            let exact = qty.min(need) * remaining[i] / need;
            assert!(
                (s - exact).abs() <= 1.0 + 1e-9,
                "{qty}: line {i} {s} vs {exact}"
            );
            assert!(s <= remaining[i] + 1e-9);
        }
    }
}

#[test]
fn whole_lines_wait_and_hold_their_units() {
    let (lines, supply) = fixture();
    let a = allocate(&lines, &supply, AllocationRule::Fifo, false);
    // Same dates as with partial shipments; only what ships now changes.
    let partial = allocate(&lines, &supply, AllocationRule::Fifo, true);
    for (w, p) in a.lines.iter().zip(&partial.lines) {
        assert_eq!(w.ship_day, p.ship_day);
    }
    let ready: Vec<f64> = a.lines.iter().map(|l| l.ready_now).collect();
    assert_eq!(ready, [8.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn nothing_is_allocated_twice_under_any_rule() {
    let (lines, supply) = fixture();
    let total: f64 = supply.iter().map(|s| s.qty).sum();
    for rule in [
        AllocationRule::Fifo,
        AllocationRule::Priority,
        AllocationRule::FairShare,
    ] {
        for partial in [true, false] {
            let a = allocate(&lines, &supply, rule, partial);
            let given: f64 = a.lines.iter().map(|l| l.allocated).sum();
            let left: f64 = a.unallocated.iter().sum();
            assert!((given + left - total).abs() < 1e-9, "{rule:?}");
            for (l, x) in lines.iter().zip(&a.lines) {
                assert!(x.allocated <= l.qty + 1e-9 && x.ready_now <= x.allocated + 1e-9);
            }
        }
    }
}

#[test]
fn available_to_promise_after_the_open_lines() {
    let lines = vec![line(-3, "B1", 1, 4.0, 0)];
    let pos = [po("P1", 7, 10.0), po("P2", 14, 5.0)];
    let supply = supply_of(6.0, &pos, 0, Some((21, 8.0)));
    let a = allocate(&lines, &supply, AllocationRule::Fifo, true);
    let rows: Vec<(i64, f64, &str)> = atp_rows(0, &supply, &a.unallocated)
        .iter()
        .map(|r| (r.day, r.qty, r.source.name()))
        .collect();
    assert_eq!(
        rows,
        [
            (0, 2.0, "stock"),
            (7, 12.0, "purchase_order"),
            (14, 17.0, "purchase_order"),
            (21, 25.0, "recommended_order"),
        ]
    );
    // Nothing free today: the first row still says so.
    let supply = supply_of(0.0, &pos, 0, None);
    let a = allocate(&lines, &supply, AllocationRule::Fifo, true);
    let rows = atp_rows(0, &supply, &a.unallocated);
    assert_eq!((rows[0].day, rows[0].qty), (0, 0.0));
    assert_eq!((rows[1].day, rows[1].qty), (7, 6.0));
}

#[test]
fn substitutes_nearest_in_cost_first() {
    let same = [(1.0, "a", 0), (4.0, "b", 1), (5.5, "c", 2), (9.0, "d", 3)];
    let order: Vec<&str> = nearest_in_cost(&same, 5.0).map(|x| x.1).collect();
    assert_eq!(order, ["c", "b", "a", "d"]);
    let order: Vec<&str> = nearest_in_cost(&same, 0.0).map(|x| x.1).collect();
    assert_eq!(order, ["a", "b", "c", "d"]);
}

fn desk_line(status: LineStatus, ship_day: Option<i64>) -> DeskLine {
    DeskLine {
        id: 0,
        line: line(-3, "B1", 1, 4.0, 0),
        allocation: LineAllocation {
            ready_now: 0.0,
            ship_day,
            source: ship_day.map(|_| SupplySource::PurchaseOrder),
            po_id: None,
            allocated: 0.0,
        },
        status,
        previous_ship_date: None,
        delay_days: None,
        update: None,
        substitutes: Vec::new(),
    }
}

#[test]
fn news_against_the_previous_report() {
    let as_of = NaiveDate::from_ymd_opt(2024, 5, 20).unwrap();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let key = ("B1".to_string(), 1);
    let check = |now: DeskLine, before: (Option<NaiveDate>, Option<LineStatus>)| {
        let mut l = now;
        let prev: PreviousLines = [(key.clone(), before)].into_iter().collect();
        compare(&mut l, &prev, as_of, 365);
        (l.update, l.delay_days)
    };
    // Four days later than promised.
    let later = check(
        desk_line(LineStatus::Waiting, Some(10)),
        (d("2024-05-26"), Some(LineStatus::Waiting)),
    );
    assert_eq!(later, (Some(Update::Later), Some(4)));
    // Earlier.
    let earlier = check(
        desk_line(LineStatus::Waiting, Some(3)),
        (d("2024-05-26"), Some(LineStatus::Waiting)),
    );
    assert_eq!(earlier, (Some(Update::Earlier), Some(-3)));
    // A date at last.
    let dated = check(
        desk_line(LineStatus::Waiting, Some(3)),
        (None, Some(LineStatus::NoSupplyPlanned)),
    );
    assert_eq!(dated, (Some(Update::Earlier), None));
    // Ready now, though promised for earlier: news, never late.
    let ready = check(
        desk_line(LineStatus::Ready, Some(0)),
        (d("2024-05-13"), Some(LineStatus::Waiting)),
    );
    assert_eq!(ready, (Some(Update::Ready), None));
    // Still without supply: no news.
    let none = check(
        desk_line(LineStatus::NoSupplyPlanned, None),
        (None, Some(LineStatus::NoSupplyPlanned)),
    );
    assert_eq!(none, (None, None));
}
