//! The whole evaluation of a study as one library operation (`lotta run`): every section's
//! settings resolved before any work, each input opened once, the ledger verified, then balance,
//! effects (with randomization inference and adjustment), the descriptive tables and the
//! cost-effectiveness analysis, masked for publication and written with the report into a
//! report folder. Progress is reported through a callback; nothing here touches the terminal.

use crate::design::Design;
use crate::error::{Error, Location, Result, nearest};
use crate::export::{Frame, to_csv};
use crate::io::analysis_data::{AnalysisColumns, Ipw, load_study};
use crate::io::folder::ReportFolder;
use crate::io::manifest::{file_hash, spec_hash};
use crate::io::source::StudyInputs;
use crate::ops::baseline::balance_of;
use crate::ops::bounds::{bounds_frame, study_bounds};
use crate::ops::cost::{MonthsOf, study_cost_analysis};
use crate::ops::effects;
use crate::ops::plan::{self, PlanStatus};
use crate::ops::survival::{curves_frame, exit_curves_frame, study_survival, survival_frame};
use crate::ops::verify::verify_opened;
use crate::plan::Plan;
use crate::report::folder::write_report;
use crate::report::tables::{Units, flow, shares, split};
use crate::settings::analysis::{AnalysisFlags, AnalysisSettings};
use crate::settings::bounds::{BoundsFlags, BoundsSettings};
use crate::settings::cost::{CostFlags, CostSettings};
use crate::settings::design::{DesignFlags, DesignSettings};
use crate::settings::plan::plan_of;
use crate::settings::report::{Methods, ReportSettings};
use crate::settings::survival::{SurvivalFlags, SurvivalSettings};
use crate::settings::targets::TargetSettings;
use crate::spec::Study;
use crate::survival::z_level;
use crate::tidy::balance::{joint_frame, rows_frame};
use crate::tidy::cost::{push_month_rows, study_tables};
use crate::tidy::{attrition_frame, to_frame};
use std::collections::BTreeMap;

/// The tidy tables of a run, by name (written as `tables/<name>.csv`).
pub type Tables = BTreeMap<String, Frame>;

/// Every setting of a run, resolved and checked before any work.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub analysis: AnalysisSettings,
    pub cost: Option<CostSettings>,
    pub survival: Option<SurvivalSettings>,
    /// Lee bounds on outcomes observed only for some (None: the spec has no `[bounds]`).
    pub bounds: Option<BoundsSettings>,
    /// `[[indicators]]` and `[targets]` (None: the study declares no indicators).
    pub targets: Option<TargetSettings>,
    pub report: ReportSettings,
    /// The design the spec gives (compared with the ledger's).
    pub design: Option<Design>,
    /// The record of how the results are computed, for the methods section.
    pub methods: Methods,
    /// The plan these settings would freeze (`lotta plan freeze`).
    pub planned: Plan,
    /// The study's frozen pre-analysis plan compared with these settings (None: no plan).
    pub plan: Option<PlanStatus>,
}

impl RunSettings {
    pub fn resolve(study: &Study) -> Result<RunSettings> {
        let analysis = AnalysisSettings::resolve(&AnalysisFlags::default(), Some(study))?;
        let cost = study
            .spec
            .cost
            .as_ref()
            .map(|_| CostSettings::resolve(&CostFlags::default(), Some(study)))
            .transpose()?;
        let survival = study
            .spec
            .survival
            .as_ref()
            .map(|_| SurvivalSettings::resolve(&SurvivalFlags::default(), Some(study)))
            .transpose()?;
        let bounds = study
            .spec
            .bounds
            .as_ref()
            .map(|_| BoundsSettings::resolve(&BoundsFlags::default(), Some(study)))
            .transpose()?;
        let targets = TargetSettings::resolve(study)?;
        let report = ReportSettings::resolve(study)?;
        let design =
            DesignSettings::resolve(Some(study.clone()), None, None, &DesignFlags::default())?
                .design;
        let methods = Methods::of(study, &analysis, cost.as_ref(), survival.as_ref());
        let mut planned = plan_of(
            &analysis,
            cost.as_ref(),
            survival.as_ref(),
            &report,
            methods.design.as_ref(),
        );
        if let Some(b) = &bounds {
            crate::settings::plan::add_bounds(&mut planned, b);
        }
        let plan = plan::status(study, &planned)?;
        Ok(RunSettings {
            analysis,
            cost,
            survival,
            bounds,
            targets,
            report,
            design,
            methods,
            planned,
            plan,
        })
    }

    /// `--strict`: refuse a run that does anything the frozen plan did not say, before any work.
    pub fn check_strict(&self, study: &Study) -> Result<()> {
        let place = Location::file(crate::io::plan::plan_path(study));
        match &self.plan {
            None => Err(Error::refused(
                place,
                "--strict needs a frozen pre-analysis plan, and the study has none",
            )
            .with_hint(format!(
                "run `lotta plan freeze {}` first",
                study.dir.display()
            ))),
            Some(status) if !status.deviations.is_empty() => {
                let keys: Vec<&str> = status
                    .deviations
                    .iter()
                    .map(|d| d.change.key.as_str())
                    .collect();
                Err(Error::refused(
                    place,
                    format!(
                        "--strict: today's settings deviate from the pre-analysis plan in {}",
                        keys.join(", ")
                    ),
                )
                .with_hint(
                    "`lotta plan diff` shows the deviations; run without --strict to report them",
                ))
            }
            Some(_) => Ok(()),
        }
    }
}

/// The steps of a run, for progress messages.
pub const STEPS: [&str; 6] = [
    "verifying the assignment ledger",
    "balance",
    "estimating effects and randomization inference",
    "descriptive tables",
    "cost-effectiveness and bootstrap",
    "writing the report",
];

/// What a run leaves besides its folder: notes for the user.
#[derive(Debug, Default)]
pub struct RunOutcome {
    pub notes: Vec<String>,
}

/// Evaluate `study` from its opened `inputs` and write the report into `folder` (committed by
/// the caller). `step` is called as each of [`STEPS`] starts.
pub fn run(
    study: &Study,
    inputs: &StudyInputs,
    settings: &RunSettings,
    folder: &ReportFolder,
    step: &mut dyn FnMut(&str),
    progress: &dyn crate::progress::Progress,
) -> Result<RunOutcome> {
    let mut tables = Tables::new();
    let mut notes = Vec::new();

    // The indicators' columns are checked before any work (a typo should not wait for RI).
    if let Some(targets) = &settings.targets {
        crate::ops::targets::check_columns(
            study,
            inputs,
            targets,
            settings.analysis.cluster.as_ref(),
        )?;
    }

    step(STEPS[0]);
    let ledger = inputs.parsed_ledger(study)?;
    let participants = inputs.participants(study)?;
    let verified = verify_opened(
        &ledger,
        inputs.ledger(study)?,
        participants,
        settings.design.as_ref(),
        study
            .spec
            .design
            .as_ref()
            .is_some_and(|d| d.misfits.is_some()),
    )?;
    notes.extend(verified.notes);

    step(STEPS[1]);
    if let Some(design) = &study.spec.design
        && !design.balance.is_empty()
    {
        // The analysis's cluster column when the participants file holds it (else the
        // ledger's clusters, in a cluster design).
        let headers = participants.headers()?;
        let cluster = settings
            .analysis
            .cluster
            .as_ref()
            .map(|c| c.value.as_str())
            .filter(|c| headers.iter().any(|h| h == c));
        let outcome = balance_of(
            participants,
            &ledger,
            &design.balance,
            design.by.as_deref(),
            cluster,
        )?;
        if let Some(g) = outcome.balance.clusters {
            notes.push(format!(
                "the balance tests are cluster-robust (CR2, Bell–McCaffrey df; joint Wald test F(q, G − 1)) with {g} clusters"
            ));
        }
        if outcome.left_out > 0 {
            notes.push(format!(
                "{} participants are left out of the balance table (not in the ledger, or left unassigned as misfits)",
                outcome.left_out
            ));
        }
        tables.insert("balance".into(), rows_frame(&outcome.balance.rows));
        tables.insert(
            "balance_joint".into(),
            joint_frame(&outcome.balance.joint, outcome.balance.clusters.is_some()),
        );
    }

    step(STEPS[2]);
    let analysis = &settings.analysis;
    let (data, load_notes) = effects::study_data(study, inputs, analysis)?;
    let mut estimated = effects::estimate(data, analysis, load_notes, progress)?;
    let ri_ledger = analysis.ri.as_ref().map(|_| &ledger);
    effects::infer(&mut estimated, analysis, ri_ledger, progress)?;
    if let Some(status) = &settings.plan {
        plan::mark(status, &mut estimated.estimates.rows);
        tables.extend(plan::tables(status));
    }
    tables.insert("effects".into(), to_frame(&estimated.estimates.rows));
    if !estimated.estimates.families.is_empty() {
        tables.insert(
            "families".into(),
            crate::tidy::multiple::families_frame(&estimated.estimates.families),
        );
    }
    tables.insert(
        "attrition".into(),
        attrition_frame(&estimated.estimates.attrition),
    );
    notes.extend(estimated.notes);

    step(STEPS[3]);
    tables.extend(descriptives(study, inputs, analysis, &settings.report)?);
    if let Some(targets) = &settings.targets {
        tables.extend(indicator_tables(
            study, inputs, settings, targets, &mut notes,
        )?);
    }

    step(STEPS[4]);
    let survival_results = settings
        .survival
        .as_ref()
        .map(|s| {
            let persons = crate::ops::survival_data::of_study(inputs.files(study)?, s)?;
            study_survival(&persons, s.ri.as_ref().map(|_| &ledger), s)
        })
        .transpose()?;
    // The incremental cost per person offered of the cost analysis's outcome, by subgroup: the
    // attrition bounds of that outcome give the cost per additional success at each bound.
    let mut incremental_costs: Vec<(String, String, String, f64)> = Vec::new();
    if let Some(cost) = &settings.cost {
        // One join of the cost analysis's columns, with the survival analysis's time and event
        // and τ of the compared arm (given, or survRM2's default) for the cost per additional
        // month with a job.
        let months_of = match (&settings.survival, &survival_results) {
            (Some(survival), Some(found)) => Some(MonthsOf {
                survival,
                taus: &found.analysis.taus,
            }),
            _ => None,
        };
        let (results, months) = study_cost_analysis(study, inputs, cost, months_of, progress)?;
        for g in &results.groups {
            if let Ok(ce) = &g.result {
                incremental_costs.push((
                    cost.outcome.clone(),
                    g.label.clone(),
                    results.treated_arm.clone(),
                    ce.gross.delta_cost,
                ));
            }
        }
        notes.extend(results.notes.iter().cloned());
        let mut c = study_tables(&results);
        let valued = crate::tidy::benefit::study_tables(&results);
        if let Some(months) = &months {
            push_month_rows(&mut c.summary, months);
        }
        if let Some(status) = &settings.plan {
            plan::mark_section(status, "cost.", &mut c.summary);
        }
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
        for (name, f) in valued {
            tables.insert(name.into(), f);
        }
    }

    if let (Some(survival), Some(results)) = (&settings.survival, &survival_results) {
        let results = &results.analysis;
        notes.extend(results.notes.iter().cloned());
        let mut rows = survival_frame(&results.rows);
        if let Some(status) = &settings.plan {
            plan::mark_section(status, "survival.", &mut rows);
        }
        tables.insert("survival".into(), rows);
        tables.insert(
            "survival_curves".into(),
            curves_frame(&results.curves, z_level(survival.level)),
        );
        if !results.exit_curves.is_empty() {
            tables.insert(
                "survival_exits".into(),
                exit_curves_frame(&results.exit_curves),
            );
        }
    }

    if let Some(bounds) = &settings.bounds {
        let mut results = study_bounds(study, inputs, bounds)?;
        for row in &mut results.rows {
            row.incremental_cost = incremental_costs
                .iter()
                .find(|(o, g, a, _)| *o == row.outcome && *g == row.subgroup && *a == row.arm)
                .map(|c| c.3);
        }
        let mut frame = bounds_frame(&results.rows);
        if let Some(status) = &settings.plan {
            plan::mark_section(status, "bounds.", &mut frame);
        }
        tables.insert("bounds".into(), frame);
    }

    step(STEPS[5]);
    for (name, frame) in &tables {
        folder.write(&format!("tables/{name}.csv"), &to_csv(frame))?;
    }
    let mut hashes = vec![spec_hash(study)];
    hashes.extend(inputs.all().into_iter().map(file_hash));
    write_report(folder, study, &settings.report, &settings.methods, &hashes)?;
    Ok(RunOutcome { notes })
}

/// Open every input of the study once, and check before any work that the run has what it
/// needs: a ledger, participants, outcome files, and every outcome the spec names as a column.
pub fn open_inputs(study: &Study) -> Result<StudyInputs> {
    let data = &study.spec.data;
    if data.ledger.is_none() {
        return Err(Error::spec(
            study.key_location("data.ledger"),
            "the study names no assignment ledger; `lotta run` analyses an assigned trial",
        )
        .with_hint("run `lotta assign` and set `ledger = \"...\"` in [data]"));
    }
    let inputs = StudyInputs::open(study)?;
    inputs.participants(study)?;
    if inputs.outcomes.is_empty() {
        return Err(Error::spec(
            study.key_location("data.outcomes"),
            "the study names no outcome files; there is nothing to estimate",
        ));
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
            if let Some(s) = nearest(&outcome, columns.iter().map(String::as_str)) {
                err = err.with_hint(format!("did you mean `{s}`?"));
            }
            return Err(err);
        }
    }
    Ok(inputs)
}

/// The indicators with targets (`[[indicators]]`), text outcomes by arm and the monitoring
/// table (`[targets] monitoring`), with the analysis's cluster column for the CR2 columns.
fn indicator_tables(
    study: &Study,
    inputs: &StudyInputs,
    settings: &RunSettings,
    targets: &TargetSettings,
    notes: &mut Vec<String>,
) -> Result<Tables> {
    use crate::tidy::targets::{categories_frame, indicators_frame, monitoring_frame, tests_frame};
    let results = crate::ops::targets::study_targets(
        study,
        inputs,
        targets,
        &settings.report.arms,
        settings.analysis.cluster.as_ref(),
    )?;
    notes.extend(results.notes.iter().cloned());
    let mut tables = Tables::new();
    if !results.indicators.is_empty() {
        tables.insert(
            "indicators".into(),
            indicators_frame(
                &results.indicators,
                results.cluster.is_some(),
                targets.level,
            ),
        );
    }
    if !results.categories.is_empty() {
        tables.insert(
            "indicator_categories".into(),
            categories_frame(&results.categories),
        );
        tables.insert("indicator_tests".into(), tests_frame(&results.tests));
    }
    if !results.monitoring.is_empty() {
        tables.insert("monitoring".into(), monitoring_frame(&results.monitoring));
    }
    Ok(tables)
}

/// The descriptive tables: flow, shares over horizons, and the split of the primary outcome.
fn descriptives(
    study: &Study,
    inputs: &StudyInputs,
    analysis: &AnalysisSettings,
    context: &ReportSettings,
) -> Result<Tables> {
    let mut outcomes: Vec<String> = context.report.horizons.keys().cloned().collect();
    for o in analysis.outcomes.value.iter().cloned() {
        if !outcomes.contains(&o) {
            outcomes.push(o);
        }
    }
    let parts: Vec<String> = context.report.split.keys().cloned().collect();
    let mut columns = outcomes.clone();
    columns.extend(parts.iter().filter(|p| !outcomes.contains(p)).cloned());
    let request = AnalysisColumns {
        outcomes: columns,
        treatment: "arm".into(),
        control: Some(context.control.clone()),
        by: analysis
            .by
            .as_ref()
            .map(|b| b.value.clone())
            .unwrap_or_default(),
        references: analysis.references.value.clone(),
        participation: analysis.participation.as_ref().map(|p| p.value.clone()),
        cluster: analysis.cluster.as_ref().map(|c| c.value.clone()),
        ..AnalysisColumns::default()
    };
    let (data, _) = load_study(inputs.files(study)?, &request, Ipw::Off)?;
    // Arms in the spec's order (the analysis puts the control first).
    let arm: Vec<usize> = data
        .treatment
        .codes
        .iter()
        .map(|&c| {
            let name = &data.treatment.arms[c as usize];
            context.arms.iter().position(|a| a == name).unwrap_or(0)
        })
        .collect();
    let subgroups: Vec<(String, Vec<bool>)> = data
        .by
        .iter()
        .flat_map(|by| {
            (0..by.levels.len()).map(move |l| {
                (
                    by.label(l),
                    by.codes
                        .iter()
                        .map(|&c| c as usize == l)
                        .collect::<Vec<bool>>(),
                )
            })
        })
        .collect();
    let units = Units {
        arm: &arm,
        arms: &context.arms,
        subgroups: &subgroups,
        clusters: data.cluster.as_ref().map(|c| c.codes.as_slice()),
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
