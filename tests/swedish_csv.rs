//! Files from Swedish offices (issue 10): `;` between fields (detected), decimal commas
//! (`--decimal ,`, `[data] decimal`) and Windows-1252/Latin-1 text (`--encoding latin1`,
//! `[data] encoding`), read like a UTF-8 file with decimal points; errors in them still name the
//! line and column. The fixture is Latin-1 bytes with å, ä, ö in the header and the cells.

mod common;
use common::lotta;
use std::fs;
use std::path::Path;

const FIXTURE: &str = "tests/fixtures/swedish/latin1_semicolon_decimal_comma.csv";

fn fixture() -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)).unwrap()
}

/// The fixture as UTF-8 with `,` between fields and decimal points.
fn as_plain_utf8() -> String {
    let text: String = fixture().iter().map(|&b| char::from(b)).collect();
    text.lines()
        .map(|l| l.replace(',', ".").replace(';', ","))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn estimate(dir: &Path, file: &str, extra: &[&str]) -> common::Output {
    let mut args = vec![
        "estimate",
        "--data",
        file,
        "--outcome",
        "arbete_365",
        "--treatment",
        "erbjuden",
        "--covariates",
        "ålder,kommun",
        "--estimator",
        "ols",
        "--format",
        "csv",
    ];
    args.extend_from_slice(extra);
    lotta(dir, &args)
}

#[test]
fn a_latin1_file_with_decimal_commas_reads_like_its_utf8_twin() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sv.csv"), fixture()).unwrap();
    fs::write(dir.path().join("plain.csv"), as_plain_utf8()).unwrap();
    let swedish = estimate(
        dir.path(),
        "sv.csv",
        &["--decimal", ",", "--encoding", "latin1"],
    );
    assert_eq!(swedish.code, 0, "{}", swedish.stderr);
    let plain = estimate(dir.path(), "plain.csv", &[]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert_eq!(swedish.stdout, plain.stdout);
    assert!(swedish.stdout.contains("arbete_365"), "{}", swedish.stdout);
    // windows-1252 is the same for these letters.
    let cp1252 = estimate(
        dir.path(),
        "sv.csv",
        &["--decimal", ",", "--encoding", "windows-1252"],
    );
    assert_eq!(cp1252.stdout, plain.stdout);
}

#[test]
fn a_latin1_file_read_as_utf8_names_the_line_and_column_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sv.csv"), fixture()).unwrap();
    let out = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            "sv.csv",
            "--outcome",
            "arbete_365",
            "--treatment",
            "erbjuden",
            "--covariates",
            "kommun",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("sv.csv: line 1, column 3"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--encoding latin1"), "{}", out.stderr);
}

#[test]
fn decimal_commas_without_the_flag_are_an_error_with_a_hint_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sv.csv"), fixture()).unwrap();
    let out = estimate(dir.path(), "sv.csv", &["--encoding", "latin1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("line 2, column 3"), "{}", out.stderr);
    assert!(out.stderr.contains("--decimal ,"), "{}", out.stderr);
}

#[test]
fn a_bad_cell_in_a_swedish_file_names_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fixture();
    // Line 4's age `...` becomes `tjugo` (Latin-1, after a cell with ä).
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let line4: Vec<&str> = text.split("\r\n").nth(3).unwrap().split(';').collect();
    let bad = text.replacen(
        &format!("{};{};{}", line4[0], line4[1], line4[2]),
        &format!("{};{};tjugo", line4[0], line4[1]),
        1,
    );
    bytes = bad.chars().map(|c| c as u8).collect();
    fs::write(dir.path().join("sv.csv"), bytes).unwrap();
    let out = estimate(
        dir.path(),
        "sv.csv",
        &["--decimal", ",", "--encoding", "latin1"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("sv.csv: line 4, column 3 (`ålder`)") && out.stderr.contains("tjugo"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unknown_encoding_or_decimal_separator_is_a_usage_error_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sv.csv"), fixture()).unwrap();
    for (flag, value) in [("--encoding", "klingon"), ("--decimal", ":")] {
        let out = estimate(dir.path(), "sv.csv", &[flag, value]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains(value),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_study_reads_its_decimal_and_encoding_from_data() {
    let study = lotta::spec::Study::from_text(
        Path::new("/x/study.toml"),
        "[study]\nname = \"s\"\nseed = 1\n[data]\ndecimal = \",\"\nencoding = \"latin1\"\n",
    )
    .unwrap();
    let format = lotta::io::source::study_format(&study).unwrap();
    assert!(format.decimal_comma);
    assert_eq!(format.encoding.name(), "windows-1252");
    let bad = lotta::spec::Study::from_text(
        Path::new("/x/study.toml"),
        "[study]\nname = \"s\"\nseed = 1\n[data]\ndecimal = \";\"\n",
    )
    .unwrap();
    let e = lotta::io::source::study_format(&bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("data.decimal"), "{e}");
}

#[test]
fn assign_and_verify_read_a_latin1_participants_file_like_its_utf8_twin() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("latin1.csv"), fixture()).unwrap();
    fs::write(dir.path().join("utf8.csv"), as_plain_utf8()).unwrap();
    let assign = |file: &str, ledger: &str, extra: &[&str]| {
        let mut args = vec![
            "assign",
            "--participants",
            file,
            "--ledger",
            ledger,
            "--arms",
            "md1:2,standard:1",
            "--strata",
            "kommun",
            "--seed",
            "7",
            "--id",
            "id",
        ];
        args.extend_from_slice(extra);
        lotta(dir.path(), &args)
    };
    let latin1 = assign(
        "latin1.csv",
        "a.csv",
        &["--encoding", "latin1", "--decimal", ","],
    );
    assert_eq!(latin1.code, 0, "{}", latin1.stderr);
    let utf8 = assign("utf8.csv", "b.csv", &[]);
    assert_eq!(utf8.code, 0, "{}", utf8.stderr);
    // The same persons in the same strata (Göteborg, Västerås read as such) get the same arms.
    let rows = |f: &str| -> Vec<String> {
        fs::read_to_string(dir.path().join(f))
            .unwrap()
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect()
    };
    assert_eq!(rows("a.csv"), rows("b.csv"));
    assert!(rows("a.csv").iter().any(|r| r.contains("Göteborg")));
    let verify = lotta(
        dir.path(),
        &[
            "verify",
            "--participants",
            "latin1.csv",
            "--ledger",
            "a.csv",
            "--encoding",
            "latin1",
        ],
    );
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    let as_utf8 = lotta(
        dir.path(),
        &[
            "verify",
            "--participants",
            "latin1.csv",
            "--ledger",
            "a.csv",
        ],
    );
    assert_eq!(
        as_utf8.code, 1,
        "read as UTF-8 the Latin-1 file must fail: {}",
        as_utf8.stdout
    );
}
