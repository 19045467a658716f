//! `lotta run`: the whole evaluation of a study as one reproducible command. Checks every input
//! before any work, verifies the ledger, then computes balance, effects (with randomization
//! inference and adjustment as `[analysis]` says), the descriptive tables and the
//! cost-effectiveness analysis, and writes the report folder (`notebooks-out/<name>/`) as a whole
//! or not at all. Nothing in the folder depends on the clock or the number of threads; timings
//! go to the terminal only.

use crate::cli::assign::{DesignArgs, resolve_loaded};
use crate::cli::{balance, report, verify};
use lotta::error::Error;
use lotta::export::{Frame, to_csv};
use lotta::io::folder::ReportFolder;
use lotta::io::manifest::{file_hash, spec_hash};
use lotta::io::source::StudyInputs;
use lotta::io::join::{Ipw, Request, load_study};
use lotta::ops::cost;
use lotta::ops::estimate as effects;
use lotta::report::study::mask_table;
use lotta::report::tables::{Units, flow, shares, split};
use lotta::settings::analysis::{AnalysisFlags, AnalysisSettings};
use lotta::settings::cost::{CostFlags, CostSettings};
use lotta::settings::report::{Methods, ReportSettings};
use lotta::spec::Study;
use lotta::tidy::{attrition_frame, to_frame};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study folder or its study.toml.
    pub study: PathBuf,
    /// The report folder (default: notebooks-out/<study name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print no progress, timings or the closing line that says where the report is.
    #[arg(long)]
    pub quiet: bool,
    /// Replace report files that lotta wrote and that were changed since (files lotta did not
    /// write are never touched).
    #[arg(long)]
    pub force: bool,
}

/// Stage messages with their durations, on a terminal only; the closing line always (never with
/// --quiet).
struct Stages {
    quiet: bool,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Stages {
    fn new(quiet: bool, total: u64) -> Stages {
        let show = !quiet && std::io::stderr().is_terminal();
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:20}] {pos}/{len} {msg} ({elapsed})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Stages {
            quiet,
            bar,
            started: Instant::now(),
        }
    }

    fn start(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finish(&self, folder: &Path, files: usize) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.quiet {
            eprintln!(
                "wrote the report to {} ({files} files, {:.1} s)",
                folder.join("report.html").display(),
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}

/// Open every input of the study once, and check before any work that the run has what it
/// needs: a ledger, participants, outcome files, and every outcome the spec names as a column.
fn open_inputs(study: &Study) -> anyhow::Result<StudyInputs> {
    let data = &study.spec.data;
    if data.ledger.is_none() {
        return Err(Error::spec(
            study.key_location("data.ledger"),
            "the study names no assignment ledger; `lotta run` analyses an assigned trial",
        )
        .with_hint("run `lotta assign` and set `ledger = \"...\"` in [data]")
        .into());
    }
    let inputs = StudyInputs::open(study)?;
    inputs.participants(study)?;
    if inputs.outcomes.is_empty() {
        return Err(Error::spec(
            study.key_location("data.outcomes"),
            "the study names no outcome files; there is nothing to estimate",
        )
        .into());
    }
    // Every outcome the spec names must be a column of an outcome file.
    let mut columns: Vec<String> = Vec::new();
    for file in &inputs.outcomes {
        columns.extend(file.headers()?);
    }
    let mut named: Vec<(String, String)> = Vec::new();
    if let Some(a) = &study.spec.analysis {
        named.extend(
            a.outcomes
                .iter()
                .map(|o| ("analysis.outcomes".to_string(), o.clone())),
        );
    }
    if let Some(r) = &study.spec.report {
        named.extend(
            r.horizons
                .keys()
                .map(|o| ("report.horizons".to_string(), o.clone())),
        );
        named.extend(
            r.split
                .keys()
                .map(|o| ("report.split".to_string(), o.clone())),
        );
        named.extend(
            r.primary_outcome
                .iter()
                .map(|o| ("report.primary_outcome".to_string(), o.clone())),
        );
    }
    if let Some(c) = &study.spec.cost {
        named.extend(
            c.outcome
                .iter()
                .map(|o| ("cost.outcome".to_string(), o.clone())),
        );
    }
    for (key, outcome) in named {
        if !columns.contains(&outcome) {
            let mut err = Error::spec(
                study.key_location(&key),
                format!(
                    "outcome `{outcome}` is not a column of any outcome file in [data] outcomes"
                ),
            );
            if let Some(s) = lotta::error::nearest(&outcome, columns.iter().map(String::as_str)) {
                err = err.with_hint(format!("did you mean `{s}`?"));
            }
            return Err(err.into());
        }
    }
    Ok(inputs)
}

/// The tidy tables of a run, by name (written as `tables/<name>.csv`).
type Tables = BTreeMap<String, Frame>;

/// The descriptive tables: flow, shares over horizons, and the split of the primary outcome.
fn descriptives(
    study: &Study,
    inputs: &StudyInputs,
    analysis: &AnalysisSettings,
    context: &ReportSettings,
) -> anyhow::Result<Tables> {
    let spec = &study.spec;
    let mut outcomes: Vec<String> = context.report.horizons.keys().cloned().collect();
    for o in analysis.outcomes.value.iter().cloned() {
        if !outcomes.contains(&o) {
            outcomes.push(o);
        }
    }
    let parts: Vec<String> = context.report.split.keys().cloned().collect();
    let mut columns = outcomes.clone();
    columns.extend(parts.iter().filter(|p| !outcomes.contains(p)).cloned());
    let request = Request {
        outcomes: columns,
        treatment: "arm".into(),
        control: Some(context.control.clone()),
        by: analysis.by.as_ref().map(|b| b.value.clone()),
        participation: analysis.participation.as_ref().map(|p| p.value.clone()),
        ..Request::default()
    };
    let (data, _) = load_study(
        inputs.ledger(study)?,
        inputs.participants.as_ref(),
        &inputs.outcomes,
        &spec.data.id,
        &request,
        Ipw::Off,
    )?;
    // Arms in the spec's order (the analysis puts the control first).
    let arm: Vec<usize> = data
        .treatment
        .codes
        .iter()
        .map(|&c| {
            let name = &data.treatment.arms[c];
            context.arms.iter().position(|a| a == name).unwrap_or(0)
        })
        .collect();
    let subgroups: Vec<(String, Vec<bool>)> = match &data.by {
        Some(by) => by
            .levels
            .iter()
            .enumerate()
            .map(|(l, level)| {
                (
                    format!("{}={level}", by.name),
                    by.codes.iter().map(|&c| c == l).collect(),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let units = Units {
        arm: &arm,
        arms: &context.arms,
        subgroups: &subgroups,
    };
    let column = |name: &str| -> Option<&[f64]> {
        data.outcomes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    };
    let mut tables = Tables::new();
    let primary = column(&context.report.primary_outcome).ok_or_else(|| {
        Error::spec(
            study.key_location("report.primary_outcome"),
            format!(
                "no outcome column `{}` in the outcome files",
                context.report.primary_outcome
            ),
        )
    })?;
    tables.insert(
        "flow".into(),
        flow(
            &units,
            data.participation.as_ref().map(|(_, v)| v.as_slice()),
            primary,
            context
                .report
                .horizons
                .get(&context.report.primary_outcome)
                .copied(),
        ),
    );
    let horizon_columns: Vec<(String, &[f64])> = context
        .report
        .horizons
        .keys()
        .filter_map(|o| column(o).map(|v| (o.clone(), v)))
        .collect();
    tables.insert("shares".into(), shares(&units, &horizon_columns));
    if !parts.is_empty() {
        let part_columns: Vec<(String, &[f64])> = parts
            .iter()
            .filter_map(|p| column(p).map(|v| (p.clone(), v)))
            .collect();
        tables.insert("split".into(), split(&units, &part_columns));
    }
    Ok(tables)
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study = Study::load(&args.study)?;
    // Every section's settings are resolved and checked before any work.
    let analysis = AnalysisSettings::resolve(&AnalysisFlags::default(), Some(&study))?;
    let cost_settings = study
        .spec
        .cost
        .as_ref()
        .map(|_| CostSettings::resolve(&CostFlags::default(), Some(&study)))
        .transpose()?;
    let context = ReportSettings::resolve(&study)?;
    let methods = Methods::of(&study, &analysis, cost_settings.as_ref());
    let spec_design = resolve_loaded(Some(study.clone()), None, None, &DesignArgs::default())?
        .design;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("notebooks-out").join(study.name()));
    // Opening the folder checks that lotta may write it (it is new, empty or lotta's own, and
    // holds no input), before any work.
    let staged = ReportFolder::open(&out, &study.input_files(), args.force)?;
    // Each input is opened and read once; every step below parses the same bytes.
    let inputs = open_inputs(&study)?;
    let stages = Stages::new(args.quiet, 6);
    let mut tables = Tables::new();

    stages.start("verifying the assignment ledger");
    let ledger = inputs.parsed_ledger(&study)?;
    let participants = inputs.participants(&study)?;
    verify::verify_opened(
        &ledger,
        inputs.ledger(&study)?,
        participants,
        spec_design.as_ref(),
    )?;
    stages.done();

    stages.start("balance");
    if let Some(design) = &study.spec.design
        && !design.balance.is_empty()
    {
        let (rows, joint) = balance::balance_tables(
            participants,
            &ledger,
            &design.balance,
            design.by.as_deref(),
        )?;
        tables.insert("balance".into(), rows);
        tables.insert("balance_joint".into(), joint);
    }
    stages.done();

    stages.start("estimating effects and randomization inference");
    let (data, notes) = effects::study_data(&study, &inputs, &analysis)?;
    let mut estimated = effects::estimate(data, &analysis, notes)?;
    let ri_ledger = analysis.ri.as_ref().map(|_| &ledger);
    effects::infer(&mut estimated, &analysis, ri_ledger)?;
    tables.insert("effects".into(), to_frame(&estimated.estimates.rows));
    tables.insert(
        "attrition".into(),
        attrition_frame(&estimated.estimates.attrition),
    );
    stages.done();

    stages.start("descriptive tables");
    tables.extend(descriptives(&study, &inputs, &analysis, &context)?);
    stages.done();

    stages.start("cost-effectiveness and bootstrap");
    if let Some(cost_settings) = &cost_settings {
        let results = cost::study_costs(&study, &inputs, cost_settings)?;
        for note in &results.notes {
            eprintln!("warning: {note}");
        }
        let c = lotta::tidy::cost::study_tables(&results);
        tables.insert("cost".into(), c.summary);
        tables.insert("ce_draws".into(), c.draws);
        if let Some(f) = c.ceac {
            tables.insert("ceac".into(), f);
        }
        if let Some(f) = c.offsets {
            tables.insert("cost_offsets".into(), f);
        }
        if let Some(f) = c.alternatives {
            tables.insert("cost_alternatives".into(), f);
        }
    }
    stages.done();

    stages.start("writing the report");
    for (name, frame) in tables.iter_mut() {
        mask_table(name, frame, context.mask_below);
    }
    for (name, frame) in &tables {
        staged.write(&format!("tables/{name}.csv"), &to_csv(frame))?;
    }
    let mut hashes = vec![spec_hash(&study)];
    hashes.extend(inputs.all().into_iter().map(file_hash));
    report::write_report(&staged, &study, &context, &methods, &hashes)?;
    stages.done();
    let written = staged.commit()?;
    stages.finish(&out, written);
    if !args.quiet {
        for note in &estimated.notes {
            eprintln!("note: {note}");
        }
    }
    Ok(0)
}
