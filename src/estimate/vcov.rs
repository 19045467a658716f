//! Robust variance estimators of least-squares coefficients and their degrees of freedom:
//! HC0–HC3 (heteroskedasticity-consistent) and CR0, CR1 (Stata) and CR2 (Bell–McCaffrey) cluster
//! estimators, as estimatr's `lm_robust` computes them (estimatr "Mathematical notes";
//! MacKinnon & White 1985; Bell & McCaffrey 2002; Pustejovsky & Tipton 2018).
//!
//! CR2 is computed in the k × k form: for a cluster s with rows X_s, the adjustment
//! A_s = (I − X_s M X_s')^{-1/2} (M = (X'X)⁻¹) is never built. With M = R⁻¹R⁻ᵀ and
//! Z = X_s R⁻¹, X_s M X_s' = Z Z', and for any f, f(ZZ') = f(0) I + Z V diag((f(d)−f(0))/d) V' Z'
//! where Z'Z = R⁻ᵀ X_s'X_s R⁻¹ = V diag(d) V'. So X_s'A_s e_s and X_s'A_s X_s need only
//! X_s'X_s and X_s'e_s. Eigenvalues 1 − d ≤ 1e-12 get a zero inverse square root, as estimatr.

use crate::categorical::Codes;
use crate::error::{Error, Result};
use crate::linalg;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

/// Eigenvalues of I − H_ss at or below this count as zero (estimatr's `lm_variance_cr2`).
pub const CR2_EIGEN_TOLERANCE: f64 = 1e-12;

/// The variance estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeType {
    Hc0,
    Hc1,
    Hc2,
    Hc3,
    Cr0,
    /// Stata's cluster-robust estimator (estimatr's `"stata"`).
    Cr1,
    Cr2,
}

impl SeType {
    /// Parse `hc0`..`hc3`, `cr0`, `cr1` (or `stata`), `cr2`, case-insensitively.
    pub fn parse(text: &str) -> Option<SeType> {
        Some(match text.to_ascii_lowercase().as_str() {
            "hc0" => SeType::Hc0,
            "hc1" => SeType::Hc1,
            "hc2" => SeType::Hc2,
            "hc3" => SeType::Hc3,
            "cr0" => SeType::Cr0,
            "cr1" | "stata" => SeType::Cr1,
            "cr2" => SeType::Cr2,
            _ => return None,
        })
    }

    /// The label in output rows.
    pub fn label(self) -> &'static str {
        match self {
            SeType::Hc0 => "HC0",
            SeType::Hc1 => "HC1",
            SeType::Hc2 => "HC2",
            SeType::Hc3 => "HC3",
            SeType::Cr0 => "CR0",
            SeType::Cr1 => "CR1",
            SeType::Cr2 => "CR2",
        }
    }

    pub fn is_cluster(self) -> bool {
        matches!(self, SeType::Cr0 | SeType::Cr1 | SeType::Cr2)
    }

    /// The degrees-of-freedom rule that goes with this estimator, for output rows.
    pub fn df_rule(self) -> &'static str {
        match self {
            SeType::Hc0 | SeType::Hc1 | SeType::Hc2 | SeType::Hc3 => "n-k",
            SeType::Cr0 | SeType::Cr1 => "G-1",
            SeType::Cr2 => "Bell-McCaffrey",
        }
    }
}

/// Cluster membership: `index[i]` in `0..count` for every row.
#[derive(Debug, Clone)]
pub struct Clusters {
    pub index: Vec<usize>,
    pub count: usize,
}

impl Clusters {
    /// Clusters from labels, numbered in sorted label order (byte order).
    pub fn from_labels<S: AsRef<str>>(labels: &[S]) -> Clusters {
        Clusters::from(Codes::sorted(labels.iter().map(AsRef::as_ref)))
    }

    /// Clusters from the codes of a cluster factor on some rows, renumbered `0..count` in code
    /// order (a subset of rows may lack some clusters).
    pub fn from_codes(codes: &[usize]) -> Clusters {
        Clusters::from(Codes::sorted(codes.iter().copied()))
    }

    /// Row indices of each cluster, in row order within a cluster.
    fn members(&self) -> Vec<Vec<usize>> {
        let mut members = vec![Vec::new(); self.count];
        for (i, &g) in self.index.iter().enumerate() {
            if let Some(m) = members.get_mut(g) {
                m.push(i);
            }
        }
        members.retain(|m| !m.is_empty());
        members
    }
}

impl<K> From<Codes<K>> for Clusters {
    fn from(c: Codes<K>) -> Clusters {
        Clusters {
            count: c.levels.len(),
            index: c.codes,
        }
    }
}

/// A variance matrix of the kept coefficients and the degrees of freedom of each.
#[derive(Debug, Clone)]
pub struct Vcov {
    pub matrix: DMatrix<f64>,
    /// Degrees of freedom per coefficient (NaN where not computed: CR2 df is computed only for
    /// the coefficients asked for).
    pub df: Vec<f64>,
}

/// The robust variance of the coefficients of a least-squares fit.
///
/// `x` holds the kept columns (n × k; already multiplied by √w for weighted fits), `residuals`
/// the (weighted) residuals, `r` the R factor of `x`. `df_for` lists the coefficients whose CR2
/// degrees of freedom are wanted.
pub fn robust_vcov(
    x: &linalg::Columns<'_>,
    residuals: &[f64],
    r: &DMatrix<f64>,
    se: SeType,
    clusters: Option<&Clusters>,
    df_for: &[usize],
) -> Result<Vcov> {
    let n = x.nrows();
    let k = x.ncols();
    let r_inv = r
        .clone()
        .solve_upper_triangular(&DMatrix::identity(k, k))
        .ok_or_else(|| Error::compute("singular design matrix"))?;
    // (X'X)⁻¹ = R⁻¹R⁻ᵀ, used only to form the sandwich, never to solve.
    let m = &r_inv * r_inv.transpose();
    let nf = n as f64;
    let kf = k as f64;
    if !se.is_cluster() {
        let omega: Vec<f64> = match se {
            SeType::Hc0 | SeType::Hc1 => residuals.iter().map(|e| e * e).collect(),
            SeType::Hc2 | SeType::Hc3 => {
                let mut omega = linalg::leverages(x, &r_inv);
                let power = if se == SeType::Hc2 { 1 } else { 2 };
                for (h, e) in omega.iter_mut().zip(residuals) {
                    *h = e * e / (1.0 - *h).powi(power);
                }
                omega
            }
            _ => unreachable!("cluster types handled below"),
        };
        let meat = linalg::weighted_crossprod(x, &omega);
        let mut v = &m * meat * &m;
        if se == SeType::Hc1 {
            v *= nf / (nf - kf);
        }
        return Ok(Vcov {
            matrix: symmetrize(v),
            df: vec![nf - kf; k],
        });
    }
    let clusters = clusters.ok_or_else(|| {
        Error::compute(format!(
            "{} standard errors need a cluster column",
            se.label()
        ))
    })?;
    let members = clusters.members();
    let g = members.len();
    if g < 2 {
        return Err(Error::compute(format!(
            "cluster-robust standard errors need at least 2 clusters; the data have {g}"
        ))
        .with_hint("a single cluster carries no information about the variance between clusters; drop --cluster or use more clusters"));
    }
    let gf = g as f64;
    match se {
        SeType::Cr0 | SeType::Cr1 => {
            let halves: Vec<DVector<f64>> = members
                .par_iter()
                .map(|rows| {
                    let mut h = DVector::zeros(k);
                    for &i in rows {
                        for j in 0..k {
                            h[j] += x.get(i, j) * residuals[i];
                        }
                    }
                    h
                })
                .collect();
            let meat = halves
                .iter()
                .fold(DMatrix::zeros(k, k), |acc, h| acc + h * h.transpose());
            let mut v = &m * meat * &m;
            if se == SeType::Cr1 {
                // Stata: G/(G−1) · (n−1)/(n−k).
                v *= gf * (nf - 1.0) / ((gf - 1.0) * (nf - kf));
            }
            Ok(Vcov {
                matrix: symmetrize(v),
                df: vec![gf - 1.0; k],
            })
        }
        SeType::Cr2 => cr2(x, residuals, &r_inv, &m, &members, df_for),
        _ => unreachable!("HC types handled above"),
    }
}

/// One cluster's contributions to the CR2 meat and to the Bell–McCaffrey df.
struct Cr2Cluster {
    /// X_s' A_s e_s.
    half: DVector<f64>,
    /// For each coefficient in `df_for`: w_s = X_s'A_sX_s M e_j and D_s = e_j'M X_s'A_s²X_s M e_j.
    df_parts: Vec<(DVector<f64>, f64)>,
}

fn cr2(
    x: &linalg::Columns<'_>,
    residuals: &[f64],
    r_inv: &DMatrix<f64>,
    m: &DMatrix<f64>,
    members: &[Vec<usize>],
    df_for: &[usize],
) -> Result<Vcov> {
    let k = x.ncols();
    let parts: Vec<Cr2Cluster> = members
        .par_iter()
        .map(|rows| {
            let mut s = DMatrix::<f64>::zeros(k, k);
            let mut xe = DVector::<f64>::zeros(k);
            let mut xi = vec![0.0; k];
            for &i in rows {
                for (j, v) in xi.iter_mut().enumerate() {
                    *v = x.get(i, j);
                }
                for a in 0..k {
                    xe[a] += xi[a] * residuals[i];
                    for b in 0..=a {
                        s[(a, b)] += xi[a] * xi[b];
                    }
                }
            }
            for a in 0..k {
                for b in 0..a {
                    s[(b, a)] = s[(a, b)];
                }
            }
            let ztz = symmetrize(r_inv.transpose() * &s * r_inv);
            let eig = ztz.symmetric_eigen();
            let c = r_inv * &eig.eigenvectors;
            // φ(d) = ((1−d)^{-1/2} − 1)/d = 1/(√(1−d)(1+√(1−d))), ψ(d) = ((1−d)⁻¹ − 1)/d = 1/(1−d);
            // with the pseudo-inverse (zero) where 1 − d ≤ tolerance.
            let (phi, psi): (Vec<f64>, Vec<f64>) = eig
                .eigenvalues
                .iter()
                .map(|&d| {
                    let one_minus = 1.0 - d;
                    if one_minus > CR2_EIGEN_TOLERANCE {
                        let root = one_minus.sqrt();
                        (1.0 / (root * (1.0 + root)), 1.0 / one_minus)
                    } else {
                        (-1.0 / d, -1.0 / d)
                    }
                })
                .unzip();
            let sc = &s * &c;
            let adjusted = |f: &[f64]| -> DMatrix<f64> {
                let mut scaled = sc.clone();
                for (j, mut col) in scaled.column_iter_mut().enumerate() {
                    col *= f[j];
                }
                &scaled * sc.transpose()
            };
            let ct_xe = c.transpose() * &xe;
            let phi_ct_xe = DVector::from_iterator(k, ct_xe.iter().zip(&phi).map(|(a, b)| a * b));
            let half = &xe + &sc * phi_ct_xe;
            let df_parts = if df_for.is_empty() {
                Vec::new()
            } else {
                let t = &s + adjusted(&phi);
                let u = &s + adjusted(&psi);
                df_for
                    .iter()
                    .map(|&j| {
                        let mj = m.column(j).into_owned();
                        let w = &t * &mj;
                        let d = mj.dot(&(&u * &mj));
                        (w, d)
                    })
                    .collect()
            };
            Cr2Cluster { half, df_parts }
        })
        .collect();
    let meat = parts.iter().fold(DMatrix::zeros(k, k), |acc, p| {
        acc + &p.half * p.half.transpose()
    });
    let v = m * meat * m;
    let mut df = vec![f64::NAN; k];
    for (slot, &j) in df_for.iter().enumerate() {
        // Bell–McCaffrey df (estimatr, clubSandwich): (Σλ)²/Σλ² over the eigenvalues λ of
        // G'G = diag(D) − W'MW, i.e. tr(G'G)² / ‖G'G‖²_F, computed in k × k:
        // ‖W'MW‖²_F = tr(M P M P) with P = Σ w_s w_s'.
        let mut trace = 0.0;
        let mut frob = 0.0;
        let mut p = DMatrix::<f64>::zeros(k, k);
        for part in &parts {
            let (w, d) = &part.df_parts[slot];
            let wmw = w.dot(&(m * w));
            trace += d - wmw;
            frob += d * d - 2.0 * d * wmw;
            p += w * w.transpose();
        }
        let mp = m * &p;
        frob += (&mp * &mp).trace();
        if j < k {
            df[j] = trace * trace / frob;
        }
    }
    Ok(Vcov {
        matrix: symmetrize(v),
        df,
    })
}

fn symmetrize(v: DMatrix<f64>) -> DMatrix<f64> {
    (&v + v.transpose()) * 0.5
}

#[cfg(test)]
mod tests {
    //! The intercept-only model makes the cluster-robust variances closed forms: β̂ = ȳ, X = 1,
    //! (X'X)⁻¹ = 1/n, so CR0 = Σ_g (Σ_{i∈g} eᵢ)² / n² (Cameron & Miller 2015, eq. 11).
    use super::*;
    use crate::estimate::ols::{DesignMatrix, lm_robust};

    /// Absolute tolerance: sums of six small numbers, far above rounding.
    const TOL: f64 = 1e-12;

    fn close(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < TOL, "{what}: got {got}, want {want}");
    }

    /// y = 1, 3 | 2, 6 | 4, 8 in three clusters of two: ȳ = 4, residuals −3, −1 | −2, 2 | 0, 4,
    /// cluster sums −4, 0, 4, Σ s² = 32, n = 6, G = 3.
    fn intercept_only() -> (DesignMatrix, Vec<f64>, Clusters) {
        let mut d = DesignMatrix::new();
        d.push("(Intercept)", vec![1.0; 6]);
        let clusters = Clusters::from_labels(&["a", "a", "b", "b", "c", "c"]);
        (d, vec![1.0, 3.0, 2.0, 6.0, 4.0, 8.0], clusters)
    }

    #[test]
    fn cr0_and_cr1_of_a_mean() {
        let (d, y, cl) = intercept_only();
        // CR0 = 32/36 = 8/9, df G − 1 = 2.
        let fit = lm_robust(&d, &y, None, SeType::Cr0, Some(&cl), &[]).unwrap();
        close(fit.coef[0], 4.0, "mean");
        close(fit.std_error[0], (8.0_f64 / 9.0).sqrt(), "CR0");
        close(fit.df[0], 2.0, "df");
        // CR1 (Stata) = CR0 · G/(G − 1) · (n − 1)/(n − k) = 8/9 · 3/2 · 5/5 = 4/3.
        let fit = lm_robust(&d, &y, None, SeType::Cr1, Some(&cl), &[]).unwrap();
        close(fit.std_error[0], (4.0_f64 / 3.0).sqrt(), "CR1");
        close(fit.df[0], 2.0, "df");
    }

    #[test]
    fn cr2_of_a_mean_with_equal_clusters() {
        // H_ss = 1 1'/6 has eigenvalue 2/6 = 1/3 along 1 (0 across), so A_s = (I − H_ss)^{-1/2}
        // scales 1 by (2/3)^{-1/2} and 1'A_s e_s = √(3/2) Σ e_s: CR2 = 3/2 · CR0 = 4/3.
        // Bell–McCaffrey: the columns of G are √(3/2)/6 · (δ_s − 1/3), so
        // G'G = (I − J/3)/12 with eigenvalues 1/12, 1/12, 0 and df = (2/12)² / (2/144) = 2.
        let (d, y, cl) = intercept_only();
        let fit = lm_robust(&d, &y, None, SeType::Cr2, Some(&cl), &["(Intercept)"]).unwrap();
        close(fit.std_error[0], (4.0_f64 / 3.0).sqrt(), "CR2");
        close(fit.df[0], 2.0, "Bell–McCaffrey df");
    }

    #[test]
    fn one_cluster_is_an_error_and_labels_number_in_sorted_order() {
        let mut d = DesignMatrix::new();
        d.push("(Intercept)", vec![1.0; 3]);
        let one = Clusters::from_labels(&["k", "k", "k"]);
        let e = lm_robust(&d, &[1.0, 2.0, 4.0], None, SeType::Cr1, Some(&one), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 2 clusters"), "{e}");
        let cl = Clusters::from_labels(&["b", "a", "c", "a"]);
        assert_eq!(cl.index, [1, 0, 2, 0]);
        assert_eq!(cl.count, 3);
        assert_eq!(SeType::parse("Stata"), Some(SeType::Cr1));
        assert_eq!(SeType::parse("hc4"), None);
    }
}
