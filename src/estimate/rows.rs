//! The typed result rows of `estimate`: one effect per outcome × subgroup × term, and the
//! attrition rows. What produced a row (estimator, weighting, SE rule) is an enum, written as text
//! only at the edge ([`crate::tidy::effects`]) — by `Display`, the same words the tables have
//! always held, and read back by `FromStr` when `lotta report` re-renders old tables.

use super::Estimator;
use super::vcov::SeType;
use std::fmt;
use std::str::FromStr;

/// Which effect a row estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectKind {
    /// The intention-to-treat effect of the offer, by the run's ITT estimator.
    Itt(Estimator),
    /// The intention-to-treat effect by the difference in means within blocks (the strata:
    /// given, or in a study folder the design's own), weighted by block size (estimatr's
    /// `difference_in_means` with `blocks`; its subgroup differences from the interaction model
    /// with strata fixed effects). Written `dim (blocked)` (issue 12).
    BlockedDim,
    /// The effect of taking part: 2SLS with the offer as instrument (`iv`).
    Participation,
    /// The joint heterogeneity test of a subgroup variable: the Wald F test that every
    /// subgroup effect is equal (`estimate::subgroups`), written `wald`.
    Wald,
}

/// The estimator of a row: what it estimates and whether it is inverse-probability weighted.
/// Written `lin`, `lin (ipw)`, `iv`, `dim (blocked)`, `dim (blocked, ipw)`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowEstimator {
    pub kind: EffectKind,
    pub weighted: bool,
}

/// The family of hypotheses a row belongs to for multiple-testing adjustment: the ITT rows, and
/// apart from them the participation (2SLS) rows, which rescale the same ITT contrasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Itt,
    Participation,
    /// The joint heterogeneity tests, which are not adjusted with the effects they summarize.
    Joint,
}

impl RowEstimator {
    pub fn family(self) -> Family {
        match self.kind {
            EffectKind::Itt(_) | EffectKind::BlockedDim => Family::Itt,
            EffectKind::Participation => Family::Participation,
            EffectKind::Wald => Family::Joint,
        }
    }
}

const WEIGHTED_SUFFIX: &str = " (ipw)";
const BLOCKED_SUFFIX: &str = " (blocked)";
const BLOCKED_WEIGHTED_SUFFIX: &str = " (blocked, ipw)";

impl fmt::Display for RowEstimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, blocked) = match self.kind {
            EffectKind::Itt(e) => (e.label(), false),
            EffectKind::BlockedDim => (Estimator::Dim.label(), true),
            EffectKind::Participation => ("iv", false),
            EffectKind::Wald => ("wald", false),
        };
        let suffix = match (blocked, self.weighted) {
            (false, false) => "",
            (false, true) => WEIGHTED_SUFFIX,
            (true, false) => BLOCKED_SUFFIX,
            (true, true) => BLOCKED_WEIGHTED_SUFFIX,
        };
        write!(f, "{name}{suffix}")
    }
}

impl FromStr for RowEstimator {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let unknown = || format!("unknown estimator `{text}`");
        let (name, blocked, weighted) = if let Some(name) = text.strip_suffix(WEIGHTED_SUFFIX) {
            (name, false, true)
        } else if let Some(name) = text.strip_suffix(BLOCKED_WEIGHTED_SUFFIX) {
            (name, true, true)
        } else if let Some(name) = text.strip_suffix(BLOCKED_SUFFIX) {
            (name, true, false)
        } else {
            (text, false, false)
        };
        let kind = match (name, blocked) {
            ("iv", false) => EffectKind::Participation,
            ("wald", false) => EffectKind::Wald,
            (_, false) => EffectKind::Itt(Estimator::parse(name).ok_or_else(unknown)?),
            (_, true) if Estimator::parse(name) == Some(Estimator::Dim) => EffectKind::BlockedDim,
            (_, true) => return Err(unknown()),
        };
        Ok(RowEstimator { kind, weighted })
    }
}

/// The rule that gave a row its standard error and degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeRule {
    /// A heteroskedasticity- or cluster-robust sandwich from a regression (HC0–HC3, CR0–CR2).
    Robust(SeType),
    /// Neyman's conservative variance of a difference in means (estimatr `difference_in_means`).
    Neyman,
    /// Neyman within blocks, weighted by block size.
    BlockedNeyman,
    /// CR2 within blocks of clusters, weighted by block size.
    BlockedCr2,
    /// The matched-pairs variance (Imai 2008), df = pairs − 1.
    MatchedPairs,
}

impl fmt::Display for SeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeRule::Robust(se) => se.label(),
            SeRule::Neyman => "Neyman",
            SeRule::BlockedNeyman => "blocked Neyman",
            SeRule::BlockedCr2 => "blocked CR2",
            SeRule::MatchedPairs => "matched pairs",
        })
    }
}

impl FromStr for SeRule {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "Neyman" => SeRule::Neyman,
            "blocked Neyman" => SeRule::BlockedNeyman,
            "blocked CR2" => SeRule::BlockedCr2,
            "matched pairs" => SeRule::MatchedPairs,
            _ => SeRule::Robust(
                SeType::parse(text).ok_or_else(|| format!("unknown SE rule `{text}`"))?,
            ),
        })
    }
}

/// One estimated effect: an outcome × subgroup × term, as estimatr's tidy output plus the arm
/// counts and means readers want.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectRow {
    pub outcome: String,
    /// `all`, `<column>=<level>`, or `<column>=<a> - <column>=<b>` for a difference.
    pub subgroup: String,
    /// The treatment column's name (or `<column>=<arm>` with several arms), or the
    /// participation column's name for the 2SLS effect.
    pub term: String,
    pub estimate: f64,
    pub std_error: f64,
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
    pub conf_low: f64,
    pub conf_high: f64,
    /// The estimator, and whether it was inverse-probability weighted.
    pub estimator: RowEstimator,
    /// The SE and df rule (see `docs/methods.md`).
    pub se_type: SeRule,
    /// Complete cases in the arm and in control (counts, also with weights).
    pub n_treated: usize,
    pub n_control: usize,
    /// Outcome means in the arm and in control: weighted (Hájek, Σwy/Σw) when the estimator is
    /// weighted; NaN on difference rows.
    pub mean_treated: f64,
    pub mean_control: f64,
    /// The numerator df of a joint heterogeneity test's F (its `df` is the denominator df);
    /// None on effect rows.
    pub df_num: Option<f64>,
    /// First-stage F of the instrument (2SLS rows only; for a 2SLS difference, the joint F of
    /// the excluded instruments in the first stage of the interaction — see `estimate::iv`).
    pub first_stage_f: Option<f64>,
    /// Multiple-testing adjusted p-value (filled by the adjustment step).
    pub p_value_adjusted: Option<f64>,
    /// Randomization-inference p-value (filled by the RI step).
    pub p_value_ri: Option<f64>,
    /// Randomization-inference interval for a constant additive effect, by test inversion
    /// (overall rows of two-arm studies).
    pub ri_conf_low: Option<f64>,
    pub ri_conf_high: Option<f64>,
    /// Whether randomization inference listed every possible assignment (the p-value is then
    /// exact, k/N) or sampled them.
    pub ri_exact: Option<bool>,
    /// The assignments the randomization p-value counts over: N (all, when exact) or R draws,
    /// less any under which the statistic could not be computed.
    pub ri_draws: Option<u64>,
    /// The smallest randomization p-value the design can give for this row (exact inference
    /// only): the share of assignments whose statistic ties the largest, at least 1/N.
    pub ri_min_p: Option<f64>,
    /// The number of clusters the row's persons are in (None without clusters).
    pub clusters: Option<usize>,
    /// Wild cluster bootstrap p-value of a zero effect (`estimate::wild`; regression rows with
    /// clusters, when asked for).
    pub p_value_wild: Option<f64>,
    /// Wild bootstrap interval by test inversion (±∞ when unbounded).
    pub wild_conf_low: Option<f64>,
    pub wild_conf_high: Option<f64>,
    /// Bootstrap draws (2^G when every Rademacher sign vector was enumerated).
    pub wild_draws: Option<u64>,
    /// Whether the draws were the full enumeration (the p-value is then exact, not Monte Carlo).
    pub wild_enumerated: Option<bool>,
    /// Whether the frozen pre-analysis plan specified this row, computed as planned (None: the
    /// study has no plan; see `crate::plan::is_prespecified`).
    pub prespecified: Option<bool>,
}

/// Missing outcomes by arm, and the test of differential attrition.
#[derive(Debug, Clone, PartialEq)]
pub struct AttritionRow {
    pub outcome: String,
    pub subgroup: String,
    pub arm: String,
    pub n: usize,
    pub n_missing: usize,
    pub rate_missing: f64,
    /// Difference in missing rates (this arm − control), its SE and p-value (HC2); NaN for the
    /// control arm.
    pub difference: f64,
    pub std_error: f64,
    pub p_value: f64,
    /// Fisher's exact test of (this arm, control) × (missing, observed), two-sided; NaN for the
    /// control arm.
    pub p_value_fisher: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_estimator_label_reads_back_as_itself() {
        for kind in [
            EffectKind::Itt(Estimator::Dim),
            EffectKind::Itt(Estimator::Ols),
            EffectKind::Itt(Estimator::Lin),
            EffectKind::Itt(Estimator::Fe),
            EffectKind::BlockedDim,
            EffectKind::Participation,
            EffectKind::Wald,
        ] {
            for weighted in [false, true] {
                let e = RowEstimator { kind, weighted };
                assert_eq!(e.to_string().parse::<RowEstimator>(), Ok(e));
            }
        }
        let iv: RowEstimator = "iv (ipw)".parse().unwrap();
        assert_eq!(iv.family(), Family::Participation);
        assert!(iv.weighted);
        assert!("lin2".parse::<RowEstimator>().is_err());
        // Issue 12: the blocked difference in means says so.
        let blocked = RowEstimator {
            kind: EffectKind::BlockedDim,
            weighted: false,
        };
        assert_eq!(blocked.to_string(), "dim (blocked)");
        let blocked_ipw = RowEstimator {
            weighted: true,
            ..blocked
        };
        assert_eq!(blocked_ipw.to_string(), "dim (blocked, ipw)");
        assert_eq!("dim (blocked, ipw)".parse(), Ok(blocked_ipw));
        assert_eq!(blocked.family(), Family::Itt);
        assert!("lin (blocked)".parse::<RowEstimator>().is_err());
        assert!("iv (blocked)".parse::<RowEstimator>().is_err());
    }

    #[test]
    fn every_se_rule_label_reads_back_as_itself() {
        let rules = [
            SeRule::Robust(SeType::Hc0),
            SeRule::Robust(SeType::Hc2),
            SeRule::Robust(SeType::Cr1),
            SeRule::Robust(SeType::Cr2),
            SeRule::Neyman,
            SeRule::BlockedNeyman,
            SeRule::BlockedCr2,
            SeRule::MatchedPairs,
        ];
        for rule in rules {
            assert_eq!(rule.to_string().parse::<SeRule>(), Ok(rule));
        }
        assert_eq!(SeRule::Robust(SeType::Cr1).to_string(), "CR1");
        assert!("HC9".parse::<SeRule>().is_err());
    }
}
