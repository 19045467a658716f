//! `lotta::cea::benefit`, `cea::discount` and `cea::tracks` (issue 17: does the programme pay?)
//! against independent R computations (tests/reference/benefit/benefit.R), which build each
//! person's monthly path, discounted benefit and cost and take differences in means, where lotta
//! weights the differences in arm means: net benefit, its SE, per participant, the benefit–cost
//! ratio with delta-method SE and Fieller's limits, the break-even month, every discount rate
//! and extrapolation of the sensitivity table, the tornado, the prices by track, the mean costs
//! of participants and non-participants; and boot.ci percentile limits on boot's own indices.

mod common;

use common::tolerance::{PRINTED_REL, assert_close};
use lotta::cea::benefit::{
    BenefitOptions, BenefitSample, TimeToJob, Valuation, analyse_replicates, replicate_of_indices,
    variables,
};
use lotta::cea::bootstrap::replicate_from_indices;
use lotta::cea::tracks::{TrackPrice, compare};
use lotta::cea::{CostOptions, Sample, analyse};
use lotta::io::table::{ColumnRequest, Table};
use serde_json::Value;
use std::path::Path;

fn close(got: f64, want: f64, what: &str) {
    assert_close(got, want, PRINTED_REL, what);
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

struct Data {
    sample: BenefitSample,
    track: Vec<String>,
    w18: Vec<f64>,
}

fn load() -> Data {
    let t = Table::read(
        Path::new("tests/reference/benefit/data.csv"),
        &[
            ColumnRequest::text("site"),
            ColumnRequest::text("arm"),
            ColumnRequest::text("track"),
            ColumnRequest::number("took_part"),
            ColumnRequest::number("cost_sek"),
            ColumnRequest::number("w3"),
            ColumnRequest::number("w6"),
            ColumnRequest::number("w12"),
            ColumnRequest::number("w18"),
        ],
    )
    .unwrap();
    let sites = ["middle", "north", "south"];
    let strata = t
        .text("site")
        .unwrap()
        .iter()
        .map(|s| sites.iter().position(|x| x == s).unwrap())
        .collect();
    let col = |name: &str| t.number(name).unwrap().to_vec();
    Data {
        sample: BenefitSample {
            treated: t.text("arm").unwrap().iter().map(|a| a == "md1").collect(),
            cost: col("cost_sek"),
            participation: Some(col("took_part")),
            months: vec![3, 6, 12, 18],
            in_work: vec![col("w3"), col("w6"), col("w12"), col("w18")],
            strata,
            clusters: None,
            time_to_job: None,
        },
        track: t.text("track").unwrap().to_vec(),
        w18: col("w18"),
    }
}

fn options() -> BenefitOptions {
    BenefitOptions {
        valuations: vec![Valuation {
            name: "wage cost".into(),
            sek_per_month: 30_000.0,
        }],
        discount_rate: 0.03,
        discount_range: [0.0, 0.05],
        cost_months: 27,
        extrapolate_to: Some(27),
        value_change: 0.2,
        cost_change: 0.2,
        value_grid: Vec::new(),
        level: 0.95,
        bootstrap: 0,
        seed: 0,
    }
}

fn reference() -> Value {
    let text = std::fs::read_to_string("tests/reference/benefit/benefit_reference.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

fn check(e: &lotta::cea::benefit::BenefitEstimate, r: &Value, label: &str) {
    assert_eq!(f64::from(e.horizon), num(r, "horizon"), "{label}");
    close(
        e.months_gained,
        num(r, "months_gained"),
        &format!("{label} months"),
    );
    close(e.benefit, num(r, "benefit"), &format!("{label} benefit"));
    close(e.cost, num(r, "cost"), &format!("{label} cost"));
    close(e.net_benefit, num(r, "net_benefit"), &format!("{label} NB"));
    close(
        e.net_benefit_se,
        num(r, "net_benefit_se"),
        &format!("{label} NB se"),
    );
    close(
        e.per_participant,
        num(r, "per_participant"),
        &format!("{label} pp"),
    );
    close(
        e.per_participant_se,
        num(r, "per_participant_se"),
        &format!("{label} pp se"),
    );
    close(
        e.benefit_cost_ratio,
        num(r, "ratio"),
        &format!("{label} ratio"),
    );
    close(e.ratio_se, num(r, "ratio_se"), &format!("{label} ratio se"));
    assert_eq!(
        e.ratio_fieller.shape(),
        r["fieller_shape"].as_str().unwrap()
    );
    let (lo, hi) = e.ratio_fieller.limits();
    close(lo, num(r, "fieller_low"), &format!("{label} fieller low"));
    close(hi, num(r, "fieller_high"), &format!("{label} fieller high"));
    close(
        e.break_even_months,
        num(r, "break_even"),
        &format!("{label} break-even"),
    );
    // The net benefit per participant as a ratio NB/Δd: Fieller's set.
    assert_eq!(
        e.per_participant_fieller.shape(),
        r["pp_fieller_shape"].as_str().unwrap(),
        "{label}"
    );
    let (lo, hi) = e.per_participant_fieller.limits();
    close(
        lo,
        num(r, "pp_fieller_low"),
        &format!("{label} pp fieller low"),
    );
    close(
        hi,
        num(r, "pp_fieller_high"),
        &format!("{label} pp fieller high"),
    );
    // Its delta-method SE and Fieller's set within the month of break-even.
    close(
        e.break_even_se,
        num(r, "break_even_se"),
        &format!("{label} break-even se"),
    );
    // R reports the limits of a bounded set only (as the tidy table does).
    let (lo, hi) = if e.break_even_fieller.shape() == "bounded" {
        e.break_even_fieller.limits()
    } else {
        (f64::NAN, f64::NAN)
    };
    close(
        lo,
        num(r, "break_even_fieller_low"),
        &format!("{label} break-even fieller low"),
    );
    close(
        hi,
        num(r, "break_even_fieller_high"),
        &format!("{label} break-even fieller high"),
    );
}

#[test]
fn net_benefit_ratio_break_even_and_every_scenario_match_r() {
    let data = load();
    let reference = reference();
    let a = analyse_replicates(&data.sample, &options(), &[]).unwrap();
    check(&a.valuations[0], &reference["base"], "base");
    let scenarios = reference["scenarios"].as_array().unwrap();
    assert_eq!(a.scenarios.len(), scenarios.len());
    for (e, r) in a.scenarios.iter().zip(scenarios) {
        assert_eq!(
            e.scenario.extrapolation.word(),
            r["extrapolation"].as_str().unwrap()
        );
        let label = format!(
            "{} at {}",
            e.scenario.extrapolation.word(),
            e.scenario.discount_rate
        );
        close(e.scenario.discount_rate, num(r, "discount_rate"), &label);
        check(e, r, &label);
    }
    let tornado = &reference["tornado"];
    assert_eq!(a.tornado.len(), 4);
    for bar in &a.tornado {
        let want = tornado[bar.input].as_array().unwrap();
        close(bar.net_benefit_low, want[0].as_f64().unwrap(), bar.input);
        close(bar.net_benefit_high, want[1].as_f64().unwrap(), bar.input);
    }
}

/// The break-even horizon's confidence set by test inversion over horizons against R's grid
/// scan refined by uniroot: the hull, the number of pieces, whether it reaches the horizon and
/// the horizon from which the net benefit is significantly positive; for the data as they are
/// (the set runs to the horizon) and with the costs divided by 4 (a bounded set, then positive).
#[test]
fn break_even_set_by_test_inversion_matches_r() {
    let reference = reference();
    let mut cheap = load().sample;
    cheap.cost.iter_mut().for_each(|c| *c /= 4.0);
    for (sample, r) in [
        (load().sample, &reference["base"]["break_even_set"]),
        (cheap, &reference["cheap_break_even_set"]),
    ] {
        let a = analyse_replicates(&sample, &options(), &[]).unwrap();
        let set = &a.valuations[0].break_even_set;
        assert_eq!(set.intervals.len() as f64, num(r, "pieces"));
        assert_eq!(
            set.reaches_horizon(),
            r["reaches_horizon"].as_bool().unwrap()
        );
        let (lo, hi) = set.hull();
        close(lo, num(r, "low"), "set low");
        close(hi, num(r, "high"), "set high");
        close(set.positive_from, num(r, "positive_from"), "positive from");
    }
}

#[test]
fn bootstrap_percentiles_match_boot_on_its_indices() {
    let data = load();
    let reference = reference();
    let text = std::fs::read_to_string("tests/reference/benefit/boot_indices.csv").unwrap();
    let vars = variables(&data.sample);
    let refs: Vec<&[f64]> = vars.iter().map(Vec::as_slice).collect();
    let reps: Vec<Vec<f64>> = text
        .lines()
        .map(|line| {
            let idx: Vec<usize> = line.split(',').map(|x| x.trim().parse().unwrap()).collect();
            replicate_from_indices(&data.sample.treated, &refs, &idx)
        })
        .collect();
    let b = &reference["bootstrap"];
    assert_eq!(reps.len() as f64, num(b, "reps"));
    let a = analyse_replicates(&data.sample, &options(), &reps).unwrap();
    let e = &a.valuations[0];
    let pair = |key: &str| {
        let v = b[key].as_array().unwrap();
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    };
    for (got, key) in [
        (e.net_benefit_boot, "net_benefit"),
        (e.ratio_boot, "ratio"),
        (e.per_participant_boot, "per_participant"),
    ] {
        let want = pair(key);
        close(got.0, want.0, &format!("{key} low"));
        close(got.1, want.1, &format!("{key} high"));
    }
}

#[test]
fn prices_by_track_and_the_costs_of_participants_match_r() {
    let data = load();
    let reference = reference();
    let s = &data.sample;
    let rows: Vec<usize> = (0..s.treated.len()).filter(|&i| s.treated[i]).collect();
    let take_up: Vec<f64> = rows
        .iter()
        .map(|&i| s.participation.as_ref().unwrap()[i])
        .collect();
    let price = TrackPrice {
        name: "service".into(),
        fees: vec![("near".into(), 12_000.0), ("far".into(), 18_000.0)],
        results_payment: 10_000.0,
    };
    let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let tracks: Vec<String> = rows.iter().map(|&i| data.track[i].clone()).collect();
    let c = compare(&price, &tracks, &pick(&s.cost), &pick(&data.w18), &take_up)
        .unwrap()
        .unwrap();
    for want in reference["tracks"].as_array().unwrap() {
        let name = want["track"].as_str().unwrap();
        let got = c
            .rows
            .iter()
            .find(|r| r.track.as_deref() == Some(name))
            .unwrap();
        close(got.participants, num(want, "participants"), name);
        close(got.share, num(want, "share"), name);
        close(got.programme_cost, num(want, "programme_cost"), name);
        close(got.in_work_share, num(want, "in_work_share"), name);
        close(got.price, num(want, "price"), name);
    }
    close(c.mix.price, num(&reference, "mix_price"), "mix price");

    let cost_sample = Sample {
        treated: s.treated.clone(),
        cost: s.cost.clone(),
        effect: data.w18.clone(),
        participation: s.participation.clone(),
        offsets: Vec::new(),
        strata: s.strata.clone(),
        clusters: None,
    };
    let a = analyse(&cost_sample, &CostOptions::default()).unwrap();
    let r = &reference["arm_costs"];
    close(
        a.arms[0].mean_cost_participants,
        num(r, "mean_cost_participants"),
        "participants",
    );
    close(
        a.arms[0].mean_cost_nonparticipants,
        num(r, "mean_cost_offered_nonparticipants"),
        "offered non-participants",
    );
    close(
        a.arms[0].cost_per_participant,
        num(r, "cost_per_participant_treated"),
        "arm total over participants",
    );
}

/// The persons of `survival_data.csv` with their time to the first job (months 1..=18 from the
/// Kaplan–Meier curves).
fn load_survival() -> BenefitSample {
    let t = Table::read(
        Path::new("tests/reference/benefit/survival_data.csv"),
        &[
            ColumnRequest::text("site"),
            ColumnRequest::text("arm"),
            ColumnRequest::number("took_part"),
            ColumnRequest::number("cost_sek"),
            ColumnRequest::number("job_day"),
            ColumnRequest::number("job"),
        ],
    )
    .unwrap();
    let sites = ["middle", "north", "south"];
    let col = |name: &str| t.number(name).unwrap().to_vec();
    BenefitSample {
        treated: t.text("arm").unwrap().iter().map(|a| a == "md1").collect(),
        cost: col("cost_sek"),
        participation: Some(col("took_part")),
        months: (1..=18).collect(),
        in_work: Vec::new(),
        strata: t
            .text("site")
            .unwrap()
            .iter()
            .map(|s| sites.iter().position(|x| x == s).unwrap())
            .collect(),
        clusters: None,
        time_to_job: Some(TimeToJob {
            time: col("job_day"),
            status: col("job").iter().map(|&s| s as u8).collect(),
            competing: false,
        }),
    }
}

fn survival_options() -> BenefitOptions {
    BenefitOptions {
        extrapolate_to: None,
        ..options()
    }
}

/// Months in work valued from the survival curves: the monthly shares after the first job from
/// survfit's restricted means, the months gained and their SE from survfit's se(rmean), the
/// discounted benefit's SE from the weighted-RMST variance, and the net benefit's SE with the
/// covariance of costs and the curve (influence functions), against R.
#[test]
fn months_in_work_from_survival_curves_match_r() {
    let sample = load_survival();
    let text = std::fs::read_to_string("tests/reference/benefit/survival_reference.json").unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let a = analyse_replicates(&sample, &survival_options(), &[]).unwrap();
    let e = &a.valuations[0];
    assert_eq!(e.horizon, 18);
    close(e.months_gained, num(&r, "months_gained"), "months gained");
    close(
        e.months_gained_se,
        num(&r, "months_gained_se"),
        "months gained se (survfit se(rmean))",
    );
    close(e.benefit, num(&r, "benefit"), "benefit");
    close(e.benefit_se, num(&r, "benefit_se"), "benefit se");
    close(e.cost, num(&r, "cost"), "cost");
    close(e.net_benefit, num(&r, "net_benefit"), "net benefit");
    close(
        e.net_benefit_se,
        num(&r, "net_benefit_se"),
        "net benefit se",
    );
    close(e.benefit_cost_ratio, num(&r, "ratio"), "ratio");

    // The bootstrap on boot's indices: each replicate's curves refitted.
    let idx_text =
        std::fs::read_to_string("tests/reference/benefit/survival_boot_indices.csv").unwrap();
    let reps: Vec<Vec<f64>> = idx_text
        .lines()
        .map(|line| {
            let idx: Vec<usize> = line.split(',').map(|x| x.trim().parse().unwrap()).collect();
            replicate_of_indices(&sample, &idx)
        })
        .collect();
    let b = &r["bootstrap"];
    assert_eq!(reps.len() as f64, num(b, "reps"));
    let a = analyse_replicates(&sample, &survival_options(), &reps).unwrap();
    let want = b["net_benefit"].as_array().unwrap();
    let (lo, hi) = a.valuations[0].net_benefit_boot;
    close(lo, want[0].as_f64().unwrap(), "boot low");
    close(hi, want[1].as_f64().unwrap(), "boot high");
}

/// The cost per additional month with a job in a cluster-randomized study (16 sites, arms by
/// site) against tests/reference/benefit/survival_months.R, which sums survival's own infinitesimal
/// jackknife (`survfit(..., cluster =, influence = TRUE)`) by cluster: the cluster-robust
/// variances of ΔC and ΔM, their covariance, the ratio, its t(G − 1) delta-method interval and
/// Fieller's limits, at τ = 365 and 540 days.
#[test]
fn clustered_cost_per_month_matches_survfit_influence_sums() {
    use lotta::cea::months::cost_per_month;
    let t = Table::read(
        Path::new("tests/reference/benefit/clustered_data.csv"),
        &[
            ColumnRequest::text("site"),
            ColumnRequest::text("arm"),
            ColumnRequest::number("time"),
            ColumnRequest::number("event"),
            ColumnRequest::number("cost"),
        ],
    )
    .unwrap();
    let sites = t.text("site").unwrap();
    let mut names: Vec<&String> = sites.iter().collect();
    names.sort();
    names.dedup();
    let clusters: Vec<usize> = sites
        .iter()
        .map(|s| names.iter().position(|x| *x == s).unwrap())
        .collect();
    let treated: Vec<bool> = t.text("arm").unwrap().iter().map(|a| a == "md1").collect();
    let status: Vec<u8> = t
        .number("event")
        .unwrap()
        .iter()
        .map(|&e| e as u8)
        .collect();
    let text =
        std::fs::read_to_string("tests/reference/benefit/survival_months_reference.json").unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    for r in reference["cost_per_month"].as_array().unwrap() {
        let tau = num(r, "tau");
        let got = cost_per_month(
            t.number("cost").unwrap(),
            t.number("time").unwrap(),
            &status,
            &treated,
            Some(&clusters),
            tau,
            0.95,
        )
        .unwrap();
        let q = &got.ratio;
        assert_eq!(got.clusters.map(|g| g as f64), Some(num(r, "clusters")));
        let (fl, fh) = q.fieller.limits();
        assert_eq!(q.fieller.shape(), r["fieller_shape"].as_str().unwrap());
        assert!(
            q.meaningful,
            "τ {tau}: the reference's effect is significant"
        );
        for (g, key) in [
            (got.rmst[0], "rmst_treated"),
            (got.rmst[1], "rmst_control"),
            (q.delta_cost, "delta_cost"),
            (q.se_cost * q.se_cost, "var_cost"),
            (q.delta_effect, "delta_months"),
            (q.se_effect * q.se_effect, "var_months"),
            (q.covariance, "covariance"),
            (q.icer, "ratio"),
            (q.icer_se, "ratio_se"),
            (q.delta_low, "delta_low"),
            (q.delta_high, "delta_high"),
            (fl, "fieller_low"),
            (fh, "fieller_high"),
        ] {
            close(g, num(r, key), &format!("τ {tau} {key}"));
        }
    }
}

fn boot_reps(
    sample: &BenefitSample,
    file: &str,
    persons_of: impl Fn(usize) -> Vec<usize>,
) -> Vec<Vec<f64>> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|line| {
            let idx: Vec<usize> = line
                .split(',')
                .flat_map(|x| persons_of(x.trim().parse().unwrap()))
                .collect();
            replicate_of_indices(sample, &idx)
        })
        .collect()
}

fn survival_months_reference() -> Value {
    let text =
        std::fs::read_to_string("tests/reference/benefit/survival_months_reference.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Months in work valued from the Kaplan–Meier curves in a cluster-randomized study (16 sites)
/// against survival_months.R: the net benefit, its cluster-robust SE (the clusters' sums of
/// survfit's infinitesimal-jackknife influences and of the cost influences, CR1) and t(15)
/// interval; and the cluster bootstrap on boot's exported site indices.
#[test]
fn clustered_net_benefit_from_survival_curves_matches_r() {
    let t = Table::read(
        Path::new("tests/reference/benefit/clustered_data.csv"),
        &[
            ColumnRequest::text("site"),
            ColumnRequest::text("arm"),
            ColumnRequest::number("time"),
            ColumnRequest::number("event"),
            ColumnRequest::number("cost"),
        ],
    )
    .unwrap();
    let sites = t.text("site").unwrap().to_vec();
    // Sites s01..s16: the code is the site's number − 1, boot's row of the sites' table.
    let clusters: Vec<usize> = sites
        .iter()
        .map(|s| s[1..].parse::<usize>().unwrap() - 1)
        .collect();
    let n = sites.len();
    let sample = BenefitSample {
        treated: t.text("arm").unwrap().iter().map(|a| a == "md1").collect(),
        cost: t.number("cost").unwrap().to_vec(),
        participation: None,
        months: (1..=18).collect(),
        in_work: Vec::new(),
        strata: vec![0; n],
        clusters: Some(clusters.clone()),
        time_to_job: Some(TimeToJob {
            time: t.number("time").unwrap().to_vec(),
            status: t
                .number("event")
                .unwrap()
                .iter()
                .map(|&e| e as u8)
                .collect(),
            competing: false,
        }),
    };
    let reference = survival_months_reference();
    let r = &reference["clustered_net_benefit"];
    let a = analyse_replicates(&sample, &survival_options(), &[]).unwrap();
    let e = &a.valuations[0];
    for (got, key) in [
        (e.months_gained, "months_gained"),
        (e.benefit, "benefit"),
        (e.cost, "cost"),
        (e.net_benefit, "net_benefit"),
        (e.net_benefit_se, "net_benefit_se"),
        (e.net_benefit_low, "net_benefit_low"),
        (e.net_benefit_high, "net_benefit_high"),
    ] {
        close(got, num(r, key), key);
    }
    let reps = boot_reps(
        &sample,
        "tests/reference/benefit/clustered_boot_indices.csv",
        |g| (0..n).filter(|&i| clusters[i] == g).collect(),
    );
    assert_eq!(reps.len() as f64, num(&r["bootstrap"], "reps"));
    let a = analyse_replicates(&sample, &survival_options(), &reps).unwrap();
    let want = r["bootstrap"]["net_benefit"].as_array().unwrap();
    let (lo, hi) = a.valuations[0].net_benefit_boot;
    close(lo, want[0].as_f64().unwrap(), "cluster boot low");
    close(hi, want[1].as_f64().unwrap(), "cluster boot high");
}

/// Months in work from the Aalen–Johansen cumulative incidence of the first job with the other
/// exits competing, against survival_months.R (survival's multi-state survfit with its
/// infinitesimal-jackknife influences, the curve checked there against cmprsk::cuminc): months
/// gained and their SE, the benefit, the net benefit and their SEs (with the costs' covariance),
/// and the bootstrap on boot's indices with the curves refitted.
#[test]
fn months_from_the_cumulative_incidence_with_competing_exits_match_r() {
    let mut sample = load_survival();
    if let Some(job) = sample.time_to_job.as_mut() {
        job.competing = true;
    }
    let reference = survival_months_reference();
    let r = &reference["competing"];
    let a = analyse_replicates(&sample, &survival_options(), &[]).unwrap();
    let e = &a.valuations[0];
    for (got, key) in [
        (e.months_gained, "months_gained"),
        (e.months_gained_se, "months_gained_se"),
        (e.benefit, "benefit"),
        (e.benefit_se, "benefit_se"),
        (e.cost, "cost"),
        (e.net_benefit, "net_benefit"),
        (e.net_benefit_se, "net_benefit_se"),
    ] {
        close(got, num(r, key), key);
    }
    let reps = boot_reps(
        &sample,
        "tests/reference/benefit/competing_boot_indices.csv",
        |i| vec![i],
    );
    let a = analyse_replicates(&sample, &survival_options(), &reps).unwrap();
    let want = r["bootstrap"]["net_benefit"].as_array().unwrap();
    let (lo, hi) = a.valuations[0].net_benefit_boot;
    close(lo, want[0].as_f64().unwrap(), "boot low");
    close(hi, want[1].as_f64().unwrap(), "boot high");
}
