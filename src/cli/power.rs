//! `lotta power`: analytic MDE, power or sample size from flags and/or the study's `[power]`
//! section (flags win), or power by simulation (`--simulate R`) from its `[simulate]` section.

use crate::cli::UsageError;
use crate::cli::common::{Provenance, StudyArg, check_out, emit_fitted, hashes_of};
use lotta::error::Location;
use lotta::export::Format;
use lotta::power::{PowerInput, PowerPlan, diagnose};
use lotta::settings::analysis::{AnalysisFlags, AnalysisSettings};
use lotta::spec::Study;
use lotta::tidy::power::{POWER_TERMINAL, answer_frame, diagnosis_frame};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta power --baseline 0.30 --n 4500 --ratio 2:1 --share-women 0.45
  lotta power studies/md1-demo --n 3000
  lotta power studies/md1-demo --simulate 20 --n 900 --quiet

Give two of --n, --mde and --power; the third is solved for. Every flag is also a key of the
study's [power] section (flags win).")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    #[command(flatten)]
    pub plan: Box<PlanFlags>,
    /// Power by simulation: number of simulated trials from the study's `[simulate]` section
    /// [default: `[power] simulations`, else analytic power].
    #[arg(long, allow_hyphen_values = true)]
    pub simulate: Option<i64>,
    /// Seed for the simulation [default: `[study] seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Write the table to this file (atomically, with a manifest entry) [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The planning question (each flag is also a key of `[power]`).
#[derive(Debug, clap::Args)]
pub struct PlanFlags {
    /// Control rate of a binary outcome, e.g. 0.30.
    #[arg(long, allow_hyphen_values = true)]
    pub baseline: Option<f64>,
    /// Control rate among women [default: --baseline].
    #[arg(long, allow_hyphen_values = true)]
    pub baseline_women: Option<f64>,
    /// Control rate among men [default: --baseline].
    #[arg(long, allow_hyphen_values = true)]
    pub baseline_men: Option<f64>,
    /// Total number of people in the trial (all arms) [default: solved for, from --mde and
    /// --power].
    #[arg(long, allow_hyphen_values = true)]
    pub n: Option<f64>,
    /// Treated:control allocation, e.g. 2:1 [default: 1:1].
    #[arg(long)]
    pub ratio: Option<String>,
    /// Significance level, two-sided [default: 0.05].
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<f64>,
    /// Target power (leave out with --n and --mde to solve for it) [default: 0.8].
    #[arg(long, allow_hyphen_values = true)]
    pub power: Option<f64>,
    /// Effect to detect (outcome units; percentage points as a share for a binary outcome)
    /// [default: solved for, the minimum detectable effect].
    #[arg(long, allow_hyphen_values = true)]
    pub mde: Option<f64>,
    /// Intra-cluster correlation, in [0, 1) [default: none, individual randomization].
    #[arg(long, allow_hyphen_values = true)]
    pub icc: Option<f64>,
    /// People per cluster.
    #[arg(long, allow_hyphen_values = true)]
    pub cluster_size: Option<f64>,
    /// Number of clusters.
    #[arg(long, allow_hyphen_values = true)]
    pub clusters: Option<f64>,
    /// Share of outcome variance explained by covariates or strata, in [0, 1) [default: 0].
    #[arg(long, allow_hyphen_values = true)]
    pub r2: Option<f64>,
    /// The kind of outcome: binary or continuous (`[power] outcome`) [default: binary]. The
    /// older spelling `--outcome` still works.
    #[arg(long = "outcome-type", alias = "outcome", value_name = "TYPE")]
    pub outcome_type: Option<String>,
    /// Standard deviation of a continuous outcome.
    #[arg(long, allow_hyphen_values = true)]
    pub sd: Option<f64>,
    /// normal (textbook z formula), arcsine (Cohen's h, as R's pwr.2p2n.test) or t (noncentral
    /// t, as pwr.t2n.test; with clusters K − 2 df) [default: normal for a binary outcome, t for
    /// a continuous one or with clusters].
    #[arg(long)]
    pub method: Option<String>,
    /// The clusters are randomized in matched pairs (one of each pair treated), for the smallest
    /// attainable randomization p-value (`[power] pairs`).
    #[arg(long)]
    pub pairs: bool,
    /// Share of women among participants [default: 0.5].
    #[arg(long, allow_hyphen_values = true)]
    pub share_women: Option<f64>,
    /// Incremental cost per person offered, SEK (for the precision of the cost per success).
    #[arg(long, allow_hyphen_values = true)]
    pub cost_per_participant: Option<f64>,
    /// Standard deviation of the per-person cost, SEK [default: 0].
    #[arg(long, allow_hyphen_values = true)]
    pub cost_sd: Option<f64>,
    /// Expected effect for the cost precision [default: the MDE or --mde].
    #[arg(long, allow_hyphen_values = true)]
    pub effect: Option<f64>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study = args.study.load()?;
    let spec = study
        .as_ref()
        .and_then(|s| s.spec.power.clone())
        .unwrap_or_default();
    let inputs: Vec<PathBuf> = study.iter().map(|s| s.file.clone()).collect();
    let out = check_out(args.out.as_deref(), &inputs)?;
    let sims = args.simulate.or(spec.simulations);
    if let Some(sims) = sims {
        return run_simulation(&args, study.as_ref(), &spec, sims, out);
    }
    let input = PowerInput {
        outcome: args.plan.outcome_type.clone().or(spec.outcome.clone()),
        method: args.plan.method.clone().or(spec.method.clone()),
        baseline: args.plan.baseline.or(spec.baseline),
        baseline_women: args.plan.baseline_women.or(spec.baseline_women),
        baseline_men: args.plan.baseline_men.or(spec.baseline_men),
        sd: args.plan.sd.or(spec.sd),
        n: args.plan.n.or(spec.n),
        ratio: args.plan.ratio.clone().or(spec.ratio.clone()),
        alpha: args.plan.alpha.or(spec.alpha),
        power: args.plan.power.or(spec.power),
        mde: args.plan.mde.or(spec.mde),
        r2: args.plan.r2.or(spec.r2),
        icc: args.plan.icc.or(spec.icc),
        cluster_size: args.plan.cluster_size.or(spec.cluster_size),
        clusters: args.plan.clusters.or(spec.clusters),
        share_women: args.plan.share_women.or(spec.share_women),
        cost_per_participant: args.plan.cost_per_participant.or(spec.cost_per_participant),
        cost_sd: args.plan.cost_sd.or(spec.cost_sd),
        effect: args.plan.effect.or(spec.effect),
    };
    // With --n and --mde on the command line, the spec's power target is not a third given.
    let input = if args.plan.n.is_some() && args.plan.mde.is_some() && args.plan.power.is_none() {
        PowerInput {
            power: None,
            ..input
        }
    } else {
        input
    };
    let at = |name: &str| locate(&args, study.as_ref(), name);
    let plan = PowerPlan::new(&input, &at)?;
    let answer = plan.answer()?;
    let pairs = args.plan.pairs || spec.pairs.unwrap_or(false);
    if let Some(k) = answer.rows.first().and_then(|r| r.clusters) {
        randomization_note(k, plan.treated_share, plan.alpha, pairs);
    }
    emit_fitted(
        &answer_frame(&answer),
        args.format,
        None,
        &POWER_TERMINAL,
        out.as_ref(),
        &Provenance {
            command: "lotta power",
            seed: None,
            inputs: hashes_of(&inputs)?,
        },
    )?;
    Ok(0)
}

/// Whether flag `--name` was given on the command line.
fn flag_given(args: &Args, name: &str) -> bool {
    match name {
        "baseline" => args.plan.baseline.is_some(),
        "baseline-women" => args.plan.baseline_women.is_some(),
        "baseline-men" => args.plan.baseline_men.is_some(),
        "n" => args.plan.n.is_some(),
        "ratio" => args.plan.ratio.is_some(),
        "alpha" => args.plan.alpha.is_some(),
        "power" => args.plan.power.is_some(),
        "mde" => args.plan.mde.is_some(),
        "icc" => args.plan.icc.is_some(),
        "cluster-size" => args.plan.cluster_size.is_some(),
        "clusters" => args.plan.clusters.is_some(),
        "r2" => args.plan.r2.is_some(),
        "outcome" => args.plan.outcome_type.is_some(),
        "sd" => args.plan.sd.is_some(),
        "method" => args.plan.method.is_some(),
        "share-women" => args.plan.share_women.is_some(),
        "cost-per-participant" => args.plan.cost_per_participant.is_some(),
        "cost-sd" => args.plan.cost_sd.is_some(),
        "effect" => args.plan.effect.is_some(),
        _ => false,
    }
}

/// The flag, or the spec key when the value came from the study.
fn locate(args: &Args, study: Option<&Study>, name: &str) -> Location {
    match study {
        Some(s) if !flag_given(args, name) => {
            s.key_location(&format!("power.{}", name.replace('-', "_")))
        }
        // The flag of the outcome's kind is `--outcome-type` (`--outcome` names outcome columns
        // in the other commands); its spec key stays `[power] outcome`.
        _ if name == "outcome" => Location::default().with_field("--outcome-type".to_string()),
        _ => Location::default().with_field(format!("--{name}")),
    }
}

fn run_simulation(
    args: &Args,
    study: Option<&Study>,
    spec: &lotta::spec::simulate::PowerSpec,
    sims: i64,
    out: Option<lotta::io::output::OutputFile>,
) -> anyhow::Result<i32> {
    let study = study.ok_or_else(|| {
        UsageError(
            "--simulate needs a study with a [simulate] section: `lotta power STUDY --simulate R`"
                .to_string(),
        )
    })?;
    let inputs = [study.file.clone()];
    if sims < 2 {
        return Err(UsageError(format!(
            "--simulate {sims}: expected at least 2 simulated trials"
        ))
        .into());
    }
    let seed = args.seed.unwrap_or(study.seed());
    let dgp = lotta::ops::simulate::load_dgp_with_design(study, seed)?;
    let n = match args.plan.n.or(spec.n) {
        Some(n) if n.fract() != 0.0 => {
            return Err(UsageError(format!("--n {n}: expected a whole number of people")).into());
        }
        Some(n) => Some(n as i64),
        None => None,
    };
    let n = lotta::ops::simulate::participants_n(n, &dgp, 4 * dgp.arms.len())?;
    let alpha = args.plan.alpha.or(spec.alpha).unwrap_or(0.05);
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(UsageError(format!(
            "--alpha {alpha}: expected a number strictly between 0 and 1"
        ))
        .into());
    }
    let progress = crate::cli::terminal::TerminalProgress::new(args.quiet);
    // The study's own analysis, when it has one: the trial is diagnosed as it will be analysed.
    let analysis = match &study.spec.analysis {
        Some(_) => {
            let settings = AnalysisSettings::resolve(&AnalysisFlags::default(), Some(study))?;
            Some(diagnose::PlannedAnalysis {
                options: settings.options(),
                covariates: settings.covariates.value,
            })
        }
        None => None,
    };
    let rows = diagnose::diagnose(
        &dgp,
        n,
        seed,
        sims as usize,
        alpha,
        analysis.as_ref(),
        &progress,
    )?;
    emit_fitted(
        &diagnosis_frame(&rows),
        args.format,
        Some("outcome"),
        &[],
        out.as_ref(),
        &Provenance {
            command: "lotta power --simulate",
            seed: Some(seed),
            inputs: hashes_of(&inputs)?,
        },
    )?;
    Ok(0)
}

/// The smallest randomization p-value of the planned cluster design, and a warning when α
/// cannot be reached (issue 14).
fn randomization_note(clusters: f64, treated_share: f64, alpha: f64, pairs: bool) {
    let k = clusters.round().max(0.0) as usize;
    let treated = (clusters * treated_share).round() as usize;
    let design = if pairs {
        format!("{} matched pairs of clusters", k / 2)
    } else {
        format!("{k} clusters, {treated} treated")
    };
    match lotta::power::randomization_resolution(k, treated, pairs) {
        Some(resolution) => {
            let p = resolution.smallest_p;
            let k = resolution.at_least_as_extreme;
            let why = if k == 2 {
                " (two-sided: in a 1:1 design an assignment and its mirror, the arms swapped, give the same |statistic|)"
            } else {
                " (two-sided)"
            };
            // A count past u128 is given by its size, and a p-value too small for four decimals
            // in scientific notation, so that neither reads as an exact number it is not.
            let (count, smallest) = match resolution.assignments {
                Some(n) if p >= 1e-4 => (n.to_string(), format!("{k}/{n} = {p:.4}")),
                Some(n) => (n.to_string(), format!("{k}/{n} = {p:.2e}")),
                None => {
                    let exponent = resolution.log10_assignments.floor();
                    let mantissa = 10f64.powf(resolution.log10_assignments - exponent);
                    (
                        format!("about {mantissa:.2} × 10^{exponent:.0}"),
                        format!("{k}/N = {p:.2e}"),
                    )
                }
            };
            eprintln!(
                "note: randomization inference: the planned design ({design}) has {count} possible assignments; the smallest attainable randomization p-value is {smallest}{why}"
            );
            if p > alpha {
                eprintln!(
                    "warning: with {design} no randomization p-value can be below {p:.4}, so α = {alpha} cannot be reached whatever the effect; plan more clusters (or clusters not in pairs)"
                );
            }
        }
        None if pairs => eprintln!(
            "warning: --pairs needs an even number of clusters split 1:1; {k} clusters with {treated} treated cannot be paired"
        ),
        None => {}
    }
}
