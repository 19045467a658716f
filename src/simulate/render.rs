//! The synthetic study as CSV bytes in the demo data schema (participants.csv, outcomes.csv,
//! costs.csv) plus the assignment ledger as `lotta assign` writes it. Pure: returns bytes; the CLI writes them.

use crate::design::ledger::{self, RowView};
use crate::error::{Error, Result};
use crate::simulate::{self, Activity, Dgp, SimulatedStudy, dates};

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner()
        .map_err(|e| Error::compute(format!("writing CSV: {e}")))
}

fn err(e: csv::Error) -> Error {
    Error::compute(format!("writing CSV: {e}"))
}

/// The columns of participants.csv.
pub const PARTICIPANT_COLUMNS: [&str; 11] = [
    "person_id",
    "site",
    "municipality",
    "gender",
    "age",
    "age_band",
    "education_years",
    "education_level",
    "months_in_sweden",
    "distance",
    "enrolled_on",
];

/// The columns of outcomes.csv for the given horizons.
pub fn outcome_columns(horizons: &[u32]) -> Vec<String> {
    outcome_columns_of(horizons, false)
}

/// The columns of outcomes.csv; with a time-to-event part also `exit_day` (the day of the first
/// exit, or the end of follow-up) and `exit` (the exit's name, or 0 when censored there).
pub fn outcome_columns_of(horizons: &[u32], exits: bool) -> Vec<String> {
    let mut cols = vec!["person_id".to_string(), "took_part".to_string()];
    for h in horizons {
        for part in ["work_or_study", "subsidized", "unsubsidized", "studies"] {
            cols.push(format!("{part}_{h}"));
        }
    }
    cols.push("days_to_first_job".into());
    cols.push("followup_days".into());
    // Time to first job as a survival outcome: the day of the first job, or the last day of
    // follow-up for those without one (censored), and whether a job was found.
    cols.push("days_observed".into());
    cols.push("job_found".into());
    if exits {
        cols.push("exit_day".into());
        cols.push("exit".into());
    }
    cols
}

pub const COST_COLUMNS: [&str; 3] = ["person_id", "cost_sek", "income_support_months"];

pub fn participants_csv(dgp: &Dgp, study: &SimulatedStudy) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(PARTICIPANT_COLUMNS).map_err(err)?;
    for p in &study.participants.people {
        let site = dgp.sites.get(p.site).map_or("", |s| s.name.as_str());
        w.write_record([
            p.id.as_str(),
            site,
            &p.municipality,
            p.gender_code(),
            &p.age.to_string(),
            p.age_band(),
            &p.education_years.to_string(),
            p.education_level_name(),
            &p.months_in_sweden.to_string(),
            if p.far { "far" } else { "near" },
            &dates::format_date(p.enrolled_on),
        ])
        .map_err(err)?;
    }
    finish(w)
}

pub fn outcomes_csv(dgp: &Dgp, study: &SimulatedStudy) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(outcome_columns_of(&dgp.horizons, study.exits.is_some()))
        .map_err(err)?;
    let causes = dgp
        .time_to_event
        .as_ref()
        .map_or(&[][..], |t| t.causes.as_slice());
    for (k, (p, o)) in study
        .participants
        .people
        .iter()
        .zip(&study.outcomes.people)
        .enumerate()
    {
        let mut row = vec![p.id.clone(), u8::from(o.took_part).to_string()];
        for act in &o.activity {
            match act {
                None => row.extend(std::iter::repeat_n(String::new(), 4)),
                Some(a) => {
                    let flags = [
                        *a != Activity::Nothing,
                        *a == Activity::Subsidized,
                        *a == Activity::Unsubsidized,
                        *a == Activity::Studies,
                    ];
                    row.extend(flags.iter().map(|&f| u8::from(f).to_string()));
                }
            }
        }
        row.push(o.days_to_first_job.map_or(String::new(), |d| d.to_string()));
        row.push(o.followup_days.to_string());
        row.push(o.days_to_first_job.unwrap_or(o.followup_days).to_string());
        row.push(u8::from(o.days_to_first_job.is_some()).to_string());
        if let Some(exit) = study.exits.as_ref().and_then(|e| e.get(k)) {
            row.push(exit.day.to_string());
            row.push(
                exit.cause
                    .and_then(|c| causes.get(c))
                    .map_or_else(|| "0".to_string(), Clone::clone),
            );
        }
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}

pub fn costs_csv(study: &SimulatedStudy) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(COST_COLUMNS).map_err(err)?;
    for (p, o) in study.participants.people.iter().zip(&study.outcomes.people) {
        w.write_record([
            p.id.as_str(),
            &format!("{:.0}", o.cost_sek),
            &o.income_support_months.to_string(),
        ])
        .map_err(err)?;
    }
    finish(w)
}

/// The ledger exactly as `lotta assign` writes it when run once per enrolment wave (oldest
/// first) with the study's design and seed, and its design sidecar (`ledger.csv.design.json`).
pub fn ledger_files(dgp: &Dgp, study: &SimulatedStudy, seed: u64) -> Result<(Vec<u8>, Vec<u8>)> {
    let design = dgp.design(seed)?;
    let plan = simulate::plan(dgp, &study.participants, &design)?;
    let assignment = plan.assign(seed);
    let waves = simulate::waves(dgp, &study.participants);
    let people = &study.participants.people;
    let clusters: Option<Vec<String>> = design.cluster.as_ref().map(|c| {
        people
            .iter()
            .map(|p| simulate::characteristic(dgp, p, c).unwrap_or_default())
            .collect()
    });
    let mut order: Vec<usize> = (0..people.len()).collect();
    order.sort_by(|&a, &b| {
        waves[a]
            .cmp(&waves[b])
            .then_with(|| people[a].id.as_bytes().cmp(people[b].id.as_bytes()))
    });
    let rows = order.iter().map(|&u| {
        let slot = assignment.slots[u];
        RowView {
            id: &people[u].id,
            arm: slot.arm,
            stratum: plan.stratum_of(u),
            cluster: clusters.as_ref().map(|c| c[u].as_str()),
            probability: assignment.probability[u],
            block: slot.block,
            position: slot.position,
            batch: waves[u],
        }
    });
    Ok((
        ledger::render(&design, rows),
        ledger::sidecar_bytes(&design),
    ))
}
