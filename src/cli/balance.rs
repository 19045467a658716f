//! `lotta balance`: participants joined to the ledger's arms → the balance table (and the joint
//! F tests) in any export format, printed or written with a manifest entry.

use crate::cli::UsageError;
use crate::cli::assign::{DesignArgs, resolve};
use crate::cli::common::{Provenance, check_out, emit};
use lotta::balance::{Covariate, balance};
use lotta::design::UNASSIGNED;
use lotta::error::{Error, Location};
use lotta::export::Format;
use lotta::io::table::is_missing;
use lotta::design::ledger::Ledger;
use lotta::io::source::InputFile;
use lotta::io::{ColumnRequest, ledger};
use lotta::tidy::balance::{joint_frame, rows_frame};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A study folder or its study.toml (`[data]` files; `[design] balance` and `by`).
    pub study: Option<PathBuf>,
    /// The participants CSV (`[data] participants`).
    #[arg(long)]
    pub participants: Option<PathBuf>,
    /// The ledger written by `lotta assign` (`[data] ledger`).
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Covariates, comma-separated (`[design] balance`). Text columns become one indicator per level.
    #[arg(long, value_delimiter = ',')]
    pub covariates: Option<Vec<String>>,
    /// Subgroup column (`[design] by`), e.g. `gender`.
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the table here (the joint F tests go beside it as `<stem>_joint.<ext>`).
    #[arg(long)]
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

/// The balance table and the joint F tests of `covariates` by the ledger's arms, overall and by
/// `by`. Participants not in the ledger (or misfits left unassigned) are left out, with a note.
pub fn balance_tables(
    participants: &InputFile,
    ledger: &Ledger,
    covariates: &[String],
    by: Option<&str>,
) -> anyhow::Result<(lotta::export::Frame, lotta::export::Frame)> {
    let design = &ledger.design;
    let mut requests = vec![ColumnRequest::text(&design.id)];
    for c in covariates {
        requests.push(ColumnRequest::text(c));
    }
    if let Some(b) = by {
        requests.push(ColumnRequest::text(b));
    }
    let table = participants.table(&requests)?;
    let ids = table.text(&design.id)?;
    let arm_of: HashMap<&str, u32> = ledger.rows.iter().map(|r| (r.id.as_str(), r.arm)).collect();
    let arm: Vec<u32> = ids
        .iter()
        .map(|id| arm_of.get(id.as_str()).copied().unwrap_or(UNASSIGNED))
        .collect();
    let left_out = arm.iter().filter(|&&a| a == UNASSIGNED).count();
    if left_out > 0 {
        eprintln!(
            "note: {left_out} participants are left out (not in the ledger, or left unassigned as misfits)"
        );
    }
    // A column whose every non-missing cell is a number is numeric; otherwise text.
    let mut numeric: Vec<Option<Vec<f64>>> = Vec::new();
    for c in covariates {
        let values = table.text(c)?;
        let parsed: Option<Vec<f64>> = values
            .iter()
            .map(|v| {
                if is_missing(v) {
                    Some(f64::NAN)
                } else {
                    v.parse::<f64>().ok().filter(|x| x.is_finite())
                }
            })
            .collect();
        numeric.push(parsed);
    }
    let mut covs: Vec<Covariate> = Vec::new();
    for (c, parsed) in covariates.iter().zip(&numeric) {
        covs.push(match parsed {
            Some(values) => Covariate::Numeric { name: c, values },
            None => Covariate::Categorical {
                name: c,
                values: table.text(c)?,
            },
        });
    }
    let arm_names: Vec<String> = design.arms.iter().map(|a| a.name.clone()).collect();
    let by_values = match by {
        Some(b) => Some((b, table.text(b)?)),
        None => None,
    };
    let result = balance(&covs, &arm, &arm_names, design.control_index(), by_values)?;
    Ok((rows_frame(&result.rows), joint_frame(&result.joint)))
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let resolved = resolve(
        args.study.as_deref(),
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
    let participants_file = InputFile::open(&participants)?;
    let (rows, joint) = balance_tables(&participants_file, &ledger, &covariates, by.as_deref())?;
    let provenance = Provenance {
        command: "lotta balance",
        seed: None,
        inputs: vec![
            lotta::io::manifest::file_hash(&participants_file),
            lotta::io::manifest::hash_inputs(std::slice::from_ref(&ledger_path))?
                .remove(0),
        ],
    };
    match (&out, &joint_out) {
        (Some(out), Some(joint_out)) => {
            emit(&rows, args.format, Some(out), &provenance)?;
            emit(&joint, args.format, Some(joint_out), &provenance)?;
            eprintln!(
                "wrote {} and {}",
                out.path().display(),
                joint_out.path().display()
            );
        }
        _ => {
            emit(&rows, args.format, None, &provenance)?;
            match args.format {
                // Two tables concatenate well only in human formats.
                Format::Table | Format::Markdown | Format::Latex => {
                    println!("\nJoint test: arm indicator regressed on all covariates (F)\n");
                    emit(&joint, args.format, None, &provenance)?;
                }
                Format::Csv | Format::Json => eprintln!(
                    "note: the joint F tests are written with --out FILE (beside it as <stem>_joint)"
                ),
            }
        }
    }
    Ok(0)
}
