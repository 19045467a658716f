//! Result rows → bytes. Every format is a pure function returning bytes, so each is tested
//! without touching disk (as hyperfine's exporters). Machine formats (CSV, JSON) print numbers
//! with full round-trip precision; human formats (terminal table, Markdown, LaTeX) round them.

pub mod notes;
pub mod terminal;

use serde_json::{Map, Value};

/// One cell of a result table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Undefined or masked: empty in CSV, `null` in JSON, `–` for people.
    Null,
    Int(i64),
    Num(f64),
    Text(String),
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        if x.is_finite() {
            Cell::Num(x)
        } else {
            Cell::Null
        }
    }
}
impl From<Option<f64>> for Cell {
    fn from(x: Option<f64>) -> Self {
        x.map_or(Cell::Null, Cell::from)
    }
}
impl From<usize> for Cell {
    fn from(x: usize) -> Self {
        Cell::Int(x as i64)
    }
}
impl From<Option<usize>> for Cell {
    fn from(x: Option<usize>) -> Self {
        x.map_or(Cell::Null, Cell::from)
    }
}

impl From<i64> for Cell {
    fn from(x: i64) -> Self {
        Cell::Int(x)
    }
}
impl From<&str> for Cell {
    fn from(x: &str) -> Self {
        Cell::Text(x.to_string())
    }
}
impl From<String> for Cell {
    fn from(x: String) -> Self {
        Cell::Text(x)
    }
}
impl From<Option<String>> for Cell {
    fn from(x: Option<String>) -> Self {
        x.map_or(Cell::Null, Cell::Text)
    }
}

/// A table of results: named columns, rows of cells, and how many decimals people see.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Decimals shown in human formats, per column (None: 4 for numbers).
    pub decimals: Vec<Option<usize>>,
}

impl Frame {
    pub fn new(columns: &[&str]) -> Frame {
        Frame {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
            decimals: vec![None; columns.len()],
        }
    }

    /// Set the decimals shown for column `name` in human formats.
    pub fn with_decimals(mut self, name: &str, decimals: usize) -> Frame {
        if let Some(i) = self.columns.iter().position(|c| c == name) {
            self.decimals[i] = Some(decimals);
        }
        self
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    fn human_cell(&self, column: usize, cell: &Cell) -> String {
        match cell {
            Cell::Null => "–".to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(x) => {
                let d = self.decimals.get(column).copied().flatten().unwrap_or(4);
                format_fixed(*x, d)
            }
            Cell::Text(s) => s.clone(),
        }
    }
}

/// Output formats shared by every command that prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Aligned plain-text table for the terminal.
    #[default]
    Table,
    Csv,
    /// An array of objects, one per row.
    Json,
    Markdown,
    Latex,
}

impl Format {
    /// The formats by name, as the command line and study files write them.
    pub const NAMES: [(&'static str, Format); 5] = [
        ("table", Format::Table),
        ("csv", Format::Csv),
        ("json", Format::Json),
        ("markdown", Format::Markdown),
        ("latex", Format::Latex),
    ];

    /// The format named `text` (case-insensitive).
    pub fn parse(text: &str) -> Option<Format> {
        let lower = text.trim().to_ascii_lowercase();
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, f)| *f)
    }

    /// The usual file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Latex => "tex",
        }
    }
}

/// Render a frame in a format.
pub fn render(frame: &Frame, format: Format) -> Vec<u8> {
    match format {
        Format::Table => to_table(frame),
        Format::Csv => to_csv(frame),
        Format::Json => to_json(frame),
        Format::Markdown => to_markdown(frame),
        Format::Latex => to_latex(frame),
    }
}

/// Fixed decimals, with `-0.0000` shown as `0.0000` so a table never shows a negative zero.
pub fn format_fixed(x: f64, decimals: usize) -> String {
    if let Some(text) = infinity(x) {
        return text.to_string();
    }
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// An unbounded interval end as R writes and reads it (`Inf`, `-Inf`), so that it reads back
/// as a number and never prints as Rust's `inf`.
fn infinity(x: f64) -> Option<&'static str> {
    match x {
        f64::INFINITY => Some("Inf"),
        f64::NEG_INFINITY => Some("-Inf"),
        _ => None,
    }
}

/// A number with full round-trip precision (Rust's shortest representation; deterministic).
fn machine_number(x: f64) -> String {
    if let Some(text) = infinity(x) {
        return text.to_string();
    }
    let magnitude = x.abs();
    if x == 0.0 {
        "0".to_string()
    } else if !(1e-5..1e16).contains(&magnitude) {
        // Rust's `{}` never uses an exponent; 1e-300 would print 300 digits.
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

pub fn to_csv(frame: &Frame) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = writer.write_record(&frame.columns);
    for row in &frame.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Null => String::new(),
                Cell::Int(i) => i.to_string(),
                Cell::Num(x) => machine_number(*x),
                Cell::Text(s) => s.clone(),
            })
            .collect();
        let _ = writer.write_record(&cells);
    }
    writer.into_inner().unwrap_or_default()
}

/// Read a CSV written by [`to_csv`] back into a frame: empty cells are null, whole numbers are
/// integers, other numbers floats, the rest text.
pub fn from_csv(bytes: &[u8]) -> Result<Frame, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let columns: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let mut frame = Frame {
        decimals: vec![None; columns.len()],
        columns,
        rows: Vec::new(),
    };
    for record in reader.records() {
        let record = record?;
        let row = record
            .iter()
            .map(|cell| {
                if cell.is_empty() {
                    Cell::Null
                } else if let Ok(i) = cell.parse::<i64>() {
                    Cell::Int(i)
                } else if let Ok(x) = cell.parse::<f64>() {
                    Cell::Num(x)
                } else {
                    Cell::Text(cell.to_string())
                }
            })
            .collect();
        frame.rows.push(row);
    }
    Ok(frame)
}

impl Frame {
    /// Index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The value of column `name` in `row` as a number (integers too), if it is one.
    pub fn number(&self, row: usize, name: &str) -> Option<f64> {
        let j = self.column(name)?;
        match self.rows.get(row)?.get(j)? {
            Cell::Num(x) => Some(*x),
            Cell::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The value of column `name` in `row` as text (numbers printed as in CSV).
    pub fn text(&self, row: usize, name: &str) -> Option<String> {
        let j = self.column(name)?;
        match self.rows.get(row)?.get(j)? {
            Cell::Text(s) => Some(s.clone()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Num(x) => Some(machine_number(*x)),
            Cell::Null => None,
        }
    }

    /// A frame with only the named columns (in that order; unknown names are skipped).
    pub fn select(&self, names: &[&str]) -> Frame {
        let idx: Vec<usize> = names.iter().filter_map(|n| self.column(n)).collect();
        Frame {
            columns: idx.iter().map(|&j| self.columns[j].clone()).collect(),
            decimals: idx
                .iter()
                .map(|&j| self.decimals.get(j).copied().flatten())
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    idx.iter()
                        .map(|&j| r.get(j).cloned().unwrap_or(Cell::Null))
                        .collect()
                })
                .collect(),
        }
    }

    /// Keep the rows for which `keep(frame, row index)` is true.
    pub fn filter(&self, keep: impl Fn(&Frame, usize) -> bool) -> Frame {
        let rows = (0..self.rows.len())
            .filter(|&i| keep(self, i))
            .map(|i| self.rows[i].clone())
            .collect();
        Frame {
            columns: self.columns.clone(),
            decimals: self.decimals.clone(),
            rows,
        }
    }
}

pub fn to_json(frame: &Frame) -> Vec<u8> {
    let rows: Vec<Value> = frame
        .rows
        .iter()
        .map(|row| {
            let mut object = Map::new();
            for (name, cell) in frame.columns.iter().zip(row) {
                let value = match cell {
                    Cell::Null => Value::Null,
                    Cell::Int(i) => Value::from(*i),
                    Cell::Num(x) => {
                        serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number)
                    }
                    Cell::Text(s) => Value::String(s.clone()),
                };
                object.insert(name.clone(), value);
            }
            Value::Object(object)
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&Value::Array(rows)).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

pub fn human_rows(frame: &Frame) -> Vec<Vec<String>> {
    frame
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(j, c)| frame.human_cell(j, c))
                .collect()
        })
        .collect()
}

pub fn is_numeric_column(frame: &Frame, j: usize) -> bool {
    frame
        .rows
        .iter()
        .all(|r| matches!(r.get(j), Some(Cell::Num(_) | Cell::Int(_) | Cell::Null)))
}

pub fn to_table(frame: &Frame) -> Vec<u8> {
    let rows = human_rows(frame);
    let widths: Vec<usize> = (0..frame.columns.len())
        .map(|j| {
            rows.iter()
                .map(|r| r[j].chars().count())
                .chain(std::iter::once(frame.columns[j].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..frame.columns.len())
        .map(|j| is_numeric_column(frame, j))
        .collect();
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let pad = widths[j].saturating_sub(c.chars().count());
                if numeric[j] {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&frame.columns, &mut out);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&rule.join("  "));
    out.push('\n');
    for r in &rows {
        line(r, &mut out);
    }
    out.into_bytes()
}

pub fn to_markdown(frame: &Frame) -> Vec<u8> {
    let escape = |s: &str| s.replace('|', "\\|");
    let mut out = String::new();
    out.push_str(&format!(
        "| {} |\n",
        frame
            .columns
            .iter()
            .map(|c| escape(c))
            .collect::<Vec<_>>()
            .join(" | ")
    ));
    let aligns: Vec<&str> = (0..frame.columns.len())
        .map(|j| {
            if is_numeric_column(frame, j) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    out.push_str(&format!("| {} |\n", aligns.join(" | ")));
    for row in human_rows(frame) {
        out.push_str(&format!(
            "| {} |\n",
            row.iter()
                .map(|c| escape(c))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    out.into_bytes()
}

/// Escape LaTeX's special characters.
pub fn latex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            '–' => out.push_str("--"),
            '−' => out.push_str("$-$"),
            _ => out.push(c),
        }
    }
    out
}

/// A `tabular` (booktabs rules) ready to `\input` into a paper.
pub fn to_latex(frame: &Frame) -> Vec<u8> {
    let spec: String = (0..frame.columns.len())
        .map(|j| {
            if is_numeric_column(frame, j) {
                'r'
            } else {
                'l'
            }
        })
        .collect();
    let mut out = format!("\\begin{{tabular}}{{{spec}}}\n\\toprule\n");
    out.push_str(
        &frame
            .columns
            .iter()
            .map(|c| latex_escape(c))
            .collect::<Vec<_>>()
            .join(" & "),
    );
    out.push_str(" \\\\\n\\midrule\n");
    for row in human_rows(frame) {
        out.push_str(
            &row.iter()
                .map(|c| latex_escape(c))
                .collect::<Vec<_>>()
                .join(" & "),
        );
        out.push_str(" \\\\\n");
    }
    out.push_str("\\bottomrule\n\\end{tabular}\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        let mut f = Frame::new(&["subgroup", "estimate", "n"]).with_decimals("estimate", 3);
        f.push(vec!["gender=F".into(), 0.08123.into(), 10usize.into()]);
        f.push(vec!["a_b".into(), Cell::Null, 3usize.into()]);
        f
    }

    #[test]
    fn csv_keeps_full_precision_and_empty_nulls() {
        let s = String::from_utf8(to_csv(&frame())).unwrap();
        assert_eq!(s, "subgroup,estimate,n\ngender=F,0.08123,10\na_b,,3\n");
    }

    #[test]
    fn json_is_array_of_objects_with_nulls() {
        let v: Value = serde_json::from_slice(&to_json(&frame())).unwrap();
        assert_eq!(v[0]["estimate"], 0.08123);
        assert!(v[1]["estimate"].is_null());
        assert_eq!(v[1]["n"], 3);
    }

    #[test]
    fn markdown_rounds_and_right_aligns_numbers() {
        let s = String::from_utf8(to_markdown(&frame())).unwrap();
        assert!(s.contains("| --- | ---: | ---: |"), "{s}");
        assert!(s.contains("| gender=F | 0.081 | 10 |"), "{s}");
        assert!(s.contains("| a_b | – | 3 |"), "{s}");
    }

    #[test]
    fn latex_escapes_specials() {
        let s = String::from_utf8(to_latex(&frame())).unwrap();
        assert!(s.contains("a\\_b & -- & 3 \\\\"), "{s}");
    }

    #[test]
    fn csv_round_trips() {
        let f = frame();
        let back = from_csv(&to_csv(&f)).unwrap();
        assert_eq!(back.columns, f.columns);
        assert_eq!(back.rows[0][1], Cell::Num(0.08123));
        assert_eq!(back.rows[1][1], Cell::Null);
        assert_eq!(back.number(0, "n"), Some(10.0));
        assert_eq!(back.text(1, "subgroup").as_deref(), Some("a_b"));
        assert_eq!(back.select(&["n"]).columns, vec!["n".to_string()]);
    }

    #[test]
    fn tiny_and_huge_numbers_use_an_exponent_and_round_trip() {
        for x in [4.961773520468178e-169, 1e-5, 0.00001234, 2.5e20, -3e-7] {
            let s = machine_number(x);
            assert!(s.len() < 25, "{s}");
            assert_eq!(s.parse::<f64>().unwrap(), x);
        }
        assert_eq!(machine_number(0.5), "0.5");
        assert_eq!(machine_number(-3e-7), "-3e-7");
    }

    #[test]
    fn negative_zero_is_not_shown() {
        assert_eq!(format_fixed(-0.00001, 3), "0.000");
        assert_eq!(format_fixed(-0.5, 1), "-0.5");
    }
}
