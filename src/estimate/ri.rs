//! Randomization inference: p-values from re-running the study's own assignment procedure, and a
//! confidence interval for a constant additive effect by test inversion.
//!
//! The engine is generic. The caller gives
//! - the observed statistics, one per estimand (e.g. the effect for all, women, men, and the
//!   women − men interaction);
//! - `assign`, which draws one hypothetical re-assignment from a [`Stream`] (the design module
//!   reproduces strata, blocks, clusters and ratios) and returns the treatment vector;
//! - `statistics`, which recomputes *all* statistics for a treatment vector. Because the whole
//!   model is refitted, a statistic in which treatment enters several terms (an interaction) is
//!   handled correctly.
//!
//! Draw r uses its own stream `ri/draw=<r>` of the study seed, draws run in parallel with rayon
//! and are collected in draw order, so results are identical on any number of threads.
//!
//! **p-value convention** (two-sided, sharp null of no effect for anyone): with R draws,
//! p = #{r : |T_r| ≥ |T_obs|} / R. Ties count as extreme and the observed assignment is not added
//! to the draws. This is the convention of R's ri2 (`summary.ri`: `mean(abs(est_sim) >=
//! abs(est_obs))`, after rounding both to 10 decimals "to deal with numerical instability") and of
//! Stata's ritest (p = c/n with c counting |T| ≥ |T(obs)|; Heß 2017, Stata Journal 17(3)). Here a
//! draw counts as a tie when |T_r| ≥ |T_obs| − 10⁻¹⁰·max(1, |T_obs|), so statistics that are equal
//! in exact arithmetic but differ in the last bits (sums taken in another order) are ties, as in
//! ri2. Draws whose statistic is not finite (e.g. an arm empty in a subgroup under that draw) are
//! left out of both counts; [`RiTest::valid`] says how many were used. The count of extreme draws
//! is returned too, so a reader may form the (c + 1)/(R + 1) variant (Phipson & Smyth 2010).

use crate::error::{Error, Result};
use crate::rng::Stream;
use rayon::prelude::*;

/// Relative tolerance under which |T_r| and |T_obs| count as tied (see the module notes).
pub const TIE_TOLERANCE: f64 = 1e-10;

/// The stream name of draw `r`.
pub fn draw_stream_name(r: usize) -> String {
    format!("ri/draw={r}")
}

/// The result of a randomization test of several estimands.
#[derive(Debug, Clone, PartialEq)]
pub struct RiTest {
    /// The observed statistics, as given.
    pub observed: Vec<f64>,
    /// Per estimand, the number of draws with |T_r| ≥ |T_obs| (ties included).
    pub extreme: Vec<usize>,
    /// Per estimand, the number of draws with a finite statistic.
    pub valid: Vec<usize>,
    /// Per estimand, the two-sided p-value `extreme / valid` (NaN when no draw is valid or the
    /// observed statistic is not finite).
    pub p_values: Vec<f64>,
    /// The number of draws made.
    pub draws: usize,
}

/// Whether |t| is at least as extreme as |observed| (ties within [`TIE_TOLERANCE`] count).
pub fn is_extreme(t: f64, observed: f64) -> bool {
    let o = observed.abs();
    t.abs() >= o - TIE_TOLERANCE * o.max(1.0)
}

/// The statistics of `draws` re-assignments, in draw order: `result[r][k]` is statistic k
/// under draw r. Draw r takes its treatment vector from `assign(&mut Stream::new(seed,
/// "ri/draw=<r>"))`.
pub fn simulate<A, S>(draws: usize, seed: u64, assign: &A, statistics: &S) -> Vec<Vec<f64>>
where
    A: Fn(&mut Stream) -> Vec<f64> + Sync,
    S: Fn(&[f64]) -> Vec<f64> + Sync,
{
    (0..draws)
        .into_par_iter()
        .map(|r| {
            let mut stream = Stream::new(seed, &draw_stream_name(r));
            let z = assign(&mut stream);
            statistics(&z)
        })
        .collect()
}

/// Count, for each estimand, the draws at least as extreme as the observed statistic.
pub fn count(observed: &[f64], simulated: &[Vec<f64>]) -> Result<RiTest> {
    let k = observed.len();
    let mut extreme = vec![0usize; k];
    let mut valid = vec![0usize; k];
    for (r, stats) in simulated.iter().enumerate() {
        if stats.len() != k {
            return Err(Error::compute(format!(
                "randomization draw {r} produced {} statistics; expected {k}, one per estimand",
                stats.len()
            )));
        }
        for j in 0..k {
            let t = stats[j];
            if t.is_finite() {
                valid[j] += 1;
                if is_extreme(t, observed[j]) {
                    extreme[j] += 1;
                }
            }
        }
    }
    let p_values = (0..k)
        .map(|j| {
            if valid[j] == 0 || !observed[j].is_finite() {
                f64::NAN
            } else {
                extreme[j] as f64 / valid[j] as f64
            }
        })
        .collect();
    Ok(RiTest {
        observed: observed.to_vec(),
        extreme,
        valid,
        p_values,
        draws: simulated.len(),
    })
}

/// A randomization test: simulate `draws` re-assignments and count (see the module notes).
pub fn randomization_test<A, S>(
    observed: &[f64],
    draws: usize,
    seed: u64,
    assign: &A,
    statistics: &S,
) -> Result<RiTest>
where
    A: Fn(&mut Stream) -> Vec<f64> + Sync,
    S: Fn(&[f64]) -> Vec<f64> + Sync,
{
    if draws == 0 {
        return Err(Error::compute(
            "randomization inference needs at least one draw",
        ));
    }
    let simulated = simulate(draws, seed, assign, statistics);
    count(observed, &simulated)
}

/// A randomization confidence interval for a constant additive effect τ (every unit's treated
/// outcome is its control outcome + τ), by inverting the randomization test (Rosenbaum 2002,
/// Observational Studies, §2.6; Imbens & Rubin 2015, §5.7).
///
/// For a trial value τ the control outcomes are y₀ = y − τz; under draw r the outcomes would be
/// y₀ + τz_r, and the test statistic is T_r(τ) = estimate(z_r, y₀ + τz_r) − τ, compared with
/// T_obs(τ) = estimate(z, y) − τ. The interval is the set of τ with p(τ) ≥ 1 − level; its ends
/// are found by bisection on the same fixed set of draws (streams `ri/draw=<r>`), starting from
/// the point estimate (where p = 1) and expanding outwards in steps of the null distribution's
/// standard deviation until the test rejects. p(τ) is a step function; each end is the last τ
/// found that is not rejected, to within 10⁻⁹ of the null standard deviation.
pub fn confidence_interval<A, E>(
    y: &[f64],
    z: &[f64],
    draws: usize,
    seed: u64,
    level: f64,
    assign: &A,
    estimate: &E,
) -> Result<(f64, f64)>
where
    A: Fn(&mut Stream) -> Vec<f64> + Sync,
    E: Fn(&[f64], &[f64]) -> f64 + Sync,
{
    let draw = |r: usize| assign(&mut Stream::new(seed, &draw_stream_name(r)));
    confidence_interval_with(y, z, draws, level, &draw, estimate)
}

/// The p-value of the sharp hypothesis "the effect is τ for everyone" (see
/// [`confidence_interval`]), with re-assignment r given by `draw(r)` for r in 0..draws.
pub fn inversion_p_value<D, E>(
    y: &[f64],
    z: &[f64],
    tau: f64,
    draws: usize,
    draw: &D,
    estimate: &E,
) -> f64
where
    D: Fn(usize) -> Vec<f64> + Sync,
    E: Fn(&[f64], &[f64]) -> f64 + Sync,
{
    let t_obs = estimate(z, y) - tau;
    let stats: Vec<f64> = (0..draws)
        .into_par_iter()
        .map(|r| {
            let zr = draw(r);
            let yr = shifted(y, z, &zr, tau);
            estimate(&zr, &yr) - tau
        })
        .collect();
    share_extreme(stats.into_iter(), t_obs)
}

/// The share of the finite statistics at least as extreme as `t_obs` (NaN when there is none or
/// `t_obs` is not finite).
fn share_extreme(stats: impl Iterator<Item = f64>, t_obs: f64) -> f64 {
    let (mut ext, mut val) = (0usize, 0usize);
    for t in stats {
        if t.is_finite() {
            val += 1;
            if is_extreme(t, t_obs) {
                ext += 1;
            }
        }
    }
    if val == 0 || !t_obs.is_finite() {
        f64::NAN
    } else {
        ext as f64 / val as f64
    }
}

/// [`confidence_interval`] with re-assignment r given by `draw(r)` (e.g. the columns of a
/// stored permutation matrix). `estimate` must be linear in its outcome argument, as every
/// difference in means and least-squares coefficient is (see [`interval_from_draws`]).
pub fn confidence_interval_with<D, E>(
    y: &[f64],
    z: &[f64],
    draws: usize,
    level: f64,
    draw: &D,
    estimate: &E,
) -> Result<(f64, f64)>
where
    D: Fn(usize) -> Vec<f64> + Sync,
    E: Fn(&[f64], &[f64]) -> f64 + Sync,
{
    if y.len() != z.len() {
        return Err(Error::compute(format!(
            "outcome has {} values but treatment has {}",
            y.len(),
            z.len()
        )));
    }
    if draws == 0 {
        return Err(Error::compute(
            "randomization inference needs at least one draw",
        ));
    }
    let (a, b): (Vec<f64>, Vec<f64>) = (0..draws)
        .into_par_iter()
        .map(|r| {
            let zr = draw(r);
            (estimate(&zr, y), estimate(&zr, z))
        })
        .unzip();
    interval_from_draws(estimate(z, y), &a, &b, level)
}

/// The p-value of "the effect is τ for everyone" from the per-draw pieces of
/// [`interval_from_draws`].
pub fn linear_inversion_p_value(observed: f64, a: &[f64], b: &[f64], tau: f64) -> f64 {
    share_extreme(
        a.iter().zip(b).map(|(ar, br)| ar - tau * br),
        observed - tau,
    )
}

/// The randomization interval of [`confidence_interval`] from two numbers per draw:
/// a_r = est(z_r, y) and b_r = est(z_r, z). For an estimator linear in the outcome,
/// est(z_r, y − τz + τz_r) = a_r − τ b_r + τ est(z_r, z_r) and est(z_r, z_r) = 1, so
/// T_r(τ) = a_r − τ b_r: one pass over the data per draw serves every trial τ of the search,
/// and the draws need not be kept or redrawn. `observed` = est(z, y).
pub fn interval_from_draws(observed: f64, a: &[f64], b: &[f64], level: f64) -> Result<(f64, f64)> {
    match interval_ends(observed, a, b, level)? {
        [Some(lo), Some(hi)] => Ok((lo, hi)),
        _ => Err(Error::compute(
            "the randomization confidence interval is unbounded",
        )),
    }
}

/// [`interval_from_draws`], except that an end the test never rejects, however far from the
/// estimate, is −∞ or +∞ rather than an error: with few assignments the smallest attainable
/// p-value may exceed α (4 matched pairs: 16 assignments, p ≥ 2/16 > 0.05), and then the data
/// cannot bound the effect at that level. Such an interval is reported as unbounded, never
/// silently left out (issue 14).
pub fn interval_from_draws_unbounded(
    observed: f64,
    a: &[f64],
    b: &[f64],
    level: f64,
) -> Result<(f64, f64)> {
    let [lo, hi] = interval_ends(observed, a, b, level)?;
    Ok((lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)))
}

/// The ends of the inversion interval, None for an end that is never rejected: the search
/// expands in doubling steps from the estimate, 60 doublings of 4 null SDs (2⁶⁰ times beyond any
/// value the draws hold) before an end counts as unbounded, then bisects.
fn interval_ends(observed: f64, a: &[f64], b: &[f64], level: f64) -> Result<[Option<f64>; 2]> {
    if level.is_nan() || level <= 0.0 || level >= 1.0 {
        return Err(Error::compute(format!(
            "confidence level {level} is not between 0 and 1"
        )));
    }
    let alpha = 1.0 - level;
    if !observed.is_finite() {
        return Err(Error::compute("the observed estimate is not finite"));
    }
    // The null distribution at τ = estimate, for the scale of the search.
    let null: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(ar, br)| ar - observed * br)
        .filter(|t| t.is_finite())
        .collect();
    let sd = standard_deviation(&null);
    if sd.is_nan() || sd <= 0.0 {
        return Err(Error::compute(
            "the randomization distribution has no spread; no interval can be formed",
        ));
    }
    // 1 − 0.95 is 0.050000000000000044 in binary; compare with a little slack so p = 0.05 is
    // accepted at the 95% level, as the definition p ≥ α intends.
    let accepted = |tau: f64| linear_inversion_p_value(observed, a, b, tau) >= alpha - 1e-12;
    let mut ends = [None; 2];
    'sides: for (side, sign) in [(0usize, -1.0), (1usize, 1.0)] {
        // Expand until rejected.
        let mut inside = observed;
        let mut step = 4.0 * sd;
        let mut outside = observed + sign * step;
        let mut tries = 0;
        while accepted(outside) {
            inside = outside;
            step *= 2.0;
            outside = observed + sign * step;
            tries += 1;
            if tries > 60 {
                continue 'sides;
            }
        }
        // Bisect between the last accepted and the first rejected value.
        let tol = 1e-9 * sd;
        while (outside - inside).abs() > tol {
            let mid = 0.5 * (inside + outside);
            if accepted(mid) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        ends[side] = Some(inside);
    }
    Ok(ends)
}

/// Outcomes under re-assignment `zr` if the effect is τ for everyone: y − τz + τz_r.
fn shifted(y: &[f64], z: &[f64], zr: &[f64], tau: f64) -> Vec<f64> {
    y.iter()
        .zip(z)
        .zip(zr)
        .map(|((yi, zi), zri)| yi - tau * zi + tau * zri)
        .collect()
}

fn standard_deviation(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Complete randomization within strata: in each stratum, the same number of units is treated as
/// in `z`, chosen by a Fisher–Yates shuffle of the stratum's treatment values (strata in
/// ascending order of their id). A simple re-assignment for tests and for designs without a
/// ledger; the design module provides the study's own procedure. Build it once, draw many times.
#[derive(Debug, Clone)]
pub struct StrataPermuter {
    n: usize,
    /// Per stratum: its units and their observed treatment values.
    groups: Vec<(Vec<usize>, Vec<f64>)>,
}

impl StrataPermuter {
    pub fn new(z: &[f64], strata: &[usize]) -> StrataPermuter {
        let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for (i, &s) in strata.iter().enumerate().take(z.len()) {
            members.entry(s).or_default().push(i);
        }
        let groups = members
            .into_values()
            .map(|units| {
                let values = units.iter().map(|&i| z[i]).collect();
                (units, values)
            })
            .collect();
        StrataPermuter { n: z.len(), groups }
    }

    /// One re-assignment.
    pub fn draw(&self, stream: &mut Stream) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        for (units, values) in &self.groups {
            let mut v = values.clone();
            stream.shuffle(&mut v);
            for (&i, x) in units.iter().zip(v) {
                out[i] = x;
            }
        }
        out
    }
}

/// One complete-randomization-within-strata re-assignment (see [`StrataPermuter`]).
pub fn permute_within_strata(z: &[f64], strata: &[usize], stream: &mut Stream) -> Vec<f64> {
    StrataPermuter::new(z, strata).draw(stream)
}

/// Difference in means, treated (z = 1) minus control (any other z); NaN when an arm is empty.
/// Branch-free sums (Σy, Σ[z=1]·y, #[z=1]) so the loop vectorizes.
pub fn difference_in_means(z: &[f64], y: &[f64]) -> f64 {
    let (mut s1, mut n1, mut s) = (0.0, 0.0, 0.0);
    for (zi, yi) in z.iter().zip(y) {
        let t = f64::from(u8::from(*zi == 1.0));
        s1 += t * yi;
        n1 += t;
        s += yi;
    }
    let n = z.len().min(y.len()) as f64;
    let n0 = n - n1;
    if n1 == 0.0 || n0 == 0.0 {
        f64::NAN
    } else {
        s1 / n1 - (s - s1) / n0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<f64>, Vec<f64>, Vec<usize>) {
        let mut s = Stream::new(11, "toy");
        let n = 60;
        let strata: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let z: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 1.0 } else { 0.0 }).collect();
        let y: Vec<f64> = (0..n).map(|i| s.normal() + 0.8 * z[i]).collect();
        (y, z, strata)
    }

    #[test]
    fn identical_on_any_thread_count() {
        let (y, z, strata) = toy();
        let assign = |s: &mut Stream| permute_within_strata(&z, &strata, s);
        let stats = |zr: &[f64]| vec![difference_in_means(zr, &y)];
        let obs = stats(&z);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| randomization_test(&obs, 500, 3, &assign, &stats).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn permutation_keeps_counts_per_stratum() {
        let (_, z, strata) = toy();
        let mut s = Stream::new(1, "p");
        let zr = permute_within_strata(&z, &strata, &mut s);
        for k in 0..3 {
            let a: f64 = (0..z.len()).filter(|&i| strata[i] == k).map(|i| z[i]).sum();
            let b: f64 = (0..z.len())
                .filter(|&i| strata[i] == k)
                .map(|i| zr[i])
                .sum();
            assert_eq!(a, b);
        }
        assert_ne!(z, zr);
    }

    #[test]
    fn ties_count_as_extreme() {
        let t = count(&[0.5, -0.5], &[vec![0.5, 0.5 + 1e-14], vec![0.4, -0.6]]).unwrap();
        assert_eq!(t.extreme, vec![1, 2]);
        assert_eq!(t.p_values, vec![0.5, 1.0]);
    }

    #[test]
    fn non_finite_draws_are_left_out() {
        let t = count(&[1.0], &[vec![f64::NAN], vec![2.0], vec![0.0]]).unwrap();
        assert_eq!(t.valid, vec![2]);
        assert_eq!(t.p_values, vec![0.5]);
    }

    #[test]
    fn wrong_number_of_statistics_is_an_error() {
        assert!(count(&[1.0, 2.0], &[vec![1.0]]).is_err());
    }

    #[test]
    fn linear_p_value_equals_the_p_value_of_shifted_outcomes() {
        let (y, z, strata) = toy();
        let draw = |r: usize| {
            permute_within_strata(&z, &strata, &mut Stream::new(9, &draw_stream_name(r)))
        };
        let draws = 300;
        let (a, b): (Vec<f64>, Vec<f64>) = (0..draws)
            .map(|r| {
                let zr = draw(r);
                (difference_in_means(&zr, &y), difference_in_means(&zr, &z))
            })
            .unzip();
        let est = difference_in_means(&z, &y);
        for k in -20..=20 {
            let tau = est + 0.1 * k as f64;
            let direct = inversion_p_value(&y, &z, tau, draws, &draw, &difference_in_means);
            let linear = linear_inversion_p_value(est, &a, &b, tau);
            assert_eq!(direct, linear, "tau {tau}");
        }
    }

    #[test]
    fn interval_covers_the_estimate_and_is_near_the_normal_one() {
        let (y, z, strata) = toy();
        let assign = |s: &mut Stream| permute_within_strata(&z, &strata, s);
        let (lo, hi) =
            confidence_interval(&y, &z, 400, 5, 0.95, &assign, &difference_in_means).unwrap();
        let est = difference_in_means(&z, &y);
        assert!(lo < est && est < hi, "{lo} {est} {hi}");
        // Neyman SE for a rough comparison: the RI interval has about the same width.
        let half = (hi - lo) / 2.0;
        assert!(half > 0.3 && half < 0.8, "{half}");
        // The ends are on the acceptance boundary: just inside accepted, just outside rejected.
        let p = |tau: f64| {
            let sims = simulate(400, 5, &assign, &|zr: &[f64]| {
                let yr = shifted(&y, &z, zr, tau);
                vec![difference_in_means(zr, &yr) - tau]
            });
            count(&[est - tau], &sims).unwrap().p_values[0]
        };
        let ok = |p: f64| p >= 0.05 - 1e-12;
        assert!(ok(p(hi)) && !ok(p(hi + 1e-7)));
        assert!(ok(p(lo)) && !ok(p(lo - 1e-7)));
    }
}
