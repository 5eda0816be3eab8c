//! Per-stage benches: forecasting one series (both candidates, backtest,
//! selection) and applying the policy to it. End-to-end timing of a whole run
//! is `benches/run_sample.sh`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use replenish::demand::Pattern;
use replenish::forecast::{Candidates, ForecastSettings, Metric, Selection, forecast_series};
use replenish::policy::{DailyRate, PolicyInput, ServiceTarget, plan};

/// A deterministic weekly series: level, yearly season and a little noise.
fn series(n: usize) -> Vec<f64> {
    let mut state = 12_345u64;
    (0..n)
        .map(|t| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let noise = (state >> 40) as f64 / (1u64 << 24) as f64 - 0.5;
            let season = (t as f64 * std::f64::consts::TAU / 52.0).sin();
            (50.0 + 15.0 * season + 20.0 * noise).max(0.0).round()
        })
        .collect()
}

fn bench_forecast(c: &mut Criterion) {
    let y = series(156);
    let candidates = Candidates::standard(52, 8);
    let settings = ForecastSettings {
        horizon: 13,
        backtest_horizon: 5,
        origins: 3,
        metric: Metric::Mase,
        season_length: 52,
        discontinued_after: 26,
        outlier_sigma: 6.0,
        selection: Selection::BestWithCombination,
        selection_margin: 0.1,
    };
    let models = candidates.for_pattern(Pattern::Smooth);
    c.bench_function("forecast_series/156_weeks", |b| {
        b.iter(|| forecast_series(black_box(models), black_box(&y), Pattern::Smooth, &settings))
    });
}

fn bench_policy(c: &mut Criterion) {
    let input = PolicyInput {
        rate: DailyRate::new(vec![7.0; 120]),
        sigma_bucket: 12.0,
        bucket_days: 7.0,
        lead_time_days: 28.0,
        lead_time_sd_days: 4.0,
        review_period_days: 7.0,
        order_cycle_days: 28.0,
        service: ServiceTarget::FillRate(0.95),
        order_quantity: None,
        count_demand: false,
        count_below: 10.0,
        moq: 24.0,
        pack_size: 12.0,
        on_hand: 180.0,
        on_order: 100.0,
        backordered: 0.0,
        allocated: 5.0,
        arrivals: vec![(9, 100.0)],
        projection_days: 120,
    };
    c.bench_function("policy_plan/one_series", |b| {
        b.iter(|| plan(black_box(&input)))
    });
}

criterion_group!(benches, bench_forecast, bench_policy);
criterion_main!(benches);
