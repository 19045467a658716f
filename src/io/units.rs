//! The columns assignment needs from a participants file, read compactly for millions of rows:
//! ids in one text buffer, strata and cluster columns as codes of their distinct values. Empty
//! ids and empty strata/cluster values are errors naming the file, line and column.

use crate::categorical::Coder;
use crate::error::{Error, Location, Result};
use crate::io::formats::InputKind;
use crate::io::lines::{LineBreaks, line_of};
use crate::io::source::InputFile;
use crate::io::table::{Delimiter, csv_error, csv_reader, trimmed_headers};
use crate::io::{ColumnRequest, Table};
use std::io::Read;
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

    /// Every row's line, in order.
    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.jumps.iter().enumerate().flat_map(|(k, &(row, line))| {
            let until = self.jumps.get(k + 1).map_or(self.rows, |&(next, _)| next);
            (0..(until - row) as u64).map(move |i| line + i)
        })
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
    /// No rows yet: the id column `id` and the `coded` columns, at 1-based `positions` in the
    /// file (the id's first).
    fn empty(path: &Path, id: &str, coded: &[(&str, &str)], positions: Vec<usize>) -> UnitsFile {
        UnitsFile {
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
            positions,
            lines: Lines::default(),
        }
    }

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
    Ok(read_units_as(path, id, coded, false)?.0)
}

/// [`read_units`] and the file's SHA-256: the participants of a design at ten million rows
/// (docs/scale.md).
pub fn read_units_hashed(
    path: &Path,
    id: &str,
    coded: &[(&str, &str)],
) -> Result<(UnitsFile, String)> {
    let (units, digest) = read_units_as(path, id, coded, true)?;
    match digest {
        Some(digest) => Ok((units, digest)),
        None => Err(Error::compute(
            "internal: the participants file was not hashed",
        )),
    }
}

/// The file (mapped) read in pieces on every core ([`read_in_pieces`]) where it can be, else
/// in one pass ([`units_from`]); hashed when `hashed`.
fn read_units_as(
    path: &Path,
    id: &str,
    coded: &[(&str, &str)],
    hashed: bool,
) -> Result<(UnitsFile, Option<String>)> {
    let file = crate::io::table::file_bytes(path)?;
    if let Some(read) = read_in_pieces(path, &file, PIECE_BYTES, id, coded, hashed) {
        return Ok(read);
    }
    let (header, body) = split_header(&file);
    let (digest, units) = rayon::join(
        || hashed.then(|| crate::io::sha256_hex(&file)),
        || units_from(path, header, body, id, coded),
    );
    Ok((units?, digest))
}

/// A CSV file's first line (with its line feed) and the rest.
fn split_header(bytes: &[u8]) -> (&[u8], &[u8]) {
    let header_end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |p| p + 1);
    bytes.split_at(header_end)
}

/// Bytes of a file's body per piece read on its own: enough rows per piece that merging the
/// pieces costs little, enough pieces that the cores share them evenly.
const PIECE_BYTES: usize = 8 << 20;

/// The file read in pieces of whole lines on every core (the SHA-256 beside them), each piece
/// by [`units_from`] as if it were a file of the header and its lines, then the pieces put
/// together in order: the same ids, codes (levels in first-seen order over the whole file) and
/// lines as one pass over the file, in less of its time (one pass was the first 1.7 s of
/// assigning ten million in a profile, on one core; docs/scale.md). None — read the file in one
/// pass, which gives the messages — when a piece would not be what the one pass reads: a quote
/// anywhere (a quoted field may hold a line break), a single piece, or any error in a piece.
/// Each line is then one record or a blank line, and a piece's lines are counted from its own
/// line feeds, so they are the file's less the line feeds of the pieces before it.
fn read_in_pieces(
    path: &Path,
    file: &crate::io::table::FileBytes,
    piece_bytes: usize,
    id: &str,
    coded: &[(&str, &str)],
    hashed: bool,
) -> Option<(UnitsFile, Option<String>)> {
    use rayon::prelude::*;
    let bytes: &[u8] = file;
    let (header, body) = split_header(bytes);
    // A quote anywhere: one pass, before any piece is read for nothing.
    if memchr::memchr(b'"', bytes).is_some() {
        return None;
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let end = match body.get(start + piece_bytes..) {
            Some(rest) => {
                memchr::memchr(b'\n', rest).map_or(body.len(), |p| start + piece_bytes + p + 1)
            }
            None => body.len(),
        };
        pieces.push(&body[start..end]);
        start = end;
    }
    if pieces.len() < 2 {
        return None;
    }
    let read_piece = |piece: &&[u8]| -> Option<(UnitsFile, u64)> {
        let units = units_from(path, header, piece, id, coded).ok()?;
        let feeds = memchr::memchr_iter(b'\n', piece).count() as u64;
        Some((units, feeds))
    };
    let (digest, read) = rayon::join(
        || hashed.then(|| crate::io::sha256_hex(bytes)),
        || {
            pieces
                .par_iter()
                .map(read_piece)
                .collect::<Option<Vec<_>>>()
        },
    );
    let read = read?;
    // The file's pages are not needed while the pieces are put together.
    file.release(0, bytes.len());
    let mut out = UnitsFile::empty(path, id, coded, read.first()?.0.positions.clone());
    let rows: usize = read.iter().map(|(u, _)| u.n_rows()).sum();
    let text: usize = read.iter().map(|(u, _)| u.ids.buf.len()).sum();
    out.ids.buf.reserve_exact(text);
    out.ids.ends.reserve_exact(rows);
    for c in &mut out.columns {
        c.codes.reserve_exact(rows);
    }
    // Line feeds of the body before the piece.
    let mut feeds_before = 0;
    for (piece, feeds) in read {
        for i in 0..piece.n_rows() {
            out.ids.push(piece.ids.get(i));
        }
        for (column, from) in out.columns.iter_mut().zip(&piece.columns) {
            let code_of: Vec<u32> = from
                .values
                .iter()
                .map(|v| column.coder.code_ref(v.as_str()) as u32)
                .collect();
            column
                .codes
                .extend(from.codes.iter().map(|&c| code_of[c as usize]));
        }
        for line in piece.lines.iter() {
            out.lines.push(line + feeds_before);
        }
        feeds_before += feeds;
    }
    for c in &mut out.columns {
        c.values = std::mem::take(&mut c.coder).into_levels();
    }
    Some((out, digest))
}

/// [`read_units`] from a file already read once.
pub fn units_of(input: &InputFile, id: &str, coded: &[(&str, &str)]) -> Result<UnitsFile> {
    if input.kind() != InputKind::Csv {
        return units_of_table(input, id, coded);
    }
    let (header, body) = split_header(input.bytes());
    units_from(input.path(), header, body, id, coded)
}

/// [`units_of`] for a file that is not CSV (Parquet, Stata, SAS, Excel): its typed columns, with
/// the same checks.
fn units_of_table(input: &InputFile, id: &str, coded: &[(&str, &str)]) -> Result<UnitsFile> {
    let mut requests = vec![ColumnRequest::text(id)];
    requests.extend(coded.iter().map(|(c, _)| ColumnRequest::text(*c)));
    let table = input.table(&requests)?;
    let headers = input.headers()?;
    let position = |name: &str| headers.iter().position(|h| h == name).map_or(0, |p| p + 1);
    let positions = std::iter::once(position(id))
        .chain(coded.iter().map(|(c, _)| position(c)))
        .collect();
    let mut out = UnitsFile::empty(input.path(), id, coded, positions);
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

fn units_from(
    path: &Path,
    header: &[u8],
    body: &[u8],
    id: &str,
    coded: &[(&str, &str)],
) -> Result<UnitsFile> {
    // The header: reuse Table's checks and messages (missing column with a suggestion, …).
    let mut requests = vec![ColumnRequest::text(id)];
    requests.extend(coded.iter().map(|(c, _)| ColumnRequest::text(*c)));
    Table::from_reader(path, header, &requests)?;
    let mut reader = csv_reader(path, LineBreaks::new(header.chain(body)), Delimiter::Detect)?;
    let headers = trimmed_headers(path, &mut reader)?;
    let position = |name: &str| headers.iter().position(|h| h == name).unwrap_or(0);
    let id_pos = position(id);
    let coded_pos: Vec<usize> = coded.iter().map(|(c, _)| position(c)).collect();
    let positions = std::iter::once(id_pos + 1)
        .chain(coded_pos.iter().map(|p| p + 1))
        .collect();
    let mut out = UnitsFile::empty(path, id, coded, positions);
    let mut record = csv::ByteRecord::new();
    loop {
        // The record's line from the bytes: the CSV reader's own count is of the line feeds
        // it has passed, which lags a line behind after a CRLF or blank lines.
        let line = match reader.read_byte_record(&mut record) {
            Ok(true) => line_of(&mut reader, record.position()).unwrap_or(0),
            Ok(false) => break,
            Err(e) => {
                let line = line_of(&mut reader, e.position());
                return Err(csv_error(path, e, line));
            }
        };
        if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
            continue;
        }
        let end = reader.position().byte();
        if out.ids.len() == ROWS_BEFORE_SIZING {
            out.reserve((header.len() + body.len()) as u64, end);
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

    /// A record the CSV reader refuses is named on its true line after CRLF line ends and
    /// blank lines (the reader's own count is a line early after each CRLF and leaves out
    /// blank lines).
    #[test]
    fn an_unreadable_record_is_named_on_its_true_line() {
        for text in [
            "id,site\r\na,N\r\nb,S\r\n\r\nc,N,extra\r\nd,S\r\n",
            "id,site\na,N\nb,S\n\nc,N,extra\nd,S\n",
        ] {
            let input = InputFile::from_bytes(Path::new("p.csv"), text.as_bytes().to_vec());
            let e = units_of(&input, "id", &[("site", "stratum")])
                .unwrap_err()
                .to_string();
            assert!(e.contains("line 5:"), "{text:?}: {e}");
        }
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

    /// The file read in pieces gives what one pass over it gives — ids, codes, levels in
    /// first-seen order, lines, the digest — for random files with blank lines, CRLF and lone
    /// CR line ends, spaces around cells, levels first seen in any piece and a last line with
    /// or without its line feed, cut into pieces of every size; and gives way to the one pass
    /// (None) for a quote, an error in any piece (an empty stratum, a short record, bad UTF-8)
    /// or a single piece.
    #[test]
    fn a_file_read_in_pieces_is_read_as_in_one_pass() {
        use crate::io::table::FileBytes;
        let mut rng = crate::rng::Stream::new(20261130, "units-in-pieces-test");
        let path = Path::new("p.csv");
        let coded = [("site", "stratum"), ("g", "stratum")];
        let one_pass = |bytes: &[u8]| {
            let (header, body) = split_header(bytes);
            units_from(path, header, body, "id", &coded)
        };
        let mut read_in_pieces_at_all = 0;
        for case in 0..300 {
            let crlf = case % 3 == 1;
            let mut text = String::from(if case % 2 == 0 {
                "id,site,g,x\n"
            } else {
                "x;g;id;site\n"
            });
            let comma = case % 2 == 0;
            let rows = 1 + rng.below(60) as usize;
            let sites = 1 + rng.below(12);
            // Each row's line in the file, as an editor numbers them (lines end at line feeds).
            let mut true_lines = Vec::new();
            let mut at_line = 2u64;
            for r in 0..rows {
                true_lines.push(at_line);
                let id = format!("P{case}-{r}");
                let site = format!("s{}", rng.below(sites));
                let g = ["F", "M", " F ", "X"][rng.below(4) as usize];
                let line = if comma {
                    format!("{id},{site},{g},{r}")
                } else {
                    format!("{r};{g};{id};{site}")
                };
                text.push_str(&line);
                match rng.below(20) {
                    0 => {
                        text.push_str(if crlf { "\r\n\r\n" } else { "\n\n" });
                        at_line += 2;
                    }
                    1 => text.push('\r'),
                    _ if crlf => {
                        text.push_str("\r\n");
                        at_line += 1;
                    }
                    _ => {
                        text.push('\n');
                        at_line += 1;
                    }
                }
            }
            if rng.below(2) == 0 {
                text.pop();
            }
            let mut bytes = text.into_bytes();
            // Now and then something the pieces must not read themselves.
            let spoil = rng.below(10);
            match spoil {
                0 => {
                    let at = rng.below(bytes.len() as u64) as usize;
                    bytes.insert(at, b'"');
                }
                1 => {
                    let at = rng.below(bytes.len() as u64) as usize;
                    bytes.insert(at, 0xff);
                }
                2 => {
                    let at = rng.below(bytes.len() as u64) as usize;
                    bytes.insert(at, if comma { b',' } else { b';' });
                }
                _ => {}
            }
            let want = one_pass(&bytes);
            if spoil > 2
                && let Ok(want) = &want
            {
                let lines: Vec<u64> = (0..want.n_rows()).map(|row| want.line(row)).collect();
                assert_eq!(lines, true_lines, "case {case}: lines");
            }
            let piece_bytes = 1 + rng.below(200) as usize;
            let file = FileBytes::Read(bytes.clone());
            let got = read_in_pieces(path, &file, piece_bytes, "id", &coded, true);
            let header_end = bytes.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
            let body = &bytes[header_end..];
            let pieces = body
                .get(piece_bytes..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
                .is_some_and(|p| piece_bytes + p + 1 < body.len());
            let (want, (got, digest)) = match (want, got) {
                (Err(e), Some(_)) => {
                    panic!("case {case}: read in pieces a file one pass refuses: {e}")
                }
                (want, None) => {
                    assert!(
                        want.is_err() || bytes.contains(&b'"') || !pieces,
                        "case {case}: declined a readable file in pieces"
                    );
                    continue;
                }
                (Ok(want), Some(got)) => (want, got),
            };
            read_in_pieces_at_all += 1;
            assert_eq!(
                digest.as_deref(),
                Some(crate::io::sha256_hex(&bytes).as_str())
            );
            assert!(pieces, "case {case}: a single piece was read as pieces");
            assert_eq!(got.ids.to_strs(), want.ids.to_strs(), "case {case}");
            assert_eq!(got.lines, want.lines, "case {case}");
            assert_eq!(got.positions, want.positions, "case {case}");
            for (a, b) in got.columns.iter().zip(&want.columns) {
                assert_eq!(
                    (&a.name, &a.codes, &a.values),
                    (&b.name, &b.codes, &b.values),
                    "case {case}"
                );
            }
            for row in 0..got.n_rows() {
                assert_eq!(
                    got.location(row, "g").to_string(),
                    want.location(row, "g").to_string()
                );
            }
        }
        assert!(read_in_pieces_at_all > 150, "{read_in_pieces_at_all}");
    }

    /// Every row's line from the jumps, as `get` gives them one at a time.
    #[test]
    fn lines_iterate_as_got_one_by_one() {
        let mut lines = Lines::default();
        for line in [2, 3, 4, 7, 8, 20, 21, 22, 23, 30] {
            lines.push(line);
        }
        let all: Vec<u64> = lines.iter().collect();
        assert_eq!(all, [2, 3, 4, 7, 8, 20, 21, 22, 23, 30]);
        assert_eq!(Lines::default().iter().count(), 0);
    }

    /// The reader of large files (participants files over 1 MB, docs/scale.md) gives the units
    /// of the reader of a file already read, and the file's SHA-256; each row's line is the
    /// line it starts on, after blank lines and quoted line breaks.
    #[test]
    fn the_large_file_reader_reads_the_same_units_and_hashes_the_file() {
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
        let mut line = 2;
        for row in 0..6000 {
            assert_eq!(b.line(row), line, "row {row}");
            line += 2 + u64::from(row % 1000 == 0);
        }
        // The lines kept as jumps.
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
