//! Per-series demand and forecast charts, written as PNG or SVG with plotters.
//!
//! One chart shows a single SKU × location series: history as stacked bars
//! (shipped, with backorders on top, so the bar height is true demand), the
//! forecast as a mean line inside a p10–p90 band, and the reorder point and
//! order-up-to level as dashed horizontal lines over the forecast horizon.
//!
//! The drawing code is written once, generic over the plotters backend, and is
//! deterministic: the same input always gives the same bytes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Colour of units shipped (history bars).
pub const SHIPPED: RGBColor = RGBColor(70, 130, 180);
/// Colour of units backordered (stacked on top of the shipped bars).
pub const BACKORDERED: RGBColor = RGBColor(222, 74, 38);
/// Colour of the forecast mean line.
pub const FORECAST: RGBColor = RGBColor(112, 48, 160);
/// Colour of the p10–p90 forecast band (drawn translucent, see [`FAN_OPACITY`]).
pub const FAN: RGBColor = RGBColor(150, 110, 205);
/// Colour of the reorder-point line.
pub const REORDER_POINT: RGBColor = RGBColor(34, 139, 34);
/// Colour of the order-up-to line.
pub const ORDER_UP_TO: RGBColor = RGBColor(70, 90, 130);
/// Colour of the vertical "as of" marker at the start of the forecast.
pub const AS_OF: RGBColor = RGBColor(120, 120, 120);
/// Opacity of the forecast band fill.
pub const FAN_OPACITY: f64 = 0.30;

/// Default picture width in pixels.
const WIDTH: u32 = 1000;
/// Default picture height in pixels.
const HEIGHT: u32 = 500;
/// Main text colour.
const INK: RGBColor = RGBColor(33, 33, 33);
/// Secondary text colour (subtitle, axis).
const MUTED: RGBColor = RGBColor(95, 95, 95);
/// Grid line colour.
const GRID: RGBColor = RGBColor(228, 228, 228);
/// Font family every text uses; registered from the embedded DejaVu Sans.
const FAMILY: &str = "sans-serif";
/// Largest value drawn; anything above is clipped so that sums and scales
/// stay finite.
const MAX_VALUE: f64 = 1e15;

/// Embedded DejaVu Sans (no system fonts are used).
static FONT_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// Data for one series chart; all slices borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct SeriesChart<'a> {
    /// Chart title, e.g. `"SKU-00012 @ DC1 — Widget 12mm steel"`.
    pub title: &'a str,
    /// Second header line, e.g. `"model SES · lead time 21 d · service 95 %"`.
    pub subtitle: &'a str,
    /// Y axis label, e.g. `"units / week"`.
    pub unit_label: &'a str,
    /// Start date of each history bucket.
    pub history_start: &'a [NaiveDate],
    /// Units shipped per history bucket.
    pub shipped: &'a [f64],
    /// Units backordered per history bucket (stacked on shipped).
    pub backordered: &'a [f64],
    /// Start date of each forecast bucket (after history).
    pub forecast_start: &'a [NaiveDate],
    /// Forecast mean per forecast bucket.
    pub forecast_mean: &'a [f64],
    /// Forecast 10th percentile per forecast bucket.
    pub forecast_p10: &'a [f64],
    /// Forecast 90th percentile per forecast bucket.
    pub forecast_p90: &'a [f64],
    /// Reorder point, drawn as a horizontal line (units, same axis).
    pub reorder_point: f64,
    /// Order-up-to level, drawn as a horizontal line.
    pub order_up_to: f64,
    /// Width of one bucket in days (1, 7 or ~30), for bar widths.
    pub bucket_days: i64,
    /// The projected stock under the demand chart, when given.
    pub stock: Option<StockPanel<'a>>,
}

/// The projected stock of one series from the as-of date on, drawn as a
/// second panel under its demand chart.
#[derive(Debug, Clone, Copy)]
pub struct StockPanel<'a> {
    /// The as-of date (day 0).
    pub start: NaiveDate,
    /// Projected net stock (on hand − allocated − backordered, plus open PO
    /// arrivals, minus forecast demand) at the end of each day, without a new order.
    pub on_hand: &'a [f64],
    /// The same with the recommended order arriving after the lead time.
    pub with_order: &'a [f64],
    /// Projected inventory position at the end of each day, without a new order.
    pub position: &'a [f64],
    /// Reorder point.
    pub reorder_point: f64,
    /// Order-up-to level.
    pub order_up_to: f64,
    /// Open purchase-order arrivals: (day, units).
    pub arrivals: &'a [(i64, f64)],
    /// The recommended order's arrival: (day, units).
    pub order: Option<(i64, f64)>,
    /// Day stock runs out without a new order.
    pub stockout_day: Option<i64>,
    /// Open customer order lines served: (day they can ship in full, units).
    pub served: &'a [(i64, f64)],
}

/// Colour of projected stock on hand.
pub const STOCK: RGBColor = RGBColor(0, 128, 128);
/// Colour of open purchase-order arrivals.
pub const ARRIVAL: RGBColor = RGBColor(139, 101, 8);
/// Colour of the recommended order.
pub const ORDER: RGBColor = RGBColor(230, 159, 0);
/// Colour of plain counts (series per pattern).
pub const COUNT: RGBColor = RGBColor(110, 110, 110);
/// Colour of the projected inventory position.
pub const POSITION: RGBColor = RGBColor(150, 150, 150);

/// Height of the stock panel under a series chart.
const STOCK_HEIGHT: u32 = 300;

/// Error drawing a chart.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Drawing or writing the chart file failed.
    #[error("cannot draw chart {path}: {message}")]
    Draw {
        /// File the chart was meant to be written to.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Draw a PNG (1000 wide; 500 high, 800 with the stock panel) of the chart at
/// `path`. A failed draw never leaves a half-written chart behind, and the
/// output is PNG whatever the extension of `path`.
pub fn draw_series_png(chart: &SeriesChart<'_>, path: &Path) -> Result<(), ChartError> {
    render_png(path, (WIDTH, series_height(chart)), |root| {
        draw_series(root, chart)
    })
}

/// Same picture as SVG.
pub fn draw_series_svg(chart: &SeriesChart<'_>, path: &Path) -> Result<(), ChartError> {
    render_svg(path, (WIDTH, series_height(chart)), |root| {
        draw_series(root, chart)
    })
}

/// Render a PNG of `size` at `path` with `draw`: drawn next to `path` under a
/// temporary `.png` name (plotters picks the format from the extension) and
/// renamed, so a failed draw never leaves a half-written picture behind.
fn render_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(), ChartError> {
    let fail = |message: String| ChartError::Draw {
        path: path.to_path_buf(),
        message,
    };
    ensure_font().map_err(fail)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chart".to_string());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp.png", std::process::id()));
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    let drawn = {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        draw(&root).and_then(|()| root.present().map_err(|e| e.to_string()))
    };
    let result = drawn
        .and_then(|()| encode_png(&pixels, size, &tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

/// Write RGB `pixels` of `size` as a PNG at `path` at zlib's default level:
/// a chart's flat colours take half the bytes of plotters' fast encoding,
/// for about 2 ms a chart.
fn encode_png(pixels: &[u8], size: (u32, u32), path: &Path) -> Result<(), String> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut writer = std::io::BufWriter::new(file);
    PngEncoder::new_with_quality(&mut writer, CompressionType::Default, FilterType::Adaptive)
        .write_image(pixels, size.0, size.1, image::ColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    std::io::Write::flush(&mut writer).map_err(|e| e.to_string())
}

/// Render an SVG of `size` at `path` with `draw`.
fn render_svg(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(), ChartError> {
    let fail = |message: String| ChartError::Draw {
        path: path.to_path_buf(),
        message,
    };
    ensure_font().map_err(fail)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    std::fs::write(path, svg).map_err(|e| fail(e.to_string()))
}

/// Picture height of a series chart: the demand chart, plus the stock panel.
fn series_height(chart: &SeriesChart<'_>) -> u32 {
    HEIGHT + chart.stock.map_or(0, |_| STOCK_HEIGHT)
}

/// The demand chart and, under it, the stock panel.
fn draw_series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SeriesChart<'_>,
) -> Result<(), String> {
    match &chart.stock {
        None => draw_chart(root, chart),
        Some(stock) => {
            let (top, bottom) = root.split_vertically(HEIGHT);
            draw_chart(&top, chart)?;
            draw_stock(&bottom, stock)
        }
    }
}

/// The value range of a stock panel: its lines and levels, padded, from 0
/// unless stock goes negative.
fn stock_range(p: &StockPanel<'_>) -> (f64, f64) {
    let series = [p.on_hand, p.with_order, p.position];
    let values = series
        .iter()
        .flat_map(|s| s.iter().copied())
        .chain([p.reorder_point, p.order_up_to]);
    let (lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0_f64, 0.0_f64), |(a, b), v| {
            (a.min(v.max(-MAX_VALUE)), b.max(v.min(MAX_VALUE)))
        });
    if hi - lo < 1.0 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.08;
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

/// The stock panel's markers: open purchase orders arriving, the recommended
/// order arriving, the projected stock-out (`range`: the value axis).
fn stock_markers<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    p: &StockPanel<'_>,
    days: usize,
    range: (f64, f64),
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (lo, hi) = range;
    let start = p.start;
    let date_of = move |x: f64| start + chrono::Duration::days(x.round() as i64);
    let at = |s: &[f64], d: i64| s.get(d.max(0) as usize).copied().unwrap_or(0.0);
    let arrivals: Vec<(f64, f64)> = p
        .arrivals
        .iter()
        .filter(|(d, _)| ((*d).max(0) as usize) < days)
        .map(|&(d, _)| (d.max(0) as f64, at(p.on_hand, d)))
        .collect();
    if !arrivals.is_empty() {
        chart
            .draw_series(
                arrivals
                    .iter()
                    .map(|&pt| TriangleMarker::new(pt, 7, ARRIVAL.filled())),
            )
            .map_err(err)?
            .label("Open purchase order arrives")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, ARRIVAL.filled()));
    }
    if let Some((d, _)) = p.order.filter(|(d, _)| (*d as usize) < days) {
        chart
            .draw_series(std::iter::once(TriangleMarker::new(
                (d as f64, at(p.with_order, d)),
                8,
                ORDER.filled(),
            )))
            .map_err(err)?
            .label(format!("Recommended order arrives {}", date_of(d as f64)))
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, ORDER.filled()));
    }
    let served: Vec<(f64, f64)> = p
        .served
        .iter()
        .filter(|(d, _)| ((*d).max(0) as usize) < days)
        .map(|&(d, _)| (d.max(0) as f64, at(p.with_order, d)))
        .collect();
    if !served.is_empty() {
        let units: f64 = p.served.iter().map(|s| s.1).sum();
        chart
            .draw_series(
                served
                    .iter()
                    .map(|&pt| Circle::new(pt, 5, BACKORDERED.filled())),
            )
            .map_err(err)?
            .label(format!("Open customer orders ship ({units:.0} units)"))
            .legend(|(x, y)| Circle::new((x + 10, y), 4, BACKORDERED.filled()));
    }
    if let Some(d) = p.stockout_day.filter(|d| (*d as usize) < days) {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(d as f64, lo), (d as f64, hi)],
                BACKORDERED.stroke_width(2),
            )))
            .map_err(err)?
            .label(if d == 0 {
                "Out of stock now: backorders waiting".to_string()
            } else {
                format!("Stock-out {}", date_of(d as f64))
            })
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x + 10, y - 7), (x + 10, y + 7)],
                    BACKORDERED.stroke_width(2),
                )
            });
    }
    Ok(())
}

/// The stock panel: projected stock on hand with and without the recommended
/// order, the inventory position, the reorder point and order-up-to level,
/// PO arrivals, the order's arrival and the stock-out date.
fn draw_stock<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &StockPanel<'_>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let days = p.on_hand.len().max(p.position.len()).max(2);
    let (lo, hi) = stock_range(p);
    let decimals = unit_decimals(hi - lo);
    let start = p.start;
    let date_of = move |x: f64| start + chrono::Duration::days(x.round() as i64);
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Projected stock (units) if nothing else is ordered, and with the recommended order",
            text_style(15.0, &INK),
        )
        .margin_left(16)
        .margin_right(28)
        .margin_bottom(6)
        .x_label_area_size(30)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..(days as f64 - 1.0), lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_labels(8)
        .x_label_formatter(&|x| date_of(*x).format("%Y-%m-%d").to_string())
        .y_label_formatter(&|v| fmt_units(*v, decimals))
        .label_style(text_style(13.0, &INK))
        .draw()
        .map_err(err)?;
    let x_end = days as f64 - 1.0;
    let level = |y: f64, color: RGBColor| {
        DashedPathElement::new(vec![(0.0, y), (x_end, y)], 6, 4, color.stroke_width(2))
    };
    for (y, color, name) in [
        (p.order_up_to, ORDER_UP_TO, "Order-up-to"),
        (p.reorder_point, REORDER_POINT, "Reorder point"),
    ] {
        if y > 0.0 {
            chart
                .draw_series(std::iter::once(level(y, color)))
                .map_err(err)?
                .label(format!("{name} {}", fmt_units(y, decimals)))
                .legend(move |(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 20, y)], 6, 4, color.stroke_width(2))
                });
        }
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (x_end, 0.0)],
            MUTED.stroke_width(1),
        )))
        .map_err(err)?;
    let line = |s: &[f64]| -> Vec<(f64, f64)> {
        s.iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    i as f64,
                    if v.is_finite() {
                        v.clamp(-MAX_VALUE, MAX_VALUE)
                    } else {
                        0.0
                    },
                )
            })
            .collect()
    };
    chart
        .draw_series(LineSeries::new(line(p.position), POSITION.stroke_width(2)))
        .map_err(err)?
        .label("Inventory position (on hand + on order − backorders)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], POSITION.stroke_width(2)));
    if p.order.is_some() {
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                line(p.with_order),
                5,
                3,
                STOCK.stroke_width(2),
            )))
            .map_err(err)?
            .label("Stock with the recommended order")
            .legend(|(x, y)| {
                DashedPathElement::new(vec![(x, y), (x + 20, y)], 5, 3, STOCK.stroke_width(2))
            });
    }
    chart
        .draw_series(LineSeries::new(line(p.on_hand), STOCK.stroke_width(3)))
        .map_err(err)?
        .label("Stock on hand, no new order")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], STOCK.stroke_width(3)));
    stock_markers(&mut chart, p, days, (lo, hi))?;
    legend_box(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The legend box of the charts built with plotters' `ChartBuilder` (stock
/// panel, trade-off, bars): one style everywhere.
fn legend_box<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(text_style(12.0, &INK))
        .draw()
        .map_err(|e| e.to_string())
}

/// Register the embedded font under [`FAMILY`] once per process.
fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for style in [FontStyle::Normal, FontStyle::Bold] {
                register_font(FAMILY, style, FONT_BYTES)
                    .map_err(|_| "embedded DejaVu Sans font could not be loaded".to_string())?;
            }
            Ok(())
        })
        .clone()
}

/// Clean one input value: non-finite or negative becomes 0, huge is clipped.
fn clean(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, MAX_VALUE)
    } else {
        0.0
    }
}

/// A date as an x coordinate (days since 0001-01-01).
fn day_x(d: NaiveDate) -> f64 {
    f64::from(d.num_days_from_ce())
}

/// The date of an x coordinate (inverse of [`day_x`], rounded down).
fn x_date(x: f64) -> Option<NaiveDate> {
    if !x.is_finite() {
        return None;
    }
    let day = x.floor().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
    NaiveDate::from_num_days_from_ce_opt(day)
}

/// One forecast bucket, cleaned.
#[derive(Debug, Clone, Copy)]
struct FcPoint {
    /// Bucket start (x coordinate).
    x: f64,
    /// Forecast mean.
    mean: f64,
    /// Lower band edge.
    lo: f64,
    /// Upper band edge.
    hi: f64,
}

/// One history bucket, cleaned.
#[derive(Debug, Clone, Copy)]
struct Bar {
    /// Bucket start (x coordinate).
    x: f64,
    /// Units shipped.
    shipped: f64,
    /// Units backordered.
    backordered: f64,
}

/// Chart input after cleaning: everything finite, lengths consistent,
/// buckets in date order, and the axis ranges worked out.
#[derive(Debug, Clone)]
struct Prepared {
    bars: Vec<Bar>,
    forecast: Vec<FcPoint>,
    reorder_point: f64,
    order_up_to: f64,
    /// Bucket width in days.
    bucket: f64,
    x_lo: f64,
    x_hi: f64,
    y_hi: f64,
    /// False when there is no dated bucket at all (no date ticks then).
    has_dates: bool,
}

impl Prepared {
    fn new(c: &SeriesChart<'_>) -> Self {
        let bucket = c.bucket_days.clamp(1, 366) as f64;
        let mut bars: Vec<Bar> = c
            .history_start
            .iter()
            .zip(c.shipped)
            .zip(c.backordered)
            .map(|((d, s), b)| Bar {
                x: day_x(*d),
                shipped: clean(*s),
                backordered: clean(*b),
            })
            .collect();
        bars.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut forecast: Vec<FcPoint> = c
            .forecast_start
            .iter()
            .zip(c.forecast_mean)
            .zip(c.forecast_p10.iter().zip(c.forecast_p90))
            .map(|((d, m), (p10, p90))| {
                let (p10, p90) = (clean(*p10), clean(*p90));
                FcPoint {
                    x: day_x(*d),
                    mean: clean(*m),
                    lo: p10.min(p90),
                    hi: p10.max(p90),
                }
            })
            .collect();
        forecast.sort_by(|a, b| a.x.total_cmp(&b.x));

        let xs = bars.iter().map(|b| b.x).chain(forecast.iter().map(|f| f.x));
        let (x_lo, x_last) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let has_dates = x_lo.is_finite();
        let (x_lo, x_hi) = if has_dates {
            (x_lo, x_last + bucket)
        } else {
            (0.0, bucket)
        };

        let reorder_point = clean(c.reorder_point);
        let order_up_to = clean(c.order_up_to);
        let data_max = bars
            .iter()
            .map(|b| b.shipped + b.backordered)
            .chain(forecast.iter().map(|f| f.hi.max(f.mean)))
            .chain([reorder_point, order_up_to])
            .fold(0.0_f64, f64::max);
        // Headroom above the data for the "as of" label.
        let y_hi = if data_max > 0.0 { data_max * 1.12 } else { 1.0 };

        Self {
            bars,
            forecast,
            reorder_point,
            order_up_to,
            bucket,
            x_lo,
            x_hi,
            y_hi,
            has_dates,
        }
    }

    /// Where the forecast starts (the "as of" date), if there is a forecast.
    fn as_of(&self) -> Option<f64> {
        self.forecast.first().map(|f| f.x)
    }

    /// Polyline x positions and values for the forecast: bucket centres,
    /// extended flat to the first bucket's start and the last bucket's end
    /// so the band begins exactly where history ends.
    fn forecast_path(&self, value: impl Fn(&FcPoint) -> f64) -> Vec<(f64, f64)> {
        let (Some(first), Some(last)) = (self.forecast.first(), self.forecast.last()) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(self.forecast.len() + 2);
        out.push((first.x, value(first)));
        out.extend(
            self.forecast
                .iter()
                .map(|f| (f.x + self.bucket / 2.0, value(f))),
        );
        out.push((last.x + self.bucket, value(last)));
        out
    }
}

/// Choose x tick positions: month (or year) starts for long spans, day/week
/// steps for short ones, never more than `max_labels`. Returns the ticks and
/// whether the labels should show the day.
fn x_ticks(x_lo: f64, x_hi: f64, max_labels: usize) -> (Vec<f64>, bool) {
    let max_labels = max_labels.max(2);
    let (Some(lo), Some(hi)) = (x_date(x_lo), x_date(x_hi)) else {
        return (Vec::new(), false);
    };
    if hi <= lo {
        return (Vec::new(), false);
    }
    let span = (hi - lo).num_days();
    for step in [1_i64, 2, 7, 14] {
        if span / step < max_labels as i64 {
            let ticks = (0..=span / step)
                .map(|k| x_lo + (k * step) as f64)
                .filter(|x| *x <= x_hi)
                .collect();
            return (ticks, true);
        }
    }
    let month_index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    let (m_lo, m_hi) = (month_index(lo), month_index(hi));
    for step in [1_i64, 2, 3, 6, 12, 24, 60, 120, 600, 1200] {
        let first = m_lo.div_euclid(step) * step;
        let ticks: Vec<f64> = (0..)
            .map(|k| first + k * step)
            .take_while(|m| *m <= m_hi)
            .filter_map(|m| {
                let year = i32::try_from(m.div_euclid(12)).ok()?;
                let month = u32::try_from(m.rem_euclid(12)).ok()? + 1;
                NaiveDate::from_ymd_opt(year, month, 1)
            })
            .map(day_x)
            .filter(|x| *x >= x_lo && *x <= x_hi)
            .collect();
        if ticks.len() <= max_labels {
            return (ticks, false);
        }
    }
    (Vec::new(), false)
}

/// The x axis: day numbers (see [`day_x`]) with our own date ticks.
///
/// `WithKeyPoints` over an `f64` range cannot be used with
/// `configure_mesh` (it inherits `NoDefaultFormatting` but no formatter),
/// hence this small wrapper.
struct DayAxis {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for DayAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// Format a date tick.
fn fmt_date(x: f64, with_day: bool) -> String {
    match x_date(x) {
        Some(d) if with_day => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        Some(d) => format!("{:04}-{:02}", d.year(), d.month()),
        None => String::new(),
    }
}

/// How many decimals unit labels need on an axis reaching `y_hi`: none from
/// 10 up, enough to tell apart plotters' 1-2-5 tick steps below.
fn unit_decimals(y_hi: f64) -> usize {
    if !(y_hi.is_finite() && y_hi > 0.0) || y_hi >= 10.0 {
        0
    } else {
        (-y_hi.log10()).ceil().clamp(0.0, 4.0) as usize + 2
    }
}

/// Format a unit count: a whole number with thousands separators when
/// `decimals` is 0, else with up to `decimals` decimals (trailing zeros cut).
fn fmt_units(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if decimals > 0 {
        let s = format!("{v:.decimals$}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        };
    }
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Text style in the chart font.
fn text_style(size: f64, color: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(color)
}

/// Width in pixels of `text` in `style` (0 if it cannot be measured).
fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
) -> u32 {
    area.estimate_text_size(text, style)
        .map(|(w, _)| w)
        .unwrap_or(0)
}

/// Shorten `text` with an ellipsis until it fits in `max_w` pixels.
fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    max_w: u32,
) -> String {
    if text_width(area, text, style) <= max_w {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if text_width(area, &candidate, style) <= max_w {
            return candidate;
        }
    }
    String::new()
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    /// A filled square.
    Block(RGBAColor),
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
}

/// Legend entries for what the chart actually shows.
fn legend_entries(p: &Prepared) -> Vec<(Swatch, String)> {
    let mut out = Vec::new();
    if !p.bars.is_empty() {
        out.push((Swatch::Block(SHIPPED.to_rgba()), "Shipped".to_string()));
        out.push((
            Swatch::Block(BACKORDERED.to_rgba()),
            "Backordered".to_string(),
        ));
    }
    if !p.forecast.is_empty() {
        out.push((Swatch::Line(FORECAST), "Forecast (mean)".to_string()));
        out.push((
            Swatch::Block(FAN.mix(FAN_OPACITY)),
            "Forecast p10–p90".to_string(),
        ));
    }
    let decimals = unit_decimals(p.y_hi);
    if p.reorder_point > 0.0 {
        out.push((
            Swatch::Dashed(REORDER_POINT),
            format!("Reorder point {}", fmt_units(p.reorder_point, decimals)),
        ));
    }
    if p.order_up_to > 0.0 {
        out.push((
            Swatch::Dashed(ORDER_UP_TO),
            format!("Order-up-to {}", fmt_units(p.order_up_to, decimals)),
        ));
    }
    out
}

/// Pixel layout of the legend: (x, y) of each entry, and the rows used.
fn legend_layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(Swatch, String)],
    left: i32,
    top: i32,
    right: i32,
) -> (Vec<(i32, i32)>, i32) {
    const SWATCH_W: i32 = 22;
    const GAP: i32 = 6;
    const SPACING: i32 = 20;
    const ROW_H: i32 = 20;
    let style = text_style(14.0, &INK);
    let mut positions = Vec::with_capacity(entries.len());
    let (mut x, mut y, mut rows) = (left, top, 0);
    for (_, label) in entries {
        let w = SWATCH_W + GAP + text_width(root, label, &style) as i32;
        if rows == 0 {
            rows = 1;
        } else if x + w > right {
            x = left;
            y += ROW_H;
            rows += 1;
        }
        positions.push((x, y));
        x += w + SPACING;
    }
    (positions, rows * ROW_H)
}

/// Draw the legend row(s) at the given positions.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(Swatch, String)],
    positions: &[(i32, i32)],
) -> Result<(), String> {
    let style = text_style(14.0, &INK).pos(Pos::new(HPos::Left, VPos::Center));
    for ((swatch, label), &(x, y)) in entries.iter().zip(positions) {
        let mid = y + 8;
        match *swatch {
            Swatch::Block(color) => root.draw(&Rectangle::new(
                [(x + 3, mid - 7), (x + 19, mid + 7)],
                color.filled(),
            )),
            Swatch::Line(color) => root.draw(&PathElement::new(
                vec![(x, mid), (x + 22, mid)],
                color.stroke_width(3),
            )),
            Swatch::Dashed(color) => root.draw(&DashedPathElement::new(
                vec![(x, mid), (x + 22, mid)],
                6,
                4,
                color.stroke_width(2),
            )),
        }
        .map_err(|e| e.to_string())?;
        root.draw(&Text::new(label.clone(), (x + 28, mid), style.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A series chart's plot: the forecast band, the history bars, the policy
/// levels, the forecast mean and the as-of marker.
fn draw_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Cartesian2d<DayAxis, RangedCoordf64>>,
    p: &Prepared,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    // Forecast band, below everything else.
    if !p.forecast.is_empty() {
        let mut band = p.forecast_path(|f| f.hi);
        band.extend(p.forecast_path(|f| f.lo).into_iter().rev());
        area.draw(&Polygon::new(band, FAN.mix(FAN_OPACITY).filled()))
            .map_err(err)?;
        for edge in [p.forecast_path(|f| f.hi), p.forecast_path(|f| f.lo)] {
            area.draw(&PathElement::new(edge, FAN.stroke_width(1)))
                .map_err(err)?;
        }
    }

    // History: shipped bars with backorders stacked on top.
    let gap = p.bucket * 0.1;
    for b in &p.bars {
        let (x0, x1) = (b.x + gap, b.x + p.bucket - gap);
        if b.shipped > 0.0 {
            area.draw(&Rectangle::new(
                [(x0, 0.0), (x1, b.shipped)],
                SHIPPED.filled(),
            ))
            .map_err(err)?;
        }
        if b.backordered > 0.0 {
            area.draw(&Rectangle::new(
                [(x0, b.shipped), (x1, b.shipped + b.backordered)],
                BACKORDERED.filled(),
            ))
            .map_err(err)?;
        }
    }

    // Policy lines across the forecast horizon (whole chart if no forecast).
    let line_from = p.as_of().unwrap_or(p.x_lo);
    for (level, color) in [
        (p.reorder_point, REORDER_POINT),
        (p.order_up_to, ORDER_UP_TO),
    ] {
        if level > 0.0 {
            area.draw(&DashedPathElement::new(
                vec![(line_from, level), (p.x_hi, level)],
                9,
                6,
                color.stroke_width(2),
            ))
            .map_err(err)?;
        }
    }

    // Forecast mean.
    if !p.forecast.is_empty() {
        area.draw(&PathElement::new(
            p.forecast_path(|f| f.mean),
            FORECAST.stroke_width(3),
        ))
        .map_err(err)?;
    }

    // "As of" marker at the forecast start.
    if let Some(x) = p.as_of() {
        area.draw(&DashedPathElement::new(
            vec![(x, 0.0), (x, p.y_hi)],
            4,
            4,
            AS_OF.stroke_width(1),
        ))
        .map_err(err)?;
        let label = format!("forecast from {}", fmt_date(x, true));
        // Put the label left of the line when the forecast region is narrow.
        let right_room = (p.x_hi - x) / (p.x_hi - p.x_lo);
        let (dx, h) = if right_room > 0.2 {
            (5, HPos::Left)
        } else {
            (-5, HPos::Right)
        };
        let style = text_style(12.0, &MUTED).pos(Pos::new(h, VPos::Top));
        area.draw(&(EmptyElement::at((x, p.y_hi)) + Text::new(label, (dx, 3), style)))
            .map_err(err)?;
    }

    if p.bars.is_empty() && p.forecast.is_empty() {
        let style = text_style(16.0, &MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(
            "No history or forecast to show".to_string(),
            ((p.x_lo + p.x_hi) / 2.0, p.y_hi / 2.0),
            style,
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Draw the whole chart on any plotters backend.
fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SeriesChart<'_>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let p = Prepared::new(chart);
    let (width, _) = root.dim_in_pixel();
    let width = width as i32;
    let decimals = unit_decimals(p.y_hi);

    root.fill(&WHITE).map_err(err)?;

    // Header: title, subtitle, legend.
    const LEFT: i32 = 16;
    let title_style = text_style(20.0, &INK);
    let sub_style = text_style(14.0, &MUTED);
    let avail = (width - 2 * LEFT).max(0) as u32;
    let title = fit_text(root, chart.title, &title_style, avail);
    let subtitle = fit_text(root, chart.subtitle, &sub_style, avail);
    root.draw(&Text::new(title, (LEFT, 10), title_style))
        .map_err(err)?;
    root.draw(&Text::new(subtitle, (LEFT, 38), sub_style))
        .map_err(err)?;
    let entries = legend_entries(&p);
    let legend_top = 62;
    let (positions, legend_h) = legend_layout(root, &entries, LEFT, legend_top, width - LEFT);
    draw_legend(root, &entries, &positions)?;
    let header_h = legend_top + legend_h.max(20) + 6;
    let (_, body) = root.split_vertically(header_h);

    // Axes.
    let label_style = text_style(14.0, &INK);
    let y_label_w = text_width(root, &fmt_units(p.y_hi, decimals), &label_style) as i32;
    let y_area = y_label_w + 40;
    let plot_w = (width - y_area - 8 - 28).max(1);
    let (ticks, with_day) = if p.has_dates {
        x_ticks(p.x_lo, p.x_hi, (plot_w / 110) as usize)
    } else {
        (Vec::new(), false)
    };
    // Drop ticks whose centred label would stick out past the right edge.
    let px_per_day = f64::from(plot_w) / (p.x_hi - p.x_lo);
    let ticks: Vec<f64> = ticks
        .into_iter()
        .filter(|x| (p.x_hi - x) * px_per_day >= 12.0)
        .collect();
    let x_fmt = move |x: &f64| fmt_date(*x, with_day);
    let y_fmt = move |y: &f64| fmt_units(*y, decimals);
    let mut cc = ChartBuilder::on(&body)
        .margin_left(8)
        .margin_right(28)
        .margin_bottom(8)
        .x_label_area_size(30)
        .y_label_area_size(y_area)
        .build_cartesian_2d(
            DayAxis {
                inner: (p.x_lo..p.x_hi).into(),
                ticks,
            },
            0.0..p.y_hi,
        )
        .map_err(err)?;
    cc.configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_labels(8)
        .y_desc(chart.unit_label)
        .label_style(label_style.clone())
        .axis_desc_style(label_style)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED)
        .draw()
        .map_err(err)?;
    let area = cc.plotting_area();
    draw_plot(area, &p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Owned data behind a [`SeriesChart`].
    struct Data {
        history_start: Vec<NaiveDate>,
        shipped: Vec<f64>,
        backordered: Vec<f64>,
        forecast_start: Vec<NaiveDate>,
        mean: Vec<f64>,
        p10: Vec<f64>,
        p90: Vec<f64>,
        reorder_point: f64,
        order_up_to: f64,
        bucket_days: i64,
    }

    impl Data {
        fn chart(&self) -> SeriesChart<'_> {
            SeriesChart {
                title: "SKU-00012 @ DC1 — Widget 12mm steel",
                subtitle: "model SES · lead time 21 d · service 95 %",
                unit_label: "units / week",
                history_start: &self.history_start,
                shipped: &self.shipped,
                backordered: &self.backordered,
                forecast_start: &self.forecast_start,
                forecast_mean: &self.mean,
                forecast_p10: &self.p10,
                forecast_p90: &self.p90,
                reorder_point: self.reorder_point,
                order_up_to: self.order_up_to,
                bucket_days: self.bucket_days,
                stock: None,
            }
        }
    }

    /// 100 weekly history buckets with a stock-out spell, 13 forecast weeks.
    fn example() -> Data {
        let start = NaiveDate::from_ymd_opt(2023, 1, 2).unwrap();
        let week = |i: usize| start + chrono::Duration::days(7 * i as i64);
        let mut shipped = Vec::new();
        let mut backordered = Vec::new();
        for i in 0..100 {
            // Seasonal demand with a deterministic wiggle.
            let t = i as f64;
            let demand = 120.0
                + 25.0 * (t * std::f64::consts::TAU / 52.0).sin()
                + 12.0 * ((t * 7.3).sin() * 1.7).cos();
            let demand = demand.round();
            if (60..68).contains(&i) {
                // Stock-out: only part of demand ships.
                let s = (demand * if i < 64 { 0.2 } else { 0.55 }).round();
                shipped.push(s);
                backordered.push(demand - s);
            } else {
                shipped.push(demand);
                backordered.push(0.0);
            }
        }
        let forecast_start: Vec<NaiveDate> = (100..113).map(week).collect();
        let mean: Vec<f64> = (0..13)
            .map(|k| 118.0 + 20.0 * ((100 + k) as f64 * std::f64::consts::TAU / 52.0).sin())
            .collect();
        let p10 = mean
            .iter()
            .enumerate()
            .map(|(k, m)| m - 18.0 - 1.5 * k as f64)
            .collect();
        let p90 = mean
            .iter()
            .enumerate()
            .map(|(k, m)| m + 22.0 + 2.0 * k as f64)
            .collect();
        Data {
            history_start: (0..100).map(week).collect(),
            shipped,
            backordered,
            forecast_start,
            mean,
            p10,
            p90,
            reorder_point: 410.0,
            order_up_to: 560.0,
            bucket_days: 7,
        }
    }

    fn empty() -> Data {
        Data {
            history_start: vec![],
            shipped: vec![],
            backordered: vec![],
            forecast_start: vec![],
            mean: vec![],
            p10: vec![],
            p90: vec![],
            reorder_point: 0.0,
            order_up_to: 0.0,
            bucket_days: 7,
        }
    }

    fn assert_png(path: &Path) {
        let bytes = std::fs::read(path).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        assert!(
            bytes.len() > 5_000,
            "PNG suspiciously small: {}",
            bytes.len()
        );
    }

    fn assert_svg(path: &Path, title: &str) {
        let text = std::fs::read_to_string(path).unwrap();
        let head = text.trim_start();
        assert!(head.starts_with("<svg") || head.starts_with("<?xml"));
        assert!(text.contains(title), "SVG lacks the title");
        assert!(text.trim_end().ends_with("</svg>"));
    }

    fn draw_both(data: &Data, name: &str) {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join(format!("{name}.png"));
        let svg = dir.path().join(format!("{name}.svg"));
        draw_series_png(&data.chart(), &png).unwrap();
        draw_series_svg(&data.chart(), &svg).unwrap();
        assert_png(&png);
        assert_svg(&svg, "SKU-00012");
    }

    #[test]
    fn example_png_and_svg() {
        let data = example();
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("example.png");
        let svg = dir.path().join("example.svg");
        draw_series_png(&data.chart(), &png).unwrap();
        draw_series_svg(&data.chart(), &svg).unwrap();
        assert_png(&png);
        assert!(std::fs::metadata(&png).unwrap().len() > 20_000);
        assert_svg(&svg, "SKU-00012 @ DC1 — Widget 12mm steel");
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("units / week"));
        assert!(text.contains("forecast from 2024-12-02"));
        assert!(text.contains("Reorder point 410"));
        // No temporary render files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn output_is_deterministic() {
        let data = example();
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
        draw_series_png(&data.chart(), &a).unwrap();
        draw_series_png(&data.chart(), &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let (a, b) = (dir.path().join("a.svg"), dir.path().join("b.svg"));
        draw_series_svg(&data.chart(), &a).unwrap();
        draw_series_svg(&data.chart(), &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }

    #[test]
    fn png_written_whatever_the_extension() {
        let data = example();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.tmp");
        draw_series_png(&data.chart(), &path).unwrap();
        assert_png(&path);
    }

    #[test]
    fn empty_everything() {
        draw_both(&empty(), "empty");
    }

    #[test]
    fn empty_history() {
        let mut d = example();
        d.history_start.clear();
        draw_both(&d, "no_history");
    }

    #[test]
    fn empty_forecast() {
        let mut d = example();
        d.forecast_start.clear();
        d.mean.clear();
        draw_both(&d, "no_forecast");
    }

    #[test]
    fn all_zero_values() {
        let mut d = example();
        for v in [
            &mut d.shipped,
            &mut d.backordered,
            &mut d.mean,
            &mut d.p10,
            &mut d.p90,
        ] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        d.reorder_point = 0.0;
        d.order_up_to = 0.0;
        draw_both(&d, "zeros");
    }

    #[test]
    fn non_finite_and_negative_values() {
        let mut d = example();
        d.shipped[3] = f64::NAN;
        d.backordered[5] = f64::INFINITY;
        d.shipped[7] = -40.0;
        d.mean[0] = f64::NAN;
        d.p10[2] = f64::NEG_INFINITY;
        d.p90[4] = f64::MAX;
        d.reorder_point = f64::NAN;
        d.order_up_to = f64::INFINITY;
        draw_both(&d, "nan");
    }

    #[test]
    fn mismatched_lengths_use_shortest() {
        let mut d = example();
        d.shipped.truncate(40);
        d.backordered.truncate(70);
        d.p10.truncate(5);
        let prepared = Prepared::new(&d.chart());
        assert_eq!(prepared.bars.len(), 40);
        assert_eq!(prepared.forecast.len(), 5);
        draw_both(&d, "mismatch");
    }

    #[test]
    fn odd_bucket_sizes_and_single_points() {
        for bucket_days in [-3, 0, 1, 30, 100_000] {
            let mut d = example();
            d.bucket_days = bucket_days;
            d.history_start.truncate(1);
            d.forecast_start.truncate(1);
            draw_both(&d, &format!("bucket{bucket_days}"));
        }
    }

    #[test]
    fn daily_buckets_and_unsorted_dates() {
        let start = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let mut d = empty();
        d.bucket_days = 1;
        d.history_start = (0..20)
            .rev()
            .map(|i| start + chrono::Duration::days(i))
            .collect();
        d.shipped = (0..20).map(|i| 3.0 + f64::from(i % 4)).collect();
        d.backordered = vec![0.5; 20];
        d.forecast_start = (20..27)
            .map(|i| start + chrono::Duration::days(i))
            .collect();
        d.mean = vec![4.0; 7];
        d.p10 = vec![6.0; 7]; // p10 above p90: band edges are swapped
        d.p90 = vec![2.0; 7];
        d.reorder_point = 5.5;
        d.order_up_to = 8.25;
        draw_both(&d, "daily");
    }

    #[test]
    fn long_texts_are_shortened_not_fatal() {
        let data = example();
        let long = "SKU-99999 @ DC-NORTH-EAST-OVERFLOW — ".repeat(8) + "<&> \"quoted\"";
        let chart = SeriesChart {
            title: &long,
            subtitle: &long,
            unit_label: &long,
            ..data.chart()
        };
        let dir = tempfile::tempdir().unwrap();
        draw_series_png(&chart, &dir.path().join("long.png")).unwrap();
        let svg = dir.path().join("long.svg");
        draw_series_svg(&chart, &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("SKU-99999 @ DC-NORTH-EAST-OVERFLOW"));
        assert!(text.contains('…'));
        // The unit label is not shortened, and is XML-escaped.
        assert!(text.contains("&lt;&amp;&gt;"));
    }

    #[test]
    fn unwritable_path_is_an_error() {
        let data = example();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("chart.png");
        let err = draw_series_png(&data.chart(), &path).unwrap_err();
        let ChartError::Draw { path: p, message } = &err;
        assert_eq!(p, &path);
        assert!(!message.is_empty());
        assert!(err.to_string().starts_with("cannot draw chart"));
        let svg = dir.path().join("missing-dir").join("chart.svg");
        assert!(draw_series_svg(&data.chart(), &svg).is_err());
    }

    #[test]
    fn tick_choice_limits_label_count() {
        let lo = day_x(NaiveDate::from_ymd_opt(2023, 1, 2).unwrap());
        let (ticks, with_day) = x_ticks(lo, lo + 791.0, 8);
        assert!(!with_day);
        assert!(!ticks.is_empty() && ticks.len() <= 8, "{ticks:?}");
        assert_eq!(fmt_date(ticks[0], false), "2023-04");
        let (ticks, with_day) = x_ticks(lo, lo + 27.0, 8);
        assert!(with_day);
        assert!(ticks.len() <= 8);
        let (ticks, _) = x_ticks(lo, lo + 365.0 * 40.0, 8);
        assert!(!ticks.is_empty() && ticks.len() <= 8);
    }

    #[test]
    fn unit_formatting() {
        assert_eq!(fmt_units(0.0, 0), "0");
        assert_eq!(fmt_units(999.4, 0), "999");
        assert_eq!(fmt_units(1234.0, 0), "1,234");
        assert_eq!(fmt_units(1_234_567.0, 0), "1,234,567");
        assert_eq!(fmt_units(2.5, unit_decimals(5.0)), "2.5");
        assert_eq!(fmt_units(3.0, unit_decimals(5.0)), "3");
        assert_eq!(fmt_units(0.05, unit_decimals(0.3)), "0.05");
        assert_eq!(fmt_units(0.0, unit_decimals(0.3)), "0");
        assert_eq!(unit_decimals(f64::NAN), 0);
    }

    /// Writes the example pictures into the crate directory for a human to
    /// look at: `cargo test -- --ignored write_example_pictures`.
    #[test]
    #[ignore]
    fn write_example_pictures() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR"));
        let data = example();
        draw_series_png(&data.chart(), &out.join("example.png")).unwrap();
        draw_series_svg(&data.chart(), &out.join("example.svg")).unwrap();
        let mut edge = example();
        edge.shipped.truncate(30);
        edge.shipped[10] = f64::NAN;
        edge.backordered[12] = f64::INFINITY;
        edge.forecast_start.clear();
        draw_series_png(&edge.chart(), &out.join("example-edge.png")).unwrap();
        draw_series_png(&empty().chart(), &out.join("example-empty.png")).unwrap();
        let start = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let mut daily = empty();
        daily.bucket_days = 1;
        daily.history_start = (0..45).map(|i| start + chrono::Duration::days(i)).collect();
        daily.shipped = (0..45).map(|i| 0.5 * f64::from(i % 5)).collect();
        daily.backordered = (0..45)
            .map(|i| if i % 9 == 0 { 0.75 } else { 0.0 })
            .collect();
        daily.forecast_start = (45..59)
            .map(|i| start + chrono::Duration::days(i))
            .collect();
        daily.mean = vec![1.1; 14];
        daily.p10 = vec![0.2; 14];
        daily.p90 = vec![2.3; 14];
        daily.reorder_point = 2.5;
        daily.order_up_to = 3.25;
        draw_series_png(&daily.chart(), &out.join("example-daily.png")).unwrap();
    }
}

/// Colours of the simulation's baselines, in the order they are given.
pub const BASELINES: [RGBColor; 3] = [
    RGBColor(222, 74, 38),
    RGBColor(230, 159, 0),
    RGBColor(0, 114, 178),
];

/// The simulation's trade-off: achieved fill rate against mean inventory for
/// replenish at each target (a curve), with the baselines as points.
#[derive(Debug, Clone)]
pub struct FrontierChart<'a> {
    /// Title line.
    pub title: &'a str,
    /// Label of the inventory axis (value or units).
    pub x_label: &'a str,
    /// replenish at each target: (target, mean inventory, achieved fill rate).
    pub curve: &'a [(f64, f64, f64)],
    /// The same, ordering at every review (one review period's demand per
    /// order); drawn without labels, empty for none.
    pub every_review: &'a [(f64, f64, f64)],
    /// Points: (label, mean inventory, achieved fill rate); the first is
    /// replenish at its configured targets, the rest baselines.
    pub points: &'a [(String, f64, f64)],
}

/// The axes of an x–y chart of percentages (y) against `x`: title, ranges,
/// axis descriptions (x, y) and the x labels' format.
fn xy_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x, y): (std::ops::Range<f64>, std::ops::Range<f64>),
    (x_desc, y_desc): (&str, &str),
    x_format: &dyn Fn(&f64) -> String,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .caption(title, text_style(18.0, &INK))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(x_format)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(text_style(13.0, &INK))
        .axis_desc_style(text_style(14.0, &INK))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// Suppliers on one picture: on-time share against the spread of their lead
/// times, each a circle sized by spend.
#[derive(Debug, Clone)]
pub struct SupplierChart<'a> {
    /// Title line.
    pub title: &'a str,
    /// (label, lead-time spread in days, on-time share 0–1, spend).
    pub points: &'a [(String, f64, f64, f64)],
}

/// Draw the supplier chart as PNG or SVG (by `svg`), 1000×500.
pub fn draw_suppliers(chart: &SupplierChart<'_>, path: &Path, svg: bool) -> Result<(), ChartError> {
    if svg {
        render_svg(path, (WIDTH, HEIGHT), |root| {
            draw_supplier_chart(root, chart)
        })
    } else {
        render_png(path, (WIDTH, HEIGHT), |root| {
            draw_supplier_chart(root, chart)
        })
    }
}

fn draw_supplier_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &SupplierChart<'_>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let x_hi = c
        .points
        .iter()
        .map(|p| clean(p.1))
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.15;
    let max_spend = c.points.iter().map(|p| clean(p.3)).fold(0.0_f64, f64::max);
    let mut chart = xy_chart(
        root,
        c.title,
        (0.0..x_hi, 0.0..105.0),
        (
            "Lead-time spread (standard deviation, days)",
            "Received on time (%)",
        ),
        &|v| format!("{v:.1}"),
    )?;
    let radius = |spend: f64| {
        let share = if max_spend > 0.0 {
            (clean(spend) / max_spend).sqrt()
        } else {
            0.5
        };
        (4.0 + 16.0 * share).round() as i32
    };
    let label_style = text_style(11.0, &INK);
    chart
        .draw_series(c.points.iter().map(|(label, x, y, spend)| {
            let r = radius(*spend);
            EmptyElement::at((clean(*x), clean(*y * 100.0)))
                + Circle::new((0, 0), r, FORECAST.mix(0.45).filled())
                + Text::new(label.clone(), (r + 3, -6), label_style.clone())
        }))
        .map_err(err)?;
    Ok(())
}

/// Draw the trade-off chart as PNG (1000×500).
pub fn draw_frontier_png(chart: &FrontierChart<'_>, path: &Path) -> Result<(), ChartError> {
    render_png(path, (WIDTH, HEIGHT), |root| draw_frontier(root, chart))
}

/// Same picture as SVG.
pub fn draw_frontier_svg(chart: &FrontierChart<'_>, path: &Path) -> Result<(), ChartError> {
    render_svg(path, (WIDTH, HEIGHT), |root| draw_frontier(root, chart))
}

/// The trade-off chart's single points (the configured policy and the
/// baselines), each its own colour and shape so that close points stay
/// apart: triangle, circle, square, diamond.
fn frontier_points<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    c: &FrontierChart<'_>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    for (i, (label, x, y)) in c.points.iter().enumerate() {
        let color = if i == 0 {
            REORDER_POINT
        } else {
            BASELINES[(i - 1) % BASELINES.len()]
        };
        let p = (clean(*x), clean(y * 100.0));
        let style = color.filled();
        let name = label.as_str();
        match i % 4 {
            0 => {
                chart
                    .draw_series(std::iter::once(TriangleMarker::new(p, 8, style)))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, style));
            }
            1 => {
                chart
                    .draw_series(std::iter::once(Circle::new(p, 7, style)))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| Circle::new((x + 10, y), 5, style));
            }
            2 => {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(p) + Rectangle::new([(-6, -6), (6, 6)], style),
                    ))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| Rectangle::new([(x + 5, y - 5), (x + 15, y + 5)], style));
            }
            _ => {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(p)
                            + Polygon::new(vec![(0, -8), (8, 0), (0, 8), (-8, 0)], style),
                    ))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| {
                        Polygon::new(
                            vec![(x + 10, y - 6), (x + 16, y), (x + 10, y + 6), (x + 4, y)],
                            style,
                        )
                    });
            }
        }
    }
    Ok(())
}

fn draw_frontier<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &FrontierChart<'_>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let xs = c
        .curve
        .iter()
        .chain(c.every_review)
        .map(|p| p.1)
        .chain(c.points.iter().map(|p| p.1));
    let ys = c
        .curve
        .iter()
        .chain(c.every_review)
        .map(|p| p.2)
        .chain(c.points.iter().map(|p| p.2));
    let x_hi = xs.map(clean).fold(0.0_f64, f64::max).max(1.0) * 1.08;
    let y_lo_data = ys.map(|y| clean(y * 100.0)).fold(100.0_f64, f64::min);
    let y_lo = ((y_lo_data - 2.0) / 5.0).floor().clamp(0.0, 19.0) * 5.0;
    let decimals = unit_decimals(x_hi);
    let mut chart = xy_chart(
        root,
        c.title,
        (0.0..x_hi, y_lo..100.5),
        (c.x_label, "Achieved fill rate (%)"),
        &|v| fmt_units(*v, decimals),
    )?;
    let curve: Vec<(f64, f64)> = c
        .curve
        .iter()
        .map(|p| (clean(p.1), clean(p.2 * 100.0)))
        .collect();
    chart
        .draw_series(LineSeries::new(curve.clone(), FORECAST.stroke_width(2)))
        .map_err(err)?
        .label("replenish, every series at the labelled fill-rate target")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], FORECAST.stroke_width(2)));
    chart
        .draw_series(curve.iter().map(|&p| Circle::new(p, 4, FORECAST.filled())))
        .map_err(err)?;
    if !c.every_review.is_empty() {
        let curve: Vec<(f64, f64)> = c
            .every_review
            .iter()
            .map(|p| (clean(p.1), clean(p.2 * 100.0)))
            .collect();
        let style = MUTED.stroke_width(2);
        chart
            .draw_series(LineSeries::new(curve.clone(), style))
            .map_err(err)?
            .label("replenish, the same targets, ordering at every review")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        chart
            .draw_series(curve.iter().map(|&p| Circle::new(p, 3, MUTED.filled())))
            .map_err(err)?;
    }
    // Target labels above-left of the curve's points, clear of the line.
    chart
        .draw_series(c.curve.iter().zip(&curve).map(|(t, &p)| {
            EmptyElement::at(p)
                + Text::new(
                    {
                        let pct = t.0 * 100.0;
                        if (pct - pct.round()).abs() < 1e-9 {
                            format!("{pct:.0} %")
                        } else {
                            format!("{pct:.1} %")
                        }
                    },
                    (-8, -6),
                    text_style(12.0, &MUTED).pos(Pos::new(HPos::Right, VPos::Bottom)),
                )
        }))
        .map_err(err)?;
    frontier_points(&mut chart, c)?;
    legend_box(&mut chart, SeriesLabelPosition::LowerRight)
}

/// A horizontal bar chart of the portfolio: one bar per category, or two
/// side by side (e.g. inventory value now and after the recommended orders).
#[derive(Debug, Clone)]
pub struct BarChart<'a> {
    /// Title line.
    pub title: &'a str,
    /// Label of the value axis, with its unit.
    pub x_label: &'a str,
    /// Category labels, top to bottom.
    pub labels: &'a [String],
    /// One or two value series: (legend name, colour, one value per label).
    pub series: &'a [(&'a str, RGBColor, Vec<f64>)],
}

/// Draw a bar chart as PNG or SVG (by `svg`): 800 wide, 110 + 30 per category high.
pub fn draw_bars(chart: &BarChart<'_>, path: &Path, svg: bool) -> Result<(), ChartError> {
    let size = (800, 110 + 30 * chart.labels.len().max(1) as u32);
    if svg {
        render_svg(path, size, |root| draw_bar_chart(root, chart))
    } else {
        render_png(path, size, |root| draw_bar_chart(root, chart))
    }
}

fn draw_bar_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &BarChart<'_>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let n = c.labels.len().max(1);
    let x_hi = c
        .series
        .iter()
        .flat_map(|s| s.2.iter().copied())
        .map(clean)
        .fold(0.0_f64, f64::max)
        .max(1.0)
        // Room for the value after the longest bar; with two series also
        // for the legend at the right, which no bar or value then reaches.
        * if c.series.len() > 1 { 1.9 } else { 1.15 };
    let label_style = text_style(13.0, &INK);
    let label_w = c
        .labels
        .iter()
        .map(|l| text_width(root, l, &label_style))
        .max()
        .unwrap_or(40) as i32
        + 16;
    let decimals = unit_decimals(x_hi);
    let labels = c.labels.to_vec();
    let mut chart = ChartBuilder::on(root)
        .caption(c.title, text_style(16.0, &INK))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_w)
        // `0..n - 1` holds n values (plotters' integer ranges include their
        // end): one segment per category, none left empty.
        .build_cartesian_2d(0.0..x_hi, (0..n - 1).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .disable_y_mesh()
        .x_desc(c.x_label)
        .x_label_formatter(&|v| fmt_units(*v, decimals))
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(label_style.clone())
        .axis_desc_style(text_style(13.0, &INK))
        .draw()
        .map_err(err)?;
    let k = c.series.len().max(1) as f64;
    for (j, (name, color, values)) in c.series.iter().enumerate() {
        let color = *color;
        let bars = values.iter().enumerate().map(move |(i, v)| {
            // Segment i spans [i, i + 1); the series share it, one band each.
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (clean(*v), SegmentValue::Exact(i + 1)),
                ],
                color.filled(),
            );
            bar.set_margin(
                (4.0 + 22.0 * j as f64 / k) as u32,
                (4.0 + 22.0 * (k - 1.0 - j as f64) / k) as u32,
                0,
                0,
            );
            bar
        });
        let drawn = chart.draw_series(bars).map_err(err)?;
        if c.series.len() > 1 {
            drawn.label(*name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
            });
        }
        // Values at the end of the bars.
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                EmptyElement::at((clean(*v), SegmentValue::CenterOf(i)))
                    + Text::new(
                        fmt_units(*v, decimals),
                        (
                            4,
                            if c.series.len() > 1 {
                                -8 + 12 * j as i32
                            } else {
                                -6
                            },
                        ),
                        text_style(11.0, &MUTED),
                    )
            }))
            .map_err(err)?;
    }
    if c.series.len() > 1 {
        legend_box(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}
