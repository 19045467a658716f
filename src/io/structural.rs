//! Where the fields of a plain CSV chunk (no quote, no lone carriage return) end: every
//! delimiter and line feed, found 64 bytes at a time by SIMD compares into two bit masks, then
//! walked bit by bit (trailing zeros, lowest bit cleared). The reader takes each record's field
//! ends from here before reading any cell, so every cell's start and length are known at once
//! and the cells of a record are read independently of each other, where a walk that found
//! each field's end by reading the field made every cell wait for the one before (the approach
//! of simdjson's and simdcsv's structural indexes: Langdale and Lemire 2019, "Parsing gigabytes
//! of JSON per second", stage 1).
//!
//! The masks are made by SSE2 (always present on x86_64) or AVX2 (chosen once at run time), and
//! on other targets by a byte loop; a test compares the three bit for bit.

/// The bytes of one window.
const WINDOW: usize = 64;

/// The two masks of one window of up to 64 bytes: bit i of the first is set when byte i is the
/// delimiter or a line feed, of the second when it is a line feed.
type Masks = (u64, u64);

/// The masks of `window` by a byte loop: the definition the SIMD versions are tested against,
/// and the version of targets without them.
fn masks_by_bytes(window: &[u8; WINDOW], delimiter: u8) -> Masks {
    let (mut stops, mut feeds) = (0u64, 0u64);
    for (i, &b) in window.iter().enumerate() {
        stops |= u64::from(b == delimiter || b == b'\n') << i;
        feeds |= u64::from(b == b'\n') << i;
    }
    (stops, feeds)
}

/// The masks of `window` by SSE2: four 16-byte compares with each byte sought.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn masks_sse2(window: &[u8; WINDOW], delimiter: u8) -> Masks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let delimiters = _mm_set1_epi8(delimiter as i8);
    let line_feeds = _mm_set1_epi8(b'\n' as i8);
    let (mut stops, mut feeds) = (0u64, 0u64);
    for (k, part) in window.chunks_exact(16).enumerate() {
        // SAFETY: `part` is 16 bytes in bounds (`chunks_exact(16)`), which is what the
        // unaligned load reads.
        let bytes = unsafe { _mm_loadu_si128(part.as_ptr().cast::<__m128i>()) };
        let feed = _mm_cmpeq_epi8(bytes, line_feeds);
        let stop = _mm_or_si128(_mm_cmpeq_epi8(bytes, delimiters), feed);
        stops |= u64::from(_mm_movemask_epi8(stop) as u16) << (16 * k);
        feeds |= u64::from(_mm_movemask_epi8(feed) as u16) << (16 * k);
    }
    (stops, feeds)
}

/// The masks of `window` by AVX2: two 32-byte compares with each byte sought. Only called when
/// the processor has AVX2 ([`Stops::new`] asks once).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn masks_avx2(window: &[u8; WINDOW], delimiter: u8) -> Masks {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    let delimiters = _mm256_set1_epi8(delimiter as i8);
    let line_feeds = _mm256_set1_epi8(b'\n' as i8);
    let (mut stops, mut feeds) = (0u64, 0u64);
    for (k, part) in window.chunks_exact(32).enumerate() {
        // SAFETY: `part` is 32 bytes in bounds (`chunks_exact(32)`), which is what the
        // unaligned load reads; the function runs only where AVX2 is present.
        let bytes = unsafe { _mm256_loadu_si256(part.as_ptr().cast::<__m256i>()) };
        let feed = _mm256_cmpeq_epi8(bytes, line_feeds);
        let stop = _mm256_or_si256(_mm256_cmpeq_epi8(bytes, delimiters), feed);
        stops |= u64::from(_mm256_movemask_epi8(stop) as u32) << (32 * k);
        feeds |= u64::from(_mm256_movemask_epi8(feed) as u32) << (32 * k);
    }
    (stops, feeds)
}

/// How the masks are made on this processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    // Made on x86_64 only by the tests, which compare the SIMD kernels with it.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    Bytes,
    #[cfg(target_arch = "x86_64")]
    Sse2,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The fastest this processor has.
    fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
            Kernel::Sse2
        }
        #[cfg(not(target_arch = "x86_64"))]
        Kernel::Bytes
    }

    fn masks(self, window: &[u8; WINDOW], delimiter: u8) -> Masks {
        match self {
            Kernel::Bytes => masks_by_bytes(window, delimiter),
            // SAFETY: SSE2 is part of every x86_64 processor.
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => unsafe { masks_sse2(window, delimiter) },
            // SAFETY: `Kernel::Avx2` is only chosen when the processor has AVX2 (`detect`, or a
            // test that asks the same first).
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { masks_avx2(window, delimiter) },
        }
    }
}

/// The field ends of `bytes` in order from a place: each delimiter and line feed, and whether it
/// is a line feed. Windows of 64 bytes start where the walk is put ([`Stops::seek`]) and follow
/// each other; the last, shorter one is copied into a zero-padded window first (a zero byte is
/// neither a delimiter nor a line feed), so nothing is read past `bytes`.
pub(crate) struct Stops<'a> {
    bytes: &'a [u8],
    delimiter: u8,
    kernel: Kernel,
    /// Where the current window starts.
    base: usize,
    /// The stops of the current window not yet given, and its line feeds.
    stops: u64,
    feeds: u64,
}

impl<'a> Stops<'a> {
    /// The stops of `bytes` from its start.
    pub(crate) fn new(bytes: &'a [u8], delimiter: u8) -> Stops<'a> {
        Self::with_kernel(bytes, delimiter, Kernel::detect())
    }

    fn with_kernel(bytes: &'a [u8], delimiter: u8, kernel: Kernel) -> Stops<'a> {
        let mut stops = Stops {
            bytes,
            delimiter,
            kernel,
            base: 0,
            stops: 0,
            feeds: 0,
        };
        stops.seek(0);
        stops
    }

    /// The next stops are those at or after `at`.
    pub(crate) fn seek(&mut self, at: usize) {
        self.base = at;
        // The bytes themselves, not a copy: a 64-byte copy read back in 32-byte loads cannot
        // be forwarded from the store buffer and waits for the copy to land.
        let whole = self
            .bytes
            .get(at..at + WINDOW)
            .and_then(|full| <&[u8; WINDOW]>::try_from(full).ok());
        let (stops, feeds) = match whole {
            Some(window) => self.kernel.masks(window, self.delimiter),
            None => {
                let tail = self.bytes.get(at..).unwrap_or_default();
                let mut window = [0u8; WINDOW];
                window[..tail.len()].copy_from_slice(tail);
                let (stops, feeds) = self.kernel.masks(&window, self.delimiter);
                // Nothing from the padding, whatever the delimiter.
                let within = u64::MAX.checked_shr(64 - tail.len() as u32).unwrap_or(0);
                (stops & within, feeds & within)
            }
        };
        self.stops = stops;
        self.feeds = feeds;
    }

    /// The next delimiter or line feed: its place and whether it is a line feed; None past the
    /// last.
    #[inline(always)]
    pub(crate) fn next_stop(&mut self) -> Option<(usize, bool)> {
        while self.stops == 0 {
            if self.base + WINDOW >= self.bytes.len() {
                return None;
            }
            self.seek(self.base + WINDOW);
        }
        let bit = self.stops.trailing_zeros();
        self.stops &= self.stops - 1;
        Some((self.base + bit as usize, (self.feeds >> bit) & 1 == 1))
    }
}

#[cfg(test)]
mod tests {
    use super::{Kernel, Stops, WINDOW, masks_by_bytes};
    use crate::rng::Stream;

    /// Every kernel this processor can run.
    fn kernels() -> Vec<Kernel> {
        #[allow(unused_mut)]
        let mut kernels = vec![Kernel::Bytes];
        #[cfg(target_arch = "x86_64")]
        {
            kernels.push(Kernel::Sse2);
            if is_x86_feature_detected!("avx2") {
                kernels.push(Kernel::Avx2);
            }
        }
        kernels
    }

    #[test]
    fn masks_by_simd_equal_masks_by_bytes() {
        // Random windows of delimiters, line feeds, carriage returns, digits, zero bytes and
        // bytes with the high bit set, and every byte value at every place: the masks of every
        // kernel equal the byte loop's, bit for bit.
        let mut rng = Stream::new(20261130, "structural-masks-test");
        let alphabet = b",;\n\r0123456789.-x\0\x80\xff\xac";
        for delimiter in [b',', b';'] {
            for _ in 0..20_000 {
                let mut window = [0u8; WINDOW];
                for b in window.iter_mut() {
                    *b = alphabet[rng.below(alphabet.len() as u64) as usize];
                }
                let expected = masks_by_bytes(&window, delimiter);
                for kernel in kernels() {
                    assert_eq!(kernel.masks(&window, delimiter), expected, "{kernel:?}");
                }
            }
            for at in 0..WINDOW {
                for value in 0..=255u8 {
                    let mut window = [b'7'; WINDOW];
                    window[at] = value;
                    let expected = masks_by_bytes(&window, delimiter);
                    assert_eq!(
                        expected.0,
                        u64::from(value == delimiter || value == b'\n') << at
                    );
                    for kernel in kernels() {
                        assert_eq!(kernel.masks(&window, delimiter), expected, "{kernel:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn stops_are_every_delimiter_and_line_feed_from_any_place() {
        // Random byte strings of 0–300 bytes (windows cut anywhere, a short last window), walked
        // from a random place, sometimes put back partway: the stops are every delimiter and line
        // feed after that place, in order, as a byte search finds them.
        let mut rng = Stream::new(20261130, "structural-stops-test");
        let alphabet = b",;\n\r01.-x\xc3\xa9";
        for _ in 0..20_000 {
            let len = rng.below(301) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect();
            let delimiter = if rng.below(2) == 0 { b',' } else { b';' };
            for kernel in kernels() {
                let from = rng.below(len as u64 + 1) as usize;
                let mut stops = Stops::with_kernel(&bytes, delimiter, kernel);
                stops.seek(from);
                let mut seen = Vec::new();
                while let Some(stop) = stops.next_stop() {
                    seen.push(stop);
                    // Now and then put back just after this stop, as the reader does after a
                    // record it reads the general way.
                    if rng.below(8) == 0 {
                        stops.seek(stop.0 + 1);
                    }
                }
                let expected: Vec<(usize, bool)> = bytes[from..]
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == delimiter || b == b'\n')
                    .map(|(i, &b)| (from + i, b == b'\n'))
                    .collect();
                assert_eq!(seen, expected, "{kernel:?} {bytes:?} from {from}");
            }
        }
    }
}
