//! Error types of the library.
//!
//! Every failure the user can fix (a bad file, a bad config value) is an
//! [`Error::Input`] or [`Error::Config`] naming the file, the line and the column;
//! everything else is an I/O or internal error. The binary maps them to exit codes.

use std::fmt;
use std::path::PathBuf;

/// Where in an input file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given to the run (e.g. `data/sample/sales.csv`).
    pub file: String,
    /// 1-based physical line for CSV (the header is line 1), or `None`.
    pub line: Option<u64>,
    /// 1-based data row for files without lines (Parquet), or `None`.
    pub row: Option<u64>,
    /// The column as named in the file, or `None` for whole-file problems.
    pub column: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        } else if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        Ok(())
    }
}

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file is missing, unreadable or holds a value that cannot be used.
    #[error("{location}: {message}")]
    Input {
        /// Where the problem is.
        location: Location,
        /// What was expected and what was found.
        message: String,
    },
    /// The configuration file or a command-line value is invalid.
    #[error("config: {0}")]
    Config(String),
    /// Reading or writing a file failed.
    #[error("{action} {path}: {cause}")]
    Io {
        /// What was being done ("cannot write", "cannot read", ...).
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The operating-system error, said in the message (not chained as
        /// a source too, so that it is printed once).
        cause: std::io::Error,
    },
    /// A failure inside the program (a bug, or a library error with no better home).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An input error at a location.
    pub fn input(location: Location, message: impl Into<String>) -> Self {
        Error::Input {
            location,
            message: message.into(),
        }
    }

    /// An input error about a whole file.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input {
            location: Location {
                file: file.into(),
                line: None,
                row: None,
                column: None,
            },
            message: message.into(),
        }
    }

    /// An I/O error with the path it concerns.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            cause: source,
        }
    }

    /// True when the user's data or configuration caused the error.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Error::Input { .. } | Error::Config(_))
    }
}

/// Result alias of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
