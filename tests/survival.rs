//! `lotta survival` end to end through the binary: the tidy columns of issue 13 in every format,
//! randomization inference identical on any thread count, and each kind of bad input as its own
//! test (a message naming file, line and column, exit 1, never a panic).

mod common;

use std::path::Path;
use std::process::{Command, Output};

const MONTHLY: &str = "tests/reference/survival/d_monthly.csv";
const CAUSES: &str = "tests/reference/survival/d_causes.csv";

fn lotta(args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lotta"))
        .arg("survival")
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("run lotta")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Write `text` to a file in a fresh folder and run `lotta survival --data` on it (time `t`,
/// event `e`, arm `z`, then `extra`).
fn on_file(text: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trial.csv");
    std::fs::write(&file, text).unwrap();
    let mut args = vec![
        "--data",
        file.to_str().unwrap(),
        "--time",
        "t",
        "--event",
        "e",
        "--treatment",
        "z",
    ];
    args.extend_from_slice(extra);
    lotta(&args, "1")
}

/// [`on_file`]'s exit code and message, never a panic.
fn bad(text: &str, extra: &[&str]) -> (i32, String) {
    let o = on_file(text, extra);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    (o.status.code().unwrap_or(-1), err)
}

const GOOD: &str = "z,t,e,x\n0,5,1,a\n1,3,1,b\n0,8,1,a\n1,9,0,b\n0,2,1,a\n1,7,0,b\n";

#[test]
fn the_rows_have_the_columns_of_the_issue_in_every_format() {
    let args = [
        "--data",
        MONTHLY,
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
        "--at",
        "6,12",
        "--format",
        "csv",
    ];
    let o = lotta(&args, "1");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(out.starts_with(
        "outcome,subgroup,estimand,arm,time,estimate,std_error,statistic,df,p_value,conf_low,conf_high,method\n"
    ));
    for estimand in [
        "km",
        "km_difference",
        "logrank",
        "rmst",
        "rmst_difference",
        "rmst_ratio",
        "hazard_ratio",
    ] {
        assert!(out.contains(&format!(",{estimand},")), "{estimand}");
    }
    assert!(out.contains("gender=F - gender=M,rmst_difference"), "{out}");
    // τ is printed.
    assert!(stderr(&o).contains("τ = 24"), "{}", stderr(&o));
    for format in ["table", "json", "markdown", "latex"] {
        let mut a = args.to_vec();
        a.pop();
        a.push(format);
        let o = lotta(&a, "1");
        assert!(o.status.success() && !o.stdout.is_empty(), "{format}");
    }
}

#[test]
fn competing_exits_give_cumulative_incidence_and_grays_test() {
    let o = lotta(
        &[
            "--data",
            CAUSES,
            "--time",
            "time",
            "--event",
            "event",
            "--treatment",
            "arm",
            "--control",
            "standard",
            "--cause",
            "job",
            "--at",
            "12",
            "--format",
            "csv",
        ],
        "1",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("time:job,all,cif,md1,12,"), "{out}");
    assert!(out.contains("time:job,all,gray,md1,,,,"), "{out}");
}

#[test]
fn randomization_inference_is_the_same_on_any_thread_count() {
    let args = [
        "--data",
        MONTHLY,
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
        "200",
        "--seed",
        "7",
        "--format",
        "csv",
    ];
    let one = lotta(&args, "1");
    let two = lotta(&args, "2");
    assert!(one.status.success(), "{}", stderr(&one));
    assert_eq!(one.stdout, two.stdout);
    let out = String::from_utf8(one.stdout).unwrap();
    assert!(out.lines().next().unwrap().ends_with(",method,p_value_ri"));
    let logrank = out.lines().find(|l| l.contains(",all,logrank,")).unwrap();
    let p: f64 = logrank.rsplit(',').next().unwrap().parse().unwrap();
    assert!((0.0..=1.0).contains(&p), "{logrank}");
}

/// The randomization p-values of both draw algorithms stay what the release before the per-cell
/// kernel of `survival::ri` printed (issue 13's speed work must not change a digit): the whole
/// output of each, on 1 and 2 threads, against files written by that release (commit ad6405c)
/// with the same arguments. Two arms with strata and ties (monthly data), and three arms with a
/// subgroup whose arm has no events.
#[test]
fn randomization_p_values_of_v1_and_v2_are_those_of_the_release_before_the_cell_kernel() {
    let cases: [(&str, &[&str]); 2] = [
        (
            "monthly",
            &[
                "--data",
                MONTHLY,
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
            ],
        ),
        (
            "three_arms",
            &[
                "--data",
                "tests/reference/survival/d_noevents.csv",
                "--time",
                "time",
                "--event",
                "event",
                "--treatment",
                "arm",
                "--control",
                "a",
                "--by",
                "gender",
                "--ri",
                "300",
                "--seed",
                "3",
            ],
        ),
    ];
    for (name, args) in cases {
        for algorithm in ["v1", "v2"] {
            let expected =
                std::fs::read(format!("tests/golden/survival_ri/{name}_{algorithm}.csv")).unwrap();
            let mut all = args.to_vec();
            all.extend(["--ri-algorithm", algorithm, "--format", "csv"]);
            for threads in ["1", "2"] {
                let o = lotta(&all, threads);
                assert!(o.status.success(), "{}", stderr(&o));
                assert!(
                    o.stdout == expected,
                    "{name} {algorithm} on {threads} threads:\n{}",
                    String::from_utf8_lossy(&o.stdout)
                );
            }
        }
    }
}

#[test]
fn a_negative_time_names_its_cell() {
    let (code, err) = bad(&GOOD.replace("1,3,1,b", "1,-3,1,b"), &["--control", "0"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("trial.csv: line 3, column 2 (`t`)") && err.contains("negative time"),
        "{err}"
    );
}

#[test]
fn an_event_code_other_than_0_1_without_a_cause_names_its_cell() {
    let (code, err) = bad(&GOOD.replace("0,8,1,a", "0,8,2,a"), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 4, column 3 (`e`)") && err.contains("--cause"),
        "{err}"
    );
}

#[test]
fn a_cause_that_never_occurs_lists_the_exits_found() {
    let text = "z,t,e\n0,5,job\n1,3,0\n0,8,moved\n1,9,job\n0,2,job\n1,7,studies\n";
    let (code, err) = bad(text, &["--cause", "jobb"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("`jobb` never occurs") && err.contains("did you mean `job`?"),
        "{err}"
    );
    assert!(err.contains("trial.csv") && err.contains("`e`"), "{err}");
}

#[test]
fn tau_beyond_the_last_observed_time_says_what_survrm2_does() {
    // Arm 1's last person (t = 9) is censored: its curve ends there.
    let (code, err) = bad(GOOD, &["--tau", "10"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("τ = 10") && err.contains("survRM2") && err.contains("τ ≤ 9"),
        "{err}"
    );
    assert!(err.contains("trial.csv") && err.contains("`t`"), "{err}");
}

#[test]
fn an_arm_without_events_is_refused() {
    let text = "z,t,e\n0,5,1\n1,3,0\n0,8,1\n1,9,0\n0,2,1\n1,7,0\n";
    let (code, err) = bad(text, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no person in arm `1` has an event") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn a_text_time_column_names_its_cell() {
    let (code, err) = bad(&GOOD.replace("0,8,1,a", "0,eight,1,a"), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("trial.csv: line 4, column 2") && err.contains("`eight`"),
        "{err}"
    );
}

#[test]
fn missing_columns_and_flags_are_usage_errors() {
    let o = lotta(
        &["--data", MONTHLY, "--time", "time", "--treatment", "arm"],
        "1",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--event"));
    assert!(Path::new(MONTHLY).exists());
}

#[test]
fn estimate_warns_when_an_outcome_is_a_time_to_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.csv");
    std::fs::write(&file, "z,days_to_first_job\n0,5\n1,3\n0,8\n1,9\n0,2\n1,7\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lotta"))
        .args([
            "estimate",
            "--data",
            file.to_str().unwrap(),
            "--outcome",
            "days_to_first_job",
        ])
        .args(["--treatment", "z", "--format", "csv"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("lotta survival"), "{}", stderr(&o));
}

#[test]
fn fewer_than_100_randomization_draws_are_refused_as_for_estimate() {
    let (code, err) = bad(GOOD, &["--ri", "50", "--seed", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--ri") && err.contains("at least 100"),
        "{err}"
    );
}

#[test]
fn subgroups_are_listed_in_level_order_and_an_empty_cell_counts_only_overall() {
    // Levels 2, 10 and 9: numbers sort as numbers (2, 9, 10), as every other table lists
    // subgroups; the person with an empty subgroup is in `all` only.
    let groups = "0,5,1,10\n1,3,1,10\n0,8,1,10\n1,9,0,10\n0,2,1,10\n1,7,1,10\n\
                  0,4,1,2\n1,6,1,2\n0,3,1,2\n1,8,0,2\n0,1,1,2\n1,5,1,2\n\
                  0,6,1,9\n1,2,1,9\n0,7,1,9\n1,4,1,9\n0,9,1,9\n1,3,1,9\n";
    let run = |text: &str| {
        let o = on_file(text, &["--by", "g", "--tau", "5", "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let with_empty = run(&format!("z,t,e,g\n{groups}1,4,1,\n"));
    let without = run(&format!("z,t,e,g\n{groups}"));
    let order: Vec<&str> = with_empty
        .lines()
        .filter(|l| l.contains(",logrank,"))
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(order, ["all", "g=2", "g=9", "g=10"], "{with_empty}");
    let rows_of = |out: &str, group: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.split(',').nth(1) == Some(group))
            .map(str::to_string)
            .collect()
    };
    for g in ["g=2", "g=9", "g=10"] {
        assert!(!rows_of(&with_empty, g).is_empty());
        assert_eq!(rows_of(&with_empty, g), rows_of(&without, g), "{g}");
    }
    assert_ne!(rows_of(&with_empty, "all"), rows_of(&without, "all"));
}

#[test]
fn a_missing_value_code_in_the_event_or_subgroup_column_leaves_the_person_out() {
    // `.` (Stata) and `NA` (R) are missing cells everywhere in lotta: an event coded so leaves
    // the person out with a note, and a subgroup coded so keeps the person in `all` only.
    let text = format!("{}1,4,.,b\n0,6,NA,a\n1,5,1,NA\n", GOOD);
    let (code, err) = bad(&text, &["--by", "x", "--tau", "5"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("2 persons without a time or an event code in `t` / `e` are left out"),
        "{err}"
    );
    assert!(!err.contains("x=NA"), "{err}");
}
