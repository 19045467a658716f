//! The cells of a ledger's rows that their re-derivation is compared with, kept compactly while
//! the ledger is read the first time ([`FoundRows`]), so that a ledger whose every row
//! re-derives exactly is read once instead of twice (the second pass was about a quarter of
//! `verify`'s time at ten million rows, docs/scale.md). A row that differs is named, as before,
//! by a second pass over the file, which reads the row's cells as written.

use super::UNASSIGNED;
use super::ledger::RowView;
use crate::categorical::FastHash;
use std::collections::HashMap;

/// Per ledger row (in file order): its arm, stratum and probability as numbers into tables
/// (they repeat: a few arms, the strata, a few probabilities per stratum), its block, position
/// and batch (as runs of rows of one batch: a ledger is in batch order). 14 bytes a row (140 MB
/// at ten million). A row that does not fit (a cluster column, more than 65,535 arms, strata or
/// probabilities, a ledger of 2³² rows or more) drops everything kept ([`FoundRows::kept`]
/// false), and the ledger is compared in a second pass as before.
#[derive(Debug, Default)]
pub struct FoundRows {
    arm: Vec<u16>,
    stratum: Vec<u16>,
    probability: Vec<u16>,
    block: Vec<u32>,
    position: Vec<u32>,
    /// (first row, batch) of each run of rows of one batch, rows ascending.
    batches: Vec<(u32, u32)>,
    strata: Vec<Box<str>>,
    strata_index: HashMap<Box<str>, u16, FastHash>,
    /// The probabilities met, and the bits of each with its number.
    probabilities: Vec<f64>,
    probability_index: HashMap<u64, u16, FastHash>,
    dropped: bool,
}

/// Numbers of arms, strata and probabilities a [`FoundRows`] holds at most.
const MAX_TABLE: usize = u16::MAX as usize;
/// Runs of one batch a [`FoundRows`] holds at most (an edited ledger may alternate batches).
const MAX_RUNS: usize = 1 << 20;

impl FoundRows {
    /// Room for `rows` rows (a ledger has at most a row per participant; the room is taken
    /// from the system only as rows are written).
    pub fn with_capacity(rows: usize) -> FoundRows {
        FoundRows {
            arm: Vec::with_capacity(rows),
            stratum: Vec::with_capacity(rows),
            probability: Vec::with_capacity(rows),
            block: Vec::with_capacity(rows),
            position: Vec::with_capacity(rows),
            ..FoundRows::default()
        }
    }

    /// Keep the next row (number [`FoundRows::len`]), or drop all when it does not fit.
    pub fn push(&mut self, row: &RowView) {
        if self.dropped {
            return;
        }
        if !self.try_push(row) {
            *self = FoundRows {
                dropped: true,
                ..FoundRows::default()
            };
        }
    }

    fn try_push(&mut self, row: &RowView) -> bool {
        let r = self.arm.len();
        let Ok(r32) = u32::try_from(r) else {
            return false;
        };
        if row.cluster.is_some() {
            return false;
        }
        let arm = if row.arm == UNASSIGNED {
            u16::MAX
        } else if (row.arm as usize) < MAX_TABLE {
            row.arm as u16
        } else {
            return false;
        };
        let stratum = match self.strata_index.get(row.stratum) {
            Some(&s) => s,
            None if self.strata.len() < MAX_TABLE => {
                let s = self.strata.len() as u16;
                self.strata.push(row.stratum.into());
                self.strata_index.insert(row.stratum.into(), s);
                s
            }
            None => return false,
        };
        let bits = row.probability.to_bits();
        let probability = match self.probability_index.get(&bits) {
            Some(&p) => p,
            None if self.probabilities.len() < MAX_TABLE => {
                let p = self.probabilities.len() as u16;
                self.probabilities.push(row.probability);
                self.probability_index.insert(bits, p);
                p
            }
            None => return false,
        };
        if self.batches.last().is_none_or(|&(_, b)| b != row.batch) {
            if self.batches.len() >= MAX_RUNS {
                return false;
            }
            self.batches.push((r32, row.batch));
        }
        self.arm.push(arm);
        self.stratum.push(stratum);
        self.probability.push(probability);
        self.block.push(row.block);
        self.position.push(row.position);
        true
    }

    /// Whether every row pushed was kept.
    pub fn kept(&self) -> bool {
        !self.dropped
    }

    /// Rows kept.
    pub fn len(&self) -> usize {
        self.arm.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arm.is_empty()
    }

    /// Row `r` as it was read, without its id (not compared with the re-derivation: the row was
    /// matched to its participant by it) and with no cluster (a row with one is not kept).
    pub fn view(&self, r: usize) -> RowView<'_> {
        let run = self
            .batches
            .partition_point(|&(first, _)| first as usize <= r);
        let arm = self.arm[r];
        RowView {
            id: "",
            arm: if arm == u16::MAX {
                UNASSIGNED
            } else {
                u32::from(arm)
            },
            stratum: &self.strata[self.stratum[r] as usize],
            cluster: None,
            probability: self.probabilities[self.probability[r] as usize],
            block: self.block[r],
            position: self.position[r],
            batch: self.batches[run - 1].1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(stratum: &'a str, arm: u32, probability: f64, batch: u32) -> RowView<'a> {
        RowView {
            id: "P1",
            arm,
            stratum,
            cluster: None,
            probability,
            block: arm.wrapping_add(7),
            position: batch * 3,
            batch,
        }
    }

    /// Every row reads back as pushed (but for the id), whatever repeats and whatever order of
    /// batches.
    #[test]
    fn rows_read_back_as_pushed() {
        let rows = [
            row("a|M", 0, 2.0 / 3.0, 1),
            row("b|F", 1, 1.0 / 3.0, 1),
            row("a|M", UNASSIGNED, f64::NAN, 1),
            row("", 1, 0.5, 2),
            row("a|M", 0, 2.0 / 3.0, 1),
            row("Åsa", 65_534, -0.0, 2),
            row("b|F", 0, 0.0, 2),
        ];
        let mut found = FoundRows::with_capacity(2);
        for r in &rows {
            found.push(r);
        }
        assert!(found.kept());
        assert_eq!(found.len(), rows.len());
        for (r, want) in rows.iter().enumerate() {
            let got = found.view(r);
            assert_eq!(got.id, "");
            assert_eq!(got.arm, want.arm);
            assert_eq!(got.stratum, want.stratum);
            assert_eq!(got.cluster, None);
            assert_eq!(got.probability.to_bits(), want.probability.to_bits());
            assert_eq!(
                (got.block, got.position, got.batch),
                (want.block, want.position, want.batch)
            );
        }
        assert_eq!(found.batches.len(), 4);
    }

    /// A row that does not fit drops what was kept, and nothing more is kept.
    #[test]
    fn a_row_that_does_not_fit_drops_all() {
        let mut found = FoundRows::with_capacity(0);
        found.push(&row("a", 0, 0.5, 1));
        found.push(&RowView {
            cluster: Some("c1"),
            ..row("a", 0, 0.5, 1)
        });
        assert!(!found.kept());
        found.push(&row("a", 0, 0.5, 1));
        assert!(!found.kept());
        assert_eq!(found.len(), 0);
        let mut found = FoundRows::with_capacity(0);
        found.push(&row("a", 65_535, 0.5, 1));
        assert!(
            !found.kept(),
            "arm 65,535 is not UNASSIGNED but does not fit"
        );
        let mut found = FoundRows::with_capacity(0);
        for s in 0..=MAX_TABLE {
            found.push(&row(&s.to_string(), 0, 0.5, 1));
        }
        assert!(!found.kept(), "65,536 strata");
        let mut found = FoundRows::with_capacity(0);
        for p in 0..=MAX_TABLE {
            found.push(&row("a", 0, p as f64, 1));
        }
        assert!(!found.kept(), "65,536 probabilities");
    }
}
