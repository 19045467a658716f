//! How the arms (and other series) of a figure are told apart without colour (WCAG 2.1, 1.4.1
//! "Use of colour"): the i-th arm has a line style (solid, dashed, dotted, long dashes) and a
//! marker shape (circle, triangle, square, diamond) besides its colour, in the plot and in the
//! legend alike, so a reader who cannot tell blue from orange, or who prints in grey, still
//! tells the arms apart.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// A chart with numeric axes, as every arm-drawing figure builds.
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The line style of series `i`: (dash, gap) in pixels, None for solid.
pub fn dash(i: usize) -> Option<(u32, u32)> {
    [None, Some((14, 8)), Some((3, 6)), Some((26, 7))][i % 4]
}

/// The marker shape of series `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Triangle,
    Square,
    Diamond,
}

pub fn marker(i: usize) -> Marker {
    [
        Marker::Circle,
        Marker::Triangle,
        Marker::Square,
        Marker::Diamond,
    ][i % 4]
}

/// The corners of a marker's polygon around (0, 0), `r` its half size in pixels.
fn outline(marker: Marker, r: i32) -> Vec<(i32, i32)> {
    match marker {
        // A circle is drawn as a circle; its outline is only used for the others.
        Marker::Circle => Vec::new(),
        Marker::Triangle => vec![(0, -r - 2), (r + 2, r), (-r - 2, r)],
        Marker::Square => vec![(-r, -r), (r, -r), (r, r), (-r, r)],
        Marker::Diamond => vec![(0, -r - 2), (r + 2, 0), (0, r + 2), (-r - 2, 0)],
    }
}

/// A line through `points` (data coordinates) in series `i`'s style.
pub fn line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: Vec<(f64, f64)>,
    i: usize,
    style: ShapeStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    match dash(i) {
        None => {
            chart.draw_series(LineSeries::new(points, style))?;
        }
        Some((on, off)) => {
            chart.draw_series(DashedLineSeries::new(points, on, off, style))?;
        }
    }
    Ok(())
}

/// Series `i`'s marker at `at` (data coordinates), `r` pixels from its centre.
pub fn mark<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    at: (f64, f64),
    i: usize,
    r: i32,
    style: ShapeStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    match marker(i) {
        Marker::Circle => {
            chart.draw_series(std::iter::once(Circle::new(at, r, style)))?;
        }
        other => {
            chart.draw_series(std::iter::once(
                EmptyElement::at(at) + Polygon::new(outline(other, r), style),
            ))?;
        }
    }
    Ok(())
}

/// The legend's sample of series `i` on `area` (pixel coordinates): a short line in its style
/// from `(x, y)`, `width` long, with its marker in the middle when `with_marker`.
pub fn legend_sample<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    width: i32,
    i: usize,
    colour: RGBColor,
    with_marker: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = colour.stroke_width(4);
    match dash(i) {
        None => area.draw(&PathElement::new(vec![(x, y), (x + width, y)], style))?,
        Some((on, off)) => area.draw(&DashedPathElement::new(
            vec![(x, y), (x + width, y)],
            on,
            off,
            style,
        ))?,
    }
    if with_marker {
        legend_marker(area, (x + width / 2, y), i, 7, colour)?;
    }
    Ok(())
}

/// Series `i`'s marker alone at `centre` on `area` (pixel coordinates).
pub fn legend_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    centre: (i32, i32),
    i: usize,
    r: i32,
    colour: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    match marker(i) {
        Marker::Circle => area.draw(&Circle::new(centre, r, colour.filled())),
        other => area.draw(&Polygon::new(
            outline(other, r)
                .into_iter()
                .map(|(dx, dy)| (centre.0 + dx, centre.1 + dy))
                .collect::<Vec<_>>(),
            colour.filled(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_four_series_differ_in_line_and_marker() {
        let styles: Vec<(Option<(u32, u32)>, Marker)> =
            (0..4).map(|i| (dash(i), marker(i))).collect();
        for a in 0..4 {
            for b in a + 1..4 {
                assert_ne!(styles[a].0, styles[b].0);
                assert_ne!(styles[a].1, styles[b].1);
            }
        }
    }
}
