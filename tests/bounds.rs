//! `lotta bounds` as a user meets it: the demo study's bounds (plain and within gender, overall
//! and for women and men), and bad input: an observed-when cell that is not 0/1, an observed
//! person without the outcome, an unknown column, a cell the trimmed arm never reaches, and
//! nothing missing at all — each a clear message or an explicit row with the reason, never a
//! panic.

mod common;

use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn the_demo_study_has_plain_and_tightened_bounds_overall_and_by_gender() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = common::lotta(root, &["bounds", "studies/md1-demo", "--format", "csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("outcome,observed_when,subgroup,arm,control_arm,cells,"));
    // all, F, M × none, gender.
    assert_eq!(lines.len(), 1 + 6, "{}", out.stdout);
    for (subgroup, cells) in [("all", "none"), ("all", "gender"), ("gender=F", "none")] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!(",{subgroup},md1,standard,{cells},"))),
            "{subgroup} {cells}: {}",
            out.stdout
        );
    }
}

#[test]
fn bad_observed_when_cells_and_unknown_columns_are_errors_at_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "d.csv",
        "arm,y,seen\n1,3,1\n0,2,1\n1,5,2\n0,,0\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "bounds",
            "--data",
            "d.csv",
            "--treatment",
            "arm",
            "--outcome",
        ];
        args.extend_from_slice(extra);
        common::lotta(dir.path(), &args)
    };
    let out = run(&["y", "--observed-when", "seen"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("d.csv")
            && out.stderr.contains("line 4")
            && out.stderr.contains("seen"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("0 or 1"), "{}", out.stderr);

    write(
        dir.path(),
        "d.csv",
        "arm,y,seen\n1,3,1\n0,,1\n1,5,1\n0,1,0\n",
    );
    let out = run(&["y", "--observed-when", "seen"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("line 3") && out.stderr.contains("missing"),
        "{}",
        out.stderr
    );

    let out = run(&["earnings"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("earnings"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn a_cell_without_the_trimmed_arm_and_a_study_without_missing_outcomes_say_so_in_the_row() {
    let dir = tempfile::tempdir().unwrap();
    // Cell b: control observed, the offered arm (observed more often overall) never observed.
    write(
        dir.path(),
        "d.csv",
        "arm,y,cell\n1,3,a\n1,4,a\n1,6,a\n0,2,a\n0,,a\n1,,b\n0,1,b\n",
    );
    let out = common::lotta(
        dir.path(),
        &[
            "bounds",
            "--data",
            "d.csv",
            "--treatment",
            "arm",
            "--outcome",
            "y",
            "--cells",
            "cell",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tightened = out.stdout.lines().find(|l| l.contains(",cell,")).unwrap();
    assert!(tightened.contains("merge cells"), "{tightened}");
    let plain = out.stdout.lines().find(|l| l.contains(",none,")).unwrap();
    assert!(!plain.contains("merge cells"), "{plain}");

    write(dir.path(), "d.csv", "arm,y\n1,3\n1,4\n0,2\n0,1\n");
    let out = common::lotta(
        dir.path(),
        &[
            "bounds",
            "--data",
            "d.csv",
            "--treatment",
            "arm",
            "--outcome",
            "y",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("no outcome is missing"),
        "{}",
        out.stdout
    );
}
