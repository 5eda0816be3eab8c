//! Inputs the fuzzer (`fuzz/run.sh`) once found troublesome, replayed through
//! the binary: each must end in a plan or a bad-input error, never a panic.

mod common;

use common::{Fixture, stderr};

#[path = "common/fuzz_input.rs"]
mod fuzz_input;

#[test]
fn fuzz_findings_end_in_a_plan_or_a_clear_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fuzz findings in {}", dir.display());
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let (quarantine, files) = fuzz_input::split(&bytes);
        let f = Fixture::new();
        for (name, content) in &files {
            f.write(name, content);
        }
        let bad_rows = if quarantine { "quarantine" } else { "error" };
        let config = f.config(&format!("[input]\nbad_rows = \"{bad_rows}\"\n"));
        let out = f.run(&["--config", &config]);
        let err = stderr(&out);
        assert!(
            matches!(out.status.code(), Some(0) | Some(3)),
            "{}: exit {:?}: {err}",
            path.display(),
            out.status.code()
        );
        assert!(!err.contains("panicked"), "{}: {err}", path.display());
    }
}
