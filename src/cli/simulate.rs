//! `lotta simulate`: read the study's `[simulate]` section, simulate participants → assignment
//! → outcomes and costs, and write participants.csv, outcomes.csv, costs.csv and ledger.csv
//! (all rendered before any is written, so an error changes no file), with manifest entries.
//! An existing file is replaced only when it holds the same bytes, or with `--force` when lotta
//! wrote it (its manifest says so); a file lotta did not write, and a ledger with other
//! assignments, are never replaced.

use crate::cli::common::StudyArg;
use anyhow::Context;
use lotta::io::output::OutputFile;
use lotta::ops::simulate::{load_dgp_with_design, participants_n};
use lotta::simulate::{self, Streams, render};
use lotta::spec::Study;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta simulate studies/md1-demo --n 600 --out simulated
  lotta simulate studies/md1-demo --n 5400 --seed 20190401 --out simulated-full

--out is a folder here (as in run and report); in the table commands it is a file.")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    /// Number of participants [default: `[simulate] n`].
    #[arg(long, allow_hyphen_values = true)]
    pub n: Option<i64>,
    /// Seed [default: `[study] seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// The folder to write the files into (made when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace files that an earlier `lotta simulate` wrote here (never a file lotta did not
    /// write, never a ledger with other assignments).
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study_path = args.study.required("simulate")?;
    let study = Study::load(study_path)?;
    let seed = args.seed.unwrap_or(study.seed());
    let dgp = load_dgp_with_design(&study, seed)?;
    let min: usize = 2 * dgp.arms.len();
    let n = participants_n(args.n, &dgp, min)?;
    let sim = simulate::simulate_study(&dgp, n, &Streams::new(seed))?;
    let (ledger_bytes, sidecar_bytes) = render::ledger_files(&dgp, &sim, seed)?;
    let files = [
        ("participants.csv", render::participants_csv(&dgp, &sim)?),
        ("outcomes.csv", render::outcomes_csv(&dgp, &sim)?),
        ("costs.csv", render::costs_csv(&sim)?),
        ("ledger.csv", ledger_bytes),
        ("ledger.csv.design.json", sidecar_bytes),
    ];
    let inputs = std::slice::from_ref(&study.file);
    // Every file is checked before any is written.
    let mut outputs = Vec::new();
    let mut changed = Vec::new();
    for (name, bytes) in &files {
        let path = args.out.join(name);
        let output = OutputFile::check(&path, inputs)?;
        if output.replaces_lottas() && std::fs::read(&path).is_ok_and(|old| old != *bytes) {
            changed.push((*name, path));
        }
        outputs.push(output);
    }
    if let Some((_, path)) = changed.iter().find(|(n, _)| n.starts_with("ledger.csv")) {
        // An assignment ledger is never overwritten: regenerating the same study with the same
        // seed gives the same bytes, anything else must go to a new folder.
        return Err(lotta::Error::refused(
            lotta::error::Location::file(path),
            "an assignment ledger with other assignments is already here; lotta never overwrites a ledger",
        )
        .with_hint("write the simulated study to another --out folder, or move the old ledger away")
        .into());
    }
    if let Some((_, path)) = changed.first().filter(|_| !args.force) {
        return Err(lotta::Error::refused(
            lotta::error::Location::file(path),
            "this file exists (an earlier `lotta simulate` wrote it) and would change",
        )
        .with_hint("write to another --out folder, or pass --force to replace lotta's files")
        .into());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let command = format!(
        "lotta simulate {} --n {n} --seed {seed} --out {}",
        study_path.display(),
        args.out.display()
    );
    for (output, (_, bytes)) in outputs.iter().zip(&files) {
        output.write(
            bytes,
            &command,
            Some(seed),
            &[lotta::io::manifest::spec_hash(&study)],
        )?;
    }
    eprintln!(
        "wrote {n} participants to {} (participants.csv, outcomes.csv, costs.csv, ledger.csv)",
        args.out.display()
    );
    Ok(0)
}
