//! Robust variance estimators of least-squares coefficients and their degrees of freedom:
//! HC0–HC3 (heteroskedasticity-consistent) and CR0, CR1 (Stata) and CR2 (Bell–McCaffrey) cluster
//! estimators, as estimatr's `lm_robust` computes them (estimatr "Mathematical notes";
//! MacKinnon & White 1985; Bell & McCaffrey 2002; Pustejovsky & Tipton 2018), and CV3, the
//! cluster jackknife (G − 1)/G Σ_g (β̂_(g) − β̂)(β̂_(g) − β̂)' of MacKinnon, Nielsen & Webb
//! (2023) and summclust, with t(G − 1) ([`super::clusters`]). Chosen over clubSandwich's CR3
//! and `sandwich::vcovCL(type = "HC3")`, which are the jackknife sum itself (their
//! Σ X_g'(I − H_gg)⁻¹û_g û_g'(I − H_gg)⁻¹X_g equals Σ (β̂_(g) − β̂)(β̂_(g) − β̂)' in the
//! bread): CV3 = (G − 1)/G · CR3 = `vcovCL(type = "HC3", cadjust = FALSE)`, the jackknife's
//! own variance (tests/reference/wild/reference.R checks all three).
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

/// An observation with 1 − h ≤ this has leverage one: the model fits it exactly (its residual
/// is 0 in exact arithmetic; a stratum or a covariate level held by that person alone). HC2 and
/// HC3 divide its e² = 0 by (1 − h) = 0, so in floating point they give rounding noise or NaN;
/// lotta leaves such observations out of the variance (zero contribution, the pseudo-inverse of
/// 1 − h, as estimatr's CR2 and as `lm_robust(fixed_effects = ~stratum)`, which drops them),
/// which equals the HC2/HC3 of the data without them (same coefficients, residuals, other
/// leverages and df n − k). The rounding error of a computed leverage is of order κ(R)·ε, far
/// below 1e-8 for the designs the collinearity rule (1e-7) keeps; a genuine leverage within
/// 1e-8 of one carries no usable residual either.
pub const LEVERAGE_ONE_TOLERANCE: f64 = 1e-8;

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
    /// The cluster jackknife (MacKinnon, Nielsen & Webb 2023's CV3).
    Cv3,
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
            "cv3" => SeType::Cv3,
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
            SeType::Cv3 => "CV3",
        }
    }

    pub fn is_cluster(self) -> bool {
        matches!(self, SeType::Cr0 | SeType::Cr1 | SeType::Cr2 | SeType::Cv3)
    }

    /// The degrees-of-freedom rule that goes with this estimator, for output rows.
    pub fn df_rule(self) -> &'static str {
        match self {
            SeType::Hc0 | SeType::Hc1 | SeType::Hc2 | SeType::Hc3 => "n-k",
            SeType::Cr0 | SeType::Cr1 | SeType::Cv3 => "G-1",
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
    /// (`usize` codes of cost and report tables, [`super::Code`]s of the analysis data.)
    pub fn from_codes<C: Copy + Ord + std::hash::Hash>(codes: &[C]) -> Clusters {
        Clusters::from(Codes::sorted(codes.iter().copied()))
    }

    /// Row indices of each cluster, in row order within a cluster.
    pub fn members(&self) -> Vec<Vec<usize>> {
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
    /// Rows of leverage one (HC2, HC3: 1 − h ≤ [`LEVERAGE_ONE_TOLERANCE`]) left out of the
    /// variance; empty for the other estimators.
    pub leverage_one: Vec<usize>,
}

/// The robust variance of the coefficients of a least-squares fit.
///
/// `x` holds the kept columns (n × k; already multiplied by √w for weighted fits), `residuals`
/// the (weighted) residuals, `r` the R factor of `x`. `df_for` lists the coefficients whose CR2
/// degrees of freedom are wanted.
///
/// `root_w` is √w (weights normalized to mean 1) when the fit is weighted: the weighted CR2
/// needs the weights apart from the rows ([`cr2_weighted`]).
pub fn robust_vcov(
    x: &linalg::Columns<'_>,
    residuals: &[f64],
    r: &DMatrix<f64>,
    se: SeType,
    clusters: Option<&Clusters>,
    df_for: &[usize],
    root_w: Option<&[f64]>,
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
        let mut leverage_one = Vec::new();
        let omega: Vec<f64> = match se {
            SeType::Hc0 | SeType::Hc1 => residuals.iter().map(|e| e * e).collect(),
            SeType::Hc2 | SeType::Hc3 => {
                let mut omega = linalg::leverages(x, &r_inv);
                let power = if se == SeType::Hc2 { 1 } else { 2 };
                for (i, (h, e)) in omega.iter_mut().zip(residuals).enumerate() {
                    let one_minus = 1.0 - *h;
                    if one_minus <= LEVERAGE_ONE_TOLERANCE {
                        leverage_one.push(i);
                        *h = 0.0;
                    } else {
                        *h = e * e / one_minus.powi(power);
                    }
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
            leverage_one,
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
                leverage_one: Vec::new(),
            })
        }
        SeType::Cr2 => match root_w {
            None => cr2(x, residuals, &r_inv, &m, &members, df_for),
            Some(rw) => cr2_weighted(x, residuals, rw, &m, &members, df_for),
        },
        SeType::Cv3 => Ok(Vcov {
            matrix: symmetrize(super::clusters::ClusterPieces::new(x, residuals, clusters)?.cv3()),
            df: vec![gf - 1.0; k],
            leverage_one: Vec::new(),
        }),
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
    // X_s'X_s and X_s'e_s of every cluster, in one pass (`clusters::ClusterPieces`).
    let pieces = super::clusters::per_cluster(x, residuals, members);
    let parts: Vec<Cr2Cluster> = pieces
        .into_par_iter()
        .map(|(s, xe, _)| {
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
        leverage_one: Vec::new(),
    })
}

/// One cluster's contributions to the weighted CR2 meat and df.
struct WeightedCluster {
    /// X_s'W_s A_s e_s.
    half: DVector<f64>,
    /// For each coefficient in `df_for`: (p_s, q_s, d_s) below.
    df_parts: Vec<(DVector<f64>, DVector<f64>, f64)>,
}

/// CR2 of a weighted least-squares fit as estimatr's `lm_robust(weights =, clusters =,
/// se_type = "CR2")` and clubSandwich's `vcovCR(lm(weights =), type = "CR2")` compute it
/// (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018 with the working model Φ = I): with
/// H = X M X'W, M = (X'WX)⁻¹,
///
///   V = M Σ_s X_s'W_s A_s e_s e_s'A_s W_s X_s M,  A_s = [(I − H)(I − H)']_ss^{-1/2},
///
/// e the unweighted residuals. The block [(I − H)(I − H)']_ss = I − X_s M X_s'W_s −
/// W_s X_s M X_s' + X_s M Q M X_s' (Q = X'W²X) is I + U C U' with U = [X_s, W_s X_s] (n_s × 2k)
/// and C = [[MQM, −M], [−M, 0]], so (as for the unweighted CR2) it is never built: with
/// U'U = V Λ V' (directions with Λ ≤ 1e-10 max Λ left out: U has rank k when the weights are
/// constant within the cluster) and Q_u = U V Λ^{-1/2}, B = I + Q_u T Q_u' with
/// T = Λ^{1/2}V'CVΛ^{1/2}; f(B) = I + Q_u (f(I + T) − I) Q_u' for f(b) = b^{-1/2} (0 where
/// b ≤ 1e-12, the pseudo-inverse as estimatr), and U'Q_u = VΛ^{1/2}. Everything follows from
/// U'U and U'e: O(n k²) time, no n_s × n_s matrix.
///
/// Bell–McCaffrey df for coefficient j (m = M e_j; a_s = A_s W_s X_s m): the eigenvalues of
/// G'G, (G'G)_st = δ_st d_s − p_s'M q_t − q_s'M p_t + p_s'MQMp_t with p_s = X_s'a_s,
/// q_s = X_s'W_s a_s, d_s = a_s'a_s; df = tr(G'G)²/‖G'G‖²_F, the norm in k × k form as
/// Σd² + 2Σ d_s y_s'C y_s + tr(CSCS), y_s = (p_s, q_s), S = Σ y_s y_s'. Without weights this
/// is the unweighted formula (q = p, Q = M⁻¹).
fn cr2_weighted(
    x: &linalg::Columns<'_>,
    residuals: &[f64],
    root_w: &[f64],
    m: &DMatrix<f64>,
    members: &[Vec<usize>],
    df_for: &[usize],
) -> Result<Vcov> {
    let k = x.ncols();
    // Per cluster: U'U and U'e with U = [X_s, W_s X_s] (rows unscaled: x = x̃/√w, e = ẽ/√w).
    let grams: Vec<(DMatrix<f64>, DVector<f64>)> = members
        .par_iter()
        .map(|rows| {
            let mut g = DMatrix::<f64>::zeros(2 * k, 2 * k);
            let mut ue = DVector::<f64>::zeros(2 * k);
            let mut u = vec![0.0; 2 * k];
            for &i in rows {
                let rw = root_w[i];
                let w = rw * rw;
                let e = residuals[i] / rw;
                for j in 0..k {
                    let xij = x.get(i, j) / rw;
                    u[j] = xij;
                    u[k + j] = w * xij;
                }
                for a in 0..2 * k {
                    ue[a] += u[a] * e;
                    for b in 0..=a {
                        g[(a, b)] += u[a] * u[b];
                    }
                }
            }
            for a in 0..2 * k {
                for b in 0..a {
                    g[(b, a)] = g[(a, b)];
                }
            }
            (g, ue)
        })
        .collect();
    let q = grams
        .iter()
        .fold(DMatrix::<f64>::zeros(k, k), |acc, (g, _)| {
            acc + g.view((k, k), (k, k))
        });
    let mqm = m * &q * m;
    let mut c = DMatrix::<f64>::zeros(2 * k, 2 * k);
    c.view_mut((0, 0), (k, k)).copy_from(&mqm);
    c.view_mut((0, k), (k, k)).copy_from(&(-m));
    c.view_mut((k, 0), (k, k)).copy_from(&(-m));
    let parts: Vec<WeightedCluster> = grams
        .par_iter()
        .map(|(g, ue)| {
            let eig = symmetrize(g.clone()).symmetric_eigen();
            let largest = eig.eigenvalues.iter().copied().fold(0.0, f64::max);
            let keep: Vec<usize> = (0..2 * k)
                .filter(|&a| eig.eigenvalues[a] > 1e-10 * largest)
                .collect();
            let r = keep.len();
            // UQ = U'Q_u = VΛ^{1/2}; QtU = Q_u'U = Λ^{1/2}V' (r × 2k).
            let mut uq = DMatrix::<f64>::zeros(2 * k, r);
            for (col, &a) in keep.iter().enumerate() {
                let root = eig.eigenvalues[a].sqrt();
                for row in 0..2 * k {
                    uq[(row, col)] = eig.eigenvectors[(row, a)] * root;
                }
            }
            // T = Q_u' U C U' Q_u = (U'Q_u)' C (U'Q_u).
            let t = symmetrize(uq.transpose() * &c * &uq);
            let s_eig = (DMatrix::<f64>::identity(r, r) + t).symmetric_eigen();
            let f_of = |power: i32| -> DMatrix<f64> {
                let diag: Vec<f64> = s_eig
                    .eigenvalues
                    .iter()
                    .map(|&b| {
                        let f = if b > CR2_EIGEN_TOLERANCE {
                            b.powf(-0.5 * f64::from(power))
                        } else {
                            0.0
                        };
                        f - 1.0
                    })
                    .collect();
                let mut scaled = s_eig.eigenvectors.clone();
                for (j, mut col) in scaled.column_iter_mut().enumerate() {
                    col *= diag[j];
                }
                &scaled * s_eig.eigenvectors.transpose()
            };
            let f1 = f_of(1);
            // Q_u = UVΛ^{-1/2}, so Q_u'v = Λ^{-1/2}V'(U'v).
            let qt_of = |uv: &DVector<f64>| -> DVector<f64> {
                let mut out = DVector::<f64>::zeros(r);
                for (col, &a) in keep.iter().enumerate() {
                    let v = eig.eigenvectors.column(a).dot(uv);
                    out[col] = v / eig.eigenvalues[a].sqrt();
                }
                out
            };
            let xq = uq.rows(0, k).into_owned(); // X_s'Q_u
            let wxq = uq.rows(k, k).into_owned(); // (W_s X_s)'Q_u
            let xwe = ue.rows(k, k).into_owned();
            let half = &xwe + &wxq * (&f1 * qt_of(ue));
            let df_parts = if df_for.is_empty() {
                Vec::new()
            } else {
                let f2 = f_of(2);
                let xwx = g.view((0, k), (k, k)).into_owned();
                let xw2x = g.view((k, k), (k, k)).into_owned();
                df_for
                    .iter()
                    .map(|&j| {
                        let mj = m.column(j).into_owned();
                        // Q_u'W_s X_s m = ((W_sX_s)'Q_u)' m.
                        let qwxm = wxq.transpose() * &mj;
                        let wxm_norm = mj.dot(&(&xw2x * &mj));
                        let p = &xwx * &mj + &xq * (&f1 * &qwxm);
                        let qv = &xw2x * &mj + &wxq * (&f1 * &qwxm);
                        let d = wxm_norm + qwxm.dot(&(&f2 * &qwxm));
                        (p, qv, d)
                    })
                    .collect()
            };
            WeightedCluster { half, df_parts }
        })
        .collect();
    let meat = parts.iter().fold(DMatrix::zeros(k, k), |acc, p| {
        acc + &p.half * p.half.transpose()
    });
    let v = m * meat * m;
    let mut df = vec![f64::NAN; k];
    for (slot, &j) in df_for.iter().enumerate() {
        let mut trace = 0.0;
        let mut frob = 0.0;
        let mut s = DMatrix::<f64>::zeros(2 * k, 2 * k);
        for part in &parts {
            let (p, qv, d) = &part.df_parts[slot];
            let mut y = DVector::<f64>::zeros(2 * k);
            y.rows_mut(0, k).copy_from(p);
            y.rows_mut(k, k).copy_from(qv);
            let ycy = y.dot(&(&c * &y));
            trace += d + ycy;
            frob += d * d + 2.0 * d * ycy;
            s += &y * y.transpose();
        }
        let cs = &c * &s;
        frob += (&cs * &cs).trace();
        if j < k {
            df[j] = trace * trace / frob;
        }
    }
    Ok(Vcov {
        matrix: symmetrize(v),
        df,
        leverage_one: Vec::new(),
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
