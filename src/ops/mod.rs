//! Library operations: what each command does, callable from code and tests. An operation takes
//! resolved settings and loaded study data, calls the pure core and returns typed result rows;
//! the commands in `src/cli/` only parse flags, build settings, call one operation and write its
//! output.

pub mod arms;
pub mod assign;
pub mod baseline;
pub mod benefit;
pub mod bounds;
pub mod cost;
pub mod effects;
pub mod init;
pub mod plan;
pub mod run;
pub mod simulate;
pub mod survival;
pub mod survival_data;
pub mod targets;
pub mod verify;
