//! The cost–benefit part of the cost analysis (issue 17): the persons of the cost analysis with
//! a status in work at every month `[cost.benefit]` names, valued by `cea::benefit` overall and
//! in each subgroup; and the procured services of `[[cost.comparators]]` priced by track for the
//! programme arm's participants (`cea::tracks`). Called by `ops::cost` with what it prepared.

use crate::cea::Sample;
use crate::cea::benefit::{self, BenefitOptions, BenefitSample, TimeToJob};
use crate::cea::tracks::{self, TrackComparison, TrackMismatch, TrackPrice};
use crate::error::{Error, Location, Result, nearest};
use crate::io::join::Joined;
use crate::io::table::ColumnRequest;
use crate::settings::benefit::TrackComparator;
use crate::settings::cost::CostSettings;

/// The columns the cost–benefit part reads: the status in work and the comparators' tracks.
pub fn requests(s: &CostSettings) -> Vec<ColumnRequest> {
    let mut out = Vec::new();
    if let Some(b) = &s.benefit {
        out.extend(
            b.in_work
                .iter()
                .map(|(c, _)| ColumnRequest::optional_number(c.clone())),
        );
        if let Some(j) = &b.time_to_job {
            out.push(ColumnRequest::optional_number(j.time.clone()));
            out.push(ColumnRequest::text(j.event.clone()));
        }
    }
    out.extend(
        s.comparators
            .iter()
            .map(|c| ColumnRequest::text(c.track_column.clone())),
    );
    out
}

pub use crate::tidy::benefit::BenefitGroup;

/// The valued outcome of every group (`all` first, then `groups`' rows), with a note when
/// persons without a status in work are left out. `sample` holds the cost analysis's persons,
/// `keep` their rows in `joined`.
pub fn cost_benefit(
    s: &CostSettings,
    joined: &Joined,
    sample: &Sample,
    keep: &[usize],
    groups: &[(String, Vec<usize>)],
    progress: &dyn crate::progress::Progress,
) -> Result<(Vec<BenefitGroup>, Vec<String>)> {
    let Some(b) = &s.benefit else {
        return Ok((Vec::new(), Vec::new()));
    };
    let months = b.months();
    // The status at each month: the sum of that month's columns.
    // (None with a time to the first job: its months come from the curves.)
    let columns = if b.time_to_job.is_some() {
        0
    } else {
        months.len()
    };
    let mut status = vec![vec![0.0; keep.len()]; columns];
    for (column, month) in &b.in_work {
        let values = joined.number(column)?;
        let j = months.iter().position(|m| m == month).unwrap_or(0);
        for (k, &i) in keep.iter().enumerate() {
            status[j][k] += values[i];
        }
    }
    let time_to_job = match &b.time_to_job {
        Some(j) => Some(job_times(j, joined, keep)?),
        None => None,
    };
    let complete: Vec<bool> = (0..keep.len())
        .map(|k| {
            status.iter().all(|s| s[k].is_finite())
                && time_to_job.as_ref().is_none_or(|t| t.time[k].is_finite())
        })
        .collect();
    let mut notes = Vec::new();
    let dropped = complete.iter().filter(|c| !**c).count();
    if dropped > 0 {
        notes.push(match &b.time_to_job {
            Some(j) => format!(
                "{dropped} persons without a time to the first job (`{}`, `{}`) are left out of \
                 the valued outcome (complete cases)",
                j.time, j.event
            ),
            None => format!(
                "{dropped} persons without a status in work at every month of [cost.benefit] \
                 in_work are left out of the valued outcome (complete cases)"
            ),
        });
    }
    if let Some(j) = &b.time_to_job {
        notes.push(match &j.cause {
            Some(c) => format!(
                "months in work from the time to the first job (`{}` = {c}): the share of each \
                 of months 1–{} after the first job, the Aalen–Johansen cumulative incidence of \
                 the job with the other exits competing (as cmprsk::cuminc); a first job counts \
                 as lasting to the horizon",
                j.event, j.months
            ),
            None => format!(
                "months in work from the time to the first job (`{}`): the share of each of \
                 months 1–{} after the first job, 1 − Kaplan–Meier; a first job counts as \
                 lasting to the horizon",
                j.event, j.months
            ),
        });
    }
    let full = BenefitSample {
        treated: sample.treated.clone(),
        cost: sample.cost.clone(),
        participation: sample.participation.clone(),
        months: months.clone(),
        in_work: status,
        strata: sample.strata.clone(),
        clusters: sample.clusters.clone(),
        time_to_job,
    };
    let options = BenefitOptions {
        valuations: b.valuations.clone(),
        discount_rate: b.discount_rate,
        discount_range: b.discount_range,
        cost_months: b.cost_months,
        extrapolate_to: b.extrapolate_to,
        value_change: b.value_change,
        cost_change: b.cost_change,
        value_grid: value_grid(b.valuations[0].sek_per_month),
        level: s.level,
        bootstrap: s.bootstrap,
        seed: s.seed,
    };
    let mut out = Vec::new();
    let all: Vec<usize> = (0..sample.treated.len()).collect();
    for (label, rows) in std::iter::once(("all".to_string(), all)).chain(groups.iter().cloned()) {
        let rows: Vec<usize> = rows.into_iter().filter(|&r| complete[r]).collect();
        let result = match benefit::analyse(&subset(&full, &rows), &options, progress) {
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) if label == "all" => return Err(e),
            other => other.map_err(|e| format!("{label}: {e}")),
        };
        out.push((label, result));
    }
    Ok((out, notes))
}

/// The time to the first job of the persons `keep` (NaN where the time or the event is
/// missing); an event code that is neither the cause nor a known exit is an error naming the
/// cell.
fn job_times(
    j: &crate::settings::benefit::JobTimes,
    joined: &Joined,
    keep: &[usize],
) -> Result<TimeToJob> {
    let time = joined.number(&j.time)?;
    let codes = joined.text(&j.event)?;
    let cause = j.cause.as_deref().map(str::trim);
    let mut out = TimeToJob {
        time: Vec::with_capacity(keep.len()),
        status: Vec::with_capacity(keep.len()),
        competing: cause.is_some(),
    };
    for &i in keep {
        let code = codes[i].trim();
        if code.is_empty() || code.eq_ignore_ascii_case("NA") {
            out.time.push(f64::NAN);
            out.status.push(crate::survival::CENSORED);
            continue;
        }
        let Some(status) = crate::survival::status_of(code, cause) else {
            return Err(Error::data(
                joined.location(&j.event, i),
                format!("event code `{code}` is neither 0 (censored) nor 1 (event)"),
            )
            .with_hint("name the exit of interest with `[survival] cause`"));
        };
        let t = time[i];
        if t.is_finite() && t < 0.0 {
            return Err(Error::data(
                joined.location(&j.time, i),
                format!("time {t} is negative; expected days from randomization"),
            ));
        }
        out.time.push(t);
        out.status.push(status);
    }
    Ok(out)
}

/// Values per month for the acceptability of the net benefit: 0 to twice the headline value in
/// 40 steps.
fn value_grid(head: f64) -> Vec<f64> {
    (0..=40).map(|k| head * 2.0 * f64::from(k) / 40.0).collect()
}

fn subset(s: &BenefitSample, rows: &[usize]) -> BenefitSample {
    fn pick<T: Clone>(v: &[T], rows: &[usize]) -> Vec<T> {
        rows.iter().filter_map(|&i| v.get(i).cloned()).collect()
    }
    BenefitSample {
        treated: pick(&s.treated, rows),
        cost: pick(&s.cost, rows),
        participation: s.participation.as_ref().map(|p| pick(p, rows)),
        months: s.months.clone(),
        in_work: s.in_work.iter().map(|w| pick(w, rows)).collect(),
        strata: pick(&s.strata, rows),
        clusters: s.clusters.as_ref().map(|c| pick(c, rows)),
        time_to_job: s.time_to_job.as_ref().map(|j| TimeToJob {
            time: pick(&j.time, rows),
            status: pick(&j.status, rows),
            competing: j.competing,
        }),
    }
}

/// Each comparator priced for the programme arm's participants (take-up from the participation
/// column; every person offered when there is none), their status in work being the cost
/// analysis's outcome. A fee for a track the data lack, or a track without a fee, is an error
/// naming the spec key.
pub fn track_comparisons(
    s: &CostSettings,
    joined: &Joined,
    sample: &Sample,
    keep: &[usize],
) -> Result<Vec<TrackComparison>> {
    let mut out = Vec::new();
    for c in &s.comparators {
        let track = joined.text(&c.track_column)?;
        let rows: Vec<usize> = (0..keep.len()).filter(|&k| sample.treated[k]).collect();
        let take_up: Vec<f64> = rows
            .iter()
            .map(|&k| sample.participation.as_ref().map_or(1.0, |p| p[k]))
            .collect();
        let price = TrackPrice {
            name: c.name.clone(),
            fees: c.fees.clone(),
            results_payment: c.results_payment,
        };
        let compared = tracks::compare(
            &price,
            &rows
                .iter()
                .map(|&k| track[keep[k]].clone())
                .collect::<Vec<_>>(),
            &rows.iter().map(|&k| sample.cost[k]).collect::<Vec<_>>(),
            &rows.iter().map(|&k| sample.effect[k]).collect::<Vec<_>>(),
            &take_up,
        )?;
        match compared {
            Ok(comparison) => out.push(comparison),
            Err(mismatch) => return Err(mismatch_error(c, mismatch)),
        }
    }
    Ok(out)
}

fn mismatch_error(c: &TrackComparator, mismatch: TrackMismatch) -> Error {
    let at = |key: String| Location::file(&c.spec_file).with_field(key);
    match mismatch {
        TrackMismatch::NoFee { track } => Error::spec(
            at(c.fee_key.clone()),
            format!(
                "no fee for the track `{track}` of column `{}`; give a fee for every track of the \
                 programme's participants",
                c.track_column
            ),
        ),
        TrackMismatch::UnknownTrack { track, tracks } => {
            let mut e = Error::spec(
                at(format!("{}.{track}", c.fee_key)),
                format!(
                    "`{track}` is not a track of the programme's participants in column `{}` \
                     (tracks: {})",
                    c.track_column,
                    tracks.join(", ")
                ),
            );
            if let Some(n) = nearest(&track, tracks.iter().map(String::as_str)) {
                e = e.with_hint(format!("did you mean `{n}`?"));
            }
            e
        }
    }
}
