//! The columns assignment needs from a participants file, read compactly for millions of rows:
//! ids in one text buffer, strata and cluster columns as codes of their distinct values. Empty
//! ids and empty strata/cluster values are errors naming the file, line and column.

use crate::categorical::Coder;
use crate::error::{Error, Location, Result};
use crate::io::formats::InputKind;
use crate::io::source::InputFile;
use crate::io::table::{Delimiter, csv_error, csv_reader, trimmed_headers};
use crate::io::{ColumnRequest, Table};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// A text column kept as one buffer and end offsets: the low 32 bits of each end, and the
/// rows at which the buffer passed a multiple of 4 GiB ([`crate::design::ids::TextIds`]), so
/// that ten million ids take 4 bytes each besides their text instead of 8.
#[derive(Debug, Clone, Default)]
pub struct TextColumn {
    buf: String,
    ends: Vec<u32>,
    wraps: Vec<u32>,
}

impl TextColumn {
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn get(&self, i: usize) -> &str {
        self.ids().get(i)
    }
    /// The values read in place, as the design's ids.
    pub fn ids(&self) -> crate::design::ids::TextIds<'_> {
        crate::design::ids::TextIds::new(&self.buf, &self.ends, &self.wraps)
    }
    /// All values as string slices.
    pub fn to_strs(&self) -> Vec<&str> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
    fn push(&mut self, s: &str) {
        let before = self.buf.len() >> 32;
        self.buf.push_str(s);
        let end = self.buf.len();
        let row = self.ends.len() as u32;
        for _ in before..end >> 32 {
            self.wraps.push(row);
        }
        self.ends.push(end as u32);
    }
}

/// A column of categories: a code per row and the distinct values (in order of appearance,
/// [`crate::categorical`]).
#[derive(Debug, Clone, Default)]
pub struct CodedColumn {
    pub name: String,
    pub codes: Vec<u32>,
    /// Filled when the file has been read.
    pub values: Vec<String>,
    coder: Coder<String>,
}

impl CodedColumn {
    fn push(&mut self, s: &str) {
        self.codes.push(self.coder.code_ref(s) as u32);
    }
    /// The value of row `i`.
    pub fn value(&self, i: usize) -> &str {
        self.codes
            .get(i)
            .and_then(|&c| self.values.get(c as usize))
            .map_or("", String::as_str)
    }
}

/// Ids and coded columns of a participants file.
#[derive(Debug, Clone)]
pub struct UnitsFile {
    pub path: PathBuf,
    pub ids: TextColumn,
    pub id_name: String,
    /// The coded columns, in the order requested.
    pub columns: Vec<CodedColumn>,
    /// 1-based position in the file of the id column and of each coded column.
    positions: Vec<usize>,
    lines: Lines,
}

/// The line of each row, kept as the rows where the count jumps (a blank line, a quoted line
/// break): one entry per jump instead of 8 bytes a row (80 MB at ten million rows).
#[derive(Debug, Clone, Default, PartialEq)]
struct Lines {
    /// (row, line) at row 0 and wherever the line is not the previous row's line + 1.
    jumps: Vec<(usize, u64)>,
    rows: usize,
}

impl Lines {
    fn push(&mut self, line: u64) {
        let next = self
            .jumps
            .last()
            .map(|&(row, at)| at + (self.rows - row) as u64);
        if next != Some(line) {
            self.jumps.push((self.rows, line));
        }
        self.rows += 1;
    }

    fn get(&self, row: usize) -> Option<u64> {
        if row >= self.rows {
            return None;
        }
        let i = self.jumps.partition_point(|&(r, _)| r <= row);
        let (start, line) = *self.jumps.get(i.checked_sub(1)?)?;
        Some(line + (row - start) as u64)
    }
}

impl UnitsFile {
    pub fn n_rows(&self) -> usize {
        self.ids.len()
    }
    pub fn line(&self, row: usize) -> u64 {
        self.lines.get(row).unwrap_or(0)
    }
    /// Where row `row` of column `name` is.
    pub fn location(&self, row: usize, name: &str) -> Location {
        let mut loc = Location::file(&self.path).with_line(self.line(row));
        let position = if name == self.id_name {
            self.positions.first()
        } else {
            self.columns
                .iter()
                .position(|c| c.name == name)
                .and_then(|i| self.positions.get(i + 1))
        };
        if let Some(p) = position {
            loc = loc.with_column(*p);
        }
        loc.with_field(name)
    }
    pub fn column(&self, name: &str) -> Option<&CodedColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Read the id column and the `coded` columns (strata, cluster) of `path`. Each coded value
/// must be non-empty (`what` names it in messages: "stratum", "cluster").
pub fn read_units(path: &Path, id: &str, coded: &[(&str, &str)]) -> Result<UnitsFile> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    units_from(
        path,
        std::io::BufReader::with_capacity(1 << 20, file),
        size,
        id,
        coded,
    )
}

/// [`read_units`] streaming the file (never holding it) and returning its SHA-256 as well: the
/// participants of a design at ten million rows (docs/scale.md).
pub fn read_units_hashed(
    path: &Path,
    id: &str,
    coded: &[(&str, &str)],
) -> Result<(UnitsFile, String)> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    let mut hashing =
        crate::io::hash::HashingReader::new(std::io::BufReader::with_capacity(1 << 20, file));
    let units = units_from(path, &mut hashing, size, id, coded)?;
    let digest = hashing.finish().map_err(|e| Error::io(path, e))?;
    Ok((units, digest))
}

/// [`read_units`] from a file already read once.
pub fn units_of(input: &InputFile, id: &str, coded: &[(&str, &str)]) -> Result<UnitsFile> {
    if input.kind() != InputKind::Csv {
        return units_of_table(input, id, coded);
    }
    let size = Some(input.bytes().len() as u64);
    units_from(input.path(), input.bytes(), size, id, coded)
}

/// [`units_of`] for a file that is not CSV (Parquet, Stata, SAS, Excel): its typed columns, with
/// the same checks.
fn units_of_table(input: &InputFile, id: &str, coded: &[(&str, &str)]) -> Result<UnitsFile> {
    let mut requests = vec![ColumnRequest::text(id)];
    requests.extend(coded.iter().map(|(c, _)| ColumnRequest::text(*c)));
    let table = input.table(&requests)?;
    let headers = input.headers()?;
    let position = |name: &str| headers.iter().position(|h| h == name).map_or(0, |p| p + 1);
    let mut out = UnitsFile {
        path: input.path().to_path_buf(),
        ids: TextColumn::default(),
        id_name: id.to_string(),
        columns: coded
            .iter()
            .map(|(c, _)| CodedColumn {
                name: c.to_string(),
                ..Default::default()
            })
            .collect(),
        positions: std::iter::once(position(id))
            .chain(coded.iter().map(|(c, _)| position(c)))
            .collect(),
        lines: Lines::default(),
    };
    for (row, value) in table.text(id)?.iter().enumerate() {
        out.ids.push(value);
        out.lines.push(table.line(row));
    }
    for ((name, what), column) in coded.iter().zip(&mut out.columns) {
        for (row, value) in table.text(name)?.iter().enumerate() {
            if value.is_empty() {
                return Err(Error::data(
                    table.location(row, name),
                    format!("missing value; expected the {what} of every participant"),
                ));
            }
            column.push(value);
        }
    }
    for c in &mut out.columns {
        c.values = std::mem::take(&mut c.coder).into_levels();
    }
    Ok(out)
}

/// Rows read before the columns are sized for the whole file ([`UnitsFile::reserve`]).
const ROWS_BEFORE_SIZING: usize = 4096;

impl UnitsFile {
    /// Size the columns for the rows of a file of `size` bytes, estimated from the `read`
    /// bytes of the rows so far (and a tenth more): ten million rows are read into columns
    /// that never grow, instead of growing by doubling, each time copying the column into
    /// fresh memory the kernel must zero (a tenth of `verify`'s time, docs/scale.md). Room
    /// reserved beyond the last row is never touched, so it costs no memory.
    fn reserve(&mut self, size: u64, read: u64) {
        let rows = self.ids.len().max(1) as u64;
        if read == 0 {
            return;
        }
        let expected = (size.saturating_mul(rows) / read).saturating_mul(11) / 10;
        let more = usize::try_from(expected.saturating_sub(rows)).unwrap_or(0);
        let text_per_row = self.ids.buf.len().div_ceil(rows as usize) + 1;
        self.ids.ends.reserve(more);
        self.ids.buf.reserve(more.saturating_mul(text_per_row));
        for c in &mut self.columns {
            c.codes.reserve(more);
        }
    }
}

fn units_from<R: BufRead>(
    path: &Path,
    mut input: R,
    size: Option<u64>,
    id: &str,
    coded: &[(&str, &str)],
) -> Result<UnitsFile> {
    // The header: reuse Table's checks and messages (missing column with a suggestion, …).
    let mut header = Vec::new();
    input
        .read_until(b'\n', &mut header)
        .map_err(|e| Error::io(path, e))?;
    let mut requests = vec![ColumnRequest::text(id)];
    requests.extend(coded.iter().map(|(c, _)| ColumnRequest::text(*c)));
    Table::from_reader(path, header.as_slice(), &requests)?;
    let mut reader = csv_reader(
        path,
        std::io::Cursor::new(header).chain(input),
        Delimiter::Detect,
    )?;
    let headers = trimmed_headers(path, &mut reader)?;
    let position = |name: &str| headers.iter().position(|h| h == name).unwrap_or(0);
    let id_pos = position(id);
    let coded_pos: Vec<usize> = coded.iter().map(|(c, _)| position(c)).collect();
    let mut out = UnitsFile {
        path: path.to_path_buf(),
        ids: TextColumn::default(),
        id_name: id.to_string(),
        columns: coded
            .iter()
            .map(|(c, _)| CodedColumn {
                name: c.to_string(),
                ..Default::default()
            })
            .collect(),
        positions: std::iter::once(id_pos + 1)
            .chain(coded_pos.iter().map(|p| p + 1))
            .collect(),
        lines: Lines::default(),
    };
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, e, None)),
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
            continue;
        }
        if out.ids.len() == ROWS_BEFORE_SIZING
            && let (Some(size), Some(at)) = (size, record.position())
        {
            out.reserve(size, at.byte());
        }
        let cell = |pos: usize, name: &str| -> Result<&str> {
            std::str::from_utf8(record.get(pos).unwrap_or(b""))
                .map(str::trim)
                .map_err(|_| {
                    Error::data(
                        Location::file(path)
                            .with_line(line)
                            .with_column(pos + 1)
                            .with_field(name),
                        "the text is not valid UTF-8; save the file as UTF-8, or give its encoding with --encoding latin1 (or [data] encoding = \"latin1\" in study.toml)",
                    )
                })
        };
        out.ids.push(cell(id_pos, id)?);
        for (((name, what), &pos), column) in coded.iter().zip(&coded_pos).zip(&mut out.columns) {
            let value = cell(pos, name)?;
            if value.is_empty() {
                return Err(Error::data(
                    Location::file(path)
                        .with_line(line)
                        .with_column(pos + 1)
                        .with_field(*name),
                    format!("missing value; expected the {what} of every participant"),
                ));
            }
            column.push(value);
        }
        out.lines.push(line);
    }
    for c in &mut out.columns {
        c.values = std::mem::take(&mut c.coder).into_levels();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_codes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.csv");
        std::fs::write(&p, "id;site;x\na;N;1\nb;S;2\nc;N;3\n").unwrap();
        let u = read_units(&p, "id", &[("site", "stratum")]).unwrap();
        assert_eq!(u.ids.to_strs(), ["a", "b", "c"]);
        assert_eq!(u.columns[0].codes, [0, 1, 0]);
        assert_eq!(u.columns[0].value(2), "N");
        assert_eq!(u.line(1), 3);
        assert_eq!(
            u.location(1, "site").to_string(),
            format!("{}: line 3, column 2 (`site`)", p.display())
        );
        std::fs::write(&p, "id,site\na,\n").unwrap();
        let e = read_units(&p, "id", &[("site", "stratum")]).unwrap_err();
        assert!(e.to_string().contains("line 2, column 2"), "{e}");
        let e = read_units(&p, "id", &[("sitte", "stratum")]).unwrap_err();
        assert!(e.to_string().contains("did you mean `site`?"), "{e}");
    }

    #[test]
    fn semicolons_and_commas_read_the_same() {
        // The same participants saved by a Swedish spreadsheet (`;`, with a decimal comma in a
        // column not read) and as plain CSV: same ids, codes, values and lines.
        let comma = "id,site,cluster,income\na,N,k1,\"1,5\"\nb,S,k2,2\n\nc,N,k1,3\n";
        let semicolon = "id;site;cluster;income\na;N;k1;1,5\nb;S;k2;2\n\nc;N;k1;3\n";
        let read = |text: &str| {
            let input = InputFile::from_bytes(Path::new("p.csv"), text.as_bytes().to_vec());
            units_of(&input, "id", &[("site", "stratum"), ("cluster", "cluster")]).unwrap()
        };
        let (a, b) = (read(comma), read(semicolon));
        assert_eq!(a.ids.to_strs(), ["a", "b", "c"]);
        assert_eq!(a.ids.to_strs(), b.ids.to_strs());
        for (x, y) in a.columns.iter().zip(&b.columns) {
            assert_eq!(
                (&x.name, &x.codes, &x.values),
                (&y.name, &y.codes, &y.values)
            );
        }
        assert_eq!(a.columns[1].codes, [0, 1, 0]);
        assert_eq!(a.columns[1].values, ["k1", "k2"]);
        assert_eq!((a.line(0), a.line(1)), (2, 3));
        assert_eq!(a.lines, b.lines);
        assert_eq!(
            a.location(2, "cluster").to_string(),
            b.location(2, "cluster").to_string()
        );
    }

    /// The streamed reader (participants files over 1 MB, docs/scale.md) gives the units of the
    /// reader of a file read whole, and the file's SHA-256; lines survive blank lines and
    /// quoted line breaks.
    #[test]
    fn the_streamed_reader_reads_the_same_units_and_hashes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.csv");
        let mut text = String::from("id;site;note\n");
        // More rows than are read before the columns are sized for the file.
        for i in 0..6000 {
            text.push_str(&format!("P{i:05};s{};\"two\nlines\"\n", i % 7));
            if i % 1000 == 0 {
                text.push('\n');
            }
        }
        std::fs::write(&p, &text).unwrap();
        let whole = InputFile::open(&p).unwrap();
        let a = units_of(&whole, "id", &[("site", "stratum")]).unwrap();
        let (b, sha) = read_units_hashed(&p, "id", &[("site", "stratum")]).unwrap();
        assert_eq!(sha, crate::io::sha256_hex(text.as_bytes()));
        assert_eq!(a.ids.to_strs(), b.ids.to_strs());
        assert_eq!(a.columns[0].codes, b.columns[0].codes);
        assert_eq!(a.lines, b.lines);
        // The lines as the CSV reader counts them, kept as jumps.
        let mut lines = Lines::default();
        let mut want = Vec::new();
        let mut line = 2u64;
        for row in 0..500usize {
            line += 1 + u64::from(row % 7 == 0) + 3 * u64::from(row % 100 == 0);
            lines.push(line);
            want.push(line);
        }
        assert!(lines.jumps.len() < 100, "{}", lines.jumps.len());
        for (row, &w) in want.iter().enumerate() {
            assert_eq!(lines.get(row), Some(w), "row {row}");
        }
        assert_eq!(lines.get(500), None);
        assert_eq!(b.line(6000), 0);
        assert_eq!(b.n_rows(), 6000);
    }
}
