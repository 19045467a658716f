//! `lotta verify`: re-derive every ledger row from the participants, the seed and the design
//! (from the ledger's sidecar), batch by batch, and check the hash chain. Exit 0 when all match;
//! exit 1 naming the first row that differs or whose hash breaks.

use crate::cli::common::{DesignArgs, StudyArg, design_settings};
use lotta::ops::verify::verify;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta verify studies/md1-demo
  lotta verify --participants data/md1-demo/participants.csv \\
      --ledger data/md1-demo/ledger.csv")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    /// The ledger CSV [default: `[data] ledger`].
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// The participants file [default: `[data] participants`].
    #[arg(long)]
    pub participants: Option<PathBuf>,
    /// Design options to compare with the ledger's design (optional).
    #[command(flatten)]
    pub design: DesignArgs,
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let settings = design_settings(
        args.study.path(),
        args.participants,
        args.ledger,
        &args.design,
    )?;
    let study = args.study.load()?;
    let format = crate::cli::common::csv_format(&args.csv, study.as_ref())?;
    let v = verify(&settings, format)?;
    let plan_versions = match &study {
        Some(study) => lotta::ops::plan::verify_plan(study)?,
        None => 0,
    };
    println!(
        "ok: {} rows in {} batch(es) of {} re-derive from seed {} and the design; the hash chain ({}) is intact",
        v.rows,
        v.batches,
        v.ledger.display(),
        v.seed,
        v.format.tag()
    );
    for note in &v.notes {
        eprintln!("note: {note}");
    }
    if plan_versions > 0 {
        println!(
            "ok: the pre-analysis plan's {plan_versions} version(s) are intact and chained, and the ledger still begins with the rows each was frozen with"
        );
    }
    if v.not_in_ledger > 0 {
        eprintln!(
            "note: {} participants in {} are not in the ledger yet (run `lotta assign`)",
            v.not_in_ledger,
            v.participants.display()
        );
    }
    Ok(0)
}
