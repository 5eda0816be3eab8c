//! The policy and the inventory formulas against stockpyl and scipy.
//!
//! `tests/fixtures/inventory_reference.json` is `../shared/peers/inventory_reference.json`
//! as written by `peer_inventory.py` (stockpyl 1.0.2, scipy 1.17.1; its `meta`
//! states the conventions): normal i.i.d. demand per period, lead-time demand
//! μ_L = mean·L, σ_L = sd·√L. Every value must match within 0.5 %.

use replenish::inventory_theory::{RqSystem, eoq, fill_rate_factor, normal_fill_rate};
use replenish::policy::{DailyRate, PolicyInput, PolicyOutput, ServiceTarget, plan};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("fixtures/inventory_reference.json")).unwrap()
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("no number at {}", path.join(".")))
}

#[track_caller]
fn close(got: f64, want: f64, what: &str) {
    let tol = 0.005 * want.abs() + 1e-9;
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (±0.5 %)"
    );
}

/// The policy on one case: one "day" is one period of the reference, continuous
/// review (R = 0), Q fixed when given.
fn policy(case: &Value, service: ServiceTarget, q: Option<f64>) -> PolicyOutput {
    let i = &case["inputs"];
    plan(&PolicyInput {
        rate: DailyRate::new(vec![num(i, &["demand_mean"])]),
        sigma_bucket: num(i, &["demand_sd"]),
        bucket_days: 1.0,
        lead_time_days: num(i, &["lead_time"]),
        service,
        order_quantity: q,
        // Continuous units, as in the reference (orders are otherwise whole packs).
        pack_size: 1e-6,
        projection_days: 10,
        ..PolicyInput::default()
    })
}

fn cases() -> Vec<(String, Value)> {
    let r = reference();
    let cases = r["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 7);
    cases.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[test]
fn base_stock_for_cycle_service() {
    for (name, case) in cases() {
        let mu = num(&case, &["lead_time_demand", "mu_L"]);
        let sigma = num(&case, &["lead_time_demand", "sigma_L"]);
        for level in ["0.90", "0.95", "0.99"] {
            let alpha: f64 = level.parse().unwrap();
            let out = policy(&case, ServiceTarget::CycleService(alpha), None);
            close(out.lead_time_demand, mu, &format!("{name} mu_L"));
            close(out.lead_time_demand_sd, sigma, &format!("{name} sigma_L"));
            let want = num(&case, &["base_stock_csl", level, "S"]);
            close(out.reorder_point, want, &format!("{name} S at {level}"));
            let ss = num(&case, &["base_stock_csl", level, "safety_stock"]);
            close(
                out.safety_stock,
                ss,
                &format!("{name} safety stock at {level}"),
            );
        }
        // The newsvendor's critical fractile p / (h + p) as a cycle-service target.
        let fractile = num(&case, &["newsvendor", "critical_fractile"]);
        let out = policy(&case, ServiceTarget::CycleService(fractile), None);
        let want = num(&case, &["newsvendor", "on_lead_time_demand", "S"]);
        close(out.reorder_point, want, &format!("{name} newsvendor S"));
    }
}

#[test]
fn economic_order_quantity() {
    for (name, case) in cases() {
        let i = &case["inputs"];
        let (k, h, d) = (
            num(i, &["fixed_cost"]),
            num(i, &["holding_cost"]),
            num(i, &["demand_mean"]),
        );
        let q = eoq(k, h, d).unwrap();
        close(q, num(&case, &["eoq", "Q"]), &format!("{name} EOQ"));
        close(
            k * d / q + h * q / 2.0,
            num(&case, &["eoq", "cost"]),
            &format!("{name} EOQ cost"),
        );
    }
}

#[test]
fn fill_rate_reorder_points() {
    for (name, case) in cases() {
        let mu = num(&case, &["lead_time_demand", "mu_L"]);
        let sigma = num(&case, &["lead_time_demand", "sigma_L"]);
        for level in ["0.95", "0.98"] {
            let beta: f64 = level.parse().unwrap();
            let r = &case["fill_rate_spp"][level];
            let q = num(r, &["Q"]);
            let k = fill_rate_factor(beta, q, sigma);
            close(k, num(r, &["k"]), &format!("{name} k at {level}"));
            let want = num(r, &["reorder_point"]);
            let out = policy(&case, ServiceTarget::FillRate(beta), Some(q));
            // replenish never plans a negative reorder point.
            close(
                out.reorder_point,
                want.max(0.0),
                &format!("{name} fill-rate r at {level}"),
            );
            close(out.cycle_quantity, q, &format!("{name} Q"));
            close(
                normal_fill_rate(want, q, mu, sigma),
                num(r, &["fill_rate_exact_continuous_review"]),
                &format!("{name} exact fill rate at {level}"),
            );
            if want >= 0.0 {
                close(
                    out.expected_fill_rate,
                    beta,
                    &format!("{name} expected fill rate at {level}"),
                );
            }
        }
    }
}

#[test]
fn cost_optimal_r_q() {
    for (name, case) in cases() {
        let i = &case["inputs"];
        let system = RqSystem {
            holding_cost: num(i, &["holding_cost"]),
            stockout_cost: num(i, &["stockout_cost"]),
            fixed_cost: num(i, &["fixed_cost"]),
            demand_rate: num(i, &["demand_mean"]),
            mu: num(&case, &["lead_time_demand", "mu_L"]),
            sigma: num(&case, &["lead_time_demand", "sigma_L"]),
        };
        let rq = &case["rq"];
        for approx in [
            "eil_approximation",
            "eoqss_approximation",
            "loss_function_approximation",
        ] {
            let (r, q) = (num(rq, &[approx, "r"]), num(rq, &[approx, "Q"]));
            close(
                system.cost(r, q),
                num(rq, &[approx, "exact_cost"]),
                &format!("{name} exact cost at the {approx}"),
            );
        }
        let q = num(rq, &["optimal_r_for_eoq", "Q"]);
        close(
            system.optimal_r(q),
            num(rq, &["optimal_r_for_eoq", "r"]),
            &format!("{name} optimal r for the EOQ"),
        );
        let (r, q, cost) = system.optimum();
        let best = &rq["exact_optimum_numerical"];
        close(r, num(best, &["r"]), &format!("{name} optimal r"));
        close(q, num(best, &["Q"]), &format!("{name} optimal Q"));
        close(
            cost,
            num(best, &["exact_cost"]),
            &format!("{name} optimal cost"),
        );
    }
}
