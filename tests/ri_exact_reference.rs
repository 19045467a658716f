//! Exact randomization inference of `lotta estimate` (issue 14) against the independent full
//! enumeration in tests/reference/ri/exact/exact.R (combn over the treated clusters, estimatr's
//! CR2 for the studentized statistic; values in exact.csv, data beside it): on 8-, 6- and
//! 5-cluster trials, with and without matched pairs (strata), for the coefficient and the
//! studentized statistic, the p-value is exactly k/N (compared as the integers k and N), the
//! output says every assignment was listed, and the smallest attainable p-value is k_min/N.

mod common;

use common::tolerance::{REFERENCE_REL, assert_close};
use std::collections::HashMap;
use std::path::Path;

const DIR: &str = "tests/reference/ri/exact";

fn read_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

fn count(row: &HashMap<String, String>, column: &str) -> u64 {
    row[column].parse().unwrap_or_else(|_| panic!("{column}"))
}

#[test]
fn exact_p_values_are_k_over_n_of_the_full_enumeration_in_r() {
    let reference =
        read_csv(&std::fs::read_to_string(Path::new(DIR).join("exact.csv")).expect("exact.csv"));
    assert_eq!(reference.len(), 12);
    for r in &reference {
        let file = format!("data_{}.csv", r["data"]);
        let mut args = vec![
            "estimate",
            "--data",
            &file,
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--cluster",
            "cluster",
            "--estimator",
            "ols",
            "--ri",
            "1000",
            "--seed",
            "7",
            "--ri-statistic",
            &r["statistic"],
            "--format",
            "csv",
        ];
        if r["pairs"] == "TRUE" {
            args.extend(["--strata", "pair"]);
        }
        let what = format!("{} pairs={} {}", r["data"], r["pairs"], r["statistic"]);
        let out = common::lotta(Path::new(DIR), &args);
        assert_eq!(out.code, 0, "{what}: {}", out.stderr);
        let rows = read_csv(&out.stdout);
        let row = &rows[0];
        let (k, n) = (count(r, "k"), count(r, "N"));
        assert_eq!(row["ri_exact"], "true", "{what}");
        assert_eq!(count(row, "ri_draws"), n, "{what}");
        let p: f64 = row["p_value_ri"].parse().unwrap();
        // Exactly k/N: the same double as the division, and the count it stands for.
        assert_eq!(p, k as f64 / n as f64, "{what}");
        assert_eq!((p * n as f64).round() as u64, k, "{what}");
        let min: f64 = row["ri_min_p"].parse().unwrap();
        assert_eq!(min, count(r, "k_min") as f64 / n as f64, "{what}");
        assert!(
            out.stderr.contains(&format!(
                "all {n} assignments the design can make were listed"
            )),
            "{what}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(&format!("p = {k}/{n}")), "{what}");
        // The observed statistic is the one R enumerated around.
        let column = if r["statistic"] == "studentized" {
            "statistic"
        } else {
            "estimate"
        };
        let observed: f64 = r["observed"].parse().unwrap();
        assert_close(row[column].parse().unwrap(), observed, REFERENCE_REL, &what);
    }
}

/// 4 matched pairs: 16 assignments, the smallest attainable p-value 2/16 > 0.05, so the
/// randomization interval cannot be bounded: it is written -Inf..Inf and said so.
#[test]
fn matched_pairs_give_an_unbounded_interval_that_says_so() {
    let out = common::lotta(
        Path::new(DIR),
        &[
            "estimate",
            "--data",
            "data_g8.csv",
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--cluster",
            "cluster",
            "--strata",
            "pair",
            "--estimator",
            "ols",
            "--ri",
            "1000",
            "--seed",
            "7",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = read_csv(&out.stdout);
    assert_eq!(rows[0]["ri_conf_low"], "-Inf");
    assert_eq!(rows[0]["ri_conf_high"], "Inf");
    assert!(
        out.stderr.contains("randomization interval is unbounded"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("smallest attainable p-value is 0.1250"),
        "{}",
        out.stderr
    );
    // Without pairs (70 assignments) the interval is bounded.
    let out = common::lotta(
        Path::new(DIR),
        &[
            "estimate",
            "--data",
            "data_g8.csv",
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--cluster",
            "cluster",
            "--estimator",
            "ols",
            "--ri",
            "1000",
            "--seed",
            "7",
            "--format",
            "csv",
        ],
    );
    let rows = read_csv(&out.stdout);
    let lo: f64 = rows[0]["ri_conf_low"].parse().unwrap();
    let hi: f64 = rows[0]["ri_conf_high"].parse().unwrap();
    assert!(lo.is_finite() && hi.is_finite() && lo < hi);
}

/// `--ri-exact-max` below the design's count samples instead (and says the draws, not N).
#[test]
fn designs_with_more_assignments_than_the_limit_are_sampled() {
    let out = common::lotta(
        Path::new(DIR),
        &[
            "estimate",
            "--data",
            "data_g5.csv",
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--ri",
            "200",
            "--seed",
            "7",
            "--ri-exact-max",
            "5",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = read_csv(&out.stdout);
    assert_eq!(rows[0]["ri_exact"], "false");
    assert_eq!(rows[0]["ri_draws"], "200");
    assert!(
        !out.stderr.contains("exact randomization"),
        "{}",
        out.stderr
    );
}
