//! `[report]`: what the report folder shows (owned by `run` and `report`).

use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Title of the report (default: the study's title).
    pub title: Option<String>,
    /// Published tables mask any cell describing fewer than this many persons (default 5).
    pub mask_below: Option<u32>,
    /// Whether a count of zero is masked like other small counts (default true).
    pub mask_zeros: Option<bool>,
    /// The headline outcome (default: the last outcome of `[analysis]`).
    pub primary_outcome: Option<String>,
    /// Days after randomization each outcome is measured at, e.g. `{ work_or_study_540 = 540 }`.
    #[serde(default)]
    pub horizons: IndexMap<String, u32>,
    /// Parts of the primary outcome by kind, with their labels, e.g.
    /// `{ subsidized_540 = "Subsidized work", unsubsidized_540 = "Unsubsidized work" }`.
    #[serde(default)]
    pub split: IndexMap<String, String>,
    /// Readable names of subgroup levels, e.g. `{ "gender=F" = "Women", "gender=M" = "Men" }`.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// With fewer clusters than this (default 30), the headlines of the report and of `lotta
    /// estimate` lead with the design-based result (exact randomization inference, else the wild
    /// cluster bootstrap) and say how many clusters there are; CR2 stays beside it. 0: never.
    pub few_clusters: Option<u32>,
    /// How the outcome is described in sentences and axis labels (default "in work or studies").
    pub outcome_label: Option<String>,
    /// The language of the report: "en" (default) or "sv" (Swedish: decimal comma, Swedish
    /// terms). The tidy CSV/JSON tables are the same in every language.
    pub language: Option<String>,
    /// How a Swedish report writes amounts: "kr" (default) or "SEK".
    pub currency: Option<String>,
}
