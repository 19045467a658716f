//! The result rows layer: the typed rows the core returns, and their conversion to display tables
//! ([`crate::export::Frame`]: column names, order, decimals) at the edge, one module per result
//! kind. Nothing here reads or writes files.

pub mod balance;
pub mod benefit;
pub mod bounds;
pub mod cost;
pub mod effects;
pub mod multiple;
pub mod power;
pub mod survival;
pub mod targets;

pub use effects::{EFFECT_COLUMNS, attrition_frame, cluster_frame, to_frame};
