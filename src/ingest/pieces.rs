//! A large CSV read a piece of records at a time: neither its bytes nor its
//! frame are ever whole in memory. [`Pieces::scan`] checks and hashes the
//! records a chunk at a time and notes where each piece of records starts;
//! a piece is read again from the file when its rows are asked for, and
//! parsed by Polars then. Only files of one record per line (no quotes,
//! carriage returns or blank lines) are read so; others are read whole
//! ([`super::table`]).

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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
    /// Each piece's frame once parsed, kept for the next read
    /// ([`Head::keep_parsed`]).
    kept: Option<Mutex<Vec<Option<Parsed>>>>,
}

/// A piece's frame and whether its number columns were parsed as numbers.
type Parsed = (DataFrame, bool);

/// A file up to this size keeps its pieces' frames once parsed (the
/// table's reader decides, [`Head::keep_parsed`]): the whole
/// frame of such a file is what a run of its size holds anyway, and a
/// second pass over it then costs no second parse (0.8 s of the ingest at
/// 100,000 series). A larger file is parsed again at each pass, holding
/// one piece at a time.
pub(super) const KEEP_PARSED_BYTES: u64 = 1 << 30;

/// What a check of a CSV's records a chunk at a time needs of its header.
pub(super) struct Head {
    /// The header line, with its line feed.
    pub line: Vec<u8>,
    /// Its names as the table knows them (cleaned).
    pub names: Vec<String>,
    /// The field separator.
    pub separator: u8,
    /// Column types to parse with, by position (`None`: all text).
    pub dtypes: Option<Vec<DataType>>,
    /// Keep each piece's frame once parsed (see [`KEEP_PARSED_BYTES`]).
    pub keep_parsed: bool,
}

/// Bytes of a CSV read, checked and hashed at once by [`Pieces::scan`].
pub(super) const CHUNK_BYTES: usize = 64 << 20;

impl Pieces {
    /// Check and hash the records of the CSV at `path` (its header `head`)
    /// `chunk` bytes at a time, and lay them out in pieces of `rows`
    /// records; with the file's SHA-256. `None` when a record is not one
    /// line of as many fields as the header (quotes, carriage returns,
    /// blank lines, invalid UTF-8, a line longer than `chunk`): such a
    /// file is read whole. Fails when the file changed during the scan.
    pub(super) fn scan(
        path: &Path,
        display: &str,
        head: Head,
        rows: usize,
        chunk: usize,
    ) -> Result<Option<(Pieces, String)>> {
        use sha2::Digest;
        use std::os::unix::fs::FileExt;
        let io = |e| Error::io("cannot read", path, e);
        let file = std::fs::File::open(path).map_err(io)?;
        let stamp = Stamp::of(&file).map_err(io)?;
        let rows = rows.max(1);
        let commas = head.names.len().saturating_sub(1);
        let mut hasher = sha2::Sha256::new();
        hasher.update(&head.line);
        let mut at = head.line.len() as u64;
        let mut layout = Starts::new(at, rows);
        let mut buf = vec![0u8; chunk.min(stamp.len.saturating_sub(at) as usize)];
        while at < stamp.len {
            let want = buf.len().min((stamp.len - at) as usize);
            let bytes = &mut buf[..want];
            file.read_exact_at(bytes, at).map_err(io)?;
            // Whole lines only, but at the end of the file.
            let cut = if at + want as u64 == stamp.len {
                want
            } else {
                match memchr::memrchr(b'\n', bytes) {
                    Some(i) => i + 1,
                    None => return Ok(None),
                }
            };
            let part = &bytes[..cut];
            let (parts, ()) = rayon::join(
                || simple_lines(part, commas, head.separator),
                || hasher.update(part),
            );
            let Some(parts) = parts else {
                return Ok(None);
            };
            layout.add(part, at, &parts, stamp.len);
            at += cut as u64;
        }
        if Stamp::of(&file).map_err(io)? != stamp {
            return Err(changed(display));
        }
        let Starts {
            mut bounds, height, ..
        } = layout;
        bounds.push(stamp.len);
        let kept = head
            .keep_parsed
            .then(|| Mutex::new(vec![None; bounds.len() - 1]));
        let pieces = Pieces {
            path: path.to_path_buf(),
            display: display.to_string(),
            header: head.line,
            names: head.names,
            bounds,
            rows,
            height,
            separator: head.separator,
            dtypes: head.dtypes,
            stamp,
            kept,
        };
        Ok(Some((pieces, hex(&hasher.finalize()))))
    }

    /// Drop column `name` from the frames kept (once its values are read).
    pub(super) fn forget(&self, name: &str) {
        if let Some(kept) = &self.kept {
            let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
            for (df, _) in kept.iter_mut().flatten() {
                // Absent already: nothing to free.
                let _ = df.drop_in_place(name);
            }
        }
    }

    /// The records `rows` (any order), each its line of the file, in the
    /// order asked: only the pieces that hold them are read.
    pub(super) fn records(&self, rows: &[usize]) -> Result<Vec<String>> {
        let mut wanted: Vec<(usize, usize)> =
            rows.iter().enumerate().map(|(i, &r)| (r, i)).collect();
        wanted.sort_unstable();
        let mut out = vec![String::new(); rows.len()];
        let mut next = 0;
        while let Some(&(first, _)) = wanted.get(next) {
            let k = first / self.rows;
            let text = self.text(k)?;
            let lines: Vec<&[u8]> = text[self.header.len()..].split(|&b| b == b'\n').collect();
            while let Some(&(r, i)) = wanted.get(next).filter(|(r, _)| r / self.rows == k) {
                if let Some(line) = lines.get(r - k * self.rows) {
                    out[i] = String::from_utf8_lossy(line).into_owned();
                }
                next += 1;
            }
        }
        Ok(out)
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
            return Ok((self.named(self.as_text(&self.header)?)?, false));
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

    /// The header line, then piece `k`'s records, as read from the file.
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
        let kept = || {
            self.kept
                .as_ref()
                .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
        };
        if let Some(hit) = kept().and_then(|v| v[k].clone()) {
            return Ok(hit);
        }
        let parsed = self.parse(k)?;
        if let Some(mut v) = kept() {
            v[k] = Some(parsed.clone());
        }
        Ok(parsed)
    }

    /// [`Pieces::piece`], parsed from the file.
    fn parse(&self, k: usize) -> Result<(DataFrame, bool)> {
        let bytes = self.text(k)?;
        if self.dtypes.is_some()
            && let Ok(df) = polars_csv(&bytes, self.separator, self.dtypes.clone())
            && df.height() == self.expected(k)
        {
            return Ok((self.named(df)?, true));
        }
        Ok((self.parse_text(&bytes, k)?, false))
    }

    /// `bytes` (the header, then records) parsed with every column as text.
    fn as_text(&self, bytes: &[u8]) -> Result<DataFrame> {
        polars_csv(bytes, self.separator, None)
            .map_err(|e| Error::file(&self.display, format!("cannot read the CSV: {e}")))
    }

    /// Piece `k`'s `bytes` parsed as text, named; as many rows as it has
    /// records, or an error.
    fn parse_text(&self, bytes: &[u8], k: usize) -> Result<DataFrame> {
        let df = self.as_text(bytes)?;
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

/// The SHA-256 digest `digest` in hex.
pub(super) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One part of a file's records, checked: `text[start..end]`, its lines
/// (the last of a file may have no line feed) and line feeds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part {
    pub start: usize,
    pub end: usize,
    pub lines: usize,
    pub line_feeds: usize,
}

/// Check `body` (records after the header) in parallel parts of about 8
/// MiB, each ending after a line feed: every line has `commas` separators.
/// `None` when one has not.
pub(super) fn lines_checked(body: &[u8], commas: usize, separator: u8) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let end = (start + (8 << 20)).min(body.len());
        let end = memchr::memchr(b'\n', &body[end..]).map_or(body.len(), |i| end + i + 1);
        parts.push((start, end));
        start = end;
    }
    parts
        .into_par_iter()
        .map(|(start, end)| {
            let part = &body[start..end];
            let (mut n, mut seen) = (0usize, 0usize);
            for &b in part {
                seen += usize::from(b == separator);
                if b == b'\n' {
                    if seen != commas {
                        return None;
                    }
                    (n, seen) = (n + 1, 0);
                }
            }
            let line_feeds = n;
            // The last line of the file may have no line feed.
            if part.last() != Some(&b'\n') {
                if seen != commas {
                    return None;
                }
                n += 1;
            }
            Some(Part {
                start,
                end,
                lines: n,
                line_feeds,
            })
        })
        .collect()
}

/// [`lines_checked`] of a chunk of a file's records that must be simple:
/// valid UTF-8, no quote, carriage return or blank line (a chunk starts
/// after a line feed).
fn simple_lines(text: &[u8], commas: usize, separator: u8) -> Option<Vec<Part>> {
    let simple = std::str::from_utf8(text).is_ok()
        && memchr::memchr2(b'"', b'\r', text).is_none()
        && text.first() != Some(&b'\n')
        && memchr::memmem::find(text, b"\n\n").is_none();
    simple
        .then(|| lines_checked(text, commas, separator))
        .flatten()
}

/// The records' count and pieces' starts as the chunks of a file go by.
struct Starts {
    /// File offset where each piece starts.
    bounds: Vec<u64>,
    /// Records so far.
    height: usize,
    /// Line feeds so far.
    line_feeds: usize,
    /// The record whose start comes next: the one after the `next`-th line feed.
    next: usize,
    rows: usize,
}

impl Starts {
    fn new(first: u64, rows: usize) -> Starts {
        Starts {
            bounds: vec![first],
            height: 0,
            line_feeds: 0,
            next: rows,
            rows,
        }
    }

    /// Count the checked `parts` of `text`, read from file offset `at` (of
    /// a file of `len` bytes), and note the pieces that start in it.
    fn add(&mut self, text: &[u8], at: u64, parts: &[Part], len: u64) {
        for p in parts {
            while self.next <= self.line_feeds + p.line_feeds {
                let nth = self.next - self.line_feeds - 1;
                let Some(i) = memchr::memchr_iter(b'\n', &text[p.start..p.end]).nth(nth) else {
                    break;
                };
                // A line feed that ends the file starts no record.
                let start = at + (p.start + i + 1) as u64;
                if start >= len {
                    break;
                }
                self.bounds.push(start);
                self.next += self.rows;
            }
            self.line_feeds += p.line_feeds;
            self.height += p.lines;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces' starts and records of `text` (a header line, then
    /// records) read in chunks of `chunk` bytes, or `None`.
    fn layout(text: &str, rows: usize, chunk: usize) -> Option<(Vec<u64>, usize)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.csv");
        std::fs::write(&path, text).expect("write");
        let end = text.find('\n').expect("header") + 1;
        let head = Head {
            line: text.as_bytes()[..end].to_vec(),
            names: text[..end - 1].split(',').map(str::to_string).collect(),
            separator: b',',
            dtypes: None,
            keep_parsed: false,
        };
        let (p, sha) = Pieces::scan(&path, "f.csv", head, rows, chunk).expect("scan")?;
        use sha2::Digest;
        assert_eq!(sha, hex(&sha2::Sha256::digest(text.as_bytes())));
        Some((p.bounds, p.height))
    }

    #[test]
    fn pieces_start_after_every_nth_line_feed_in_any_chunks() {
        // Header 4 bytes; records at 4, 8, 13, 17, 23.
        let text = "a,b\n1,2\n3,45\n6,7\n8,901\n2,3\n";
        for chunk in [7, 9, 16, 64] {
            assert_eq!(
                layout(text, 2, chunk),
                Some((vec![4, 13, 23, 27], 5)),
                "{chunk}"
            );
            assert_eq!(
                layout(text, 1, chunk),
                Some((vec![4, 8, 13, 17, 23, 27], 5))
            );
            assert_eq!(layout(text, 5, chunk), Some((vec![4, 27], 5)));
        }
        // Without a last line feed.
        let text = "a,b\n1,2\n3,4\n5,6";
        assert_eq!(layout(text, 2, 5), Some((vec![4, 12, 15], 3)));
        assert_eq!(layout("a,b\n", 2, 8), Some((vec![4, 4], 0)));
    }

    #[test]
    fn pieces_kept_or_read_again_give_the_same_frames_from_the_file_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.csv");
        let text = "a,b\nx,1\ny,2\nz,3\n";
        std::fs::write(&path, text).expect("write");
        let scan = |keep_parsed| {
            let head = Head {
                line: b"a,b\n".to_vec(),
                names: vec!["a".into(), "b".into()],
                separator: b',',
                dtypes: Some(vec![DataType::String, DataType::Float64]),
                keep_parsed,
            };
            let (p, _) = Pieces::scan(&path, "f.csv", head, 2, 64)
                .expect("scan")
                .expect("simple");
            p
        };
        let (again, kept) = (scan(false), scan(true));
        for (start, len) in [(0, 2), (1, 2), (2, 1), (0, 3)] {
            let (a, typed) = again.frame(start, len).expect("frame");
            let (b, _) = kept.frame(start, len).expect("frame");
            assert!(typed && a.equals_missing(&b), "{start} {len}");
            assert_eq!(a.height(), len);
        }
        kept.forget("a");
        assert_eq!(kept.frame(0, 2).expect("frame").0.width(), 1);
        // A file changed since it was checked is not read on: the kept
        // frames stay as they were read.
        std::fs::write(&path, "a,b\nx,1\ny,2\nz,4\n").expect("write");
        let err = again.frame(2, 1).expect_err("changed");
        assert!(err.to_string().contains("changed"), "{err}");
        assert!(kept.frame(2, 1).is_ok());
    }

    #[test]
    fn a_file_that_is_not_one_record_per_line_is_not_read_in_pieces() {
        for text in [
            "a,b\n1,2\n\n3,4\n",
            "a,b\n1,2\n3\n",
            "a,b\n\"1\",2\n",
            "a,b\r\n1,2\r\n",
            "a,b\n1,2\n3,4\n\n",
        ] {
            assert_eq!(layout(text, 1, 64), None, "{text:?}");
        }
        // A line longer than a chunk.
        assert_eq!(layout("a,b\n1,2\n333333,4\n", 1, 6), None);
    }
}
