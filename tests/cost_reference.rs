//! `lotta::cea` against independent R computations (tests/reference/cost/cost.R): point
//! estimates, delta-method SEs, Fieller limits, net cost, break-even, per-participant effects,
//! NMB; the bootstrap scheme on boot's own resampling indices, boot.ci percentile limits, and the
//! spread of lotta's own stratified bootstrap against boot's; the matched-pair cluster
//! bootstrap (pairs resampled as units) recomputed by boot from lotta's own resampling indices
//! (tests/reference/cost/pairs.R).

mod common;

use common::tolerance::{BOOTSTRAP_SD_REL, PRINTED_REL, REFERENCE_REL, assert_close};
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

/// The matched-pair reference: 6 pairs of municipalities, one treated and one control in each
/// (tests/reference/cost/pairs_data.csv, made by pairs.R).
const PAIRS_DIR: &str = "tests/reference/cost";
const PAIRS_REPS: usize = 999;
const PAIRS_SEED: u64 = 20261129;

/// The pair data as the cost analysis sees it: treated, cost, effect, stratum (pair, in sorted
/// order of the labels) and cluster (municipality) codes.
fn pairs_plan() -> (ResamplingPlan, Vec<f64>, Vec<f64>, Vec<bool>) {
    let t = Table::read(
        &Path::new(PAIRS_DIR).join("pairs_data.csv"),
        &[
            ColumnRequest::text("pair"),
            ColumnRequest::text("municipality"),
            ColumnRequest::text("arm"),
            ColumnRequest::number("cost_sek"),
            ColumnRequest::number("work"),
        ],
    )
    .unwrap();
    let codes = |name: &str| {
        let labels = t.text(name).unwrap();
        let mut sorted: Vec<&String> = labels.iter().collect();
        sorted.sort();
        sorted.dedup();
        labels
            .iter()
            .map(|l| sorted.binary_search(&l).unwrap())
            .collect::<Vec<usize>>()
    };
    let strata = codes("pair");
    let clusters = codes("municipality");
    let treated: Vec<bool> = t.text("arm").unwrap().iter().map(|a| a == "md1").collect();
    let cost = t.number("cost_sek").unwrap().to_vec();
    let effect = t.number("work").unwrap().to_vec();
    let plan = ResamplingPlan::new(&treated, &[&cost, &effect], &strata, Some(&clusters));
    (plan, cost, effect, treated)
}

fn pairs_indices_csv(plan: &ResamplingPlan) -> String {
    let mut out = String::new();
    for b in 0..PAIRS_REPS {
        let mut stream =
            lotta::rng::Stream::new(PAIRS_SEED, &lotta::cea::bootstrap::replicate_stream_name(b));
        let cells = plan.resampled_units(&mut stream);
        assert_eq!(cells.len(), 1, "the pairs are one cell");
        let line: Vec<String> = cells[0].iter().map(usize::to_string).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Step 2 of tests/reference/cost/pairs.R: write lotta's resampling indices for R.
#[test]
#[ignore = "writes the reference input; run by hand as pairs.R says"]
fn write_pairs_bootstrap_indices() {
    let (plan, ..) = pairs_plan();
    std::fs::write(
        Path::new(PAIRS_DIR).join("pairs_boot_indices.csv"),
        pairs_indices_csv(&plan),
    )
    .unwrap();
}

/// Issue 14: in a matched-pair cluster design the cost bootstrap resamples the pairs as units.
/// Its replicates (ΔC, ΔE, ICER) equal R's, computed by `boot`'s statistic on the persons of the
/// pairs lotta drew, to 1e-10, and its percentile limits equal boot.ci(type = "perc") on them.
#[test]
fn matched_pair_bootstrap_matches_boot_on_lottas_indices() {
    let (plan, cost, effect, treated) = pairs_plan();
    assert!(plan.strata_as_units(), "one cluster per arm and pair");
    // The indices R used are the ones lotta draws today (else rerun pairs.R's steps 2 and 3).
    let committed =
        std::fs::read_to_string(Path::new(PAIRS_DIR).join("pairs_boot_indices.csv")).unwrap();
    assert_eq!(pairs_indices_csv(&plan), committed, "lotta's draws changed");
    let reference =
        std::fs::read_to_string(Path::new(PAIRS_DIR).join("pairs_reference.csv")).unwrap();
    let rows: Vec<Vec<String>> = reference
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let value = |row: &[String], k: usize| -> f64 { row[k].parse().unwrap() };
    let reps = plan.run(PAIRS_REPS, PAIRS_SEED);
    assert_eq!(rows.len(), PAIRS_REPS + 3);
    let mut stats: [Vec<f64>; 3] = Default::default();
    for (b, (m, row)) in reps.iter().zip(&rows).enumerate() {
        assert_eq!(row[0], (b + 1).to_string());
        let (dc, de) = (m[0] - m[2], m[1] - m[3]);
        for (k, got) in [dc, de, dc / de].into_iter().enumerate() {
            assert_close(
                got,
                value(row, k + 1),
                REFERENCE_REL,
                &format!("replicate {b}"),
            );
            stats[k].push(got);
        }
    }
    // Replicates vary: not the degenerate one-point bootstrap of within-cell resampling.
    let distinct: std::collections::BTreeSet<u64> = stats[0].iter().map(|x| x.to_bits()).collect();
    assert!(distinct.len() > 100, "{}", distinct.len());
    // The point estimate R's statistic gives on all pairs.
    let t0 = &rows[PAIRS_REPS];
    let mean = |x: &[f64], arm: bool| {
        let v: Vec<f64> = x
            .iter()
            .zip(&treated)
            .filter(|(_, t)| **t == arm)
            .map(|(v, _)| *v)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert_close(
        mean(&cost, true) - mean(&cost, false),
        value(t0, 1),
        REFERENCE_REL,
        "t0 ΔC",
    );
    assert_close(
        mean(&effect, true) - mean(&effect, false),
        value(t0, 2),
        REFERENCE_REL,
        "t0 ΔE",
    );
    let (low, high) = (&rows[PAIRS_REPS + 1], &rows[PAIRS_REPS + 2]);
    for (k, values) in stats.iter().enumerate() {
        let (lo, hi) = percentile_interval(values, 0.95);
        assert_close(
            lo,
            value(low, k + 1),
            REFERENCE_REL,
            &format!("perc low {k}"),
        );
        assert_close(
            hi,
            value(high, k + 1),
            REFERENCE_REL,
            &format!("perc high {k}"),
        );
    }
}
