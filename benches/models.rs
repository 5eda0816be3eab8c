//! Per-model benches: every model family of `src/forecast`, fitted once to one
//! series and forecasting `h` ahead — the unit of work that statsforecast's
//! per-model timings (`../shared/peers/peer_forecast.py`) repeat over a data
//! set. Regular models run on a monthly series shaped like an M3 monthly
//! training part (126 months, trend, multiplicative season, noise; h = 18,
//! m = 12), intermittent ones on a weekly series shaped like
//! `synth_intermittent` (91 weeks, demand in 30 % of them; h = 13).
//!
//! `cargo bench --bench models`; the per-data-set comparison with
//! statsforecast is in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use replenish::forecast::{
    Adida, AutoEts, Croston, CrostonOptimized, CrostonSba, HistoricAverage, Holt, HoltWinters,
    Imapa, Model, MovingAverage, Naive, SeasonalNaive, Ses, Theta, Tsb, TsbOptimized,
};

/// A deterministic uniform generator on [0, 1).
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 126 months: level 4000, trend 0.4 % a month, multiplicative season of
/// amplitude 20 %, 8 % noise.
fn monthly() -> Vec<f64> {
    let mut u = uniform(2026);
    (0..126)
        .map(|t| {
            let season = 1.0 + 0.2 * (t as f64 * std::f64::consts::TAU / 12.0).sin();
            let noise = 1.0 + 0.16 * (u() - 0.5);
            (4000.0 * (1.0 + 0.004 * t as f64) * season * noise).round()
        })
        .collect()
}

/// 91 weeks: demand with probability 0.3, sizes 1 + geometric with mean 4.
fn intermittent() -> Vec<f64> {
    let mut u = uniform(42);
    (0..91)
        .map(|_| {
            if u() < 0.3 {
                1.0 + (u().ln() / 0.8f64.ln()).floor()
            } else {
                0.0
            }
        })
        .collect()
}

fn bench_group(c: &mut Criterion, group: &str, y: &[f64], h: usize, models: &[Box<dyn Model>]) {
    let mut g = c.benchmark_group(group);
    for model in models {
        // every model must fit this series, or the bench would time nothing
        assert!(model.fit(y).is_some(), "{} does not fit", model.name());
        g.bench_function(model.name(), |b| {
            b.iter(|| model.fit(black_box(y)).map(|f| f.predict(h)))
        });
    }
    g.finish();
}

fn bench_regular(c: &mut Criterion) {
    let models: Vec<Box<dyn Model>> = vec![
        Box::new(Naive),
        Box::new(SeasonalNaive::new(12)),
        Box::new(HistoricAverage),
        Box::new(MovingAverage::new(8)),
        Box::new(Ses::new()),
        Box::new(Holt::new(true)),
        Box::new(HoltWinters::additive(12)),
        Box::new(HoltWinters::multiplicative(12)),
        Box::new(AutoEts::new(12)),
        Box::new(Theta::new(12)),
    ];
    bench_group(c, "monthly_126_h18", &monthly(), 18, &models);
}

fn bench_intermittent(c: &mut Criterion) {
    let models: Vec<Box<dyn Model>> = vec![
        Box::new(Croston),
        Box::new(CrostonSba),
        Box::new(CrostonOptimized),
        Box::new(Tsb::default()),
        Box::new(TsbOptimized),
        Box::new(Adida::default()),
        Box::new(Imapa),
        Box::new(Ses::new()),
        Box::new(AutoEts::new(1)),
    ];
    bench_group(c, "intermittent_91_h13", &intermittent(), 13, &models);
}

criterion_group!(benches, bench_regular, bench_intermittent);
criterion_main!(benches);
