//! The source seam: every input file a command reads is opened here, once, and every parse of
//! it (its header, its typed columns, the ledger's rows) and its hash for the manifest are taken
//! from the same bytes. The format is chosen by the file's extension
//! ([`crate::io::formats::InputKind`]): CSV, Parquet, Stata `.dta`, SAS `.sas7bdat` or Excel
//! `.xlsx`, each a branch of [`InputFile::table`] and [`InputFile::headers`]; nothing else in
//! lotta reads data files.

use crate::error::{Error, Result};
use crate::io::formats::{self, InputKind, Sheet};
use crate::io::table::{ColumnRequest, CsvFormat, FileBytes, Table, file_bytes, headers_of};
use crate::io::{ledger, sha256_hex};
use crate::spec::Study;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One input file, read once.
pub struct InputFile {
    path: PathBuf,
    /// The file's text as UTF-8 (decoded when its [`CsvFormat`] names another encoding).
    bytes: FileBytes,
    /// The SHA-256 of the file as it is on disk.
    sha256: OnceLock<String>,
    format: CsvFormat,
    /// The file's format, from its extension.
    kind: InputKind,
    /// A Stata, SAS or Excel file, decoded once when first read (Parquet files are read column
    /// by column, CSV files parsed from the bytes).
    sheet: OnceLock<Sheet>,
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
            format: CsvFormat::default(),
            kind: InputKind::of(path),
            sheet: OnceLock::new(),
        })
    }

    /// Open a user's CSV file written in `format`: its text is decoded to UTF-8 once, here (so
    /// line and column numbers in messages are the file's), its hash is of the file as on disk.
    pub fn open_as(path: &Path, format: CsvFormat) -> Result<InputFile> {
        let mut file = InputFile::open(path)?;
        file.format = format;
        // Only text is decoded here; a Stata file's text is decoded by its reader.
        if file.kind == InputKind::Csv && format.encoding != encoding_rs::UTF_8 {
            let sha = sha256_hex(&file.bytes);
            let decoded = format.decode(&file.bytes).into_owned();
            file.bytes = FileBytes::Read(decoded);
            let _ = file.sha256.set(sha);
        }
        Ok(file)
    }

    /// An input given as bytes (a test, or data that came from elsewhere); `path` names it in
    /// messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> InputFile {
        InputFile {
            path: path.to_path_buf(),
            bytes: FileBytes::Read(bytes),
            sha256: OnceLock::new(),
            format: CsvFormat::default(),
            kind: InputKind::of(path),
            sheet: OnceLock::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file is written (its decimal separator; its text is already UTF-8).
    pub fn format(&self) -> CsvFormat {
        self.format
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the bytes, hex (computed once). A mapped file is hashed a stretch at a time,
    /// each stretch released after it ([`FileBytes::release`]): the parse released the file's
    /// pages already, and the hash reads them back without keeping the whole file resident.
    pub fn sha256(&self) -> &str {
        self.sha256.get_or_init(|| {
            use sha2::{Digest, Sha256};
            const STRETCH: usize = 1 << 20;
            let mut hasher = Sha256::new();
            let mut start = 0;
            while start < self.bytes.len() {
                let end = (start + STRETCH).min(self.bytes.len());
                hasher.update(&self.bytes[start..end]);
                self.bytes.release(start, end);
                start = end;
            }
            crate::io::hash::hex(&hasher.finalize())
        })
    }

    /// The file's format.
    pub fn kind(&self) -> InputKind {
        self.kind
    }

    /// The column names, in order.
    pub fn headers(&self) -> Result<Vec<String>> {
        match self.kind {
            InputKind::Csv => headers_of(&self.path, &self.bytes),
            InputKind::Parquet => formats::parquet::headers(&self.path, &self.bytes),
            _ => Ok(self.sheet()?.names.clone()),
        }
    }

    /// The requested columns, typed.
    pub fn table(&self, requests: &[ColumnRequest]) -> Result<Table> {
        match self.kind {
            InputKind::Csv => {
                Table::from_file_bytes_as(&self.path, &self.bytes, requests, self.format)
            }
            InputKind::Parquet => {
                formats::parquet::table(&self.path, &self.bytes, requests, self.format)
            }
            _ => formats::table_of(&self.path, self.sheet()?, requests, self.format),
        }
    }

    /// The columns the file declares as text (a Parquet string column); a CSV, Stata, SAS or
    /// Excel file declares none here (a CSV file's cells are all text, and the others are read
    /// whole once, so trying a column as numbers costs nothing).
    pub fn text_columns(&self) -> Result<Vec<String>> {
        match self.kind {
            InputKind::Parquet => formats::parquet::text_columns(&self.path, &self.bytes),
            _ => Ok(Vec::new()),
        }
    }

    /// The columns that are categorical by declaration (a Stata variable with value labels):
    /// a covariate among them enters as indicators of its labels, never as its codes.
    pub fn labelled_columns(&self) -> Result<Vec<String>> {
        match self.kind {
            InputKind::Stata => Ok(self.sheet()?.labelled()),
            _ => Ok(Vec::new()),
        }
    }

    /// A Stata, SAS or Excel file's columns, decoded on first use (a file that cannot be read
    /// is an error every time it is asked for).
    fn sheet(&self) -> Result<&Sheet> {
        if let Some(sheet) = self.sheet.get() {
            return Ok(sheet);
        }
        let encoding = (self.format.encoding != encoding_rs::UTF_8).then_some(self.format.encoding);
        let sheet = match self.kind {
            InputKind::Stata => formats::stata::read(&self.path, &self.bytes, encoding)?,
            InputKind::Sas => formats::sas::read(&self.path, &self.bytes)?,
            InputKind::Excel => formats::excel::read(&self.path, &self.bytes)?,
            InputKind::Csv | InputKind::Parquet => {
                return Err(Error::data(
                    crate::error::Location::file(&self.path),
                    "a CSV or Parquet file is read column by column, not as a whole",
                ));
            }
        };
        Ok(self.sheet.get_or_init(|| sheet))
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
fn open_named(study: &Study, key: &str, path: &Path, format: CsvFormat) -> Result<InputFile> {
    let resolved = study.resolve(path);
    if key == "data.ledger" && !resolved.exists() {
        return Err(Error::spec(
            study.key_location(key),
            format!(
                "the assignment ledger {} does not exist yet: nobody has been assigned",
                resolved.display()
            ),
        )
        .with_hint(format!(
            "run `lotta assign {}` first; it writes the ledger, and then `lotta run` analyses it",
            study
                .file
                .parent()
                .map_or_else(|| ".".to_string(), |p| p.display().to_string())
        )));
    }
    if !resolved.is_file() {
        return Err(Error::spec(
            study.key_location(key),
            format!("{} does not exist or is not a file", resolved.display()),
        )
        .with_hint("paths in study.toml are relative to the folder of study.toml"));
    }
    InputFile::open_as(&resolved, format)
}

/// The format of a study's CSV files from `[data] decimal` and `[data] encoding`, each error
/// naming its key.
pub fn study_format(study: &Study) -> Result<CsvFormat> {
    let data = &study.spec.data;
    let mut format = CsvFormat::default();
    if let Some(d) = &data.decimal {
        format.decimal_comma = CsvFormat::parse_decimal(d)
            .map_err(|m| Error::spec(study.key_location("data.decimal"), m))?;
    }
    if let Some(e) = &data.encoding {
        format.encoding = CsvFormat::parse_encoding(e)
            .map_err(|m| Error::spec(study.key_location("data.encoding"), m))?;
    }
    Ok(format)
}

impl StudyInputs {
    /// Open every file `[data]` names (a file named but missing is an error naming its key).
    pub fn open(study: &Study) -> Result<StudyInputs> {
        StudyInputs::open_as(study, study_format(study)?)
    }

    /// [`StudyInputs::open`] with the participants, outcome and cost files read in `format`
    /// (the ledger is lotta's own: always UTF-8 with a decimal point).
    pub fn open_as(study: &Study, format: CsvFormat) -> Result<StudyInputs> {
        let data = &study.spec.data;
        let utf8 = CsvFormat::default();
        let ledger = data
            .ledger
            .as_ref()
            .map(|p| open_named(study, "data.ledger", p, utf8))
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
                .map(|p| open_named(study, "data.participants", p, format))
                .transpose()?,
            outcomes: data
                .outcomes
                .iter()
                .enumerate()
                .map(|(i, p)| open_named(study, &format!("data.outcomes[{i}]"), p, format))
                .collect::<Result<_>>()?,
            costs: data
                .costs
                .as_ref()
                .map(|p| open_named(study, "data.costs", p, format))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash of a mapped file, taken a stretch at a time with each stretch released, is the
    /// hash of the file's bytes, whether taken before or after a parse (which releases them
    /// too); and the bytes read the same afterwards.
    #[test]
    fn a_mapped_files_hash_is_of_its_bytes_before_and_after_a_parse() {
        let mut text = String::from("id,x\n");
        let mut i = 0;
        while text.len() < (5 << 20) / 2 {
            text.push_str(&format!("p{i},{}.{}\n", i % 97, i % 13));
            i += 1;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, &text).unwrap();
        let want = sha256_hex(text.as_bytes());
        let requests = [ColumnRequest::optional_number("x")];
        // Hash first, then parse.
        let file = InputFile::open(&path).unwrap();
        assert!(matches!(file.bytes, FileBytes::Mapped(_)));
        assert_eq!(file.sha256(), want);
        assert_eq!(file.bytes(), text.as_bytes());
        assert_eq!(file.table(&requests).unwrap().n_rows(), i);
        // Parse first, then hash.
        let file = InputFile::open(&path).unwrap();
        assert_eq!(file.table(&requests).unwrap().n_rows(), i);
        assert_eq!(file.sha256(), want);
        assert_eq!(file.bytes(), text.as_bytes());
    }
}
