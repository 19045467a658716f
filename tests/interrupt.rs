//! Ctrl-C stops promptly and leaves nothing half-written (issue 10): `lotta run` and `lotta
//! estimate --out` with far more randomization draws than they could finish get SIGINT; they
//! exit with 130, write no output file and leave no staging folder or temporary file.

mod common;
use common::{demo_copy, files_below};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Start lotta in `dir`, send SIGINT after `after`, and return its exit code and stderr (and how
/// long it took to stop after the signal).
fn interrupted(
    dir: &std::path::Path,
    args: &[&str],
    after: Duration,
) -> (Option<i32>, String, Duration) {
    let child = Command::new(env!("CARGO_BIN_EXE_lotta"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        sent.elapsed(),
    )
}

#[test]
fn ctrl_c_during_randomization_inference_of_a_run_exits_130_and_writes_nothing() {
    let dir = demo_copy(&[
        ("ri_draws = 1000", "ri_draws = 100000000"),
        ("bootstrap = 2000", "bootstrap = 0"),
    ]);
    let before = files_below(dir.path());
    let (code, stderr, took) = interrupted(
        dir.path(),
        &["run", "studies/md1-demo", "--out", "out", "--quiet"],
        Duration::from_millis(2500),
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    let out = dir.path().join("out");
    assert!(
        !out.exists() || files_below(&out).is_empty(),
        "{:?}",
        files_below(&out)
    );
    assert_eq!(files_below(dir.path()), before);
}

#[test]
fn ctrl_c_during_estimate_leaves_no_output_file() {
    let dir = demo_copy(&[]);
    let (code, stderr, _) = interrupted(
        dir.path(),
        &[
            "estimate",
            "studies/md1-demo",
            "--outcome",
            "work_or_study_540",
            "--ri",
            "100000000",
            "--out",
            "effects.csv",
        ],
        Duration::from_millis(2000),
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(!dir.path().join("effects.csv").exists());
    assert!(!dir.path().join("manifest.json").exists());
}

#[test]
fn ctrl_c_during_the_cost_bootstrap_leaves_no_output_file() {
    let dir = demo_copy(&[("bootstrap = 2000", "bootstrap = 100000000")]);
    let (code, stderr, took) = interrupted(
        dir.path(),
        &["cost", "studies/md1-demo", "--out", "cost.csv"],
        Duration::from_millis(2000),
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    assert!(!dir.path().join("cost.csv").exists());
    assert!(!dir.path().join("manifest.json").exists());
}

#[test]
fn ctrl_c_during_power_simulation_exits_130_and_writes_no_output_file() {
    let dir = demo_copy(&[]);
    let (code, stderr, took) = interrupted(
        dir.path(),
        &[
            "power",
            "--study",
            "studies/md1-demo",
            "--simulate",
            "1000000",
            "--out",
            "power.csv",
            "--quiet",
        ],
        Duration::from_millis(2500),
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    assert!(!dir.path().join("power.csv").exists());
}
