//! `replenish` binary: parse the command line, run the library, map errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::execute(args) {
        Ok(()) => ExitCode::from(cli::EXIT_OK),
        Err(e) => {
            // The chain of causes, each once (an I/O error's message
            // already ends with its cause).
            let mut message = String::new();
            for cause in e.chain() {
                let text = cause.to_string();
                if !message.contains(&text) {
                    if !message.is_empty() {
                        message.push_str(": ");
                    }
                    message.push_str(&text);
                }
            }
            eprintln!("error: {message}");
            ExitCode::from(cli::exit_code(&e))
        }
    }
}
