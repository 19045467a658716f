//! Competing risks: the Aalen–Johansen cumulative incidence of the cause of interest with its
//! variance, and Gray's test comparing arms, as R's `cmprsk::cuminc(ftime, fstatus, group,
//! strata, rho = 0)` and `cmprsk::timepoints` (cmprsk 2.2-11, Robert Gray; the Fortran
//! subroutines `cinc` and `crst` in `src/cincsub.f` and `src/crstm.f` are followed step by
//! step, in the same order of operations).
//!
//! Cumulative incidence: with the all-cause Kaplan–Meier S(t−) just before a distinct time with
//! n at risk and d₁ events of the cause, F(t) = F(t−) + S(t−) d₁/n. The variance is cmprsk's
//! (Gray's delta-method form, with the tie correction 1 − (d − 1)/(n − 1)); as in cmprsk it is
//! updated at the cause's event times only, so between them it is the value at the last one.
//! `timepoints`: the value at the last event time of the cause ≤ t; nothing beyond the arm's
//! largest observed time. Gray's test (Gray 1988, Ann. Statist. 16:1141–1154): the score for
//! the first group and its variance, summed over strata, χ² = s²/v on 1 df for two arms.

use super::{COMPETING, EVENT, Sorted, chisq1_upper, tie_runs};

/// A cumulative incidence curve: the cause's event times with F and its variance after each,
/// and the largest observed time of the group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cif {
    pub time: Vec<f64>,
    pub estimate: Vec<f64>,
    pub variance: Vec<f64>,
    pub last_time: f64,
}

impl Cif {
    /// The curve of one group's observations sorted by time (status 0/1/2), as `cinc`.
    pub fn fit(time: &[f64], status: &[u8]) -> Cif {
        let n = time.len() as f64;
        let mut out = Cif {
            last_time: time.last().copied().unwrap_or(f64::NAN),
            ..Cif::default()
        };
        let (mut fk, mut f, mut v1, mut v2, mut v3) = (1.0, 0.0, 0.0, 0.0, 0.0);
        let mut rs = n;
        for (start, end) in tie_runs(time) {
            let run = &status[start..end];
            let nd1 = run.iter().filter(|&&s| s == EVENT).count() as f64;
            let nd2 = run.iter().filter(|&&s| s == COMPETING).count() as f64;
            let nd = nd1 + nd2;
            if nd > 0.0 {
                let fkn = fk * (rs - nd) / rs;
                if nd1 > 0.0 {
                    f += fk * nd1 / rs;
                }
                if nd2 > 0.0 && fkn > 0.0 {
                    let t5 = if nd2 > 1.0 {
                        1.0 - (nd2 - 1.0) / (rs - 1.0)
                    } else {
                        1.0
                    };
                    let t6 = fk * fk * t5 * nd2 / (rs * rs);
                    let t3 = 1.0 / fkn;
                    let t4 = f / fkn;
                    v1 += t4 * t4 * t6;
                    v2 += t3 * t4 * t6;
                    v3 += t3 * t3 * t6;
                }
                if nd1 > 0.0 {
                    let t5 = if nd1 > 1.0 {
                        1.0 - (nd1 - 1.0) / (rs - 1.0)
                    } else {
                        1.0
                    };
                    let t6 = fk * fk * t5 * nd1 / (rs * rs);
                    let t3 = if fkn > 0.0 { 1.0 / fkn } else { 0.0 };
                    let t4 = 1.0 + t3 * f;
                    v1 += t4 * t4 * t6;
                    v2 += t3 * t4 * t6;
                    v3 += t3 * t3 * t6;
                    let t2 = f;
                    out.time.push(time[start]);
                    out.estimate.push(f);
                    out.variance.push(v1 + t2 * t2 * v3 - 2.0 * t2 * v2);
                }
                fk = fkn;
            }
            rs = n - end as f64;
        }
        out
    }

    /// F(t) and its variance (as `timepoints`); None beyond the largest observed time.
    pub fn at(&self, t: f64) -> Option<(f64, f64)> {
        if t.is_nan() || t > self.last_time || self.last_time.is_nan() {
            return None;
        }
        Some(
            match self.time.partition_point(|&x| x <= t).checked_sub(1) {
                Some(j) => (self.estimate[j], self.variance[j]),
                None => (0.0, 0.0),
            },
        )
    }
}

/// Gray's test of equal cumulative incidence of the cause in groups 0 and 1, stratified by
/// `data.stratum` (rho = 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gray {
    pub score: f64,
    pub variance: f64,
    pub chisq: f64,
    pub p_value: f64,
}

/// The test (`crstm`: scores and variances summed over strata).
pub fn gray_test(data: &Sorted) -> Gray {
    let mut by: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (i, &s) in data.stratum.iter().enumerate() {
        by.entry(s).or_default().push(i);
    }
    let (mut s, mut v) = (0.0, 0.0);
    for rows in by.values() {
        let (ss, sv) = crst(data, rows, 0.0);
        s += ss;
        v += sv;
    }
    let chisq = if v > 0.0 { s * s / v } else { f64::NAN };
    Gray {
        score: s,
        variance: v,
        chisq,
        p_value: chisq1_upper(chisq),
    }
}

/// `crst` for two groups (cmprsk's group 1 is lotta's group 0, the control arm): the score of
/// group 0 and its variance within one stratum's rows (in time order).
fn crst(data: &Sorted, rows: &[usize], rho: f64) -> (f64, f64) {
    const NG: usize = 2;
    let times: Vec<f64> = rows.iter().map(|&i| data.time[i]).collect();
    let n = rows.len();
    let mut rs = [0.0f64; NG];
    for &i in rows {
        rs[usize::from(data.group[i])] += 1.0;
    }
    let (mut s, mut v) = (0.0, 0.0);
    let (mut f1m, mut f1) = ([0.0; NG], [0.0; NG]);
    let (mut skmm, mut skm) = ([1.0; NG], [1.0; NG]);
    let mut v3 = [0.0; NG];
    let mut v2 = [0.0; NG]; // v2(1, k)
    let mut c = [[0.0; NG]; NG];
    let mut a = [[0.0; NG]; NG];
    let mut fm = 0.0;
    for (ll, lu) in tie_runs(&times) {
        let mut d = [[0.0f64; NG]; 3];
        for &i in &rows[ll..lu] {
            d[usize::from(data.status[i])][usize::from(data.group[i])] += 1.0;
        }
        let nd1 = d[1][0] + d[1][1];
        let nd2 = d[2][0] + d[2][1];
        if nd1 > 0.0 || nd2 > 0.0 {
            let (mut tr, mut tq) = (0.0, 0.0);
            for i in 0..NG {
                if rs[i] <= 0.0 {
                    continue;
                }
                let td = d[1][i] + d[2][i];
                skm[i] = skmm[i] * (rs[i] - td) / rs[i];
                f1[i] = f1m[i] + (skmm[i] * d[1][i]) / rs[i];
                tr += rs[i] / skmm[i];
                tq += rs[i] * (1.0 - f1m[i]) / skmm[i];
            }
            let f = fm + nd1 / tr;
            let fb = (1.0 - fm).powf(rho);
            for i in 0..NG {
                for aij in a[i].iter_mut().skip(i) {
                    *aij = 0.0;
                }
                if rs[i] <= 0.0 {
                    continue;
                }
                let t1 = rs[i] / skmm[i];
                a[i][i] = fb * t1 * (1.0 - t1 / tr);
                if a[i][i] != 0.0 {
                    c[i][i] += a[i][i] * nd1 / (tr * (1.0 - fm));
                }
                for j in i + 1..NG {
                    if rs[j] <= 0.0 {
                        continue;
                    }
                    a[i][j] = -fb * t1 * rs[j] / (skmm[j] * tr);
                    if a[i][j] != 0.0 {
                        c[i][j] += a[i][j] * nd1 / (tr * (1.0 - fm));
                    }
                }
            }
            for i in 1..NG {
                for j in 0..i {
                    a[i][j] = a[j][i];
                    c[i][j] = c[j][i];
                }
            }
            if rs[0] > 0.0 {
                s += fb * (d[1][0] - nd1 * rs[0] * (1.0 - f1m[0]) / (skmm[0] * tq));
            }
            if nd1 > 0.0 {
                for k in 0..NG {
                    if rs[k] <= 0.0 {
                        continue;
                    }
                    let t4 = if skm[k] > 0.0 {
                        1.0 - (1.0 - f) / skm[k]
                    } else {
                        1.0
                    };
                    let t5 = if nd1 > 1.0 {
                        1.0 - (nd1 - 1.0) / (tr * skmm[k] - 1.0)
                    } else {
                        1.0
                    };
                    let t3 = t5 * skmm[k] * nd1 / (tr * rs[k]);
                    v3[k] += t4 * t4 * t3;
                    let t1 = a[0][k] - t4 * c[0][k];
                    v2[k] += t1 * t4 * t3;
                    v += t1 * t1 * t3;
                }
            }
            if nd2 > 0.0 {
                for k in 0..NG {
                    if skm[k] <= 0.0 || d[2][k] <= 0.0 {
                        continue;
                    }
                    let t4 = (1.0 - f) / skm[k];
                    let t5 = if d[2][k] > 1.0 {
                        1.0 - (d[2][k] - 1.0) / (rs[k] - 1.0)
                    } else {
                        1.0
                    };
                    let t6 = rs[k];
                    let t3 = t5 * ((skmm[k] * skmm[k]) * d[2][k]) / (t6 * t6);
                    v3[k] += t4 * t4 * t3;
                    let t1 = t4 * c[0][k];
                    v2[k] -= t1 * t4 * t3;
                    v += t1 * t1 * t3;
                }
            }
            fm = f;
        }
        if lu >= n {
            break;
        }
        for &i in &rows[ll..lu] {
            rs[usize::from(data.group[i])] -= 1.0;
        }
        f1m = f1;
        skmm = skm;
    }
    for k in 0..NG {
        v += c[0][k] * c[0][k] * v3[k];
        v += c[0][k] * v2[k];
        v += c[0][k] * v2[k];
    }
    (s, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_competing_events_the_incidence_is_one_minus_kaplan_meier() {
        let time = [1.0, 2.0, 3.0, 3.0, 4.0, 6.0];
        let status = [1, 0, 1, 1, 0, 1];
        let cif = Cif::fit(&time, &status);
        let km = super::super::km::Curve::fit(&time, &status);
        for t in [0.5, 1.0, 2.5, 3.0, 5.0, 6.0] {
            let (f, _) = cif.at(t).unwrap();
            let s = km.at(t, 1.96).unwrap().surv;
            assert!((f - (1.0 - s)).abs() < 1e-15, "{t}");
        }
        assert!(cif.at(6.5).is_none());
    }
}
