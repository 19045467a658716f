//! A small cluster-randomized study end to end (issue 14): 8 municipalities, 4:4 (and 4 matched
//! pairs), with the wild cluster bootstrap and randomization inference configured in the spec.
//! `lotta run` lists all 70 (16) assignments, writes `ri_exact`, `ri_draws`, the wild bootstrap
//! columns and the number of clusters into the effects table, and the report's headline leads
//! with the exact result and keeps CR2 beside it; an unbounded interval says so. CV3 with the
//! 2SLS effect is refused with the way out.

mod common;

use std::fs;
use std::path::Path;

/// Participants of 8 municipalities (sizes 10..31), pairs q1..q4, and a binary outcome.
fn write_study(dir: &Path, pairs: bool) {
    let mut participants = String::from("person_id,municipality,pair\n");
    let mut outcomes = String::from("person_id,in_work_540,took_part\n");
    let mut i = 0;
    for m in 1..=8usize {
        for k in 0..(10 + 3 * m) {
            i += 1;
            participants.push_str(&format!("p{i:04},m{m},q{}\n", m.div_ceil(2)));
            let work = (i * 7 + m * 3 + k) % 5 < 2;
            outcomes.push_str(&format!(
                "p{i:04},{},{}\n",
                u8::from(work),
                u8::from(i % 3 != 0)
            ));
        }
    }
    fs::write(dir.join("participants.csv"), participants).unwrap();
    fs::write(dir.join("outcomes.csv"), outcomes).unwrap();
    let strata = if pairs { "strata = [\"pair\"]\n" } else { "" };
    fs::write(
        dir.join("study.toml"),
        format!(
            "[study]\nname = \"kisa\"\ntitle = \"Eight municipalities\"\nseed = 2024\n\n\
             [data]\nid = \"person_id\"\nparticipants = \"participants.csv\"\n\
             outcomes = [\"outcomes.csv\"]\nledger = \"ledger.csv\"\n\n\
             [design]\narms = {{ igma = 1, standard = 1 }}\ncontrol = \"standard\"\n\
             cluster = \"municipality\"\n{strata}\n\
             [analysis]\noutcomes = [\"in_work_540\"]\nestimator = \"ols\"\nri_draws = 1000\n\
             wild_bootstrap = 999\n"
        ),
    )
    .unwrap();
}

fn run_study(pairs: bool) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    write_study(dir.path(), pairs);
    let assign = common::lotta(dir.path(), &["assign", "."]);
    assert_eq!(assign.code, 0, "{}", assign.stderr);
    let run = common::lotta(dir.path(), &["run", ".", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let effects = fs::read_to_string(dir.path().join("out/tables/effects.csv")).unwrap();
    let report = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    (dir, effects, report)
}

fn cell<'a>(table: &'a str, column: &str) -> &'a str {
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let j = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("{column}"));
    lines.next().unwrap().split(',').nth(j).unwrap()
}

#[test]
fn run_writes_the_exact_and_wild_columns_and_the_headline_leads_with_them() {
    let (_dir, effects, report) = run_study(false);
    assert_eq!(cell(&effects, "clusters"), "8");
    assert_eq!(cell(&effects, "ri_exact"), "true");
    assert_eq!(cell(&effects, "ri_draws"), "70");
    let p: f64 = cell(&effects, "p_value_ri").parse().unwrap();
    let k = (p * 70.0).round();
    assert_eq!(p, k / 70.0);
    assert_eq!(
        cell(&effects, "ri_min_p").parse::<f64>().unwrap(),
        2.0 / 70.0
    );
    assert_eq!(cell(&effects, "wild_draws"), "256");
    assert_eq!(cell(&effects, "wild_enumerated"), "true");
    assert!(cell(&effects, "p_value_wild").parse::<f64>().is_ok());
    let headline = report
        .lines()
        .find(|l| l.starts_with("- All:"))
        .expect("a headline for all");
    assert!(
        headline.contains(&format!(
            "exact randomization inference over all 70 possible assignments of the 8 clusters: p = {k:.0}/70"
        )),
        "{headline}"
    );
    assert!(
        headline.contains("smallest attainable p 0.029"),
        "{headline}"
    );
    assert!(headline.contains("Cluster-robust (CR2)"), "{headline}");
    let design = headline.find("exact randomization").unwrap();
    assert!(
        design < headline.find("CR2").unwrap(),
        "design-based first: {headline}"
    );
    assert!(report.contains("all of them are listed instead and the p-value is exact"));
}

#[test]
fn four_matched_pairs_say_their_interval_is_unbounded() {
    let (dir, effects, report) = run_study(true);
    assert_eq!(cell(&effects, "ri_draws"), "16");
    assert_eq!(cell(&effects, "ri_min_p").parse::<f64>().unwrap(), 0.125);
    assert_eq!(cell(&effects, "ri_conf_low"), "-Inf");
    assert_eq!(cell(&effects, "ri_conf_high"), "Inf");
    assert!(report.contains("95% interval unbounded"), "{report}");
    let forest = fs::read_to_string(dir.path().join("out/figures/forest.svg")).unwrap();
    assert!(forest.contains("unbounded"));
    assert!(forest.contains("randomization interval; grey: CR2; 8 clusters"));
    // `lotta estimate`'s terminal table leads with the design-based columns.
    let table = common::lotta(dir.path(), &["estimate", "."]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stderr.contains("only 8 clusters"), "{}", table.stderr);
    // The table comes in blocks, one per outcome ("outcome: …"), each with its header.
    let header = table
        .stdout
        .lines()
        .find(|l| l.starts_with("subgroup"))
        .unwrap_or_else(|| panic!("{}", table.stdout));
    let at = |c: &str| {
        header
            .find(c)
            .unwrap_or_else(|| panic!("{c}: {}", table.stdout))
    };
    assert!(at("p_value_ri") < at("std_error") && at("clusters") < at("p_value_ri"));
}

#[test]
fn cv3_with_the_2sls_effect_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    write_study(dir.path(), false);
    assert_eq!(common::lotta(dir.path(), &["assign", "."]).code, 0);
    let out = common::lotta(
        dir.path(),
        &[
            "estimate",
            ".",
            "--se",
            "cv3",
            "--participation",
            "took_part",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("cv3") && out.stderr.contains("2SLS"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}
