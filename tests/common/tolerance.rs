//! Every tolerance the integration tests compare numbers with, named by what it is for (as
//! statrs keeps its tolerances in `src/prec.rs`): a test says which kind of agreement it
//! expects, and a tolerance changes for a reason stated here rather than per test.
//!
//! Relative tolerances are used as |actual − expected| ≤ tol · max(|expected|, ZERO_SCALE)
//! ([`assert_close`]); absolute ones as |actual − expected| ≤ tol, or ≤ tol · max(|expected|, 1)
//! where so stated ([`assert_close_abs`]).

// ---- against R (reference values committed with the script that made them) -------------------

/// Quantities R computes by the same short chain of floating-point operations and writes with
/// 15–17 significant digits: p.adjust's sorted minima (tests/adjust_reference.rs) and the
/// distribution functions (tests/dist_reference.rs). A few units in the last place. Relative.
pub const ROUND_TRIP_REL: f64 = 1e-13;

/// Direct computations over the data that R and lotta sum in different orders, written with 15
/// or 17 significant digits: the balance table's means, SDs, differences, standardized
/// differences and F statistic; randomization-inference statistics and p-values on the same
/// permutations. Rounding of sums over hundreds of rows. Relative (p-values: absolute).
pub const SUM_REL: f64 = 1e-12;

/// Results that pass through a linear solve or a tail probability as well as sums, against R
/// with 17 digits: the power module's HC2 estimate (lm_robust), the balance table's p-values
/// (t.test, lm's F), the Lin (2013) replication (tests/lin2013.rs). Relative.
pub const REFERENCE_REL: f64 = 1e-10;

/// The same agreement for probabilities and quantiles that may be near zero, used as
/// |actual − expected| ≤ REFERENCE_ABS · max(|expected|, 1): the Simpson-integrated noncentral
/// t and the t quantiles of tests/power.rs.
pub const REFERENCE_ABS: f64 = 1e-10;

/// Values R prints with 15 significant digits after iterative or many-step computations:
/// estimatr's estimates, SEs, df and p-values (tests/estimate.rs), the cost module
/// (tests/cost*.rs), pwr's power functions and R's uniroot at tol 1e-14 (tests/power.rs).
/// Relative.
pub const PRINTED_REL: f64 = 1e-8;

/// A quantity pwr solved with its own default uniroot tolerance (ε^¼ ≈ 1.2e-4). Relative.
pub const PWR_SOLVER_REL: f64 = 1e-5;

/// A value copied by hand into a test from an R computation written beside it, with 12
/// significant digits, of order 0.01 (the MDE in tests/power.rs). Absolute.
pub const HAND_COPIED_ABS: f64 = 1e-9;

/// How far beyond R's last accepted grid point lotta's randomization-inference interval end may
/// lie (R steps its grid by repeated addition, lotta bisects): tests/ri_reference.rs. Absolute.
pub const GRID_SLACK_ABS: f64 = 1e-9;

/// A confidence interval end found by bisection on a bootstrap p-value, in R and in lotta, each
/// to 1e-8 standard errors (`estimate::wild::INVERSION_TOLERANCE`): the ends agree to this many
/// standard errors (tests/wild_reference.rs). Relative to the SE.
pub const INVERSION_SE: f64 = 1e-7;

/// Monte Carlo results of two independent runs (lotta's ChaCha20 draws, R's Mersenne Twister):
/// they may differ by this many standard deviations of their difference, √2 times the spread
/// R measured over repeated runs (tests/wild_reference.rs).
pub const MONTE_CARLO_SDS: f64 = 4.0;

// ---- lotta against itself or against a formula written out in the test -------------------------

/// The fast randomization statistic against refitting the model (`estimate::fast`, documented
/// to agree to 1e-9 in docs/methods/estimate.md). Relative.
pub const FAST_PATH_REL: f64 = 1e-9;

/// The same formula computed in a different order, values of order one: inverse-probability
/// weights, a difference in means, the Neyman variance, shares that sum to one. Relative or
/// absolute.
pub const SAME_FORMULA: f64 = 1e-12;

/// The same few operations in the same order, values of order one: a Holm adjustment redone in
/// the test, a p-value difference; also the absolute floor of the balance comparison. Absolute.
pub const ROUNDING_ABS: f64 = 1e-14;

/// One rounding of a value of order one (ε = 2.2e-16, so about 4.5 ulps): assignment
/// probabilities 2/3 and 1/3, "an adjusted p-value is never below the raw one". Absolute.
pub const ULP_ABS: f64 = 1e-15;

/// Amounts in kronor of order 1e5 computed two ways (the cost per additional success of
/// `lotta power`): a millionth of a krona. Absolute.
pub const CURRENCY_ABS: f64 = 1e-6;

/// A value that is zero in exact arithmetic: relative comparisons are made on a scale of at
/// least this, and tests/estimate.rs adds it as an absolute floor.
pub const ZERO_SCALE: f64 = 1e-12;

// ---- random quantities -------------------------------------------------------------------------

/// Bootstrap SD of lotta's own resampling (4,000 replicates) against boot's (299 replicates):
/// the Monte Carlo relative SE of the difference is about 4.3%, so 15% is 3.5 of them.
/// Relative.
pub const BOOTSTRAP_SD_REL: f64 = 0.15;

/// A mean over 40,000 simulated people against its expectation (the SE of a rate near 0.4 is
/// 0.0025 among 40,000; 0.01 is four SEs). Absolute.
pub const SIMULATED_MEAN_ABS: f64 = 0.01;

/// A simulated survival or cumulative-incidence curve against the true curve, among 20,000 to
/// 45,000 persons of one gender and arm: the SE of a share near 0.4 is at most 0.0035, so 0.012
/// is over three SEs. Absolute.
pub const SIMULATED_CURVE_ABS: f64 = 0.012;

/// Asserts |actual − expected| ≤ tol · max(|expected|, ZERO_SCALE) (relative agreement; NaN
/// matches NaN, for values neither side computes), naming `what` and both values on failure.
pub fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    if actual.is_nan() && expected.is_nan() {
        return;
    }
    let scale = expected.abs().max(ZERO_SCALE);
    assert!(
        (actual - expected).abs() <= tol * scale,
        "{what}: lotta {actual:e}, expected {expected:e} (relative {:e}, tolerance {tol:e})",
        (actual - expected).abs() / scale
    );
}

/// Asserts |actual − expected| ≤ tol · max(|expected|, 1): absolute agreement for values below
/// one, relative above (NaN matches NaN), naming `what` and both values on failure.
pub fn assert_close_abs(actual: f64, expected: f64, tol: f64, what: &str) {
    if actual.is_nan() && expected.is_nan() {
        return;
    }
    let scale = expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tol * scale,
        "{what}: lotta {actual:e}, expected {expected:e} (difference {:e}, tolerance {tol:e})",
        (actual - expected).abs()
    );
}
