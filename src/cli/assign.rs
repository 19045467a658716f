//! `lotta assign`: the design from `[design]` and flags (flags win), the participants, the
//! ledger so far → the next batch of assignments appended to the ledger (never rewritten).

use crate::cli::UsageError;
use anyhow::Context;
use lotta::design::ledger::{Ledger, columns};
use lotta::design::rolling::{Coded, Participants, Reconciled, RollingError, reconcile};
use lotta::design::{
    AssignmentMethod, Design, DesignError, DesignInput, Misfits, PlanError, UNASSIGNED,
};
use lotta::error::{Error, Location};
use lotta::io::ledger;
use lotta::io::manifest;
use lotta::io::units::{CodedColumn, UnitsFile, read_units};
use lotta::spec::Study;
use std::path::{Path, PathBuf};

/// The design options; every one also exists as a `[design]` key (or `[data]`/`[study]` key).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DesignArgs {
    /// The id column of the participants file (`[data] id`).
    #[arg(long)]
    pub id: Option<String>,
    /// Arms and ratios, e.g. `md1:2,standard:1` (`[design] arms`).
    #[arg(long)]
    pub arms: Option<String>,
    /// The comparison arm (default: the last arm).
    #[arg(long)]
    pub control: Option<String>,
    /// Strata columns, comma-separated (e.g. `site,gender`).
    #[arg(long, value_delimiter = ',')]
    pub strata: Option<Vec<String>>,
    /// Cluster column: all members of a cluster get the same arm.
    #[arg(long)]
    pub cluster: Option<String>,
    #[arg(long, value_enum)]
    pub method: Option<AssignmentMethod>,
    /// Block sizes for method `blocks`, e.g. `3,6` (multiples of the sum of the ratios).
    #[arg(long, value_delimiter = ',')]
    pub block_sizes: Option<Vec<u32>>,
    /// Misfit policy for method `complete` (as Stata's randtreat).
    #[arg(long, value_enum)]
    pub misfits: Option<Misfits>,
    /// The seed (`[study] seed`).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A study folder or its study.toml (`[data]` and `[design]` give the defaults).
    pub study: Option<PathBuf>,
    /// The participants CSV (`[data] participants`).
    #[arg(long)]
    pub participants: Option<PathBuf>,
    /// The ledger CSV to create or extend (`[data] ledger`); its design sits beside it in
    /// `<ledger>.design.json`.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub design: DesignArgs,
}

/// Files and design resolved from a study and flags.
pub struct Resolved {
    pub study: Option<Study>,
    pub participants: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
    /// The design from spec + flags, when they give one (`arms` known).
    pub design: Option<Design>,
}

/// The flag that sets a design key (for messages).
fn flag_of(key: &str) -> &'static str {
    match key {
        "arms" => "--arms",
        "control" => "--control",
        "strata" => "--strata",
        "cluster" => "--cluster",
        "method" => "--method",
        "block_sizes" => "--block-sizes",
        "misfits" => "--misfits",
        "seed" => "--seed",
        _ => "--id",
    }
}

fn spec_key_of(key: &str) -> String {
    match key {
        "seed" => "study.seed".to_string(),
        "id" => "data.id".to_string(),
        k => format!("design.{k}"),
    }
}

/// Merge a study (optional) and flags into files and a design.
pub fn resolve(
    study_path: Option<&Path>,
    participants: Option<PathBuf>,
    ledger: Option<PathBuf>,
    flags: &DesignArgs,
) -> anyhow::Result<Resolved> {
    let study = match study_path {
        Some(p) => Some(Study::load(p)?),
        None => None,
    };
    let spec_design = study.as_ref().and_then(|s| s.spec.design.clone());
    let participants = participants.or_else(|| {
        study
            .as_ref()
            .and_then(|s| s.spec.data.participants.as_ref().map(|p| s.resolve(p)))
    });
    let ledger = ledger.or_else(|| {
        study
            .as_ref()
            .and_then(|s| s.spec.data.ledger.as_ref().map(|p| s.resolve(p)))
    });
    let arms = match (&flags.arms, &spec_design) {
        (Some(text), _) => {
            Some(lotta::design::parse_arms(text).map_err(|e| design_error(&e, None, true))?)
        }
        (None, Some(d)) => Some(d.arms.iter().map(|(k, v)| (k.clone(), *v)).collect()),
        (None, None) => None,
    };
    let design = match arms {
        None => None,
        Some(arms) => {
            let seed = flags
                .seed
                .or(study.as_ref().map(|s| s.seed()))
                .ok_or_else(|| {
                    UsageError(
                        "give the seed with --seed N (or a study whose [study] has `seed`)".into(),
                    )
                })?;
            let id = flags
                .id
                .clone()
                .or(study.as_ref().map(|s| s.spec.data.id.clone()))
                .ok_or_else(|| {
                    UsageError("give the id column with --id COLUMN (or a study)".into())
                })?;
            let sd = spec_design.clone().unwrap_or_default();
            let input = DesignInput {
                arms,
                control: flags.control.clone().or(sd.control),
                strata: flags.strata.clone().unwrap_or(sd.strata),
                cluster: flags.cluster.clone().or(sd.cluster),
                method: flags.method.or(sd.method),
                block_sizes: flags.block_sizes.clone().unwrap_or(sd.block_sizes),
                misfits: flags.misfits.or(sd.misfits),
                seed,
                id,
            };
            let from_flag = |key: &str| match key {
                "arms" => flags.arms.is_some(),
                "control" => flags.control.is_some(),
                "strata" => flags.strata.is_some(),
                "cluster" => flags.cluster.is_some(),
                "method" => flags.method.is_some(),
                "block_sizes" => flags.block_sizes.is_some(),
                "misfits" => flags.misfits.is_some(),
                "seed" => flags.seed.is_some(),
                _ => flags.id.is_some(),
            };
            Some(Design::new(input).map_err(|e| {
                let flag = from_flag(e.key) || study.is_none();
                design_error(&e, study.as_ref(), flag)
            })?)
        }
    };
    Ok(Resolved {
        study,
        participants,
        ledger,
        design,
    })
}

fn design_error(e: &DesignError, study: Option<&Study>, from_flag: bool) -> Error {
    let location = match (study, from_flag) {
        (Some(s), false) => s.key_location(&spec_key_of(e.key)),
        _ => Location::default().with_field(flag_of(e.key)),
    };
    Error::spec(location, e.message.clone())
}

/// Read the participants columns the design needs; empty ids, strata or cluster values are
/// errors naming the line and column.
pub fn read_participants(path: &Path, design: &Design) -> anyhow::Result<UnitsFile> {
    let mut coded: Vec<(&str, &str)> = design
        .strata
        .iter()
        .map(|s| (s.as_str(), "stratum"))
        .collect();
    if let Some(c) = &design.cluster {
        coded.push((c.as_str(), "cluster"));
    }
    let units = read_units(path, &design.id, &coded)?;
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
            )
            .into());
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

/// Refuse a ledger made with another design, naming the first differing key.
pub fn check_same_design(
    ledger_path: &Path,
    ledger_design: &Design,
    design: &Design,
) -> lotta::Result<()> {
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
    participants: &Participants,
    ledger_path: &Path,
    existing: Option<&Ledger>,
    assign_new: bool,
) -> anyhow::Result<Reconciled> {
    let ids = participants.ids;
    let rows = existing.map_or(&[][..], |l| l.rows.as_slice());
    reconcile(design, participants, rows, assign_new).map_err(|e| {
        let err = match e {
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
        };
        anyhow::Error::from(err)
    })
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let resolved = resolve(
        args.study.as_deref(),
        args.participants,
        args.ledger,
        &args.design,
    )?;
    let design = resolved.design.ok_or_else(|| {
        UsageError(
            "give the arms with --arms NAME:RATIO,... (or a study with [design] arms)".into(),
        )
    })?;
    let participants = resolved.participants.ok_or_else(|| {
        UsageError("give --participants FILE (or a study whose [data] names participants)".into())
    })?;
    let ledger_path = resolved.ledger.ok_or_else(|| {
        UsageError("give --ledger FILE (or a study whose [data] names ledger)".into())
    })?;
    let existing = ledger::read(&ledger_path)?;
    if let Some(l) = &existing {
        check_same_design(&ledger_path, &l.design, &design)?;
    }
    ledger::check_against_manifest(&ledger_path)?;
    let units = read_participants(&participants, &design)?;
    let ids = units.ids.to_strs();
    let (strata, cluster) = coded_columns(&units, &design);
    let view = Participants {
        ids: &ids,
        strata: &strata,
        cluster,
    };
    let result = reconcile_files(
        &design,
        &units,
        &view,
        &ledger_path,
        existing.as_ref(),
        true,
    )?;
    if result.is_empty() {
        eprintln!(
            "{}: nothing to assign; all {} participants are in the ledger",
            ledger_path.display(),
            units.n_rows()
        );
        return Ok(0);
    }
    ledger::append(
        &ledger_path,
        &design,
        existing.as_ref(),
        (0..result.len()).map(|i| result.view(i, &view)),
    )
    .with_context(|| format!("writing {}", ledger_path.display()))?;
    for output in [ledger_path.clone(), ledger::sidecar_path(&ledger_path)] {
        manifest::record(
            &output,
            "lotta assign",
            Some(design.seed),
            std::slice::from_ref(&participants),
        )?;
    }
    let mut counts = vec![0usize; design.arms.len()];
    let mut unassigned = 0;
    for arm in result.arms() {
        match counts.get_mut(arm as usize) {
            Some(c) if arm != UNASSIGNED => *c += 1,
            _ => unassigned += 1,
        }
    }
    let mut parts: Vec<String> = design
        .arms
        .iter()
        .zip(&counts)
        .map(|(a, c)| format!("{} {c}", a.name))
        .collect();
    if unassigned > 0 {
        parts.push(format!("unassigned (misfits) {unassigned}"));
    }
    eprintln!(
        "{}: assigned {} new participants as batch {} ({})",
        ledger_path.display(),
        result.len(),
        result.batch,
        parts.join(", ")
    );
    Ok(0)
}
