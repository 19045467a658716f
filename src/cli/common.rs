//! Pieces every command uses: writing results to stdout or a checked output file, error chains.

use anyhow::Context;
use lotta::design::{AssignmentMethod, Misfits};
use lotta::export::{Format, Frame, render};
use lotta::io::manifest::FileHash;
use lotta::io::output::OutputFile;
use lotta::io::source::{InputFile, StudyInputs};
use lotta::io::table::CsvFormat;
use lotta::settings::Choice;
use lotta::settings::design::{DesignFlags, DesignSettings};
use lotta::spec::Study;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The error and its causes on one line, separated by `: ` (each cause printed once).
pub fn error_chain(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Check `--out` before any work: it must not be an input, a file lotta did not write, or its
/// manifest (see [`OutputFile`]).
pub fn check_out(out: Option<&Path>, inputs: &[PathBuf]) -> anyhow::Result<Option<OutputFile>> {
    Ok(out.map(|p| OutputFile::check(p, inputs)).transpose()?)
}

/// Where an output came from, for its manifest entry.
pub struct Provenance<'a> {
    pub command: &'a str,
    pub seed: Option<u64>,
    /// The inputs' hashes, taken from the bytes that were read.
    pub inputs: Vec<FileHash>,
}

/// The hashes of input files read by path (commands that do not read through `InputFile`).
pub fn hashes_of(paths: &[PathBuf]) -> anyhow::Result<Vec<FileHash>> {
    Ok(lotta::io::manifest::hash_inputs(paths)?)
}

/// Write `bytes` to the checked output file (with its manifest entry) or to stdout.
pub fn emit_bytes(
    bytes: &[u8],
    out: Option<&OutputFile>,
    provenance: &Provenance,
) -> anyhow::Result<()> {
    match out {
        Some(file) => file
            .write(
                bytes,
                provenance.command,
                provenance.seed,
                &provenance.inputs,
            )
            .with_context(|| format!("writing {}", file.path().display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).context("writing to stdout")?;
            Ok(())
        }
    }
}

/// Write a frame in `format`; a terminal table (`--format table`) is fitted to a 100-column
/// terminal: a block per value of `group`, the `wanted` columns that fit (all of the frame's,
/// in its order, when `wanted` is empty), notes and the names of the columns left out below.
/// The other formats keep every column.
pub fn emit_fitted(
    frame: &Frame,
    format: Format,
    group: Option<&str>,
    wanted: &[&str],
    out: Option<&OutputFile>,
    provenance: &Provenance,
) -> anyhow::Result<()> {
    use lotta::export::terminal::{TERMINAL_WIDTH, fit_table};
    let bytes = match format {
        Format::Table if wanted.is_empty() => {
            let all: Vec<&str> = frame.columns.iter().map(String::as_str).collect();
            fit_table(frame, group, &all, TERMINAL_WIDTH)
        }
        Format::Table => fit_table(frame, group, wanted, TERMINAL_WIDTH),
        _ => render(frame, format),
    };
    emit_bytes(&bytes, out, provenance)
}

/// A clap value parser for a [`Choice`] (the words are lotta's, parsed in the settings layer).
pub fn choice<T: Choice + PartialEq>(text: &str) -> Result<T, String> {
    let lower = text.trim().to_ascii_lowercase();
    T::WORDS
        .iter()
        .find(|(w, _)| *w == lower)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let words: Vec<&str> = T::WORDS.iter().map(|(w, _)| *w).collect();
            format!("expected one of {}", words.join(", "))
        })
}

/// The design options; every one also exists as a `[design]` key (or `[data]`/`[study]` key).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DesignArgs {
    /// The id column of the participants file [default: `[data] id`].
    #[arg(long)]
    pub id: Option<String>,
    /// Arms and ratios, e.g. `md1:2,standard:1` [default: `[design] arms`].
    #[arg(long)]
    pub arms: Option<String>,
    /// The comparison arm [default: `[design] control`, else the last arm].
    #[arg(long)]
    pub control: Option<String>,
    /// Strata columns, comma-separated (e.g. `site,gender`) [default: `[design] strata`, else
    /// none].
    #[arg(long, value_delimiter = ',')]
    pub strata: Option<Vec<String>>,
    /// Cluster column: all members of a cluster get the same arm [default: `[design] cluster`,
    /// else none].
    #[arg(long)]
    pub cluster: Option<String>,
    /// complete or blocks (permuted blocks) [default: `[design] method`, else complete].
    #[arg(long, value_parser = choice::<AssignmentMethod>)]
    pub method: Option<AssignmentMethod>,
    /// Block sizes for method `blocks`, e.g. `3,6` (multiples of the sum of the ratios)
    /// [default: `[design] block_sizes`, else one and two times the sum of the ratios].
    #[arg(long, value_delimiter = ',')]
    pub block_sizes: Option<Vec<u32>>,
    /// Misfit policy for method `complete`: missing, strata, global, wstrata, wglobal (as
    /// Stata's randtreat) or randomizr (every unit assigned, counts the floor or ceiling of the
    /// target) [default: `[design] misfits`, else randomizr with --cluster, missing without].
    #[arg(long, value_parser = choice::<Misfits>)]
    pub misfits: Option<Misfits>,
    /// The seed [default: `[study] seed`].
    #[arg(long)]
    pub seed: Option<u64>,
}

impl DesignArgs {
    /// The library's design flags.
    pub fn flags(&self) -> DesignFlags {
        DesignFlags {
            id: self.id.clone(),
            arms: self.arms.clone(),
            control: self.control.clone(),
            strata: self.strata.clone(),
            cluster: self.cluster.clone(),
            method: self.method,
            block_sizes: self.block_sizes.clone(),
            misfits: self.misfits,
            seed: self.seed,
            ledger_format: None,
        }
    }
}

/// Load the study (when given) and resolve the design settings with the flags over it.
pub fn design_settings(
    study: Option<&Path>,
    participants: Option<PathBuf>,
    ledger: Option<PathBuf>,
    flags: &DesignArgs,
) -> anyhow::Result<DesignSettings> {
    let study = study.map(Study::load).transpose()?;
    Ok(DesignSettings::resolve(
        study,
        participants,
        ledger,
        &flags.flags(),
    )?)
}

/// The study a command works on: the positional `STUDY` (a folder or its study.toml), as in
/// `lotta run`; `--study PATH`, the older spelling, still works (hidden from the help).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StudyArg {
    /// The study: a folder or its study.toml; its sections give the defaults of the flags below.
    #[arg(value_name = "STUDY")]
    pub study: Option<PathBuf>,
    /// The same as STUDY (the older spelling, kept for existing scripts).
    #[arg(
        long = "study",
        value_name = "STUDY",
        hide = true,
        conflicts_with = "study"
    )]
    pub study_flag: Option<PathBuf>,
}

impl StudyArg {
    /// The study's path, however it was named.
    pub fn path(&self) -> Option<&Path> {
        self.study.as_deref().or(self.study_flag.as_deref())
    }

    /// The study's path for a command that needs one: a usage error saying so otherwise.
    pub fn required(&self, command: &str) -> anyhow::Result<&Path> {
        self.path().ok_or_else(|| {
            crate::cli::UsageError(format!(
                "give the study: `lotta {command} STUDY` (a study folder or its study.toml)"
            ))
            .into()
        })
    }

    /// Load the study when one is named.
    pub fn load(&self) -> anyhow::Result<Option<Study>> {
        Ok(self.path().map(Study::load).transpose()?)
    }
}

/// Where a command's data come from: a study (its files joined by id, arms from the ledger) or
/// one ad-hoc file holding every column (`--data FILE`).
pub enum Source {
    Study(Box<Study>),
    File(PathBuf),
}

impl Source {
    /// The study or the `--data` file, exactly one of them; `needs` says which flags the ad-hoc
    /// file goes with (e.g. "--treatment and --outcome"), for the message when neither is given.
    pub fn choose(
        study: Option<&Path>,
        data: Option<&Path>,
        needs: &str,
    ) -> anyhow::Result<Source> {
        match (study, data) {
            (Some(_), Some(_)) => {
                Err(crate::cli::UsageError("give a study or --data FILE, not both".into()).into())
            }
            (None, None) => Err(crate::cli::UsageError(format!(
                "give a study (folder or study.toml) or --data FILE with {needs}"
            ))
            .into()),
            (Some(path), None) => Ok(Source::Study(Box::new(Study::load(path)?))),
            (None, Some(file)) => Ok(Source::File(file.to_path_buf())),
        }
    }

    /// The study, when the data come from one.
    pub fn study(&self) -> Option<&Study> {
        match self {
            Source::Study(study) => Some(study),
            Source::File(_) => None,
        }
    }

    /// Every input file (an `--out` must be none of them).
    pub fn inputs(&self) -> Vec<PathBuf> {
        match self {
            Source::Study(study) => study.input_files(),
            Source::File(file) => vec![file.clone()],
        }
    }

    /// Open the inputs once, in the format the flags and the study's `[data]` say, and run the
    /// study's or the single file's analysis on them.
    pub fn analyse<T>(
        &self,
        csv: &CsvArgs,
        of_study: impl FnOnce(&Study, &StudyInputs) -> lotta::Result<T>,
        of_file: impl FnOnce(&InputFile) -> lotta::Result<T>,
    ) -> anyhow::Result<T> {
        let format = csv_format(csv, self.study())?;
        Ok(match self {
            Source::Study(study) => of_study(study, &StudyInputs::open_as(study, format)?)?,
            Source::File(file) => of_file(&InputFile::open_as(file, format)?)?,
        })
    }
}

/// The clap value parser of `--format`.
pub fn format(text: &str) -> Result<Format, String> {
    Format::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Format::NAMES.iter().map(|(n, _)| *n).collect();
        format!("expected one of {}", names.join(", "))
    })
}

/// How the input CSV files are written (Swedish Excel exports: `--decimal , --encoding latin1`).
/// The field separator, `,` or `;`, is detected from the header line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CsvArgs {
    /// Decimal separator of the input CSV files: `.` or `,` [default: `[data] decimal`, else
    /// `.`].
    #[arg(long, value_name = "SEP")]
    pub decimal: Option<String>,
    /// Character encoding of the input CSV files: utf-8, latin1 or windows-1252 (missing values
    /// everywhere: an empty cell, NA, `.`, NaN or nan) [default: `[data] encoding`, else utf-8].
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
}

/// The input files' format: a flag wins over its `[data]` key, a key over the default (UTF-8,
/// decimal point). A bad flag is a usage error naming it.
pub fn csv_format(args: &CsvArgs, study: Option<&Study>) -> anyhow::Result<CsvFormat> {
    let mut format = match study {
        Some(study) => lotta::io::source::study_format(study)?,
        None => CsvFormat::default(),
    };
    if let Some(d) = &args.decimal {
        format.decimal_comma = CsvFormat::parse_decimal(d)
            .map_err(|m| crate::cli::UsageError(format!("--decimal: {m}")))?;
    }
    if let Some(e) = &args.encoding {
        format.encoding = CsvFormat::parse_encoding(e)
            .map_err(|m| crate::cli::UsageError(format!("--encoding: {m}")))?;
    }
    Ok(format)
}
