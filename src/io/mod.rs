//! The only code that touches files: typed CSV columns, atomic writes, hashes for the manifest.

pub mod analysis_data;
pub mod atomic;
pub mod decimal;
pub mod folder;
pub mod formats;
pub mod hash;
pub mod join;
pub mod ledger;
pub mod lines;
pub mod manifest;
pub mod output;
pub mod plan;
pub mod source;
pub mod table;
pub mod units;

pub use atomic::{write_atomic, write_atomic_with};
pub use hash::{sha256_file, sha256_hex};
pub use table::{ColumnKind, ColumnRequest, Table};
