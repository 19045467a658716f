//! Balance plot: standardized mean differences (treatment − control, in pooled standard
//! deviations) of each baseline covariate, overall and by subgroup, with the conventional ±0.1
//! band (Austin 2009; What Works Clearinghouse uses 0.05/0.25).

use super::{DrawResult, Figure, arms, bold, font, minus};
use crate::export::Frame;
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TICK_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct BalancePoint {
    pub covariate: String,
    pub subgroup: String,
    pub smd: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BalancePlot {
    pub name: String,
    pub title: String,
    /// Covariates top to bottom.
    pub covariates: Vec<String>,
    /// Subgroups in colour order (e.g. All, Women, Men).
    pub subgroups: Vec<String>,
    pub points: Vec<BalancePoint>,
}

impl Figure for BalancePlot {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> (u32, u32) {
        (
            style::WIDTH,
            (200 + 40 * self.covariates.len() as u32).max(380),
        )
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.covariates.len().max(1) as f64;
        let extreme = self
            .points
            .iter()
            .map(|p| p.smd.abs())
            .filter(|v| v.is_finite())
            .fold(0.25, f64::max);
        let x_max = (extreme * 1.15 * 20.0).ceil() / 20.0;
        let (body, legend) = area.split_vertically(area.dim_in_pixel().1 - 44);
        let label_width = 260;
        let mut chart = ChartBuilder::on(&body)
            .caption(&self.title, bold(TITLE_SIZE))
            .margin(16)
            .margin_left(label_width)
            .x_label_area_size(60)
            .build_cartesian_2d(-x_max..x_max, -0.5..(n - 0.5))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("Standardized difference (treatment − control, pooled SD)")
            .axis_desc_style(font(LABEL_SIZE))
            .label_style(font(TICK_SIZE))
            .x_label_formatter(&|v| minus(&format!("{v:.2}")))
            .max_light_lines(1)
            .light_line_style(style::LIGHT_GREY.mix(0.5))
            .bold_line_style(style::LIGHT_GREY)
            .draw()?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(-0.1, -0.5), (0.1, n - 0.5)],
            style::GREEN.mix(0.12).filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n - 0.5)],
            style::GREY.stroke_width(2),
        )))?;
        let groups = self.subgroups.len().max(1) as f64;
        for (i, covariate) in self.covariates.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let (_, py) = chart.backend_coord(&(0.0, y));
            body.draw_text(covariate, &font(LABEL_SIZE), (16, py - 11))?;
            for (g, subgroup) in self.subgroups.iter().enumerate() {
                let offset = ((groups - 1.0) / 2.0 - g as f64) * 0.22;
                if let Some(p) = self.points.iter().find(|p| {
                    &p.covariate == covariate && &p.subgroup == subgroup && p.smd.is_finite()
                }) {
                    let colour = style::series_colour(g);
                    arms::mark(&mut chart, (p.smd, y + offset), g, 7, colour.filled())?;
                }
            }
        }
        let mut x = 40;
        for (g, subgroup) in self.subgroups.iter().enumerate() {
            arms::legend_marker(&legend, (x + 8, 20), g, 7, style::series_colour(g))?;
            legend.draw_text(subgroup, &font(LABEL_SIZE), (x + 22, 9))?;
            x += 50 + 12 * subgroup.chars().count() as i32;
        }
        legend.draw(&Rectangle::new(
            [(x + 10, 10), (x + 40, 30)],
            style::GREEN.mix(0.2).filled(),
        ))?;
        legend.draw_text("|difference| < 0.1", &font(NOTE_SIZE), (x + 48, 11))?;
        Ok(())
    }

    fn data(&self) -> Frame {
        let mut frame = Frame::new(&["Covariate", "Subgroup", "Standardized difference"])
            .with_decimals("Standardized difference", 3);
        for covariate in &self.covariates {
            for subgroup in &self.subgroups {
                if let Some(p) = self
                    .points
                    .iter()
                    .find(|p| &p.covariate == covariate && &p.subgroup == subgroup)
                {
                    frame.push(vec![
                        covariate.as_str().into(),
                        subgroup.as_str().into(),
                        p.smd.into(),
                    ]);
                }
            }
        }
        frame
    }
}
