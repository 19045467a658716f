//! `lotta::cea` against independent R computations (tests/reference/cost/cost.R): point
//! estimates, delta-method SEs, Fieller limits, net cost, break-even, per-participant effects,
//! NMB; the bootstrap scheme on boot's own resampling indices, boot.ci percentile limits, and the
//! spread of lotta's own stratified bootstrap against boot's.

mod common;

use common::tolerance::{BOOTSTRAP_SD_REL, PRINTED_REL, assert_close};
use lotta::cea::bootstrap::{ResamplingPlan, percentile_interval, replicate_from_indices};
use lotta::cea::{CostOptions, Offset, Sample, analyse};
use lotta::io::table::{ColumnRequest, Table};
use serde_json::Value;
use std::path::Path;

/// Estimates and SEs against R, which prints 15 significant digits.
fn close(got: f64, want: f64, what: &str) {
    assert_close(got, want, PRINTED_REL, what);
}

struct Data {
    sample: Sample,
    gender: Vec<String>,
}

fn load() -> Data {
    let t = Table::read(
        Path::new("tests/reference/cost/data.csv"),
        &[
            ColumnRequest::text("site"),
            ColumnRequest::text("gender"),
            ColumnRequest::text("arm"),
            ColumnRequest::number("work_or_study_540"),
            ColumnRequest::number("took_part"),
            ColumnRequest::number("cost_sek"),
            ColumnRequest::number("income_support_months"),
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
    Data {
        sample: Sample {
            treated: t.text("arm").unwrap().iter().map(|a| a == "md1").collect(),
            cost: t.number("cost_sek").unwrap().to_vec(),
            effect: t.number("work_or_study_540").unwrap().to_vec(),
            participation: Some(t.number("took_part").unwrap().to_vec()),
            offsets: vec![Offset {
                name: "income_support".into(),
                units: t.number("income_support_months").unwrap().to_vec(),
                sek_per_unit: 7000.0,
            }],
            strata,
            clusters: None,
        },
        gender: t.text("gender").unwrap().to_vec(),
    }
}

fn reference() -> Value {
    let text = std::fs::read_to_string("tests/reference/cost/cost_reference.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

#[test]
fn point_estimates_delta_method_and_fieller_match_r() {
    let data = load();
    let reference = reference();
    let options = CostOptions {
        per_participant: true,
        wtp: vec![100_000.0],
        ..CostOptions::default()
    };
    for r in reference["subgroups"].as_array().unwrap() {
        let label = r["subgroup"].as_str().unwrap();
        let rows: Vec<usize> = (0..data.gender.len())
            .filter(|&i| label == "all" || label == format!("gender={}", data.gender[i]))
            .collect();
        let a = analyse(&data.sample.subset(&rows), &options).unwrap();
        let g = &a.gross;
        assert_eq!(a.arms[0].n as f64, num(r, "n_treated"));
        assert_eq!(a.arms[1].n as f64, num(r, "n_control"));
        close(a.arms[0].mean_cost, num(r, "mean_cost_treated"), label);
        close(a.arms[1].mean_cost, num(r, "mean_cost_control"), label);
        close(
            a.arms[0].cost_per_participant,
            num(r, "cost_per_participant_treated"),
            label,
        );
        close(g.delta_cost, num(r, "incremental_cost"), label);
        close(g.delta_effect, num(r, "incremental_effect"), label);
        close(g.se_cost, num(r, "se_cost"), label);
        close(g.se_effect, num(r, "se_effect"), label);
        close(g.covariance, num(r, "covariance"), label);
        close(g.icer, num(r, "icer"), label);
        assert_eq!(g.fieller.shape(), r["fieller_shape"].as_str().unwrap());
        let (lo, hi) = g.fieller.limits();
        close(lo, num(r, "fieller_low"), &format!("{label} fieller low"));
        close(hi, num(r, "fieller_high"), &format!("{label} fieller high"));
        if g.meaningful {
            close(g.icer_se, num(r, "icer_se"), &format!("{label} icer se"));
        } else {
            assert!(g.icer_se.is_nan(), "{label}: SE must be withheld");
        }
        let net = a.net.as_ref().unwrap();
        close(net.delta_cost, num(r, "net_incremental_cost"), label);
        close(net.icer, num(r, "net_icer"), label);
        close(
            a.offsets[0].break_even_sek_per_unit,
            num(r, "break_even_sek_per_month"),
            label,
        );
        let pp = a.per_participant.as_ref().unwrap();
        close(pp.take_up_difference, num(r, "take_up_difference"), label);
        close(pp.delta_effect, num(r, "effect_per_participant"), label);
        close(
            pp.delta_cost,
            num(r, "cost_per_participant_increment"),
            label,
        );
        let nmb = &a.acceptability[0];
        close(nmb.nmb, num(r, "nmb_100000"), label);
        close(nmb.se, num(r, "nmb_100000_se"), label);
    }
}

#[test]
fn bootstrap_replicates_and_percentiles_match_boot_on_its_indices() {
    let data = load();
    let reference = reference();
    let b = &reference["bootstrap"];
    let text = std::fs::read_to_string("tests/reference/cost/boot_indices.csv").unwrap();
    let t: Vec<Vec<f64>> = b["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let s = &data.sample;
    let vars: [&[f64]; 2] = [&s.cost, &s.effect];
    let mut dc = Vec::new();
    let mut de = Vec::new();
    for (line, want) in text.lines().zip(&t) {
        let idx: Vec<usize> = line.split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(idx.len(), s.cost.len());
        let m = replicate_from_indices(&s.treated, &vars, &idx);
        let (c, e) = (m[0] - m[2], m[1] - m[3]);
        close(c, want[0], "replicate ΔC");
        close(e, want[1], "replicate ΔE");
        dc.push(c);
        de.push(e);
    }
    assert_eq!(dc.len(), b["reps"].as_u64().unwrap() as usize);
    let ratio: Vec<f64> = dc.iter().zip(&de).map(|(c, e)| c / e).collect();
    for (values, key) in [
        (&dc, "perc_cost"),
        (&de, "perc_effect"),
        (&ratio, "perc_icer"),
    ] {
        let (lo, hi) = percentile_interval(values, 0.95);
        let want: Vec<f64> = b[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        close(lo, want[0], key);
        close(hi, want[1], key);
    }
}

#[test]
fn own_stratified_bootstrap_has_the_spread_of_boot() {
    let data = load();
    let reference = reference();
    let s = &data.sample;
    let plan = ResamplingPlan::new(&s.treated, &[&s.cost, &s.effect], &s.strata, None);
    let reps = plan.run(4000, 20190401);
    let sd = |k: usize| {
        let d: Vec<f64> = reps.iter().map(|r| r[k] - r[2 + k]).collect();
        let m = d.iter().sum::<f64>() / d.len() as f64;
        (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (d.len() as f64 - 1.0)).sqrt()
    };
    for (k, key) in [(0, "sd_cost"), (1, "sd_effect")] {
        let want = num(&reference["bootstrap"], key);
        let got = sd(k);
        assert!(
            (got - want).abs() <= BOOTSTRAP_SD_REL * want,
            "{key}: lotta {got}, boot {want}"
        );
    }
}

#[test]
fn cluster_robust_variances_match_lm_robust_stata() {
    let data = load();
    let t = Table::read(
        Path::new("tests/reference/cost/data.csv"),
        &[ColumnRequest::text("municipality")],
    )
    .unwrap();
    let names = t.text("municipality").unwrap();
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut sample = data.sample.clone();
    sample.offsets.clear();
    sample.clusters = Some(
        names
            .iter()
            .map(|m| sorted.iter().position(|x| *x == m).unwrap())
            .collect(),
    );
    let a = analyse(&sample, &CostOptions::default()).unwrap();
    let r = &reference()["clustered"];
    close(a.gross.se_cost, num(r, "se_cost"), "clustered se cost");
    close(
        a.gross.se_effect,
        num(r, "se_effect"),
        "clustered se effect",
    );
    close(
        a.gross.covariance,
        num(r, "covariance"),
        "clustered covariance",
    );
    close(a.gross.icer_se, num(r, "icer_se"), "clustered icer se");
    // With clusters the intervals use t(G − 1), not z (issue 14).
    assert_eq!(a.gross.df, num(r, "clusters") - 1.0);
    close(
        a.gross.delta_low,
        num(r, "delta_low"),
        "clustered delta low",
    );
    close(
        a.gross.delta_high,
        num(r, "delta_high"),
        "clustered delta high",
    );
    assert_eq!(
        a.gross.fieller.shape(),
        r["fieller_shape"].as_str().unwrap()
    );
    let (fl, fh) = a.gross.fieller.limits();
    close(fl, num(r, "fieller_low"), "clustered fieller low");
    close(fh, num(r, "fieller_high"), "clustered fieller high");
    assert!(
        a.gross.notes.iter().any(|n| n.contains("G − 1 = 23")),
        "{:?}",
        a.gross.notes
    );
    let options = CostOptions {
        wtp: vec![100_000.0],
        ..CostOptions::default()
    };
    let a = analyse(&sample, &options).unwrap();
    let nmb = &a.acceptability[0];
    close(nmb.low, num(r, "nmb_100000_low"), "clustered nmb low");
    close(nmb.high, num(r, "nmb_100000_high"), "clustered nmb high");
    close(
        nmb.prob_normal,
        num(r, "nmb_100000_prob"),
        "clustered P(NMB > 0)",
    );
}

#[test]
fn normal_quantile_matches_r_qnorm() {
    let z = lotta::dist::qnorm(0.975);
    close(
        z,
        num(&reference()["bootstrap"], "qnorm_975"),
        "qnorm(0.975)",
    );
}
