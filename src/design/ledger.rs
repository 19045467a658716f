//! The assignment ledger's record format, pure: its row types, the text of a row (`id, arm,
//! stratum, [cluster,] probability, block, position, batch, hash`), the hash chain that ties
//! the rows to the bytes of the design sidecar `<ledger>.design.json` — in `lotta-ledger/1` a
//! hash on every row, in `lotta-ledger/2` a hash per block of up to 1,024 rows of one batch
//! (docs/randomization.md §6) — and a whole ledger rendered to bytes. Reading and appending
//! ledger files is `io::ledger`'s job; this module never touches a file.

use super::{Design, UNASSIGNED};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// The format tag of ledgers with a hash on every row: every ledger lotta wrote before
/// `lotta-ledger/2`, and those asked for with `--ledger-format v1`. Read, verified and
/// extended (in this format) for ever.
pub const FORMAT: &str = "lotta-ledger/1";
/// The format tag of ledgers with a hash per block of rows ([`BLOCK_ROWS`]), the default for new
/// ledgers.
pub const FORMAT_V2: &str = "lotta-ledger/2";
/// The assignment algorithm (docs/randomization.md) of every design that v1 could draw; its
/// streams are pinned by the golden vectors, and its ledgers keep this tag for ever.
pub const ALGORITHM: &str = "lotta/assign/v1";
/// v1 plus the misfit policy `randomizr` (docs/randomization.md §4a), the default for cluster
/// designs since this tag: a ledger drawn with it says so, and a lotta that knows only v1
/// refuses it rather than re-deriving it wrongly.
pub const ALGORITHM_V2: &str = "lotta/assign/v2";

/// The algorithm tag a design's ledger carries: v1 unless it needs v2's policy, so every
/// design v1 could draw keeps its v1 sidecar bytes (and hash chain).
pub fn algorithm_of(design: &Design) -> &'static str {
    if design.misfits == super::Misfits::Randomizr {
        ALGORITHM_V2
    } else {
        ALGORITHM
    }
}
/// Separator between fields in the hashed text (ASCII unit separator; never inside a field).
const FIELD_SEPARATOR: u8 = 0x1f;

/// The format of a ledger: how its hash chain is laid over the rows (docs/randomization.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedgerFormat {
    /// `lotta-ledger/1`: a hash on every row (every ledger lotta wrote before v2).
    V1,
    /// `lotta-ledger/2`: a hash per block of rows, on its last row (the default for new
    /// ledgers): half the file, and a tenth of the SHA-256 work, at ten million rows.
    #[default]
    V2,
}

impl LedgerFormat {
    /// The tag written in the design file.
    pub fn tag(self) -> &'static str {
        match self {
            LedgerFormat::V1 => FORMAT,
            LedgerFormat::V2 => FORMAT_V2,
        }
    }

    /// The format of a design file's tag, if this lotta knows it.
    pub fn of_tag(tag: &str) -> Option<LedgerFormat> {
        match tag {
            FORMAT => Some(LedgerFormat::V1),
            FORMAT_V2 => Some(LedgerFormat::V2),
            _ => None,
        }
    }
}

/// What a ledger's design file says: the design, the ledger's format and the chain's start
/// (H₀, the SHA-256 of the design file's bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerHead {
    pub design: Design,
    pub format: LedgerFormat,
    pub first_hash: String,
}

/// The sidecar: everything `verify` needs to re-derive the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    pub format: String,
    pub algorithm: String,
    pub design: Design,
}

/// One ledger row, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    pub id: String,
    /// Arm index into the design's arms, or [`UNASSIGNED`].
    pub arm: u32,
    /// The stratum key (shared between the rows of a stratum).
    pub stratum: Arc<str>,
    pub cluster: Option<Arc<str>>,
    /// Probability of the unit's arm (NaN when unassigned).
    pub probability: f64,
    /// Block number (0: none, method `complete`).
    pub block: u32,
    pub position: u32,
    pub batch: u32,
    /// 1-based line in the ledger file.
    pub line: u64,
}

/// A row to write, borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowView<'a> {
    pub id: &'a str,
    pub arm: u32,
    pub stratum: &'a str,
    pub cluster: Option<&'a str>,
    pub probability: f64,
    pub block: u32,
    pub position: u32,
    pub batch: u32,
}

impl LedgerRow {
    pub fn view(&self) -> RowView<'_> {
        RowView {
            id: &self.id,
            arm: self.arm,
            stratum: &self.stratum,
            cluster: self.cluster.as_deref(),
            probability: self.probability,
            block: self.block,
            position: self.position,
            batch: self.batch,
        }
    }
}

/// A ledger read from disk, its hash chain checked.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub path: PathBuf,
    pub design: Design,
    pub format: LedgerFormat,
    pub rows: Vec<LedgerRow>,
    /// The hash of the last row (or of the sidecar when there are no rows).
    pub last_hash: String,
}

/// The names of the ledger's own columns (written by `lotta assign`, read by every join).
pub const LEDGER_ID: &str = "id";
pub const LEDGER_ARM: &str = "arm";
pub const LEDGER_PROBABILITY: &str = "probability";
pub const LEDGER_STRATUM: &str = "stratum";

/// The column names of a ledger for a design.
pub fn columns(design: &Design) -> Vec<&'static str> {
    let mut c = vec!["id", "arm", "stratum"];
    if design.cluster.is_some() {
        c.push("cluster");
    }
    c.extend(["probability", "block", "position", "batch", "hash"]);
    c
}

/// The sidecar's bytes of a `lotta-ledger/1` ledger for a design (pretty JSON,
/// newline-terminated; deterministic).
pub fn sidecar_bytes(design: &Design) -> Vec<u8> {
    sidecar_bytes_as(design, LedgerFormat::V1)
}

/// The sidecar's bytes of a ledger of `format` for a design.
pub fn sidecar_bytes_as(design: &Design, format: LedgerFormat) -> Vec<u8> {
    let sidecar = Sidecar {
        format: format.tag().to_string(),
        algorithm: algorithm_of(design).to_string(),
        design: design.clone(),
    };
    let mut bytes = serde_json::to_vec_pretty(&sidecar).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The start of the chain: H₀ = SHA-256(sidecar bytes), as lower-case hex.
pub fn chain_start(sidecar: &[u8]) -> String {
    hex(&Sha256::digest(sidecar))
}

/// The chain: H₀ = SHA-256(sidecar bytes); Hᵢ = SHA-256(Hᵢ₋₁ as hex ‖ 0x1f ‖ f₁ ‖ 0x1f ‖ …),
/// where f are the row's fields before the hash exactly as written in the file.
pub fn chain(previous: &str, fields: &[&str]) -> String {
    let digits = chain_hex(previous.as_bytes(), fields);
    digits.iter().map(|&b| char::from(b)).collect()
}

/// [`chain`] as its 64 lower-case hex digits in a buffer: reading and writing ten million rows
/// allocate nothing per row.
pub fn chain_hex(previous: &[u8], fields: &[&str]) -> [u8; 64] {
    chain_hex_with(&mut Vec::new(), previous, fields)
}

/// [`chain_hex`] with the hashed text made in `scratch` first and hashed in one call: SHA-256
/// fed a byte or a field at a time pays its buffering for each of the ~16 pieces of a row.
fn chain_hex_with(scratch: &mut Vec<u8>, previous: &[u8], fields: &[&str]) -> [u8; 64] {
    scratch.clear();
    scratch.extend_from_slice(previous);
    for f in fields {
        scratch.push(FIELD_SEPARATOR);
        scratch.extend_from_slice(f.as_bytes());
    }
    hex_digits(&Sha256::digest(&scratch[..]).into())
}

/// Rows of a full `lotta-ledger/2` block: a block ends at its 1,024th row or at the last row of
/// its batch, whichever comes first, so every batch (every `lotta assign`) ends with a hash.
pub const BLOCK_ROWS: usize = 1024;
/// Separator before each row in a v2 block's hashed text (ASCII record separator).
const ROW_SEPARATOR: u8 = 0x1e;

/// The hash chain as rows are written: [`ChainWriter::row`] gives the text of each row's
/// `hash` cell.
pub struct ChainWriter {
    format: LedgerFormat,
    previous: [u8; 64],
    /// v2: the open block, fed H_{j−1} and the rows so far; v1: the text of the row's hash.
    block: BlockText,
    rows_in_block: usize,
}

impl ChainWriter {
    /// A chain continuing from `previous` (64 hex digits: H₀ or the ledger's last hash).
    pub fn new(format: LedgerFormat, previous: &str) -> Result<ChainWriter, String> {
        let previous: [u8; 64] = previous
            .as_bytes()
            .try_into()
            .map_err(|_| format!("not a SHA-256 hex digest: `{previous}`"))?;
        Ok(ChainWriter {
            format,
            previous,
            block: BlockText::new(&previous),
            rows_in_block: 0,
        })
    }

    /// The `hash` cell of the next row (`fields`: the cells before it, as written), given
    /// whether it is the last row of its batch; `None`: an empty cell (v2 inside a block).
    pub fn row(&mut self, fields: &[&str], ends_batch: bool) -> Option<[u8; 64]> {
        match self.format {
            LedgerFormat::V1 => {
                self.previous = chain_hex_with(&mut self.block.text, &self.previous, fields);
                Some(self.previous)
            }
            LedgerFormat::V2 => {
                self.block.feed_row(fields);
                self.end_row(ends_batch)
            }
        }
    }

    /// [`ChainWriter::row`] of a row whose cells are written unquoted: `line` is its cells
    /// joined by `,` as in the file (none holds a comma), so the hashed text is `line` with
    /// each comma made the field separator, one copy instead of a copy of each field.
    pub fn row_of_line(&mut self, line: &[u8], ends_batch: bool) -> Option<[u8; 64]> {
        match self.format {
            LedgerFormat::V1 => {
                let text = &mut self.block.text;
                text.clear();
                text.extend_from_slice(&self.previous);
                text.push(FIELD_SEPARATOR);
                push_separated(text, line);
                self.previous = hex_digits(&Sha256::digest(&text[..]).into());
                Some(self.previous)
            }
            LedgerFormat::V2 => {
                self.block.feed_line(line);
                self.end_row(ends_batch)
            }
        }
    }

    /// v2: a row was fed; close the block at its 1,024th row or its batch's last.
    fn end_row(&mut self, ends_batch: bool) -> Option<[u8; 64]> {
        self.rows_in_block += 1;
        if self.rows_in_block < BLOCK_ROWS && !ends_batch {
            return None;
        }
        self.previous = self.block.close();
        self.block.start(&self.previous);
        self.rows_in_block = 0;
        Some(self.previous)
    }
}

/// `line` (cells joined by `,`, none holding one) appended to `text` with the commas made
/// [`FIELD_SEPARATOR`]: the hashed text of the cells. A loop over bytes without branches, which
/// the compiler makes 32 bytes at a time.
fn push_separated(text: &mut Vec<u8>, line: &[u8]) {
    text.extend(
        line.iter()
            .map(|&b| if b == b',' { FIELD_SEPARATOR } else { b }),
    );
}

/// A v2 block's hash as its text is made: H_{j−1} as hex, then each row's text. The text is
/// gathered in a buffer and handed to SHA-256 a few kilobytes at a time, so that the hardware
/// rounds run over many 64-byte blocks per call; fed a byte or a field at a time (about 16
/// pieces a row), SHA-256 paid its buffering on each piece (docs/scale.md, eighth pass).
struct BlockText {
    hasher: Sha256,
    text: Vec<u8>,
}

/// Bytes of block text gathered before they are hashed (a multiple of SHA-256's 64-byte
/// block, small enough to stay in the processor's first-level cache).
const BLOCK_TEXT_BUFFER: usize = 4096;

impl BlockText {
    fn new(previous: &[u8; 64]) -> BlockText {
        let mut block = BlockText {
            hasher: Sha256::new(),
            text: Vec::with_capacity(BLOCK_TEXT_BUFFER + 256),
        };
        block.start(previous);
        block
    }

    /// Start the next block, chained from `previous` (the buffer is empty: after
    /// [`BlockText::new`] or [`BlockText::close`]).
    fn start(&mut self, previous: &[u8; 64]) {
        self.text.clear();
        self.text.extend_from_slice(previous);
    }

    /// A row's text: 0x1e, then the fields separated by 0x1f.
    fn feed_row(&mut self, fields: &[&str]) {
        self.text.push(ROW_SEPARATOR);
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.text.push(FIELD_SEPARATOR);
            }
            self.text.extend_from_slice(f.as_bytes());
        }
        self.hash_if_full();
    }

    /// [`BlockText::feed_row`] of the cells joined by `,` ([`ChainWriter::row_of_line`]).
    fn feed_line(&mut self, line: &[u8]) {
        self.text.push(ROW_SEPARATOR);
        push_separated(&mut self.text, line);
        self.hash_if_full();
    }

    fn hash_if_full(&mut self) {
        if self.text.len() >= BLOCK_TEXT_BUFFER {
            self.hasher.update(&self.text);
            self.text.clear();
        }
    }

    /// The block's hash as 64 hex digits; the hasher is left fresh and the buffer empty.
    fn close(&mut self) -> [u8; 64] {
        self.hasher.update(&self.text);
        self.text.clear();
        let hasher = std::mem::replace(&mut self.hasher, Sha256::new());
        hex_digits(&hasher.finalize().into())
    }
}

/// Where a ledger's hash chain breaks (rows numbered from 0 in file order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainBreak {
    /// v1: the hash of row `row` does not chain from the row before (or the design file).
    Row { row: usize },
    /// v2: the hash on row `last`, which closes the block of rows `first..=last`, does not chain
    /// from the block before (or the design file): a row of the block, its hash, an earlier
    /// hash or the design file was changed.
    Block { first: usize, last: usize },
    /// v2: row `row` closes its block (its 1,024th row, or the last row of its batch or of the
    /// file) but has no hash: rows were cut, added or moved.
    MissingHash { row: usize },
    /// v2: row `row` has a hash but closes no block (the next row is of the same batch, and the
    /// block has fewer than 1,024 rows): rows were cut, added or moved.
    StrayHash { row: usize },
}

/// The hash chain checked as a ledger's rows are read, one at a time.
pub struct ChainChecker {
    format: LedgerFormat,
    previous: [u8; 64],
    /// v2: the open block; v1: the text of the row's hash.
    block: BlockText,
    block_first: usize,
    rows_in_block: usize,
    row: usize,
    batch: Option<u32>,
    /// v2: the last row closed a short block, so its batch must end there.
    short_block_ended: bool,
}

impl ChainChecker {
    /// A chain starting from `first_hash` (H₀ of the design file; 64 hex digits).
    pub fn new(format: LedgerFormat, first_hash: &str) -> ChainChecker {
        let mut previous = [b'0'; 64];
        for (p, b) in previous.iter_mut().zip(first_hash.bytes()) {
            *p = b;
        }
        ChainChecker {
            format,
            previous,
            block: BlockText::new(&previous),
            block_first: 0,
            rows_in_block: 0,
            row: 0,
            batch: None,
            short_block_ended: false,
        }
    }

    /// Check the next row: `fields` the cells before `hash`, as written; `batch` its batch.
    pub fn row(&mut self, fields: &[&str], batch: u32, hash: &str) -> Result<(), ChainBreak> {
        let row = self.row;
        self.row += 1;
        if self.format == LedgerFormat::V1 {
            let expected = chain_hex_with(&mut self.block.text, &self.previous, fields);
            if hash.as_bytes() != expected {
                return Err(ChainBreak::Row { row });
            }
            self.previous = expected;
            return Ok(());
        }
        let same_batch = self.batch == Some(batch);
        self.batch = Some(batch);
        if !same_batch && self.rows_in_block > 0 {
            return Err(ChainBreak::MissingHash { row: row - 1 });
        }
        if same_batch && self.short_block_ended {
            return Err(ChainBreak::StrayHash { row: row - 1 });
        }
        self.short_block_ended = false;
        self.block.feed_row(fields);
        self.rows_in_block += 1;
        if hash.is_empty() {
            if self.rows_in_block == BLOCK_ROWS {
                return Err(ChainBreak::MissingHash { row });
            }
            return Ok(());
        }
        let expected = self.block.close();
        let first = self.block_first;
        self.short_block_ended = self.rows_in_block < BLOCK_ROWS;
        self.block_first = row + 1;
        self.rows_in_block = 0;
        // The chain goes on from the hash as written, so that a later break is a break of its
        // own block.
        let written: Option<[u8; 64]> = hash.as_bytes().try_into().ok();
        self.previous = written.unwrap_or(expected);
        self.block.start(&self.previous);
        if hash.as_bytes() != expected {
            return Err(ChainBreak::Block { first, last: row });
        }
        Ok(())
    }

    /// The end of the ledger: the last hash (H₀ without rows), or the break of a ledger that
    /// ends inside a block.
    pub fn finish(self) -> Result<String, ChainBreak> {
        if self.format == LedgerFormat::V2 && self.rows_in_block > 0 {
            return Err(ChainBreak::MissingHash { row: self.row - 1 });
        }
        Ok(self.previous.iter().map(|&b| char::from(b)).collect())
    }
}

/// Lower-case hexadecimal of a digest.
fn hex(digest: &[u8]) -> String {
    let mut text = String::with_capacity(2 * digest.len());
    for b in digest {
        text.push(char::from(HEX[usize::from(b >> 4)]));
        text.push(char::from(HEX[usize::from(b & 15)]));
    }
    text
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_digits(digest: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// A probability as the ledger writes it: Rust's shortest round-trip decimal.
pub fn format_probability(p: f64) -> String {
    if p.is_nan() {
        String::new()
    } else {
        format!("{p}")
    }
}

/// The text fields (before the hash) of a row, as written.
pub fn row_fields(design: &Design, row: &RowView) -> Vec<String> {
    let arm = if row.arm == UNASSIGNED {
        String::new()
    } else {
        design
            .arms
            .get(row.arm as usize)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let mut f = vec![row.id.to_string(), arm, row.stratum.to_string()];
    if design.cluster.is_some() {
        f.push(row.cluster.unwrap_or_default().to_string());
    }
    f.push(format_probability(row.probability));
    f.push(if row.block == 0 {
        String::new()
    } else {
        row.block.to_string()
    });
    f.push(row.position.to_string());
    f.push(row.batch.to_string());
    f
}

/// A new `lotta-ledger/1` ledger's bytes (header and rows, hash chain starting at the sidecar
/// of `design`), for callers that write the ledger and its sidecar ([`sidecar_bytes`])
/// themselves (e.g. `lotta simulate`).
pub fn render<'a>(design: &Design, rows: impl Iterator<Item = RowView<'a>>) -> Vec<u8> {
    render_as(design, LedgerFormat::V1, rows)
}

/// [`render`] in `format` (its sidecar: [`sidecar_bytes_as`]).
pub fn render_as<'a>(
    design: &Design,
    format: LedgerFormat,
    rows: impl Iterator<Item = RowView<'a>>,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    let start = chain_start(&sidecar_bytes_as(design, format));
    // Writing to a Vec cannot fail.
    let _ = write_rows(&mut bytes, design, format, start, true, rows);
    bytes
}

/// Write ledger rows (and the header when `header`) to `out` in `format`, chaining hashes from
/// `previous` (H₀, or the hash the ledger ends with). A v2 block is closed at the last row of
/// each batch, so the rows of one call may hold several batches.
pub fn write_rows<'a, W: std::io::Write>(
    out: W,
    design: &Design,
    format: LedgerFormat,
    previous: String,
    header: bool,
    rows: impl Iterator<Item = RowView<'a>>,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut out = out;
    // The rows are made straight into one buffer of about a megabyte that goes out whole (no
    // copy of each line, and the writer beneath, which may hash what it is given, is fed
    // megabytes); the numbers formatted by hand and the probabilities (a few values per
    // stratum) from a cache; the arms' cells escaped once; only the id and stratum cells looked
    // at for a character that needs quotes. The bytes of `csv::Writer` (checked by a test), at a
    // fraction of its cost per field (13% of assigning ten million, docs/scale.md).
    let mut text: Vec<u8> = Vec::with_capacity(WRITE_BUFFER + 1024);
    if header {
        for (i, name) in columns(design).iter().enumerate() {
            if i > 0 {
                text.push(b',');
            }
            push_csv_field(&mut text, name);
        }
        text.push(b'\n');
    }
    let arm_cells: Vec<(Vec<u8>, bool)> = design
        .arms
        .iter()
        .map(|a| {
            let mut cell = Vec::new();
            let plain = push_csv_field(&mut cell, &a.name);
            (cell, plain)
        })
        .collect();
    let mut chain = ChainWriter::new(format, &previous)?;
    let mut probabilities = ProbabilityText::default();
    let mut numbers = [[0u8; 10]; 3];
    let mut rows = rows.peekable();
    while let Some(row) = rows.next() {
        let arm_index = row.arm as usize;
        let arm = (row.arm != UNASSIGNED)
            .then(|| arm_cells.get(arm_index))
            .flatten();
        let probability = probabilities.text(row.probability);
        let cluster = design
            .cluster
            .is_some()
            .then(|| row.cluster.unwrap_or_default());
        // The row's cells, each followed by a comma; `plain` while none needed quotes.
        let line_start = text.len();
        let mut plain = push_csv_field(&mut text, row.id);
        text.push(b',');
        if let Some((cell, arm_plain)) = arm {
            text.extend_from_slice(cell);
            plain &= arm_plain;
        }
        text.push(b',');
        plain &= push_csv_field(&mut text, row.stratum);
        text.push(b',');
        if let Some(c) = cluster {
            plain &= push_csv_field(&mut text, c);
            text.push(b',');
        }
        // Numbers never need quotes: digits, a point, an exponent and its sign.
        text.extend_from_slice(probability);
        text.push(b',');
        let [block, position, batch] = &mut numbers;
        let block: &[u8] = if row.block == 0 {
            b""
        } else {
            decimal(row.block, block)
        };
        let position = decimal(row.position, position);
        let batch = decimal(row.batch, batch);
        for f in [block, position, batch] {
            // Most are one digit (a position in its block, the batch).
            if let [digit] = f {
                text.push(*digit);
            } else {
                text.extend_from_slice(f);
            }
            text.push(b',');
        }
        let ends_batch = rows.peek().is_none_or(|next| next.batch != row.batch);
        let hash = if plain {
            // The cells as written, without the comma before the hash.
            let line = text.get(line_start..text.len() - 1).unwrap_or_default();
            chain.row_of_line(line, ends_batch)
        } else {
            let arm = arm.map_or("", |_| design.arms[arm_index].name.as_str());
            // Digits and a probability's text are ASCII.
            fn ascii(f: &[u8]) -> &str {
                std::str::from_utf8(f).unwrap_or_default()
            }
            let (probability, block, position, batch) = (
                ascii(probability),
                ascii(block),
                ascii(position),
                ascii(batch),
            );
            let mut fields: [&str; 8] = [""; 8];
            let mut k = 0;
            for f in [row.id, arm, row.stratum]
                .into_iter()
                .chain(cluster)
                .chain([probability, block, position, batch])
            {
                fields[k] = f;
                k += 1;
            }
            chain.row(&fields[..k], ends_batch)
        };
        if let Some(hash) = &hash {
            text.extend_from_slice(hash);
        }
        text.push(b'\n');
        if text.len() >= WRITE_BUFFER {
            out.write_all(&text)?;
            text.clear();
        }
    }
    out.write_all(&text)?;
    out.flush()?;
    Ok(())
}

/// Bytes of rows made before they are written ([`write_rows`]): as much as the file's buffer
/// (`io::atomic`), so that each write goes through it without a copy.
const WRITE_BUFFER: usize = 1 << 20;

/// A field as `csv::Writer` writes it by default: quoted when it holds a comma, a quote or a
/// line break, with its quotes doubled. True when it was written as it is.
fn push_csv_field(line: &mut Vec<u8>, field: &str) -> bool {
    let bytes = field.as_bytes();
    if !needs_quotes(bytes) {
        line.extend_from_slice(bytes);
        return true;
    }
    line.push(b'"');
    for &b in bytes {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
    false
}

/// Whether a field holds a comma, a quote or a line break (which `csv::Writer` quotes): eight
/// bytes at a time, each byte tested for the four at once (byte b of the word is one of them
/// when b XOR it is zero; the zero-byte test of Hacker's Delight §6-1, exact since each byte's
/// high bit is tested apart from the sum); the last word is the field's last eight bytes,
/// overlapping the one before. A field shorter than a word is tested byte by byte.
fn needs_quotes(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // A byte of x is zero exactly when neither its low seven bits (the sum carries into the
    // high bit unless they are zero) nor its high bit is set.
    let has_zero_byte = |x: u64| (((x & LOW7) + LOW7) | x | LOW7) != u64::MAX;
    let special = |word: &[u8]| {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        [b',', b'"', b'\n', b'\r']
            .iter()
            .any(|&c| has_zero_byte(x ^ (ONES * u64::from(c))))
    };
    match bytes.len().checked_sub(8) {
        None => bytes
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')),
        Some(last) => bytes.chunks_exact(8).any(special) || special(&bytes[last..]),
    }
}

/// `n` in decimal, written into `buffer`.
fn decimal(mut n: u32, buffer: &mut [u8; 10]) -> &[u8] {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buffer[at..]
}

/// The text of probabilities ([`format_probability`]: Rust's shortest round-trip decimal) kept
/// for the values met: a ledger repeats a few per stratum and batch ten million times.
struct ProbabilityText {
    /// Direct-mapped by the value's bits: (bits, length, text).
    slots: Vec<(u64, u8, [u8; 32])>,
    scratch: String,
}

impl Default for ProbabilityText {
    fn default() -> Self {
        ProbabilityText {
            // A NaN bit pattern Rust never makes, so no empty slot matches a value.
            slots: vec![(u64::MAX, 0, [0; 32]); 1 << 12],
            scratch: String::new(),
        }
    }
}

impl ProbabilityText {
    fn text(&mut self, p: f64) -> &[u8] {
        if p.is_nan() {
            return b"";
        }
        let bits = p.to_bits();
        let slot = (bits.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize;
        if self.slots[slot].0 != bits {
            self.scratch = format_probability(p);
            let text = self.scratch.as_bytes();
            if text.len() > 32 {
                return self.scratch.as_bytes();
            }
            let mut stored = [0u8; 32];
            stored[..text.len()].copy_from_slice(text);
            self.slots[slot] = (bits, text.len() as u8, stored);
        }
        let (_, len, text) = &self.slots[slot];
        &text[..*len as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{AssignmentMethod, DesignInput};

    #[test]
    fn rendered_rows_chain_from_the_sidecar() {
        let design = Design::new(DesignInput {
            arms: vec![("md1".into(), 2), ("standard".into(), 1)],
            method: Some(AssignmentMethod::Complete),
            seed: 7,
            id: "id".into(),
            ..Default::default()
        })
        .unwrap();
        let row = RowView {
            id: "a",
            arm: 0,
            stratum: "all",
            cluster: None,
            probability: 2.0 / 3.0,
            block: 0,
            position: 1,
            batch: 1,
        };
        let text = String::from_utf8(render(&design, std::iter::once(row))).unwrap();
        let fields = row_fields(&design, &row);
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        assert_eq!(
            fields,
            ["a", "md1", "all", "0.6666666666666666", "", "1", "1"]
        );
        let h1 = chain(&chain_start(&sidecar_bytes(&design)), &fields);
        assert_eq!(
            text,
            format!(
                "id,arm,stratum,probability,block,position,batch,hash\n{},{h1}\n",
                fields.join(",")
            )
        );
    }

    /// The row writer writes the bytes `csv::Writer` writes (quoting, doubled quotes, empty
    /// cells), and the cells read back are the row's fields.
    #[test]
    fn rows_are_written_as_csv_writer_writes_them() {
        let design = Design::new(DesignInput {
            arms: vec![("md1".into(), 2), ("standard, \"usual\"".into(), 1)],
            method: Some(AssignmentMethod::Complete),
            cluster: Some("team".into()),
            seed: 7,
            id: "id".into(),
            ..Default::default()
        })
        .unwrap();
        let ids = ["a", "b,c", "d\"e", "f\ng", "h\ri", "Åsa", " j "];
        let probabilities = [2.0 / 3.0, f64::NAN, 1e-7, 0.5, 1.0 / 3.0, 2.0 / 3.0, 0.1];
        let rows: Vec<RowView> = ids
            .iter()
            .zip(probabilities)
            .enumerate()
            .map(|(i, (id, probability))| RowView {
                id,
                arm: [0, 1, UNASSIGNED][i % 3],
                stratum: ["site=1|g=F", "x,y"][i % 2],
                cluster: Some(["t1", "t\"2", ""][i % 3]),
                probability,
                block: [0, 7, u32::MAX][i % 3],
                position: i as u32 * 1000 + 1,
                batch: 1 + (i as u32) / 4,
            })
            .collect();
        assert_written_as_csv_writer_writes(&design, &rows);
        // Over the megabyte the rows are made in before they are written: rows that end a
        // buffer are written whole, the next one after them.
        let many: Vec<RowView> = (0..40_000)
            .map(|i| RowView {
                position: i as u32,
                batch: 1 + (i as u32) / 15_000,
                ..rows[i % rows.len()]
            })
            .collect();
        assert_written_as_csv_writer_writes(&design, &many);
    }

    fn assert_written_as_csv_writer_writes(design: &Design, rows: &[RowView]) {
        let design = design.clone();
        for format in [LedgerFormat::V1, LedgerFormat::V2] {
            let bytes = render_as(&design, format, rows.iter().copied());
            let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
            let mut again = csv::Writer::from_writer(Vec::new());
            again.write_record(reader.byte_headers().unwrap()).unwrap();
            let mut read = 0;
            // The hashes as the reader's checker makes them, from each row's fields.
            let mut checker =
                ChainChecker::new(format, &chain_start(&sidecar_bytes_as(&design, format)));
            for (row, record) in rows.iter().zip(reader.records()) {
                read += 1;
                let record = record.unwrap();
                let fields = row_fields(&design, row);
                let cells: Vec<&str> = record.iter().collect();
                assert_eq!(cells[..fields.len()], fields, "{format:?}");
                let hash = cells[fields.len()];
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                assert_eq!(
                    checker.row(&fields, row.batch, hash),
                    Ok(()),
                    "{format:?} row {read}"
                );
                again.write_record(&record).unwrap();
            }
            assert!(checker.finish().is_ok(), "{format:?}");
            assert_eq!(read, rows.len(), "{format:?}");
            let again = again.into_inner().unwrap();
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&again),
                "{format:?}"
            );
        }
    }

    /// A row's hash from its line (cells joined by commas) is the hash from its fields, in both
    /// formats, for random cells without commas (any other byte, empty cells, long cells), rows
    /// of 1–9 cells, in blocks that end at any row.
    #[test]
    fn hashes_from_the_line_are_those_from_the_fields() {
        let mut stream = crate::rng::Stream::new(19, "ledger lines");
        for format in [LedgerFormat::V1, LedgerFormat::V2] {
            let start = "7".repeat(64);
            let mut by_fields = ChainWriter::new(format, &start).unwrap();
            let mut by_line = ChainWriter::new(format, &start).unwrap();
            for row in 0..3000 {
                let cells: Vec<String> = (0..1 + stream.below(9))
                    .map(|_| {
                        let len = [0, 1, 3, 10, 25, 300][stream.below(6) as usize];
                        (0..len)
                            .map(|_| match stream.below(6) {
                                0 => '\u{1f}',
                                1 => 'Å',
                                2 => '"',
                                _ => char::from(b' ' + stream.below(94) as u8),
                            })
                            .filter(|&c| c != ',')
                            .collect()
                    })
                    .collect();
                let fields: Vec<&str> = cells.iter().map(String::as_str).collect();
                let line = fields.join(",");
                let ends_batch = stream.below(50) == 0;
                assert_eq!(
                    by_line.row_of_line(line.as_bytes(), ends_batch),
                    by_fields.row(&fields, ends_batch),
                    "{format:?} row {row}: {line:?}"
                );
            }
        }
    }

    /// A field needs quotes when it holds a comma, a quote, a line feed or a carriage return
    /// anywhere, at every length and place (the word-at-a-time test against a byte loop).
    #[test]
    fn fields_that_need_quotes_are_found_at_every_place() {
        for len in 0..40 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut field = vec![b'a'; len];
                    field[at] = b;
                    let expected = matches!(b, b',' | b'"' | b'\n' | b'\r');
                    assert_eq!(needs_quotes(&field), expected, "{field:?}");
                    // Bytes with the high bit set around it change nothing.
                    let high: Vec<u8> = field
                        .iter()
                        .map(|&c| if c == b'a' { 0xc3 } else { c })
                        .collect();
                    assert_eq!(needs_quotes(&high), expected, "{high:?}");
                }
            }
            assert!(!needs_quotes(&vec![b'x'; len]));
        }
    }

    #[test]
    fn the_chain_start_is_sha256_hex() {
        // FIPS 180-2 test vector "abc".
        assert_eq!(
            chain_start(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// The block text gathered and hashed a few kilobytes at a time gives the hash of SHA-256
    /// fed each piece as it comes (the general way): blocks of one row, of rows that cross the
    /// buffer's edge, longer than the buffer, with empty fields; and again after a block closed.
    #[test]
    fn gathered_block_text_hashes_as_fed_piece_by_piece() {
        let long = "x".repeat(5000);
        let rows: Vec<Vec<&str>> = (0..300)
            .map(|i| match i % 5 {
                0 => vec![
                    "P000000001",
                    "md1",
                    "site1|F",
                    "0.6666666666666666",
                    "12",
                    "3",
                    "1",
                ],
                1 => vec!["", "", "", "", "", "0", "1"],
                2 => vec![long.as_str(), "standard", "s", "0.5", "", "1", "2"],
                3 => vec!["a"],
                _ => vec!["Åsa", "md1", "x,y", "1", "1", "1", "1"],
            })
            .collect();
        let mut previous = [b'a'; 64];
        let mut gathered = BlockText::new(&previous);
        for block_rows in [1usize, 2, 60, 1, 237] {
            let mut fed = Sha256::new();
            fed.update(previous);
            for row in rows.iter().take(block_rows) {
                fed.update([ROW_SEPARATOR]);
                for (i, f) in row.iter().enumerate() {
                    if i > 0 {
                        fed.update([FIELD_SEPARATOR]);
                    }
                    fed.update(f.as_bytes());
                }
                gathered.feed_row(row);
            }
            let want = hex_digits(&fed.finalize().into());
            assert_eq!(gathered.close(), want, "{block_rows} rows");
            previous = want;
            gathered.start(&previous);
        }
        // v1: a row's hash from its text made in a scratch buffer, as fed piece by piece.
        let mut fed = Sha256::new();
        fed.update(previous);
        for f in &rows[2] {
            fed.update([FIELD_SEPARATOR]);
            fed.update(f.as_bytes());
        }
        let mut scratch = b"left over".to_vec();
        assert_eq!(
            chain_hex_with(&mut scratch, &previous, &rows[2]),
            hex_digits(&fed.finalize().into())
        );
    }
}
