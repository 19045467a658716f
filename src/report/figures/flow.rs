//! CONSORT-style participant flow (Schulz, Altman & Moher 2010): randomized, assigned to each
//! arm, took part, lost to follow-up, analysed. The counts are the flow table's, as disclosure
//! control published them (`report::mask`): a masked count prints as the table does ("<k", or
//! "x" where it protects another), so the figure never tells more than the tables.

use super::{Count, DrawResult, Figure, bold, count_cell, font};
use crate::export::{Cell, Frame};
use crate::report::style::{self, LABEL_SIZE, NOTE_SIZE, TITLE_SIZE};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct FlowArm {
    pub name: String,
    pub assigned: Count,
    /// Took part in the programme (None for an arm without a programme to take part in).
    pub took_part: Option<Count>,
    pub followed_up: Count,
    pub lost: Count,
    pub analysed: Count,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub name: String,
    pub title: String,
    /// All arms together (masked when an arm's count is: it would give the masked one).
    pub randomized: Count,
    /// E.g. "540 days".
    pub horizon: String,
    pub arms: Vec<FlowArm>,
}

impl Flow {
    fn count(&self, n: &Count) -> String {
        n.label()
    }

    /// "(86%)" of two published counts; nothing when either is masked (the share would give it).
    fn percent(&self, n: &Count, of: &Count) -> String {
        match (n.shown(), of.shown()) {
            (Some(n), Some(of)) if of > 0 => format!(" ({:.0}%)", 100.0 * n as f64 / of as f64),
            _ => String::new(),
        }
    }
}

fn draw_box<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
    lines: &[(String, bool)],
) -> DrawResult<DB> {
    area.draw(&Rectangle::new([(x, y), (x + w, y + h)], WHITE.filled()))?;
    area.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        style::INK.stroke_width(2),
    ))?;
    let line_height = 26;
    let top = y + (h - line_height * lines.len() as i32) / 2 + 3;
    for (i, (text, is_bold)) in lines.iter().enumerate() {
        let style = if *is_bold {
            bold(LABEL_SIZE)
        } else {
            font(NOTE_SIZE + 2.0)
        };
        let ty = top + i as i32 * line_height;
        area.draw_text(text, &style, (x + 14, ty))?;
    }
    Ok(())
}

fn arrow<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
) -> DrawResult<DB> {
    area.draw(&PathElement::new(
        vec![from, to],
        style::INK.stroke_width(2),
    ))?;
    let (x, y) = to;
    area.draw(&Polygon::new(
        vec![(x, y), (x - 7, y - 12), (x + 7, y - 12)],
        style::INK.filled(),
    ))?;
    Ok(())
}

impl Figure for Flow {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> (u32, u32) {
        (style::WIDTH, 700)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (w, _) = area.dim_in_pixel();
        let w = w as i32;
        let title_width = 13 * self.title.chars().count() as i32;
        area.draw_text(&self.title, &bold(TITLE_SIZE), ((w - title_width) / 2, 14))?;
        let top_w = 420;
        let top = ((w - top_w) / 2, 64);
        draw_box(
            area,
            top,
            (top_w, 70),
            &[
                ("Randomized".to_string(), true),
                (format!("{} persons", self.count(&self.randomized)), false),
            ],
        )?;
        let n = self.arms.len().max(1) as i32;
        let gap = 30;
        let box_w = ((w - 40 - gap * (n - 1)) / n).min(440);
        let total_w = box_w * n + gap * (n - 1);
        let left = (w - total_w) / 2;
        let rows = [170, 300, 430, 560];
        let heights = [84, 84, 84, 84];
        for (a, arm) in self.arms.iter().enumerate() {
            let x = left + a as i32 * (box_w + gap);
            let cx = x + box_w / 2;
            arrow(area, (w / 2, top.1 + 70), (cx, rows[0]))?;
            let mut assigned = vec![
                (format!("Assigned to {}", arm.name), true),
                (format!("{} persons", self.count(&arm.assigned)), false),
            ];
            match &arm.took_part {
                Some(k) => assigned.push((
                    format!(
                        "took part: {}{}",
                        self.count(k),
                        self.percent(k, &arm.assigned)
                    ),
                    false,
                )),
                None => assigned.push(("no programme offered".to_string(), false)),
            }
            draw_box(area, (x, rows[0]), (box_w, heights[0] + 10), &assigned)?;
            arrow(area, (cx, rows[0] + heights[0] + 10), (cx, rows[1]))?;
            draw_box(
                area,
                (x, rows[1]),
                (box_w, heights[1]),
                &[
                    (format!("Followed up at {}", self.horizon), true),
                    (
                        format!(
                            "{}{}",
                            self.count(&arm.followed_up),
                            self.percent(&arm.followed_up, &arm.assigned)
                        ),
                        false,
                    ),
                ],
            )?;
            arrow(area, (cx, rows[1] + heights[1]), (cx, rows[2]))?;
            draw_box(
                area,
                (x, rows[2]),
                (box_w, heights[2]),
                &[
                    ("Lost to follow-up".to_string(), true),
                    (
                        format!(
                            "{}{}",
                            self.count(&arm.lost),
                            self.percent(&arm.lost, &arm.assigned)
                        ),
                        false,
                    ),
                ],
            )?;
            arrow(area, (cx, rows[2] + heights[2]), (cx, rows[3]))?;
            draw_box(
                area,
                (x, rows[3]),
                (box_w, heights[3]),
                &[
                    ("Analysed (intention to treat)".to_string(), true),
                    (format!("{} persons", self.count(&arm.analysed)), false),
                ],
            )?;
        }
        Ok(())
    }

    fn data(&self) -> Frame {
        let followed = format!("Followed up at {}", self.horizon);
        let mut frame = Frame::new(&[
            "Arm",
            "Assigned",
            "Took part",
            &followed,
            "Lost to follow-up",
            "Analysed (intention to treat)",
        ]);
        for arm in &self.arms {
            frame.push(vec![
                arm.name.as_str().into(),
                count_cell(&arm.assigned),
                arm.took_part.as_ref().map_or(Cell::Null, count_cell),
                count_cell(&arm.followed_up),
                count_cell(&arm.lost),
                count_cell(&arm.analysed),
            ]);
        }
        frame.push(vec![
            "Randomized".into(),
            count_cell(&self.randomized),
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
        ]);
        frame
    }
}
