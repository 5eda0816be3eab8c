//! `replenish simulate` end to end on small fixtures.

mod common;

use common::{Fixture, read_csv, stderr, weekly_sales};
use replenish::inventory_theory::inverse_normal_loss;

/// 60 weeks to 2024-05-19: A steady (10 a week), B seasonal-ish, C sporadic.
fn fixture(b_scale_after_origin: f64) -> Fixture {
    let f = Fixture::new();
    let mut sales = String::from("sku,location,date,qty\n");
    weekly_sales(&mut sales, "A", "DC1", 60, 10.0);
    let end = chrono::NaiveDate::from_ymd_opt(2024, 5, 19).unwrap();
    let origin = chrono::NaiveDate::from_ymd_opt(2023, 11, 20).unwrap();
    for w in (0..60).rev() {
        let d = end - chrono::Duration::weeks(w);
        let mut b = 20.0 + ((w * 37) % 11) as f64;
        if d >= origin {
            b *= b_scale_after_origin;
        }
        sales.push_str(&format!("B,DC1,{d},{b}\n"));
        if w % 5 == 0 {
            sales.push_str(&format!("C,DC1,{d},{}\n", 1 + w % 3));
        }
    }
    f.write("sales.csv", sales);
    f.write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days,moq,pack_size,review_period_days,min_qty,max_qty\n\
         A,S1,2,14,0,1,7,25,60\n\
         B,S1,3,14,0,1,7,,\n\
         C,S2,5,14,0,1,7,2,4\n",
    );
    f
}

fn simulate(f: &Fixture, out: &std::path::Path, extra: &[&str]) -> std::path::PathBuf {
    let o = f.command("simulate", out, extra);
    assert!(o.status.success(), "{}", stderr(&o));
    out.join("2024-05-20-simulation")
}

/// Simulate with `config` at one and at two threads: `files` must be the same.
fn same_at_one_and_two_threads(f: &Fixture, config: &str, files: &[&str]) {
    let one = simulate(
        f,
        &f.dir.path().join("one"),
        &["--threads", "1", "--config", config],
    );
    let two = simulate(
        f,
        &f.dir.path().join("two"),
        &["--threads", "2", "--config", config],
    );
    for file in files {
        assert_eq!(
            std::fs::read(one.join(file)).unwrap(),
            std::fs::read(two.join(file)).unwrap(),
            "{file} differs"
        );
    }
}

fn row<'a>(
    rows: &'a [std::collections::BTreeMap<String, String>],
    sku: &str,
    policy: &str,
) -> &'a std::collections::BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["sku"] == sku && r["policy"] == policy)
        .unwrap_or_else(|| panic!("no row {sku} {policy}"))
}

#[test]
fn writes_every_policy_and_a_steady_item_meets_its_target() {
    let f = fixture(1.0);
    // Each series' own spread (A's is 0), for the reorder point by hand.
    let config = f.config(&format!(
        "[forecast]\nspread_pooling = 0.0\n{}",
        common::per_series()
    ));
    let dir = simulate(&f, &f.out(), &["--config", &config]);
    for file in [
        "simulation.csv",
        "simulation_summary.csv",
        "frontier.png",
        "simulation.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    // PNG only, unless `report.chart_formats` asks for SVG too.
    assert!(!dir.join("frontier.svg").exists());
    let rows = read_csv(&dir.join("simulation.csv"));
    // 3 series × (configured + 11 targets + the 11 ordering at every review
    // + shipments only + sales cover + the sales-cover curve's 12 points +
    // the Poisson rule at the 11 targets) + 2 min/max.
    assert_eq!(rows.len(), 3 * (25 + 12 + 11) + 2);
    for r in &rows {
        for col in ["fill_rate", "mean_on_hand", "demand", "start_on_hand"] {
            let v: f64 = r[col].parse().unwrap();
            assert!(v.is_finite() && v >= 0.0, "{col} = {v}");
        }
    }
    // A: 10 a week, lead time 14, review 7: the reorder point covers
    // 14 + 3.5 days = 25 units plus k · σ for the undershoot (σ = 10/√12),
    // one order is 28 days = 40; it starts with S = s + 40 on hand.
    let a = row(&rows, "A", "replenish");
    let target: f64 = a["target"].parse().unwrap();
    let sigma = 10.0 / 12f64.sqrt();
    let s = 25.0 + inverse_normal_loss((1.0 - target) * 40.0 / sigma) * sigma;
    let start: f64 = a["start_on_hand"].parse().unwrap();
    assert!((start - (s + 40.0)).abs() < 1e-3, "{a:?}");
    assert_eq!(a["lead_times_from"], "planned");
    // Counted from day 21 (lead time + review) to day 182: 161 days × 10/7.
    assert_eq!(a["demand"], "230");
    // Perfectly constant demand locks the review phase: each cycle the
    // position ends a full review's 10 units below s, where the policy's
    // uniform-undershoot model expects 5 on average, so a 98 % target gives
    // about 93 % here (random demand meets it: `policy_replay` tests).
    let fill: f64 = a["fill_rate"].parse().unwrap();
    assert_eq!(target, 0.98);
    assert!(
        fill > 0.9 && fill < target,
        "fill {fill} for target {target}"
    );
    // The ERP rule of A starts at its max.
    assert_eq!(row(&rows, "A", "erp_min_max")["start_on_hand"], "60");
    let summary = read_csv(&dir.join("simulation_summary.csv"));
    assert!(
        summary
            .iter()
            .any(|r| r["policy"] == "sales_cover" && r["abc"] == "all")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("simulation.json")).unwrap())
            .unwrap();
    assert_eq!(json["origin"], "2023-11-20");
    // Per class: the target, what it achieved, and the target that would have.
    for t in json["tuned_targets"].as_array().unwrap() {
        let target = t["target"].as_f64().unwrap();
        assert!(target > 0.0 && target < 1.0, "{t}");
        if let Some(s) = t["target_that_achieves_it"].as_f64() {
            assert!((0.5..=0.999).contains(&s), "{t}");
        }
    }
    assert_eq!(json["days"], 182);
}

#[test]
fn the_origin_forecast_sees_nothing_after_the_origin() {
    // B's demand after the origin tripled: what replenish starts with (its
    // order-up-to level from the origin's forecast) must not change.
    let f1 = fixture(1.0);
    let f3 = fixture(3.0);
    let r1 = read_csv(&simulate(&f1, &f1.out(), &[]).join("simulation.csv"));
    let r3 = read_csv(&simulate(&f3, &f3.out(), &[]).join("simulation.csv"));
    for policy in ["replenish", "replenish_shipments_only", "sales_cover"] {
        assert_eq!(
            row(&r1, "B", policy)["start_on_hand"],
            row(&r3, "B", policy)["start_on_hand"],
            "{policy}"
        );
    }
    assert_ne!(
        row(&r1, "B", "replenish")["demand"],
        row(&r3, "B", "replenish")["demand"]
    );
}

#[test]
fn same_result_for_any_thread_count() {
    let f = fixture(1.0);
    let config = f.config("[report]\nchart_formats = [\"png\", \"svg\"]\n");
    let files = ["simulation.csv", "simulation_summary.csv", "frontier.svg"];
    same_at_one_and_two_threads(&f, &config, &files);
}

#[test]
fn kept_choices_replay_the_same_for_any_thread_count() {
    // `simulate.reselect_every`: a full selection at every third refit, the
    // chosen models refitted between; one result whatever the thread count.
    let f = fixture(1.0);
    let config = f.config("[simulate]\nreselect_every = 3\n");
    same_at_one_and_two_threads(&f, &config, &["simulation.csv", "simulation_summary.csv"]);
    let zero = f.config("[simulate]\nreselect_every = 0\n");
    let o = f.command("simulate", &f.out(), &["--config", &zero]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("simulate.reselect_every"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_origin_without_history_is_refused() {
    let f = fixture(1.0);
    let o = f.command("simulate", &f.out(), &["--origin", "2020-01-06"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("origin"), "{}", stderr(&o));
    assert!(!f.out().join("2024-05-20-simulation").exists());
}

#[test]
fn pooled_allocation_is_the_same_for_any_thread_count() {
    // `service_allocation = "pooled"` allocates across series at every
    // refit: still one result whatever the thread count, and the run plans
    // with it too.
    let f = fixture(1.0);
    let config = f.config("[policy]\nservice_allocation = \"pooled\"\n");
    same_at_one_and_two_threads(&f, &config, &["simulation.csv", "simulation_summary.csv"]);
    let o = f.run(&["--config", &config]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// One forecast stage: simulate's forecast at its origin is the one
/// `run --as-of ORIGIN` makes.
fn the_replay_starts_from_the_forecast_the_run_makes(global: bool) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // 32 series (the global model's minimum), two years: kept small for speed.
    common::replenish(&[
        "sample".as_ref(),
        "--skus".as_ref(),
        "16".as_ref(),
        "--years".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        data.as_os_str(),
    ]);
    let origin = chrono::NaiveDate::from_ymd_opt(2026, 8, 3).unwrap();
    let mut config = replenish::config::Config::default();
    config.forecast.global.enabled = global;
    config.forecast.global.fits = 2;
    // Only the forecasts are compared: no charts, one replayed target.
    config.report.max_series_charts = 0;
    config.simulate.targets = vec![0.9];
    config.simulate.refit = false;
    let config = config.check().unwrap();
    let sim = replenish::simulate::run(&replenish::simulate::SimulateOptions {
        data: data.clone(),
        out: dir.path().join(format!("sim{global}")),
        as_of: None,
        origin: Some(origin),
        config: config.clone(),
        threads: Some(2),
    })
    .unwrap();
    let run = replenish::pipeline::run(&replenish::pipeline::RunOptions {
        data: data.clone(),
        out: dir.path().join(format!("run{global}")),
        as_of: Some(origin),
        config,
        threads: Some(2),
        progress: false,
        tuner: None,
    })
    .unwrap();
    assert!(run.plans.len() >= 30, "{} series", run.plans.len());
    let mut compared = 0;
    for s in &sim.series {
        let key = &sim.dataset.keys[s.id];
        let Some(plan) = run.plans.iter().find(|p| &run.dataset.keys[p.id] == key) else {
            continue;
        };
        assert_eq!(
            s.origin_model,
            plan.forecast.label(),
            "{key:?} global {global}"
        );
        assert_eq!(s.origin_mean, plan.forecast.mean, "{key:?} global {global}");
        compared += 1;
    }
    assert_eq!(compared, run.plans.len());
    // The global model's candidates were backtested exactly when it is on.
    let global_backtested = run.plans.iter().any(|p| {
        p.forecast
            .backtests
            .iter()
            .any(|b| b.model == replenish::forecast::global::GLOBAL_POISSON)
    });
    assert_eq!(global_backtested, global);
}

#[test]
fn the_replay_starts_from_the_forecast_the_run_makes_at_its_origin() {
    the_replay_starts_from_the_forecast_the_run_makes(false);
}

#[test]
fn the_replay_starts_from_the_forecast_the_run_makes_with_the_global_model() {
    the_replay_starts_from_the_forecast_the_run_makes(true);
}

/// Units short of the configured policy across the series of a replay.
fn short_units(dir: &std::path::Path, policy: &str) -> f64 {
    read_csv(&dir.join("simulation.csv"))
        .iter()
        .filter(|r| r["policy"] == policy)
        .map(|r| r["short_units"].parse::<f64>().unwrap())
        .sum()
}

#[test]
fn a_budget_is_replayed_per_review_and_the_marginal_cut_loses_less() {
    let f = fixture(1.0);
    // A (2 a unit, 10 a week) and B (3 a unit, about 25 a week) order
    // about 95 a week between them: a budget of 40 per review binds.
    let mut short = Vec::new();
    for cut in ["marginal", "proportional"] {
        let config = f.config(&format!(
            "[purchasing]\nbudget = 40\nbudget_cut = \"{cut}\"\n"
        ));
        let out = f.out().join(cut);
        let dir = simulate(&f, &out, &["--config", &config]);
        let free = short_units(&dir, "replenish_without_purchasing_rules");
        let under = short_units(&dir, "replenish");
        assert!(
            under > free + 1.0,
            "{cut}: {under} short under the budget, {free} without"
        );
        short.push(under);
    }
    assert!(
        short[0] < short[1],
        "marginal {} ≥ proportional {}",
        short[0],
        short[1]
    );
}

#[test]
fn a_panel_over_max_series_replays_the_sample_of_smallest_hash() {
    let f = fixture(1.0);
    let config = f.config("[simulate]\nmax_series = 2\n[purchasing]\nbudget = 40\n");
    let o = common::binary()
        .arg("simulate")
        .arg("--data")
        .arg(f.data())
        .arg("--out")
        .arg(f.out())
        .args(["--config", &config])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("2 of 3 series"), "{said}");
    assert!(said.contains("purchasing rules scaled to it"), "{said}");
    let dir = f.out().join("2024-05-20-simulation");
    let rows = read_csv(&dir.join("simulation.csv"));
    let mut replayed: Vec<&str> = rows.iter().map(|r| r["sku"].as_str()).collect();
    replayed.dedup();
    let mut by_hash = ["A", "B", "C"];
    by_hash.sort_by_key(|sku| replenish::ingest::stable_hash(sku, "DC1"));
    let mut expected = by_hash[..2].to_vec();
    expected.sort();
    assert_eq!(replayed, expected);
    // The (scaled) budget is replayed beside the policy without it.
    assert!(
        rows.iter()
            .any(|r| r["policy"] == "replenish_without_purchasing_rules")
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("simulation.json")).unwrap()).unwrap();
    assert_eq!(json["series"], 2);
    assert_eq!(json["sample"]["of"], 3);
    assert_eq!(
        json["sample"]["purchasing_rules_scaled_to_the_sample"],
        true
    );
    // The config as given, not as scaled.
    assert_eq!(json["config"]["purchasing"]["budget"], 40.0);
    same_at_one_and_two_threads(&f, &config, &["simulation.csv", "simulation_summary.csv"]);
    // At or above the panel's size, every series, and no sample.
    let all = f.config("[simulate]\nmax_series = 3\n");
    let dir = simulate(&f, &f.out().join("all"), &["--config", &all]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("simulation.json")).unwrap()).unwrap();
    assert_eq!(json["series"], 3);
    assert!(json.get("sample").is_none());
}
