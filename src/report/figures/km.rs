//! Time to first job: the Kaplan–Meier share with a job (1 − S) by arm as step curves with
//! 95% confidence bands, one panel per subgroup (e.g. women, men), and the numbers at risk under
//! each panel's axis.

use super::{Count, DrawResult, Figure, arms, bold, count_cell, font, percent_cell};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One step of a curve: from `time` on, the share with the event and its interval; `n_risk`
/// persons at risk just before `time`, as the curves table publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct KmStep {
    pub panel: String,
    pub arm: String,
    pub time: f64,
    pub share: f64,
    pub low: f64,
    pub high: f64,
    pub n_risk: Count,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KmCurves {
    pub name: String,
    pub title: String,
    pub y_label: String,
    pub x_label: String,
    pub panels: Vec<String>,
    pub arms: Vec<String>,
    pub steps: Vec<KmStep>,
    /// Times at which the numbers at risk are shown.
    pub ticks: Vec<f64>,
    /// The end of the time axis (τ).
    pub x_max: f64,
}

impl KmCurves {
    fn steps_of(&self, panel: &str, arm: &str) -> Vec<&KmStep> {
        let mut s: Vec<&KmStep> = self
            .steps
            .iter()
            .filter(|p| p.panel == panel && p.arm == arm)
            .collect();
        s.sort_by(|a, b| a.time.total_cmp(&b.time));
        s
    }

    /// The number at risk at time t: that of the first step at or after t (0 past the end).
    fn at_risk(&self, panel: &str, arm: &str, t: f64) -> Count {
        match self.steps_of(panel, arm).into_iter().find(|p| p.time >= t) {
            Some(p) => p.n_risk.clone(),
            None => Count::Shown(0),
        }
    }

    /// The step the curve shows at time t: the last drawn (unmasked) step at or before t.
    fn shown_at(&self, panel: &str, arm: &str, t: f64) -> Option<&KmStep> {
        self.steps_of(panel, arm)
            .into_iter()
            .rfind(|p| p.time <= t && p.share.is_finite())
    }

    /// The times of the data table: the ticks, and the end of the axis.
    fn table_times(&self) -> Vec<f64> {
        let mut times = self.ticks.clone();
        if times.last().is_none_or(|t| *t < self.x_max) {
            times.push(self.x_max);
        }
        times
    }
}

impl Figure for KmCurves {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> (u32, u32) {
        (1000, 700)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title_area, body) = area.split_vertically(50);
        title_area.titled(&self.title, bold(TITLE_SIZE))?;
        let (body, legend) = body.split_vertically(body.dim_in_pixel().1 - 44);
        let risk_height = 40 + 26 * self.arms.len() as u32;
        let panels = body.split_evenly((1, self.panels.len().max(1)));
        let x_max = self.x_max.max(1.0);
        let y_max = self
            .steps
            .iter()
            .filter(|p| p.time <= x_max)
            .map(|p| if p.high.is_finite() { p.high } else { p.share })
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let y_max = ((y_max * 10.0).ceil() * 10.0).clamp(10.0, 100.0);
        for (panel_name, panel) in self.panels.iter().zip(panels.iter()) {
            let (plot, risk) = panel.split_vertically(panel.dim_in_pixel().1 - risk_height);
            let mut chart = ChartBuilder::on(&plot)
                .caption(panel_name, bold(LABEL_SIZE))
                .margin(12)
                .margin_right(30)
                .x_label_area_size(50)
                .y_label_area_size(96)
                .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .axis_desc_style(font(LABEL_SIZE))
                .label_style(font(TICK_SIZE))
                .x_labels(self.ticks.len().max(2))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .max_light_lines(1)
                .light_line_style(style::LIGHT_GREY.mix(0.5))
                .bold_line_style(style::LIGHT_GREY)
                .draw()?;
            for (a, arm) in self.arms.iter().enumerate() {
                let colour = style::arm_colour(a);
                let steps: Vec<&KmStep> = self
                    .steps_of(panel_name, arm)
                    .into_iter()
                    .filter(|p| p.time <= x_max && p.share.is_finite())
                    .collect();
                // Step functions: each value holds until the next step (or the last time).
                let stair = |value: &dyn Fn(&KmStep) -> f64| -> Vec<(f64, f64)> {
                    let mut pts = Vec::new();
                    for (k, p) in steps.iter().enumerate() {
                        let next = steps.get(k + 1).map_or(p.time, |q| q.time);
                        pts.push((p.time, value(p) * 100.0));
                        pts.push((next, value(p) * 100.0));
                    }
                    pts
                };
                let banded: Vec<&KmStep> = steps
                    .iter()
                    .copied()
                    .filter(|p| p.low.is_finite() && p.high.is_finite())
                    .collect();
                if !banded.is_empty() {
                    let mut band: Vec<(f64, f64)> = Vec::new();
                    for (k, p) in banded.iter().enumerate() {
                        let next = banded.get(k + 1).map_or(p.time, |q| q.time);
                        band.push((p.time, p.high * 100.0));
                        band.push((next, p.high * 100.0));
                    }
                    for (k, p) in banded.iter().enumerate().rev() {
                        let next = banded.get(k + 1).map_or(p.time, |q| q.time);
                        band.push((next, p.low * 100.0));
                        band.push((p.time, p.low * 100.0));
                    }
                    chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18))))?;
                }
                arms::line(&mut chart, stair(&|p| p.share), a, colour.stroke_width(3))?;
                // Markers at the round times, so the arms differ by shape too.
                for &t in &self.ticks {
                    if let Some(p) = self.shown_at(panel_name, arm, t) {
                        arms::mark(&mut chart, (t, p.share * 100.0), a, 6, colour.filled())?;
                    }
                }
            }
            // Numbers at risk under the axis, one line per arm.
            let (width, _) = risk.dim_in_pixel();
            // The plot area's left and right ends: margin + y label area, and the right margin.
            let (left, right) = (108.0, f64::from(width) - 30.0);
            risk.draw_text("Number at risk", &bold(NOTE_SIZE), (8, 4))?;
            for (a, arm) in self.arms.iter().enumerate() {
                let y = 30 + 26 * a as i32;
                let colour = style::arm_colour(a);
                // The arm's marker (as in the legend), not its name, which may be too long
                // for the margin.
                arms::legend_marker(&risk, (40, y + 8), a, 7, colour)?;
                for &t in &self.ticks {
                    let x = left + (right - left) * t / x_max;
                    let text = self.at_risk(panel_name, arm, t).label();
                    let shift = 4 * text.chars().count() as i32;
                    risk.draw_text(&text, &font(NOTE_SIZE), (x as i32 - shift, y))?;
                }
            }
        }
        let mut x = 80;
        for (a, arm) in self.arms.iter().enumerate() {
            arms::legend_sample(&legend, (x, 20), 36, a, style::arm_colour(a), true)?;
            legend.draw_text(arm, &font(LABEL_SIZE), (x + 46, 9))?;
            x += 60 + 12 * arm.chars().count() as i32 + 40;
        }
        legend.draw_text(
            "Bands: 95% confidence intervals (Kaplan–Meier, log scale)",
            &font(NOTE_SIZE),
            (x + 20, 11),
        )?;
        Ok(())
    }

    fn data(&self) -> Frame {
        let mut frame = Frame::new(&[
            "Subgroup",
            "Arm",
            &self.x_label,
            &self.y_label,
            "95% CI lower (%)",
            "95% CI upper (%)",
            "Number at risk",
        ])
        .with_decimals(&self.x_label, 0)
        .with_decimals(&self.y_label, 1)
        .with_decimals("95% CI lower (%)", 1)
        .with_decimals("95% CI upper (%)", 1);
        for panel in &self.panels {
            for arm in &self.arms {
                if self.steps_of(panel, arm).is_empty() {
                    continue;
                }
                for t in self.table_times() {
                    let shown = self.shown_at(panel, arm, t);
                    let value = |f: fn(&KmStep) -> f64| shown.map_or(f64::NAN, f);
                    // Before the first step (drawn or masked) no one has had the event yet.
                    let before_any = self.steps_of(panel, arm).iter().all(|p| p.time > t);
                    let share = if before_any { 0.0 } else { value(|p| p.share) };
                    frame.push(vec![
                        panel.as_str().into(),
                        arm.as_str().into(),
                        t.into(),
                        percent_cell(share),
                        percent_cell(value(|p| p.low)),
                        percent_cell(value(|p| p.high)),
                        count_cell(&self.at_risk(panel, arm, t)),
                    ]);
                }
            }
        }
        frame
    }
}
