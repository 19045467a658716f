//! A slice cut into consecutive parts, so that each part can be written on its own core (rayon
//! hands the parts out; the writes never overlap). Used wherever lotta fills one list piece by
//! piece: the table's columns, the assignment's slots, the sorted ids, the lists of rows.

/// `slice` cut into consecutive parts of `lengths`, in order; what is left after the last part
/// is not returned. The lengths add up to at most the slice's length (every caller counts them
/// from the slice itself).
pub fn split_lengths<T>(
    slice: &mut [T],
    lengths: impl IntoIterator<Item = usize>,
) -> Vec<&mut [T]> {
    let mut parts = Vec::new();
    let mut rest = slice;
    for length in lengths {
        let (part, after) = std::mem::take(&mut rest).split_at_mut(length);
        parts.push(part);
        rest = after;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_consecutive_and_of_the_lengths_asked() {
        let mut values: Vec<u32> = (0..10).collect();
        let parts = split_lengths(&mut values, [3, 0, 4]);
        let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lengths, [3, 0, 4]);
        assert_eq!(parts[2], [3, 4, 5, 6]);
        for part in parts {
            part.iter_mut().for_each(|v| *v += 100);
        }
        assert_eq!(values, [100, 101, 102, 103, 104, 105, 106, 7, 8, 9]);
    }
}
