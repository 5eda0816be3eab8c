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
    let listed = files(&a);
    assert_eq!(listed, files(&b));
    assert!(listed.len() > 20, "{listed:?}");
    let plan = std::fs::read_to_string(a.join("plan.csv")).unwrap();
    assert!(
        plan.contains("global_poisson"),
        "the global model took part (in a combination at least)"
    );
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
fn a_bad_shard_is_a_usage_error() {
    for bad in ["4/4", "1/0", "x"] {
        let o = cmd(&["run".as_ref(), "--shard".as_ref(), bad.as_ref()]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("expected K/N"), "{}", stderr(&o));
    }
}
