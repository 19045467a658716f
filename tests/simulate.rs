//! `lotta simulate`: determinism, the committed demo data, the demo schema, the targets of the
//! data-generating process in expectation, internal consistency, and one test per bad input.

mod common;

use common::tolerance::{SIMULATED_CURVE_ABS, SIMULATED_MEAN_ABS, ULP_ABS};
use lotta::error::Location;
use lotta::simulate::{self, Dgp, Streams, render};
use lotta::spec::Study;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lotta(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lotta"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run lotta")
}

fn demo_dgp() -> Dgp {
    let study = Study::load(&root().join("studies/md1-demo")).expect("demo study loads");
    let spec = study.spec.simulate.as_ref().expect("[simulate]");
    Dgp::from_spec(spec, &|k| study.key_location(k)).expect("demo DGP is valid")
}

fn simulate_to(dir: &Path, seed: &str, n: &str) -> std::process::Output {
    lotta(&[
        "simulate",
        "--study",
        "studies/md1-demo",
        "--n",
        n,
        "--seed",
        seed,
        "--out",
        dir.to_str().expect("utf-8 path"),
    ])
}

const FILES: [&str; 4] = [
    "participants.csv",
    "outcomes.csv",
    "costs.csv",
    "ledger.csv",
];

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let c = tempfile::tempdir().expect("tempdir");
    assert!(simulate_to(a.path(), "7", "600").status.success());
    assert!(simulate_to(b.path(), "7", "600").status.success());
    assert!(simulate_to(c.path(), "8", "600").status.success());
    for f in FILES {
        let x = std::fs::read(a.path().join(f)).expect("read");
        assert_eq!(x, std::fs::read(b.path().join(f)).expect("read"), "{f}");
        assert_ne!(x, std::fs::read(c.path().join(f)).expect("read"), "{f}");
    }
}

/// The committed demo data are exactly what the spec and its documented command produce.
#[test]
fn committed_demo_data_regenerate_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = simulate_to(dir.path(), "20190401", "5400");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in FILES {
        let fresh = std::fs::read(dir.path().join(f)).expect("read");
        let committed = std::fs::read(root().join("data/md1-demo").join(f)).expect("read");
        assert!(committed.len() < 1_000_000, "{f} must stay under 1 MB");
        assert_eq!(
            fresh, committed,
            "data/md1-demo/{f} differs from a fresh simulation"
        );
    }
}

#[test]
fn files_have_the_demo_schema_columns() {
    let header = |f: &str| -> Vec<String> {
        lotta::io::table::read_headers(&root().join("data/md1-demo").join(f)).expect("headers")
    };
    assert_eq!(
        header("participants.csv"),
        [
            "person_id",
            "site",
            "municipality",
            "gender",
            "age",
            "age_band",
            "education_years",
            "education_level",
            "months_in_sweden",
            "distance",
            "enrolled_on"
        ]
    );
    let mut expected = vec!["person_id".to_string(), "took_part".to_string()];
    for h in [90, 180, 365, 540] {
        for p in ["work_or_study", "subsidized", "unsubsidized", "studies"] {
            expected.push(format!("{p}_{h}"));
        }
    }
    expected.push("days_to_first_job".into());
    expected.push("followup_days".into());
    expected.push("days_observed".into());
    expected.push("job_found".into());
    expected.push("exit_day".into());
    expected.push("exit".into());
    assert_eq!(header("outcomes.csv"), expected);
    assert_eq!(
        header("costs.csv"),
        ["person_id", "cost_sek", "income_support_months"]
    );
    assert_eq!(
        header("ledger.csv"),
        [
            "id",
            "arm",
            "stratum",
            "probability",
            "block",
            "position",
            "batch",
            "hash"
        ]
    );
}

#[test]
fn targets_hold_in_expectation() {
    let dgp = demo_dgp();
    let n = 40_000;
    let study = simulate::simulate_study(&dgp, n, &Streams::new(1)).expect("simulate");
    let people = &study.participants.people;
    let women = people.iter().filter(|p| p.gender == 0).count() as f64 / n as f64;
    assert!(
        (women - 0.45).abs() < SIMULATED_MEAN_ABS,
        "share of women {women}"
    );
    // Expected probabilities given covariates average to the declared base rates and effects
    // (no clamping distorts them by more than 0.002).
    let md1 = 0;
    for h in 0..4 {
        for g in 0..2 {
            let group: Vec<_> = people.iter().filter(|p| p.gender == g).collect();
            let m = group.len() as f64;
            let p0: f64 = group
                .iter()
                .map(|p| simulate::control_probability(&dgp, p, h))
                .sum::<f64>()
                / m;
            let itt: f64 = group
                .iter()
                .map(|p| simulate::expected_itt(&dgp, p, md1, h))
                .sum::<f64>()
                / m;
            assert!(
                (p0 - dgp.base_rate[g][h]).abs() < SIMULATED_MEAN_ABS,
                "base {g} {h}: {p0}"
            );
            assert!(
                (itt - dgp.arms[md1].itt[g][h]).abs() < 0.002,
                "itt {g} {h}: {itt}"
            );
        }
    }
    // Realized: ~85% take-up, ~44% of all participants in work or studies at 540 days, the
    // effect on subsidized work only, costs ~38,600 SEK per MD1 participant.
    let o = &study.outcomes.people;
    let a = &study.assignment.arm;
    let offered: Vec<usize> = (0..n).filter(|&i| a[i] == md1).collect();
    let takeup = offered.iter().filter(|&&i| o[i].took_part).count() as f64 / offered.len() as f64;
    assert!(
        (takeup - 0.85).abs() < SIMULATED_MEAN_ABS,
        "take-up {takeup}"
    );
    let at540: Vec<_> = o.iter().filter_map(|x| x.activity[3]).collect();
    let rate = at540
        .iter()
        .filter(|&&x| x != simulate::Activity::Nothing)
        .count() as f64
        / at540.len() as f64;
    assert!(
        (rate - 0.44).abs() < 0.015,
        "work or studies at 540 days {rate}"
    );
    let mean_of = |arm: usize, kind: simulate::Activity| {
        let v: Vec<f64> = (0..n)
            .filter(|&i| a[i] == arm)
            .filter_map(|i| o[i].activity[3])
            .map(|x| f64::from(u8::from(x == kind)))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let sub =
        mean_of(0, simulate::Activity::Subsidized) - mean_of(1, simulate::Activity::Subsidized);
    let uns =
        mean_of(0, simulate::Activity::Unsubsidized) - mean_of(1, simulate::Activity::Unsubsidized);
    assert!(
        (sub - dgp.itt_overall(0, 3)).abs() < 0.015,
        "subsidized effect {sub}"
    );
    assert!(uns.abs() < 0.015, "unsubsidized effect {uns}");
    let takers: Vec<f64> = o
        .iter()
        .filter(|x| x.took_part)
        .map(|x| x.cost_sek)
        .collect();
    let cost = takers.iter().sum::<f64>() / takers.len() as f64;
    assert!(
        (cost / 38_600.0 - 1.0).abs() < 0.02,
        "cost per participant {cost}"
    );
}

/// The time-to-event part recovers its true curves: on 240,000 simulated persons, per gender and
/// arm, the Kaplan–Meier share with a job (work the event; studies, moving and the end of
/// follow-up censoring) equals 1 − exp(−λ_work t) and the Aalen–Johansen cumulative incidence of
/// each exit equals (λ_k/Λ)(1 − exp(−Λt)) at 90, 180, 365 and 540 days, within
/// SIMULATED_CURVE_ABS. Times are whole days (⌈T⌉), which leaves the cumulative incidence at a
/// whole day exact and moves the cause-specific curve by less than 10⁻³.
#[test]
fn time_to_event_recovers_the_true_curves() {
    use lotta::survival::{competing::Cif, km::Curve};
    let dgp = demo_dgp();
    let tte = dgp
        .time_to_event
        .clone()
        .expect("the demo has [simulate.time_to_event]");
    let streams = Streams::new(11);
    let cohort = simulate::simulate_participants(&dgp, 240_000, &streams);
    let assignment = simulate::assign(&dgp, &cohort, &streams).expect("assign");
    let exits = simulate::simulate_exits(&dgp, &cohort, &assignment, &streams).expect("exits");
    let work = tte.causes.iter().position(|c| c == "work").expect("work");
    let mut checked = 0;
    for gender in 0..2 {
        for arm in 0..dgp.arms.len() {
            let mut rows: Vec<(f64, Option<usize>)> = (0..cohort.people.len())
                .filter(|&i| cohort.people[i].gender == gender && assignment.arm[i] == arm)
                .map(|i| (f64::from(exits[i].day), exits[i].cause))
                .collect();
            rows.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(rows.len() > 20_000, "{} persons", rows.len());
            let time: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let rates: Vec<f64> = (0..tte.causes.len())
                .map(|k| tte.rate(arm, k, gender))
                .collect();
            let total: f64 = rates.iter().sum();
            let status_of = |k: usize, competing: u8| -> Vec<u8> {
                rows.iter()
                    .map(|r| match r.1 {
                        Some(c) if c == k => 1,
                        Some(_) => competing,
                        None => 0,
                    })
                    .collect()
            };
            let km = Curve::fit(&time, &status_of(work, 0));
            for t in [90.0, 180.0, 365.0, 540.0] {
                let s = km.at(t, 1.96).expect("inside follow-up").surv;
                let truth = (-rates[work] * t).exp();
                assert!(
                    (s - truth).abs() < SIMULATED_CURVE_ABS,
                    "KM gender {gender} arm {arm} day {t}: {s} vs {truth}"
                );
                checked += 1;
            }
            for (k, &rate) in rates.iter().enumerate() {
                let cif = Cif::fit(&time, &status_of(k, 2));
                for t in [90.0, 180.0, 365.0, 540.0] {
                    let (f, _) = cif.at(t).expect("inside follow-up");
                    let truth = rate / total * (1.0 - (-total * t).exp());
                    assert!(
                        (f - truth).abs() < SIMULATED_CURVE_ABS,
                        "CIF {} gender {gender} arm {arm} day {t}: {f} vs {truth}",
                        tte.causes[k]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 2 * 4 * (1 + 3));
}

/// The time-to-event part has its own stream: without it every other file is the same, with it
/// outcomes.csv only gains its two columns.
#[test]
fn time_to_event_leaves_the_other_outcomes_unchanged() {
    let with = demo_dgp();
    let mut without = with.clone();
    without.time_to_event = None;
    let streams = Streams::new(3);
    let a = simulate::simulate_study(&with, 900, &streams).expect("simulate");
    let b = simulate::simulate_study(&without, 900, &streams).expect("simulate");
    assert_eq!(a.participants, b.participants);
    assert_eq!(a.assignment, b.assignment);
    assert_eq!(a.outcomes, b.outcomes);
    assert!(b.exits.is_none());
    let with_csv = String::from_utf8(render::outcomes_csv(&with, &a).expect("csv")).expect("utf-8");
    let without_csv =
        String::from_utf8(render::outcomes_csv(&without, &b).expect("csv")).expect("utf-8");
    for (x, y) in with_csv.lines().zip(without_csv.lines()) {
        let parts: Vec<&str> = x.rsplitn(3, ',').collect();
        assert_eq!(parts.len(), 3, "{x}");
        assert_eq!(parts[2], y, "the leading columns are unchanged");
    }
}

#[test]
fn bad_time_to_event_hazard_names_the_key() {
    bad_spec(
        "studies = { women = 0.00018",
        "studies = { women = -0.1",
        "simulate.time_to_event.hazard.studies.women",
    );
}

#[test]
fn bad_time_to_event_exit_named_zero() {
    bad_spec("moved = { women", "0 = { women", "cannot name an exit");
}

#[test]
fn outcomes_are_internally_consistent() {
    let dgp = demo_dgp();
    let study = simulate::simulate_study(&dgp, 3000, &Streams::new(5)).expect("simulate");
    let mut lost = 0;
    for (i, o) in study.outcomes.people.iter().enumerate() {
        if study.assignment.arm[i] == dgp.control {
            assert!(!o.took_part, "controls never take part");
        }
        for (h, act) in o.activity.iter().enumerate() {
            match act {
                None => {
                    lost += 1;
                    assert!(o.followup_days < dgp.horizons[h]);
                }
                Some(_) => assert!(o.followup_days >= dgp.horizons[h]),
            }
        }
        if let Some(d) = o.days_to_first_job {
            assert!(d >= 1 && d <= o.followup_days);
        }
        assert!(o.income_support_months <= 18);
        assert!(o.cost_sek > 0.0);
    }
    assert!(lost > 0, "some attrition");
    // The CSV: subsidized + unsubsidized + studies = work_or_study, all empty together.
    let bytes = render::outcomes_csv(&dgp, &study).expect("render");
    let text = String::from_utf8(bytes).expect("utf-8");
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        for h in 0..4 {
            let part = &cells[2 + 4 * h..6 + 4 * h];
            if part[0].is_empty() {
                assert!(part.iter().all(|c| c.is_empty()), "{line}");
            } else {
                let v: Vec<u8> = part.iter().map(|c| c.parse().expect("0/1")).collect();
                assert_eq!(v[0], v[1] + v[2] + v[3], "{line}");
            }
        }
    }
}

#[test]
fn default_assignment_is_complete_within_strata_at_the_ratio() {
    // Without [design], complete randomization within site × gender, misfits drawn by ratio.
    let dgp = demo_dgp();
    let study = simulate::simulate_study(&dgp, 5400, &Streams::new(9)).expect("simulate");
    let a = &study.assignment;
    let mut strata = std::collections::BTreeMap::<(&str, u32), (f64, f64)>::new();
    let waves = simulate::waves(&dgp, &study.participants);
    for (i, s) in a.stratum.iter().enumerate() {
        let e = strata.entry((s.as_str(), waves[i])).or_default();
        e.0 += 1.0;
        e.1 += f64::from(u8::from(a.arm[i] == 0));
        assert!(
            (a.probability[i] - if a.arm[i] == 0 { 2.0 / 3.0 } else { 1.0 / 3.0 }).abs() < ULP_ABS
        );
    }
    assert_eq!(
        strata.len(),
        32 * 4,
        "16 sites × 2 genders × 4 enrolment waves"
    );
    for (key, (n, treated)) in strata {
        // ⌊n/3⌋ full sets are exact; at most 2 misfits per stratum and wave are drawn by ratio.
        assert!(
            (treated - 2.0 * (n / 3.0).floor()) >= 0.0
                && (treated - 2.0 * (n / 3.0).floor()) <= 2.0,
            "{key:?}: {treated} of {n}"
        );
    }
}

/// The demo ledger is what `lotta assign` writes when run once per enrolment wave on the
/// participants enrolled so far (rolling enrolment), byte for byte, and `lotta verify` accepts it.
#[test]
fn demo_ledger_equals_rolling_lotta_assign_by_wave() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text =
        std::fs::read_to_string(root().join("data/md1-demo/participants.csv")).expect("read");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let enrolled = header
        .split(',')
        .position(|c| c == "enrolled_on")
        .expect("enrolled_on");
    let rows: Vec<&str> = lines.collect();
    let start = simulate::dates::parse_date("2019-04-01").expect("date");
    let ledger = dir.path().join("ledger.csv");
    for wave in 1..=4 {
        let subset: Vec<&str> = rows
            .iter()
            .copied()
            .filter(|r| {
                let date = r.split(',').nth(enrolled).expect("date column");
                let days = simulate::dates::parse_date(date).expect("date") - start;
                days / simulate::WAVE_DAYS < wave
            })
            .collect();
        let file = dir.path().join(format!("wave{wave}.csv"));
        std::fs::write(&file, format!("{header}\n{}\n", subset.join("\n"))).expect("write");
        let out = lotta(&[
            "assign",
            "--participants",
            file.to_str().expect("utf-8"),
            "--ledger",
            ledger.to_str().expect("utf-8"),
            "--id",
            "person_id",
            "--arms",
            "md1:2,standard:1",
            "--control",
            "standard",
            "--strata",
            "site,gender",
            "--method",
            "blocks",
            "--block-sizes",
            "3,6",
            "--seed",
            "20190401",
            // `lotta simulate` writes its demo ledger in `lotta-ledger/1`.
            "--ledger-format",
            "v1",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(&ledger).expect("ledger"),
        std::fs::read(root().join("data/md1-demo/ledger.csv")).expect("demo ledger"),
        "rolling assignment by wave reproduces the demo ledger"
    );
    let out = lotta(&["verify", "studies/md1-demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn simulate_refuses_to_overwrite_a_different_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = simulate_to(dir.path(), "1", "300");
    assert!(out.status.success());
    let before = std::fs::read(dir.path().join("ledger.csv")).expect("ledger");
    let again = simulate_to(dir.path(), "1", "300");
    assert!(again.status.success(), "same seed: same bytes, allowed");
    let other = simulate_to(dir.path(), "2", "300");
    assert_eq!(other.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(stderr.contains("never overwrites a ledger"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.path().join("ledger.csv")).expect("ledger"),
        before
    );
}

/// Write the demo spec with one line replaced into a temp folder; run simulate; expect failure
/// with `needle` in the message and no output file.
fn bad_spec(from: &str, to: &str, needle: &str) {
    let text = std::fs::read_to_string(root().join("studies/md1-demo/study.toml")).expect("spec");
    assert!(text.contains(from), "the demo spec contains `{from}`");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("study.toml"), text.replacen(from, to, 1)).expect("write");
    let out_dir = dir.path().join("out");
    let out = lotta(&[
        "simulate",
        "--study",
        dir.path().to_str().expect("utf-8"),
        "--n",
        "300",
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out_dir.exists(), "no file written");
}

#[test]
fn bad_rate_above_one_names_the_key() {
    bad_spec(
        "men = [0.14, 0.24, 0.36, 0.46] }",
        "men = [0.14, 0.24, 1.36, 0.46] }",
        "simulate.base_rate.men",
    );
}

#[test]
fn bad_negative_take_up_names_the_key() {
    bad_spec("md1 = 0.85", "md1 = -0.85", "simulate.take_up.md1");
}

#[test]
fn bad_negative_site_size_names_the_site() {
    bad_spec("size = 700", "size = -700", "simulate.sites[1].size");
}

#[test]
fn bad_split_not_summing_to_one() {
    bad_spec("studies = [0.35,", "studies = [0.45,", "simulate.split");
}

#[test]
fn bad_wrong_number_of_horizon_values() {
    bad_spec(
        "attrition = [0.005, 0.01, 0.02, 0.03]",
        "attrition = [0.005, 0.01]",
        "simulate.attrition",
    );
}

#[test]
fn bad_effect_for_an_unknown_arm() {
    bad_spec(
        "[simulate.itt.md1]",
        "[simulate.itt.md2]",
        "did you mean `md1`?",
    );
}

#[test]
fn bad_unknown_key_names_the_line() {
    bad_spec(
        "share_women = 0.45",
        "share_woman = 0.45",
        "did you mean `share_women`?",
    );
}

#[test]
fn bad_negative_n_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = simulate_to(&dir.path().join("x"), "1", "-5");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`--n`: -5:"), "{stderr}");
    assert!(!dir.path().join("x").exists());
}

#[test]
fn bad_too_few_participants() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = simulate_to(&dir.path().join("x"), "1", "3");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("too few participants"));
}

#[test]
fn dgp_validation_is_a_library_error_too() {
    let study = Study::load(&root().join("studies/md1-demo")).expect("demo");
    let mut spec = study.spec.simulate.clone().expect("[simulate]");
    spec.share_women = 1.5;
    let err = Dgp::from_spec(&spec, &|k| Location::default().with_field(k))
        .expect_err("invalid")
        .to_string();
    assert!(
        err.contains("simulate.share_women") && err.contains("[0, 1]"),
        "{err}"
    );
}
