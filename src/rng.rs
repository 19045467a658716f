//! Named random streams and the exact sampling algorithms lotta uses.
//!
//! Every random number in lotta comes from a [`Stream`]: ChaCha20 (RFC 8439 block function, as
//! implemented by `rand_chacha::ChaCha20Rng`) keyed by SHA-256 of the study seed and a stream
//! name, e.g. `assign/stratum=site=03|gender=F` or `ri/draw=17`. Only the raw 64-bit output of
//! ChaCha20 is used; bounded integers, shuffles, uniforms and normals are computed here by the
//! algorithms written below (and in docs/randomization.md), never by a crate's convenience
//! method whose algorithm might change between releases. Golden vectors in the tests pin it all.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// Version tag mixed into every key, so a deliberate change of algorithm changes every stream.
const KEY_DOMAIN: &[u8] = b"lotta/rng/v1";

/// A reproducible stream of random numbers, derived from a seed and a name.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: ChaCha20Rng,
}

impl Stream {
    /// The stream `name` of `seed`: ChaCha20 keyed by
    /// SHA-256("lotta/rng/v1" ‖ seed as 8 little-endian bytes ‖ name as UTF-8), nonce 0.
    pub fn new(seed: u64, name: &str) -> Stream {
        let mut hasher = Sha256::new();
        hasher.update(KEY_DOMAIN);
        hasher.update(seed.to_le_bytes());
        hasher.update(name.as_bytes());
        let key: [u8; 32] = hasher.finalize().into();
        Stream {
            rng: ChaCha20Rng::from_seed(key),
        }
    }

    /// The next 64 raw bits: two consecutive 32-bit ChaCha20 output words, low word first.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// A uniform integer in `0..n` without bias (n ≥ 1), by rejection: draw x; accept when
    /// x ≥ (2^64 − n) mod n, return x mod n (the method of OpenBSD's arc4random_uniform).
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        // The threshold 2^64 mod n is below n, so a word x ≥ n is always accepted: the division
        // that computes the threshold is needed only in the rare case x < n. Same words, same
        // results as computing it first.
        let mut threshold = None;
        loop {
            let x = self.next_u64();
            if x >= n || x >= *threshold.get_or_insert_with(|| n.wrapping_neg() % n) {
                return x % n;
            }
        }
    }

    /// The next 32 raw bits: the next ChaCha20 output word. Used only by the draw algorithm v2
    /// of randomization inference ([`Stream::below_u32`]), whose streams never mix it with
    /// [`Stream::next_u64`].
    pub fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// A uniform integer in `0..n` without bias (1 ≤ n < 2^32) from 32-bit words, by Lemire's
    /// multiply-and-reject method (Lemire 2019, "Fast random integer generation in an
    /// interval", ACM TOMACS 29(1), algorithm 5): draw a word x and form the 64-bit product
    /// m = x·n; with l = m mod 2^32, accept when l ≥ (2^32 − n) mod n and return ⌊m / 2^32⌋;
    /// otherwise draw again. The threshold is computed only when l < n (a word with l ≥ n is
    /// always accepted), so nearly every call costs one word and no division.
    pub fn below_u32(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        let mut m = u64::from(self.next_u32()) * u64::from(n);
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = u64::from(self.next_u32()) * u64::from(n);
            }
        }
        (m >> 32) as u32
    }

    /// A uniform number in [0, 1) with 53 random bits: (x >> 11) · 2^−53.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform number in (0, 1): ((x >> 11) + 0.5) · 2^−53, safe for logarithms.
    pub fn open_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// Fisher–Yates (Durstenfeld) shuffle: for i from n−1 down to 1, swap item i with item
    /// `below(i + 1)`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A standard normal draw by the Box–Muller transform of two `open_unit` draws (the cosine
    /// branch only, so each call uses exactly two words). Uses `libm`, whose results do not
    /// depend on the platform's C library.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.open_unit();
        let u2 = self.open_unit();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
    }

    /// An exponential draw with rate `rate` (mean 1/rate) by inversion of one `open_unit` draw:
    /// −ln(u)/rate (`libm`, platform-independent). Used for simulated times to an event
    /// (stream `simulate/time_to_event`, one draw per person and exit).
    pub fn exponential(&mut self, rate: f64) -> f64 {
        -libm::log(self.open_unit()) / rate
    }

    /// True with probability `p`: `unit() < p`.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A hypergeometric draw: how many of the `successes` marked units of a population of
    /// `population` are among `sample` units drawn from it without replacement (R's
    /// `rhyper(1, successes, population − successes, sample)` in distribution; used by the draw
    /// algorithm v3 of randomization inference, `estimate::types`). Exact: inversion of one
    /// [`Stream::unit`] draw U by a sequential search that starts at the mode
    /// m = ⌊(n + 1)(K + 1)/(N + 2)⌋ and visits the support in order of decreasing probability
    /// (the pmf is unimodal, so that order is: m, then each time the more probable of the two
    /// points next to the visited interval, the upper one on a tie), returning the first point at
    /// which the accumulated probability exceeds U. This is inversion of the distribution
    /// function in a fixed order of the support (Devroye 1986, *Non-Uniform Random Variate
    /// Generation*, §III.2, inversion by sequential search; started at the mode as in Kemp 1986,
    /// "A modal method for generating binomial variables", Commun. Statist. Theory Meth. 15(3),
    /// 805–813; Kachitvichyanukul & Schmeiser 1985, J. Statist. Comput. Simul. 22, 127–145, give
    /// the same inversion for the hypergeometric from its lower end, HIN). Neighbouring
    /// probabilities follow from p(x + 1)/p(x) = (K − x)(n − x)/((x + 1)(N − K − n + x + 1)), and
    /// p(m) from the table of ln k! (no normal or other approximation), so a draw costs one
    /// 64-bit word and on average O(SD) steps. A degenerate draw (one possible value) uses no
    /// word. Arguments out of range are clamped (`successes` and `sample` to `population`).
    ///
    /// The probabilities carry the rounding of ln k! (an ulp of ln N!, so a relative error of
    /// about N·10⁻¹⁶ ln N in p(m), 10⁻⁹ at N = 10⁵): should rounding leave the accumulated
    /// probability below U at both ends of the support (a chance of that order), the mode is
    /// returned.
    pub fn hypergeometric(
        &mut self,
        ln_factorial: &LnFactorials,
        population: u64,
        successes: u64,
        sample: u64,
    ) -> u64 {
        let total = population;
        let marked = successes.min(total);
        let drawn = sample.min(total);
        let unmarked = total - marked;
        let low = drawn.saturating_sub(unmarked);
        let high = drawn.min(marked);
        if low >= high {
            return low;
        }
        let mode =
            ((u128::from(drawn) + 1) * (u128::from(marked) + 1) / (u128::from(total) + 2)) as u64;
        let mode = mode.clamp(low, high);
        let lf = |k: u64| ln_factorial.get(k);
        let ln_p = lf(marked) - lf(mode) - lf(marked - mode) + lf(unmarked)
            - lf(drawn - mode)
            - lf(unmarked + mode - drawn)
            - (lf(total) - lf(drawn) - lf(total - drawn));
        let p_mode = libm::exp(ln_p);
        let u = self.unit();
        let mut accumulated = p_mode;
        if u < accumulated {
            return mode;
        }
        // p(x + 1)/p(x) and p(x − 1)/p(x), in exact integer factors as f64.
        let up = |x: u64| {
            ((marked - x) as f64 * (drawn - x) as f64)
                / ((x + 1) as f64 * (unmarked + x + 1 - drawn) as f64)
        };
        let down = |x: u64| {
            (x as f64 * (unmarked + x - drawn) as f64)
                / ((marked - x + 1) as f64 * (drawn - x + 1) as f64)
        };
        let (mut left, mut right) = (mode, mode);
        // The probabilities of the points next to the visited interval (−1: none left).
        let mut next_right = if right < high {
            p_mode * up(right)
        } else {
            -1.0
        };
        let mut next_left = if left > low {
            p_mode * down(left)
        } else {
            -1.0
        };
        loop {
            if next_right < 0.0 && next_left < 0.0 {
                return mode;
            }
            if next_right >= next_left {
                right += 1;
                accumulated += next_right;
                if u < accumulated {
                    return right;
                }
                next_right = if right < high {
                    next_right * up(right)
                } else {
                    -1.0
                };
            } else {
                left -= 1;
                accumulated += next_left;
                if u < accumulated {
                    return left;
                }
                next_left = if left > low {
                    next_left * down(left)
                } else {
                    -1.0
                };
            }
        }
    }
}

/// ln k! for k = 0..=n, the table [`Stream::hypergeometric`] reads: each entry ln Γ(k + 1) by
/// `libm::lgamma` (platform-independent, accurate to about an ulp), not a running sum of
/// logarithms, whose rounding would accumulate. Beyond the table, ln Γ is computed on demand.
#[derive(Debug, Clone)]
pub struct LnFactorials(Vec<f64>);

impl LnFactorials {
    /// The table for k = 0..=n.
    pub fn new(n: usize) -> LnFactorials {
        LnFactorials((0..=n).map(|k| libm::lgamma(k as f64 + 1.0)).collect())
    }

    /// ln k!.
    pub fn get(&self, k: u64) -> f64 {
        usize::try_from(k)
            .ok()
            .and_then(|i| self.0.get(i).copied())
            .unwrap_or_else(|| libm::lgamma(k as f64 + 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden vectors: these values must never change. If one does, randomization has drifted
    // (a dependency changed its ChaCha20 output, or the algorithm here was edited), and every
    // earlier ledger would fail verification. Fix the cause; never update these numbers.
    #[test]
    fn golden_raw_words() {
        let mut s = Stream::new(20180901, "golden");
        let words: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        assert_eq!(words, GOLDEN_WORDS);
    }

    #[test]
    fn golden_shuffle() {
        let mut s = Stream::new(42, "shuffle");
        let mut v: Vec<u32> = (0..10).collect();
        s.shuffle(&mut v);
        assert_eq!(v, GOLDEN_SHUFFLE);
    }

    const GOLDEN_WORDS: [u64; 3] = [
        9965149290765804658,
        248969064313591847,
        11826432091052394496,
    ];
    const GOLDEN_SHUFFLE: [u32; 10] = [0, 6, 3, 4, 5, 7, 8, 1, 2, 9];

    /// RFC 8439 / RFC 7539 appendix A.1, test vector 1: ChaCha20 with an all-zero key, nonce and
    /// counter starts its keystream 76 b8 e0 ad a0 f1 3d 90 … An independent check that the bit
    /// source is the standard ChaCha20 block function.
    #[test]
    fn chacha20_matches_rfc_test_vector() {
        let mut rng = ChaCha20Rng::from_seed([0u8; 32]);
        assert_eq!(
            rng.next_u64(),
            u64::from_le_bytes([0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90])
        );
    }

    // Golden vector of the exponential draw: −ln(open_unit) of the stream's first words.
    #[test]
    fn golden_exponential() {
        let mut s = Stream::new(20180901, "golden");
        let words: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        let mut e = Stream::new(20180901, "golden");
        for w in words {
            let u = ((w >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            assert_eq!(
                e.exponential(0.5).to_bits(),
                (-libm::log(u) / 0.5).to_bits()
            );
        }
        let mut m = Stream::new(5, "exponential");
        let n = 200_000;
        let mean = (0..n).map(|_| m.exponential(2.0)).sum::<f64>() / f64::from(n);
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
    }

    /// Golden vector of the 32-bit words and of `below_u32` (the v2 draws of randomization
    /// inference): the words are the low and high halves of the 64-bit words, in that order.
    #[test]
    fn golden_u32_and_below_u32() {
        let mut s = Stream::new(20180901, "golden");
        let words: Vec<u32> = (0..6).map(|_| s.next_u32()).collect();
        let halves: Vec<u32> = GOLDEN_WORDS
            .iter()
            .flat_map(|&w| [w as u32, (w >> 32) as u32])
            .collect();
        assert_eq!(words, halves);
        let mut b = Stream::new(42, "below_u32");
        let draws: Vec<u32> = [10, 3, 1000, 7, 2, 100_000, 1, 5]
            .iter()
            .map(|&n| b.below_u32(n))
            .collect();
        assert_eq!(draws, GOLDEN_BELOW_U32);
        // Independently of the code: ⌊x·n / 2^32⌋ of the golden 32-bit words (none is rejected
        // for these n), computed by hand from GOLDEN_WORDS.
        let mut g = Stream::new(20180901, "golden");
        let by_hand: Vec<u32> = [10, 3, 1000, 7, 2, 100_000]
            .iter()
            .map(|&n| g.below_u32(n))
            .collect();
        assert_eq!(by_hand, [4, 1, 494, 0, 1, 64111]);
    }

    const GOLDEN_BELOW_U32: [u32; 8] = [0, 2, 845, 2, 0, 47674, 0, 1];

    #[test]
    fn below_u32_is_in_range_and_roughly_uniform() {
        let mut s = Stream::new(7, "below_u32");
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[s.below_u32(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_400..10_600).contains(&c), "{counts:?}");
        }
        assert_eq!(s.below_u32(1), 0);
        assert_eq!(s.below_u32(0), 0);
        // A range just above 2^31 rejects almost half the words: still in range.
        let n = (1u32 << 31) + 1;
        assert!((0..1000).all(|_| s.below_u32(n) < n));
    }

    /// Golden vector of the hypergeometric draws (algorithm v3 of randomization inference): these
    /// values must never change. Degenerate draws use no word (the next draw is unaffected).
    #[test]
    fn golden_hypergeometric() {
        let table = LnFactorials::new(3125);
        let mut s = Stream::new(42, "hypergeometric");
        let draws: Vec<u64> = [
            (10, 4, 3),
            (3125, 1187, 1042),
            (400, 9, 350),
            (20, 0, 7),
            (20, 20, 7),
            (100_000, 35_000, 33_000),
            (7, 3, 7),
            (50, 25, 25),
        ]
        .iter()
        .map(|&(n, k, m)| s.hypergeometric(&table, n, k, m))
        .collect();
        assert_eq!(draws, GOLDEN_HYPERGEOMETRIC);
        // The first draw by hand: U = unit() of the stream's first word against the cumulative
        // probabilities in search order from the mode 1: p(1) = 1/2, then p(2) = 3/10 (more
        // probable than p(0) = 1/6), then p(0), then p(3) = 1/30.
        let u = Stream::new(42, "hypergeometric").unit();
        let by_hand = if u < 0.5 {
            1
        } else if u < 0.8 {
            2
        } else if u < 0.8 + 1.0 / 6.0 {
            0
        } else {
            3
        };
        assert_eq!(draws[0], by_hand, "u = {u}");
    }

    const GOLDEN_HYPERGEOMETRIC: [u64; 8] = [2, 372, 9, 0, 7, 11599, 3, 14];

    #[test]
    fn streams_differ_by_name_and_seed() {
        let a = Stream::new(1, "a").next_u64();
        assert_ne!(a, Stream::new(1, "b").next_u64());
        assert_ne!(a, Stream::new(2, "a").next_u64());
        assert_eq!(a, Stream::new(1, "a").next_u64());
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut s = Stream::new(7, "below");
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[s.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_400..10_600).contains(&c), "{counts:?}");
        }
        assert_eq!(s.below(1), 0);
    }

    #[test]
    fn normal_has_mean_zero_and_unit_variance() {
        let mut s = Stream::new(3, "normal");
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.01, "{var}");
    }
}
