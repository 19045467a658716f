//! Statistical disclosure control for published tables: any cell that describes fewer than k
//! persons (k = 5 by default, the convention of Swedish official statistics) is masked, together
//! with the statistics computed from those persons.

use crate::export::{Cell, Frame};

/// The default minimum number of persons a published cell may describe.
pub const DEFAULT_MASK_BELOW: usize = 5;

/// Mask rows of `frame`: where the count in column `count` is between 1 and `k − 1`, replace it
/// by the text "<k" and set every column in `dependents` to null. Returns the number of cells
/// masked. Unknown column names are ignored.
pub fn mask_small_cells(frame: &mut Frame, count: &str, dependents: &[&str], k: usize) -> usize {
    let Some(ci) = frame.columns.iter().position(|c| c == count) else {
        return 0;
    };
    let dep: Vec<usize> = dependents
        .iter()
        .filter_map(|d| frame.columns.iter().position(|c| c == d))
        .collect();
    let mut masked = 0;
    for row in &mut frame.rows {
        let n = match row.get(ci) {
            Some(Cell::Int(n)) => *n as f64,
            Some(Cell::Num(x)) => *x,
            _ => continue,
        };
        if n > 0.0 && n < k as f64 {
            row[ci] = Cell::Text(format!("<{k}"));
            masked += 1;
            for &j in &dep {
                if !matches!(row[j], Cell::Null) {
                    row[j] = Cell::Null;
                    masked += 1;
                }
            }
        }
    }
    masked
}

/// Complementary (secondary) suppression across subgroups. A table with a `subgroup` column
/// publishes, for each outcome/term (the other `keys`), the overall row `all` and one row per
/// level of the subgroup column (`gender=F`, `gender=M`), whose counts add up to the overall
/// count. When exactly one cell of such a family is masked, it would follow by subtraction
/// (`F = all − M`), so the smallest other unmasked level row is masked too, with its
/// `dependents` (Statistics Sweden, *Röjandekontroll av tabeller*; Hundepool et al., *Handbook
/// on Statistical Disclosure Control*, ESSnet SDC, 2010, §4.2: secondary suppression).
/// Returns the number of cells masked.
pub fn complementary_suppression(
    frame: &mut Frame,
    count: &str,
    keys: &[&str],
    dependents: &[&str],
    k: usize,
) -> usize {
    let col = |name: &str| frame.columns.iter().position(|c| c == name);
    let (Some(ci), Some(si)) = (col(count), col("subgroup")) else {
        return 0;
    };
    let key_cols: Vec<usize> = keys.iter().filter_map(|k| col(k)).collect();
    let dep: Vec<usize> = dependents.iter().filter_map(|d| col(d)).collect();
    let text = |c: &Cell| match c {
        Cell::Text(t) => t.clone(),
        other => format!("{other:?}"),
    };
    // Families: same keys, subgroup `all` or `<column>=<level>` of one column (differences,
    // written `a - b`, are not counts of persons and stay out).
    let mut families: std::collections::BTreeMap<(Vec<String>, String), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (r, row) in frame.rows.iter().enumerate() {
        let sub = text(&row[si]);
        if sub.contains(" - ") {
            continue;
        }
        let key: Vec<String> = key_cols.iter().map(|&c| text(&row[c])).collect();
        match sub.split_once('=') {
            Some((column, _)) => families
                .entry((key, column.to_string()))
                .or_default()
                .push(r),
            None if sub == "all" => {}
            None => continue,
        }
    }
    // The overall row of each family's keys.
    let overall = |frame: &Frame, key: &[String]| {
        frame.rows.iter().position(|row| {
            text(&row[si]) == "all" && key_cols.iter().zip(key).all(|(&c, v)| text(&row[c]) == *v)
        })
    };
    let masked_text = format!("<{k}");
    let is_masked = |frame: &Frame, r: usize| frame.rows[r][ci] == Cell::Text(masked_text.clone());
    let count_of = |frame: &Frame, r: usize| match frame.rows[r][ci] {
        Cell::Int(n) => n as f64,
        Cell::Num(x) => x,
        _ => f64::NAN,
    };
    let mut masked = 0;
    for ((key, _), levels) in &families {
        let mut members = levels.clone();
        if let Some(all) = overall(frame, key) {
            members.push(all);
        }
        loop {
            let hidden = members.iter().filter(|&&r| is_masked(frame, r)).count();
            if hidden != 1 {
                break;
            }
            // The smallest published level row (a published zero says nothing new, but is
            // hidden too: with it a lone masked cell could still be derived).
            let Some(&next) = levels
                .iter()
                .filter(|&&r| !is_masked(frame, r) && count_of(frame, r).is_finite())
                .min_by(|&&a, &&b| count_of(frame, a).total_cmp(&count_of(frame, b)))
            else {
                break;
            };
            frame.rows[next][ci] = Cell::Text(masked_text.clone());
            masked += 1;
            for &j in &dep {
                if !matches!(frame.rows[next][j], Cell::Null) {
                    frame.rows[next][j] = Cell::Null;
                    masked += 1;
                }
            }
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way a reader can subtract published counts within a family (`all` minus the other
    /// levels) recovers no masked count.
    fn nothing_recoverable(f: &Frame, count: usize) {
        let all = f
            .rows
            .iter()
            .find(|r| r[0] == Cell::Text("all".into()))
            .unwrap();
        let levels: Vec<&Vec<Cell>> = f.rows.iter().filter(|r| r[0] != all[0]).collect();
        let hidden = levels
            .iter()
            .filter(|r| matches!(r[count], Cell::Text(_)))
            .count();
        assert!(
            hidden != 1,
            "one masked level follows from all − the others: {:?}",
            f.rows
        );
    }

    #[test]
    fn a_lone_masked_subgroup_count_is_not_recoverable_from_the_total() {
        let mut f = Frame::new(&["subgroup", "n_control", "mean_control"]);
        f.push(vec!["all".into(), 40usize.into(), 0.3.into()]);
        f.push(vec!["gender=F".into(), 3usize.into(), 0.2.into()]);
        f.push(vec!["gender=M".into(), 37usize.into(), 0.31.into()]);
        mask_small_cells(&mut f, "n_control", &["mean_control"], 5);
        assert_eq!(f.rows[1][1], Cell::Text("<5".into()));
        // Without the complement, F = 40 − 37.
        let extra = complementary_suppression(&mut f, "n_control", &[], &["mean_control"], 5);
        assert_eq!(extra, 2);
        assert_eq!(f.rows[2][1], Cell::Text("<5".into()));
        assert_eq!(f.rows[2][2], Cell::Null);
        nothing_recoverable(&f, 1);
    }

    #[test]
    fn the_next_smallest_level_is_masked_with_three_levels() {
        let mut f = Frame::new(&["subgroup", "n"]);
        for (s, n) in [
            ("all", 60usize),
            ("site=A", 2),
            ("site=B", 18),
            ("site=C", 40),
        ] {
            f.push(vec![s.into(), n.into()]);
        }
        mask_small_cells(&mut f, "n", &[], 5);
        complementary_suppression(&mut f, "n", &[], &[], 5);
        assert_eq!(
            f.rows[2][1],
            Cell::Text("<5".into()),
            "B, the next smallest"
        );
        assert_eq!(f.rows[3][1], Cell::Int(40));
        nothing_recoverable(&f, 1);
    }

    #[test]
    fn families_are_kept_apart_by_their_keys() {
        let mut f = Frame::new(&["subgroup", "outcome", "n"]);
        for (s, o, n) in [
            ("all", "y1", 40usize),
            ("gender=F", "y1", 3),
            ("gender=M", "y1", 37),
            ("all", "y2", 40),
            ("gender=F", "y2", 20),
            ("gender=M", "y2", 20),
        ] {
            f.push(vec![s.into(), o.into(), n.into()]);
        }
        mask_small_cells(&mut f, "n", &[], 5);
        complementary_suppression(&mut f, "n", &["outcome"], &[], 5);
        assert_eq!(f.rows[2][2], Cell::Text("<5".into()));
        assert_eq!(f.rows[4][2], Cell::Int(20));
        assert_eq!(f.rows[5][2], Cell::Int(20));
    }

    #[test]
    fn masks_small_counts_and_their_statistics() {
        let mut f = Frame::new(&["group", "n", "mean"]);
        f.push(vec!["a".into(), 4usize.into(), 0.25.into()]);
        f.push(vec!["b".into(), 5usize.into(), 0.4.into()]);
        f.push(vec!["c".into(), 0usize.into(), Cell::Null]);
        let masked = mask_small_cells(&mut f, "n", &["mean"], 5);
        assert_eq!(masked, 2);
        assert_eq!(f.rows[0][1], Cell::Text("<5".into()));
        assert_eq!(f.rows[0][2], Cell::Null);
        assert_eq!(f.rows[1][1], Cell::Int(5));
        assert_eq!(f.rows[2][1], Cell::Int(0));
    }
}
