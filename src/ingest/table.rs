//! One input file read into a Polars `DataFrame`, with typed column access that
//! reports bad values by file, line and column.
//!
//! CSV files are first checked record by record with the `csv` crate (ragged
//! rows, invalid UTF-8, physical line of every record), then read by Polars with
//! every column as text, so that each value is validated here with a message a
//! planner can act on. Parquet files are read by Polars with their own types.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::calendar::{day_number, parse_iso_date};
use crate::error::{Error, Location, Result};

/// Earliest date accepted in any input.
const FIRST_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(1000, 1, 1).expect("valid");
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
        })
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

    /// The values of a column that must be filled in every row.
    fn require<T>(
        &self,
        col: &str,
        values: Option<Vec<Option<T>>>,
        expected: &str,
    ) -> Result<Vec<T>> {
        values
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.ok_or_else(|| {
                    Error::input(
                        self.location(row, Some(col)),
                        format!("empty value; expected {expected}"),
                    )
                })
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
                Some(s) => Some(parse(s).ok_or_else(|| {
                    Error::input(
                        self.location(row, Some(col)),
                        format!("expected {expected}, found \"{}\"", truncate(s)),
                    )
                })?),
            });
        }
        Ok(out)
    }

    /// Numeric values (finite); `None` entries are empty cells. Absent column → `None`.
    pub fn numbers(&self, col: &str) -> Result<Option<Vec<Option<f64>>>> {
        let Some(column) = self.column(col) else {
            return Ok(None);
        };
        let values: Vec<Option<f64>> = match column.dtype() {
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
        for (row, v) in values.iter().enumerate() {
            if let Some(x) = v
                && !x.is_finite()
            {
                return Err(Error::input(
                    self.location(row, Some(col)),
                    format!("expected a finite number, found {x}"),
                ));
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
        let Some(values) = self.numbers(col)? else {
            return Ok(None);
        };
        for (row, v) in values.iter().enumerate() {
            if let Some(x) = v {
                self.check_min(row, col, *x, min)?;
            }
        }
        Ok(Some(values))
    }

    fn check_min(&self, row: usize, col: &str, x: f64, min: Option<f64>) -> Result<f64> {
        match min {
            Some(m) if x < m => Err(Error::input(
                self.location(row, Some(col)),
                format!("expected a value of at least {m}, found {x}"),
            )),
            _ => Ok(x),
        }
    }

    /// Dates as day numbers (0 = 1970-01-01); `None` entries are empty cells.
    pub fn dates(&self, col: &str) -> Result<Option<Vec<Option<i32>>>> {
        let Some(column) = self.column(col) else {
            return Ok(None);
        };
        let days: Vec<Option<i32>> = match column.dtype() {
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
        if let Some(row) = days
            .iter()
            .position(|d| d.is_some_and(|d| !range.contains(&d)))
        {
            let shown = days[row]
                .and_then(crate::calendar::date_of_day)
                .map_or_else(
                    || "a date out of any calendar".to_string(),
                    |d| d.to_string(),
                );
            return Err(Error::input(
                self.location(row, Some(col)),
                format!("expected a date between {FIRST_DATE} and {LAST_DATE}, found {shown}"),
            ));
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
