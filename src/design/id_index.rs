//! An index from participant id to participant number, for matching ledger rows to the
//! participants file at ten million rows: open addressing over a table of `u32` (two to three
//! times smaller and several times faster than a `HashMap<&str, usize>` with SipHash, which was
//! a fifth of `verify`'s time, docs/scale.md). The hash only places ids in the table; no result
//! depends on it.

use super::PlanError;
use super::ids::IdList;

/// Participant ids and a table of their numbers (`number + 1`; 0 is an empty slot).
pub struct IdIndex<'a, I: IdList + ?Sized> {
    ids: &'a I,
    slots: Vec<u32>,
    mask: usize,
}

/// A multiply–rotate hash of the id's bytes, eight at a time (the FxHash step of rustc,
/// `rustc-hash`), finished by MurmurHash3's 64-bit finalizer `fmix64` (Appleby 2011), which
/// makes every output bit depend on every input bit: without it, ids that differ only in
/// their last digits (`P000000123`) land in a few low bits and the table degenerates.
fn hash(id: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = id.len() as u64;
    let mut chunks = id.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl<'a, I: IdList + ?Sized> IdIndex<'a, I> {
    /// Index `ids`; the first id that repeats an earlier one is an error naming both.
    pub fn new(ids: &'a I) -> Result<IdIndex<'a, I>, PlanError> {
        // Load at most 2/3: short probe runs.
        let capacity = (ids.count() * 3 / 2 + 1).next_power_of_two().max(16);
        let mut index = IdIndex {
            ids,
            slots: vec![0; capacity],
            mask: capacity - 1,
        };
        for unit in 0..ids.count() {
            let id = ids.id(unit);
            let mut slot = hash(id.as_bytes()) as usize & index.mask;
            loop {
                match index.slots[slot] {
                    0 => {
                        index.slots[slot] = unit as u32 + 1;
                        break;
                    }
                    taken if ids.id(taken as usize - 1) == id => {
                        return Err(PlanError::DuplicateId {
                            unit,
                            first: taken as usize - 1,
                        });
                    }
                    _ => slot = (slot + 1) & index.mask,
                }
            }
        }
        Ok(index)
    }

    /// The number of the participant with id `id`.
    pub fn get(&self, id: &str) -> Option<usize> {
        let mut slot = hash(id.as_bytes()) as usize & self.mask;
        loop {
            match self.slots[slot] {
                0 => return None,
                taken if self.ids.id(taken as usize - 1) == id => return Some(taken as usize - 1),
                _ => slot = (slot + 1) & self.mask,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_and_only_those() {
        let owned: Vec<String> = (0..5000).map(|i| format!("P{i:09}")).collect();
        let ids: Vec<&str> = owned.iter().map(String::as_str).collect();
        let index = IdIndex::new(&ids).unwrap();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(i));
        }
        for missing in ["", "P", "P000005000", "P00000000", "p000000001"] {
            assert_eq!(index.get(missing), None, "{missing}");
        }
    }

    /// Ids that differ only in their last digits spread over the table: the mean probe run
    /// stays short (a weak hash made them collide, and `verify` of ten million rows slow).
    #[test]
    fn sequential_ids_spread_over_the_table() {
        let owned: Vec<String> = (0..200_000).map(|i| format!("P{:09}", i * 7)).collect();
        let ids: Vec<&str> = owned.iter().map(String::as_str).collect();
        let index = IdIndex::new(&ids).unwrap();
        let mut probes = 0usize;
        for id in &ids {
            let mut slot = hash(id.as_bytes()) as usize & index.mask;
            probes += 1;
            while ids[index.slots[slot] as usize - 1] != *id {
                slot = (slot + 1) & index.mask;
                probes += 1;
            }
        }
        let mean = probes as f64 / ids.len() as f64;
        assert!(mean < 2.0, "mean probe run {mean}");
    }

    #[test]
    fn a_repeated_id_names_both_participants() {
        let ids = ["a", "b", "", "c", "b", ""];
        assert_eq!(
            IdIndex::new(&ids[..]).err(),
            Some(PlanError::DuplicateId { unit: 4, first: 1 })
        );
    }
}
