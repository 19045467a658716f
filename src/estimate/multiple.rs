//! Multiple testing within declared families of hypotheses (issue 15): Romano–Wolf step-down and
//! Westfall–Young free step-down minP p-values from the randomization draws the study already
//! made (one shared draw set: every row of a family is recomputed under the same re-drawn
//! assignments, so their dependence is the design's own), and Anderson's (2008) sharpened
//! q-values, computed exactly.
//!
//! - **Romano–Wolf** (Romano & Wolf 2005, Econometrica 73:1237–1282; 2016, Stat. Probab. Lett.
//!   113:38–40; as `rwolf`, Clarke, Romano & Wolf 2020, Stata Journal 20:812–843): the
//!   hypotheses ordered by |t| from the largest, t₍₁₎ ≥ … ≥ t₍ₘ₎; p̃₍ₖ₎ = #{r : maxⱼ≥ₖ |t*ᵣ₍ⱼ₎| ≥
//!   t₍ₖ₎} / R, then p̃₍ₖ₎ = max(p̃₍ₖ₎, p̃₍ₖ₋₁₎). The draws of randomization inference are already
//!   drawn under the sharp null, so they are not centred (rwolf centres bootstrap draws at the
//!   estimate). t is the row's estimate over its observed SE when the randomization statistic is
//!   the coefficient (a fixed scale per row, so each row's own p-value is unchanged and rows of
//!   different outcomes are comparable), and the row's own t statistic, recomputed under every
//!   draw, when it is studentized.
//! - **Westfall–Young minP** (Westfall & Young 1993, *Resampling-Based Multiple Testing*,
//!   Algorithm 2.8, free step-down): the raw p-value pⱼ = cⱼ/R with cⱼ = #{r : |t*ᵣⱼ| ≥ |tⱼ|};
//!   every draw's own p-values p*ᵣⱼ = #{r′ : |t*ᵣ′ⱼ| ≥ |t*ᵣⱼ|}/R against the same draws; the
//!   hypotheses ordered by p from the smallest, successive minima q*ᵣ₍ₖ₎ = minⱼ≥ₖ p*ᵣ₍ⱼ₎, and
//!   p̃₍ₖ₎ = #{r : q*ᵣ₍ₖ₎ ≤ p₍ₖ₎}/R, made monotone as above. Counts are compared, not quotients, so
//!   the comparison is exact.
//! - **Anderson's sharpened q-value** (Anderson 2008, JASA 103:1481–1495, from the two-stage
//!   procedure of Benjamini, Krieger & Yekutieli 2006, Biometrika 93:491–507): the smallest
//!   level q at which the two-stage procedure rejects the hypothesis. Anderson's code steps q
//!   down a 0.001 grid; here the smallest q is found exactly (see [`anderson_q`]).
//!
//! Every p-value and tie follows [`ri`]'s convention: p = (draws at least as extreme)/(draws),
//! ties within [`ri::TIE_TOLERANCE`] count as extreme; a draw with a statistic that is not finite
//! in any row of the family is left out of the family's draws.

use super::ri;
use super::rows::{EffectKind, EffectRow};
use super::subgroups::{JOINT_SUFFIX, variable_of};
use crate::error::{Error, Result};

/// A family of hypotheses, as the settings validated it: the effect rows of `outcomes` ×
/// `subgroups` × `arms`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FamilyDefinition {
    pub name: String,
    pub outcomes: Vec<String>,
    /// `all`, a level (`gender=F`, a crossing's cell), a subgroup variable (`gender`: each of
    /// its levels) or a difference as its rows are labelled (`gender=F - gender=M`).
    pub subgroups: Vec<String>,
    /// The arms (rows' terms); empty: every arm compared with the control.
    pub arms: Vec<String>,
}

/// The randomization draws of the intention-to-treat rows, kept for the family-wise methods:
/// `statistics[r][k]` is the statistic of row `rows[k]` under draw r.
#[derive(Debug, Clone, PartialEq)]
pub struct RiDraws {
    pub rows: Vec<usize>,
    pub statistics: Vec<Vec<f64>>,
    /// Whether the statistic is the row's t statistic (else its estimate).
    pub studentized: bool,
}

/// One hypothesis of a family with its adjusted p-values.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyRow {
    pub family: String,
    pub outcome: String,
    pub subgroup: String,
    pub term: String,
    pub estimate: f64,
    pub std_error: f64,
    pub p_value: f64,
    pub p_value_ri: Option<f64>,
    /// Romano–Wolf step-down p-value (NaN without randomization draws for the row).
    pub p_value_romano_wolf: f64,
    /// Westfall–Young free step-down minP p-value.
    pub p_value_westfall_young: f64,
    /// Anderson's sharpened q-value, from `p_value`.
    pub q_value_anderson: f64,
    pub n_treated: usize,
    pub n_control: usize,
    /// The hypotheses of the family with a p-value (m).
    pub hypotheses: usize,
    /// The draws the family-wise p-values used.
    pub draws: Option<usize>,
    /// Why an adjusted value is empty.
    pub note: String,
}

/// Whether `subgroup` is a level of the variable `entry` (not a difference, contrast or joint row).
fn is_level_of(subgroup: &str, entry: &str) -> bool {
    !subgroup.contains(" - ")
        && !subgroup.starts_with('(')
        && !subgroup.ends_with(JOINT_SUFFIX)
        && variable_of(subgroup).as_deref() == Some(entry)
}

fn matches_subgroup(subgroup: &str, entry: &str) -> bool {
    subgroup == entry || is_level_of(subgroup, entry)
}

/// The rows a family names, in row order: intention-to-treat rows only (not 2SLS rows or joint
/// tests). An outcome, subgroup or arm that names no row is an error that lists what there is.
pub fn members(rows: &[EffectRow], family: &FamilyDefinition) -> Result<Vec<usize>> {
    let testable = |r: &EffectRow| {
        !matches!(
            r.estimator.kind,
            EffectKind::Participation | EffectKind::Wald
        )
    };
    let unknown = |what: &str, entry: &str, available: Vec<String>| {
        let mut available = available;
        available.dedup();
        let mut err = Error::compute(format!(
            "family `{}`: {what} `{entry}` names no effect row; there are {}",
            family.name,
            available.join(", ")
        ));
        if let Some(near) = crate::error::nearest(entry, available.iter().map(String::as_str)) {
            err = err.with_hint(format!("did you mean `{near}`?"));
        }
        err
    };
    let candidates: Vec<&EffectRow> = rows.iter().filter(|r| testable(r)).collect();
    let distinct = |f: fn(&EffectRow) -> &String| {
        let mut seen: Vec<String> = Vec::new();
        for r in &candidates {
            if !seen.contains(f(r)) {
                seen.push(f(r).clone());
            }
        }
        seen
    };
    let outcomes = distinct(|r| &r.outcome);
    let subgroups = distinct(|r| &r.subgroup);
    let terms = distinct(|r| &r.term);
    for o in &family.outcomes {
        if !outcomes.contains(o) {
            return Err(unknown("outcome", o, outcomes));
        }
    }
    for s in &family.subgroups {
        if !subgroups.iter().any(|g| matches_subgroup(g, s)) {
            let mut listed: Vec<String> = subgroups.iter().filter_map(|g| variable_of(g)).collect();
            listed.sort();
            listed.dedup();
            listed.extend(subgroups.iter().cloned());
            return Err(unknown("subgroup", s, listed));
        }
    }
    for a in &family.arms {
        if !terms.contains(a) {
            return Err(unknown("arm", a, terms));
        }
    }
    Ok((0..rows.len())
        .filter(|&i| {
            let r = &rows[i];
            testable(r)
                && family.outcomes.contains(&r.outcome)
                && family
                    .subgroups
                    .iter()
                    .any(|s| matches_subgroup(&r.subgroup, s))
                && (family.arms.is_empty() || family.arms.contains(&r.term))
        })
        .collect())
}

/// The number of `values` at least as extreme as `t` (|v| ≥ |t| − tol·max(1, |t|), as
/// [`ri::is_extreme`]), with `sorted` the |values| in ascending order.
fn at_least_as_extreme(sorted: &[f64], t: f64) -> usize {
    let o = t.abs();
    let threshold = o - ri::TIE_TOLERANCE * o.max(1.0);
    sorted.len() - sorted.partition_point(|&v| v < threshold)
}

/// Make adjusted p-values monotone in the step-down order: p̃₍ₖ₎ = max(p̃₍ₖ₎, p̃₍ₖ₋₁₎).
fn monotone(order: &[usize], counts: &[usize], draws: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; counts.len()];
    let mut running = 0usize;
    for (k, &j) in order.iter().enumerate() {
        running = running.max(counts[k]);
        out[j] = running as f64 / draws as f64;
    }
    out
}

/// Romano–Wolf step-down p-values of m hypotheses with observed statistics `observed` and
/// `draws[r][j]` under draw r (all finite; see the module notes). Empty or no draws: NaN.
pub fn romano_wolf(observed: &[f64], draws: &[Vec<f64>]) -> Vec<f64> {
    let m = observed.len();
    if m == 0 || draws.is_empty() {
        return vec![f64::NAN; m];
    }
    // Largest |t| first; ties in input order (the result does not depend on it).
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| observed[b].abs().total_cmp(&observed[a].abs()));
    let mut counts = vec![0usize; m];
    for draw in draws {
        // The maximum over the hypotheses from step k on, for every k, from the last step back.
        let mut max_from = f64::NEG_INFINITY;
        for k in (0..m).rev() {
            let j = order[k];
            max_from = max_from.max(draw[j].abs());
            if ri::is_extreme(max_from, observed[j]) {
                counts[k] += 1;
            }
        }
    }
    monotone(&order, &counts, draws.len())
}

/// Westfall–Young free step-down minP p-values (Algorithm 2.8; see the module notes) of the same
/// inputs as [`romano_wolf`].
pub fn westfall_young(observed: &[f64], draws: &[Vec<f64>]) -> Vec<f64> {
    let m = observed.len();
    let n = draws.len();
    if m == 0 || n == 0 {
        return vec![f64::NAN; m];
    }
    // Per hypothesis the sorted |t*|, the raw count c_j and every draw's own count c*_rj.
    let mut raw = vec![0usize; m];
    let mut own = vec![vec![0usize; m]; n];
    for j in 0..m {
        let mut sorted: Vec<f64> = draws.iter().map(|d| d[j].abs()).collect();
        sorted.sort_by(f64::total_cmp);
        raw[j] = at_least_as_extreme(&sorted, observed[j]);
        for (r, d) in draws.iter().enumerate() {
            own[r][j] = at_least_as_extreme(&sorted, d[j]);
        }
    }
    // Smallest raw p first; ties in input order (the result does not depend on it).
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by_key(|&j| raw[j]);
    let mut counts = vec![0usize; m];
    for row in &own {
        let mut min_from = usize::MAX;
        for k in (0..m).rev() {
            let j = order[k];
            min_from = min_from.min(row[j]);
            if min_from <= raw[j] {
                counts[k] += 1;
            }
        }
    }
    monotone(&order, &counts, n)
}

/// Anderson's sharpened q-values of `p`, exactly; NaN p-values stay NaN and are not counted.
///
/// The two-stage procedure at level q (Anderson 2008, from Benjamini, Krieger & Yekutieli 2006):
/// q₁ = q/(1 + q); r₁ = the number the Benjamini–Hochberg step-up procedure rejects at q₁; if
/// r₁ = m all are rejected, else BH at q₁·m/(m − r₁) rejects the r₂ smallest. The q-value of the
/// i-th smallest p-value is the smallest q (at most 1) at which i ≤ r₂. With aⱼ = minⱼ′≥ⱼ m p₍ⱼ′₎/j′
/// (nondecreasing in j), BH at level c rejects at least j iff aⱼ ≤ c, so r₁ = k exactly on
/// q₁ ∈ [aₖ, aₖ₊₁) (a₀ = 0, aₘ₊₁ = ∞), and there i ≤ r₂ iff q₁ ≥ aᵢ(m − k)/m (any q₁ when
/// k = m). Both sides grow with q₁, so the smallest q₁ is the first piece's
/// max(aₖ, aᵢ(m − k)/m) that lies in it; q = q₁/(1 − q₁).
pub fn anderson_q(p: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; p.len()];
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = order.len();
    if m == 0 {
        return out;
    }
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mf = m as f64;
    // a[j - 1] = a_j, the uncapped Benjamini–Hochberg adjusted p-value of rank j.
    let mut a = vec![0.0; m];
    let mut running = f64::INFINITY;
    for j in (1..=m).rev() {
        running = running.min(mf * p[order[j - 1]] / j as f64);
        a[j - 1] = running;
    }
    let lower = |k: usize| if k == 0 { 0.0 } else { a[k - 1] };
    let upper = |k: usize| if k == m { f64::INFINITY } else { a[k] };
    for i in 1..=m {
        let needed = a[i - 1];
        let q1 = (0..=m).find_map(|k| {
            let candidate = if k == m {
                lower(k)
            } else {
                lower(k).max(needed * (m - k) as f64 / mf)
            };
            (lower(k) < upper(k) && candidate < upper(k) || k == m).then_some(candidate)
        });
        let q = q1.map_or(1.0, |q1| if q1 >= 1.0 { 1.0 } else { q1 / (1.0 - q1) });
        out[order[i - 1]] = q.min(1.0);
    }
    out
}

/// A family's statistics on one scale: for the members that have randomization draws, the
/// observed standardized statistic and its value under every draw that is finite for all of
/// them (see the module notes), and for the others why they have none.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyStatistics {
    /// The members (positions in the family) that have draws, in order.
    pub slots: Vec<usize>,
    pub observed: Vec<f64>,
    /// `draws[r][c]`: the statistic of member `slots[c]` under draw r.
    pub draws: Vec<Vec<f64>>,
    /// Per member, why it has no adjusted p-value (empty when it has one).
    pub notes: Vec<String>,
}

/// The standardized statistics of the family's `members` (rows' indices): t = estimate / SE
/// with the observed SE for every draw when the randomization statistic is the coefficient,
/// the row's own t statistic when it is studentized.
pub fn family_statistics(
    rows: &[EffectRow],
    draws: Option<&RiDraws>,
    members: &[usize],
) -> FamilyStatistics {
    let mut notes = vec![String::new(); members.len()];
    let mut observed = Vec::new();
    let mut columns: Vec<(usize, usize, f64)> = Vec::new();
    for (slot, &i) in members.iter().enumerate() {
        let row = &rows[i];
        let Some(draws) = draws else {
            notes[slot] =
                "no randomization inference (set ri_draws) for Romano–Wolf and Westfall–Young"
                    .into();
            continue;
        };
        let Some(k) = draws.rows.iter().position(|&r| r == i) else {
            notes[slot] = "the row has no randomization draws".into();
            continue;
        };
        let (t, scale) = if draws.studentized {
            (row.statistic, 1.0)
        } else {
            (row.estimate / row.std_error, row.std_error)
        };
        if !t.is_finite() || !scale.is_finite() || scale <= 0.0 {
            notes[slot] = "the row's estimate or standard error is missing".into();
            continue;
        }
        observed.push(t);
        columns.push((slot, k, scale));
    }
    let kept: Vec<Vec<f64>> = match draws {
        Some(d) if !columns.is_empty() => d
            .statistics
            .iter()
            .map(|s| columns.iter().map(|&(_, k, scale)| s[k] / scale).collect())
            .filter(|t: &Vec<f64>| t.iter().all(|v| v.is_finite()))
            .collect(),
        _ => Vec::new(),
    };
    FamilyStatistics {
        slots: columns.iter().map(|c| c.0).collect(),
        observed,
        draws: kept,
        notes,
    }
}

/// The rows of every family: its hypotheses with their Romano–Wolf and Westfall–Young p-values
/// (from `draws`, when randomization inference ran) and Anderson's q-values (from the rows'
/// p-values), in family order and row order within each.
pub fn family_rows(
    rows: &[EffectRow],
    draws: Option<&RiDraws>,
    families: &[FamilyDefinition],
) -> Result<Vec<FamilyRow>> {
    let mut out = Vec::new();
    for family in families {
        let members = members(rows, family)?;
        let p: Vec<f64> = members.iter().map(|&i| rows[i].p_value).collect();
        let q = anderson_q(&p);
        let hypotheses = p.iter().filter(|v| !v.is_nan()).count();
        let standardized = family_statistics(rows, draws, &members);
        let (observed, kept) = (&standardized.observed, &standardized.draws);
        let columns: Vec<usize> = standardized.slots.clone();
        let notes = standardized.notes;
        let rw = romano_wolf(observed, kept);
        let wy = westfall_young(observed, kept);
        let mut rw_of = vec![f64::NAN; members.len()];
        let mut wy_of = vec![f64::NAN; members.len()];
        for (c, &slot) in columns.iter().enumerate() {
            rw_of[slot] = rw[c];
            wy_of[slot] = wy[c];
        }
        for (slot, &i) in members.iter().enumerate() {
            let row = &rows[i];
            out.push(FamilyRow {
                family: family.name.clone(),
                outcome: row.outcome.clone(),
                subgroup: row.subgroup.clone(),
                term: row.term.clone(),
                estimate: row.estimate,
                std_error: row.std_error,
                p_value: row.p_value,
                p_value_ri: row.p_value_ri,
                p_value_romano_wolf: rw_of[slot],
                p_value_westfall_young: wy_of[slot],
                q_value_anderson: q[slot],
                n_treated: row.n_treated,
                n_control: row.n_control,
                hypotheses,
                draws: notes[slot].is_empty().then_some(kept.len()),
                note: notes[slot].clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hypothesis_gets_its_own_randomization_p_value() {
        // Single hypothesis: both methods reduce to the share of draws with |t*| ≥ |t|.
        let draws: Vec<Vec<f64>> = [0.5, -2.0, 3.0, 1.0].iter().map(|&t| vec![t]).collect();
        assert_eq!(romano_wolf(&[2.0], &draws), vec![0.5]);
        assert_eq!(westfall_young(&[2.0], &draws), vec![0.5]);
    }

    #[test]
    fn step_down_by_hand() {
        // t = (3, 1); draws (2, 0.5), (0.5, 4), (1, 0.2), (3, 1).
        // RW step 1 (t=3): max |t*| over both = 2, 4, 1, 3 → ≥ 3: 2 of 4 = 0.5.
        // Step 2 (t=1): |t*₂| = 0.5, 4, 0.2, 1 → ≥ 1: 2 → 0.5, max(0.5, 0.5) = 0.5.
        let draws = vec![
            vec![2.0, 0.5],
            vec![0.5, 4.0],
            vec![1.0, 0.2],
            vec![3.0, 1.0],
        ];
        assert_eq!(romano_wolf(&[3.0, 1.0], &draws), vec![0.5, 0.5]);
        // WY: raw counts c = (1, 2) (p = 0.25, 0.5). Own counts per draw:
        // column 1 |t*| = 2, .5, 1, 3 → counts 2, 4, 3, 1; column 2 = .5, 4, .2, 1 → 3, 1, 4, 2.
        // Order (1, 2). Step 2: own₂ ≤ 2: draws 2, 4 → 2/4. Step 1: min(own₁, own₂) = 2, 1, 3, 1
        // ≤ 1: draws 2, 4 → 2/4. Monotone: (0.5, 0.5).
        assert_eq!(westfall_young(&[3.0, 1.0], &draws), vec![0.5, 0.5]);
    }

    #[test]
    fn anderson_q_by_hand() {
        // One p-value: r₁ = 1 = m as soon as q₁ ≥ p, so q = p/(1 − p).
        let q = anderson_q(&[0.2]);
        assert!((q[0] - 0.25).abs() < 1e-15);
        // NaN stays and is not counted.
        let q = anderson_q(&[f64::NAN, 0.2]);
        assert!(q[0].is_nan() && (q[1] - 0.25).abs() < 1e-15);
        // Large p-values cap at 1.
        assert_eq!(anderson_q(&[0.9, 0.95]), vec![1.0, 1.0]);
    }

    #[test]
    fn anderson_q_is_never_above_the_grid_value() {
        // The published procedure on a 0.001 grid (Anderson's code) gives the smallest grid point
        // at or above the exact q-value.
        let p = [
            0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216,
        ];
        let exact = anderson_q(&p);
        let m = p.len();
        let rejects = |q: f64| {
            let q1 = q / (1.0 + q);
            let mut sorted = p.to_vec();
            sorted.sort_by(f64::total_cmp);
            let bh = |c: f64| {
                (1..=m)
                    .filter(|&j| sorted[j - 1] <= c * j as f64 / m as f64)
                    .max()
            };
            let r1 = bh(q1).unwrap_or(0);
            if r1 == m {
                return m;
            }
            bh(q1 * m as f64 / (m - r1) as f64).unwrap_or(0)
        };
        for (i, &qi) in exact.iter().enumerate() {
            let rank = p.iter().filter(|&&x| x <= p[i]).count();
            let grid = (1..=1000)
                .map(|g| g as f64 / 1000.0)
                .find(|&g| rejects(g) >= rank)
                .unwrap_or(1.0);
            assert!(
                qi <= grid + 1e-12 && grid < qi + 0.001 + 1e-12,
                "{i}: {qi} vs {grid}"
            );
        }
    }
}
