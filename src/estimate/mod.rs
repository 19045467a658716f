//! Pure estimators (owned by `estimate`; this branch adds randomization inference and
//! multiple-testing adjustment).

pub mod adjust;
pub mod ri;
