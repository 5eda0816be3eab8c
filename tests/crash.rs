//! A run killed while it writes leaves the previous report as it was, and the
//! next run clears what the killed one left.

mod common;

use std::time::{Duration, Instant};

use common::{sample_data, stderr};

#[test]
fn sigkill_mid_run_leaves_the_previous_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("reports");
    sample_data(&data, 8);
    let run = || {
        let mut c = common::binary();
        c.args(["run", "--quiet", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&out);
        c
    };
    // Other targets: a run that finished would change the plan.
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        "[policy.service_level]\nA = 0.8\nB = 0.7\nC = 0.6\n",
    )
    .unwrap();
    let o = run().output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report = out.join("2026-11-22");
    let before: Vec<(String, Vec<u8>)> = ["plan.csv", "orders.csv", "index.html"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(report.join(f)).unwrap()))
        .collect();

    // Kill the second run once it has started writing its report.
    let mut child = run().arg("--config").arg(&other).spawn().unwrap();
    let started = Instant::now();
    let writing = || {
        std::fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".tmp-"))
    };
    while !writing() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no report started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL, mid-write
    child.wait().unwrap();
    for (file, bytes) in &before {
        assert_eq!(
            &std::fs::read(report.join(file)).unwrap(),
            bytes,
            "{file} changed"
        );
    }

    // A run moved aside by a killed run (its previous report) comes back.
    let aside = out.join(".2026-11-15.old-4194300");
    std::fs::create_dir_all(&aside).unwrap();
    std::fs::write(aside.join("plan.csv"), "sku\n").unwrap();

    let o = run().output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "left over: {names:?}"
    );
    assert!(out.join("2026-11-15/plan.csv").is_file());
    assert_eq!(
        std::fs::read(report.join("plan.csv")).unwrap(),
        before[0].1,
        "same input, same plan"
    );
}
