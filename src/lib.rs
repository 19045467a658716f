//! lotta: randomized evaluations of labour-market programmes and their cost-effectiveness.
//!
//! Data flows one way: files → [`io`] → validated values ([`spec`]) → pure computation
//! ([`design`], [`estimate`], [`balance`], [`cea`], [`power`], [`simulate`]) → result rows
//! ([`tidy`]) → bytes ([`export`], [`report`]) → files. The computing modules never read files,
//! the clock, the environment or the terminal.

pub mod balance;
pub mod categorical;
pub mod cea;
pub mod design;
pub mod dist;
pub mod error;
pub mod estimate;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod io;
pub mod linalg;
pub mod ops;
pub mod parts;
pub mod plan;
pub mod power;
pub mod progress;
pub mod report;
pub mod rng;
pub mod settings;
pub mod simulate;
pub mod spec;
pub mod survival;
pub mod targets;
pub mod tidy;

pub use error::{Error, Result};
