//! The wild cluster bootstrap of one regression coefficient: restricted (WCR, the null imposed)
//! or unrestricted (WCU), Rademacher, Webb six-point, Mammen or standard normal weights, the
//! bootstrap-t p-value and a confidence interval by test inversion. Conventions of Stata's
//! boottest and R's fwildclusterboot (Roodman, MacKinnon, Nielsen & Webb 2019, "Fast and wild:
//! bootstrap inference in Stata using boottest", Stata Journal 19(1); MacKinnon, Nielsen & Webb
//! 2023, "Cluster-robust inference: a guide to empirical practice", J. Econometrics 232(2)):
//!
//! - The statistic is t = (β̂_j − β₀)/se with the CR1 standard error (small-sample factor
//!   c = G/(G−1)·(N−1)/(N−k)); bootstrap clusters are the clustering variable.
//! - WCR: y* = Xβ̃ + ũ∘v with β̃ the fit under β_j = β₀ and ũ its residuals; t* = (β*_j − β₀)/se*.
//!   WCU: y* = Xβ̂ + û∘v; t* = (β*_j − β̂_j)/se*. v holds one weight per cluster.
//! - p = #{b : |t*_b| > |t|}/B (two-sided, symmetric: boottest's default, fwildclusterboot's
//!   `mean(abs(t_stat) < abs(t_boot))`). Values of |t*| within [`TIE_TOLERANCE`] (relative,
//!   plus the same absolute, in standard errors) of |t| are ties and do not count: in exact arithmetic the identity draw (and with Rademacher
//!   weights its negation) gives |t*| = |t|, and rounding must not decide whether it counts.
//! - Rademacher weights with 2^G ≤ B: all 2^G sign vectors are enumerated (the identity
//!   included), B = 2^G, and the p-value is an exact multiple of 1/2^G; deterministic.
//!   Otherwise draw b takes its weights from its own stream `wild/draw=<b>` ([`draw_stream_name`],
//!   one weight per cluster of the data in cluster order), so any number of threads gives the
//!   same draws and every row of a run uses the same weights for the same cluster.
//!
//! The fast algorithm (Roodman et al. 2019, sec. 5): with the per-cluster pieces H_g = X_g'X_g
//! and f_g = X_g'û_g ([`ClusterPieces`]) and a = (X'X)⁻¹e_j, the restricted residuals are
//! ũ(β₀) = û + δ r with δ = β̂_j − β₀ and r = Xa/a_j (column j net of the others, by
//! Frisch–Waugh–Lovell), so X_g'ũ_g = f_g + δ H_g a/a_j. For weights v,
//! β*_j − β̃_j = Σ_g v_g s_g with s_g = a'X_g'ũ_g, and the CR1 score of cluster g in the
//! bootstrap fit is a'X_g'û*_g = v_g s_g − w_g'(X'X)⁻¹ Σ_h v_h X_h'ũ_h with w_g = H_g a. Both are
//! affine in δ, so each draw is summarized by five numbers (n₀, n₁, P, Q, R):
//! t*(δ) = (n₀ + δn₁)/√(c(P + 2δQ + δ²R)). A draw costs O(G·k); the test of any β₀ then costs
//! O(B), which makes the inversion cheap.

use super::Code;
use super::clusters::ClusterPieces;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rng::Stream;
use rayon::prelude::*;

/// Relative tolerance under which |t*| and |t| are a tie (see the module notes).
pub const TIE_TOLERANCE: f64 = 1e-9;

/// The confidence interval's ends are located to this fraction of the CR1 standard error.
pub const INVERSION_TOLERANCE: f64 = 1e-8;

/// The bootstrap weights of each cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WildWeights {
    /// ±1 with probability ½ each (the top bit of one 64-bit word: 1 is −1).
    Rademacher,
    /// Webb's six-point distribution: ±√(3/2), ±1, ±√(1/2), each with probability 1/6
    /// (`below(6)` indexes them in that order, negatives first: −√1.5, −1, −√0.5, √0.5, 1, √1.5).
    Webb,
    /// Mammen's two-point distribution: −(√5−1)/2 with probability (√5+1)/(2√5), else (√5+1)/2.
    Mammen,
    /// Standard normal ([`Stream::normal`]).
    Normal,
}

/// Whether the bootstrap imposes the null hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WildNull {
    /// WCR: restricted residuals, the null imposed (the default, MacKinnon & Webb's advice).
    Impose,
    /// WCU: unrestricted residuals.
    Free,
}

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WildOptions {
    pub draws: u32,
    pub weights: WildWeights,
    pub null: WildNull,
    pub seed: u64,
    /// 1 − the confidence level of the interval.
    pub alpha: f64,
}

/// The wild bootstrap of one coefficient: p-value of β = 0 and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WildResult {
    pub p_value: f64,
    /// ±∞ when the p-value stays above α however far the null moves.
    pub conf_low: f64,
    pub conf_high: f64,
    /// Draws made (2^G when enumerated).
    pub draws: u64,
    /// Whether all 2^G Rademacher sign vectors were enumerated.
    pub enumerated: bool,
}

/// The stream of bootstrap draw `b`.
pub fn draw_stream_name(b: usize) -> String {
    format!("wild/draw={b}")
}

/// The weights of draw `b` for clusters `0..clusters` of the data (see [`WildWeights`]).
pub fn draw_weights(weights: WildWeights, seed: u64, b: usize, clusters: usize) -> Vec<f64> {
    let mut stream = Stream::new(seed, &draw_stream_name(b));
    let webb = [
        -(1.5f64.sqrt()),
        -1.0,
        -(0.5f64.sqrt()),
        0.5f64.sqrt(),
        1.0,
        1.5f64.sqrt(),
    ];
    let root5 = 5f64.sqrt();
    (0..clusters)
        .map(|_| match weights {
            WildWeights::Rademacher => {
                if stream.next_u64() >> 63 == 1 {
                    -1.0
                } else {
                    1.0
                }
            }
            WildWeights::Webb => webb[stream.below(6) as usize],
            WildWeights::Mammen => {
                if stream.unit() < (root5 + 1.0) / (2.0 * root5) {
                    -(root5 - 1.0) / 2.0
                } else {
                    (root5 + 1.0) / 2.0
                }
            }
            WildWeights::Normal => stream.normal(),
        })
        .collect()
}

/// One draw's summary: t*(δ) = (n0 + δ n1)/√(c(p + 2δq + δ²r)).
#[derive(Debug, Clone, Copy)]
struct DrawSummary {
    n0: f64,
    n1: f64,
    p: f64,
    q: f64,
    r: f64,
}

/// The bootstrap distribution of one coefficient, ready to test any null value.
#[derive(Debug, Clone)]
pub struct WildBootstrap {
    coef: f64,
    /// The CR1 standard error of the original fit.
    se: f64,
    /// The CR1 small-sample factor.
    factor: f64,
    clusters: usize,
    restricted: bool,
    draws: Vec<DrawSummary>,
    enumerated: bool,
}

impl WildBootstrap {
    /// The bootstrap of coefficient `j` (estimate `coef`) of the fit whose pieces are given.
    /// `codes[g]` is the data's cluster number of the fit's cluster g (a subgroup's fit may miss
    /// some), `all_clusters` the number of clusters in the data.
    pub fn new(
        pieces: &ClusterPieces,
        j: usize,
        coef: f64,
        codes: &[Code],
        all_clusters: usize,
        options: &WildOptions,
        progress: &dyn Progress,
    ) -> Result<WildBootstrap> {
        let g = pieces.count();
        let k = pieces.k;
        if g < 2 || codes.len() != g {
            return Err(Error::compute(format!(
                "the wild cluster bootstrap needs at least 2 clusters; the fit has {g}"
            )));
        }
        let (gf, nf, kf) = (g as f64, pieces.n as f64, k as f64);
        let factor = gf / (gf - 1.0) * (nf - 1.0) / (nf - kf);
        let a = pieces.xtx_inv.column(j).into_owned();
        let ajj = a[j];
        // Per cluster: s0, s1 and the rows of W, Z0 = (X'X)⁻¹f_g, Z1 = (X'X)⁻¹w_g/a_j.
        let mut s0 = vec![0.0; g];
        let mut s1 = vec![0.0; g];
        let mut w = vec![0.0; g * k];
        let mut z0 = vec![0.0; g * k];
        let mut z1 = vec![0.0; g * k];
        for c in 0..g {
            let wg = &pieces.xtx[c] * &a;
            let zg0 = &pieces.xtx_inv * &pieces.xtu[c];
            let zg1 = (&pieces.xtx_inv * &wg) / ajj;
            s0[c] = a.dot(&pieces.xtu[c]);
            s1[c] = a.dot(&wg) / ajj;
            w[c * k..(c + 1) * k].copy_from_slice(wg.as_slice());
            z0[c * k..(c + 1) * k].copy_from_slice(zg0.as_slice());
            z1[c * k..(c + 1) * k].copy_from_slice(zg1.as_slice());
        }
        let se = (factor * s0.iter().map(|s| s * s).sum::<f64>()).sqrt();
        let restricted = options.null == WildNull::Impose;
        let enumerated = options.weights == WildWeights::Rademacher
            && g < 63
            && (1u64 << g) <= u64::from(options.draws);
        let total = if enumerated {
            1usize << g
        } else {
            options.draws as usize
        };
        let weights_of = |b: usize| -> Vec<f64> {
            if enumerated {
                (0..g)
                    .map(|c| if (b >> c) & 1 == 1 { -1.0 } else { 1.0 })
                    .collect()
            } else {
                let all = draw_weights(options.weights, options.seed, b, all_clusters);
                codes
                    .iter()
                    .map(|&c| all.get(c as usize).copied().unwrap_or(f64::NAN))
                    .collect()
            }
        };
        let summarize = |v: &[f64]| -> DrawSummary {
            let mut y0 = vec![0.0; k];
            let mut y1 = vec![0.0; k];
            let (mut n0, mut n1) = (0.0, 0.0);
            for c in 0..g {
                n0 += s0[c] * v[c];
                n1 += s1[c] * v[c];
                for m in 0..k {
                    y0[m] += z0[c * k + m] * v[c];
                    y1[m] += z1[c * k + m] * v[c];
                }
            }
            let (mut p, mut q, mut r) = (0.0, 0.0, 0.0);
            for c in 0..g {
                let row = &w[c * k..(c + 1) * k];
                let e0 = s0[c] * v[c] - dot(row, &y0);
                if restricted {
                    let e1 = s1[c] * v[c] - dot(row, &y1);
                    q += e0 * e1;
                    r += e1 * e1;
                }
                p += e0 * e0;
            }
            DrawSummary { n0, n1, p, q, r }
        };
        progress.start("wild cluster bootstrap", total as u64);
        let chunk = 4096;
        let chunks: Option<Vec<Vec<DrawSummary>>> = (0..total.div_ceil(chunk))
            .into_par_iter()
            .map(|i| {
                if progress.cancelled() {
                    return None;
                }
                let range = i * chunk..((i + 1) * chunk).min(total);
                let out: Vec<DrawSummary> = range.map(|b| summarize(&weights_of(b))).collect();
                progress.advance(out.len() as u64);
                Some(out)
            })
            .collect();
        progress.finish();
        let draws = chunks.ok_or(Error::Interrupted)?.concat();
        Ok(WildBootstrap {
            coef,
            se,
            factor,
            clusters: g,
            restricted,
            draws,
            enumerated,
        })
    }

    /// The bootstrap p-value of the null β_j = `null` (see the module notes).
    pub fn p_value(&self, null: f64) -> f64 {
        let delta = self.coef - null;
        let t = delta / self.se;
        if !t.is_finite() {
            return f64::NAN;
        }
        // Ties: within a relative TIE_TOLERANCE, and an absolute one for t near 0 (t is in
        // standard errors, so 1e-9 of one is no evidence either way).
        let threshold = t.abs() * (1.0 + TIE_TOLERANCE) + TIE_TOLERANCE;
        let exceed = self
            .draws
            .iter()
            .filter(|d| {
                let star = if self.restricted {
                    (d.n0 + delta * d.n1)
                        / (self.factor * (d.p + 2.0 * delta * d.q + delta * delta * d.r)).sqrt()
                } else {
                    d.n0 / (self.factor * d.p).sqrt()
                };
                star.abs() > threshold
            })
            .count();
        exceed as f64 / self.draws.len() as f64
    }

    /// The (1 − α) interval {β₀ : p(β₀) > α}, each end found by the same search (boottest's
    /// inversion, with bisection): start from the estimate (p > α) and step outward by the CR1
    /// Wald half-width q·se (q the 1 − α/2 quantile of t(G − 1)), doubling the step until
    /// p ≤ α (at most 60 doublings, else the end is infinite); then bisect between the last
    /// point with p > α and the first with p ≤ α until they are [`INVERSION_TOLERANCE`]·se
    /// apart, and take the midpoint. NaN when the estimate itself is rejected or se is 0.
    pub fn interval(&self, alpha: f64) -> (f64, f64) {
        let q = crate::dist::qt(1.0 - alpha / 2.0, self.clusters as f64 - 1.0);
        let step = q * self.se;
        if !(step.is_finite() && step > 0.0) || self.p_value(self.coef) <= alpha {
            return (f64::NAN, f64::NAN);
        }
        let end = |side: f64| -> f64 {
            let mut inside = self.coef;
            let mut h = step;
            let mut outside = None;
            for _ in 0..=60 {
                let candidate = self.coef + side * h;
                if self.p_value(candidate) <= alpha {
                    outside = Some(candidate);
                    break;
                }
                inside = candidate;
                h *= 2.0;
            }
            let Some(mut outside) = outside else {
                return side * f64::INFINITY;
            };
            let tolerance = INVERSION_TOLERANCE * self.se;
            while (outside - inside).abs() > tolerance {
                let mid = 0.5 * (inside + outside);
                if mid == inside || mid == outside {
                    break;
                }
                if self.p_value(mid) > alpha {
                    inside = mid;
                } else {
                    outside = mid;
                }
            }
            0.5 * (inside + outside)
        };
        (end(-1.0), end(1.0))
    }

    /// The p-value of β_j = 0 and the interval.
    pub fn result(&self, alpha: f64) -> WildResult {
        let (conf_low, conf_high) = self.interval(alpha);
        WildResult {
            p_value: self.p_value(0.0),
            conf_low,
            conf_high,
            draws: self.draws.len() as u64,
            enumerated: self.enumerated,
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::ols::{DesignMatrix, lm_robust};
    use crate::estimate::vcov::{Clusters, SeType};
    use crate::linalg::Columns;
    use crate::progress::Silent;

    /// Six clusters of 2–5 rows; y on an intercept, a cluster-level z and x.
    fn fixture() -> (ClusterPieces, f64, f64) {
        let sizes = [3, 5, 2, 4, 3, 4];
        let (mut cluster, mut z, mut x, mut y) = (vec![], vec![], vec![], vec![]);
        for (g, &n) in sizes.iter().enumerate() {
            for i in 0..n {
                let xi = ((g * 7 + i * 3) % 5) as f64 - 2.0;
                let zi = f64::from(u8::from(g % 2 == 0));
                cluster.push(format!("c{g}"));
                z.push(zi);
                x.push(xi);
                y.push(0.3 * zi + 0.5 * xi + ((g * 5 + i * 11) % 7) as f64 / 7.0);
            }
        }
        let mut design = DesignMatrix::new();
        design.push("(Intercept)", vec![1.0; y.len()]);
        design.push("z", z);
        design.push("x", x);
        let clusters = Clusters::from_labels(&cluster);
        let fit = lm_robust(&design, &y, None, SeType::Cr1, Some(&clusters), &["z"]).unwrap();
        let columns: Vec<&[f64]> = design.columns.iter().map(Vec::as_slice).collect();
        let x = Columns::new(columns, None, y.len()).unwrap();
        let pieces = ClusterPieces::new(&x, &fit.residuals, &clusters).unwrap();
        (pieces, fit.coef[1], fit.std_error[1])
    }

    fn options(weights: WildWeights, draws: u32) -> WildOptions {
        WildOptions {
            draws,
            weights,
            null: WildNull::Impose,
            seed: 7,
            alpha: 0.05,
        }
    }

    #[test]
    fn the_statistic_uses_the_cr1_standard_error_of_the_fit() {
        let (pieces, coef, se) = fixture();
        let codes: Vec<Code> = (0..6).collect();
        let boot = WildBootstrap::new(
            &pieces,
            1,
            coef,
            &codes,
            6,
            &options(WildWeights::Rademacher, 999),
            &Silent,
        )
        .unwrap();
        assert!((boot.se - se).abs() <= 1e-12 * se, "{} {se}", boot.se);
    }

    #[test]
    fn enumeration_counts_every_sign_vector_but_the_two_ties() {
        let (pieces, coef, _) = fixture();
        let codes: Vec<Code> = (0..6).collect();
        let boot = WildBootstrap::new(
            &pieces,
            1,
            coef,
            &codes,
            6,
            &options(WildWeights::Rademacher, 64),
            &Silent,
        )
        .unwrap();
        let result = boot.result(0.05);
        assert!(result.enumerated);
        assert_eq!(result.draws, 64);
        assert_eq!((result.p_value * 64.0).fract(), 0.0);
        // At β₀ = β̂, t = 0: every draw is more extreme except the identity and its negation,
        // whose t* is exactly 0 too (WCR reproduces the data).
        assert_eq!(boot.p_value(coef), 62.0 / 64.0);
        assert!(result.conf_low < coef && coef < result.conf_high);
        // One draw fewer than 2^G: drawn, not enumerated.
        let drawn = WildBootstrap::new(
            &pieces,
            1,
            coef,
            &codes,
            6,
            &options(WildWeights::Rademacher, 63),
            &Silent,
        )
        .unwrap();
        assert!(!drawn.enumerated);
    }

    #[test]
    fn the_result_does_not_depend_on_the_number_of_threads() {
        let (pieces, coef, _) = fixture();
        let codes: Vec<Code> = (0..6).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    WildBootstrap::new(
                        &pieces,
                        1,
                        coef,
                        &codes,
                        6,
                        &options(WildWeights::Webb, 9_999),
                        &Silent,
                    )
                    .unwrap()
                    .result(0.05)
                })
        };
        let one = run(1);
        assert_eq!(one, run(3));
        assert!(!one.enumerated && one.draws == 9_999);
    }

    #[test]
    fn the_weight_distributions_have_mean_zero_and_variance_one() {
        for weights in [
            WildWeights::Rademacher,
            WildWeights::Webb,
            WildWeights::Mammen,
            WildWeights::Normal,
        ] {
            let v: Vec<f64> = (0..4_000)
                .flat_map(|b| draw_weights(weights, 3, b, 10))
                .collect();
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            assert!(mean.abs() < 0.02, "{weights:?} {mean}");
            assert!((var - 1.0).abs() < 0.03, "{weights:?} {var}");
        }
    }
}
