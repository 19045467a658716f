//! Lee (2009) trimming bounds on the effect of the offer for outcomes observed only for some
//! (earnings among the employed, survey answers with non-response), with Imbens & Manski (2004)
//! confidence intervals. Pure: columns in, numbers out.
//!
//! Under random assignment and monotonicity (the offer only ever makes an outcome observed, or
//! only ever makes it unobserved), the persons observed in the arm with the higher observation
//! rate include a share `p = 1 − q_other / q_trimmed` who would not have been observed in the
//! other arm. Trimming that share from the top (for the lower bound) or the bottom (for the upper
//! bound) of that arm's observed outcomes bounds the mean among the "always observed", and so the
//! effect among them (Lee 2009, Proposition 1a).
//!
//! - **Ties.** The trimmed mean keeps exactly `(1 − p)·m` of the `m` sorted outcomes, the
//!   boundary observation with a fractional weight, so ties at the cut-off (a 0/1 outcome, whole
//!   kronor) give the sharp bound whatever the order of the tied rows.
//! - **Tightened bounds** (Lee 2009, section 3.3): with cells of a discrete covariate (site ×
//!   gender), the trimming share and trimmed mean are computed within each cell and averaged
//!   with the weights of the always-observed, the other arm's observed persons in each cell:
//!   `LB = Σ_x w_x · μ_lower(x) − ȳ_other`. A cell where the other arm is observed more often
//!   than the trimmed arm is not trimmed (`p_x = 0`; counted in `cells_not_trimmed`).
//! - **Standard errors** by the delta method, conditional on the numbers assigned to each arm in
//!   each cell (stratified randomization fixes them). With one cell this is exactly Lee's
//!   Proposition 3: the trimmed mean's variance at a known share,
//!   `[σ²_trim + p·(y_q − μ)²] / ((1 − p)·m)`, plus the share's estimation,
//!   `((μ − y_q)/(1 − p))² · Var(p̂)`, `Var(p̂) = (1 − p)²·[(1 − q_t)/m_t + (1 − q_o)/m_o]`, plus
//!   the other arm's mean, `σ²_o / m_o` (plug-in variances, divisor m, as in the proposition).
//!   With cells, the same pieces per cell, and the weights' own variation (the always-observed's
//!   mix of cells is estimated): `∂B/∂m_ox = (d_x − B)/m_o − w_x·g_x·(1 − p_x)/m_ox`,
//!   `∂B/∂m_tx = w_x·g_x·(1 − p_x)/m_tx`, with `Var(m_x) = m_x·(1 − q_x)` (binomial),
//!   `g_x = (μ_x − y_q,x)/(1 − p_x)` and `d_x = μ_x − ȳ_ox` (docs/bounds.md has the derivation).
//! - **Interval.** Imbens & Manski (2004): `[LB − c·σ_LB, UB + c·σ_UB]` with `c` solving
//!   `Φ(c + (UB − LB)/max(σ_LB, σ_UB)) − Φ(−c) = level`, which covers the effect (not the
//!   identified set) with the stated probability.

use crate::dist::{pnorm, qnorm};

/// One comparison: the compared arm against control, in the persons of one subgroup.
#[derive(Debug, Clone, Copy)]
pub struct BoundsSample<'a> {
    /// The outcome; read only where `observed` is true.
    pub outcome: &'a [f64],
    pub observed: &'a [bool],
    /// True for the compared arm, false for control.
    pub treated: &'a [bool],
    /// Each person's cell (all 0 for bounds without cells), numbered 0..cells.
    pub cell: &'a [u32],
}

/// Which arm's observed outcomes were trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimmedArm {
    Treated,
    Control,
}

/// Lee bounds on the effect (compared arm − control) among the always observed.
#[derive(Debug, Clone, PartialEq)]
pub struct LeeBounds {
    pub trimmed: TrimmedArm,
    /// The overall share trimmed, 1 − q_other / q_trimmed.
    pub trim_share: f64,
    /// Persons and observed persons: control, compared arm.
    pub n: [usize; 2],
    pub n_observed: [usize; 2],
    pub lower: f64,
    pub upper: f64,
    pub se_lower: f64,
    pub se_upper: f64,
    pub conf_low: f64,
    pub conf_high: f64,
    /// The Imbens–Manski critical value c.
    pub critical: f64,
    /// Cells with always-observed persons; of them, cells not trimmed (p_x ≤ 0).
    pub cells: usize,
    pub cells_not_trimmed: usize,
}

/// Why bounds cannot be computed, in words a user can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundsProblem {
    /// An arm has no person, or no observed person.
    NoObserved { treated: bool },
    /// A cell has observed persons in the other arm but none observed in the trimmed arm.
    CellWithoutTrimmedArm { cell: u32, trimmed: TrimmedArm },
}

impl std::fmt::Display for BoundsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let arm = |treated: bool| {
            if treated {
                "the compared arm"
            } else {
                "control"
            }
        };
        match self {
            BoundsProblem::NoObserved { treated } => {
                write!(f, "no observed outcome in {}", arm(*treated))
            }
            BoundsProblem::CellWithoutTrimmedArm { cell, trimmed } => write!(
                f,
                "cell {cell} has observed persons in {} but none in {}: merge cells",
                arm(*trimmed == TrimmedArm::Control),
                arm(*trimmed == TrimmedArm::Treated)
            ),
        }
    }
}

/// One arm's observed outcomes in one cell, sorted ascending.
#[derive(Debug, Default, Clone)]
struct Cell {
    /// Persons assigned: control, compared arm.
    n: [usize; 2],
    values: [Vec<f64>; 2],
}

/// A trimmed mean keeping the share `keep` of sorted `values`: from the bottom (`from_top`
/// false: the lowest values, for the lower bound) or the top. Returns the mean, the plug-in
/// variance of the kept values and the boundary value y_q.
fn trimmed_mean(values: &[f64], keep: f64, from_top: bool) -> (f64, f64, f64) {
    let m = values.len();
    let quantity = keep * m as f64;
    let ordered: Box<dyn Iterator<Item = &f64>> = if from_top {
        Box::new(values.iter().rev())
    } else {
        Box::new(values.iter())
    };
    let weights: Vec<(f64, f64)> = ordered
        .enumerate()
        .map(|(j, &v)| (v, (quantity - j as f64).clamp(0.0, 1.0)))
        .take_while(|&(_, w)| w > 0.0)
        .collect();
    let boundary = weights.last().map_or(f64::NAN, |&(v, _)| v);
    let mean = weights.iter().map(|&(v, w)| w * v).sum::<f64>() / quantity;
    let variance = weights
        .iter()
        .map(|&(v, w)| w * (v - mean).powi(2))
        .sum::<f64>()
        / quantity;
    (mean, variance, boundary)
}

fn plain_mean_variance(values: &[f64]) -> (f64, f64) {
    let m = values.len() as f64;
    let mean = values.iter().sum::<f64>() / m;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m;
    (mean, variance)
}

/// The Imbens–Manski critical value: c with Φ(c + Δ/σ) − Φ(−c) = level, by bisection on
/// [0, z_{(1+level)/2}] (the left side increases in c; Δ = 0 gives the two-sided z).
pub fn imbens_manski_critical(width: f64, sigma: f64, level: f64) -> f64 {
    let z = qnorm(0.5 + level / 2.0);
    if sigma.is_nan() || sigma <= 0.0 || !width.is_finite() {
        return z;
    }
    let excess = |c: f64| pnorm(c + width / sigma) - pnorm(-c) - level;
    let (mut lo, mut hi) = (0.0_f64, z);
    if excess(lo) >= 0.0 {
        return lo;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if excess(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * z {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Lee bounds (with cells: tightened) at the confidence `level`.
pub fn lee_bounds(sample: BoundsSample<'_>, level: f64) -> Result<LeeBounds, BoundsProblem> {
    let n_cells = sample
        .cell
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut cells = vec![Cell::default(); n_cells];
    for i in 0..sample.outcome.len() {
        let arm = usize::from(sample.treated[i]);
        let cell = &mut cells[sample.cell[i] as usize];
        cell.n[arm] += 1;
        if sample.observed[i] {
            cell.values[arm].push(sample.outcome[i]);
        }
    }
    for cell in &mut cells {
        for v in &mut cell.values {
            v.sort_by(f64::total_cmp);
        }
    }
    let total = |f: &dyn Fn(&Cell) -> usize| cells.iter().map(f).sum::<usize>();
    let n = [total(&|c| c.n[0]), total(&|c| c.n[1])];
    let n_observed = [total(&|c| c.values[0].len()), total(&|c| c.values[1].len())];
    for (arm, &observed) in n_observed.iter().enumerate() {
        if observed == 0 {
            return Err(BoundsProblem::NoObserved { treated: arm == 1 });
        }
    }
    let rate = |arm: usize| n_observed[arm] as f64 / n[arm] as f64;
    // The arm observed more often is trimmed (ties: the compared arm, with nothing to trim).
    let (t, o, trimmed) = if rate(1) >= rate(0) {
        (1, 0, TrimmedArm::Treated)
    } else {
        (0, 1, TrimmedArm::Control)
    };
    let trim_share = 1.0 - rate(o) / rate(t);
    let m_other = n_observed[o] as f64;

    // Per cell: weight, share, and for each bound the trimmed mean's pieces.
    struct Piece {
        weight: f64,
        share: f64,
        clipped: bool,
        m_t: f64,
        m_o: f64,
        q_t: f64,
        q_o: f64,
        other_mean: f64,
        other_variance: f64,
        /// (mean, variance, boundary) keeping the bottom and the top.
        bottom: (f64, f64, f64),
        top: (f64, f64, f64),
    }
    let mut pieces = Vec::new();
    for (x, cell) in cells.iter().enumerate() {
        let (vt, vo) = (&cell.values[t], &cell.values[o]);
        if vo.is_empty() {
            continue; // no always-observed person here: weight 0
        }
        if vt.is_empty() {
            return Err(BoundsProblem::CellWithoutTrimmedArm {
                cell: x as u32,
                trimmed,
            });
        }
        let q_t = vt.len() as f64 / cell.n[t] as f64;
        let q_o = vo.len() as f64 / cell.n[o] as f64;
        let raw = 1.0 - q_o / q_t;
        let (share, clipped) = if raw < 0.0 { (0.0, true) } else { (raw, false) };
        let (other_mean, other_variance) = plain_mean_variance(vo);
        pieces.push(Piece {
            weight: vo.len() as f64 / m_other,
            share,
            clipped,
            m_t: vt.len() as f64,
            m_o: vo.len() as f64,
            q_t,
            q_o,
            other_mean,
            other_variance,
            bottom: trimmed_mean(vt, 1.0 - share, false),
            top: trimmed_mean(vt, 1.0 - share, true),
        });
    }

    // One bound of the trimmed arm's mean among the always observed (kept from the bottom or
    // the top), as the effect scale difference D = Σ w_x (μ_x − ȳ_ox), and its variance.
    let bound = |from_top: bool| -> (f64, f64) {
        let pick = |p: &Piece| if from_top { p.top } else { p.bottom };
        let d: f64 = pieces
            .iter()
            .map(|p| p.weight * (pick(p).0 - p.other_mean))
            .sum();
        let mut variance = 0.0;
        for p in &pieces {
            let (mu, var_trim, y_q) = pick(p);
            let keep = 1.0 - p.share;
            // The trimmed mean at a known share (Lee 2009, Proposition 3, first two terms).
            let trim_part = (var_trim + p.share * (y_q - mu).powi(2)) / (keep * p.m_t);
            variance += p.weight.powi(2) * (trim_part + p.other_variance / p.m_o);
            // dμ/dp; zero where the share is clipped at 0 (the bound does not move locally).
            let g = if p.clipped { 0.0 } else { (mu - y_q) / keep };
            let d_x = mu - p.other_mean;
            let by_m_other = (d_x - d) / m_other - p.weight * g * keep / p.m_o;
            let by_m_trimmed = p.weight * g * keep / p.m_t;
            variance += by_m_other.powi(2) * p.m_o * (1.0 - p.q_o);
            variance += by_m_trimmed.powi(2) * p.m_t * (1.0 - p.q_t);
        }
        (d, variance.sqrt())
    };
    let (bottom, se_bottom) = bound(false);
    let (top, se_top) = bound(true);
    // Effect = compared − control: trimming the compared arm, its bottom gives the lower
    // bound; trimming control, its top gives the lower bound (with the sign turned).
    let (lower, se_lower, upper, se_upper) = match trimmed {
        TrimmedArm::Treated => (bottom, se_bottom, top, se_top),
        TrimmedArm::Control => (-top, se_top, -bottom, se_bottom),
    };
    let critical = imbens_manski_critical(upper - lower, se_lower.max(se_upper), level);
    Ok(LeeBounds {
        trimmed,
        trim_share,
        n,
        n_observed,
        lower,
        upper,
        se_lower,
        se_upper,
        conf_low: lower - critical * se_lower,
        conf_high: upper + critical * se_upper,
        critical,
        cells: pieces.len(),
        cells_not_trimmed: pieces.iter().filter(|p| p.clipped).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(y: &'a [f64], s: &'a [bool], d: &'a [bool], c: &'a [u32]) -> BoundsSample<'a> {
        BoundsSample {
            outcome: y,
            observed: s,
            treated: d,
            cell: c,
        }
    }

    #[test]
    fn trimming_keeps_an_exact_share_with_a_fractional_boundary_row() {
        // Keep 2.5 of 4 values from the bottom: 1 + 2 + 0.5·3 over 2.5.
        let (mean, _, boundary) = trimmed_mean(&[1.0, 2.0, 3.0, 4.0], 0.625, false);
        assert!((mean - 4.5 / 2.5).abs() < 1e-15);
        assert_eq!(boundary, 3.0);
        let (mean, _, boundary) = trimmed_mean(&[1.0, 2.0, 3.0, 4.0], 0.625, true);
        assert!((mean - (4.0 + 3.0 + 1.0) / 2.5).abs() < 1e-15);
        assert_eq!(boundary, 2.0);
    }

    #[test]
    fn equal_observation_rates_give_the_difference_in_observed_means() {
        let y = [1.0, 2.0, 3.0, 9.0, 4.0, 6.0, 0.0, 0.0];
        let s = [true, true, true, false, true, true, true, false];
        let d = [false, false, false, false, true, true, true, true];
        let b = lee_bounds(sample(&y, &s, &d, &[0; 8]), 0.95).unwrap();
        assert_eq!(b.trim_share, 0.0);
        let diff = (4.0 + 6.0 + 0.0) / 3.0 - 2.0;
        assert!((b.lower - diff).abs() < 1e-15 && (b.upper - diff).abs() < 1e-15);
        // With a point-identified effect the interval uses the two-sided z.
        assert!((b.critical - qnorm(0.975)).abs() < 1e-12);
    }

    #[test]
    fn the_more_observed_arm_is_trimmed_and_the_bounds_bracket_it() {
        // Control observed 2 of 4, compared arm 4 of 4: trim half of the compared arm.
        let y = [1.0, 3.0, 0.0, 0.0, 1.0, 2.0, 5.0, 8.0];
        let s = [true, true, false, false, true, true, true, true];
        let d = [false, false, false, false, true, true, true, true];
        let b = lee_bounds(sample(&y, &s, &d, &[0; 8]), 0.95).unwrap();
        assert_eq!(b.trimmed, TrimmedArm::Treated);
        assert!((b.trim_share - 0.5).abs() < 1e-15);
        assert!((b.lower - (1.5 - 2.0)).abs() < 1e-15);
        assert!((b.upper - (6.5 - 2.0)).abs() < 1e-15);
        assert!(b.conf_low < b.lower && b.conf_high > b.upper);
        // The same trial with the arms' roles swapped mirrors the bounds.
        let d2: Vec<bool> = d.iter().map(|x| !x).collect();
        let m = lee_bounds(sample(&y, &s, &d2, &[0; 8]), 0.95).unwrap();
        assert_eq!(m.trimmed, TrimmedArm::Control);
        assert!((m.lower + b.upper).abs() < 1e-15 && (m.upper + b.lower).abs() < 1e-15);
        assert!((m.se_lower - b.se_upper).abs() < 1e-15);
    }

    #[test]
    fn an_arm_without_observed_outcomes_or_a_cell_without_the_trimmed_arm_is_a_problem() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let d = [false, false, true, true];
        let s = [false, false, true, true];
        assert_eq!(
            lee_bounds(sample(&y, &s, &d, &[0; 4]), 0.95),
            Err(BoundsProblem::NoObserved { treated: false })
        );
        // The compared arm is observed more often (2 of 3 against 2 of 4), but in cell 1 only
        // control is observed.
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let d = [false, false, false, false, true, true, true];
        let s = [true, true, false, false, true, true, false];
        let cells = [0, 1, 0, 1, 0, 0, 1];
        let err = lee_bounds(sample(&y, &s, &d, &cells), 0.95).unwrap_err();
        assert_eq!(
            err,
            BoundsProblem::CellWithoutTrimmedArm {
                cell: 1,
                trimmed: TrimmedArm::Treated
            }
        );
        assert!(err.to_string().contains("merge cells"));
    }

    #[test]
    fn the_imbens_manski_value_runs_from_two_sided_to_one_sided() {
        assert!((imbens_manski_critical(0.0, 1.0, 0.95) - qnorm(0.975)).abs() < 1e-12);
        assert!((imbens_manski_critical(50.0, 1.0, 0.95) - qnorm(0.95)).abs() < 1e-9);
        let c = imbens_manski_critical(1.0, 1.0, 0.95);
        assert!((pnorm(c + 1.0) - pnorm(-c) - 0.95).abs() < 1e-14);
    }
}
