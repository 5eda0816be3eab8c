//! Per-stage benches: reading and validating an input folder, building the
//! demand panel, forecasting one series (both candidates, backtest,
//! selection) and applying the policy to it. End-to-end timing of a whole run
//! is `benches/run_sample.sh`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use replenish::demand::Pattern;
use replenish::forecast::{Candidates, ForecastSettings, forecast_series};
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
    let settings = ForecastSettings::default();
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
        forecast_errors: Default::default(),
        demand_process: None,
        replenishment: replenish::policy::Replenishment::Replenish,
        reorder_point_cap: None,
        count_variance_ratio: None,
    };
    c.bench_function("policy_plan/one_series", |b| {
        b.iter(|| plan(black_box(&input)))
    });
}

/// One series chart as the report draws it: 156 weeks of history, a 13-week
/// forecast fan and the stock panel, as PNG and as SVG.
fn bench_chart(c: &mut Criterion) {
    use chrono::{Duration, NaiveDate};
    use replenish::charts::{SeriesChart, StockPanel, draw_series_png, draw_series_svg};
    let y = series(156);
    let start = NaiveDate::from_ymd_opt(2023, 11, 27).unwrap();
    let history: Vec<NaiveDate> = (0..156).map(|w| start + Duration::weeks(w)).collect();
    let backordered: Vec<f64> = y.iter().map(|v| (v - 60.0).max(0.0)).collect();
    let future: Vec<NaiveDate> = (156..169).map(|w| start + Duration::weeks(w)).collect();
    let mean = vec![50.0; 13];
    let p10 = vec![35.0; 13];
    let p90 = vec![65.0; 13];
    let on_hand: Vec<f64> = (0..120)
        .map(|d| 180.0 - 7.0 * d as f64 + if d >= 9 { 100.0 } else { 0.0 })
        .collect();
    let with_order: Vec<f64> = on_hand
        .iter()
        .enumerate()
        .map(|(d, v)| v + if d >= 28 { 240.0 } else { 0.0 })
        .collect();
    let position: Vec<f64> = (0..120).map(|d| 275.0 - 7.0 * d as f64).collect();
    let arrivals = [(9, 100.0)];
    let chart = SeriesChart {
        title: "SKU-00001 @ DC1 — Widget",
        subtitle: "bench",
        unit_label: "units / week",
        history_start: &history,
        shipped: &y,
        backordered: &backordered,
        forecast_start: &future,
        forecast_mean: &mean,
        forecast_p10: &p10,
        forecast_p90: &p90,
        reorder_point: 0.0,
        order_up_to: 0.0,
        bucket_days: 7,
        stock: Some(StockPanel {
            start: start + Duration::weeks(156),
            on_hand: &on_hand,
            with_order: &with_order,
            position: &position,
            reorder_point: 230.0,
            order_up_to: 430.0,
            arrivals: &arrivals,
            order: Some((28, 240.0)),
            stockout_day: Some(40),
            served: &[(0, 12.0), (28, 30.0)],
        }),
    };
    let dir = tempfile::tempdir().unwrap();
    let (png, svg) = (dir.path().join("c.png"), dir.path().join("c.svg"));
    c.bench_function("chart/series_png_and_svg", |b| {
        b.iter(|| {
            draw_series_png(black_box(&chart), &png).unwrap();
            draw_series_svg(black_box(&chart), &svg).unwrap();
        })
    });
}

/// Ingest of a generated folder (`replenish::sample`, 2,000 SKUs at 2
/// locations, 3 years: 4,000 series, 457,851 sales rows, 94,411
/// purchase-order lines, 23 MB of CSV) and the demand panel built from it.
fn bench_ingest(c: &mut Criterion) {
    use replenish::calendar::Bucket;
    use replenish::config::Config;
    use replenish::demand::{Panel, PricePromo};
    use replenish::ingest::load;
    use replenish::sample::{SampleOptions, generate};
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(
        &SampleOptions {
            skus: 2_000,
            ..SampleOptions::default()
        },
        dir.path(),
    )
    .unwrap();
    eprintln!(
        "ingest bench data: {} series, {} sales rows, {} purchase-order rows",
        summary.series, summary.sales_rows, summary.purchase_order_rows
    );
    let config = Config::default();
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.bench_function("csv_4000_series", |b| {
        b.iter(|| load(black_box(dir.path()), &config, None).unwrap())
    });
    let data = load(dir.path(), &config, None).unwrap();
    group.bench_function("demand_panel_4000_series", |b| {
        b.iter(|| Panel::build(black_box(&data), Bucket::Week, PricePromo::Kept))
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_ingest,
    bench_forecast,
    bench_policy,
    bench_chart
);
criterion_main!(benches);
