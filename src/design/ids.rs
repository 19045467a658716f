//! Participant ids as the design reads them: a list of strings, or (ten million participants,
//! docs/scale.md) one text buffer with the end of each id, read in place without a `&str` per
//! id (16 bytes each, 160 MB at ten million); and the ids sorted ([`SortedIds`]), which orders
//! the units of a draw, finds repeated ids, and matches a ledger's rows to their participants.

use super::PlanError;
use super::prefetch::prefetch;
use rayon::prelude::*;
use std::cmp::Ordering;

/// A list of ids, id `i` for `i` in `0..count()`.
pub trait IdList: Sync + std::fmt::Debug {
    fn count(&self) -> usize;
    /// Id number `i` (`i < count()`).
    fn id(&self, i: usize) -> &str;
    /// Start reading (a [`prefetch`] hint) what finding id `i` reads first: for [`TextIds`],
    /// where it starts and ends.
    fn prefetch_place(&self, _i: usize) {}
    /// Start reading id `i`'s text, once its place was read (or prefetched a while ago).
    fn prefetch_text(&self, _i: usize) {}
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
    fn prefetch_place(&self, i: usize) {
        prefetch(i.checked_sub(1).and_then(|before| self.ends.get(before)));
        prefetch(self.ends.get(i));
    }
    fn prefetch_text(&self, i: usize) {
        if i < self.ends.len() {
            let start = if i == 0 { 0 } else { self.end(i - 1) };
            prefetch(self.text.as_bytes().get(start));
        }
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

/// Keys below which the comparison sort is used: a radix sort's counting and its second
/// list cost more than they save on short lists.
const RADIX_MIN_KEYS: usize = 1 << 16;

/// Key bytes a radix sort orders by: the two words, then the length.
const RADIX_DIGITS: usize = 2 * 8 + 4;

/// Byte `digit` of `key`'s sort order, counted from the least significant: the length's four
/// bytes, then the second word's eight, then the first word's.
fn radix_digit(key: &IdKey, digit: usize) -> usize {
    let byte = match digit {
        0..4 => u64::from(key.len) >> (8 * digit),
        4..12 => key.words[1] >> (8 * (digit - 4)),
        _ => key.words[0] >> (8 * (digit - 12)),
    };
    (byte & 0xff) as usize
}

/// Sort `keys`, made in unit order and each holding its whole id (no id longer than
/// [`KEY_BYTES`]), into the order of [`SortedIds::new`]'s comparison sort: by (words, length,
/// unit). A radix sort that reads the keys in order (sorting the keys by comparison was a tenth
/// of `assign` and `verify` at ten million participants, docs/scale.md). A digit that is the
/// same in every key (the padding of short ids, their common prefix, the length of ids of one
/// length) is skipped. The keys are split in place by
/// their most significant digit that differs (no second list of ten million keys: `assign`'s
/// memory limit), then each part is sorted by the digits below it, least significant first,
/// through a list as long as the part (ids such as `P000000123`: ten parts and six passes over
/// each), the parts in parallel. The split does not keep the order of equal keys, so runs of
/// equal ids (repeats, which are refused) are put back in unit order at the end.
fn radix_sort_whole_keys(keys: &mut [IdKey]) {
    let n = keys.len();
    // Least significant first.
    let varying = varying_digits(keys);
    let Some((&top, lower)) = varying.split_last() else {
        // Every key equal: already in unit order.
        return;
    };
    let mut counts = [0usize; 256];
    for key in keys.iter() {
        counts[radix_digit(key, top)] += 1;
    }
    let mut ends = [0usize; 256];
    let mut at = 0;
    for (end, &c) in ends.iter_mut().zip(counts.iter()) {
        at += c;
        *end = at;
    }
    // In place (American flag sort): each key is swapped straight into its part.
    let mut next = [0usize; 256];
    next[1..].copy_from_slice(&ends[..255]);
    for part in 0..256 {
        while next[part] < ends[part] {
            let d = radix_digit(&keys[next[part]], top);
            if d == part {
                next[part] += 1;
            } else {
                keys.swap(next[part], next[d]);
                next[d] += 1;
            }
        }
    }
    crate::parts::split_lengths(keys, counts.iter().copied())
        .into_iter()
        .filter(|part| part.len() > 1 && !lower.is_empty())
        .collect::<Vec<_>>()
        .into_par_iter()
        .for_each_init(Vec::new, |buffer, part| lsd_radix_sort(part, buffer, lower));
    // Runs of equal ids back in unit order.
    let same = |a: &IdKey, b: &IdKey| a.words == b.words && a.len == b.len;
    let mut run_start = 0;
    for i in 1..=n {
        if i == n || !same(&keys[i - 1], &keys[i]) {
            if i - run_start > 1 {
                keys[run_start..i].sort_unstable_by_key(|k| k.unit);
            }
            run_start = i;
        }
    }
}

/// The digits (least significant first) in which some key differs from the first: the bits
/// that differ gathered in one pass of three exclusive ors, instead of counting every digit.
fn varying_digits(keys: &[IdKey]) -> Vec<usize> {
    let Some(first) = keys.first() else {
        return Vec::new();
    };
    let mut differ = IdKey {
        words: [0; 2],
        len: 0,
        unit: 0,
    };
    for key in keys {
        differ.words[0] |= key.words[0] ^ first.words[0];
        differ.words[1] |= key.words[1] ^ first.words[1];
        differ.len |= key.len ^ first.len;
    }
    (0..RADIX_DIGITS)
        .filter(|&d| radix_digit(&differ, d) != 0)
        .collect()
}

/// Sort `keys` stably by the digits `digits` (least significant first), through `buffer`.
fn lsd_radix_sort(keys: &mut [IdKey], buffer: &mut Vec<IdKey>, digits: &[usize]) {
    let n = keys.len();
    let mut counts = vec![[0usize; 256]; digits.len()];
    for key in keys.iter() {
        for (count, &digit) in counts.iter_mut().zip(digits) {
            count[radix_digit(key, digit)] += 1;
        }
    }
    buffer.clear();
    buffer.resize(
        n,
        IdKey {
            words: [0; 2],
            len: 0,
            unit: 0,
        },
    );
    let mut in_keys = true;
    for (count, &digit) in counts.iter().zip(digits) {
        if count.contains(&n) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut at = 0;
        for (slot, &c) in next.iter_mut().zip(count.iter()) {
            *slot = at;
            at += c;
        }
        let (from, to): (&[IdKey], &mut [IdKey]) = if in_keys {
            (&*keys, &mut buffer[..])
        } else {
            (&buffer[..], &mut *keys)
        };
        for key in from {
            let d = radix_digit(key, digit);
            to[next[d]] = *key;
            next[d] += 1;
        }
        in_keys = !in_keys;
    }
    if !in_keys {
        keys.copy_from_slice(&buffer[..]);
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
        if keys.len() >= RADIX_MIN_KEYS && keys.iter().all(|k| k.len as usize <= KEY_BYTES) {
            radix_sort_whole_keys(&mut keys);
        } else {
            keys.par_sort_unstable_by(|a, b| {
                a.cmp_id(b, || text(a.unit), || text(b.unit))
                    .then(a.unit.cmp(&b.unit))
            });
        }
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

    /// The sort keys of `ids`, unit i for the i-th id.
    fn keys_of(ids: &[String]) -> Vec<IdKey> {
        ids.iter()
            .enumerate()
            .map(|(u, id)| IdKey::of(id.as_bytes(), u as u32))
            .collect()
    }

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

    /// The keys of `ids` sorted by the comparison sort (the general path), as (unit, length).
    fn compared_order(ids: &[String]) -> Vec<(u32, u32)> {
        let mut keys = keys_of(ids);
        keys.sort_unstable_by(|a, b| {
            a.cmp_id(
                b,
                || ids[a.unit as usize].as_bytes(),
                || ids[b.unit as usize].as_bytes(),
            )
            .then(a.unit.cmp(&b.unit))
        });
        keys.iter().map(|k| (k.unit, k.len)).collect()
    }

    /// Short ids (at most the key's sixteen bytes) of every length, with zero bytes, bytes
    /// above 0x7f, a shared prefix and repeats: the radix sort orders their keys exactly as
    /// the comparison sort, equal ids in unit order.
    #[test]
    fn radix_sort_is_the_comparison_sort() {
        let mut stream = crate::rng::Stream::new(7, "test/radix");
        let alphabet = ["\0", "0", "1", "9", "P", "Å", "z"];
        let mut ids: Vec<String> = (0..5000)
            .map(|i| {
                let len = 1 + stream.below(16) as usize;
                let mut id: String = if i % 3 == 0 {
                    "P00".into()
                } else {
                    String::new()
                };
                while id.len() < len {
                    id.push_str(alphabet[stream.below(alphabet.len() as u64) as usize]);
                }
                while id.len() > KEY_BYTES {
                    id.pop();
                }
                id
            })
            .collect();
        // Repeats, far apart in unit order.
        for i in 0..200 {
            let copy = ids[i * 7].clone();
            ids.push(copy);
        }
        assert!(ids.iter().all(|id| id.len() <= KEY_BYTES));
        let mut keys = keys_of(&ids);
        radix_sort_whole_keys(&mut keys);
        let radix: Vec<(u32, u32)> = keys.iter().map(|k| (k.unit, k.len)).collect();
        assert_eq!(radix, compared_order(&ids));
        // Every key the same in all but one digit, and all equal (no pass at all).
        let same: Vec<String> = (0..300).map(|i| format!("P0000{}", i % 10)).collect();
        let mut keys = keys_of(&same);
        radix_sort_whole_keys(&mut keys);
        assert_eq!(
            keys.iter().map(|k| (k.unit, k.len)).collect::<Vec<_>>(),
            compared_order(&same)
        );
        let equal = vec!["x".to_string(); 50];
        let mut keys = keys_of(&equal);
        radix_sort_whole_keys(&mut keys);
        assert!(keys.iter().enumerate().all(|(i, k)| k.unit == i as u32));
    }

    /// Lists long enough for the radix sort give the order and the repeat of the comparison
    /// sort; one id longer than the key sends the whole list to the comparison sort.
    #[test]
    fn long_lists_sort_and_name_repeats_as_short_ones() {
        let n = RADIX_MIN_KEYS + 1000;
        let mut ids: Vec<String> = (0..n).map(|i| format!("P{:09}", (i * 7919) % n)).collect();
        let order = SortedIds::new(&ids).unwrap().into_order();
        let want: Vec<u32> = compared_order(&ids).iter().map(|&(u, _)| u).collect();
        assert_eq!(order, want);
        // Two repeats: the one met first in input order is named, with its earliest unit.
        ids[n - 1] = ids[10].clone();
        ids[n - 5] = ids[20].clone();
        assert_eq!(
            SortedIds::new(&ids).err(),
            Some(PlanError::DuplicateId {
                unit: n - 5,
                first: 20
            })
        );
        ids[n - 1] = "P-an-identifier-longer-than-the-key".into();
        ids[n - 5] = "P-an-identifier-longer-than-the-key-2".into();
        let order = SortedIds::new(&ids).unwrap().into_order();
        let want: Vec<u32> = compared_order(&ids).iter().map(|&(u, _)| u).collect();
        assert_eq!(order, want);
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
