//! `lotta init`: the files of a new study folder — a commented `study.toml` with every section
//! and its defaults written out, and templates of the participants, outcome and cost files with
//! the columns the spec names — and what to do next. Pure: the folder's name in, (file name,
//! text) out; the command writes them, never over an existing file. `assign` and `run` refuse
//! the templates' example rows ([`check_not_template`]).

use crate::error::{Error, Location, Result};
use crate::io::source::InputFile;

/// The files of a new study called `name`, in the order they are written.
pub fn files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("study.toml", study_toml(name)),
        ("participants.csv", PARTICIPANTS.to_string()),
        ("outcomes.csv", OUTCOMES.to_string()),
        ("costs.csv", COSTS.to_string()),
    ]
}

/// What to do after `lotta init DIR`.
pub fn next_steps(dir: &str) -> String {
    format!(
        "Next:
  1. Put your participants in {dir}/participants.csv (one row per person: an id, the strata
     columns and the baseline covariates); CSV, Excel, Stata, SAS or Parquet files all work
     (change the file names in {dir}/study.toml).
  2. Read {dir}/study.toml and change what differs in your study: the arms and their ratio,
     the strata, the outcomes. Every key is commented and shows its default.
  3. Assign:        lotta assign {dir}
  4. When the outcomes are in ({dir}/outcomes.csv, {dir}/costs.csv), the whole evaluation:
                    lotta run {dir}
     and open notebooks-out/<name>/report.html.
  Before outcomes exist you may freeze the pre-analysis plan: lotta plan freeze {dir}"
    )
}

const PARTICIPANTS: &str = "person_id,site,gender,age,education_level
P0001,North,F,34,secondary
P0002,North,M,27,primary
P0003,South,F,45,tertiary
";

const OUTCOMES: &str = "person_id,took_part,employed_180,employed_365
P0001,1,0,1
P0002,0,0,0
P0003,1,1,1
";

const COSTS: &str = "person_id,cost_sek
P0001,38600
P0002,24000
P0003,41000
";

/// An error when `file` still holds the example rows that `lotta init` wrote: a new user who
/// runs `assign` or `run` before putting in their own data would otherwise randomize or analyse
/// three made-up persons (and the ledger keeps every assignment for good).
pub fn check_not_template(file: &InputFile) -> Result<()> {
    for (what, text) in [
        ("participants", PARTICIPANTS),
        ("outcomes", OUTCOMES),
        ("costs", COSTS),
    ] {
        if file.bytes() == text.as_bytes() {
            return Err(Error::data(
                Location::file(file.path()),
                format!(
                    "this is still the example {what} file that `lotta init` wrote (three made-up persons)"
                ),
            )
            .with_hint(format!(
                "replace the rows below its header with your {what}, one row per person (the header names the columns the study uses)"
            )));
        }
    }
    Ok(())
}

fn study_toml(name: &str) -> String {
    format!(
        r#"# A lotta study. Paths are relative to this file. Keys that are commented out show their
# default; remove the `#` to change one. `lotta <command> --help` explains every flag, and a
# flag given on the command line wins over the key here.

[study]
name = "{name}"
title = "{name}: a randomized evaluation"
# description = ""
# The seed of every random draw (assignment, randomization inference, bootstrap). Write it down
# before assigning anyone: the ledger can be re-derived from it (`lotta verify`).
seed = 20260101

[data]
# The column that identifies a person in every file.
id = "person_id"
# Who is randomized: one row per person. CSV (`,` or `;`), Excel .xlsx, Stata .dta, SAS
# .sas7bdat or Parquet, chosen by the extension.
participants = "participants.csv"
# Outcome files (joined on the id; a person missing from a file has missing outcomes there).
outcomes = ["outcomes.csv"]
# Each person's cost in SEK (for [cost]).
costs = "costs.csv"
# The assignment ledger `lotta assign` writes and appends to (never edit it by hand).
ledger = "ledger.csv"
# decimal = "."            # "," for files written with decimal commas
# encoding = "utf-8"       # "latin1" for Windows exports

[design]
# Arms and their ratio, in order: two offered for every control here.
arms = {{ programme = 2, control = 1 }}
control = "control"
# Columns whose combinations are the strata (randomized separately).
strata = ["site", "gender"]
# method = "complete"      # "complete": exact counts per stratum; "blocks": permuted blocks
# block_sizes = [3, 6]     # with method = "blocks"
# misfits = "missing"      # persons who do not fill a whole ratio in a stratum stay unassigned;
#                          # "global" assigns them too (docs/randomization.md)
# cluster = "municipality" # randomize whole clusters
# ledger_format = "v2"     # a new ledger's format: "v2" (a hash every 1,024 rows, the default)
#                          # or "v1" (a hash on every row, as before 2026-11); an existing
#                          # ledger keeps its own (docs/randomization.md §6)
# Covariates shown in the balance table.
balance = ["age", "education_level"]
by = "gender"

[analysis]
outcomes = ["employed_180", "employed_365"]
by = "gender"
covariates = ["age"]
# categorical = []         # numeric codes to treat as categories
# estimator = "lin"        # default: lin with covariates, dim without; also ols, fe
# se = "hc2"               # hc2 (estimatr's default; cr2 with clusters); hc1 is Stata's robust
participation = "took_part"
# ri_draws = 0             # randomization inference draws (e.g. 1000)
# adjust = "holm"          # or "bh", across outcomes and subgroups (default: no adjustment)
# ipw = "auto"             # inverse-probability weights when assignment probabilities differ
# missing_covariates = "complete"

[cost]
outcome = "employed_365"
column = "cost_sek"
by = "gender"
participation = "took_part"
# per_participant = false
# bootstrap = 0            # e.g. 2000 for bootstrap intervals and the acceptability curve
# level = 0.95
# wtp = {{ from = 0, to = 500000, step = 10000 }}

# [survival]               # time to first job: Kaplan–Meier, log-rank, RMST, Cox; add the
#                          # two columns to outcomes.csv first
# time = "days_to_job"     # days from randomization to the job or the end of follow-up
# event = "found_job"      # 1 = found a job, 0 = censored
# by = "gender"
# tau = 540                # default: the smaller of the arms' last observed times

# [bounds]                 # Lee bounds when outcomes are missing for some (attrition)
# outcomes = ["employed_365"]
# cells = ["gender"]

# [power]                  # planning: `lotta power {name}`
# baseline = 0.30          # control rate of the primary outcome
# n = 1000
# ratio = "2:1"
# alpha = 0.05
# power = 0.8

[report]
# title = "{name}: a randomized evaluation"   # default: [study] title
primary_outcome = "employed_365"
outcome_label = "in work"
# Days after randomization of each outcome: the report draws effects over time from these.
horizons = {{ employed_180 = 180, employed_365 = 365 }}
labels = {{ "gender=F" = "Women", "gender=M" = "Men" }}
# language = "en"          # "sv": the report in Swedish (decimal comma, Swedish terms)
# currency = "kr"          # Swedish reports: "kr" or "SEK"
# mask_below = 5           # published cells of fewer persons are masked
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_parses_and_names_the_template_columns() {
        let files = files("trial");
        let spec = &files[0].1;
        let value: toml::Value = toml::from_str(spec).expect("valid TOML");
        assert_eq!(value["study"]["name"].as_str(), Some("trial"));
        for column in ["site", "gender", "age", "education_level"] {
            assert!(files[1].1.lines().next().unwrap().contains(column));
        }
        assert!(next_steps("trial").contains("lotta assign trial"));
    }
}
