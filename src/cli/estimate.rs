//! `lotta estimate`: flags (and a study spec) → a checked plan → the data (one file, or the
//! ledger joined with participants and outcomes) → every effect row → the chosen format.

use crate::cli::UsageError;
use crate::cli::common::{Provenance, check_out, emit};
use lotta::error::Location;
use lotta::estimate::adjust::Method;
use lotta::estimate::plan::{Overrides, estimate_study, plan};
use lotta::estimate::{AnalysisData, Estimates, Options, estimate_all, inference};
use lotta::export::Format;
use lotta::io::join::load_file;
use lotta::spec::Study;
use lotta::tidy::{attrition_frame, to_frame};
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
    /// dim, ols, lin or fe (default: lin with covariates, dim without).
    #[arg(long)]
    pub estimator: Option<String>,
    /// Strata columns, comma-separated; their combinations are the strata (dim: blocked; fe).
    #[arg(long, value_delimiter = ',')]
    pub strata: Option<Vec<String>>,
    /// Cluster column for cluster-robust standard errors.
    #[arg(long)]
    pub cluster: Option<String>,
    /// hc0, hc1, hc2, hc3, cr0, cr1 (Stata), cr2 (default hc2; cr2 with --cluster).
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
    /// Adjust p-values across outcomes × subgroups: holm or bh.
    #[arg(long)]
    pub adjust: Option<String>,
    /// Write the attrition table (missing outcomes by arm) instead of the effects.
    #[arg(long)]
    pub attrition: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Multiple-testing adjustment requested on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjust {
    Holm,
    Bh,
}

/// Randomization inference requested on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiRequest {
    pub draws: u32,
    pub seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let args = *args.flags;
    let overrides = Overrides {
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
    };
    let mut spec_ri: Option<u32> = None;
    let mut spec_adjust: Option<String> = None;

    let mut ledger_path: Option<PathBuf> = None;
    // `--out`, checked before any work.
    let output;
    let (data, estimates, notes, options, inputs, study_seed) = match (&args.study, &args.data) {
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
        (Some(path), None) => {
            if args.treatment.is_some() {
                return Err(UsageError(
                    "--treatment is for --data; with a study the ledger's `arm` is the treatment"
                        .into(),
                )
                .into());
            }
            let study = Study::load(path)?;
            output = check_out(args.out.as_deref(), &study.input_files())?;
            let location = Location::file(&study.file);
            let plan = plan(
                study.spec.analysis.as_ref(),
                study.spec.design.as_ref(),
                &overrides,
                &location,
            )?;
            let (data, estimates, notes) = estimate_study(&study, &overrides)?;
            let mut inputs = vec![study.file.clone()];
            if let Some(l) = &study.spec.data.ledger {
                inputs.push(study.resolve(l));
                ledger_path = Some(study.resolve(l));
            }
            if let Some(p) = &study.spec.data.participants {
                inputs.push(study.resolve(p));
            }
            inputs.extend(study.spec.data.outcomes.iter().map(|p| study.resolve(p)));
            let defaults = study.spec.analysis.as_ref();
            spec_ri = defaults.and_then(|a| a.ri_draws);
            spec_adjust = defaults.and_then(|a| a.adjust.clone());
            (
                data,
                estimates,
                notes,
                plan.options,
                inputs,
                Some(study.seed()),
            )
        }
        (None, Some(file)) => {
            if args.treatment.is_none() {
                return Err(UsageError("--data needs --treatment COLUMN".into()).into());
            }
            output = check_out(args.out.as_deref(), std::slice::from_ref(file))?;
            let plan = plan(None, None, &overrides, &Location::default())?;
            let mut request = plan.request.clone();
            request.treatment = args.treatment.clone().unwrap_or_default();
            let data = load_file(file, &request)?;
            let estimates = estimate_all(&data, &plan.options, None)?;
            let notes = estimates.warnings.clone();
            (
                data,
                estimates,
                notes,
                plan.options,
                vec![file.clone()],
                None,
            )
        }
    };
    let adjust = match args.adjust.clone().or(spec_adjust).as_deref() {
        None => None,
        Some("holm") => Some(Adjust::Holm),
        Some("bh") => Some(Adjust::Bh),
        Some(other) => {
            return Err(UsageError(format!("--adjust {other}: expected holm or bh")).into());
        }
    };
    for note in &notes {
        eprintln!("warning: {note}");
    }
    let ri = match args.ri.or(spec_ri) {
        None | Some(0) => None,
        Some(draws) => {
            let seed = args.seed.or(study_seed).ok_or_else(|| {
                UsageError("--ri needs --seed N (or a study, whose seed is used)".into())
            })?;
            Some(RiRequest { draws, seed })
        }
    };
    let mut estimates = estimates;
    apply_inference(
        &data,
        &options,
        &mut estimates,
        ri,
        adjust,
        ledger_path.as_deref(),
    )?;
    let frame = if args.attrition {
        attrition_frame(&estimates.attrition)
    } else {
        to_frame(&estimates.rows)
    };
    emit(
        &frame,
        args.format,
        output.as_ref(),
        &Provenance {
            command: "lotta estimate",
            seed: ri.map(|r| r.seed),
            inputs: &inputs,
        },
    )?;
    Ok(0)
}

/// Randomization inference (the study's own design re-run from its ledger, or permutation
/// within strata for ad hoc data) and the multiple-testing adjustment, into the rows.
pub fn apply_inference(
    data: &AnalysisData,
    options: &Options,
    estimates: &mut Estimates,
    ri: Option<RiRequest>,
    adjust: Option<Adjust>,
    ledger_path: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(ri) = ri {
        let draws = ri.draws as usize;
        match ledger_path {
            Some(path) => {
                let ledger = lotta::io::ledger::read(path)?
                    .ok_or_else(|| lotta::Error::ledger(Location::file(path), "no such ledger"))?;
                let replay = inference::LedgerReplay::new(&ledger, data)?;
                let draw = replay.draws(ri.seed);
                // IPW: each draw is weighted by its own assignment probabilities.
                let reweight: Option<Box<inference::Reweight<'_>>> = data
                    .weights
                    .as_ref()
                    .map(|_| Box::new(replay.weights()) as Box<inference::Reweight<'_>>);
                inference::randomization_inference(
                    data,
                    options,
                    estimates,
                    draws,
                    &draw,
                    reweight.as_deref(),
                )?;
            }
            None => {
                let draw = inference::permutation_draws(data, ri.seed)?;
                inference::randomization_inference(data, options, estimates, draws, &draw, None)?;
            }
        }
    }
    if let Some(adjust) = adjust {
        let method = match adjust {
            Adjust::Holm => Method::Holm,
            Adjust::Bh => Method::BenjaminiHochberg,
        };
        inference::adjust_p_values(estimates, method);
    }
    Ok(())
}
