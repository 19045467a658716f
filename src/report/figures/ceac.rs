//! Cost-effectiveness acceptability curve: the probability that the programme is cost-effective
//! (net monetary benefit > 0) at each willingness to pay per additional person in work
//! (van Hout et al. 1994; Fenwick, Claxton & Sculpher 2001).

use super::{DrawResult, Figure, arms, bold, font, thousands};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct Ceac {
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Curves by label (e.g. All, Women, Men): points (willingness to pay, probability).
    pub curves: Vec<(String, Vec<(f64, f64)>)>,
}

impl Figure for Ceac {
    fn name(&self) -> &str {
        &self.name
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let x_max = self
            .curves
            .iter()
            .flat_map(|(_, c)| c.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        let x_min = self
            .curves
            .iter()
            .flat_map(|(_, c)| c.iter().map(|p| p.0))
            .fold(0.0, f64::min);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, bold(TITLE_SIZE))
            .margin(16)
            .margin_right(70)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(x_min..x_max, 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(font(LABEL_SIZE))
            .label_style(font(TICK_SIZE))
            .x_labels(6)
            .x_label_formatter(&|v| thousands(*v))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .max_light_lines(1)
            .light_line_style(style::LIGHT_GREY.mix(0.5))
            .bold_line_style(style::LIGHT_GREY)
            .draw()?;
        for (i, (label, points)) in self.curves.iter().enumerate() {
            let colour = style::series_colour(i);
            // Each curve in its own line style, so the subgroups differ by more than colour.
            arms::line(&mut chart, points.clone(), i, colour.stroke_width(3))?;
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
                .label(label.as_str())
                .legend(move |(x, y)| match arms::dash(i) {
                    None => PathElement::new(vec![(x, y), (x + 30, y)], colour.stroke_width(3))
                        .into_dyn(),
                    Some((on, off)) => DashedPathElement::new(
                        vec![(x, y), (x + 30, y)],
                        on,
                        off,
                        colour.stroke_width(3),
                    )
                    .into_dyn(),
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .margin(16)
            .label_font(font(LABEL_SIZE))
            .background_style(WHITE.mix(0.9))
            .border_style(style::LIGHT_GREY)
            .draw()?;
        Ok(())
    }

    fn data(&self) -> Frame {
        let mut frame = Frame::new(&["Subgroup", &self.x_label, &self.y_label])
            .with_decimals(&self.x_label, 0)
            .with_decimals(&self.y_label, 3);
        for (label, points) in &self.curves {
            // About twenty values per curve (every k-th of the grid, and its last), not the
            // whole grid.
            let every = points.len().div_ceil(20).max(1);
            for (k, (wtp, probability)) in points.iter().enumerate() {
                if k % every == 0 || k + 1 == points.len() {
                    frame.push(vec![
                        label.as_str().into(),
                        (*wtp).into(),
                        (*probability).into(),
                    ]);
                }
            }
        }
        frame
    }
}
