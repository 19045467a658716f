//! The statistics randomization inference recomputes for every re-drawn assignment: the
//! (stratified) log-rank χ² and the RMST difference at a fixed τ, for every comparison (an arm
//! against control) and every subgroup. The assignment is re-drawn by the caller (the study's
//! own design from its ledger, `estimate::inference::LedgerReplay`, or permutation within
//! strata); draw r uses the stream `ri/draw=<r>`, draws run in parallel and are collected in
//! draw order, and p-values are counted by `estimate::ri::count`, so results do not depend on
//! the number of threads. A person drawn into an arm outside the comparison is not in it.

use super::EVENT;
use rayon::prelude::*;

/// The persons of one subgroup as positions in time order (increasing), overall and within
/// each stratum.
#[derive(Debug, Clone)]
pub struct Members {
    pub all: Vec<usize>,
    pub by_stratum: Vec<Vec<usize>>,
}

/// Everything the statistics need that does not change between draws, in time order: the
/// statistics then read memory in order, and each draw gathers its arm codes once.
#[derive(Debug, Clone)]
pub struct RiData<'a> {
    /// Times and event codes sorted by time.
    pub time: &'a [f64],
    pub status: &'a [u8],
    /// The person at each sorted position (an index into the arm codes of a draw).
    pub order: &'a [usize],
    /// Per subgroup (`all` first).
    pub members: Vec<Members>,
    /// Per comparison: the arm code compared with code 0 and its τ.
    pub comparisons: Vec<(usize, f64)>,
}

/// Outside the comparison (drawn into another arm).
const OUT: u8 = 2;

impl RiData<'_> {
    /// The statistics for arm codes `codes` (one per person): per comparison, per subgroup,
    /// the log-rank χ² then the RMST difference.
    pub fn statistics(&self, codes: &[usize]) -> Vec<f64> {
        let sorted: Vec<usize> = self
            .order
            .iter()
            .map(|&i| codes.get(i).copied().unwrap_or(usize::MAX))
            .collect();
        let mut out = Vec::new();
        for &(arm, tau) in &self.comparisons {
            let group: Vec<u8> = sorted
                .iter()
                .map(|&c| match c {
                    0 => 0,
                    c if c == arm => 1,
                    _ => OUT,
                })
                .collect();
            for m in &self.members {
                let (mut oe, mut v) = (0.0, 0.0);
                for rows in &m.by_stratum {
                    let (a, b) = logrank_sums(self.time, self.status, rows, &group);
                    oe += a;
                    v += b;
                }
                out.push(if v > 0.0 { oe * oe / v } else { f64::NAN });
                out.push(rmst_difference(self.time, self.status, &m.all, &group, tau));
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

/// O − E of group 1 and V over positions `rows` (time order), persons outside the comparison
/// skipped.
fn logrank_sums(time: &[f64], status: &[u8], rows: &[usize], group: &[u8]) -> (f64, f64) {
    let (mut n, mut n1) = (0.0, 0.0);
    for &j in rows {
        if group[j] != OUT {
            n += 1.0;
            n1 += f64::from(group[j]);
        }
    }
    let (mut oe, mut v) = (0.0, 0.0);
    let mut start = 0;
    while start < rows.len() {
        let t = time[rows[start]];
        let mut end = start;
        let (mut d, mut d1, mut leave, mut leave1) = (0.0, 0.0, 0.0, 0.0);
        while end < rows.len() && time[rows[end]] == t {
            let j = rows[end];
            if group[j] != OUT {
                let g1 = f64::from(group[j]);
                leave += 1.0;
                leave1 += g1;
                if status[j] == EVENT {
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

/// RMST₁ − RMST₀ to τ of the persons at positions `rows` (time order), both arms in one pass:
/// each arm's Kaplan–Meier step holds between the times of either arm, so the areas are summed
/// over the union of their times.
fn rmst_difference(time: &[f64], status: &[u8], rows: &[usize], group: &[u8], tau: f64) -> f64 {
    let mut n = [0.0f64; 2];
    for &j in rows {
        if group[j] != OUT {
            n[usize::from(group[j])] += 1.0;
        }
    }
    if n[0] == 0.0 || n[1] == 0.0 {
        return f64::NAN;
    }
    let (mut s, mut area, mut prev) = ([1.0f64; 2], [0.0f64; 2], 0.0);
    let mut start = 0;
    while start < rows.len() {
        let t = time[rows[start]];
        if t > tau {
            break;
        }
        let mut end = start;
        let (mut d, mut leave) = ([0.0f64; 2], [0.0f64; 2]);
        while end < rows.len() && time[rows[end]] == t {
            let j = rows[end];
            if group[j] != OUT {
                let g = usize::from(group[j]);
                leave[g] += 1.0;
                if status[j] == EVENT {
                    d[g] += 1.0;
                }
            }
            end += 1;
        }
        if leave[0] + leave[1] > 0.0 {
            for g in 0..2 {
                area[g] += s[g] * (t - prev);
                if d[g] > 0.0 {
                    s[g] *= 1.0 - d[g] / n[g];
                }
                n[g] -= leave[g];
            }
            prev = t;
        }
        start = end;
    }
    (area[1] + s[1] * (tau - prev)) - (area[0] + s[0] * (tau - prev))
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
        let order: Vec<usize> = (0..10).collect();
        let data = RiData {
            time: &time,
            status: &status,
            order: &order,
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
