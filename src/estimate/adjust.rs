//! Multiple-testing adjustment of p-values: Holm (1979) and Benjamini–Hochberg (1995), computed
//! exactly as R's `stats::p.adjust` does. NaN p-values (an estimand that could not be computed)
//! stay NaN and are not counted among the m tests, as `p.adjust` drops `NA`s before counting.

/// Which adjustment to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// Holm's step-down method: controls the family-wise error rate.
    Holm,
    /// Benjamini–Hochberg step-up method: controls the false discovery rate.
    BenjaminiHochberg,
}

impl Adjustment {
    /// Parse `holm` or `bh` (also `fdr`, R's alias), case-insensitively.
    pub fn parse(name: &str) -> Option<Adjustment> {
        match name.to_ascii_lowercase().as_str() {
            "holm" => Some(Adjustment::Holm),
            "bh" | "fdr" => Some(Adjustment::BenjaminiHochberg),
            _ => None,
        }
    }

    /// The name used in output columns (`holm`, `bh`).
    pub fn name(self) -> &'static str {
        match self {
            Adjustment::Holm => "holm",
            Adjustment::BenjaminiHochberg => "bh",
        }
    }
}

/// Adjusted p-values, in the order given.
///
/// With the m finite p-values sorted ascending, p₍₁₎ ≤ … ≤ p₍ₘ₎:
/// - Holm: p̃₍ᵢ₎ = min(1, maxⱼ≤ᵢ (m − j + 1) p₍ⱼ₎) (Holm 1979, Scand. J. Statist. 6:65–70);
/// - BH: p̃₍ᵢ₎ = min(1, minⱼ≥ᵢ m p₍ⱼ₎ / j) (Benjamini & Hochberg 1995, JRSS B 57:289–300).
///
/// Ties are ordered by position, as R's `order` does; the result does not depend on it.
pub fn adjust(p: &[f64], method: Adjustment) -> Vec<f64> {
    let mut out = vec![f64::NAN; p.len()];
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = order.len();
    if m == 0 {
        return out;
    }
    // Stable sort: equal p-values keep their input order, like R's order().
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    match method {
        Adjustment::Holm => {
            let mut running = 0.0_f64;
            for (rank, &i) in order.iter().enumerate() {
                let value = (m - rank) as f64 * p[i];
                running = running.max(value);
                out[i] = running.min(1.0);
            }
        }
        Adjustment::BenjaminiHochberg => {
            let mut running = f64::INFINITY;
            for (rank, &i) in order.iter().enumerate().rev() {
                let value = m as f64 / (rank + 1) as f64 * p[i];
                running = running.min(value);
                out[i] = running.min(1.0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_is_kept_and_not_counted() {
        let p = [0.01, f64::NAN, 0.04];
        let holm = adjust(&p, Adjustment::Holm);
        assert_eq!(holm[0], 0.02);
        assert!(holm[1].is_nan());
        assert_eq!(holm[2], 0.04);
        let bh = adjust(&p, Adjustment::BenjaminiHochberg);
        assert_eq!(bh[0], 0.02);
        assert_eq!(bh[2], 0.04);
    }

    #[test]
    fn empty_and_all_nan() {
        assert!(adjust(&[], Adjustment::Holm).is_empty());
        assert!(adjust(&[f64::NAN], Adjustment::BenjaminiHochberg)[0].is_nan());
    }

    #[test]
    fn capped_at_one() {
        assert_eq!(adjust(&[0.6, 0.7], Adjustment::Holm), vec![1.0, 1.0]);
    }

    /// Absolute tolerance: products of a few decimals, far above rounding.
    const TOL: f64 = 1e-15;

    fn all_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < TOL, "got {got:?}, want {want:?}");
        }
    }

    #[test]
    fn holm_by_hand() {
        // p = 0.01, 0.04, 0.03, 0.005 (m = 4); sorted 0.005, 0.01, 0.03, 0.04.
        // (m − j + 1) p₍ⱼ₎ = 4·0.005, 3·0.01, 2·0.03, 1·0.04 = 0.02, 0.03, 0.06, 0.04;
        // running maximum 0.02, 0.03, 0.06, 0.06; back in input order 0.03, 0.06, 0.06, 0.02
        // (R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")).
        let p = [0.01, 0.04, 0.03, 0.005];
        all_close(&adjust(&p, Adjustment::Holm), &[0.03, 0.06, 0.06, 0.02]);
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // Same p: m p₍ⱼ₎ / j = 0.005·4/1, 0.01·4/2, 0.03·4/3, 0.04·4/4 = 0.02, 0.02, 0.04, 0.04;
        // running minimum from the largest down leaves them; input order 0.02, 0.04, 0.04, 0.02
        // (R: p.adjust(..., "BH")).
        let p = [0.01, 0.04, 0.03, 0.005];
        all_close(
            &adjust(&p, Adjustment::BenjaminiHochberg),
            &[0.02, 0.04, 0.04, 0.02],
        );
        // Step-up: 0.01·3/1 = 0.03, 0.02·3/2 = 0.03, 0.03·3/3 = 0.03: all 0.03. Holm on the
        // same: 0.03, 0.04, 0.04 (running maximum of 0.03, 0.04, 0.03).
        let p = [0.02, 0.01, 0.03];
        all_close(
            &adjust(&p, Adjustment::BenjaminiHochberg),
            &[0.03, 0.03, 0.03],
        );
        all_close(&adjust(&p, Adjustment::Holm), &[0.04, 0.03, 0.04]);
    }

    #[test]
    fn parse_names() {
        assert_eq!(Adjustment::parse("BH"), Some(Adjustment::BenjaminiHochberg));
        assert_eq!(Adjustment::parse("holm"), Some(Adjustment::Holm));
        assert_eq!(Adjustment::parse("bonf"), None);
    }
}
