//! The statistics randomization inference recomputes for every re-drawn assignment: the
//! (stratified) log-rank χ² and the RMST difference at a fixed τ, for every comparison (an arm
//! against control) and every subgroup. The assignment is re-drawn by the caller (the study's
//! own design from its ledger, `estimate::inference::LedgerReplay`, or permutation within
//! strata); draw r uses the stream `ri/draw=<r>`, draws run in parallel and are collected in
//! draw order, and p-values are counted by `estimate::ri::count`, so results do not depend on
//! the number of threads. A person drawn into an arm outside the comparison is not in it.

use super::EVENT;
use rayon::prelude::*;

/// The persons of one subgroup in time order, overall and within each stratum.
#[derive(Debug, Clone)]
pub struct Members {
    pub all: Vec<usize>,
    pub by_stratum: Vec<Vec<usize>>,
}

/// Everything the statistics need that does not change between draws.
#[derive(Debug, Clone)]
pub struct RiData<'a> {
    pub time: &'a [f64],
    pub status: &'a [u8],
    /// Per subgroup (`all` first).
    pub members: Vec<Members>,
    /// Per comparison: the arm code compared with code 0 and its τ.
    pub comparisons: Vec<(usize, f64)>,
}

impl RiData<'_> {
    /// The statistics for arm codes `codes` (one per person): per comparison, per subgroup,
    /// the log-rank χ² then the RMST difference.
    pub fn statistics(&self, codes: &[usize]) -> Vec<f64> {
        let mut out = Vec::new();
        for &(arm, tau) in &self.comparisons {
            let group = |i: usize| match codes[i] {
                0 => Some(0u8),
                c if c == arm => Some(1u8),
                _ => None,
            };
            for m in &self.members {
                let (mut oe, mut v) = (0.0, 0.0);
                for rows in &m.by_stratum {
                    let (a, b) = logrank_sums(self.time, self.status, rows, &group);
                    oe += a;
                    v += b;
                }
                out.push(if v > 0.0 { oe * oe / v } else { f64::NAN });
                let r1 = rmst_of(self.time, self.status, &m.all, |i| group(i) == Some(1), tau);
                let r0 = rmst_of(self.time, self.status, &m.all, |i| group(i) == Some(0), tau);
                out.push(r1 - r0);
            }
        }
        out
    }

    /// The statistics of `draws` re-drawn assignments, in draw order.
    pub fn simulate(
        &self,
        draws: usize,
        draw: &(dyn Fn(usize) -> Vec<usize> + Sync),
    ) -> Vec<Vec<f64>> {
        (0..draws)
            .into_par_iter()
            .map(|r| self.statistics(&draw(r)))
            .collect()
    }
}

/// O − E of group 1 and V over `rows` (time order), persons outside the comparison skipped.
fn logrank_sums(
    time: &[f64],
    status: &[u8],
    rows: &[usize],
    group: &dyn Fn(usize) -> Option<u8>,
) -> (f64, f64) {
    let (mut n, mut n1) = (0.0, 0.0);
    for &i in rows {
        match group(i) {
            Some(1) => {
                n += 1.0;
                n1 += 1.0;
            }
            Some(_) => n += 1.0,
            None => {}
        }
    }
    let (mut oe, mut v) = (0.0, 0.0);
    let mut start = 0;
    while start < rows.len() {
        let t = time[rows[start]];
        let mut end = start;
        let (mut d, mut d1, mut leave, mut leave1) = (0.0, 0.0, 0.0, 0.0);
        while end < rows.len() && time[rows[end]] == t {
            let i = rows[end];
            if let Some(g) = group(i) {
                let g1 = f64::from(g);
                leave += 1.0;
                leave1 += g1;
                if status[i] == EVENT {
                    d += 1.0;
                    d1 += g1;
                }
            }
            end += 1;
        }
        if d > 0.0 {
            oe += d1 - d * n1 / n;
            if n > 1.0 {
                v += d * (n - d) * n1 * (n - n1) / (n * n * (n - 1.0));
            }
        }
        n -= leave;
        n1 -= leave1;
        start = end;
    }
    (oe, v)
}

/// The RMST to τ of the persons of `rows` (time order) for whom `keep` holds.
fn rmst_of(
    time: &[f64],
    status: &[u8],
    rows: &[usize],
    keep: impl Fn(usize) -> bool,
    tau: f64,
) -> f64 {
    let mut n = rows.iter().filter(|&&i| keep(i)).count() as f64;
    if n == 0.0 {
        return f64::NAN;
    }
    let (mut s, mut prev, mut area) = (1.0, 0.0, 0.0);
    let mut start = 0;
    while start < rows.len() {
        let t = time[rows[start]];
        if t > tau {
            break;
        }
        let mut end = start;
        let (mut d, mut leave) = (0.0, 0.0);
        while end < rows.len() && time[rows[end]] == t {
            let i = rows[end];
            if keep(i) {
                leave += 1.0;
                if status[i] == EVENT {
                    d += 1.0;
                }
            }
            end += 1;
        }
        if leave > 0.0 {
            area += s * (t - prev);
            prev = t;
            if d > 0.0 {
                s *= 1.0 - d / n;
            }
            n -= leave;
        }
        start = end;
    }
    area + s * (tau - prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survival::{Sorted, km::Curve, logrank, rmst};

    #[test]
    fn the_statistics_agree_with_the_estimators() {
        let time = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let status = [1, 1, 0, 1, 1, 1, 0, 1, 1, 0];
        let codes = [1, 0, 1, 1, 0, 1, 0, 0, 1, 2];
        let members = Members {
            all: (0..10).collect(),
            by_stratum: vec![(0..10).collect()],
        };
        let data = RiData {
            time: &time,
            status: &status,
            members: vec![members],
            comparisons: vec![(1, 6.5)],
        };
        let stats = data.statistics(&codes);
        let keep: Vec<usize> = (0..9).collect();
        let t: Vec<f64> = keep.iter().map(|&i| time[i]).collect();
        let s: Vec<u8> = keep.iter().map(|&i| status[i]).collect();
        let g: Vec<u8> = keep.iter().map(|&i| codes[i] as u8).collect();
        let sorted = Sorted::new(&t, &s, &g, None, None).unwrap();
        assert!((stats[0] - logrank::test(&sorted).chisq).abs() < 1e-12);
        let (t1, s1) = sorted.group_of(1);
        let (t0, s0) = sorted.group_of(0);
        let d = rmst::rmst(&Curve::fit(&t1, &s1), 6.5).estimate
            - rmst::rmst(&Curve::fit(&t0, &s0), 6.5).estimate;
        assert!((stats[1] - d).abs() < 1e-12);
    }
}
