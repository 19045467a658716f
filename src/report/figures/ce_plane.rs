//! The cost-effectiveness plane: bootstrap draws of (incremental effect, incremental cost), the
//! point estimate, the four quadrants with the share of draws in each, and optionally a
//! willingness-to-pay line.

use super::{DrawResult, Figure, bold, font, minus, thousands};
use crate::export::{Cell, Frame};
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct CePlane {
    pub name: String,
    pub title: String,
    /// Label of the effect axis, e.g. "Additional persons in work or studies per 100 offered".
    pub x_label: String,
    pub y_label: String,
    /// Draws as (effect, cost), already on the axes' scales.
    pub draws: Vec<(f64, f64)>,
    pub estimate: (f64, f64),
    /// Willingness to pay per unit of effect (cost per unit on the axes' scales), if shown.
    pub wtp: Option<f64>,
    pub wtp_label: Option<String>,
}

impl CePlane {
    /// The share (%) of the finite draws in each quadrant: north-east, north-west, south-west,
    /// south-east, with their labels; none without draws.
    fn quadrant_shares(&self) -> Vec<(&'static str, f64)> {
        let total = self
            .draws
            .iter()
            .filter(|(e, c)| e.is_finite() && c.is_finite())
            .count();
        if total == 0 {
            return Vec::new();
        }
        let share = |f: &dyn Fn(f64, f64) -> bool| {
            100.0 * self.draws.iter().filter(|(e, c)| f(*e, *c)).count() as f64 / total as f64
        };
        vec![
            (
                "More effective, costlier",
                share(&|e, c| e > 0.0 && c > 0.0),
            ),
            (
                "Less effective, costlier",
                share(&|e, c| e <= 0.0 && c > 0.0),
            ),
            (
                "Less effective, cheaper",
                share(&|e, c| e <= 0.0 && c <= 0.0),
            ),
            (
                "More effective, cheaper",
                share(&|e, c| e > 0.0 && c <= 0.0),
            ),
        ]
    }
}

impl Figure for CePlane {
    fn name(&self) -> &str {
        &self.name
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let finite: Vec<(f64, f64)> = self
            .draws
            .iter()
            .copied()
            .chain(std::iter::once(self.estimate))
            .filter(|(e, c)| e.is_finite() && c.is_finite())
            .collect();
        let span = |f: fn(&(f64, f64)) -> f64| {
            let lo = finite.iter().map(f).fold(0.0, f64::min);
            let hi = finite.iter().map(f).fold(0.0, f64::max);
            let m = (hi - lo).max(1e-9) * 0.1;
            (lo - m, hi + m)
        };
        let (x0, x1) = span(|p| p.0);
        let (y0, y1) = span(|p| p.1);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, bold(TITLE_SIZE))
            .margin(16)
            .margin_right(30)
            .x_label_area_size(60)
            .y_label_area_size(110)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(font(LABEL_SIZE))
            .label_style(font(TICK_SIZE))
            .x_label_formatter(&|v| minus(&format!("{v:.1}")))
            .y_label_formatter(&|v| thousands(*v))
            .max_light_lines(1)
            .light_line_style(style::LIGHT_GREY.mix(0.5))
            .bold_line_style(style::LIGHT_GREY)
            .draw()?;
        chart.draw_series(
            self.draws
                .iter()
                .filter(|(e, c)| e.is_finite() && c.is_finite())
                .map(|&(e, c)| Circle::new((e, c), 2, style::BLUE.mix(0.25).filled())),
        )?;
        let axis = style::INK.stroke_width(2);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, 0.0), (x1, 0.0)],
            axis,
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, y0), (0.0, y1)],
            axis,
        )))?;
        if let Some(wtp) = self.wtp.filter(|w| w.is_finite()) {
            let points: Vec<(f64, f64)> = (0..=100)
                .map(|i| x0 + (x1 - x0) * i as f64 / 100.0)
                .map(|x| (x, wtp * x))
                .filter(|(_, y)| *y >= y0 && *y <= y1)
                .collect();
            chart.draw_series(std::iter::once(PathElement::new(
                points,
                style::VERMILLION.stroke_width(2),
            )))?;
        }
        let (ex, ey) = self.estimate;
        if ex.is_finite() && ey.is_finite() {
            chart.draw_series(std::iter::once(Circle::new(
                (ex, ey),
                8,
                style::VERMILLION.filled(),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (ex, ey),
                8,
                style::INK.stroke_width(2),
            )))?;
        }
        // Quadrant shares, written in each quadrant's outer corner.
        if let [ne, nw, sw, se] = self.quadrant_shares().as_slice() {
            let quadrants = [
                (ne.0, ne.1, (x1, y1), true, true),
                (nw.0, nw.1, (x0, y1), false, true),
                (sw.0, sw.1, (x0, y0), false, false),
                (se.0, se.1, (x1, y0), true, false),
            ];
            for (label, pct, corner, right, top) in quadrants {
                let (px, py) = chart.backend_coord(&corner);
                let text = format!("{label}: {pct:.1}%");
                let w = 9 * text.chars().count() as i32;
                let tx = if right { px - w - 8 } else { px + 8 };
                let ty = if top { py + 8 } else { py - 26 };
                area.draw_text(&text, &font(NOTE_SIZE), (tx, ty))?;
            }
        }
        if let (Some(label), Some(_)) = (&self.wtp_label, self.wtp) {
            let (px, py) = chart.backend_coord(&(x0, y1));
            area.draw_text(
                label,
                &font(NOTE_SIZE).color(&style::VERMILLION),
                (px + 8, py + 30),
            )?;
        }
        Ok(())
    }

    fn data(&self) -> Frame {
        let share_label = "Share of bootstrap replicates (%)";
        let mut frame = Frame::new(&["Result", &self.x_label, &self.y_label, share_label])
            .with_decimals(&self.x_label, 2)
            .with_decimals(&self.y_label, 0)
            .with_decimals(share_label, 1);
        frame.push(vec![
            "Point estimate".into(),
            self.estimate.0.into(),
            self.estimate.1.into(),
            Cell::Null,
        ]);
        for (label, share) in self.quadrant_shares() {
            frame.push(vec![label.into(), Cell::Null, Cell::Null, share.into()]);
        }
        frame
    }
}
