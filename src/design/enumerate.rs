//! Every assignment a design could have made, counted and listed in a fixed order, for exact
//! randomization inference (issue 14).
//!
//! A design whose randomization is *complete randomization at fixed counts within independent
//! segments* (strata × enrolment batches; the units are clusters when the design has them, so a
//! matched pair of municipalities is a segment of two) assigns each segment one of the
//! arrangements of a multiset of labels, all equally likely: a Fisher–Yates shuffle of the labels
//! (docs/randomization.md §3) is uniform over them. The distinct assignments of the whole design
//! are the product of the segments' arrangements, so their number is a product of multinomial
//! coefficients, n!/(n₁!·…·n_K!) per segment (for two arms, the binomial C(n, n₁)): 70 for 8
//! municipalities 4:4, 2⁴ = 16 for 4 matched pairs. Listing all N of them and counting the
//! statistics at least as extreme gives the exact randomization p-value k/N (Fisher 1935;
//! Imbens & Rubin 2015, ch. 5), with no Monte Carlo error.
//!
//! A segment may also draw its counts: under the misfit policy `strata` with equal ratios the
//! leftover units go to a uniformly chosen set of arms; every such set is equally likely and
//! gives the same number of arrangements, so the union is still uniform. Designs whose
//! assignments are not equally likely (permuted blocks of random sizes, weighted or pooled
//! misfits) are not enumerated: [`crate::design::AssignmentPlan::enumeration`] says None and
//! randomization inference samples instead.
//!
//! Order: assignment number r is written in mixed radix over the segments (the first segment
//! varies fastest); within a segment, r picks the option (count vector) and then the arrangement
//! in lexicographic order of the label sequence, by the standard unranking of multiset
//! permutations (Knuth, TAOCP 4A, §7.2.1.2). No randomness is involved.

/// The label of a unit a segment leaves unassigned (the design's `UNASSIGNED`).
pub use super::plan::UNASSIGNED;

/// One segment: its members, the distinct labels in ascending order, and the count vectors it
/// may receive (each equally likely, each with `arrangements` arrangements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Member indices (positions in the enumeration's output) in the order labels are laid out.
    pub members: Vec<usize>,
    /// The distinct labels, ascending.
    pub labels: Vec<u32>,
    /// Count vectors over `labels`, each summing to `members.len()`.
    pub options: Vec<Vec<usize>>,
}

/// The assignments of a design, counted, and each one computable from its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enumeration {
    members: usize,
    segments: Vec<Segment>,
    /// Per segment: arrangements of one option.
    arrangements: Vec<u128>,
    /// The number of distinct assignments (saturated at `u128::MAX`).
    count: u128,
}

/// The multinomial coefficient n!/(c₁!·…·c_K!), saturated at `u128::MAX`.
pub fn multinomial(counts: &[usize]) -> u128 {
    // Product of binomials C(c₁ + … + c_j, c_j), each by the multiplicative formula, in which
    // every partial product is itself a binomial coefficient and so divides exactly.
    let mut total: u128 = 1;
    let mut n: u128 = 0;
    for &c in counts {
        let mut binomial: u128 = 1;
        for i in 1..=c as u128 {
            n += 1;
            binomial = match binomial.checked_mul(n) {
                Some(v) => v / i,
                None => return u128::MAX,
            };
        }
        total = match total.checked_mul(binomial) {
            Some(v) => v,
            None => return u128::MAX,
        };
    }
    total
}

impl Enumeration {
    /// The enumeration of `members` units in independent `segments`. None when a segment's
    /// options do not all have the same number of arrangements (its assignments would not be
    /// equally likely) or do not fit its members.
    pub fn new(members: usize, segments: Vec<Segment>) -> Option<Enumeration> {
        let mut arrangements = Vec::with_capacity(segments.len());
        let mut count: u128 = 1;
        for s in &segments {
            let first = s.options.first()?;
            let per = multinomial(first);
            let fits = s.options.iter().all(|o| {
                o.len() == s.labels.len()
                    && o.iter().sum::<usize>() == s.members.len()
                    && multinomial(o) == per
            });
            if !fits || s.members.iter().any(|&m| m >= members) {
                return None;
            }
            arrangements.push(per);
            count = count.saturating_mul(per.saturating_mul(s.options.len() as u128));
        }
        Some(Enumeration {
            members,
            segments,
            arrangements,
            count,
        })
    }

    /// The number of distinct assignments (`u128::MAX` when it does not fit).
    pub fn count(&self) -> u128 {
        self.count
    }

    /// Assignment number `index` (0 ≤ index < count): the label of every member. An index past
    /// the end wraps around.
    pub fn assignment(&self, index: u128) -> Vec<u32> {
        let mut out = vec![UNASSIGNED; self.members];
        let mut rest = index;
        for (s, &per) in self.segments.iter().zip(&self.arrangements) {
            let size = per.saturating_mul(s.options.len() as u128).max(1);
            let mut local = rest % size;
            rest /= size;
            let option = (local / per.max(1)) as usize;
            local %= per.max(1);
            let mut counts = s.options[option.min(s.options.len() - 1)].clone();
            let mut remaining = s.members.len();
            let mut arrangements = per;
            for &member in &s.members {
                // Arrangements that put label a here: arrangements · c_a / remaining (exact).
                for (a, c) in counts.iter_mut().enumerate() {
                    if *c == 0 {
                        continue;
                    }
                    let block = arrangements / remaining as u128 * *c as u128
                        + arrangements % remaining as u128 * *c as u128 / remaining as u128;
                    if local < block {
                        out[member] = s.labels[a];
                        *c -= 1;
                        arrangements = block;
                        break;
                    }
                    local -= block;
                }
                remaining -= 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn two_arms(n: usize, treated: usize) -> Segment {
        Segment {
            members: (0..n).collect(),
            labels: vec![0, 1],
            options: vec![vec![treated, n - treated]],
        }
    }

    #[test]
    fn multinomials_are_exact() {
        assert_eq!(multinomial(&[4, 4]), 70);
        assert_eq!(multinomial(&[8, 8]), 12_870);
        assert_eq!(multinomial(&[2, 2, 2]), 90);
        assert_eq!(multinomial(&[1, 1]), 2);
        assert_eq!(multinomial(&[]), 1);
        assert_eq!(multinomial(&[3000, 3000]), u128::MAX);
    }

    #[test]
    fn eight_clusters_four_treated_give_seventy_distinct_assignments_in_lexicographic_order() {
        let e = Enumeration::new(8, vec![two_arms(8, 4)]).unwrap();
        assert_eq!(e.count(), 70);
        let all: Vec<Vec<u32>> = (0..70).map(|r| e.assignment(r)).collect();
        let distinct: BTreeSet<&Vec<u32>> = all.iter().collect();
        assert_eq!(distinct.len(), 70);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "lexicographic order");
        assert!(
            all.iter()
                .all(|a| a.iter().filter(|&&l| l == 0).count() == 4)
        );
        assert_eq!(all[0], vec![0, 0, 0, 0, 1, 1, 1, 1]);
        assert_eq!(all[69], vec![1, 1, 1, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn matched_pairs_are_a_product_of_segments() {
        let pairs: Vec<Segment> = (0..4)
            .map(|p| Segment {
                members: vec![2 * p, 2 * p + 1],
                labels: vec![0, 1],
                options: vec![vec![1, 1]],
            })
            .collect();
        let e = Enumeration::new(8, pairs).unwrap();
        assert_eq!(e.count(), 16);
        let distinct: BTreeSet<Vec<u32>> = (0..16).map(|r| e.assignment(r)).collect();
        assert_eq!(distinct.len(), 16);
        for a in &distinct {
            for p in 0..4 {
                assert_ne!(a[2 * p], a[2 * p + 1]);
            }
        }
    }

    #[test]
    fn options_with_equal_arrangements_are_a_uniform_union() {
        // Three units, two arms 1:1, the odd one to either arm: (2,1) or (1,2).
        let s = Segment {
            members: vec![2, 0, 1],
            labels: vec![0, 1],
            options: vec![vec![2, 1], vec![1, 2]],
        };
        let e = Enumeration::new(3, vec![s]).unwrap();
        assert_eq!(e.count(), 6);
        let distinct: BTreeSet<Vec<u32>> = (0..6).map(|r| e.assignment(r)).collect();
        assert_eq!(distinct.len(), 6);
        // Unequal arrangements (4 vs 6) would not be equally likely.
        let unequal = Segment {
            members: vec![0, 1, 2, 3],
            labels: vec![0, 1],
            options: vec![vec![3, 1], vec![2, 2]],
        };
        assert!(Enumeration::new(4, vec![unequal]).is_none());
    }

    #[test]
    fn unassigned_units_are_a_label() {
        let s = Segment {
            members: vec![0, 1, 2],
            labels: vec![0, 1, UNASSIGNED],
            options: vec![vec![1, 1, 1]],
        };
        let e = Enumeration::new(3, vec![s]).unwrap();
        assert_eq!(e.count(), 6);
        assert_eq!(e.assignment(5), vec![UNASSIGNED, 1, 0]);
    }
}
