//! The rows of the declared families of hypotheses ([`crate::estimate::multiple::FamilyRow`]) as
//! a display table: one row per hypothesis, the `family` column naming the family every adjusted
//! p-value belongs to.

use crate::estimate::multiple::FamilyRow;
use crate::export::Frame;

/// Rows → a frame (`tables/families.csv`).
pub fn families_frame(rows: &[FamilyRow]) -> Frame {
    let mut frame = Frame::new(&[
        "family",
        "outcome",
        "subgroup",
        "term",
        "estimate",
        "std_error",
        "p_value",
        "p_value_ri",
        "p_value_romano_wolf",
        "p_value_westfall_young",
        "q_value_anderson",
        "n_treated",
        "n_control",
        "hypotheses",
        "ri_draws",
        "note",
    ])
    .with_decimals("n_treated", 0)
    .with_decimals("n_control", 0)
    .with_decimals("hypotheses", 0)
    .with_decimals("ri_draws", 0);
    for r in rows {
        frame.push(vec![
            r.family.as_str().into(),
            r.outcome.as_str().into(),
            r.subgroup.as_str().into(),
            r.term.as_str().into(),
            r.estimate.into(),
            r.std_error.into(),
            r.p_value.into(),
            r.p_value_ri.into(),
            r.p_value_romano_wolf.into(),
            r.p_value_westfall_young.into(),
            r.q_value_anderson.into(),
            r.n_treated.into(),
            r.n_control.into(),
            r.hypotheses.into(),
            r.draws.into(),
            r.note.as_str().into(),
        ]);
    }
    frame
}
