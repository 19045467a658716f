//! Randomization inference by draw algorithm v3, type counts (issue 19): the hypergeometric
//! sampler against R's dhyper, the statistic from type counts against the row-wise statistic of
//! the same assignment, the p-value against exact enumeration, and end to end through the
//! binary: the note names the algorithm that drew, v2 draws (and the note says why) where v3 does
//! not apply, outputs are identical on any thread count, and a golden output pins the streams.

mod common;

use common::tolerance::{MONTE_CARLO_SDS, SAME_FORMULA, assert_close, assert_close_abs};
use lotta::estimate::fast::fast_statistic;
use lotta::estimate::types::TypePlan;
use lotta::estimate::{EstimateOptions, Estimator, narrow, widen};
use lotta::io::analysis_data::{AnalysisColumns, load_file};
use lotta::rng::{LnFactorials, Stream};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn reference(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(path)
}

fn golden(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/ri_v3")
        .join(path)
}

/// One case of tests/reference/ri_v3/hypergeometric.csv: (N, K, n) and R's dhyper by x.
struct Pmf {
    population: u64,
    successes: u64,
    sample: u64,
    p: BTreeMap<u64, f64>,
}

fn pmfs() -> BTreeMap<String, Pmf> {
    let text = std::fs::read_to_string(reference("ri_v3/hypergeometric.csv")).unwrap();
    let mut out: BTreeMap<String, Pmf> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let entry = out.entry(f[0].to_string()).or_insert_with(|| Pmf {
            population: f[1].parse().unwrap(),
            successes: f[2].parse().unwrap(),
            sample: f[3].parse().unwrap(),
            p: BTreeMap::new(),
        });
        entry.p.insert(f[4].parse().unwrap(), f[5].parse().unwrap());
    }
    out
}

/// Pearson's χ² of `seen` (draws by value) against `pmf`, the support pooled from the left into
/// bins of expected count ≥ 5 (the remainder into the last bin); a draw outside the listed
/// support makes the statistic infinite. Returns (χ², degrees of freedom).
fn chi_square(seen: &BTreeMap<u64, u64>, pmf: &BTreeMap<u64, f64>, draws: u64) -> (f64, f64) {
    if seen.keys().any(|x| !pmf.contains_key(x)) {
        return (f64::INFINITY, 1.0);
    }
    let mut bins: Vec<(f64, f64)> = Vec::new();
    let (mut expected, mut observed) = (0.0, 0.0);
    for (x, p) in pmf {
        expected += p * draws as f64;
        observed += seen.get(x).copied().unwrap_or(0) as f64;
        if expected >= 5.0 {
            bins.push((observed, expected));
            (expected, observed) = (0.0, 0.0);
        }
    }
    if let Some(last) = bins.last_mut() {
        last.0 += observed;
        last.1 += expected;
    }
    let chi2 = bins.iter().map(|(o, e)| (o - e).powi(2) / e).sum();
    (chi2, bins.len() as f64 - 1.0)
}

/// The sampler's draws follow R's dhyper (an independent implementation): Pearson's χ² on
/// 100,000 draws per case, from a fixed stream, is below its 99.99% point; the same draws are
/// rejected against the pmf shifted by one (so the test can fail), and their mean is within 5
/// standard errors of nK/N.
#[test]
fn hypergeometric_draws_follow_r_dhyper() {
    let draws = 100_000u64;
    for (case, pmf) in pmfs() {
        let table = LnFactorials::new(pmf.population as usize);
        let mut stream = Stream::new(20261129, &format!("test/hypergeometric/{case}"));
        let mut seen: BTreeMap<u64, u64> = BTreeMap::new();
        let mut sum = 0.0;
        for _ in 0..draws {
            let x = stream.hypergeometric(&table, pmf.population, pmf.successes, pmf.sample);
            *seen.entry(x).or_default() += 1;
            sum += x as f64;
        }
        let (chi2, df) = chi_square(&seen, &pmf.p, draws);
        let p = lotta::dist::pchisq_upper(chi2, df);
        assert!(p > 1e-4, "{case}: χ² = {chi2} on {df} df, p = {p}");
        let (n, k, m) = (
            pmf.population as f64,
            pmf.successes as f64,
            pmf.sample as f64,
        );
        let mean = m * k / n;
        let variance = m * (k / n) * (1.0 - k / n) * (n - m) / (n - 1.0);
        // The same draws against the pmf moved up by a quarter of its SD (at least 1) are
        // rejected: the test has the power to fail.
        let shift = (variance.sqrt() / 4.0).round().max(1.0) as u64;
        let mut shifted: BTreeMap<u64, f64> = pmf.p.iter().map(|(x, p)| (x + shift, *p)).collect();
        for x in pmf.p.keys() {
            shifted.entry(*x).or_insert(0.0);
        }
        let (wrong, wrong_df) = chi_square(&seen, &shifted, draws);
        assert!(
            lotta::dist::pchisq_upper(wrong, wrong_df) < 1e-6,
            "{case}: a shifted pmf is not rejected (χ² = {wrong})"
        );
        let se = (variance / draws as f64).sqrt();
        assert!(
            (sum / draws as f64 - mean).abs() <= 5.0 * se,
            "{case}: mean {} vs {mean}",
            sum / draws as f64
        );
    }
}

fn options(estimator: Estimator) -> EstimateOptions {
    EstimateOptions {
        estimator,
        se: None,
        alpha: 0.05,
        missing_covariates: Default::default(),
        all_pairs: false,
    }
}

/// The statistic from type counts (`fast::TypeStatistic`) equals the row-wise fast statistic of
/// an assignment with the draw's counts (`TypePlan::codes`) to 1e-12 (relative, or absolute below
/// one: a difference that is zero in exact arithmetic is ±1e-17 either way), for every estimator the
/// fast statistic covers, with strata, subgroups, discrete covariates, missing outcomes and three
/// arms; and the first draw also equals refitting the model.
#[test]
fn type_counts_give_the_statistic_of_the_rows() {
    let main = reference("estimate/d_main.csv");
    let arms = reference("estimate/d_arms.csv");
    type Case<'a> = (
        &'a Path,
        &'a str,
        Vec<&'a str>,
        Estimator,
        Vec<&'a str>,
        Vec<&'a str>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            &main,
            "z",
            vec!["y_bin"],
            Estimator::Dim,
            vec![],
            vec!["site"],
        ),
        (
            &main,
            "z",
            vec!["y_bin", "y_miss"],
            Estimator::Dim,
            vec![],
            vec![],
        ),
        (
            &main,
            "z",
            vec!["y_bin"],
            Estimator::Lin,
            vec!["educ"],
            vec!["site"],
        ),
        (
            &main,
            "z",
            vec!["y_bin"],
            Estimator::Ols,
            vec!["educ", "age"],
            vec![],
        ),
        (
            &main,
            "z",
            vec!["y_num"],
            Estimator::Fe,
            vec!["educ"],
            vec!["site"],
        ),
        (
            &arms,
            "arm",
            vec!["y"],
            Estimator::Dim,
            vec![],
            vec!["gender"],
        ),
    ];
    for (file, treatment, outcomes, estimator, covariates, strata) in cases {
        let request = AnalysisColumns {
            outcomes: outcomes.iter().map(|s| s.to_string()).collect(),
            treatment: treatment.into(),
            control: (treatment == "arm").then(|| "standard".to_string()),
            covariates: covariates.iter().map(|s| s.to_string()).collect(),
            by: if strata == ["gender"] {
                vec![]
            } else {
                vec!["gender".to_string()]
            },
            strata: strata.iter().map(|s| s.to_string()).collect(),
            ..AnalysisColumns::default()
        };
        let data = load_file(file, &request).unwrap();
        let options = options(estimator);
        let fast = fast_statistic(&data, &options).unwrap().expect("supported");
        let n = data.n_rows();
        let kinds = fast.row_kinds(n).unwrap();
        let strata_codes: Vec<usize> = data
            .strata
            .as_ref()
            .map_or_else(|| vec![0; n], |s| widen(&s.codes));
        let plan = TypePlan::new(&widen(&data.treatment.codes), &strata_codes, &kinds).unwrap();
        let statistic = fast.for_types(&plan).unwrap();
        let mut sums = Vec::new();
        let what = format!("{estimator:?} {outcomes:?} {covariates:?} {strata:?}");
        for r in 0..30 {
            let draw = plan.draw(23, r);
            let codes = plan.codes(&draw);
            let (rows, row_pieces) = fast.eval_with_pieces(&codes);
            let (typed, typed_pieces) = statistic.eval_with_pieces(&draw, &mut sums).unwrap();
            assert_eq!(rows.len(), typed.len());
            for (a, b) in typed.iter().zip(&rows) {
                assert_close_abs(*a, *b, SAME_FORMULA, &format!("{what} draw {r}"));
            }
            for ((a1, b1), (a2, b2)) in typed_pieces.iter().zip(&row_pieces) {
                assert_close_abs(*a1, *a2, SAME_FORMULA, &format!("{what} piece a"));
                assert_close_abs(*b1, *b2, SAME_FORMULA, &format!("{what} piece b"));
            }
            if r == 0 {
                let refit = lotta::estimate::recompute(&data, &options, &narrow(codes)).unwrap();
                for (a, b) in typed.iter().zip(&refit) {
                    assert_close(
                        *a,
                        *b,
                        common::tolerance::FAST_PATH_REL,
                        &format!("{what} refit"),
                    );
                }
            }
        }
    }
}

/// The p-values of v3's draws agree with exact enumeration within Monte Carlo error: 2 strata
/// of 10 persons (5 and 4 treated: 252 · 210 = 52,920 assignments), a binary outcome, gender
/// subgroups; every row (all, women, men, the difference) from 20,000 draws against its exact
/// k/N, within MONTE_CARLO_SDS standard errors √(p(1 − p)/R).
#[test]
fn v3_p_values_agree_with_exact_enumeration() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,z,gender,site,y\n");
    for i in 0..20 {
        let site = if i < 10 { "a" } else { "b" };
        let z = if i < 10 {
            i % 2
        } else {
            usize::from(i % 5 < 2)
        };
        let gender = if (i * 7) % 3 == 0 { "F" } else { "M" };
        let y = usize::from((i * 5 + 3 * z) % 7 < 3 + z);
        text.push_str(&format!("p{i},{z},{gender},{site},{y}\n"));
    }
    let file = dir.path().join("d.csv");
    std::fs::write(&file, text).unwrap();
    let request = AnalysisColumns {
        outcomes: vec!["y".into()],
        treatment: "z".into(),
        by: vec!["gender".into()],
        strata: vec!["site".into()],
        ..AnalysisColumns::default()
    };
    let data = load_file(&file, &request).unwrap();
    let options = options(Estimator::Dim);
    let fast = fast_statistic(&data, &options).unwrap().unwrap();
    let observed = fast.eval(&widen(&data.treatment.codes));
    let (enumeration, member_of) =
        lotta::estimate::inference::permutation_enumeration(&data).unwrap();
    assert_eq!(enumeration.count(), 52_920);
    let rows = observed.len();
    let mut exact = vec![(0u64, 0u64); rows];
    for a in 0..enumeration.count() {
        let labels = enumeration.assignment(a);
        let codes: Vec<usize> = member_of.iter().map(|&m| labels[m] as usize).collect();
        for (j, t) in fast.eval(&codes).iter().enumerate() {
            if t.is_finite() {
                exact[j].1 += 1;
                exact[j].0 += u64::from(lotta::estimate::ri::is_extreme(*t, observed[j]));
            }
        }
    }
    let n = data.n_rows();
    let kinds = fast.row_kinds(n).unwrap();
    let strata = widen(&data.strata.as_ref().unwrap().codes);
    let plan = TypePlan::new(&widen(&data.treatment.codes), &strata, &kinds).unwrap();
    let statistic = fast.for_types(&plan).unwrap();
    let draws = 20_000;
    let mut sampled = vec![(0u64, 0u64); rows];
    let mut sums = Vec::new();
    for r in 0..draws {
        let (stats, _) = statistic
            .eval_with_pieces(&plan.draw(4, r), &mut sums)
            .unwrap();
        for (j, t) in stats.iter().enumerate() {
            if t.is_finite() {
                sampled[j].1 += 1;
                sampled[j].0 += u64::from(lotta::estimate::ri::is_extreme(*t, observed[j]));
            }
        }
    }
    for j in 0..rows {
        let p_exact = exact[j].0 as f64 / exact[j].1 as f64;
        let p = sampled[j].0 as f64 / sampled[j].1 as f64;
        let se = (p_exact * (1.0 - p_exact) / sampled[j].1 as f64).sqrt();
        assert!(
            (p - p_exact).abs() <= MONTE_CARLO_SDS * se.max(1e-4),
            "row {j}: v3 p = {p}, exact p = {p_exact} (SE {se})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// End to end through the binary.

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn lotta(dir: &Path, args: &[&str], threads: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lotta"))
        .current_dir(dir)
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

fn estimate_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "estimate",
        "--data",
        "data.csv",
        "--outcome",
        "y",
        "--treatment",
        "z",
        "--strata",
        "site",
        "--by",
        "gender",
        "--ri",
        "500",
        "--ri-exact-max",
        "0",
        "--seed",
        "7",
        "--format",
        "csv",
    ];
    a.extend_from_slice(extra);
    a
}

fn with_golden_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(golden("data.csv"), dir.path().join("data.csv")).unwrap();
    dir
}

/// v3 names itself (and its types) in the note; its output is the same on 1 and 3 threads and
/// equals the committed golden output (which pins the streams `ri/v3/draw=<r>` and the sampler
/// end to end; tests/golden/ri_v3/make.sh wrote it with this build's binary after the unit tests
/// had checked the statistic and the distribution); v2 is unchanged by it.
#[test]
fn v3_names_itself_is_identical_on_any_thread_count_and_matches_its_golden_output() {
    let dir = with_golden_data();
    let one = lotta(dir.path(), &estimate_args(&["--ri-algorithm", "v3"]), "1");
    let three = lotta(dir.path(), &estimate_args(&["--ri-algorithm", "v3"]), "3");
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(one.stdout, three.stdout);
    assert!(
        one.stderr.contains("algorithm v3, seed 7; counts of "),
        "{}",
        one.stderr
    );
    let expected = std::fs::read_to_string(golden("estimate_v3.csv")).unwrap();
    assert_eq!(one.stdout, expected, "the v3 draws have drifted");
    let v2 = lotta(dir.path(), &estimate_args(&["--ri-algorithm", "v2"]), "2");
    assert!(v2.stderr.contains("algorithm v2, seed 7)"), "{}", v2.stderr);
    assert_ne!(v2.stdout, one.stdout, "v3 draws its own streams");
}

/// Where v3 does not apply, v2 draws, and the note says so and why: a continuous covariate (as
/// many types as rows) and the studentized statistic (which refits every draw's rows). The
/// output is then exactly v2's.
#[test]
fn v3_falls_back_to_v2_and_says_why() {
    let dir = with_golden_data();
    let cases: [(&[&str], &str); 2] = [
        (
            &["--estimator", "lin", "--covariates", "x"],
            "more than a quarter of the",
        ),
        (
            &["--ri-statistic", "studentized"],
            "the studentized statistic refits every draw's rows",
        ),
    ];
    for (extra, reason) in cases {
        let mut v3: Vec<&str> = extra.to_vec();
        v3.extend(["--ri-algorithm", "v3"]);
        let mut v2: Vec<&str> = extra.to_vec();
        v2.extend(["--ri-algorithm", "v2"]);
        let asked = lotta(dir.path(), &estimate_args(&v3), "2");
        let plain = lotta(dir.path(), &estimate_args(&v2), "2");
        assert_eq!(asked.code, 0, "{}", asked.stderr);
        assert!(
            asked
                .stderr
                .contains("algorithm v2, seed 7; v3 was asked for, but "),
            "{}",
            asked.stderr
        );
        assert!(asked.stderr.contains(reason), "{}", asked.stderr);
        assert!(asked.stderr.contains("so v2 drew"), "{}", asked.stderr);
        assert_eq!(asked.stdout, plain.stdout, "{extra:?}");
    }
}

/// `survival --ri-algorithm v3` draws by v2 (its statistics are counted by cells of persons
/// already) and says so: the output is v2's golden output, and the note names both.
#[test]
fn survival_asked_for_v3_draws_by_v2_and_says_so() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_lotta"))
        .current_dir(root)
        .args([
            "survival",
            "--data",
            "tests/reference/survival/d_monthly.csv",
            "--time",
            "time",
            "--event",
            "event",
            "--treatment",
            "arm",
            "--control",
            "standard",
            "--by",
            "gender",
            "--strata",
            "site",
            "--ri",
            "500",
            "--seed",
            "7",
            "--ri-algorithm",
            "v3",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let expected = std::fs::read(root.join("tests/golden/survival_ri/monthly_v2.csv")).unwrap();
    assert!(
        out.stdout == expected,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("by algorithm v2, seed 7; v3 was asked for, but it serves estimate's statistics only, so v2 drew"),
        "{stderr}"
    );
}
