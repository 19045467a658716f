//! `lotta verify`: re-derive every ledger row from the participants, the seed and the design
//! (from the ledger's sidecar), batch by batch, and check the hash chain. Exit 0 when all match;
//! exit 1 naming the first row that differs or whose hash breaks.

use crate::cli::UsageError;
use crate::cli::assign::{
    DesignArgs, check_same_design, coded_columns, read_participants, reconcile_files, resolve,
};
use lotta::design::rolling::Participants;
use lotta::error::{Error, Location};
use lotta::design::Design;
use lotta::design::ledger::Ledger;
use lotta::io::ledger;
use lotta::io::source::InputFile;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A study folder or its study.toml (`[data]` gives the files; a `[design]` is compared
    /// with the ledger's).
    pub study: Option<PathBuf>,
    /// The ledger CSV (`[data] ledger`).
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// The participants CSV (`[data] participants`).
    #[arg(long)]
    pub participants: Option<PathBuf>,
    /// Design options to compare with the ledger's design (optional).
    #[command(flatten)]
    pub design: DesignArgs,
}

/// What a successful verification found.
pub struct Verified {
    pub ledger: PathBuf,
    pub participants: PathBuf,
    pub rows: usize,
    pub batches: u32,
    pub seed: u64,
    /// Participants not in the ledger yet.
    pub not_in_ledger: usize,
}

/// Re-derive every ledger row and check the hash chain; an error names the first row that
/// differs or whose hash breaks.
pub fn verify(
    study: Option<&std::path::Path>,
    participants: Option<PathBuf>,
    ledger_path: Option<PathBuf>,
    design: &DesignArgs,
) -> anyhow::Result<Verified> {
    let resolved = resolve(study, participants, ledger_path, design)?;
    let ledger_path = resolved.ledger.ok_or_else(|| {
        UsageError("give --ledger FILE (or a study whose [data] names ledger)".into())
    })?;
    let participants = resolved.participants.ok_or_else(|| {
        UsageError("give --participants FILE (or a study whose [data] names participants)".into())
    })?;
    if !ledger_path.exists() {
        return Err(Error::ledger(
            Location::file(&ledger_path),
            "no such ledger (and no design file beside it)",
        )
        .into());
    }
    let ledger_file = InputFile::open(&ledger_path)?;
    let sidecar_path = ledger::sidecar_path(&ledger_path);
    let sidecar = sidecar_path
        .is_file()
        .then(|| InputFile::open(&sidecar_path))
        .transpose()?;
    let ledger = ledger::parse(&ledger_file, sidecar.as_ref())?;
    let participants = InputFile::open(&participants)?;
    verify_opened(
        &ledger,
        &ledger_file,
        &participants,
        resolved.design.as_ref(),
    )
}

/// [`verify`] on files already read: the parsed ledger, its file (for the manifest check), the
/// participants, and the design the spec or flags give (compared with the ledger's).
pub fn verify_opened(
    ledger: &Ledger,
    ledger_file: &InputFile,
    participants: &InputFile,
    design: Option<&Design>,
) -> anyhow::Result<Verified> {
    let ledger_path = ledger_file.path().to_path_buf();
    ledger::check_hash_against_manifest(&ledger_path, ledger_file.sha256())?;
    if let Some(design) = design {
        check_same_design(&ledger_path, &ledger.design, design)?;
    }
    let units = read_participants(participants, &ledger.design)?;
    let ids = units.ids.to_strs();
    let (strata, cluster) = coded_columns(&units, &ledger.design);
    let view = Participants {
        ids: &ids,
        strata: &strata,
        cluster,
    };
    let result = reconcile_files(
        &ledger.design,
        &units,
        &view,
        &ledger_path,
        Some(ledger),
        false,
    )?;
    Ok(Verified {
        rows: ledger.rows.len(),
        batches: ledger.rows.iter().map(|r| r.batch).max().unwrap_or(0),
        seed: ledger.design.seed,
        not_in_ledger: result.not_in_ledger,
        ledger: ledger_path,
        participants: participants.path().to_path_buf(),
    })
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let v = verify(
        args.study.as_deref(),
        args.participants,
        args.ledger,
        &args.design,
    )?;
    println!(
        "ok: {} rows in {} batch(es) of {} re-derive from seed {} and the design; the hash chain is intact",
        v.rows,
        v.batches,
        v.ledger.display(),
        v.seed
    );
    if v.not_in_ledger > 0 {
        eprintln!(
            "note: {} participants in {} are not in the ledger yet (run `lotta assign`)",
            v.not_in_ledger,
            v.participants.display()
        );
    }
    Ok(0)
}
