//! Inverse-probability weights from the assignment ledger: each person weighs 1/p, p the
//! probability of the arm they were assigned (Gerber & Green 2012, §4.5). Needed when the
//! probabilities differ across strata or enrolment waves; the weighted fits are lm_robust with
//! weights (see `ols`).

use super::Code;

/// Whether to weight by inverse assignment probabilities from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ipw {
    /// Weight when the ledger's probabilities of an arm differ between people.
    #[default]
    Auto,
    On,
    Off,
}

/// Tolerance under which two probabilities count as equal.
pub const PROBABILITY_TOLERANCE: f64 = 1e-12;

/// True when, within some arm, the probabilities of being assigned to it differ between people.
pub fn probabilities_vary(codes: &[Code], probability: &[f64], arms: usize) -> bool {
    (0..arms).any(|a| {
        let mut ps = codes
            .iter()
            .zip(probability)
            .filter(|(c, _)| **c as usize == a)
            .map(|(_, v)| *v);
        ps.next()
            .is_some_and(|first| ps.any(|v| (v - first).abs() > PROBABILITY_TOLERANCE))
    })
}

/// 1/p for each person.
pub fn inverse_probability_weights(probability: &[f64]) -> Vec<f64> {
    probability.iter().map(|p| 1.0 / p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varying_probabilities_within_an_arm_are_detected() {
        let codes = [0, 1, 1, 0];
        assert!(!probabilities_vary(&codes, &[0.5, 0.5, 0.5, 0.5], 2));
        assert!(!probabilities_vary(
            &codes,
            &[1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0],
            2
        ));
        assert!(probabilities_vary(&codes, &[0.5, 0.5, 2.0 / 3.0, 0.5], 2));
        assert_eq!(inverse_probability_weights(&[0.5, 0.25]), vec![2.0, 4.0]);
    }

    #[test]
    fn three_arms_and_the_tolerance() {
        // Arm 2 has 1/4 for one person and 1/2 for another: varies. Within 1e-13 of each other
        // (below PROBABILITY_TOLERANCE = 1e-12) counts as equal. 1/p: 1/(1/3) = 3 up to
        // rounding, 1/(1/4) = 4 exactly.
        let codes = [0, 1, 2, 2];
        assert!(probabilities_vary(&codes, &[0.25, 0.25, 0.25, 0.5], 3));
        assert!(!probabilities_vary(
            &codes,
            &[0.25, 0.25, 0.5, 0.5 + 1e-13],
            3
        ));
        let w = inverse_probability_weights(&[1.0 / 3.0, 0.25]);
        assert!((w[0] - 3.0).abs() < 1e-15 && w[1] == 4.0, "{w:?}");
    }
}
