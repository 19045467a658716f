//! The source seam: every input file a command reads is opened here, once, and every parse of
//! it (its header, its typed columns, the ledger's rows) and its hash for the manifest are taken
//! from the same bytes. A new input format (Parquet, Stata .dta) is a new branch of
//! [`InputFile::table`] and [`InputFile::headers`], chosen by the file's extension; nothing
//! else in lotta reads data files.

use crate::error::{Error, Result};
use crate::io::table::{ColumnRequest, FileBytes, Table, file_bytes, headers_of};
use crate::io::{ledger, sha256_hex};
use crate::spec::Study;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One input file, read once.
pub struct InputFile {
    path: PathBuf,
    bytes: FileBytes,
    sha256: OnceLock<String>,
}

impl std::fmt::Debug for InputFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputFile")
            .field("path", &self.path)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl InputFile {
    /// Open and read (or map) the file at `path`.
    pub fn open(path: &Path) -> Result<InputFile> {
        Ok(InputFile {
            path: path.to_path_buf(),
            bytes: file_bytes(path)?,
            sha256: OnceLock::new(),
        })
    }

    /// An input given as bytes (a test, or data that came from elsewhere); `path` names it in
    /// messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> InputFile {
        InputFile {
            path: path.to_path_buf(),
            bytes: FileBytes::Read(bytes),
            sha256: OnceLock::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the bytes, hex (computed once).
    pub fn sha256(&self) -> &str {
        self.sha256.get_or_init(|| sha256_hex(&self.bytes))
    }

    /// The column names, in order.
    pub fn headers(&self) -> Result<Vec<String>> {
        headers_of(&self.path, &self.bytes)
    }

    /// The requested columns, typed.
    pub fn table(&self, requests: &[ColumnRequest]) -> Result<Table> {
        Table::from_bytes(&self.path, &self.bytes, requests)
    }
}

/// Every data file a study names, each opened once: the ledger and its design file, the
/// participants, the outcome files and the costs.
#[derive(Debug)]
pub struct StudyInputs {
    pub ledger: Option<InputFile>,
    /// `<ledger>.design.json`.
    pub sidecar: Option<InputFile>,
    pub participants: Option<InputFile>,
    pub outcomes: Vec<InputFile>,
    pub costs: Option<InputFile>,
}

/// Open a file the spec names under `key`; a missing file is an error naming the key.
fn open_named(study: &Study, key: &str, path: &Path) -> Result<InputFile> {
    let resolved = study.resolve(path);
    if !resolved.is_file() {
        return Err(Error::spec(
            study.key_location(key),
            format!("{} does not exist or is not a file", resolved.display()),
        )
        .with_hint("paths in study.toml are relative to the folder of study.toml"));
    }
    InputFile::open(&resolved)
}

impl StudyInputs {
    /// Open every file `[data]` names (a file named but missing is an error naming its key).
    pub fn open(study: &Study) -> Result<StudyInputs> {
        let data = &study.spec.data;
        let ledger = data
            .ledger
            .as_ref()
            .map(|p| open_named(study, "data.ledger", p))
            .transpose()?;
        let sidecar = match &ledger {
            Some(l) => {
                let path = ledger::sidecar_path(l.path());
                path.is_file().then(|| InputFile::open(&path)).transpose()?
            }
            None => None,
        };
        Ok(StudyInputs {
            ledger,
            sidecar,
            participants: data
                .participants
                .as_ref()
                .map(|p| open_named(study, "data.participants", p))
                .transpose()?,
            outcomes: data
                .outcomes
                .iter()
                .enumerate()
                .map(|(i, p)| open_named(study, &format!("data.outcomes[{i}]"), p))
                .collect::<Result<_>>()?,
            costs: data
                .costs
                .as_ref()
                .map(|p| open_named(study, "data.costs", p))
                .transpose()?,
        })
    }

    /// The ledger, which a study analysed by lotta must have.
    pub fn ledger(&self, study: &Study) -> Result<&InputFile> {
        self.ledger.as_ref().ok_or_else(|| {
            Error::spec(
                study.key_location("data.ledger"),
                "the study names no assignment ledger; run `lotta assign` and set `ledger = \"...\"` in [data]",
            )
        })
    }

    /// The files the id join reads ([`crate::io::join`]); the ledger must exist.
    pub fn files<'a>(&'a self, study: &'a Study) -> Result<crate::io::join::StudyFiles<'a>> {
        Ok(crate::io::join::StudyFiles {
            ledger: self.ledger(study)?,
            participants: self.participants.as_ref(),
            outcomes: &self.outcomes,
            costs: self.costs.as_ref(),
            id: &study.spec.data.id,
        })
    }

    /// The participants file, which a study analysed by lotta must have.
    pub fn participants(&self, study: &Study) -> Result<&InputFile> {
        self.participants.as_ref().ok_or_else(|| {
            Error::spec(
                study.key_location("data.participants"),
                "the study names no participants file",
            )
        })
    }

    /// The parsed ledger (hash chain checked) with its design.
    pub fn parsed_ledger(&self, study: &Study) -> Result<crate::design::ledger::Ledger> {
        let file = self.ledger(study)?;
        ledger::parse(file, self.sidecar.as_ref())
    }

    /// Every data file in manifest order: participants, ledger, outcomes, costs.
    pub fn all(&self) -> Vec<&InputFile> {
        let mut all = Vec::new();
        all.extend(self.participants.iter());
        all.extend(self.ledger.iter());
        all.extend(self.outcomes.iter());
        all.extend(self.costs.iter());
        all
    }
}
