//! The cost–benefit part of the cost analysis (issue 17): the persons of the cost analysis with
//! a status in work at every month `[cost.benefit]` names, valued by `cea::benefit` overall and
//! in each subgroup; and the procured services of `[[cost.comparators]]` priced by track for the
//! programme arm's participants (`cea::tracks`). Called by `ops::cost` with what it prepared.

use crate::cea::Sample;
use crate::cea::benefit::{self, BenefitOptions, BenefitSample};
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
    let mut status = vec![vec![0.0; keep.len()]; months.len()];
    for (column, month) in &b.in_work {
        let values = joined.number(column)?;
        let j = months.iter().position(|m| m == month).unwrap_or(0);
        for (k, &i) in keep.iter().enumerate() {
            status[j][k] += values[i];
        }
    }
    let complete: Vec<bool> = (0..keep.len())
        .map(|k| status.iter().all(|s| s[k].is_finite()))
        .collect();
    let mut notes = Vec::new();
    let dropped = complete.iter().filter(|c| !**c).count();
    if dropped > 0 {
        notes.push(format!(
            "{dropped} persons without a status in work at every month of [cost.benefit] \
             in_work are left out of the valued outcome (complete cases)"
        ));
    }
    let full = BenefitSample {
        treated: sample.treated.clone(),
        cost: sample.cost.clone(),
        participation: sample.participation.clone(),
        months: months.clone(),
        in_work: status,
        strata: sample.strata.clone(),
        clusters: sample.clusters.clone(),
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
