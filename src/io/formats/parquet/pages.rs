//! A dictionary-encoded column chunk read from its pages: the dictionary's entries once, and
//! each row's index into it, without a value per row. The `parquet` crate's column readers give
//! every row its value (for a string, a reference-counted slice of the page, counted up and down
//! per row), and do not expose the indices without Arrow; a category column (the arm, the
//! gender) or a number column of few distinct values (age, years of education) is what a
//! register extract holds, and most writers (pyarrow, Spark, DuckDB, R's arrow) encode such
//! columns with a dictionary. The crate still reads the file's metadata and the pages and
//! decompresses them.
//!
//! Layouts (the Parquet format's `README.md`, "Data Pages", and `Encodings.md`): a data page v1
//! holds its repetition levels, its definition levels (each a 4-byte little-endian length and
//! the RLE/bit-packing hybrid) and its values; a data page v2 holds the two kinds of levels
//! uncompressed with their lengths in the page header, and its values; values encoded
//! `RLE_DICTIONARY` (or the older `PLAIN_DICTIONARY`) are one byte of bit width and the hybrid;
//! a dictionary page holds its entries encoded `PLAIN`.
//!
//! Anything else (a data page of plain values, as writers fall back to when a dictionary grows
//! too large; levels in the deprecated `BIT_PACKED` encoding; repeated columns; a page that does
//! not add up) gives None, and the caller reads the chunk with the crate's column reader, which
//! gives its own error for a broken file.

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::errors::Result as ParquetResult;

/// A row whose value is null (its definition level below the maximum).
pub(super) const NULL_ROW: u32 = u32::MAX;

/// One column chunk: its dictionary page's bytes (the entries encoded `PLAIN`) and the number
/// of entries, and each row's index into it ([`NULL_ROW`] for a null).
pub(super) struct DictionaryChunk {
    pub dictionary: Bytes,
    pub entries: usize,
    pub rows: Vec<u32>,
}

/// The chunk's dictionary and row indices, or None when a page is not of the kinds above.
/// `max_def` is the column's maximum definition level (0 for a required column, 1 for an
/// optional flat one). Errors are the crate's, reading or decompressing a page.
pub(super) fn dictionary_chunk(
    pages: &mut dyn PageReader,
    max_def: i16,
    expected_rows: usize,
) -> ParquetResult<Option<DictionaryChunk>> {
    let mut dictionary: Option<(Bytes, usize)> = None;
    let mut rows: Vec<u32> = Vec::with_capacity(expected_rows);
    let mut defined: Vec<u32> = Vec::new();
    let mut indices: Vec<u32> = Vec::new();
    while let Some(page) = pages.get_next_page()? {
        let (buf, values, encoding, levels) = match page {
            Page::DictionaryPage {
                buf,
                num_values,
                encoding,
                ..
            } => {
                if dictionary.is_some()
                    || !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY)
                {
                    return Ok(None);
                }
                dictionary = Some((buf, num_values as usize));
                continue;
            }
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                ..
            } => {
                if max_def > 0 && def_level_encoding != Encoding::RLE {
                    return Ok(None);
                }
                // Definition levels with their 4-byte length (no repetition levels: flat).
                let levels = if max_def > 0 {
                    let Some(length) = buf.get(..4) else {
                        return Ok(None);
                    };
                    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]);
                    let end = 4 + length as usize;
                    if end > buf.len() {
                        return Ok(None);
                    }
                    (4, end)
                } else {
                    (0, 0)
                };
                (buf, num_values as usize, encoding, levels)
            }
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            } => {
                let start = rep_levels_byte_len as usize;
                let end = start + def_levels_byte_len as usize;
                if rep_levels_byte_len != 0 || end > buf.len() {
                    return Ok(None);
                }
                (buf, num_values as usize, encoding, (start, end))
            }
        };
        if !matches!(
            encoding,
            Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY
        ) || dictionary.is_none()
        {
            return Ok(None);
        }
        // Which of the page's rows have a value (all of them in a required column).
        let present = if max_def > 0 {
            defined.clear();
            let width = bit_width(max_def as u32);
            if decode_hybrid(&buf[levels.0..levels.1], width, values, &mut defined).is_none() {
                return Ok(None);
            }
            defined.iter().filter(|&&d| d == max_def as u32).count()
        } else {
            values
        };
        // The values: one byte of bit width, then the indices.
        let Some((&width, packed)) = buf[levels.1..].split_first() else {
            if present == 0 {
                rows.extend(std::iter::repeat_n(NULL_ROW, values));
                continue;
            }
            return Ok(None);
        };
        if width > 32 {
            return Ok(None);
        }
        indices.clear();
        if decode_hybrid(packed, width, present, &mut indices).is_none() {
            return Ok(None);
        }
        if max_def > 0 && present < values {
            let mut next = indices.iter();
            for &level in &defined {
                rows.push(if level == max_def as u32 {
                    *next.next().unwrap_or(&NULL_ROW)
                } else {
                    NULL_ROW
                });
            }
        } else {
            rows.extend_from_slice(&indices);
        }
    }
    let Some((dictionary, entries)) = dictionary else {
        return Ok(None);
    };
    // Every index must name an entry: otherwise the file is broken, and the crate's reader says how.
    if rows.len() != expected_rows || rows.iter().any(|&i| i != NULL_ROW && i as usize >= entries) {
        return Ok(None);
    }
    Ok(Some(DictionaryChunk {
        dictionary,
        entries,
        rows,
    }))
}

/// The bits needed for values up to `max` (the width of a level or an index).
fn bit_width(max: u32) -> u8 {
    (u32::BITS - max.leading_zeros()) as u8
}

/// Appends `count` values of the RLE/bit-packing hybrid (`Encodings.md`, "Run Length Encoding /
/// Bit-Packing Hybrid") to `out`: runs, each headed by a ULEB128 varint whose lowest bit says
/// bit-packed (groups of 8 values of `width` bits, least significant bit first, the header's
/// other bits counting the groups) or repeated (the header's other bits counting the
/// repetitions, the value in ⌈width/8⌉ little-endian bytes). None when the bytes run out first.
fn decode_hybrid(bytes: &[u8], width: u8, count: usize, out: &mut Vec<u32>) -> Option<()> {
    let target = out.len() + count;
    let mut at = 0;
    let value_bytes = usize::from(width).div_ceil(8);
    let mask: u64 = (1u64 << width) - 1;
    while out.len() < target {
        let header = varint(bytes, &mut at)?;
        let left = target - out.len();
        if header & 1 == 1 {
            let groups = usize::try_from(header >> 1).ok()?;
            let length = groups.checked_mul(usize::from(width))?;
            let run = bytes.get(at..at.checked_add(length)?)?;
            at += length;
            let take = groups.checked_mul(8)?.min(left);
            let width = usize::from(width);
            for k in 0..take {
                let bit = k * width;
                let byte = bit / 8;
                // Up to 39 bits from `byte` on: eight bytes where the run has them.
                let word = match run.get(byte..byte + 8) {
                    Some(eight) => u64::from_le_bytes(eight.try_into().ok()?),
                    None => {
                        let mut eight = [0u8; 8];
                        let tail = run.get(byte..).unwrap_or(&[]);
                        eight[..tail.len()].copy_from_slice(tail);
                        u64::from_le_bytes(eight)
                    }
                };
                out.push(((word >> (bit % 8)) & mask) as u32);
            }
        } else {
            let repeats = usize::try_from(header >> 1).ok()?;
            let value = bytes.get(at..at + value_bytes)?;
            at += value_bytes;
            let mut eight = [0u8; 8];
            eight[..value_bytes].copy_from_slice(value);
            let value = u32::try_from(u64::from_le_bytes(eight)).ok()?;
            out.extend(std::iter::repeat_n(value, repeats.min(left)));
        }
    }
    Some(())
}

/// A ULEB128 varint at `*at`, advancing past it.
fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The entries of a dictionary of byte arrays (`PLAIN`: each a 4-byte little-endian length and
/// its bytes), as ranges of the page; None when the page does not hold `entries` of them.
pub(super) fn byte_array_entries(page: &[u8], entries: usize) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::with_capacity(entries);
    let mut at = 0;
    for _ in 0..entries {
        let length = page.get(at..at + 4)?;
        let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
        let start = at + 4;
        let end = start.checked_add(length)?;
        if end > page.len() {
            return None;
        }
        out.push((start, end));
        at = end;
    }
    Some(out)
}

/// The entries of a dictionary of fixed-width values (`PLAIN`: little-endian), each given to
/// `convert` as its `N` bytes; None when the page is shorter than `entries` of them.
pub(super) fn fixed_entries<const N: usize>(
    page: &[u8],
    entries: usize,
    convert: impl Fn([u8; N]) -> f64,
) -> Option<Vec<f64>> {
    let bytes = page.get(..entries.checked_mul(N)?)?;
    Some(
        bytes
            .chunks_exact(N)
            .map(|c| convert(c.try_into().unwrap_or([0; N])))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hybrid_decodes_repeated_and_bit_packed_runs() {
        // A repeated run of 5 × 3 (header 5 << 1 = 10, value in one byte), then one bit-packed
        // group of 8 values 0..7 at width 3 (header 1 << 1 | 1 = 3): the format's own example
        // (Encodings.md) packs 0..7 in 3 bits as 0x88, 0xC6, 0xFA.
        let bytes = [10, 3, 3, 0x88, 0xC6, 0xFA];
        let mut out = Vec::new();
        decode_hybrid(&bytes, 3, 13, &mut out).unwrap();
        assert_eq!(out, [3, 3, 3, 3, 3, 0, 1, 2, 3, 4, 5, 6, 7]);
        // The padding of the last group is not read as values.
        let mut out = Vec::new();
        decode_hybrid(&bytes, 3, 8, &mut out).unwrap();
        assert_eq!(out, [3, 3, 3, 3, 3, 0, 1, 2]);
        // Bytes that run out are an error, not values.
        let mut out = Vec::new();
        assert!(decode_hybrid(&bytes[..4], 3, 13, &mut out).is_none());
        assert!(decode_hybrid(&[0], 3, 1, &mut Vec::new()).is_none());
    }

    #[test]
    fn the_hybrid_reads_wide_values_and_long_varints() {
        // 300 repetitions (varint 600 = 0xD8 0x04) of a 17-bit value in three bytes.
        let bytes = [0xD8, 0x04, 0x01, 0x00, 0x01];
        let mut out = Vec::new();
        decode_hybrid(&bytes, 17, 300, &mut out).unwrap();
        assert_eq!(out.len(), 300);
        assert!(out.iter().all(|&v| v == 65_537));
        // Width 0: every value is 0 and the runs hold no value bytes.
        let mut out = Vec::new();
        decode_hybrid(&[8, 3], 0, 12, &mut out).unwrap();
        assert_eq!(out, [0; 12]);
    }

    #[test]
    fn widths_and_entries() {
        assert_eq!(bit_width(0), 0);
        assert_eq!(bit_width(1), 1);
        assert_eq!(bit_width(2), 2);
        assert_eq!(bit_width(255), 8);
        let page = [2, 0, 0, 0, b'F', b'x', 0, 0, 0, 0, 1, 0, 0, 0, b'M'];
        assert_eq!(
            byte_array_entries(&page, 3).unwrap(),
            [(4, 6), (10, 10), (14, 15)]
        );
        assert!(byte_array_entries(&page, 4).is_none());
        assert!(byte_array_entries(&page[..13], 3).is_none());
        let doubles: Vec<u8> = [1.5f64, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            fixed_entries::<8>(&doubles, 2, f64::from_le_bytes).unwrap(),
            [1.5, -2.0]
        );
        assert!(fixed_entries::<8>(&doubles, 3, f64::from_le_bytes).is_none());
    }
}
