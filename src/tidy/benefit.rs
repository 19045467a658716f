//! The cost–benefit results as display tables (issue 17): the valued outcome per subgroup and
//! valuation (`cost_benefit`), its sensitivity to the discount rate, the extrapolation and the
//! uncertain inputs together (`cost_benefit_sensitivity`), the one-way analysis (`cost_tornado`),
//! the acceptability of the net benefit over the value per month (`cost_benefit_ceac`), and the
//! procured services priced by track (`cost_tracks`). Each row is built from (column, value)
//! pairs, so the column order lives in one list per table.

use super::cost::CostResults;
use crate::cea::benefit::{BenefitEstimate, CostBenefit};
use crate::cea::discount::Extrapolation;
use crate::cea::tracks::TrackRow;
use crate::export::{Cell, Frame};

/// One subgroup's valued outcome, or the reason there is none.
pub type BenefitGroup = (String, std::result::Result<CostBenefit, String>);

/// A row of `columns` from (column, value) pairs; columns not given are empty.
fn row(columns: &[&str], values: Vec<(&str, Cell)>) -> Vec<Cell> {
    let mut out = vec![Cell::Null; columns.len()];
    for (name, value) in values {
        if let Some(k) = columns.iter().position(|c| *c == name) {
            out[k] = value;
        }
    }
    out
}

fn frame(columns: &[&str], sek: &[&str], shares: &[&str]) -> Frame {
    let mut f = Frame::new(columns);
    for c in sek {
        f = f.with_decimals(c, 0);
    }
    for c in shares {
        f = f.with_decimals(c, 3);
    }
    f
}

/// The limits of a bounded Fieller set (empty otherwise: the set is not an interval and the
/// note says so).
fn bounded(f: &crate::cea::fieller::Fieller) -> (f64, f64) {
    match f {
        crate::cea::fieller::Fieller::Bounded { low, high } => (*low, *high),
        _ => (f64::NAN, f64::NAN),
    }
}

/// The `cost_benefit` table's columns, in order.
pub const BENEFIT_COLUMNS: [&str; 49] = [
    "subgroup",
    "valuation",
    "sek_per_month",
    "discount_rate",
    "horizon_months",
    "months_gained",
    "months_gained_se",
    "discounted_months_gained",
    "benefit",
    "benefit_se",
    "incremental_cost",
    "incremental_cost_se",
    "net_benefit",
    "net_benefit_se",
    "net_benefit_low",
    "net_benefit_high",
    "boot_low",
    "boot_high",
    "prob_positive_normal",
    "prob_positive_boot",
    "net_benefit_per_participant",
    "per_participant_low",
    "per_participant_high",
    "per_participant_boot_low",
    "per_participant_boot_high",
    "per_participant_fieller_shape",
    "per_participant_fieller_low",
    "per_participant_fieller_high",
    "benefit_cost_ratio",
    "ratio_low",
    "ratio_high",
    "fieller_shape",
    "fieller_low",
    "fieller_high",
    "ratio_boot_low",
    "ratio_boot_high",
    "break_even_months",
    "break_even_se",
    "break_even_low",
    "break_even_high",
    "break_even_fieller_low",
    "break_even_fieller_high",
    "break_even_boot_low",
    "break_even_boot_high",
    "break_even_set_low",
    "break_even_set_high",
    "break_even_set_pieces",
    "positive_from_months",
    "note",
];

const BENEFIT_SEK: [&str; 22] = [
    "sek_per_month",
    "benefit",
    "benefit_se",
    "incremental_cost",
    "incremental_cost_se",
    "net_benefit",
    "net_benefit_se",
    "net_benefit_low",
    "net_benefit_high",
    "boot_low",
    "boot_high",
    "net_benefit_per_participant",
    "per_participant_low",
    "per_participant_high",
    "per_participant_boot_low",
    "per_participant_boot_high",
    "per_participant_fieller_low",
    "per_participant_fieller_high",
    "fieller_low",
    "fieller_high",
    "ratio_boot_low",
    "ratio_boot_high",
];

/// The values of one estimate under [`BENEFIT_COLUMNS`] (without the subgroup).
fn estimate_cells(e: &BenefitEstimate, cost_months: Option<u32>) -> Vec<(&'static str, Cell)> {
    let (fl, fh) = e.ratio_fieller.limits();
    let (set_low, set_high) = e.break_even_set.hull();
    let mut notes = vec![assumptions(e, cost_months)];
    notes.extend(e.notes.iter().cloned());
    vec![
        ("valuation", e.valuation.clone().into()),
        ("sek_per_month", e.scenario.sek_per_month.into()),
        ("discount_rate", e.scenario.discount_rate.into()),
        ("horizon_months", f64::from(e.horizon).into()),
        ("months_gained", e.months_gained.into()),
        ("months_gained_se", e.months_gained_se.into()),
        (
            "discounted_months_gained",
            e.discounted_months_gained.into(),
        ),
        ("benefit", e.benefit.into()),
        ("benefit_se", e.benefit_se.into()),
        ("incremental_cost", e.cost.into()),
        ("incremental_cost_se", e.cost_se.into()),
        ("net_benefit", e.net_benefit.into()),
        ("net_benefit_se", e.net_benefit_se.into()),
        ("net_benefit_low", e.net_benefit_low.into()),
        ("net_benefit_high", e.net_benefit_high.into()),
        ("boot_low", e.net_benefit_boot.0.into()),
        ("boot_high", e.net_benefit_boot.1.into()),
        ("prob_positive_normal", e.prob_positive_normal.into()),
        ("prob_positive_boot", e.prob_positive_boot.into()),
        ("net_benefit_per_participant", e.per_participant.into()),
        ("per_participant_low", e.per_participant_low.into()),
        ("per_participant_high", e.per_participant_high.into()),
        ("per_participant_boot_low", e.per_participant_boot.0.into()),
        ("per_participant_boot_high", e.per_participant_boot.1.into()),
        (
            "per_participant_fieller_shape",
            e.per_participant_fieller.shape().into(),
        ),
        (
            "per_participant_fieller_low",
            e.per_participant_fieller.limits().0.into(),
        ),
        (
            "per_participant_fieller_high",
            e.per_participant_fieller.limits().1.into(),
        ),
        ("benefit_cost_ratio", e.benefit_cost_ratio.into()),
        ("ratio_low", e.ratio_low.into()),
        ("ratio_high", e.ratio_high.into()),
        ("fieller_shape", e.ratio_fieller.shape().into()),
        ("fieller_low", fl.into()),
        ("fieller_high", fh.into()),
        ("ratio_boot_low", e.ratio_boot.0.into()),
        ("ratio_boot_high", e.ratio_boot.1.into()),
        ("break_even_months", e.break_even_months.into()),
        ("break_even_se", e.break_even_se.into()),
        ("break_even_low", e.break_even_low.into()),
        ("break_even_high", e.break_even_high.into()),
        (
            "break_even_fieller_low",
            bounded(&e.break_even_fieller).0.into(),
        ),
        (
            "break_even_fieller_high",
            bounded(&e.break_even_fieller).1.into(),
        ),
        ("break_even_boot_low", e.break_even_boot.0.into()),
        ("break_even_boot_high", e.break_even_boot.1.into()),
        ("break_even_set_low", set_low.into()),
        (
            "break_even_set_high",
            if e.break_even_set.reaches_horizon() {
                f64::NAN
            } else {
                set_high
            }
            .into(),
        ),
        (
            "break_even_set_pieces",
            (e.break_even_set.intervals.len() as f64).into(),
        ),
        (
            "positive_from_months",
            e.break_even_set.positive_from.into(),
        ),
        ("note", notes.join("; ").into()),
    ]
}

/// What an estimate assumed, in words.
fn assumptions(e: &BenefitEstimate, cost_months: Option<u32>) -> String {
    let effect = match e.scenario.extrapolation {
        Extrapolation::None => format!("effects counted over the {} measured months", e.horizon),
        Extrapolation::CarryForward { to } => {
            format!("the last measured effect carried forward to month {to}")
        }
        Extrapolation::LinearDecay { zero_at } => {
            format!("the last measured effect falling linearly to zero at month {zero_at}")
        }
    };
    let costs = match cost_months {
        Some(0) => "costs at the start".to_string(),
        Some(c) => format!("costs spread over {c} months"),
        None => String::new(),
    };
    format!(
        "{effect}; discounted monthly at {:.1}% a year{}{}",
        e.scenario.discount_rate * 100.0,
        if costs.is_empty() { "" } else { "; " },
        costs
    )
}

/// The valued outcome, one row per subgroup and valuation; a subgroup without a result has one
/// row with the reason.
pub fn benefit_frame(results: &CostResults) -> Frame {
    let cost_months = results.settings.benefit.as_ref().map(|b| b.cost_months);
    let mut f = frame(
        &BENEFIT_COLUMNS,
        &BENEFIT_SEK,
        &[
            "months_gained",
            "months_gained_se",
            "discounted_months_gained",
        ],
    );
    for (label, result) in &results.benefit {
        match result {
            Err(reason) => f.push(row(
                &BENEFIT_COLUMNS,
                vec![
                    ("subgroup", label.clone().into()),
                    ("note", reason.clone().into()),
                ],
            )),
            Ok(cb) => {
                for e in &cb.valuations {
                    let mut cells = estimate_cells(e, cost_months);
                    cells.push(("subgroup", label.clone().into()));
                    f.push(row(&BENEFIT_COLUMNS, cells));
                }
            }
        }
    }
    f
}

/// The sensitivity table's columns, in order.
pub const SENSITIVITY_COLUMNS: [&str; 15] = [
    "subgroup",
    "analysis",
    "extrapolation",
    "horizon_months",
    "discount_rate",
    "months_gained",
    "benefit",
    "incremental_cost",
    "net_benefit",
    "net_benefit_low",
    "net_benefit_high",
    "prob_positive",
    "benefit_cost_ratio",
    "break_even_months",
    "note",
];

/// The headline valuation under each discount rate and extrapolation (`deterministic`), and
/// the probabilistic sensitivity analysis (`probabilistic`: bootstrap replicates each with their
/// own value per month, discount rate and cost change), one row each per subgroup.
pub fn sensitivity_frame(results: &CostResults) -> Frame {
    let cost_months = results.settings.benefit.as_ref().map(|b| b.cost_months);
    let mut f = frame(
        &SENSITIVITY_COLUMNS,
        &[
            "benefit",
            "incremental_cost",
            "net_benefit",
            "net_benefit_low",
            "net_benefit_high",
        ],
        &["months_gained"],
    );
    for (label, result) in &results.benefit {
        let Ok(cb) = result else { continue };
        for e in &cb.scenarios {
            let mut notes = vec![assumptions(e, cost_months)];
            notes.extend(e.notes.iter().cloned());
            f.push(row(
                &SENSITIVITY_COLUMNS,
                vec![
                    ("subgroup", label.clone().into()),
                    ("analysis", "deterministic".into()),
                    ("extrapolation", e.scenario.extrapolation.word().into()),
                    ("horizon_months", f64::from(e.horizon).into()),
                    ("discount_rate", e.scenario.discount_rate.into()),
                    ("months_gained", e.months_gained.into()),
                    ("benefit", e.benefit.into()),
                    ("incremental_cost", e.cost.into()),
                    ("net_benefit", e.net_benefit.into()),
                    ("net_benefit_low", e.net_benefit_low.into()),
                    ("net_benefit_high", e.net_benefit_high.into()),
                    ("prob_positive", e.prob_positive_normal.into()),
                    ("benefit_cost_ratio", e.benefit_cost_ratio.into()),
                    ("break_even_months", e.break_even_months.into()),
                    ("note", notes.join("; ").into()),
                ],
            ));
        }
        if let Some(psa) = &cb.psa {
            f.push(row(
                &SENSITIVITY_COLUMNS,
                vec![
                    ("subgroup", label.clone().into()),
                    ("analysis", "probabilistic".into()),
                    ("extrapolation", "none".into()),
                    ("horizon_months", f64::from(cb.last_measured).into()),
                    ("net_benefit", psa.mean.into()),
                    ("net_benefit_low", psa.low.into()),
                    ("net_benefit_high", psa.high.into()),
                    ("prob_positive", psa.prob_positive.into()),
                    (
                        "note",
                        format!(
                            "{} bootstrap replicates, each with a value per month, a discount \
                             rate and a change of the cost per participant drawn uniformly \
                             within the ranges of the one-way analysis; mean and percentile \
                             interval",
                            psa.replicates
                        )
                        .into(),
                    ),
                ],
            ));
        }
    }
    f
}

/// The tornado table's columns, in order.
pub const TORNADO_COLUMNS: [&str; 8] = [
    "subgroup",
    "input",
    "low_setting",
    "high_setting",
    "net_benefit_base",
    "net_benefit_at_low",
    "net_benefit_at_high",
    "swing",
];

/// The one-way sensitivity analysis, widest swing first, per subgroup.
pub fn tornado_frame(results: &CostResults) -> Frame {
    let mut f = frame(
        &TORNADO_COLUMNS,
        &[
            "net_benefit_base",
            "net_benefit_at_low",
            "net_benefit_at_high",
            "swing",
        ],
        &[],
    );
    for (label, result) in &results.benefit {
        let Ok(cb) = result else { continue };
        let base = cb.valuations.first().map_or(f64::NAN, |e| e.net_benefit);
        for bar in &cb.tornado {
            f.push(row(
                &TORNADO_COLUMNS,
                vec![
                    ("subgroup", label.clone().into()),
                    ("input", bar.input.into()),
                    ("low_setting", bar.low_setting.into()),
                    ("high_setting", bar.high_setting.into()),
                    ("net_benefit_base", base.into()),
                    ("net_benefit_at_low", bar.net_benefit_low.into()),
                    ("net_benefit_at_high", bar.net_benefit_high.into()),
                    ("swing", bar.swing().into()),
                ],
            ));
        }
    }
    f
}

/// The acceptability table's columns, in order.
pub const ACCEPTABILITY_COLUMNS: [&str; 6] = [
    "subgroup",
    "sek_per_month",
    "net_benefit",
    "net_benefit_se",
    "prob_positive_normal",
    "prob_positive_boot",
];

/// The net benefit and the probability that it is positive at each value of a month in work.
pub fn acceptability_frame(results: &CostResults) -> Frame {
    let mut f = frame(
        &ACCEPTABILITY_COLUMNS,
        &["sek_per_month", "net_benefit", "net_benefit_se"],
        &[],
    );
    for (label, result) in &results.benefit {
        let Ok(cb) = result else { continue };
        for p in &cb.acceptability {
            f.push(row(
                &ACCEPTABILITY_COLUMNS,
                vec![
                    ("subgroup", label.clone().into()),
                    ("sek_per_month", p.sek_per_month.into()),
                    ("net_benefit", p.net_benefit.into()),
                    ("net_benefit_se", p.se.into()),
                    ("prob_positive_normal", p.prob_normal.into()),
                    ("prob_positive_boot", p.prob_boot.into()),
                ],
            ));
        }
    }
    f
}

/// The tracks table's columns, in order.
pub const TRACKS_COLUMNS: [&str; 11] = [
    "comparator",
    "track",
    "participants",
    "share",
    "programme_cost_per_participant",
    "in_work_share",
    "fee",
    "results_payment",
    "price_per_participant",
    "difference",
    "note",
];

/// Each procured service priced by track for the programme's participants, and over the trial's
/// mix of tracks (`track` = `all`).
pub fn tracks_frame(results: &CostResults) -> Frame {
    let mut f = frame(
        &TRACKS_COLUMNS,
        &[
            "programme_cost_per_participant",
            "fee",
            "results_payment",
            "price_per_participant",
            "difference",
        ],
        &["share", "in_work_share"],
    );
    let outcome = &results.settings.outcome;
    for c in &results.tracks {
        let cells = |r: &TrackRow, note: String| {
            vec![
                ("comparator", c.name.clone().into()),
                (
                    "track",
                    r.track.clone().unwrap_or_else(|| "all".into()).into(),
                ),
                ("participants", r.participants.into()),
                ("share", r.share.into()),
                ("programme_cost_per_participant", r.programme_cost.into()),
                ("in_work_share", r.in_work_share.into()),
                ("fee", r.fee.into()),
                ("results_payment", c.results_payment.into()),
                ("price_per_participant", r.price.into()),
                ("difference", r.difference.into()),
                ("note", note.into()),
            ]
        };
        for r in &c.rows {
            f.push(row(&TRACKS_COLUMNS, cells(r, String::new())));
        }
        f.push(row(
            &TRACKS_COLUMNS,
            cells(
                &c.mix,
                format!(
                    "the trial's mix of tracks; the results payment is charged for the \
                     programme's own share with `{outcome}` = 1, so the service is priced for \
                     the same persons with the same results; difference < 0: the programme \
                     costs less per participant"
                ),
            ),
        ));
    }
    f
}

/// The cost–benefit tables of `results` that have rows, by the name `lotta run` gives them.
pub fn study_tables(results: &CostResults) -> Vec<(&'static str, Frame)> {
    let mut out = Vec::new();
    if !results.benefit.is_empty() {
        out.push(("cost_benefit", benefit_frame(results)));
        out.push(("cost_benefit_sensitivity", sensitivity_frame(results)));
        out.push(("cost_tornado", tornado_frame(results)));
        out.push(("cost_benefit_ceac", acceptability_frame(results)));
    }
    if !results.tracks.is_empty() {
        out.push(("cost_tracks", tracks_frame(results)));
    }
    out
}

/// The valued outcome's headline numbers for the cost summary's row of `subgroup` and
/// `perspective`, or the reason they are empty.
pub struct Headline {
    pub net_benefit: f64,
    pub low: f64,
    pub high: f64,
    pub ratio: f64,
    pub break_even: f64,
    pub notes: Vec<String>,
}

/// See [`Headline`]: the gross row carries the headline valuation over the measured months;
/// the net row (after offsets) and a study without `[cost.benefit]` say why they have none.
pub fn headline(results: &CostResults, subgroup: &str, perspective: &str) -> Headline {
    let empty = |why: String| Headline {
        net_benefit: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
        ratio: f64::NAN,
        break_even: f64::NAN,
        notes: vec![why],
    };
    if results.settings.benefit.is_none() {
        return empty("net benefit: no valued outcome ([cost.benefit] in the spec)".into());
    }
    if perspective != "gross" {
        return empty(
            "net benefit: on the gross row (the valued outcome includes any benefit components)"
                .into(),
        );
    }
    match results.benefit.iter().find(|(l, _)| l == subgroup) {
        Some((_, Ok(cb))) => match cb.valuations.first() {
            Some(e) => Headline {
                net_benefit: e.net_benefit,
                low: e.net_benefit_low,
                high: e.net_benefit_high,
                ratio: e.benefit_cost_ratio,
                break_even: e.break_even_months,
                notes: vec![format!(
                    "net benefit per person offered: {} at {:.0} SEK a month, {}",
                    e.valuation,
                    e.scenario.sek_per_month,
                    assumptions(e, results.settings.benefit.as_ref().map(|b| b.cost_months))
                )]
                .into_iter()
                .chain(e.notes.iter().map(|n| format!("net benefit: {n}")))
                .collect(),
            },
            None => empty("net benefit: no valuation".into()),
        },
        Some((_, Err(reason))) => empty(format!("net benefit: {reason}")),
        None => empty("net benefit: not computed for this group".into()),
    }
}
