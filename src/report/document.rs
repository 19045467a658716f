//! The report document: sections of text, tables and figures, rendered as one self-contained
//! HTML file (figures inline as SVG, no network) and as Markdown (figures linked as PNG).
//! Pure: a `Report` in, bytes out; no clock, no environment, so output is reproducible.

use crate::export::{self, Frame};
use crate::report::language::{Currency, Language};

/// A figure already rendered, referenced by the report.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRef {
    /// File stem: the report links `figures/<name>.png` and inlines `<name>.svg`.
    pub name: String,
    pub caption: String,
    pub svg: String,
    /// The numbers the figure draws ([`crate::report::figures::Figure::data`]), shown as a
    /// table with the figure so that a screen reader reaches them.
    pub data: Frame,
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
    /// The language the report is written in (its text was translated by
    /// [`Report::translated`]; numbers in tables are written in it when rendered).
    pub language: Language,
}

impl Report {
    /// The report in `language`: every heading, sentence, list item, caption, table header and
    /// text cell through the phrase table (code blocks, the manifest, stay as they are).
    pub fn translated(mut self, language: Language, currency: Currency) -> Report {
        self.language = language;
        if language == Language::En {
            return self;
        }
        let t = |s: &str| language.translate(s, currency);
        self.title = t(&self.title);
        self.subtitle = self.subtitle.as_deref().map(t);
        for section in &mut self.sections {
            section.heading = t(&section.heading);
            for block in &mut section.blocks {
                match block {
                    Block::Text(text) => *text = t(text),
                    Block::List(items) => items.iter_mut().for_each(|i| *i = t(i)),
                    Block::Table(table) => {
                        table.caption = t(&table.caption);
                        translate_frame(&mut table.frame, &t);
                    }
                    Block::Figure(figure) => {
                        figure.caption = t(&figure.caption);
                        translate_frame(&mut figure.data, &t);
                    }
                    Block::Code(_) => {}
                }
            }
        }
        self
    }
}

/// A table's header and text cells through `t` (the numbers are written when rendered).
fn translate_frame(frame: &mut Frame, t: &impl Fn(&str) -> String) {
    frame.columns.iter_mut().for_each(|c| *c = t(c));
    for row in &mut frame.rows {
        for cell in row.iter_mut() {
            if let export::Cell::Text(text) = cell {
                *text = t(text);
            }
        }
    }
}

/// The words of the report's own furniture (not in the phrase table: they are not built in
/// English first).
struct Furniture {
    contents: &'static str,
    tidy: &'static str,
    figure_data: &'static str,
    data_of: &'static str,
}

fn furniture(language: Language) -> Furniture {
    match language {
        Language::En => Furniture {
            contents: "Contents",
            tidy: "Tidy data",
            figure_data: "The figure's numbers as a table",
            data_of: "Numbers of the figure",
        },
        Language::Sv => Furniture {
            contents: "Innehåll",
            tidy: "Data i maskinläsbar form",
            figure_data: "Diagrammets värden som tabell",
            data_of: "Värdena i diagrammet",
        },
    }
}

/// A table's cells as the report shows them: the exporter's formatting, numbers in the
/// report's language (grouped thousands, its decimal mark); and whether each column is numeric.
fn shown_cells(frame: &Frame, language: Language) -> (Vec<Vec<String>>, Vec<bool>) {
    let numeric: Vec<bool> = (0..frame.columns.len())
        .map(|j| export::is_numeric_column(frame, j))
        .collect();
    let rows = export::human_rows(frame)
        .into_iter()
        .zip(&frame.rows)
        .map(|(cells, raw)| {
            cells
                .into_iter()
                .zip(raw)
                .map(|(cell, raw)| match raw {
                    export::Cell::Num(_) | export::Cell::Int(_) => language.number_cell(&cell),
                    _ => cell,
                })
                .collect()
        })
        .collect();
    (rows, numeric)
}

/// A table as Markdown, with the report's number formatting.
fn markdown_table(frame: &Frame, language: Language) -> String {
    let escape = |s: &str| s.replace('|', "\\|");
    let (rows, numeric) = shown_cells(frame, language);
    let mut out = format!(
        "| {} |\n",
        frame
            .columns
            .iter()
            .map(|c| escape(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let aligns: Vec<&str> = numeric
        .iter()
        .map(|&n| if n { "---:" } else { "---" })
        .collect();
    out.push_str(&format!("| {} |\n", aligns.join(" | ")));
    for row in rows {
        out.push_str(&format!(
            "| {} |\n",
            row.iter()
                .map(|c| escape(c))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    out
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

// `p,li{overflow-wrap:anywhere}`: a long unbroken string in running text (the plan's SHA-256,
// a file path) wraps instead of making the page scroll sideways at 200% zoom (WCAG 1.4.10).
const CSS: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;color:#1e1e1e;line-height:1.45}
h1{font-size:1.8em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.subtitle{color:#555;margin-top:0}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.86em}caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{padding:.25em .6em;border-bottom:1px solid #e2e2e2}th{border-bottom:2px solid #444;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0 2em}figure svg{max-width:100%;height:auto}figcaption{color:#444;font-size:.92em}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:.8em;white-space:pre-wrap;overflow-wrap:anywhere}
p,li{overflow-wrap:anywhere}
nav ul{columns:2}
.table-wrap{overflow-x:auto;max-width:100%}.table-wrap:focus{outline:2px solid #0b4f9c}
a{color:#0b4f9c}
details.figure-data{margin:-1.4em 0 2em}details.figure-data summary{color:#0b4f9c;cursor:pointer}
@media (max-width:40em){nav ul{columns:1}}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt;line-height:1.3}nav,details.figure-data,figcaption a{display:none}
h2{break-after:avoid;page-break-after:avoid}figure,table,caption{break-inside:avoid;page-break-inside:avoid}
.table-wrap{overflow:visible}table{font-size:8pt}pre{white-space:pre-wrap}a{color:inherit;text-decoration:none}
@page{size:A4;margin:18mm 15mm}}";

/// The report as one self-contained HTML page.
pub fn to_html(report: &Report) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
        report.language.code()
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n",
        html_escape(&report.title)
    ));
    out.push_str(&format!("<h1>{}</h1>\n", html_escape(&report.title)));
    if let Some(sub) = &report.subtitle {
        out.push_str(&format!("<p class=\"subtitle\">{}</p>\n", html_escape(sub)));
    }
    let words = furniture(report.language);
    let contents = words.contents;
    out.push_str(&format!("<nav aria-label=\"{contents}\"><ul>\n"));
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
                Block::Table(t) => out.push_str(&table_html(t, report.language)),
                Block::Figure(f) => {
                    // The figure is an image whose text alternative is its caption; the numbers
                    // it draws follow it as a table (in a disclosure widget, open to a screen
                    // reader and by keyboard), which the figure names as its description and
                    // its caption links to.
                    out.push_str(&format!(
                        "<figure id=\"fig-{0}\" aria-labelledby=\"cap-{0}\" aria-describedby=\"data-{0}-summary\">\n",
                        f.name
                    ));
                    out.push_str(&strip_xml_declaration(&f.svg).replacen(
                        "<svg ",
                        &format!(
                            "<svg role=\"img\" aria-label=\"{}\" ",
                            html_escape(&f.caption)
                        ),
                        1,
                    ));
                    out.push_str(&format!(
                        "\n<figcaption id=\"cap-{0}\">{1} <a href=\"#data-{0}\">{2}</a></figcaption>\n</figure>\n",
                        f.name,
                        html_escape(&f.caption),
                        words.figure_data,
                    ));
                    out.push_str(&format!(
                        "<details class=\"figure-data\" id=\"data-{0}\">\n<summary id=\"data-{0}-summary\">{1}</summary>\n",
                        f.name, words.figure_data
                    ));
                    out.push_str(&table_html(
                        &TableRef {
                            caption: format!("{}: {}", words.data_of, f.caption),
                            frame: f.data.clone(),
                            csv: None,
                        },
                        report.language,
                    ));
                    out.push_str("</details>\n");
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

fn table_html(t: &TableRef, language: Language) -> String {
    let frame = &t.frame;
    let mut out = format!(
        // A wide table scrolls inside its frame, which keyboard users reach with Tab.
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"{}\">\n<table>\n<caption>{}</caption>\n<thead><tr>",
        html_escape(&t.caption),
        html_escape(&t.caption)
    );
    for c in &frame.columns {
        out.push_str(&format!("<th scope=\"col\">{}</th>", html_escape(c)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let (rows, numeric) = shown_cells(frame, language);
    for (cells, raw) in rows.iter().zip(&frame.rows) {
        out.push_str("<tr>");
        for (j, (cell, raw)) in cells.iter().zip(raw).enumerate() {
            let class = match raw {
                export::Cell::Num(_) | export::Cell::Int(_) => " class=\"num\"",
                _ if numeric.get(j) == Some(&true) => " class=\"num\"",
                _ => "",
            };
            out.push_str(&format!("<td{class}>{}</td>", html_escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    if let Some(csv) = &t.csv {
        let tidy = furniture(language).tidy;
        out.push_str(&format!(
            "<p><small>{tidy}: <code>{}</code></small></p>\n",
            html_escape(csv)
        ));
    }
    out
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
                    out.push_str(&markdown_table(&t.frame, report.language));
                    if let Some(csv) = &t.csv {
                        let tidy = furniture(report.language).tidy;
                        out.push_str(&format!("\n{tidy}: `{csv}`\n"));
                    }
                    out.push('\n');
                }
                Block::Figure(f) => {
                    out.push_str(&format!(
                        "![{}](figures/{}.png)\n\n*{}*\n\n",
                        f.caption, f.name, f.caption
                    ));
                    let words = furniture(report.language);
                    out.push_str(&format!(
                        "<details><summary>{}</summary>\n\n",
                        words.figure_data
                    ));
                    out.push_str(&markdown_table(&f.data, report.language));
                    out.push_str("\n</details>\n\n");
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
                        data: {
                            let mut data = Frame::new(&["Subgroup", "Effect"]);
                            data.push(vec![Cell::from("Women"), Cell::from(8.0)]);
                            data
                        },
                    }),
                ],
            }],
            language: Language::En,
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
        assert!(
            html.contains("<figure id=\"fig-forest\" aria-labelledby=\"cap-forest\" aria-describedby=\"data-forest-summary\">\n<svg></svg>")
        );
        // The figure's numbers follow it as a table with a caption and header cells, which
        // its caption links to.
        assert!(html.contains("<a href=\"#data-forest\">The figure's numbers as a table</a>"));
        let data = &html[html
            .find("<details class=\"figure-data\" id=\"data-forest\">")
            .unwrap()..];
        assert!(
            data.contains("<caption>Numbers of the figure: Fig</caption>"),
            "{data}"
        );
        assert!(data.contains("<th scope=\"col\">Subgroup</th><th scope=\"col\">Effect</th>"));
        assert!(data.contains("<td>Women</td><td class=\"num\">8.0000</td>"));
        assert!(!html.contains("<?xml"));
        assert!(!html.contains("http"), "no network references");
    }

    #[test]
    fn markdown_links_png_figures() {
        let md = String::from_utf8(to_markdown(&report())).unwrap();
        assert!(md.contains("![Fig](figures/forest.png)"));
        assert!(md.contains("| a\\|b | 0.5000 |"));
        assert!(md.contains(
            "<details><summary>The figure's numbers as a table</summary>\n\n| Subgroup | Effect |"
        ));
    }
}
