//! Assignment as a library operation: the participants' design columns read from a file read
//! once, the ledger re-derived (and extended with the next batch), every failure mapped to the
//! file, line and column it concerns.

use crate::design::found::FoundRows;
use crate::design::ids::{Cursor, IdList, SortedIds};
use crate::design::ledger::{Ledger, LedgerFormat, LedgerHead, columns, row_fields};
use crate::design::rolling::{
    Coded, DesignColumns, Membership, Reconciled, RollingError, plan_members, reconcile,
};
use crate::design::{Design, Misfits, PlanError};
use crate::error::{Error, Location, Result};
use crate::io::formats::InputKind;
use crate::io::ledger;
use crate::io::manifest::FileHash;
use crate::io::source::InputFile;
use crate::io::table::CsvFormat;
use crate::io::units::{CodedColumn, UnitsFile, read_units, read_units_hashed, units_of};
use std::path::{Path, PathBuf};

/// A ledger as `assign` finds it: its design and the chain's first hash (none before the first
/// assign), and the temporary files a stopped run left beside it (removed). Its rows are read
/// by [`rederive`], which never holds them.
pub struct OpenedLedger {
    pub sidecar: Option<LedgerHead>,
    pub removed: Vec<(PathBuf, u64)>,
}

/// Open the ledger at `path` for extending: remove the temporary files of a stopped run and
/// read its design file (a ledger without one is refused).
pub fn open_ledger(path: &Path) -> Result<OpenedLedger> {
    let removed = ledger::remove_stale_temporaries(path)?;
    let sidecar = ledger::read_head(path)?;
    if sidecar.is_none() && path.exists() {
        return Err(Error::ledger(
            Location::file(path),
            format!(
                "the ledger has no design file `{}`; it is needed to verify and extend the ledger",
                ledger::sidecar_path(path).display()
            ),
        ));
    }
    Ok(OpenedLedger { sidecar, removed })
}

/// The format of the rows `assign` appends: an existing ledger's own (a ledger never changes
/// format: a `lotta-ledger/1` ledger gets v1 rows), else the requested one (`--ledger-format`
/// or `[design] ledger_format`, v2 by default). Asking for another format than an existing
/// ledger's is an error naming where the request came from.
pub fn format_for_ledger(
    path: &Path,
    opened: &OpenedLedger,
    requested: LedgerFormat,
    given: Option<&crate::settings::Origin>,
) -> Result<LedgerFormat> {
    match (&opened.sidecar, given) {
        (Some(head), Some(origin)) if head.format != requested => Err(origin.error(format!(
            "{} is a `{}` ledger and a ledger never changes its format; leave out the ledger format to extend it as it is, or start a new ledger",
            path.display(),
            head.format.tag()
        ))),
        (Some(head), _) => Ok(head.format),
        (None, _) => Ok(requested),
    }
}

/// A ledger re-derived from the participants by [`rederive`].
pub struct Rederived {
    pub reconciled: Reconciled,
    /// Rows and highest batch of the ledger (0 and 0 without a ledger file).
    pub rows: usize,
    pub batches: u32,
    /// The hash the ledger ends with (None: no design file yet, a first assign).
    pub last_hash: Option<String>,
    /// What the manifest says about the ledger.
    pub record: ledger::Record,
}

/// Re-derive the ledger at `ledger_path` (design file read into `sidecar`) from the
/// participants, and (when `assign_new`) draw the participants not in it as the next batch,
/// reading the ledger twice and never holding it (ten million rows, docs/scale.md): the first
/// pass checks the hash chain, finds each row's participant and batch and hashes the file for
/// the manifest check; the draw is made; the second pass compares every row with it. The first
/// row that differs is the error, with its line and column.
pub fn rederive(
    design: &Design,
    sidecar: Option<&LedgerHead>,
    units: &UnitsFile,
    participants: &DesignColumns,
    ledger_path: &Path,
    assign_new: bool,
) -> Result<Rederived> {
    // The ids sorted once: they order the draw, and a ledger's rows (in batch and id order)
    // find their participants in them from one row to the next. A repeated or empty id is an
    // error here, named at its first repeat in the file.
    let sorted = SortedIds::new(participants.ids).map_err(|e| {
        rolling_error(
            RollingError::Plan(e),
            design,
            units,
            participants.ids,
            ledger_path,
            &|_| Ok((0, String::new())),
        )
    })?;
    let mut membership = Membership::new(participants.ids.count());
    let Some(head) = sidecar.filter(|_| ledger_path.exists()) else {
        let reconciled = plan_members(design, participants, &mut membership, sorted, assign_new)
            .map_err(|e| {
                rolling_error(e, design, units, participants.ids, ledger_path, &|_| {
                    Ok((0, String::new()))
                })
            })?;
        return Ok(Rederived {
            reconciled,
            rows: 0,
            batches: 0,
            last_hash: sidecar.map(|h| h.first_hash.clone()),
            record: ledger::Record::Unrecorded,
        });
    };
    let fail = |e: RollingError, line: u64, id: &str| {
        let current = membership_row(&e);
        rolling_error(e, design, units, participants.ids, ledger_path, &|r| {
            if Some(r) == current {
                Ok((line, id.to_string()))
            } else {
                Ok((ledger::line_of_row(ledger_path, r)?, String::new()))
            }
        })
    };
    // Pass 1: the hash chain, each row's participant and batch, the file's SHA-256, and the
    // cells each row is compared with (kept compactly, so that a ledger that re-derives exactly
    // is read once).
    let mut cursor = Cursor::default();
    let mut found = FoundRows::with_capacity(participants.ids.count());
    let (scanned, sha256) = ledger::scan(
        ledger_path,
        head,
        ledger::ChainCheck::NameRows,
        |_, line, row, _| {
            membership
                .push(
                    sorted.find(participants.ids, row.id, &mut cursor),
                    row.batch,
                )
                .map_err(|e| fail(e, line, row.id))?;
            found.push(row);
            Ok(())
        },
    )?;
    // A broken v2 block already says the ledger was changed: name the row first (the
    // manifest's record, which the changed file no longer matches, would only say that).
    let record = match scanned.broken {
        None => ledger::check_record_scanned(ledger_path, &head.design, &sha256)?,
        Some(_) => ledger::Record::Unrecorded,
    };
    let reconciled = plan_members(design, participants, &mut membership, sorted, assign_new)
        .map_err(|e| fail(e, 0, ""))?;
    // Every row as read equals its re-derivation and the chain holds: done, in one pass.
    let matched = scanned.broken.is_none()
        && reconciled.rows_match(design, participants, &membership, &found, scanned.rows);
    drop(found);
    if matched {
        return Ok(Rederived {
            reconciled,
            rows: scanned.rows,
            batches: scanned.max_batch,
            last_hash: Some(scanned.last_hash),
            record,
        });
    }
    // Pass 2 (a row differs, or its cells could not be kept): every row against its
    // re-derivation, naming the first that differs; the chain was checked in pass 1, and the
    // file's SHA-256 shows that this pass read the same file. The rows of a v2 block whose
    // hash broke are compared as text with their re-derivation (the chain says one of them
    // changed): the first that differs is named; a difference outside that block (the
    // participants changed) is named only when no row of the block differs.
    let broken = scanned.broken;
    let mut outside: Option<Error> = None;
    let (_, second) = ledger::scan(
        ledger_path,
        head,
        ledger::ChainCheck::Skip,
        |r, line, row, cells| {
            let Some(block) = broken else {
                return reconciled
                    .check_row(design, participants, &membership, r, row)
                    .map_err(|e| fail(e, line, row.id));
            };
            if block.holds(r) {
                let expected = reconciled
                    .derived_row(participants, &membership, r)
                    .map_err(|e| fail(e, line, row.id))?;
                if let Some(e) = first_cell_difference(design, &expected, cells, r) {
                    return Err(fail(e, line, row.id).with_hint(format!(
                        "the hash of the block of rows on lines {}-{} does not chain: this row was changed after lotta wrote it; restore the ledger from a backup, lotta never rewrites a ledger",
                        block.first_line, block.hash_line
                    )));
                }
            } else if let Err(e) = reconciled.check_row(design, participants, &membership, r, row) {
                if r < block.first {
                    outside.get_or_insert(fail(e, line, row.id));
                } else {
                    return Err(outside.take().unwrap_or_else(|| fail(e, line, row.id)));
                }
            }
            if r == block.last
                && let Some(e) = outside.take()
            {
                return Err(e);
            }
            Ok(())
        },
    )?;
    if second != sha256 {
        return Err(Error::ledger(
            Location::file(ledger_path),
            "the ledger changed while lotta read it (its SHA-256 differs between the two passes)",
        )
        .with_hint("run again when no other program writes the ledger"));
    }
    if let Some(block) = broken {
        return Err(block.error(ledger_path, &head.design));
    }
    Ok(Rederived {
        reconciled,
        rows: scanned.rows,
        batches: scanned.max_batch,
        last_hash: Some(scanned.last_hash),
        record,
    })
}

/// The first cell of ledger row `row` (`cells`, as written) that differs from the text of its
/// re-derivation `expected`.
fn first_cell_difference(
    design: &Design,
    expected: &crate::design::ledger::RowView,
    cells: &[&str],
    row: usize,
) -> Option<RollingError> {
    let names = columns(design);
    let want = row_fields(design, expected);
    want.iter()
        .zip(names.iter())
        .enumerate()
        .find(|(i, (w, _))| cells.get(*i).copied() != Some(w.as_str()))
        .map(|(i, (w, name))| RollingError::Differs {
            row,
            field: name,
            expected: w.clone(),
            found: cells.get(i).copied().unwrap_or("").to_string(),
        })
}

/// The ledger row an error is about.
fn membership_row(e: &RollingError) -> Option<usize> {
    match e {
        RollingError::MissingId { row }
        | RollingError::DuplicateLedgerId { row, .. }
        | RollingError::Differs { row, .. } => Some(*row),
        RollingError::Plan(_) => None,
    }
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

/// The participants file at `path` (written in `format`) for a design: its design columns and
/// its hash for the manifest. A UTF-8 CSV larger than a template is streamed and hashed on the
/// way, never held (ten million rows, docs/scale.md); other files are read whole by
/// [`InputFile`], which also refuses the example file `lotta init` wrote.
pub fn participants_of(
    path: &Path,
    format: CsvFormat,
    design: &Design,
) -> Result<(UnitsFile, FileHash)> {
    match participants_file(path, format, design, true)? {
        (units, Some(hash)) => Ok((units, hash)),
        (_, None) => Err(Error::compute(
            "internal: the participants file was not hashed",
        )),
    }
}

/// [`participants_of`] without the hash, for `verify`, which records nothing (hashing the
/// file was 2% of verifying ten million rows).
pub fn participants_unhashed(path: &Path, format: CsvFormat, design: &Design) -> Result<UnitsFile> {
    Ok(participants_file(path, format, design, false)?.0)
}

fn participants_file(
    path: &Path,
    format: CsvFormat,
    design: &Design,
    hashed: bool,
) -> Result<(UnitsFile, Option<FileHash>)> {
    let large = std::fs::metadata(path).is_ok_and(|m| m.len() > 1 << 20);
    if large && InputKind::of(path) == InputKind::Csv && format.encoding == encoding_rs::UTF_8 {
        let requests = coded_requests(design);
        let (units, hash) = if hashed {
            let (units, sha256) = read_units_hashed(path, &design.id, &requests)?;
            let hash = FileHash {
                path: path.to_string_lossy().into_owned(),
                sha256,
            };
            (units, Some(hash))
        } else {
            (read_units(path, &design.id, &requests)?, None)
        };
        check_strata_values(&units, design)?;
        return Ok((units, hash));
    }
    let file = InputFile::open_as(path, format)?;
    crate::ops::init::check_not_template(&file)?;
    let units = read_participants(&file, design)?;
    let hash = hashed.then(|| crate::io::manifest::file_hash(&file));
    Ok((units, hash))
}

/// The columns a design reads besides the id, with what they are (for messages).
fn coded_requests(design: &Design) -> Vec<(&str, &'static str)> {
    let mut coded: Vec<(&str, &str)> = design
        .strata
        .iter()
        .map(|s| (s.as_str(), "stratum"))
        .collect();
    if let Some(c) = &design.cluster {
        coded.push((c.as_str(), "cluster"));
    }
    coded
}

/// Read the participants columns the design needs; empty ids, strata or cluster values are
/// errors naming the line and column.
pub fn read_participants(input: &InputFile, design: &Design) -> Result<UnitsFile> {
    let units = units_of(input, &design.id, &coded_requests(design))?;
    check_strata_values(&units, design)?;
    Ok(units)
}

/// `|` joins the parts of a stratum key (`site=03|gender=F`); inside a value it would be
/// ambiguous.
fn check_strata_values(units: &UnitsFile, design: &Design) -> Result<()> {
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
    Ok(())
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
    let rows = existing.map_or(&[][..], |l| l.rows.as_slice());
    reconcile(design, participants, rows, assign_new).map_err(|e| {
        rolling_error(e, design, units, participants.ids, ledger_path, &|r| {
            Ok(rows
                .get(r)
                .map_or((0, String::new()), |row| (row.line, row.id.clone())))
        })
    })
}

/// A re-derivation's error with the file, line and column it concerns; `row_at` gives a ledger
/// row's line and id.
fn rolling_error(
    e: RollingError,
    design: &Design,
    units: &UnitsFile,
    ids: &dyn IdList,
    ledger_path: &Path,
    row_at: &dyn Fn(usize) -> Result<(u64, String)>,
) -> Error {
    let at = |row: usize| row_at(row);
    let result = (|| -> Result<Error> {
        Ok(match e {
            RollingError::Plan(PlanError::EmptyId { unit }) => Error::data(
                units.location(unit, &design.id),
                "empty id; every participant needs an id",
            ),
            RollingError::Plan(PlanError::DuplicateId { unit, first }) => Error::data(
                units.location(unit, &design.id),
                format!(
                    "duplicate id `{}` (also on line {}); ids must be unique",
                    if unit < ids.count() { ids.id(unit) } else { "" },
                    units.line(first)
                ),
            ),
            RollingError::Plan(PlanError::ClusterSpansStrata { unit, first }) => {
                let c = design.cluster.as_deref().unwrap_or("");
                Error::data(
                    units.location(unit, c),
                    format!(
                        "cluster `{}` is in another stratum here than on line {}; all members of a cluster must share a stratum",
                        design
                            .cluster
                            .as_ref()
                            .and_then(|c| units.column(c))
                            .map_or("", |c| c.value(unit)),
                        units.line(first)
                    ),
                )
            }
            RollingError::Plan(PlanError::BatchZero { .. } | PlanError::Lengths) => {
                Error::compute("internal: inconsistent units for the plan")
            }
            RollingError::MissingId { row } => {
                let (line, id) = at(row)?;
                Error::ledger(
                    Location::file(ledger_path)
                        .with_line(line)
                        .with_column(1)
                        .with_field("id"),
                    format!(
                        "id `{id}` is in the ledger but not in {}; the participants file must keep every assigned id",
                        units.path.display()
                    ),
                )
            }
            RollingError::DuplicateLedgerId { row, first } => {
                let (line, id) = at(row)?;
                let (first_line, _) = at(first)?;
                Error::ledger(
                    Location::file(ledger_path)
                        .with_line(line)
                        .with_column(1)
                        .with_field("id"),
                    format!("id `{id}` is in the ledger twice (also line {first_line})"),
                )
            }
            RollingError::Differs {
                row,
                field,
                expected,
                found,
            } => {
                let (line, id) = at(row)?;
                let column = columns(design)
                    .iter()
                    .position(|c| *c == field)
                    .map_or(1, |p| p + 1);
                Error::ledger(
                    Location::file(ledger_path)
                        .with_line(line)
                        .with_column(column)
                        .with_field(field),
                    format!(
                        "id `{id}`: the ledger says `{found}`, re-deriving from the seed and design gives `{expected}`"
                    ),
                )
                .with_hint("the ledger or the participants' strata/cluster columns were changed")
            }
        })
    })();
    result.unwrap_or_else(|e| e)
}
