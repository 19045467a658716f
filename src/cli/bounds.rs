//! `lotta bounds`: flags (and a study spec's `[bounds]`) → checked settings → Lee (2009) bounds
//! of the study or of one data file (`ops::bounds`) → the rows in the chosen format.

use crate::cli::UsageError;
use crate::cli::common::{Provenance, check_out, emit};
use lotta::export::Format;
use lotta::io::source::{InputFile, StudyInputs};
use lotta::ops::bounds::{bounds_frame, file_bounds, study_bounds};
use lotta::settings::bounds::{BoundsFlags, BoundsSettings};
use lotta::spec::Study;
use std::path::PathBuf;

/// The flags of `lotta bounds`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta bounds studies/md1-demo
  lotta bounds --data survey.csv --treatment arm --control standard \\
      --outcome earnings --observed-when employed --cells site,gender")]
pub struct Args {
    /// A study folder or its study.toml (`[bounds]` gives the defaults).
    pub study: Option<PathBuf>,
    /// Ad hoc: one CSV file holding every column (instead of a study).
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// Outcomes observed only for some, comma-separated (default: `[bounds] outcomes`).
    #[arg(long = "outcome", value_delimiter = ',')]
    pub outcomes: Option<Vec<String>>,
    /// A 0/1 column saying whether the outcomes are observed (e.g. earnings among the employed;
    /// default: an outcome is observed where it is given).
    #[arg(long)]
    pub observed_when: Option<String>,
    /// Columns whose cells tighten the bounds, comma-separated (e.g. site,gender).
    #[arg(long, value_delimiter = ',')]
    pub cells: Option<Vec<String>>,
    /// Ad hoc: the treatment column (arm names, or 0/1). With a study: the ledger's `arm`.
    #[arg(long)]
    pub treatment: Option<String>,
    /// The control arm (default: `[design] control`, else `0`).
    #[arg(long)]
    pub control: Option<String>,
    /// Subgroup column: bounds in each level too.
    #[arg(long)]
    pub by: Option<String>,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let flags = BoundsFlags {
        outcomes: args.outcomes.clone(),
        observed_when: args.observed_when.clone(),
        cells: args.cells.clone(),
        treatment: args.treatment.clone(),
        control: args.control.clone(),
        by: args.by.clone(),
    };
    let study = match (&args.study, &args.data) {
        (Some(_), Some(_)) => {
            return Err(UsageError("give a study or --data FILE, not both".into()).into());
        }
        (None, None) => {
            return Err(UsageError(
                "give a study (folder or study.toml) or --data FILE with --treatment and --outcome"
                    .into(),
            )
            .into());
        }
        (Some(path), None) => Some(Study::load(path)?),
        (None, Some(_)) => None,
    };
    let settings = BoundsSettings::resolve(&flags, study.as_ref())?;
    let mut inputs: Vec<PathBuf> = args.data.iter().cloned().collect();
    if let Some(study) = &study {
        inputs.extend(study.input_files());
    }
    let output = check_out(args.out.as_deref(), &inputs)?;
    let results = match (&study, &args.data) {
        (Some(study), _) => study_bounds(study, &StudyInputs::open(study)?, &settings)?,
        (None, Some(path)) => {
            let format = crate::cli::common::csv_format(&args.csv, None)?;
            file_bounds(&InputFile::open_as(path, format)?, &settings)?
        }
        (None, None) => return Err(UsageError("give a study or --data FILE".into()).into()),
    };
    emit(
        &bounds_frame(&results.rows),
        args.format,
        output.as_ref(),
        &Provenance {
            command: "lotta bounds",
            seed: None,
            inputs: results.inputs,
        },
    )?;
    Ok(0)
}
