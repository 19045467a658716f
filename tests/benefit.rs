//! Does it pay? (`[cost.benefit]`, `[[cost.comparators]]`) end to end through `lotta cost
//! --study`: the summary's net benefit and the tables against the R reference
//! (tests/reference/benefit/), and each kind of bad spec input as its own test, with an error that
//! names the spec file and the key.

mod common;

use common::tolerance::{PRINTED_REL, assert_close};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const DATA: &str = "tests/reference/benefit/data.csv";

fn lotta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lotta"))
        .args(args)
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

const BENEFIT: &str = "[cost.benefit]\nin_work = { w3 = 3, w6 = 6, w12 = 12, w18 = 18 }\n\
     value_per_month = 30000\ndiscount_rate = 0.03\ncost_months = 27\nextrapolate_to = 27\n";

const TRACKS: &str = "[[cost.comparators]]\nname = \"service\"\ntrack = \"track\"\n\
     fee = { near = 12000, far = 18000 }\nresults_payment = 10000\n";

/// A study over the reference data with `extra` after a `[cost]` section pricing `w18`.
fn study_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(DATA).unwrap();
    let (mut ledger, mut parts, mut outs, mut costs) = (
        String::from("id,arm,stratum,probability\n"),
        String::from("person_id,site,track\n"),
        String::from("person_id,took_part,w3,w6,w12,w18\n"),
        String::from("person_id,cost_sek\n"),
    );
    // person_id,site,arm,took_part,track,w3,w6,w12,w18,cost_sek
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ledger.push_str(&format!("{},{},{},0.6667\n", f[0], f[2], f[1]));
        parts.push_str(&format!("{},{},{}\n", f[0], f[1], f[4]));
        outs.push_str(&format!(
            "{},{},{},{},{},{}\n",
            f[0], f[3], f[5], f[6], f[7], f[8]
        ));
        costs.push_str(&format!("{},{}\n", f[0], f[9]));
    }
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("ledger.csv", &ledger);
    write("participants.csv", &parts);
    write("outcomes.csv", &outs);
    write("costs.csv", &costs);
    write(
        "study.toml",
        &format!(
            "[study]\nname = \"pays\"\nseed = 2019\n\n[data]\nid = \"person_id\"\n\
             participants = \"participants.csv\"\noutcomes = [\"outcomes.csv\"]\n\
             costs = \"costs.csv\"\nledger = \"ledger.csv\"\n\n\
             [design]\narms = {{ md1 = 2, standard = 1 }}\ncontrol = \"standard\"\n\
             strata = [\"site\"]\n\n[cost]\noutcome = \"w18\"\ncolumn = \"cost_sek\"\n\
             participation = \"took_part\"\n\n{extra}"
        ),
    );
    dir
}

fn cost(dir: &Path, table: &str) -> Output {
    lotta(&[
        "cost",
        "--study",
        dir.to_str().unwrap(),
        "--table",
        table,
        "--format",
        "json",
    ])
}

fn reference() -> Value {
    let text = std::fs::read_to_string("tests/reference/benefit/benefit_reference.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_summary_and_the_benefit_table_match_the_r_reference() {
    let dir = study_dir(&format!("{BENEFIT}\n{TRACKS}"));
    let reference = reference();
    let base = &reference["base"];
    let want = |k: &str| base[k].as_f64().unwrap();
    let summary = json(&cost(dir.path(), "summary"));
    let all = &summary[0];
    assert_eq!(all["subgroup"], "all");
    let got = |row: &Value, k: &str| row[k].as_f64().unwrap_or(f64::NAN);
    assert_close(
        got(all, "net_benefit"),
        want("net_benefit"),
        PRINTED_REL,
        "NB",
    );
    let z = 1.959963984540054;
    assert_close(
        got(all, "net_benefit_low"),
        want("net_benefit") - z * want("net_benefit_se"),
        PRINTED_REL,
        "NB low",
    );
    assert_close(
        got(all, "benefit_cost_ratio"),
        want("ratio"),
        PRINTED_REL,
        "ratio",
    );
    assert_close(
        got(all, "break_even_months"),
        want("break_even"),
        PRINTED_REL,
        "break-even",
    );
    let arm = &reference["arm_costs"];
    assert_close(
        got(all, "mean_cost_participants"),
        arm["mean_cost_participants"].as_f64().unwrap(),
        PRINTED_REL,
        "participants' mean cost",
    );
    assert_close(
        got(all, "mean_cost_offered_nonparticipants"),
        arm["mean_cost_offered_nonparticipants"].as_f64().unwrap(),
        PRINTED_REL,
        "non-participants' mean cost",
    );

    let benefit = json(&cost(dir.path(), "benefit"));
    assert_close(
        got(&benefit[0], "net_benefit_per_participant"),
        want("per_participant"),
        PRINTED_REL,
        "per participant",
    );
    let tracks = json(&cost(dir.path(), "tracks"));
    let mix = tracks.iter().find(|r| r["track"] == "all").unwrap();
    assert_close(
        got(mix, "price_per_participant"),
        reference["mix_price"].as_f64().unwrap(),
        PRINTED_REL,
        "mix price",
    );
    let tornado = json(&cost(dir.path(), "tornado"));
    assert_eq!(tornado.len(), 4);
    let sensitivity = json(&cost(dir.path(), "sensitivity"));
    assert_eq!(sensitivity.len(), 18, "3 extrapolations × 6 rates");
}

fn spec_error(extra: &str) -> String {
    let dir = study_dir(extra);
    let o = cost(dir.path(), "summary");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains("study.toml"), "{msg}");
    msg
}

#[test]
fn a_negative_discount_rate_names_the_key() {
    let msg = spec_error(&BENEFIT.replace("discount_rate = 0.03", "discount_rate = -0.02"));
    assert!(msg.contains("cost.benefit.discount_rate"), "{msg}");
}

#[test]
fn an_extrapolation_within_the_measured_months_names_the_key() {
    let msg = spec_error(&BENEFIT.replace("extrapolate_to = 27", "extrapolate_to = 12"));
    assert!(msg.contains("cost.benefit.extrapolate_to"), "{msg}");
    assert!(msg.contains("not beyond the effects"), "{msg}");
}

#[test]
fn an_unknown_track_names_the_key_and_suggests_the_track() {
    let msg = spec_error(&TRACKS.replace("near = 12000", "naer = 12000"));
    assert!(msg.contains("cost.comparators[0].fee.naer"), "{msg}");
    assert!(msg.contains("did you mean `near`?"), "{msg}");
}

#[test]
fn a_track_without_a_fee_names_the_key() {
    let msg = spec_error(&TRACKS.replace("near = 12000, ", ""));
    assert!(msg.contains("cost.comparators[0].fee"), "{msg}");
    assert!(msg.contains("no fee for the track `near`"), "{msg}");
}

#[test]
fn a_benefit_table_without_the_section_is_a_usage_error() {
    let dir = study_dir("");
    let o = cost(dir.path(), "benefit");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("[cost.benefit]"), "{}", stderr(&o));
}

/// A study over the survival reference data: the time to the first job beside the costs, valued
/// from the Kaplan–Meier curves (`survival_months`).
fn survival_study_dir(benefit: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("tests/reference/benefit/survival_data.csv").unwrap();
    let (mut ledger, mut outs, mut costs) = (
        String::from("id,arm,stratum,probability\n"),
        String::from("person_id,took_part,job_day,job,in_work\n"),
        String::from("person_id,cost_sek\n"),
    );
    // person_id,site,arm,took_part,cost_sek,job_day,job
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ledger.push_str(&format!("{},{},{},0.6667\n", f[0], f[2], f[1]));
        let in_work = u8::from(f[6] == "1");
        outs.push_str(&format!("{},{},{},{},{in_work}\n", f[0], f[3], f[5], f[6]));
        costs.push_str(&format!("{},{}\n", f[0], f[4]));
    }
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("ledger.csv", &ledger);
    write("outcomes.csv", &outs);
    write("costs.csv", &costs);
    write(
        "study.toml",
        &format!(
            "[study]\nname = \"pays\"\nseed = 2019\n\n[data]\nid = \"person_id\"\n\
             outcomes = [\"outcomes.csv\"]\ncosts = \"costs.csv\"\nledger = \"ledger.csv\"\n\n\
             [design]\narms = {{ md1 = 2, standard = 1 }}\ncontrol = \"standard\"\n\
             strata = [\"site\"]\n\n[cost]\noutcome = \"in_work\"\ncolumn = \"cost_sek\"\n\
             participation = \"took_part\"\n\n{benefit}"
        ),
    );
    dir
}

const SURVIVAL_BENEFIT: &str = "[cost.benefit]\nsurvival_months = 18\nvalue_per_month = 30000\n\
     discount_rate = 0.03\ncost_months = 27\n";

/// With `[survival] cause` the other exits (code 2) compete: the months come from the
/// Aalen–Johansen cumulative incidence of the job (tests/reference/benefit/survival_months.R).
#[test]
fn months_in_work_from_the_time_to_the_first_job_match_r() {
    let dir = survival_study_dir(&format!(
        "{SURVIVAL_BENEFIT}\n[survival]\ntime = \"job_day\"\nevent = \"job\"\ncause = \"1\"\n"
    ));
    let o = cost(dir.path(), "benefit");
    let rows = json(&o);
    let all = &rows[0];
    assert_eq!(all["subgroup"], "all");
    assert!(
        stderr(&o).contains("time to the first job") && stderr(&o).contains("Aalen–Johansen"),
        "{}",
        stderr(&o)
    );
    let text =
        std::fs::read_to_string("tests/reference/benefit/survival_months_reference.json").unwrap();
    let r: Value = serde_json::from_str::<Value>(&text).unwrap()["competing"].clone();
    let got = |k: &str| all[k].as_f64().unwrap_or(f64::NAN);
    let want = |k: &str| r[k].as_f64().unwrap();
    assert_close(
        got("months_gained"),
        want("months_gained"),
        PRINTED_REL,
        "months",
    );
    assert_close(
        got("months_gained_se"),
        want("months_gained_se"),
        PRINTED_REL,
        "months se",
    );
    assert_close(got("net_benefit"), want("net_benefit"), PRINTED_REL, "NB");
    assert_close(
        got("net_benefit_se"),
        want("net_benefit_se"),
        PRINTED_REL,
        "NB se",
    );
}

#[test]
fn survival_months_without_a_survival_section_is_an_error_naming_the_key() {
    let dir = survival_study_dir(SURVIVAL_BENEFIT);
    let o = cost(dir.path(), "benefit");
    assert!(!o.status.success());
    let msg = stderr(&o);
    assert!(msg.contains("cost.benefit.survival_months"), "{msg}");
    assert!(msg.contains("[survival]"), "{msg}");
}
