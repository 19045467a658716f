//! Issue 15, item 3 end to end: families of hypotheses declared in `[[analysis.families]]`,
//! their adjusted p-values (`lotta estimate --families`, `tables/families.csv`), and bad input:
//! a family naming an unknown outcome, subgroup, level or arm is an error naming the family's
//! key and what it wrote, never a panic.

mod common;

use common::{demo_copy, lotta};

const FAMILY: &str = "reference = { gender = \"M\" }\n";

/// The demo with its families replaced by `families` (TOML), run as `lotta estimate` with `args`.
fn estimate_with(families: &str, args: &[&str]) -> common::Output {
    let dir = demo_copy(&[
        (
            "[[analysis.families]]\nname = \"horizons\"",
            "[[analysis.families]]\nname = \"old horizons\"",
        ),
        (FAMILY, &format!("{FAMILY}{families}")),
    ]);
    let mut all = vec!["estimate", "studies/md1-demo"];
    all.extend(args);
    let run = lotta(dir.path(), &all);
    drop(dir);
    run
}

fn expect_spec_error(run: &common::Output, parts: &[&str]) {
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for p in parts {
        assert!(run.stderr.contains(p), "`{p}` not in: {}", run.stderr);
    }
    assert!(run.stdout.is_empty(), "no output expected: {}", run.stdout);
}

#[test]
fn a_family_naming_an_unknown_outcome_is_an_error_naming_its_key() {
    let run = estimate_with(
        "[[analysis.families]]\nname = \"typo\"\noutcomes = [\"work_or_study_54\"]\n",
        &["--ri", "0"],
    );
    expect_spec_error(
        &run,
        &[
            "study.toml",
            "analysis.families[1].outcomes",
            "`typo`",
            "`work_or_study_54`",
            "did you mean `work_or_study_540`?",
        ],
    );
}

#[test]
fn a_family_naming_a_subgroup_variable_that_is_not_analysed_is_an_error() {
    let run = estimate_with(
        "[[analysis.families]]\nname = \"ages\"\noutcomes = [\"work_or_study_540\"]\nsubgroups = [\"age_band\"]\n",
        &["--ri", "0"],
    );
    expect_spec_error(
        &run,
        &[
            "analysis.families[1].subgroups",
            "`age_band`",
            "not of a subgroup variable (gender)",
        ],
    );
}

#[test]
fn a_family_naming_a_level_the_data_do_not_have_is_an_error_listing_the_rows() {
    // Caught after the estimates, before any randomization draw.
    let run = estimate_with(
        "[[analysis.families]]\nname = \"women\"\noutcomes = [\"work_or_study_540\"]\nsubgroups = [\"gender=W\"]\n",
        &[],
    );
    expect_spec_error(
        &run,
        &[
            "analysis.families",
            "family `women`: subgroup `gender=W` names no effect row",
            "gender=F",
        ],
    );
}

#[test]
fn a_family_naming_an_arm_that_is_not_treated_is_an_error() {
    let run = estimate_with(
        "[[analysis.families]]\nname = \"arms\"\noutcomes = [\"work_or_study_540\"]\narms = [\"standard\"]\n",
        &["--ri", "0"],
    );
    expect_spec_error(
        &run,
        &[
            "analysis.families[1].arms",
            "`standard`",
            "not a treated arm of the design (md1)",
        ],
    );
}

#[test]
fn families_without_randomization_inference_get_anderson_q_values_and_the_reason() {
    let run = estimate_with("", &["--ri", "0", "--families", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let frame = lotta::export::from_csv(run.stdout.as_bytes()).unwrap();
    // The demo's two families: 4 horizons (all), and women, men and their difference at 540.
    assert_eq!(frame.rows.len(), 4 + 3, "{}", run.stdout);
    for i in 0..frame.rows.len() {
        assert!(frame.number(i, "q_value_anderson").is_some());
        assert!(frame.number(i, "p_value_romano_wolf").is_none());
        assert!(
            frame
                .text(i, "note")
                .is_some_and(|n| n.contains("no randomization inference")),
            "{}",
            run.stdout
        );
    }
    assert!(
        run.stderr.contains("Anderson's sharpened q-values only"),
        "{}",
        run.stderr
    );
}

#[test]
fn families_name_every_adjusted_p_value_and_never_go_below_the_rows_own() {
    let run = estimate_with("", &["--ri", "200", "--families", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let frame = lotta::export::from_csv(run.stdout.as_bytes()).unwrap();
    let families: Vec<String> = (0..frame.rows.len())
        .filter_map(|i| frame.text(i, "family"))
        .collect();
    assert_eq!(
        families,
        [
            vec!["old horizons".to_string(); 4],
            vec!["women and men at 18 months".to_string(); 3]
        ]
        .concat()
    );
    let subgroups: Vec<String> = (4..7).filter_map(|i| frame.text(i, "subgroup")).collect();
    assert_eq!(subgroups, ["gender=F", "gender=M", "gender=F - gender=M"]);
    for i in 0..frame.rows.len() {
        let own = frame.number(i, "p_value_ri").unwrap();
        let rw = frame.number(i, "p_value_romano_wolf").unwrap();
        let wy = frame.number(i, "p_value_westfall_young").unwrap();
        assert!(rw >= own && wy >= own && rw <= 1.0 && wy <= 1.0, "row {i}");
        assert!(frame.number(i, "q_value_anderson").is_some(), "row {i}");
        assert_eq!(frame.number(i, "ri_draws"), Some(200.0));
    }
}
