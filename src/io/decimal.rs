//! The fast path of number cells: a plain decimal `-?\d+(\.\d+)?` with few digits, as register
//! extracts write them (`1`, `0`, `-1.0843`, `31250.5`), read straight from the bytes.
//!
//! Exactness (Clinger 1990, "How to read floating point numbers accurately", the "fast path";
//! also the first step of Rust's own `dec2flt` and of Lemire's fast_float): when the digits
//! without the point form an integer w ≤ 2⁵³ and the point stands f ≤ 22 places from the end,
//! both w and 10^f are exact doubles, and IEEE 754 division is correctly rounded, so w / 10^f
//! is the double nearest to the decimal — the value `str::parse::<f64>` returns, bit for bit
//! (both are correctly rounded; the sign is exact). Anything else (more digits, an exponent, a
//! `+`, spaces, a decimal comma, a missing-value code, text) returns None and the caller takes
//! the general route, with its messages. `tests` compares with the standard parser on millions
//! of random and edge-case strings.

/// 10^0 … 10^22, every one an exact double.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 10^0 … 10^19, every power of ten below 2⁶⁴.
const INTEGER_POWERS_OF_TEN: [u64; 20] = {
    let mut powers = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        powers[i] = powers[i - 1] * 10;
        i += 1;
    }
    powers
};

/// The largest integer below which every integer is an exact double.
const EXACT_INTEGERS: u64 = 1 << 53;

/// The value of `cell` when it is a plain decimal `-?\d+(\.\d+)?` that [the fast path](self)
/// reads exactly; None otherwise (the caller then parses it the general way).
#[inline]
pub fn plain_decimal(cell: &[u8]) -> Option<f64> {
    let (negative, digits) = match cell {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, cell),
    };
    // 19 digits and a point at most (2⁵³ has 16 digits; more are checked below).
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut point: Option<usize> = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                // 19 digits are below 10¹⁹ < 2⁶⁴: no overflow.
                if count == 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            b'.' if point.is_none() && i > 0 && i + 1 < digits.len() => point = Some(i),
            _ => return None,
        }
    }
    if mantissa > EXACT_INTEGERS {
        return None;
    }
    let places = point.map_or(0, |p| digits.len() - p - 1);
    let scale = *POWERS_OF_TEN.get(places)?;
    // Exact: mantissa ≤ 2⁵³ converts without rounding.
    let value = mantissa as f64 / scale;
    Some(if negative { -value } else { value })
}

/// The plain decimal at the start of `bytes` and the length it takes, read as [`plain_decimal`]
/// reads it: `Some((v, n))` means `plain_decimal(&bytes[..n]) == Some(v)`, bit for bit, and
/// `bytes[n]` (if any) cannot continue the decimal. The parse of a record calls it on a field and
/// the rest of the record: when the decimal ends at the delimiter, the field is found and read in
/// one walk over its bytes instead of two (the field split, then the number). A decimal that ends
/// within the word after its sign is located and read from that one word
/// ([`short_decimal_prefix`]); longer ones have their digits read 8 at a time where 8 bytes
/// remain (the conversion of Lemire's fast_float and of Rust's `dec2flt`), so a short field
/// costs no loop whose length the processor must guess. None when no plain decimal starts there
/// or it is too long for the fast path.
#[inline]
pub fn plain_decimal_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
    let negative = bytes.first() == Some(&b'-');
    short_decimal_prefix(bytes, negative).or_else(|| decimal_prefix_by_runs(bytes, negative))
}

/// [`plain_decimal_prefix`] of any plain decimal: the whole part and the fraction each read as a
/// run of digits, 8 at a time where 8 bytes remain.
#[inline(always)]
fn decimal_prefix_by_runs(bytes: &[u8], negative: bool) -> Option<(f64, usize)> {
    let whole_start = usize::from(negative);
    let (whole, whole_end) = digit_run(bytes, whole_start);
    let whole_digits = whole_end - whole_start;
    if whole_digits == 0 {
        return None;
    }
    let (mantissa, end, places) = if bytes.get(whole_end) == Some(&b'.') {
        let (fraction, end) = digit_run(bytes, whole_end + 1);
        let places = end - whole_end - 1;
        // `1.` is not plain; the caller reads the field the general way.
        if places == 0 {
            return None;
        }
        // 19 digits at most (as `plain_decimal`): then `scale` below is exact and nothing
        // overflowed; `whole * 10^places` may have wrapped only when there are more.
        if whole_digits + places > 19 {
            return None;
        }
        let mantissa = whole
            .wrapping_mul(*INTEGER_POWERS_OF_TEN.get(places)?)
            .wrapping_add(fraction);
        (mantissa, end, places)
    } else {
        if whole_digits > 19 {
            return None;
        }
        (whole, whole_end, 0)
    };
    if mantissa > EXACT_INTEGERS {
        return None;
    }
    let value = mantissa as f64 / *POWERS_OF_TEN.get(places)?;
    // `value` is +0 or more, so its negative is its bits with the sign set: no branch on a
    // sign that is as often one as the other.
    Some((
        f64::from_bits(value.to_bits() | (u64::from(negative) << 63)),
        end,
    ))
}

/// [`plain_decimal_prefix`] of a decimal that ends within the 8 bytes after its sign, and
/// before the last of them (`-0.6448` and `1` followed by a delimiter, as most cells of a
/// register extract are): the whole part, the point and the fraction located in one word by one
/// exact test for digits ([`non_digits`]) and the digits, the point taken out, read by one
/// conversion, where the general route reads two runs of digits from two words. None when the
/// decimal does not end so (fewer than 8 bytes left, a longer number, `1.` or no digit first):
/// the general route then reads it. At most 7 digits, so the mantissa is below 2⁵³ and the
/// value is `plain_decimal`'s, w / 10^f with w and 10^f exact.
#[inline(always)]
fn short_decimal_prefix(bytes: &[u8], negative: bool) -> Option<(f64, usize)> {
    let start = usize::from(negative);
    let mut eight = [0u8; 8];
    eight.copy_from_slice(bytes.get(start..start + 8)?);
    let (value, end) = short_decimal_in_word(u64::from_le_bytes(eight), negative)?;
    Some((value, start + end))
}

/// 10^0 … 10^7: the scales of [`short_digits_in_word`] (at most 5 places), indexed by the
/// places masked to 3 bits so that no bounds check is left.
const SHORT_POWERS_OF_TEN: [f64; 8] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7];

/// The decimal that starts at the first byte of `word` (the 8 bytes after its sign) and ends
/// before its last byte, as [`short_decimal_prefix`] reads it: its value (negative when
/// `negative`) and the place of the first byte after it, 1–7, within the word.
#[inline(always)]
fn short_decimal_in_word(word: u64, negative: bool) -> Option<(f64, usize)> {
    let (mantissa, places, end) = short_digits_in_word(word)?;
    Some((short_value(mantissa, places, negative), end))
}

/// w / 10^places with the sign of `negative`: exact inputs (w < 10⁷, places ≤ 5), one
/// correctly rounded division, the sign set on the bits (no branch on a sign that is as often
/// one as the other).
#[inline(always)]
fn short_value(mantissa: u32, places: usize, negative: bool) -> f64 {
    let value = f64::from(mantissa) / SHORT_POWERS_OF_TEN[places & 7];
    f64::from_bits(value.to_bits() | (u64::from(negative) << 63))
}

/// The digits of the decimal that starts at the first byte of `word` and ends before its last
/// byte: their value w without the point (at most 7 digits, so below 10⁷), the places after the
/// point (0–5) and the place of the first byte after the decimal (1–7). None when no such
/// decimal starts there (no digit first, 8 digits, `1.`, or no end within the word).
#[inline(always)]
fn short_digits_in_word(word: u64) -> Option<(u32, usize, usize)> {
    let flags = non_digits(word);
    // The first byte that is not a digit: 0–7, or 8 when all are digits.
    let whole = (flags.trailing_zeros() / 8) as usize;
    if whole == 0 || whole == 8 {
        return None;
    }
    let (mantissa, places, end) = if (word >> (8 * whole)) as u8 == b'.' {
        // The first byte after the point that is not a digit: within the word, and not right
        // after the point (`1.` is not plain).
        let end = ((flags & (flags - 1)).trailing_zeros() / 8) as usize;
        if end == 8 || end == whole + 1 {
            return None;
        }
        // The digits before the point, then those after it moved down one byte over it.
        let before = (1u64 << (8 * whole)) - 1;
        let joined = (word & before) | ((word >> 8) & !before);
        (first_digits(joined, end - 1), end - whole - 1, end)
    } else {
        (first_digits(word, whole), 0, whole)
    };
    // At most 7 digits: below 10⁷, so the narrowing keeps every bit.
    Some((mantissa as u32, places, end))
}

/// [`short_digits_in_word`] of the commonest shape of a register's covariates, one digit, the
/// point and one to five more (`0.6448`, `3.25`) followed by `delimiter`, found with fewer
/// steps: the four-place `d.dddd` by one comparison of the point and the delimiter with their
/// places and one digit test; any other `d.d…` by one search for its end, the point's place
/// being known. None for every other word (then [`short_digits_in_word`] reads it): where this
/// reads a word, it gives what [`short_digits_in_word`] gives, and the byte after it is the
/// delimiter.
#[inline(always)]
fn one_digit_decimal_in_word(word: u64, delimiter: u8) -> Option<(u32, usize, usize)> {
    // The bytes of `d.dddd` and its delimiter: the point at 1, the delimiter at 6.
    const SHAPE: u64 = 0x00FF_0000_0000_FF00;
    // Digits at 0 and 2–5, not a digit at 6 (a delimiter that is a digit never matches).
    const DIGITS: u64 = 0x0080_8080_8080_0080;
    let flags = non_digits(word);
    let four_places = (u64::from(delimiter) << 48) | (u64::from(b'.') << 8);
    let (digits, end) = if word & SHAPE == four_places && flags & DIGITS == 0x0080_0000_0000_0000 {
        (5, 6)
    } else {
        // The first byte after the point that is not a digit (0 when the first is not a
        // digit, then no decimal of this shape starts here).
        let end = ((flags & !0xFF00).trailing_zeros() / 8) as usize;
        if (word >> 8) as u8 != b'.'
            || end < 3
            || end == 8
            || (word >> (8 * end)) as u8 != delimiter
        {
            return None;
        }
        (end - 1, end)
    };
    // The digit before the point, then those after it moved down one byte over it.
    let joined = (word & 0xFF) | ((word >> 8) & !0xFF);
    // At most 6 digits: below 10⁶, so the narrowing keeps every bit.
    Some((first_digits(joined, digits) as u32, digits - 1, end))
}

/// The most number cells [`short_decimal_run`] reads at a time.
pub const SHORT_RUN: usize = 16;

/// The number cells of consecutive fields from `at` (the start of a field) in `bytes`, a
/// record's rest in a chunk with no quote and no lone carriage return: the first `count` (at
/// most [`SHORT_RUN`]) read into `values` while each is a short decimal (as
/// [`short_decimal_prefix`] reads it: it ends within the 8 bytes after its sign) that ends at
/// `delimiter` — or, for the last of the `count`, also at a line feed or a carriage return
/// before one. Gives how many were read and, for the last one read, where it starts, where its
/// text ends and the byte that ends its field (a delimiter or the line feed); `(0, (at, at,
/// at))` when none was. The parse of a record reads a row's covariates so, instead of one pass
/// of the record's walk each; whatever it does not read, the walk reads as before.
///
/// The cells' digits are found first, one word each, and the terminating byte taken from the
/// same word; then the run's conversions and divisions are done together in a loop without
/// branches, which the compiler does two or four at a time in vector lanes (`cvtdq2pd`,
/// `divpd`: each lane rounded exactly as `divsd`; no reciprocal, no fused operation). Each
/// value is `plain_decimal_prefix`'s on the same bytes, bit for bit.
#[inline]
pub fn short_decimal_run(
    bytes: &[u8],
    mut at: usize,
    delimiter: u8,
    count: usize,
    values: &mut [f64; SHORT_RUN],
) -> (usize, (usize, usize, usize)) {
    let count = count.min(SHORT_RUN);
    let mut mantissas = [0i32; SHORT_RUN];
    let mut scales = [1.0f64; SHORT_RUN];
    let mut signs = [0u64; SHORT_RUN];
    let mut ends = (at, at, at);
    let mut read = 0;
    while read < count {
        let Some(&first) = bytes.get(at) else { break };
        let negative = first == b'-';
        let start = at + usize::from(negative);
        let Some(eight) = bytes.get(start..start + 8) else {
            break;
        };
        let mut word = [0u8; 8];
        word.copy_from_slice(eight);
        let word = u64::from_le_bytes(word);
        let Some((mantissa, places, end)) =
            one_digit_decimal_in_word(word, delimiter).or_else(|| short_digits_in_word(word))
        else {
            break;
        };
        let after = (word >> (8 * end)) as u8;
        let end = start + end;
        let stop = if after == delimiter || (read + 1 == count && after == b'\n') {
            end
        } else if read + 1 == count && after == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
            end + 1
        } else {
            break;
        };
        // Below 10⁷ < 2³¹: the signed lanes' conversion is exact.
        mantissas[read] = mantissa as i32;
        scales[read] = SHORT_POWERS_OF_TEN[places & 7];
        signs[read] = u64::from(negative) << 63;
        ends = (at, end, stop);
        at = end + 1;
        read += 1;
    }
    // Four at a time, as many fours as hold the cells read.
    let fours = values
        .chunks_exact_mut(4)
        .zip(mantissas.chunks_exact(4))
        .zip(scales.chunks_exact(4).zip(signs.chunks_exact(4)))
        .take(read.div_ceil(4));
    for ((values, mantissas), (scales, signs)) in fours {
        for (((value, &mantissa), &scale), &sign) in
            values.iter_mut().zip(mantissas).zip(scales).zip(signs)
        {
            *value = f64::from_bits((f64::from(mantissa) / scale).to_bits() | sign);
        }
    }
    (read, ends)
}

/// The bytes of `word` that are not ASCII digits, as the high bit of each; exact for every
/// byte whatever its neighbours (unlike [`leading_digits`]'s test, which is exact only up to
/// the first non-digit): with d = b ^ 0x30, a digit's d is 0–9; d + 6 in its low four bits sets
/// bit 4 exactly for 10–15 and carries out of no byte (0x0F + 0x06 < 0x100); a byte is a digit
/// when bits 4–7 of d or of that sum are all clear, tested for nonzero as in `zero_bytes` of
/// `io::table` without a carry across bytes.
#[inline(always)]
fn non_digits(word: u64) -> u64 {
    const LOW4: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const HIGH4: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let d = word ^ 0x3030_3030_3030_3030;
    let high = (d | ((d & LOW4) + 0x0606_0606_0606_0606)) & HIGH4;
    (((high & LOW7) + LOW7) | high) & !LOW7
}

/// The digits of `bytes` from `start` up to the first byte that is not a digit: their value
/// (wrapped modulo 2⁶⁴ when there are more than 19) and where they end.
#[inline(always)]
fn digit_run(bytes: &[u8], start: usize) -> (u64, usize) {
    let mut value = 0u64;
    let mut i = start;
    if let Some(word) = bytes.get(i..i + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let word = u64::from_le_bytes(eight);
        let count = leading_digits(word);
        if count < 8 {
            return (first_digits(word, count), i + count);
        }
        value = first_digits(word, 8);
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (value, i)
}

/// How many of the 8 bytes of `word` (the first in its lowest byte) are digits before the first
/// that is not. A byte b is a digit when neither b − 0x30 nor b + 0x46 sets its high bit;
/// borrows and carries only move to higher bytes, and a digit makes neither, so every byte up
/// to the first non-digit is tested exactly.
#[inline(always)]
fn leading_digits(word: u64) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let flags = (word.wrapping_sub(0x3030_3030_3030_3030)
        | word.wrapping_add(0x4646_4646_4646_4646))
        & HIGH;
    (flags.trailing_zeros() / 8) as usize
}

/// The value of the first `count` (0–8) bytes of `word`, all digits: shifted to the top so that
/// zeros lead, then the eight digits combined in three multiplications (fast_float's
/// `parse_eight_digits_unrolled`).
#[inline(always)]
fn first_digits(word: u64, count: usize) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 0x000F_4240_0000_0064; // 100 + (1000000 << 32)
    const MUL2: u64 = 0x0000_2710_0000_0001; // 1 + (10000 << 32)
    if count == 0 {
        return 0;
    }
    let v = word.wrapping_sub(0x3030_3030_3030_3030) << (8 * (8 - count));
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let v1 = (v & MASK).wrapping_mul(MUL1);
    let v2 = ((v >> 16) & MASK).wrapping_mul(MUL2);
    u64::from((v1.wrapping_add(v2) >> 32) as u32)
}

#[cfg(test)]
mod tests {
    use super::{
        SHORT_RUN, decimal_prefix_by_runs, non_digits, one_digit_decimal_in_word, plain_decimal,
        plain_decimal_prefix, short_decimal_run, short_digits_in_word,
    };
    use crate::rng::Stream;

    /// The fast path's value, or the standard parser's agreement that it is not a plain
    /// decimal; either way never a different number.
    fn check(text: &str) {
        check_prefix(text);
        let plain = is_plain(text);
        match plain_decimal(text.as_bytes()) {
            Some(v) => {
                assert!(plain, "{text} read by the fast path but not plain");
                let expected: f64 = text.parse().unwrap();
                assert_eq!(v.to_bits(), expected.to_bits(), "{text}");
            }
            None => {
                // Only long mantissas or many places fall through among plain decimals.
                if plain {
                    let digits = text.bytes().filter(u8::is_ascii_digit).count();
                    let places = text.split('.').nth(1).map_or(0, str::len);
                    let mantissa: u128 =
                        text.bytes().filter(u8::is_ascii_digit).fold(0u128, |m, b| {
                            m.saturating_mul(10).saturating_add(u128::from(b - b'0'))
                        });
                    assert!(
                        digits > 19 || places > 22 || mantissa > 1 << 53,
                        "{text} is plain and short but not read"
                    );
                }
            }
        }
    }

    /// [`plain_decimal_prefix`] of `text` followed by what may follow a field (a delimiter and
    /// more, a line feed, nothing, a byte that continues no decimal, digits): whatever it reads
    /// is what `plain_decimal` reads from those bytes, and a field `plain_decimal` reads is read
    /// whole when a delimiter or the end follows it.
    fn check_prefix(text: &str) {
        let whole = plain_decimal(text.as_bytes());
        for tail in [
            "",
            ",",
            ";1.25,x",
            "\n",
            "\t-7",
            "x",
            "7",
            ".5",
            "12345678.9",
        ] {
            let bytes = format!("{text}{tail}");
            let read = plain_decimal_prefix(bytes.as_bytes());
            let negative = bytes.starts_with('-');
            assert_eq!(
                read.map(|(v, n)| (v.to_bits(), n)),
                decimal_prefix_by_runs(bytes.as_bytes(), negative).map(|(v, n)| (v.to_bits(), n)),
                "{bytes:?}"
            );
            if let Some((v, n)) = read {
                let again = plain_decimal(&bytes.as_bytes()[..n]);
                assert_eq!(again.map(f64::to_bits), Some(v.to_bits()), "{bytes:?} {n}");
                assert!(
                    !bytes.as_bytes().get(n).is_some_and(u8::is_ascii_digit),
                    "{bytes:?} stopped at a digit"
                );
            }
            if let Some(v) = whole
                && !tail.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            {
                assert_eq!(
                    read.map(|(v, n)| (v.to_bits(), n)),
                    Some((v.to_bits(), text.len())),
                    "{bytes:?}"
                );
            }
        }
    }

    /// `-?\d+(\.\d+)?`, written out.
    fn is_plain(text: &str) -> bool {
        let body = text.strip_prefix('-').unwrap_or(text);
        let mut parts = body.split('.');
        let whole = parts.next().unwrap_or("");
        let fraction = parts.next();
        parts.next().is_none()
            && !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    }

    #[test]
    fn edge_cases_equal_the_standard_parser() {
        for text in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "00",
            "007.50",
            "0.1",
            "0.2",
            "0.3",
            "1.5",
            "-1.0843",
            "2.3535",
            "9007199254740992",
            "9007199254740993",
            "9007199254740991",
            "-9007199254740992",
            "900719925474099.3",
            "0.9007199254740992",
            "1234567890123456789",
            "12345678901234567890",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "4.35",
            "1e5",
            "1E5",
            "+1",
            "1.",
            ".5",
            "-",
            "",
            ".",
            "1..2",
            "1.2.3",
            " 1",
            "1 ",
            "1,5",
            "NA",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1_000",
            "٣",
            "0x10",
            "--1",
            "-.5",
            "99999999999999999999",
            "0.1234567890123456789",
            "31250.5",
            "1999.12",
        ] {
            check(text);
        }
    }

    #[test]
    fn random_decimals_equal_the_standard_parser() {
        // A named ChaCha20 stream, as every random stream in lotta.
        let mut rng = Stream::new(20261129, "decimal-fast-path-test");
        let chance = |rng: &mut Stream, percent: u64| rng.below(100) < percent;
        let digit = |rng: &mut Stream| char::from(b'0' + rng.below(10) as u8);
        let mut text = String::new();
        let mut read = 0usize;
        for _ in 0..3_000_000 {
            text.clear();
            if chance(&mut rng, 30) {
                text.push('-');
            }
            // Short decimals (as written in data) most of the time, long ones sometimes.
            let whole = 1 + rng.below(21);
            let whole = if chance(&mut rng, 70) {
                whole.min(6)
            } else {
                whole
            };
            let places = if chance(&mut rng, 80) {
                rng.below(7)
            } else {
                rng.below(26)
            };
            for i in 0..whole {
                if i == 0 && chance(&mut rng, 50) {
                    text.push('0');
                } else {
                    text.push(digit(&mut rng));
                }
            }
            if places > 0 {
                text.push('.');
                for _ in 0..places {
                    text.push(digit(&mut rng));
                }
            }
            // Now and then a stray character anywhere.
            if chance(&mut rng, 2) {
                let at = rng.below(text.len() as u64 + 1) as usize;
                let stray = ['.', '-', '+', 'e', ' ', ',', 'x'][rng.below(7) as usize];
                text.insert(at, stray);
            }
            if plain_decimal(text.as_bytes()).is_some() {
                read += 1;
            }
            check(&text);
        }
        // Most short decimals take the fast path.
        assert!(read > 2_000_000, "{read}");
    }

    #[test]
    fn decimals_near_powers_of_two_equal_the_standard_parser() {
        // Every integer near 2⁵³ and its scaled versions: the rounding boundary of the path.
        let top: u64 = 1 << 53;
        for m in top - 2000..=top + 2000 {
            let digits = m.to_string();
            for places in 0..digits.len() {
                let (a, b) = digits.split_at(digits.len() - places);
                let text = if places == 0 {
                    a.to_string()
                } else {
                    format!("{a}.{b}")
                };
                check(&text);
                check(&format!("-{text}"));
            }
        }
    }

    #[test]
    fn non_digits_are_found_exactly_whatever_their_neighbours() {
        // Every pair of bytes side by side at every place of a word, the other bytes random:
        // the flags mark exactly the bytes that are not ASCII digits (the test of
        // `leading_digits` is not exact past the first non-digit, as after a point then `0`).
        let mut rng = Stream::new(20261130, "non-digits-test");
        for at in 0..7 {
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    let mut bytes = rng.next_u64().to_le_bytes();
                    bytes[at] = a;
                    bytes[at + 1] = b;
                    let flags = non_digits(u64::from_le_bytes(bytes));
                    for (i, byte) in bytes.iter().enumerate() {
                        let flagged = (flags >> (8 * i)) & 0xFF;
                        let expected = if byte.is_ascii_digit() { 0 } else { 0x80 };
                        assert_eq!(flagged, expected, "{bytes:?} at {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn short_decimals_of_every_shape_read_in_one_word_as_by_runs() {
        // Every length of 1–10 digits, every place of the point (or none), with and without a
        // sign and leading zeros, followed by every byte value and then more bytes, or by
        // fewer than a word (as at a chunk's end): the one-word read and the read by runs of
        // digits give the same value and length, and both what `plain_decimal` reads.
        let mut rng = Stream::new(20261130, "short-decimal-test");
        let mut checked = 0usize;
        for digits in 1..=10usize {
            for point in 0..digits {
                for sign in ["", "-"] {
                    for zeros in 0..=digits.min(2) {
                        for _ in 0..20 {
                            let mut text = String::from(sign);
                            for i in 0..digits {
                                if i == point && point > 0 {
                                    text.push('.');
                                }
                                let d = if i < zeros { 0 } else { rng.below(10) as u8 };
                                text.push(char::from(b'0' + d));
                            }
                            for follow in 0..=256usize {
                                let mut bytes = text.as_bytes().to_vec();
                                if follow < 256 {
                                    bytes.push(follow as u8);
                                    let more = rng.below(12) as usize;
                                    bytes.extend(
                                        (0..more)
                                            .map(|_| b"0123456789.,-\nx"[rng.below(15) as usize]),
                                    );
                                }
                                let negative = bytes.first() == Some(&b'-');
                                let read = plain_decimal_prefix(&bytes);
                                let by_runs = decimal_prefix_by_runs(&bytes, negative);
                                assert_eq!(
                                    read.map(|(v, n)| (v.to_bits(), n)),
                                    by_runs.map(|(v, n)| (v.to_bits(), n)),
                                    "{bytes:?}"
                                );
                                if let Some((v, n)) = read {
                                    let again = plain_decimal(&bytes[..n]);
                                    assert_eq!(
                                        again.map(f64::to_bits),
                                        Some(v.to_bits()),
                                        "{bytes:?}"
                                    );
                                    let next = u8::try_from(follow).ok();
                                    if next.is_none_or(|b| !b.is_ascii_digit() && b != b'.') {
                                        assert_eq!(n, text.len(), "{bytes:?}");
                                    }
                                }
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 1_000_000, "{checked}");
    }

    /// What [`short_decimal_run`] must read, found the slow way: cell after cell, each read by
    /// `plain_decimal` when it ends within the 8 bytes after its sign (and 8 bytes follow the
    /// sign) at the delimiter, or for the last cell also at a line feed or `\r\n`.
    fn run_by_cells(
        bytes: &[u8],
        mut at: usize,
        delimiter: u8,
        count: usize,
    ) -> (Vec<f64>, (usize, usize, usize)) {
        let mut values = Vec::new();
        let mut ends = (at, at, at);
        let count = count.min(SHORT_RUN);
        while values.len() < count {
            let Some(&first) = bytes.get(at) else { break };
            let start = at + usize::from(first == b'-');
            if bytes.len() < start + 8 {
                break;
            }
            let length = bytes[start..]
                .iter()
                .position(|&b| !b.is_ascii_digit() && b != b'.')
                .unwrap_or(bytes.len() - start);
            let end = start + length;
            if length > 7 {
                break;
            }
            let Some(value) = plain_decimal(&bytes[at..end]) else {
                break;
            };
            let last = values.len() + 1 == count;
            let stop = match bytes.get(end) {
                Some(&b) if b == delimiter => end,
                Some(b'\n') if last => end,
                Some(b'\r') if last && bytes.get(end + 1) == Some(&b'\n') => end + 1,
                _ => break,
            };
            values.push(value);
            ends = (at, end, stop);
            at = end + 1;
        }
        (values, ends)
    }

    #[test]
    fn runs_of_short_decimals_read_as_cell_by_cell() {
        // Random records of short decimals of every shape (1–8 digits, every place of the
        // point, signs, leading zeros), longer numbers and cells the fast path does not read,
        // three delimiters, ends of record (a line feed, `\r\n`, a lone `\r`, nothing, any
        // byte), cut anywhere (as at a chunk's end), read from any field for any count: the
        // run reads what the cell-by-cell rule reads, bit for bit, and stops where it stops.
        let mut rng = Stream::new(20261130, "short-decimal-run-test");
        let mut read_cells = 0usize;
        let mut stopped_early = 0usize;
        for _ in 0..200_000 {
            let delimiter = [b',', b';', b'\t'][rng.below(3) as usize];
            let mut bytes = Vec::new();
            let mut starts = Vec::new();
            for _ in 0..1 + rng.below(20) {
                starts.push(bytes.len());
                match rng.below(20) {
                    0 => {
                        let odd: [&[u8]; 9] =
                            [b"", b"NA", b"1e5", b"+1", b"1.", b".5", b" 1", b"x", b"-"];
                        bytes.extend_from_slice(odd[rng.below(9) as usize]);
                    }
                    1 => {
                        let byte = rng.below(256) as u8;
                        bytes.push(byte);
                    }
                    _ => {
                        if rng.below(2) == 0 {
                            bytes.push(b'-');
                        }
                        let most = if rng.below(10) == 0 { 12 } else { 8 };
                        let digits = 1 + rng.below(most);
                        let point = rng.below(digits + 1);
                        for i in 0..digits {
                            if i == point && point > 0 {
                                bytes.push(b'.');
                            }
                            let zero = i == 0 && rng.below(3) == 0;
                            bytes.push(if zero {
                                b'0'
                            } else {
                                b'0' + rng.below(10) as u8
                            });
                        }
                    }
                }
                bytes.push(delimiter);
            }
            bytes.pop();
            match rng.below(6) {
                0 => bytes.push(b'\n'),
                1 => bytes.extend_from_slice(b"\r\n"),
                2 => bytes.push(b'\r'),
                3 => {}
                4 => bytes.push(rng.below(256) as u8),
                _ => bytes.extend_from_slice(b"\n7.5,1\n"),
            }
            let cut = if rng.below(4) == 0 {
                rng.below(bytes.len() as u64 + 1) as usize
            } else {
                bytes.len()
            };
            bytes.truncate(cut);
            let from = starts[rng.below(starts.len() as u64) as usize].min(bytes.len());
            let count = 1 + rng.below(20) as usize;
            let mut values = [f64::NAN; SHORT_RUN];
            let (read, ends) = short_decimal_run(&bytes, from, delimiter, count, &mut values);
            let (expected, expected_ends) = run_by_cells(&bytes, from, delimiter, count);
            assert_eq!(read, expected.len(), "{bytes:?} from {from} count {count}");
            let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&values[..read]),
                bits(&expected),
                "{bytes:?} from {from}"
            );
            if read > 0 {
                assert_eq!(ends, expected_ends, "{bytes:?} from {from} count {count}");
                let (start, end, _) = ends;
                let text = std::str::from_utf8(&bytes[start..end]).unwrap();
                let parsed: f64 = text.parse().unwrap();
                assert_eq!(values[read - 1].to_bits(), parsed.to_bits(), "{text}");
            }
            read_cells += read;
            stopped_early += usize::from(read < count.min(SHORT_RUN));
        }
        // Both outcomes are met often: runs read whole and runs that stop.
        assert!(read_cells > 200_000, "{read_cells}");
        assert!(stopped_early > 50_000, "{stopped_early}");
    }

    #[test]
    fn one_digit_decimals_read_as_any_short_decimal() {
        // Words of one digit, a point, 0–6 digits and then any bytes (digits, points, signs,
        // delimiters, random), with every byte value as the delimiter: wherever the shortcut
        // reads a word, the general one-word read gives the same digits, places and end, and
        // the byte after it is the delimiter; and every `d.d{1,5}` followed by the delimiter is
        // read by the shortcut.
        let mut rng = Stream::new(20261130, "one-digit-decimal-test");
        let mut read = 0usize;
        for _ in 0..20_000 {
            let places = rng.below(7) as usize;
            let mut bytes = [0u8; 8];
            for byte in &mut bytes {
                *byte = match rng.below(4) {
                    0 => rng.below(256) as u8,
                    1 => b".,;-\t\n"[rng.below(6) as usize],
                    _ => b'0' + rng.below(10) as u8,
                };
            }
            bytes[0] = b'0' + rng.below(10) as u8;
            bytes[1] = b'.';
            for byte in bytes.iter_mut().skip(2).take(places) {
                *byte = b'0' + rng.below(10) as u8;
            }
            for delimiter in 0..=255u8 {
                let mut bytes = bytes;
                if rng.below(2) == 0 && places + 2 < 8 {
                    bytes[places + 2] = delimiter;
                }
                let word = u64::from_le_bytes(bytes);
                let shortcut = one_digit_decimal_in_word(word, delimiter);
                if let Some((mantissa, places, end)) = shortcut {
                    assert_eq!(
                        short_digits_in_word(word),
                        Some((mantissa, places, end)),
                        "{bytes:?}"
                    );
                    assert_eq!(bytes[end], delimiter, "{bytes:?}");
                    read += 1;
                }
                let end = 2 + bytes[2..].iter().take_while(|b| b.is_ascii_digit()).count();
                if (3..8).contains(&end) && bytes[end] == delimiter {
                    assert!(shortcut.is_some(), "{bytes:?} {delimiter}");
                }
            }
        }
        assert!(read > 100_000, "{read}");
    }
}
