//! The look of lotta's figures: an embedded font (DejaVu Sans, so figures render the same on a
//! machine without font packages), a colour-blind-safe palette (Okabe & Ito 2008), sizes.

use plotters::style::{FontStyle, RGBColor, register_font};
use std::sync::Once;

/// The font family name figures use; registered from the embedded files.
pub const FONT: &str = "lotta-sans";

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static REGISTER: Once = Once::new();

/// Register the embedded fonts with plotters (once per process).
pub fn register_fonts() {
    REGISTER.call_once(|| {
        // The embedded files are valid TrueType fonts; a failure would be a build defect, and
        // plotters then falls back to drawing without text rather than panicking.
        let _ = register_font(FONT, FontStyle::Normal, REGULAR);
        let _ = register_font(FONT, FontStyle::Bold, BOLD);
    });
}

/// Figure size in pixels (SVG user units and PNG pixels).
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 620;

pub const TITLE_SIZE: f64 = 26.0;
pub const LABEL_SIZE: f64 = 21.0;
pub const TICK_SIZE: f64 = 18.0;
pub const NOTE_SIZE: f64 = 16.0;

// Okabe–Ito palette.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const SKY: RGBColor = RGBColor(86, 180, 233);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub const GREY: RGBColor = RGBColor(120, 120, 120);
pub const LIGHT_GREY: RGBColor = RGBColor(225, 225, 225);
pub const INK: RGBColor = RGBColor(30, 30, 30);

/// The colour of the i-th arm (treatment arms first, the control arm last gets grey-blue).
pub fn arm_colour(i: usize) -> RGBColor {
    [BLUE, ORANGE, GREEN, PURPLE, VERMILLION, SKY][i % 6]
}

/// The colour of the i-th subgroup series.
pub fn series_colour(i: usize) -> RGBColor {
    [INK, VERMILLION, BLUE, GREEN, PURPLE, ORANGE][i % 6]
}
