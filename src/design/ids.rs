//! Participant ids as the design reads them: a list of strings, or (ten million participants,
//! docs/scale.md) one text buffer with the end of each id, read in place without a `&str` per
//! id (16 bytes each, 160 MB at ten million); and the ids sorted ([`SortedIds`]), which orders
//! the units of a draw, finds repeated ids, and matches a ledger's rows to their participants.

use super::PlanError;
use rayon::prelude::*;
use std::cmp::Ordering;

/// A list of ids, id `i` for `i` in `0..count()`.
pub trait IdList: Sync + std::fmt::Debug {
    fn count(&self) -> usize;
    /// Id number `i` (`i < count()`).
    fn id(&self, i: usize) -> &str;
    /// What finding id `i` reads first, read alone (for [`TextIds`], where the id ends; 0 for
    /// a list, whose ids are found at once): a loop of these has many reads from memory in
    /// flight at once, so that [`IdList::id`] then finds them in the cache.
    fn read_ahead(&self, _i: usize) -> usize {
        0
    }
}

impl<S: AsRef<str> + Sync + std::fmt::Debug> IdList for [S] {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, i: usize) -> &str {
        self[i].as_ref()
    }
}

impl<S: AsRef<str> + Sync + std::fmt::Debug> IdList for Vec<S> {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, i: usize) -> &str {
        self[i].as_ref()
    }
}

/// Ids stored one after another in `text`; id `i` ends at byte [`TextIds::end`]`(i)` and starts
/// where id `i - 1` ends (at 0 for the first). The ends are kept as their low 32 bits (4 bytes
/// an id instead of 8: 40 MB at ten million); `wraps` lists, ascending, the ids at which the
/// text passed a multiple of 4 GiB (once for each multiple), so that an end is `(number of
/// wraps at or before the id) · 2³² + low bits`. No file of ids reaches 4 GiB in practice and
/// `wraps` is empty, but a larger one still reads right.
#[derive(Debug, Clone, Copy)]
pub struct TextIds<'a> {
    text: &'a str,
    ends: &'a [u32],
    wraps: &'a [u32],
}

impl<'a> TextIds<'a> {
    /// The ids of `text` cut at `ends` with `wraps` as above (ascending, at character
    /// boundaries, within the text; an id whose ends are not reads as empty).
    pub fn new(text: &'a str, ends: &'a [u32], wraps: &'a [u32]) -> TextIds<'a> {
        TextIds { text, ends, wraps }
    }

    /// Id number `i`, borrowed from the text.
    pub fn get(&self, i: usize) -> &'a str {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        self.text.get(start..self.end(i)).unwrap_or("")
    }

    /// The byte where id `i` ends.
    fn end(&self, i: usize) -> usize {
        let low = self.ends[i] as usize;
        if self.wraps.is_empty() {
            return low;
        }
        let high = self.wraps.partition_point(|&w| w as usize <= i);
        (high << 32) | low
    }
}

impl IdList for TextIds<'_> {
    fn count(&self) -> usize {
        self.ends.len()
    }
    fn id(&self, i: usize) -> &str {
        self.get(i)
    }
    fn read_ahead(&self, i: usize) -> usize {
        self.ends.get(i).map_or(0, |&e| e as usize)
    }
}

/// Bytes of an id held in its sort key.
const KEY_BYTES: usize = 16;

/// An id's place in the sort: its first sixteen bytes as two big-endian words padded with zero
/// bytes, its length (saturated) and its unit. Two keys with different words order as their
/// ids' bytes (a shorter id pads with 0, below every byte but 0 itself); with equal words, an id
/// of at most sixteen bytes is whole in the key and is a prefix of the other, so the shorter is
/// first; only two longer ids must compare their text. Sixteen bytes hold whole most ids
/// (`P000000123`, personal identity numbers with a century), so the sort and the ledger's
/// matching almost never read an id's text at random (with an 8-byte key, ids sharing a prefix
/// tied in groups of a hundred and reading their text was a sixth of `verify`'s time at ten
/// million rows, docs/scale.md).
#[derive(Debug, Clone, Copy)]
struct IdKey {
    words: [u64; 2],
    len: u32,
    unit: u32,
}

impl IdKey {
    fn of(id: &[u8], unit: u32) -> IdKey {
        let mut key = [0u8; KEY_BYTES];
        let take = id.len().min(KEY_BYTES);
        key[..take].copy_from_slice(&id[..take]);
        let (high, low) = key.split_at(8);
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            u64::from_be_bytes(w)
        };
        IdKey {
            words: [word(high), word(low)],
            len: u32::try_from(id.len()).unwrap_or(u32::MAX),
            unit,
        }
    }

    /// The order of the ids of `self` (whose text is `own`) and `other` (`their`), by bytes;
    /// the texts are read only when both ids are longer than the key.
    fn cmp_id<'t>(
        &self,
        other: &IdKey,
        own: impl FnOnce() -> &'t [u8],
        their: impl FnOnce() -> &'t [u8],
    ) -> Ordering {
        self.words.cmp(&other.words).then_with(|| {
            if self.len.min(other.len) as usize <= KEY_BYTES {
                self.len.cmp(&other.len)
            } else {
                own().cmp(their())
            }
        })
    }
}

/// The units sorted by id (byte order): built once per draw's participants, it orders the plan
/// ([`SortedIds::into_order`]), finds the first repeated id, and finds a ledger row's
/// participant by its id ([`SortedIds::find`]) — ledger rows come in (batch, id) order, so
/// each is found a step or two after the one before, in memory read in order, instead of by a
/// hash table whose every look-up read the table and the id's text at random (a third of
/// `verify` at ten million rows, docs/scale.md).
pub struct SortedIds {
    keys: Vec<IdKey>,
}

impl std::fmt::Debug for SortedIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SortedIds({} ids)", self.keys.len())
    }
}

/// Where the last search ended ([`SortedIds::find`]): the next id is looked for from there.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor(usize);

impl SortedIds {
    /// Sort `ids`. An empty id is an error (the first, in input order); so is a repeated id:
    /// the first unit, in input order, whose id an earlier unit has, named with the earliest
    /// unit that has it — the repeat a reader of the file meets first.
    pub fn new<I: IdList + ?Sized>(ids: &I) -> Result<SortedIds, PlanError> {
        let n = ids.count();
        if let Some(unit) = (0..n).find(|&u| ids.id(u).is_empty()) {
            return Err(PlanError::EmptyId { unit });
        }
        let text = |u: u32| ids.id(u as usize).as_bytes();
        let mut keys: Vec<IdKey> = (0..n as u32)
            .into_par_iter()
            .map(|u| IdKey::of(text(u), u))
            .collect();
        keys.par_sort_unstable_by(|a, b| {
            a.cmp_id(b, || text(a.unit), || text(b.unit))
                .then(a.unit.cmp(&b.unit))
        });
        // Equal ids are adjacent, their units ascending: the group's first pair is (earliest,
        // second); the repeat met first is the group whose second unit is smallest.
        let mut repeat: Option<PlanError> = None;
        let mut in_group = false;
        for w in keys.windows(2) {
            let same = w[0]
                .cmp_id(&w[1], || text(w[0].unit), || text(w[1].unit))
                .is_eq();
            if same && !in_group {
                let (first, unit) = (w[0].unit as usize, w[1].unit as usize);
                if !matches!(repeat, Some(PlanError::DuplicateId { unit: u, .. }) if u < unit) {
                    repeat = Some(PlanError::DuplicateId { unit, first });
                }
            }
            in_group = same;
        }
        match repeat {
            Some(e) => Err(e),
            None => Ok(SortedIds { keys }),
        }
    }

    /// The unit whose id is `id` (of `ids`, the list this was built from), searched from
    /// `cursor` onwards when `id` is not before the id there (one comparison for the next id of
    /// a ledger batch), else among all ids.
    pub fn find<I: IdList + ?Sized>(
        &self,
        ids: &I,
        id: &str,
        cursor: &mut Cursor,
    ) -> Option<usize> {
        let wanted = IdKey::of(id.as_bytes(), 0);
        let before = |k: &IdKey| {
            k.cmp_id(
                &wanted,
                || ids.id(k.unit as usize).as_bytes(),
                || id.as_bytes(),
            )
            .is_lt()
        };
        let n = self.keys.len();
        let start = cursor.0.min(n);
        let (low, high) = if start == 0 || before(&self.keys[start - 1]) {
            // Gallop: probe start, start + 1, start + 3, start + 7, …
            let (mut low, mut step) = (start, 1usize);
            let high = loop {
                let probe = low + step - 1;
                if probe >= n {
                    break n;
                }
                if before(&self.keys[probe]) {
                    low = probe + 1;
                    step *= 2;
                } else {
                    break probe + 1;
                }
            };
            (low, high)
        } else {
            (0, start)
        };
        let at = low + self.keys[low..high].partition_point(before);
        cursor.0 = at;
        let key = self.keys.get(at)?;
        let equal = key
            .cmp_id(
                &wanted,
                || ids.id(key.unit as usize).as_bytes(),
                || id.as_bytes(),
            )
            .is_eq();
        equal.then(|| {
            cursor.0 = at + 1;
            key.unit as usize
        })
    }

    /// The units in id order.
    pub fn into_order(self) -> Vec<u32> {
        self.keys.into_iter().map(|k| k.unit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ids_cut_the_buffer_at_the_ends() {
        let ids = TextIds::new("abÅsac", &[2, 2, 5, 7], &[]);
        let all: Vec<&str> = (0..ids.count()).map(|i| ids.id(i)).collect();
        assert_eq!(all, ["ab", "", "Ås", "ac"]);
        assert_eq!(TextIds::new("abÅ", &[3], &[]).id(0), "", "inside `Å`");
        assert_eq!(TextIds::new("ab", &[2, 1], &[]).id(1), "");
        assert_eq!(TextIds::new("ab", &[3], &[]).id(0), "");
        // An end past 4 GiB (id 1 wraps): read as 2³² + 1, outside this short text.
        let wrapped = TextIds::new("abc", &[1, 1, 2], &[1]);
        assert_eq!(wrapped.end(0), 1);
        assert_eq!(wrapped.end(1), (1 << 32) + 1);
        assert_eq!(wrapped.end(2), (1 << 32) + 2);
        assert_eq!(wrapped.id(0), "a");
        assert_eq!(wrapped.id(1), "");
    }

    /// Ids made to defeat a prefix key: shared prefixes longer than the key, ids that are
    /// prefixes of others, zero bytes (where the padding and a real byte meet), non-ASCII text.
    fn adversarial_ids() -> Vec<String> {
        let mut ids: Vec<String> = vec![
            "P000000123".into(),
            "P000000012".into(),
            "P0000001".into(),
            "P0000001\0".into(),
            "P000000".into(),
            "\0".into(),
            "\0\0".into(),
            "Åsa-01".into(),
            "Zed".into(),
            "a".into(),
            "aaaaaaaaaaaaaaaa".into(),
            "aaaaaaaaaaaaaaaa\0".into(),
            "aaaaaaaaaaaaaaaaaaab".into(),
            "aaaaaaaaaaaaaaaaaaaa".into(),
            "aaaaaaaaaaaaaaaaaaa".into(),
        ];
        let mut stream = crate::rng::Stream::new(1, "test/ids");
        for _ in 0..2000 {
            let len = 1 + stream.below(22) as usize;
            ids.push(
                (0..len)
                    .map(|_| char::from(b"P0\x0019"[stream.below(5) as usize]))
                    .collect(),
            );
        }
        ids.sort();
        ids.dedup();
        stream.shuffle(&mut ids);
        ids
    }

    /// The keyed sort gives exactly the order of comparing the ids' bytes.
    #[test]
    fn sorting_by_key_is_sorting_by_id() {
        let ids = adversarial_ids();
        let mut want: Vec<u32> = (0..ids.len() as u32).collect();
        want.sort_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
        assert_eq!(SortedIds::new(&ids).unwrap().into_order(), want);
    }

    /// Every id is found, whatever the order of the search (a batch in id order, ids out of
    /// order, a cursor left anywhere), and ids not in the list are not.
    #[test]
    fn finds_every_id_from_any_cursor() {
        let ids = adversarial_ids();
        let sorted = SortedIds::new(&ids).unwrap();
        let order: Vec<u32> = SortedIds::new(&ids).unwrap().into_order();
        // In id order, as a ledger batch: each found from the one before.
        let mut cursor = Cursor::default();
        for &u in &order {
            assert_eq!(
                sorted.find(&ids, &ids[u as usize], &mut cursor),
                Some(u as usize)
            );
        }
        // In input order, and again from a cursor past the end.
        for (u, id) in ids.iter().enumerate() {
            assert_eq!(sorted.find(&ids, id, &mut cursor), Some(u), "{id:?}");
        }
        let mut far = Cursor(ids.len() + 5);
        assert_eq!(sorted.find(&ids, &ids[0], &mut far), Some(0));
        let mut cursor = Cursor::default();
        for missing in [
            "",
            "P0000001\0\0",
            "aaaaaaaaaaaaaaaaaaaab",
            "zzz",
            "aaaaaaaaaaaaaaa",
        ] {
            if !ids.iter().any(|i| i == missing) {
                assert_eq!(sorted.find(&ids, missing, &mut cursor), None, "{missing:?}");
            }
        }
    }

    /// A repeated id names the repeat a reader meets first (the smallest second unit) and the
    /// earliest unit with that id, not the repeat that sorts first.
    #[test]
    fn a_repeated_id_names_the_first_repeat_in_input_order() {
        let ids = ["zz", "b", "zz", "b", "zz", ""];
        assert_eq!(
            SortedIds::new(&ids[..5]).err(),
            Some(PlanError::DuplicateId { unit: 2, first: 0 })
        );
        let long = [
            "x-very-long-identifier-1",
            "a",
            "x-very-long-identifier-2",
            "a",
            "x-very-long-identifier-1",
        ];
        assert_eq!(
            SortedIds::new(&long[..]).err(),
            Some(PlanError::DuplicateId { unit: 3, first: 1 })
        );
        assert_eq!(
            SortedIds::new(&ids[..]).err(),
            Some(PlanError::EmptyId { unit: 5 })
        );
    }
}
