//! The assignment ledger's files: reading a ledger (checking its hash chain, in either format,
//! `lotta-ledger/1` or `/2`), reading its design sidecar `<ledger>.design.json`, appending rows
//! (written whole to a temporary file and renamed over the old ledger, so a ledger only ever
//! grows; in the ledger's own format), and checking it against the manifest. The row format, the hash chain and rendering to bytes are pure and live in
//! [`crate::design::ledger`].

use crate::design::ledger::{
    ChainBreak, ChainChecker, FORMAT, FORMAT_V2, Ledger, LedgerFormat, LedgerHead, LedgerRow,
    RowView, Sidecar, algorithm_of, chain_start, columns, sidecar_bytes_as, write_rows,
};
use crate::design::{Design, UNASSIGNED};
use crate::error::{Error, Location, Result};
use crate::io::lines::{LineBreaks, line_of};
use crate::io::source::InputFile;
use crate::io::table::{Delimiter, csv_reader};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Re-exported for callers that re-chain a ledger they read (e.g. tests that edit a row).
pub use crate::design::ledger::chain;

/// `ledger.csv` → `ledger.csv.design.json`.
/// Read the ledger at `path` with its design file beside it (when there is one), hash chain
/// checked.
pub fn open(path: &Path) -> Result<Ledger> {
    let file = InputFile::open(path)?;
    let sidecar = sidecar_path(path);
    let sidecar = sidecar
        .is_file()
        .then(|| InputFile::open(&sidecar))
        .transpose()?;
    parse(&file, sidecar.as_ref())
}

pub fn sidecar_path(ledger: &Path) -> PathBuf {
    let mut name = ledger
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".design.json");
    ledger.with_file_name(name)
}

/// Read the sidecar of `ledger`, if it exists: the design and the chain's first hash.
pub fn read_sidecar(ledger: &Path) -> Result<Option<(Design, String)>> {
    Ok(read_head(ledger)?.map(|head| (head.design, head.first_hash)))
}

/// Read the sidecar of `ledger`, if it exists: the design, the ledger's format and the chain's
/// first hash.
pub fn read_head(ledger: &Path) -> Result<Option<LedgerHead>> {
    let path = sidecar_path(ledger);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    parse_sidecar(&path, &bytes).map(Some)
}

/// The design, format and chain's first hash from a sidecar's bytes.
fn parse_sidecar(path: &Path, bytes: &[u8]) -> Result<LedgerHead> {
    let sidecar: Sidecar = serde_json::from_slice(bytes).map_err(|e| {
        Error::ledger(
            Location::file(path)
                .with_line(e.line() as u64)
                .with_column(e.column()),
            format!("not a lotta ledger design file: {e}"),
        )
    })?;
    // The tag must be the one this design is drawn with (v1, or v2 for `randomizr`).
    let algorithm = algorithm_of(&sidecar.design);
    let format = LedgerFormat::of_tag(&sidecar.format);
    let Some(format) = format.filter(|_| sidecar.algorithm == algorithm) else {
        return Err(Error::ledger(
            Location::file(path).with_field("format"),
            format!(
                "made by format `{}` / algorithm `{}`; this lotta reads `{FORMAT}` or `{FORMAT_V2}` / `{algorithm}` for this design",
                sidecar.format, sidecar.algorithm
            ),
        ));
    };
    Ok(LedgerHead {
        design: sidecar.design,
        format,
        first_hash: chain_start(bytes),
    })
}

/// Read a ledger and check its hash chain. `Ok(None)` when neither the ledger nor its sidecar
/// exists yet.
pub fn read(path: &Path) -> Result<Option<Ledger>> {
    let exists = path.exists();
    let Some(head) = read_head(path)? else {
        if exists {
            return Err(Error::ledger(
                Location::file(path),
                format!(
                    "the ledger has no design file `{}`; it is needed to verify and extend the ledger",
                    sidecar_path(path).display()
                ),
            ));
        }
        return Ok(None);
    };
    if !exists {
        return Ok(Some(Ledger {
            path: path.to_path_buf(),
            design: head.design,
            format: head.format,
            rows: Vec::new(),
            last_hash: head.first_hash,
        }));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let rows = std::io::BufReader::with_capacity(1 << 16, file);
    parse_rows(path, rows, head).map(Some)
}

/// Parse an opened ledger and its design file (read once by [`InputFile`]) and check the hash
/// chain.
pub fn parse(ledger: &InputFile, sidecar: Option<&InputFile>) -> Result<Ledger> {
    let path = ledger.path();
    let Some(sidecar) = sidecar else {
        return Err(Error::ledger(
            Location::file(path),
            format!(
                "the ledger has no design file `{}`; it is needed to verify and extend the ledger",
                sidecar_path(path).display()
            ),
        ));
    };
    let head = parse_sidecar(sidecar.path(), sidecar.bytes())?;
    parse_rows(path, ledger.bytes(), head)
}

/// The rows of a ledger file with its design, the hash chain checked from the design file's.
/// Any break of the chain is an error here (a v2 block's names the block's lines; `verify`,
/// which can re-derive the rows, names the row that differs).
fn parse_rows<R: std::io::Read>(path: &Path, input: R, head: LedgerHead) -> Result<Ledger> {
    let mut rows = Vec::new();
    // Strata and clusters repeat: keep one copy of each text.
    let mut shared: HashMap<String, Arc<str>> = HashMap::new();
    let mut share = |s: &str| -> Arc<str> {
        match shared.get(s) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<str> = Arc::from(s);
                shared.insert(s.to_string(), a.clone());
                a
            }
        }
    };
    let scanned = scan_rows(path, input, &head, ChainCheck::Strict, |_, line, row, _| {
        rows.push(LedgerRow {
            id: row.id.to_string(),
            arm: row.arm,
            stratum: share(row.stratum),
            cluster: row.cluster.map(&mut share),
            probability: row.probability,
            block: row.block,
            position: row.position,
            batch: row.batch,
            line,
        });
        Ok(())
    })?;
    Ok(Ledger {
        path: path.to_path_buf(),
        design: head.design,
        format: head.format,
        rows,
        last_hash: scanned.last_hash,
    })
}

/// How a pass over a ledger checks its hash chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every break is an error.
    Strict,
    /// A `lotta-ledger/2` block whose hash does not chain is noted in [`Scanned::broken`] and
    /// the pass goes on, so that the caller can re-derive the block's rows and name the first
    /// that differs; every other break is an error.
    NameRows,
    /// No check (a second pass over a file whose SHA-256 is compared with the first pass's).
    Skip,
}

/// A `lotta-ledger/2` block whose hash does not chain (rows numbered from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBlock {
    pub first: usize,
    pub last: usize,
    pub first_line: u64,
    /// The line of the block's last row, which holds its hash.
    pub hash_line: u64,
}

impl BrokenBlock {
    /// The error when no row of the block differs from its re-derivation.
    pub fn error(&self, path: &Path, design: &Design) -> Error {
        block_error(path, design, self.first_line, self.hash_line)
    }

    pub fn holds(&self, row: usize) -> bool {
        (self.first..=self.last).contains(&row)
    }
}

/// What a pass over a ledger file found.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub rows: usize,
    /// The highest batch (0 without rows).
    pub max_batch: u32,
    /// The hash of the last row (or of the design file when there are no rows).
    pub last_hash: String,
    /// The first v2 block whose hash does not chain (only with [`ChainCheck::NameRows`]).
    pub broken: Option<BrokenBlock>,
}

/// Read the ledger at `path` one row at a time with its design file ([`read_head`]), never
/// holding the file or its rows: the header and (as `check` says) the hash chain are checked,
/// and `each` gets every row (number from 0, line, the row, its cells before `hash` as written)
/// in file order. Also returns the file's SHA-256, computed on the way (for the manifest check,
/// and to see that a second pass read the same file).
pub fn scan(
    path: &Path,
    head: &LedgerHead,
    check: ChainCheck,
    each: impl FnMut(usize, u64, &RowView, &[&str]) -> Result<()>,
) -> Result<(Scanned, String)> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hashing =
        crate::io::hash::HashingReader::new(std::io::BufReader::with_capacity(1 << 20, file));
    let scanned = scan_rows(path, &mut hashing, head, check, each)?;
    let digest = hashing.finish().map_err(|e| Error::io(path, e))?;
    Ok((scanned, digest))
}

/// The line of row `row` (from 0) of the ledger at `path` (for a message naming an earlier row
/// of a ledger read without holding it).
pub fn line_of_row(path: &Path, row: usize) -> Result<u64> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv_reader(
        path,
        LineBreaks::new(std::io::BufReader::new(file)),
        Delimiter::Comma,
    )?;
    reader
        .byte_headers()
        .map_err(|e| csv_error(path, e, Some(1)))?;
    let mut record = csv::StringRecord::new();
    let mut r = 0;
    while let Some(line) = next_record(path, &mut reader, &mut record)? {
        if r == row {
            return Ok(line);
        }
        r += 1;
    }
    Ok(0)
}

/// Read the next record of a ledger into `record`: its line, or None at the end. The line is
/// the record's true line, from the line ends [`LineBreaks`] noted before its first byte (the csv
/// crate's own count lags after CRLF line ends and blank lines); so is an error's.
fn next_record<R: std::io::Read>(
    path: &Path,
    reader: &mut csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, LineBreaks<R>>>,
    record: &mut csv::StringRecord,
) -> Result<Option<u64>> {
    let read = reader.read_record(record);
    let start = match &read {
        Ok(_) => record.position(),
        Err(e) => e.position(),
    };
    let line = line_of(reader, start);
    let more = read.map_err(|e| csv_error(path, e, line))?;
    Ok(more.then(|| line.unwrap_or(0)))
}

/// The rows of a ledger, one at a time (see [`scan`]).
fn scan_rows<R: std::io::Read>(
    path: &Path,
    input: R,
    head: &LedgerHead,
    check: ChainCheck,
    mut each: impl FnMut(usize, u64, &RowView, &[&str]) -> Result<()>,
) -> Result<Scanned> {
    let design = &head.design;
    // The ledger's header is compared as written (not trimmed) and its errors are ledger
    // errors, so only the reader is shared with the other CSV files.
    let mut reader = csv_reader(path, LineBreaks::new(input), Delimiter::Comma)?;
    let expected = columns(design);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e, Some(1)))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers != expected {
        return Err(Error::ledger(
            Location::file(path).with_line(1),
            format!(
                "expected the header `{}`, found `{}`",
                expected.join(","),
                headers.join(",")
            ),
        ));
    }
    let n_fields = expected.len() - 1;
    let cluster_col = design.cluster.is_some();
    let mut chain =
        (check != ChainCheck::Skip).then(|| ChainChecker::new(head.format, &head.first_hash));
    let mut broken: Option<BrokenBlock> = None;
    // Lines of the rows before (for a break found at the next row) and of the open block's
    // first row.
    let (mut previous_line, mut block_first_line) = (0u64, None::<u64>);
    let mut record = csv::StringRecord::new();
    let mut count = 0usize;
    let mut max_batch = 0u32;
    let mut probabilities = ParsedProbabilities::default();
    while let Some(line) = next_record(path, &mut reader, &mut record)? {
        let at = |col: usize| {
            Location::file(path)
                .with_line(line)
                .with_column(col + 1)
                .with_field(expected[col])
        };
        // At most 8 fields before the hash (`columns`).
        let mut slots: [&str; 8] = [""; 8];
        for (slot, field) in slots.iter_mut().zip(record.iter().take(n_fields)) {
            *slot = field;
        }
        let fields = &slots[..n_fields.min(8).min(record.len())];
        let hash = record.get(n_fields).unwrap_or("");
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        let first_line = *block_first_line.get_or_insert(line);
        if let Some(checker) = chain.as_mut() {
            // The batch as written (a cell that is not a number fails below, naming it).
            let batch = get(n_fields - 1).parse::<u32>().unwrap_or(u32::MAX);
            match checker.row(fields, batch, hash) {
                Ok(()) => {}
                Err(ChainBreak::Block { first, last })
                    if check == ChainCheck::NameRows && broken.is_none() =>
                {
                    broken = Some(BrokenBlock {
                        first,
                        last,
                        first_line,
                        hash_line: line,
                    });
                }
                Err(ChainBreak::Block { .. }) if check == ChainCheck::NameRows => {}
                Err(b) => {
                    return Err(chain_error(
                        path,
                        design,
                        b,
                        count,
                        line,
                        previous_line,
                        first_line,
                    ));
                }
            }
        }
        if !hash.is_empty() {
            block_first_line = None;
        }
        previous_line = line;
        let arm_text = get(1);
        let arm = if arm_text.is_empty() {
            UNASSIGNED
        } else {
            design.arm_index(arm_text).ok_or_else(|| {
                Error::ledger(
                    at(1),
                    format!("`{arm_text}` is not an arm of the ledger's design"),
                )
            })? as u32
        };
        let mut c = 3;
        let cluster = if cluster_col {
            c += 1;
            Some(get(3))
        } else {
            None
        };
        let probability = if get(c).is_empty() {
            f64::NAN
        } else if let Some(p) = probabilities.get(get(c)) {
            p
        } else {
            let p = get(c)
                .parse::<f64>()
                .map_err(|_| Error::ledger(at(c), "expected a probability"))?;
            probabilities.put(get(c), p);
            p
        };
        let number = |i: usize, empty_ok: bool| -> Result<u32> {
            let t = get(i);
            if t.is_empty() && empty_ok {
                return Ok(0);
            }
            t.parse::<u32>()
                .map_err(|_| Error::ledger(at(i), format!("expected a whole number, found `{t}`")))
        };
        let row = RowView {
            id: get(0),
            arm,
            stratum: get(2),
            cluster,
            probability,
            block: number(c + 1, true)?,
            position: number(c + 2, false)?,
            batch: number(c + 3, false)?,
        };
        max_batch = max_batch.max(row.batch);
        each(count, line, &row, fields)?;
        count += 1;
    }
    let last_hash = match chain.map(ChainChecker::finish).transpose() {
        Ok(last) => last.unwrap_or_default(),
        Err(b) => {
            let first_line = block_first_line.unwrap_or(previous_line);
            return Err(chain_error(
                path,
                design,
                b,
                count,
                previous_line,
                previous_line,
                first_line,
            ));
        }
    };
    Ok(Scanned {
        rows: count,
        max_batch,
        last_hash,
        broken,
    })
}

/// The probabilities of the last rows by their text: a ledger holds a few (one per arm and
/// stratum, often the same in every stratum), and comparing a row's text with theirs costs
/// less than parsing its up to 17 digits again. Texts are compared whole, so a value is the one
/// parsing that text gives.
#[derive(Default)]
struct ParsedProbabilities {
    entries: Vec<(Box<str>, f64)>,
    next: usize,
}

impl ParsedProbabilities {
    const SIZE: usize = 16;

    fn get(&self, text: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(t, _)| &**t == text)
            .map(|&(_, p)| p)
    }

    /// Remember `text` parsed as `value`, in place of the oldest when full.
    fn put(&mut self, text: &str, value: f64) {
        if self.entries.len() < Self::SIZE {
            self.entries.push((text.into(), value));
        } else {
            self.entries[self.next] = (text.into(), value);
            self.next = (self.next + 1) % Self::SIZE;
        }
    }
}

/// The error of a break of the hash chain found at row `row` (on `line`; the row before is on
/// `previous_line`, and the open block began on `first_line`).
fn chain_error(
    path: &Path,
    design: &Design,
    b: ChainBreak,
    row: usize,
    line: u64,
    previous_line: u64,
    first_line: u64,
) -> Error {
    let hash_column = columns(design).len();
    let at = |line: u64| {
        Location::file(path)
            .with_line(line)
            .with_column(hash_column)
            .with_field("hash")
    };
    let hint = "restore the ledger from a backup; lotta never rewrites a ledger";
    // A break at the row before this one (found when this row began another batch).
    let line_of = |r: usize| if r < row { previous_line } else { line };
    match b {
        ChainBreak::Row { .. } => Error::ledger(
            at(line),
            "the hash does not chain from the previous row: this row (or the design file, for the first row) was changed after lotta wrote it",
        )
        .with_hint(hint),
        ChainBreak::Block { .. } => block_error(path, design, first_line, line),
        ChainBreak::MissingHash { row: r } => Error::ledger(
            at(line_of(r)),
            "this row closes a block of the ledger (its 1,024th row, or the last row of its batch or of the file) but has no hash: rows were cut, added or moved after lotta wrote it",
        )
        .with_hint(hint),
        ChainBreak::StrayHash { row: r } => Error::ledger(
            at(line_of(r)),
            "this row has a hash but closes no block (the next row is of the same batch and the block has fewer than 1,024 rows): rows were cut, added or moved after lotta wrote it",
        )
        .with_hint(hint),
    }
}

/// A `lotta-ledger/2` block (lines `first_line` to `hash_line`) whose hash does not chain.
fn block_error(path: &Path, design: &Design, first_line: u64, hash_line: u64) -> Error {
    Error::ledger(
        Location::file(path)
            .with_line(hash_line)
            .with_column(columns(design).len())
            .with_field("hash"),
        format!(
            "the hash of the block of rows on lines {first_line}-{hash_line} does not chain from the block before: a row of the block, this hash or an earlier one (or the design file, for the first block) was changed after lotta wrote it"
        ),
    )
    .with_hint("`lotta verify` names the first row that differs from its re-derivation; restore the ledger from a backup, lotta never rewrites a ledger")
}

/// What the manifest beside a ledger says about it. A hash chain cannot show rows cut from the
/// end of a ledger; the manifest can: it holds the SHA-256 of the ledger as `lotta assign` last
/// recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// No manifest entry for the ledger: nothing to compare (a first assign stopped before it
    /// recorded the ledger, or a ledger made elsewhere).
    Unrecorded,
    /// The ledger is the one last recorded.
    Current,
    /// `lotta assign` wrote the ledger and was stopped before it recorded it: the ledger is the
    /// recorded one followed by whole new batches, its hash chain intact.
    Interrupted(Interrupted),
}

/// A ledger written by an assign that was stopped before recording it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// Rows and bytes of the ledger as recorded (the ledger's first rows and bytes).
    pub recorded_rows: usize,
    pub recorded_bytes: u64,
    /// Rows and batches added after the record.
    pub new_rows: usize,
    pub first_batch: u32,
    pub last_batch: u32,
}

impl Interrupted {
    /// What happened and the two ways on, for `verify`, `assign` and `run`.
    pub fn explain(&self, path: &Path) -> String {
        let batches = if self.first_batch == self.last_batch {
            format!("batch {}", self.first_batch)
        } else {
            format!("batches {}-{}", self.first_batch, self.last_batch)
        };
        format!(
            "{}: an earlier `lotta assign` was stopped after it wrote {batches} ({} rows, the hash chain intact) and before it recorded the ledger in {}; this is not tampering. To keep the batch, run the same `lotta assign` again (it records the ledger and assigns nobody twice); to undo it, cut the ledger back to the {} recorded rows: `truncate -s {} {}`",
            path.display(),
            self.new_rows,
            crate::io::manifest::MANIFEST_FILE,
            self.recorded_rows,
            self.recorded_bytes,
            path.display()
        )
    }
}

/// Compare the ledger `file` (parsed as `ledger`, so its chain is intact) with the manifest's
/// record of it. A ledger that differs from the record is refused unless it is the recorded
/// ledger followed by whole newer batches ([`Record::Interrupted`]).
pub fn check_record(file: &InputFile, ledger: &Ledger) -> Result<Record> {
    let path = file.path();
    let Some(entry) = manifest_entry(path)? else {
        return Ok(Record::Unrecorded);
    };
    if file.sha256() == entry.sha256 {
        return Ok(Record::Current);
    }
    let batches: Vec<u32> = ledger.rows.iter().map(|r| r.batch).collect();
    row_starts(file.bytes())
        .and_then(|starts| prefix_match(file.bytes(), &starts, &batches, &entry.sha256))
        .map(Record::Interrupted)
        .ok_or_else(|| not_recorded(path, &entry))
}

/// [`check_record`] for a ledger read by [`scan`] (whose chain is intact and whose SHA-256 is
/// `sha256`): the file is read again only when it is not the recorded one.
pub fn check_record_scanned(path: &Path, design: &Design, sha256: &str) -> Result<Record> {
    let Some(entry) = manifest_entry(path)? else {
        return Ok(Record::Unrecorded);
    };
    if sha256 == entry.sha256 {
        return Ok(Record::Current);
    }
    let open = || {
        std::fs::File::open(path)
            .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
            .map_err(|e| Error::io(path, e))
    };
    // The batch column, and the rows' starts and batches, in one more pass.
    let batch_column = columns(design).len() - 2;
    let mut batches = Vec::new();
    let mut starts = Vec::new();
    let mut reader = csv_reader(path, open()?, Delimiter::Comma)?;
    reader
        .byte_headers()
        .map_err(|e| csv_error(path, e, Some(1)))?;
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e, None))?
    {
        starts.push(record.position().map_or(0, |p| p.byte()));
        let batch = record
            .get(batch_column)
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|b| b.parse::<u32>().ok())
            .unwrap_or(0);
        batches.push(batch);
    }
    prefix_match(open()?, &starts, &batches, &entry.sha256)
        .map(Record::Interrupted)
        .ok_or_else(|| not_recorded(path, &entry))
}

fn not_recorded(path: &Path, entry: &crate::io::manifest::Entry) -> Error {
    Error::ledger(
        Location::file(path),
        format!(
            "the ledger is not the one `{}` last wrote (its SHA-256 in {} differs, and the recorded ledger is not its beginning): rows were cut or the file was rewritten",
            entry.command,
            crate::io::manifest::MANIFEST_FILE
        ),
    )
    .with_hint("restore the ledger from a backup; lotta never rewrites or shortens a ledger")
}

/// The manifest's entry for the ledger at `path`, if any.
fn manifest_entry(path: &Path) -> Result<Option<crate::io::manifest::Entry>> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut manifest = crate::io::manifest::read(&dir.join(crate::io::manifest::MANIFEST_FILE))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(manifest.files.remove(&name))
}

/// Where each row of a ledger's bytes starts, from the same reader that parses ledgers.
fn row_starts(bytes: &[u8]) -> Option<Vec<u64>> {
    let mut reader = csv_reader(Path::new(""), bytes, Delimiter::Comma).ok()?;
    reader.byte_headers().ok()?;
    let mut starts = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).ok()? {
        starts.push(record.position()?.byte());
    }
    Some(starts)
}

/// The batch boundary of a ledger (read from `input`; rows starting at `starts`, in `batches`)
/// whose prefix has SHA-256 `recorded`, with every later row in a newer batch. One pass over
/// the bytes, hashing them as they are read.
fn prefix_match<R: std::io::Read>(
    mut input: R,
    starts: &[u64],
    batches: &[u32],
    recorded: &str,
) -> Option<Interrupted> {
    use sha2::{Digest, Sha256};
    if starts.len() != batches.len() {
        return None;
    }
    // The smallest batch from each row to the end: a boundary is a candidate only when every
    // later row is in a newer batch.
    let mut later_min = vec![u32::MAX; batches.len() + 1];
    for i in (0..batches.len()).rev() {
        later_min[i] = later_min[i + 1].min(batches[i]);
    }
    let mut hasher = Sha256::new();
    let mut hashed = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    let mut max_batch = 0u32;
    for (i, &batch) in batches.iter().enumerate() {
        if i > 0 && batch > max_batch && later_min[i] > max_batch {
            let end = starts[i];
            while hashed < end {
                let want = usize::try_from(end - hashed)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                let n = input.read(&mut buf[..want]).ok()?;
                if n == 0 {
                    return None;
                }
                hasher.update(&buf[..n]);
                hashed += n as u64;
            }
            let digest = crate::io::hash::hex(&hasher.clone().finalize());
            if digest == recorded {
                let rest = &batches[i..];
                return Some(Interrupted {
                    recorded_rows: i,
                    recorded_bytes: end,
                    new_rows: rest.len(),
                    first_batch: rest.iter().copied().min().unwrap_or(0),
                    last_batch: rest.iter().copied().max().unwrap_or(0),
                });
            }
        }
        max_batch = max_batch.max(batch);
    }
    None
}

/// Temporary files that a stopped `lotta assign` left beside the ledger (of the ledger, its
/// design file and the manifest), with their sizes.
pub fn stale_temporaries(path: &Path) -> Vec<(PathBuf, u64)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    [
        path.to_path_buf(),
        sidecar_path(path),
        dir.join(crate::io::manifest::MANIFEST_FILE),
    ]
    .iter()
    .flat_map(|p| crate::io::atomic::stale_temporaries(p))
    .map(|p| {
        let size = std::fs::metadata(&p).map_or(0, |m| m.len());
        (p, size)
    })
    .collect()
}

/// Remove the [`stale_temporaries`] beside the ledger; returns what was removed.
pub fn remove_stale_temporaries(path: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let stale = stale_temporaries(path);
    for (file, _) in &stale {
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(file, e)),
        }
    }
    Ok(stale)
}

/// A message for a ledger the CSV reader refuses, on `line` (its record's true line; see
/// [`LineBreaks`]) when known.
fn csv_error(path: &Path, e: csv::Error, line: Option<u64>) -> Error {
    let mut location = Location::file(path);
    if let Some(line) = line {
        location = location.with_line(line);
    }
    Error::ledger(location, format!("cannot read the ledger: {e}"))
}

/// Append `rows` to the ledger at `path` and record the result in the manifest beside it, in the
/// one order that a kill at any instant leaves readable:
///
/// 1. the design file, when new (written whole and renamed into place);
/// 2. the ledger: the old content and the new rows streamed into a temporary file, flushed to
///    disk and renamed over the ledger (a kill before the rename leaves the old ledger and a
///    temporary file that [`remove_stale_temporaries`] recognises);
/// 3. the manifest, both entries at once (a kill before its rename leaves a ledger that extends
///    the recorded one by a whole batch: [`Record::Interrupted`], which `verify` explains and the
///    next `assign` records).
#[allow(clippy::too_many_arguments)]
pub fn append_and_record<'a>(
    path: &Path,
    design: &Design,
    format: LedgerFormat,
    existing: Option<&str>,
    rows: impl Iterator<Item = RowView<'a>>,
    command: &str,
    inputs: Vec<crate::io::manifest::FileHash>,
) -> Result<()> {
    let ledger_sha256 = append(path, design, format, existing, rows)?;
    crate::io::manifest::record_all_hashed(
        &[
            (path, Some(ledger_sha256.as_str())),
            (&sidecar_path(path), None),
        ],
        command,
        Some(design.seed),
        inputs,
    )
}

/// Record the ledger and its design file, as they are now, in the manifest beside them (one
/// atomic write).
pub fn record(
    path: &Path,
    command: &str,
    seed: u64,
    inputs: Vec<crate::io::manifest::FileHash>,
) -> Result<()> {
    crate::io::manifest::record_all(&[path, &sidecar_path(path)], command, Some(seed), inputs)
}

/// Append `rows` to the ledger at `path` in `format` (the ledger's own, for a ledger that
/// exists), creating it and its sidecar when `existing`, the
/// hash the ledger read ends with, is None; streaming the old content and the new rows through [`crate::io::write_atomic_with`]
/// into a temporary file that replaces the ledger atomically. [`append_and_record`] also records
/// it. Returns the SHA-256 of the ledger as written, old content and new rows, hashed on the
/// way: the old part as it is read and copied, the new rows as they are written (reading the
/// new ledger back for the manifest took 1.4 s of assigning ten million, docs/scale.md).
fn append<'a>(
    path: &Path,
    design: &Design,
    format: LedgerFormat,
    existing: Option<&str>,
    rows: impl Iterator<Item = RowView<'a>>,
) -> Result<String> {
    let previous = match existing {
        Some(last_hash) => last_hash.to_string(),
        None => {
            let bytes = sidecar_bytes_as(design, format);
            let sidecar = sidecar_path(path);
            if !sidecar.exists() {
                crate::io::write_atomic(&sidecar, &bytes)?;
            }
            chain_start(&bytes)
        }
    };
    let ledger_exists = existing.is_some() && path.exists();
    let mut sha256 = String::new();
    crate::io::write_atomic_with(path, |out| {
        // SHA-256 is fed what goes to the file a megabyte at a time: the old ledger read in
        // pieces of that size, the new rows as `write_rows` hands them out.
        let mut hashed = crate::io::hash::HashingWriter::new(out);
        if ledger_exists {
            use std::io::{Read, Write};
            let mut old = std::fs::File::open(path)?;
            let mut piece = vec![0u8; 1 << 20];
            loop {
                let n = match old.read(&mut piece) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                };
                hashed.write_all(&piece[..n])?;
            }
        }
        write_rows(&mut hashed, design, format, previous, !ledger_exists, rows)?;
        sha256 = hashed.finish();
        Ok(())
    })?;
    Ok(sha256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{AssignmentMethod, DesignInput};
    use crate::io::sha256_hex;

    fn design() -> Design {
        Design::new(DesignInput {
            arms: vec![("md1".into(), 2), ("standard".into(), 1)],
            method: Some(AssignmentMethod::Complete),
            seed: 7,
            id: "id".into(),
            ..Default::default()
        })
        .unwrap()
    }

    fn row(id: &str, arm: u32) -> LedgerRow {
        LedgerRow {
            id: id.into(),
            arm,
            stratum: Arc::from("all"),
            cluster: None,
            probability: 2.0 / 3.0,
            block: 0,
            position: 1,
            batch: 1,
            line: 0,
        }
    }

    /// Remembered probabilities are those their whole text parses to; the oldest goes first
    /// when the table is full, and a text never put is not found.
    #[test]
    fn parsed_probabilities_are_kept_by_their_whole_text() {
        let mut cache = ParsedProbabilities::default();
        let texts: Vec<String> = (0..40).map(|i| format!("0.{i}")).collect();
        for t in &texts {
            if cache.get(t).is_none() {
                cache.put(t, t.parse().unwrap());
            }
            assert_eq!(cache.get(t), Some(t.parse::<f64>().unwrap()));
        }
        // The last SIZE are kept, the earlier ones were replaced.
        for (i, t) in texts.iter().enumerate() {
            let kept = i >= texts.len() - ParsedProbabilities::SIZE;
            assert_eq!(cache.get(t).is_some(), kept, "{t}");
        }
        assert_eq!(cache.get("0.3"), None);
        assert_eq!(cache.get("0.39"), Some(0.39));
        assert_eq!(cache.get("0.390"), None, "the same value written otherwise");
        assert_eq!(cache.get("0.3"), None, "a prefix of a kept text");
    }

    #[test]
    fn appends_chain_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        let d = design();
        let rows = [row("a", 0), row("b", UNASSIGNED)];
        append(
            &path,
            &d,
            LedgerFormat::V1,
            None,
            rows.iter().map(LedgerRow::view),
        )
        .unwrap();
        let ledger = read(&path).unwrap().unwrap();
        assert_eq!(ledger.design, d);
        assert_eq!(ledger.format, LedgerFormat::V1);
        assert_eq!(ledger.rows.len(), 2);
        assert_eq!(ledger.rows[0].arm, 0);
        assert_eq!(ledger.rows[1].arm, UNASSIGNED);
        assert_eq!(ledger.rows[1].line, 3);
        assert_eq!(ledger.rows[0].probability, 2.0 / 3.0);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\na,md1,all,0.6666666666666666,,1,1,"),
            "{text}"
        );
        // H1 chains from the sidecar's bytes.
        let h0 = sha256_hex(&std::fs::read(sidecar_path(&path)).unwrap());
        let h1 = chain(
            &h0,
            &["a", "md1", "all", "0.6666666666666666", "", "1", "1"],
        );
        assert!(text.contains(&h1));
        // A second append keeps the first bytes.
        let more = [row("c", 1)];
        append(
            &path,
            &d,
            LedgerFormat::V1,
            Some(&ledger.last_hash),
            more.iter().map(LedgerRow::view),
        )
        .unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(after.starts_with(&text));
        assert_eq!(read(&path).unwrap().unwrap().rows.len(), 3);
    }

    #[test]
    fn a_ledger_without_its_design_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        std::fs::write(&path, "id,arm\n").unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("ledger.csv.design.json"), "{e}");
    }

    /// The manifest records the SHA-256 of the ledger as written (hashed on the way, not read
    /// back): that of the file's bytes, for a new ledger and for one appended to (the old part
    /// hashed as it is copied), in both formats, with a batch longer than the hashing buffer;
    /// the design file's entry is its file's hash too.
    #[test]
    fn the_recorded_hash_is_the_written_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        let d = design();
        let recorded = |name: &str| {
            let manifest =
                crate::io::manifest::read(&dir.path().join(crate::io::manifest::MANIFEST_FILE))
                    .unwrap();
            manifest.files[name].sha256.clone()
        };
        for format in [LedgerFormat::V1, LedgerFormat::V2] {
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(sidecar_path(&path));
            // 60,000 rows: 2.6 MB in v2 (6 MB in v1), over the megabyte the rows are written
            // and hashed by, and a second batch after an old part of that size.
            let first = numbered(60_000, 1);
            append_and_record(
                &path,
                &d,
                format,
                None,
                first.iter().map(LedgerRow::view),
                "test",
                Vec::new(),
            )
            .unwrap();
            assert_eq!(
                recorded("ledger.csv"),
                crate::io::sha256_file(&path).unwrap()
            );
            assert_eq!(
                recorded("ledger.csv.design.json"),
                crate::io::sha256_file(&sidecar_path(&path)).unwrap()
            );
            let last_hash = read(&path).unwrap().unwrap().last_hash;
            let more = numbered(10, 2);
            append_and_record(
                &path,
                &d,
                format,
                Some(&last_hash),
                more.iter().map(LedgerRow::view),
                "test",
                Vec::new(),
            )
            .unwrap();
            assert_eq!(
                recorded("ledger.csv"),
                crate::io::sha256_file(&path).unwrap()
            );
            assert_eq!(read(&path).unwrap().unwrap().rows.len(), 60_010);
        }
    }

    fn numbered(n: usize, batch: u32) -> Vec<LedgerRow> {
        (0..n)
            .map(|i| LedgerRow {
                batch,
                position: i as u32 + 1,
                ..row(&format!("b{batch}-{i:05}"), (i % 2) as u32)
            })
            .collect()
    }

    /// lotta-ledger/2: a hash on the 1,024th row of each block and on the last row of each
    /// batch, H_j = SHA-256(H_{j-1} ‖ per row: 0x1e, the cells joined by 0x1f), computed here
    /// from the text of the file as docs/randomization.md §6 says; appending keeps the bytes.
    #[test]
    fn v2_hashes_blocks_of_rows_and_reads_back() {
        use sha2::{Digest, Sha256};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        let d = design();
        let first = numbered(2500, 1);
        append(
            &path,
            &d,
            LedgerFormat::V2,
            None,
            first.iter().map(LedgerRow::view),
        )
        .unwrap();
        let ledger = read(&path).unwrap().unwrap();
        assert_eq!(ledger.format, LedgerFormat::V2);
        assert_eq!(ledger.rows.len(), 2500);
        let text = std::fs::read_to_string(&path).unwrap();
        let sidecar = std::fs::read(sidecar_path(&path)).unwrap();
        assert!(String::from_utf8_lossy(&sidecar).contains("\"format\": \"lotta-ledger/2\""));
        let more = numbered(10, 2);
        append(
            &path,
            &d,
            LedgerFormat::V2,
            Some(&ledger.last_hash),
            more.iter().map(LedgerRow::view),
        )
        .unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(after.starts_with(&text));
        // The chain by hand, from the file's text.
        let mut previous = sha256_hex(&sidecar);
        let mut block = Sha256::new();
        block.update(previous.as_bytes());
        let mut hashed_rows = Vec::new();
        for (i, line) in after.lines().skip(1).enumerate() {
            let (cells, hash) = line.rsplit_once(',').unwrap();
            block.update([0x1e]);
            block.update(cells.replace(',', "\u{1f}").as_bytes());
            if !hash.is_empty() {
                previous = crate::io::hash::hex(&block.finalize_reset());
                block.update(previous.as_bytes());
                assert_eq!(hash, previous, "row {i}");
                hashed_rows.push(i + 1);
            }
        }
        assert_eq!(hashed_rows, [1024, 2048, 2500, 2510]);
        let ledger = read(&path).unwrap().unwrap();
        assert_eq!(ledger.rows.len(), 2510);
        assert_eq!(ledger.last_hash, previous);
    }

    /// Every way to break a v2 chain is named: a changed row (the block's lines), a hash moved
    /// off a block's end, a hash where no block ends, rows cut from the end of a batch.
    #[test]
    fn a_broken_v2_chain_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        let d = design();
        let rows: Vec<LedgerRow> = numbered(1030, 1)
            .into_iter()
            .chain(numbered(5, 2))
            .collect();
        append(
            &path,
            &d,
            LedgerFormat::V2,
            None,
            rows.iter().map(LedgerRow::view),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let write = |lines: &[String]| std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let owned = || lines.iter().map(|l| l.to_string()).collect::<Vec<String>>();
        let error = || read(&path).unwrap_err().to_string();
        // A changed probability on line 600 (block of lines 2-1025).
        let mut edited = owned();
        edited[599] = edited[599].replace("0.6666666666666666", "0.6666666666666667");
        write(&edited);
        let e = error();
        assert!(
            e.contains("line 1025, column 8 (`hash`)") && e.contains("lines 2-1025"),
            "{e}"
        );
        // The hash of line 1025 moved to line 1024.
        let mut edited = owned();
        let (cells, hash) = edited[1024]
            .rsplit_once(',')
            .map(|(c, h)| (c.to_string(), h.to_string()))
            .unwrap();
        edited[1024] = format!("{cells},");
        edited[1023] = format!("{}{hash}", edited[1023]);
        write(&edited);
        let e = error();
        assert!(e.contains("line 1024, column 8"), "{e}");
        // The last row of batch 1 (line 1031) cut: its block ends without a hash.
        let mut edited = owned();
        edited.remove(1030);
        write(&edited);
        let e = error();
        assert!(
            e.contains("line 1030, column 8") && e.contains("no hash"),
            "{e}"
        );
        // The last row of the file cut.
        let mut edited = owned();
        edited.pop();
        write(&edited);
        let e = error();
        assert!(
            e.contains(&format!("line {}, column 8", edited.len())) && e.contains("no hash"),
            "{e}"
        );
    }

    /// A ledger re-saved with CRLF line ends and blank lines (as an editor or a spreadsheet may
    /// save it) is read with each row's true line, and its errors name the true line: the csv
    /// crate's own count names a line too early after a CRLF and leaves out blank lines.
    #[test]
    fn a_resaved_ledgers_rows_and_errors_are_on_their_true_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        let rows = [row("a", 0), row("b", 0), row("c", 1), row("d", 0)];
        append(
            &path,
            &design(),
            LedgerFormat::V1,
            None,
            rows.iter().map(LedgerRow::view),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Lines: 1 the header, 2 a, 3-4 blank, 5 b, 6 c, 7 blank, 8 d.
        let resave = |lines: &[&str]| {
            let [header, a, b, c, d] = lines else {
                panic!("{lines:?}")
            };
            format!("{header}\r\n{a}\r\n\r\n\r\n{b}\r\n{c}\r\n\r\n{d}\r\n")
        };
        std::fs::write(&path, resave(&lines)).unwrap();
        let ledger = read(&path).unwrap().unwrap();
        let read_lines: Vec<u64> = ledger.rows.iter().map(|r| r.line).collect();
        assert_eq!(read_lines, [2, 5, 6, 8]);
        for (row, line) in read_lines.iter().enumerate() {
            assert_eq!(line_of_row(&path, row).unwrap(), *line);
        }
        // Row c's arm changed: the chain breaks on line 6.
        let changed = lines[3].replacen(",standard,", ",md1,", 1);
        assert_ne!(changed, lines[3]);
        let mut edited = lines.clone();
        edited[3] = &changed;
        std::fs::write(&path, resave(&edited)).unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("line 6, column"), "{e}");
        // A field too many on row d: the CSV reader's error, on line 8.
        let extra = format!("{},x", lines[4]);
        let mut edited = lines.clone();
        edited[4] = &extra;
        std::fs::write(&path, resave(&edited)).unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("line 8"), "{e}");
        assert!(!e.contains("line 7") && !e.contains("line 6"), "{e}");
    }
}
