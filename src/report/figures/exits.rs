//! Competing exits: the cumulative incidence of each kind of exit (work, studies, moved) stacked
//! over days since randomization, one panel per arm (rows) and subgroup (columns). Each band's
//! height is the Aalen–Johansen cumulative incidence of that exit (as `cmprsk::cuminc`), so the
//! top of the stack is the share who have left by any route and the white space above it the
//! share still without any exit.

use super::{DrawResult, Figure, arms, bold, font, percent_cell, round_times};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One step of one exit's curve: from `time` on, the cumulative incidence `share` (NaN: masked,
/// the previous value is kept).
#[derive(Debug, Clone, PartialEq)]
pub struct ExitStep {
    pub panel: String,
    pub arm: String,
    pub exit: String,
    pub time: f64,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StackedExits {
    pub name: String,
    pub title: String,
    pub y_label: String,
    pub x_label: String,
    /// Subgroups (columns of panels).
    pub panels: Vec<String>,
    /// Arms (rows of panels).
    pub arms: Vec<String>,
    /// Exits from the bottom of the stack up (the exit of interest first).
    pub exits: Vec<String>,
    pub steps: Vec<ExitStep>,
    /// The end of the time axis (τ).
    pub x_max: f64,
}

/// The colour of exit `k`: the first (the exit of interest) in the arm blue, then distinct
/// colour-blind-safe hues (Okabe–Ito).
fn exit_colour(k: usize) -> RGBColor {
    [
        style::BLUE,
        style::ORANGE,
        style::GREY,
        style::GREEN,
        style::PURPLE,
        style::SKY,
    ][k % 6]
}

impl StackedExits {
    /// The step function of one exit in one panel and arm, evaluated at `times` (ascending):
    /// the value of the last step at or before each time (0 before the first).
    fn values_at(&self, panel: &str, arm: &str, exit: &str, times: &[f64]) -> Vec<f64> {
        let mut steps: Vec<&ExitStep> = self
            .steps
            .iter()
            .filter(|s| s.panel == panel && s.arm == arm && s.exit == exit && s.share.is_finite())
            .collect();
        steps.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut out = Vec::with_capacity(times.len());
        let (mut k, mut value) = (0, 0.0);
        for &t in times {
            while k < steps.len() && steps[k].time <= t {
                value = steps[k].share;
                k += 1;
            }
            out.push(value);
        }
        out
    }

    /// Every step time of one panel and arm up to the end of the axis, with 0 and the end.
    fn times_of(&self, panel: &str, arm: &str, x_max: f64) -> Vec<f64> {
        let mut times: Vec<f64> = self
            .steps
            .iter()
            .filter(|s| s.panel == panel && s.arm == arm && s.time <= x_max)
            .map(|s| s.time)
            .chain([0.0, x_max])
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        times
    }
}

impl Figure for StackedExits {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> (u32, u32) {
        (1000, 260 + 300 * self.arms.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title_area, body) = area.split_vertically(50);
        title_area.titled(&self.title, bold(TITLE_SIZE))?;
        let (body, legend) = body.split_vertically(body.dim_in_pixel().1 - 50);
        let x_max = self.x_max.max(1.0);
        // The axis: the highest stack over every panel, rounded up to ten percent.
        let mut top: f64 = 0.0;
        for panel in &self.panels {
            for arm in &self.arms {
                let times = self.times_of(panel, arm, x_max);
                let mut total = vec![0.0; times.len()];
                for exit in &self.exits {
                    for (t, v) in total
                        .iter_mut()
                        .zip(self.values_at(panel, arm, exit, &times))
                    {
                        *t += v;
                    }
                }
                top = total.iter().copied().fold(top, f64::max);
            }
        }
        let y_max = ((top * 10.0).ceil() * 10.0).clamp(10.0, 100.0);
        let cells = body.split_evenly((self.arms.len().max(1), self.panels.len().max(1)));
        for (r, arm) in self.arms.iter().enumerate() {
            for (c, panel) in self.panels.iter().enumerate() {
                let Some(cell) = cells.get(r * self.panels.len() + c) else {
                    continue;
                };
                let mut chart = ChartBuilder::on(cell)
                    .caption(format!("{panel}: {arm}"), bold(LABEL_SIZE))
                    .margin(12)
                    .margin_right(30)
                    .x_label_area_size(50)
                    .y_label_area_size(80)
                    .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
                chart
                    .configure_mesh()
                    .x_desc(&self.x_label)
                    .y_desc(&self.y_label)
                    .axis_desc_style(font(LABEL_SIZE))
                    .label_style(font(TICK_SIZE))
                    .x_label_formatter(&|v| format!("{v:.0}"))
                    .y_label_formatter(&|v| format!("{v:.0}"))
                    .max_light_lines(1)
                    .light_line_style(style::LIGHT_GREY.mix(0.5))
                    .bold_line_style(style::LIGHT_GREY)
                    .draw()?;
                let times = self.times_of(panel, arm, x_max);
                let mut lower = vec![0.0; times.len()];
                for (k, exit) in self.exits.iter().enumerate() {
                    let values = self.values_at(panel, arm, exit, &times);
                    let upper: Vec<f64> = lower.iter().zip(&values).map(|(l, v)| l + v).collect();
                    // A step band: each value holds until the next time.
                    let stair = |level: &[f64]| -> Vec<(f64, f64)> {
                        let mut pts = Vec::with_capacity(2 * times.len());
                        for (j, &t) in times.iter().enumerate() {
                            let next = times.get(j + 1).copied().unwrap_or(t);
                            pts.push((t, level[j] * 100.0));
                            pts.push((next, level[j] * 100.0));
                        }
                        pts
                    };
                    let mut band = stair(&upper);
                    let mut bottom = stair(&lower);
                    bottom.reverse();
                    band.extend(bottom);
                    let colour = exit_colour(k);
                    chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.75))))?;
                    // Each band's top edge has its own line style, so the exits differ by
                    // more than colour.
                    arms::line(&mut chart, stair(&upper), k, style::INK.stroke_width(2))?;
                    lower = upper;
                }
            }
        }
        let mut x = 80;
        for (k, exit) in self.exits.iter().enumerate() {
            legend.draw(&Rectangle::new(
                [(x, 12), (x + 30, 34)],
                exit_colour(k).mix(0.75).filled(),
            ))?;
            arms::legend_sample(&legend, (x, 12), 30, k, style::INK, false)?;
            legend.draw_text(exit, &font(LABEL_SIZE), (x + 40, 12))?;
            x += 70 + 12 * exit.chars().count() as i32;
        }
        legend.draw_text(
            "Stacked cumulative incidence (Aalen–Johansen)",
            &font(NOTE_SIZE),
            (x + 10, 16),
        )?;
        Ok(())
    }

    fn data(&self) -> Frame {
        let x_max = self.x_max.max(1.0);
        let mut times = round_times(x_max);
        if times.last().is_none_or(|t| *t < x_max) {
            times.push(x_max);
        }
        let headers: Vec<String> = ["Subgroup", "Arm", "Days since randomization"]
            .into_iter()
            .map(String::from)
            .chain(self.exits.iter().map(|e| format!("{e} (%)")))
            .chain(std::iter::once("Any exit (%)".to_string()))
            .collect();
        let columns: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut frame = Frame::new(&columns).with_decimals(columns[2], 0);
        for c in &columns[3..] {
            frame = frame.with_decimals(c, 1);
        }
        for panel in &self.panels {
            for arm in &self.arms {
                if !self
                    .steps
                    .iter()
                    .any(|s| &s.panel == panel && &s.arm == arm)
                {
                    continue;
                }
                // The values the stacked bands show at each time (a masked step keeps the
                // value before it, as drawn).
                let values: Vec<Vec<f64>> = self
                    .exits
                    .iter()
                    .map(|exit| self.values_at(panel, arm, exit, &times))
                    .collect();
                for (j, &t) in times.iter().enumerate() {
                    let mut row = vec![panel.as_str().into(), arm.as_str().into(), t.into()];
                    row.extend(values.iter().map(|v| percent_cell(v[j])));
                    row.push(percent_cell(values.iter().map(|v| v[j]).sum()));
                    frame.push(row);
                }
            }
        }
        frame
    }
}
