//! Fieller's confidence set for a ratio of two estimated means, here the incremental
//! cost-effectiveness ratio ΔC/ΔE (Fieller 1954, JRSS B 16:175–185; applied to cost-effectiveness
//! by Willan & O'Brien 1996, Health Economics 5:297–305).

/// The shape of a Fieller confidence set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fieller {
    /// ΔE differs significantly from 0: the set is the bounded interval [low, high].
    Bounded { low: f64, high: f64 },
    /// ΔE does not differ significantly from 0 but the ratio is still informative: the set is the
    /// union of two rays (−∞, low] ∪ [high, ∞), which excludes the interval between them.
    Exclusive { low: f64, high: f64 },
    /// Neither ΔE nor the ratio is determined: every value is in the set (the whole line).
    Unbounded,
    /// The inputs are not finite (e.g. a variance could not be computed).
    Undefined,
}

impl Fieller {
    /// The set {R : (ΔC − RΔE)² ≤ z²(V_C − 2R·C + R²V_E)}, where V_C, V_E are the variances of ΔC
    /// and ΔE and C their covariance (Willan & O'Brien 1996, eq. 4). Written as a quadratic
    /// a R² + b R + c ≤ 0 with a = ΔE² − z²V_E, b = −2(ΔCΔE − z²C), c = ΔC² − z²V_C:
    /// - a > 0 (ΔE/SE(ΔE) exceeds z): bounded, between the roots;
    /// - a < 0 and discriminant b² − 4ac > 0: outside the roots (two rays);
    /// - a < 0 and discriminant ≤ 0: the whole line.
    pub fn compute(dc: f64, de: f64, var_c: f64, var_e: f64, cov: f64, z: f64) -> Fieller {
        if ![dc, de, var_c, var_e, cov, z].iter().all(|v| v.is_finite()) {
            return Fieller::Undefined;
        }
        let z2 = z * z;
        let a = de * de - z2 * var_e;
        let b = -2.0 * (dc * de - z2 * cov);
        let c = dc * dc - z2 * var_c;
        let disc = b * b - 4.0 * a * c;
        if a > 0.0 {
            if disc < 0.0 {
                // Cannot happen for a positive semi-definite covariance matrix (the point
                // estimate always lies in the set); treat rounding as a degenerate interval.
                let r = -b / (2.0 * a);
                return Fieller::Bounded { low: r, high: r };
            }
            let root = disc.sqrt();
            let (r1, r2) = ((-b - root) / (2.0 * a), (-b + root) / (2.0 * a));
            Fieller::Bounded {
                low: r1.min(r2),
                high: r1.max(r2),
            }
        } else if a < 0.0 && disc > 0.0 {
            let root = disc.sqrt();
            let (r1, r2) = ((-b - root) / (2.0 * a), (-b + root) / (2.0 * a));
            Fieller::Exclusive {
                low: r1.min(r2),
                high: r1.max(r2),
            }
        } else {
            Fieller::Unbounded
        }
    }

    /// `bounded`, `exclusive`, `unbounded` or `undefined`.
    pub fn shape(&self) -> &'static str {
        match self {
            Fieller::Bounded { .. } => "bounded",
            Fieller::Exclusive { .. } => "exclusive",
            Fieller::Unbounded => "unbounded",
            Fieller::Undefined => "undefined",
        }
    }

    /// The two finite limits, when there are any (for `Exclusive`, the ends of the two rays).
    pub fn limits(&self) -> (f64, f64) {
        match *self {
            Fieller::Bounded { low, high } | Fieller::Exclusive { low, high } => (low, high),
            _ => (f64::NAN, f64::NAN),
        }
    }

    /// The set in words, with amounts rounded to whole SEK.
    pub fn describe(&self, level: f64) -> String {
        self.describe_per(level, "additional job")
    }

    /// The set in words for a cost per `unit` (e.g. `additional month with a job`).
    pub fn describe_per(&self, level: f64, unit: &str) -> String {
        let pct = level * 100.0;
        match *self {
            Fieller::Bounded { low, high } => {
                format!("the {pct:.0}% Fieller interval is {low:.0} to {high:.0} SEK per {unit}")
            }
            Fieller::Exclusive { low, high } => format!(
                "the {pct:.0}% Fieller set is unbounded and excludes the range between {low:.0} and \
                 {high:.0}: it is every value up to {low:.0} and every value from {high:.0} on, \
                 because the effect does not differ significantly from zero"
            ),
            Fieller::Unbounded => format!(
                "the {pct:.0}% Fieller set is the whole line: the data are consistent with any cost \
                 per {unit}"
            ),
            Fieller::Undefined => "the Fieller set cannot be computed".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_when_effect_is_clearly_nonzero() {
        let f = Fieller::compute(1000.0, 0.1, 100.0_f64.powi(2), 0.02_f64.powi(2), 0.0, 1.96);
        let (lo, hi) = f.limits();
        assert_eq!(f.shape(), "bounded");
        assert!(lo < 10_000.0 && 10_000.0 < hi);
        // The limits solve the defining equation with equality.
        for r in [lo, hi] {
            let lhs = (1000.0 - r * 0.1_f64).powi(2);
            let rhs = 1.96_f64.powi(2) * (100.0_f64.powi(2) + r * r * 0.02_f64.powi(2));
            assert!((lhs - rhs).abs() < 1e-6 * rhs);
        }
    }

    #[test]
    fn exclusive_and_unbounded_cases() {
        // ΔE not significant, ΔC clearly positive: two rays.
        let f = Fieller::compute(5000.0, 0.02, 500.0_f64.powi(2), 0.02_f64.powi(2), 0.0, 1.96);
        assert_eq!(f.shape(), "exclusive");
        let (lo, hi) = f.limits();
        assert!(lo < hi);
        // The point estimate 250,000 lies on a ray, not between the limits.
        assert!(250_000.0 >= hi || 250_000.0 <= lo);
        // Neither significant: the whole line.
        let g = Fieller::compute(10.0, 0.001, 500.0_f64.powi(2), 0.02_f64.powi(2), 0.0, 1.96);
        assert_eq!(g, Fieller::Unbounded);
        assert!(g.describe(0.95).contains("whole line"));
        assert_eq!(
            Fieller::compute(f64::NAN, 1.0, 1.0, 1.0, 0.0, 1.96),
            Fieller::Undefined
        );
    }
}
