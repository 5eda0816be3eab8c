//! `replenish forecast`: hold-out forecasts in the peers' long format.

mod common;

use common::{read_csv, stderr};

fn run(dir: &std::path::Path, input: &str, extra: &[&str]) -> std::process::Output {
    let data = dir.join("long.csv");
    std::fs::write(&data, input).unwrap();
    common::binary()
        .args(["forecast", "--input"])
        .arg(&data)
        .arg("--out")
        .arg(dir.join("fc.csv"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn holds_out_the_last_h_points_of_every_series() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = String::from("unique_id,ds,y\n");
    for m in 1..=12 {
        input.push_str(&format!("flat,2020-{m:02}-01,5\n"));
    }
    // Rows out of order and a series too short to evaluate.
    for m in (1..=10).rev() {
        input.push_str(&format!(
            "step,2021-{m:02}-01,{}\n",
            if m > 4 { 20 } else { 2 }
        ));
    }
    input.push_str("tiny,2020-01-01,1\ntiny,2020-02-01,1\n");
    let out = run(dir.path(), &input, &["--h", "3", "--season-length", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 series forecast (1 shorter than h + 2 left out)"),
        "{text}"
    );
    // One fit + forecast time per model column, in the columns' order.
    let timings = text
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "fit + forecast seconds per model (each alone on every series, summed over series): ",
            )
        })
        .unwrap_or_else(|| panic!("no per-model timings in {text}"));
    let columns = text
        .lines()
        .find_map(|l| l.split_once("(columns: replenish, ").map(|(_, c)| c))
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no column list in {text}"));
    let timed: Vec<&str> = timings
        .split(", ")
        .map(|entry| {
            let (name, secs) = entry.rsplit_once(' ').expect("name and seconds");
            let secs: f64 = secs.parse().expect("seconds");
            assert!((0.0..60.0).contains(&secs), "{entry}");
            name
        })
        .collect();
    assert_eq!(timed, columns.split(", ").collect::<Vec<_>>());
    let rows = read_csv(&dir.path().join("fc.csv"));
    assert_eq!(rows.len(), 6);
    let ds: Vec<&str> = rows.iter().map(|r| r["ds"].as_str()).collect();
    assert_eq!(
        ds,
        [
            "2020-10-01",
            "2020-11-01",
            "2020-12-01",
            "2021-08-01",
            "2021-09-01",
            "2021-10-01"
        ]
    );
    assert!(rows[..3].iter().all(|r| r["replenish"] == "5"), "{rows:?}");
    // The step series was at 20 for the last 3 training points: SES follows it.
    assert!(
        rows[3]["replenish"].parse::<f64>().unwrap() > 15.0,
        "{rows:?}"
    );
    let q = read_csv(&dir.path().join("fc_quantiles.csv"));
    assert_eq!(q.len(), 6);
    for r in &q {
        let (p10, p50, p90): (f64, f64, f64) = (
            r["p10"].parse().unwrap(),
            r["p50"].parse().unwrap(),
            r["p90"].parse().unwrap(),
        );
        assert!(0.0 <= p10 && p10 <= p50 && p50 <= p90, "{r:?}");
    }
}

#[test]
fn a_repeated_date_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = "unique_id,ds,y\na,2020-01-01,1\na,2020-02-01,1\na,2020-01-01,3\n";
    let out = run(dir.path(), input, &["--h", "1", "--season-length", "1"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("line 4, column `ds`"),
        "{}",
        stderr(&out)
    );
}
