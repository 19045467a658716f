//! Indicators with targets against R (tests/reference/indicators/indicators.R, R 4.2 with
//! estimatr and clubSandwich): the exact one-sided binomial tests and the Clopper–Pearson
//! interval (`binom.test`), Pearson's chi-square without continuity correction
//! (`chisq.test(correct = FALSE)`) and Fisher's exact test for r × c tables (`fisher.test`), the
//! chi-square upper tail (`pchisq`), and the cluster-robust share (`lm_robust(y ~ 1, clusters,
//! se_type = "CR2")` with its Bell–McCaffrey df, checked in R against clubSandwich).

mod common;

use common::tolerance::{REFERENCE_REL, assert_close};
use lotta::dist::{binomial_tails, clopper_pearson, pchisq_upper};
use lotta::targets::contingency::{Fisher, chi_square, fisher_exact};
use lotta::targets::{Direction, Target, clustered_share, share_cell};
use std::collections::HashMap;
use std::path::Path;

fn read(name: &str) -> Vec<HashMap<String, String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/indicators")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap()
}

#[test]
fn binomial_tests_and_clopper_pearson_match_binom_test() {
    let rows = read("binomial.csv");
    assert!(rows.len() >= 13);
    for row in &rows {
        let (x, n, p, level) = (
            num(row, "x") as u64,
            num(row, "n") as u64,
            num(row, "p"),
            num(row, "level"),
        );
        let what = format!("x = {x}, n = {n}, p = {p}");
        let (less, greater) = binomial_tails(x, n, p);
        assert_close(greater, num(row, "p_greater"), REFERENCE_REL, &what);
        assert_close(less, num(row, "p_less"), REFERENCE_REL, &what);
        let (low, high) = clopper_pearson(x, n, level);
        assert_close(low, num(row, "conf_low"), REFERENCE_REL, &what);
        assert_close(high, num(row, "conf_high"), REFERENCE_REL, &what);
        // The same numbers through an indicator cell with an "at least" and an "at most" target.
        let y: Vec<f64> = (0..n).map(|i| if i < x { 1.0 } else { 0.0 }).collect();
        let at_least = Target {
            share: p,
            direction: Direction::AtLeast,
        };
        let cell = share_cell(&y, None, Some(at_least), level);
        assert_eq!((cell.n, cell.n_yes), (n as usize, x as usize));
        assert_close(
            cell.p_value.unwrap(),
            num(row, "p_greater"),
            REFERENCE_REL,
            &what,
        );
        assert_close(
            cell.conf_low.unwrap(),
            num(row, "conf_low"),
            REFERENCE_REL,
            &what,
        );
        let at_most = Target {
            direction: Direction::AtMost,
            ..at_least
        };
        let cell = share_cell(&y, None, Some(at_most), level);
        assert_close(
            cell.p_value.unwrap(),
            num(row, "p_less"),
            REFERENCE_REL,
            &what,
        );
        assert_close(
            cell.p_value_shortfall.unwrap(),
            num(row, "p_greater"),
            REFERENCE_REL,
            &what,
        );
    }
}

fn table(text: &str) -> Vec<Vec<u64>> {
    text.split('/')
        .map(|r| r.split(' ').map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn chi_square_and_fisher_match_r_for_r_by_c_tables() {
    let rows = read("contingency.csv");
    assert!(rows.len() >= 7);
    for row in &rows {
        let counts = table(&row["table"]);
        let what = row["table"].clone();
        let chi = chi_square(&counts).unwrap();
        assert_close(chi.statistic, num(row, "statistic"), REFERENCE_REL, &what);
        assert_eq!(chi.df, num(row, "df"), "{what}");
        assert_close(chi.p_value, num(row, "p_chisq"), REFERENCE_REL, &what);
        match fisher_exact(&counts) {
            Fisher::Computed { p_value, .. } => {
                assert_close(p_value, num(row, "p_fisher"), REFERENCE_REL, &what)
            }
            other => panic!("{what}: {other:?}"),
        }
        // Transposed, the same tests.
        let transposed: Vec<Vec<u64>> = (0..counts[0].len())
            .map(|j| counts.iter().map(|r| r[j]).collect())
            .collect();
        match fisher_exact(&transposed) {
            Fisher::Computed { p_value, .. } => {
                assert_close(p_value, num(row, "p_fisher"), REFERENCE_REL, &what)
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn chi_square_tail_matches_pchisq() {
    for row in read("pchisq.csv") {
        let (x, df) = (num(&row, "x"), num(&row, "df"));
        let what = format!("pchisq({x}, {df}, lower = FALSE)");
        assert_close(pchisq_upper(x, df), num(&row, "p"), REFERENCE_REL, &what);
    }
}

#[test]
fn clustered_share_matches_lm_robust_cr2() {
    let data = read("clustered_data.csv");
    let y: Vec<f64> = data.iter().map(|r| num(r, "y")).collect();
    let codes: Vec<usize> = data.iter().map(|r| num(r, "cluster") as usize).collect();
    let rows = read("clustered.csv");
    assert_eq!(rows.len(), 4);
    for row in &rows {
        let target = Target {
            share: num(row, "target"),
            direction: Direction::AtLeast,
        };
        let what = format!("target {}", target.share);
        let c = clustered_share(&y, &codes, Some(target), 0.95);
        assert_eq!(c.clusters, 9);
        assert_close(c.std_error, num(row, "std_error"), REFERENCE_REL, &what);
        assert_close(c.df, num(row, "df"), REFERENCE_REL, &what);
        assert_close(c.conf_low, num(row, "conf_low"), REFERENCE_REL, &what);
        assert_close(c.conf_high, num(row, "conf_high"), REFERENCE_REL, &what);
        assert_close(
            c.p_value.unwrap(),
            num(row, "p_greater"),
            REFERENCE_REL,
            &what,
        );
        assert_close(
            c.p_value_shortfall.unwrap(),
            num(row, "p_less"),
            REFERENCE_REL,
            &what,
        );
        let cell = share_cell(&y, Some(&codes), Some(target), 0.95);
        assert_close(cell.share.unwrap(), num(row, "share"), REFERENCE_REL, &what);
        assert_eq!(cell.clustered, Some(c));
    }
}
