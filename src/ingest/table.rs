//! One input file read into a Polars `DataFrame`, with typed column access that
//! reports bad values by file, line and column.
//!
//! CSV files are first checked record by record with the `csv` crate (ragged
//! rows, invalid UTF-8, physical line of every record), then read by Polars with
//! every column as text, so that each value is validated here with a message a
//! planner can act on. Parquet files are read by Polars with their own types.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::calendar::{day_number, parse_iso_date};
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
    /// Physical line of each data row (CSV only) when it is not `row + 2`.
    lines: Option<Vec<u64>>,
    /// Logical column → column name in the file.
    columns: HashMap<&'static str, String>,
    /// Bad cells set their row aside instead of failing the read.
    quarantine: bool,
    /// Rows set aside: data row → (column in the file, what was wrong); the first problem per row.
    rejected: RefCell<BTreeMap<usize, (Option<String>, String)>>,
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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Table {
    /// Read a file and map the logical columns (`logical`, with the config mapping
    /// `mapping`); fail when a `required` column is missing.
    pub fn read(
        name: &'static str,
        path: &Path,
        format: Format,
        logical: &[&'static str],
        required: &[&'static str],
        mapping: impl Fn(&'static str) -> String,
    ) -> Result<Table> {
        let display = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
        let sha256 = sha256_hex(&bytes);
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(Error::file(
                display,
                "the file is empty; expected a header line",
            ));
        }
        let (mut df, lines) = match format {
            Format::Csv => read_csv(&display, bytes)?,
            Format::Parquet => (read_parquet(&display, bytes)?, None),
        };
        // Normalise header names (BOM, spaces).
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| clean_header(n.as_str()))
            .collect();
        df.set_column_names(&names.iter().map(String::as_str).collect::<Vec<_>>())
            .map_err(|e| Error::file(display.clone(), format!("bad header: {e}")))?;
        let mut columns = HashMap::new();
        for &col in logical {
            let actual = mapping(col);
            if names.contains(&actual) {
                columns.insert(col, actual);
            } else if required.contains(&col) {
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
                        "missing required column `{actual}`{mapped}; the header has: {}",
                        names.join(", ")
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
            lines,
            columns,
            quarantine: false,
            rejected: RefCell::new(BTreeMap::new()),
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

    /// The values of data row `row`, every column of the file, as one CSV record.
    pub fn record_text(&self, row: usize) -> String {
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
        self.df.height()
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
                line: Some(match &self.lines {
                    Some(lines) => lines[row],
                    None => row as u64 + 2,
                }),
                row: None,
                column,
            },
            Format::Parquet => Location {
                file: self.display.clone(),
                line: None,
                row: Some(row as u64 + 1),
                column,
            },
        }
    }

    /// Line (CSV) or row (Parquet) number of data row `row`, for warnings.
    pub fn line(&self, row: usize) -> u64 {
        let loc = self.location(row, None);
        loc.line.or(loc.row).unwrap_or(0)
    }

    fn column(&self, col: &str) -> Option<&Column> {
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

    /// Text values of a column (trimmed; empty → `None`); `None` when the column is absent.
    pub fn text(&self, col: &str) -> Result<Option<Vec<Option<String>>>> {
        let Some(column) = self.column(col) else {
            return Ok(None);
        };
        let casted;
        let strings = match column.dtype() {
            DataType::String => column.str(),
            dt if dt.is_primitive_numeric() || dt.is_bool() => {
                casted = column
                    .cast(&DataType::String)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                casted.str()
            }
            dt => return Err(self.type_error(col, dt, "text")),
        }
        .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(Some(
            strings
                .iter()
                .map(|v| {
                    v.map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                })
                .collect(),
        ))
    }

    /// The values of a column that must be filled in every row (a row set
    /// aside gets a placeholder).
    fn require<T: Default>(
        &self,
        col: &str,
        values: Option<Vec<Option<T>>>,
        expected: &str,
    ) -> Result<Vec<T>> {
        values
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(v) => Ok(v),
                None if !self.keeps(row) => Ok(T::default()),
                None => self
                    .reject(row, Some(col), format!("empty value; expected {expected}"))
                    .map(|()| T::default()),
            })
            .collect()
    }

    /// Text values of a column that must be present and non-empty in every row.
    pub fn required_text(&self, col: &str) -> Result<Vec<String>> {
        self.require(col, self.text(col)?, "text")
    }

    /// Parse every cell of a text column (trimmed; empty → `None`), naming the
    /// line and column of the first cell `parse` rejects.
    fn parse_cells<T>(
        &self,
        col: &str,
        column: &Column,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<Option<T>>> {
        let strings = column.str().map_err(|e| Error::Internal(e.to_string()))?;
        let mut out = Vec::with_capacity(strings.len());
        for (row, v) in strings.iter().enumerate() {
            out.push(match v.map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(s) => match parse(s) {
                    Some(x) => Some(x),
                    None => {
                        self.reject(
                            row,
                            Some(col),
                            format!("expected {expected}, found \"{}\"", truncate(s)),
                        )?;
                        None
                    }
                },
            });
        }
        Ok(out)
    }

    /// Numeric values (finite); `None` entries are empty cells. Absent column → `None`.
    pub fn numbers(&self, col: &str) -> Result<Option<Vec<Option<f64>>>> {
        let Some(column) = self.column(col) else {
            return Ok(None);
        };
        let mut values: Vec<Option<f64>> = match column.dtype() {
            DataType::String => {
                self.parse_cells(col, column, "a number", |s| s.parse::<f64>().ok())?
            }
            dt if dt.is_primitive_numeric() || dt.is_bool() => {
                let casted = column
                    .cast(&DataType::Float64)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                casted
                    .f64()
                    .map_err(|e| Error::Internal(e.to_string()))?
                    .iter()
                    .collect()
            }
            dt => return Err(self.type_error(col, dt, "numbers")),
        };
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
            DataType::String => self.parse_cells(col, column, "a date YYYY-MM-DD", |s| {
                parse_iso_date(s).map(day_number)
            })?,
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

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Check a CSV record by record, then read it with Polars, every column as text.
fn read_csv(display: &str, bytes: Vec<u8>) -> Result<(DataFrame, Option<Vec<u64>>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes.as_slice());
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
        let line = record.position().map(|p| p.line()).unwrap_or(index + 2);
        if record.len() != header.len() {
            return Err(Error::input(
                Location {
                    file: display.into(),
                    line: Some(line),
                    row: None,
                    column: None,
                },
                format!(
                    "ragged row: expected {} fields as in the header, found {}",
                    header.len(),
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
    let n_records = lines.len();
    let df = if n_records == 0 {
        // Header only: an empty frame of text columns.
        DataFrame::new_infer_height(
            header_names
                .iter()
                .map(|h| Column::new_empty(h.as_str().into(), &DataType::String))
                .collect(),
        )
        .map_err(|e| Error::Internal(e.to_string()))?
    } else {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
            .map_err(|e| Error::file(display, format!("cannot read the CSV: {e}")))?
    };
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
    Ok((df, shifted.then_some(lines)))
}

fn read_parquet(display: &str, bytes: Vec<u8>) -> Result<DataFrame> {
    ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::file(display, format!("cannot read the Parquet file: {e}")))
}
