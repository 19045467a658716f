//! `lotta estimate`: flags (and a study spec) → a checked plan → the data (one file, or the
//! ledger joined with participants and outcomes) → every effect row → the chosen format.

use crate::cli::UsageError;
use crate::cli::common::{Provenance, check_out, emit};
use lotta::export::Format;
use lotta::io::analysis_data::load_input;
use lotta::io::manifest;
use lotta::io::source::{InputFile, StudyInputs};
use lotta::ops::effects as ops;
use lotta::settings::analysis::{AnalysisFlags, AnalysisSettings};
use lotta::spec::Study;
use lotta::tidy::{attrition_frame, cluster_frame, to_frame};
use std::path::PathBuf;

/// The flags of `lotta estimate` (boxed: the command enum stays small).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub flags: Box<Flags>,
}

#[derive(Debug, clap::Args)]
pub struct Flags {
    /// A study folder or its study.toml (`[data]`, `[design]` and `[analysis]` give the defaults).
    pub study: Option<PathBuf>,
    /// Ad hoc: one CSV file holding every column (instead of a study).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// How the input CSV files are written (decimal comma, encoding).
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// Outcome columns, comma-separated (`[analysis] outcomes`).
    #[arg(long, value_delimiter = ',')]
    pub outcome: Option<Vec<String>>,
    /// Ad hoc: the treatment column, 0/1 or arm names (with --control). With a study: the ledger's `arm`.
    #[arg(long)]
    pub treatment: Option<String>,
    /// The control arm (default: `[design] control`, else the last arm).
    #[arg(long)]
    pub control: Option<String>,
    /// Subgroup column: effects in each level and the difference between levels.
    #[arg(long)]
    pub by: Option<String>,
    /// Covariates, comma-separated; text columns enter as indicators (first level reference).
    #[arg(long, value_delimiter = ',')]
    pub covariates: Option<Vec<String>>,
    /// Covariates to treat as categories even when they hold numbers (codes), comma-separated
    /// (`[analysis] categorical`).
    #[arg(long, value_delimiter = ',')]
    pub categorical: Option<Vec<String>>,
    /// dim, ols, lin or fe (default: lin with covariates, dim without).
    #[arg(long)]
    pub estimator: Option<String>,
    /// Strata columns, comma-separated; their combinations are the strata (dim: blocked; fe).
    #[arg(long, value_delimiter = ',')]
    pub strata: Option<Vec<String>>,
    /// Cluster column for cluster-robust standard errors.
    #[arg(long)]
    pub cluster: Option<String>,
    /// hc0, hc1, hc2, hc3, cr0, cr1 (Stata), cr2, cv3 (cluster jackknife) (default hc2; cr2
    /// with --cluster).
    #[arg(long)]
    pub se: Option<String>,
    /// Column saying who took part (0/1): adds the 2SLS effect of participation.
    #[arg(long)]
    pub participation: Option<String>,
    /// Ad hoc: a column of weights (weighted least squares, as lm_robust with weights).
    #[arg(long)]
    pub weights: Option<String>,
    /// Inverse-probability weights from the ledger: auto (when probabilities differ), on, off.
    #[arg(long)]
    pub ipw: Option<String>,
    /// Randomization inference with this many re-drawn assignments (needs --seed or the study seed).
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
    /// Wild cluster bootstrap with this many draws for every regression row (needs clusters;
    /// with Rademacher weights and 2^G <= B all sign vectors are enumerated) (`[analysis]
    /// wild_bootstrap`).
    #[arg(long, value_name = "B")]
    pub wild_bootstrap: Option<u32>,
    /// Wild bootstrap weights: rademacher (default), webb, mammen or normal.
    #[arg(long)]
    pub wild_weights: Option<String>,
    /// Wild bootstrap residuals: impose (the null imposed, WCR; default) or free (WCU).
    #[arg(long)]
    pub wild_null: Option<String>,
    /// Adjust p-values across outcomes × subgroups: holm or bh.
    #[arg(long)]
    pub adjust: Option<String>,
    /// Persons with a missing covariate: complete (left out, the default) or indicator (mean-filled
    /// with a missing indicator; a missing category is its own level) (`[analysis] missing_covariates`).
    #[arg(long)]
    pub missing_covariates: Option<String>,
    /// Write the attrition table (missing outcomes by arm) instead of the effects.
    #[arg(long)]
    pub attrition: bool,
    /// Write the cluster diagnostics of each overall effect (size, leverage, partial leverage,
    /// the estimate without each cluster, effective number of clusters) instead of the effects.
    #[arg(long, conflicts_with = "attrition")]
    pub cluster_diagnostics: bool,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let args = *args.flags;
    let flags = AnalysisFlags {
        outcomes: args.outcome.clone(),
        treatment: args.treatment.clone(),
        control: args.control.clone(),
        by: args.by.clone(),
        covariates: args.covariates.clone(),
        estimator: args.estimator.clone(),
        strata: args.strata.clone(),
        cluster: args.cluster.clone(),
        se: args.se.clone(),
        participation: args.participation.clone(),
        weights: args.weights.clone(),
        ipw: args.ipw.clone(),
        ri: args.ri,
        ri_algorithm: args.ri_algorithm.clone(),
        seed: args.seed,
        adjust: args.adjust.clone(),
        categorical: args.categorical.clone(),
        missing_covariates: args.missing_covariates.clone(),
        wild_bootstrap: args.wild_bootstrap,
        wild_weights: args.wild_weights.clone(),
        wild_null: args.wild_null.clone(),
    };
    let (study, data_file) = match (&args.study, &args.data) {
        (Some(_), Some(_)) => {
            return Err(UsageError("give a study or --data FILE, not both".into()).into());
        }
        (None, None) => {
            return Err(UsageError(
                "give a study (folder or study.toml) or --data FILE with --outcome and --treatment"
                    .into(),
            )
            .into());
        }
        (Some(path), None) => (Some(Study::load(path)?), None),
        (None, Some(file)) => (None, Some(file)),
    };
    let format = crate::cli::common::csv_format(&args.csv, study.as_ref())?;
    let inputs = match (&study, data_file) {
        (Some(study), _) => study.input_files(),
        (None, file) => file.into_iter().cloned().collect(),
    };
    // Settings and the output file are checked before any work.
    let settings = AnalysisSettings::resolve(&flags, study.as_ref())?;
    let output = check_out(args.out.as_deref(), &inputs)?;
    // Each input file is read once; the manifest's hashes (only when there is an output file
    // to record) come from the same bytes.
    let recorded = output.is_some();
    let (data, notes, hashes, ledger) = match (&study, data_file) {
        (Some(study), _) => {
            let files = StudyInputs::open_as(study, format)?;
            let (data, notes) = ops::study_data(study, &files, &settings)?;
            let ledger = ops::ledger_for_inference(study, &files, &settings)?;
            let mut hashes = vec![manifest::spec_hash(study)];
            if recorded {
                hashes.extend(files.ledger.iter().map(manifest::file_hash));
                hashes.extend(files.participants.iter().map(manifest::file_hash));
                hashes.extend(files.outcomes.iter().map(manifest::file_hash));
            }
            (data, notes, hashes, ledger)
        }
        (None, file) => {
            let file = file.ok_or_else(|| UsageError("give --data FILE".into()))?;
            let input = InputFile::open_as(file, format)?;
            let data = load_input(&input, &settings.request())?;
            let hashes = if recorded {
                vec![manifest::file_hash(&input)]
            } else {
                Vec::new()
            };
            (data, Vec::new(), hashes, None)
        }
    };
    for warning in ops::survival_outcome_warnings(study.as_ref(), &settings) {
        eprintln!("warning: {warning}");
    }
    let progress = crate::cli::common::TerminalProgress::new(false);
    let mut effects = ops::estimate(data, &settings, notes, &progress)?;
    for note in &effects.notes {
        eprintln!("warning: {note}");
    }
    let shown = effects.notes.len();
    ops::infer(&mut effects, &settings, ledger.as_ref(), &progress)?;
    for note in &effects.notes[shown..] {
        eprintln!("note: {note}");
    }
    let frame = if args.attrition {
        attrition_frame(&effects.estimates.attrition)
    } else if args.cluster_diagnostics {
        if effects.estimates.clusters.is_empty() {
            return Err(UsageError(
                "--cluster-diagnostics needs clusters; give a cluster column (--cluster or `[analysis] cluster`)".into(),
            )
            .into());
        }
        cluster_frame(&effects.estimates.clusters)
    } else {
        to_frame(&effects.estimates.rows)
    };
    emit(
        &frame,
        args.format,
        output.as_ref(),
        &Provenance {
            command: "lotta estimate",
            seed: settings.ri.as_ref().map(|r| r.value.seed),
            inputs: hashes,
        },
    )?;
    Ok(0)
}
