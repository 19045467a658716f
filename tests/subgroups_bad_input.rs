//! Issue 15, bad input for subgroups (item 1): a level with one person, a level with one arm only
//! (also as cells of a crossing), and a reference level that does not exist. Each gives a clear
//! message or explicit empty rows with the reason, never a panic, and leaves the other rows alone.
//! Also, on the same small data, the joint test's randomization p-value with the studentized
//! statistic.

mod common;

use common::lotta;

/// 40 persons (F/M, two age bands, half treated), one person of gender X (treated), and two
/// of gender Y, both treated.
fn data() -> String {
    let mut s = String::from("id,z,gender,age_band,y\n");
    for i in 0..40 {
        let gender = if i % 2 == 1 { "F" } else { "M" };
        let band = if i % 3 == 0 { "16-24" } else { "25-54" };
        let z = u8::from(i % 4 < 2);
        let y = f64::from(i % 7) / 7.0 + 0.3 * f64::from(z);
        s.push_str(&format!("p{i},{z},{gender},{band},{y}\n"));
    }
    s.push_str("p99,1,X,25-54,0.5\np98,1,Y,25-54,0.7\np97,1,Y,16-24,0.9\n");
    s
}

fn estimate(extra: &[&str]) -> common::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), data()).unwrap();
    let mut args = vec![
        "estimate",
        "--data",
        "d.csv",
        "--outcome",
        "y",
        "--treatment",
        "z",
        "--format",
        "csv",
    ];
    args.extend(extra);
    lotta(dir.path(), &args)
}

fn rows(run: &common::Output) -> lotta::export::Frame {
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    lotta::export::from_csv(run.stdout.as_bytes()).unwrap()
}

fn row(frame: &lotta::export::Frame, subgroup: &str) -> usize {
    (0..frame.rows.len())
        .find(|&i| frame.text(i, "subgroup").as_deref() == Some(subgroup))
        .unwrap_or_else(|| panic!("no row {subgroup}"))
}

#[test]
fn a_level_with_one_person_or_one_arm_gets_empty_rows_with_the_reason() {
    let run = estimate(&["--by", "gender"]);
    let frame = rows(&run);
    for (level, reason) in [
        ("gender=X", "y, gender=X: 1 observation(s) with an outcome"),
        (
            "gender=Y",
            "y, gender=Y: arm `0` has no observations with an outcome",
        ),
    ] {
        assert!(run.stderr.contains(reason), "{}", run.stderr);
        assert!(frame.number(row(&frame, level), "estimate").is_none());
        let difference = format!("{level} - gender=F");
        assert!(frame.number(row(&frame, &difference), "estimate").is_none());
    }
    // The estimable rows are untouched; the joint test, which needs every difference, is an
    // explicit empty row with its reason.
    assert!(
        frame
            .number(row(&frame, "gender=M - gender=F"), "estimate")
            .is_some()
    );
    assert!(frame.number(row(&frame, "all"), "estimate").is_some());
    let joint = row(&frame, "gender: joint");
    assert!(frame.number(joint, "statistic").is_none());
    assert_eq!(frame.text(joint, "estimator").as_deref(), Some("wald"));
    assert!(
        run.stderr
            .contains("gender: joint, z: the joint test cannot be computed"),
        "{}",
        run.stderr
    );
}

#[test]
fn cells_of_a_crossing_with_one_person_or_one_arm_get_empty_rows_with_the_reason() {
    let run = estimate(&[
        "--by",
        "gender*age_band",
        "--reference",
        "gender=M,age_band=16-24",
    ]);
    let frame = rows(&run);
    let cell = "gender=Y & age_band=16-24";
    assert!(
        run.stderr
            .contains(&format!("y, {cell}: 1 observation(s) with an outcome")),
        "{}",
        run.stderr
    );
    assert!(frame.number(row(&frame, cell), "estimate").is_none());
    let reference = "gender=M & age_band=16-24";
    assert!(
        frame
            .number(row(&frame, &format!("{cell} - {reference}")), "estimate")
            .is_none()
    );
    assert!(
        frame
            .number(
                row(&frame, &format!("gender=F & age_band=16-24 - {reference}")),
                "estimate"
            )
            .is_some()
    );
}

#[test]
fn a_reference_level_that_does_not_exist_is_an_error_listing_the_levels() {
    let run = estimate(&["--by", "gender", "--reference", "gender=Q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    for part in ["`Q`", "`gender`", "F, M, X, Y"] {
        assert!(run.stderr.contains(part), "`{part}` not in {}", run.stderr);
    }
    assert!(run.stdout.is_empty());
    // A reference cell of a crossing that does not occur is refused too.
    let run = estimate(&["--by", "gender*age_band", "--reference", "age_band=55-64"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("`55-64`"), "{}", run.stderr);
}

/// The joint test's randomization p-value with the studentized statistic: one difference, so the
/// form t'(D V⁻¹ D)t is the squared t of the difference under each draw, and its p-value is the
/// difference's own (issue 15 with issue 14's studentized RI).
#[test]
fn the_studentized_joint_randomization_p_value_of_one_difference_is_the_differences() {
    let text: String = data()
        .lines()
        .filter(|l| !l.contains(",X,") && !l.contains(",Y,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), text).unwrap();
    let run = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            "d.csv",
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--by",
            "gender",
            "--ri",
            "200",
            "--seed",
            "5",
            "--ri-statistic",
            "studentized",
            "--format",
            "csv",
        ],
    );
    let frame = rows(&run);
    let difference = frame.number(row(&frame, "gender=M - gender=F"), "p_value_ri");
    let joint = frame.number(row(&frame, "gender: joint"), "p_value_ri");
    assert!(
        difference.is_some_and(|p| p > 0.0 && p < 1.0),
        "{}",
        run.stdout
    );
    assert_eq!(joint, difference, "{}", run.stdout);
}
