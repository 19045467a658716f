//! Wide tables for people: a frame narrowed to the columns people read, with its `note` column
//! moved below the table as numbered notes (`[1] …` in a terminal table, a numbered list in
//! Markdown, footnote-sized paragraphs in LaTeX), so the table stays readable. Machine formats
//! keep every column and are rendered with [`super::render`].

use super::{Cell, Format, Frame, latex_escape, render};

/// `frame` in a human `format`: only the columns in `keep` (in that order; names not in the
/// frame are skipped), or every column but `note` when `keep` is None; each non-empty note is
/// written below as `<first two text cells of its row>: <note>`.
pub fn render_with_notes(frame: &Frame, keep: Option<&[&str]>, format: Format) -> Vec<u8> {
    let note_col = frame.column("note");
    let keep: Vec<usize> = match keep {
        Some(names) => names.iter().filter_map(|h| frame.column(h)).collect(),
        None => (0..frame.columns.len())
            .filter(|&i| Some(i) != note_col)
            .collect(),
    };
    let mut narrow = Frame {
        columns: keep.iter().map(|&i| frame.columns[i].clone()).collect(),
        rows: Vec::new(),
        decimals: keep.iter().map(|&i| frame.decimals[i]).collect(),
    };
    for row in &frame.rows {
        narrow
            .rows
            .push(keep.iter().map(|&i| row[i].clone()).collect());
    }
    let notes = notes_of(frame);
    let mut bytes = render(&narrow, format);
    if !notes.is_empty() {
        let mut text = String::from("\n");
        for (k, n) in notes.iter().enumerate() {
            match format {
                Format::Latex => text.push_str(&format!(
                    "\\noindent\\footnotesize [{}] {}\\par\n",
                    k + 1,
                    latex_escape(n)
                )),
                Format::Markdown => text.push_str(&format!("{}. {n}\n", k + 1)),
                _ => text.push_str(&format!("[{}] {n}\n", k + 1)),
            }
        }
        bytes.extend_from_slice(text.as_bytes());
    }
    bytes
}

/// The non-empty notes of `frame`'s `note` column, each as `<first two text cells of its
/// row>: <note>`, in row order.
pub fn notes_of(frame: &Frame) -> Vec<String> {
    let Some(note_col) = frame.column("note") else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for row in &frame.rows {
        if let Some(Cell::Text(note)) = row.get(note_col)
            && !note.is_empty()
        {
            let who: Vec<String> = row
                .iter()
                .take(2)
                .filter_map(|c| match c {
                    Cell::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            notes.push(format!("{}: {note}", who.join(", ")));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        let mut f = Frame::new(&["subgroup", "perspective", "icer", "note"]);
        f.push(vec!["all".into(), "gross".into(), 400.0.into(), "".into()]);
        f.push(vec![
            "g=M".into(),
            "gross".into(),
            Cell::Null,
            "no observations".into(),
        ]);
        f
    }

    #[test]
    fn notes_move_below_the_table_numbered() {
        let text = String::from_utf8(render_with_notes(&frame(), None, Format::Markdown)).unwrap();
        let (table, notes) = text.split_once("\n\n").unwrap();
        assert!(table.contains("icer") && !table.contains("note"), "{text}");
        assert_eq!(notes, "1. g=M, gross: no observations\n");
        let text = String::from_utf8(render_with_notes(&frame(), None, Format::Table)).unwrap();
        assert!(
            text.ends_with("\n[1] g=M, gross: no observations\n"),
            "{text}"
        );
    }

    #[test]
    fn keep_chooses_and_orders_the_columns() {
        let text = String::from_utf8(render_with_notes(
            &frame(),
            Some(&["icer", "subgroup", "absent"]),
            Format::Csv,
        ))
        .unwrap();
        assert!(text.starts_with("icer,subgroup\n"), "{text}");
    }
}
