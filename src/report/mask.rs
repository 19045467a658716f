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

#[cfg(test)]
mod tests {
    use super::*;

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
