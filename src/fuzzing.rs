//! Entry points for the fuzz targets in `fuzz/` and for `tests/fuzz_corpus.rs`, which replays
//! their corpus in every `cargo test`: the CSV reader, the study file with every section's
//! settings, and the ledger reader. Each takes arbitrary bytes and must return (an error is
//! fine) without panicking, hanging or allocating without bound.

use crate::io::source::InputFile;
use crate::io::table::{ColumnRequest, headers_of, numbers_or_categories};
use std::path::Path;

/// Inputs larger than this are ignored: the readers are linear, large inputs only slow a fuzzer.
const MAX_INPUT: usize = 1 << 16;

/// The CSV reader: the header, then the first columns requested as text, numbers and optional
/// numbers (chosen by the first byte), read as UTF-8 with a decimal point, or (second byte)
/// with a decimal comma and/or as Windows-1252, and the numeric-or-categorical decision for
/// text columns.
pub fn csv(data: &[u8]) -> bool {
    if data.len() > MAX_INPUT || data.len() < 2 {
        return false;
    }
    let (mode, style, raw) = (data[0], data[1], &data[2..]);
    let format = crate::io::table::CsvFormat {
        decimal_comma: style & 1 == 1,
        encoding: if style & 2 == 2 {
            encoding_rs::WINDOWS_1252
        } else {
            encoding_rs::UTF_8
        },
    };
    let decoded = format.decode(raw);
    let bytes: &[u8] = &decoded;
    let path = Path::new("fuzz.csv");
    let Ok(headers) = headers_of(path, bytes) else {
        return false;
    };
    let requests: Vec<ColumnRequest> = headers
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, h)| match (mode >> (2 * i)) & 3 {
            0 => ColumnRequest::number(h.clone()),
            1 => ColumnRequest::optional_number(h.clone()),
            _ => ColumnRequest::text(h.clone()),
        })
        .collect();
    let Ok(table) = crate::io::table::Table::from_bytes_as(path, bytes, &requests, format) else {
        return false;
    };
    for r in &requests {
        if r.kind == crate::io::ColumnKind::Text {
            let _ = numbers_or_categories(&table, &r.name);
        }
    }
    true
}

/// A study file: parsed, validated, and every section resolved into settings (the run's, and
/// `[simulate]`'s data-generating process).
pub fn study_toml(data: &[u8]) -> bool {
    if data.len() > MAX_INPUT {
        return false;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(study) = crate::spec::Study::from_text(Path::new("/nonexistent/study.toml"), text)
    else {
        return false;
    };
    if let Some(simulate) = &study.spec.simulate {
        let _ = crate::simulate::dgp::Dgp::from_spec(simulate, &|k| study.key_location(k));
    }
    crate::ops::run::RunSettings::resolve(&study).is_ok()
}

/// A small stratified design file (blocks of 3 and 6, global misfits) in the given format.
macro_rules! sidecar {
    ($format:literal) => {
        concat!(
            r#"{
  "format": ""#,
            $format,
            r#"",
  "algorithm": "lotta/assign/v1",
  "design": {
    "arms": [{"name": "md1", "ratio": 2}, {"name": "standard", "ratio": 1}],
    "control": "standard",
    "strata": ["site"],
    "cluster": null,
    "method": "blocks",
    "block_sizes": [3, 6],
    "misfits": "global",
    "seed": 42,
    "id": "person_id"
  }
}
"#
        )
    };
}

/// The design file of a small stratified ledger in format v1 (a hash on every row), for inputs
/// that give only the ledger's rows.
pub const SIDECAR: &str = sidecar!("lotta-ledger/1");

/// The same design in format v2 (a hash on every 1,024th row and each batch's last), so the
/// fuzzer reaches the block-hash reader too.
pub const SIDECAR_V2: &str = sidecar!("lotta-ledger/2");

/// The ledger reader. The first byte chooses the design file: 0 mod 4, the rest is a ledger read
/// with [`SIDECAR`] (v1); 2 mod 4, with [`SIDECAR_V2`]; odd, the rest is a design file and a
/// ledger separated by the first NUL byte.
pub fn ledger(data: &[u8]) -> bool {
    if data.len() > MAX_INPUT || data.is_empty() {
        return false;
    }
    let (mode, rest) = (data[0], &data[1..]);
    let (sidecar, rows) = match mode % 4 {
        0 => (SIDECAR.as_bytes(), rest),
        2 => (SIDECAR_V2.as_bytes(), rest),
        _ => match rest.iter().position(|&b| b == 0) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &[][..]),
        },
    };
    let sidecar = InputFile::from_bytes(Path::new("ledger.csv.design.json"), sidecar.to_vec());
    let file = InputFile::from_bytes(Path::new("ledger.csv"), rows.to_vec());
    crate::io::ledger::parse(&file, Some(&sidecar)).is_ok()
}
