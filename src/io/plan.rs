//! The plan record on disk (`analysis-plan.jsonl` beside study.toml): read and checked whole,
//! and extended only by appending one line, written atomically (the old bytes, then the new
//! line) so that a kill at any instant leaves either the old record or the new one. The format
//! is [`crate::plan::record`]'s.

use crate::error::{Error, Location, Result};
use crate::io::source::InputFile;
use crate::io::write_atomic;
use crate::plan::record::{PlanVersion, parse};
use crate::spec::Study;
use std::path::{Path, PathBuf};

/// The record's file name, in the study folder.
pub const PLAN_FILE: &str = "analysis-plan.jsonl";

/// Where `study`'s plan record is.
pub fn plan_path(study: &Study) -> PathBuf {
    study.dir.join(PLAN_FILE)
}

/// A plan record as read: its bytes (to append to exactly these) and its checked versions.
pub struct PlanRecord {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub versions: Vec<PlanVersion>,
}

/// Read and check the record at `path`; None when there is none yet.
pub fn read(path: &Path) -> Result<Option<PlanRecord>> {
    if !path.exists() {
        return Ok(None);
    }
    let input = InputFile::open(path)?;
    let text = std::str::from_utf8(input.bytes()).map_err(|e| {
        Error::ledger(
            Location::file(path),
            format!("not lotta's plan record: not UTF-8 ({e})"),
        )
    })?;
    let versions = parse(text).map_err(|e| {
        Error::ledger(
            Location::file(path).with_line(e.line as u64),
            format!("plan record: {}", e.message),
        )
        .with_hint(
            "the frozen plan must not be edited; restore it from version control or a backup",
        )
    })?;
    Ok(Some(PlanRecord {
        path: path.to_path_buf(),
        bytes: input.bytes().to_vec(),
        versions,
    }))
}

/// Append `version` to the record at `path`, whose bytes were `existing` when read (empty: no
/// record yet). Refuses when the file changed since it was read.
pub fn append(path: &Path, existing: &[u8], version: &PlanVersion) -> Result<()> {
    let now = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(path, e)),
    };
    if now != existing {
        return Err(Error::refused(
            Location::file(path),
            "the plan record changed while freezing; nothing was written",
        )
        .with_hint("run `lotta plan freeze` again"));
    }
    let mut bytes = existing.to_vec();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(version.line().as_bytes());
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}
