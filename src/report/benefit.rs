//! The report's "Does it pay?" section (issue 17): the net benefit of the valued outcome per
//! person offered and per participant with its interval, the benefit–cost ratio, the break-even
//! horizon, the sensitivity to discounting and extrapolation, the procured services priced by
//! track, and the tornado figure; and the sentence that puts the arm's cost per participant
//! beside the mean costs of those who took part and those who did not. Every English phrase is
//! in [`ENGLISH`], so a translation is one more [`Phrases`] value.

use super::document::{Block, TableRef};
use super::figures::ceac::Ceac;
use super::figures::thousands;
use super::figures::tornado::{Tornado, TornadoBar};
use super::study::{ReportContext, Tables};
use crate::export::Frame;

/// The section's words.
pub struct Phrases {
    pub heading: &'static str,
    pub value_table: &'static str,
    pub sensitivity_table: &'static str,
    pub tracks_table: &'static str,
    pub tornado_title: &'static str,
    pub tornado_axis: &'static str,
    pub tornado_caption: &'static str,
    pub inputs: [(&'static str, &'static str); 4],
    pub until_month: &'static str,
    pub per_year: &'static str,
    pub acceptability_title: &'static str,
    pub acceptability_x: &'static str,
    pub acceptability_y: &'static str,
    pub acceptability_caption: &'static str,
}

pub const ENGLISH: Phrases = Phrases {
    heading: "Does it pay?",
    value_table: "Net benefit per person offered (SEK): months in work gained, valued and discounted, less the discounted incremental cost",
    sensitivity_table: "Sensitivity of the net benefit (SEK) to the discount rate and to extrapolating the effect beyond the measured months, and the probabilistic sensitivity analysis",
    tracks_table: "The programme against procured services priced by track and results, for the programme's own participants (SEK per participant)",
    tornado_title: "One-way sensitivity of the net benefit",
    tornado_axis: "Net benefit per person offered (SEK)",
    tornado_caption: "Tornado diagram: the net benefit per person offered with each uncertain input at its low (blue) and high (orange) setting, the others at base; the black line is the base case, the grey line zero.",
    inputs: [
        ("value_per_month", "value of a month in work"),
        ("discount_rate", "discount rate"),
        ("cost_per_participant", "cost per participant"),
        ("extrapolation", "effect after the measured months"),
    ],
    until_month: "to month",
    per_year: "a year",
    acceptability_title: "Acceptability of the net benefit",
    acceptability_x: "Value of a month in work (SEK)",
    acceptability_y: "Probability of a positive net benefit",
    acceptability_caption: "Acceptability curve of the net benefit: the probability that the net benefit per person offered is positive (bootstrap; normal approximation without it) at each value of a month in work, from nothing to twice the headline value; the value of a month in work plays the part of the willingness to pay (Drummond et al. 2015, ch. 8; Glick et al. 2014, ch. 9).",
};

fn sek(x: f64) -> String {
    thousands(x)
}

fn all_row(frame: &Frame) -> Option<usize> {
    (0..frame.rows.len()).find(|&i| frame.text(i, "subgroup").is_none_or(|s| s == "all"))
}

/// The headline sentences from the `cost_benefit` table's first row of all persons.
fn headline(frame: &Frame, sensitivity: Option<&Frame>) -> Vec<String> {
    let Some(i) = all_row(frame) else {
        return Vec::new();
    };
    let n = |c: &str| frame.number(i, c);
    let mut out = Vec::new();
    if let (Some(nb), Some(v), Some(h)) =
        (n("net_benefit"), n("sek_per_month"), n("horizon_months"))
    {
        let mut s = format!(
            "Valuing a month in work at {} SEK ({}) and discounting at {:.1}% a year, the \
             programme's net benefit over the {h:.0} measured months is {} SEK per person offered",
            sek(v),
            frame.text(i, "valuation").unwrap_or_default(),
            n("discount_rate").unwrap_or(0.0) * 100.0,
            sek(nb),
        );
        if let (Some(lo), Some(hi)) = (n("net_benefit_low"), n("net_benefit_high")) {
            s.push_str(&format!(" (95% interval {} to {})", sek(lo), sek(hi)));
        }
        if let Some(pp) = n("net_benefit_per_participant") {
            s.push_str(&format!(
                " and {} SEK per participant (the difference divided by the difference in take-up)",
                sek(pp)
            ));
        }
        s.push('.');
        out.push(s);
    }
    out.extend(per_participant_intervals(frame, i));
    if let Some(r) = n("benefit_cost_ratio") {
        let mut s = format!("Each krona of incremental cost returns {r:.2} kronor of valued work");
        if let (Some(lo), Some(hi)) = (n("fieller_low"), n("fieller_high")) {
            s.push_str(&format!(" (Fieller 95% interval {lo:.2} to {hi:.2})"));
        }
        s.push('.');
        out.push(s);
    }
    match n("break_even_months") {
        Some(be) => {
            let mut s = format!("It breaks even after {be:.1} months");
            if let (Some(lo), Some(hi)) = (n("break_even_boot_low"), n("break_even_boot_high")) {
                s.push_str(&format!(" (bootstrap 95% interval {lo:.1} to {hi:.1})"));
            } else if let Some(lo) = n("break_even_boot_low") {
                s.push_str(&format!(
                    " (bootstrap 95% interval from {lo:.1} to beyond the measured months)"
                ));
            }
            s.push('.');
            out.push(s);
            if let (Some(lo), Some(hi)) = (n("break_even_low"), n("break_even_high")) {
                let mut s = format!(
                    "Given the month in which it breaks even, the delta-method 95% interval of \
                     the break-even horizon is {lo:.1} to {hi:.1} months"
                );
                if let (Some(flo), Some(fhi)) =
                    (n("break_even_fieller_low"), n("break_even_fieller_high"))
                {
                    s.push_str(&format!(" and Fieller's {flo:.1} to {fhi:.1} months"));
                }
                s.push('.');
                out.push(s);
            }
        }
        None => out.push(format!(
            "It does not break even within the {:.0} measured months.",
            n("horizon_months").unwrap_or(0.0)
        )),
    }
    out.extend(break_even_set(frame, i));
    if let Some(sens) = sensitivity {
        let carried = (0..sens.rows.len()).find(|&k| {
            sens.text(k, "subgroup").is_none_or(|s| s == "all")
                && sens.text(k, "extrapolation").as_deref() == Some("carry_forward")
                && sens
                    .number(k, "discount_rate")
                    .zip(n("discount_rate"))
                    .is_some_and(|(a, b)| (a - b).abs() < 1e-12)
        });
        if let Some(k) = carried {
            out.push(format!(
                "Effects were measured for {:.0} months only; if the last measured effect lasted to \
                 month {:.0}, the net benefit would be {} SEK per person offered (an assumption, \
                 shown with the others in the sensitivity table).",
                n("horizon_months").unwrap_or(0.0),
                sens.number(k, "horizon_months").unwrap_or(0.0),
                sek(sens.number(k, "net_benefit").unwrap_or(f64::NAN)),
            ));
        }
    }
    out
}

/// The confidence set of the break-even horizon by test inversion over horizons, and the
/// horizon from which the net benefit is significantly positive.
fn break_even_set(frame: &Frame, i: usize) -> Vec<String> {
    let n = |c: &str| frame.number(i, c);
    let Some(h) = n("horizon_months") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match (n("break_even_set_low"), n("break_even_set_high")) {
        (Some(lo), Some(hi)) => out.push(format!(
            "Inverting the test of a zero net benefit at every horizon, the 95% confidence set \
             of the break-even horizon is {lo:.1} to {hi:.1} months, without assuming the month \
             in which it breaks even."
        )),
        (Some(lo), None) => out.push(format!(
            "Inverting the test of a zero net benefit at every horizon, the 95% confidence set \
             of the break-even horizon runs from {lo:.1} months to beyond the {h:.0} measured \
             months, without assuming the month in which it breaks even."
        )),
        _ if n("break_even_set_pieces") == Some(0.0) => out.push(format!(
            "At every horizon within the {h:.0} measured months the net benefit differs \
             significantly from zero, so no horizon within them is consistent with breaking even."
        )),
        _ => {}
    }
    if let Some(p) = n("positive_from_months") {
        out.push(format!(
            "The net benefit is significantly positive (its lower 95% limit above zero) from \
             {p:.1} months on."
        ));
    }
    out
}

/// The methods sentence of the cost–benefit part, from the `cost_benefit` and
/// `cost_benefit_sensitivity` tables as they were computed (docs/methods/cost-benefit.md): the
/// valuation, the discounting, what is assumed beyond the measured months, and the intervals with
/// their sources.
pub fn methods_line(tables: &Tables) -> Option<String> {
    let frame = tables.get("cost_benefit")?;
    let i = all_row(frame)?;
    let n = |c: &str| frame.number(i, c);
    let (value, horizon) = (n("sek_per_month")?, n("horizon_months")?);
    let rate = n("discount_rate").unwrap_or(0.0);
    let bootstrap = (0..frame.rows.len()).any(|k| frame.number(k, "boot_low").is_some());
    let sensitivity = tables.get("cost_benefit_sensitivity");
    let rates: Vec<f64> = sensitivity
        .map(|f| {
            (0..f.rows.len())
                .filter_map(|k| f.number(k, "discount_rate"))
                .collect()
        })
        .unwrap_or_default();
    let extrapolated_to = sensitivity.and_then(|f| {
        (0..f.rows.len())
            .find(|&k| f.text(k, "extrapolation").as_deref() == Some("carry_forward"))
            .and_then(|k| f.number(k, "horizon_months"))
    });
    let beyond = match extrapolated_to {
        Some(x) => format!(
            "No effect is assumed after the measured months; the sensitivity table carries the \
             last effect forward, or lets it fall linearly to zero, to month {x:.0}, as a stated \
             assumption."
        ),
        None => "No effect is assumed after the measured months.".to_string(),
    };
    let range = match (
        rates.iter().copied().reduce(f64::min),
        rates.iter().copied().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) if hi > lo => format!(
            "{:.1}% to {:.1}% a year in the sensitivity analysis",
            lo * 100.0,
            hi * 100.0
        ),
        _ => "no other rate".to_string(),
    };
    Some(format!(
        "Cost–benefit: the months in work gained per person offered over the {horizon:.0} \
         measured months, valued at {} SEK a month ({}; after Meyer 1995) and discounted monthly \
         at {:.1}% a year ({range}), costs at the same rate (Drummond et al. 2015, §4.2.4; J-PAL \
         2016), less the discounted incremental cost: the net benefit (net present value; \
         Boardman et al. 2018, ch. 1) with {} intervals, per participant over the difference in \
         take-up (Angrist, Imbens & Rubin 1996) with delta-method and Fieller (1954) intervals, \
         the benefit–cost ratio with Fieller's set (Willan & O'Brien 1996), and the break-even \
         horizon with delta-method and Fieller intervals within its month and a confidence set \
         by inverting the test of a zero net benefit at every horizon (Casella & Berger 2002, \
         §9.2.1). {beyond}",
        sek(value),
        frame.text(i, "valuation").unwrap_or_default(),
        rate * 100.0,
        if bootstrap {
            "delta-method and bootstrap percentile (costs and outcomes drawn jointly)"
        } else {
            "delta-method"
        },
    ))
}

/// The intervals of the net benefit per participant (NB per person offered over the difference
/// in take-up): the delta method's and Fieller's, whose set is stated as it is when the take-up
/// difference is not significant (two rays, or the whole line).
fn per_participant_intervals(frame: &Frame, i: usize) -> Option<String> {
    let n = |c: &str| frame.number(i, c);
    n("net_benefit_per_participant")?;
    let shape = frame.text(i, "per_participant_fieller_shape");
    let fieller = (
        n("per_participant_fieller_low"),
        n("per_participant_fieller_high"),
    );
    let delta = n("per_participant_low").zip(n("per_participant_high"));
    Some(match (shape.as_deref(), fieller, delta) {
        (Some("bounded"), (Some(flo), Some(fhi)), Some((lo, hi))) => format!(
            "Per participant, the delta-method 95% interval is {} to {} SEK and Fieller's {} to \
             {} SEK.",
            sek(lo),
            sek(hi),
            sek(flo),
            sek(fhi)
        ),
        (Some("exclusive"), (Some(flo), Some(fhi)), _) => format!(
            "Per participant, Fieller's 95% set is unbounded: every value up to {} SEK and every \
             value from {} SEK on, because the difference in take-up does not differ \
             significantly from zero.",
            sek(flo),
            sek(fhi)
        ),
        (Some("unbounded"), _, _) => "Per participant, Fieller's 95% set is the whole line: the \
             difference in take-up does not differ significantly from zero, so the data are \
             consistent with any net benefit per participant."
            .to_string(),
        (_, _, Some((lo, hi))) => format!(
            "Per participant, the delta-method 95% interval is {} to {} SEK.",
            sek(lo),
            sek(hi)
        ),
        _ => return None,
    })
}

/// The sentence on the programme arm's cost per participant, from the `cost` table's gross row
/// of all persons: the arm's total over the participants beside the mean costs of those who
/// took part and of those offered who did not.
pub fn participant_costs(cost: &Frame) -> Option<String> {
    let i = (0..cost.rows.len()).find(|&i| {
        cost.text(i, "subgroup").is_none_or(|s| s == "all")
            && cost.text(i, "perspective").is_none_or(|p| p == "gross")
    })?;
    let total = cost.number(i, "cost_per_participant_treated")?;
    let took_part = cost.number(i, "mean_cost_participants")?;
    let mut s = format!(
        "The programme arm's total cost divided by the number who took part is {} SEK a \
         participant, but this charges the participants with the costs of those offered who did \
         not take part: those who took part cost {} SEK on average",
        sek(total),
        sek(took_part)
    );
    if let Some(other) = cost.number(i, "mean_cost_offered_nonparticipants") {
        s.push_str(&format!(", those offered who did not {} SEK", sek(other)));
    }
    s.push('.');
    Some(s)
}

fn labelled(context: &ReportContext, frame: &Frame) -> Frame {
    let mut f = frame.clone();
    if let Some(j) = f.column("subgroup") {
        for row in &mut f.rows {
            if let crate::export::Cell::Text(s) = &row[j] {
                row[j] = context.label(s).into();
            }
        }
    }
    f
}

/// `frame` with the cells of `column` shown as readers say them (`words`: tidy word → phrase).
fn relabel(frame: &Frame, column: &str, words: &[(&str, &str)]) -> Frame {
    let mut f = frame.clone();
    if let Some(j) = f.column(column) {
        for row in &mut f.rows {
            if let crate::export::Cell::Text(s) = &row[j]
                && let Some((_, phrase)) = words.iter().find(|(w, _)| w == s)
            {
                row[j] = (*phrase).into();
            }
        }
    }
    f
}

/// The extrapolation words of the sensitivity table, as the report says them.
const EXTRAPOLATION_WORDS: [(&str, &str); 3] = [
    ("none", "measured months only"),
    ("carry_forward", "last effect carried forward"),
    ("linear_decay", "last effect decaying linearly to zero"),
];

fn table(
    context: &ReportContext,
    name: &str,
    caption: &str,
    frame: &Frame,
    columns: &[&str],
) -> Block {
    let mut shown = labelled(context, &frame.select(columns));
    for (j, c) in shown.columns.clone().iter().enumerate() {
        let d =
            if c.contains("months") || c.contains("ratio") || c == "share" || c.ends_with("_share")
            {
                2
            } else if c == "discount_rate" {
                3
            } else {
                0
            };
        if let Some(slot) = shown.decimals.get_mut(j) {
            *slot = Some(d);
        }
    }
    Block::Table(TableRef {
        caption: caption.to_string(),
        frame: shown,
        csv: Some(format!("tables/{name}.csv")),
    })
}

/// The section's blocks and its tornado figure (to be placed by `report::study::build`), when
/// the tables have a valued outcome or comparators by track.
pub fn does_it_pay(
    context: &ReportContext,
    tables: &Tables,
    phrases: &Phrases,
) -> Option<(Vec<Block>, Option<Tornado>)> {
    let benefit = tables.get("cost_benefit");
    let tracks = tables.get("cost_tracks");
    if benefit.is_none() && tracks.is_none() {
        return None;
    }
    let sensitivity = tables.get("cost_benefit_sensitivity");
    let mut blocks = Vec::new();
    if let Some(b) = benefit {
        blocks.extend(headline(b, sensitivity).into_iter().map(Block::Text));
        blocks.push(table(
            context,
            "cost_benefit",
            phrases.value_table,
            b,
            &[
                "subgroup",
                "valuation",
                "sek_per_month",
                "months_gained",
                "benefit",
                "incremental_cost",
                "net_benefit",
                "net_benefit_low",
                "net_benefit_high",
                "net_benefit_per_participant",
                "benefit_cost_ratio",
                "break_even_months",
            ],
        ));
    }
    if let Some(s) = sensitivity {
        let all = s.filter(|f, i| f.text(i, "subgroup").is_none_or(|g| g == "all"));
        blocks.push(table(
            context,
            "cost_benefit_sensitivity",
            phrases.sensitivity_table,
            &relabel(&all, "extrapolation", &EXTRAPOLATION_WORDS),
            &[
                "analysis",
                "extrapolation",
                "horizon_months",
                "discount_rate",
                "net_benefit",
                "net_benefit_low",
                "net_benefit_high",
                "prob_positive",
                "benefit_cost_ratio",
                "break_even_months",
            ],
        ));
    }
    if let Some(t) = tracks {
        blocks.push(table(
            context,
            "cost_tracks",
            phrases.tracks_table,
            &relabel(t, "track", &[("all", "all tracks (the participants' mix)")]),
            &[
                "comparator",
                "track",
                "share",
                "programme_cost_per_participant",
                "in_work_share",
                "fee",
                "price_per_participant",
                "difference",
            ],
        ));
    }
    let tornado = tables.get("cost_tornado").and_then(|t| tornado(t, phrases));
    Some((blocks, tornado))
}

/// The tornado figure of all persons.
fn tornado(frame: &Frame, phrases: &Phrases) -> Option<Tornado> {
    let rows: Vec<usize> = (0..frame.rows.len())
        .filter(|&i| frame.text(i, "subgroup").is_none_or(|s| s == "all"))
        .collect();
    let base = frame.number(*rows.first()?, "net_benefit_base")?;
    let bars = rows
        .iter()
        .filter_map(|&i| {
            let input = frame.text(i, "input")?;
            let (lo, hi) = (
                frame.number(i, "low_setting")?,
                frame.number(i, "high_setting")?,
            );
            let name = phrases
                .inputs
                .iter()
                .find(|(k, _)| *k == input)
                .map_or(input.as_str(), |(_, v)| v);
            let settings = match input.as_str() {
                "value_per_month" => format!("{} – {} SEK", sek(lo), sek(hi)),
                "discount_rate" => format!(
                    "{:.0}% – {:.0}% {}",
                    lo * 100.0,
                    hi * 100.0,
                    phrases.per_year
                ),
                "cost_per_participant" => {
                    super::figures::minus(&format!("{:+.0}% / {:+.0}%", lo * 100.0, hi * 100.0))
                }
                _ => format!("{} {lo:.0} / {hi:.0}", phrases.until_month),
            };
            Some(TornadoBar {
                label: format!("{name} ({settings})"),
                at_low: frame.number(i, "net_benefit_at_low")?,
                at_high: frame.number(i, "net_benefit_at_high")?,
            })
        })
        .collect();
    Some(Tornado {
        name: "tornado".into(),
        title: phrases.tornado_title.into(),
        x_label: phrases.tornado_axis.into(),
        base,
        bars,
    })
}

/// The acceptability curve of the net benefit (`cost_benefit_ceac`): P(NB > 0) over the value of
/// a month in work, per subgroup (the bootstrap share, else the normal approximation).
pub fn acceptability(context: &ReportContext, frame: &Frame, phrases: &Phrases) -> Option<Ceac> {
    let prob = ["prob_positive_boot", "prob_positive_normal"]
        .into_iter()
        .find(|c| (0..frame.rows.len()).any(|i| frame.number(i, c).is_some()))?;
    let mut labels: Vec<String> = Vec::new();
    for i in 0..frame.rows.len() {
        let s = frame.text(i, "subgroup").unwrap_or_else(|| "all".into());
        if !labels.contains(&s) && !s.contains(" - ") {
            labels.push(s);
        }
    }
    let curves: Vec<(String, Vec<(f64, f64)>)> = labels
        .iter()
        .map(|s| {
            let points = (0..frame.rows.len())
                .filter(|&i| frame.text(i, "subgroup").unwrap_or_else(|| "all".into()) == *s)
                .filter_map(|i| Some((frame.number(i, "sek_per_month")?, frame.number(i, prob)?)))
                .collect();
            (context.label(s), points)
        })
        .filter(|(_, p): &(String, Vec<(f64, f64)>)| !p.is_empty())
        .collect();
    (!curves.is_empty()).then(|| Ceac {
        name: "benefit_ceac".into(),
        title: phrases.acceptability_title.into(),
        x_label: phrases.acceptability_x.into(),
        y_label: phrases.acceptability_y.into(),
        curves,
    })
}
