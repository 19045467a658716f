//! The pre-analysis plan as library operations (`lotta plan`, and the plan part of `lotta run`
//! and `lotta verify`): freeze today's resolved settings as a new chained version, compare them
//! with the frozen plan, describe the plan in words, and export the fields a trial registry asks
//! for.
//!
//! Which version is *the* pre-analysis plan: the last one frozen before any outcome file
//! existed; when every version was frozen with outcomes at hand, the first (and the report says
//! so). Later versions are amendments: each change they made is a deviation, dated by the
//! version that made it; a change in today's settings not frozen yet is a deviation "not
//! frozen".

use crate::error::{Error, Location, Result};
use crate::estimate::rows::EffectRow;
use crate::export::Frame;
use crate::io::ColumnRequest;
use crate::io::ledger;
use crate::io::plan::{PlanRecord, append, plan_path, read};
use crate::io::source::InputFile;
use crate::plan::record::{FileAnchor, LedgerAnchor, PlanVersion};
use crate::plan::{Change, Plan, changes, is_prespecified, section_is_prespecified};
use crate::spec::Study;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// What `freeze` did.
#[derive(Debug)]
pub enum Frozen {
    /// The settings equal the latest version: nothing written.
    Unchanged { version: u32, path: PathBuf },
    /// A new version was appended.
    New {
        version: Box<PlanVersion>,
        path: PathBuf,
        /// What changed from the version before (empty for the first).
        changes: Vec<Change>,
    },
}

/// Freeze `plan` (today's resolved settings, [`RunSettings::planned`]) as the next version of
/// `study`'s plan, at `now` (UTC, RFC 3339; given by the caller). A plan equal to the latest
/// version is not frozen again.
///
/// [`RunSettings::planned`]: crate::ops::run::RunSettings
pub fn freeze(study: &Study, plan: Plan, now: &str) -> Result<Frozen> {
    let path = plan_path(study);
    let record = read(&path)?;
    let latest = record.as_ref().and_then(|r| r.versions.last());
    if let Some(latest) = latest
        && latest.plan == plan
    {
        return Ok(Frozen::Unchanged {
            version: latest.version,
            path,
        });
    }
    let version = PlanVersion::next(
        latest,
        plan,
        now.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        ledger_anchor(study)?,
        outcome_anchors(study)?,
    );
    let existing: &[u8] = record.as_ref().map_or(&[], |r| &r.bytes);
    append(&path, existing, &version)?;
    let changes = latest.map_or_else(Vec::new, |l| changes(&l.plan, &version.plan));
    Ok(Frozen::New {
        version: Box::new(version),
        path,
        changes,
    })
}

/// The ledger's state now: rows and the hash of the last row (None without a ledger).
fn ledger_anchor(study: &Study) -> Result<Option<LedgerAnchor>> {
    let Some(path) = study.spec.data.ledger.as_ref().map(|p| study.resolve(p)) else {
        return Ok(None);
    };
    if !path.is_file() {
        return Ok(None);
    }
    let parsed = ledger::open(&path)?;
    Ok(Some(LedgerAnchor {
        rows: parsed.rows.len(),
        head: parsed.last_hash,
    }))
}

/// The outcome files that exist now, with their hashes (paths as the spec names them).
fn outcome_anchors(study: &Study) -> Result<Vec<FileAnchor>> {
    let mut anchors = Vec::new();
    for named in &study.spec.data.outcomes {
        let path = study.resolve(named);
        if path.is_file() {
            anchors.push(FileAnchor {
                file: named.display().to_string(),
                sha256: InputFile::open(&path)?.sha256().to_string(),
            });
        }
    }
    Ok(anchors)
}

/// One deviation from the pre-analysis plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    pub change: Change,
    /// When it was frozen (`frozen_at` of the version that made it), or None: not frozen.
    pub frozen_at: Option<String>,
    pub version: Option<u32>,
}

/// A study's plan compared with today's settings.
#[derive(Debug, Clone)]
pub struct PlanStatus {
    pub path: PathBuf,
    pub versions: Vec<PlanVersion>,
    /// Index into `versions` of the pre-analysis plan (module notes).
    pub reference: usize,
    /// The plan today's settings would freeze.
    pub current: Plan,
    /// Every difference between the pre-analysis plan and today's settings.
    pub deviations: Vec<Deviation>,
}

impl PlanStatus {
    pub fn reference(&self) -> &PlanVersion {
        &self.versions[self.reference]
    }

    pub fn latest(&self) -> &PlanVersion {
        &self.versions[self.versions.len() - 1]
    }

    /// The changes of today's settings from the pre-analysis plan (for marking rows).
    pub fn changes(&self) -> Vec<Change> {
        self.deviations.iter().map(|d| d.change.clone()).collect()
    }
}

/// The plan of `study` (None when it has no frozen plan), checked, and compared with `current`
/// (the plan of today's settings).
pub fn status(study: &Study, current: &Plan) -> Result<Option<PlanStatus>> {
    let Some(record) = read(&plan_path(study))? else {
        return Ok(None);
    };
    Ok(Some(compare(record, current.clone())))
}

/// Mark each effect row pre-specified or not ([`crate::plan::is_prespecified`]).
pub fn mark(status: &PlanStatus, rows: &mut [EffectRow]) {
    let changes = status.changes();
    for row in rows {
        row.prespecified = Some(is_prespecified(&status.reference().plan, &changes, row));
    }
}

/// Add the column `prespecified` to the table of a section planned as a whole (`cost.`,
/// `survival.`): the same value on every row.
pub fn mark_section(status: &PlanStatus, section: &str, summary: &mut Frame) {
    let planned = section_is_prespecified(&status.reference().plan, &status.changes(), section);
    summary.columns.push("prespecified".to_string());
    for row in &mut summary.rows {
        row.push(if planned { "true" } else { "false" }.into());
    }
}

/// The plan's tables for the report: its versions, and the deviations of this run.
pub fn tables(status: &PlanStatus) -> Vec<(String, Frame)> {
    let mut versions = Frame::new(&[
        "version",
        "frozen_at",
        "lotta",
        "plan_sha256",
        "outcome_data_existed",
        "persons_assigned",
        "is_the_plan",
        "changed",
    ])
    .with_decimals("version", 0)
    .with_decimals("persons_assigned", 0);
    for (i, v) in status.versions.iter().enumerate() {
        let changed = if i == 0 {
            String::new()
        } else {
            changes(&status.versions[i - 1].plan, &v.plan)
                .iter()
                .map(|c| c.key.clone())
                .collect::<Vec<_>>()
                .join(" ")
        };
        versions.push(vec![
            (v.version as usize).into(),
            v.frozen_at.as_str().into(),
            v.lotta.as_str().into(),
            v.plan.sha256().into(),
            if v.after_outcomes() { "yes" } else { "no" }.into(),
            v.ledger.as_ref().map(|l| l.rows).into(),
            if i == status.reference { "yes" } else { "no" }.into(),
            changed.into(),
        ]);
    }
    let mut deviations = Frame::new(&[
        "setting",
        "planned",
        "now",
        "frozen_in_version",
        "frozen_at",
    ])
    .with_decimals("frozen_in_version", 0);
    for d in &status.deviations {
        deviations.push(vec![
            d.change.key.as_str().into(),
            words(d.change.frozen.as_ref()).into(),
            words(d.change.now.as_ref()).into(),
            d.version.map(|v| v as usize).into(),
            d.frozen_at.as_deref().unwrap_or("not frozen").into(),
        ]);
    }
    vec![
        ("plan_versions".to_string(), versions),
        ("plan_deviations".to_string(), deviations),
    ]
}

fn compare(record: PlanRecord, current: Plan) -> PlanStatus {
    let versions = record.versions;
    let reference = versions
        .iter()
        .rposition(|v| !v.after_outcomes())
        .unwrap_or(0);
    let planned = &versions[reference].plan;
    let latest = &versions[versions.len() - 1].plan;
    let deviations = changes(planned, &current)
        .into_iter()
        .map(|change| {
            // Dated by the last version (after the plan) that set the key to today's value.
            let frozen = if latest.get(&change.key) == change.now.as_ref() {
                versions[reference + 1..]
                    .iter()
                    .rev()
                    .zip(versions[reference..].iter().rev().skip(1))
                    .find(|(later, earlier)| {
                        later.plan.get(&change.key) != earlier.plan.get(&change.key)
                    })
                    .map(|(later, _)| later)
            } else {
                None
            };
            Deviation {
                frozen_at: frozen.map(|v| v.frozen_at.clone()),
                version: frozen.map(|v| v.version),
                change,
            }
        })
        .collect();
    PlanStatus {
        path: record.path,
        versions,
        reference,
        current,
        deviations,
    }
}

/// Check the plan record of `study` (its chain, and that the ledger still begins with the rows
/// it had when each version was frozen). Returns the number of versions (0: no plan).
pub fn verify_plan(study: &Study) -> Result<usize> {
    let path = plan_path(study);
    let Some(record) = read(&path)? else {
        return Ok(0);
    };
    let ledger_path = study.spec.data.ledger.as_ref().map(|p| study.resolve(p));
    for version in &record.versions {
        let Some(anchor) = &version.ledger else {
            continue;
        };
        let Some(ledger_path) = ledger_path.as_ref().filter(|p| p.is_file()) else {
            return Err(Error::ledger(
                Location::file(&path),
                format!(
                    "plan version {} was frozen with a ledger of {} rows, but the study has no ledger now",
                    version.version, anchor.rows
                ),
            ));
        };
        check_ledger_anchor(ledger_path, anchor, version.version, &path)?;
    }
    Ok(record.versions.len())
}

fn check_ledger_anchor(
    ledger_path: &Path,
    anchor: &LedgerAnchor,
    version: u32,
    plan: &Path,
) -> Result<()> {
    if anchor.rows == 0 {
        return Ok(());
    }
    let table = InputFile::open(ledger_path)?.table(&[ColumnRequest::text("hash")])?;
    let hashes = table.text("hash")?;
    match hashes.get(anchor.rows - 1) {
        Some(h) if *h == anchor.head => Ok(()),
        found => Err(Error::ledger(
            Location::file(ledger_path).with_line(anchor.rows as u64 + 1),
            format!(
                "plan version {version} ({}) was frozen when the ledger's row {} had hash {}…, but {}",
                plan.display(),
                anchor.rows,
                &anchor.head[..anchor.head.len().min(12)],
                match found {
                    Some(h) => format!("it now has {}…", &h[..h.len().min(12)]),
                    None => format!("the ledger now has only {} rows", hashes.len()),
                }
            ),
        )
        .with_hint("the ledger was rewritten after the plan was frozen")),
    }
}

/// A value as a reader would write it.
pub fn words(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(not set)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "(none)".to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| words(Some(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", words(Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// The plan in words (Markdown): the pre-analysis plan's analyses, then its history and the
/// deviations of today's settings.
pub fn describe(study: &Study, status: &PlanStatus) -> String {
    let plan = &status.reference().plan;
    let v = status.reference();
    let mut out = format!("# Pre-analysis plan: {}\n\n", study.name());
    out.push_str(&format!(
        "Version {} frozen {} with lotta {} (plan SHA-256 `{}`), {}.\n\n",
        v.version,
        v.frozen_at,
        v.lotta,
        plan.sha256(),
        match (&v.ledger, v.after_outcomes()) {
            (_, true) => "after outcome data existed (the record keeps their hashes)".to_string(),
            (Some(l), false) => format!(
                "with {} persons assigned and before any outcome data existed",
                l.rows
            ),
            (None, false) => "before assignment and before any outcome data existed".to_string(),
        }
    ));
    out.push_str("## Hypotheses\n\n");
    let outcomes = plan.texts("analysis.outcomes");
    let by = plan.text("analysis.by");
    for outcome in &outcomes {
        out.push_str(&format!(
            "- The offer changes `{outcome}` (intention to treat, every arm against `{}`){}.\n",
            plan.text("analysis.control").unwrap_or("the control"),
            by.map_or(String::new(), |b| format!(
                "; overall, for each level of `{b}`, and the difference between levels"
            ))
        ));
    }
    if let Some(p) = plan.text("analysis.participation") {
        out.push_str(&format!(
            "- Taking part (`{p}`) changes each outcome (2SLS, the offer as instrument).\n"
        ));
    }
    if let Some(primary) = plan.text("report.primary_outcome") {
        out.push_str(&format!("\nPrimary outcome: `{primary}`.\n"));
    }
    out.push_str("\n## Analysis\n\n| Setting | Planned |\n|---|---|\n");
    for (key, value) in plan.entries() {
        out.push_str(&format!("| `{key}` | {} |\n", words(Some(value))));
    }
    out.push_str("\n## Versions\n\n| Version | Frozen | Outcome data existed | Changes |\n|---|---|---|---|\n");
    for (i, version) in status.versions.iter().enumerate() {
        let changed = if i == 0 {
            "first version".to_string()
        } else {
            let keys: Vec<String> = changes(&status.versions[i - 1].plan, &version.plan)
                .iter()
                .map(|c| format!("`{}`", c.key))
                .collect();
            keys.join(", ")
        };
        out.push_str(&format!(
            "| {}{} | {} | {} | {} |\n",
            version.version,
            if i == status.reference {
                " (the plan)"
            } else {
                ""
            },
            version.frozen_at,
            if version.after_outcomes() {
                "yes"
            } else {
                "no"
            },
            changed
        ));
    }
    out.push_str("\n## Deviations\n\n");
    out.push_str(&deviations_markdown(&status.deviations));
    out
}

/// The deviations as a Markdown table, or the sentence that there were none.
pub fn deviations_markdown(deviations: &[Deviation]) -> String {
    if deviations.is_empty() {
        return "None: today's settings are the pre-analysis plan.\n".to_string();
    }
    let mut out = String::from("| Setting | Planned | Now | When |\n|---|---|---|---|\n");
    for d in deviations {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            d.change.key,
            words(d.change.frozen.as_ref()),
            words(d.change.now.as_ref()),
            match (&d.frozen_at, d.version) {
                (Some(at), Some(v)) => format!("version {v}, {at}"),
                _ => "not frozen".to_string(),
            }
        ));
    }
    out
}

/// The fields of the AEA RCT Registry a plan fills (JSON): outcomes, design, randomization,
/// clustering and the planned numbers, from the pre-analysis plan and the study's files.
pub fn registry(study: &Study, status: &PlanStatus) -> Result<Value> {
    let plan = &status.reference().plan;
    let participants = match study.spec.data.participants.as_ref() {
        Some(p) if study.resolve(p).is_file() => {
            let file = InputFile::open(&study.resolve(p))?;
            Some(
                file.table(&[ColumnRequest::text(study.spec.data.id.clone())])?
                    .n_rows(),
            )
        }
        _ => None,
    };
    let cluster = plan.text("design.cluster").map(str::to_string);
    let clusters = match (&cluster, study.spec.data.participants.as_ref()) {
        (Some(c), Some(p)) if study.resolve(p).is_file() => {
            let file = InputFile::open(&study.resolve(p))?;
            let table = file.table(&[ColumnRequest::text(c.clone())])?;
            let mut levels: Vec<String> = table.text(c)?.to_vec();
            levels.sort();
            levels.dedup();
            Some(levels.len())
        }
        _ => None,
    };
    let arms = plan.get("design.arms").cloned().unwrap_or(Value::Null);
    // Persons by arm as assigned so far (the ledger), when there is one.
    let by_arm = match study.spec.data.ledger.as_ref().map(|p| study.resolve(p)) {
        Some(path) if path.is_file() => {
            let table = InputFile::open(&path)?.table(&[ColumnRequest::text("arm")])?;
            let mut counts = serde_json::Map::new();
            for arm in table.text("arm")?.iter().filter(|a| !a.is_empty()) {
                let n = counts.get(arm).and_then(Value::as_u64).unwrap_or(0);
                counts.insert(arm.clone(), json!(n + 1));
            }
            Value::Object(counts)
        }
        _ => Value::Null,
    };
    Ok(json!({
        "schema": "lotta-registry/1 (AEA RCT Registry fields)",
        "title": study.spec.study.title.clone().unwrap_or_else(|| study.name().to_string()),
        "primary_outcomes": plan.text("report.primary_outcome").map(|p| vec![p.to_string()]).unwrap_or_default(),
        "secondary_outcomes": plan.texts("analysis.outcomes").into_iter()
            .filter(|o| Some(o.as_str()) != plan.text("report.primary_outcome")).collect::<Vec<_>>(),
        "experimental_design": format!(
            "Randomized controlled trial with arms {}; intention-to-treat effects by {}{}.",
            arms_in_words(&arms),
            estimator_in_words(plan.text("analysis.estimator")),
            plan.text("analysis.by").map_or(String::new(), |b| format!(", overall and by `{b}`")),
        ),
        "randomization_method": format!(
            "By computer (lotta), seed {}; {}{}",
            words(plan.get("design.seed")),
            match plan.text("design.method") {
                Some("blocks") => "randomization in permuted blocks",
                _ => "complete randomization",
            },
            match plan.texts("design.strata").as_slice() {
                [] => String::new(),
                strata => format!(" within strata of {}", strata.join(" × ")),
            }
        ),
        "randomization_unit": cluster.clone().unwrap_or_else(|| "individual".to_string()),
        "clustered": cluster.is_some(),
        "planned_number_of_clusters": clusters.or(if cluster.is_none() { participants } else { None }),
        "planned_number_of_observations": participants,
        "allocation_ratio": arms,
        "sample_size_by_arm": by_arm,
        "pre_analysis_plan": {
            "version": status.reference().version,
            "frozen_at": status.reference().frozen_at,
            "sha256": plan.sha256(),
        },
    }))
}

/// `md1, standard in the ratio 2:1`.
fn arms_in_words(arms: &Value) -> String {
    let Some(map) = arms.as_object() else {
        return "(not set)".to_string();
    };
    let names: Vec<&str> = map.keys().map(String::as_str).collect();
    let ratio: Vec<String> = map.values().map(|v| words(Some(v))).collect();
    format!("{} in the ratio {}", names.join(", "), ratio.join(":"))
}

fn estimator_in_words(estimator: Option<&str>) -> &'static str {
    match estimator {
        Some("lin") => "Lin's (2013) fully interacted regression adjustment",
        Some("ols") => "OLS with covariates",
        Some("fe") => "OLS with strata fixed effects",
        Some("dim") => "difference in means",
        _ => "the planned estimator",
    }
}
