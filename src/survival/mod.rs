//! Survival analysis of time-to-event outcomes (time to first job): pure functions on times,
//! event codes and groups, no files. One estimator per file, each matched to the R function it
//! reproduces and documented with its formula in docs/survival.md:
//! `km` (Kaplan–Meier with Greenwood SE and log CI, as `survival::survfit`), `logrank`
//! (`survival::survdiff`, rho = 0, optionally stratified), `rmst` (restricted mean survival
//! time with survRM2's variance and default τ), `cox` (Cox proportional hazards with Efron ties
//! and robust / cluster-robust variance, as `survival::coxph(robust = TRUE)`), `competing`
//! (Aalen–Johansen cumulative incidence with variance and Gray's test, as `cmprsk::cuminc`).
//!
//! Every function takes observations already sorted by time ([`Sorted`]); ties are handled
//! exactly (no jitter). Event codes: 0 censored, 1 the event (the cause of interest), 2 a
//! competing event (only `competing` distinguishes 2 from 0; the others treat a competing event
//! as censoring: cause-specific analysis).

pub mod analysis;
pub mod competing;
pub mod cox;
pub mod km;
pub mod logrank;
pub mod ri;
mod ri_cells;
pub mod rmst;
pub mod rows;

use crate::error::{Error, Result};

/// Censored.
pub const CENSORED: u8 = 0;
/// The event of interest.
pub const EVENT: u8 = 1;
/// A competing event.
pub const COMPETING: u8 = 2;

/// Observations sorted by time (ascending; ties keep their input order). `group` is 0 for the
/// control arm and 1 for the arm compared with it; `stratum` and `cluster` are codes (0 when
/// not used).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sorted {
    pub time: Vec<f64>,
    pub status: Vec<u8>,
    pub group: Vec<u8>,
    pub stratum: Vec<u32>,
    pub cluster: Vec<u32>,
}

impl Sorted {
    /// Sort the observations by time. Times must be finite and ≥ 0, statuses 0, 1 or 2 and
    /// groups 0 or 1 (the caller checks user data and names the cell; this is the last guard).
    pub fn new(
        time: &[f64],
        status: &[u8],
        group: &[u8],
        stratum: Option<&[u32]>,
        cluster: Option<&[u32]>,
    ) -> Result<Sorted> {
        let n = time.len();
        let same = |len: Option<usize>| len.is_none_or(|l| l == n);
        if status.len() != n
            || group.len() != n
            || !same(stratum.map(<[u32]>::len))
            || !same(cluster.map(<[u32]>::len))
        {
            return Err(Error::compute("survival: columns of different lengths"));
        }
        if let Some(i) = (0..n).find(|&i| !(time[i].is_finite() && time[i] >= 0.0)) {
            return Err(Error::compute(format!(
                "survival: time {} is not a finite number ≥ 0",
                time[i]
            )));
        }
        if status.iter().any(|&s| s > COMPETING) || group.iter().any(|&g| g > 1) {
            return Err(Error::compute(
                "survival: status not 0/1/2 or group not 0/1",
            ));
        }
        let order = time_order(time);
        Ok(Sorted {
            time: order.iter().map(|&i| time[i]).collect(),
            status: order.iter().map(|&i| status[i]).collect(),
            group: order.iter().map(|&i| group[i]).collect(),
            stratum: stratum.map_or_else(|| vec![0; n], |s| order.iter().map(|&i| s[i]).collect()),
            cluster: cluster.map_or_else(|| vec![0; n], |c| order.iter().map(|&i| c[i]).collect()),
        })
    }

    /// The persons `members` (positions into the columns, already in the stable time order of
    /// [`time_order`], as a filter of it keeps them) gathered without sorting again: what
    /// [`Sorted::new`] gives for the same persons. `group` is each position's group (0 or 1).
    pub fn gathered(
        members: &[usize],
        time: &[f64],
        status: &[u8],
        group: impl Fn(usize) -> u8,
        stratum: Option<&[u32]>,
        cluster: Option<&[u32]>,
    ) -> Result<Sorted> {
        let at = |i: usize| members[i];
        if let Some(k) = (1..members.len()).find(|&k| time[at(k - 1)] > time[at(k)]) {
            return Err(Error::compute(format!(
                "survival: persons not in time order at position {k}"
            )));
        }
        let sorted = Sorted {
            time: members.iter().map(|&i| time[i]).collect(),
            status: members.iter().map(|&i| status[i]).collect(),
            group: members.iter().map(|&i| group(i)).collect(),
            stratum: stratum.map_or_else(
                || vec![0; members.len()],
                |s| members.iter().map(|&i| s[i]).collect(),
            ),
            cluster: cluster.map_or_else(
                || vec![0; members.len()],
                |c| members.iter().map(|&i| c[i]).collect(),
            ),
        };
        if let Some(t) = sorted.time.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(Error::compute(format!(
                "survival: time {t} is not a finite number ≥ 0"
            )));
        }
        if sorted.status.iter().any(|&s| s > COMPETING) || sorted.group.iter().any(|&g| g > 1) {
            return Err(Error::compute(
                "survival: status not 0/1/2 or group not 0/1",
            ));
        }
        Ok(sorted)
    }

    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The observations of group `g`, in time order: (times, statuses).
    pub fn group_of(&self, g: u8) -> (Vec<f64>, Vec<u8>) {
        // Sized first: two exact allocations, no growth (a million persons: no copying).
        let n = self.group.iter().filter(|&&x| x == g).count();
        let (mut time, mut status) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for ((&t, &s), _) in self
            .time
            .iter()
            .zip(&self.status)
            .zip(&self.group)
            .filter(|(_, x)| **x == g)
        {
            time.push(t);
            status.push(s);
        }
        (time, status)
    }

    /// Group `g`'s last observed time and whether every observation at it is an event
    /// ([`rmst::last_observation`] of [`Sorted::group_of`], without copying the group).
    pub fn last_observation_of(&self, g: u8) -> Option<(f64, bool)> {
        rmst::last_observation_in(
            (0..self.len())
                .rev()
                .filter(|&i| self.group[i] == g)
                .map(|i| (self.time[i], self.status[i])),
        )
    }

    /// The same observations with another group vector (randomization inference): the order
    /// by time does not change.
    pub fn with_groups(&self, group: Vec<u8>) -> Sorted {
        Sorted {
            group,
            ..self.clone()
        }
    }

    /// The distinct stratum codes, ascending.
    pub fn strata(&self) -> Vec<u32> {
        let mut s = self.stratum.clone();
        s.sort_unstable();
        s.dedup();
        s
    }
}

/// The positions of `time` in increasing order, ties in input order (what a stable sort by
/// `f64::total_cmp` gives). Sorted as (key, position) pairs of integers, the key the bits of
/// the time mapped so that integer order is `total_cmp`'s order: no comparison reaches back
/// into `time`. Many times by a stable least-significant-digit radix sort of the keys, a byte
/// per pass, skipping every byte that all keys share (times in whole days differ in 2–3 bytes
/// only): a few sequential passes instead of n log n comparisons (Knuth, TAOCP vol. 3, §5.2.5).
/// A stable sort of the keys keeps ties in input order, so the order is the same.
pub fn time_order(time: &[f64]) -> Vec<usize> {
    let key = |x: f64| {
        let bits = x.to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        }
    };
    let mut keyed: Vec<(u64, usize)> = time.iter().map(|&t| key(t)).zip(0..).collect();
    if keyed.len() < 4096 {
        keyed.sort_unstable();
    } else {
        radix_sort_stable(&mut keyed);
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Stable LSD radix sort of (key, payload) pairs by key, one byte per pass.
fn radix_sort_stable(items: &mut Vec<(u64, usize)>) {
    let mut counts = [[0usize; 256]; 8];
    for &(k, _) in items.iter() {
        for (b, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * b)) & 0xff) as usize] += 1;
        }
    }
    let n = items.len();
    let mut other = vec![(0u64, 0usize); n];
    for (b, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue; // every key has the same byte here
        }
        let mut next = [0usize; 256];
        let mut sum = 0;
        for (slot, &count) in next.iter_mut().zip(c) {
            *slot = sum;
            sum += count;
        }
        for &item in items.iter() {
            let byte = ((item.0 >> (8 * b)) & 0xff) as usize;
            other[next[byte]] = item;
            next[byte] += 1;
        }
        std::mem::swap(items, &mut other);
    }
}

/// A person's status from the (trimmed, not missing) cell `code` of the event column: `0` is
/// censored; without a cause `1` is the event; with a cause, the cause's label is the event and
/// any other exit competes. None: a code neither 0 nor 1 without a cause (the caller names the
/// cell).
pub fn status_of(code: &str, cause: Option<&str>) -> Option<u8> {
    match (cause, code.parse::<f64>().ok()) {
        (_, Some(0.0)) => Some(CENSORED),
        (None, Some(1.0)) => Some(EVENT),
        (None, _) => None,
        (Some(c), _) if code == c => Some(EVENT),
        (Some(_), _) => Some(COMPETING),
    }
}

/// Runs of equal times in sorted `time`: (start, end) index pairs, end exclusive.
pub fn tie_runs(time: &[f64]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= time.len() {
            return None;
        }
        let mut end = start + 1;
        while end < time.len() && time[end] == time[start] {
            end += 1;
        }
        let run = (start, end);
        start = end;
        Some(run)
    })
}

/// The normal quantile z for a two-sided interval at `level` (0.95 → 1.959964…).
pub fn z_level(level: f64) -> f64 {
    crate::dist::qnorm(1.0 - (1.0 - level) / 2.0)
}

/// Two-sided normal p-value of z.
pub fn normal_p(z: f64) -> f64 {
    2.0 * crate::dist::pnorm(-z.abs())
}

/// P(χ²₁ > x) = 2 Φ(−√x), exact for one degree of freedom (R's `pchisq(x, 1, lower.tail =
/// FALSE)` computes the same quantity through the incomplete gamma function).
pub fn chisq1_upper(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    2.0 * crate::dist::pnorm(-x.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_keeps_rows_together_and_rejects_bad_values() {
        let s = Sorted::new(
            &[3.0, 1.0, 2.0, 1.0],
            &[1, 0, 1, 1],
            &[0, 1, 1, 0],
            None,
            None,
        )
        .unwrap();
        assert_eq!(s.time, [1.0, 1.0, 2.0, 3.0]);
        assert_eq!(s.status, [0, 1, 1, 1]);
        assert_eq!(s.group, [1, 0, 1, 0]);
        assert_eq!(
            tie_runs(&s.time).collect::<Vec<_>>(),
            [(0, 2), (2, 3), (3, 4)]
        );
        assert!(Sorted::new(&[-1.0], &[1], &[0], None, None).is_err());
        assert!(Sorted::new(&[f64::NAN], &[1], &[0], None, None).is_err());
        assert!(Sorted::new(&[1.0], &[3], &[0], None, None).is_err());
        assert!(Sorted::new(&[1.0, 2.0], &[1], &[0], None, None).is_err());
    }

    #[test]
    fn time_order_is_the_stable_total_order() {
        let time = [
            3.0,
            -0.0,
            1.0,
            0.0,
            3.0,
            f64::INFINITY,
            1.0,
            0.0,
            -2.5,
            1e-300,
        ];
        let mut stable: Vec<usize> = (0..time.len()).collect();
        stable.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
        assert_eq!(time_order(&time), stable);
        // Many times (the radix sort): whole days with ties, and fractions, negatives, zeros.
        let mut s = crate::rng::Stream::new(1, "times");
        let many: Vec<f64> = (0..20_000)
            .map(|i| match i % 4 {
                0 => (1 + s.below(540)) as f64,
                1 => s.unit() * 100.0 - 3.0,
                2 => time[i % time.len()],
                _ => (s.below(30) as f64) / 7.0,
            })
            .collect();
        let mut stable: Vec<usize> = (0..many.len()).collect();
        stable.sort_by(|&a, &b| many[a].total_cmp(&many[b]));
        assert_eq!(time_order(&many), stable);
        let days: Vec<f64> = (0..10_000).map(|_| (1 + s.below(540)) as f64).collect();
        let mut stable: Vec<usize> = (0..days.len()).collect();
        stable.sort_by(|&a, &b| days[a].total_cmp(&days[b]));
        assert_eq!(time_order(&days), stable);
    }

    #[test]
    fn event_codes() {
        assert_eq!(status_of("0", None), Some(CENSORED));
        assert_eq!(status_of("1", None), Some(EVENT));
        assert_eq!(status_of("1.0", None), Some(EVENT));
        assert_eq!(status_of("work", None), None);
        assert_eq!(status_of("2", None), None);
        assert_eq!(status_of("0", Some("work")), Some(CENSORED));
        assert_eq!(status_of("work", Some("work")), Some(EVENT));
        assert_eq!(status_of("moved", Some("work")), Some(COMPETING));
    }

    #[test]
    fn chi_square_one_df_matches_the_normal() {
        // pchisq(3.841458820694124, 1, lower.tail = FALSE) = 0.05
        assert!((chisq1_upper(3.841_458_820_694_124) - 0.05).abs() < 1e-15);
        assert_eq!(chisq1_upper(0.0), 1.0);
    }
}
