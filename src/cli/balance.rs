//! `lotta balance`: participants joined to the ledger's arms → the balance table (and the joint
//! F tests) in any export format, printed or written with a manifest entry.

use crate::cli::UsageError;
use crate::cli::common::{
    DesignArgs, Provenance, StudyArg, check_out, design_settings, emit_fitted,
};
use lotta::error::{Error, Location};
use lotta::export::Format;
use lotta::io::ledger;
use lotta::io::source::InputFile;
use lotta::ops::baseline::balance_of;
use lotta::tidy::balance::{BALANCE_TERMINAL, joint_frame, rows_frame};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta balance studies/md1-demo
  lotta balance studies/md1-demo --covariates age,education_level --by distance \\
      --format markdown
  lotta balance --participants data/md1-demo/participants.csv \\
      --ledger data/md1-demo/ledger.csv --covariates age,education_years,gender \\
      --format csv --out balance.csv")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    /// The participants file [default: `[data] participants`].
    #[arg(long)]
    pub participants: Option<PathBuf>,
    /// How the input CSV files are written (decimal comma, encoding).
    #[command(flatten)]
    pub csv: crate::cli::common::CsvArgs,
    /// The ledger written by `lotta assign` [default: `[data] ledger`].
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Covariates, comma-separated; text columns become one indicator per level [default:
    /// `[design] balance`].
    #[arg(long, value_delimiter = ',')]
    pub covariates: Option<Vec<String>>,
    /// Subgroup column, e.g. `gender` [default: `[design] by`, else none].
    #[arg(long)]
    pub by: Option<String>,
    /// Cluster column of the participants file: the tests become cluster-robust (CR2 with
    /// Bell–McCaffrey df; joint Wald test with F(q, G − 1)) [default: the ledger's clusters in a
    /// cluster design, else none].
    #[arg(long)]
    pub cluster: Option<String>,
    /// table, csv, json, markdown or latex.
    #[arg(long, value_parser = crate::cli::common::format, default_value = "table")]
    pub format: Format,
    /// Write the table to this file (atomically, with a manifest entry; the joint F tests go
    /// beside it as `<stem>_joint.<ext>`) [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `balance.csv` → `balance_joint.csv`.
pub fn joint_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "balance".into());
    let name = match out.extension() {
        Some(ext) => format!("{stem}_joint.{}", ext.to_string_lossy()),
        None => format!("{stem}_joint"),
    };
    out.with_file_name(name)
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let resolved = design_settings(
        args.study.path(),
        args.participants,
        args.ledger,
        &DesignArgs::default(),
    )?;
    let spec_design = resolved
        .study
        .as_ref()
        .and_then(|s| s.spec.design.clone())
        .unwrap_or_default();
    let participants = resolved.participants.ok_or_else(|| {
        UsageError("give --participants FILE (or a study whose [data] names participants)".into())
    })?;
    let ledger_path = resolved.ledger.ok_or_else(|| {
        UsageError("give --ledger FILE (or a study whose [data] names ledger)".into())
    })?;
    let covariates = args.covariates.unwrap_or(spec_design.balance);
    if covariates.is_empty() {
        return Err(UsageError(
            "give --covariates a,b,c (or `balance = [...]` in the study's [design])".into(),
        )
        .into());
    }
    let by = args.by.or(spec_design.by);
    let mut inputs = vec![participants.clone(), ledger_path.clone()];
    if let Some(study) = &resolved.study {
        inputs.extend(study.input_files());
    }
    let out = check_out(args.out.as_deref(), &inputs)?;
    let joint_out = check_out(args.out.as_deref().map(joint_path).as_deref(), &inputs)?;
    let Some(ledger) = ledger::read(&ledger_path)? else {
        return Err(Error::ledger(Location::file(&ledger_path), "no such ledger").into());
    };
    let format = crate::cli::common::csv_format(&args.csv, resolved.study.as_ref())?;
    let participants_file = InputFile::open_as(&participants, format)?;
    let outcome = balance_of(
        &participants_file,
        &ledger,
        &covariates,
        by.as_deref(),
        args.cluster.as_deref(),
    )?;
    if let Some(g) = outcome.balance.clusters {
        eprintln!(
            "note: inference is cluster-robust with {g} clusters (CR2 with Bell–McCaffrey df; joint Wald test F(q, G − 1))"
        );
    }
    if outcome.left_out > 0 {
        eprintln!(
            "note: {} participants are left out (not in the ledger, or left unassigned as misfits)",
            outcome.left_out
        );
    }
    let rows = rows_frame(&outcome.balance.rows);
    let joint = joint_frame(&outcome.balance.joint, outcome.balance.clusters.is_some());
    let provenance = Provenance {
        command: "lotta balance",
        seed: None,
        inputs: vec![
            lotta::io::manifest::file_hash(&participants_file),
            lotta::io::manifest::hash_inputs(std::slice::from_ref(&ledger_path))?.remove(0),
        ],
    };
    match (&out, &joint_out) {
        (Some(out), Some(joint_out)) => {
            emit_fitted(
                &rows,
                args.format,
                Some("subgroup"),
                &BALANCE_TERMINAL,
                Some(out),
                &provenance,
            )?;
            emit_fitted(&joint, args.format, None, &[], Some(joint_out), &provenance)?;
            eprintln!(
                "wrote {} and {}",
                out.path().display(),
                joint_out.path().display()
            );
        }
        _ => {
            emit_fitted(
                &rows,
                args.format,
                Some("subgroup"),
                &BALANCE_TERMINAL,
                None,
                &provenance,
            )?;
            match args.format {
                // Two tables concatenate well only in human formats.
                Format::Table | Format::Markdown | Format::Latex => {
                    println!("\nJoint test: arm indicator regressed on all covariates (F)\n");
                    emit_fitted(&joint, args.format, None, &[], None, &provenance)?;
                }
                Format::Csv | Format::Json => eprintln!(
                    "note: the joint F tests are written with --out FILE (beside it as <stem>_joint)"
                ),
            }
        }
    }
    Ok(0)
}
