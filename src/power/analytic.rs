//! Analytic power: minimum detectable effect, power or sample size for a two-arm comparison
//! with unequal allocation, covariates (R²), clusters (ICC, design effect), subgroups (women,
//! men), their difference, and the precision of the cost per additional success.
//!
//! Formulas (see docs in `lotta power --help`):
//! - Standard error of the difference in means (Bloom 1995; Duflo, Glennerster & Kremer 2007,
//!   eq. 11 and 17): SE = σ · √( (1 − R²) · D / (P (1 − P) N) ), P the treated share, N the
//!   number of people, D = 1 + (m − 1) ρ the design effect of clusters of size m with
//!   intra-cluster correlation ρ (D = 1 without clusters). Binary outcome: σ² = p0 (1 − p0).
//! - `normal` (textbook): MDE = (z_{1−α/2} + z_{π}) · SE; power = Φ(δ/SE − z_{1−α/2});
//!   N = ((z_{1−α/2} + z_{π}) σ / δ)² (1 − R²) D / (P (1 − P)).
//! - `arcsine` (Cohen 1988; R's `pwr.2p2n.test`): h = 2 asin √p1 − 2 asin √p0, power =
//!   Φ(h/SE_h − z_{1−α/2}) + Φ(−h/SE_h − z_{1−α/2}), SE_h = √((1 − R²) D / (P (1 − P) N)).
//! - `t` (R's `pwr.t2n.test`): power = P(T > t_{1−α/2,ν}) + P(T < −t_{1−α/2,ν}), T noncentral
//!   t with ν df and noncentrality δ/SE; ν = N − 2 without clusters, K − 2 with K clusters
//!   (Bloom 2005: the df of a cluster-level comparison), ν = N − 4 / K − 2 for the difference
//!   between women and men.
//! - Difference between women and men: SE_d = √(SE_women² + SE_men²) (independent subgroups),
//!   on the outcome scale, with the `normal` formula when the plan asks for `arcsine` (Cohen's h
//!   has no difference-of-differences form): MDE = (z_{1−α/2} + z_π) SE_d.
//! - Scale: `se` is on the outcome scale in every row (for a binary outcome the SE of the
//!   difference in proportions under the null, √(p0 (1 − p0)) · SE_h); an `arcsine` row also
//!   gives SE_h, the SE of Cohen's h, which its power and MDE come from (`se_h`). The cost
//!   precision uses the outcome-scale SE of the overall row (issue 12).
//! - Cost per additional success: ICER = ΔC / ΔE; delta method with independent ΔC and ΔE
//!   (Willan & Briggs 2006, §5.3): SE(ICER) ≈ |ICER| √((SE_C/ΔC)² + (SE_E/ΔE)²), SE_C =
//!   σ_C / √(P (1 − P) N); Fieller's interval solves (ΔC − R ΔE)² = z² (V_C + R² V_E).

use super::nct::{pt_nc, pt_nc_upper};
use crate::dist::{pnorm, qnorm, qt};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Binary,
    Continuous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerMethod {
    Normal,
    Arcsine,
    T,
}

impl PowerMethod {
    pub fn name(self) -> &'static str {
        match self {
            PowerMethod::Normal => "normal",
            PowerMethod::Arcsine => "arcsine",
            PowerMethod::T => "t",
        }
    }
}

/// What a planning question leaves unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    Mde,
    Power,
    N,
}

impl Unknown {
    pub fn name(self) -> &'static str {
        match self {
            Unknown::Mde => "mde",
            Unknown::Power => "power",
            Unknown::N => "n",
        }
    }
}

/// How clusters are described: their size m, or their number K.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clustering {
    None,
    Size { icc: f64, m: f64 },
    Count { icc: f64, k: f64 },
}

/// A validated planning question (built by [`super::PowerPlan::new`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerPlan {
    pub outcome: OutcomeKind,
    pub method: PowerMethod,
    /// Control rate (binary) overall and by gender (women, men).
    pub baseline: f64,
    pub baseline_by_gender: [f64; 2],
    /// Outcome SD (continuous).
    pub sd: f64,
    pub treated_share: f64,
    pub alpha: f64,
    pub power: f64,
    pub mde: Option<f64>,
    pub n: Option<f64>,
    pub r2: f64,
    pub clusters: Clustering,
    pub share_women: f64,
    pub cost_per_participant: Option<f64>,
    pub cost_sd: Option<f64>,
    pub effect: Option<f64>,
    pub unknown: Unknown,
}

/// The answer for one estimand.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `all`, `women`, `men` or `women - men`.
    pub estimand: String,
    /// What the row solves for: the question's unknown on the overall row; the MDE (or the
    /// power, when power was asked) on the others.
    pub solved: Unknown,
    /// The power formula (`women - men` uses `normal` when the plan asks for `arcsine`).
    pub method: PowerMethod,
    /// People the row looks at (everyone for `all` and `women - men`).
    pub n: f64,
    /// Of them, in the treated arm (n × treated share).
    pub n_treated: f64,
    /// Of them, in the control arm.
    pub n_control: f64,
    /// Clusters in the design (None without clusters).
    pub clusters: Option<f64>,
    /// Degrees of freedom of the `t` method (None for `normal` and `arcsine`).
    pub df: Option<f64>,
    /// D = 1 + (m − 1) ρ for the row's cluster size m (1 without clusters; NaN for
    /// `women - men`).
    pub design_effect: f64,
    /// Control rate of a binary outcome (None for a continuous one and for `women - men`).
    pub baseline: Option<f64>,
    /// Outcome SD σ (√(p₀ (1 − p₀)) for a binary outcome, whatever the method; NaN for
    /// `women - men`).
    pub sd: f64,
    /// Two-sided significance level.
    pub alpha: f64,
    /// Power to detect `mde`: solved, or as asked.
    pub power: f64,
    /// Minimum detectable effect in outcome units: solved, or the effect asked about.
    pub mde: f64,
    /// Standard error of the effect estimate on the outcome scale (proportions for a binary
    /// outcome), for every method: σ · √((1 − R²) D / (P (1 − P) N)).
    pub se: f64,
    /// On `arcsine` rows, the standard error of Cohen's h, √((1 − R²) D / (P (1 − P) N)), which
    /// the row's power and MDE come from (None for the other methods and for `women - men`).
    pub se_h: Option<f64>,
}

/// The precision of the cost per additional success.
#[derive(Debug, Clone, PartialEq)]
pub struct CostPrecision {
    /// Incremental cost per participant ΔC (SEK), as given.
    pub incremental_cost: f64,
    /// Effect ΔE: the effect given, or else the overall MDE.
    pub effect: f64,
    /// Cost per additional success, ΔC / ΔE.
    pub icer: f64,
    /// Delta-method standard error of the ICER.
    pub se: f64,
    /// z₁₋α/₂ · se: half the width of the delta-method interval.
    pub half_width: f64,
    /// Fieller's interval; None when unbounded (the effect is not clearly above zero).
    pub fieller: Option<(f64, f64)>,
}

/// The answer to a planning question.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// All, women, men and women − men, in that order.
    pub rows: Vec<Row>,
    /// The precision of the cost per additional success, when a cost per participant is given.
    pub cost: Option<CostPrecision>,
}

/// The part of the design a row looks at: a share of the people (and of each cluster).
#[derive(Debug, Clone, Copy)]
struct Part {
    share: f64,
    baseline: f64,
    /// Extra parameters beyond two (the interaction model has four).
    extra_df: f64,
}

impl PowerPlan {
    /// The outcome SD σ on the outcome scale (for every method: the arcsine method works on
    /// Cohen's h through `effect_to_ncp`/`ncp_to_effect`, never through σ).
    fn sigma(&self, baseline: f64) -> f64 {
        match self.outcome {
            OutcomeKind::Binary => (baseline * (1.0 - baseline)).sqrt(),
            OutcomeKind::Continuous => self.sd,
        }
    }

    /// (design effect, number of clusters) for a part of `n` people.
    fn clustering(&self, n: f64, share: f64) -> (f64, Option<f64>) {
        match self.clusters {
            Clustering::None => (1.0, None),
            Clustering::Size { icc, m } => (1.0 + (m * share - 1.0) * icc, Some(n / m)),
            Clustering::Count { icc, k } => (1.0 + (n * share / k - 1.0) * icc, Some(k)),
        }
    }

    /// SE of the effect per unit σ, the df and the design effect, for a part of `n` people.
    fn se_unit(&self, n: f64, part: Part) -> (f64, f64, f64, Option<f64>) {
        let np = n * part.share;
        let (deff, k) = self.clustering(n, part.share);
        let p = self.treated_share;
        let se = ((1.0 - self.r2) * deff / (p * (1.0 - p) * np)).sqrt();
        let df = match k {
            Some(k) => k - 2.0,
            None => np - 2.0 - part.extra_df,
        };
        (se, df, deff, k)
    }

    /// Power to detect a standardized effect `ncp` = δ/SE.
    fn power_at(&self, ncp: f64, df: f64) -> f64 {
        let ncp = ncp.abs();
        match self.method {
            PowerMethod::Normal => pnorm(ncp - qnorm(1.0 - self.alpha / 2.0)),
            PowerMethod::Arcsine => {
                let z = qnorm(1.0 - self.alpha / 2.0);
                pnorm(ncp - z) + pnorm(-ncp - z)
            }
            PowerMethod::T => {
                let c = qt(1.0 - self.alpha / 2.0, df);
                pt_nc_upper(c, df, ncp) + pt_nc(-c, df, ncp)
            }
        }
    }

    /// The noncentrality at which the power is `self.power`.
    fn ncp_for_power(&self, df: f64) -> f64 {
        match self.method {
            PowerMethod::Normal => qnorm(1.0 - self.alpha / 2.0) + qnorm(self.power),
            _ => {
                let target = self.power;
                bisect(|x| self.power_at(x, df) - target, 0.0, 200.0)
            }
        }
    }

    /// Effect in outcome units ↔ standardized effect.
    fn effect_to_ncp(&self, effect: f64, baseline: f64, se_unit: f64) -> f64 {
        match self.method {
            PowerMethod::Arcsine => {
                let p1 = (baseline + effect).clamp(0.0, 1.0);
                (2.0 * p1.sqrt().asin() - 2.0 * baseline.sqrt().asin()) / se_unit
            }
            _ => effect / (self.sigma(baseline) * se_unit),
        }
    }

    fn ncp_to_effect(&self, ncp: f64, baseline: f64, se_unit: f64) -> f64 {
        match self.method {
            PowerMethod::Arcsine => {
                let angle = baseline.sqrt().asin() + ncp * se_unit / 2.0;
                if angle > std::f64::consts::FRAC_PI_2 {
                    f64::NAN
                } else {
                    angle.sin().powi(2) - baseline
                }
            }
            _ => ncp * self.sigma(baseline) * se_unit,
        }
    }

    fn row(&self, estimand: &str, n: f64, part: Part, solved: Unknown) -> Row {
        let (se_u, df, deff, k) = self.se_unit(n, part);
        let (power, mde) = match (solved, self.mde) {
            (Unknown::Power, Some(effect)) => (
                self.power_at(self.effect_to_ncp(effect, part.baseline, se_u), df),
                effect,
            ),
            (Unknown::N, Some(effect)) => (self.power, effect),
            _ => (
                self.power,
                self.ncp_to_effect(self.ncp_for_power(df), part.baseline, se_u),
            ),
        };
        let p = self.treated_share;
        Row {
            estimand: estimand.to_string(),
            solved,
            method: self.method,
            n: n * part.share,
            n_treated: n * part.share * p,
            n_control: n * part.share - n * part.share * p,
            clusters: k,
            df: (self.method == PowerMethod::T).then_some(df),
            design_effect: deff,
            baseline: (self.outcome == OutcomeKind::Binary).then_some(part.baseline),
            sd: self.sigma(part.baseline),
            alpha: self.alpha,
            power,
            mde,
            se: self.sigma(part.baseline) * se_u,
            se_h: (self.method == PowerMethod::Arcsine).then_some(se_u),
        }
    }

    /// The total sample size giving the target power for `effect` (None when no size can).
    fn solve_n(&self, effect: f64, part: Part) -> Option<f64> {
        let power_of = |n: f64| {
            let (se_u, df, _, _) = self.se_unit(n, part);
            self.power_at(self.effect_to_ncp(effect, part.baseline, se_u), df)
        };
        if let (PowerMethod::Normal, Clustering::None | Clustering::Size { .. }) =
            (self.method, self.clusters)
        {
            // Closed form (DGK eq. 11): SE scales as 1/√N.
            let (se1, _, _, _) = self.se_unit(1.0, part);
            let m = self.ncp_for_power(f64::INFINITY);
            return Some((m * self.sigma(part.baseline) * se1 / effect).powi(2));
        }
        let lo = self.min_n(part);
        let hi = 1e10;
        if power_of(hi) < self.power {
            return None;
        }
        if power_of(lo) >= self.power {
            return Some(lo);
        }
        Some(bisect(|n| power_of(n) - self.power, lo, hi))
    }

    /// The smallest total n for which the design has positive df and 2 people per arm.
    fn min_n(&self, part: Part) -> f64 {
        let p = self.treated_share.min(1.0 - self.treated_share);
        let per_arm = 2.0 / (p * part.share);
        let df_floor = (3.0 + part.extra_df) / part.share;
        let cluster_floor = match self.clusters {
            Clustering::Size { m, .. } => 3.0 * m,
            _ => 0.0,
        };
        per_arm.max(df_floor).max(cluster_floor)
    }

    /// The smallest total n the design can be analysed with: two people per arm in each
    /// gender and positive df for every row.
    pub fn smallest_n(&self) -> f64 {
        let parts = [
            (1.0, 0.0),
            (self.share_women, 0.0),
            (1.0 - self.share_women, 0.0),
            (self.share_women.min(1.0 - self.share_women), 2.0),
        ];
        parts
            .iter()
            .map(|&(share, extra_df)| {
                self.min_n(Part {
                    share,
                    baseline: self.baseline,
                    extra_df,
                })
            })
            .fold(0.0, f64::max)
    }

    /// Answer the planning question: the overall row, women, men, the difference, and the
    /// cost precision.
    pub fn answer(&self) -> Result<Answer> {
        let whole = Part {
            share: 1.0,
            baseline: self.baseline,
            extra_df: 0.0,
        };
        let n = match (self.unknown, self.n, self.mde) {
            (Unknown::N, _, Some(effect)) => self.solve_n(effect, whole).ok_or_else(|| {
                Error::compute(format!(
                    "no number of people reaches power {} for an effect of {effect} with this many clusters",
                    self.power
                ))
                .with_hint("add clusters (--clusters) or accept a larger --mde")
            })?,
            (_, Some(n), _) => n,
            _ => f64::NAN,
        };
        let mut rows = vec![self.row("all", n, whole, self.unknown)];
        let sub = if self.unknown == Unknown::Power {
            Unknown::Power
        } else {
            Unknown::Mde
        };
        let parts = [
            Part {
                share: self.share_women,
                baseline: self.baseline_by_gender[0],
                extra_df: 0.0,
            },
            Part {
                share: 1.0 - self.share_women,
                baseline: self.baseline_by_gender[1],
                extra_df: 0.0,
            },
        ];
        rows.push(self.row("women", n, parts[0], sub));
        rows.push(self.row("men", n, parts[1], sub));
        rows.push(self.difference_row(n, &rows[1], &rows[2], sub));
        let cost = self.cost_precision(&rows[0]);
        Ok(Answer { rows, cost })
    }

    /// Women − men: SE_d = √(SE_w² + SE_m²), on the outcome scale (normal or t; the arcsine
    /// method has no difference-of-differences form, so it uses the normal formula on the
    /// outcome-scale SEs of women and men — never their SEs of h, issue 12).
    fn difference_row(&self, n: f64, women: &Row, men: &Row, solved: Unknown) -> Row {
        let se = (women.se.powi(2) + men.se.powi(2)).sqrt();
        let method = if self.method == PowerMethod::Arcsine {
            PowerMethod::Normal
        } else {
            self.method
        };
        let plan = PowerPlan {
            method,
            ..self.clone()
        };
        let df = match self.clusters {
            Clustering::None => n - 4.0,
            _ => women.clusters.unwrap_or(f64::NAN) - 2.0,
        };
        let (power, mde) = match (solved, self.mde) {
            (Unknown::Power, Some(effect)) => (plan.power_at(effect / se, df), effect),
            _ => (self.power, plan.ncp_for_power(df) * se),
        };
        Row {
            estimand: "women - men".to_string(),
            solved,
            method,
            n,
            n_treated: n * self.treated_share,
            n_control: n - n * self.treated_share,
            clusters: women.clusters,
            df: (method == PowerMethod::T).then_some(df),
            design_effect: f64::NAN,
            baseline: None,
            sd: f64::NAN,
            alpha: self.alpha,
            power,
            mde,
            se,
            se_h: None,
        }
    }

    /// Delta method and Fieller with the overall row's SE on the outcome scale (the ICER's ΔE is
    /// in outcome units under every method).
    fn cost_precision(&self, all: &Row) -> Option<CostPrecision> {
        let c = self.cost_per_participant?;
        let sd_c = self.cost_sd.unwrap_or(0.0);
        let e = self.effect.unwrap_or(all.mde);
        let p = self.treated_share;
        let se_c = sd_c / (p * (1.0 - p) * all.n).sqrt();
        let se_e = all.se;
        let icer = c / e;
        let se = icer.abs() * ((se_c / c).powi(2) + (se_e / e).powi(2)).sqrt();
        let z = qnorm(1.0 - self.alpha / 2.0);
        // Fieller: R² (E² − z² V_E) − 2 C E R + (C² − z² V_C) = 0.
        let a = e * e - z * z * se_e * se_e;
        let b = -2.0 * c * e;
        let cc = c * c - z * z * se_c * se_c;
        let disc = b * b - 4.0 * a * cc;
        let fieller = (a > 0.0 && disc >= 0.0).then(|| {
            let r1 = (-b - disc.sqrt()) / (2.0 * a);
            let r2 = (-b + disc.sqrt()) / (2.0 * a);
            (r1.min(r2), r1.max(r2))
        });
        Some(CostPrecision {
            incremental_cost: c,
            effect: e,
            icer,
            se,
            half_width: z * se,
            fieller,
        })
    }
}

/// Root of an increasing function on [lo, hi] by bisection to full precision.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi.abs().max(1e-300) {
            break;
        }
    }
    0.5 * (lo + hi)
}
