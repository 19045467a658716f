//! Shares by arm for the report's "over time" figure and tables: the mean of an outcome in a
//! group with its standard error and a t confidence interval. The SE is that of lm_robust(y ~ 1)
//! with HC2 (= s/√n), the interval uses n − 1 df, as t.test reports. With clusters (persons
//! of a cluster are not independent) the SE is `lm_robust(y ~ 1, clusters =, se_type = "CR2")`'s
//! and the interval uses its Bell–McCaffrey df, as `lotta estimate --cluster`
//! (tests/reference/balance/clustered.R).

use crate::dist::qt;
use crate::estimate::Code;
use crate::estimate::ols::{DesignMatrix, lm_robust};
use crate::estimate::vcov::{Clusters, SeType};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    pub n: usize,
    pub mean: f64,
    pub std_error: f64,
    pub df: f64,
    pub conf_low: f64,
    pub conf_high: f64,
}

/// Mean of the non-missing values with its SE and `level` (e.g. 0.95) t interval. None when no
/// value is present; SE and interval are NaN when there is only one value.
pub fn mean_ci(values: &[f64], level: f64) -> Option<MeanCi> {
    let present: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = present.len();
    if n == 0 {
        return None;
    }
    let mean = present.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Some(MeanCi {
            n,
            mean,
            std_error: f64::NAN,
            df: 0.0,
            conf_low: f64::NAN,
            conf_high: f64::NAN,
        });
    }
    let variance = present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    let std_error = (variance / n as f64).sqrt();
    let df = n as f64 - 1.0;
    let t = qt(0.5 + level / 2.0, df);
    Some(MeanCi {
        n,
        mean,
        std_error,
        df,
        conf_low: mean - t * std_error,
        conf_high: mean + t * std_error,
    })
}

/// [`mean_ci`] with cluster-robust inference: `clusters[i]` is value i's cluster code. The SE
/// is CR2 and the interval uses the Bell–McCaffrey df; both NaN when they cannot be computed
/// (a single cluster).
pub fn mean_ci_clustered(values: &[f64], clusters: &[Code], level: f64) -> Option<MeanCi> {
    let (present, codes): (Vec<f64>, Vec<Code>) = values
        .iter()
        .zip(clusters)
        .filter(|(v, _)| v.is_finite())
        .map(|(v, c)| (*v, *c))
        .unzip();
    let n = present.len();
    if n == 0 {
        return None;
    }
    let mean = present.iter().sum::<f64>() / n as f64;
    let mut design = DesignMatrix::new();
    design.push("(Intercept)", vec![1.0; n]);
    let groups = Clusters::from_codes(&codes);
    let fit = lm_robust(
        &design,
        &present,
        None,
        SeType::Cr2,
        Some(&groups),
        &["(Intercept)"],
    );
    let (std_error, df) = match fit {
        Ok(f) => (
            f.std_error.first().copied().unwrap_or(f64::NAN),
            f.df.first().copied().unwrap_or(f64::NAN),
        ),
        Err(_) => (f64::NAN, f64::NAN),
    };
    let t = qt(0.5 + level / 2.0, df);
    Some(MeanCi {
        n,
        mean,
        std_error,
        df,
        conf_low: mean - t * std_error,
        conf_high: mean + t * std_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative tolerance against R (values written with 15 significant digits).
    const TOLERANCE: f64 = 1e-10;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOLERANCE * b.abs().max(1.0)
    }

    #[test]
    fn matches_lm_robust_and_t_test() {
        let text = include_str!("../../tests/reference/report/shares.csv");
        let cases: [(&str, Vec<f64>); 3] = [
            ("y1", vec![1., 0., 0., 1., 1., 0., 0., 0., 1., 0., 1., 1.]),
            ("y2", vec![0., 0., 0., 1., 0., 0., 0.]),
            ("y3", vec![0.5, 2.25, 3., 4.75, 1., 0.]),
        ];
        let mut checked = 0;
        for line in text.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            let name = cells[0].trim_matches('"');
            let values = &cases.iter().find(|(n, _)| *n == name).unwrap().1;
            let r: Vec<f64> = cells[1..].iter().map(|c| c.parse().unwrap()).collect();
            let got = mean_ci(values, 0.95).unwrap();
            assert_eq!(got.n as f64, r[0]);
            assert!(close(got.mean, r[1]), "{name} mean");
            assert!(close(got.std_error, r[2]), "{name} se");
            assert!(close(got.df, r[3]), "{name} df");
            assert!(
                close(got.conf_low, r[4]),
                "{name} low {} vs {}",
                got.conf_low,
                r[4]
            );
            assert!(close(got.conf_high, r[5]), "{name} high");
            checked += 1;
        }
        assert_eq!(checked, 3);
    }

    #[test]
    fn missing_values_are_ignored_and_empty_is_none() {
        let got = mean_ci(&[1.0, f64::NAN, 0.0], 0.95).unwrap();
        assert_eq!(got.n, 2);
        assert_eq!(got.mean, 0.5);
        assert!(mean_ci(&[f64::NAN], 0.95).is_none());
        assert!(mean_ci(&[1.0], 0.95).unwrap().std_error.is_nan());
    }
}
