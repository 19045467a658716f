//! The report document: sections of text, tables and figures, rendered as one self-contained
//! HTML file (figures inline as SVG, no network) and as Markdown (figures linked as PNG).
//! Pure: a `Report` in, bytes out; no clock, no environment, so output is reproducible.

use crate::export::{self, Frame};

/// A figure already rendered, referenced by the report.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRef {
    /// File stem: the report links `figures/<name>.png` and inlines `<name>.svg`.
    pub name: String,
    pub caption: String,
    pub svg: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRef {
    pub caption: String,
    pub frame: Frame,
    /// Name of the tidy CSV written beside the report, if any (e.g. `tables/effects.csv`).
    pub csv: Option<String>,
}

/// A block of a section, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of plain text (escaped in HTML; `**bold**` is not interpreted).
    Text(String),
    /// A bulleted list.
    List(Vec<String>),
    Table(TableRef),
    Figure(FigureRef),
    /// Preformatted text (e.g. the manifest).
    Code(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    pub subtitle: Option<String>,
    pub sections: Vec<Section>,
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;color:#1e1e1e;line-height:1.45}
h1{font-size:1.8em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.subtitle{color:#555;margin-top:0}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.86em}caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{padding:.25em .6em;border-bottom:1px solid #e2e2e2}th{border-bottom:2px solid #444;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0 2em}figure svg{max-width:100%;height:auto}figcaption{color:#444;font-size:.92em}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:.8em}
nav ul{columns:2}
.table-wrap{overflow-x:auto;max-width:100%}";

/// The report as one self-contained HTML page.
pub fn to_html(report: &Report) -> Vec<u8> {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n",
        html_escape(&report.title)
    ));
    out.push_str(&format!("<h1>{}</h1>\n", html_escape(&report.title)));
    if let Some(sub) = &report.subtitle {
        out.push_str(&format!("<p class=\"subtitle\">{}</p>\n", html_escape(sub)));
    }
    out.push_str("<nav><ul>\n");
    for s in &report.sections {
        out.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>\n",
            s.id,
            html_escape(&s.heading)
        ));
    }
    out.push_str("</ul></nav>\n");
    for section in &report.sections {
        out.push_str(&format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            section.id,
            html_escape(&section.heading)
        ));
        for block in &section.blocks {
            match block {
                Block::Text(t) => out.push_str(&format!("<p>{}</p>\n", html_escape(t))),
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        out.push_str(&format!("<li>{}</li>\n", html_escape(item)));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table(t) => out.push_str(&table_html(t)),
                Block::Figure(f) => {
                    out.push_str(&format!("<figure id=\"fig-{}\">\n", f.name));
                    out.push_str(strip_xml_declaration(&f.svg));
                    out.push_str(&format!(
                        "\n<figcaption>{}</figcaption>\n</figure>\n",
                        html_escape(&f.caption)
                    ));
                }
                Block::Code(c) => out.push_str(&format!("<pre>{}</pre>\n", html_escape(c))),
            }
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out.into_bytes()
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn table_html(t: &TableRef) -> String {
    let frame = &t.frame;
    let mut out = format!(
        "<div class=\"table-wrap\">\n<table>\n<caption>{}</caption>\n<thead><tr>",
        html_escape(&t.caption)
    );
    for c in &frame.columns {
        out.push_str(&format!("<th>{}</th>", html_escape(c)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let text = String::from_utf8(export::to_markdown(frame)).unwrap_or_default();
    // Reuse the human formatting of the Markdown exporter, cell by cell.
    for (line, row) in text.lines().skip(2).zip(&frame.rows) {
        out.push_str("<tr>");
        let cells = split_markdown_row(line);
        for (cell, raw) in cells.iter().zip(row) {
            let class = match raw {
                export::Cell::Num(_) | export::Cell::Int(_) => " class=\"num\"",
                _ => "",
            };
            out.push_str(&format!("<td{class}>{}</td>", html_escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    if let Some(csv) = &t.csv {
        out.push_str(&format!(
            "<p><small>Tidy data: <code>{}</code></small></p>\n",
            html_escape(csv)
        ));
    }
    out
}

fn split_markdown_row(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    cells.push(current.trim().to_string());
    cells
}

/// The report as Markdown, linking figures as `figures/<name>.png`.
pub fn to_markdown(report: &Report) -> Vec<u8> {
    let mut out = format!("# {}\n\n", report.title);
    if let Some(sub) = &report.subtitle {
        out.push_str(&format!("{sub}\n\n"));
    }
    for section in &report.sections {
        out.push_str(&format!("## {}\n\n", section.heading));
        for block in &section.blocks {
            match block {
                Block::Text(t) => out.push_str(&format!("{t}\n\n")),
                Block::List(items) => {
                    for item in items {
                        out.push_str(&format!("- {item}\n"));
                    }
                    out.push('\n');
                }
                Block::Table(t) => {
                    out.push_str(&format!("**{}**\n\n", t.caption));
                    out.push_str(&String::from_utf8_lossy(&export::to_markdown(&t.frame)));
                    if let Some(csv) = &t.csv {
                        out.push_str(&format!("\nTidy data: `{csv}`\n"));
                    }
                    out.push('\n');
                }
                Block::Figure(f) => {
                    out.push_str(&format!(
                        "![{}](figures/{}.png)\n\n*{}*\n\n",
                        f.caption, f.name, f.caption
                    ));
                }
                Block::Code(c) => out.push_str(&format!("```\n{c}\n```\n\n")),
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Cell;

    fn report() -> Report {
        let mut frame = Frame::new(&["subgroup", "estimate"]);
        frame.push(vec![Cell::from("a|b"), Cell::from(0.5)]);
        Report {
            title: "T & U".into(),
            subtitle: None,
            sections: vec![Section {
                id: "effects".into(),
                heading: "Effects".into(),
                blocks: vec![
                    Block::Text("x < y".into()),
                    Block::Table(TableRef {
                        caption: "Tab".into(),
                        frame,
                        csv: Some("tables/e.csv".into()),
                    }),
                    Block::Figure(FigureRef {
                        name: "forest".into(),
                        caption: "Fig".into(),
                        svg: "<?xml version=\"1.0\"?><svg></svg>".into(),
                    }),
                ],
            }],
        }
    }

    #[test]
    fn html_escapes_and_inlines_svg() {
        let html = String::from_utf8(to_html(&report())).unwrap();
        assert!(html.contains("<title>T &amp; U</title>"));
        assert!(html.contains("<p>x &lt; y</p>"));
        assert!(
            html.contains("<td>a|b</td><td class=\"num\">0.5000</td>"),
            "{html}"
        );
        assert!(html.contains("<figure id=\"fig-forest\">\n<svg></svg>"));
        assert!(!html.contains("<?xml"));
        assert!(!html.contains("http"), "no network references");
    }

    #[test]
    fn markdown_links_png_figures() {
        let md = String::from_utf8(to_markdown(&report())).unwrap();
        assert!(md.contains("![Fig](figures/forest.png)"));
        assert!(md.contains("| a\\|b | 0.5000 |"));
    }
}
