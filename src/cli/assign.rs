//! `lotta assign`: the design from `[design]` and flags (flags win), the participants, the
//! ledger so far → the next batch of assignments appended to the ledger (never rewritten).

use crate::cli::UsageError;
use crate::cli::common::{DesignArgs, StudyArg, choice};
use anyhow::Context;
use lotta::design::UNASSIGNED;
use lotta::design::ledger::LedgerFormat;
use lotta::design::rolling::DesignColumns;
use lotta::io::ledger;
use lotta::io::manifest;
use lotta::ops::assign::{
    check_same_design, coded_columns, design_for_ledger, format_for_ledger, open_ledger,
    participants_of, rederive, stale_note,
};
use lotta::settings::design::DesignSettings;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta assign studies/md1-demo
  lotta assign studies/md1-demo --ledger ledger-copy.csv
  lotta assign --participants data/md1-demo/participants.csv --id person_id \\
      --arms md1:2,standard:1 --strata site,gender --method blocks --block-sizes 3,6 \\
      --seed 20190401 --ledger my-ledger.csv

Run it again with a longer participants file as enrolment rolls on: earlier rows never change.")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    /// The participants file [default: `[data] participants`].
    #[arg(long)]
    pub participants: Option<PathBuf>,
    /// The ledger CSV to create or extend; its design sits beside it in `<ledger>.design.json`
    /// [default: `[data] ledger`].
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub design: DesignArgs,
    /// The format of a new ledger: v2 (a hash per block of up to 1,024 rows) or v1 (a hash on
    /// every row, as lotta wrote before v2); an existing ledger keeps its own
    /// [default: `[design] ledger_format`, else v2].
    #[arg(long, value_parser = choice::<LedgerFormat>)]
    pub ledger_format: Option<LedgerFormat>,
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study = args.study.load()?;
    let format = crate::cli::common::csv_format(&args.csv, study.as_ref())?;
    let mut flags = args.design.flags();
    flags.ledger_format = args.ledger_format;
    let resolved = DesignSettings::resolve(study.clone(), args.participants, args.ledger, &flags)?;
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
    let design = match &opened.sidecar {
        Some(head) => {
            let design = design_for_ledger(&design, &head.design, resolved.misfits_given);
            check_same_design(&ledger_path, &head.design, &design)?;
            design
        }
        None => design,
    };
    let ledger_format = format_for_ledger(
        &ledger_path,
        &opened,
        resolved.ledger_format,
        resolved.ledger_format_given.as_ref(),
    )?;
    let (units, participants_hash) = participants_of(&participants, format, &design)?;
    let ids = units.ids.ids();
    let (strata, cluster) = coded_columns(&units, &design);
    let view = DesignColumns {
        ids: &ids,
        strata: &strata,
        cluster,
    };
    let rederived = rederive(
        &design,
        opened.sidecar.as_ref(),
        &units,
        &view,
        &ledger_path,
        true,
    )?;
    if let ledger::Record::Interrupted(i) = &rederived.record {
        eprintln!("note: {}", i.explain(&ledger_path));
    }
    let result = &rederived.reconciled;
    let inputs = vec![participants_hash];
    if result.is_empty() {
        // A stopped assign wrote the ledger but not its record: record it now.
        if rederived.record != ledger::Record::Current
            && rederived.last_hash.is_some()
            && ledger_path.exists()
        {
            ledger::record(&ledger_path, "lotta assign", design.seed, inputs)?;
            let what = match &rederived.record {
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
    // The arms are counted from the rows as they are written: counted afterwards from the
    // plan, each row read its unit's member and slot again at random (0.3-0.4 s at ten million
    // rows, docs/scale.md).
    let mut counts = vec![0usize; design.arms.len()];
    let mut unassigned = 0;
    ledger::append_and_record(
        &ledger_path,
        &design,
        ledger_format,
        rederived.last_hash.as_deref(),
        result
            .views(view)
            .inspect(|row| match counts.get_mut(row.arm as usize) {
                Some(c) if row.arm != UNASSIGNED => *c += 1,
                _ => unassigned += 1,
            }),
        "lotta assign",
        inputs,
    )
    .with_context(|| format!("writing {}", ledger_path.display()))?;
    let mut parts: Vec<String> = design
        .arms
        .iter()
        .zip(&counts)
        .map(|(a, c)| format!("{} {c}", a.name))
        .collect();
    if unassigned > 0 {
        parts.push(format!("unassigned (misfits) {unassigned}"));
        if design.misfits == lotta::design::Misfits::Missing {
            eprintln!(
                "note: {unassigned} participants do not fill a whole ratio of the arms in their stratum and stay unassigned (misfits `missing`, the default); to assign them too, start the ledger with `--misfits global` or `misfits = \"global\"` in [design] (docs/randomization.md)"
            );
        }
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
