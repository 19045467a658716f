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

#[cfg(test)]
mod tests {
    use super::plain_decimal;
    use crate::rng::Stream;

    /// The fast path's value, or the standard parser's agreement that it is not a plain
    /// decimal; either way never a different number.
    fn check(text: &str) {
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
}
