//! The synthetic study as CSV bytes in the demo data schema (participants.csv, outcomes.csv,
//! costs.csv) plus the provisional ledger.csv. Pure: returns bytes; the CLI writes them.

use crate::error::{Error, Result};
use crate::simulate::{Activity, Dgp, Study, dates};

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
    let mut cols = vec!["person_id".to_string(), "took_part".to_string()];
    for h in horizons {
        for part in ["work_or_study", "subsidized", "unsubsidized", "studies"] {
            cols.push(format!("{part}_{h}"));
        }
    }
    cols.push("days_to_first_job".into());
    cols.push("followup_days".into());
    cols
}

pub const COST_COLUMNS: [&str; 3] = ["person_id", "cost_sek", "income_support_months"];
pub const LEDGER_COLUMNS: [&str; 4] = ["id", "arm", "stratum", "probability"];

pub fn participants_csv(dgp: &Dgp, study: &Study) -> Result<Vec<u8>> {
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

pub fn outcomes_csv(dgp: &Dgp, study: &Study) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(outcome_columns(&dgp.horizons))
        .map_err(err)?;
    for (p, o) in study.participants.people.iter().zip(&study.outcomes.people) {
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
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}

pub fn costs_csv(study: &Study) -> Result<Vec<u8>> {
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

/// The provisional ledger: `id, arm, stratum, probability` (probability with full precision).
pub fn ledger_csv(study: &Study) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(LEDGER_COLUMNS).map_err(err)?;
    let a = &study.assignment;
    for (i, p) in study.participants.people.iter().enumerate() {
        let arm = a
            .arm
            .get(i)
            .and_then(|&k| a.arms.get(k))
            .map_or("", String::as_str);
        let stratum = a.stratum.get(i).map_or("", String::as_str);
        let prob = a.probability.get(i).copied().unwrap_or(f64::NAN);
        w.write_record([p.id.as_str(), arm, stratum, &format!("{prob}")])
            .map_err(err)?;
    }
    finish(w)
}
