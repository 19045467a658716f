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
            let masked: Vec<&(String, String)> =
                cells.iter().filter(|(_, v)| v.starts_with('<')).collect();
            assert!(masked.len() != 1, "{count} {key:?}: {cells:?}");
            // Every subtraction all − (published levels) leaves at least two unknowns.
            if let Some((_, all)) = cells.iter().find(|(s, _)| s == "all")
                && all.parse::<u64>().is_ok()
            {
                let hidden_levels = cells
                    .iter()
                    .filter(|(s, v)| s != "all" && v.starts_with('<'))
                    .count();
                assert!(hidden_levels != 1, "{count} {key:?}: {cells:?}");
            }
            checked += masked.len();
        }
    }
    assert!(checked > 0, "the threshold masked nothing: {text}");
}
