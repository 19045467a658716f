//! Forest plot: effects with 95% confidence intervals, grouped (e.g. by horizon), one line per
//! subgroup (all, women, men), in percentage points, with a reference line at zero.

use super::{
    DrawResult, Figure, arms, bold, font, minus, padded_range, percent_end_cell, pp_plain,
};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    /// Group heading, e.g. "540 days".
    pub group: String,
    /// Line label, e.g. "Women".
    pub label: String,
    /// Effect and interval on the outcome's scale (a share: 0.08 = 8 percentage points).
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// A second interval drawn thin and grey beneath the first (with few clusters: the CR2
    /// interval beside the design-based one, issue 14); ends may be infinite.
    pub secondary: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Forest {
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub rows: Vec<ForestRow>,
    /// Labels of the series, in colour order (rows whose label is not listed are drawn in ink).
    pub series: Vec<String>,
}

enum Line<'a> {
    Header(&'a str),
    Row(&'a ForestRow),
}

impl Forest {
    fn lines(&self) -> Vec<Line<'_>> {
        let mut lines = Vec::new();
        let mut current: Option<&str> = None;
        for row in &self.rows {
            if current != Some(row.group.as_str()) {
                lines.push(Line::Header(&row.group));
                current = Some(&row.group);
            }
            lines.push(Line::Row(row));
        }
        lines
    }
}

impl Figure for Forest {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> (u32, u32) {
        let lines = self.lines().len() as u32;
        (style::WIDTH, (150 + 34 * lines).max(360))
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let lines = self.lines();
        let n = lines.len().max(1) as f64;
        // The range covers every finite end (an unbounded end runs to the edge) and the estimates.
        let ends = self.rows.iter().flat_map(|r| {
            let (a, b) = r.secondary.unwrap_or((f64::NAN, f64::NAN));
            [r.low, r.high, r.estimate, a, b]
        });
        let finite = ends.filter(|v| v.is_finite());
        let lo = finite.clone().fold(f64::INFINITY, f64::min) * 100.0;
        let hi = finite.fold(f64::NEG_INFINITY, f64::max) * 100.0;
        let (x0, x1) = padded_range(lo, hi, true);
        let label_width = 190;
        let value_width = 210;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, bold(TITLE_SIZE))
            .margin(16)
            .margin_left(label_width)
            .margin_right(value_width)
            .x_label_area_size(60)
            .build_cartesian_2d(x0..x1, -0.5..(n - 0.5))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(&self.x_label)
            .axis_desc_style(font(LABEL_SIZE))
            .label_style(font(TICK_SIZE))
            .x_label_formatter(&|v| minus(&format!("{v:.0}")))
            .max_light_lines(1)
            .light_line_style(style::LIGHT_GREY.mix(0.5))
            .bold_line_style(style::LIGHT_GREY)
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n - 0.5)],
            style::GREY.stroke_width(2),
        )))?;
        for (i, line) in lines.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let (_, py) = chart.backend_coord(&(x0, y));
            match line {
                Line::Header(text) => {
                    area.draw_text(text, &bold(LABEL_SIZE), (16, py - 11))?;
                }
                Line::Row(row) => {
                    let series = self.series.iter().position(|s| *s == row.label);
                    let colour = series.map_or(style::INK, style::series_colour);
                    area.draw_text(&row.label, &font(LABEL_SIZE), (40, py - 11))?;
                    // An unbounded end is drawn to the edge of the plot.
                    let clip = |v: f64| (v * 100.0).clamp(x0, x1);
                    if !row.low.is_nan() && !row.high.is_nan() {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(clip(row.low), y), (clip(row.high), y)],
                            colour.stroke_width(3),
                        )))?;
                    }
                    if let Some((a, b)) = row.secondary.filter(|(a, b)| !a.is_nan() && !b.is_nan())
                    {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(clip(a), y - 0.28), (clip(b), y - 0.28)],
                            style::GREY.stroke_width(2),
                        )))?;
                    }
                    if row.estimate.is_finite() {
                        // Each series (subgroup, or subgroup and arm) has its marker shape.
                        let at = (row.estimate * 100.0, y);
                        arms::mark(&mut chart, at, series.unwrap_or(0), 7, colour.filled())?;
                    }
                    let (w, _) = area.dim_in_pixel();
                    let text = if row.estimate.is_finite() {
                        let end = |v: f64| {
                            if v.is_infinite() {
                                "unbounded".to_string()
                            } else {
                                pp_plain(v)
                            }
                        };
                        if row.low.is_infinite() && row.high.is_infinite() {
                            format!("{} (unbounded)", pp_plain(row.estimate))
                        } else {
                            format!(
                                "{} ({} to {})",
                                pp_plain(row.estimate),
                                end(row.low),
                                end(row.high)
                            )
                        }
                    } else {
                        "not estimable".to_string()
                    };
                    area.draw_text(
                        &text,
                        &font(NOTE_SIZE + 1.0),
                        (w as i32 - value_width + 14, py - 10),
                    )?;
                }
            }
        }
        Ok(())
    }

    fn data(&self) -> Frame {
        let with_secondary = self.rows.iter().any(|r| r.secondary.is_some());
        let mut columns = vec![
            "Horizon",
            "Subgroup",
            "Effect (percentage points)",
            "95% CI lower",
            "95% CI upper",
        ];
        if with_secondary {
            columns.extend(["CR2 lower", "CR2 upper"]);
        }
        let mut frame = Frame::new(&columns);
        for c in &columns[2..] {
            frame = frame.with_decimals(c, 1);
        }
        for row in &self.rows {
            let mut cells = vec![
                row.group.as_str().into(),
                row.label.as_str().into(),
                percent_end_cell(row.estimate),
                percent_end_cell(row.low),
                percent_end_cell(row.high),
            ];
            if with_secondary {
                let (a, b) = row.secondary.unwrap_or((f64::NAN, f64::NAN));
                cells.extend([percent_end_cell(a), percent_end_cell(b)]);
            }
            frame.push(cells);
        }
        frame
    }
}
