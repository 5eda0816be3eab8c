//! Splitting a run across machines. `run --shard K/N` forecasts only the
//! series whose stable hash of (sku, location) modulo N is K — the expensive
//! part of a run — and writes them to one part file; `merge` reads the N parts
//! and finishes the run (classes, calibration, policy, report) exactly as a
//! single run would, so its files are the same byte for byte.
//!
//! A part is JSON lines: a header naming the shard, the as-of date, the
//! SHA-256 of every input file and of the config, then one forecast per
//! series. Numbers are stored as their IEEE-754 bits so that they come back
//! exactly. `merge` refuses parts made from other inputs, another config or
//! another date, and a set of parts that misses or repeats a shard or a series.

use crate::dispersion::Dispersion;
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::demand_process::{DemandProcess, SlowMoverDemand};
use crate::error::{Error, Result};
use crate::forecast::rules::Group;
use crate::forecast::{Backtest, Distribution, ModelId, SeriesForecast};
use crate::ingest::{Dataset, SeriesKey, Subset};

/// Version of the part format.
const FORMAT: u32 = 1;

/// One shard of N: the series whose [`SeriesKey::stable_hash`] modulo `count` is `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, from 0.
    pub index: usize,
    /// N, at least 1.
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("expected K/N with 0 <= K < N (e.g. 0/4), found \"{s}\"");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The series this shard reads whole: its own and the selection prior's
    /// sample of `prior_series`.
    pub fn subset(&self, prior_series: usize) -> Subset {
        Subset {
            index: self.index as u64,
            count: self.count as u64,
            sample: prior_series,
        }
    }

    /// True when the series belongs to this shard.
    pub fn owns(&self, key: &SeriesKey) -> bool {
        key.stable_hash() % self.count as u64 == self.index as u64
    }

    /// File name of this shard's part.
    pub fn file_name(&self) -> String {
        format!("part-{:05}-of-{:05}.jsonl", self.index, self.count)
    }
}

/// Folder of the parts of the run as of `as_of` under `out`.
pub fn parts_dir(out: &Path, as_of: NaiveDate) -> PathBuf {
    out.join(format!("{as_of}-parts"))
}

/// What a part was made from; every part of a merge must agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    replenish_part: u32,
    shard: usize,
    of: usize,
    as_of: String,
    /// (file name, SHA-256) of every input file.
    inputs: Vec<(String, String)>,
    /// SHA-256 of the config, without its input and output folders.
    config_sha256: String,
    series: usize,
}

impl Header {
    fn new(data: &Dataset, config: &Config, shard: Shard, series: usize) -> Result<Header> {
        Ok(Header {
            replenish_part: FORMAT,
            shard: shard.index,
            of: shard.count,
            as_of: data.as_of.to_string(),
            inputs: data
                .files
                .iter()
                .map(|f| (f.name.to_string(), f.sha256.clone()))
                .collect(),
            config_sha256: config_hash(config)?,
            series,
        })
    }
}

/// SHA-256 of the config as JSON, with `run.data` and `run.out` cleared (the
/// shards may see the data under other paths).
fn config_hash(config: &Config) -> Result<String> {
    use sha2::Digest;
    let mut c = config.clone();
    c.run.data.clear();
    c.run.out.clear();
    let json = serde_json::to_vec(&c).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(sha2::Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// One series' forecast as stored in a part (numbers as IEEE-754 bits).
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    sku: String,
    location: String,
    model: String,
    members: Vec<String>,
    /// The selection group: (intermittent, short).
    #[serde(default)]
    group: Option<(bool, bool)>,
    mean: Vec<u64>,
    sigma: u64,
    negative_binomial: bool,
    backtests: Vec<BacktestRecord>,
    outliers: Vec<usize>,
    discontinued: bool,
    standardized_errors: Vec<u64>,
    /// (error summed over the protection horizon, its spread) per origin.
    horizon_errors: Vec<(u64, u64)>,
    /// The same over lead time + a whole review period.
    #[serde(default)]
    cycle_errors: Vec<(u64, u64)>,
    /// (forecast, demand) per step of the latest backtest origin.
    #[serde(default)]
    latest_origin: Vec<(u64, u64)>,
    /// Spread without the latest origin over the spread.
    #[serde(default)]
    latest_origin_spread: Option<u64>,
    /// The demand process of a slow mover.
    process: Option<ProcessRecord>,
    /// The largest demand over a protection interval.
    max_protection_demand: Option<u64>,
    /// The dispersion test's index and p-value.
    #[serde(default)]
    dispersion: Option<(u64, u64)>,
}

/// A [`DemandProcess`] with its numbers as bits.
#[derive(Debug, Serialize, Deserialize)]
struct ProcessRecord {
    method: SlowMoverDemand,
    buckets: usize,
    sizes: Vec<(u64, u32)>,
    /// occurrence, after demand, after none.
    rates: [u64; 3],
    last_had_demand: bool,
}

impl ProcessRecord {
    fn new(p: &DemandProcess) -> ProcessRecord {
        ProcessRecord {
            method: p.method,
            buckets: p.buckets,
            sizes: p.sizes.iter().map(|(v, n)| (v.to_bits(), *n)).collect(),
            rates: [p.occurrence, p.after_demand, p.after_none].map(f64::to_bits),
            last_had_demand: p.last_had_demand,
        }
    }

    fn process(&self) -> DemandProcess {
        let [occurrence, after_demand, after_none] = self.rates.map(f64::from_bits);
        DemandProcess::new(
            self.method,
            self.buckets,
            self.sizes
                .iter()
                .map(|&(v, n)| (f64::from_bits(v), n))
                .collect(),
            [occurrence, after_demand, after_none],
            self.last_had_demand,
        )
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct BacktestRecord {
    model: String,
    origins: usize,
    horizon: usize,
    /// mae, rmse, mase, rmsse, bias.
    errors: [u64; 5],
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn floats(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&b| f64::from_bits(b)).collect()
}

impl Record {
    fn new(key: &SeriesKey, f: &SeriesForecast) -> Record {
        Record {
            sku: key.sku.clone(),
            location: key.location.clone(),
            model: f.model.to_string(),
            members: f.members.iter().map(|m| m.to_string()).collect(),
            group: f.group.map(|g| (g.intermittent, g.short)),
            mean: bits(&f.mean),
            sigma: f.sigma.to_bits(),
            negative_binomial: f.distribution == Distribution::NegativeBinomial,
            backtests: f
                .backtests
                .iter()
                .map(|b| BacktestRecord {
                    model: b.model.to_string(),
                    origins: b.origins,
                    horizon: b.horizon,
                    errors: [b.mae, b.rmse, b.mase, b.rmsse, b.bias].map(f64::to_bits),
                })
                .collect(),
            outliers: f.outliers.clone(),
            discontinued: f.discontinued,
            standardized_errors: bits(&f.standardized_errors),
            horizon_errors: f
                .horizon_errors
                .iter()
                .map(|(e, w)| (e.to_bits(), w.to_bits()))
                .collect(),
            cycle_errors: f
                .cycle_errors
                .iter()
                .map(|(e, w)| (e.to_bits(), w.to_bits()))
                .collect(),
            latest_origin_spread: Some(f.latest_origin_spread.to_bits()),
            latest_origin: f
                .latest_origin
                .iter()
                .map(|(m, a)| (m.to_bits(), a.to_bits()))
                .collect(),
            process: f.process.as_deref().map(ProcessRecord::new),
            max_protection_demand: f.max_protection_demand.map(f64::to_bits),
            dispersion: f
                .dispersion
                .map(|d| (d.index.to_bits(), d.p_value.to_bits())),
        }
    }

    /// The forecast (`None` when a model name is unknown).
    fn forecast(&self) -> Option<SeriesForecast> {
        let name = ModelId::parse;
        Some(SeriesForecast {
            model: name(&self.model)?,
            members: self
                .members
                .iter()
                .map(|m| name(m))
                .collect::<Option<_>>()?,
            group: self.group.map(|(intermittent, short)| Group {
                intermittent,
                short,
            }),
            mean: floats(&self.mean),
            sigma: f64::from_bits(self.sigma),
            distribution: if self.negative_binomial {
                Distribution::NegativeBinomial
            } else {
                Distribution::Normal
            },
            backtests: self
                .backtests
                .iter()
                .map(|b| {
                    let [mae, rmse, mase, rmsse, bias] = b.errors.map(f64::from_bits);
                    Some(Backtest {
                        model: name(&b.model)?,
                        origins: b.origins,
                        horizon: b.horizon,
                        mae,
                        rmse,
                        mase,
                        rmsse,
                        bias,
                    })
                })
                .collect::<Option<_>>()?,
            outliers: self.outliers.clone(),
            discontinued: self.discontinued,
            standardized_errors: floats(&self.standardized_errors),
            horizon_errors: self
                .horizon_errors
                .iter()
                .map(|&(e, w)| (f64::from_bits(e), f64::from_bits(w)))
                .collect(),
            cycle_errors: self
                .cycle_errors
                .iter()
                .map(|&(e, w)| (f64::from_bits(e), f64::from_bits(w)))
                .collect(),
            latest_origin_spread: self.latest_origin_spread.map_or(1.0, f64::from_bits),
            latest_origin: self
                .latest_origin
                .iter()
                .map(|&(m, a)| (f64::from_bits(m), f64::from_bits(a)))
                .collect(),
            // Calibrated across series by the merge, like a single run does.
            interval_factors: Vec::new(),
            // Pooled across series by the merge, like a single run does.
            lead_time_errors: Default::default(),
            process: self.process.as_ref().map(|p| Arc::new(p.process())),
            max_protection_demand: self.max_protection_demand.map(f64::from_bits),
            dispersion: self.dispersion.map(|(i, p)| Dispersion {
                index: f64::from_bits(i),
                p_value: f64::from_bits(p),
            }),
        })
    }
}

/// Write the forecasts of one shard (`forecasts` = (series id, forecast), in
/// series order) to its part under [`parts_dir`]; written to a temporary file
/// and renamed, so a part is whole or absent. Returns the part's path.
pub fn write_part(
    out: &Path,
    data: &Dataset,
    config: &Config,
    shard: Shard,
    forecasts: &[(usize, SeriesForecast)],
) -> Result<PathBuf> {
    let dir = parts_dir(out, data.as_of);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
    let path = dir.join(shard.file_name());
    let tmp = dir.join(format!(".{}.tmp-{}", shard.file_name(), std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
        let header = Header::new(data, config, shard, forecasts.len())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        serde_json::to_writer(&mut w, &header)?;
        w.write_all(b"\n")?;
        for (id, f) in forecasts {
            serde_json::to_writer(&mut w, &Record::new(&data.keys[*id], f))?;
            w.write_all(b"\n")?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io("cannot write", &path, e)
    })?;
    Ok(path)
}

/// The part files under `dir`, sorted.
fn part_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io("cannot read the parts folder", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| n.starts_with("part-") && n.ends_with(".jsonl"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::file(
            dir.display().to_string(),
            "no parts to merge: run `replenish run --shard K/N` for every K first",
        ));
    }
    Ok(paths)
}

impl Header {
    /// Why a part with this header cannot be merged into the run that
    /// expects `expected` (`None`: it can).
    fn mismatch(&self, expected: &Header) -> Option<String> {
        if self.replenish_part != FORMAT {
            return Some(format!(
                "part format {} (this replenish reads {FORMAT})",
                self.replenish_part
            ));
        }
        if self.as_of != expected.as_of {
            return Some(format!(
                "made as of {}, merging as of {}",
                self.as_of, expected.as_of
            ));
        }
        if self.inputs != expected.inputs {
            return Some("made from other input files (their SHA-256 differ); rerun the shards on these inputs".into());
        }
        if self.config_sha256 != expected.config_sha256 {
            return Some("made with another config; rerun the shards with this one".into());
        }
        None
    }
}

/// The shards seen so far in a merge and their common count.
#[derive(Default)]
struct Seen {
    count: Option<usize>,
    shards: Vec<usize>,
}

impl Seen {
    /// Record a part's header; why it does not fit the others, if it does not.
    fn add(&mut self, header: &Header) -> Option<String> {
        let count = *self.count.get_or_insert(header.of);
        if count != header.of {
            return Some(format!(
                "a part of {} shards beside parts of {count}",
                header.of
            ));
        }
        if self.shards.contains(&header.shard) {
            return Some(format!("shard {} appears twice", header.shard));
        }
        self.shards.push(header.shard);
        None
    }
}

/// Read the N parts of the run as of `data.as_of` under `out` and return
/// every series' forecast, in series order. Fails, naming the part, when a
/// part is missing, repeated, made from other inputs or another config, or
/// when a series is missing or in the wrong shard.
pub fn read_parts(out: &Path, data: &Dataset, config: &Config) -> Result<Vec<SeriesForecast>> {
    let dir = parts_dir(out, data.as_of);
    let paths = part_paths(&dir)?;
    let ids: HashMap<&SeriesKey, usize> =
        data.keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let mut forecasts: Vec<Option<SeriesForecast>> = vec![None; data.keys.len()];
    let mut seen = Seen::default();
    for path in &paths {
        read_part(path, data, config, &ids, &mut seen, &mut forecasts)?;
    }
    let count = seen.count.unwrap_or(0);
    if seen.shards.len() != count {
        let missing: Vec<String> = (0..count)
            .filter(|k| !seen.shards.contains(k))
            .map(|k| format!("{k}/{count}"))
            .collect();
        return Err(Error::file(
            dir.display().to_string(),
            format!("missing parts of shards {}", missing.join(", ")),
        ));
    }
    forecasts
        .into_iter()
        .enumerate()
        .map(|(id, f)| {
            f.ok_or_else(|| {
                let k = &data.keys[id];
                Error::file(
                    dir.display().to_string(),
                    format!("no part holds series {}/{}", k.sku, k.location),
                )
            })
        })
        .collect()
}

/// Read one part into `forecasts` (series `ids` of the dataset), checking
/// its header against the run's and the parts `seen` before it.
fn read_part(
    path: &Path,
    data: &Dataset,
    config: &Config,
    ids: &HashMap<&SeriesKey, usize>,
    seen: &mut Seen,
    forecasts: &mut [Option<SeriesForecast>],
) -> Result<()> {
    let shown = path.display().to_string();
    let bad = |line: u64, message: String| {
        Error::input(
            crate::error::Location {
                file: shown.clone(),
                line: Some(line),
                row: None,
                column: None,
            },
            message,
        )
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut lines = BufReader::new(file).lines();
    let header: Header = match lines.next() {
        Some(Ok(text)) => serde_json::from_str(&text)
            .map_err(|e| bad(1, format!("not a replenish part header: {e}")))?,
        _ => return Err(bad(1, "empty part".into())),
    };
    let shard = Shard {
        index: header.shard,
        count: header.of,
    };
    let expected = Header::new(data, config, shard, header.series)?;
    if let Some(m) = header.mismatch(&expected).or_else(|| seen.add(&header)) {
        return Err(bad(1, m));
    }
    let mut n = 0;
    for (i, line) in lines.enumerate() {
        let line_no = i as u64 + 2;
        let text = line.map_err(|e| Error::io("cannot read", path, e))?;
        let record: Record = serde_json::from_str(&text)
            .map_err(|e| bad(line_no, format!("not a forecast record: {e}")))?;
        let key = SeriesKey {
            sku: record.sku.clone(),
            location: record.location.clone(),
        };
        let Some(&id) = ids.get(&key) else {
            return Err(bad(
                line_no,
                format!("series {}/{} is not in the input", key.sku, key.location),
            ));
        };
        if !shard.owns(&key) || forecasts[id].is_some() {
            return Err(bad(
                line_no,
                format!(
                    "series {}/{} does not belong to shard {shard} or appears twice",
                    key.sku, key.location
                ),
            ));
        }
        forecasts[id] = Some(record.forecast().ok_or_else(|| {
            bad(
                line_no,
                "unknown model name (a part from another version?)".into(),
            )
        })?);
        n += 1;
    }
    if n != header.series {
        return Err(bad(
            1,
            format!(
                "the header announces {} series, the part holds {n} (cut short?)",
                header.series
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_syntax() {
        assert_eq!("3/4".parse::<Shard>(), Ok(Shard { index: 3, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x/2".parse::<Shard>().is_err());
        assert!("2".parse::<Shard>().is_err());
    }

    #[test]
    fn the_hash_is_stable_and_spreads_series() {
        let key = |s: &str| SeriesKey {
            sku: s.into(),
            location: "DC1".into(),
        };
        // FNV-1a of "A\x1fDC1", fixed forever: parts made elsewhere must agree.
        assert_eq!(key("A").stable_hash(), 0x5b04_7687_300e_38b7);
        let mut counts = [0usize; 4];
        for i in 0..4000 {
            counts[(key(&format!("SKU{i:05}")).stable_hash() % 4) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (900..1100).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn numbers_come_back_exactly() {
        let v = [0.1 + 0.2, f64::MIN_POSITIVE, 1e300, -0.0, 1.0 / 3.0];
        assert_eq!(floats(&bits(&v)), v.to_vec());
        assert_eq!(
            floats(&bits(&v))
                .iter()
                .map(|x| x.to_bits())
                .collect::<Vec<_>>(),
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}
