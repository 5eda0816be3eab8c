//! Command line: parses arguments with clap and calls the library. This is the
//! edge of the program, where library errors become messages and exit codes.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use replenish::backorders::LineStatus;
use replenish::calendar::{Bucket, BucketChoice, parse_iso_date};
use replenish::config::{CheckedConfig, Config};
use replenish::holdout;
use replenish::pipeline::{self, RunOptions};
use replenish::report;
use replenish::sample::{self, SampleOptions};
use replenish::shard::Shard;
use replenish::simulate::{self, SimulateOptions};

/// Print a line on stdout; a closed pipe (`replenish … | head`) is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        match writeln!(std::io::stdout().lock(), $($arg)*) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.context("writing to standard output")?,
        }
    }};
}

/// Exit code of a successful run.
pub const EXIT_OK: u8 = 0;
/// Exit code of a failure that is not the input's fault (I/O, internal).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code of bad command-line usage (clap's own).
pub const EXIT_USAGE: u8 = 2;
/// Exit code of bad input data or configuration.
pub const EXIT_BAD_INPUT: u8 = 3;

/// Demand forecasting and replenishment planning from sales, backorders, stock and purchase orders.
#[derive(Debug, Parser)]
#[command(name = "replenish", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the weekly batch: read the history, forecast, plan, write the report.
    Run(RunCommandArgs),
    /// Finish a run split with `run --shard K/N`: read every shard's forecasts
    /// and write the report a single run writes.
    Merge(RunArgs),
    /// Write a synthetic but realistic company history (the sample data set).
    Sample(SampleArgs),
    /// Replay the policy over held-back history beside the usual reorder rules:
    /// achieved fill rate, backorders and inventory, and the trade-off curve.
    Simulate(SimulateArgs),
    /// Forecast the last H points of every series of a long file (unique_id, ds, y)
    /// from the rest, in the format forecasting benchmarks score (statsforecast's
    /// harness included; see BENCHMARKS.md).
    Forecast(ForecastArgs),
}

/// Options of `replenish forecast`.
#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Long file: one row per series and period (CSV or Parquet); or an
    /// input folder as `replenish run` reads it (its prices, promotions and
    /// events then feed the global model, on the config's bucket).
    #[arg(long)]
    pub input: PathBuf,
    /// Points held out (and forecast) per series.
    #[arg(long)]
    pub h: usize,
    /// Season length in periods (12 monthly, 52 weekly, 1 none).
    #[arg(long)]
    pub season_length: usize,
    /// Forecasts CSV to write (quantiles go to <name>_quantiles.csv beside it).
    #[arg(long, default_value = "replenish_forecasts.csv")]
    pub out: PathBuf,
    /// Column names: identifier, date, value.
    #[arg(long, num_args = 3, value_names = ["ID", "DATE", "VALUE"], default_values = ["unique_id", "ds", "y"])]
    pub columns: Vec<String>,
    /// TOML configuration: its [forecast] settings apply.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Options of `replenish run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Input folder with sales, backorders, inventory, items, purchase_orders, events (.csv or .parquet)
    /// [default: the config's run.data, else data/sample].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output folder [default: the config's run.out, else reports]: `run` writes
    /// OUT/<as-of date>/, `simulate` OUT/<as-of date>-simulation/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// TOML configuration (see replenish.example.toml) [default: replenish.toml in the
    /// working folder when there is one, else the built-in defaults].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Planning date YYYY-MM-DD (default: the day after the last sales date;
    /// for sales dated once a week or month, the start of the next one).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Demand bucket: auto, day, week or month (default from the config:
    /// auto, the grain of the sales dates; week for daily dates).
    #[arg(long, value_parser = parse_bucket)]
    pub bucket: Option<BucketChoice>,
    /// Worker threads (default: all cores). The output is the same for any value.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `replenish run`.
#[derive(Debug, Args)]
pub struct RunCommandArgs {
    /// Inputs and settings.
    #[command(flatten)]
    pub run: RunArgs,
    /// Forecast only shard K of N (the series whose stable hash of sku and
    /// location modulo N is K) into OUT/<as-of>-parts/; `replenish merge`
    /// then writes the report.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
}

/// Options of `replenish simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The same inputs and settings as `replenish run`.
    #[command(flatten)]
    pub run: RunArgs,
    /// First day replayed, YYYY-MM-DD (rounded up to a bucket start; default:
    /// `simulate.origin_buckets` before the end of the history).
    #[arg(long, value_parser = parse_date)]
    pub origin: Option<NaiveDate>,
}

/// Options of `replenish sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Number of SKUs.
    #[arg(long, default_value_t = 200)]
    pub skus: usize,
    /// Number of locations.
    #[arg(long, default_value_t = 2)]
    pub locations: usize,
    /// Years of history.
    #[arg(long, default_value_t = 3)]
    pub years: u32,
    /// Random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last day of history YYYY-MM-DD.
    #[arg(long, value_parser = parse_date, default_value = "2026-11-22")]
    pub end_date: NaiveDate,
    /// Output folder.
    #[arg(long, default_value = "data/sample")]
    pub out: PathBuf,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    parse_iso_date(s).ok_or_else(|| format!("expected a date YYYY-MM-DD, found \"{s}\""))
}

/// The console's word on the bucket planned in: how it was chosen, and a
/// warning when the configured one is finer than the sales dates.
fn bucket_line(data: &replenish::ingest::Dataset, choice: BucketChoice) -> String {
    let dated = match data.grain {
        Some(g @ (Bucket::Week | Bucket::Month)) => format!("once a {g}"),
        Some(Bucket::Day) => "by day".into(),
        None => "on too few dates to tell".into(),
    };
    match (&data.bucket_note, choice) {
        (Some(note), _) => format!("{} — warning: {note}", data.bucket),
        (None, BucketChoice::Auto) => {
            format!("{} (auto: the sales are dated {dated})", data.bucket)
        }
        (None, _) => format!("{} (run.bucket; the sales are dated {dated})", data.bucket),
    }
}

fn parse_bucket(s: &str) -> Result<BucketChoice, String> {
    match s {
        "auto" => Ok(BucketChoice::Auto),
        "day" => Ok(BucketChoice::Day),
        "week" => Ok(BucketChoice::Week),
        "month" => Ok(BucketChoice::Month),
        _ => Err(format!("expected auto, day, week or month, found \"{s}\"")),
    }
}

/// Run the parsed command.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => match args.shard {
            Some(shard) => run_shard(&args.run, shard),
            None => run(args.run, false),
        },
        Command::Merge(args) => run(args, true),
        Command::Sample(args) => sample(args),
        Command::Forecast(args) => forecast(args),
        Command::Simulate(args) => simulate(args),
    }
}

/// The configuration file looked up in the working folder when `--config`
/// is not given (as cargo finds Cargo.toml).
const CONFIG_FILE: &str = "replenish.toml";

/// Where a command's configuration comes from.
enum ConfigSource {
    /// `--config PATH`.
    Given(PathBuf),
    /// [`CONFIG_FILE`] in the working folder.
    Found(PathBuf),
    /// Neither: the built-in defaults.
    Defaults,
}

impl ConfigSource {
    fn of(given: Option<&Path>) -> ConfigSource {
        match given {
            Some(p) => ConfigSource::Given(p.to_path_buf()),
            None if Path::new(CONFIG_FILE).is_file() => {
                ConfigSource::Found(PathBuf::from(CONFIG_FILE))
            }
            None => ConfigSource::Defaults,
        }
    }

    /// The configuration, checked.
    fn load(&self) -> anyhow::Result<CheckedConfig> {
        Ok(match self {
            ConfigSource::Given(p) | ConfigSource::Found(p) => Config::from_file(p)?,
            ConfigSource::Defaults => CheckedConfig::default(),
        })
    }
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Given(p) => write!(f, "{}", p.display()),
            ConfigSource::Found(p) => write!(f, "{} (found in the working folder)", p.display()),
            ConfigSource::Defaults => write!(
                f,
                "built-in defaults (no --config, no {CONFIG_FILE} in the working folder)"
            ),
        }
    }
}

/// The config file merged with the command-line overrides, checked.
fn run_config(args: &RunArgs) -> anyhow::Result<CheckedConfig> {
    let config = ConfigSource::of(args.config.as_deref()).load()?;
    Ok(config.with(|config| {
        if let Some(b) = args.bucket {
            config.run.bucket = b;
        }
        if let Some(d) = &args.data {
            config.run.data = d.display().to_string();
        }
        if let Some(o) = &args.out {
            config.run.out = o.display().to_string();
        }
        if args.as_of.is_some() {
            config.run.as_of = args.as_of.map(|d| d.to_string());
        }
    })?)
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let config = run_config(&args.run)?;
    let options = SimulateOptions {
        data: PathBuf::from(&config.run.data),
        out: PathBuf::from(&config.run.out),
        as_of: args.run.as_of,
        origin: args.origin,
        config,
        threads: args.run.threads,
    };
    let out = simulate::run(&options)?;
    report::write_simulation(&out, &options.config, &options.out)?;
    if args.run.quiet {
        return Ok(());
    }
    say!(
        "replenish {}: policy replayed from {} to {} ({} days, {} series; each policy starts at its order-up-to level)",
        env!("CARGO_PKG_VERSION"),
        out.origin,
        out.dataset.as_of,
        out.days,
        out.series.len()
    );
    say!(
        "  config        {}",
        ConfigSource::of(args.run.config.as_deref())
    );
    say!(
        "  bucket        {}",
        bucket_line(&out.dataset, options.config.run.bucket)
    );
    if let Some(s) = out.sample {
        say!("  sample        {}", sample_line(s));
    }
    let all = |_: &simulate::SeriesResult| true;
    say!(
        "  {:<34} {:>7} {:>9} {:>8} {:>14}",
        "policy",
        "target",
        "fill rate",
        "cycles",
        if out.in_value {
            "mean inventory"
        } else {
            "mean units"
        }
    );
    for v in out.variants() {
        let t = out.totals(v, all);
        say!(
            "  {:<34} {:>7} {:>8.1}% {:>7.1}% {:>14}",
            v.name(),
            t.target
                .map(|x| format!("{:.1}%", x * 100.0))
                .unwrap_or_default(),
            t.fill_rate() * 100.0,
            t.cycle_service() * 100.0,
            thousands(out.inventory(&t))
        );
    }
    for c in out.comparisons() {
        let per_series = |orders: f64| orders / c.series.max(1) as f64;
        say!(
            "  {} reaches {:.1}% fill rate with {} ({:.1} orders a series)",
            c.baseline.name(),
            c.fill_rate * 100.0,
            thousands(c.inventory),
            per_series(c.orders as f64)
        );
        for (curve, at) in [
            ("replenish", c.replenish),
            ("replenish ordering at every review", c.every_review),
        ] {
            match at {
                Some((inventory, orders)) if c.inventory > 0.0 => say!(
                    "    {curve} needs {} ({:+.0}%, {:.1} orders a series)",
                    thousands(inventory),
                    (inventory / c.inventory - 1.0) * 100.0,
                    per_series(orders)
                ),
                _ => say!("    outside the curve of {curve}"),
            }
        }
    }
    for t in out.tuned_targets() {
        say!(
            "  class {}: target {:.1}%, achieved {:.1}%{}",
            t.class,
            t.target * 100.0,
            t.achieved * 100.0,
            match t.suggested {
                Some(x) => format!("; a {:.1}% target would have achieved it", x * 100.0),
                None => "; outside the replayed targets".to_string(),
            }
        );
    }
    say!("  report        {}", out.report_dir.display());
    Ok(())
}

/// What a replay of a sample tells the planner.
fn sample_line(s: simulate::Sample) -> String {
    format!(
        "{} of {} series, those of smallest stable hash (simulate.max_series; 0 replays every series){}",
        s.series,
        s.of,
        if s.purchasing_rules_scaled {
            "; purchasing rules scaled to it: each supplier's minimum order value and container sizes by the share of its series it holds, the budget by the share of all"
        } else {
            ""
        }
    )
}

fn run_options(args: &RunArgs) -> anyhow::Result<RunOptions> {
    let config = run_config(args)?;
    Ok(RunOptions {
        data: PathBuf::from(&config.run.data),
        out: PathBuf::from(&config.run.out),
        as_of: args.as_of,
        config,
        threads: args.threads,
        progress: !args.quiet,
        tuner: Some(simulate::tune),
    })
}

fn run_shard(args: &RunArgs, shard: Shard) -> anyhow::Result<()> {
    let out = pipeline::forecast_shard(&run_options(args)?, shard)?;
    if !args.quiet {
        say!(
            "replenish {}: shard {shard}, {} series forecast into {} (history read for {} of {} series)",
            env!("CARGO_PKG_VERSION"),
            out.forecast,
            out.path.display(),
            out.read,
            out.series
        );
    }
    Ok(())
}

/// `run`, or `merge` of a sharded run's parts.
fn run(args: RunArgs, merge: bool) -> anyhow::Result<()> {
    let options = run_options(&args)?;
    let out = if merge {
        pipeline::merge(&options)?
    } else {
        pipeline::run(&options)?
    };
    if !args.quiet {
        let warnings = out.dataset.warnings.total();
        say!(
            "replenish {}: plan as of {} ({} buckets)",
            env!("CARGO_PKG_VERSION"),
            out.dataset.as_of,
            out.panel.bucket
        );
        say!(
            "  config        {}",
            ConfigSource::of(args.config.as_deref())
        );
        say!(
            "  bucket        {}",
            bucket_line(&out.dataset, options.config.run.bucket)
        );
        say!("  series        {}", out.plans.len());
        say!(
            "  order lines   {} worth {}",
            out.order_lines(),
            thousands(out.order_value())
        );
        say!(
            "  out of stock  {} series (open backorders or no net stock)",
            out.out_of_stock()
        );
        say!(
            "  at risk       {} more series run out before an order placed today arrives",
            out.at_risk()
        );
        if let Some(previous) = &out.previous_report {
            let delays = out
                .availability
                .iter()
                .filter(|a| a.delay_days.is_some())
                .count();
            say!(
                "  delays        {delays} series back in stock later than the report of {} said (availability.csv)",
                previous
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
        }
        if out.dataset.open_orders.is_some() {
            let lines = &out.desk.lines;
            let count = |s: LineStatus| lines.iter().filter(|l| l.status == s).count();
            say!(
                "  backorders    {} open order lines: {} ready, {} waiting, {} with no supply planned (backorder_lines.csv); {} to tell customers (customer_updates.csv)",
                lines.len(),
                count(LineStatus::Ready),
                count(LineStatus::Waiting),
                count(LineStatus::NoSupplyPlanned),
                lines.iter().filter(|l| l.update.is_some()).count()
            );
        }
        if let Some(line) = purchasing_line(&out.purchasing) {
            say!("  purchasing    {line}");
        }
        let rejected = out.dataset.rejected.len();
        if rejected > 0 {
            say!("  rejected rows {rejected} input rows not used (listed in rejected_rows.csv)");
        }
        if warnings > 0 {
            say!("  warnings      {warnings} (listed in warnings.csv)");
            for (kind, n) in out.dataset.warnings.counts() {
                say!("                {n:>6} {kind}");
            }
        } else {
            say!("  warnings      0");
        }
        say!("  report        {}", out.report_dir.display());
    }
    Ok(())
}

fn forecast(args: ForecastArgs) -> anyhow::Result<()> {
    let config = ConfigSource::of(args.config.as_deref()).load()?;
    let f = &config.forecast;
    let options = holdout::HoldoutOptions {
        input: args.input.clone(),
        out: args.out.clone(),
        h: args.h,
        season_length: args.season_length,
        columns: [
            args.columns[0].clone(),
            args.columns[1].clone(),
            args.columns[2].clone(),
        ],
        origins: f.backtest_origins,
        metric: f.metric,
        moving_average_window: f.moving_average_window,
        outlier_sigma: f.outlier_sigma,
        selection: f.selection,
        selection_margin: f.selection_margin,
        selection_prior_series: f.selection_prior_series,
        selection_rules: f.selection_rules,
        discontinued_after_days: f.discontinued_after_days,
        discontinued_probability: f.discontinued_probability,
        calibrate: f.calibrate,
        spread_pooling: f.spread_pooling,
        threads: args.threads,
        global: Some(f.global.clone()),
        config: config.clone(),
    };
    let s = holdout::run(&options)?;
    for g in &s.global {
        say!(
            "global model fitted at {}: {} of {} rows, elastic net {}, Poisson {} ({} Newton steps)",
            g.cutoff,
            g.rows_used,
            g.rows_available,
            if g.linear { "ok" } else { "failed" },
            if g.poisson { "ok" } else { "failed" },
            g.poisson_iterations
        );
    }
    say!(
        "{} series forecast ({} shorter than h + 2 left out) in {:.3} s; p10–p90 coverage of the hold-out {:.1} % (spreads calibrated ×{:.2} normal, ×{:.2} counts)",
        s.series,
        s.skipped,
        s.seconds,
        s.coverage_80 * 100.0,
        s.calibration.normal,
        s.calibration.counts
    );
    if let Some(r) = &s.rules {
        for line in r.prior.describe(f.backtest_origins) {
            say!("selection prior, {line}");
        }
        for line in r.describe() {
            say!("selection rule, {line}");
        }
    }
    say!("config: {}", ConfigSource::of(args.config.as_deref()));
    let chosen: Vec<String> = s.chosen.iter().map(|(m, n)| format!("{m} {n}")).collect();
    say!("chosen: {}", chosen.join(", "));
    let per_model: Vec<String> = s
        .models
        .iter()
        .zip(&s.model_seconds)
        .map(|(m, t)| format!("{m} {t:.6}"))
        .collect();
    say!(
        "fit + forecast seconds per model (each alone on every series, summed over series): {}",
        per_model.join(", ")
    );
    say!(
        "wrote {} (columns: replenish, {})",
        args.out.display(),
        s.models.join(", ")
    );
    Ok(())
}

fn sample(args: SampleArgs) -> anyhow::Result<()> {
    let opts = SampleOptions {
        skus: args.skus,
        locations: args.locations,
        years: args.years,
        seed: args.seed,
        end_date: args.end_date,
    };
    let s = sample::generate(&opts, &args.out)
        .with_context(|| format!("writing the sample to {}", args.out.display()))?;
    say!(
        "wrote {}: {} items, {} series, {} sales rows, {} backorder rows, {} purchase-order lines ({} open), {} events, {} open customer order lines, {} substitutes",
        args.out.display(),
        s.items,
        s.series,
        s.sales_rows,
        s.backorder_rows,
        s.purchase_order_rows,
        s.open_purchase_orders,
        s.event_rows,
        s.open_order_rows,
        s.substitute_rows
    );
    Ok(())
}

/// A money amount with thousands separators and 2 decimals.
fn thousands(x: f64) -> String {
    let s = format!("{:.2}", x.max(0.0));
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{frac}")
}

/// The exit code for an error.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<replenish::Error>() {
        Some(err) if err.is_bad_input() => EXIT_BAD_INPUT,
        Some(_) => EXIT_FAILURE,
        None => match e.downcast_ref::<sample::SampleError>() {
            Some(sample::SampleError::Options(_)) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        },
    }
}

/// What the suppliers' terms and the budget did, in one line (none when
/// they did nothing).
fn purchasing_line(p: &replenish::purchasing::plans::Purchasing) -> Option<String> {
    use replenish::purchasing::{ContainerAction as C, MinimumAction as M, Reason};
    let orders = |f: &dyn Fn(&replenish::purchasing::plans::OrderSummary) -> bool| {
        p.orders.iter().filter(|o| f(o)).count()
    };
    let mut parts = Vec::new();
    for (n, what) in [
        (
            orders(&|o| o.minimum == Some(M::ToppedUp)),
            "topped up to the supplier's minimum",
        ),
        (
            orders(&|o| o.minimum == Some(M::Deferred)),
            "deferred (below the minimum)",
        ),
        (
            orders(&|o| o.minimum == Some(M::NotMet)),
            "below the minimum",
        ),
        (
            orders(&|o| {
                matches!(
                    o.container_action,
                    Some(C::RoundedUp | C::RoundedDown | C::Capped)
                )
            }),
            "rounded to whole containers",
        ),
    ] {
        if n > 0 {
            parts.push(format!(
                "{n} {} {what}",
                if n == 1 { "order" } else { "orders" }
            ));
        }
    }
    if let Some((budget, before)) = p.budget {
        let cut = p
            .changes
            .iter()
            .filter(|c| c.reason == Reason::Budget)
            .count();
        parts.push(format!(
            "budget {}: {cut} lines cut from {}",
            thousands(budget),
            thousands(before)
        ));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "{} (orders_by_supplier.csv, orders_deferred.csv)",
            parts.join("; ")
        )
    })
}
