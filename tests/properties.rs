//! Property tests: whatever the series and stock, forecasts and quantiles are
//! finite, non-negative and ordered, and an order is never negative, at least
//! the MOQ and a whole number of packs.

use proptest::prelude::*;
use replenish::demand::{self, Pattern};
use replenish::forecast::{Candidates, ForecastSettings, Metric, Selection, forecast_series};
use replenish::inventory_theory::{count_reorder_point_fill, inverse_normal_loss, normal_loss};
use replenish::policy::{DailyRate, PolicyInput, ServiceTarget, plan};

fn settings(season_length: usize) -> ForecastSettings {
    ForecastSettings {
        horizon: 8,
        backtest_horizon: 4,
        protection_buckets: None,
        origins: 3,
        metric: Metric::Mase,
        season_length,
        discontinued_after: 26,
        outlier_sigma: 6.0,
        selection: Selection::BestWithCombination,
        selection_margin: 0.1,
        ..ForecastSettings::default()
    }
}

/// Demand series: mostly counts, with zero runs, spikes and steps.
fn series() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            3 => Just(0.0),
            5 => 0.0..50.0f64,
            1 => 0.0..5000.0f64,
            1 => (0u32..20).prop_map(f64::from),
        ],
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn forecasts_are_finite_non_negative_and_ordered(y in series(), seasonal in any::<bool>()) {
        let m = if seasonal { 12 } else { 1 };
        let candidates = Candidates::standard(m, 8);
        let pattern = demand::pattern(&y);
        for p in [pattern, Pattern::Smooth, Pattern::Intermittent] {
            let fc = forecast_series(candidates.for_pattern(p), &y, p, &settings(m));
            prop_assert_eq!(fc.mean.len(), 8);
            prop_assert!(fc.sigma.is_finite() && fc.sigma >= 0.0, "sigma {}", fc.sigma);
            for k in 0..8 {
                prop_assert!(fc.mean[k].is_finite() && fc.mean[k] >= 0.0, "mean {:?}", fc.mean);
                let (lo, mid, hi) = (fc.quantile(k, 0.1), fc.quantile(k, 0.5), fc.quantile(k, 0.9));
                prop_assert!(lo.is_finite() && mid.is_finite() && hi.is_finite());
                prop_assert!(0.0 <= lo && lo <= mid && mid <= hi, "{} {} {}", lo, mid, hi);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn orders_are_whole_packs_at_least_the_moq(
        rate in 0.0..500.0f64,
        sigma in 0.0..2000.0f64,
        lead in 0.0..120.0f64,
        lead_sd in 0.0..30.0f64,
        review in 0.0..28.0f64,
        target in 0.5..0.999f64,
        fill_rate in any::<bool>(),
        count in any::<bool>(),
        moq in 0.0..500.0f64,
        pack in 1u32..50,
        on_hand in 0.0..20000.0f64,
        on_order in 0.0..5000.0f64,
        backordered in 0.0..3000.0f64,
        allocated in 0.0..500.0f64,
        arrival in -30i64..90,
        eoq in prop::option::of(1.0..5000.0f64),
        count_ratio in prop::option::of(1.0..6.0f64),
    ) {
        let input = PolicyInput {
            rate: DailyRate::new(vec![rate, rate * 0.5, rate * 1.5]),
            sigma_bucket: sigma,
            bucket_days: 7.0,
            lead_time_days: lead,
            lead_time_sd_days: lead_sd,
            review_period_days: review,
            order_cycle_days: 28.0,
            service: if fill_rate { ServiceTarget::FillRate(target) } else { ServiceTarget::CycleService(target) },
            order_quantity: eoq,
            count_demand: count,
            count_below: 10.0,
            moq,
            pack_size: f64::from(pack),
            on_hand,
            on_order,
            backordered,
            allocated,
            arrivals: if on_order > 0.0 { vec![(arrival, on_order)] } else { vec![] },
            projection_days: 200,
            forecast_errors: Default::default(),
            demand_process: None,
            replenishment: replenish::policy::Replenishment::Replenish,
            reorder_point_cap: None,
            count_variance_ratio: count_ratio,
        };
        let out = plan(&input);
        prop_assert_eq!(replenish::policy::service_point(&input), (out.expected_fill_rate, out.reorder_point));
        for v in [out.lead_time_demand, out.lead_time_demand_sd, out.safety_stock, out.reorder_point,
                  out.order_up_to, out.inventory_position, out.order_qty, out.stockout_risk,
                  out.expected_fill_rate, out.cycle_quantity, out.uncovered_backorders] {
            prop_assert!(v.is_finite(), "{:?}", out);
        }
        prop_assert!(out.reorder_point >= 0.0 && out.order_up_to >= out.reorder_point);
        prop_assert!((0.0..=1.0).contains(&out.stockout_risk));
        prop_assert!((0.0..=1.0).contains(&out.expected_fill_rate));
        prop_assert!(out.order_qty >= 0.0);
        if out.order_qty > 0.0 {
            prop_assert!(out.order_qty >= moq - 1e-9, "{} < moq {}", out.order_qty, moq);
            let packs = out.order_qty / f64::from(pack);
            prop_assert!((packs - packs.round()).abs() < 1e-6, "{} not packs of {}", out.order_qty, pack);
            prop_assert!(out.order_qty + 1e-9 >= out.uncovered_backorders);
        }
    }

    #[test]
    fn the_loss_function_inverts(k in -6.0..6.0f64) {
        let back = inverse_normal_loss(normal_loss(k));
        prop_assert!((back - k).abs() < 1e-6, "{} -> {}", k, back);
    }

    #[test]
    fn a_higher_fill_rate_never_lowers_a_count_reorder_point(
        mean in 0.01..40.0f64,
        over in 1.0..5.0f64,
        q in 0.5..100.0f64,
        b1 in 0.5..0.999f64,
        b2 in 0.5..0.999f64,
    ) {
        let (lo, hi) = if b1 <= b2 { (b1, b2) } else { (b2, b1) };
        let a = count_reorder_point_fill(mean, mean * over, lo, q).unwrap();
        let b = count_reorder_point_fill(mean, mean * over, hi, q).unwrap();
        prop_assert!(a <= b, "{} > {}", a, b);
    }
}
