//! Reports: figures (one file per kind), masking of small cells, and the HTML/Markdown document.

pub mod benefit;
pub mod cost_line;
pub mod document;
pub mod figures;
pub mod folder;
pub mod language;
pub mod mask;
pub mod shares;
pub mod study;
pub mod style;
pub mod tables;
pub mod targets;
