//! Typed columns from CSV files. Only the requested columns are parsed, straight into their
//! types, so a register extract of millions of rows reads fast; every value that does not fit
//! is reported with the file, line, column and what was expected.

use crate::error::{Error, Location, Problem, Result, nearest};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a requested column must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Any text (identifiers, arms, strata, categories). Leading and trailing space is removed.
    Text,
    /// A number in every row; an empty cell is an error.
    Number,
    /// A number, or missing: an empty cell, `NA` or `.` (Stata) becomes NaN.
    OptionalNumber,
    /// Text coded as it is read (arms, subgroups, strata, clusters, categorical covariates):
    /// each row holds the code of its level ([`Table::categories`]), a missing cell
    /// [`MISSING_CODE`]. A million rows of `F`/`M` take 4 MB instead of a million strings.
    Category,
}

/// One column to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRequest {
    pub name: String,
    pub kind: ColumnKind,
}

impl ColumnRequest {
    pub fn text(name: impl Into<String>) -> Self {
        ColumnRequest {
            name: name.into(),
            kind: ColumnKind::Text,
        }
    }
    pub fn number(name: impl Into<String>) -> Self {
        ColumnRequest {
            name: name.into(),
            kind: ColumnKind::Number,
        }
    }
    pub fn optional_number(name: impl Into<String>) -> Self {
        ColumnRequest {
            name: name.into(),
            kind: ColumnKind::OptionalNumber,
        }
    }
    pub fn category(name: impl Into<String>) -> Self {
        ColumnRequest {
            name: name.into(),
            kind: ColumnKind::Category,
        }
    }
}

/// One parsed column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ColumnData {
    Text(Vec<String>),
    Number(Vec<f64>),
    /// Levels in the order the file first has them, and each row's code ([`MISSING_CODE`]
    /// where missing).
    Codes {
        levels: Vec<String>,
        codes: Vec<u32>,
    },
}

impl ColumnData {
    /// Text cells (trimmed already) as a category column.
    pub(crate) fn coded(cells: &[String]) -> Result<ColumnData> {
        let mut category = CategoryBuilder::with_capacity(cells.len());
        for cell in cells {
            category.push(cell);
        }
        category.finish()
    }
}

/// A category column made as its cells come, without keeping them as text: each trimmed cell
/// is coded in order of first appearance (the codes and levels [`ColumnData::coded`] gives the
/// same cells), a missing-value cell as [`MISSING_CODE`].
pub(crate) struct CategoryBuilder {
    coder: ChunkCoder,
    codes: Vec<u32>,
    /// Whether a cell found no code (more distinct values than a `u32` codes).
    overflowed: bool,
}

impl CategoryBuilder {
    pub(crate) fn with_capacity(rows: usize) -> CategoryBuilder {
        CategoryBuilder {
            coder: ChunkCoder::default(),
            codes: Vec::with_capacity(rows),
            overflowed: false,
        }
    }

    /// The next row's cell, trimmed already; returns the code it was given.
    pub(crate) fn push(&mut self, cell: &str) -> u32 {
        let code = if is_missing(cell) {
            Some(MISSING_CODE)
        } else {
            code_cell(&mut self.coder, cell)
        };
        self.overflowed |= code.is_none();
        let code = code.unwrap_or(MISSING_CODE);
        self.codes.push(code);
        code
    }

    /// The next row's cell when it is a cell pushed before, by the code `push` returned then
    /// (a Parquet dictionary's entry, coded at its first row).
    pub(crate) fn push_code(&mut self, code: u32) {
        self.codes.push(code);
    }

    pub(crate) fn finish(self) -> Result<ColumnData> {
        if self.overflowed {
            return Err(Error::compute(
                "more distinct values than lotta can code in one column",
            ));
        }
        Ok(ColumnData::Codes {
            levels: self.coder.into_levels(),
            codes: self.codes,
        })
    }
}

/// Requested columns of one CSV file, with the line of every row for later messages.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    format: CsvFormat,
    names: Vec<String>,
    /// 1-based position of each requested column in the file.
    positions: Vec<usize>,
    columns: Vec<ColumnData>,
    lines: RowLines,
}

/// How a user's CSV file is written: its decimal separator and its character encoding. The
/// default is UTF-8 with a decimal point; Swedish Excel exports use `;` between fields (detected
/// from the header), a decimal comma and often Windows-1252 (Latin-1). Set with `[data] decimal`
/// and `[data] encoding`, or `--decimal` and `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFormat {
    /// Numbers are written `28,5`.
    pub decimal_comma: bool,
    /// The file's encoding (decoded to UTF-8 as it is read).
    pub encoding: &'static encoding_rs::Encoding,
}

impl Default for CsvFormat {
    fn default() -> Self {
        CsvFormat {
            decimal_comma: false,
            encoding: encoding_rs::UTF_8,
        }
    }
}

impl CsvFormat {
    /// The decimal separator as written (`.` or `,`); an error message otherwise.
    pub fn parse_decimal(text: &str) -> std::result::Result<bool, String> {
        match text.trim() {
            "." => Ok(false),
            "," => Ok(true),
            other => Err(format!(
                "`{other}` is not a decimal separator; expected `.` or `,`"
            )),
        }
    }

    /// An encoding by its WHATWG label (`utf-8`, `latin1`, `iso-8859-1`, `windows-1252`,
    /// `cp1252`, ...); an error message otherwise. Latin-1 labels mean Windows-1252, as in every
    /// browser: it agrees with ISO-8859-1 on every printable character.
    pub fn parse_encoding(
        text: &str,
    ) -> std::result::Result<&'static encoding_rs::Encoding, String> {
        encoding_rs::Encoding::for_label(text.trim().as_bytes()).ok_or_else(|| {
            format!(
                "`{text}` is not an encoding lotta knows; expected utf-8, latin1 or windows-1252"
            )
        })
    }

    /// `bytes` as UTF-8: unchanged for UTF-8, decoded otherwise (a byte-order mark is removed).
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        if self.encoding == encoding_rs::UTF_8 {
            return std::borrow::Cow::Borrowed(bytes);
        }
        let (text, _, _) = self.encoding.decode(bytes);
        match text {
            std::borrow::Cow::Borrowed(t) => std::borrow::Cow::Borrowed(t.as_bytes()),
            std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t.into_bytes()),
        }
    }

    /// A number cell (not missing) as written in this format.
    pub fn number(&self, cell: &str) -> Option<f64> {
        if let Some(v) = crate::io::decimal::plain_decimal(cell.as_bytes()) {
            return Some(v);
        }
        let parsed = if self.decimal_comma && !cell.contains('.') {
            cell.replacen(',', ".", 1).parse::<f64>()
        } else {
            cell.parse::<f64>()
        };
        parsed.ok().filter(|v| v.is_finite())
    }
}

/// The cells lotta reads as a missing value, in every column of every input (numbers, and text
/// columns where a value may be missing): an empty cell (or only spaces), `NA` (R), `.`
/// (Stata), `NaN` and `nan` (Python, Excel exports). Case matters: `na` and `N/A` are text.
pub const MISSING_CELLS: [&str; 5] = ["", "NA", ".", "NaN", "nan"];

/// True for the cells lotta reads as a missing number ([`MISSING_CELLS`]; cells are trimmed).
pub fn is_missing(cell: &str) -> bool {
    MISSING_CELLS.contains(&cell)
}

/// Whether a column read as text holds numbers: `Ok(true)` when every non-missing cell is a
/// finite number, `Ok(false)` when most cells are text (a categorical column). A column of
/// numbers with a few other cells (a decimal comma, `inf`, a missing-value code) is an error
/// naming the first such cell: lotta never turns a numeric column into categories silently.
pub fn numbers_or_categories(table: &Table, name: &str) -> Result<bool> {
    let cells = table.text(name)?;
    let mut numbers = 0usize;
    let mut first_other: Option<usize> = None;
    let mut others = 0usize;
    // Cells that are numbers written with a decimal comma (when the file is not declared so).
    let comma = CsvFormat {
        decimal_comma: true,
        ..table.format
    };
    let mut first_comma: Option<usize> = None;
    let mut commas = 0usize;
    for (row, cell) in cells.iter().enumerate() {
        if is_missing(cell) {
            continue;
        }
        if table.format.number(cell).is_some() {
            numbers += 1;
        } else {
            others += 1;
            first_other.get_or_insert(row);
            if !table.format.decimal_comma && comma.number(cell).is_some() {
                commas += 1;
                first_comma.get_or_insert(row);
            }
        }
    }
    // A column of numbers, some or all written with a decimal comma: never categories.
    if let Some(row) = first_comma
        && commas == others
    {
        let cell = &cells[row];
        return Err(Error::data(
            table.location(row, name),
            format!(
                "`{cell}` is not a number with a decimal point but one written with a decimal comma ({commas} of the {} filled cells of `{name}` are); lotta reads a decimal point unless told otherwise",
                numbers + others
            ),
        )
        .with_hint("give --decimal , (or [data] decimal = \",\" in study.toml) for files written with decimal commas"));
    }
    match first_other {
        None => Ok(true),
        Some(_) if others >= numbers => Ok(false),
        Some(row) => {
            let cell = &cells[row];
            let hint = if !table.format.decimal_comma
                && cell.contains(',')
                && cell.replace(',', ".").parse::<f64>().is_ok()
            {
                "a decimal comma? give --decimal , (or [data] decimal = \",\" in study.toml) for files written with decimal commas"
            } else {
                "a missing-value code? leave the cell empty (or write NA or `.`); or correct the value"
            };
            Err(Error::data(
                table.location(row, name),
                format!(
                    "`{cell}` is not a number, but {numbers} of the {} filled cells of `{name}` are; a numeric column cannot hold other values",
                    numbers + others
                ),
            )
            .with_hint(hint))
        }
    }
}

/// The header names of a CSV file, in order.
pub fn read_headers(path: &Path) -> Result<Vec<String>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    headers_from(path, file)
}

/// The header names of CSV text, in order (`path` names it in messages).
pub fn headers_of(path: &Path, bytes: &[u8]) -> Result<Vec<String>> {
    headers_from(path, bytes)
}

fn headers_from<R: Read>(path: &Path, input: R) -> Result<Vec<String>> {
    let mut reader = csv_reader(path, input, Delimiter::Detect)?;
    trimmed_headers(path, &mut reader)
}

/// `;` when the first line has more semicolons than commas (Swedish spreadsheets save CSV so),
/// else `,`. The whole first line counts, however long.
fn detect_delimiter(head: &[u8]) -> u8 {
    let first_line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let first_line = &head[..first_line_end];
    let commas = first_line.iter().filter(|&&b| b == b',').count();
    let semicolons = first_line.iter().filter(|&&b| b == b';').count();
    if semicolons > commas { b';' } else { b',' }
}

/// How the delimiter of a CSV file is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    /// From the first line ([`detect_delimiter`]): the files people give lotta (participants,
    /// outcomes, registers, costs).
    Detect,
    /// Always `,`: lotta's own files. The ledger is one: its rows are hashed field by field and
    /// new rows are appended with `,`, so a ledger re-saved with `;` by a spreadsheet must be
    /// refused (its header is then one field), not read and then extended with mixed
    /// delimiters.
    Comma,
}

/// The one configuration of a CSV reader of whole files: a header line, every record with as
/// many fields as the header (`flexible(false)`), the given delimiter, a 64 KiB buffer.
fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 16);
    builder
}

/// A CSV reader of `input` (`path` names it in messages). With [`Delimiter::Detect`] the first
/// line is read ahead to choose the delimiter and then given back to the reader, so any
/// `Read` works (a file, bytes, a header already read chained to the rest).
pub fn csv_reader<R: Read>(
    path: &Path,
    mut input: R,
    delimiter: Delimiter,
) -> Result<csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>> {
    let mut head = Vec::new();
    let delimiter = match delimiter {
        Delimiter::Comma => b',',
        Delimiter::Detect => {
            // Peek at the whole first line.
            let mut block = [0u8; 4096];
            loop {
                let n = input.read(&mut block).map_err(|e| Error::io(path, e))?;
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&block[..n]);
                if block[..n].contains(&b'\n') {
                    break;
                }
            }
            detect_delimiter(&head)
        }
    };
    Ok(builder(delimiter).from_reader(std::io::Cursor::new(head).chain(input)))
}

/// The header names of a CSV reader, each trimmed of surrounding space; an unreadable header
/// is an error on line 1.
pub fn trimmed_headers<R: Read>(path: &Path, reader: &mut csv::Reader<R>) -> Result<Vec<String>> {
    Ok(reader
        .headers()
        .map_err(|e| csv_error(path, e, Some(1)))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect())
}

/// A message for a CSV error naming the file, line and (for bad UTF-8) column; `line`
/// overrides the crate's line count (which skips blank lines).
pub fn csv_error(path: &Path, e: csv::Error, line: Option<u64>) -> Error {
    let mut location = Location::file(path);
    if let Some(l) = line.or_else(|| e.position().map(|p| p.line())) {
        location = location.with_line(l);
    }
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields like the header, found {len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            location = location.with_column(err.field() + 1);
            "the text is not valid UTF-8; save the file as UTF-8, or give its encoding with --encoding latin1 (or [data] encoding = \"latin1\" in study.toml)".to_string()
        }
        _ => format!("cannot read CSV: {e}"),
    };
    Error::data(location, message)
}

/// The bytes of a file: mapped into memory where the system allows it (the kernel's cached
/// pages are read in place, without copying a register extract into fresh memory), else read.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

impl FileBytes {
    /// Done with `start..end` of a mapped file: the kernel may drop those pages from this
    /// process's memory (`madvise(MADV_DONTNEED)`), so that a parsed stretch no longer counts
    /// in the resident set beside the columns read from it. The map is private and never
    /// written, so a later read of those bytes (the manifest's hash, a second parse) gets them
    /// from the file again, unchanged. Only whole pages inside the range are dropped; nothing
    /// happens for bytes read into memory.
    pub(crate) fn release(&self, start: usize, end: usize) {
        // 64 KiB: a multiple of every page size Linux uses on x86-64 and arm64.
        const PAGE: usize = 1 << 16;
        #[cfg(unix)]
        if let FileBytes::Mapped(map) = self {
            let (a, b) = (
                start.next_multiple_of(PAGE),
                end.min(map.len()) / PAGE * PAGE,
            );
            if b > a {
                // SAFETY: DONTNEED on a private, read-only file map changes no byte a reader
                // sees (pages come back from the file on the next read); the error of a
                // kernel that refuses is of no consequence.
                let _ = unsafe {
                    map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, a, b - a)
                };
            }
        }
        #[cfg(not(unix))]
        let _ = (start, end);
    }
}

/// The bytes of the file at `path`.
pub fn file_bytes(path: &Path) -> Result<FileBytes> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > 0 {
        // SAFETY: the map is only read, and only while this function's caller parses it. Like
        // every program that maps files (ripgrep, for one), lotta relies on the input not being
        // truncated by another process while it reads; register extracts are not written to
        // while they are analysed.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(FileBytes::Mapped(map));
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(|e| Error::io(path, e))?;
    Ok(FileBytes::Read(bytes))
}

/// The 0-based position of each requested column among `headers` (a file's column names, in
/// order): an empty header, a name that appears twice, or a requested column that is not there
/// (with the nearest name) is an error on the header (line 1). Every input format checks its
/// column names here.
pub fn column_positions(
    path: &Path,
    headers: &[String],
    requests: &[ColumnRequest],
) -> Result<Vec<usize>> {
    if headers.iter().all(|h| h.is_empty()) {
        return Err(Error::data(
            Location::file(path).with_line(1),
            "the file is empty; expected a header line with column names",
        ));
    }
    for (i, h) in headers.iter().enumerate() {
        if let Some(j) = headers[..i].iter().position(|other| other == h) {
            return Err(Error::data(
                Location::file(path)
                    .with_line(1)
                    .with_column(i + 1)
                    .with_field(h),
                format!("column name `{h}` appears twice (also column {})", j + 1),
            ));
        }
    }
    let mut positions = Vec::with_capacity(requests.len());
    for request in requests {
        match headers.iter().position(|h| *h == request.name) {
            Some(p) => positions.push(p),
            None => {
                let mut err = Error::data(
                    Location::file(path).with_line(1),
                    format!(
                        "no column `{}`; the header has: {}",
                        request.name,
                        headers.join(", ")
                    ),
                );
                if let Some(s) = nearest(&request.name, headers.iter().map(String::as_str)) {
                    err = err.with_hint(format!("did you mean `{s}`?"));
                }
                return Err(err);
            }
        }
    }
    Ok(positions)
}

/// Bytes of CSV body per chunk parsed in parallel. The result never depends on the chunking:
/// chunks are parsed independently and joined in file order.
const CHUNK_BYTES: usize = 4 << 20;

/// The code of a missing cell (empty, `NA`, `.`, …: [`MISSING_CELLS`]) in a category column.
pub const MISSING_CODE: u32 = u32::MAX;

/// Where one stretch of the file writes its rows: slices of the table's columns.
enum Slot<'a> {
    Text(&'a mut [String]),
    Number(&'a mut [f64]),
    /// Codes into the stretch's own levels, renumbered into the file's levels once every
    /// stretch is read.
    Codes(&'a mut [u32], ChunkCoder),
}

impl<'a> Slot<'a> {
    /// All of `column`'s rows, with no category level met yet.
    fn of(column: &'a mut ColumnData) -> Slot<'a> {
        match column {
            ColumnData::Text(v) => Slot::Text(v.as_mut_slice()),
            ColumnData::Number(v) => Slot::Number(v.as_mut_slice()),
            ColumnData::Codes { codes, .. } => {
                Slot::Codes(codes.as_mut_slice(), ChunkCoder::default())
            }
        }
    }
}

/// The levels of a category column met in one stretch of the file, in the order first met.
type ChunkCoder = crate::categorical::Coder<String>;

/// The code of `cell` in `coder`; None beyond [`MISSING_CODE`] levels.
fn code_cell(coder: &mut ChunkCoder, cell: &str) -> Option<u32> {
    u32::try_from(coder.code_ref(cell))
        .ok()
        .filter(|&c| c < MISSING_CODE)
}

/// The line in the file of every data row, kept as runs of rows on consecutive lines: a file
/// without blank lines or quoted line breaks is one run, however many rows it has, so no
/// per-row line number is stored (a million rows would take 8 MB) and every message still
/// names the line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RowLines {
    /// (first row, its line) of each run, rows increasing.
    runs: Vec<(usize, u64)>,
    rows: usize,
}

impl RowLines {
    /// Every row's line, in row order.
    pub(crate) fn from_lines(lines: impl IntoIterator<Item = u64>) -> RowLines {
        let mut out = RowLines::default();
        for line in lines {
            out.push(line);
        }
        out
    }

    /// The next row is on `line`.
    fn push(&mut self, line: u64) {
        self.push_run(self.rows, line);
        self.rows += 1;
    }

    /// A run starting at `row` on `line`, unless the last run already continues there.
    fn push_run(&mut self, row: usize, line: u64) {
        let continues = self
            .runs
            .last()
            .is_some_and(|&(r, l)| l + (row - r) as u64 == line);
        if !continues {
            self.runs.push((row, line));
        }
    }

    /// The rows of `other` after these.
    fn append(&mut self, other: &RowLines) {
        for &(r, l) in &other.runs {
            self.push_run(self.rows + r, l);
        }
        self.rows += other.rows;
    }

    fn len(&self) -> usize {
        self.rows
    }

    /// The line of row `row` (0-based); None past the last row.
    fn line(&self, row: usize) -> Option<u64> {
        if row >= self.rows {
            return None;
        }
        let k = self.runs.partition_point(|&(r, _)| r <= row);
        let &(r, l) = self.runs.get(k.checked_sub(1)?)?;
        Some(l + (row - r) as u64)
    }
}

/// The codes of a few category cells met in one stretch, by their bytes as written: a column
/// of arms or genders has a handful of distinct cells, and one met again takes its code
/// without the UTF-8 check, the trimming and the search among the levels. The code of a cell's
/// bytes never changes once given (a level keeps its code, a missing cell is always
/// [`MISSING_CODE`]), so the result is the same as reading the cell. Cells of up to 16 bytes
/// are kept and compared as two words and their length ([`KnownCells::key`]): comparing them
/// as slices called the C library's `bcmp` for every cell (1.4% of a 10M-row run, for
/// one-byte genders); longer cells are read the general way.
#[derive(Debug, Clone, Default)]
struct KnownCells {
    cells: Vec<(CellKey, u32)>,
}

/// A cell of up to 16 bytes: its length and its bytes, zeros after them.
type CellKey = (usize, [u64; 2]);

impl KnownCells {
    /// Cells remembered per column: beyond, a cell is read the general way.
    const MOST: usize = 8;

    /// The key of `raw`; None when it is longer than 16 bytes.
    fn key(raw: &[u8]) -> Option<CellKey> {
        if raw.len() > 16 {
            return None;
        }
        let mut words = [0u64; 2];
        for (i, &b) in raw.iter().enumerate() {
            words[i / 8] |= u64::from(b) << (8 * (i % 8));
        }
        Some((raw.len(), words))
    }

    fn code(&self, raw: &[u8]) -> Option<u32> {
        let key = Self::key(raw)?;
        self.cells
            .iter()
            .find(|(known, _)| *known == key)
            .map(|&(_, code)| code)
    }

    fn learn(&mut self, raw: &[u8], code: u32) {
        if self.cells.len() < Self::MOST
            && let Some(key) = Self::key(raw)
        {
            self.cells.push((key, code));
        }
    }
}

/// What one stretch of the file gave: its number of rows, their lines, and for each category
/// column the stretch's levels (None for other columns).
struct Parsed {
    rows: usize,
    lines: RowLines,
    levels: Vec<Option<Vec<String>>>,
}

/// What the first parallel pass finds in one stretch of the file.
struct Counted {
    /// Its line feeds.
    feeds: usize,
    /// Whether it holds a quote.
    quoted: bool,
    /// Its carriage returns not followed by a line feed: the csv crate ends a record at each, so
    /// they count like line feeds for the records the stretch may hold.
    lone_carriages: usize,
}

/// `len` copies of `value`, written by all threads: the first write to fresh memory is what
/// costs (the kernel hands out each page then), so it is spread over the cores.
fn filled<T: Clone + Send + Sync>(len: usize, value: T) -> Vec<T> {
    use rayon::prelude::*;
    (0..len).into_par_iter().map(|_| value.clone()).collect()
}

/// The number of line feeds in `bytes`.
fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Bytes of a stretch that [`scan_stretch`] searches twice while they are in the cache.
const SCAN_PIECE: usize = 32 << 10;

/// The line feeds of `stretch`, and the place of its first quote or carriage return: the two
/// searches of the first pass over each piece of [`SCAN_PIECE`] bytes in turn, so that the
/// second reads the piece from the processor's cache instead of the stretch again from memory.
fn scan_stretch(stretch: &[u8]) -> (usize, Option<usize>) {
    let mut feeds = 0;
    let mut first = None;
    for (k, piece) in stretch.chunks(SCAN_PIECE).enumerate() {
        feeds += count_lines(piece) as usize;
        if first.is_none() {
            first = memchr::memchr2(b'"', b'\r', piece).map(|p| k * SCAN_PIECE + p);
        }
    }
    (feeds, first)
}

/// Split `body` into stretches of about [`CHUNK_BYTES`] that end just after a line feed. Only
/// valid when no field is quoted (a quoted field may hold a line feed).
fn split_at_lines(body: &[u8], chunk_bytes: usize) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let end = (start + chunk_bytes.max(1)).min(body.len());
        let end = match memchr::memchr(b'\n', &body[end - 1..]) {
            Some(p) => end + p,
            None => body.len(),
        };
        chunks.push((start, end));
        start = end;
    }
    chunks
}

/// What parsing needs to know about the file.
struct Layout<'a> {
    path: &'a Path,
    delimiter: u8,
    fields: usize,
    requests: &'a [ColumnRequest],
    positions: &'a [usize],
    format: CsvFormat,
}

impl Layout<'_> {
    fn error(&self, line: u64, pos: usize, name: &str, message: impl Into<String>) -> Error {
        Error::data(self.cell(line, pos, name), message)
    }

    /// Where the cell of column `name` (at 0-based position `pos`) on `line` is.
    fn cell(&self, line: u64, pos: usize, name: &str) -> Location {
        Location::file(self.path)
            .with_line(line)
            .with_column(pos + 1)
            .with_field(name)
    }

    /// Parse the records of `chunk`, whose first byte is on line `first_line` of the file, into
    /// `columns` (which have `room` places, one for every record the chunk can hold). `found`
    /// is what the first pass found in these bytes. Line numbers are counted from the line
    /// feeds before each record, so blank lines and quoted line breaks are counted too.
    fn parse(
        &self,
        chunk: &[u8],
        first_line: u64,
        mut columns: Vec<Slot<'_>>,
        room: usize,
        found: &Counted,
    ) -> Result<Parsed> {
        // A chunk without quotes and without a carriage return other than before a line feed
        // is split at line feeds and delimiters directly; anything else goes through the csv
        // crate, which reads a lone `\r` as a line end and handles quotes. The first pass
        // already searched these bytes for both (searching again was 2% of a 10M-row run).
        let plain = !found.quoted && found.lone_carriages == 0;
        let (rows, lines) = if plain {
            self.parse_plain(chunk, first_line, &mut columns, room)?
        } else {
            self.parse_csv(chunk, first_line, &mut columns, room)?
        };
        let levels = columns
            .into_iter()
            .map(|slot| match slot {
                Slot::Codes(_, coder) => Some(coder.into_levels()),
                _ => None,
            })
            .collect();
        Ok(Parsed {
            rows,
            lines,
            levels,
        })
    }

    /// [`Layout::parse`] of a chunk with no quote and no lone carriage return: every line feed
    /// ends a record, every delimiter ends a field.
    fn parse_plain(
        &self,
        chunk: &[u8],
        first_line: u64,
        columns: &mut [Slot<'_>],
        room: usize,
    ) -> Result<(usize, RowLines)> {
        let mut lines = RowLines::default();
        let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(self.fields);
        // The requests in the order of their fields, for the walk of [`Layout::record_in_order`].
        let mut order: Vec<(usize, usize)> = self.positions.iter().copied().zip(0..).collect();
        order.sort_unstable();
        // For each place of `order`: how many requests from it on are number cells of
        // consecutive fields, read together by [`crate::io::decimal::short_decimal_run`].
        let mut runs = vec![0usize; order.len()];
        for i in (0..order.len()).rev() {
            let (pos, j) = order[i];
            if matches!(columns.get(j), Some(Slot::Number(_))) {
                runs[i] = match (order.get(i + 1), runs.get(i + 1)) {
                    (Some(&(next, _)), Some(&run)) if next == pos + 1 => run + 1,
                    _ => 1,
                };
            }
        }
        let mut known: Vec<KnownCells> = vec![KnownCells::default(); columns.len()];
        let mut row = 0;
        let mut start = 0;
        let mut line = first_line;
        while start < chunk.len() {
            let this_line = line;
            line += 1;
            let rest = &chunk[start..];
            // The walk finds the record's end itself: no search for the line feed first.
            if row < room
                && !matches!(rest.first(), Some(b'\n' | b'\r'))
                && let Some(next) =
                    self.record_in_order(rest, this_line, row, (&order, &runs), columns, &mut known)
            {
                lines.push(this_line);
                row += 1;
                start += next;
                continue;
            }
            let end = memchr::memchr(b'\n', rest).map_or(chunk.len(), |p| start + p);
            let mut record = &chunk[start..end];
            if let [rest @ .., b'\r'] = record {
                record = rest;
            }
            start = end + 1;
            if record.is_empty() {
                continue; // a blank line
            }
            // Anything the walk does not read (a wrong number of fields, a cell in error, a
            // file that changed): the record again, split first, with the general messages.
            split_fields(record, self.delimiter, &mut bounds);
            self.check_record(this_line, bounds.len(), row, room)?;
            lines.push(this_line);
            for (j, column) in columns.iter_mut().enumerate() {
                let pos = self.positions[j];
                let raw = bounds.get(pos).map_or(&b""[..], |&(a, b)| &record[a..b]);
                self.store(this_line, row, j, raw, column)?;
            }
            row += 1;
        }
        Ok((row, lines))
    }

    /// Row `row` from the record at the start of `rest` (on `line`; `rest` is the rest of a
    /// chunk with no quote and no lone carriage return, the record not blank) in one walk over
    /// its bytes, the requested fields in file order (`order`: (field, request)): a number cell
    /// that is a plain decimal ending at the delimiter or the line's end is read as the walk
    /// finds it ([`crate::io::decimal::plain_decimal_prefix`]); a category cell whose bytes were
    /// met before takes their code ([`KnownCells`]); any other cell is found ([`next_stop`], 8
    /// bytes at a time, as are the fields skipped), then read by [`Layout::store`]. The walk
    /// ends at the record's line feed, so the line needs no search of its own. Gives where the
    /// next record starts (past the line feed; the length of `rest` when none ends it). None
    /// when the record does not have the header's number of fields or a cell is in error: the
    /// caller then reads the record again the general way, which gives the message (storing a
    /// cell twice stores the same value, and a category's level met again keeps its code).
    /// `runs` gives, for each place of `order`, how many requests from it on are number cells
    /// of consecutive fields: those are read together while they are short decimals
    /// ([`crate::io::decimal::short_decimal_run`]), the rest cell by cell below.
    fn record_in_order(
        &self,
        rest: &[u8],
        line: u64,
        row: usize,
        (order, runs): (&[(usize, usize)], &[usize]),
        columns: &mut [Slot<'_>],
        known: &mut [KnownCells],
    ) -> Option<usize> {
        let delimiter = self.delimiter;
        // The field starting at `from`: where its text ends, and the byte that ends it (a
        // delimiter, the line feed, or the end of `rest`). A carriage return is only ever
        // before a line feed here, and is not part of the last field, as the record read the
        // general way does not hold it.
        let field_end = |from: usize| {
            let stop = next_stop(rest, from, delimiter);
            let text_end = if rest.get(stop) != Some(&delimiter)
                && stop > from
                && rest.get(stop - 1) == Some(&b'\r')
            {
                stop - 1
            } else {
                stop
            };
            (text_end, stop)
        };
        // The field the walk is on, where it starts, and (its text's end, the byte that ends
        // it) once found.
        let (mut field, mut start, mut end) = (0usize, 0usize, None);
        let mut next = 0;
        while let Some(&(pos, j)) = order.get(next) {
            next += 1;
            while field < pos {
                let (_, stop) = end.unwrap_or_else(|| field_end(start));
                if rest.get(stop) != Some(&delimiter) {
                    return None; // fewer fields than the header
                }
                (field, start, end) = (field + 1, stop + 1, None);
            }
            let run = runs.get(next - 1).copied().unwrap_or(0);
            if run > 0 {
                let mut values = [0.0; crate::io::decimal::SHORT_RUN];
                let (read, ends) =
                    crate::io::decimal::short_decimal_run(rest, start, delimiter, run, &mut values);
                if read > 0 {
                    for (&value, &(_, j)) in values[..read].iter().zip(&order[next - 1..]) {
                        match columns.get_mut(j) {
                            Some(Slot::Number(column)) => *column.get_mut(row)? = value,
                            _ => return None,
                        }
                    }
                    // The walk stands on the last cell read, its end known.
                    let (last_start, text_end, stop) = ends;
                    (field, start, end) = (pos + read - 1, last_start, Some((text_end, stop)));
                    next += read - 1;
                    continue;
                }
            }
            let column = columns.get_mut(j)?;
            let tail = rest.get(start..).unwrap_or_default();
            if let Slot::Number(values) = column
                && let Some((v, n)) = crate::io::decimal::plain_decimal_prefix(tail)
                && let Some(stop) = match tail.get(n) {
                    None => Some(n),
                    Some(&b) if b == delimiter || b == b'\n' => Some(n),
                    Some(b'\r') if tail.get(n + 1) == Some(&b'\n') => Some(n + 1),
                    Some(_) => None,
                }
                && let Some(place) = values.get_mut(row)
            {
                *place = v;
                end = Some((start + n, start + stop));
                continue;
            }
            let (e, stop) = end.unwrap_or_else(|| field_end(start));
            end = Some((e, stop));
            let raw = rest.get(start..e).unwrap_or_default();
            if let Slot::Codes(codes, _) = column
                && let Some(cells) = known.get(j)
                && let Some(code) = cells.code(raw)
                && let Some(place) = codes.get_mut(row)
            {
                *place = code;
                continue;
            }
            if self.store(line, row, j, raw, column).is_err() {
                return None;
            }
            if let Slot::Codes(codes, _) = column
                && let Some(&code) = codes.get(row)
                && let Some(cells) = known.get_mut(j)
            {
                cells.learn(raw, code);
            }
        }
        // The fields after the last requested one, to the line's end: the header's number in
        // all.
        let (_, mut stop) = end.unwrap_or_else(|| field_end(start));
        while rest.get(stop) == Some(&delimiter) {
            field += 1;
            stop = next_stop(rest, stop + 1, delimiter);
        }
        (field + 1 == self.fields).then_some((stop + 1).min(rest.len()))
    }

    /// A record of `found` fields on `line`, to be row `row` of a chunk with `room` places.
    fn check_record(&self, line: u64, found: usize, row: usize, room: usize) -> Result<()> {
        if found != self.fields {
            return Err(Error::data(
                Location::file(self.path).with_line(line),
                format!(
                    "expected {} fields like the header, found {found}",
                    self.fields
                ),
            ));
        }
        if row >= room {
            return Err(Error::data(
                Location::file(self.path).with_line(line),
                "more records than lines; the file changed while it was read",
            ));
        }
        Ok(())
    }

    /// [`Layout::parse`] by the csv crate (quoted fields, lone carriage returns).
    fn parse_csv(
        &self,
        chunk: &[u8],
        first_line: u64,
        columns: &mut [Slot<'_>],
        room: usize,
    ) -> Result<(usize, RowLines)> {
        // Records only (the header was read with [`builder`]), flexible: a row with the wrong
        // number of fields is reported below with its line counted from the line feeds.
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(chunk);
        let mut record = csv::ByteRecord::new();
        let (mut cursor, mut line) = (0usize, first_line);
        let mut line_at = |byte: usize| {
            let byte = byte.min(chunk.len());
            if byte > cursor {
                line += count_lines(&chunk[cursor..byte]);
                cursor = byte;
            }
            line
        };
        let mut lines = RowLines::default();
        let mut row = 0;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let at = e.position().map(|p| line_at(p.byte() as usize));
                    return Err(csv_error(self.path, e, at));
                }
            }
            // The reader's position is where it started looking, before any blank lines it
            // skipped: the record itself starts at the first byte that ends no line.
            let mut start = record.position().map_or(0, |p| p.byte() as usize);
            while chunk.get(start).is_some_and(|&b| b == b'\n' || b == b'\r') {
                start += 1;
            }
            let line = line_at(start);
            if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                continue; // a blank line
            }
            self.check_record(line, record.len(), row, room)?;
            lines.push(line);
            for (j, column) in columns.iter_mut().enumerate() {
                let raw = record.get(self.positions[j]).unwrap_or(b"");
                self.store(line, row, j, raw, column)?;
            }
            row += 1;
        }
        Ok((row, lines))
    }

    /// The cell `raw` of request `j` on `line`, as row `row` of `column`.
    fn store(
        &self,
        line: u64,
        row: usize,
        j: usize,
        raw: &[u8],
        column: &mut Slot<'_>,
    ) -> Result<()> {
        // Most number cells of a register extract are plain decimals (`-1.0843`): read them
        // straight from the bytes, exactly ([`crate::io::decimal`]); the rest below.
        if let Slot::Number(values) = column
            && let Some(v) = crate::io::decimal::plain_decimal(raw)
        {
            values[row] = v;
            return Ok(());
        }
        let request = &self.requests[j];
        let pos = self.positions[j];
        let cell = std::str::from_utf8(raw)
            .map_err(|_| {
                self.error(
                    line,
                    pos,
                    &request.name,
                    "the text is not valid UTF-8; save the file as UTF-8, or give its encoding with --encoding latin1 (or [data] encoding = \"latin1\" in study.toml)",
                )
            })?
            .trim();
        match column {
            Slot::Text(values) => values[row] = cell.to_string(),
            Slot::Codes(values, coder) => {
                values[row] = if is_missing(cell) {
                    MISSING_CODE
                } else {
                    code_cell(coder, cell).ok_or_else(|| {
                        self.error(
                            line,
                            pos,
                            &request.name,
                            "more distinct values than lotta can code in one column",
                        )
                    })?
                };
            }
            Slot::Number(values) => {
                values[row] = if is_missing(cell) {
                    if request.kind == ColumnKind::Number {
                        return Err(self.error(
                            line,
                            pos,
                            &request.name,
                            format!("missing value (`{cell}`); expected a number"),
                        ));
                    }
                    f64::NAN
                } else {
                    match self.format.number(cell) {
                        Some(v) => v,
                        None => {
                            return Err(Error::NotANumber(Box::new(Problem {
                                location: self.cell(line, pos, &request.name),
                                message: format!("expected a number, found `{cell}`"),
                                hint: None,
                            })));
                        }
                    }
                };
            }
        }
        Ok(())
    }
}

impl Table {
    /// Read the requested columns of the CSV file at `path`.
    pub fn read(path: &Path, requests: &[ColumnRequest]) -> Result<Table> {
        let bytes = file_bytes(path)?;
        Self::from_file_bytes_as(path, &bytes, requests, CsvFormat::default())
    }

    /// [`Table::from_bytes_as`] of a whole file's bytes, releasing each parsed stretch of a
    /// mapped file ([`FileBytes::release`]): the peak memory is the columns, not the columns
    /// and the file.
    pub fn from_file_bytes_as(
        path: &Path,
        bytes: &FileBytes,
        requests: &[ColumnRequest],
        format: CsvFormat,
    ) -> Result<Table> {
        Self::parse_chunks(path, bytes, requests, CHUNK_BYTES, format, Some(bytes))
    }

    /// Read the requested columns from any reader; `path` names the source in messages.
    pub fn from_reader<R: Read>(
        path: &Path,
        mut input: R,
        requests: &[ColumnRequest],
    ) -> Result<Table> {
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        Self::from_bytes(path, &bytes, requests)
    }

    /// Read the requested columns of a whole CSV text. A file without quotes (the usual register
    /// extract) is cut at line feeds into stretches parsed in parallel; a quoted field may hold
    /// a line feed, so a file with quotes is parsed in one pass. Either way the columns, and the
    /// first error in file order, are the same.
    pub fn from_bytes(path: &Path, bytes: &[u8], requests: &[ColumnRequest]) -> Result<Table> {
        Self::from_bytes_in_chunks_as(path, bytes, requests, CHUNK_BYTES, CsvFormat::default())
    }

    /// [`Table::from_bytes`] for UTF-8 bytes of a file written in `format` (decimal comma).
    pub fn from_bytes_as(
        path: &Path,
        bytes: &[u8],
        requests: &[ColumnRequest],
        format: CsvFormat,
    ) -> Result<Table> {
        Self::from_bytes_in_chunks_as(path, bytes, requests, CHUNK_BYTES, format)
    }

    #[cfg(test)]
    fn from_bytes_in_chunks(
        path: &Path,
        bytes: &[u8],
        requests: &[ColumnRequest],
        chunk_bytes: usize,
    ) -> Result<Table> {
        Self::from_bytes_in_chunks_as(path, bytes, requests, chunk_bytes, CsvFormat::default())
    }

    fn from_bytes_in_chunks_as(
        path: &Path,
        bytes: &[u8],
        requests: &[ColumnRequest],
        chunk_bytes: usize,
        format: CsvFormat,
    ) -> Result<Table> {
        Self::parse_chunks(path, bytes, requests, chunk_bytes, format, None)
    }

    /// The parse itself; `mapped`, when given, is the file `bytes` are all of, whose parsed
    /// stretches are released.
    fn parse_chunks(
        path: &Path,
        bytes: &[u8],
        requests: &[ColumnRequest],
        chunk_bytes: usize,
        format: CsvFormat,
        mapped: Option<&FileBytes>,
    ) -> Result<Table> {
        use rayon::prelude::*;
        // The bytes are all here: the delimiter is chosen once and used for the header and for
        // every chunk of the body.
        let delimiter = detect_delimiter(bytes);
        let mut reader = builder(delimiter).from_reader(bytes);
        let headers = trimmed_headers(path, &mut reader)?;
        let positions = column_positions(path, &headers, requests)?;
        let body_start = (reader.position().byte() as usize).min(bytes.len());
        let body = &bytes[body_start..];
        let layout = Layout {
            path,
            delimiter,
            fields: headers.len(),
            requests,
            positions: &positions,
            format,
        };
        // The stretches between line feeds, their line feeds counted and searched for a quote in
        // one parallel pass (a search of the whole file first, on one thread, took a tenth of a
        // second per 100 MB before any other work could start). A quoted field may hold a line
        // feed, so a file with a quote anywhere is parsed as one stretch. A mapped file's
        // counted stretch is released at once (the parse below maps it again from the kernel's
        // cache), so that the whole file is never resident beside the columns.
        let stretches = split_at_lines(body, chunk_bytes);
        // A carriage return is looked for in the same search: the csv crate ends a record at a
        // lone one too, so a stretch with one may hold more records than line feeds.
        let counted: Vec<Counted> = stretches
            .par_iter()
            .map(|&(a, b)| {
                let stretch = &body[a..b];
                let (feeds, first_quote_or_carriage) = scan_stretch(stretch);
                let (quoted, lone_carriages) = match first_quote_or_carriage {
                    None => (false, 0),
                    Some(p) => (
                        memchr::memchr(b'"', &stretch[p..]).is_some(),
                        memchr::memchr_iter(b'\r', &stretch[p..])
                            .filter(|&i| stretch.get(p + i + 1) != Some(&b'\n'))
                            .count(),
                    ),
                };
                if let Some(file) = mapped {
                    file.release(body_start + a, body_start + b);
                }
                Counted {
                    feeds,
                    quoted,
                    lone_carriages,
                }
            })
            .collect();
        let (chunks, counted): (Vec<(usize, usize)>, Vec<Counted>) =
            if counted.iter().any(|c| c.quoted) {
                let whole = Counted {
                    feeds: counted.iter().map(|c| c.feeds).sum(),
                    quoted: true,
                    lone_carriages: counted.iter().map(|c| c.lone_carriages).sum(),
                };
                (vec![(0, body.len())], vec![whole])
            } else {
                (stretches, counted)
            };
        let feeds: Vec<usize> = counted.iter().map(|c| c.feeds).collect();
        // The line each chunk starts on (1 + the line feeds before it).
        let mut first_lines = Vec::with_capacity(chunks.len());
        let mut line = 1 + count_lines(&bytes[..body_start]);
        for &f in &feeds {
            first_lines.push(line);
            line += f as u64;
        }
        // Room for the records of each chunk. A record ends at a line feed, at a lone carriage
        // return (the csv crate's rule) or at the end of the body: a chunk has at most as many
        // records as line feeds and lone carriage returns, one more when it does not end with a
        // line feed (the last chunk of a file without a final line feed). With no place to
        // spare, the rows of a file without blank lines stay where the chunks wrote them, and
        // nothing is moved below.
        let room: Vec<usize> = chunks
            .iter()
            .zip(&counted)
            .map(|(&(a, b), c)| {
                let open_end = body[a..b].last() != Some(&b'\n');
                c.feeds + c.lone_carriages + usize::from(open_end)
            })
            .collect();
        let total: usize = room.iter().sum();
        // Every kept row of a number or code column is written by the parse (the gaps are closed
        // and the spare places cut below), so the starting value is never read. Zeros are asked
        // of the allocator as zeroed memory, which fresh pages from the kernel already are: each
        // page is first written by the parse, instead of once by a fill and again by the parse.
        let mut columns: Vec<ColumnData> = requests
            .iter()
            .map(|r| match r.kind {
                ColumnKind::Text => ColumnData::Text(filled(total, String::new())),
                ColumnKind::Category => ColumnData::Codes {
                    levels: Vec::new(),
                    codes: vec![0; total],
                },
                _ => ColumnData::Number(vec![0.0; total]),
            })
            .collect();
        let parsed: Vec<Result<Parsed>> = {
            let mut rest_columns: Vec<Slot<'_>> = columns.iter_mut().map(Slot::of).collect();
            let mut outs = Vec::with_capacity(chunks.len());
            for &r in &room {
                let mut parts = Vec::with_capacity(rest_columns.len());
                for slot in rest_columns.iter_mut() {
                    match slot {
                        Slot::Text(v) => {
                            let (head, tail) = std::mem::take(v).split_at_mut(r);
                            *v = tail;
                            parts.push(Slot::Text(head));
                        }
                        Slot::Number(v) => {
                            let (head, tail) = std::mem::take(v).split_at_mut(r);
                            *v = tail;
                            parts.push(Slot::Number(head));
                        }
                        Slot::Codes(v, _) => {
                            let (head, tail) = std::mem::take(v).split_at_mut(r);
                            *v = tail;
                            parts.push(Slot::Codes(head, ChunkCoder::default()));
                        }
                    }
                }
                outs.push(parts);
            }
            chunks
                .par_iter()
                .zip(&first_lines)
                .zip(outs.into_par_iter().zip(&room).zip(&counted))
                .map(|((&(a, b), &first), ((out, &r), found))| {
                    let parsed = layout.parse(&body[a..b], first, out, r, found);
                    if let Some(file) = mapped {
                        file.release(body_start + a, body_start + b);
                    }
                    parsed
                })
                .collect()
        };
        // The first error in file order; the chunks' levels joined in file order, so that every
        // level keeps the place where the file first has it.
        let parsed = parsed.into_iter().collect::<Result<Vec<Parsed>>>()?;
        for (j, column) in columns.iter_mut().enumerate() {
            let ColumnData::Codes { levels, codes } = column else {
                continue;
            };
            let mut file_levels = ChunkCoder::default();
            let mut remaps: Vec<Vec<u32>> = Vec::with_capacity(parsed.len());
            for part in &parsed {
                let remap = part.levels[j]
                    .iter()
                    .flatten()
                    .map(|level| code_cell(&mut file_levels, level))
                    .collect::<Option<Vec<u32>>>()
                    .ok_or_else(|| {
                        Error::data(
                            Location::file(path).with_field(&requests[j].name),
                            "more distinct values than lotta can code in one column",
                        )
                    })?;
                remaps.push(remap);
            }
            *levels = file_levels.into_levels();
            crate::parts::split_lengths(codes, room.iter().copied())
                .into_par_iter()
                .zip(&remaps)
                .zip(&parsed)
                .for_each(|((piece, remap), part)| {
                    for c in &mut piece[..part.rows] {
                        if let Some(&global) = remap.get(*c as usize) {
                            *c = global;
                        }
                    }
                });
        }
        // Close the gaps the blank lines and each chunk's spare place left, in file order.
        let mut written = 0;
        let mut start = 0;
        let mut lines = RowLines::default();
        for (part, r) in parsed.iter().zip(&room) {
            let count = part.rows;
            if start != written {
                for column in columns.iter_mut() {
                    match column {
                        ColumnData::Text(v) => {
                            for i in 0..count {
                                v.swap(written + i, start + i);
                            }
                        }
                        ColumnData::Number(v) => v.copy_within(start..start + count, written),
                        ColumnData::Codes { codes, .. } => {
                            codes.copy_within(start..start + count, written)
                        }
                    }
                }
            }
            lines.append(&part.lines);
            written += count;
            start += r;
        }
        for column in columns.iter_mut() {
            match column {
                ColumnData::Text(v) => v.truncate(written),
                ColumnData::Number(v) => v.truncate(written),
                ColumnData::Codes { codes, .. } => codes.truncate(written),
            }
        }
        Ok(Table {
            path: path.to_path_buf(),
            format,
            names: requests.iter().map(|r| r.name.clone()).collect(),
            positions,
            columns,
            lines,
        })
    }

    /// A table of columns already typed by another input format's reader
    /// ([`crate::io::formats`]): `positions` are the 0-based places of the columns in the file,
    /// `lines` the line (the header being line 1) of every row, for messages.
    pub(crate) fn from_columns(
        path: &Path,
        format: CsvFormat,
        requests: &[ColumnRequest],
        positions: Vec<usize>,
        columns: Vec<ColumnData>,
        lines: impl IntoIterator<Item = u64>,
    ) -> Table {
        Table {
            path: path.to_path_buf(),
            format,
            names: requests.iter().map(|r| r.name.clone()).collect(),
            positions,
            columns,
            lines: RowLines::from_lines(lines),
        }
    }

    /// How the file is written.
    pub fn format(&self) -> CsvFormat {
        self.format
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn n_rows(&self) -> usize {
        self.lines.len()
    }

    /// The 1-based line in the file of data row `row` (0-based).
    pub fn line(&self, row: usize) -> u64 {
        self.lines.line(row).unwrap_or(0)
    }

    /// Where data row `row` of column `name` is, for a message.
    pub fn location(&self, row: usize, name: &str) -> Location {
        let mut loc = Location::file(&self.path).with_line(self.line(row));
        if let Some(i) = self.names.iter().position(|n| n == name) {
            loc = loc.with_column(self.positions[i] + 1);
        }
        loc.with_field(name)
    }

    fn index(&self, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            Error::data(
                Location::file(&self.path),
                format!("column `{name}` was not read"),
            )
        })
    }

    /// The values of a text column.
    pub fn text(&self, name: &str) -> Result<&[String]> {
        match &self.columns[self.index(name)?] {
            ColumnData::Text(v) => Ok(v),
            ColumnData::Number(_) => Err(Error::data(
                Location::file(&self.path).with_field(name),
                "column was read as numbers, not text",
            )),
            ColumnData::Codes { .. } => Err(Error::data(
                Location::file(&self.path).with_field(name),
                "column was read as categories, not text",
            )),
        }
    }

    /// The levels (in the order the file first has them) and every row's code of a category
    /// column ([`ColumnKind::Category`]; [`MISSING_CODE`] where missing); None for a column
    /// read otherwise.
    pub fn categories(&self, name: &str) -> Option<(&[String], &[u32])> {
        match &self.columns[self.index(name).ok()?] {
            ColumnData::Codes { levels, codes } => Some((levels, codes)),
            _ => None,
        }
    }

    /// The values of a numeric column (NaN where missing, for optional columns).
    pub fn number(&self, name: &str) -> Result<&[f64]> {
        match &self.columns[self.index(name)?] {
            ColumnData::Number(v) => Ok(v),
            ColumnData::Text(_) | ColumnData::Codes { .. } => Err(Error::data(
                Location::file(&self.path).with_field(name),
                "column was read as text, not numbers",
            )),
        }
    }

    /// Take a number column out of the table (to avoid a copy); None if it holds text or was
    /// not read. The table keeps an empty column under that name.
    pub fn take_number(&mut self, name: &str) -> Option<Vec<f64>> {
        let i = self.index(name).ok()?;
        match &mut self.columns[i] {
            ColumnData::Number(v) => Some(std::mem::take(v)),
            ColumnData::Text(_) | ColumnData::Codes { .. } => None,
        }
    }

    /// Take a text column out of the table (to avoid a copy).
    pub fn take_text(&mut self, name: &str) -> Result<Vec<String>> {
        let i = self.index(name)?;
        match &mut self.columns[i] {
            ColumnData::Text(v) => Ok(std::mem::take(v)),
            ColumnData::Number(_) | ColumnData::Codes { .. } => Err(Error::data(
                Location::file(&self.path).with_field(name),
                "column was read as numbers, not text",
            )),
        }
    }
}

/// The bytes of `t` that are zero, as the high bit of each: a byte b of `t` is zero exactly
/// when the high bit of !(((b & 0x7f) + 0x7f) | b | 0x7f) is set (no carry crosses a byte:
/// 0x7f + 0x7f < 0x100), so no byte is ever found by mistake.
fn zero_bytes(t: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((t & LOW7).wrapping_add(LOW7)) | t | LOW7)
}

/// The first place at or after `from` in `bytes` holding `delimiter` or a line feed, or the
/// length of `bytes` when none does: the end of a field. Read 8 bytes at a time (fields such as
/// ids and text run past a few bytes, where a byte loop mispredicts its end), the bytes equal
/// to either found together by [`zero_bytes`].
fn next_stop(bytes: &[u8], from: usize, delimiter: u8) -> usize {
    let delimiters = u64::from_le_bytes([delimiter; 8]);
    let feeds = u64::from_le_bytes([b'\n'; 8]);
    let mut at = from;
    while let Some(word) = bytes.get(at..at + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight);
        let found = zero_bytes(x ^ delimiters) | zero_bytes(x ^ feeds);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    bytes
        .get(at..)
        .and_then(|tail| tail.iter().position(|&b| b == delimiter || b == b'\n'))
        .map_or(bytes.len(), |p| at + p)
}

/// The fields of `record` split at every `delimiter`, as (start, end) byte ranges in `bounds`
/// (cleared first). A record's fields are a few bytes each, where a `memchr` call per field
/// costs more than the search itself (11% of a 10M-row parse): the record is read 8 bytes at a
/// time instead, the bytes equal to the delimiter found together in each word ([`zero_bytes`]).
fn split_fields(record: &[u8], delimiter: u8, bounds: &mut Vec<(usize, usize)>) {
    let delimiters = u64::from_le_bytes([delimiter; 8]);
    bounds.clear();
    let mut field_start = 0;
    let mut words = record.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        // The high bit of each byte that is the delimiter.
        let mut found = zero_bytes(u64::from_le_bytes(bytes) ^ delimiters);
        while found != 0 {
            let d = offset + (found.trailing_zeros() / 8) as usize;
            bounds.push((field_start, d));
            field_start = d + 1;
            found &= found - 1;
        }
        offset += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == delimiter {
            bounds.push((field_start, offset + i));
            field_start = offset + i + 1;
        }
    }
    bounds.push((field_start, record.len()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, requests: &[ColumnRequest]) -> Result<Table> {
        Table::from_reader(Path::new("t.csv"), text.as_bytes(), requests)
    }

    /// The word-at-a-time split against `memchr` field by field, the split it replaced: records
    /// of every length from 0 to 40 bytes of delimiters, digits, line-ending bytes and bytes
    /// with the high bit set (UTF-8 and Latin-1 text), for a comma, a semicolon and a tab.
    /// One chunk parsed by the plain route (the walk of [`Layout::record_in_order`], falling
    /// back to the split record) or by the csv crate's: rows, lines, columns (numbers as bits)
    /// and each category's levels, or the message.
    fn parse_chunk_by(
        layout: &Layout<'_>,
        chunk: &[u8],
        by_walk: bool,
    ) -> std::result::Result<String, String> {
        let room = count_lines(chunk) as usize + 1;
        let mut columns: Vec<ColumnData> = layout
            .requests
            .iter()
            .map(|r| match r.kind {
                ColumnKind::Text => ColumnData::Text(vec![String::new(); room]),
                ColumnKind::Category => ColumnData::Codes {
                    levels: Vec::new(),
                    codes: vec![MISSING_CODE; room],
                },
                _ => ColumnData::Number(vec![f64::NAN; room]),
            })
            .collect();
        let mut slots: Vec<Slot<'_>> = columns.iter_mut().map(Slot::of).collect();
        let parsed = if by_walk {
            layout.parse_plain(chunk, 2, &mut slots, room)
        } else {
            layout.parse_csv(chunk, 2, &mut slots, room)
        };
        let (rows, lines) = parsed.map_err(|e| e.to_string())?;
        let levels: Vec<Option<Vec<String>>> = slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Codes(_, coder) => Some(coder.into_levels()),
                _ => None,
            })
            .collect();
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match c {
                ColumnData::Number(v) => format!(
                    "{:?}",
                    v[..rows].iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                ),
                ColumnData::Text(v) => format!("{:?}", &v[..rows]),
                ColumnData::Codes { codes, .. } => format!("{:?}", &codes[..rows]),
            })
            .collect();
        Ok(format!("{rows} {lines:?} {cells:?} {levels:?}"))
    }

    #[test]
    fn a_field_requested_again_after_a_run_of_numbers_is_read_from_its_own_place() {
        // A run of number cells read together, then the run's last field requested again (the
        // walk then stands on that field): read from its own bytes, as the csv crate reads it,
        // not from the run's first cell.
        let chunk = b"1.5,2.25,3,x\n-4.5,6.75,-0.125,y\n";
        let requests = [
            ColumnRequest::number("a"),
            ColumnRequest::number("b"),
            ColumnRequest::number("c"),
            ColumnRequest::number("c"),
            ColumnRequest::number("b"),
        ];
        for positions in [[0, 1, 2, 2, 1], [1, 2, 2, 0, 1]] {
            let layout = Layout {
                path: Path::new("t.csv"),
                delimiter: b',',
                fields: 4,
                requests: &requests,
                positions: &positions,
                format: CsvFormat::default(),
            };
            let walked = parse_chunk_by(&layout, chunk, true);
            assert_eq!(walked, parse_chunk_by(&layout, chunk, false));
            let third = format!("{:?}", [3.0f64.to_bits(), (-0.125f64).to_bits()]);
            assert!(
                walked.is_ok_and(|w| w.matches(&third).count() == 2),
                "{positions:?}"
            );
        }
    }

    #[test]
    fn records_read_in_one_walk_as_by_the_csv_crate() {
        // Random chunks of records without quotes (the chunks the plain route reads): plain
        // decimals of every length, numbers the general way (`1e3`, ` 2.5`, `+1`, `1.`),
        // missing cells, text, bad numbers, non-UTF-8 bytes, CRLF and blank lines, records with
        // too few or too many fields, and fields requested twice or not at all. The walk must
        // give the csv crate's rows, lines, values (bit for bit), codes, levels and messages.
        let mut rng = crate::rng::Stream::new(20261130, "record-walk-test");
        let number_cells = [
            "0",
            "-0",
            "1",
            "-1.0843",
            "2.3535",
            "31250.5",
            "0.1234",
            "12345678.12345678",
            "123456789012345678",
            "9007199254740993",
            "1234567890123456789012",
            "1e3",
            " 2.5",
            "2.5 ",
            "+1",
            "1.",
            ".5",
            "-",
            "NA",
            "",
            ".",
            "NaN",
            "nan",
            "x",
            "1,5",
            "1.2.3",
            "0.00000000000000000001",
        ];
        let text_cells = [
            "F",
            "M",
            " F",
            "F ",
            "",
            "NA",
            "a b",
            "\u{e9}t\u{e9}",
            "x1",
            "p123",
            // Longer than a word of 8 bytes, so fields are found and skipped across words.
            "participant-000123",
            "p1234567",
            "a long cell of text \u{e9}t\u{e9}",
        ];
        let mut rejected = 0;
        for case in 0..3_000 {
            // Up to 18 fields: records of up to about 250 bytes, many fields skipped.
            let fields = 1 + rng.below(18) as usize;
            let kinds = [
                ColumnKind::Number,
                ColumnKind::OptionalNumber,
                ColumnKind::Category,
                ColumnKind::Text,
            ];
            let count = 1 + rng.below(4) as usize;
            let requests: Vec<ColumnRequest> = (0..count)
                .map(|k| ColumnRequest {
                    name: format!("c{k}"),
                    kind: kinds[rng.below(4) as usize],
                })
                .collect();
            let positions: Vec<usize> = (0..count)
                .map(|_| rng.below(fields as u64) as usize)
                .collect();
            let delimiter = [b',', b';', b'\t'][rng.below(3) as usize];
            let mut chunk: Vec<u8> = Vec::new();
            for _ in 0..rng.below(30) {
                if rng.below(20) == 0 {
                    chunk.extend_from_slice(if rng.below(2) == 0 { b"\n" } else { b"\r\n" });
                    continue;
                }
                let mut width = fields;
                if rng.below(60) == 0 {
                    width = (fields + rng.below(3) as usize).saturating_sub(1).max(1);
                }
                for f in 0..width {
                    if f > 0 {
                        chunk.push(delimiter);
                    }
                    let clean = rng.below(3) > 0;
                    let cell: String = match rng.below(4) {
                        0 | 1 if clean => {
                            let mut c = String::new();
                            if rng.below(2) == 0 {
                                c.push('-');
                            }
                            for _ in 0..1 + rng.below(12) {
                                c.push(char::from(b'0' + rng.below(10) as u8));
                            }
                            if rng.below(3) > 0 {
                                c.push('.');
                                for _ in 0..1 + rng.below(12) {
                                    c.push(char::from(b'0' + rng.below(10) as u8));
                                }
                            }
                            c
                        }
                        0 | 1 => {
                            number_cells[rng.below(number_cells.len() as u64) as usize].to_string()
                        }
                        2 if rng.below(4) == 0 => {
                            // Text of every length up to 70 bytes: field ends on every side
                            // of the 8-, 16-, 32- and 64-byte boundaries.
                            (0..rng.below(71))
                                .map(|i| if i % 7 == 3 { '-' } else { 'q' })
                                .collect()
                        }
                        _ => text_cells[rng.below(text_cells.len() as u64) as usize].to_string(),
                    };
                    chunk.extend_from_slice(cell.as_bytes());
                    if rng.below(400) == 0 {
                        chunk.push(0xff);
                    }
                }
                chunk.extend_from_slice(if rng.below(5) == 0 { b"\r\n" } else { b"\n" });
            }
            if rng.below(4) == 0 {
                chunk.pop(); // no final line feed
            }
            let layout = Layout {
                path: Path::new("t.csv"),
                delimiter,
                fields,
                requests: &requests,
                positions: &positions,
                format: CsvFormat::default(),
            };
            let walked = parse_chunk_by(&layout, &chunk, true);
            let by_crate = parse_chunk_by(&layout, &chunk, false);
            assert_eq!(
                walked,
                by_crate,
                "case {case}: {:?}",
                String::from_utf8_lossy(&chunk)
            );
            rejected += usize::from(walked.is_err());
        }
        // Both outcomes are met often.
        assert!((300..2_700).contains(&rejected), "{rejected}");
    }

    #[test]
    fn known_cells_are_found_by_their_exact_bytes() {
        // Random cells of 0–20 bytes from a small alphabet (so that cells equal in part, in
        // all but length, or padded with zero bytes are common): a cell learnt is found again
        // by equal bytes only, and cells over 16 bytes are never kept.
        let mut rng = crate::rng::Stream::new(20261130, "known-cells-test");
        let alphabet = b"aF\0 M\xc3";
        let cell = |rng: &mut crate::rng::Stream| -> Vec<u8> {
            let len = rng.below(21) as usize;
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect()
        };
        for _ in 0..2000 {
            let mut known = KnownCells::default();
            // The same rule on whole slices: the first 8 distinct short cells keep their codes.
            let mut slices: Vec<(Vec<u8>, u32)> = Vec::new();
            let learnt: Vec<Vec<u8>> = (0..rng.below(12)).map(|_| cell(&mut rng)).collect();
            for (code, bytes) in learnt.iter().enumerate() {
                if known.code(bytes).is_none() {
                    known.learn(bytes, code as u32);
                }
                if !slices.iter().any(|(b, _)| b == bytes)
                    && slices.len() < KnownCells::MOST
                    && bytes.len() <= 16
                {
                    slices.push((bytes.clone(), code as u32));
                }
            }
            for _ in 0..20 {
                let probe = if rng.below(2) == 0 && !learnt.is_empty() {
                    learnt[rng.below(learnt.len() as u64) as usize].clone()
                } else {
                    cell(&mut rng)
                };
                let expected = slices.iter().find(|(b, _)| *b == probe).map(|&(_, c)| c);
                assert_eq!(known.code(&probe), expected, "{learnt:?} {probe:?}");
            }
        }
    }

    #[test]
    fn field_ends_found_word_at_a_time_as_byte_by_byte() {
        // Every start in random bytes of delimiters, line feeds, carriage returns, digits and
        // bytes with the high bit set, 0 to 40 long, for three delimiters: the first delimiter
        // or line feed at or after the start, or the length.
        let mut rng = crate::rng::Stream::new(20261130, "next-stop-test");
        for delimiter in [b',', b';', b'\t'] {
            let alphabet = [
                delimiter, b'\n', b'\r', b'0', b'7', b'-', b'.', b'p', 0xC3, 0xA9, 0xFF, 0x80, 0x8a,
            ];
            for _ in 0..10_000 {
                let len = rng.below(41) as usize;
                // Mostly long stretches without a stop, so that whole words are passed over.
                let stops = 1 + rng.below(12);
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        let k = rng.below(alphabet.len() as u64 * stops) as usize;
                        alphabet.get(k).copied().unwrap_or(b'x')
                    })
                    .collect();
                for from in 0..=len {
                    let want = bytes[from..]
                        .iter()
                        .position(|&b| b == delimiter || b == b'\n')
                        .map_or(len, |p| from + p);
                    assert_eq!(next_stop(&bytes, from, delimiter), want, "{bytes:?} {from}");
                }
            }
        }
    }

    #[test]
    fn fields_split_word_at_a_time_as_by_memchr() {
        let mut rng = crate::rng::Stream::new(20261130, "split-fields-test");
        let mut bounds = Vec::new();
        for delimiter in [b',', b';', b'\t'] {
            let alphabet = [
                delimiter, delimiter, b'0', b'7', b'-', b'.', b'\r', 0xC3, 0xA9, 0xFF, 0x80,
            ];
            for _ in 0..20_000 {
                let len = rng.below(41) as usize;
                let record: Vec<u8> = (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                    .collect();
                let mut want = Vec::new();
                let mut field_start = 0;
                for d in memchr::memchr_iter(delimiter, &record) {
                    want.push((field_start, d));
                    field_start = d + 1;
                }
                want.push((field_start, record.len()));
                split_fields(&record, delimiter, &mut bounds);
                assert_eq!(bounds, want, "{record:?}");
            }
        }
    }

    #[test]
    fn every_missing_cell_is_missing_in_every_numeric_column_and_codes_are_not() {
        let mut text = String::from("id,y\n");
        for (i, cell) in MISSING_CELLS.iter().enumerate() {
            text.push_str(&format!("m{i}, {cell} \n"));
        }
        let t = read(&text, &[ColumnRequest::optional_number("y")]).unwrap();
        assert!(t.number("y").unwrap().iter().all(|v| v.is_nan()));
        for code in ["na", "N/A", "-", "inf"] {
            let e = read(
                &format!("id,y\na,1\nb,{code}\n"),
                &[ColumnRequest::optional_number("y")],
            )
            .unwrap_err()
            .to_string();
            assert!(e.contains("line 3, column 2"), "{code}: {e}");
        }
        // A required number names the missing cell.
        let e = read("id,y\na,NA\n", &[ColumnRequest::number("y")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2, column 2") && e.contains("missing value"),
            "{e}"
        );
    }

    #[test]
    fn reads_requested_columns_in_their_types() {
        let t = read(
            "id,age,site,y\na,30,north,1\nb,41,south,\n",
            &[
                ColumnRequest::text("id"),
                ColumnRequest::number("age"),
                ColumnRequest::optional_number("y"),
            ],
        )
        .unwrap();
        assert_eq!(t.n_rows(), 2);
        assert_eq!(t.text("id").unwrap(), ["a", "b"]);
        assert_eq!(t.number("age").unwrap(), [30.0, 41.0]);
        let y = t.number("y").unwrap();
        assert_eq!(y[0], 1.0);
        assert!(y[1].is_nan());
        assert_eq!(t.line(1), 3);
    }

    #[test]
    fn a_stretch_scanned_by_pieces_is_scanned_whole() {
        // Stretches of up to three pieces and a bit, bytes mostly plain, with line feeds, and
        // a few quotes and carriage returns at random places (at a piece's first and last byte
        // among them): the count and the first place are those of one search of the whole.
        let mut rng = crate::rng::Stream::new(20261130, "scan-stretch-test");
        for case in 0..400 {
            let len = rng.below(3 * SCAN_PIECE as u64 + 100) as usize;
            let mut bytes: Vec<u8> = (0..len)
                .map(|_| match rng.below(40) {
                    0..=3 => b'\n',
                    _ => b'a' + rng.below(26) as u8,
                })
                .collect();
            let specials = rng.below(4);
            for _ in 0..specials {
                let edges = [
                    SCAN_PIECE - 1,
                    SCAN_PIECE,
                    2 * SCAN_PIECE - 1,
                    2 * SCAN_PIECE,
                ];
                let at = if rng.below(2) == 0 {
                    edges[rng.below(4) as usize]
                } else {
                    rng.below(len.max(1) as u64) as usize
                };
                if let Some(b) = bytes.get_mut(at) {
                    *b = if rng.below(2) == 0 { b'"' } else { b'\r' };
                }
            }
            let want = (
                bytes.iter().filter(|&&b| b == b'\n').count(),
                bytes.iter().position(|&b| b == b'"' || b == b'\r'),
            );
            assert_eq!(scan_stretch(&bytes), want, "case {case}, {len} bytes");
        }
    }

    #[test]
    fn chunked_parsing_equals_one_pass_and_counts_blank_lines() {
        let mut text = String::from("id,x,g\n");
        for i in 0..200 {
            text.push_str(&format!("p{i},{}.5,{}\n", i % 7, ["F", "M"][i % 2]));
            if i % 37 == 0 {
                text.push('\n'); // blank lines shift every later line number
            }
        }
        let requests = [
            ColumnRequest::text("id"),
            ColumnRequest::number("x"),
            ColumnRequest::text("g"),
        ];
        let one =
            Table::from_bytes_in_chunks(Path::new("t.csv"), text.as_bytes(), &requests, 1 << 30)
                .unwrap();
        for chunk in [1, 7, 64, 1000] {
            let many =
                Table::from_bytes_in_chunks(Path::new("t.csv"), text.as_bytes(), &requests, chunk)
                    .unwrap();
            assert_eq!(many.columns, one.columns, "chunk {chunk}");
            assert_eq!(many.lines, one.lines, "chunk {chunk}");
        }
        assert_eq!(one.n_rows(), 200);
        // Row 0 is on line 2, followed by a blank line; row 1 is on line 4.
        assert_eq!((one.line(0), one.line(1)), (2, 4));
        assert_eq!(one.line(199), text.lines().count() as u64); // the last line

        assert_eq!(one.text("id").unwrap()[199], "p199");
    }

    #[test]
    fn the_first_error_in_file_order_is_reported_whatever_the_chunks() {
        let mut text = String::from("id,x\n");
        for i in 0..100 {
            let x = if i == 40 || i == 90 {
                "bad".to_string()
            } else {
                i.to_string()
            };
            text.push_str(&format!("p{i},{x}\n"));
        }
        for chunk in [1, 16, 1 << 30] {
            let err = Table::from_bytes_in_chunks(
                Path::new("t.csv"),
                text.as_bytes(),
                &[ColumnRequest::number("x")],
                chunk,
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                "t.csv: line 42, column 2 (`x`): expected a number, found `bad`"
            );
        }
    }

    #[test]
    fn quoted_fields_with_line_breaks_keep_their_line_numbers() {
        let t = read(
            "id,note,x\na,\"two\nlines\",1\nb,plain,oops\n",
            &[ColumnRequest::text("note"), ColumnRequest::number("x")],
        )
        .unwrap_err();
        assert!(t.to_string().contains("line 4, column 3"), "{t}");
    }

    #[test]
    fn crlf_bom_header_only_and_no_final_newline() {
        let requests = [ColumnRequest::text("id"), ColumnRequest::number("x")];
        for chunk in [1, 5, 1 << 30] {
            let parse = |text: &str| {
                Table::from_bytes_in_chunks(Path::new("t.csv"), text.as_bytes(), &requests, chunk)
            };
            let t = parse("\u{feff}id,x\r\na,1\r\n\r\nb,2").unwrap();
            assert_eq!(t.text("id").unwrap(), ["a", "b"], "chunk {chunk}");
            assert_eq!(t.number("x").unwrap(), [1.0, 2.0]);
            assert_eq!((t.line(0), t.line(1)), (2, 4));
            let empty = parse("id,x\n").unwrap();
            assert_eq!(empty.n_rows(), 0);
            let err = parse("id,x\r\na,1\r\nb,zz\r\n").unwrap_err();
            assert_eq!(
                err.to_string(),
                "t.csv: line 3, column 2 (`x`): expected a number, found `zz`"
            );
        }
    }

    #[test]
    fn a_mapped_file_read_twice_equals_its_bytes_read_in_memory() {
        // Nine megabytes (three stretches): plain decimals (the fast path) beside cells that
        // take the general route (spaces, an exponent, a missing value, `+`, a long mantissa).
        // Its parsed stretches are released from memory after each parse; a second parse of
        // the same map, and a parse of the bytes in memory, give the same columns, and an
        // error late in the file still names its line and column.
        let mut text = String::from("id,g,x,y\n");
        let odd = [
            " 2.5",
            "1e-3",
            "NA",
            "+4",
            "0.12345678901234567890",
            "-0",
            "7.",
        ];
        let mut i = 0;
        while text.len() < 9 << 20 {
            let x = if i % 1000 == 7 {
                odd[(i / 1000) % odd.len()].to_string()
            } else {
                format!("{}.{:04}", i % 97, i % 9973)
            };
            text.push_str(&format!("p{i},{},{x},{}\n", ["F", "M"][i % 2], i % 3));
            i += 1;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, &text).unwrap();
        let requests = [
            ColumnRequest::category("g"),
            ColumnRequest::optional_number("x"),
            ColumnRequest::number("y"),
        ];
        let file = file_bytes(&path).unwrap();
        assert!(matches!(file, FileBytes::Mapped(_)));
        let first = Table::from_file_bytes_as(&path, &file, &requests, CsvFormat::default());
        let second = Table::from_file_bytes_as(&path, &file, &requests, CsvFormat::default());
        let in_memory = Table::from_bytes(&path, text.as_bytes(), &requests).unwrap();
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(first.n_rows(), i);
        // Compared as printed (shortest round trip, so equal text is equal values; NaN alike).
        let expected = format!("{:?}", in_memory.columns);
        for t in [&first, &second] {
            assert!(format!("{:?}", t.columns) == expected, "columns differ");
            assert_eq!(t.lines, in_memory.lines);
        }
        let x = first.number("x").unwrap();
        assert_eq!(x[7].to_bits(), 2.5f64.to_bits());
        assert_eq!((x[1007], x[2007].is_nan(), x[3007]), (1e-3, true, 4.0));
        assert_eq!(x[3].to_bits(), "3.0003".parse::<f64>().unwrap().to_bits());
        // A stray cell in the last stretch (row i − 5, on line i − 3 after the header).
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[i - 4] = format!("p{},F,1.5,oops", i - 5);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let err = Table::read(&path, &requests).unwrap_err().to_string();
        assert!(
            err.ends_with(&format!(
                "line {}, column 4 (`y`): expected a number, found `oops`",
                i - 3
            )),
            "{err}"
        );
    }

    #[test]
    fn an_error_late_in_a_big_chunk_names_its_line_and_column() {
        // 300,000 rows in one chunk of the default size, a blank line at row 1,000, and a
        // stray cell near the end: its line is found without a line number kept per row.
        let mut text = String::from("id,g,x\n");
        for i in 0..300_000 {
            let x = if i == 299_990 {
                "1,5".to_string()
            } else {
                format!("{}.25", i % 9)
            };
            let x = if i == 299_990 { format!("\"{x}\"") } else { x };
            text.push_str(&format!("p{i},{},{x}\n", ["F", "M"][i % 2]));
            if i == 1_000 {
                text.push('\n');
            }
        }
        // The quoted cell makes the file go through the csv crate in one pass; without the
        // quotes (a cell `oops`) it is split at line feeds.
        let quoted = read(&text, &[ColumnRequest::number("x")]).unwrap_err();
        assert_eq!(
            quoted.to_string(),
            "t.csv: line 299993, column 3 (`x`): expected a number, found `1,5`"
        );
        let plain = text.replace("\"1,5\"", "oops");
        for chunk in [CHUNK_BYTES, 1 << 30, 4096] {
            let err = Table::from_bytes_in_chunks(
                Path::new("t.csv"),
                plain.as_bytes(),
                &[ColumnRequest::category("g"), ColumnRequest::number("x")],
                chunk,
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                "t.csv: line 299993, column 3 (`x`): expected a number, found `oops`",
                "chunk {chunk}"
            );
        }
        // A good file of the same shape: one run of lines before the blank line, one after.
        let good = plain.replace("oops", "2");
        let t = read(&good, &[ColumnRequest::category("g")]).unwrap();
        assert_eq!(t.n_rows(), 300_000);
        assert_eq!(t.lines.runs, [(0, 2), (1_001, 1_004)]);
        assert_eq!(
            (t.line(1_000), t.line(1_001), t.line(299_999)),
            (1_002, 1_004, 300_002)
        );
    }

    #[test]
    fn categories_are_the_text_coded_in_file_order_whatever_the_chunks() {
        let mut text = String::from("id,site\n");
        for i in 0..500 {
            // Levels first met late, a missing cell, spaces around, 40 levels (hashed past 16).
            let site = match i % 50 {
                7 => " NA ".to_string(),
                m => format!(" s{:02} ", (m * 7 + i / 100) % 40),
            };
            text.push_str(&format!("p{i},{site}\n"));
        }
        let requests = [ColumnRequest::text("site"), ColumnRequest::category("site")];
        for chunk in [1, 64, 1000, 1 << 30] {
            let t = Table::from_bytes_in_chunks(
                Path::new("t.csv"),
                text.as_bytes(),
                &requests[1..],
                chunk,
            )
            .unwrap();
            let cells = Table::from_bytes_in_chunks(
                Path::new("t.csv"),
                text.as_bytes(),
                &requests[..1],
                chunk,
            )
            .unwrap();
            let (levels, codes) = t.categories("site").unwrap();
            let mut first_met: Vec<&str> = Vec::new();
            for (cell, &code) in cells.text("site").unwrap().iter().zip(codes) {
                if is_missing(cell) {
                    assert_eq!(code, MISSING_CODE);
                    continue;
                }
                if !first_met.contains(&cell.as_str()) {
                    first_met.push(cell);
                }
                assert_eq!(levels[code as usize], *cell, "chunk {chunk}");
            }
            assert_eq!(levels, first_met, "chunk {chunk}");
            assert!(t.text("site").is_err());
        }
    }

    #[test]
    fn windows_line_ends_and_a_carriage_return_inside_a_line() {
        // A carriage return inside a line (not before its line feed) sends the chunk to the
        // csv crate, which ends the record there, as lotta always has.
        let t = read("id,x\na,1\rb,2\n", &[ColumnRequest::number("x")]).unwrap();
        assert_eq!(t.number("x").unwrap(), [1.0, 2.0]);
        // Windows line ends go the split path and read the same.
        let t = read("id,x\r\na,1\r\n\r\nb,2\r\n", &[ColumnRequest::number("x")]).unwrap();
        assert_eq!(t.number("x").unwrap(), [1.0, 2.0]);
        assert_eq!((t.line(0), t.line(1)), (2, 4));
    }

    #[test]
    fn lone_carriage_returns_end_records_however_many_a_line_holds() {
        // Old Mac line ends, or several inside one line: the csv crate ends a record at each, so
        // a chunk has room for them as for line feeds (two on one line failed with "more
        // records than lines").
        for text in [
            "id,z,y\na,1,1.5\rb,0,2\rc,1,3\n",
            "id,z,y\ra,1,1.5\rb,0,2\rc,1,3\r",
            "id,z,y\r\na,1,1.5\rb,0,2\rc,1,3",
        ] {
            let requests = [ColumnRequest::number("y"), ColumnRequest::category("z")];
            for chunk in [1, 3, 7, 1 << 20] {
                let t = Table::from_bytes_in_chunks(
                    Path::new("t.csv"),
                    text.as_bytes(),
                    &requests,
                    chunk,
                )
                .unwrap();
                assert_eq!(
                    t.number("y").unwrap(),
                    [1.5, 2.0, 3.0],
                    "{text:?} in chunks of {chunk}"
                );
            }
        }
    }

    #[test]
    fn random_files_read_alike_in_chunks_of_every_size() {
        // Files of numbers, codes and text with CRLF and blank lines, now and then a quoted
        // field, a lone carriage return, a ragged or a bad record, and no final line feed: read
        // in chunks of 1 to 97 bytes (each chunk routed by what the first pass found in it, with
        // room for its records only) they give the rows, lines and values of one chunk, or the
        // same message.
        let mut rng = crate::rng::Stream::new(20261130, "chunk-room-test");
        let requests = [
            ColumnRequest::number("x"),
            ColumnRequest::category("g"),
            ColumnRequest::optional_number("y"),
            ColumnRequest::text("id"),
        ];
        let mut failed = 0;
        for case in 0..400 {
            let mut text = String::from("id,x,g,y\n");
            let rare = |rng: &mut crate::rng::Stream| rng.below(150) == 0;
            for i in 0..rng.below(40) {
                if rng.below(12) == 0 {
                    text.push_str(if rng.below(2) == 0 { "\n" } else { "\r\n" });
                }
                let id = if rare(&mut rng) {
                    format!("\"p{i},\nq\"")
                } else {
                    format!("p{i}")
                };
                let x = if rare(&mut rng) {
                    "x".to_string()
                } else {
                    format!("{}.{}", rng.below(100) as i64 - 50, rng.below(1000))
                };
                let g = ["F", "M", "NA", "F "][rng.below(4) as usize];
                let y = ["1", "0", "", "2.5"][rng.below(4) as usize];
                text.push_str(&format!("{id},{x},{g},{y}"));
                if rare(&mut rng) {
                    text.push_str(",extra");
                }
                text.push_str(match rng.below(40) {
                    0 => "\r",
                    1..=8 => "\r\n",
                    _ => "\n",
                });
            }
            if rng.below(3) == 0 {
                text.pop();
            }
            let read = |chunk: usize| {
                Table::from_bytes_in_chunks(Path::new("t.csv"), text.as_bytes(), &requests, chunk)
                    .map(|t| format!("{:?} {:?}", t.columns, t.lines))
                    .map_err(|e| e.to_string())
            };
            let whole = read(1 << 30);
            for chunk in [1, 2, 5, 16, 31, 97] {
                assert_eq!(read(chunk), whole, "case {case}, chunk {chunk}: {text:?}");
            }
            failed += usize::from(whole.is_err());
        }
        // Both outcomes are met.
        assert!((20..380).contains(&failed), "{failed}");
    }

    #[test]
    fn semicolon_files_are_read() {
        let t = read("id;x\na;1.5\n", &[ColumnRequest::number("x")]).unwrap();
        assert_eq!(t.number("x").unwrap(), [1.5]);
    }

    #[test]
    fn the_delimiter_is_chosen_from_the_whole_first_line() {
        // A header longer than one read-ahead block: a quoted first name holding 3000 commas,
        // then 3100 names separated by `;`. Its first 4 KiB have more commas, the whole line more
        // semicolons: the header and the rows are both split at `;`.
        let mut text = format!("\"{}\"", ",".repeat(3000));
        for j in 0..3100 {
            text.push_str(&format!(";x{j}"));
        }
        text.push('\n');
        text.push_str(&format!("a{}\n", ";1".repeat(3100)));
        let headers = headers_of(Path::new("t.csv"), text.as_bytes()).unwrap();
        assert_eq!(headers.len(), 3101);
        assert_eq!(headers[3100], "x3099");
        let t = read(&text, &[ColumnRequest::number("x3099")]).unwrap();
        assert_eq!(t.number("x3099").unwrap(), [1.0]);
        // The ledger's reader never guesses.
        let mut r = csv_reader(Path::new("l.csv"), "a;b\n".as_bytes(), Delimiter::Comma).unwrap();
        assert_eq!(
            trimmed_headers(Path::new("l.csv"), &mut r).unwrap(),
            ["a;b"]
        );
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let err = read("id,age\na,30\nb,old\n", &[ColumnRequest::number("age")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 3, column 2 (`age`): expected a number, found `old`"
        );
    }

    #[test]
    fn missing_required_number_is_an_error() {
        let err = read("id,age\na,\n", &[ColumnRequest::number("age")]).unwrap_err();
        assert!(err.to_string().contains("line 2, column 2"), "{err}");
    }

    #[test]
    fn missing_column_suggests_nearest() {
        let err = read("id,gender\na,F\n", &[ColumnRequest::text("gendr")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no column `gendr`"), "{msg}");
        assert!(msg.contains("did you mean `gender`?"), "{msg}");
    }

    #[test]
    fn ragged_row_is_an_error_with_line() {
        let err = read("id,x\na,1\nb,2,3\n", &[ColumnRequest::text("id")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("expected 2 fields"), "{msg}");
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let err = read("id,x,x\n", &[ColumnRequest::text("id")]).unwrap_err();
        assert!(err.to_string().contains("appears twice"));
    }

    #[test]
    fn empty_file_is_an_error() {
        let err = read("", &[ColumnRequest::text("id")]).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }
}
