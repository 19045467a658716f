//! `lotta simulate`: read the study's `[simulate]` section, simulate participants → assignment
//! → outcomes and costs, and write participants.csv, outcomes.csv, costs.csv and ledger.csv
//! (all rendered before any is written, so an error changes no file), with manifest entries.

use crate::cli::UsageError;
use anyhow::Context;
use lotta::io::{manifest, write_atomic};
use lotta::simulate::{self, Dgp, Streams, render};
use lotta::spec::Study;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study folder or its study.toml (with a `[simulate]` section).
    #[arg(long)]
    pub study: PathBuf,
    /// Number of participants (default: `simulate.n`).
    #[arg(long, allow_hyphen_values = true)]
    pub n: Option<i64>,
    /// Seed (default: `study.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Folder to write the files into (created if needed).
    #[arg(long)]
    pub out: PathBuf,
}

/// Load and validate the data-generating process of a study.
pub fn load_dgp(study: &Study) -> anyhow::Result<Dgp> {
    let spec = study.spec.simulate.as_ref().ok_or_else(|| {
        lotta::Error::spec(
            study.key_location("simulate"),
            "the study has no [simulate] section",
        )
    })?;
    Ok(Dgp::from_spec(spec, &|key| study.key_location(key))?)
}

/// The number of participants from `--n` or the spec, checked.
pub fn participants_n(n: Option<i64>, dgp: &Dgp, min: usize) -> anyhow::Result<usize> {
    let n = match n {
        Some(n) if n < 0 => {
            return Err(UsageError(format!(
                "--n {n}: a number of participants cannot be negative"
            ))
            .into());
        }
        Some(n) => n as usize,
        None => dgp
            .default_n
            .ok_or_else(|| UsageError("give --n or set `simulate.n` in the study".to_string()))?,
    };
    if n < min {
        return Err(UsageError(format!(
            "--n {n}: too few participants; expected at least {min} (two per arm)"
        ))
        .into());
    }
    Ok(n)
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study = Study::load(&args.study)?;
    let dgp = load_dgp(&study)?;
    let min: usize = 2 * dgp.arms.len();
    let n = participants_n(args.n, &dgp, min)?;
    let seed = args.seed.unwrap_or(study.seed());
    let sim = simulate::simulate_study(&dgp, n, &Streams::new(seed))?;
    let files = [
        ("participants.csv", render::participants_csv(&dgp, &sim)?),
        ("outcomes.csv", render::outcomes_csv(&dgp, &sim)?),
        ("costs.csv", render::costs_csv(&sim)?),
        ("ledger.csv", render::ledger_csv(&sim)?),
    ];
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let command = format!(
        "lotta simulate --study {} --n {n} --seed {seed} --out {}",
        args.study.display(),
        args.out.display()
    );
    for (name, bytes) in &files {
        let path = args.out.join(name);
        write_atomic(&path, bytes)?;
        manifest::record(
            &path,
            &command,
            Some(seed),
            std::slice::from_ref(&study.file),
        )?;
    }
    eprintln!(
        "wrote {n} participants to {} (participants.csv, outcomes.csv, costs.csv, ledger.csv)",
        args.out.display()
    );
    Ok(0)
}
