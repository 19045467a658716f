//! Renders every figure kind from made-up numbers into /tmp/lotta-figs, for looking at them.
use lotta::report::figures::{
    self, Count, Figure, balance::*, ce_plane::*, ceac::*, flow::*, forest::*, split::*,
    trajectory::*,
};

fn save<F: Figure>(out: &std::path::Path, f: &F) -> lotta::Result<()> {
    std::fs::write(out.join(format!("{}.png", f.name())), figures::to_png(f)?).unwrap();
    std::fs::write(out.join(format!("{}.svg", f.name())), figures::to_svg(f)?).unwrap();
    Ok(())
}

fn main() -> lotta::Result<()> {
    let out = std::path::Path::new("/tmp/lotta-figs");
    std::fs::create_dir_all(out).unwrap();
    let mut rows = Vec::new();
    for (h, base) in [
        ("90 days", 0.02),
        ("180 days", 0.04),
        ("365 days", 0.07),
        ("540 days", 0.08),
    ] {
        for (label, d) in [("All", 0.0), ("Women", -0.01), ("Men", 0.012)] {
            rows.push(ForestRow {
                group: h.into(),
                label: label.into(),
                estimate: base + d,
                low: base + d - 0.035,
                high: base + d + 0.035,
                secondary: None,
            });
        }
    }
    let f = Forest {
        name: "forest".into(),
        title: "Effect of the MD1 offer on being in work or studies".into(),
        x_label: "Difference MD1 − standard (percentage points, 95% CI)".into(),
        rows,
        series: vec!["All".into(), "Women".into(), "Men".into()],
    };
    save(out, &f)?;
    let mut points = Vec::new();
    for panel in ["Women", "Men"] {
        for (arm, eff) in [("md1", 0.08), ("standard", 0.0)] {
            for (h, base) in [(90.0, 0.08), (180.0, 0.16), (365.0, 0.27), (540.0, 0.36)] {
                let b = if panel == "Men" { base + 0.08 } else { base };
                let s = b + eff * h / 540.0;
                points.push(TrajectoryPoint {
                    panel: panel.into(),
                    arm: arm.into(),
                    horizon: h,
                    share: s,
                    low: s - 0.03,
                    high: s + 0.03,
                });
            }
        }
    }
    save(
        out,
        &Trajectory {
            name: "trajectory".into(),
            title: "In work or studies after randomization, by arm".into(),
            y_label: "In work or studies (%)".into(),
            panels: vec!["Women".into(), "Men".into()],
            arms: vec!["md1".into(), "standard".into()],
            points,
        },
    )?;
    let covs = [
        "Age (years)",
        "Years of education",
        "Months in Sweden",
        "Further from labour market",
        "Education: secondary",
        "Education: tertiary",
    ];
    let mut bp = Vec::new();
    for (i, c) in covs.iter().enumerate() {
        for (g, sg) in ["All", "Women", "Men"].iter().enumerate() {
            bp.push(BalancePoint {
                covariate: c.to_string(),
                subgroup: sg.to_string(),
                smd: ((i * 3 + g) as f64 * 0.37).sin() * 0.08,
            });
        }
    }
    save(
        out,
        &BalancePlot {
            name: "balance".into(),
            title: "Baseline balance".into(),
            covariates: covs.iter().map(|s| s.to_string()).collect(),
            subgroups: vec!["All".into(), "Women".into(), "Men".into()],
            points: bp,
        },
    )?;
    let bars = ["Women", "Men"]
        .iter()
        .flat_map(|g| {
            [("md1", 0.06), ("standard", 0.0)].map(|(a, e)| SplitBar {
                subgroup: g.to_string(),
                arm: a.into(),
                shares: vec![0.10 + e, 0.18, 0.08],
            })
        })
        .collect();
    save(
        out,
        &Split {
            name: "split".into(),
            title: "In work or studies at 540 days, by kind".into(),
            y_label: "Share of group (%)".into(),
            parts: vec![
                "Subsidized work".into(),
                "Unsubsidized work".into(),
                "Studies".into(),
            ],
            bars,
        },
    )?;
    let mut s = lotta::rng::Stream::new(1, "demo");
    let draws = (0..1000)
        .map(|_| (8.0 + 2.0 * s.normal(), 300_000.0 + 60_000.0 * s.normal()))
        .collect();
    save(
        out,
        &CePlane {
            name: "ce_plane".into(),
            title: "Cost-effectiveness plane (bootstrap)".into(),
            x_label: "Additional persons in work or studies per 100 offered".into(),
            y_label: "Incremental cost per 100 offered (SEK)".into(),
            draws,
            estimate: (8.0, 300_000.0),
            wtp: Some(50_000.0),
            wtp_label: Some("Willingness to pay 50 000 SEK per additional person".into()),
        },
    )?;
    let curve = |shift: f64| {
        (0..=40)
            .map(|i| {
                let l = i as f64 * 25_000.0;
                (l, 1.0 / (1.0 + (-(l - 400_000.0 - shift) / 80_000.0).exp()))
            })
            .collect()
    };
    save(
        out,
        &Ceac {
            name: "ceac".into(),
            title: "Cost-effectiveness acceptability curve".into(),
            x_label: "Willingness to pay per additional person in work or studies (SEK)".into(),
            y_label: "Probability cost-effective".into(),
            curves: vec![
                ("All".into(), curve(0.0)),
                ("Women".into(), curve(100_000.0)),
                ("Men".into(), curve(-80_000.0)),
            ],
        },
    )?;
    save(
        out,
        &Flow {
            name: "flow".into(),
            title: "Participant flow".into(),
            randomized: Count::Shown(5400),
            horizon: "540 days".into(),
            arms: vec![
                FlowArm {
                    name: "md1".into(),
                    assigned: Count::Shown(3600),
                    took_part: Some(Count::Shown(3060)),
                    followed_up: Count::Shown(3420),
                    lost: Count::Shown(180),
                    analysed: Count::Shown(3420),
                },
                FlowArm {
                    name: "standard".into(),
                    assigned: Count::Shown(1800),
                    took_part: None,
                    // As disclosure control publishes a small count and its complement.
                    followed_up: Count::Masked("x".into()),
                    lost: Count::Masked("<5".into()),
                    analysed: Count::Masked("x".into()),
                },
            ],
        },
    )?;
    Ok(())
}
