//! Cost-effectiveness results as display tables: each subgroup's [`crate::cea::CostEffectiveness`] (or the
//! reason there is none) as the summary, offsets, acceptability (CEAC), alternatives and
//! CE-plane draws tables of `lotta cost` and `lotta run`, with their column names, order and the
//! decimals people see.

use crate::cea::CostEffectiveness;
use crate::cea::months::CostPerMonth;
use crate::export::{Cell, Frame};
use crate::io::manifest::FileHash;
use crate::settings::cost::CostSettings;

/// One subgroup's result, or the reason there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupResult {
    /// `all`, or `<column>=<level>`.
    pub label: String,
    /// Persons with the outcome, [programme arm, comparison arm].
    pub n: [usize; 2],
    pub result: Result<CostEffectiveness, String>,
}

/// Everything a cost-effectiveness analysis found: one result per subgroup (`all` first), the
/// arms compared and the settings they were computed with, notes for the user and the files
/// read.
#[derive(Debug, Clone)]
pub struct CostResults {
    /// The settings used (with a study and no `--strata`, the ledger's strata filled in).
    pub settings: CostSettings,
    /// The programme arm and the comparison arm, as named in the data.
    pub treated_arm: String,
    pub control_arm: String,
    pub groups: Vec<GroupResult>,
    /// Warnings for the user (e.g. persons left out for a missing outcome).
    pub notes: Vec<String>,
    /// The files read, with their hashes (for the manifest).
    pub inputs: Vec<FileHash>,
    /// The valued outcome per subgroup (`all` first), with `[cost.benefit]`.
    pub benefit: Vec<super::benefit::BenefitGroup>,
    /// The procured services priced by track, with `[[cost.comparators]]`.
    pub tracks: Vec<crate::cea::tracks::TrackComparison>,
}

/// The cost per additional month with a job within τ (`cea::months`), per subgroup (`all`
/// first): gross and, with benefit offsets, net; or the reason there is none.
#[derive(Debug, Clone)]
pub struct MonthResults {
    /// The time column (days to the first job or censoring).
    pub time: String,
    pub tau: f64,
    pub treated_arm: String,
    pub control_arm: String,
    pub level: f64,
    pub groups: Vec<(String, MonthGroup)>,
}

/// One subgroup's cost per month with a job, per perspective (`gross`, `net`), or the reason
/// there is none.
pub type MonthGroup = Result<Vec<(String, CostPerMonth)>, String>;

/// Rows of the cost summary table for the cost per additional month with a job: the outcome
/// `months_with_job_<τ>` (ΔM in months of 30.4375 days), ΔC, ΔC/ΔM with delta-method and
/// Fieller intervals; columns that do not apply (bootstrap, per participant) empty.
pub fn push_month_rows(frame: &mut Frame, m: &MonthResults) {
    let outcome = format!("months_with_job_{:.0}", m.tau);
    let column = |name: &str| SUMMARY_COLUMNS.iter().position(|c| *c == name);
    for (label, result) in &m.groups {
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let blank = || vec![Cell::Null; SUMMARY_COLUMNS.len()];
        match result {
            Err(reason) => {
                let mut row = blank();
                set(&mut row, column("perspective"), "gross".into());
                set(&mut row, column("note"), reason.clone().into());
                rows.push(row);
            }
            Ok(perspectives) => {
                for (name, r) in perspectives {
                    let q = &r.ratio;
                    let (fl, fh) = q.fieller.limits();
                    let mut notes = vec![format!(
                        "effect: months with a job gained within {:.0} days, from the restricted \
                         mean days without a job (RMST of `{}`, 30.4375 days a month); cost per \
                         additional month with a job in SEK",
                        m.tau, m.time
                    )];
                    notes.extend(q.notes.iter().cloned());
                    if let Some(g) = r.clusters {
                        notes.push(format!(
                            "cluster-robust: the persons' influences on the cost and the months \
                             summed by cluster (CR1, {g} clusters), t({}) intervals",
                            g.saturating_sub(1)
                        ));
                    }
                    let mut row = blank();
                    for (c, v) in [
                        ("perspective", Cell::from(name.as_str())),
                        ("n_treated", r.n[0].into()),
                        ("n_control", r.n[1].into()),
                        ("mean_cost_treated", r.mean_cost[0].into()),
                        ("mean_cost_control", r.mean_cost[1].into()),
                        ("incremental_cost", q.delta_cost.into()),
                        ("incremental_cost_se", q.se_cost.into()),
                        ("incremental_effect", q.delta_effect.into()),
                        ("incremental_effect_se", q.se_effect.into()),
                        ("icer", q.icer.into()),
                        ("icer_se", q.icer_se.into()),
                        ("delta_low", q.delta_low.into()),
                        ("delta_high", q.delta_high.into()),
                        ("fieller_shape", q.fieller.shape().into()),
                        ("fieller_low", fl.into()),
                        ("fieller_high", fh.into()),
                        ("note", notes.join("; ").into()),
                    ] {
                        set(&mut row, column(c), v);
                    }
                    rows.push(row);
                }
            }
        }
        for mut row in rows {
            set(&mut row, column("subgroup"), label.clone().into());
            set(&mut row, column("outcome"), outcome.clone().into());
            set(
                &mut row,
                column("treated_arm"),
                m.treated_arm.clone().into(),
            );
            set(
                &mut row,
                column("control_arm"),
                m.control_arm.clone().into(),
            );
            set(&mut row, column("level"), m.level.into());
            frame.push(row);
        }
    }
}

fn set(row: &mut [Cell], at: Option<usize>, value: Cell) {
    if let Some(slot) = at.and_then(|k| row.get_mut(k)) {
        *slot = value;
    }
}

/// The summary table's columns, in order.
pub const SUMMARY_COLUMNS: [&str; 45] = [
    "subgroup",
    "perspective",
    "outcome",
    "treated_arm",
    "control_arm",
    "n_treated",
    "n_control",
    "mean_cost_treated",
    "mean_cost_control",
    "cost_per_participant_treated",
    "mean_effect_treated",
    "mean_effect_control",
    "incremental_cost",
    "incremental_cost_se",
    "incremental_effect",
    "incremental_effect_se",
    "additional_per_100",
    "icer",
    "icer_se",
    "delta_low",
    "delta_high",
    "fieller_shape",
    "fieller_low",
    "fieller_high",
    "boot_low",
    "boot_high",
    "boot_effect_low",
    "boot_effect_high",
    "share_ne",
    "share_se",
    "share_sw",
    "share_nw",
    "take_up_difference",
    "effect_per_participant",
    "effect_per_participant_se",
    "incremental_cost_per_participant",
    "mean_cost_participants",
    "mean_cost_offered_nonparticipants",
    "net_benefit",
    "net_benefit_low",
    "net_benefit_high",
    "benefit_cost_ratio",
    "break_even_months",
    "level",
    "note",
];

/// One row per subgroup and perspective (gross, and net of offsets when there are any): costs,
/// ΔC, ΔE, the ICER with delta-method, Fieller and bootstrap intervals, CE-plane shares and
/// notes; a subgroup without a result has one row with the reason in `note`.
pub fn summary_frame(results: &CostResults) -> Frame {
    let s = &results.settings;
    let mut frame = Frame::new(&SUMMARY_COLUMNS);
    for name in [
        "mean_cost_treated",
        "mean_cost_control",
        "cost_per_participant_treated",
        "incremental_cost",
        "incremental_cost_se",
        "icer",
        "icer_se",
        "delta_low",
        "delta_high",
        "fieller_low",
        "fieller_high",
        "boot_low",
        "boot_high",
        "incremental_cost_per_participant",
        "mean_cost_participants",
        "mean_cost_offered_nonparticipants",
        "net_benefit",
        "net_benefit_low",
        "net_benefit_high",
    ] {
        frame = frame.with_decimals(name, 0);
    }
    for name in [
        "additional_per_100",
        "benefit_cost_ratio",
        "break_even_months",
        "share_ne",
        "share_se",
        "share_sw",
        "share_nw",
    ] {
        frame = frame.with_decimals(name, 2);
    }
    frame = frame.with_decimals("level", 2);
    for g in &results.groups {
        let base = |perspective: &str| -> Vec<Cell> {
            vec![
                g.label.clone().into(),
                perspective.into(),
                s.outcome.clone().into(),
                results.treated_arm.clone().into(),
                results.control_arm.clone().into(),
                g.n[0].into(),
                g.n[1].into(),
            ]
        };
        match &g.result {
            Err(reason) => {
                let mut row = base("gross");
                row.resize(SUMMARY_COLUMNS.len() - 2, Cell::Null);
                row.push(s.level.into());
                row.push(reason.clone().into());
                frame.push(row);
            }
            Ok(a) => {
                let mut perspectives = vec![("gross", &a.gross)];
                if let Some(net) = &a.net {
                    perspectives.push(("net", net));
                }
                for (name, r) in perspectives {
                    let mut row = base(name);
                    let (mc1, mc0) = if name == "net" {
                        (a.arms[0].mean_net_cost, a.arms[1].mean_net_cost)
                    } else {
                        (a.arms[0].mean_cost, a.arms[1].mean_cost)
                    };
                    let (fl, fh) = r.fieller.limits();
                    let b = r.boot.as_ref();
                    let bq = |k: usize| b.map_or(f64::NAN, |b| b.quadrants[k]);
                    let pp = a.per_participant.as_ref();
                    let mut notes = r.notes.clone();
                    if b.is_none() {
                        notes.push("no bootstrap (use --bootstrap N --seed S)".into());
                    }
                    if s.cluster.is_some() {
                        notes.push("variances are cluster-robust; clusters resampled whole".into());
                    }
                    let valued = super::benefit::headline(results, &g.label, name);
                    notes.extend(valued.notes.iter().cloned());
                    row.extend([
                        Cell::from(mc1),
                        mc0.into(),
                        if name == "gross" {
                            a.arms[0].cost_per_participant.into()
                        } else {
                            Cell::Null
                        },
                        a.arms[0].mean_effect.into(),
                        a.arms[1].mean_effect.into(),
                        r.delta_cost.into(),
                        r.se_cost.into(),
                        r.delta_effect.into(),
                        r.se_effect.into(),
                        (100.0 * r.delta_effect).into(),
                        r.icer.into(),
                        r.icer_se.into(),
                        r.delta_low.into(),
                        r.delta_high.into(),
                        r.fieller.shape().into(),
                        fl.into(),
                        fh.into(),
                        b.map_or(f64::NAN, |b| b.icer_low).into(),
                        b.map_or(f64::NAN, |b| b.icer_high).into(),
                        b.map_or(f64::NAN, |b| b.effect_low).into(),
                        b.map_or(f64::NAN, |b| b.effect_high).into(),
                        bq(0).into(),
                        bq(1).into(),
                        bq(2).into(),
                        bq(3).into(),
                        pp.map_or(f64::NAN, |x| x.take_up_difference).into(),
                        pp.map_or(f64::NAN, |x| x.delta_effect).into(),
                        pp.map_or(f64::NAN, |x| x.delta_effect_se).into(),
                        pp.map_or(f64::NAN, |x| {
                            if name == "net" {
                                r.delta_cost / x.take_up_difference
                            } else {
                                x.delta_cost
                            }
                        })
                        .into(),
                        if name == "gross" {
                            a.arms[0].mean_cost_participants.into()
                        } else {
                            Cell::Null
                        },
                        if name == "gross" {
                            a.arms[0].mean_cost_nonparticipants.into()
                        } else {
                            Cell::Null
                        },
                        valued.net_benefit.into(),
                        valued.low.into(),
                        valued.high.into(),
                        valued.ratio.into(),
                        valued.break_even.into(),
                        s.level.into(),
                        notes.join("; ").into(),
                    ]);
                    frame.push(row);
                }
            }
        }
    }
    frame
}

/// The offsets table's columns, in order.
pub const OFFSETS_COLUMNS: [&str; 13] = [
    "subgroup",
    "offset",
    "sek_per_unit",
    "mean_units_treated",
    "mean_units_control",
    "delta_units",
    "delta_value",
    "incremental_cost",
    "net_incremental_cost",
    "icer",
    "net_icer",
    "break_even_sek_per_unit",
    "note",
];

/// Benefit offsets, one row per subgroup and offset: units by arm, value, net cost per job and
/// the break-even SEK per unit.
pub fn offsets_frame(results: &CostResults) -> Frame {
    let mut frame = Frame::new(&OFFSETS_COLUMNS);
    for name in [
        "delta_value",
        "incremental_cost",
        "net_incremental_cost",
        "icer",
        "net_icer",
        "break_even_sek_per_unit",
    ] {
        frame = frame.with_decimals(name, 0);
    }
    for g in &results.groups {
        match &g.result {
            Err(reason) => {
                let mut row: Vec<Cell> = vec![g.label.clone().into()];
                row.resize(OFFSETS_COLUMNS.len() - 1, Cell::Null);
                row.push(reason.clone().into());
                frame.push(row);
            }
            Ok(a) => {
                let net = a.net.as_ref();
                for o in &a.offsets {
                    let note = if o.delta_units >= 0.0 {
                        format!(
                            "`{}` is not lower in the programme arm: no break-even",
                            o.name
                        )
                    } else {
                        format!(
                            "the programme pays for itself if one unit of `{}` is worth {:.0} SEK",
                            o.name, o.break_even_sek_per_unit
                        )
                    };
                    frame.push(vec![
                        g.label.clone().into(),
                        o.name.clone().into(),
                        o.sek_per_unit.into(),
                        o.mean_units_treated.into(),
                        o.mean_units_control.into(),
                        o.delta_units.into(),
                        o.delta_value.into(),
                        a.gross.delta_cost.into(),
                        net.map_or(f64::NAN, |n| n.delta_cost).into(),
                        a.gross.icer.into(),
                        net.map_or(f64::NAN, |n| n.icer).into(),
                        if o.delta_units < 0.0 {
                            o.break_even_sek_per_unit.into()
                        } else {
                            Cell::Null
                        },
                        note.into(),
                    ]);
                }
            }
        }
    }
    frame
}

/// The acceptability table's columns, in order.
pub const CEAC_COLUMNS: [&str; 11] = [
    "subgroup",
    "perspective",
    "lambda",
    "nmb",
    "nmb_se",
    "nmb_low",
    "nmb_high",
    "boot_low",
    "boot_high",
    "prob_cost_effective_normal",
    "prob_cost_effective_boot",
];

/// Net monetary benefit and the acceptability curve over the λ grid, one row per subgroup,
/// perspective and λ.
pub fn ceac_frame(results: &CostResults) -> Frame {
    let mut frame = Frame::new(&CEAC_COLUMNS);
    for name in [
        "lambda",
        "nmb",
        "nmb_se",
        "nmb_low",
        "nmb_high",
        "boot_low",
        "boot_high",
    ] {
        frame = frame.with_decimals(name, 0);
    }
    for g in &results.groups {
        if let Ok(a) = &g.result {
            for pt in &a.acceptability {
                frame.push(vec![
                    g.label.clone().into(),
                    pt.perspective.into(),
                    pt.lambda.into(),
                    pt.nmb.into(),
                    pt.se.into(),
                    pt.low.into(),
                    pt.high.into(),
                    pt.boot_low.into(),
                    pt.boot_high.into(),
                    pt.prob_normal.into(),
                    pt.prob_boot.into(),
                ]);
            }
        }
    }
    frame
}

/// The alternatives table's columns, in order.
pub const ALTERNATIVES_COLUMNS: [&str; 8] = [
    "subgroup",
    "perspective",
    "alternative",
    "alternative_cost_per_job",
    "icer",
    "difference",
    "prob_cheaper_normal",
    "prob_cheaper_boot",
];

/// The programme against the alternatives' cost per job, one row per subgroup, perspective and
/// alternative.
pub fn alternatives_frame(results: &CostResults) -> Frame {
    let mut frame = Frame::new(&ALTERNATIVES_COLUMNS);
    for name in ["alternative_cost_per_job", "icer", "difference"] {
        frame = frame.with_decimals(name, 0);
    }
    for g in &results.groups {
        if let Ok(a) = &g.result {
            for c in &a.comparisons {
                frame.push(vec![
                    g.label.clone().into(),
                    c.perspective.into(),
                    c.name.clone().into(),
                    c.cost_per_job.into(),
                    c.icer.into(),
                    c.difference.into(),
                    c.prob_normal.into(),
                    c.prob_boot.into(),
                ]);
            }
        }
    }
    frame
}

/// The summary columns people read in human formats; the rest stay in CSV and JSON.
/// The cost summary's columns on a terminal, in order, each shown while the table fits
/// (`export::terminal`); the notes go below.
pub const SUMMARY_TERMINAL: [&str; 14] = [
    "subgroup",
    "perspective",
    "incremental_cost",
    "additional_per_100",
    "icer",
    "delta_low",
    "delta_high",
    "boot_low",
    "boot_high",
    "fieller_low",
    "fieller_high",
    "n_treated",
    "n_control",
    "fieller_shape",
];

pub const HUMAN_SUMMARY: [&str; 18] = [
    "subgroup",
    "perspective",
    "n_treated",
    "n_control",
    "mean_cost_treated",
    "mean_cost_control",
    "incremental_cost",
    "additional_per_100",
    "icer",
    "delta_low",
    "delta_high",
    "fieller_shape",
    "fieller_low",
    "fieller_high",
    "boot_low",
    "boot_high",
    "share_ne",
    "share_nw",
];

/// The CE-plane draws table's columns, in order.
pub const DRAWS_COLUMNS: [&str; 4] = [
    "subgroup",
    "replicate",
    "incremental_effect",
    "incremental_cost",
];

/// The bootstrap replicates of the cost-effectiveness plane (gross perspective), one row per
/// subgroup and replicate (numbered from 1); empty without a bootstrap.
pub fn draws_frame(results: &CostResults) -> Frame {
    let mut draws = Frame::new(&DRAWS_COLUMNS);
    for g in &results.groups {
        if let Ok(analysis) = &g.result
            && let Some(boot) = &analysis.gross.boot
        {
            for (b, (e, c)) in boot.draws.iter().enumerate() {
                draws.push(vec![
                    g.label.as_str().into(),
                    (b + 1).into(),
                    (*e).into(),
                    (*c).into(),
                ]);
            }
        }
    }
    draws
}

/// Every table of a cost-effectiveness analysis, for `lotta run`: the summary, the
/// acceptability curve, offsets and alternatives (when the settings ask for them), and the
/// CE-plane draws.
#[derive(Debug, Clone, PartialEq)]
pub struct CostTables {
    pub summary: Frame,
    pub ceac: Option<Frame>,
    pub offsets: Option<Frame>,
    pub alternatives: Option<Frame>,
    pub draws: Frame,
}

/// The tables of `results` (see [`CostTables`]).
pub fn study_tables(results: &CostResults) -> CostTables {
    let s = &results.settings;
    CostTables {
        summary: summary_frame(results),
        ceac: (!s.wtp.is_empty()).then(|| ceac_frame(results)),
        offsets: (!s.offsets.is_empty()).then(|| offsets_frame(results)),
        alternatives: (!s.alternatives.is_empty()).then(|| alternatives_frame(results)),
        draws: draws_frame(results),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cea::{CostOptions, Offset, Sample, analyse};
    use crate::settings::cost::CostFlags;

    /// Arithmetic on small exact inputs; only rounding separates the values.
    const TOLERANCE: f64 = 1e-9;

    fn close(got: Option<f64>, want: f64) {
        let got = got.unwrap_or(f64::NAN);
        assert!((got - want).abs() <= TOLERANCE, "got {got}, want {want}");
    }

    fn settings(offsets: &[&str], wtp: Option<&str>) -> CostSettings {
        let flags = CostFlags {
            outcome: Some("y".into()),
            treatment: Some("z".into()),
            cost: Some("c".into()),
            offsets: offsets.iter().map(|o| o.to_string()).collect(),
            wtp: wtp.map(str::to_string),
            ..CostFlags::default()
        };
        CostSettings::resolve(&flags, None).unwrap()
    }

    /// Four persons a side; costs 100 more and one more success in the programme arm.
    fn sample(with_offset: bool) -> Sample {
        Sample {
            treated: vec![true, true, true, true, false, false, false, false],
            cost: vec![150.0, 150.0, 150.0, 150.0, 50.0, 50.0, 50.0, 50.0],
            effect: vec![1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            participation: None,
            offsets: if with_offset {
                vec![Offset {
                    name: "support".into(),
                    units: vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 2.0, 2.0],
                    sek_per_unit: 10.0,
                }]
            } else {
                Vec::new()
            },
            strata: vec![0; 8],
            clusters: None,
        }
    }

    fn results(settings: CostSettings, with_offset: bool) -> CostResults {
        let options = CostOptions {
            wtp: settings.wtp.clone(),
            ..CostOptions::default()
        };
        let all = analyse(&sample(with_offset), &options).unwrap();
        CostResults {
            settings,
            treated_arm: "1".into(),
            control_arm: "0".into(),
            groups: vec![
                GroupResult {
                    label: "all".into(),
                    n: [4, 4],
                    result: Ok(all),
                },
                GroupResult {
                    label: "g=M".into(),
                    n: [1, 0],
                    result: Err("g=M: no observations in the arm `0`".into()),
                },
            ],
            notes: Vec::new(),
            inputs: Vec::new(),
            benefit: Vec::new(),
            tracks: Vec::new(),
        }
    }

    #[test]
    fn the_summary_has_a_row_per_perspective_and_a_reason_row_for_a_group_without_result() {
        let frame = summary_frame(&results(settings(&[], None), false));
        assert_eq!(frame.columns, SUMMARY_COLUMNS);
        assert_eq!(frame.rows.len(), 2);
        assert_eq!(frame.text(0, "perspective").as_deref(), Some("gross"));
        close(frame.number(0, "incremental_cost"), 100.0);
        close(frame.number(0, "incremental_effect"), 0.25);
        close(frame.number(0, "additional_per_100"), 25.0);
        close(frame.number(0, "icer"), 400.0);
        assert_eq!(frame.text(0, "treated_arm").as_deref(), Some("1"));
        assert!(
            frame
                .text(0, "note")
                .unwrap_or_default()
                .contains("no bootstrap"),
            "{:?}",
            frame.rows[0]
        );
        assert_eq!(frame.text(1, "subgroup").as_deref(), Some("g=M"));
        assert_eq!(frame.number(1, "icer"), None);
        close(frame.number(1, "level"), 0.95);
        assert_eq!(
            frame.text(1, "note").as_deref(),
            Some("g=M: no observations in the arm `0`")
        );
    }

    #[test]
    fn offsets_give_a_net_row_and_a_break_even_price() {
        let r = results(settings(&["support:u:10"], None), true);
        let summary = summary_frame(&r);
        let perspectives: Vec<_> = (0..summary.rows.len())
            .filter_map(|i| summary.text(i, "perspective"))
            .collect();
        assert_eq!(perspectives, ["gross", "net", "gross"]);
        let offsets = offsets_frame(&r);
        assert_eq!(offsets.columns, OFFSETS_COLUMNS);
        assert_eq!(offsets.rows.len(), 2);
        // Δunits = 1.5 − 2.5 = −1: the programme pays for itself at 100 SEK per unit.
        close(offsets.number(0, "delta_units"), -1.0);
        close(offsets.number(0, "break_even_sek_per_unit"), 100.0);
        close(offsets.number(0, "net_incremental_cost"), 90.0);
        assert_eq!(offsets.number(1, "delta_units"), None);
    }

    #[test]
    fn only_the_tables_the_settings_ask_for_are_made() {
        let plain = study_tables(&results(settings(&[], None), false));
        assert!(plain.ceac.is_none() && plain.offsets.is_none() && plain.alternatives.is_none());
        assert_eq!(plain.draws.columns, DRAWS_COLUMNS);
        assert!(plain.draws.rows.is_empty(), "no bootstrap, no draws");
        let with_wtp = study_tables(&results(settings(&[], Some("0:1000:500")), false));
        let ceac = with_wtp.ceac.unwrap();
        assert_eq!(ceac.columns, CEAC_COLUMNS);
        assert_eq!(
            ceac.rows.len(),
            3,
            "λ = 0, 500, 1000 for the group with a result"
        );
        // NMB = λΔE − ΔC = 1000 × 0.25 − 100.
        close(ceac.number(2, "nmb"), 150.0);
    }
}
