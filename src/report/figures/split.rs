//! The outcome split by kind (e.g. subsidized work, unsubsidized work, studies) as stacked bars,
//! one bar per arm within each subgroup, in percent of the group.

use super::{DrawResult, Figure, bold, font, percent_cell};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct SplitBar {
    pub subgroup: String,
    pub arm: String,
    /// Share (0–1) in each part, in the order of `Split::parts`.
    pub shares: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub name: String,
    pub title: String,
    pub y_label: String,
    pub parts: Vec<String>,
    pub bars: Vec<SplitBar>,
}

/// The hatching of part `p` (white lines over its colour, so the parts differ by more than
/// colour): (horizontal lines, vertical lines).
fn hatching(p: usize) -> (bool, bool) {
    [(false, false), (true, false), (false, true), (true, true)][p % 4]
}

impl Figure for Split {
    fn name(&self) -> &str {
        &self.name
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let colours = [
            style::BLUE,
            style::SKY,
            style::ORANGE,
            style::GREEN,
            style::PURPLE,
        ];
        let (body, legend) = area.split_vertically(area.dim_in_pixel().1 - 44);
        let n = self.bars.len();
        let total_max = self
            .bars
            .iter()
            .map(|b| b.shares.iter().filter(|v| v.is_finite()).sum::<f64>())
            .fold(0.0, f64::max);
        let y_max = ((total_max * 100.0 / 10.0).ceil() * 10.0 + 5.0).clamp(10.0, 100.0);
        // Leave a gap between subgroups.
        let mut positions = Vec::with_capacity(n);
        let mut x = 0.0;
        for (i, bar) in self.bars.iter().enumerate() {
            if i > 0 && self.bars[i - 1].subgroup != bar.subgroup {
                x += 0.6;
            }
            positions.push(x);
            x += 1.0;
        }
        let mut chart = ChartBuilder::on(&body)
            .caption(&self.title, bold(TITLE_SIZE))
            .margin(16)
            .x_label_area_size(80)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.6..(x - 0.4), 0.0..y_max)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .y_desc(&self.y_label)
            .axis_desc_style(font(LABEL_SIZE))
            .label_style(font(TICK_SIZE))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .max_light_lines(1)
            .light_line_style(style::LIGHT_GREY.mix(0.5))
            .bold_line_style(style::LIGHT_GREY)
            .draw()?;
        for (bar, &x) in self.bars.iter().zip(&positions) {
            let mut bottom = 0.0;
            for (p, share) in bar.shares.iter().enumerate() {
                if !share.is_finite() {
                    continue;
                }
                let top = bottom + share * 100.0;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.38, bottom), (x + 0.38, top)],
                    colours[p % colours.len()].filled(),
                )))?;
                let (across, down) = hatching(p);
                let line = WHITE.stroke_width(2);
                if across {
                    let step = y_max / 60.0;
                    let mut y = bottom + step;
                    while y < top {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(x - 0.38, y), (x + 0.38, y)],
                            line,
                        )))?;
                        y += step;
                    }
                }
                if down {
                    for k in 1..8 {
                        let v = x - 0.38 + 0.76 * f64::from(k) / 8.0;
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(v, bottom), (v, top)],
                            line,
                        )))?;
                    }
                }
                bottom = top;
            }
            let (px, py) = chart.backend_coord(&(x, 0.0));
            let label = &bar.arm;
            let w = 11 * label.chars().count() as i32;
            body.draw_text(label, &font(TICK_SIZE), (px - w / 2, py + 8))?;
            // The total only when no part is masked (it would misstate the bar's height).
            if bar.shares.iter().all(|v| v.is_finite()) {
                let (_, ty) = chart.backend_coord(&(x, bottom));
                let total = format!("{:.1}", bottom);
                body.draw_text(
                    &total,
                    &font(NOTE_SIZE),
                    (px - 5 * total.len() as i32, ty - 22),
                )?;
            }
        }
        // Subgroup labels centred under their bars.
        let mut start = 0;
        while start < n {
            let mut end = start;
            while end + 1 < n && self.bars[end + 1].subgroup == self.bars[start].subgroup {
                end += 1;
            }
            let centre = (positions[start] + positions[end]) / 2.0;
            let (px, py) = chart.backend_coord(&(centre, 0.0));
            let label = &self.bars[start].subgroup;
            let w = 12 * label.chars().count() as i32;
            body.draw_text(label, &bold(LABEL_SIZE), (px - w / 2, py + 36))?;
            start = end + 1;
        }
        let mut x = 40;
        for (p, part) in self.parts.iter().enumerate() {
            legend.draw(&Rectangle::new(
                [(x, 10), (x + 26, 32)],
                colours[p % colours.len()].filled(),
            ))?;
            let (across, down) = hatching(p);
            for k in 1..5 {
                if across {
                    let y = 10 + 22 * k / 5;
                    legend.draw(&PathElement::new(
                        vec![(x, y), (x + 26, y)],
                        WHITE.stroke_width(2),
                    ))?;
                }
                if down {
                    let v = x + 26 * k / 5;
                    legend.draw(&PathElement::new(
                        vec![(v, 10), (v, 32)],
                        WHITE.stroke_width(2),
                    ))?;
                }
            }
            legend.draw_text(part, &font(LABEL_SIZE), (x + 34, 10))?;
            x += 70 + 11 * part.chars().count() as i32;
        }
        Ok(())
    }

    fn data(&self) -> Frame {
        let headers: Vec<String> = ["Subgroup", "Arm"]
            .into_iter()
            .map(String::from)
            .chain(self.parts.iter().map(|p| format!("{p} (%)")))
            .chain(std::iter::once("Total (%)".to_string()))
            .collect();
        let columns: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut frame = Frame::new(&columns);
        for c in &columns[2..] {
            frame = frame.with_decimals(c, 1);
        }
        for bar in &self.bars {
            let mut row = vec![bar.subgroup.as_str().into(), bar.arm.as_str().into()];
            row.extend(bar.shares.iter().map(|s| percent_cell(*s)));
            // The bar's height, as the figure prints it above the bar (none with a masked part).
            row.push(percent_cell(bar.shares.iter().sum()));
            frame.push(row);
        }
        frame
    }
}
