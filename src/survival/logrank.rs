//! The log-rank test of two groups, optionally stratified, as R's
//! `survival::survdiff(Surv(time, status) ~ group [+ strata(s)], rho = 0)`.
//!
//! At each distinct event time within a stratum, with n at risk (n₁ in group 1) and d events:
//! E₁ += d n₁ / n and V += d (n − d) n₁ (n − n₁) / (n² (n − 1)) (for n > 1). Over strata the
//! O₁ − E₁ and V are summed; χ² = (O₁ − E₁)² / V on 1 df. Mantel (1966); Peto & Peto (1972);
//! Therneau, survival package, `survdiff2.c`.

use super::{EVENT, Sorted, chisq1_upper, tie_runs};

/// The test: observed and expected events in group 1, the variance of O − E, χ², p.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRank {
    pub observed: f64,
    pub expected: f64,
    pub variance: f64,
    pub chisq: f64,
    pub p_value: f64,
}

/// O − E and V of group 1 among observations `rows` (indices into `data`, in time order).
fn sums(data: &Sorted, group: &[u8], rows: &[usize]) -> (f64, f64, f64) {
    let times: Vec<f64> = rows.iter().map(|&i| data.time[i]).collect();
    let mut n = rows.len() as f64;
    let mut n1 = rows.iter().filter(|&&i| group[i] == 1).count() as f64;
    let (mut o, mut e, mut v) = (0.0, 0.0, 0.0);
    for (start, end) in tie_runs(&times) {
        let (mut d, mut d1, mut leave1) = (0.0, 0.0, 0.0);
        for &i in &rows[start..end] {
            let g1 = group[i] == 1;
            if data.status[i] == EVENT {
                d += 1.0;
                if g1 {
                    d1 += 1.0;
                }
            }
            if g1 {
                leave1 += 1.0;
            }
        }
        if d > 0.0 {
            o += d1;
            e += d * n1 / n;
            if n > 1.0 {
                v += d * (n - d) * n1 * (n - n1) / (n * n * (n - 1.0));
            }
        }
        n -= (end - start) as f64;
        n1 -= leave1;
    }
    (o, e, v)
}

/// The (stratified) log-rank test of group 1 against group 0, with `group` in place of
/// `data.group` (randomization inference passes re-drawn groups).
pub fn test_with(data: &Sorted, group: &[u8]) -> LogRank {
    let mut by_stratum: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (i, &s) in data.stratum.iter().enumerate() {
        by_stratum.entry(s).or_default().push(i);
    }
    let (mut o, mut e, mut v) = (0.0, 0.0, 0.0);
    for rows in by_stratum.values() {
        let (so, se, sv) = sums(data, group, rows);
        o += so;
        e += se;
        v += sv;
    }
    let chisq = if v > 0.0 {
        (o - e) * (o - e) / v
    } else {
        f64::NAN
    };
    LogRank {
        observed: o,
        expected: e,
        variance: v,
        chisq,
        p_value: chisq1_upper(chisq),
    }
}

/// The (stratified) log-rank test of group 1 against group 0.
pub fn test(data: &Sorted) -> LogRank {
    test_with(data, &data.group)
}

/// The unstratified log-rank χ² for a re-drawn `group` in one pass (no allocation): the
/// statistic randomization inference recomputes for every draw.
pub fn chisq_unstratified(time: &[f64], status: &[u8], group: &[u8]) -> f64 {
    let mut n = time.len() as f64;
    let mut n1 = group.iter().filter(|&&g| g == 1).count() as f64;
    let (mut o_minus_e, mut v) = (0.0, 0.0);
    let mut start = 0;
    while start < time.len() {
        let mut end = start;
        let (mut d, mut d1, mut leave1) = (0.0, 0.0, 0.0);
        while end < time.len() && time[end] == time[start] {
            let g1 = f64::from(group[end]);
            if status[end] == EVENT {
                d += 1.0;
                d1 += g1;
            }
            leave1 += g1;
            end += 1;
        }
        if d > 0.0 {
            o_minus_e += d1 - d * n1 / n;
            if n > 1.0 {
                v += d * (n - d) * n1 * (n - n1) / (n * n * (n - 1.0));
            }
        }
        n -= (end - start) as f64;
        n1 -= leave1;
        start = end;
    }
    if v > 0.0 {
        o_minus_e * o_minus_e / v
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_by_hand() {
        // Group 1 dies at 1, group 0 at 2; one each. t=1: n=2, n1=1, d=1: E=1/2, V=1/4.
        // t=2: n=1, n1=0: E += 0, V += 0. χ² = (1 − 1/2)² / (1/4) = 1.
        let data = Sorted::new(&[1.0, 2.0], &[1, 1], &[1, 0], None, None).unwrap();
        let t = test(&data);
        assert_eq!(
            (t.observed, t.expected, t.variance, t.chisq),
            (1.0, 0.5, 0.25, 1.0)
        );
        let fast = chisq_unstratified(&data.time, &data.status, &data.group);
        assert_eq!(fast, 1.0);
    }
}
