//! A large CSV read a piece of records at a time: the frame of the whole
//! file is never held. The file is read whole once to be checked and hashed
//! ([`super::table`]); a piece's records are read again from the file when
//! its rows are asked for, and parsed by Polars then. Only files the quick
//! scan passed are read so (one record per line, no quotes, no blank
//! lines), where a piece starts after a line feed.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Parse CSV `bytes` (a header line, then records) with Polars: every
/// column as text, or each as `dtypes` (by position) says.
pub(super) fn polars_csv(
    bytes: &[u8],
    separator: u8,
    dtypes: Option<Vec<DataType>>,
) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .map_parse_options(|o| o.with_separator(separator))
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .with_dtype_overwrite(dtypes.map(Arc::new))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
}

/// Length and modification time of a file: a piece is read only from the
/// file that was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(file: &std::fs::File) -> std::io::Result<Stamp> {
        let meta = file.metadata()?;
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// A checked CSV whose records are parsed a piece at a time.
pub(super) struct Pieces {
    path: PathBuf,
    display: String,
    /// The header line, ended by a line feed.
    header: Vec<u8>,
    /// The header's names as the table knows them (cleaned).
    names: Vec<String>,
    /// File offset where each piece's records start, then the file's length.
    bounds: Vec<u64>,
    /// Records per piece (the last may hold fewer).
    rows: usize,
    /// Records in the file.
    height: usize,
    separator: u8,
    /// Column types by position: the number columns parsed as numbers
    /// where a piece allows (else it is read as text).
    dtypes: Option<Vec<DataType>>,
    stamp: Stamp,
}

/// What [`Pieces::new`] needs to know of the checked file.
pub(super) struct Layout<'a> {
    /// The file's bytes, as checked.
    pub bytes: &'a [u8],
    /// Its header names (cleaned).
    pub names: Vec<String>,
    /// Its number of records.
    pub height: usize,
    /// Its field separator.
    pub separator: u8,
    /// Column types to parse with, by position (`None`: all text).
    pub dtypes: Option<Vec<DataType>>,
}

impl Pieces {
    /// The file at `path` (shown as `display`), laid out as `layout`, in
    /// pieces of `rows` records. Fails when the file changed since its bytes
    /// were read.
    pub(super) fn new(
        path: &Path,
        display: &str,
        layout: Layout<'_>,
        rows: usize,
    ) -> Result<Pieces> {
        let Layout {
            bytes,
            names,
            height,
            separator,
            dtypes,
        } = layout;
        let file = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
        let stamp = Stamp::of(&file).map_err(|e| Error::io("cannot read", path, e))?;
        if stamp.len != bytes.len() as u64 {
            return Err(changed(display));
        }
        let header_end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
        let mut header = bytes[..header_end].to_vec();
        if header.last() != Some(&b'\n') {
            header.push(b'\n');
        }
        let rows = rows.max(1);
        let starts = record_starts(&bytes[header_end..], rows);
        let mut bounds: Vec<u64> = starts
            .into_iter()
            .map(|s| (header_end + s) as u64)
            .collect();
        bounds.push(bytes.len() as u64);
        Ok(Pieces {
            path: path.to_path_buf(),
            display: display.to_string(),
            header,
            names,
            bounds,
            rows,
            height,
            separator,
            dtypes,
            stamp,
        })
    }

    /// Records in the file.
    pub(super) fn height(&self) -> usize {
        self.height
    }

    /// The frame of records `start..start + len`, with names as the table
    /// knows them, and whether its number columns were parsed as numbers
    /// (`false`: a cell Polars could not parse, so all is text).
    pub(super) fn frame(&self, start: usize, len: usize) -> Result<(DataFrame, bool)> {
        let end = (start + len).min(self.height);
        let start = start.min(end);
        if start == end {
            let df = polars_csv(&self.header, self.separator, None)
                .map_err(|e| Error::file(&self.display, format!("cannot read the CSV: {e}")))?;
            return Ok((self.named(df)?, false));
        }
        let (first, last) = (start / self.rows, (end - 1) / self.rows + 1);
        let mut frames = Vec::with_capacity(last - first);
        let mut typed = true;
        for k in first..last {
            let (df, t) = self.piece(k)?;
            typed &= t;
            frames.push(df);
        }
        // Pieces of mixed types (one read as text) are all read as text.
        if !typed && frames.len() > 1 {
            frames = (first..last)
                .map(|k| self.parse_text(&self.text(k)?, k))
                .collect::<Result<_>>()?;
        }
        let mut frames = frames.into_iter();
        let mut df = frames.next().unwrap_or_default();
        for f in frames {
            df.vstack_mut_owned(f)
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        let df = df.slice((start - first * self.rows) as i64, end - start);
        Ok((df, typed))
    }

    /// The text of piece `k`'s records after the header line.
    fn text(&self, k: usize) -> Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let io = |e| Error::io("cannot read", &self.path, e);
        let file = std::fs::File::open(&self.path).map_err(io)?;
        if Stamp::of(&file).map_err(io)? != self.stamp {
            return Err(changed(&self.display));
        }
        let (from, to) = (self.bounds[k], self.bounds[k + 1]);
        let mut bytes = vec![0u8; self.header.len() + (to - from) as usize];
        bytes[..self.header.len()].copy_from_slice(&self.header);
        file.read_exact_at(&mut bytes[self.header.len()..], from)
            .map_err(io)?;
        Ok(bytes)
    }

    /// Piece `k`'s frame, its number columns parsed where every cell is a
    /// plain number; and whether they were.
    fn piece(&self, k: usize) -> Result<(DataFrame, bool)> {
        let bytes = self.text(k)?;
        if self.dtypes.is_some()
            && let Ok(df) = polars_csv(&bytes, self.separator, self.dtypes.clone())
            && df.height() == self.expected(k)
        {
            return Ok((self.named(df)?, true));
        }
        Ok((self.parse_text(&bytes, k)?, false))
    }

    fn parse_text(&self, bytes: &[u8], k: usize) -> Result<DataFrame> {
        let df = polars_csv(bytes, self.separator, None)
            .map_err(|e| Error::file(&self.display, format!("cannot read the CSV: {e}")))?;
        if df.height() != self.expected(k) {
            return Err(Error::file(
                &self.display,
                format!(
                    "the CSV parsers disagree on the number of rows in records {} to {} ({} and {}); check quoting and blank lines",
                    k * self.rows + 1,
                    k * self.rows + self.expected(k),
                    df.height(),
                    self.expected(k)
                ),
            ));
        }
        self.named(df)
    }

    /// Records in piece `k`.
    fn expected(&self, k: usize) -> usize {
        self.rows.min(self.height - k * self.rows)
    }

    fn named(&self, mut df: DataFrame) -> Result<DataFrame> {
        df.set_column_names(&self.names.iter().map(String::as_str).collect::<Vec<_>>())
            .map_err(|e| Error::file(&self.display, format!("bad header: {e}")))?;
        Ok(df)
    }
}

fn changed(display: &str) -> Error {
    Error::file(
        display,
        "the file changed while replenish was reading it; run again",
    )
}

/// Offsets in `body` (records, one per line) where records 0, `rows`,
/// `2 × rows`, … start: the line feeds counted in parallel parts, then each
/// start found in its part.
fn record_starts(body: &[u8], rows: usize) -> Vec<usize> {
    const PART: usize = 8 << 20;
    let parts: Vec<(usize, usize)> = (0..body.len())
        .step_by(PART)
        .map(|s| (s, (s + PART).min(body.len())))
        .collect();
    let counts: Vec<usize> = parts
        .par_iter()
        .map(|&(s, e)| memchr::memchr_iter(b'\n', &body[s..e]).count())
        .collect();
    let mut starts = vec![0];
    // Record r starts after the r-th line feed (counting from 1); `before`
    // line feeds lie before the part at hand.
    let (mut next, mut before) = (rows, 0usize);
    for (&(s, e), &n) in parts.iter().zip(&counts) {
        while next <= before + n {
            let Some(i) = memchr::memchr_iter(b'\n', &body[s..e]).nth(next - before - 1) else {
                break;
            };
            // A line feed that ends the file starts no record.
            if s + i + 1 >= body.len() {
                return starts;
            }
            starts.push(s + i + 1);
            next += rows;
        }
        before += n;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_start_after_every_nth_line_feed() {
        let body = b"a\nbb\nc\nddd\ne\n";
        assert_eq!(record_starts(body, 2), vec![0, 5, 11]);
        assert_eq!(record_starts(body, 5), vec![0]);
        assert_eq!(record_starts(body, 1), vec![0, 2, 5, 7, 11]);
        // Without a last line feed.
        assert_eq!(record_starts(b"a\nb\nc", 2), vec![0, 4]);
        assert_eq!(record_starts(b"", 3), vec![0]);
    }
}
