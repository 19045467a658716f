//! The summary's cost line: the cost per additional person with the outcome, one line per
//! perspective (gross: programme costs only; net: after benefit offsets), read from the cost
//! table's row for everyone and the primary outcome. The line says which perspective it is,
//! carries the ratio's interval (Fieller's when bounded, else the bootstrap's, else the delta
//! method's), names the effect it divides by and ties it to the effect on the summary's line
//! above, and is not printed as a number when the cost table found the ratio not meaningful
//! (the effect's interval includes zero, the effect is zero or negative, or the programme costs
//! less and adds persons): then it says why. Every number is the cost table's; nothing is
//! recomputed here.

use crate::export::Frame;
use crate::report::document::Block;
use crate::report::figures;
use crate::report::study::ReportContext;

/// The cost lines of the summary. `headline` is the effect for everyone printed on the line
/// above (the effects table's estimate for the primary outcome), if any.
pub fn lines(context: &ReportContext, cost: &Frame, headline: Option<f64>) -> Vec<Block> {
    let mut blocks = Vec::new();
    for i in 0..cost.rows.len() {
        if cost.text(i, "subgroup").is_some_and(|s| s != "all")
            || cost
                .text(i, "outcome")
                .is_some_and(|o| o != context.primary_outcome)
        {
            continue;
        }
        blocks.push(Block::Text(line(context, cost, i, headline)));
    }
    blocks
}

/// One perspective's line.
fn line(context: &ReportContext, cost: &Frame, i: usize, headline: Option<f64>) -> String {
    let perspective = match cost.text(i, "perspective").as_deref() {
        Some("net") => "net, after benefit offsets",
        _ => "gross, programme costs only",
    };
    let who = &context.outcome_label;
    let effect = cost.number(i, "incremental_effect");
    let dc = cost.number(i, "incremental_cost");
    let icer = cost.number(i, "icer");
    // The cost table leaves the ratio's delta-method SE empty when the ratio is not meaningful
    // (cea::ratio_per); its Fieller set is then not a bounded interval either.
    let meaningful = cost.number(i, "icer_se").is_some()
        && cost.text(i, "fieller_shape").is_none_or(|s| s == "bounded");
    match (icer, effect, dc) {
        (Some(icer), Some(de), Some(dc)) if meaningful && icer > 0.0 && de > 0.0 && dc > 0.0 => {
            format!(
                "Cost per additional person {who} ({perspective}): {} SEK ({}), the incremental cost of {} SEK per person offered divided by {}.",
                figures::thousands(icer),
                interval(cost, i),
                figures::thousands(dc),
                divisor(de, headline),
            )
        }
        _ => format!(
            "Cost per additional person {who} ({perspective}): not given as a number, because {}.",
            reason(cost, i, meaningful)
        ),
    }
}

/// The ratio's interval as the cost table gives it: Fieller's (the interval of a ratio whose
/// denominator is uncertain; Willan & O'Brien 1996), else the bootstrap's, else the delta
/// method's.
fn interval(cost: &Frame, i: usize) -> String {
    let pct = cost.number(i, "level").map_or(95.0, |l| l * 100.0);
    let pair = |lo: &str, hi: &str| Some((cost.number(i, lo)?, cost.number(i, hi)?));
    let found = [
        ("fieller_low", "fieller_high", "Fieller"),
        ("boot_low", "boot_high", "bootstrap"),
        ("delta_low", "delta_high", "delta method"),
    ]
    .into_iter()
    .find_map(|(lo, hi, method)| pair(lo, hi).map(|(l, h)| (l, h, method)));
    match found {
        Some((lo, hi, method)) => format!(
            "{pct:.0}% CI {} to {} SEK, {method}",
            figures::thousands(lo),
            figures::thousands(hi)
        ),
        None => "no interval".to_string(),
    }
}

/// The effect the ratio divides by, tied to the effect on the line above: the same number at
/// the precision printed, or both named when the cost analysis's unadjusted difference in
/// means differs from the (covariate-adjusted) effect above.
fn divisor(effect: f64, headline: Option<f64>) -> String {
    let cost_effect = figures::pp(effect);
    match headline.map(figures::pp) {
        Some(above) if above == cost_effect => {
            format!("the effect above, {cost_effect} percentage points")
        }
        Some(above) => format!(
            "{cost_effect} percentage points, the unadjusted difference in means (the adjusted effect above is {above})"
        ),
        None => format!("the difference in means, {cost_effect} percentage points"),
    }
}

/// Why the cost table found the ratio not meaningful, in the reader's words.
fn reason(cost: &Frame, i: usize, meaningful: bool) -> String {
    let effect = cost.number(i, "incremental_effect");
    let dc = cost.number(i, "incremental_cost");
    let pct = cost.number(i, "level").map_or(95.0, |l| l * 100.0);
    let boot = (
        cost.number(i, "boot_effect_low"),
        cost.number(i, "boot_effect_high"),
    );
    match effect {
        None => "the cost analysis has no effect to divide by".to_string(),
        Some(0.0) => "the effect is exactly zero (no additional person)".to_string(),
        Some(de) if !meaningful => match boot {
            (Some(lo), Some(hi)) => format!(
                "the {pct:.0}% interval of the effect, {} to {} percentage points (bootstrap), includes zero: the programme may have added no one",
                figures::pp_plain(lo),
                figures::pp_plain(hi)
            ),
            _ => format!(
                "the {pct:.0}% interval of the effect ({} percentage points) includes zero: the programme may have added no one",
                figures::pp(de)
            ),
        },
        Some(de) if de < 0.0 => format!(
            "the offer lowered the share ({} percentage points): the ratio would be a cost per person lost",
            figures::pp(de)
        ),
        Some(de) => match dc {
            Some(dc) if dc <= 0.0 => format!(
                "the programme costs less ({} SEK per person offered) and adds persons ({} percentage points): it dominates, and a negative ratio has no meaning as a price",
                figures::thousands(dc),
                figures::pp(de)
            ),
            _ => "the cost table gives no ratio (see its note)".to_string(),
        },
    }
}
