//! Tests of independence for an r × c table of counts (a text outcome, such as the reason for
//! leaving, by arm): Pearson's chi-square test without continuity correction (R's
//! `chisq.test(x, correct = FALSE)`, also for 2 × 2 tables, where Fisher's exact test stands
//! beside it), and Fisher's exact test by full enumeration of the tables with the observed
//! margins (Fisher 1935; Freeman & Halton 1951 for r × c), summing the probabilities of the
//! tables no more probable than the observed one, with R's relative tolerance 1 + 10⁻⁷ for ties
//! (`fisher.test`). The enumeration visits every table once, so it is limited to tables with at
//! most [`FISHER_TABLE_LIMIT`] completions; beyond that the test is reported as not computed,
//! with the reason, and the chi-square test stands alone.

use crate::dist::pchisq_upper;

/// The most tables Fisher's exact test enumerates (a few seconds at most).
pub const FISHER_TABLE_LIMIT: u64 = 20_000_000;

/// Pearson's chi-square test of independence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
    /// The smallest expected count (below 5 the approximation is doubtful, as R warns).
    pub min_expected: f64,
}

/// The rows and columns with a positive margin (empty ones carry no information; R drops
/// them too when it computes expected counts).
fn used(counts: &[Vec<u64>]) -> Vec<Vec<u64>> {
    let columns = counts.first().map_or(0, Vec::len);
    let keep: Vec<usize> = (0..columns)
        .filter(|&j| counts.iter().any(|r| r.get(j).copied().unwrap_or(0) > 0))
        .collect();
    counts
        .iter()
        .filter(|r| r.iter().any(|c| *c > 0))
        .map(|r| keep.iter().map(|&j| r[j]).collect())
        .collect()
}

/// Pearson's X² = Σ (O − E)² / E with E = row · column / N on (r − 1)(c − 1) df. None when the
/// table has fewer than two non-empty rows or columns (nothing to compare).
pub fn chi_square(counts: &[Vec<u64>]) -> Option<ChiSquare> {
    let table = used(counts);
    let (r, c) = (table.len(), table.first().map_or(0, Vec::len));
    if r < 2 || c < 2 {
        return None;
    }
    let rows: Vec<f64> = table.iter().map(|x| x.iter().sum::<u64>() as f64).collect();
    let cols: Vec<f64> = (0..c)
        .map(|j| table.iter().map(|x| x[j]).sum::<u64>() as f64)
        .collect();
    let total: f64 = rows.iter().sum();
    let mut statistic = 0.0;
    let mut min_expected = f64::INFINITY;
    for (i, row) in table.iter().enumerate() {
        for (j, &observed) in row.iter().enumerate() {
            let expected = rows[i] * cols[j] / total;
            min_expected = min_expected.min(expected);
            statistic += (observed as f64 - expected).powi(2) / expected;
        }
    }
    let df = ((r - 1) * (c - 1)) as f64;
    Some(ChiSquare {
        statistic,
        df,
        p_value: pchisq_upper(statistic, df),
        min_expected,
    })
}

/// Fisher's exact test of an r × c table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fisher {
    /// The p-value and the number of tables enumerated.
    Computed { p_value: f64, tables: u64 },
    /// Fewer than two non-empty rows or columns.
    NothingToCompare,
    /// More than [`FISHER_TABLE_LIMIT`] tables share the margins.
    TooLarge,
}

/// Fisher's exact test by enumeration: p = Σ P(T) over the tables T with the observed margins
/// and P(T) ≤ P(observed) · (1 + 10⁻⁷), P(T) = Π rᵢ! Π cⱼ! / (N! Π tᵢⱼ!) (the multivariate
/// hypergeometric probability; Freeman & Halton 1951).
pub fn fisher_exact(counts: &[Vec<u64>]) -> Fisher {
    let mut table = used(counts);
    let (mut r, mut c) = (table.len(), table.first().map_or(0, Vec::len));
    if r < 2 || c < 2 {
        return Fisher::NothingToCompare;
    }
    // Fill column by column, each column spread over the rows: fewer rows, fewer free cells.
    if r > c {
        table = (0..c)
            .map(|j| table.iter().map(|row| row[j]).collect())
            .collect();
        std::mem::swap(&mut r, &mut c);
    }
    let rows: Vec<u64> = table.iter().map(|x| x.iter().sum()).collect();
    let cols: Vec<u64> = (0..c).map(|j| table.iter().map(|x| x[j]).sum()).collect();
    let total: u64 = rows.iter().sum();
    let ln_factorial = ln_factorials(total as usize);
    let lf = |k: u64| ln_factorial[k as usize];
    let constant: f64 = rows.iter().map(|&x| lf(x)).sum::<f64>()
        + cols.iter().map(|&x| lf(x)).sum::<f64>()
        - lf(total);
    let observed: f64 = table.iter().flatten().map(|&x| lf(x)).sum();
    // P(T) ≤ P(obs)(1 + 1e-7)  ⇔  Σ ln tᵢⱼ! ≥ Σ ln oᵢⱼ! − ln(1 + 1e-7).
    let threshold = observed - 1e-7_f64.ln_1p();
    let mut search = Search {
        cols: &cols,
        lf: &ln_factorial,
        threshold,
        constant,
        p_value: 0.0,
        tables: 0,
    };
    let mut remaining = rows.clone();
    let mut column = vec![0_u64; r];
    if !search.column(0, &mut remaining, &mut column, 0.0) {
        return Fisher::TooLarge;
    }
    Fisher::Computed {
        p_value: search.p_value.min(1.0),
        tables: search.tables,
    }
}

/// ln k! for k = 0..=n, summed exactly in order (each term is ln of an integer).
fn ln_factorials(n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n + 1);
    let mut sum = 0.0;
    out.push(0.0);
    for k in 1..=n {
        sum += (k as f64).ln();
        out.push(sum);
    }
    out
}

struct Search<'a> {
    cols: &'a [u64],
    lf: &'a [f64],
    threshold: f64,
    constant: f64,
    p_value: f64,
    tables: u64,
}

impl Search<'_> {
    /// Fill column `j` onward given the rows' remaining totals; `partial` = Σ ln t! so far.
    /// False when the limit is reached.
    fn column(&mut self, j: usize, remaining: &mut [u64], cell: &mut [u64], partial: f64) -> bool {
        if j + 1 == self.cols.len() {
            // The last column is what the rows have left.
            let last: f64 = remaining.iter().map(|&x| self.lf[x as usize]).sum();
            let sum = partial + last;
            self.tables += 1;
            if self.tables > FISHER_TABLE_LIMIT {
                return false;
            }
            if sum >= self.threshold {
                self.p_value += (self.constant - sum).exp();
            }
            return true;
        }
        let later: u64 = self.cols[j + 1..].iter().sum();
        self.spread(j, 0, self.cols[j], later, remaining, cell, partial)
    }

    /// Spread `left` persons of column `j` over rows `i..`, leaving at most `later` (the later
    /// columns' total) in the rows for the later columns.
    #[allow(clippy::too_many_arguments)]
    fn spread(
        &mut self,
        j: usize,
        i: usize,
        left: u64,
        later: u64,
        remaining: &mut [u64],
        cell: &mut [u64],
        partial: f64,
    ) -> bool {
        let r = remaining.len();
        if i + 1 == r {
            // The last row takes what is left of the column, if it can.
            if left > remaining[i] {
                return true;
            }
            let after: u64 = remaining.iter().sum::<u64>() - left;
            if after != later {
                return true;
            }
            cell[i] = left;
            remaining[i] -= left;
            let ok = self.column(j + 1, remaining, cell, partial + self.lf[left as usize]);
            remaining[i] += left;
            return ok;
        }
        // The rows after i can take at most their remaining totals.
        let capacity_after: u64 = remaining[i + 1..].iter().sum();
        let low = left.saturating_sub(capacity_after);
        let high = left.min(remaining[i]);
        for x in low..=high {
            cell[i] = x;
            remaining[i] -= x;
            let ok = self.spread(
                j,
                i + 1,
                left - x,
                later,
                remaining,
                cell,
                partial + self.lf[x as usize],
            );
            remaining[i] += x;
            if !ok {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_by_two_matches_the_hypergeometric_sum() {
        // Fisher's tea-tasting table: 3 1 / 1 3, two-sided p = 0.4857142857142857 (R).
        match fisher_exact(&[vec![3, 1], vec![1, 3]]) {
            Fisher::Computed { p_value, tables } => {
                assert!((p_value - 34.0 / 70.0).abs() < 1e-14, "{p_value}");
                assert_eq!(tables, 5);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_rows_and_columns_are_dropped_and_a_single_row_is_no_test() {
        assert_eq!(fisher_exact(&[vec![3, 0, 1]]), Fisher::NothingToCompare);
        assert!(chi_square(&[vec![3, 0], vec![2, 0]]).is_none());
        let with_empty = chi_square(&[vec![3, 0, 1], vec![1, 0, 3]]).unwrap();
        assert_eq!(with_empty.df, 1.0);
    }

    #[test]
    fn chi_square_of_a_table_with_independence_is_zero() {
        let x = chi_square(&[vec![10, 20], vec![20, 40]]).unwrap();
        assert!(x.statistic.abs() < 1e-12);
        assert!((x.p_value - 1.0).abs() < 1e-12);
    }
}
