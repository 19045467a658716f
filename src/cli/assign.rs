//! `lotta assign`: the design from `[design]` and flags (flags win), the participants, the
//! ledger so far → the next batch of assignments appended to the ledger (never rewritten).

use crate::cli::UsageError;
use crate::cli::common::{DesignArgs, design_settings};
use anyhow::Context;
use lotta::design::UNASSIGNED;
use lotta::design::rolling::DesignColumns;
use lotta::io::ledger;
use lotta::io::manifest;
use lotta::io::source::InputFile;
use lotta::ops::assign::{
    check_same_design, coded_columns, design_for_ledger, open_ledger, read_participants,
    reconcile_files, stale_note,
};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A study folder or its study.toml (`[data]` and `[design]` give the defaults).
    pub study: Option<PathBuf>,
    /// The participants CSV (`[data] participants`).
    #[arg(long)]
    pub participants: Option<PathBuf>,
    /// The ledger CSV to create or extend (`[data] ledger`); its design sits beside it in
    /// `<ledger>.design.json`.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub design: DesignArgs,
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study = args
        .study
        .as_deref()
        .map(lotta::spec::Study::load)
        .transpose()?;
    let format = crate::cli::common::csv_format(&args.csv, study.as_ref())?;
    let resolved = design_settings(
        args.study.as_deref(),
        args.participants,
        args.ledger,
        &args.design,
    )?;
    let design = resolved.design.ok_or_else(|| {
        UsageError(
            "give the arms with --arms NAME:RATIO,... (or a study with [design] arms)".into(),
        )
    })?;
    let participants = resolved.participants.ok_or_else(|| {
        UsageError("give --participants FILE (or a study whose [data] names participants)".into())
    })?;
    let ledger_path = resolved.ledger.ok_or_else(|| {
        UsageError("give --ledger FILE (or a study whose [data] names ledger)".into())
    })?;
    let opened = open_ledger(&ledger_path)?;
    for (file, size) in &opened.removed {
        eprintln!("note: {}", stale_note(file, *size, true));
    }
    let existing = opened.ledger;
    let design = match &existing {
        Some(l) => {
            let design = design_for_ledger(&design, &l.design, resolved.misfits_given);
            check_same_design(&ledger_path, &l.design, &design)?;
            design
        }
        None => design,
    };
    if let ledger::Record::Interrupted(i) = &opened.record {
        eprintln!("note: {}", i.explain(&ledger_path));
    }
    let participants_file = InputFile::open_as(&participants, format)?;
    let units = read_participants(&participants_file, &design)?;
    let ids = units.ids.to_strs();
    let (strata, cluster) = coded_columns(&units, &design);
    let view = DesignColumns {
        ids: &ids,
        strata: &strata,
        cluster,
    };
    let result = reconcile_files(
        &design,
        &units,
        &view,
        &ledger_path,
        existing.as_ref(),
        true,
    )?;
    let inputs = vec![manifest::file_hash(&participants_file)];
    if result.is_empty() {
        // A stopped assign wrote the ledger but not its record: record it now.
        if opened.record != ledger::Record::Current && existing.is_some() && ledger_path.exists() {
            ledger::record(&ledger_path, "lotta assign", design.seed, inputs)?;
            let what = match &opened.record {
                ledger::Record::Interrupted(i) => {
                    format!("batch {} of the stopped assign", i.last_batch)
                }
                _ => "the ledger".to_string(),
            };
            eprintln!(
                "{}: recorded {what} in {}; all {} participants are in the ledger",
                ledger_path.display(),
                manifest::MANIFEST_FILE,
                units.n_rows()
            );
            return Ok(0);
        }
        eprintln!(
            "{}: nothing to assign; all {} participants are in the ledger",
            ledger_path.display(),
            units.n_rows()
        );
        return Ok(0);
    }
    ledger::append_and_record(
        &ledger_path,
        &design,
        existing.as_ref(),
        (0..result.len()).map(|i| result.view(i, &view)),
        "lotta assign",
        inputs,
    )
    .with_context(|| format!("writing {}", ledger_path.display()))?;
    let mut counts = vec![0usize; design.arms.len()];
    let mut unassigned = 0;
    for arm in result.arms() {
        match counts.get_mut(arm as usize) {
            Some(c) if arm != UNASSIGNED => *c += 1,
            _ => unassigned += 1,
        }
    }
    let mut parts: Vec<String> = design
        .arms
        .iter()
        .zip(&counts)
        .map(|(a, c)| format!("{} {c}", a.name))
        .collect();
    if unassigned > 0 {
        parts.push(format!("unassigned (misfits) {unassigned}"));
    }
    eprintln!(
        "{}: assigned {} new participants as batch {} ({})",
        ledger_path.display(),
        result.len(),
        result.batch,
        parts.join(", ")
    );
    Ok(0)
}
