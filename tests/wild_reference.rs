//! The wild cluster bootstrap, CV3 standard errors and cluster diagnostics of `lotta estimate`
//! against the independent R implementation in tests/reference/wild/reference.R (values in
//! wild.csv, cv3.csv, diagnostics.csv, gstar.csv, on the 8-, 6- and 5-cluster data sets beside
//! it): enumerated Rademacher p-values exactly (multiples of 1/2^G), interval ends to the
//! inversion tolerance, Webb/Mammen/normal weights with B = 99,999 within Monte Carlo error,
//! CV3 to 1e-8 (equal to sandwich's vcovCL HC3 without its cluster adjustment and to
//! (G − 1)/G times clubSandwich's CR3), the diagnostics and G* to 1e-10.

mod common;

use common::tolerance::{
    INVERSION_SE, MONTE_CARLO_SDS, PRINTED_REL, REFERENCE_REL, assert_close, assert_close_abs,
};
use std::collections::HashMap;
use std::path::Path;

const DIR: &str = "tests/reference/wild";

/// A CSV file without quoted cells as rows of column → cell.
fn read_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

fn reference(file: &str) -> Vec<HashMap<String, String>> {
    read_csv(&std::fs::read_to_string(Path::new(DIR).join(file)).expect("reference file"))
}

fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    match row[column].as_str() {
        "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        cell => cell
            .parse()
            .unwrap_or_else(|_| panic!("{column}: `{cell}`")),
    }
}

/// `lotta estimate` on one of the data sets (y on z and x, clustered by `cluster`), as CSV rows.
fn estimate(data: &str, estimator: &str, extra: &[&str]) -> Vec<HashMap<String, String>> {
    let file = format!("data_{data}.csv");
    let mut args = vec![
        "estimate",
        "--data",
        &file,
        "--outcome",
        "y",
        "--treatment",
        "z",
        "--covariates",
        "x",
        "--estimator",
        estimator,
        "--cluster",
        "cluster",
        "--seed",
        "20190101",
        "--format",
        "csv",
    ];
    args.extend_from_slice(extra);
    let out = common::lotta(Path::new(DIR), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    read_csv(&out.stdout)
}

#[test]
fn enumerated_rademacher_p_values_and_intervals_equal_the_reference() {
    let rows = reference("wild.csv");
    let enumerated: Vec<_> = rows.iter().filter(|r| r["enumerated"] == "TRUE").collect();
    assert_eq!(enumerated.len(), 12);
    for r in enumerated {
        let what = format!("{} {} {}", r["data"], r["estimator"], r["null"]);
        let got = estimate(
            &r["data"],
            &r["estimator"],
            &["--wild-bootstrap", "999", "--wild-null", &r["null"]],
        );
        let row = &got[0];
        assert_eq!(row["term"], "z");
        assert_eq!(row["wild_enumerated"], "true", "{what}");
        assert_eq!(num(row, "wild_draws"), num(r, "draws"), "{what}");
        // Exact: both are counts over the same 2^G sign vectors.
        assert_eq!(num(row, "p_value_wild"), num(r, "p_value"), "{what}");
        assert_close(
            num(row, "estimate"),
            num(r, "estimate"),
            REFERENCE_REL,
            &what,
        );
        let se = num(r, "se_cr1");
        for end in ["conf_low", "conf_high"] {
            let got = num(row, &format!("wild_{end}"));
            assert!(
                (got - num(r, end)).abs() <= INVERSION_SE * se,
                "{what} {end}: {got} against {}",
                num(r, end)
            );
        }
    }
}

#[test]
fn webb_mammen_and_normal_weights_agree_within_monte_carlo_error() {
    let spread: HashMap<String, HashMap<String, String>> = reference("mc_spread.csv")
        .into_iter()
        .map(|r| (r["weights"].clone(), r))
        .collect();
    let rows = reference("wild.csv");
    for r in rows.iter().filter(|r| r["enumerated"] == "FALSE") {
        let kind = &r["weights"];
        let what = format!("{} {kind}", r["estimator"]);
        let got = estimate(
            "g8",
            &r["estimator"],
            &["--wild-bootstrap", "99999", "--wild-weights", kind],
        );
        let row = &got[0];
        assert_eq!(row["wild_enumerated"], "false", "{what}");
        assert_eq!(num(row, "wild_draws"), 99999.0);
        let sd = &spread[kind];
        let allowed = |column: &str| {
            MONTE_CARLO_SDS * std::f64::consts::SQRT_2 * num(sd, column)
                + INVERSION_SE * num(r, "se_cr1")
        };
        for (mine, theirs, sd_column) in [
            ("p_value_wild", "p_value", "sd_p_value"),
            ("wild_conf_low", "conf_low", "sd_conf_low"),
            ("wild_conf_high", "conf_high", "sd_conf_high"),
        ] {
            assert_close_abs(
                num(row, mine),
                num(r, theirs),
                allowed(sd_column),
                &format!("{what} {mine}"),
            );
        }
    }
}

#[test]
fn cv3_equals_the_cluster_jackknife_of_the_reference() {
    for r in reference("cv3.csv") {
        let what = format!("{} {}", r["data"], r["estimator"]);
        let got = estimate(&r["data"], &r["estimator"], &["--se", "cv3"]);
        let row = &got[0];
        assert_eq!(row["se_type"], "CV3");
        assert_close(
            num(row, "std_error"),
            num(&r, "std_error"),
            PRINTED_REL,
            &what,
        );
        assert_eq!(num(row, "df"), num(&r, "df"), "{what}");
    }
}

#[test]
fn cluster_diagnostics_and_effective_clusters_equal_the_reference() {
    let diagnostics = reference("diagnostics.csv");
    for g in reference("gstar.csv") {
        let (data, estimator) = (&g["data"], &g["estimator"]);
        let got = estimate(data, estimator, &["--cluster-diagnostics"]);
        let expected: Vec<_> = diagnostics
            .iter()
            .filter(|r| &r["data"] == data && &r["estimator"] == estimator)
            .collect();
        assert_eq!(got.len(), expected.len());
        for (row, r) in got.iter().zip(expected) {
            let what = format!("{data} {estimator} {}", r["cluster"]);
            assert_eq!(row["cluster"], format!("cluster={}", r["cluster"]));
            assert_eq!(row["n"], r["n"], "{what}");
            for (mine, theirs) in [
                ("leverage", "leverage"),
                ("partial_leverage", "partial_leverage"),
                ("estimate_without", "estimate_without"),
            ] {
                assert_close(num(row, mine), num(r, theirs), REFERENCE_REL, &what);
            }
            for column in ["effective_clusters_0", "effective_clusters_1"] {
                assert_close(num(row, column), num(&g, column), REFERENCE_REL, &what);
            }
        }
    }
}
