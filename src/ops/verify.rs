//! Verification as a library operation: re-derive every ledger row from the participants, the
//! seed and the design (from the ledger's sidecar), batch by batch, and check the hash chain and
//! the manifest's record of the ledger.

use crate::design::Design;
use crate::design::ledger::Ledger;
use crate::design::rolling::DesignColumns;
use crate::error::{Error, Location, Result};
use crate::io::ledger;
use crate::io::source::InputFile;
use crate::io::table::CsvFormat;
use crate::ops::assign::{
    check_same_design, coded_columns, design_for_ledger, participants_unhashed, read_participants,
    reconcile_files, rederive, stale_note,
};
use crate::settings::Origin;
use crate::settings::design::DesignSettings;
use std::path::PathBuf;

/// What a successful verification found.
pub struct Verified {
    pub ledger: PathBuf,
    pub participants: PathBuf,
    pub rows: usize,
    pub batches: u32,
    pub seed: u64,
    /// The ledger's format (its design file's tag).
    pub format: crate::design::ledger::LedgerFormat,
    /// Participants not in the ledger yet.
    pub not_in_ledger: usize,
    /// What the user should know: an assign that was stopped before recording the ledger,
    /// temporary files a stopped run left.
    pub notes: Vec<String>,
}

/// Re-derive every ledger row and check the hash chain; an error names the first row that
/// differs or whose hash breaks. `format` is how the participants file is written.
pub fn verify(settings: &DesignSettings, format: CsvFormat) -> Result<Verified> {
    let ledger_path = settings.ledger.clone().ok_or_else(|| {
        Origin::flag("--ledger").error("give --ledger FILE (or a study whose [data] names ledger)")
    })?;
    let participants = settings.participants.clone().ok_or_else(|| {
        Origin::flag("--participants")
            .error("give --participants FILE (or a study whose [data] names participants)")
    })?;
    if !ledger_path.exists() {
        let sidecar = ledger::sidecar_path(&ledger_path);
        if sidecar.is_file() {
            return Err(Error::ledger(
                Location::file(&ledger_path),
                format!(
                    "no ledger yet, but its design file `{}` exists: a first `lotta assign` was stopped before it wrote the ledger",
                    sidecar.display()
                ),
            )
            .with_hint("run the same `lotta assign` again to draw the first batch"));
        }
        return Err(Error::ledger(
            Location::file(&ledger_path),
            "no such ledger (and no design file beside it)",
        ));
    }
    // The ledger is streamed (read twice, never held: ten million rows fit in memory beside
    // the participants, docs/scale.md); `run` verifies the ledger it has already read with
    // `verify_opened`.
    let Some(sidecar) = ledger::read_head(&ledger_path)? else {
        return Err(Error::ledger(
            Location::file(&ledger_path),
            format!(
                "the ledger has no design file `{}`; it is needed to verify and extend the ledger",
                ledger::sidecar_path(&ledger_path).display()
            ),
        ));
    };
    let mut notes = Vec::new();
    for (file, size) in ledger::stale_temporaries(&ledger_path) {
        notes.push(stale_note(&file, size, false));
    }
    let ledger_design = &sidecar.design;
    if let Some(design) = settings.design.as_ref() {
        let design = design_for_ledger(design, ledger_design, settings.misfits_given);
        check_same_design(&ledger_path, ledger_design, &design)?;
    }
    let units = participants_unhashed(&participants, format, ledger_design)?;
    let ids = units.ids.ids();
    let (strata, cluster) = coded_columns(&units, ledger_design);
    let view = DesignColumns {
        ids: &ids,
        strata: &strata,
        cluster,
    };
    let rederived = rederive(
        ledger_design,
        Some(&sidecar),
        &units,
        &view,
        &ledger_path,
        false,
    )?;
    if let ledger::Record::Interrupted(i) = &rederived.record {
        notes.insert(0, i.explain(&ledger_path));
    }
    Ok(Verified {
        rows: rederived.rows,
        batches: rederived.batches,
        seed: ledger_design.seed,
        format: sidecar.format,
        not_in_ledger: rederived.reconciled.not_in_ledger,
        ledger: ledger_path,
        participants,
        notes,
    })
}

/// [`verify`] on files already read: the parsed ledger, its file (for the manifest check), the
/// participants, and the design the spec or flags give (compared with the ledger's).
pub fn verify_opened(
    ledger: &Ledger,
    ledger_file: &InputFile,
    participants: &InputFile,
    design: Option<&Design>,
    misfits_given: bool,
) -> Result<Verified> {
    let ledger_path = ledger_file.path().to_path_buf();
    let mut notes = Vec::new();
    if let ledger::Record::Interrupted(i) = ledger::check_record(ledger_file, ledger)? {
        notes.push(i.explain(&ledger_path));
    }
    for (file, size) in ledger::stale_temporaries(&ledger_path) {
        notes.push(stale_note(&file, size, false));
    }
    if let Some(design) = design {
        let design = design_for_ledger(design, &ledger.design, misfits_given);
        check_same_design(&ledger_path, &ledger.design, &design)?;
    }
    let units = read_participants(participants, &ledger.design)?;
    let ids = units.ids.ids();
    let (strata, cluster) = coded_columns(&units, &ledger.design);
    let view = DesignColumns {
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
        format: ledger.format,
        not_in_ledger: result.not_in_ledger,
        ledger: ledger_path,
        participants: participants.path().to_path_buf(),
        notes,
    })
}
