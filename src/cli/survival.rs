//! `lotta survival`: flags (and a study spec's `[survival]`) → checked settings → the survival
//! analysis of the study or of one data file (`ops::survival`) → the rows in the chosen format.

use crate::cli::common::{Provenance, Source, StudyArg, check_out, emit_fitted};
use lotta::export::Format;
use lotta::io::join::Joined;
use lotta::ops::survival::{file_survival, study_survival, survival_frame};
use lotta::ops::survival_data::{columns, survival_data};
use lotta::settings::survival::{SurvivalFlags, SurvivalSettings};
use lotta::tidy::survival::SURVIVAL_TERMINAL;
use std::path::PathBuf;

/// The flags of `lotta survival` (boxed: the command enum stays small).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta survival studies/md1-demo
  lotta survival studies/md1-demo --at 180,365 --tau 365 --format csv --out survival.csv
  lotta survival --data data/md1-demo/trial.csv --time exit_day --event exit --cause work \\
      --treatment arm --control standard --by gender --at 180,365,540")]
pub struct Args {
    #[command(flatten)]
    pub flags: Box<Flags>,
}

#[derive(Debug, clap::Args)]
pub struct Flags {
    #[command(flatten)]
    pub study: StudyArg,
    /// Ad hoc: one CSV file holding every column (instead of a study).
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// Time from randomization to the event or censoring (days, months; a number ≥ 0)
    /// [default: `[survival] time`].
    #[arg(long)]
    pub time: Option<String>,
    /// 0 = censored, 1 = event; or, with --cause, 0 = censored and the other codes the exits
    /// [default: `[survival] event`].
    #[arg(long)]
    pub event: Option<String>,
    /// Ad hoc: the treatment column, 0/1 or arm names (with --control). With a study: the ledger's `arm`.
    #[arg(long)]
    pub treatment: Option<String>,
    /// The control arm [default: `[design] control`, else `0`].
    #[arg(long)]
    pub control: Option<String>,
    /// Subgroup column: results in each level and the difference between levels [default:
    /// `[survival] by`, else none].
    #[arg(long)]
    pub by: Option<String>,
    /// Strata columns, comma-separated: stratified log-rank, Cox and Gray tests [default:
    /// `[survival] strata`, else none].
    #[arg(long, value_delimiter = ',')]
    pub strata: Option<Vec<String>>,
    /// Cluster column: cluster-robust SE of the hazard ratio [default: `[survival] cluster`,
    /// else none].
    #[arg(long)]
    pub cluster: Option<String>,
    /// The exit of interest when --event holds several (the others compete): cumulative
    /// incidence and Gray's test [default: `[survival] cause`, else none].
    #[arg(long)]
    pub cause: Option<String>,
    /// Horizon τ of the restricted mean survival time [default: `[survival] tau`, else survRM2's:
    /// the smaller of the arms' last observed times].
    #[arg(long)]
    pub tau: Option<f64>,
    /// Times for the Kaplan–Meier and cumulative-incidence rows, comma-separated [default:
    /// `[survival] at`, else τ].
    #[arg(long, value_delimiter = ',')]
    pub at: Option<Vec<f64>>,
    /// Randomization inference for the log-rank statistic and the RMST difference, with this
    /// many re-drawn assignments [default: `[survival] ri_draws`, else 0: none].
    #[arg(long)]
    pub ri: Option<u32>,
    /// Seed for randomization inference [default: `[study] seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Draw algorithm of randomization inference without a ledger: v2 (one random subset per
    /// stratum) or v1 (a full shuffle per stratum, as releases before v2) [default: v2]; v3
    /// (type counts) serves `estimate`'s statistics, and here v2 draws for it.
    #[arg(long, value_name = "v1|v2|v3")]
    pub ri_algorithm: Option<String>,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Write the table to this file (atomically, with a manifest entry) [default: stdout].
    #[arg(long, value_name = "FILE")]
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
    let source = Source::choose(
        args.study.path(),
        args.data.as_deref(),
        "--time, --event and --treatment",
    )?;
    let settings = SurvivalSettings::resolve(&flags, source.study())?;
    let output = check_out(args.out.as_deref(), &source.inputs())?;
    let (results, inputs) = source.analyse(
        &args.csv,
        |study, inputs| {
            let joined = Joined::study_columns(inputs.files(study)?, &columns(&settings, true))?;
            let ledger = settings
                .ri
                .as_ref()
                .map(|_| inputs.parsed_ledger(study))
                .transpose()?;
            let persons = survival_data(&settings, &joined, true)?;
            let results = study_survival(&persons, ledger.as_ref(), &settings)?;
            Ok((results, joined.inputs().to_vec()))
        },
        |file| {
            let joined = Joined::file_columns(file, &columns(&settings, false))?;
            let persons = survival_data(&settings, &joined, false)?;
            Ok((
                file_survival(&persons, &settings)?,
                joined.inputs().to_vec(),
            ))
        },
    )?;
    for (arm, tau) in &results.analysis.taus {
        let origin = settings
            .tau
            .as_ref()
            .map_or("survRM2's default".to_string(), |t| t.origin.to_string());
        eprintln!(
            "note: τ = {tau} for {arm} vs {} ({origin})",
            results.analysis.control_arm
        );
    }
    for note in &results.analysis.notes {
        eprintln!("warning: {note}");
    }
    emit_fitted(
        &survival_frame(&results.analysis.rows),
        args.format,
        Some("outcome"),
        &SURVIVAL_TERMINAL,
        output.as_ref(),
        &Provenance {
            command: "lotta survival",
            seed: settings.ri.as_ref().map(|r| r.value.seed),
            inputs,
        },
    )?;
    Ok(0)
}
