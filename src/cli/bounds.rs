//! `lotta bounds`: flags (and a study spec's `[bounds]`) → checked settings → Lee (2009) bounds
//! of the study or of one data file (`ops::bounds`) → the rows in the chosen format.

use crate::cli::common::{Provenance, Source, StudyArg, check_out, emit_fitted};
use lotta::export::Format;
use lotta::ops::bounds::{bounds_frame, file_bounds, study_bounds};
use lotta::settings::bounds::{BoundsFlags, BoundsSettings};
use lotta::tidy::bounds::BOUNDS_TERMINAL;
use std::path::PathBuf;

/// The flags of `lotta bounds`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta bounds studies/md1-demo
  lotta bounds studies/md1-demo --cells gender,distance --format csv --out bounds.csv
  lotta bounds --data data/md1-demo/trial.csv --treatment arm --control standard \\
      --outcome work_or_study_540 --cells site,gender")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    /// Ad hoc: one CSV file holding every column (instead of a study).
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// Outcomes observed only for some, comma-separated [default: `[bounds] outcomes`].
    #[arg(long = "outcome", value_delimiter = ',', value_name = "COLUMNS")]
    pub outcomes: Option<Vec<String>>,
    /// A 0/1 column saying whether the outcomes are observed (e.g. earnings among the employed)
    /// [default: `[bounds] observed_when`, else an outcome is observed where it is given].
    #[arg(long)]
    pub observed_when: Option<String>,
    /// Columns whose cells tighten the bounds, comma-separated (e.g. site,gender) [default:
    /// `[bounds] cells`, else none].
    #[arg(long, value_delimiter = ',')]
    pub cells: Option<Vec<String>>,
    /// Ad hoc: the treatment column (arm names, or 0/1). With a study: the ledger's `arm`.
    #[arg(long)]
    pub treatment: Option<String>,
    /// The control arm [default: `[design] control`, else `0`].
    #[arg(long)]
    pub control: Option<String>,
    /// Subgroup column: bounds in each level too [default: `[bounds] by`, else none].
    #[arg(long)]
    pub by: Option<String>,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Write the table to this file (atomically, with a manifest entry) [default: stdout].
    #[arg(long, value_name = "FILE")]
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
    let source = Source::choose(
        args.study.path(),
        args.data.as_deref(),
        "--treatment and --outcome",
    )?;
    let settings = BoundsSettings::resolve(&flags, source.study())?;
    let output = check_out(args.out.as_deref(), &source.inputs())?;
    let results = source.analyse(
        &args.csv,
        |study, inputs| study_bounds(study, inputs, &settings),
        |file| file_bounds(file, &settings),
    )?;
    emit_fitted(
        &bounds_frame(&results.rows),
        args.format,
        Some("outcome"),
        &BOUNDS_TERMINAL,
        output.as_ref(),
        &Provenance {
            command: "lotta bounds",
            seed: None,
            inputs: results.inputs,
        },
    )?;
    Ok(0)
}
