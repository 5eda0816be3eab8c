//! `replenish` binary: parse the command line, run the library, map errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc in place of the system allocator: the ingest's large columns are
/// freed and reused without growing the process, and freed pages go back to
/// the system (glibc's arenas kept about 1 GB of a 100k run's ingest).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    without_transparent_huge_pages();
    let args = cli::Cli::parse();
    match cli::execute(args) {
        Ok(()) => ExitCode::from(cli::EXIT_OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::exit_code(&e))
        }
    }
}

/// No transparent huge pages for this process. mimalloc asks for them on
/// its arenas, and where the system compacts memory for such a request
/// (`defrag = madvise`, a common default) every first touch of 2 MiB stalls:
/// the 100k run's ingest spent more than half of its time zeroing and
/// compacting pages (`clear_page_erms`), about 5 s of 13. A no-op elsewhere.
fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory
    // of ours; its result is ignored (the process runs either way).
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
