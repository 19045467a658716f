//! Power by simulation (design diagnosis in the manner of DeclareDesign): repeat
//! simulate → assign → estimate, and report per estimand the power, bias, RMSE and CI coverage.
//! Replicate r uses only the streams `simulate/rep=r/…`, replicates run in parallel (rayon) and
//! are reduced in replicate order, so the result is identical on any number of threads.

use crate::dist::qt;
use crate::error::{Error, Result};
use crate::estimate::{
    AnalysisData, Code, Covariate, CovariateValues, Factor, Treatment, estimate_all,
};
use crate::linalg::{from_columns, least_squares};
use crate::simulate::{self, Activity, Dgp, Streams};
use rayon::prelude::*;

/// An ITT estimate with its standard error and degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub estimate: f64,
    pub std_error: f64,
    pub df: f64,
}

/// THE estimator of power by simulation: OLS of y on an intercept and the treatment dummy
/// with the HC2 variance (MacKinnon & White 1985; estimatr's `lm_robust` default), df = n − 2.
/// V = (X'X)⁻¹ X' diag(e_i² / (1 − h_ii)) X (X'X)⁻¹, h_ii = x_i'(X'X)⁻¹x_i. With only a
/// treatment dummy this is the difference in means with SE √(s1²/n1 + s0²/n0): the `ols`
/// estimator of `lotta estimate` without covariates, in closed form for speed (checked against
/// `estimatr::lm_robust` in tests/reference/power/hc2.R).
pub fn estimate_itt(y: &[f64], treated: &[f64]) -> Result<Estimate> {
    let ones = vec![1.0; y.len()];
    let x = from_columns(&[&ones, treated]);
    let fit = least_squares(&x, y)?;
    if fit.kept != [0, 1] {
        return Err(Error::compute("one arm has no observations"));
    }
    let xtx_inv = fit.xtx_inverse();
    let (a, b, c) = (xtx_inv[(0, 0)], xtx_inv[(0, 1)], xtx_inv[(1, 1)]);
    // Meat Σ w_i x_i x_i' with x_i = (1, d_i), w_i = e_i² / (1 − h_ii), h_ii = x_i'(X'X)⁻¹x_i.
    let (mut m00, mut m01, mut m11) = (0.0, 0.0, 0.0);
    for (e, &d) in fit.residuals.iter().zip(treated) {
        let h = a + 2.0 * b * d + c * d * d;
        let w = e * e / (1.0 - h);
        m00 += w;
        m01 += w * d;
        m11 += w * d * d;
    }
    let meat = nalgebra::Matrix2::new(m00, m01, m01, m11);
    let bread = nalgebra::Matrix2::new(a, b, b, c);
    let v = bread * meat * bread;
    Ok(Estimate {
        estimate: fit.coef[1],
        std_error: v[(1, 1)].sqrt(),
        df: y.len() as f64 - 2.0,
    })
}

/// The study's own analysis, for diagnosing it as it will be run: the estimator and SE rule
/// of `[analysis]` and its covariates (columns of participants.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAnalysis {
    pub options: crate::estimate::EstimateOptions,
    pub covariates: Vec<String>,
}

/// A simulated participant's covariate by its participants.csv column name.
fn covariate(dgp: &Dgp, people: &[simulate::Person], name: &str) -> Result<Covariate> {
    let number = |f: &dyn Fn(&simulate::Person) -> f64| people.iter().map(f).collect::<Vec<f64>>();
    let values = match name {
        "age" => CovariateValues::Number(number(&|p| f64::from(p.age))),
        "education_years" => CovariateValues::Number(number(&|p| f64::from(p.education_years))),
        "months_in_sweden" => CovariateValues::Number(number(&|p| f64::from(p.months_in_sweden))),
        _ => CovariateValues::Text(
            people
                .iter()
                .map(|p| {
                    simulate::characteristic(dgp, p, name).map(Some).ok_or_else(|| {
                        Error::compute(format!(
                            "covariate `{name}` of [analysis] is not a column of simulated participants"
                        ))
                    })
                })
                .collect::<Result<_>>()?,
        ),
    };
    Ok(Covariate {
        name: name.to_string(),
        values,
    })
}

/// The estimates of the study's own analysis (`estimate_all`, the code of `lotta estimate`) on
/// one simulated trial, per estimand.
fn pipeline_estimates(
    dgp: &Dgp,
    study: &simulate::SimulatedStudy,
    analysis: &PlannedAnalysis,
    list: &[Estimand],
) -> Result<Vec<Estimate>> {
    let people = &study.participants.people;
    // The analysis puts the control arm first.
    let mut arms = vec![dgp.arms[dgp.control].name.clone()];
    arms.extend(
        (0..dgp.arms.len())
            .filter(|&a| a != dgp.control)
            .map(|a| dgp.arms[a].name.clone()),
    );
    let code_of = |a: usize| {
        arms.iter()
            .position(|n| *n == dgp.arms[a].name)
            .unwrap_or(0)
    };
    let treatment = Treatment {
        name: "arm".into(),
        arms: arms.clone(),
        codes: study
            .assignment
            .arm
            .iter()
            .map(|&a| code_of(a) as Code)
            .collect(),
    };
    let outcomes = (0..dgp.horizons.len())
        .map(|h| {
            let values = study
                .outcomes
                .people
                .iter()
                .map(|o| match o.activity[h] {
                    Some(act) => f64::from(u8::from(act != Activity::Nothing)),
                    None => f64::NAN,
                })
                .collect();
            (format!("work_or_study_{}", dgp.horizons[h]), values)
        })
        .collect();
    let genders: Vec<String> = people.iter().map(|p| p.gender_code().to_string()).collect();
    let data = AnalysisData {
        treatment,
        outcomes,
        covariates: analysis
            .covariates
            .iter()
            .map(|c| covariate(dgp, people, c))
            .collect::<Result<_>>()?,
        by: vec![Factor::from_labels("gender", &genders)],
        strata: None,
        cluster: None,
        weights: None,
        participation: None,
        ids: None,
    };
    let rows = estimate_all(&data, &analysis.options, None)?.rows;
    list.iter()
        .map(|e| {
            let outcome = format!("work_or_study_{}", dgp.horizons[e.horizon]);
            let subgroup = match e.gender {
                None => "all".to_string(),
                Some(g) => format!("gender={}", simulate::dgp::GENDERS[g]),
            };
            let term = data.treatment.term(code_of(e.arm));
            rows.iter()
                .find(|r| r.outcome == outcome && r.subgroup == subgroup && r.term == term)
                .map(|r| Estimate {
                    estimate: r.estimate,
                    std_error: r.std_error,
                    df: r.df,
                })
                .ok_or_else(|| Error::compute(format!("no estimate of {outcome}, {subgroup}")))
        })
        .collect()
}

/// One estimand: the ITT of a treated arm on work or studies at a horizon, overall or by gender.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimand {
    pub arm: usize,
    pub horizon: usize,
    /// None: everyone; Some(0): women; Some(1): men.
    pub gender: Option<usize>,
}

/// The diagnosis of one estimand over all replicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// `work_or_study_<horizon>`.
    pub outcome: String,
    /// `all`, `women` or `men`.
    pub subgroup: String,
    /// The treated arm's name.
    pub arm: String,
    /// The effect declared in the spec (women's and men's weighted by the share of women).
    pub declared: f64,
    /// Mean over replicates of the sample's expected effect given covariates (the target).
    pub truth: f64,
    /// Mean of the estimates over replicates.
    pub mean_estimate: f64,
    /// mean_estimate − truth.
    pub bias: f64,
    /// Root mean squared error of the estimates against each replicate's truth.
    pub rmse: f64,
    /// SD (n − 1) of the estimates over replicates.
    pub sd_estimate: f64,
    /// Mean of the estimated standard errors.
    pub mean_se: f64,
    /// Share of replicates that reject no effect (two-sided t test at level alpha).
    pub power: f64,
    /// Share of replicates whose confidence interval holds the replicate's truth.
    pub coverage: f64,
    /// Monte Carlo standard error of the coverage, √(c (1 − c) / sims).
    pub coverage_mc_se: f64,
    /// Number of replicates.
    pub sims: usize,
}

/// The estimands of a design: every treated arm × horizon × (all, women, men).
pub fn estimands(dgp: &Dgp) -> Vec<Estimand> {
    let mut out = Vec::new();
    for arm in (0..dgp.arms.len()).filter(|&a| a != dgp.control) {
        for horizon in 0..dgp.horizons.len() {
            for gender in [None, Some(0), Some(1)] {
                out.push(Estimand {
                    arm,
                    horizon,
                    gender,
                });
            }
        }
    }
    out
}

/// (estimate, truth) of every estimand in one simulated trial.
fn replicate(
    dgp: &Dgp,
    n: usize,
    seed: u64,
    r: usize,
    list: &[Estimand],
    analysis: Option<&PlannedAnalysis>,
) -> Result<Vec<(Estimate, f64)>> {
    let study = simulate::simulate_study(dgp, n, &Streams::replicate(seed, r))?;
    let pipeline = match analysis {
        Some(a) => Some(pipeline_estimates(dgp, &study, a, list)?),
        None => None,
    };
    let people = &study.participants.people;
    // Each person's expected effect of the offer, per (arm, horizon), computed once.
    let mut effects: std::collections::BTreeMap<(usize, usize), Vec<f64>> = Default::default();
    for e in list {
        effects.entry((e.arm, e.horizon)).or_insert_with(|| {
            people
                .iter()
                .map(|p| simulate::expected_itt(dgp, p, e.arm, e.horizon))
                .collect()
        });
    }
    let mut out = Vec::with_capacity(list.len());
    for (k, e) in list.iter().enumerate() {
        let person_effect = &effects[&(e.arm, e.horizon)];
        let mut y = Vec::new();
        let mut d = Vec::new();
        let mut truth = 0.0;
        for (i, p) in people.iter().enumerate() {
            let arm = study.assignment.arm[i];
            if (arm != e.arm && arm != dgp.control) || e.gender.is_some_and(|g| g != p.gender) {
                continue;
            }
            let Some(act) = study.outcomes.people[i].activity[e.horizon] else {
                continue;
            };
            y.push(f64::from(u8::from(act != Activity::Nothing)));
            d.push(f64::from(u8::from(arm == e.arm)));
            truth += person_effect[i];
        }
        let est = match &pipeline {
            Some(estimates) => estimates[k],
            None => estimate_itt(&y, &d)?,
        };
        out.push((est, truth / y.len() as f64));
    }
    Ok(out)
}

/// Run `sims` simulated trials of `n` people and diagnose every estimand at level `alpha`.
/// With `analysis`, each trial is analysed by the study's own analysis (`estimate_all`: its
/// estimator, covariates and SE rule); without, by the difference in means with HC2.
/// Each finished replicate is reported to `progress`, which can stop the loop (Ctrl-C):
/// [`crate::Error::Interrupted`].
pub fn diagnose(
    dgp: &Dgp,
    n: usize,
    seed: u64,
    sims: usize,
    alpha: f64,
    analysis: Option<&PlannedAnalysis>,
    progress: &dyn crate::progress::Progress,
) -> Result<Vec<Diagnosis>> {
    let list = estimands(dgp);
    progress.start("simulated trials", sims as u64);
    let results: Result<Vec<Vec<(Estimate, f64)>>> = (0..sims)
        .into_par_iter()
        .map(|r| {
            if progress.cancelled() {
                return Err(crate::Error::Interrupted);
            }
            let out = replicate(dgp, n, seed, r, &list, analysis);
            progress.advance(1);
            out
        })
        .collect();
    progress.finish();
    let results = results?;
    let mut rows = Vec::with_capacity(list.len());
    for (k, e) in list.iter().enumerate() {
        let (mut sum_est, mut sum_truth, mut sum_err2, mut sum_se) = (0.0, 0.0, 0.0, 0.0);
        let (mut rejected, mut covered) = (0usize, 0usize);
        for rep in &results {
            let (est, truth) = rep[k];
            let c = qt(1.0 - alpha / 2.0, est.df);
            sum_est += est.estimate;
            sum_truth += truth;
            sum_err2 += (est.estimate - truth).powi(2);
            sum_se += est.std_error;
            rejected += usize::from((est.estimate / est.std_error).abs() > c);
            covered += usize::from((est.estimate - truth).abs() <= c * est.std_error);
        }
        let s = sims as f64;
        let mean_est = sum_est / s;
        let var_est = results
            .iter()
            .map(|rep| (rep[k].0.estimate - mean_est).powi(2))
            .sum::<f64>()
            / (s - 1.0).max(1.0);
        let coverage = covered as f64 / s;
        let declared = match e.gender {
            None => dgp.itt_overall(e.arm, e.horizon),
            Some(g) => dgp.arms[e.arm].itt[g][e.horizon],
        };
        rows.push(Diagnosis {
            outcome: format!("work_or_study_{}", dgp.horizons[e.horizon]),
            subgroup: match e.gender {
                None => "all".into(),
                Some(0) => "women".into(),
                Some(_) => "men".into(),
            },
            arm: dgp.arms[e.arm].name.clone(),
            declared,
            truth: sum_truth / s,
            mean_estimate: mean_est,
            bias: mean_est - sum_truth / s,
            rmse: (sum_err2 / s).sqrt(),
            sd_estimate: var_est.sqrt(),
            mean_se: sum_se / s,
            power: rejected as f64 / s,
            coverage,
            coverage_mc_se: (coverage * (1.0 - coverage) / s).sqrt(),
            sims,
        });
    }
    Ok(rows)
}
