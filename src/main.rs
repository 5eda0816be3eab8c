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
    let args = cli::Cli::parse();
    match cli::execute(args) {
        Ok(()) => ExitCode::from(cli::EXIT_OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::exit_code(&e))
        }
    }
}
