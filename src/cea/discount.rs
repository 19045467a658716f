//! Horizons and discounting of a valued outcome (issue 17): the monthly path of the share in
//! work built from the months at which it was measured, its extrapolation beyond the last
//! measured month (only as an explicit assumption), and the discount factors of benefits and
//! costs.
//!
//! Conventions (stated in docs/cost.md):
//! - Month m (1, 2, …) is counted from randomization; the status measured at month M is the
//!   status of the whole month M, and between measured months it is interpolated linearly from
//!   (0, 0): at randomization the arms do not differ, so the status at month 0 is taken as 0 for
//!   every person. With a column for every month the interpolation is the identity.
//! - Discounting is monthly from an annual rate r, at the end of each month: the factor of month
//!   m is (1 + r)^(−m/12), the monthly rate (1 + r)^(1/12) − 1 being equivalent to r a year
//!   (Drummond et al. 2015, *Methods for the Economic Evaluation of Health Care Programmes*,
//!   4th ed., §4.2.4: present value = Σ_t F_t (1 + r)^(−t); J-PAL, *Conducting
//!   Cost-Effectiveness Analysis (CEA)*, 2016: discount costs and benefits to the programme's
//!   start with the same rate).
//! - Costs followed over C months are taken as spread evenly over them, so a cost c has the
//!   present value c · (1/C) Σ_{m=1}^{C} (1 + r)^(−m/12); C = 0 means paid at the start
//!   (undiscounted).

/// How the effect continues after the last measured month T.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extrapolation {
    /// No effect counted after T (the horizon is T).
    None,
    /// The difference at T continues unchanged through month `to`.
    CarryForward { to: u32 },
    /// The difference at T falls linearly to zero at month `zero_at`:
    /// Δ(m) = Δ(T) · (X − m)/(X − T) for T < m ≤ X.
    LinearDecay { zero_at: u32 },
}

impl Extrapolation {
    /// The last month counted, given the last measured month.
    pub fn horizon(&self, last_measured: u32) -> u32 {
        match *self {
            Extrapolation::None => last_measured,
            Extrapolation::CarryForward { to } => to.max(last_measured),
            Extrapolation::LinearDecay { zero_at } => zero_at.max(last_measured),
        }
    }

    /// `none`, `carry_forward` or `linear_decay` (the tables' words).
    pub fn word(&self) -> &'static str {
        match self {
            Extrapolation::None => "none",
            Extrapolation::CarryForward { .. } => "carry_forward",
            Extrapolation::LinearDecay { .. } => "linear_decay",
        }
    }
}

/// Discount factor of month m at annual rate r: (1 + r)^(−m/12).
pub fn month_factor(annual_rate: f64, month: u32) -> f64 {
    (1.0 + annual_rate).powf(-f64::from(month) / 12.0)
}

/// Present value of one SEK of cost spread evenly over months 1..=`months` (1 when 0).
pub fn cost_factor(annual_rate: f64, months: u32) -> f64 {
    if months == 0 {
        return 1.0;
    }
    (1..=months)
        .map(|m| month_factor(annual_rate, m))
        .sum::<f64>()
        / f64::from(months)
}

/// The monthly path as coefficients on the measured points: row m − 1 (m = 1..=H, H the
/// extrapolation's horizon) holds a_m with ŷ(m) = Σ_j a_m[j] · p_j, where p_j is the status
/// measured at `measured[j]` (months strictly increasing, the first ≥ 1).
pub fn path(measured: &[u32], extrapolation: Extrapolation) -> Vec<Vec<f64>> {
    let j_count = measured.len();
    let Some(&last) = measured.last() else {
        return Vec::new();
    };
    let horizon = extrapolation.horizon(last);
    let mut rows = Vec::with_capacity(horizon as usize);
    for m in 1..=horizon {
        let mut a = vec![0.0; j_count];
        if m <= last {
            // The measured months around m, with (0, 0) before the first.
            let k = measured.iter().position(|&x| x >= m).unwrap_or(j_count - 1);
            if measured[k] == m {
                a[k] = 1.0;
            } else {
                let (m0, m1) = (if k == 0 { 0 } else { measured[k - 1] }, measured[k]);
                let t = f64::from(m - m0) / f64::from(m1 - m0);
                a[k] = t;
                if k > 0 {
                    a[k - 1] = 1.0 - t;
                }
            }
        } else {
            a[j_count - 1] = match extrapolation {
                Extrapolation::None => 0.0,
                Extrapolation::CarryForward { .. } => 1.0,
                Extrapolation::LinearDecay { zero_at } => {
                    f64::from(zero_at - m) / f64::from(zero_at - last)
                }
            };
        }
        rows.push(a);
    }
    rows
}

/// Cumulative discounted weights: row h (h = 0..=H) holds Σ_{m ≤ h} (1 + r)^(−m/12) a_m, so the
/// discounted months in work to month h are that row · p (row 0 is all zeros).
pub fn cumulative_weights(path: &[Vec<f64>], annual_rate: f64) -> Vec<Vec<f64>> {
    let j_count = path.first().map_or(0, Vec::len);
    let mut out = vec![vec![0.0; j_count]];
    let mut running = vec![0.0; j_count];
    for (m, a) in path.iter().enumerate() {
        let d = month_factor(annual_rate, m as u32 + 1);
        for (r, x) in running.iter_mut().zip(a) {
            *r += d * x;
        }
        out.push(running.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_runs_from_zero_through_the_measured_points() {
        let p = path(&[3, 6], Extrapolation::None);
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], vec![1.0 / 3.0, 0.0]);
        assert_eq!(p[2], vec![1.0, 0.0]);
        assert!((p[3][0] - 2.0 / 3.0).abs() < 1e-15 && (p[3][1] - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(p[5], vec![0.0, 1.0]);
    }

    #[test]
    fn extrapolation_carries_or_decays_the_last_point() {
        let carry = path(&[2], Extrapolation::CarryForward { to: 4 });
        assert_eq!(carry.len(), 4);
        assert_eq!(carry[3], vec![1.0]);
        let decay = path(&[2], Extrapolation::LinearDecay { zero_at: 6 });
        assert_eq!(decay.len(), 6);
        assert_eq!(decay[2], vec![0.75]); // month 3: (6 − 3)/(6 − 2)
        assert_eq!(decay[5], vec![0.0]);
    }

    #[test]
    fn discount_factors_follow_the_annual_rate() {
        assert!((month_factor(0.05, 12) - 1.0 / 1.05).abs() < 1e-15);
        assert_eq!(cost_factor(0.03, 0), 1.0);
        assert_eq!(cost_factor(0.0, 27), 1.0);
        let w = cumulative_weights(&path(&[1, 2], Extrapolation::None), 0.0);
        assert_eq!(w, vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![1.0, 1.0]]);
    }
}
