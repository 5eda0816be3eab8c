use super::*;

/// A line of `qty` (forward `fwd`) at `cost`, cover `position / rate` days.
fn line(id: usize, qty: f64, fwd: f64, cost: f64, position: f64) -> Line {
    Line {
        id,
        qty,
        forward_qty: fwd,
        unit_cost: cost,
        moq: 0.0,
        pack_size: 1.0,
        position,
        rate: 1.0,
        exposure: Exposure {
            mean: 10.0,
            sd: 3.0,
            days: 14.0,
            count: false,
        },
        ..Line::default()
    }
}

fn order(lines: Vec<Line>, terms: Terms) -> SupplierOrder {
    SupplierOrder {
        lines,
        terms,
        ..SupplierOrder::default()
    }
}

fn qty(o: &SupplierOrder) -> Vec<f64> {
    o.lines.iter().map(|l| l.qty).collect()
}

fn minimum(value: f64) -> Terms {
    Terms {
        min_order_value: Some(value),
        next_order_in_days: 7.0,
        ..Terms::default()
    }
}

#[test]
fn below_the_minimum_the_lines_with_least_cover_are_brought_forward() {
    // A orders 10 × 50 = 500 against a minimum of 1,000. C (1 day of cover,
    // 5 × 40 = 200) comes first, then B (3 days, 10 × 30 = 300): 1,000. D
    // (10 days) is not needed.
    let mut o = [order(
        vec![
            line(0, 10.0, 0.0, 50.0, 5.0),
            line(1, 0.0, 10.0, 30.0, 3.0),
            line(2, 0.0, 5.0, 40.0, 1.0),
            line(3, 0.0, 20.0, 10.0, 10.0),
        ],
        minimum(1000.0),
    )];
    let changes = apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![10.0, 10.0, 5.0, 0.0]);
    assert_eq!(o[0].minimum, Some(MinimumAction::ToppedUp));
    assert_eq!(o[0].value(), 1000.0);
    let ids: Vec<usize> = changes.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![2, 1]);
    assert!(changes.iter().all(|c| c.reason == Reason::MinimumTopUp));
    let (now, deferred) = o[0].minimum_backorders.unwrap();
    assert!(deferred > now + 0.01, "{now} {deferred}");
}

#[test]
fn an_order_whose_delay_costs_nothing_is_deferred() {
    // 100 units on hand against 10 of lead-time demand: a week later costs
    // no expected backorder, so nothing is bought early.
    let mut o = [order(
        vec![
            line(0, 10.0, 0.0, 50.0, 100.0),
            line(1, 0.0, 10.0, 60.0, 3.0),
        ],
        minimum(1000.0),
    )];
    let changes = apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![0.0, 0.0]);
    assert_eq!(o[0].minimum, Some(MinimumAction::Deferred));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].reason, Reason::MinimumDeferred);
    assert!(changes[0].backorders < 0.01);
}

#[test]
fn an_order_that_cannot_reach_its_minimum_is_deferred_unless_it_covers_backorders() {
    let lines = vec![line(0, 10.0, 0.0, 50.0, 5.0), line(1, 0.0, 2.0, 10.0, 3.0)];
    let mut o = [order(lines.clone(), minimum(1000.0))];
    apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![0.0, 0.0]);
    assert_eq!(o[0].minimum, Some(MinimumAction::Deferred));
    assert!(o[0].notes[0].contains("only 520.00"), "{:?}", o[0].notes);

    let mut lines = lines;
    lines[0].protected = 4.0;
    let mut o = [order(lines, minimum(1000.0))];
    let changes = apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert!(changes.is_empty());
    assert_eq!(qty(&o[0]), vec![10.0, 0.0]);
    assert_eq!(o[0].minimum, Some(MinimumAction::NotMet));
}

fn container(volume: f64) -> Terms {
    Terms {
        container_volume: Some(volume),
        next_order_in_days: 7.0,
        ..Terms::default()
    }
}

fn with_volume(mut l: Line, v: f64) -> Line {
    l.unit_volume = v;
    l
}

#[test]
fn a_container_nine_tenths_full_is_filled_by_bringing_lines_forward() {
    // 10 × 0.8 + 5 × 0.2 = 9.0 of 10: 90 % ≥ 70 %, so round up. C (cover 1)
    // fits 3 of its 10 units (0.9), then D (cover 2) 1 of its 4 (0.1).
    let mut o = [order(
        vec![
            with_volume(line(0, 10.0, 0.0, 5.0, 5.0), 0.8),
            with_volume(line(1, 5.0, 0.0, 5.0, 5.0), 0.2),
            with_volume(line(2, 0.0, 10.0, 5.0, 1.0), 0.3),
            with_volume(line(3, 0.0, 4.0, 5.0, 2.0), 0.1),
        ],
        container(10.0),
    )];
    apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![10.0, 5.0, 3.0, 1.0]);
    assert_eq!(o[0].containers, Some(ContainerAction::RoundedUp));
    let (n, by_weight) = o[0].load().unwrap();
    assert!((n - 1.0).abs() < 1e-9 && !by_weight);
}

#[test]
fn a_container_two_fifths_full_is_trimmed_from_the_most_cover() {
    // 10 + 4 = 14 of 10: the second container 40 % full, so round down. B
    // has the most cover (104 days against A's 10): it goes first.
    let lines = vec![
        with_volume(line(0, 10.0, 0.0, 5.0, 0.0), 1.0),
        with_volume(line(1, 4.0, 0.0, 5.0, 100.0), 1.0),
    ];
    let mut o = [order(lines.clone(), container(10.0))];
    let changes = apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![10.0, 0.0]);
    assert_eq!(o[0].containers, Some(ContainerAction::RoundedDown));
    assert_eq!(changes[0].reason, Reason::ContainerTrim);

    // B covers 2 units of open customer backorders: it keeps them, A gives 2.
    let mut lines = lines;
    lines[1].protected = 2.0;
    let mut o = [order(lines, container(10.0))];
    apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![8.0, 2.0]);
}

#[test]
fn the_most_containers_cap_the_order() {
    let mut terms = container(10.0);
    terms.max_containers = Some(1.0);
    let mut o = [order(
        vec![
            with_volume(line(0, 10.0, 0.0, 5.0, 0.0), 1.0),
            with_volume(line(1, 9.0, 0.0, 5.0, 50.0), 1.0),
        ],
        terms,
    )];
    apply(&mut o, 0.7, None, BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![10.0, 0.0]);
    assert_eq!(o[0].containers, Some(ContainerAction::Capped));
}

#[test]
fn the_budget_cuts_the_units_that_cost_fewest_backorders_per_money() {
    // A: position 0 + 10 against a demand of 10 ± 3, every unit cut adds
    // about half a backorder. B: 50 on hand, cuts cost nothing. C: its
    // 10 units cover open customer backorders. A budget of 150 of 300 cuts
    // B to 0 (100) and then… B alone saves 100: A must give 5 more units.
    let mut a = line(0, 10.0, 0.0, 10.0, 0.0);
    let b = line(1, 10.0, 0.0, 10.0, 50.0);
    let mut c = line(2, 10.0, 0.0, 10.0, -10.0);
    c.protected = 10.0;
    a.exposure.sd = 3.0;
    let mut o = [order(
        vec![a.clone(), b.clone(), c.clone()],
        Terms::default(),
    )];
    let changes = apply(&mut o, 0.7, Some(150.0), BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![5.0, 0.0, 10.0]);
    assert_eq!(changes.len(), 2, "one change per line: {changes:?}");
    assert!(changes.iter().all(|c| c.reason == Reason::Budget));
    assert!(o[0].value() <= 150.0);

    // The same budget cut in proportion: 50 % of every line, C included.
    let mut o = [order(vec![a, b, c], Terms::default())];
    apply(&mut o, 0.7, Some(150.0), BudgetCut::Proportional);
    assert_eq!(qty(&o[0]), vec![5.0, 5.0, 5.0]);
}

#[test]
fn protected_lines_are_cut_only_when_nothing_else_is_left() {
    let a = line(0, 10.0, 0.0, 10.0, 50.0);
    let mut c = line(1, 10.0, 0.0, 10.0, -10.0);
    c.protected = 10.0;
    let mut o = [order(vec![a, c], Terms::default())];
    apply(&mut o, 0.7, Some(50.0), BudgetCut::Marginal);
    assert_eq!(qty(&o[0]), vec![0.0, 5.0]);
}

#[test]
fn count_exposure_short_matches_the_poisson_loss() {
    // Poisson(2): E[(X − 1)⁺] = 2 − 1 + P(X = 0) = 1 + e⁻².
    let e = Exposure {
        mean: 2.0,
        sd: 2f64.sqrt(),
        days: 7.0,
        count: true,
    };
    assert!((e.short(1.0) - (1.0 + (-2f64).exp())).abs() < 1e-9);
    let later = e.delayed(7.0);
    assert!((later.mean - 4.0).abs() < 1e-12 && (later.sd - 2.0).abs() < 1e-12);
}
