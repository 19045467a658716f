//! Planning a trial: analytic power ([`analytic`]) from a checked question ([`PowerInput`] →
//! [`PowerPlan`]), and power by simulation ([`diagnose`]: simulate → assign → estimate, many
//! times).

pub mod analytic;
pub mod diagnose;
pub mod nct;

pub use analytic::{
    Answer, Clustering, CostPrecision, OutcomeKind, PowerMethod, PowerPlan, Row, Unknown,
};

use crate::error::{Error, Location, Result};

/// The planning question as given (flags over `[power]`), before checking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerInput {
    pub outcome: Option<String>,
    pub method: Option<String>,
    pub baseline: Option<f64>,
    pub baseline_women: Option<f64>,
    pub baseline_men: Option<f64>,
    pub sd: Option<f64>,
    pub n: Option<f64>,
    pub ratio: Option<String>,
    pub alpha: Option<f64>,
    pub power: Option<f64>,
    pub mde: Option<f64>,
    pub r2: Option<f64>,
    pub icc: Option<f64>,
    pub cluster_size: Option<f64>,
    pub clusters: Option<f64>,
    pub share_women: Option<f64>,
    pub cost_per_participant: Option<f64>,
    pub cost_sd: Option<f64>,
    pub effect: Option<f64>,
}

/// Parse a ratio such as `2:1` into the treated share 2/3.
pub fn treated_share(ratio: &str) -> Option<f64> {
    let (a, b) = ratio.split_once(':')?;
    let a: f64 = a.trim().parse().ok()?;
    let b: f64 = b.trim().parse().ok()?;
    (a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0).then(|| a / (a + b))
}

impl PowerPlan {
    /// Check a planning question. `at(name)` locates the flag or spec key `name` (written as
    /// the flag without dashes, e.g. `cluster-size`) for messages.
    pub fn new(input: &PowerInput, at: &dyn Fn(&str) -> Location) -> Result<PowerPlan> {
        let bad = |name: &str, msg: String| Error::spec(at(name), msg);
        let outcome = match input.outcome.as_deref() {
            None | Some("binary") => OutcomeKind::Binary,
            Some("continuous") => OutcomeKind::Continuous,
            Some(other) => {
                return Err(bad(
                    "outcome",
                    format!("`{other}`: expected `binary` or `continuous`"),
                ));
            }
        };
        let clustered =
            input.icc.is_some() || input.cluster_size.is_some() || input.clusters.is_some();
        let method = match input.method.as_deref() {
            None if clustered || outcome == OutcomeKind::Continuous => PowerMethod::T,
            None => PowerMethod::Normal,
            Some("normal") => PowerMethod::Normal,
            Some("t") => PowerMethod::T,
            Some("arcsine") if outcome == OutcomeKind::Binary && !clustered => PowerMethod::Arcsine,
            Some("arcsine") => {
                return Err(bad(
                    "method",
                    "`arcsine` is for a binary outcome without clusters".into(),
                ));
            }
            Some(other) => {
                return Err(bad(
                    "method",
                    format!("`{other}`: expected `normal`, `arcsine` or `t`"),
                ));
            }
        };
        let open_rate = |name: &str, x: f64| -> Result<f64> {
            if x.is_finite() && x > 0.0 && x < 1.0 {
                Ok(x)
            } else {
                Err(bad(
                    name,
                    format!("{x} is not a usable rate: expected a number strictly between 0 and 1"),
                ))
            }
        };
        let (baseline, baseline_by_gender, sd) = match outcome {
            OutcomeKind::Binary => {
                let b = input.baseline.ok_or_else(|| {
                    bad(
                        "baseline",
                        "a binary outcome needs the control rate (--baseline 0.30)".into(),
                    )
                })?;
                let b = open_rate("baseline", b)?;
                let w = open_rate("baseline-women", input.baseline_women.unwrap_or(b))?;
                let m = open_rate("baseline-men", input.baseline_men.unwrap_or(b))?;
                (b, [w, m], f64::NAN)
            }
            OutcomeKind::Continuous => {
                let sd = input.sd.ok_or_else(|| {
                    bad(
                        "sd",
                        "a continuous outcome needs its standard deviation (--sd)".into(),
                    )
                })?;
                if !(sd.is_finite() && sd > 0.0) {
                    return Err(bad(
                        "sd",
                        format!("{sd}: expected a positive standard deviation"),
                    ));
                }
                (f64::NAN, [f64::NAN; 2], sd)
            }
        };
        let treated_share = match input.ratio.as_deref() {
            None => 0.5,
            Some(r) => treated_share(r).ok_or_else(|| {
                bad(
                    "ratio",
                    format!("`{r}`: expected treated:control with positive numbers, e.g. 2:1"),
                )
            })?,
        };
        let alpha = open_rate("alpha", input.alpha.unwrap_or(0.05))?;
        let power = input.power.unwrap_or(0.8);
        if !(power.is_finite() && power > alpha && power < 1.0) {
            return Err(bad(
                "power",
                format!(
                    "{power} is impossible: expected a power above alpha ({alpha}) and below 1"
                ),
            ));
        }
        let r2 = input.r2.unwrap_or(0.0);
        if !(r2.is_finite() && (0.0..1.0).contains(&r2)) {
            return Err(bad(
                "r2",
                format!("{r2}: expected a share of variance explained in [0, 1)"),
            ));
        }
        let share_women = open_rate("share-women", input.share_women.unwrap_or(0.5))?;

        let mut n = input.n;
        if let Some(x) = n
            && !(x.is_finite() && x > 0.0)
        {
            return Err(bad(
                "n",
                format!("{x}: expected a positive number of people"),
            ));
        }
        let clusters = if clustered {
            let icc = input.icc.ok_or_else(|| {
                bad(
                    "icc",
                    "a cluster design needs the intra-cluster correlation (--icc)".into(),
                )
            })?;
            if !(icc.is_finite() && (0.0..1.0).contains(&icc)) {
                return Err(bad(
                    "icc",
                    format!("{icc}: expected an intra-cluster correlation in [0, 1)"),
                ));
            }
            match (input.cluster_size, input.clusters) {
                (Some(m), None) => {
                    if !(m.is_finite() && m >= 1.0) {
                        return Err(bad(
                            "cluster-size",
                            format!("{m}: expected at least 1 person per cluster"),
                        ));
                    }
                    Clustering::Size { icc, m }
                }
                (None, Some(k)) => {
                    if !(k.is_finite() && k >= 3.0) {
                        return Err(bad(
                            "clusters",
                            format!("{k}: expected at least 3 clusters (the t test has K − 2 df)"),
                        ));
                    }
                    Clustering::Count { icc, k }
                }
                (Some(m), Some(k)) => {
                    if n.is_some() {
                        return Err(bad(
                            "clusters",
                            "--n, --cluster-size and --clusters over-determine the design: give two".into(),
                        ));
                    }
                    if !(m.is_finite() && m >= 1.0 && k.is_finite() && k >= 3.0) {
                        return Err(bad(
                            "clusters",
                            format!(
                                "{k} clusters of {m}: expected at least 3 clusters of at least 1"
                            ),
                        ));
                    }
                    n = Some(m * k);
                    Clustering::Size { icc, m }
                }
                (None, None) => {
                    return Err(bad(
                        "icc",
                        "an ICC needs --cluster-size or --clusters".into(),
                    ));
                }
            }
        } else {
            Clustering::None
        };

        let unknown = match (n, input.mde, input.power.is_some()) {
            (Some(_), None, _) => Unknown::Mde,
            (Some(_), Some(_), false) => Unknown::Power,
            (None, Some(_), _) => Unknown::N,
            (Some(_), Some(_), true) => {
                return Err(bad(
                    "mde",
                    "--n, --mde and --power all given: leave out the one to solve for".into(),
                ));
            }
            (None, None, _) => {
                return Err(bad(
                    "n",
                    "give --n (to find the MDE or power) or --mde (to find n)".into(),
                ));
            }
        };
        if let Some(d) = input.mde {
            if !(d.is_finite() && d > 0.0) {
                return Err(bad("mde", format!("{d}: expected a positive effect")));
            }
            if outcome == OutcomeKind::Binary && baseline + d >= 1.0 {
                return Err(bad(
                    "mde",
                    format!("{d}: the baseline {baseline} plus the effect must stay below 1"),
                ));
            }
        }
        let cost_per_participant = input.cost_per_participant;
        if let Some(c) = cost_per_participant
            && (!c.is_finite() || c == 0.0)
        {
            return Err(bad(
                "cost-per-participant",
                format!("{c}: expected a non-zero cost in SEK"),
            ));
        }
        if let Some(s) = input.cost_sd
            && !(s.is_finite() && s >= 0.0)
        {
            return Err(bad(
                "cost-sd",
                format!("{s}: expected a standard deviation ≥ 0"),
            ));
        }
        if let Some(e) = input.effect
            && !(e.is_finite() && e != 0.0)
        {
            return Err(bad("effect", format!("{e}: expected a non-zero effect")));
        }
        let plan = PowerPlan {
            outcome,
            method,
            baseline,
            baseline_by_gender,
            sd,
            treated_share,
            alpha,
            power,
            mde: input.mde,
            n,
            r2,
            clusters,
            share_women,
            cost_per_participant,
            cost_sd: input.cost_sd,
            effect: input.effect,
            unknown,
        };
        if let Some(n) = n {
            let min = plan.smallest_n();
            if n < min {
                return Err(bad(
                    "n",
                    format!(
                        "{n} is too small for this design: expected at least {} (two people per arm in each subgroup and positive degrees of freedom)",
                        min.ceil()
                    ),
                ));
            }
        }
        Ok(plan)
    }
}

/// The randomization-inference resolution of a planned cluster design (issue 14).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomizationResolution {
    /// The number N of distinct assignments: C(K, T) for complete randomization of K clusters,
    /// T treated; 2^(K/2) in matched pairs. None when N exceeds `u128::MAX` (about 3.4 × 10^38,
    /// e.g. 169 clusters, 113 treated): then only [`Self::log10_assignments`] gives its size.
    pub assignments: Option<u128>,
    /// log₁₀ N: of the exact count when N fits in `u128`, else summed term by term
    /// (matched pairs: (K/2)·log₁₀ 2).
    pub log10_assignments: f64,
    /// How many assignments are at least as extreme as the most extreme one: 2 when the design
    /// is 1:1 (pairs, or T = K/2), whose mirror assignment (the arms swapped) gives the same
    /// |statistic|; else 1.
    pub at_least_as_extreme: u128,
    /// The smallest two-sided randomization p-value, `at_least_as_extreme / N`.
    pub smallest_p: f64,
}

/// The resolution of `clusters` clusters, `treated` of them treated, in matched pairs or not.
///
/// The smallest two-sided p-value is 1/N only when no other assignment can tie the observed
/// one. In a 1:1 design the mirror of every assignment (treated and control clusters swapped)
/// is also an assignment, and it turns the difference in means, any least-squares treatment
/// coefficient (ols, fe, Lin's interacted model) and its t statistic into their negatives
/// exactly, so |T| ties and the smallest attainable p is 2/N: 8 municipalities 4:4 give
/// 70 assignments and p ≥ 2/70 = 0.029; 4 matched pairs give 16 and p ≥ 2/16 = 0.125
/// (Imbens & Rubin 2015, §5.5; Young 2019, QJE 134(2), §II). With 5 clusters 2:3 the mirror
/// (3 treated) is not an assignment of the design, and p ≥ 1/10. Exact randomization inference
/// reports the same floor for its data (`ri_min_p`, `estimate::inference::smallest_attainable_p`).
/// None when the design is impossible.
pub fn randomization_resolution(
    clusters: usize,
    treated: usize,
    pairs: bool,
) -> Option<RandomizationResolution> {
    if treated == 0 || treated >= clusters {
        return None;
    }
    let (assignments, log10_assignments) = if pairs {
        if !clusters.is_multiple_of(2) || treated * 2 != clusters {
            return None;
        }
        let pairs = clusters / 2;
        let exact = u32::try_from(pairs)
            .ok()
            .and_then(|p| 1u128.checked_shl(p))
            .filter(|&n| n != 0 && pairs < 128);
        (exact, pairs as f64 * std::f64::consts::LOG10_2)
    } else {
        // `multinomial` saturates at u128::MAX: a count that reaches it is not exact.
        let exact = Some(crate::design::enumerate::multinomial(&[
            treated,
            clusters - treated,
        ]))
        .filter(|&n| n != u128::MAX);
        let log10 = match exact {
            Some(n) => (n as f64).log10(),
            // log₁₀ C(K, T) = Σᵢ log₁₀((K − T + i) / i), i = 1…T: T terms, each rounded once.
            None => (1..=treated)
                .map(|i| ((clusters - treated + i) as f64 / i as f64).log10())
                .sum(),
        };
        (exact, log10)
    };
    let at_least_as_extreme = if treated * 2 == clusters { 2 } else { 1 };
    let smallest_p = match assignments {
        Some(n) => at_least_as_extreme as f64 / n as f64,
        None => at_least_as_extreme as f64 * 10f64.powf(-log10_assignments),
    };
    Some(RandomizationResolution {
        assignments,
        log10_assignments,
        at_least_as_extreme,
        smallest_p,
    })
}

#[cfg(test)]
mod resolution_tests {
    use super::randomization_resolution;

    #[test]
    fn few_clusters_have_few_assignments_and_one_to_one_designs_tie_their_mirror() {
        let r = randomization_resolution(8, 4, false).unwrap();
        assert_eq!((r.assignments, r.at_least_as_extreme), (Some(70), 2));
        assert_eq!(r.smallest_p, 2.0 / 70.0);
        let r = randomization_resolution(8, 4, true).unwrap();
        assert_eq!((r.assignments, r.at_least_as_extreme), (Some(16), 2));
        assert_eq!(r.smallest_p, 0.125);
        assert_eq!(
            randomization_resolution(16, 8, false).unwrap().assignments,
            Some(12_870)
        );
        // 2:3 has no mirror assignment: 1/10.
        let r = randomization_resolution(5, 2, false).unwrap();
        assert_eq!((r.assignments, r.at_least_as_extreme), (Some(10), 1));
        assert_eq!(r.smallest_p, 0.1);
        assert!(randomization_resolution(5, 2, true).is_none());
        assert!(randomization_resolution(4, 0, false).is_none());
    }

    /// Beyond u128 the count is not printed as the saturated u128::MAX (which read as an exact
    /// 340282366920938463463374607431768211455 assignments for 169 clusters) but by its size:
    /// C(169, 113) = 2.691 × 10^45 (R 4.2: `choose(169, 113)` = 2.691083947e+45,
    /// `lchoose(169, 113) / log(10)` = 45.42992725), and 300 matched pairs give 2^300 ≈ 2.04 × 10^90.
    #[test]
    fn counts_past_u128_are_given_by_their_size() {
        let r = randomization_resolution(169, 113, false).unwrap();
        assert_eq!(r.assignments, None);
        assert!((r.log10_assignments - 45.429_927_25).abs() < 1e-8, "{r:?}");
        assert!(
            (r.smallest_p * 2.691_083_947e45 - 1.0).abs() < 1e-8,
            "{r:?}"
        );
        let r = randomization_resolution(600, 300, true).unwrap();
        assert_eq!(r.assignments, None);
        assert!((r.log10_assignments - 300.0 * 2f64.log10()).abs() < 1e-12);
        assert_eq!(r.at_least_as_extreme, 2);
        // Large counts that fit stay exact: 2^127 pairs, C(120, 60) = 9.66 × 10^34 (R:
        // `choose(120, 60)` = 9.66149088403631e+34). C(130, 65) ≈ 9.5 × 10^37 fits in u128 but
        // its product formula does not, so it is given by its size: log₁₀ = 37.978032648189
        // (R: `lchoose(130, 65) / log(10)`).
        let r = randomization_resolution(254, 127, true).unwrap();
        assert_eq!(r.assignments, Some(1u128 << 127));
        let r = randomization_resolution(120, 60, false).unwrap();
        let n = r.assignments.expect("C(120, 60) fits") as f64;
        assert!((n / 9.661_490_884_036_31e34 - 1.0).abs() < 1e-14);
        let r = randomization_resolution(130, 65, false).unwrap();
        assert!(
            (r.log10_assignments - 37.978_032_648_189).abs() < 1e-11,
            "{r:?}"
        );
    }
}
