//! Share with the outcome over time by arm, one panel per subgroup (e.g. women, men), with 95%
//! confidence intervals as error bars: "in work or studies" 90 to 540 days after randomization.

use super::{DrawResult, Figure, arms, bold, font, percent_cell};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryPoint {
    pub panel: String,
    pub arm: String,
    /// Days since randomization.
    pub horizon: f64,
    /// Share (0–1) and its 95% interval.
    pub share: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    pub name: String,
    pub title: String,
    pub y_label: String,
    pub panels: Vec<String>,
    pub arms: Vec<String>,
    pub points: Vec<TrajectoryPoint>,
}

impl Figure for Trajectory {
    fn name(&self) -> &str {
        &self.name
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title_area, body) = area.split_vertically(50);
        title_area.titled(&self.title, bold(TITLE_SIZE))?;
        let (body, legend) = body.split_vertically(body.dim_in_pixel().1 - 44);
        let panels = body.split_evenly((1, self.panels.len().max(1)));
        let max_days = self.points.iter().map(|p| p.horizon).fold(0.0, f64::max);
        let x_max = (max_days / 90.0).ceil() * 90.0 + 45.0;
        let y_max = self
            .points
            .iter()
            .map(|p| if p.high.is_finite() { p.high } else { p.share })
            .fold(0.0, f64::max);
        let y_max = ((y_max * 100.0 / 10.0).ceil() * 10.0).clamp(10.0, 100.0);
        let n_arms = self.arms.len().max(1) as f64;
        for (panel_name, panel) in self.panels.iter().zip(panels.iter()) {
            let mut chart = ChartBuilder::on(panel)
                .caption(panel_name, bold(LABEL_SIZE))
                .margin(12)
                .x_label_area_size(55)
                .y_label_area_size(70)
                .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
            chart
                .configure_mesh()
                .x_desc("Days since randomization")
                .y_desc(&self.y_label)
                .axis_desc_style(font(LABEL_SIZE))
                .label_style(font(TICK_SIZE))
                .x_labels(8)
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .max_light_lines(1)
                .light_line_style(style::LIGHT_GREY.mix(0.5))
                .bold_line_style(style::LIGHT_GREY)
                .draw()?;
            for (a, arm) in self.arms.iter().enumerate() {
                let colour = style::arm_colour(a);
                // Offset arms slightly so their intervals do not overlap.
                let offset = (a as f64 - (n_arms - 1.0) / 2.0) * 8.0;
                let mut points: Vec<&TrajectoryPoint> = self
                    .points
                    .iter()
                    .filter(|p| &p.panel == panel_name && &p.arm == arm && p.share.is_finite())
                    .collect();
                points.sort_by(|a, b| a.horizon.total_cmp(&b.horizon));
                arms::line(
                    &mut chart,
                    points
                        .iter()
                        .map(|p| (p.horizon + offset, p.share * 100.0))
                        .collect(),
                    a,
                    colour.stroke_width(3),
                )?;
                chart.draw_series(points.iter().filter(|p| p.low.is_finite()).map(|p| {
                    ErrorBar::new_vertical(
                        p.horizon + offset,
                        p.low * 100.0,
                        p.share * 100.0,
                        p.high * 100.0,
                        colour.stroke_width(2),
                        10,
                    )
                }))?;
                for p in &points {
                    let at = (p.horizon + offset, p.share * 100.0);
                    arms::mark(&mut chart, at, a, 6, colour.filled())?;
                }
            }
        }
        // A shared legend under the panels.
        let mut x = 80;
        for (a, arm) in self.arms.iter().enumerate() {
            arms::legend_sample(&legend, (x, 20), 36, a, style::arm_colour(a), true)?;
            legend.draw_text(arm, &font(LABEL_SIZE), (x + 46, 9))?;
            x += 60 + 12 * arm.chars().count() as i32 + 40;
        }
        legend.draw_text(
            "Bars: 95% confidence intervals",
            &font(NOTE_SIZE),
            (x + 20, 11),
        )?;
        Ok(())
    }

    fn data(&self) -> Frame {
        let columns = [
            "Subgroup",
            "Arm",
            "Days since randomization",
            self.y_label.as_str(),
            "95% CI lower (%)",
            "95% CI upper (%)",
        ];
        let mut frame = Frame::new(&columns).with_decimals(columns[2], 0);
        for c in &columns[3..] {
            frame = frame.with_decimals(c, 1);
        }
        for panel in &self.panels {
            for arm in &self.arms {
                let mut points: Vec<&TrajectoryPoint> = self
                    .points
                    .iter()
                    .filter(|p| &p.panel == panel && &p.arm == arm)
                    .collect();
                points.sort_by(|a, b| a.horizon.total_cmp(&b.horizon));
                for p in points {
                    frame.push(vec![
                        panel.as_str().into(),
                        arm.as_str().into(),
                        p.horizon.into(),
                        percent_cell(p.share),
                        percent_cell(p.low),
                        percent_cell(p.high),
                    ]);
                }
            }
        }
        frame
    }
}
