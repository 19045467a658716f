//! `lotta estimate`: flags (and a study spec) → a checked plan → the data (one file, or the
//! ledger joined with participants and outcomes) → every effect row → the chosen format.

use crate::cli::UsageError;
use crate::cli::common::{Provenance, Source, StudyArg, check_out, emit_fitted};
use lotta::export::Format;
use lotta::io::analysis_data::load_input;
use lotta::io::manifest;
use lotta::io::source::{InputFile, StudyInputs};
use lotta::ops::effects as ops;
use lotta::settings::analysis::{AnalysisFlags, AnalysisSettings};
use lotta::tidy::effects::{
    TERMINAL_COLUMNS, design_based_first, few_clusters, terminal_columns_design_based_first,
};
use lotta::tidy::{attrition_frame, cluster_frame, to_frame};
use std::path::PathBuf;

/// The flags of `lotta estimate` (boxed: the command enum stays small).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta estimate studies/md1-demo
  lotta estimate studies/md1-demo --outcome work_or_study_540 --ri 200 \\
      --format csv --out effects.csv
  lotta estimate --data data/md1-demo/trial.csv --outcome work_or_study_540 \\
      --treatment arm --control standard --covariates age,education_years --by gender

The table shows the main columns; --format csv or json keeps every column (estimatr's names).")]
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
    /// How the input CSV files are written (decimal comma, encoding).
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// Outcome columns, comma-separated [default: `[analysis] outcomes`].
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub outcome: Option<Vec<String>>,
    /// Ad hoc: the treatment column, 0/1 or arm names (with --control). With a study: the ledger's `arm`.
    #[arg(long)]
    pub treatment: Option<String>,
    /// The control arm [default: `[design] control`, else the last arm].
    #[arg(long)]
    pub control: Option<String>,
    /// Subgroup variables, comma-separated, each reported separately (`gender,distance`); a
    /// crossing with `*` (`gender*age_band`): effects in each level, differences against the
    /// reference level and the joint test that all subgroup effects are equal [default:
    /// `[analysis] by`, else none].
    #[arg(long)]
    pub by: Option<String>,
    /// Reference levels of subgroup columns, comma-separated `column=level` (`[analysis]
    /// reference`) [default: the first level of each].
    #[arg(long)]
    pub reference: Option<String>,
    /// Also the differences between every pair of subgroup levels (`[analysis] pairs`).
    #[arg(long)]
    pub pairs: bool,
    /// Covariates, comma-separated; text columns enter as indicators (first level reference)
    /// [default: `[analysis] covariates`, else none].
    #[arg(long, value_delimiter = ',')]
    pub covariates: Option<Vec<String>>,
    /// Covariates to treat as categories even when they hold numbers (codes), comma-separated
    /// [default: `[analysis] categorical`, else none].
    #[arg(long, value_delimiter = ',')]
    pub categorical: Option<Vec<String>>,
    /// dim, ols, lin or fe [default: lin with covariates, dim without].
    #[arg(long)]
    pub estimator: Option<String>,
    /// Strata columns, comma-separated; their combinations are the strata (dim: blocked; fe)
    /// [default: `[analysis] strata`, else none].
    #[arg(long, value_delimiter = ',')]
    pub strata: Option<Vec<String>>,
    /// Cluster column for cluster-robust standard errors [default: `[analysis] cluster`, else
    /// none].
    #[arg(long)]
    pub cluster: Option<String>,
    /// hc0, hc1, hc2, hc3, cr0, cr1 (Stata), cr2, cv3 (cluster jackknife) [default: hc2; cr2
    /// with --cluster].
    #[arg(long)]
    pub se: Option<String>,
    /// Column saying who took part (0/1): adds the 2SLS effect of participation [default:
    /// `[analysis] participation`, else none].
    #[arg(long)]
    pub participation: Option<String>,
    /// Ad hoc: a column of weights (weighted least squares, as lm_robust with weights).
    #[arg(long)]
    pub weights: Option<String>,
    /// Inverse-probability weights from the ledger: auto (when probabilities differ), on, off
    /// [default: auto].
    #[arg(long)]
    pub ipw: Option<String>,
    /// Randomization inference with this many re-drawn assignments (needs --seed or the study
    /// seed) [default: `[analysis] ri_draws`, else 0: none].
    #[arg(long)]
    pub ri: Option<u32>,
    /// List every possible assignment (an exact p-value, k/N) when the design has at most this
    /// many; else sample --ri of them (0: always sample) (`[analysis] ri_exact_max`) [default:
    /// 100000].
    #[arg(long, value_name = "N")]
    pub ri_exact_max: Option<u32>,
    /// Randomization statistic: coefficient or studentized (t with the row's own SE, recomputed
    /// under every assignment; better with few or unequal clusters) (`[analysis] ri_statistic`)
    /// [default: coefficient].
    #[arg(long)]
    pub ri_statistic: Option<String>,
    /// Seed for randomization inference [default: `[study] seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Draw algorithm of randomization inference without a ledger: v2 (one random subset per
    /// stratum), v3 (counts per type of identical rows: fastest with discrete data; v2 draws
    /// where it does not apply, and the note says so) or v1 (a full shuffle per stratum, as
    /// releases before v2; reproduces their p-values) [default: v2].
    #[arg(long, value_name = "v1|v2|v3")]
    pub ri_algorithm: Option<String>,
    /// Wild cluster bootstrap with this many draws for every regression row (needs clusters;
    /// with Rademacher weights and 2^G <= B all sign vectors are enumerated) (`[analysis]
    /// wild_bootstrap`) [default: 0, none].
    #[arg(long, value_name = "B")]
    pub wild_bootstrap: Option<u32>,
    /// Wild bootstrap weights: rademacher, webb, mammen or normal [default: rademacher].
    #[arg(long)]
    pub wild_weights: Option<String>,
    /// Wild bootstrap residuals: impose (the null imposed, WCR) or free (WCU) [default: impose].
    #[arg(long)]
    pub wild_null: Option<String>,
    /// Adjust p-values across outcomes × subgroups: holm or bh [default: `[analysis]
    /// adjust`, else none].
    #[arg(long)]
    pub adjust: Option<String>,
    /// Persons with a missing covariate: complete (left out) or indicator (mean-filled with a
    /// missing indicator; a missing category is its own level) (`[analysis] missing_covariates`)
    /// [default: complete].
    #[arg(long)]
    pub missing_covariates: Option<String>,
    /// Write the attrition table (missing outcomes by arm) instead of the effects.
    #[arg(long)]
    pub attrition: bool,
    /// Write the cluster diagnostics of each overall effect (size, leverage, partial leverage,
    /// the estimate without each cluster, effective number of clusters) instead of the effects.
    #[arg(long, conflicts_with = "attrition")]
    pub cluster_diagnostics: bool,
    /// Write the families of hypotheses (`[[analysis.families]]`) with their Romano–Wolf,
    /// Westfall–Young and Anderson adjusted p-values instead of the effects.
    #[arg(long, conflicts_with_all = ["attrition", "cluster_diagnostics"])]
    pub families: bool,
    /// table (the main columns, for a terminal), csv, json (every column), markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Write the table to this file (atomically, with a manifest entry) [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let args = *args.flags;
    let flags = AnalysisFlags {
        outcomes: args.outcome.clone(),
        treatment: args.treatment.clone(),
        control: args.control.clone(),
        by: args.by.clone(),
        reference: args.reference.clone(),
        pairs: args.pairs.then_some(true),
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
        ri_exact_max: args.ri_exact_max,
        ri_statistic: args.ri_statistic.clone(),
        seed: args.seed,
        adjust: args.adjust.clone(),
        categorical: args.categorical.clone(),
        missing_covariates: args.missing_covariates.clone(),
        wild_bootstrap: args.wild_bootstrap,
        wild_weights: args.wild_weights.clone(),
        wild_null: args.wild_null.clone(),
    };
    let source = Source::choose(
        args.study.path(),
        args.data.as_deref(),
        "--outcome and --treatment",
    )?;
    let study = source.study();
    let format = crate::cli::common::csv_format(&args.csv, study)?;
    let inputs = source.inputs();
    // Settings and the output file are checked before any work.
    let settings = AnalysisSettings::resolve(&flags, study)?;
    let output = check_out(args.out.as_deref(), &inputs)?;
    // Each input file is read once; the manifest's hashes (only when there is an output file
    // to record) come from the same bytes.
    let recorded = output.is_some();
    let (data, notes, hashes, ledger) = match &source {
        Source::Study(study) => {
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
        Source::File(file) => {
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
    for warning in ops::survival_outcome_warnings(study, &settings) {
        eprintln!("warning: {warning}");
    }
    let progress = crate::cli::terminal::TerminalProgress::new(false);
    let mut effects = ops::estimate(data, &settings, notes, &progress)?;
    for note in &effects.notes {
        eprintln!("warning: {note}");
    }
    let shown = effects.notes.len();
    ops::infer(&mut effects, &settings, ledger.as_ref(), &progress)?;
    for note in &effects.notes[shown..] {
        eprintln!("note: {note}");
    }
    // On a terminal, the effects come in a block per outcome with the columns that fit in 100
    // characters; csv and json keep every column.
    let (frame, group, wanted) = if args.attrition {
        (
            attrition_frame(&effects.estimates.attrition),
            None,
            Vec::new(),
        )
    } else if args.families {
        if settings.families.value.is_empty() {
            return Err(UsageError(
                "--families needs families of hypotheses: declare them in the study as [[analysis.families]] (name, outcomes, subgroups)".into(),
            )
            .into());
        }
        let frame = lotta::tidy::multiple::families_frame(&effects.estimates.families);
        (frame, None, Vec::new())
    } else if args.cluster_diagnostics {
        if effects.estimates.clusters.is_empty() {
            return Err(UsageError(
                "--cluster-diagnostics needs clusters; give a cluster column (--cluster or `[analysis] cluster`)".into(),
            )
            .into());
        }
        (cluster_frame(&effects.estimates.clusters), None, Vec::new())
    } else {
        let frame = to_frame(&effects.estimates.rows);
        // Few clusters (issue 14): the table leads with the design-based result.
        match few_clusters(&effects.estimates.rows, settings.few_clusters.value) {
            Some(g) if args.format == Format::Table => {
                eprintln!("{}", few_clusters_headline(g, &effects.estimates.rows));
                let columns = terminal_columns_design_based_first();
                (design_based_first(&frame), Some("outcome"), columns)
            }
            _ => (frame, Some("outcome"), TERMINAL_COLUMNS.to_vec()),
        }
    };
    emit_fitted(
        &frame,
        args.format,
        group,
        &wanted,
        output.as_ref(),
        &Provenance {
            command: "lotta estimate",
            seed: settings.ri.as_ref().map(|r| r.value.seed),
            inputs: hashes,
        },
    )?;
    Ok(0)
}

/// The line above the table when clusters are few: how many, and which result leads.
fn few_clusters_headline(g: usize, rows: &[lotta::estimate::rows::EffectRow]) -> String {
    let lead = if rows.iter().any(|r| r.ri_exact == Some(true)) {
        "exact randomization inference (p_value_ri over every possible assignment, ri_draws = N)"
    } else if rows.iter().any(|r| r.p_value_wild.is_some()) {
        "the wild cluster bootstrap (p_value_wild)"
    } else if rows.iter().any(|r| r.p_value_ri.is_some()) {
        "randomization inference (p_value_ri)"
    } else {
        "nothing design-based yet: add --ri or --wild-bootstrap"
    };
    format!(
        "only {g} clusters: cluster-robust p-values and intervals are unreliable; the table leads with {lead}, the cluster-robust (CR2) columns beside it"
    )
}
