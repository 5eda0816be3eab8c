//! Fuzz the ingest: arbitrary bytes as sales, inventory, items, purchase
//! orders, backorders and events files. Any result is fine but a panic, a
//! hang, or a dataset whose demand is not finite and non-negative.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use replenish::calendar::Bucket;
use replenish::config::{BadRows, Config};
use replenish::demand::Panel;

#[path = "../../tests/common/fuzz_input.rs"]
mod fuzz_input;

/// One scratch folder per fuzzing process.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("replenish-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let (quarantine, files) = fuzz_input::split(data);
    let dir = scratch();
    for name in fuzz_input::FILES {
        let _ = std::fs::remove_file(dir.join(name));
    }
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).expect("write input");
    }
    let mut config = Config::default();
    if quarantine {
        config.input.bad_rows = BadRows::Quarantine;
    }
    let Ok(data) = replenish::ingest::load(dir, &config, None) else {
        return;
    };
    for bucket in [Bucket::Day, Bucket::Week, Bucket::Month] {
        let panel = Panel::build(&data, bucket);
        for s in &panel.series {
            assert!(
                s.demand.iter().all(|d| d.is_finite() && *d >= 0.0),
                "demand not finite and non-negative"
            );
        }
    }
});
