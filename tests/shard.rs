//! A run split into shards (`run --shard K/N`, then `merge`) writes exactly
//! the files a single run writes, and a merge refuses an incomplete or
//! mismatched set of parts.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{replenish, sample_data, stderr};

fn cmd(args: &[&OsStr]) -> Output {
    common::binary()
        .args(args)
        .output()
        .expect("run the binary")
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// run.json without its timings (the only part that may differ).
fn run_json(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("timings_seconds");
    v
}

#[test]
fn four_merged_shards_equal_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    sample_data(&data, 15);
    // Both write under the same `out` (run.json records it): the single run's
    // report is moved aside before the shards run.
    let out = dir.path().join("reports");
    let single = dir.path().join("single");
    // With the global model on: every shard fits it on all series alike.
    let global = dir.path().join("g.toml");
    // 30 series: the fewest the global model is fitted on.
    std::fs::write(&global, "[forecast.global]\nenabled = true\nfits = 2\n").unwrap();
    let base = |out: &Path| -> Vec<std::ffi::OsString> {
        vec![
            "--quiet".into(),
            "--data".into(),
            data.clone().into(),
            "--out".into(),
            out.into(),
            "--config".into(),
            global.clone().into(),
        ]
    };
    let args = |sub: &str, out: &Path, extra: &[&str]| {
        let mut v: Vec<std::ffi::OsString> = vec![sub.into()];
        v.extend(base(out));
        v.extend(extra.iter().map(|s| s.into()));
        v
    };
    let call = |v: Vec<std::ffi::OsString>| {
        let refs: Vec<&OsStr> = v.iter().map(|s| s.as_os_str()).collect();
        cmd(&refs)
    };
    let ok = |v: Vec<std::ffi::OsString>| {
        let refs: Vec<&OsStr> = v.iter().map(|s| s.as_os_str()).collect();
        replenish(&refs)
    };
    ok(args("run", &out, &[]));
    std::fs::rename(out.join("2026-11-22"), &single).unwrap();
    let sharded = out.clone();

    // A merge before every part exists names what is missing.
    ok(args("run", &sharded, &["--shard", "2/4"]));
    let early = call(args("merge", &sharded, &[]));
    assert_eq!(early.status.code(), Some(3), "{}", stderr(&early));
    assert!(
        stderr(&early).contains("missing parts of shards 0/4, 1/4, 3/4"),
        "{}",
        stderr(&early)
    );

    for k in [0, 3, 1] {
        ok(args(
            "run",
            &sharded,
            &["--shard", &format!("{k}/4"), "--threads", "1"],
        ));
    }
    let parts = sharded.join("2026-11-22-parts");
    let mut sizes = Vec::new();
    for k in 0..4 {
        let text =
            std::fs::read_to_string(parts.join(format!("part-{k:05}-of-00004.jsonl"))).unwrap();
        sizes.push(text.lines().count() - 1);
    }
    assert_eq!(sizes.iter().sum::<usize>(), 30, "{sizes:?}");
    assert!(
        sizes.iter().all(|&n| n > 0),
        "a shard got no series: {sizes:?}"
    );

    // Another config: the parts no longer fit.
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[forecast]\nbacktest_origins = 2\n[forecast.global]\nenabled = true\n",
    )
    .unwrap();
    let mut other = args("merge", &sharded, &[]);
    let at = other.iter().position(|a| a == "--config").unwrap();
    other[at + 1] = config.clone().into();
    let other = call(other);
    assert_eq!(other.status.code(), Some(3), "{}", stderr(&other));
    assert!(
        stderr(&other).contains("made with another config"),
        "{}",
        stderr(&other)
    );

    ok(args("merge", &sharded, &["--threads", "2"]));
    let a = single;
    let b = sharded.join("2026-11-22");
    let plan = std::fs::read_to_string(a.join("plan.csv")).unwrap();
    assert!(
        plan.contains("global_poisson"),
        "the global model took part (in a combination at least)"
    );
    assert_same_reports(&a, &b);
}

/// Every file of report folder `a` is in `b`, byte for byte (run.json but
/// its timings).
fn assert_same_reports(a: &Path, b: &Path) {
    let listed = files(a);
    assert_eq!(listed, files(b));
    assert!(listed.len() > 20, "{listed:?}");
    for f in &listed {
        if f == Path::new("run.json") {
            assert_eq!(run_json(&a.join(f)), run_json(&b.join(f)));
        } else {
            assert!(
                std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
                "{} differs",
                f.display()
            );
        }
    }
}

#[test]
fn shards_that_read_only_their_own_history_merge_to_the_single_run() {
    // Without the global model a shard keeps the history of its own series
    // and of the selection prior's sample only: with a sample of 60 of 160
    // series, each of two shards leaves about a third of the series out
    // (were the sample's history left out too, accuracy.csv would differ).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    replenish(&[
        "sample".as_ref(),
        "--skus".as_ref(),
        "80".as_ref(),
        "--years".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        data.as_os_str(),
    ]);
    let config = dir.path().join("c.toml");
    // No series charts: drawing them is most of a debug build's run.
    std::fs::write(
        &config,
        "[forecast]\nselection_prior_series = 60\n[report]\ncharts = 0\nmax_series_charts = 0\n",
    )
    .unwrap();
    let out = dir.path().join("reports");
    let run = |sub: &str, extra: &[&str]| {
        let mut args: Vec<&OsStr> = vec![
            sub.as_ref(),
            "--data".as_ref(),
            data.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--config".as_ref(),
            config.as_os_str(),
        ];
        args.extend(extra.iter().map(OsStr::new));
        String::from_utf8(replenish(&args).stdout).unwrap()
    };
    run("run", &["--quiet"]);
    let single = dir.path().join("single");
    std::fs::rename(out.join("2026-11-22"), &single).unwrap();
    for k in 0..2 {
        let said = run("run", &["--shard", &format!("{k}/2"), "--threads", "1"]);
        let read: usize = said
            .split("history read for ")
            .nth(1)
            .and_then(|rest| rest.strip_suffix(" of 160 series)\n"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{said}"));
        assert!((80..140).contains(&read), "{said}");
    }
    run("merge", &["--quiet"]);
    assert_same_reports(&single, &out.join("2026-11-22"));
}

#[test]
fn a_shard_reads_the_history_of_its_series_and_of_the_prior_sample_only() {
    use replenish::config::Config;
    use replenish::ingest::{Subset, load, load_subset};
    use replenish::sample::{SampleOptions, generate};

    let dir = tempfile::tempdir().unwrap();
    let options = SampleOptions {
        skus: 40,
        ..SampleOptions::default()
    };
    generate(&options, dir.path()).unwrap();
    let config = Config::default();
    let all = load(dir.path(), &config, None).unwrap();
    let subset = Subset {
        index: 1,
        count: 4,
        sample: 20,
    };
    let part = load_subset(dir.path(), &config, None, Some(subset)).unwrap();
    assert_eq!(all.keys, part.keys);
    let mut hashes: Vec<u64> = all.keys.iter().map(|k| k.stable_hash()).collect();
    hashes.sort_unstable();
    let bound = hashes[19];
    let mut kept = 0;
    for (id, key) in all.keys.iter().enumerate() {
        let h = key.stable_hash();
        let keeps = h % 4 == 1 || h <= bound;
        assert_eq!(part.has_history(id), keeps, "{key:?}");
        if keeps {
            kept += 1;
            assert_eq!(part.demand[id], all.demand[id], "{key:?}");
        } else {
            assert!(!all.demand[id].is_empty() && part.demand[id].is_empty());
        }
        // What is not history is read for every series.
        assert_eq!(part.returns[id], all.returns[id]);
        assert_eq!(part.inventory[id], all.inventory[id]);
        // Purchase-order lines whole for the series kept; of the others,
        // what their suppliers' lead times need of their received lines.
        let receipts: Vec<_> = part
            .receipts_of_others
            .iter()
            .filter(|r| r.id as usize == id)
            .map(|r| (r.supplier.clone(), r.order_day, r.received_day))
            .collect();
        if keeps {
            assert_eq!(part.purchase_orders[id], all.purchase_orders[id]);
            assert!(receipts.is_empty());
        } else {
            let received: Vec<_> = all.purchase_orders[id]
                .iter()
                .filter_map(|po| {
                    let supplier = all.po_supplier(po).map(Into::into);
                    Some((supplier, po.order_day, po.received_day()?))
                })
                .collect();
            assert!(part.purchase_orders[id].is_empty() && !received.is_empty());
            assert_eq!(receipts, received, "{key:?}");
        }
    }
    // By series, as the lead times read them.
    assert!(part.receipts_of_others.is_sorted_by_key(|r| r.id));
    // About a quarter of 80 series, and the sample of 20 (some of them own).
    assert!(kept < 50, "{kept} of {}", all.keys.len());
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    for bad in ["4/4", "1/0", "x"] {
        let o = cmd(&["run".as_ref(), "--shard".as_ref(), bad.as_ref()]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("expected K/N"), "{}", stderr(&o));
    }
}
