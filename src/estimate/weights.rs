//! Inverse-probability weights from the assignment ledger: each person weighs 1/p, p the
//! probability of the arm they were assigned (Gerber & Green 2012, §4.5). Needed when the
//! probabilities differ across strata or enrolment waves; the weighted fits are lm_robust with
//! weights (see `ols`).

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
pub fn probabilities_vary(codes: &[usize], probability: &[f64], arms: usize) -> bool {
    (0..arms).any(|a| {
        let mut ps = codes
            .iter()
            .zip(probability)
            .filter(|(c, _)| **c == a)
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
}
