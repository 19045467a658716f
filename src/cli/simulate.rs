//! `lotta simulate`: read the study's `[simulate]` section, simulate participants → assignment
//! → outcomes and costs, and write participants.csv, outcomes.csv, costs.csv and ledger.csv
//! (all rendered before any is written, so an error changes no file), with manifest entries.

use crate::cli::UsageError;
use crate::cli::assign::{DesignArgs, resolve};
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

/// The data-generating process with the study's `[design]` (when it has one), so that simulated
/// participants are assigned exactly as `lotta assign` would assign them with `seed`.
pub fn load_dgp_with_design(study: &Study, seed: u64) -> anyhow::Result<Dgp> {
    let dgp = load_dgp(study)?;
    if study.spec.design.is_none() {
        return Ok(dgp);
    }
    let flags = DesignArgs {
        seed: Some(seed),
        ..DesignArgs::default()
    };
    let resolved = resolve(Some(&study.file), None, None, &flags)?;
    Ok(match resolved.design {
        Some(design) => dgp.with_design(design),
        None => dgp,
    })
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
    // An assignment ledger is never overwritten: regenerating the same study with the same seed
    // gives the same bytes, anything else must go to a new folder.
    for name in ["ledger.csv", "ledger.csv.design.json"] {
        let path = args.out.join(name);
        if let Ok(old) = std::fs::read(&path)
            && files.iter().any(|(n, bytes)| *n == name && *bytes != old)
        {
            return Err(lotta::Error::ledger(
                lotta::error::Location::file(&path),
                "an assignment ledger with other assignments is already here; lotta never overwrites a ledger",
            )
            .with_hint("write the simulated study to another --out folder, or move the old ledger away")
            .into());
        }
    }
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
