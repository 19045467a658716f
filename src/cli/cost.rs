//! `lotta cost`: cost per additional person in work or studies, overall and by subgroup, from a
//! data file and flags or from a study spec (whose files are joined by id). Turns the flags and
//! the `[cost]` section into checked settings, calls [`lotta::ops::cost`], and writes one of its
//! tables (summary, offsets, ceac, alternatives; with `[cost.benefit]` benefit, sensitivity and
//! tornado; with `[[cost.comparators]]` tracks).

use super::UsageError;
use crate::cli::common::{Provenance, Source, StudyArg, check_out, emit_bytes};
use lotta::export::notes::render_with_notes;
use lotta::export::terminal::{TERMINAL_WIDTH, fit_table};
use lotta::export::{Format, render};
use lotta::io::source::StudyInputs;
use lotta::ops::cost::{MonthsOf, file_costs, study_cost_analysis, study_taus};
use lotta::settings::cost::{CostFlags, CostSettings};
use lotta::tidy::benefit;
use lotta::tidy::cost::{
    HUMAN_SUMMARY, SUMMARY_TERMINAL, alternatives_frame, ceac_frame, offsets_frame,
    push_month_rows, summary_frame,
};
use std::path::PathBuf;

/// Which result table to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Which {
    /// One row per subgroup (and per perspective when there are offsets): costs, ΔC, ΔE, ICER
    /// with delta-method, Fieller and bootstrap intervals, CE-plane shares, notes.
    #[default]
    Summary,
    /// Benefit offsets: units by arm, value, net cost per job, break-even SEK per unit.
    Offsets,
    /// Net monetary benefit and the acceptability curve over the λ grid.
    Ceac,
    /// Comparison with the alternative programmes' cost per job.
    Alternatives,
    /// Does it pay? The valued outcome per valuation: net benefit, ratio, break-even
    /// (`[cost.benefit]`).
    Benefit,
    /// The net benefit at each discount rate and extrapolation, and the probabilistic
    /// sensitivity analysis (`[cost.benefit]`).
    Sensitivity,
    /// The one-way sensitivity analysis of the net benefit (`[cost.benefit]`).
    Tornado,
    /// Procured services priced by track for the programme's participants
    /// (`[[cost.comparators]]`).
    Tracks,
}

/// The flags of `lotta cost`, boxed so the command enum stays small.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta cost studies/md1-demo --bootstrap 200
  lotta cost studies/md1-demo --table ceac --bootstrap 200 --format csv --out ceac.csv
  lotta cost --data data/md1-demo/trial.csv --outcome work_or_study_540 --treatment arm \\
      --control standard --cost cost_sek --by gender --bootstrap 500 --seed 7")]
pub struct Args {
    #[command(flatten)]
    pub flags: Box<Flags>,
}

#[derive(Debug, clap::Args)]
pub struct Flags {
    // The study: its [data] files are joined by id and arms come from the ledger; flags given
    // as well override its [cost] section.
    #[command(flatten)]
    pub study: StudyArg,
    /// Ad hoc: one CSV file holding every column (instead of a study).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// How the input CSV files are written (decimal comma, encoding).
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// Id column, for messages [default: `[data] id`, else none].
    #[arg(long)]
    pub id: Option<String>,
    /// The outcome column whose additional successes are priced, e.g. work_or_study_540
    /// [default: `[cost] outcome`].
    #[arg(long, value_name = "COLUMN")]
    pub outcome: Option<String>,
    /// Ad hoc: the column with the assigned arm (0/1 or arm names). With a study: the ledger's
    /// `arm`.
    #[arg(long)]
    pub treatment: Option<String>,
    /// The comparison arm [default: `[design] control`, else `0`].
    #[arg(long)]
    pub control: Option<String>,
    /// The programme arm, when there are more than two arms [default: the one arm that is not
    /// the control; needed when there are several].
    #[arg(long)]
    pub treated: Option<String>,
    /// Subgroup column (e.g. gender): results for all and for each level [default: `[cost] by`,
    /// else none].
    #[arg(long)]
    pub by: Option<String>,
    /// Stratum columns (combinations form the strata) for the bootstrap [default: the ledger's
    /// strata with a study, else none].
    #[arg(long, value_delimiter = ',')]
    pub strata: Vec<String>,
    /// Cluster column: clusters are resampled whole and variances are cluster-robust [default:
    /// `[cost] cluster`, else none].
    #[arg(long)]
    pub cluster: Option<String>,
    /// Column with each person's cost in SEK [default: `[cost] column`].
    #[arg(long)]
    pub cost: Option<String>,
    /// Column saying whether a person took part (0/1) [default: `[cost] participation`, else
    /// none].
    #[arg(long)]
    pub participation: Option<String>,
    /// Also report ΔC and ΔE per participant (Wald/IV, needs --participation).
    #[arg(long)]
    pub per_participant: bool,
    /// A benefit offset, e.g. `income_support:income_support_months:7000` (repeatable)
    /// [default: `[[cost.offsets]]`, else none].
    #[arg(long = "offset", value_name = "NAME:COL:SEK_PER_UNIT")]
    pub offsets: Vec<String>,
    /// Another programme's cost per additional job, e.g. `Rusta och matcha:180000` (repeatable)
    /// [default: `[[cost.alternatives]]`, else none].
    #[arg(long = "alternative", value_name = "NAME:COST_PER_JOB")]
    pub alternatives: Vec<String>,
    /// Bootstrap replications (0: no bootstrap interval) [default: `[cost] bootstrap`, else 0].
    #[arg(long)]
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap streams [default: `[study] seed`; ad hoc, needed with --bootstrap].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Willingness-to-pay grid per additional job in SEK, FROM:TO:STEP [default: `[cost] wtp`,
    /// else none].
    #[arg(long, value_name = "FROM:TO:STEP")]
    pub wtp: Option<String>,
    /// Confidence level [default: `[cost] level`, else 0.95].
    #[arg(long)]
    pub level: Option<f64>,
    /// Which table to write.
    #[arg(long, value_enum, default_value = "summary")]
    pub table: Which,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Write the table to this file (atomically, with a manifest entry) [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// The library's flags of `lotta cost` from the command line.
fn cost_flags(args: &Flags) -> CostFlags {
    CostFlags {
        outcome: args.outcome.clone(),
        treatment: args.treatment.clone(),
        control: args.control.clone(),
        treated: args.treated.clone(),
        by: args.by.clone(),
        strata: args.strata.clone(),
        cluster: args.cluster.clone(),
        cost: args.cost.clone(),
        participation: args.participation.clone(),
        per_participant: args.per_participant,
        offsets: args.offsets.clone(),
        alternatives: args.alternatives.clone(),
        bootstrap: args.bootstrap,
        seed: args.seed,
        wtp: args.wtp.clone(),
        level: args.level,
    }
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let args = *args.flags;
    let source = Source::choose(
        args.study.path(),
        args.data.as_deref(),
        "--treatment, --outcome and --cost",
    )?;
    let study = source.study();
    let format = crate::cli::common::csv_format(&args.csv, study)?;
    let s = CostSettings::resolve(&cost_flags(&args), study)?;
    if args.table == Which::Ceac && s.wtp.is_empty() {
        return Err(usage("--table ceac needs a λ grid: --wtp FROM:TO:STEP"));
    }
    if args.table == Which::Alternatives && s.alternatives.is_empty() {
        return Err(usage(
            "--table alternatives needs --alternative NAME:COST_PER_JOB (or [[cost.alternatives]])",
        ));
    }
    if args.table == Which::Offsets && s.offsets.is_empty() {
        return Err(usage(
            "--table offsets needs --offset NAME:COL:SEK_PER_UNIT",
        ));
    }
    let valued = matches!(
        args.table,
        Which::Benefit | Which::Sensitivity | Which::Tornado
    );
    if valued && s.benefit.is_none() {
        return Err(usage(
            "--table benefit, sensitivity and tornado need a [cost.benefit] section in the study",
        ));
    }
    if args.table == Which::Tracks && s.comparators.is_empty() {
        return Err(usage(
            "--table tracks needs [[cost.comparators]] in the study",
        ));
    }
    let output = check_out(args.out.as_deref(), &source.inputs())?;
    let progress = crate::cli::terminal::TerminalProgress::new(false);
    // With a study that has [survival], the summary gains the cost per additional month with a
    // job, as in `lotta run`.
    let (results, months) = match &source {
        Source::Study(study) => {
            let inputs = StudyInputs::open_as(study, format)?;
            let taus = match args.table {
                Which::Summary => study_taus(study, &inputs)?,
                _ => None,
            };
            let months_of = taus
                .as_ref()
                .map(|(survival, taus)| MonthsOf { survival, taus });
            study_cost_analysis(study, &inputs, &s, months_of, &progress)?
        }
        Source::File(path) => (
            file_costs(path, format, args.id.as_deref(), &s, &progress)?,
            None,
        ),
    };
    for note in &results.notes {
        eprintln!("warning: {note}");
    }
    let (frame, keep) = match args.table {
        Which::Summary => {
            let mut frame = summary_frame(&results);
            if let Some(months) = &months {
                push_month_rows(&mut frame, months);
            }
            (frame, Some(&HUMAN_SUMMARY[..]))
        }
        Which::Offsets => (offsets_frame(&results), None),
        Which::Ceac => (ceac_frame(&results), None),
        Which::Alternatives => (alternatives_frame(&results), None),
        Which::Benefit => (benefit::benefit_frame(&results), None),
        Which::Sensitivity => (benefit::sensitivity_frame(&results), None),
        Which::Tornado => (benefit::tornado_frame(&results), None),
        Which::Tracks => (benefit::tracks_frame(&results), None),
    };
    let bytes = match args.format {
        Format::Csv | Format::Json => render(&frame, args.format),
        // A terminal table fits 100 columns; the summary shows its main columns first.
        Format::Table => {
            let (group, wanted): (_, Vec<&str>) = match args.table {
                Which::Summary => (Some("outcome"), SUMMARY_TERMINAL.to_vec()),
                _ => (None, frame.columns.iter().map(String::as_str).collect()),
            };
            fit_table(&frame, group, &wanted, TERMINAL_WIDTH)
        }
        human => render_with_notes(&frame, keep, human),
    };
    emit_bytes(
        &bytes,
        output.as_ref(),
        &Provenance {
            command: "lotta cost",
            seed: (s.bootstrap > 0).then_some(s.seed),
            inputs: results.inputs,
        },
    )?;
    Ok(0)
}
