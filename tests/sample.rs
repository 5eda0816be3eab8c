//! The committed sample data is exactly what `replenish sample` writes with its
//! default options, so anyone can regenerate it from the seed.

mod common;

#[test]
fn committed_sample_is_reproducible_from_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::binary()
        .args(["sample", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    let mut names: Vec<String> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "backorders.csv",
            "events.csv",
            "inventory.csv",
            "items.csv",
            "open_orders.csv",
            "purchase_orders.csv",
            "sales.csv",
            "substitutes.csv",
            "suppliers.csv"
        ]
    );
    for name in names {
        let a = std::fs::read(committed.join(&name)).unwrap();
        let b = std::fs::read(dir.path().join(&name)).unwrap();
        assert!(a == b, "{name} differs from the generator's output");
    }
}

#[test]
fn bad_sample_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::binary()
        .args(["sample", "--skus", "0", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("skus"));
}
