//! Tornado diagram of the one-way sensitivity analysis: for each uncertain input, a bar from the
//! net benefit at its low setting to the net benefit at its high setting, the others at base,
//! widest swing on top, with the base net benefit and zero marked (Briggs, Claxton & Sculpher
//! 2006, *Decision Modelling for Health Economic Evaluation*, §4.1).

use super::{DrawResult, Figure, bold, font, padded_range, thousands};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One input: its label with the two settings, and the net benefit at each.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoBar {
    pub label: String,
    pub at_low: f64,
    pub at_high: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub base: f64,
    /// Widest swing first.
    pub bars: Vec<TornadoBar>,
}

impl Figure for Tornado {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> (u32, u32) {
        (style::WIDTH, (200 + 70 * self.bars.len() as u32).max(380))
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let values = self
            .bars
            .iter()
            .flat_map(|b| [b.at_low, b.at_high])
            .chain([self.base])
            .filter(|x| x.is_finite());
        let lo = values.clone().fold(f64::INFINITY, f64::min);
        let hi = values.fold(f64::NEG_INFINITY, f64::max);
        let (x0, x1) = if lo.is_finite() {
            padded_range(lo, hi, true)
        } else {
            (-1.0, 1.0)
        };
        let n = self.bars.len().max(1) as f64;
        let label_width = 420;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, bold(TITLE_SIZE))
            .margin(16)
            .margin_left(label_width)
            .margin_right(40)
            .x_label_area_size(60)
            .build_cartesian_2d(x0..x1, -0.5..(n - 0.5))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(&self.x_label)
            .axis_desc_style(font(LABEL_SIZE))
            .label_style(font(TICK_SIZE))
            .x_labels(6)
            .x_label_formatter(&|v| thousands(*v))
            .max_light_lines(1)
            .light_line_style(style::LIGHT_GREY.mix(0.5))
            .bold_line_style(style::LIGHT_GREY)
            .draw()?;
        for (i, bar) in self.bars.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            // The low setting's side in blue, the high setting's in orange, both from the base.
            // The high setting's bar is hatched too, so the two differ by more than colour.
            for (value, colour, hatched) in [
                (bar.at_low, style::BLUE, false),
                (bar.at_high, style::ORANGE, true),
            ] {
                if value.is_finite() {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(self.base, y - 0.3), (value, y + 0.3)],
                        colour.mix(0.85).filled(),
                    )))?;
                    if hatched {
                        let step = (x1 - x0) / 120.0;
                        let (a, b) = (self.base.min(value), self.base.max(value));
                        let mut v = a + step;
                        while v < b {
                            chart.draw_series(std::iter::once(PathElement::new(
                                vec![(v, y - 0.3), (v, y + 0.3)],
                                WHITE.stroke_width(2),
                            )))?;
                            v += step * 2.0;
                        }
                    }
                }
            }
            let (_, py) = chart.backend_coord(&(x0, y));
            area.draw_text(&bar.label, &font(NOTE_SIZE + 1.0), (16, py - 10))?;
        }
        for (x, colour, width) in [(0.0, style::GREY, 2), (self.base, style::INK, 3)] {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, -0.5), (x, n - 0.5)],
                colour.stroke_width(width),
            )))?;
        }
        // The legend under the labels, clear of the bars.
        let (_, h) = area.dim_in_pixel();
        let legend_y = h as i32 - 52;
        for (k, (text, colour)) in [
            ("low setting", style::BLUE),
            ("high setting", style::ORANGE),
        ]
        .into_iter()
        .enumerate()
        {
            let x = 16 + 180 * k as i32;
            area.draw(&Rectangle::new(
                [(x, legend_y), (x + 22, legend_y + 16)],
                colour.mix(0.85).filled(),
            ))?;
            if k == 1 {
                for v in [x + 5, x + 11, x + 17] {
                    area.draw(&PathElement::new(
                        vec![(v, legend_y), (v, legend_y + 16)],
                        WHITE.stroke_width(2),
                    ))?;
                }
            }
            area.draw_text(text, &font(NOTE_SIZE), (x + 30, legend_y - 1))?;
        }
        Ok(())
    }

    fn data(&self) -> Frame {
        let mut frame = Frame::new(&[
            "Parameter",
            "Net benefit at the low setting",
            "Net benefit at the high setting",
            "Net benefit in the base case",
        ]);
        for c in 1..4 {
            frame.decimals[c] = Some(0);
        }
        for bar in &self.bars {
            frame.push(vec![
                bar.label.as_str().into(),
                bar.at_low.into(),
                bar.at_high.into(),
                self.base.into(),
            ]);
        }
        frame
    }
}
