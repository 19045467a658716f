//! `lotta survival`: flags (and a study spec's `[survival]`) → checked settings → the survival
//! analysis of the study or of one data file (`ops::survival`) → the rows in the chosen format.

use crate::cli::UsageError;
use crate::cli::common::{Provenance, check_out, emit};
use lotta::export::Format;
use lotta::io::source::StudyInputs;
use lotta::ops::survival::{file_survival, study_survival, survival_frame};
use lotta::settings::survival::{SurvivalFlags, SurvivalSettings};
use lotta::spec::Study;
use std::path::PathBuf;

/// The flags of `lotta survival` (boxed: the command enum stays small).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub flags: Box<Flags>,
}

#[derive(Debug, clap::Args)]
pub struct Flags {
    /// A study folder or its study.toml (`[survival]` gives the defaults).
    pub study: Option<PathBuf>,
    /// Ad hoc: one CSV file holding every column (instead of a study).
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// Time from randomization to the event or censoring (days, months; a number ≥ 0).
    #[arg(long)]
    pub time: Option<String>,
    /// 0 = censored, 1 = event; or, with --cause, 0 = censored and the other codes the exits.
    #[arg(long)]
    pub event: Option<String>,
    /// Ad hoc: the treatment column, 0/1 or arm names (with --control). With a study: the ledger's `arm`.
    #[arg(long)]
    pub treatment: Option<String>,
    /// The control arm (default: `[design] control`, else `0`).
    #[arg(long)]
    pub control: Option<String>,
    /// Subgroup column: results in each level and the difference between levels.
    #[arg(long)]
    pub by: Option<String>,
    /// Strata columns, comma-separated: stratified log-rank, Cox and Gray tests.
    #[arg(long, value_delimiter = ',')]
    pub strata: Option<Vec<String>>,
    /// Cluster column: cluster-robust SE of the hazard ratio.
    #[arg(long)]
    pub cluster: Option<String>,
    /// The exit of interest when --event holds several (the others compete): cumulative
    /// incidence and Gray's test.
    #[arg(long)]
    pub cause: Option<String>,
    /// Horizon τ of the restricted mean survival time (default: survRM2's).
    #[arg(long)]
    pub tau: Option<f64>,
    /// Times for the Kaplan–Meier and cumulative-incidence rows, comma-separated (default: τ).
    #[arg(long, value_delimiter = ',')]
    pub at: Option<Vec<f64>>,
    /// Randomization inference for the log-rank statistic and the RMST difference, with this
    /// many re-drawn assignments.
    #[arg(long)]
    pub ri: Option<u32>,
    /// Seed for randomization inference (default: `[study] seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Draw algorithm of randomization inference without a ledger: v2 (default; one random
    /// subset per stratum) or v1 (a full shuffle per stratum, as releases before v2; reproduces
    /// their p-values).
    #[arg(long, value_name = "v1|v2")]
    pub ri_algorithm: Option<String>,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let args = *args.flags;
    let flags = SurvivalFlags {
        time: args.time.clone(),
        event: args.event.clone(),
        treatment: args.treatment.clone(),
        control: args.control.clone(),
        by: args.by.clone(),
        strata: args.strata.clone(),
        cluster: args.cluster.clone(),
        cause: args.cause.clone(),
        tau: args.tau,
        at: args.at.clone(),
        ri: args.ri,
        ri_algorithm: args.ri_algorithm.clone(),
        seed: args.seed,
    };
    let study = match (&args.study, &args.data) {
        (Some(_), Some(_)) => {
            return Err(UsageError("give a study or --data FILE, not both".into()).into());
        }
        (None, None) => {
            return Err(UsageError(
                "give a study (folder or study.toml) or --data FILE with --time, --event and --treatment"
                    .into(),
            )
            .into());
        }
        (Some(path), None) => Some(Study::load(path)?),
        (None, Some(_)) => None,
    };
    let settings = SurvivalSettings::resolve(&flags, study.as_ref())?;
    let mut inputs: Vec<PathBuf> = args.data.iter().cloned().collect();
    if let Some(study) = &study {
        inputs.extend(study.input_files());
    }
    let output = check_out(args.out.as_deref(), &inputs)?;
    let results = match (&study, &args.data) {
        (Some(study), _) => study_survival(study, &StudyInputs::open(study)?, &settings)?,
        (None, Some(path)) => {
            let format = crate::cli::common::csv_format(&args.csv, None)?;
            file_survival(
                &lotta::io::source::InputFile::open_as(path, format)?,
                &settings,
            )?
        }
        (None, None) => return Err(UsageError("give a study or --data FILE".into()).into()),
    };
    for (arm, tau) in &results.taus {
        let origin = settings
            .tau
            .as_ref()
            .map_or("survRM2's default".to_string(), |t| t.origin.to_string());
        eprintln!(
            "note: τ = {tau} for {arm} vs {} ({origin})",
            results.control_arm
        );
    }
    for note in &results.notes {
        eprintln!("warning: {note}");
    }
    emit(
        &survival_frame(&results.rows),
        args.format,
        output.as_ref(),
        &Provenance {
            command: "lotta survival",
            seed: settings.ri.as_ref().map(|r| r.value.seed),
            inputs: results.inputs,
        },
    )?;
    Ok(0)
}
