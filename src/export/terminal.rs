//! Wide tables on a terminal of a given width (issue 16: `estimate` in 100 columns): one block
//! per value of a grouping column (a heading line, then the table without that column), and of
//! the columns people read first as many as fit; the `note` column's notes and the names of
//! the columns left out go below.
//! Machine formats (CSV, JSON) keep every column and are rendered with [`super::render`].

use super::{Cell, Frame, to_table};

/// The width of the terminal the human table is made for.
pub const TERMINAL_WIDTH: usize = 100;

/// The widest line of `text`, in characters.
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// `frame` as a terminal table at most `width` characters wide (unless its first column alone
/// is wider): grouped by the column `group` when given (in order of first appearance), with the
/// columns `wanted` in that order (names not in the frame are skipped), each as long as it still
/// fits; the columns of `frame` not shown are named below it.
pub fn fit_table(frame: &Frame, group: Option<&str>, wanted: &[&str], width: usize) -> Vec<u8> {
    let group_col = group.and_then(|g| frame.column(g));
    // Each wanted column in turn joins the table if the table still fits with it; one that
    // does not is left out and the next, narrower one may still fit.
    let mut shown: Vec<&str> = Vec::new();
    for column in wanted {
        if frame.column(column).is_none() || Some(*column) == group || *column == "note" {
            continue;
        }
        shown.push(column);
        let text = to_table(&frame.select(&shown));
        if shown.len() > 1 && widest(&String::from_utf8_lossy(&text)) > width {
            shown.pop();
        }
    }
    let narrow = frame.select(&shown);
    let mut out = String::new();
    match group_col {
        None => out.push_str(&String::from_utf8_lossy(&to_table(&narrow))),
        Some(g) => {
            let mut groups: Vec<&Cell> = Vec::new();
            for row in &frame.rows {
                if let Some(cell) = row.get(g)
                    && !groups.contains(&cell)
                {
                    groups.push(cell);
                }
            }
            for (k, value) in groups.iter().enumerate() {
                let block = Frame {
                    columns: narrow.columns.clone(),
                    decimals: narrow.decimals.clone(),
                    rows: frame
                        .rows
                        .iter()
                        .zip(&narrow.rows)
                        .filter(|(row, _)| row.get(g) == Some(*value))
                        .map(|(_, n)| n.clone())
                        .collect(),
                };
                if k > 0 {
                    out.push('\n');
                }
                out.push_str(&format!(
                    "{}: {}\n",
                    frame.columns[g],
                    frame.human_cell(g, value)
                ));
                out.push_str(&String::from_utf8_lossy(&to_table(&block)));
            }
        }
    }
    let left_out: Vec<&str> = frame
        .columns
        .iter()
        .enumerate()
        .filter(|(j, c)| {
            Some(*j) != group_col && c.as_str() != "note" && !shown.contains(&c.as_str())
        })
        .map(|(_, c)| c.as_str())
        .collect();
    // The notes go below the table, numbered, as in every human format (`notes`).
    let notes = super::notes::notes_of(frame);
    if !notes.is_empty() {
        out.push('\n');
        for (k, note) in notes.iter().enumerate() {
            out.push_str(&wrap(&format!("[{}] {note}", k + 1), width));
        }
    }
    if !left_out.is_empty() {
        let text = format!(
            "Not shown here (--format csv or json has every column): {}",
            left_out.join(", ")
        );
        out.push('\n');
        out.push_str(&wrap(&text, width));
    }
    out.into_bytes()
}

/// `text` broken at spaces into lines at most `width` characters long (a longer word stands
/// alone on its line).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide() -> Frame {
        let mut f = Frame::new(&[
            "outcome",
            "term",
            "estimate",
            "long_column_name_one",
            "long_column_name_two",
        ]);
        for (o, t) in [("y1", "a"), ("y1", "b"), ("y2", "a")] {
            f.push(vec![o.into(), t.into(), 0.5.into(), 1.0.into(), 2.0.into()]);
        }
        f
    }

    #[test]
    fn blocks_by_group_and_columns_that_fit() {
        let text = String::from_utf8(fit_table(
            &wide(),
            Some("outcome"),
            &[
                "term",
                "estimate",
                "long_column_name_one",
                "long_column_name_two",
            ],
            40,
        ))
        .unwrap();
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(
            text.starts_with("outcome: y1\nterm  estimate  long_column_name_one\n"),
            "{text}"
        );
        assert!(text.contains("\noutcome: y2\n"), "{text}");
        let below = text.split_once("Not shown here").map_or("", |(_, b)| b);
        assert!(below.contains("long_column_name_two"), "{text}");
        assert!(!below.contains("long_column_name_one"), "{text}");
    }

    #[test]
    fn everything_fits_nothing_is_named() {
        let all = [
            "outcome",
            "term",
            "estimate",
            "long_column_name_one",
            "long_column_name_two",
        ];
        let text = String::from_utf8(fit_table(&wide(), None, &all, 100)).unwrap();
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(!text.contains("Not shown"));
    }
}
