//! The balance table against R (tests/reference/balance/balance.R: t.test with pooled variance,
//! lm's F statistic), and `lotta balance` end to end.

use common::tolerance::{REFERENCE_REL, ROUNDING_ABS, SUM_REL, ZERO_SCALE};
use lotta::balance::{CovariateColumn, balance};
use lotta::io::{ColumnRequest, Table};
use std::path::Path;

fn close_within(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(ZERO_SCALE) || (a - b).abs() < ROUNDING_ABS
}

fn reference(name: &str) -> Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/balance")
        .join(name);
    let headers = lotta::io::table::read_headers(&path).unwrap();
    let requests: Vec<ColumnRequest> = headers.iter().map(ColumnRequest::text).collect();
    Table::read(&path, &requests).unwrap()
}

fn num(t: &Table, col: &str, row: usize) -> f64 {
    t.text(col).unwrap()[row].parse().unwrap()
}

#[test]
fn matches_r_t_tests_and_joint_f() {
    let data = reference("data.csv");
    let arms = [
        "md1".to_string(),
        "plus".to_string(),
        "standard".to_string(),
    ];
    let arm: Vec<u32> = data
        .text("arm")
        .unwrap()
        .iter()
        .map(|a| arms.iter().position(|x| x == a).unwrap() as u32)
        .collect();
    let age: Vec<f64> = data
        .text("age")
        .unwrap()
        .iter()
        .map(|v| v.parse().unwrap_or(f64::NAN))
        .collect();
    let months: Vec<f64> = data
        .text("months")
        .unwrap()
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let covs = [
        CovariateColumn::Numeric {
            name: "age",
            values: &age,
        },
        CovariateColumn::Categorical {
            name: "edu",
            values: data.text("edu").unwrap(),
        },
        CovariateColumn::Numeric {
            name: "months",
            values: &months,
        },
    ];
    let got = balance(
        &covs,
        &arm,
        &arms,
        2,
        Some(("gender", data.text("gender").unwrap())),
        None,
    )
    .unwrap();

    let expected = reference("expected_rows.csv");
    assert_eq!(got.rows.len(), expected.n_rows());
    for i in 0..expected.n_rows() {
        let key = |c: &str| expected.text(c).unwrap()[i].clone();
        let level = key("level");
        let row = got
            .rows
            .iter()
            .find(|r| {
                r.subgroup == key("subgroup")
                    && r.covariate == key("covariate")
                    && r.arm == key("arm")
                    && r.level.clone().unwrap_or_default() == level
            })
            .unwrap_or_else(|| panic!("no row for expected row {i}"));
        assert_eq!(row.n_arm as f64, num(&expected, "n_arm", i));
        assert_eq!(row.n_control as f64, num(&expected, "n_control", i));
        for (name, value) in [
            ("mean_arm", row.mean_arm),
            ("sd_arm", row.sd_arm),
            ("mean_control", row.mean_control),
            ("sd_control", row.sd_control),
            ("difference", row.difference),
            ("smd", row.smd),
            ("p_value", row.p_value),
        ] {
            let want = num(&expected, name, i);
            let tol = if name == "p_value" {
                REFERENCE_REL
            } else {
                SUM_REL
            };
            assert!(
                close_within(value, want, tol),
                "row {i} {name}: {value} vs R {want}"
            );
        }
    }

    let joint = reference("expected_joint.csv");
    assert_eq!(got.joint.len(), joint.n_rows());
    for i in 0..joint.n_rows() {
        let j = got
            .joint
            .iter()
            .find(|j| {
                j.subgroup == joint.text("subgroup").unwrap()[i]
                    && j.arm == joint.text("arm").unwrap()[i]
            })
            .unwrap();
        assert_eq!(j.n as f64, num(&joint, "n", i));
        assert_eq!(j.df1 as f64, num(&joint, "df1", i));
        assert_eq!(j.df2 as f64, num(&joint, "df2", i));
        let (f, p) = (num(&joint, "f_statistic", i), num(&joint, "p_value", i));
        assert!(
            close_within(j.f_statistic, f, SUM_REL),
            "F {i}: {} vs {f}",
            j.f_statistic
        );
        assert!(
            close_within(j.p_value, p, REFERENCE_REL),
            "p {i}: {} vs {p}",
            j.p_value
        );
    }
}

mod common;

#[test]
fn balance_command_writes_every_format_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.csv"), common::participants(60)).unwrap();
    assert_eq!(common::lotta(dir.path(), common::ASSIGN).code, 0);
    let args = [
        "balance",
        "--participants",
        "p.csv",
        "--ledger",
        "ledger.csv",
        "--covariates",
        "age,education_level",
        "--by",
        "gender",
    ];
    for (format, ext) in [
        ("csv", "csv"),
        ("json", "json"),
        ("markdown", "md"),
        ("latex", "tex"),
    ] {
        let out_file = format!("out/balance.{ext}");
        let mut a = args.to_vec();
        a.extend(["--format", format, "--out", &out_file]);
        let out = common::lotta(dir.path(), &a);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let first = std::fs::read(dir.path().join(&out_file)).unwrap();
        assert!(dir.path().join(format!("out/balance_joint.{ext}")).exists());
        assert_eq!(common::lotta(dir.path(), &a).code, 0);
        assert_eq!(std::fs::read(dir.path().join(&out_file)).unwrap(), first);
    }
    let csv = std::fs::read_to_string(dir.path().join("out/balance.csv")).unwrap();
    // 3 subgroups (all, gender=F, gender=M) × (age + 3 education levels).
    assert_eq!(csv.lines().count(), 1 + 12);
    let joint: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/balance_joint.json")).unwrap())
            .unwrap();
    assert_eq!(joint.as_array().unwrap().len(), 3);
    assert_eq!(joint[0]["df1"], 3);
    let manifest = std::fs::read_to_string(dir.path().join("out/manifest.json")).unwrap();
    assert!(manifest.contains("balance_joint.csv"), "{manifest}");
    // Printed to the terminal: both tables.
    let out = common::lotta(dir.path(), &args);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("Joint test"), "{}", out.stdout);
}

#[test]
fn balance_with_an_unknown_covariate_names_the_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.csv"), common::participants(20)).unwrap();
    assert_eq!(common::lotta(dir.path(), common::ASSIGN).code, 0);
    let out = common::lotta(
        dir.path(),
        &[
            "balance",
            "--participants",
            "p.csv",
            "--ledger",
            "ledger.csv",
            "--covariates",
            "agee",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("p.csv: line 1"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `age`?"), "{}", out.stderr);
}

#[test]
fn balance_reads_covariates_and_subgroup_from_the_study() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.csv"), common::participants(40)).unwrap();
    std::fs::write(
        dir.path().join("study.toml"),
        "[study]\nname = \"t\"\nseed = 42\n[data]\nid = \"person_id\"\nparticipants = \"p.csv\"\nledger = \"ledger.csv\"\n[design]\narms = { md1 = 2, standard = 1 }\nstrata = [\"site\"]\nmisfits = \"wglobal\"\nbalance = [\"age\", \"education_level\"]\nby = \"gender\"\n",
    )
    .unwrap();
    assert_eq!(common::lotta(dir.path(), &["assign", "."]).code, 0);
    let out = common::lotta(dir.path(), &["balance", ".", "--format", "csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1 + 3 * 4);
    assert!(
        out.stdout
            .contains("gender=F,education_level,primary,md1,standard")
    );
}

/// With clusters (arms assigned by municipality), every difference is tested with CR2 and
/// Bell–McCaffrey df and the joint test is the CR2 Wald test on F(q, G − 1), as estimatr's
/// lm_robust and clubSandwich's Wald_test(test = "Naive-F") (tests/reference/balance/clustered.R).
#[test]
fn clustered_balance_matches_lm_robust_cr2_and_club_sandwich_wald() {
    let data = reference("clustered.csv");
    let arms = [
        "md1".to_string(),
        "plus".to_string(),
        "standard".to_string(),
    ];
    let arm: Vec<u32> = data
        .text("arm")
        .unwrap()
        .iter()
        .map(|a| arms.iter().position(|x| x == a).unwrap() as u32)
        .collect();
    let parse = |col: &str| -> Vec<f64> {
        data.text(col)
            .unwrap()
            .iter()
            .map(|v| v.parse().unwrap_or(f64::NAN))
            .collect()
    };
    let (age, months) = (parse("age"), parse("months"));
    let covs = [
        CovariateColumn::Numeric {
            name: "age",
            values: &age,
        },
        CovariateColumn::Categorical {
            name: "edu",
            values: data.text("edu").unwrap(),
        },
        CovariateColumn::Numeric {
            name: "months",
            values: &months,
        },
    ];
    let clusters = data.text("municipality").unwrap();
    let got = balance(
        &covs,
        &arm,
        &arms,
        2,
        Some(("gender", data.text("gender").unwrap())),
        Some(clusters),
    )
    .unwrap();
    assert_eq!(got.clusters, Some(14));

    let expected = reference("expected_clustered_rows.csv");
    assert_eq!(got.rows.len(), expected.n_rows());
    for i in 0..expected.n_rows() {
        let key = |c: &str| expected.text(c).unwrap()[i].clone();
        let row = got
            .rows
            .iter()
            .find(|r| {
                r.subgroup == key("subgroup")
                    && r.covariate == key("covariate")
                    && r.arm == key("arm")
                    && r.level.clone().unwrap_or_default() == key("level")
            })
            .unwrap_or_else(|| panic!("no row for expected row {i}"));
        assert_eq!(row.n_arm as f64, num(&expected, "n_arm", i));
        assert_eq!(row.n_control as f64, num(&expected, "n_control", i));
        for (name, value) in [
            ("difference", row.difference),
            ("std_error", row.std_error),
            ("df", row.df),
            ("p_value", row.p_value),
        ] {
            let want = num(&expected, name, i);
            assert!(
                close_within(value, want, REFERENCE_REL),
                "row {i} {name}: {value} vs R {want}"
            );
        }
    }

    let joint = reference("expected_clustered_joint.csv");
    assert_eq!(got.joint.len(), joint.n_rows());
    for i in 0..joint.n_rows() {
        let j = got
            .joint
            .iter()
            .find(|j| {
                j.subgroup == joint.text("subgroup").unwrap()[i]
                    && j.arm == joint.text("arm").unwrap()[i]
            })
            .unwrap();
        assert_eq!(j.n as f64, num(&joint, "n", i));
        assert_eq!(j.df1 as f64, num(&joint, "df1", i));
        assert_eq!(j.df2 as f64, num(&joint, "df2", i));
        assert_eq!(j.df2 as f64 + 1.0, num(&joint, "clusters", i));
        let (f, p) = (num(&joint, "f_statistic", i), num(&joint, "p_value", i));
        assert!(
            close_within(j.f_statistic, f, REFERENCE_REL),
            "F {i}: {} vs {f}",
            j.f_statistic
        );
        assert!(
            close_within(j.p_value, p, REFERENCE_REL),
            "p {i}: {} vs {p}",
            j.p_value
        );
    }
}

/// The shares' intervals with clusters: lm_robust(y ~ 1, clusters, "CR2") per arm.
#[test]
fn clustered_shares_match_lm_robust_cr2() {
    let data = reference("clustered.csv");
    let employed: Vec<f64> = data
        .text("employed")
        .unwrap()
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let labels = data.text("municipality").unwrap();
    let codes = lotta::estimate::vcov::Clusters::from_labels(labels).index;
    let expected = reference("expected_clustered_shares.csv");
    assert_eq!(expected.n_rows(), 3);
    for i in 0..expected.n_rows() {
        let arm = &expected.text("arm").unwrap()[i];
        let rows: Vec<usize> = (0..employed.len())
            .filter(|&r| data.text("arm").unwrap()[r] == *arm)
            .collect();
        let values: Vec<f64> = rows.iter().map(|&r| employed[r]).collect();
        let cl: Vec<lotta::estimate::Code> = rows
            .iter()
            .map(|&r| codes[r] as lotta::estimate::Code)
            .collect();
        let got = lotta::report::shares::mean_ci_clustered(&values, &cl, 0.95).unwrap();
        assert_eq!(got.n as f64, num(&expected, "n", i));
        for (name, value) in [
            ("share", got.mean),
            ("std_error", got.std_error),
            ("df", got.df),
            ("conf_low", got.conf_low),
            ("conf_high", got.conf_high),
        ] {
            let want = num(&expected, name, i);
            assert!(
                close_within(value, want, REFERENCE_REL),
                "{arm} {name}: {value} vs R {want}"
            );
        }
    }
}
