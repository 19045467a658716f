//! Assignment as a library operation: the participants' design columns read from a file read
//! once, the ledger re-derived (and extended with the next batch), every failure mapped to the
//! file, line and column it concerns.

use crate::design::ledger::{Ledger, columns};
use crate::design::rolling::{Coded, DesignColumns, Reconciled, RollingError, reconcile};
use crate::design::{Design, Misfits, PlanError};
use crate::error::{Error, Location, Result};
use crate::io::ledger;
use crate::io::source::InputFile;
use crate::io::units::{CodedColumn, UnitsFile, units_of};
use std::path::{Path, PathBuf};

/// A ledger as `assign` finds it: its rows (none yet when only its design file exists), what the
/// manifest says about it, and the temporary files a stopped run left beside it (removed).
pub struct OpenedLedger {
    pub ledger: Option<Ledger>,
    pub record: ledger::Record,
    pub removed: Vec<(PathBuf, u64)>,
}

/// Open the ledger at `path` for extending: remove the temporary files of a stopped run, read
/// the ledger and its design file, and compare it with the manifest's record (a ledger written
/// by an assign that was stopped before recording it is accepted and reported).
pub fn open_ledger(path: &Path) -> Result<OpenedLedger> {
    let removed = ledger::remove_stale_temporaries(path)?;
    if !path.exists() {
        return Ok(OpenedLedger {
            ledger: ledger::read(path)?,
            record: ledger::Record::Unrecorded,
            removed,
        });
    }
    let file = InputFile::open(path)?;
    let sidecar_path = ledger::sidecar_path(path);
    let sidecar = sidecar_path
        .is_file()
        .then(|| InputFile::open(&sidecar_path))
        .transpose()?;
    let parsed = ledger::parse(&file, sidecar.as_ref())?;
    let record = ledger::check_record(&file, &parsed)?;
    Ok(OpenedLedger {
        ledger: Some(parsed),
        record,
        removed,
    })
}

/// The note that says a stale temporary file was removed (or, for `verify`, is there).
pub fn stale_note(file: &Path, size: u64, removed: bool) -> String {
    if removed {
        format!(
            "removed `{}` ({size} bytes), a temporary file left by a lotta run that was stopped",
            file.display()
        )
    } else {
        format!(
            "`{}` ({size} bytes) is a temporary file left by a lotta run that was stopped; the next `lotta assign` removes it (or delete it)",
            file.display()
        )
    }
}

/// Read the participants columns the design needs; empty ids, strata or cluster values are
/// errors naming the line and column.
pub fn read_participants(input: &InputFile, design: &Design) -> Result<UnitsFile> {
    let mut coded: Vec<(&str, &str)> = design
        .strata
        .iter()
        .map(|s| (s.as_str(), "stratum"))
        .collect();
    if let Some(c) = &design.cluster {
        coded.push((c.as_str(), "cluster"));
    }
    let units = units_of(input, &design.id, &coded)?;
    // `|` joins the parts of a stratum key (`site=03|gender=F`); inside a value it would be
    // ambiguous.
    for s in &design.strata {
        if let Some(column) = units.column(s)
            && let Some(code) = column.values.iter().position(|v| v.contains('|'))
            && let Some(row) = column.codes.iter().position(|&c| c as usize == code)
        {
            return Err(Error::data(
                units.location(row, s),
                format!(
                    "the stratum value `{}` contains `|`, which lotta uses to join stratum keys",
                    column.values[code]
                ),
            ));
        }
    }
    Ok(units)
}

/// The strata and cluster columns of a participants file as coded columns.
pub fn coded_columns<'a>(
    units: &'a UnitsFile,
    design: &Design,
) -> (Vec<Coded<'a>>, Option<Coded<'a>>) {
    let coded = |c: &'a CodedColumn| Coded {
        name: &c.name,
        codes: &c.codes,
        values: &c.values,
    };
    let strata = design
        .strata
        .iter()
        .filter_map(|s| units.column(s).map(coded))
        .collect();
    let cluster = design
        .cluster
        .as_ref()
        .and_then(|c| units.column(c).map(coded));
    (strata, cluster)
}

/// The design the spec/flags give, as it applies to an existing ledger. A misfit policy that
/// neither names is the default, and for cluster designs the default changed (`missing` in
/// `lotta/assign/v1`, `randomizr` since v2): a ledger drawn with v1's default keeps it.
pub fn design_for_ledger(design: &Design, ledger_design: &Design, misfits_given: bool) -> Design {
    let mut design = design.clone();
    if !misfits_given && ledger_design.misfits == Misfits::Missing {
        design.misfits = Misfits::Missing;
    }
    design
}

/// Refuse a ledger made with another design, naming the first differing key.
pub fn check_same_design(
    ledger_path: &Path,
    ledger_design: &Design,
    design: &Design,
) -> Result<()> {
    if let Some((key, was, now)) = ledger_design.first_difference(design) {
        return Err(Error::ledger(
            Location::file(ledger::sidecar_path(ledger_path)).with_field(key),
            format!(
                "the ledger was drawn with {key} = `{was}`, but the spec/flags give `{now}`; a ledger's design never changes"
            ),
        )
        .with_hint("start a new ledger for a new design, or restore the spec"));
    }
    Ok(())
}

/// Re-derive the ledger (and assign new participants when `assign_new`), mapping errors to
/// file, line and column.
pub fn reconcile_files(
    design: &Design,
    units: &UnitsFile,
    participants: &DesignColumns,
    ledger_path: &Path,
    existing: Option<&Ledger>,
    assign_new: bool,
) -> Result<Reconciled> {
    let ids = participants.ids;
    let rows = existing.map_or(&[][..], |l| l.rows.as_slice());
    reconcile(design, participants, rows, assign_new).map_err(|e| match e {
            RollingError::Plan(PlanError::EmptyId { unit }) => Error::data(
                units.location(unit, &design.id),
                "empty id; every participant needs an id",
            ),
            RollingError::Plan(PlanError::DuplicateId { unit, first }) => Error::data(
                units.location(unit, &design.id),
                format!(
                    "duplicate id `{}` (also on line {}); ids must be unique",
                    ids.get(unit).copied().unwrap_or(""),
                    units.line(first)
                ),
            ),
            RollingError::Plan(PlanError::ClusterSpansStrata { unit, first }) => {
                let c = design.cluster.as_deref().unwrap_or("");
                Error::data(
                    units.location(unit, c),
                    format!(
                        "cluster `{}` is in another stratum here than on line {}; all members of a cluster must share a stratum",
                        design.cluster.as_ref().and_then(|c| units.column(c)).map_or("", |c| c.value(unit)),
                        units.line(first)
                    ),
                )
            }
            RollingError::Plan(PlanError::BatchZero { .. } | PlanError::Lengths) => {
                Error::compute("internal: inconsistent units for the plan")
            }
            RollingError::MissingId { row } => {
                let r = &rows[row];
                Error::ledger(
                    Location::file(ledger_path)
                        .with_line(r.line)
                        .with_column(1)
                        .with_field("id"),
                    format!(
                        "id `{}` is in the ledger but not in {}; the participants file must keep every assigned id",
                        r.id,
                        units.path.display()
                    ),
                )
            }
            RollingError::DuplicateLedgerId { row, first } => Error::ledger(
                Location::file(ledger_path)
                    .with_line(rows[row].line)
                    .with_column(1)
                    .with_field("id"),
                format!(
                    "id `{}` is in the ledger twice (also line {})",
                    rows[row].id, rows[first].line
                ),
            ),
            RollingError::Differs {
                row,
                field,
                expected,
                found,
            } => {
                let column = columns(design)
                    .iter()
                    .position(|c| *c == field)
                    .map_or(1, |p| p + 1);
                Error::ledger(
                    Location::file(ledger_path)
                        .with_line(rows[row].line)
                        .with_column(column)
                        .with_field(field),
                    format!(
                        "id `{}`: the ledger says `{found}`, re-deriving from the seed and design gives `{expected}`",
                        rows[row].id
                    ),
                )
                .with_hint("the ledger or the participants' strata/cluster columns were changed")
            }
    })
}
