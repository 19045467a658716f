//! Figures for the report, one file per kind. Each kind has a plain data struct and a `draw`
//! function onto any plotters backend; this module renders them to SVG text and PNG bytes,
//! deterministically (no timestamps; the same data gives the same bytes).

pub mod arms;
pub mod balance;
pub mod ce_plane;
pub mod ceac;
pub mod exits;
pub mod flow;
pub mod forest;
pub mod km;
pub mod split;
pub mod targets;
pub mod tornado;
pub mod trajectory;

use crate::error::{Error, Result};
use crate::export::{Cell, Frame};
use crate::report::language::{Currency, Language};
use crate::report::style::{self, HEIGHT, WIDTH};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// A figure drawn on any backend.
pub trait Figure {
    /// The file stem (e.g. `forest`), also the figure's id in the report.
    fn name(&self) -> &str;
    /// Size in pixels; most figures use the default.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    /// Draw the figure onto `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
    /// The numbers the figure draws, as a table (WCAG 2.1, 1.1.1: the report places it with
    /// the figure, for screen readers and for anyone who wants the values): read from the same
    /// rows the figure is drawn from, so it shows what the figure shows and no more (a cell
    /// masked by disclosure control is masked here too). Headers are English phrases that the
    /// report translates; long curves are given at round times, not at every step.
    fn data(&self) -> Frame;
}

/// A share (0–1) as a percentage cell; undefined (masked, not estimable) as an empty cell.
pub fn percent_cell(x: f64) -> Cell {
    Cell::from(x * 100.0)
}

/// An interval end in percent (or percentage points): "unbounded" when infinite.
pub fn percent_end_cell(x: f64) -> Cell {
    if x.is_infinite() {
        Cell::Text("unbounded".into())
    } else {
        percent_cell(x)
    }
}

/// A count as a table cell: the number, or the text disclosure control put in its place.
pub fn count_cell(count: &Count) -> Cell {
    match count {
        Count::Shown(n) => Cell::from(*n),
        Count::Masked(text) => Cell::Text(text.clone()),
    }
}

/// Round times from 0 to `end`: a step of 1, 2 or 5 times a power of ten giving about six
/// intervals (the axis ticks of the time-to-event figures and the times their data tables give).
pub fn round_times(end: f64) -> Vec<f64> {
    let raw = (end / 6.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    (0..)
        .map(|k| f64::from(k) * step)
        .take_while(|t| *t <= end)
        .collect()
}

/// The result of drawing on backend DB.
pub type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_error(name: &str, e: impl std::fmt::Debug) -> Error {
    Error::compute(format!("could not draw figure `{name}`: {e:?}"))
}

/// The figure as a standalone SVG document.
pub fn to_svg<F: Figure>(figure: &F) -> Result<String> {
    to_svg_in(figure, Language::En, Currency::default())
}

/// The figure as a standalone SVG document, its texts in `language`.
pub fn to_svg_in<F: Figure>(figure: &F, language: Language, currency: Currency) -> Result<String> {
    style::register_fonts();
    let mut svg = String::new();
    {
        let backend = Translating {
            inner: SVGBackend::with_string(&mut svg, figure.size()),
            language,
            currency,
        };
        let area = backend.into_drawing_area();
        area.fill(&WHITE)
            .map_err(|e| draw_error(figure.name(), e))?;
        figure
            .draw(&area)
            .map_err(|e| draw_error(figure.name(), e))?;
        area.present().map_err(|e| draw_error(figure.name(), e))?;
    }
    // Layout was measured with the embedded DejaVu Sans; name it and similar fonts for viewers,
    // which do not know the registration name.
    Ok(svg.replace(
        &format!("font-family=\"{}\"", style::FONT),
        "font-family=\"'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif\"",
    ))
}

/// The figure as PNG bytes (8-bit RGB, default compression, no metadata chunks).
pub fn to_png<F: Figure>(figure: &F) -> Result<Vec<u8>> {
    to_png_in(figure, Language::En, Currency::default())
}

/// The figure as PNG bytes, its texts in `language`.
pub fn to_png_in<F: Figure>(figure: &F, language: Language, currency: Currency) -> Result<Vec<u8>> {
    style::register_fonts();
    let (w, h) = figure.size();
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    {
        let backend = Translating {
            inner: BitMapBackend::with_buffer(&mut pixels, (w, h)),
            language,
            currency,
        };
        let area = backend.into_drawing_area();
        area.fill(&WHITE)
            .map_err(|e| draw_error(figure.name(), e))?;
        figure
            .draw(&area)
            .map_err(|e| draw_error(figure.name(), e))?;
        area.present().map_err(|e| draw_error(figure.name(), e))?;
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| draw_error(figure.name(), e))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| draw_error(figure.name(), e))?;
    }
    Ok(bytes)
}

/// A drawing backend that writes every text in the report's language (the figures are drawn in
/// English; titles, axis labels, legends and tick numbers pass through
/// [`Language::translate`] here, for SVG and PNG alike, and are measured as translated).
struct Translating<DB> {
    inner: DB,
    language: Language,
    currency: Currency,
}

impl<DB: DrawingBackend> DrawingBackend for Translating<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        let text = self.language.translate(text, self.currency);
        self.inner.draw_text(&text, style, pos)
    }
    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> std::result::Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let text = self.language.translate(text, self.currency);
        self.inner.estimate_text_size(&text, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }
}

/// A text style in the embedded font.
pub fn font(size: f64) -> TextStyle<'static> {
    (style::FONT, size).into_font().color(&style::INK)
}

/// A bold text style in the embedded font.
pub fn bold(size: f64) -> TextStyle<'static> {
    (style::FONT, size, FontStyle::Bold)
        .into_font()
        .color(&style::INK)
}

/// "+8.1" style percentage-point label.
pub fn pp(x: f64) -> String {
    let v = x * 100.0;
    if v.abs() < 0.05 {
        "0.0".to_string()
    } else {
        minus(&format!("{v:+.1}"))
    }
}

/// "8.1" / "−1.5" percentage points, with a true minus sign.
pub fn pp_plain(x: f64) -> String {
    minus(&format!("{:.1}", x * 100.0))
}

/// Replace a leading hyphen by a true minus sign, and show "−0.0" as "0.0".
pub fn minus(s: &str) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        Some(rest) => format!("−{rest}"),
        None => s.to_string(),
    }
}

/// A number with a thin-space thousands separator, as in Swedish reports (38 600).
pub fn thousands(x: f64) -> String {
    let rounded = x.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if rounded < 0 {
        format!("−{out}")
    } else {
        out
    }
}

/// Nice axis bounds around [lo, hi] with some padding, including 0 when `with_zero`.
pub fn padded_range(lo: f64, hi: f64, with_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if with_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        lo -= 0.5;
        hi += 0.5;
    }
    let pad = (hi - lo) * 0.08;
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::forest::{Forest, ForestRow};
    use super::*;

    fn forest() -> Forest {
        Forest {
            name: "forest".into(),
            title: "Effect at 540 days".into(),
            x_label: "Percentage points".into(),
            rows: vec![ForestRow {
                group: "540 days".into(),
                label: "Women".into(),
                estimate: 0.08,
                low: 0.02,
                high: 0.14,
                secondary: None,
            }],
            series: vec!["Women".into()],
        }
    }

    #[test]
    fn png_and_svg_are_deterministic_and_well_formed() {
        let f = forest();
        let png = to_png(&f).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(png, to_png(&f).unwrap());
        let svg = to_svg(&f).unwrap();
        assert!(svg.contains("Effect at 540 days"));
        assert!(svg.contains("8.0 (2.0 to 14.0)"), "the interval is printed");
        assert!(
            svg.contains("font-family=\"'DejaVu Sans'"),
            "a font viewers know"
        );
        assert_eq!(svg, to_svg(&f).unwrap());
    }

    #[test]
    fn text_is_drawn_with_the_embedded_font() {
        // With no font available plotters draws no glyphs: a PNG with a title must differ from
        // one whose title is empty.
        let with = to_png(&forest()).unwrap();
        let mut blank = forest();
        blank.title = String::new();
        assert_ne!(with, to_png(&blank).unwrap());
    }

    #[test]
    fn number_formats() {
        assert_eq!(pp(0.081), "+8.1");
        assert_eq!(pp(-0.015), "−1.5");
        assert_eq!(pp_plain(-0.0001), "0.0");
        assert_eq!(thousands(38600.0), "38\u{202f}600");
        assert_eq!(thousands(-1234567.0), "−1\u{202f}234\u{202f}567");
    }
}

/// A count as the tables publish it.
#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    Shown(usize),
    /// Masked by disclosure control: the text the tables show ("<5", "x").
    Masked(String),
}

impl Count {
    pub fn shown(&self) -> Option<usize> {
        match self {
            Count::Shown(n) => Some(*n),
            Count::Masked(_) => None,
        }
    }

    /// As a figure prints it: "1 234", or the masked text.
    pub fn label(&self) -> String {
        match self {
            Count::Shown(n) => thousands(*n as f64),
            Count::Masked(text) => text.clone(),
        }
    }
}
