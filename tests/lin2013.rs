//! Replication of Lin, W. (2013), "Agnostic notes on regression adjustments to experimental
//! data: Reexamining Freedman's critique", Annals of Applied Statistics 7(1), 295–318, Table 2:
//! the effect of the Service and Financial Support Programme (SFSP) on first-year GPA among the
//! 157 men of the STAR experiment (Angrist, Lang & Oreopoulos 2009; `alo_star_men` as shipped
//! with R's estimatr), unadjusted, adjusted for high-school GPA by OLS, and by Lin's interacted
//! estimator, with the classic sandwich (HC0) SE Lin's table reports.
//!
//! Through the `lotta estimate` binary: every number against estimatr (the specifications of
//! estimatr's own tests/testthat/test-replicate-lin2013.R, under HC0–HC3, plus
//! `difference_in_means`; tests/reference/lin2013/make.R), and the published table at its
//! published rounding.

mod common;

use common::tolerance::{REFERENCE_REL, assert_close};
use std::path::{Path, PathBuf};

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/lin2013")
}

/// `lotta estimate` on the replication data for one specification and SE type; the CSV row.
fn estimate(spec: &str, se: &str) -> lotta::export::Frame {
    let mut args = vec![
        "estimate",
        "--data",
        "data.csv",
        "--outcome",
        "GPA_year1",
        "--treatment",
        "sfsp",
        "--format",
        "csv",
    ];
    args.extend(match spec {
        "unadjusted" => ["--estimator", "ols"].as_slice(),
        "usual" => ["--estimator", "ols", "--covariates", "gpa0"].as_slice(),
        "interacted" => ["--estimator", "lin", "--covariates", "gpa0"].as_slice(),
        "difference_in_means" => ["--estimator", "dim"].as_slice(),
        other => panic!("unknown specification {other}"),
    });
    let se = se.to_lowercase();
    if !se.is_empty() {
        args.extend(["--se", se.as_str()]);
    }
    let out = common::lotta(&reference_dir(), &args);
    assert_eq!(out.code, 0, "{spec} {se}: {}", out.stderr);
    let frame = lotta::export::from_csv(out.stdout.as_bytes()).expect("CSV output");
    assert_eq!(frame.rows.len(), 1, "{spec} {se}: one row");
    assert_eq!(frame.text(0, "term").as_deref(), Some("sfsp"));
    frame
}

#[test]
fn lin_2013_table_2_matches_estimatr() {
    let path = reference_dir().join("expected.csv");
    let expected = lotta::export::from_csv(&std::fs::read(path).expect("expected.csv"))
        .expect("expected.csv parses");
    assert_eq!(
        expected.rows.len(),
        13,
        "3 specifications × HC0–HC3, and dim"
    );
    for i in 0..expected.rows.len() {
        let spec = expected.text(i, "spec").expect("spec");
        let se = expected.text(i, "se").unwrap_or_default();
        let got = estimate(&spec, &se);
        for column in [
            "estimate",
            "std_error",
            "statistic",
            "df",
            "p_value",
            "conf_low",
            "conf_high",
        ] {
            let want = expected.number(i, column).expect("reference value");
            let mine = got.number(0, column).expect("lotta value");
            assert_close(mine, want, REFERENCE_REL, &format!("{spec} {se} {column}"));
        }
    }
}

/// Lin (2013), Table 2, as published (three decimals), with HC0 standard errors; the same
/// numbers estimatr's replication test checks.
const PUBLISHED: [(&str, f64, f64); 3] = [
    ("unadjusted", -0.036, 0.158),
    ("usual", -0.083, 0.146),
    ("interacted", -0.081, 0.146),
];

#[test]
fn lin_2013_table_2_published_numbers_at_published_rounding() {
    // Rounded to the published three decimals, compared as whole thousandths.
    let thousandths = |v: f64| (v * 1000.0).round() as i64;
    for (spec, estimate_published, se_published) in PUBLISHED {
        let got = estimate(spec, "HC0");
        let estimate = got.number(0, "estimate").expect("estimate");
        let se = got.number(0, "std_error").expect("std_error");
        assert_eq!(
            thousandths(estimate),
            thousandths(estimate_published),
            "{spec}: estimate {estimate}, published {estimate_published}"
        );
        assert_eq!(
            thousandths(se),
            thousandths(se_published),
            "{spec}: SE {se}, published {se_published}"
        );
    }
}
