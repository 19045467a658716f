//! The assignment ledger's record format, pure: its row types, the text of a row (`id, arm,
//! stratum, [cluster,] probability, block, position, batch, hash`), the hash chain that ties
//! each row to the one before (the first to the bytes of the design sidecar
//! `<ledger>.design.json`), and a whole ledger rendered to bytes. Reading and appending ledger
//! files is `io::ledger`'s job; this module never touches a file.

use super::{Design, UNASSIGNED};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// The format tag written in the sidecar.
pub const FORMAT: &str = "lotta-ledger/1";
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

/// The sidecar's bytes for a design (pretty JSON, newline-terminated; deterministic).
pub fn sidecar_bytes(design: &Design) -> Vec<u8> {
    let sidecar = Sidecar {
        format: FORMAT.to_string(),
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
    let mut hasher = Sha256::new();
    hasher.update(previous);
    for f in fields {
        hasher.update([FIELD_SEPARATOR]);
        hasher.update(f.as_bytes());
    }
    hex_digits(&hasher.finalize().into())
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

/// A new ledger's bytes (header and rows, hash chain starting at the sidecar of `design`), for
/// callers that write the ledger and its sidecar themselves (e.g. `lotta simulate`).
pub fn render<'a>(design: &Design, rows: impl Iterator<Item = RowView<'a>>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let start = chain_start(&sidecar_bytes(design));
    // Writing to a Vec cannot fail.
    let _ = write_rows(&mut bytes, design, start, true, rows);
    bytes
}

/// Write ledger rows (and the header when `header`) to `out`, chaining hashes from `previous`.
pub fn write_rows<'a, W: std::io::Write>(
    out: W,
    design: &Design,
    previous: String,
    header: bool,
    rows: impl Iterator<Item = RowView<'a>>,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    if header {
        writer.write_record(columns(design))?;
    }
    // Reused buffers: millions of rows are written without allocating per field.
    use std::fmt::Write as _;
    let mut previous: [u8; 64] = previous
        .as_bytes()
        .try_into()
        .map_err(|_| format!("not a SHA-256 hex digest: `{previous}`"))?;
    let (mut probability, mut block, mut position, mut batch) =
        (String::new(), String::new(), String::new(), String::new());
    for row in rows {
        probability.clear();
        if !row.probability.is_nan() {
            write!(probability, "{}", row.probability)?;
        }
        block.clear();
        if row.block != 0 {
            write!(block, "{}", row.block)?;
        }
        position.clear();
        write!(position, "{}", row.position)?;
        batch.clear();
        write!(batch, "{}", row.batch)?;
        let arm = design
            .arms
            .get(row.arm as usize)
            .filter(|_| row.arm != UNASSIGNED)
            .map_or("", |a| a.name.as_str());
        let mut fields: [&str; 8] = [""; 8];
        let mut k = 0;
        for f in [row.id, arm, row.stratum] {
            fields[k] = f;
            k += 1;
        }
        if design.cluster.is_some() {
            fields[k] = row.cluster.unwrap_or_default();
            k += 1;
        }
        for f in [&probability, &block, &position, &batch] {
            fields[k] = f.as_str();
            k += 1;
        }
        let hash = chain_hex(&previous, &fields[..k]);
        for f in &fields[..k] {
            writer.write_field(f)?;
        }
        writer.write_record(std::iter::once(&hash[..]))?;
        previous = hash;
    }
    writer.flush()?;
    Ok(())
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

    #[test]
    fn the_chain_start_is_sha256_hex() {
        // FIPS 180-2 test vector "abc".
        assert_eq!(
            chain_start(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
