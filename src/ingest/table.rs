//! One input file read into a Polars `DataFrame`, with typed column access that
//! reports bad values by file, line and column.
//!
//! CSV files are first checked (ragged rows, invalid UTF-8, physical line of
//! every record): in one quick scan when the file has no quotes and LF line
//! ends, otherwise — and always when it is bad, to name the first problem —
//! record by record with the `csv` crate. Polars then reads them with every
//! column as text, so that each value is validated here with a message a
//! planner can act on; the values are read in place, not copied per cell.
//! A file the quick scan passed has its number columns parsed by Polars
//! instead (in parallel, no text kept); when any of those cells is not a
//! plain number, the file is read again as text and the cell named as above.
//! Parquet files are read by Polars with their own types. The SHA-256 of a
//! file is computed on a second thread during the check. A large file whose
//! reader asks for it (the sales) is checked, hashed and parsed a piece of
//! records at a time instead, never whole in memory ([`super::pieces`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use super::pieces::{CHUNK_BYTES, Head, KEEP_PARSED_BYTES, Pieces, hex, lines_checked, polars_csv};
use crate::calendar::{day_number, parse_iso_day};
use crate::error::{Error, Location, Result};

/// Earliest date accepted in any input.
const FIRST_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(1000, 1, 1).expect("valid");
/// Largest magnitude accepted for any number: beyond it a value is taken for a
/// corrupted cell (sums and squares of it would no longer be finite).
pub const MAX_MAGNITUDE: f64 = 1e12;
/// Latest date accepted in any input.
const LAST_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid");

/// File formats the ingest understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated text with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// A loaded input file.
pub struct Table {
    /// Logical name (`sales`, `items`, ...).
    pub name: &'static str,
    /// Path as shown in messages.
    pub display: String,
    /// Format read.
    pub format: Format,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    df: DataFrame,
    /// Physical line of each data row of the file (CSV only) when it is not
    /// `row + 2`.
    lines: Option<Arc<Vec<u64>>>,
    /// Data row of the file that is this table's row 0 (see [`Table::rows`]).
    first_row: usize,
    /// Logical column → column name in the file.
    columns: HashMap<&'static str, String>,
    /// Bad cells set their row aside instead of failing the read.
    quarantine: bool,
    /// Rows set aside: data row → (column in the file, what was wrong); the first problem per row.
    rejected: RefCell<BTreeMap<usize, (Option<String>, String)>>,
    /// The file read, for [`Table::record_texts`] of a table with `parsed`
    /// columns.
    path: PathBuf,
    /// Columns (names in the file) that Polars parsed as numbers: their text
    /// is not kept, so a record is read again from the file.
    parsed: Vec<String>,
    /// Text numbers are written with a decimal comma (`input.decimal_comma`).
    pub decimal_comma: bool,
    /// A large file read a piece at a time: `df` is empty and
    /// [`Table::rows`] parses the rows it is asked for.
    pieces: Option<Arc<Pieces>>,
}

/// The logical columns a reader asks of a file.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    /// Every column the reader knows.
    pub logical: &'a [&'static str],
    /// Those the file must have.
    pub required: &'a [&'static str],
    /// Those only ever read with [`Table::numbers`] and its kin, so that
    /// Polars may parse them (see the module documentation).
    pub numeric: &'a [&'static str],
}

/// Find `<dir>/<name>.csv` or `<dir>/<name>.parquet`.
pub fn find(dir: &Path, name: &str) -> Result<Option<(PathBuf, Format)>> {
    let csv = dir.join(format!("{name}.csv"));
    let parquet = dir.join(format!("{name}.parquet"));
    match (csv.is_file(), parquet.is_file()) {
        (true, true) => Err(Error::file(
            csv.display().to_string(),
            format!(
                "both {name}.csv and {name}.parquet exist in {}; keep one",
                dir.display()
            ),
        )),
        (true, false) => Ok(Some((csv, Format::Csv))),
        (false, true) => Ok(Some((parquet, Format::Parquet))),
        (false, false) => Ok(None),
    }
}

/// Normalise a header name: trim spaces, a UTF-8 byte-order mark and quotes.
fn clean_header(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_string()
}

/// Files from this size on are read by two threads, each one half.
const SPLIT_READ_BYTES: u64 = 64 << 20;

/// The bytes of a file; a large one read in two halves at once (most of the
/// time of a read from the page cache goes to the copy and its page faults).
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    read_file_split_from(path, SPLIT_READ_BYTES)
}

/// [`read_file`], in two halves from `split_from` bytes on.
fn read_file_split_from(path: &Path, split_from: u64) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        if len >= split_from
            && let Ok(n) = usize::try_from(len)
        {
            let mut bytes = vec![0u8; n];
            let (first, second) = bytes.split_at_mut(n / 2);
            let offset = first.len() as u64;
            let (a, b) = std::thread::scope(|scope| {
                let a = scope.spawn(|| file.read_exact_at(first, 0));
                let b = file.read_exact_at(second, offset);
                (a.join().expect("reading does not panic"), b)
            });
            a?;
            b?;
            // A file that grew since is read whole, the usual way.
            if file.read_at(&mut [0u8; 1], len)? == 0 {
                return Ok(bytes);
            }
        }
    }
    std::fs::read(path)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// A file as read: its hash, its frame (empty for a file in pieces), the
/// line of every record when not `row + 2`, the columns Polars parsed as
/// numbers, the CSV separator and the pieces.
struct Read {
    sha256: String,
    df: DataFrame,
    lines: Option<Vec<u64>>,
    parsed: Vec<String>,
    separator: Option<u8>,
    pieces: Option<Pieces>,
}

/// The file columns Polars may parse as numbers: the `numeric` logical
/// columns, but one that another logical column reads as text (a mapping
/// that names it twice) stays text.
fn numeric_names(columns: Columns<'_>, mapping: &impl Fn(&'static str) -> String) -> Vec<String> {
    let text: Vec<String> = columns
        .logical
        .iter()
        .filter(|c| !columns.numeric.contains(c))
        .map(|&c| mapping(c))
        .collect();
    columns
        .numeric
        .iter()
        .map(|&c| mapping(c))
        .filter(|c| !text.contains(c))
        .collect()
}

/// Read a file whole: checked (CSV) and hashed at once, then parsed.
fn read_whole(path: &Path, display: &str, format: Format, numeric: &[String]) -> Result<Read> {
    let bytes = read_file(path).map_err(|e| Error::io("cannot read", path, e))?;
    // The hash runs on a second thread beside the CSV check, which is
    // serial too.
    let (sha256, checked) = std::thread::scope(|scope| {
        let hash = scope.spawn(|| sha256_hex(&bytes));
        let checked = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            Err(Error::file(
                display,
                "the file is empty; expected a header line",
            ))
        } else {
            match format {
                Format::Csv => check_csv(display, &bytes).map(Some),
                Format::Parquet => Ok(None),
            }
        };
        (hash.join().expect("hashing does not panic"), checked)
    });
    let checked = checked?;
    let separator = checked.as_ref().map(|c| c.separator);
    let (df, lines, parsed) = match checked {
        Some(checked) => read_csv(display, bytes, checked, numeric)?,
        None => (read_parquet(display, bytes)?, None, Vec::new()),
    };
    Ok(Read {
        sha256,
        df,
        lines,
        parsed,
        separator,
        pieces: None,
    })
}

/// Longest header line a file read in pieces may have.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// Read a CSV in pieces of `rows` records ([`Pieces::scan`]); `None` when
/// it is not one record per line (quotes, carriage returns, blank lines, a
/// ragged or overlong line, invalid UTF-8) or its header line is blank: it
/// is then read whole, and any problem named as there.
fn read_in_pieces(
    path: &Path,
    display: &str,
    numeric: &[String],
    rows: usize,
) -> Result<Option<Read>> {
    use std::io::Read as _;
    let mut start = Vec::new();
    let len = std::fs::File::open(path)
        .and_then(|f| {
            let len = f.metadata()?.len();
            f.take(MAX_HEADER_BYTES as u64).read_to_end(&mut start)?;
            Ok(len)
        })
        .map_err(|e| Error::io("cannot read", path, e))?;
    let Some(end) = memchr::memchr(b'\n', &start) else {
        return Ok(None);
    };
    let line = &start[..=end];
    if line.iter().all(u8::is_ascii_whitespace) || memchr::memchr2(b'"', b'\r', line).is_some() {
        return Ok(None);
    }
    let checked = check_csv(display, line)?;
    // Unnamed columns: Polars names them when it reads the file whole.
    if checked.header_names.iter().any(String::is_empty) {
        return Ok(None);
    }
    let parsed = parsed_columns(&checked.header_names, numeric);
    let head = Head {
        line: line.to_vec(),
        dtypes: (!parsed.is_empty()).then(|| dtypes_of(&checked.header_names, &parsed)),
        names: checked.header_names,
        separator: checked.separator,
        keep_parsed: len <= KEEP_PARSED_BYTES,
    };
    let df = empty_frame(&head.names)?;
    let separator = Some(head.separator);
    Ok(
        Pieces::scan(path, display, head, rows, CHUNK_BYTES)?.map(|(pieces, sha256)| Read {
            sha256,
            df,
            lines: None,
            parsed,
            separator,
            pieces: Some(pieces),
        }),
    )
}

impl Table {
    /// Read a file and map the logical `columns` (with the config mapping
    /// `mapping`); fail when a required column is missing. With
    /// `piece_rows`, a CSV of one record per line (no quotes, carriage
    /// returns or blank lines) is checked and hashed a chunk at a time and
    /// kept as pieces of that many records, each parsed when
    /// [`Table::rows`] asks for it: the file is never whole in memory.
    pub fn read(
        name: &'static str,
        path: &Path,
        format: Format,
        columns: Columns<'_>,
        mapping: impl Fn(&'static str) -> String,
        piece_rows: Option<usize>,
    ) -> Result<Table> {
        let display = path.display().to_string();
        let numeric = numeric_names(columns, &mapping);
        let read = match (format, piece_rows) {
            (Format::Csv, Some(rows)) => read_in_pieces(path, &display, &numeric, rows)?,
            _ => None,
        };
        let read = match read {
            Some(read) => read,
            None => read_whole(path, &display, format, &numeric)?,
        };
        Table::mapped(name, path, format, read, columns, mapping)
    }

    /// The table of a file `read`, its logical `columns` mapped.
    fn mapped(
        name: &'static str,
        path: &Path,
        format: Format,
        read: Read,
        columns: Columns<'_>,
        mapping: impl Fn(&'static str) -> String,
    ) -> Result<Table> {
        let display = path.display().to_string();
        let Read {
            sha256,
            mut df,
            lines,
            parsed,
            separator,
            pieces,
        } = read;
        // Normalise header names (BOM, spaces).
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| clean_header(n.as_str()))
            .collect();
        df.set_column_names(&names.iter().map(String::as_str).collect::<Vec<_>>())
            .map_err(|e| Error::file(display.clone(), format!("bad header: {e}")))?;
        let mut mapped = HashMap::new();
        for &col in columns.logical {
            let actual = mapping(col);
            if names.contains(&actual) {
                mapped.insert(col, actual);
            } else if columns.required.contains(&col) {
                let mapped = if actual == col {
                    String::new()
                } else {
                    format!(" (mapped by [columns.{name}] {col} = \"{actual}\")")
                };
                return Err(Error::input(
                    Location {
                        file: display,
                        line: None,
                        row: None,
                        column: Some(actual.clone()),
                    },
                    format!(
                        "missing required column `{actual}`{mapped}; the header has: {}{}",
                        names.join(", "),
                        separator.map_or(String::new(), |s| format!(
                            " (read as fields separated by {})",
                            separator_name(s)
                        ))
                    ),
                ));
            }
        }
        Ok(Table {
            name,
            display,
            format,
            sha256,
            df,
            lines: lines.map(Arc::new),
            first_row: 0,
            columns: mapped,
            quarantine: false,
            rejected: RefCell::new(BTreeMap::new()),
            path: path.to_path_buf(),
            parsed,
            decimal_comma: false,
            pieces: pieces.map(Arc::new),
        })
    }

    /// From now on, a bad value sets its row aside (see [`Table::rejected`])
    /// instead of failing the read.
    pub fn quarantine_bad_rows(&mut self) {
        self.quarantine = true;
    }

    /// Report a bad value in data row `row`, logical column `col`: an error,
    /// or, for a quarantining table, the row set aside (first problem kept).
    pub fn reject(&self, row: usize, col: Option<&str>, message: String) -> Result<()> {
        if !self.quarantine {
            return Err(Error::input(self.location(row, col), message));
        }
        let column = self.location(row, col).column;
        self.rejected
            .borrow_mut()
            .entry(row)
            .or_insert((column, message));
        Ok(())
    }

    /// Data rows `start..start + len` as a table of their own (the frame is
    /// shared, not copied; a table in pieces parses them now): their row 0
    /// is `start`, messages name the file's lines, and what they set aside
    /// goes back with [`Table::absorb`]. Reading a large file's columns a
    /// slice at a time keeps one slice's values in memory, not the file's.
    pub fn rows(&self, start: usize, len: usize) -> Result<Table> {
        let (df, parsed) = match &self.pieces {
            Some(pieces) => {
                let (df, typed) = pieces.frame(start, len)?;
                (
                    df,
                    if typed {
                        self.parsed.clone()
                    } else {
                        Vec::new()
                    },
                )
            }
            None => (self.df.slice(start as i64, len), self.parsed.clone()),
        };
        Ok(Table {
            name: self.name,
            display: self.display.clone(),
            format: self.format,
            sha256: self.sha256.clone(),
            df,
            lines: self.lines.clone(),
            first_row: self.first_row + start,
            columns: self.columns.clone(),
            quarantine: self.quarantine,
            rejected: RefCell::new(BTreeMap::new()),
            path: self.path.clone(),
            parsed,
            decimal_comma: self.decimal_comma,
            pieces: None,
        })
    }

    /// Take the rows set aside by `part` (made by [`Table::rows`] of this
    /// table), each under its row here; a row already set aside keeps its
    /// first problem.
    pub fn absorb(&self, part: &Table) {
        let offset = part.first_row - self.first_row;
        let mut rejected = self.rejected.borrow_mut();
        for (&row, problem) in part.rejected.borrow().iter() {
            rejected
                .entry(offset + row)
                .or_insert_with(|| problem.clone());
        }
    }

    /// True unless data row `row` was set aside.
    pub fn keeps(&self, row: usize) -> bool {
        !self.rejected.borrow().contains_key(&row)
    }

    /// Rows set aside so far: (data row, column in the file, what was wrong), by row.
    pub fn rejected(&self) -> Vec<(usize, Option<String>, String)> {
        self.rejected
            .borrow()
            .iter()
            .map(|(&row, (col, msg))| (row, col.clone(), msg.clone()))
            .collect()
    }

    /// Fail when more than `max_share` of the rows were set aside: the file
    /// is then more likely wrong as a whole than dirty in places.
    pub fn check_rejected_share(&self, max_share: f64) -> Result<()> {
        let rejected = self.rejected.borrow();
        let n = rejected.len();
        let allowed = (max_share * self.height() as f64).floor() as usize;
        match rejected.iter().next() {
            Some((&row, (column, message))) if n > allowed => {
                let mut location = self.location(row, None);
                location.column = column.clone();
                Err(Error::input(
                    location,
                    format!(
                        "{message} — and {n} of {} rows are bad, more than input.max_rejected_share ({max_share}) allows; fix the file",
                        self.height()
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The values of data rows `rows`, every column of the file, each as one
    /// CSV record, in the order asked. A table whose number columns Polars
    /// parsed reads the records again from the file, once for all `rows`
    /// (failing when the file changed since); a table in pieces reads the
    /// pieces that hold them.
    pub fn record_texts(&self, rows: &[usize]) -> Result<Vec<String>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(pieces) = &self.pieces {
            let rows: Vec<usize> = rows.iter().map(|&r| self.first_row + r).collect();
            return pieces.records(&rows);
        }
        if self.parsed.is_empty() {
            return Ok(rows.iter().map(|&row| self.record_text(row)).collect());
        }
        let bytes =
            std::fs::read(&self.path).map_err(|e| Error::io("cannot read", &self.path, e))?;
        if sha256_hex(&bytes) != self.sha256 {
            return Err(Error::file(
                self.display.clone(),
                "the file changed while replenish was reading it; run again",
            ));
        }
        // A file whose columns Polars parsed passed the quick scan: each
        // non-empty line after the header is one record.
        let mut wanted: Vec<(usize, usize)> = rows
            .iter()
            .enumerate()
            .map(|(i, &r)| (self.first_row + r, i))
            .collect();
        wanted.sort_unstable();
        let mut out = vec![String::new(); rows.len()];
        let mut next = wanted.iter().peekable();
        let records = bytes
            .split(|&b| b == b'\n')
            .skip(1)
            .filter(|line| !line.is_empty())
            .enumerate();
        for (record, line) in records {
            while let Some(&(_, i)) = next.next_if(|(r, _)| *r == record) {
                out[i] = String::from_utf8_lossy(line).into_owned();
            }
            if next.peek().is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// The values of data row `row` as Polars holds them, as one CSV record.
    fn record_text(&self, row: usize) -> String {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let fields: Vec<String> = self
            .df
            .columns()
            .iter()
            .map(|c| match c.get(row) {
                Ok(AnyValue::Null) | Err(_) => String::new(),
                Ok(AnyValue::String(s)) => s.to_string(),
                Ok(v) => v.to_string(),
            })
            .collect();
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(&fields);
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .trim_end_matches('\n')
            .to_string()
    }

    /// Number of data rows.
    pub fn height(&self) -> usize {
        self.pieces
            .as_ref()
            .map_or_else(|| self.df.height(), |p| p.height())
    }

    /// True when the file has logical column `col`.
    pub fn has(&self, col: &str) -> bool {
        self.columns.contains_key(col)
    }

    /// Location of data row `row` (0-based) in column `col`.
    pub fn location(&self, row: usize, col: Option<&str>) -> Location {
        let column = col.map(|c| {
            self.columns
                .get(c)
                .cloned()
                .unwrap_or_else(|| c.to_string())
        });
        match self.format {
            Format::Csv => Location {
                file: self.display.clone(),
                line: Some(self.line(row)),
                row: None,
                column,
            },
            Format::Parquet => Location {
                file: self.display.clone(),
                line: None,
                row: Some(self.line(row)),
                column,
            },
        }
    }

    /// Line (CSV) or row (Parquet) number of data row `row`, for warnings.
    pub fn line(&self, row: usize) -> u64 {
        let row = self.first_row + row;
        match (self.format, &self.lines) {
            (Format::Csv, Some(lines)) => lines[row],
            (Format::Csv, None) => row as u64 + 2,
            (Format::Parquet, _) => row as u64 + 1,
        }
    }

    /// Whether [`Table::record_texts`] reads the records from the file (not
    /// from the frame): then a column can be dropped before they are read.
    pub fn reads_records_from_file(&self) -> bool {
        !self.parsed.is_empty() || self.pieces.is_some()
    }

    /// Drop column `col` (logical name) from the frame once every value
    /// of it has been read and every set-aside record taken (or records
    /// are read from the file): a large file's frame holds less while its
    /// other columns are read. A file column another logical column reads
    /// too stays.
    pub fn forget_column(&mut self, col: &str) {
        if let Some(actual) = self.columns.remove(col)
            && !self.columns.values().any(|a| *a == actual)
        {
            // Absent already: nothing to free.
            let _ = self.df.drop_in_place(&actual);
            if let Some(pieces) = &self.pieces {
                pieces.forget(&actual);
            }
        }
    }

    fn column(&self, col: &str) -> Option<&Column> {
        debug_assert!(
            self.pieces.is_none(),
            "a table in pieces is read with Table::rows"
        );
        let actual = self.columns.get(col)?;
        self.df.column(actual).ok()
    }

    fn type_error(&self, col: &str, dtype: &DataType, expected: &str) -> Error {
        Error::input(
            Location {
                file: self.display.clone(),
                line: None,
                row: None,
                column: self.columns.get(col).cloned(),
            },
            format!("expected {expected}, found a column of type {dtype}"),
        )
    }

    /// The values of a column as Polars holds them (numbers and booleans cast
    /// to text), for reading without a copy of each value; `None` when the
    /// column is absent. [`cells`] and [`Table::required_strs`] read them.
    pub fn strings(&self, col: &str) -> Result<Option<StringChunked>> {
        let Some(column) = self.column(col) else {
            return Ok(None);
        };
        if self
            .columns
            .get(col)
            .is_some_and(|c| self.parsed.contains(c))
        {
            return Err(Error::Internal(format!(
                "{}: column `{col}` was parsed as numbers, not read as text",
                self.display
            )));
        }
        match column.dtype() {
            DataType::String => column.str().cloned(),
            dt if dt.is_primitive_numeric() || dt.is_bool() => column
                .cast(&DataType::String)
                .and_then(|c| c.str().cloned()),
            dt => return Err(self.type_error(col, dt, "text")),
        }
        .map(Some)
        .map_err(|e| Error::Internal(e.to_string()))
    }

    /// Text values of a column (trimmed; empty → `None`); `None` when the column is absent.
    pub fn text(&self, col: &str) -> Result<Option<Vec<Option<String>>>> {
        Ok(self
            .strings(col)?
            .map(|s| s.iter().map(|v| cell(v).map(str::to_string)).collect()))
    }

    /// The values of a column that must be filled in every row (a row set
    /// aside gets a placeholder).
    fn require<T: Default>(
        &self,
        col: &str,
        values: Option<Vec<Option<T>>>,
        expected: &str,
    ) -> Result<Vec<T>> {
        let values = values.unwrap_or_default();
        // Pushed into an allocation of their number: collected in place, the
        // values would keep the larger allocation of the `Option`s (twice
        // the bytes for numbers and dates, of tens of millions of rows).
        let mut out = Vec::with_capacity(values.len());
        for (row, v) in values.into_iter().enumerate() {
            out.push(match v {
                Some(v) => v,
                None if !self.keeps(row) => T::default(),
                None => {
                    self.reject(row, Some(col), format!("empty value; expected {expected}"))?;
                    T::default()
                }
            });
        }
        Ok(out)
    }

    /// Text values of a column that must be present and non-empty in every row.
    pub fn required_text(&self, col: &str) -> Result<Vec<String>> {
        self.require(col, self.text(col)?, "text")
    }

    /// As [`Table::required_text`], but borrowed from `strings`, the column
    /// `col` as [`Table::strings`] returned it.
    pub fn required_strs<'a>(
        &self,
        col: &str,
        strings: Option<&'a StringChunked>,
    ) -> Result<Vec<&'a str>> {
        // As `require` does, without a vector of options in between.
        let Some(strings) = strings else {
            return Ok(Vec::new());
        };
        // A cell is never the empty text: "" stands for an empty cell.
        let values = map_cells(strings, |v| cell(v).unwrap_or(""));
        if values.iter().any(|s| s.is_empty()) {
            for (row, s) in values.iter().enumerate() {
                if s.is_empty() && self.keeps(row) {
                    self.reject(row, Some(col), "empty value; expected text".into())?;
                }
            }
        }
        Ok(values)
    }

    /// Parse every cell of a text column (trimmed; empty → `None`), naming the
    /// line and column of the first cell `parse` rejects. The cells are
    /// parsed in parallel; the rejections follow in row order, as a serial
    /// pass would make them.
    fn parse_cells<T: Send>(
        &self,
        col: &str,
        column: &Column,
        expected: &str,
        parse: impl Fn(&str) -> Option<T> + Sync,
    ) -> Result<Vec<Option<T>>> {
        let strings = column.str().map_err(|e| Error::Internal(e.to_string()))?;
        let values = map_cells(strings, |v| cell(v).and_then(&parse));
        // A cell `parse` rejected is `None` but not empty.
        for (row, v) in values.iter().enumerate() {
            if v.is_none()
                && let Some(s) = cell(strings.get(row))
            {
                self.reject(
                    row,
                    Some(col),
                    format!("expected {expected}, found \"{}\"", truncate(s)),
                )?;
            }
        }
        Ok(values)
    }

    /// Numeric values (finite); `None` entries are empty cells. Absent column → `None`.
    pub fn numbers(&self, col: &str) -> Result<Option<Vec<Option<f64>>>> {
        let Some(column) = self.column(col) else {
            return Ok(None);
        };
        let mut values: Vec<Option<f64>> = match column.dtype() {
            DataType::String if self.decimal_comma => self.parse_cells(
                col,
                column,
                "a number with a decimal comma (2,5 or 1.234,5)",
                parse_decimal_comma,
            )?,
            DataType::String => self.parse_cells(col, column, "a number", parse_number)?,
            dt if dt.is_primitive_numeric() || dt.is_bool() => {
                let casted = column
                    .cast(&DataType::Float64)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let floats = casted.f64().map_err(|e| Error::Internal(e.to_string()))?;
                let mut values = Vec::with_capacity(floats.len());
                if floats.null_count() == 0 {
                    for array in floats.downcast_iter() {
                        values.extend(array.values().iter().map(|&x| Some(x)));
                    }
                } else {
                    values.extend(floats.iter());
                }
                values
            }
            dt => return Err(self.type_error(col, dt, "numbers")),
        };
        // Not NaN, not infinite, not too large: most columns need no more.
        if values
            .iter()
            .all(|v| v.is_none_or(|x| x.abs() <= MAX_MAGNITUDE))
        {
            return Ok(Some(values));
        }
        for (row, v) in values.iter_mut().enumerate() {
            if let Some(x) = *v {
                let problem = if !x.is_finite() {
                    Some(format!("expected a finite number, found {x}"))
                } else if x.abs() > MAX_MAGNITUDE {
                    Some(format!(
                        "expected a number of at most {MAX_MAGNITUDE:e} in magnitude, found {x:e} (a corrupted value?)"
                    ))
                } else {
                    None
                };
                if let Some(message) = problem {
                    self.reject(row, Some(col), message)?;
                    *v = None;
                }
            }
        }
        Ok(Some(values))
    }

    /// Numbers that must be present in every row and at least `min`.
    pub fn required_numbers(&self, col: &str, min: Option<f64>) -> Result<Vec<f64>> {
        let values = self.require(col, self.numbers(col)?, "a number")?;
        for (row, &x) in values.iter().enumerate() {
            self.check_min(row, col, x, min)?;
        }
        Ok(values)
    }

    /// Optional numbers (empty cells allowed) that, when present, are at least `min`.
    pub fn optional_numbers(
        &self,
        col: &str,
        min: Option<f64>,
    ) -> Result<Option<Vec<Option<f64>>>> {
        let Some(mut values) = self.numbers(col)? else {
            return Ok(None);
        };
        for (row, v) in values.iter_mut().enumerate() {
            if let Some(x) = *v
                && !self.check_min(row, col, x, min)?
            {
                *v = None;
            }
        }
        Ok(Some(values))
    }

    /// True when `x` is at least `min`; otherwise the row is rejected.
    fn check_min(&self, row: usize, col: &str, x: f64, min: Option<f64>) -> Result<bool> {
        match min {
            Some(m) if x < m => self
                .reject(
                    row,
                    Some(col),
                    format!("expected a value of at least {m}, found {x}"),
                )
                .map(|()| false),
            _ => Ok(true),
        }
    }

    /// Dates as day numbers (0 = 1970-01-01); `None` entries are empty cells.
    pub fn dates(&self, col: &str) -> Result<Option<Vec<Option<i32>>>> {
        let Some(column) = self.column(col) else {
            return Ok(None);
        };
        let mut days: Vec<Option<i32>> = match column.dtype() {
            DataType::String => {
                self.parse_cells(col, column, "a date YYYY-MM-DD", parse_iso_day)?
            }
            DataType::Date | DataType::Datetime(_, _) => column
                .cast(&DataType::Date)
                .and_then(|c| c.cast(&DataType::Int32))
                .map_err(|e| Error::Internal(e.to_string()))?
                .i32()
                .map_err(|e| Error::Internal(e.to_string()))?
                .iter()
                .collect(),
            dt => return Err(self.type_error(col, dt, "dates")),
        };
        let range = day_number(FIRST_DATE)..=day_number(LAST_DATE);
        for (row, d) in days.iter_mut().enumerate() {
            if let Some(day) = *d
                && !range.contains(&day)
            {
                let shown = crate::calendar::date_of_day(day).map_or_else(
                    || "a date out of any calendar".to_string(),
                    |d| d.to_string(),
                );
                self.reject(
                    row,
                    Some(col),
                    format!("expected a date between {FIRST_DATE} and {LAST_DATE}, found {shown}"),
                )?;
                *d = None;
            }
        }
        Ok(Some(days))
    }

    /// Dates that must be present in every row.
    pub fn required_dates(&self, col: &str) -> Result<Vec<i32>> {
        self.require(col, self.dates(col)?, "a date YYYY-MM-DD")
    }
}

/// A number written with a decimal comma, its whole part optionally
/// grouped by points in threes (`-0,25`, `12`, `1.234,5`); `None` for
/// anything else — a decimal point (`2.5`) included.
fn parse_decimal_comma(text: &str) -> Option<f64> {
    let (whole, fraction) = match text.split_once(',') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let (sign, whole) = whole.strip_prefix('-').map_or(("", whole), |w| ("-", w));
    let groups: Vec<&str> = whole.split('.').collect();
    let grouped =
        groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped || !groups.iter().all(|g| digits(g)) {
        return None;
    }
    let fraction = fraction.map_or(String::new(), |f| format!(".{f}"));
    parse_number(&format!("{sign}{}{fraction}", groups.concat()))
}

/// `text.parse::<f64>()`, with a short cut for plain decimals (`-12`,
/// `3.25`): at most 15 digits make an integer mantissa below 2^53 and a
/// power of ten below 10^22, both exact as `f64`, so their correctly rounded
/// quotient is the correctly rounded value the standard parser returns.
fn parse_number(text: &str) -> Option<f64> {
    /// Powers of ten exact in `f64`.
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let b = text.as_bytes();
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let (mut mantissa, mut n_digits, mut decimals, mut point) = (0u64, 0usize, 0usize, false);
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                n_digits += 1;
                decimals += usize::from(point);
                if n_digits > 15 {
                    return text.parse().ok();
                }
            }
            b'.' if !point && i > 0 && i + 1 < digits.len() => point = true,
            _ => return text.parse().ok(),
        }
    }
    if n_digits == 0 {
        return text.parse().ok();
    }
    let x = mantissa as f64 / POW10[decimals];
    Some(if negative { -x } else { x })
}

/// A cell as the typed accessors see it: trimmed, empty → `None`.
fn cell(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// The cells of a text column (see [`Table::strings`]), trimmed, empty → `None`.
pub fn cells(strings: &StringChunked) -> Vec<Option<&str>> {
    map_cells(strings, cell)
}

/// Rows per parallel task of [`map_cells`].
const BLOCK_ROWS: usize = 1 << 16;

/// `f` of every value of a text column, in row order, computed in parallel
/// and written in place.
fn map_cells<'a, T: Send>(
    strings: &'a StringChunked,
    f: impl Fn(Option<&'a str>) -> T + Sync + Send,
) -> Vec<T> {
    use rayon::prelude::*;
    let arrays: Vec<_> = strings.downcast_iter().collect();
    // Row after the last of each chunk.
    let ends: Vec<usize> = arrays
        .iter()
        .scan(0, |end, array| {
            *end += array.len();
            Some(*end)
        })
        .collect();
    let mut out = Vec::new();
    (0..strings.len())
        .into_par_iter()
        .with_min_len(BLOCK_ROWS)
        .map(|row| {
            let chunk = ends.partition_point(|&end| end <= row);
            let start = chunk.checked_sub(1).map_or(0, |c| ends[c]);
            f(arrays[chunk].get(row - start))
        })
        .collect_into_vec(&mut out);
    out
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// What the check of a CSV found: header names, number of records and, when
/// some record does not sit on line `row + 2`, the line of every record.
struct CheckedCsv {
    header_names: Vec<String>,
    n_records: usize,
    lines: Option<Vec<u64>>,
    /// The quick scan passed it: one record per non-empty line, no quotes.
    simple: bool,
    /// The field separator, found in the header line ([`sniff_separator`]).
    separator: u8,
}

/// Separators a header line is read with: the one it holds most of (a
/// comma when it holds none, or on a tie), outside quotes.
const SEPARATORS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The field separator of a CSV: of [`SEPARATORS`], the one its header line
/// holds most of outside quotes — a comma, or the semicolon or tab of a
/// spreadsheet's export in many languages.
fn sniff_separator(bytes: &[u8]) -> u8 {
    let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let mut counts = [0usize; SEPARATORS.len()];
    let mut quoted = false;
    for &b in &bytes[..end] {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = SEPARATORS.iter().position(|&s| s == b) {
            counts[i] += 1;
        }
    }
    let best =
        (0..SEPARATORS.len()).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    SEPARATORS[best]
}

/// How a separator is named in messages.
pub fn separator_name(separator: u8) -> &'static str {
    match separator {
        b';' => "semicolons",
        b'\t' => "tabs",
        b'|' => "vertical bars",
        _ => "commas",
    }
}

/// Check a CSV's header and records (ragged rows, invalid UTF-8, the physical
/// line of every record).
fn check_csv(display: &str, bytes: &[u8]) -> Result<CheckedCsv> {
    let separator = sniff_separator(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(separator)
        .from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|e| Error::file(display, format!("cannot read the header line: {e}")))?
        .clone();
    let header_names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| match std::str::from_utf8(h) {
            Ok(s) => Ok(clean_header(s)),
            Err(_) => Err(Error::input(
                Location {
                    file: display.into(),
                    line: Some(1),
                    row: None,
                    column: Some(format!("#{}", i + 1)),
                },
                "the header is not valid UTF-8; save the file as UTF-8",
            )),
        })
        .collect::<Result<_>>()?;
    if header_names.iter().all(String::is_empty) {
        return Err(Error::file(
            display,
            "the first line is empty; expected a header line",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for h in &header_names {
        if !h.is_empty() && !seen.insert(h.as_str()) {
            return Err(Error::input(
                Location {
                    file: display.into(),
                    line: Some(1),
                    row: None,
                    column: Some(h.clone()),
                },
                "the column name appears twice in the header",
            ));
        }
    }
    let ((n_records, lines), simple) = match quick_scan(bytes, header.len(), separator) {
        Some(scan) => (scan, true),
        None => (
            check_records(
                display,
                bytes,
                &mut reader,
                &header,
                &header_names,
                separator,
            )?,
            false,
        ),
    };
    Ok(CheckedCsv {
        header_names,
        n_records,
        lines,
        simple,
        separator,
    })
}

/// Read a checked CSV with Polars, every column as text — or, when the quick
/// scan passed it, the `numeric` columns (names in the file) parsed as
/// numbers, if all their cells are plain numbers. Returns the frame, the line
/// of every record (when not `row + 2`) and the columns parsed.
fn read_csv(
    display: &str,
    bytes: Vec<u8>,
    checked: CheckedCsv,
    numeric: &[String],
) -> Result<(DataFrame, Option<Vec<u64>>, Vec<String>)> {
    let CheckedCsv {
        header_names,
        n_records,
        lines,
        simple,
        separator,
    } = checked;
    if n_records == 0 {
        // Header only: an empty frame of text columns.
        return Ok((empty_frame(&header_names)?, lines, Vec::new()));
    }
    // Polars reads a blank line as a record of empty cells; the `csv` crate
    // and the quick scan skip it. A file without quotes (where a line feed
    // always ends a record) is handed over without them; a quoted one, if
    // the two then disagree, as the records the `csv` crate cut (below).
    let blank = memchr::memmem::find(&bytes, b"\n\n").is_some()
        || memchr::memmem::find(&bytes, b"\n\r\n").is_some();
    let bytes = if blank && (simple || memchr::memchr(b'"', &bytes).is_none()) {
        without_blank_lines(&bytes)
    } else {
        bytes
    };
    let read = |bytes: &[u8], dtypes| polars_csv(bytes, separator, dtypes);
    let parsed = parsed_columns(&header_names, numeric);
    if simple && !parsed.is_empty() {
        // A cell Polars cannot parse fails the read: then read it as text,
        // and the cell is named with the line and column.
        if let Ok(df) = read(&bytes, Some(dtypes_of(&header_names, &parsed)))
            && df.height() == n_records
        {
            return Ok((df, lines, parsed));
        }
    }
    let cannot = |e: PolarsError| Error::file(display, format!("cannot read the CSV: {e}"));
    let mut df = read(&bytes, None).map_err(cannot)?;
    if df.height() != n_records && blank {
        // A quoted file with blank lines: hand Polars its records only, each
        // cut where the `csv` crate found it.
        df = read(&records_only(&bytes, separator), None).map_err(cannot)?;
    }
    if df.height() != n_records {
        return Err(Error::file(
            display,
            format!(
                "the CSV parsers disagree on the number of rows ({} and {}); check quoting and blank lines",
                df.height(),
                n_records
            ),
        ));
    }
    Ok((df, lines, Vec::new()))
}

/// The `numeric` columns (names in the file) of a header, in its order.
fn parsed_columns(header_names: &[String], numeric: &[String]) -> Vec<String> {
    header_names
        .iter()
        .filter(|h| numeric.contains(h))
        .cloned()
        .collect()
}

/// Column types by position: the `parsed` columns as numbers, the rest text.
fn dtypes_of(header_names: &[String], parsed: &[String]) -> Vec<DataType> {
    header_names
        .iter()
        .map(|h| {
            if parsed.contains(h) {
                DataType::Float64
            } else {
                DataType::String
            }
        })
        .collect()
}

/// An empty frame of the header's columns, as text.
fn empty_frame(header_names: &[String]) -> Result<DataFrame> {
    DataFrame::new_infer_height(
        header_names
            .iter()
            .map(|h| Column::new_empty(h.as_str().into(), &DataType::String))
            .collect(),
    )
    .map_err(|e| Error::Internal(e.to_string()))
}

/// The records of a CSV (the header first) as the `csv` crate cuts them, each
/// without the line ends and blank lines around it, ended by a line feed; a
/// line end inside quotes stays.
fn records_only(bytes: &[u8], separator: u8) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .from_reader(bytes);
    let mut starts = Vec::new();
    let mut record = csv::ByteRecord::new();
    while let Ok(true) = reader.read_byte_record(&mut record) {
        if let Some(p) = record.position() {
            starts.push(p.byte() as usize);
        }
    }
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(bytes.len());
        // The `csv` crate may place a record at the line end before it (after
        // a CRLF); a record starts and ends with no line end outside quotes.
        let text = &bytes[start.min(end)..end];
        let line_end = |b: &u8| *b == b'\n' || *b == b'\r';
        let first = text.iter().position(|b| !line_end(b)).unwrap_or(text.len());
        let last = text
            .iter()
            .rposition(|b| !line_end(b))
            .map_or(first, |i| i + 1);
        out.extend_from_slice(&text[first..last.max(first)]);
        out.push(b'\n');
    }
    out
}

/// The lines of a file without its empty ones (nothing or a carriage
/// return), each ended by a line feed.
fn without_blank_lines(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty() && *line != b"\r")
    {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

/// Check a CSV's data records one by one with the `csv` crate (ragged rows,
/// invalid UTF-8), naming the physical line of the first bad one. Returns the
/// number of records and, when some record does not sit on line `row + 2`,
/// the line of every record.
fn check_records(
    display: &str,
    bytes: &[u8],
    reader: &mut csv::Reader<&[u8]>,
    header: &csv::ByteRecord,
    header_names: &[String],
    separator: u8,
) -> Result<(usize, Option<Vec<u64>>)> {
    let mut lines = Vec::new();
    let mut shifted = false;
    let mut record = csv::ByteRecord::new();
    let mut index = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line());
                return Err(Error::input(
                    Location {
                        file: display.into(),
                        line,
                        row: None,
                        column: None,
                    },
                    format!("cannot parse the CSV: {e}"),
                ));
            }
        }
        let line = record
            .position()
            .map(|p| record_line(bytes, p))
            .unwrap_or(index + 2);
        if record.len() != header.len() {
            return Err(Error::input(
                Location {
                    file: display.into(),
                    line: Some(line),
                    row: None,
                    column: None,
                },
                format!(
                    "ragged row: expected {} fields separated by {} as in the header, found {}",
                    header.len(),
                    separator_name(separator),
                    record.len()
                ),
            ));
        }
        for (i, field) in record.iter().enumerate() {
            if std::str::from_utf8(field).is_err() {
                return Err(Error::input(
                    Location {
                        file: display.into(),
                        line: Some(line),
                        row: None,
                        column: Some(header_names[i].clone()),
                    },
                    "the value is not valid UTF-8; save the file as UTF-8",
                ));
            }
        }
        shifted |= line != index + 2;
        lines.push(line);
        index += 1;
    }
    Ok((lines.len(), shifted.then_some(lines)))
}

/// The line a record starts on. The `csv` crate's position of a record is
/// where it began to read it: before the blank lines it skipped, and at the
/// `\n` of a CRLF before it; the line feeds from there up to the record's
/// first byte are counted on.
fn record_line(bytes: &[u8], position: &csv::Position) -> u64 {
    let from = (position.byte() as usize).min(bytes.len());
    let feeds = bytes[from..]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .filter(|&&b| b == b'\n')
        .count();
    position.line() + feeds as u64
}

/// The cheap check of a CSV that cannot hold a surprise: no quote character,
/// no carriage return (LF line ends only), valid UTF-8 throughout,
/// a header on line 1 and every non-empty line with `fields` comma-separated
/// fields. Then each non-empty line is one record, exactly as the `csv` crate
/// reads it, and this returns what [`check_records`] would: the number of
/// records and, when blank lines shift them, the line of every record.
/// `None` when the file is not that simple (or is bad): the caller then checks
/// it record by record, which also names the first problem.
fn quick_scan(bytes: &[u8], fields: usize, separator: u8) -> Option<(usize, Option<Vec<u64>>)> {
    if std::str::from_utf8(bytes).is_err() {
        return None;
    }
    // CRLF files go the slow way too: the `csv` crate places a record that
    // follows a CRLF on the line before (its position starts at the `\n`),
    // which this scan would not reproduce.
    if memchr::memchr2(b'"', b'\r', bytes).is_some() {
        return None;
    }
    let commas = fields.checked_sub(1)?;
    if memchr::memmem::find(bytes, b"\n\n").is_none() {
        return count_records(bytes, commas, separator).map(|n| (n, None));
    }
    let mut lines: Option<Vec<u64>> = None;
    let mut n_records = 0usize;
    let mut start = 0usize;
    let mut line = 1u64;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let text = &bytes[start..end];
        if line == 1 {
            if text.is_empty() || count_separators(text, separator) != commas {
                return None;
            }
        } else if !text.is_empty() {
            if count_separators(text, separator) != commas {
                return None;
            }
            let reported = line;
            let expected = n_records as u64 + 2;
            match &mut lines {
                Some(lines) => lines.push(reported),
                None if reported != expected => {
                    let mut all: Vec<u64> = (2..expected).collect();
                    all.push(reported);
                    lines = Some(all);
                }
                None => {}
            }
            n_records += 1;
        }
        start = end + 1;
        line += 1;
    }
    Some((n_records, lines))
}

/// [`quick_scan`] of a file without blank lines, in parallel parts: every
/// line has `commas` separators, the header's line too; the number of data lines.
fn count_records(bytes: &[u8], commas: usize, separator: u8) -> Option<usize> {
    let header_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    if header_end == 0 || count_separators(&bytes[..header_end], separator) != commas {
        return None;
    }
    let body = bytes.get(header_end + 1..).unwrap_or_default();
    lines_checked(body, commas, separator).map(|parts| parts.iter().map(|p| p.lines).sum())
}

/// Number of separators in a line.
fn count_separators(line: &[u8], separator: u8) -> usize {
    line.iter().filter(|&&b| b == separator).count()
}

fn read_parquet(display: &str, bytes: Vec<u8>) -> Result<DataFrame> {
    ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::file(display, format!("cannot read the Parquet file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the record-by-record check finds, or `None` when it fails.
    fn slow(bytes: &[u8]) -> Option<(usize, Option<Vec<u64>>)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes);
        let header = reader.byte_headers().ok()?.clone();
        let names: Vec<String> = (0..header.len()).map(|i| format!("c{i}")).collect();
        check_records("f.csv", bytes, &mut reader, &header, &names, b',').ok()
    }

    #[test]
    fn parse_number_equals_the_standard_parser() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 11
        };
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "12",
            "007",
            "1.13",
            "-3.25",
            "0.1",
            "0.3",
            "123456789012345",
            "1234567890123456",
            "99999999999999.9",
            "0.000000000000001",
            "1.",
            ".5",
            "-.5",
            "+5",
            "-",
            "",
            ".",
            "1e5",
            "1.5e-3",
            "inf",
            "NaN",
            "1,5",
            "1..2",
            "--1",
            "1-",
            " 1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..200_000 {
            let digits = 1 + next() % 17;
            let mut t: String = (0..digits)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            if next() % 2 == 0 {
                let at = 1 + (next() as usize) % t.len();
                t.insert(at.min(t.len()), '.');
            }
            if next() % 3 == 0 {
                t.insert(0, '-');
            }
            texts.push(t);
        }
        for t in texts {
            let expected = t.parse::<f64>().ok();
            let got = parse_number(&t);
            assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{t:?}");
        }
    }

    #[test]
    fn decimal_commas() {
        let p = parse_decimal_comma;
        assert_eq!(p("2,5"), Some(2.5));
        assert_eq!(p("-0,25"), Some(-0.25));
        assert_eq!(p("12"), Some(12.0));
        assert_eq!(p("1.234,5"), Some(1234.5));
        assert_eq!(p("12.345.678"), Some(12_345_678.0));
        for bad in [
            "2.5",
            "1.23,4",
            "1234.567,8",
            ",5",
            "2,",
            "1,2,3",
            "",
            "-",
            "x",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_separator_is_the_one_the_header_holds_most_of() {
        assert_eq!(sniff_separator(b"sku,date,qty\nA;B,1,2\n"), b',');
        assert_eq!(sniff_separator(b"sku;date;qty\nA,5;x;1\n"), b';');
        assert_eq!(sniff_separator(b"sku\tdate\tqty"), b'\t');
        assert_eq!(sniff_separator(b"\"a,b,c\";d;e\n"), b';');
        // None, or a tie: a comma.
        assert_eq!(sniff_separator(b"sku\nA\n"), b',');
        assert_eq!(sniff_separator(b"a;b,c\n"), b',');
        assert_eq!(separator_name(b'\t'), "tabs");
    }

    #[test]
    fn a_record_after_blank_lines_is_on_its_own_line() {
        let lf = b"a,b\n1,2\n\n\n3,4\n\n5,6\n";
        let lines = Some((3, Some(vec![2, 5, 7])));
        assert_eq!(quick_scan(lf, 2, b','), lines);
        assert_eq!(slow(lf), lines);
        let crlf = b"a,b\r\n1,2\r\n\r\n3,4\r\n5,6\r\n";
        assert_eq!(slow(crlf), Some((3, Some(vec![2, 4, 5]))));
        assert_eq!(slow(b"a,b\r\n1,2\r\n3,4\r\n"), Some((2, None)));
        let quoted = b"a,b\n\"1\n1\",2\n\n3,4\n";
        assert_eq!(slow(quoted), Some((2, Some(vec![2, 5]))));
    }

    #[test]
    fn quick_scan_agrees_with_the_record_by_record_check() {
        let cases: &[&[u8]] = &[
            b"a,b\n1,2\n3,4\n",
            b"a,b\n1,2\n3,4",
            b"\xef\xbb\xbfa,b\n1,2\n",
            b"a,b\n1,2\n\n3,4\n\n",
            b"a,b\n\n\n1,2\n\n3,4",
            b"a,b\n1,2\n\n\n3,4\n5,6\n\n7,8\n",
            b"a,b\n1,2\n \n3,4\n",
            b"a\n1\n \n\n3\n",
            b"a,b\n,\n,\n",
            b"a,b\n1,2,3\n",
            b"a,b\n1\n",
            b"a,b\n",
            b"a,b",
        ];
        for &case in cases {
            let text = String::from_utf8_lossy(case);
            let header = slow_header_fields(case);
            match quick_scan(case, header, b',') {
                Some(quick) => assert_eq!(Some(quick), slow(case), "{text:?}"),
                // Declined only when the file is bad.
                None => assert_eq!(slow(case), None, "{text:?}"),
            }
        }
        // Files of several parts, counted in parallel: every line checked.
        let mut big = b"a,b\n".to_vec();
        while big.len() < 20 << 20 {
            big.extend_from_slice(b"12,3456\n");
        }
        let n = (big.len() - 4) / 8;
        assert_eq!(quick_scan(&big, 2, b','), Some((n, None)));
        big.truncate(big.len() - 1);
        assert_eq!(quick_scan(&big, 2, b','), Some((n, None)));
        let at = 4 + (9 << 20);
        big[at..at + 8].copy_from_slice(b"12,34,6\n");
        assert_eq!(quick_scan(&big, 2, b','), None);
        // What the quick scan leaves to the record-by-record check.
        for case in [
            &b"a,b\n\"1\n2\",3\n"[..],
            b"a,b\r1,2\r",
            b"a,b\r\n1,2\r\n3,4\r\n",
            b"a,b\n1,\xff\n",
            b"\na,b\n1,2\n",
            b"a,b\n1,2,3\n",
        ] {
            assert_eq!(quick_scan(case, slow_header_fields(case), b','), None);
        }
    }

    /// `text` written to `dir/name.csv` and read with `qty` as a number
    /// column (`numeric`) or not.
    fn read_text(dir: &Path, name: &str, text: &str, numeric: bool) -> Result<Table> {
        let path = dir.join(format!("{name}.csv"));
        std::fs::write(&path, text).expect("write");
        read_path(&path, numeric, None)
    }

    /// The file at `path` read with `qty` as a number column or not, in
    /// pieces of `pieces` records or whole.
    fn read_path(path: &Path, numeric: bool, pieces: Option<usize>) -> Result<Table> {
        let columns = Columns {
            logical: &["sku", "qty"],
            required: &["sku", "qty"],
            numeric: if numeric { &["qty"] } else { &[] },
        };
        Table::read(
            "sales",
            path,
            Format::Csv,
            columns,
            |c| c.to_string(),
            pieces,
        )
    }

    #[test]
    fn number_columns_parsed_by_polars_read_as_the_text_path_reads_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cells = [
            "0",
            "-0",
            "12",
            "007",
            "1.13",
            "-3.25",
            "0.1",
            "1.",
            ".5",
            "-.5",
            "+5",
            "1e5",
            "1.5e-3",
            "1E400",
            "123456789012345678",
            "0.30000000000000004",
            "inf",
            "-inf",
            "NaN",
            "nan",
            "infinity",
            "",
            " ",
            " 7",
            "7 ",
            "\t7",
            "1_000",
            "0x10",
            "1e",
            "e5",
            "-",
            "+",
            ".",
            "1..2",
            "--1",
            "1-",
            "12abc",
            "١٢",
            "1 000",
            "2e-400",
        ];
        for (i, c) in cells.iter().enumerate() {
            let text = format!("sku,qty\nA,1\nA,{c}\nA,2\n");
            let typed = read_text(dir.path(), &format!("{i}"), &text, true).expect("read");
            let plain = read_text(dir.path(), &format!("{i}"), &text, false).expect("read");
            assert!(plain.parsed.is_empty());
            let (a, b) = (typed.numbers("qty"), plain.numbers("qty"));
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    let bits = |v: Option<Vec<Option<f64>>>| -> Vec<Option<u64>> {
                        v.expect("column")
                            .iter()
                            .map(|x| x.map(f64::to_bits))
                            .collect()
                    };
                    assert_eq!(bits(a), bits(b), "{c:?}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{c:?}"),
                (a, b) => panic!("{c:?}: {a:?} against {b:?}"),
            }
        }
        // A plain file's number column is parsed; one with a cell Polars
        // cannot parse falls back to text.
        let typed = read_text(dir.path(), "plain", "sku,qty\nA,1\nB,2.5\n", true).expect("read");
        assert_eq!(typed.parsed, vec!["qty".to_string()]);
        let fallback = read_text(dir.path(), "odd", "sku,qty\nA,1\nB,x\n", true).expect("read");
        assert!(fallback.parsed.is_empty());
        // A parsed column is never read as text.
        assert!(matches!(typed.strings("qty"), Err(Error::Internal(_))));
    }

    #[test]
    fn a_slice_of_rows_names_the_file_lines_and_hands_back_what_it_set_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A blank line and a quoted line end, so lines are not `row + 2`.
        let text = "sku,qty\nA,1\n\nB,x\n\"C\nD\",3\nE,y\nF,6\n";
        for numeric in [false, true] {
            let mut t = read_text(dir.path(), "slices", text, numeric).expect("read");
            assert_eq!(t.height(), 5);
            let lines: Vec<u64> = (0..5).map(|r| t.line(r)).collect();
            assert_eq!(lines, [2, 4, 5, 7, 8]);
            // Without quarantine the first bad cell of a slice is an error at its line.
            let part = t.rows(1, 3).expect("rows");
            let err = part.required_numbers("qty", None).expect_err("bad qty");
            assert!(err.to_string().contains("line 4,"), "{err}");
            t.quarantine_bad_rows();
            let (head, tail) = (t.rows(0, 2).expect("rows"), t.rows(2, 3).expect("rows"));
            let heads = head.required_numbers("qty", None).expect("quarantined");
            let tails = tail.required_numbers("qty", None).expect("quarantined");
            assert_eq!((heads.len(), tails.len()), (2, 3));
            assert_eq!(
                (tail.line(1), tail.location(1, Some("qty")).line),
                (7, Some(7))
            );
            t.absorb(&head);
            t.absorb(&tail);
            t.absorb(&tail);
            let rejected: Vec<usize> = t.rejected().iter().map(|r| r.0).collect();
            assert_eq!(rejected, [1, 3]);
            assert!(t.keeps(2) && !t.keeps(3));
            let records = t.record_texts(&[3, 1]).expect("records");
            assert_eq!(records, ["E,y", "B,x"]);
            let from_slice = tail.record_texts(&[1]).expect("records");
            assert_eq!(from_slice, ["E,y"]);
        }
    }

    /// The `qty` column of every row, read a slice of `slice` rows at a time.
    fn quantities(t: &Table, slice: usize) -> Vec<f64> {
        (0..t.height())
            .step_by(slice)
            .flat_map(|start| {
                let part = t.rows(start, slice.min(t.height() - start)).expect("rows");
                let qty = part.required_numbers("qty", None).expect("qty");
                t.absorb(&part);
                qty
            })
            .collect()
    }

    #[test]
    fn a_file_in_pieces_reads_as_the_whole_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pieces.csv");
        // 7 records in pieces of 2; record 4 (line 6) is no plain number, so
        // its piece is read as text and the cell named by its line.
        let text = "sku,qty\nA,1\nB,2.5\nC,3\nD,-4\nE,x\nF,6\nG,7";
        std::fs::write(&path, text).expect("write");
        let read = |pieces| read_path(&path, true, pieces).expect("read");
        let (mut whole, mut pieces) = (read(None), read(Some(2)));
        assert!(whole.pieces.is_none() && pieces.pieces.is_some());
        assert_eq!((whole.height(), pieces.height()), (7, 7));
        let err = pieces.rows(4, 2).expect("rows");
        let err = err.required_numbers("qty", None).expect_err("bad qty");
        assert!(err.to_string().contains("line 6,"), "{err}");
        for t in [&mut whole, &mut pieces] {
            t.quarantine_bad_rows();
        }
        // Slices that are whole pieces, and slices across pieces.
        for slice in [2, 3, 7] {
            let (a, b) = (quantities(&whole, slice), quantities(&pieces, slice));
            assert_eq!(a, b, "slices of {slice}");
            assert_eq!(a, [1.0, 2.5, 3.0, -4.0, 0.0, 6.0, 7.0]);
        }
        assert_eq!(whole.rejected(), pieces.rejected());
        assert_eq!(pieces.record_texts(&[4]).expect("records"), ["E,x"]);
        let records = pieces.record_texts(&[6, 0, 4, 1]).expect("records");
        assert_eq!(records, ["G,7", "A,1", "E,x", "B,2.5"]);
        let skus = pieces.rows(5, 2).expect("rows");
        assert_eq!(skus.required_text("sku").expect("sku"), ["F", "G"]);
        assert_eq!(pieces.rows(7, 0).expect("rows").height(), 0);
        // A file that changed since it was checked is not read on.
        std::fs::write(&path, format!("{text}\nH,8")).expect("write");
        let again = read(Some(2));
        std::fs::write(&path, text).expect("write");
        let err = again.rows(0, 2).err().expect("changed");
        assert!(err.to_string().contains("changed"), "{err}");
    }

    #[test]
    fn a_file_read_in_two_halves_is_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        for len in [0usize, 1, 2, 3, 1000, 4097] {
            let path = dir.path().join(format!("{len}.bin"));
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            std::fs::write(&path, &bytes).expect("write");
            assert_eq!(read_file_split_from(&path, 0).expect("read"), bytes);
            assert_eq!(read_file(&path).expect("read"), bytes);
        }
        assert!(read_file_split_from(&dir.path().join("missing"), 0).is_err());
    }

    #[test]
    fn records_of_a_parsed_file_are_its_lines_as_the_text_path_writes_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = "sku,qty\nA,1.50\n\nB,-2\nC d, 3\nD,\n\n";
        let typed = read_text(dir.path(), "t", text, true).expect("read");
        let plain = read_text(dir.path(), "p", text, false).expect("read");
        assert_eq!(typed.parsed, vec!["qty".to_string()]);
        let rows = [3, 0, 1, 1];
        let records = typed.record_texts(&rows).expect("records");
        assert_eq!(records, ["D,", "A,1.50", "B,-2", "B,-2"]);
        assert_eq!(records, plain.record_texts(&rows).expect("records"));
        assert!(typed.record_texts(&[]).expect("none").is_empty());
        // And those of a quoted file, a line end inside quotes kept.
        let quoted = "sku,qty\n\"A\",1.50\n\n\"B\r\n\n\",-2\r\n\r\n\"C d\", 3\nD,\n\n";
        let quoted = read_text(dir.path(), "quoted", quoted, true).expect("read");
        assert!(quoted.parsed.is_empty());
        assert_eq!(quoted.height(), 4);
        assert_eq!(
            quoted.record_texts(&[0, 1, 2, 3]).expect("records"),
            ["A,1.50", "\"B\r\n\n\",-2", "C d, 3", "D,"]
        );
        // Blank lines of a CRLF file are skipped too (read as text).
        let crlf = read_text(dir.path(), "crlf", &text.replace('\n', "\r\n"), true).expect("read");
        assert!(crlf.parsed.is_empty());
        assert_eq!(crlf.height(), 4);
        assert_eq!(crlf.record_texts(&rows).expect("records"), records);
        // A file changed since it was read is not quoted from.
        std::fs::write(dir.path().join("t.csv"), "sku,qty\nA,9\n").expect("write");
        let changed = typed.record_texts(&[0]).expect_err("changed");
        assert!(changed.to_string().contains("changed"), "{changed}");
    }

    fn slow_header_fields(bytes: &[u8]) -> usize {
        csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes)
            .byte_headers()
            .map_or(0, |h| h.len())
    }
}
