//! The per-cluster pieces of a least-squares fit, computed once in one pass over the rows, and
//! everything that follows from them in k × k algebra alone: the leave-one-cluster-out
//! (jackknife) coefficients and the CV3 variance, each cluster's leverage and partial leverage,
//! and the effective number of clusters G*.
//!
//! - Pieces: for each cluster g, H_g = X_g'X_g, f_g = X_g'û_g and X_g'ι (Roodman, MacKinnon,
//!   Nielsen & Webb 2019, "Fast and wild", Stata Journal 19(1), sec. 5; the wild cluster
//!   bootstrap in [`super::wild`] uses the same pieces).
//! - Jackknife: β̂ − β̂_(g) = (X'X − H_g)⁻¹ f_g (the leave-cluster-g-out estimate without a refit:
//!   X'y − X_g'y_g = (X'X − H_g)β̂ − f_g); CV3 = (G − 1)/G Σ_g (β̂_(g) − β̂)(β̂_(g) − β̂)'
//!   (MacKinnon, Nielsen & Webb 2023, "Cluster-robust inference: a guide to empirical
//!   practice", J. Econometrics 232(2), eq. (15); summclust's CV3). When X'X − H_g is singular
//!   (a column that lives in cluster g alone) its Moore–Penrose inverse is used, as summclust
//!   does with a generalized inverse.
//! - Leverage L_g = tr(H_g (X'X)⁻¹); partial leverage of coefficient j,
//!   L^j_g = a'H_g a / a_j with a = (X'X)⁻¹e_j (the share of x̃_j'x̃_j, x̃_j the column j
//!   residualized on the others, that falls in cluster g; MacKinnon, Nielsen & Webb 2023b,
//!   "Leverage, influence, and the jackknife in clustered regression models", Stata Journal).
//! - G*(ρ) = G/(1 + Γ), Γ = (1/G) Σ_g (γ_g − γ̄)²/γ̄², γ_g = a'X_g'Ω_g(ρ)X_g a with
//!   Ω_g(ρ) = (1 − ρ)I + ριι' (Carter, Schnepel & Steigerwald 2017, "Asymptotic behavior of a
//!   t-test robust to cluster heterogeneity", REStat 99(4)); reported for ρ = 0 and ρ = 1 as
//!   summclust does.

use super::vcov::Clusters;
use crate::error::{Error, Result};
use crate::linalg;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

/// The per-cluster pieces of a fit of y on X (X already multiplied by √w in a weighted fit, û
/// the correspondingly scaled residuals), clusters in the order of [`Clusters`]' numbering.
#[derive(Debug, Clone)]
pub struct ClusterPieces {
    /// Rows in each cluster.
    pub sizes: Vec<usize>,
    /// H_g = X_g'X_g.
    pub xtx: Vec<DMatrix<f64>>,
    /// f_g = X_g'û_g.
    pub xtu: Vec<DVector<f64>>,
    /// X_g'ι, the column sums of X in cluster g.
    pub xsum: Vec<DVector<f64>>,
    /// (X'X)⁻¹ = (Σ_g H_g)⁻¹.
    pub xtx_inv: DMatrix<f64>,
    /// Rows and columns of X.
    pub n: usize,
    pub k: usize,
}

impl ClusterPieces {
    /// One pass over the rows ([`per_cluster`]).
    pub fn new(
        x: &linalg::Columns<'_>,
        residuals: &[f64],
        clusters: &Clusters,
    ) -> Result<ClusterPieces> {
        let k = x.ncols();
        let n = x.nrows();
        if residuals.len() != n || clusters.index.len() != n {
            return Err(Error::compute(format!(
                "the residuals and clusters must have {n} rows, as the design"
            )));
        }
        let members = clusters.members();
        let parts = per_cluster(x, residuals, &members);
        let sizes = members.iter().map(Vec::len).collect();
        let mut xtx = Vec::with_capacity(parts.len());
        let mut xtu = Vec::with_capacity(parts.len());
        let mut xsum = Vec::with_capacity(parts.len());
        for (h, f, s) in parts {
            xtx.push(h);
            xtu.push(f);
            xsum.push(s);
        }
        let total = xtx.iter().fold(DMatrix::zeros(k, k), |acc, h| acc + h);
        let xtx_inv = total
            .cholesky()
            .map(|c| c.inverse())
            .ok_or_else(|| Error::compute("the design matrix is singular"))?;
        Ok(ClusterPieces {
            sizes,
            xtx,
            xtu,
            xsum,
            xtx_inv,
            n,
            k,
        })
    }

    /// The number of clusters G.
    pub fn count(&self) -> usize {
        self.sizes.len()
    }

    /// β̂ − β̂_(g) for every cluster g (see the module notes).
    pub fn jackknife_shifts(&self) -> Vec<DVector<f64>> {
        let total = self
            .xtx
            .iter()
            .fold(DMatrix::zeros(self.k, self.k), |acc, h| acc + h);
        self.xtx
            .par_iter()
            .zip(&self.xtu)
            .map(|(h, f)| {
                let rest = &total - h;
                match rest.clone().cholesky() {
                    Some(c) => c.solve(f),
                    None => pseudo_inverse(rest) * f,
                }
            })
            .collect()
    }

    /// CV3 = (G − 1)/G Σ_g (β̂_(g) − β̂)(β̂_(g) − β̂)'.
    pub fn cv3(&self) -> DMatrix<f64> {
        let g = self.count() as f64;
        let sum = self
            .jackknife_shifts()
            .iter()
            .fold(DMatrix::zeros(self.k, self.k), |acc, d| {
                acc + d * d.transpose()
            });
        sum * ((g - 1.0) / g)
    }

    /// The diagnostics of coefficient `j` (an index into the columns of X).
    pub fn diagnostics(&self, j: usize, coef: f64) -> ClusterDiagnostics {
        let a = self.xtx_inv.column(j).into_owned();
        let ajj = a[j];
        let shifts = self.jackknife_shifts();
        let clusters = (0..self.count())
            .map(|g| {
                let h = &self.xtx[g];
                ClusterRow {
                    size: self.sizes[g],
                    leverage: (h * &self.xtx_inv).trace(),
                    partial_leverage: a.dot(&(h * &a)) / ajj,
                    coef_without: coef - shifts[g][j],
                }
            })
            .collect();
        let gamma_independent: Vec<f64> = self.xtx.iter().map(|h| a.dot(&(h * &a))).collect();
        let gamma_equicorrelated: Vec<f64> = self.xsum.iter().map(|s| a.dot(s).powi(2)).collect();
        ClusterDiagnostics {
            clusters,
            effective_independent: effective_clusters(&gamma_independent),
            effective_equicorrelated: effective_clusters(&gamma_equicorrelated),
        }
    }
}

/// X_g'X_g, X_g'e_g and X_g'ι of the clusters whose rows are `members` (each cluster in
/// parallel, its rows in row order: the sums do not depend on the number of threads).
pub fn per_cluster(
    x: &linalg::Columns<'_>,
    residuals: &[f64],
    members: &[Vec<usize>],
) -> Vec<(DMatrix<f64>, DVector<f64>, DVector<f64>)> {
    let k = x.ncols();
    members
        .par_iter()
        .map(|rows| {
            let mut h = DMatrix::<f64>::zeros(k, k);
            let mut f = DVector::<f64>::zeros(k);
            let mut s = DVector::<f64>::zeros(k);
            let mut xi = vec![0.0; k];
            for &i in rows {
                for (j, v) in xi.iter_mut().enumerate() {
                    *v = x.get(i, j);
                }
                for a in 0..k {
                    f[a] += xi[a] * residuals[i];
                    s[a] += xi[a];
                    for b in 0..=a {
                        h[(a, b)] += xi[a] * xi[b];
                    }
                }
            }
            for a in 0..k {
                for b in 0..a {
                    h[(b, a)] = h[(a, b)];
                }
            }
            (h, f, s)
        })
        .collect()
}

/// One cluster's row of the diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRow {
    pub size: usize,
    /// L_g = tr(H_g (X'X)⁻¹); the L_g sum to k.
    pub leverage: f64,
    /// The share of the variation of the coefficient's regressor (net of the others) in this
    /// cluster; the partial leverages sum to 1.
    pub partial_leverage: f64,
    /// The coefficient without this cluster, β̂_(g).
    pub coef_without: f64,
}

/// Cluster diagnostics of one coefficient.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDiagnostics {
    pub clusters: Vec<ClusterRow>,
    /// G*(0): errors independent within clusters.
    pub effective_independent: f64,
    /// G*(1): errors perfectly correlated within clusters.
    pub effective_equicorrelated: f64,
}

impl ClusterDiagnostics {
    /// The smaller of G*(0) and G*(1).
    pub fn effective(&self) -> f64 {
        self.effective_independent
            .min(self.effective_equicorrelated)
    }

    /// The largest partial leverage (1/G when every cluster weighs the same).
    pub fn largest_partial_leverage(&self) -> f64 {
        self.clusters
            .iter()
            .map(|c| c.partial_leverage)
            .fold(0.0, f64::max)
    }
}

/// G/(1 + Γ), Γ = (1/G) Σ (γ_g − γ̄)²/γ̄² (Carter, Schnepel & Steigerwald 2017).
pub fn effective_clusters(gamma: &[f64]) -> f64 {
    let g = gamma.len() as f64;
    let mean = gamma.iter().sum::<f64>() / g;
    let spread = gamma.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / g / (mean * mean);
    g / (1.0 + spread)
}

/// The Moore–Penrose inverse, singular values below √ε times the largest treated as zero (the
/// tolerance of R's `MASS::ginv`).
fn pseudo_inverse(m: DMatrix<f64>) -> DMatrix<f64> {
    let k = m.nrows();
    let svd = m.svd(true, true);
    let largest = svd.singular_values.iter().copied().fold(0.0, f64::max);
    let tolerance = f64::EPSILON.sqrt() * largest;
    svd.pseudo_inverse(tolerance)
        .unwrap_or_else(|_| DMatrix::from_element(k, k, f64::NAN))
}
