//! Disclosure control that holds (issue 10): in every published table with subgroups, no
//! masked count follows by subtraction from the overall count and the other subgroups' counts.
//! The demo is run with a threshold that masks the women's control group (809 persons) but not
//! the men's, the case where primary suppression alone gives F = all − M.

mod common;
use common::{demo_copy, lotta};
use std::collections::BTreeMap;

#[test]
fn no_masked_count_of_the_effects_table_follows_from_the_total_and_the_other_subgroup() {
    let dir = demo_copy(&[
        ("ri_draws = 1000", "ri_draws = 0"),
        ("bootstrap = 2000", "bootstrap = 0"),
        ("mask_below = 5", "mask_below = 900"),
    ]);
    let run = lotta(dir.path(), &["run", "studies/md1-demo", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(dir.path().join("out/tables/effects.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (outcome, subgroup, term) = (col("outcome"), col("subgroup"), col("term"));
    let mut checked = 0;
    for count in ["n_treated", "n_control"] {
        let c = col(count);
        // (outcome, term) → the counts of `all` and each level, masked or published.
        let mut families: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f[subgroup].contains(" - ") {
                continue;
            }
            families
                .entry((f[outcome].to_string(), f[term].to_string()))
                .or_default()
                .push((f[subgroup].to_string(), f[c].to_string()));
        }
        for (key, cells) in &families {
            let masked: Vec<&(String, String)> = cells
                .iter()
                .filter(|(_, v)| v.starts_with('<') || v == "x")
                .collect();
            assert!(masked.len() != 1, "{count} {key:?}: {cells:?}");
            // Every subtraction all − (published levels) leaves at least two unknowns.
            if let Some((_, all)) = cells.iter().find(|(s, _)| s == "all")
                && all.parse::<u64>().is_ok()
            {
                let hidden_levels = cells
                    .iter()
                    .filter(|(s, v)| s != "all" && (v.starts_with('<') || v == "x"))
                    .count();
                assert!(hidden_levels != 1, "{count} {key:?}: {cells:?}");
            }
            checked += masked.len();
        }
    }
    assert!(checked > 0, "the threshold masked nothing: {text}");
}

/// A table as the report published it: rows of column → cell text.
type Published = Vec<BTreeMap<String, String>>;

fn read_table(dir: &std::path::Path, name: &str) -> Published {
    let Ok(text) = std::fs::read_to_string(dir.join(format!("tables/{name}.csv"))) else {
        return Vec::new();
    };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// A cell of a published table, or a quantity the reader names (the analysed count of an
/// outcome in a subgroup and arm).
type Var = (String, usize, String);

/// The attacker: everything a reader can add and subtract across the published tables, done
/// independently of lotta's masking code. Counts of one kind in one population that are equal
/// in truth are taken as known to be equal (a reader who knows the methods would); subgroup
/// levels add up to `all` in every table; a difference row counts both subgroups; assigned =
/// missing + analysed (attrition) and assigned = lost + followed up (flow); both arms together
/// (the joint balance test) = the sum of the arms' assigned counts. Every equation with one
/// unknown is solved, until nothing new follows. Returns the masked cells recovered.
fn recovered_cells(published: &std::path::Path, truth: &std::path::Path) -> (usize, Vec<String>) {
    const TABLES: &[(&str, &[&str], &[&str])] = &[
        // (table, count columns, columns that with the subgroup identify a family)
        (
            "effects",
            &["n_treated", "n_control"],
            &["outcome", "term", "estimator"],
        ),
        ("shares", &["n"], &["outcome", "arm"]),
        ("attrition", &["n", "n_missing"], &["outcome", "arm"]),
        (
            "flow",
            &["assigned", "took_part", "followed_up", "lost", "analysed"],
            &["arm"],
        ),
        (
            "cost",
            &["n_treated", "n_control"],
            &["perspective", "outcome", "treated_arm"],
        ),
        ("split", &["n"], &["arm", "part"]),
        (
            "balance",
            &["n_arm", "n_control"],
            &["covariate", "level", "arm"],
        ),
        ("balance_joint", &["n"], &["arm"]),
        ("survival_curves", &["n_risk"], &["arm", "time"]),
        ("survival_exits", &["n_risk"], &["arm", "exit", "time"]),
    ];
    let control = "standard";
    let treated = "md1";
    let mut known: BTreeMap<Var, i64> = BTreeMap::new();
    let mut truth_of: BTreeMap<Var, i64> = BTreeMap::new();
    let mut masked: Vec<Var> = Vec::new();
    let mut equations: Vec<Vec<(Var, i64)>> = Vec::new();
    // (kind, subgroup, arm, true value) → the cells of that quantity.
    let mut same: BTreeMap<(String, String, String, i64), Vec<Var>> = BTreeMap::new();
    let mut assigned: BTreeMap<(String, String), Var> = BTreeMap::new();
    for (table, counts, family) in TABLES {
        let shown = read_table(published, table);
        let real = read_table(truth, table);
        assert_eq!(shown.len(), real.len(), "{table}: the same rows");
        let mut families: BTreeMap<(String, Vec<String>), BTreeMap<String, Var>> = BTreeMap::new();
        for (i, (row, real_row)) in shown.iter().zip(&real).enumerate() {
            let subgroup = row.get("subgroup").cloned().unwrap_or_else(|| "all".into());
            for count in *counts {
                let (Some(cell), Some(true_cell)) = (row.get(*count), real_row.get(*count)) else {
                    continue;
                };
                let Ok(value) = true_cell.parse::<i64>() else {
                    continue;
                };
                let var: Var = (table.to_string(), i, count.to_string());
                truth_of.insert(var.clone(), value);
                match cell.parse::<i64>() {
                    Ok(v) => {
                        known.insert(var.clone(), v);
                    }
                    Err(_) => masked.push(var.clone()),
                }
                let arm = match (*table, *count) {
                    ("effects", "n_treated") => treated.to_string(),
                    ("effects", "n_control") => control.to_string(),
                    ("cost", "n_treated") => row["treated_arm"].clone(),
                    ("cost", "n_control") => row["control_arm"].clone(),
                    ("balance", "n_control") => row["control"].clone(),
                    ("balance_joint", _) => "both".to_string(),
                    _ => row.get("arm").cloned().unwrap_or_default(),
                };
                let kind = match (*table, *count) {
                    ("attrition", "n") | ("flow", "assigned") => "assigned".to_string(),
                    ("attrition", "n_missing") | ("flow", "lost") => "missing".to_string(),
                    ("effects" | "shares" | "cost" | "split", _)
                    | ("flow", "followed_up" | "analysed") => "analysed".to_string(),
                    (t, c) => format!("{t}:{c}"),
                };
                if kind == "assigned" {
                    assigned.insert((subgroup.clone(), arm.clone()), var.clone());
                }
                same.entry((kind, subgroup.clone(), arm, value))
                    .or_default()
                    .push(var.clone());
                let key: Vec<String> = family
                    .iter()
                    .map(|c| row.get(*c).cloned().unwrap_or_default())
                    .collect();
                families
                    .entry((count.to_string(), key))
                    .or_default()
                    .insert(subgroup.clone(), var);
            }
            // Identities within a row, with the analysed count as a named quantity.
            let identity = match *table {
                "attrition" => Some(("n", "n_missing")),
                "flow" => Some(("assigned", "lost")),
                _ => None,
            };
            if let Some((total, part)) = identity
                && let (Ok(t), Ok(p)) = (
                    real_row[total].parse::<i64>(),
                    real_row[part].parse::<i64>(),
                )
            {
                let rest: Var = ("analysed".into(), i, format!("{table}:{subgroup}"));
                truth_of.insert(rest.clone(), t - p);
                let arm = row["arm"].clone();
                same.entry(("analysed".into(), subgroup.clone(), arm, t - p))
                    .or_default()
                    .push(rest.clone());
                equations.push(vec![
                    ((table.to_string(), i, total.to_string()), 1),
                    ((table.to_string(), i, part.to_string()), -1),
                    (rest, -1),
                ]);
            }
        }
        for members in families.values() {
            if let Some(all) = members.get("all") {
                let mut by_column: BTreeMap<&str, Vec<&Var>> = BTreeMap::new();
                for (s, v) in members {
                    if let Some((column, _)) = s.split_once('=')
                        && !s.contains(" - ")
                    {
                        by_column.entry(column).or_default().push(v);
                    }
                }
                for levels in by_column.values() {
                    let mut e = vec![(all.clone(), 1)];
                    e.extend(levels.iter().map(|v| ((*v).clone(), -1)));
                    equations.push(e);
                }
            }
            for (s, v) in members {
                if let Some((a, b)) = s.split_once(" - ")
                    && let (Some(va), Some(vb)) = (members.get(a), members.get(b))
                {
                    equations.push(vec![(v.clone(), 1), (va.clone(), -1), (vb.clone(), -1)]);
                }
            }
        }
    }
    // Equal quantities.
    for cells in same.values() {
        for pair in cells.windows(2) {
            equations.push(vec![(pair[0].clone(), 1), (pair[1].clone(), -1)]);
        }
    }
    // Both arms together.
    for (i, row) in read_table(truth, "balance_joint").iter().enumerate() {
        let subgroup = row.get("subgroup").cloned().unwrap_or_else(|| "all".into());
        if let (Some(t), Some(c)) = (
            assigned.get(&(subgroup.clone(), treated.to_string())),
            assigned.get(&(subgroup, control.to_string())),
        ) {
            equations.push(vec![
                (("balance_joint".into(), i, "n".into()), 1),
                (t.clone(), -1),
                (c.clone(), -1),
            ]);
        }
    }
    // Keep only equations that hold in truth (a reader's relation is true).
    equations.retain(|e| {
        e.iter().all(|(v, _)| truth_of.contains_key(v))
            && e.iter().map(|(v, c)| truth_of[v] * c).sum::<i64>() == 0
    });
    loop {
        let mut progress = false;
        for e in &equations {
            let unknown: Vec<&(Var, i64)> =
                e.iter().filter(|(v, _)| !known.contains_key(v)).collect();
            if let [(v, c)] = unknown.as_slice() {
                let rest: i64 = e
                    .iter()
                    .filter(|(w, _)| w != v)
                    .map(|(w, k)| known[w] * k)
                    .sum();
                known.insert(v.clone(), -rest / c);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    let recovered = masked
        .iter()
        .filter(|v| known.get(*v) == truth_of.get(*v))
        .map(|v| format!("{}:{} {} = {}", v.0, v.1 + 2, v.2, truth_of[v]))
        .collect();
    (masked.len(), recovered)
}

/// Run the demo (edited) twice: as published, and with nothing masked (the truth).
fn published_and_truth(edits: &[(&str, &str)]) -> (tempfile::TempDir, tempfile::TempDir) {
    let mut all: Vec<(&str, &str)> = vec![
        ("ri_draws = 1000", "ri_draws = 0"),
        ("bootstrap = 2000", "bootstrap = 0"),
    ];
    all.extend_from_slice(edits);
    let published = demo_copy(&all);
    let run = lotta(
        published.path(),
        &["run", "studies/md1-demo", "--out", "out"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut open: Vec<(&str, &str)> = all.clone();
    open.retain(|(from, _)| *from != "mask_below = 5");
    open.push(("mask_below = 5", "mask_below = 1\nmask_zeros = false"));
    let truth = demo_copy(&open);
    let run = lotta(truth.path(), &["run", "studies/md1-demo", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (published, truth)
}

#[test]
fn no_masked_count_follows_from_any_sum_or_difference_across_the_demo_tables() {
    let (published, truth) = published_and_truth(&[]);
    let (masked, recovered) =
        recovered_cells(&published.path().join("out"), &truth.path().join("out"));
    assert!(masked > 0, "the demo masks its zero and small counts");
    assert!(recovered.is_empty(), "recovered: {recovered:#?}");
}

#[test]
fn no_masked_count_follows_across_tables_in_a_small_cell_study() {
    // Sixteen sites as subgroups: about 110 controls a site, a handful missing at each horizon.
    let (published, truth) = published_and_truth(&[
        ("by = \"gender\"\ncovariates", "by = \"site\"\ncovariates"),
        ("reference = { gender = \"M\" }\n", ""),
        // The families table (issue 15) repeats the sites' rows: its counts are masked alike.
        (
            "subgroups = [\"gender\", \"gender=F - gender=M\"]",
            "subgroups = [\"site\"]",
        ),
        ("mask_below = 5", "mask_below = 8"),
    ]);
    let (masked, recovered) =
        recovered_cells(&published.path().join("out"), &truth.path().join("out"));
    assert!(
        masked > 20,
        "a small-cell study masks many counts: {masked}"
    );
    assert!(recovered.is_empty(), "recovered: {recovered:#?}");
}
