//! Helpers shared by the integration tests: fixture folders and running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Config lines that plan every series at its class's own target on its
/// forecast's spread (`[policy]` keys, to put under that header): what the
/// tests whose reorder points are worked out by hand assume.
pub const PER_SERIES_KEYS: &str = "service_allocation = \"per_series\"\ncount_test = \"off\"\n";

/// A whole config of just [`PER_SERIES_KEYS`].
pub fn per_series() -> String {
    format!("[policy]\n{PER_SERIES_KEYS}")
}

/// A temporary input folder plus an output folder.
pub struct Fixture {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// An empty fixture.
    pub fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The input folder.
    pub fn data(&self) -> PathBuf {
        let d = self.dir.path().join("data");
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// The output folder.
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    /// Write an input file.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> &Self {
        std::fs::write(self.data().join(name), content).unwrap();
        self
    }

    /// Write a config file beside the data; returns its path for `--config`.
    pub fn config(&self, toml: &str) -> String {
        let path = self.dir.path().join("c.toml");
        std::fs::write(&path, toml).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// Run `replenish run` on the fixture with extra arguments.
    pub fn run(&self, extra: &[&str]) -> Output {
        self.run_into(&self.out(), extra)
    }

    /// Run `replenish run` on the fixture, writing under `out`.
    pub fn run_into(&self, out: &Path, extra: &[&str]) -> Output {
        self.command("run", out, extra)
    }

    /// Run `replenish <sub>` (run or simulate) on the fixture, writing under `out`.
    pub fn command(&self, sub: &str, out: &Path, extra: &[&str]) -> Output {
        binary()
            .arg(sub)
            .arg("--data")
            .arg(self.data())
            .arg("--out")
            .arg(out)
            .arg("--quiet")
            .args(extra)
            .output()
            .expect("run the binary")
    }

    /// The report folders written.
    pub fn reports(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.out()) {
            Ok(entries) => {
                let mut v: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
                v.sort();
                v
            }
            Err(_) => Vec::new(),
        }
    }
}

/// Rows of a CSV file as maps from column to value.
pub fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The header of a CSV file.
pub fn header(path: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()
}

/// Sales rows: `qty` units of `sku` at `loc` every Sunday for `weeks` weeks ending 2024-05-19.
pub fn weekly_sales(rows: &mut String, sku: &str, loc: &str, weeks: usize, qty: f64) {
    let end = chrono::NaiveDate::from_ymd_opt(2024, 5, 19).unwrap();
    for w in (0..weeks).rev() {
        let d = end - chrono::Duration::weeks(w as i64);
        rows.push_str(&format!("{sku},{loc},{d},{qty}\n"));
    }
}

/// A sales file of `skus` at DC1, 10 units every Sunday for 20 weeks
/// ending 2024-05-19 (the as-of date is then 2024-05-20).
pub fn steady_sales(skus: &[&str]) -> String {
    let mut sales = String::from("sku,location,date,qty\n");
    for sku in skus {
        weekly_sales(&mut sales, sku, "DC1", 20, 10.0);
    }
    sales
}

/// The `replenish` binary, to add arguments to: every test spawns it here.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_replenish"))
}

/// Run the binary with `args`; panic with its standard error when it fails.
pub fn replenish(args: &[&std::ffi::OsStr]) -> Output {
    let o = binary().args(args).output().expect("run the binary");
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// Generate `replenish sample --skus SKUS` data into `dir` (the default end date 2026-11-22).
pub fn sample_data(dir: &Path, skus: usize) {
    let skus = skus.to_string();
    replenish(&[
        "sample".as_ref(),
        "--skus".as_ref(),
        skus.as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
    ]);
}

/// Standard-error text of a run.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
