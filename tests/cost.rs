//! `lotta cost` end to end through the binary: results against the R reference
//! (tests/reference/cost/), reproducibility on any thread count, the study-spec route, the other
//! tables, and each kind of bad input as its own test.

mod common;

use common::tolerance::{PRINTED_REL, SAME_FORMULA, assert_close};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DATA: &str = "tests/reference/cost/data.csv";

fn lotta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lotta"))
        .args(args)
        .output()
        .expect("run lotta")
}

fn lotta_threads(args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lotta"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("run lotta")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Vec<Value> {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice::<Value>(&o.stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

fn base_args() -> Vec<&'static str> {
    vec![
        "cost",
        "--data",
        DATA,
        "--outcome",
        "work_or_study_540",
        "--treatment",
        "arm",
        "--control",
        "standard",
        "--cost",
        "cost_sek",
    ]
}

fn reference() -> Value {
    let text = std::fs::read_to_string("tests/reference/cost/cost_reference.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(got: &Value, want: &Value, what: &str) {
    match (got.as_f64(), want.as_f64()) {
        // The R reference values have 15 significant digits.
        (Some(g), Some(w)) => assert_close(g, w, PRINTED_REL, what),
        (None, None) => {}
        _ => panic!("{what}: lotta {got}, R {want}"),
    }
}

fn row<'a>(rows: &'a [Value], subgroup: &str, perspective: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["subgroup"] == subgroup && r["perspective"] == perspective)
        .unwrap_or_else(|| panic!("no row {subgroup}/{perspective}"))
}

/// Write a CSV file into `dir`.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn summary_by_gender_matches_the_r_reference() {
    let mut args = base_args();
    args.extend([
        "--by",
        "gender",
        "--participation",
        "took_part",
        "--per-participant",
        "--format",
        "json",
    ]);
    let rows = json(&lotta(&args));
    let reference = reference();
    for r in reference["subgroups"].as_array().unwrap() {
        let label = r["subgroup"].as_str().unwrap();
        let got = row(&rows, label, "gross");
        for (ours, theirs) in [
            ("mean_cost_treated", "mean_cost_treated"),
            ("mean_cost_control", "mean_cost_control"),
            (
                "cost_per_participant_treated",
                "cost_per_participant_treated",
            ),
            ("incremental_cost", "incremental_cost"),
            ("incremental_effect", "incremental_effect"),
            ("incremental_cost_se", "se_cost"),
            ("incremental_effect_se", "se_effect"),
            ("icer", "icer"),
            ("fieller_low", "fieller_low"),
            ("fieller_high", "fieller_high"),
            ("take_up_difference", "take_up_difference"),
            ("effect_per_participant", "effect_per_participant"),
            ("effect_per_participant_se", "effect_per_participant_se"),
            (
                "incremental_cost_per_participant",
                "cost_per_participant_increment",
            ),
        ] {
            close(&got[ours], &r[theirs], &format!("{label} {ours}"));
        }
        assert_eq!(got["fieller_shape"], r["fieller_shape"]);
        if got["icer_se"].is_null() {
            // Withheld: ΔE's interval includes 0 (men in this data).
            assert_eq!(label, "gender=M");
            assert!(got["note"].as_str().unwrap().contains("not meaningful"));
        } else {
            close(&got["icer_se"], &r["icer_se"], &format!("{label} icer_se"));
        }
        // Required columns exist in every row.
        for key in [
            "subgroup",
            "mean_cost_treated",
            "mean_cost_control",
            "incremental_cost",
            "incremental_effect",
            "icer",
            "icer_se",
            "fieller_low",
            "fieller_high",
            "boot_low",
            "boot_high",
            "note",
        ] {
            assert!(got.get(key).is_some(), "missing {key}");
        }
    }
}

#[test]
fn bootstrap_output_is_identical_on_one_and_two_threads() {
    let mut args = base_args();
    args.extend([
        "--by",
        "gender",
        "--strata",
        "site",
        "--bootstrap",
        "300",
        "--seed",
        "11",
        "--format",
        "csv",
    ]);
    let one = lotta_threads(&args, "1");
    let two = lotta_threads(&args, "2");
    assert!(one.status.success(), "{}", stderr(&one));
    assert_eq!(one.stdout, two.stdout);
    // A different seed changes the bootstrap limits.
    let mut other = args.clone();
    let k = other.iter().position(|a| *a == "11").unwrap();
    other[k] = "12";
    assert_ne!(lotta(&other).stdout, one.stdout);
}

#[test]
fn bootstrap_intervals_and_plane_shares_are_reported() {
    let mut args = base_args();
    args.extend([
        "--by",
        "gender",
        "--strata",
        "site",
        "--bootstrap",
        "400",
        "--seed",
        "3",
        "--format",
        "json",
    ]);
    let rows = json(&lotta(&args));
    let all = row(&rows, "all", "gross");
    let (lo, hi) = (
        all["boot_low"].as_f64().unwrap(),
        all["boot_high"].as_f64().unwrap(),
    );
    let icer = all["icer"].as_f64().unwrap();
    assert!(lo < icer && icer < hi, "{lo} {icer} {hi}");
    let men = row(&rows, "gender=M", "gross");
    assert!(men["boot_low"].is_null() && men["boot_high"].is_null());
    let shares: f64 = ["share_ne", "share_se", "share_sw", "share_nw"]
        .iter()
        .map(|k| men[*k].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < SAME_FORMULA);
    assert!(men["share_nw"].as_f64().unwrap() > 0.1);
}

#[test]
fn offsets_give_net_cost_and_break_even() {
    let mut args = base_args();
    args.extend([
        "--by",
        "gender",
        "--offset",
        "income support:income_support_months:7000",
        "--format",
        "json",
    ]);
    let rows = json(&lotta(&args));
    let reference = reference();
    for r in reference["subgroups"].as_array().unwrap() {
        let label = r["subgroup"].as_str().unwrap();
        let net = row(&rows, label, "net");
        close(&net["incremental_cost"], &r["net_incremental_cost"], label);
        close(&net["icer"], &r["net_icer"], label);
    }
    args.extend(["--table", "offsets"]);
    let rows = json(&lotta(&args));
    for r in reference["subgroups"].as_array().unwrap() {
        let label = r["subgroup"].as_str().unwrap();
        let got = rows.iter().find(|x| x["subgroup"] == label).unwrap();
        assert_eq!(got["offset"], "income support");
        close(
            &got["break_even_sek_per_unit"],
            &r["break_even_sek_per_month"],
            label,
        );
    }
}

#[test]
fn acceptability_curve_agrees_with_the_plane_at_zero() {
    let mut args = base_args();
    args.extend([
        "--bootstrap",
        "300",
        "--seed",
        "5",
        "--wtp",
        "0:400000:100000",
        "--table",
        "ceac",
        "--format",
        "json",
    ]);
    let rows = json(&lotta(&args));
    assert_eq!(rows.len(), 5);
    let lambdas: Vec<f64> = rows.iter().map(|r| r["lambda"].as_f64().unwrap()).collect();
    assert_eq!(
        lambdas,
        vec![0.0, 100_000.0, 200_000.0, 300_000.0, 400_000.0]
    );
    // At λ = 0, NMB = −ΔC: the programme costs more in every replicate here.
    assert_eq!(rows[0]["prob_cost_effective_boot"].as_f64(), Some(0.0));
    let reference = reference();
    let all = &reference["subgroups"][0];
    close(&rows[1]["nmb"], &all["nmb_100000"], "nmb at 100000");
    close(
        &rows[1]["nmb_se"],
        &all["nmb_100000_se"],
        "nmb se at 100000",
    );
    let p_last = rows[4]["prob_cost_effective_boot"].as_f64().unwrap();
    assert!(p_last > 0.5, "{p_last}");
}

#[test]
fn alternatives_are_compared() {
    let mut args = base_args();
    args.extend([
        "--alternative",
        "Rusta och matcha:180000",
        "--alternative",
        "cheap:10000",
        "--table",
        "alternatives",
        "--format",
        "json",
    ]);
    let rows = json(&lotta(&args));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["alternative"], "Rusta och matcha");
    let icer = rows[0]["icer"].as_f64().unwrap();
    close(
        &rows[0]["difference"],
        &Value::from(icer - 180_000.0),
        "difference",
    );
    assert!(rows[1]["prob_cheaper_normal"].as_f64().unwrap() < 0.01);
}

#[test]
fn out_file_and_manifest_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cost.csv");
    let mut args = base_args();
    args.extend(["--format", "csv", "--out", out.to_str().unwrap()]);
    let o = lotta(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("subgroup,perspective,outcome"));
    assert!(dir.path().join("manifest.json").exists());
}

/// A study folder built from the reference data: ledger, participants, outcomes, costs.
fn study_dir(cost_section: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(DATA).unwrap();
    let (mut ledger, mut parts, mut outs, mut costs) = (
        String::from("id,arm,stratum,probability\n"),
        String::from("person_id,site,gender\n"),
        String::from("person_id,took_part,work_or_study_540\n"),
        String::from("person_id,cost_sek,income_support_months\n"),
    );
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ledger.push_str(&format!("{},{},{},0.6667\n", f[0], f[3], f[1]));
        parts.push_str(&format!("{},{},{}\n", f[0], f[1], f[2]));
        outs.push_str(&format!("{},{},{}\n", f[0], f[5], f[4]));
        costs.push_str(&format!("{},{},{}\n", f[0], f[6], f[7]));
    }
    write(dir.path(), "ledger.csv", &ledger);
    write(dir.path(), "participants.csv", &parts);
    write(dir.path(), "outcomes.csv", &outs);
    write(dir.path(), "costs.csv", &costs);
    let spec = format!(
        "[study]\nname = \"md1\"\nseed = 2019\n\n[data]\nid = \"person_id\"\n\
         participants = \"participants.csv\"\noutcomes = [\"outcomes.csv\"]\n\
         costs = \"costs.csv\"\nledger = \"ledger.csv\"\n\n\
         [design]\narms = {{ md1 = 2, standard = 1 }}\ncontrol = \"standard\"\nstrata = [\"site\"]\n\n\
         {cost_section}"
    );
    write(dir.path(), "study.toml", &spec);
    dir
}

#[test]
fn study_spec_joins_files_and_matches_flags_mode() {
    let dir = study_dir(
        "[cost]\noutcome = \"work_or_study_540\"\ncolumn = \"cost_sek\"\nby = \"gender\"\n\
         bootstrap = 200\n\n[[cost.offsets]]\nname = \"income support\"\n\
         column = \"income_support_months\"\nsek_per_unit = 7000\n",
    );
    let rows = json(&lotta(&[
        "cost",
        "--study",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]));
    let reference = reference();
    for r in reference["subgroups"].as_array().unwrap() {
        let label = r["subgroup"].as_str().unwrap();
        close(&row(&rows, label, "gross")["icer"], &r["icer"], label);
        close(&row(&rows, label, "net")["icer"], &r["net_icer"], label);
    }
    assert!(row(&rows, "all", "gross")["boot_low"].is_number());
}

#[test]
fn study_cost_model_prices_each_person() {
    let dir = study_dir(
        "[cost]\noutcome = \"work_or_study_540\"\nparticipation = \"took_part\"\n\n\
         [cost.model]\nper_offered = { md1 = 1000, standard = 12000 }\n\
         per_participant = { md1 = 20000 }\nfixed = { md1 = 1000000 }\noverhead_share = 0.1\n",
    );
    let rows = json(&lotta(&[
        "cost",
        "--study",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]));
    let all = row(&rows, "all", "gross");
    // Control: 12,000 × 1.1 each. Programme: per participant 1,000 + 20,000 + 1e6/takers.
    close(&all["mean_cost_control"], &Value::from(13_200.0), "control");
    // Participants among the md1 persons of data.csv (column 6: took_part).
    let text = std::fs::read_to_string(DATA).unwrap();
    let takers = text
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[3] == "md1" && f[5] == "1"
        })
        .count() as f64;
    assert!(takers > 300.0);
    let want = (1000.0 + 20_000.0 * takers / 400.0 + 1e6 / 400.0) * 1.1;
    close(&all["mean_cost_treated"], &Value::from(want), "treated");
    close(
        &all["cost_per_participant_treated"],
        &Value::from(want * 400.0 / takers),
        "per participant",
    );
}

// ---------------------------------------------------------------- bad input, one test each

fn bad_cost_file(dir: &Path, cost_cell: &str) -> PathBuf {
    write(
        dir,
        "d.csv",
        &format!("id,z,y,c\na,1,1,100\nb,1,0,{cost_cell}\nc,0,0,50\nd,0,1,60\n"),
    )
}

fn run_small(file: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "cost",
        "--data",
        file.to_str().unwrap(),
        "--outcome",
        "y",
        "--treatment",
        "z",
        "--cost",
        "c",
    ];
    args.extend(extra);
    lotta(&args)
}

#[test]
fn negative_cost_is_an_error_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let o = run_small(
        &bad_cost_file(dir.path(), "-5"),
        &["--out", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let msg = stderr(&o);
    assert!(msg.contains("line 3, column 4 (`c`)"), "{msg}");
    assert!(msg.contains("negative cost"), "{msg}");
    assert!(!out.exists(), "no file may be written on error");
}

#[test]
fn missing_cost_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_small(&bad_cost_file(dir.path(), ""), &[]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stderr(&o);
    assert!(
        msg.contains("line 3") && msg.contains("missing cost"),
        "{msg}"
    );
}

#[test]
fn non_numeric_cost_column_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_small(&bad_cost_file(dir.path(), "lots"), &[]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stderr(&o);
    assert!(msg.contains("expected a number, found `lots`"), "{msg}");
    assert!(msg.contains("line 3, column 4"), "{msg}");
}

#[test]
fn zero_incremental_effect_is_stated_not_divided() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "d.csv",
        "id,z,y,c\na,1,1,100\nb,1,0,120\nc,0,0,50\nd,0,1,60\n",
    );
    let rows = json(&run_small(&f, &["--format", "json"]));
    let all = &rows[0];
    assert_eq!(all["incremental_effect"].as_f64(), Some(0.0));
    assert!(all["icer"].is_null() && all["icer_se"].is_null());
    assert!(all["note"].as_str().unwrap().contains("exactly 0"), "{all}");
}

#[test]
fn subgroup_without_control_observations_is_stated() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "d.csv",
        "id,z,y,c,g\na,1,1,100,F\nb,1,0,120,M\nc,0,0,50,F\nd,0,1,60,F\ne,1,1,90,F\n",
    );
    let o = run_small(&f, &["--by", "g", "--format", "json"]);
    let rows = json(&o);
    let men = rows.iter().find(|r| r["subgroup"] == "g=M").unwrap();
    assert!(men["icer"].is_null());
    assert!(
        men["note"]
            .as_str()
            .unwrap()
            .contains("no observations in the arm `0`"),
        "{men}"
    );
}

#[test]
fn arm_without_observations_overall_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "d.csv", "id,z,y,c\na,1,1,100\nb,0,,120\n");
    let o = run_small(&f, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("has no persons with the outcome"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn reversed_wtp_grid_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = bad_cost_file(dir.path(), "70");
    let o = run_small(&f, &["--wtp", "500000:0:1000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("reversed"), "{}", stderr(&o));
}

#[test]
fn empty_wtp_grid_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = bad_cost_file(dir.path(), "70");
    let o = run_small(&f, &["--wtp", ""]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    let o = run_small(&f, &["--wtp", "0:1000:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("must be positive"), "{}", stderr(&o));
}

#[test]
fn reversed_wtp_grid_in_the_spec_names_the_key() {
    let dir = study_dir(
        "[cost]\noutcome = \"work_or_study_540\"\ncolumn = \"cost_sek\"\n\
         wtp = { from = 10, to = 0, step = 1 }\n",
    );
    let o = lotta(&["cost", "--study", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stderr(&o);
    assert!(
        msg.contains("cost.wtp") && msg.contains("reversed"),
        "{msg}"
    );
}

#[test]
fn unknown_cost_column_suggests_the_nearest() {
    let o = lotta(&[
        "cost",
        "--data",
        DATA,
        "--outcome",
        "work_or_study_540",
        "--treatment",
        "arm",
        "--control",
        "standard",
        "--cost",
        "cost_sk",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `cost_sek`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bootstrap_without_seed_is_a_usage_error() {
    let mut args = base_args();
    args.extend(["--bootstrap", "100"]);
    let o = lotta(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--seed"), "{}", stderr(&o));
}

#[test]
fn duplicate_id_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "d.csv",
        "id,z,y,c\na,1,1,100\nb,1,0,120\na,0,0,50\nd,0,1,60\n",
    );
    let o = run_small(&f, &["--id", "id"]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stderr(&o);
    assert!(
        msg.contains("line 4") && msg.contains("appears twice (also line 2)"),
        "{msg}"
    );
}

#[test]
fn cost_model_arm_typo_in_the_spec_suggests_the_arm() {
    let dir = study_dir(
        "[cost]\noutcome = \"work_or_study_540\"\n\n[cost.model]\nper_offered = { md2 = 1000 }\n",
    );
    let o = lotta(&["cost", "--study", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stderr(&o);
    assert!(msg.contains("cost.model.per_offered.md2"), "{msg}");
    assert!(msg.contains("did you mean `md1`?"), "{msg}");
}

#[test]
fn person_without_a_cost_row_is_named() {
    let dir = study_dir("[cost]\noutcome = \"work_or_study_540\"\ncolumn = \"cost_sek\"\n");
    let costs = dir.path().join("costs.csv");
    let text = std::fs::read_to_string(&costs).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("P0002,")).collect();
    std::fs::write(&costs, kept.join("\n") + "\n").unwrap();
    let o = lotta(&["cost", "--study", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stderr(&o);
    assert!(msg.contains("costs.csv"), "{msg}");
    assert!(msg.contains("missing cost for person `P0002`"), "{msg}");
}

/// Issue 13: `lotta cost` run alone on a study with `[survival]` has the cost per additional
/// month with a job, the same rows `lotta run` put into the demo report's cost table (the
/// overall rows: the report masks the subgroups' small cells).
#[test]
fn cost_alone_includes_the_cost_per_month_with_a_job() {
    let out = lotta(&["cost", "studies/md1-demo", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let months = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("all,") && l.contains(",months_with_job_"))
            .map(str::to_string)
            .collect()
    };
    let alone = months(&String::from_utf8_lossy(&out.stdout));
    let report = std::fs::read_to_string("notebooks-out/md1-demo/tables/cost.csv").unwrap();
    assert_eq!(alone.len(), 2, "gross and net");
    assert_eq!(alone, months(&report));
    // Issue 17 item 6: one join for the costs and the months, the same numbers as `lotta run`:
    // every row of all persons, header included.
    let every = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("all,") || l.starts_with("subgroup,"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(every(&String::from_utf8_lossy(&out.stdout)), every(&report));
}
