//! An indicator against its target: for each subgroup cell, each arm's share (a dot) with its
//! exact 95% Clopper–Pearson interval (a line), and the target as a dashed vertical line, so a
//! reader sees at once which cells reach it and which fall clearly short. Cells masked by
//! disclosure control are listed with "masked" instead of a dot.

use super::{DrawResult, Figure, arms, bold, font, percent_cell};
use crate::export::{Cell, Frame};
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE, WIDTH};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One arm in one cell: the share and its interval (None: masked or empty).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetPoint {
    pub cell: String,
    pub arm: String,
    pub share: Option<(f64, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetPlot {
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub target: f64,
    /// "Target: at least 40%", as the legend shows it.
    pub target_label: String,
    /// Arms in legend order.
    pub arms: Vec<String>,
    pub points: Vec<TargetPoint>,
}

impl TargetPlot {
    fn cells(&self) -> Vec<&str> {
        let mut cells: Vec<&str> = Vec::new();
        for p in &self.points {
            if !cells.contains(&p.cell.as_str()) {
                cells.push(&p.cell);
            }
        }
        cells
    }
}

impl Figure for TargetPlot {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.cells().len() as u32;
        (
            WIDTH,
            (200 + rows * 30 * self.arms.len().max(1) as u32 + rows * 14).max(360),
        )
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let cells = self.cells();
        let per_cell = self.arms.len().max(1) as f64;
        let (body, legend) = area.split_vertically(area.dim_in_pixel().1 - 48);
        let label_width = cells
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 40) as u32
            * 11
            + 24;
        let rows = cells.len() as f64 * (per_cell + 0.6);
        // The axis ends at the next ten above every interval and the target (a 10% target
        // is not squeezed into the left tenth of the plot).
        let highest = self
            .points
            .iter()
            .filter_map(|p| p.share.map(|s| s.2))
            .fold(self.target, f64::max);
        let x_max = ((highest * 100.0 + 2.0) / 10.0).ceil().clamp(1.0, 10.0) * 10.0;
        let mut chart = ChartBuilder::on(&body)
            .caption(&self.title, bold(TITLE_SIZE))
            .margin(16)
            .x_label_area_size(64)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0.0..x_max, 0.0..rows.max(1.0))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(&self.x_label)
            .axis_desc_style(font(LABEL_SIZE))
            .label_style(font(TICK_SIZE))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .max_light_lines(1)
            .light_line_style(style::LIGHT_GREY.mix(0.5))
            .bold_line_style(style::LIGHT_GREY)
            .draw()?;
        // The target line.
        let t = self.target * 100.0;
        let mut y = 0.0;
        while y < rows {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(t, y), (t, (y + 0.35).min(rows))],
                style::VERMILLION.stroke_width(3),
            )))?;
            y += 0.6;
        }
        for (c, cell) in cells.iter().enumerate() {
            // Rows from the top: the first cell highest.
            let top = rows - c as f64 * (per_cell + 0.6) - 0.3;
            let (px, py) = chart.backend_coord(&(0.0, top - (per_cell - 1.0) / 2.0 - 0.5));
            let w = 11 * cell.chars().count() as i32;
            body.draw_text(cell, &bold(TICK_SIZE), (px - w - 14, py - 10))?;
            for (a, arm) in self.arms.iter().enumerate() {
                let y = top - a as f64 - 0.5;
                let colour = style::arm_colour(a);
                let point = self
                    .points
                    .iter()
                    .find(|p| p.cell == *cell && p.arm == *arm);
                match point.and_then(|p| p.share) {
                    Some((share, low, high)) => {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(low * 100.0, y), (high * 100.0, y)],
                            colour.stroke_width(4),
                        )))?;
                        arms::mark(&mut chart, (share * 100.0, y), a, 7, colour.filled())?;
                    }
                    None if point.is_some() => {
                        let (mx, my) = chart.backend_coord(&(1.0, y));
                        body.draw_text("masked", &font(NOTE_SIZE), (mx, my - 9))?;
                    }
                    None => {}
                }
            }
        }
        // Legend: arms, then the target.
        let mut x = 40;
        for (a, arm) in self.arms.iter().enumerate() {
            arms::legend_marker(&legend, (x + 10, 22), a, 7, style::arm_colour(a))?;
            legend.draw_text(arm, &font(LABEL_SIZE), (x + 26, 11))?;
            x += 60 + 11 * arm.chars().count() as i32;
        }
        legend.draw(&PathElement::new(
            vec![(x, 22), (x + 30, 22)],
            style::VERMILLION.stroke_width(3),
        ))?;
        legend.draw_text(&self.target_label, &font(LABEL_SIZE), (x + 40, 11))?;
        Ok(())
    }

    fn data(&self) -> Frame {
        let columns = [
            "Subgroup",
            "Arm",
            "Share (%)",
            "95% CI lower (%)",
            "95% CI upper (%)",
            "Target (%)",
        ];
        let mut frame = Frame::new(&columns);
        for c in &columns[2..] {
            frame = frame.with_decimals(c, 1);
        }
        for cell in self.cells() {
            for arm in &self.arms {
                let Some(point) = self.points.iter().find(|p| p.cell == cell && &p.arm == arm)
                else {
                    continue;
                };
                let (share, low, high) = match point.share {
                    Some((s, l, h)) => (percent_cell(s), percent_cell(l), percent_cell(h)),
                    None => (Cell::Text("masked".into()), Cell::Null, Cell::Null),
                };
                frame.push(vec![
                    cell.into(),
                    arm.as_str().into(),
                    share,
                    low,
                    high,
                    percent_cell(self.target),
                ]);
            }
        }
        frame
    }
}
