//! Categorical values as integer codes: every place in lotta that turns a column of values (arm
//! labels, strata, clusters, subgroups, text covariates, stratum tuples) into codes `0..k` and
//! the list of its `k` distinct values (its levels) does it here. Pure: no files.
//!
//! The level order is part of the output, and there are exactly two:
//!
//! - **First seen** ([`Codes::first_seen`], [`Coder`], [`first_seen_levels`]): level 0 is the
//!   first value in row order, level 1 the next value not seen before, and so on. Columns coded
//!   while they are read row by row (the participants file), the strata and clusters handed to
//!   the assignment plan (which then orders strata by key and clusters by name itself, so a
//!   draw never depends on the input order), and the report's series, in the order the tables
//!   list them.
//! - **Sorted** ([`Codes::sorted`], [`Codes::into_sorted`], [`sorted_levels`]): levels in
//!   ascending `Ord` order; for text that is byte order, never a language's collation, so `B`
//!   < `a` and `Ö` sorts after `z` (R's `factor()` levels under `LC_COLLATE=C`, as the R
//!   reference scripts set). The assignment plan sorts its strata keys so (part of the ledger's
//!   determinism, never changed).
//! - **Level order** ([`Codes::into_level_order`], [`Codes::in_level_order`],
//!   [`levels_in_order`], one comparison: [`compare_levels`]): the order of a column's levels
//!   wherever the analysis and its tables list them (subgroups, strata, clusters, arms after the
//!   control, text covariates, the balance table, the cost subgroups). When every level reads as
//!   a finite number the levels sort as numbers (1, 2, 10; ties such as `1` and `1.0` by bytes),
//!   as R's `sort(unique(x))` on a numeric column; otherwise, text or mixed, byte order as above
//!   (issue 12). The first level is the reference category of a text covariate and, unless the
//!   study chooses another, of the subgroup differences (`g=10 - g=1`; issue 15).
//!
//! Codes are `usize`; a caller that keeps millions of them converts to `u32`.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::Hash;

/// The hasher of lotta's look-up tables: foldhash with a fixed seed. The tables only find a
/// value's code (their iteration order is never used), the keys are short (a site, a stratum
/// tuple), and a file is not an attacker, so SipHash's resistance to chosen collisions buys
/// nothing and costs most of a look-up (docs/scale.md). Fixed, not random, so that a run's
/// work does not depend on a seed drawn at start.
pub type FastHash = foldhash::fast::FixedState;

/// Codes values as they come, in first-seen order: the first value gets 0, the next new value
/// 1, and so on. For columns coded while they are read, or alongside checks that name the
/// failing row; [`Codes::first_seen`] codes a whole column at once.
#[derive(Debug, Clone)]
pub struct Coder<K> {
    index: HashMap<K, usize, FastHash>,
    levels: Vec<K>,
}

impl<K> Default for Coder<K> {
    fn default() -> Self {
        Coder {
            index: HashMap::default(),
            levels: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Coder<K> {
    pub fn new() -> Self {
        Coder::default()
    }

    /// The code of `value`; a value not seen before gets the next code, [`Coder::len`] before
    /// the call (so `code == len` before the call tells a new level).
    pub fn code(&mut self, value: K) -> usize {
        if let Some(c) = self.find(&value) {
            return c;
        }
        let c = self.levels.len();
        self.levels.push(value.clone());
        self.index.insert(value, c);
        c
    }

    /// [`Coder::code`] of a borrowed value, copied only when it is new (a `&str` for a `String`
    /// coder, a `&[u32]` for a `Vec<u32>` one).
    pub fn code_ref<Q>(&mut self, value: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.find(value) {
            Some(c) => c,
            None => self.code(value.to_owned()),
        }
    }

    /// Up to this many levels (an arm, a gender, a site) a value is compared with each level,
    /// which costs less than hashing it; beyond, it is looked up by hash. The codes are the
    /// same either way.
    const SCAN: usize = 16;

    /// The code of a value seen before.
    fn find<Q>(&self, value: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.levels.len() <= Self::SCAN {
            self.levels.iter().position(|l| l.borrow() == value)
        } else {
            self.index.get(value).copied()
        }
    }

    /// The number of levels so far.
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// The levels so far, in first-seen order (`levels()[c]` is the value coded `c`).
    pub fn levels(&self) -> &[K] {
        &self.levels
    }

    /// The levels, in first-seen order.
    pub fn into_levels(self) -> Vec<K> {
        self.levels
    }
}

/// A coded column: `levels[codes[i]]` is value `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codes<K> {
    pub codes: Vec<usize>,
    pub levels: Vec<K>,
}

impl<K: Hash + Eq + Clone> Codes<K> {
    /// Levels in order of first appearance.
    pub fn first_seen(values: impl IntoIterator<Item = K>) -> Codes<K> {
        let mut coder = Coder::new();
        let codes = values.into_iter().map(|v| coder.code(v)).collect();
        Codes {
            codes,
            levels: coder.into_levels(),
        }
    }
}

impl<K: Hash + Eq + Clone + Ord> Codes<K> {
    /// Levels sorted ascending (text: byte order).
    pub fn sorted(values: impl IntoIterator<Item = K>) -> Codes<K> {
        Codes::first_seen(values).into_sorted()
    }
}

impl<K: Ord> Codes<K> {
    /// The same column with its levels sorted ascending and the codes renumbered to match.
    /// Equal levels (which a [`Coder`] never makes) would keep their order.
    pub fn into_sorted(self) -> Codes<K> {
        self.into_sorted_by(K::cmp)
    }
}

impl<K: AsRef<str>> Codes<K> {
    /// The same column with its levels in level order ([`compare_levels`]) and the codes
    /// renumbered to match.
    pub fn into_level_order(self) -> Codes<K> {
        let numeric = all_numbers(self.levels.iter().map(AsRef::as_ref));
        self.into_sorted_by(|a, b| compare_levels(numeric, a.as_ref(), b.as_ref()))
    }
}

impl<K: AsRef<str> + Hash + Eq + Clone> Codes<K> {
    /// Levels in level order ([`compare_levels`]).
    pub fn in_level_order(values: impl IntoIterator<Item = K>) -> Codes<K> {
        Codes::first_seen(values).into_level_order()
    }
}

/// Whether every level reads as a finite number (then the levels sort as numbers).
pub fn all_numbers<'a>(levels: impl IntoIterator<Item = &'a str>) -> bool {
    levels.into_iter().all(|l| as_number(l).is_some())
}

fn as_number(level: &str) -> Option<f64> {
    level.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The one comparison of levels: as numbers when `numeric` (every level of the column is a
/// number, [`all_numbers`]; equal numbers written differently, `1` and `1.0`, by bytes), else
/// byte order.
pub fn compare_levels(numeric: bool, a: &str, b: &str) -> Ordering {
    if numeric && let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
        return x.total_cmp(&y).then_with(|| a.cmp(b));
    }
    a.cmp(b)
}

/// The distinct values in level order ([`compare_levels`]).
pub fn levels_in_order<K: AsRef<str> + Ord>(values: impl IntoIterator<Item = K>) -> Vec<K> {
    let mut levels = sorted_levels(values);
    let numeric = all_numbers(levels.iter().map(AsRef::as_ref));
    if numeric {
        levels.sort_by(|a, b| compare_levels(true, a.as_ref(), b.as_ref()));
    }
    levels
}

impl<K> Codes<K> {
    /// The same column with its levels sorted by `compare` and the codes renumbered to match.
    pub fn into_sorted_by(self, mut compare: impl FnMut(&K, &K) -> Ordering) -> Codes<K> {
        let mut order: Vec<(K, usize)> = self
            .levels
            .into_iter()
            .enumerate()
            .map(|(c, level)| (level, c))
            .collect();
        order.sort_by(|a, b| compare(&a.0, &b.0));
        let mut rank = vec![0; order.len()];
        for (new, (_, old)) in order.iter().enumerate() {
            rank[*old] = new;
        }
        let mut codes = self.codes;
        for c in &mut codes {
            *c = rank[*c];
        }
        Codes {
            codes,
            levels: order.into_iter().map(|(level, _)| level).collect(),
        }
    }
}

impl<K> Codes<K> {
    /// The same codes with each level converted (e.g. `&str` → `String`, a tuple → its label).
    pub fn map_levels<L>(self, f: impl FnMut(K) -> L) -> Codes<L> {
        Codes {
            codes: self.codes,
            levels: self.levels.into_iter().map(f).collect(),
        }
    }

    /// The codes as `u32`, for columns kept compactly.
    pub fn codes_u32(&self) -> Vec<u32> {
        self.codes.iter().map(|&c| c as u32).collect()
    }
}

/// The distinct values, sorted ascending (text: byte order).
pub fn sorted_levels<K: Ord>(values: impl IntoIterator<Item = K>) -> Vec<K> {
    let mut levels: Vec<K> = values.into_iter().collect();
    levels.sort_unstable();
    levels.dedup();
    levels
}

/// The distinct values, in order of first appearance.
pub fn first_seen_levels<K: Hash + Eq + Clone>(values: impl IntoIterator<Item = K>) -> Vec<K> {
    let mut coder = Coder::new();
    for v in values {
        coder.code(v);
    }
    coder.into_levels()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_seen_numbers_levels_by_first_appearance() {
        let c = Codes::first_seen(["s", "n", "s", "m", "n"]);
        assert_eq!(c.levels, ["s", "n", "m"]);
        assert_eq!(c.codes, [0, 1, 0, 2, 1]);
        assert_eq!(c.codes_u32(), [0u32, 1, 0, 2, 1]);
        let empty = Codes::<&str>::first_seen([]);
        assert!(empty.codes.is_empty() && empty.levels.is_empty());
    }

    #[test]
    fn sorted_uses_byte_order_and_renumbers() {
        // Byte order: "B" (0x42) < "a" (0x61) < "b" < "z" < "Ö" (0xC3 0x96), and "10" < "9".
        let c = Codes::sorted(["z", "a", "Ö", "B", "a", "b"]);
        assert_eq!(c.levels, ["B", "a", "b", "z", "Ö"]);
        assert_eq!(c.codes, [3, 1, 4, 0, 1, 2]);
        let numbers = Codes::sorted(["9", "10", "9"]);
        assert_eq!(numbers.levels, ["10", "9"]);
        assert_eq!(numbers.codes, [1, 0, 1]);
        // Sorting a first-seen coding gives the same as coding sorted.
        let values = ["c", "a", "c", "b"];
        assert_eq!(
            Codes::first_seen(values).into_sorted(),
            Codes::sorted(values)
        );
        // Codes of numbers sort numerically.
        let k = Codes::sorted([7usize, 3, 7, 12]);
        assert_eq!((k.levels, k.codes), (vec![3, 7, 12], vec![1, 0, 1, 2]));
    }

    #[test]
    fn level_order_sorts_numbers_as_numbers_and_text_or_mixed_by_bytes() {
        let c = Codes::in_level_order(["10", "2", "1", "2", "1.5"]);
        assert_eq!(c.levels, ["1", "1.5", "2", "10"]);
        assert_eq!(c.codes, [3, 2, 0, 2, 1]);
        assert_eq!(levels_in_order(["10", "-3", "2"]), ["-3", "2", "10"]);
        // Equal numbers written differently: by bytes.
        assert_eq!(levels_in_order(["1.0", "1", "0"]), ["0", "1", "1.0"]);
        // Text, or numbers mixed with text: byte order.
        assert_eq!(levels_in_order(["b", "B", "a"]), ["B", "a", "b"]);
        assert_eq!(levels_in_order(["10", "2", "x"]), ["10", "2", "x"]);
        assert_eq!(levels_in_order(["10", "2", "inf"]), ["10", "2", "inf"]);
        // The assignment's byte order is not changed.
        assert_eq!(Codes::sorted(["10", "2"]).levels, ["10", "2"]);
    }

    #[test]
    fn the_coder_codes_row_by_row_and_copies_only_new_values() {
        let mut coder: Coder<String> = Coder::new();
        assert!(coder.is_empty());
        let codes: Vec<usize> = ["x", "y", "x"].iter().map(|v| coder.code_ref(*v)).collect();
        assert_eq!(codes, [0, 1, 0]);
        assert_eq!(coder.levels(), ["x", "y"]);
        // A new level gets code len().
        let before = coder.len();
        assert_eq!(coder.code("z".to_string()), before);
        assert_eq!(coder.into_levels(), ["x", "y", "z"]);
        let mut tuples: Coder<Vec<u32>> = Coder::new();
        assert_eq!(tuples.code_ref(&[1u32, 2][..]), 0);
        assert_eq!(tuples.code_ref(&[1u32, 3][..]), 1);
        assert_eq!(tuples.code_ref(&[1u32, 2][..]), 0);
    }

    #[test]
    fn levels_only_and_mapping() {
        assert_eq!(sorted_levels(["b", "a", "b"]), ["a", "b"]);
        assert_eq!(first_seen_levels(["b", "a", "b"]), ["b", "a"]);
        let c = Codes::sorted(["b", "a"]).map_levels(|l| format!("g={l}"));
        assert_eq!(c.levels, ["g=a", "g=b"]);
        assert_eq!(c.codes, [1, 0]);
    }
}
