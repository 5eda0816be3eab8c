//! Wall time of `ingest::load` on an input folder, repeated in one process:
//! the ingest stage of `replenish run` without the rest of the run.
//!
//! `cargo run --release --example ingest_time -- DIR [REPEATS]` prints each
//! load's seconds, the median, and the rows read per file.

use std::path::PathBuf;
use std::time::Instant;

/// The allocator of the `replenish` binary, so that the time is the run's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    // As the binary does (src/main.rs): no transparent huge pages.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or_else(|| anyhow::anyhow!("usage: ingest_time DIR [REPEATS]"))?,
    );
    let repeats: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let config = replenish::config::Config::default();
    let mut seconds = Vec::with_capacity(repeats);
    for i in 0..repeats {
        let start = Instant::now();
        let dataset = replenish::ingest::load(&dir, &config, None)?;
        let elapsed = start.elapsed().as_secs_f64();
        if i == 0 {
            for file in &dataset.files {
                println!("{}: {} rows", file.path, file.rows);
            }
        }
        // Dropping the dataset is not part of the ingest stage.
        drop(dataset);
        println!("load {}: {elapsed:.3} s", i + 1);
        seconds.push(elapsed);
    }
    seconds.sort_by(f64::total_cmp);
    println!("median of {repeats}: {:.3} s", seconds[repeats / 2]);
    Ok(())
}
