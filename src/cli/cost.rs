//! `lotta cost`: cost per additional person in work or studies, overall and by subgroup, from a
//! data file and flags or from a study spec (whose files are joined by id). Parses flags and the
//! `[cost]` section once into checked settings, reads the columns, builds `cea::Sample`s, calls
//! `cea::analyse`, and writes one of four tables (summary, offsets, ceac, alternatives).

use super::UsageError;
use lotta::cea::{self, Analysis, CostModel, CostOptions, Offset, Sample};
use lotta::error::{Error, Location, nearest};
use lotta::export::{Cell, Format, Frame, latex_escape, render};
use lotta::io::manifest::{FileHash, file_hash, spec_hash};
use lotta::io::source::{InputFile, StudyInputs};
use lotta::io::table::{ColumnRequest, Table};
use lotta::settings::cost::{CostFlags, CostSettings as Settings, CostSource};
use lotta::spec::Study;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Which result table to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Which {
    /// One row per subgroup (and per perspective when there are offsets): costs, ΔC, ΔE, ICER
    /// with delta-method, Fieller and bootstrap intervals, CE-plane shares, notes.
    #[default]
    Summary,
    /// Benefit offsets: units by arm, value, net cost per job, break-even SEK per unit.
    Offsets,
    /// Net monetary benefit and the acceptability curve over the λ grid.
    Ceac,
    /// Comparison with the alternative programmes' cost per job.
    Alternatives,
}

/// The flags of `lotta cost`, boxed so the command enum stays small.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub flags: Box<Flags>,
}

#[derive(Debug, Default, clap::Args)]
pub struct Flags {
    /// Study folder or study.toml; its [data] files are joined by id and arms come from the
    /// ledger. Flags given as well override the spec's [cost] section.
    #[arg(value_name = "STUDY", conflicts_with = "data")]
    pub study_path: Option<PathBuf>,
    /// The same as the positional STUDY.
    #[arg(long, conflicts_with_all = ["data", "study_path"])]
    pub study: Option<PathBuf>,
    /// One CSV file with every column (instead of --study).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Id column (for messages; with --study the spec's data.id).
    #[arg(long)]
    pub id: Option<String>,
    /// Outcome column whose additional successes are priced (e.g. work_or_study_540).
    #[arg(long)]
    pub outcome: Option<String>,
    /// Column with the assigned arm (0/1 or arm names).
    #[arg(long)]
    pub treatment: Option<String>,
    /// The comparison arm (default: 0, or the design's control).
    #[arg(long)]
    pub control: Option<String>,
    /// The programme arm, when there are more than two arms.
    #[arg(long)]
    pub treated: Option<String>,
    /// Subgroup column (e.g. gender): results for all and for each level.
    #[arg(long)]
    pub by: Option<String>,
    /// Stratum columns (combinations form the strata) for the bootstrap.
    #[arg(long, value_delimiter = ',')]
    pub strata: Vec<String>,
    /// Cluster column: clusters are resampled whole and variances are cluster-robust.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Column with each person's cost in SEK.
    #[arg(long)]
    pub cost: Option<String>,
    /// Column saying whether a person took part (0/1).
    #[arg(long)]
    pub participation: Option<String>,
    /// Also report ΔC and ΔE per participant (Wald/IV, needs --participation).
    #[arg(long)]
    pub per_participant: bool,
    /// A benefit offset, e.g. `income_support:income_support_months:7000` (repeatable).
    #[arg(long = "offset", value_name = "NAME:COL:SEK_PER_UNIT")]
    pub offsets: Vec<String>,
    /// Another programme's cost per additional job, e.g. `Rusta och matcha:180000` (repeatable).
    #[arg(long = "alternative", value_name = "NAME:COST_PER_JOB")]
    pub alternatives: Vec<String>,
    /// Bootstrap replications.
    #[arg(long)]
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap streams (with --study: the study seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Willingness-to-pay grid per additional job in SEK, FROM:TO:STEP.
    #[arg(long, value_name = "FROM:TO:STEP")]
    pub wtp: Option<String>,
    /// Confidence level.
    #[arg(long)]
    pub level: Option<f64>,
    /// Which table to write.
    #[arg(long, value_enum, default_value = "summary")]
    pub table: Which,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to this file (atomically, with a manifest entry) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// The library's flags of `lotta cost` from the command line.
fn cost_flags(args: &Flags) -> CostFlags {
    CostFlags {
        outcome: args.outcome.clone(),
        treatment: args.treatment.clone(),
        control: args.control.clone(),
        treated: args.treated.clone(),
        by: args.by.clone(),
        strata: args.strata.clone(),
        cluster: args.cluster.clone(),
        cost: args.cost.clone(),
        participation: args.participation.clone(),
        per_participant: args.per_participant,
        offsets: args.offsets.clone(),
        alternatives: args.alternatives.clone(),
        bootstrap: args.bootstrap,
        seed: args.seed,
        wtp: args.wtp.clone(),
        level: args.level,
    }
}

/// Columns from one or several files, aligned on the same persons.
pub struct Joined {
    tables: Vec<Table>,
    /// Column name → table holding it.
    owner: HashMap<String, usize>,
    /// Per table, per person: the table's row (None when the person has no row there).
    rows: Vec<Vec<Option<usize>>>,
    n: usize,
    /// The files read, with their hashes (for the manifest).
    inputs: Vec<FileHash>,
    /// The persons' ids when joined from a study (to name a person missing from a file).
    ids: Option<Vec<String>>,
}

impl Joined {
    fn single(path: &Path, requests: &[ColumnRequest]) -> lotta::Result<Joined> {
        let input = InputFile::open(path)?;
        let table = input.table(requests)?;
        let n = table.n_rows();
        Ok(Joined {
            owner: requests.iter().map(|r| (r.name.clone(), 0)).collect(),
            tables: vec![table],
            rows: vec![(0..n).map(Some).collect()],
            n,
            inputs: vec![file_hash(&input)],
            ids: None,
        })
    }

    fn text(&self, name: &str) -> lotta::Result<Vec<String>> {
        let t = self.owner.get(name).copied().unwrap_or(0);
        let values = self.tables[t].text(name)?;
        Ok(self.rows[t]
            .iter()
            .map(|r| r.and_then(|i| values.get(i).cloned()).unwrap_or_default())
            .collect())
    }

    fn number(&self, name: &str) -> lotta::Result<Vec<f64>> {
        let t = self.owner.get(name).copied().unwrap_or(0);
        let values = self.tables[t].number(name)?;
        Ok(self.rows[t]
            .iter()
            .map(|r| r.and_then(|i| values.get(i).copied()).unwrap_or(f64::NAN))
            .collect())
    }

    /// " for person `<id>`" when person i has no row in the file holding `name`, else "".
    fn absent(&self, name: &str, i: usize) -> String {
        let t = self.owner.get(name).copied().unwrap_or(0);
        let present = self.rows[t].get(i).copied().flatten().is_some();
        match (&self.ids, present) {
            (Some(ids), false) => format!(
                " for person `{}`, who has no row in this file",
                ids.get(i).map_or("?", String::as_str)
            ),
            _ => String::new(),
        }
    }

    /// Where person `i`'s value of `name` is (the file and line, or the file when absent).
    fn location(&self, name: &str, i: usize) -> Location {
        let t = self.owner.get(name).copied().unwrap_or(0);
        match self.rows[t].get(i).copied().flatten() {
            Some(row) => self.tables[t].location(row, name),
            None => Location::file(self.tables[t].path()).with_field(name),
        }
    }
}

/// Join the study's ledger (`id`, `arm`, `stratum`) with its participants, outcome and cost
/// files by id, keeping the ledger's persons in ledger order. Each requested column is taken
/// from the first file that has it (ledger, participants, outcomes in order, costs). A person
/// without a row in an outcome file has a missing outcome; without a row in the costs file,
/// missing costs. The estimate branch builds the general join; this minimal one is swappable.
pub fn join_study(
    study: &Study,
    inputs: &StudyInputs,
    requests: &[ColumnRequest],
) -> anyhow::Result<Joined> {
    let data = &study.spec.data;
    let ledger = inputs.ledger.as_ref().ok_or_else(|| {
        Error::spec(
            study.key_location("data.ledger"),
            "no ledger; run `lotta assign` first, or use --data with --treatment",
        )
    })?;
    let mut files: Vec<(&InputFile, String)> = vec![(ledger, "id".to_string())];
    for input in inputs
        .participants
        .iter()
        .chain(inputs.outcomes.iter())
        .chain(inputs.costs.iter())
    {
        files.push((input, data.id.clone()));
    }
    let mut headers = Vec::new();
    for (input, _) in &files {
        headers.push(input.headers()?);
    }
    // Assign each requested column to the first file that has it.
    let mut per_file: Vec<Vec<ColumnRequest>> = vec![Vec::new(); files.len()];
    let mut owner = HashMap::new();
    for r in requests {
        match headers.iter().position(|h| h.contains(&r.name)) {
            Some(f) => {
                owner.insert(r.name.clone(), f);
                per_file[f].push(r.clone());
            }
            None => {
                let all: Vec<&str> = headers.iter().flatten().map(String::as_str).collect();
                let names: Vec<String> = files
                    .iter()
                    .map(|f| f.0.path().display().to_string())
                    .collect();
                let mut e = Error::data(
                    Location::default().with_field(&r.name),
                    format!("no column `{}` in any of {}", r.name, names.join(", ")),
                );
                if let Some(s) = nearest(&r.name, all.iter().copied()) {
                    e = e.with_hint(format!("did you mean `{s}`?"));
                }
                return Err(e.into());
            }
        }
    }
    let mut tables = Vec::new();
    let mut ids_per_file = Vec::new();
    for (f, (input, id)) in files.iter().enumerate() {
        let mut req = vec![ColumnRequest::text(id.clone())];
        req.extend(per_file[f].iter().filter(|r| r.name != *id).cloned());
        let table = input.table(&req)?;
        ids_per_file.push(table.text(id)?.to_vec());
        tables.push(table);
    }
    let ledger_ids = ids_per_file[0].clone();
    let mut rows = Vec::new();
    for (f, ids) in ids_per_file.iter().enumerate() {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            if let Some(first) = index.insert(id.as_str(), i) {
                return Err(Error::data(
                    tables[f].location(i, &files[f].1),
                    format!(
                        "id `{id}` appears twice (also line {})",
                        tables[f].line(first)
                    ),
                )
                .into());
            }
        }
        rows.push(
            ledger_ids
                .iter()
                .map(|id| index.get(id.as_str()).copied())
                .collect(),
        );
    }
    Ok(Joined {
        n: ledger_ids.len(),
        ids: Some(ledger_ids.clone()),
        tables,
        owner,
        rows,
        inputs: std::iter::once(spec_hash(study))
            .chain(files.iter().map(|f| file_hash(f.0)))
            .collect(),
    })
}

/// Each id appears once (flags mode with --id).
fn check_unique_ids(joined: &Joined, id: &str) -> anyhow::Result<()> {
    let ids = joined.text(id)?;
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, v) in ids.iter().enumerate() {
        if v.is_empty() {
            return Err(Error::data(joined.location(id, i), "empty id").into());
        }
        if let Some(first) = seen.insert(v.as_str(), i) {
            let line = joined.location(id, first).line.unwrap_or(0);
            return Err(Error::data(
                joined.location(id, i),
                format!("id `{v}` appears twice (also line {line})"),
            )
            .into());
        }
    }
    Ok(())
}

/// Everything read and checked, ready for `cea::analyse`.
struct Prepared {
    sample: Sample,
    /// Subgroup label of each person in the sample (when --by).
    groups: Option<Vec<String>>,
    treated_arm: String,
    control_arm: String,
}

fn prepare(s: &Settings, joined: &Joined) -> anyhow::Result<Prepared> {
    let arm = joined.text(&s.treatment)?;
    let levels: BTreeSet<&str> = arm.iter().map(String::as_str).collect();
    let tloc = || joined.location(&s.treatment, 0).with_line(1);
    let control = match &s.control {
        Some(c) => {
            if !levels.contains(c.as_str()) {
                let mut e = Error::data(
                    tloc(),
                    format!(
                        "no person is in the control arm `{c}`; the arms are {}",
                        levels.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                );
                if let Some(n) = nearest(c, levels.iter().copied()) {
                    e = e.with_hint(format!("did you mean `{n}`?"));
                }
                return Err(e.into());
            }
            c.clone()
        }
        None if levels.contains("0") => "0".to_string(),
        None => {
            return Err(usage(format!(
                "say which arm is the comparison with --control ARM (arms: {})",
                levels.iter().copied().collect::<Vec<_>>().join(", ")
            )));
        }
    };
    let others: Vec<&str> = levels
        .iter()
        .copied()
        .filter(|l| *l != control && !l.is_empty())
        .collect();
    let treated = match (&s.treated, others.as_slice()) {
        (Some(t), _) if others.contains(&t.as_str()) => t.clone(),
        (Some(t), _) => {
            return Err(Error::data(
                tloc(),
                format!("no person is in the arm `{t}`; arms: {}", others.join(", ")),
            )
            .into());
        }
        (None, [one]) => one.to_string(),
        (None, []) => {
            return Err(Error::data(
                tloc(),
                format!("every person is in `{control}`; no programme arm"),
            )
            .into());
        }
        (None, _) => {
            return Err(usage(format!(
                "there are several programme arms ({}); choose one with --treated ARM",
                others.join(", ")
            )));
        }
    };
    let outcome = joined.number(&s.outcome)?;
    let participation = match &s.participation {
        Some(c) => Some(joined.number(c)?),
        None => None,
    };
    // Costs for every person in the two arms (before dropping missing outcomes, so fixed costs
    // are spread over all participants).
    let in_arms: Vec<usize> = (0..joined.n)
        .filter(|&i| arm[i] == treated || arm[i] == control)
        .collect();
    let costs: Vec<f64> = match &s.cost {
        CostSource::Column(c) => {
            let v = joined.number(c)?;
            for &i in &in_arms {
                if v[i].is_nan() {
                    return Err(Error::data(
                        joined.location(c, i),
                        format!(
                            "missing cost{}; every person needs a cost in SEK (0 when none)",
                            joined.absent(c, i)
                        ),
                    )
                    .into());
                }
                if v[i] < 0.0 {
                    return Err(Error::data(
                        joined.location(c, i),
                        format!("negative cost {}; expected SEK ≥ 0", v[i]),
                    )
                    .into());
                }
            }
            v
        }
        CostSource::Model(m) => {
            let get = |map: &indexmap::IndexMap<String, f64>| {
                [
                    map.get(&treated).copied().unwrap_or(0.0),
                    map.get(&control).copied().unwrap_or(0.0),
                ]
            };
            let model = CostModel {
                per_offered: get(&m.per_offered),
                per_participant: get(&m.per_participant),
                fixed: get(&m.fixed),
                overhead_share: m.overhead_share,
            };
            let t: Vec<bool> = in_arms.iter().map(|&i| arm[i] == treated).collect();
            let d: Option<Vec<f64>> = participation
                .as_ref()
                .map(|p| in_arms.iter().map(|&i| p[i]).collect());
            if let Some(d) = &d {
                if let Some(k) = d.iter().position(|x| x.is_nan()) {
                    return Err(Error::data(
                        joined.location(s.participation.as_deref().unwrap_or(""), in_arms[k]),
                        "missing participation; expected 0 or 1",
                    )
                    .into());
                }
            }
            let c = cea::model_costs(&model, &t, d.as_deref())?;
            let mut full = vec![f64::NAN; joined.n];
            for (k, &i) in in_arms.iter().enumerate() {
                full[i] = c[k];
            }
            full
        }
    };
    // Keep persons in the two arms with an observed outcome.
    let mut keep = Vec::new();
    let mut lost: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in &in_arms {
        if outcome[i].is_nan() {
            *lost.entry(arm[i].as_str()).or_default() += 1;
        } else {
            keep.push(i);
        }
    }
    if !lost.is_empty() {
        let parts: Vec<String> = lost.iter().map(|(a, n)| format!("{n} in {a}")).collect();
        eprintln!(
            "warning: {} persons without `{}` are left out ({}); costs and effects are compared \
             on complete cases",
            lost.values().sum::<usize>(),
            s.outcome,
            parts.join(", ")
        );
    }
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let participation = match (&s.participation, &participation) {
        (Some(name), Some(p)) => {
            if let Some(&i) = keep.iter().find(|&&i| p[i].is_nan()) {
                return Err(Error::data(
                    joined.location(name, i),
                    format!(
                        "missing participation{}; expected 0 or 1",
                        joined.absent(name, i)
                    ),
                )
                .into());
            }
            Some(pick(p))
        }
        _ => None,
    };
    let mut offsets = Vec::new();
    for offset in &s.offsets {
        let (name, col, price) = (&offset.name, &offset.column, &offset.sek_per_unit);
        let v = joined.number(col)?;
        if let Some(&i) = keep.iter().find(|&&i| v[i].is_nan()) {
            return Err(Error::data(
                joined.location(col, i),
                format!(
                    "missing value of offset `{name}`{}; expected a number (0 when none)",
                    joined.absent(col, i)
                ),
            )
            .into());
        }
        offsets.push(Offset {
            name: name.clone(),
            units: pick(&v),
            sek_per_unit: *price,
        });
    }
    let index_of = |labels: Vec<String>| -> Vec<usize> {
        let mut map: BTreeMap<String, usize> = BTreeMap::new();
        for l in &labels {
            let next = map.len();
            map.entry(l.clone()).or_insert(next);
        }
        labels.iter().map(|l| map[l]).collect()
    };
    let strata = if s.strata.is_empty() {
        vec![0; keep.len()]
    } else {
        let mut cols = Vec::new();
        for c in &s.strata {
            cols.push(joined.text(c)?);
        }
        index_of(
            keep.iter()
                .map(|&i| {
                    cols.iter()
                        .map(|c| c[i].as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect(),
        )
    };
    let clusters = match &s.cluster {
        Some(c) => {
            let v = joined.text(c)?;
            Some(index_of(keep.iter().map(|&i| v[i].clone()).collect()))
        }
        None => None,
    };
    let groups = match &s.by {
        Some(b) => {
            let v = joined.text(&b.value)?;
            Some(keep.iter().map(|&i| v[i].clone()).collect())
        }
        None => None,
    };
    Ok(Prepared {
        sample: Sample {
            treated: keep.iter().map(|&i| arm[i] == treated).collect(),
            cost: pick(&costs),
            effect: pick(&outcome),
            participation,
            offsets,
            strata,
            clusters,
        },
        groups,
        treated_arm: treated,
        control_arm: control,
    })
}

/// One subgroup's result, or the reason there is none.
struct GroupResult {
    label: String,
    n: [usize; 2],
    result: Result<Analysis, String>,
}

fn analyse_groups(p: &Prepared, s: &Settings) -> anyhow::Result<Vec<GroupResult>> {
    let options = CostOptions {
        level: s.level,
        bootstrap: s.bootstrap,
        seed: s.seed,
        wtp: s.wtp.clone(),
        per_participant: s.per_participant,
        alternatives: s.alternatives.clone(),
    };
    let count = |rows: &[usize]| {
        let t = rows.iter().filter(|&&i| p.sample.treated[i]).count();
        [t, rows.len() - t]
    };
    let all: Vec<usize> = (0..p.sample.treated.len()).collect();
    let n_all = count(&all);
    if n_all[0] == 0 || n_all[1] == 0 {
        let empty = if n_all[0] == 0 {
            &p.treated_arm
        } else {
            &p.control_arm
        };
        return Err(Error::compute(format!(
            "the arm `{empty}` has no persons with the outcome `{}`",
            s.outcome
        ))
        .into());
    }
    let mut out = vec![GroupResult {
        label: "all".into(),
        n: n_all,
        result: Ok(cea::analyse(&p.sample, &options)?),
    }];
    if let (Some(by), Some(groups)) = (&s.by, &p.groups) {
        let levels: BTreeSet<&str> = groups
            .iter()
            .map(String::as_str)
            .filter(|l| !l.is_empty())
            .collect();
        for level in levels {
            let rows: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| groups[i] == level)
                .collect();
            let n = count(&rows);
            let label = format!("{}={level}", by.value);
            let result = if n[0] == 0 || n[1] == 0 {
                let empty = if n[0] == 0 {
                    &p.treated_arm
                } else {
                    &p.control_arm
                };
                Err(format!(
                    "{label}: no observations in the arm `{empty}`; nothing can be compared"
                ))
            } else {
                cea::analyse(&p.sample.subset(&rows), &options).map_err(|e| format!("{label}: {e}"))
            };
            out.push(GroupResult { label, n, result });
        }
    }
    Ok(out)
}

const SUMMARY_COLUMNS: [&str; 38] = [
    "subgroup",
    "perspective",
    "outcome",
    "treated_arm",
    "control_arm",
    "n_treated",
    "n_control",
    "mean_cost_treated",
    "mean_cost_control",
    "cost_per_participant_treated",
    "mean_effect_treated",
    "mean_effect_control",
    "incremental_cost",
    "incremental_cost_se",
    "incremental_effect",
    "incremental_effect_se",
    "additional_per_100",
    "icer",
    "icer_se",
    "delta_low",
    "delta_high",
    "fieller_shape",
    "fieller_low",
    "fieller_high",
    "boot_low",
    "boot_high",
    "boot_effect_low",
    "boot_effect_high",
    "share_ne",
    "share_se",
    "share_sw",
    "share_nw",
    "take_up_difference",
    "effect_per_participant",
    "effect_per_participant_se",
    "incremental_cost_per_participant",
    "level",
    "note",
];

fn summary_frame(groups: &[GroupResult], s: &Settings, p: &Prepared) -> Frame {
    let mut frame = Frame::new(&SUMMARY_COLUMNS);
    for name in [
        "mean_cost_treated",
        "mean_cost_control",
        "cost_per_participant_treated",
        "incremental_cost",
        "incremental_cost_se",
        "icer",
        "icer_se",
        "delta_low",
        "delta_high",
        "fieller_low",
        "fieller_high",
        "boot_low",
        "boot_high",
        "incremental_cost_per_participant",
    ] {
        frame = frame.with_decimals(name, 0);
    }
    for name in [
        "additional_per_100",
        "share_ne",
        "share_se",
        "share_sw",
        "share_nw",
    ] {
        frame = frame.with_decimals(name, 2);
    }
    frame = frame.with_decimals("level", 2);
    for g in groups {
        let base = |perspective: &str| -> Vec<Cell> {
            vec![
                g.label.clone().into(),
                perspective.into(),
                s.outcome.clone().into(),
                p.treated_arm.clone().into(),
                p.control_arm.clone().into(),
                g.n[0].into(),
                g.n[1].into(),
            ]
        };
        match &g.result {
            Err(reason) => {
                let mut row = base("gross");
                row.resize(SUMMARY_COLUMNS.len() - 2, Cell::Null);
                row.push(s.level.into());
                row.push(reason.clone().into());
                frame.push(row);
            }
            Ok(a) => {
                let mut perspectives = vec![("gross", &a.gross)];
                if let Some(net) = &a.net {
                    perspectives.push(("net", net));
                }
                for (name, r) in perspectives {
                    let mut row = base(name);
                    let (mc1, mc0) = if name == "net" {
                        (a.arms[0].mean_net_cost, a.arms[1].mean_net_cost)
                    } else {
                        (a.arms[0].mean_cost, a.arms[1].mean_cost)
                    };
                    let (fl, fh) = r.fieller.limits();
                    let b = r.boot.as_ref();
                    let bq = |k: usize| b.map_or(f64::NAN, |b| b.quadrants[k]);
                    let pp = a.per_participant.as_ref();
                    let mut notes = r.notes.clone();
                    if b.is_none() {
                        notes.push("no bootstrap (use --bootstrap N --seed S)".into());
                    }
                    if s.cluster.is_some() {
                        notes.push("variances are cluster-robust; clusters resampled whole".into());
                    }
                    row.extend([
                        Cell::from(mc1),
                        mc0.into(),
                        if name == "gross" {
                            a.arms[0].cost_per_participant.into()
                        } else {
                            Cell::Null
                        },
                        a.arms[0].mean_effect.into(),
                        a.arms[1].mean_effect.into(),
                        r.delta_cost.into(),
                        r.se_cost.into(),
                        r.delta_effect.into(),
                        r.se_effect.into(),
                        (100.0 * r.delta_effect).into(),
                        r.icer.into(),
                        r.icer_se.into(),
                        r.delta_low.into(),
                        r.delta_high.into(),
                        r.fieller.shape().into(),
                        fl.into(),
                        fh.into(),
                        b.map_or(f64::NAN, |b| b.icer_low).into(),
                        b.map_or(f64::NAN, |b| b.icer_high).into(),
                        b.map_or(f64::NAN, |b| b.effect_low).into(),
                        b.map_or(f64::NAN, |b| b.effect_high).into(),
                        bq(0).into(),
                        bq(1).into(),
                        bq(2).into(),
                        bq(3).into(),
                        pp.map_or(f64::NAN, |x| x.take_up_difference).into(),
                        pp.map_or(f64::NAN, |x| x.delta_effect).into(),
                        pp.map_or(f64::NAN, |x| x.delta_effect_se).into(),
                        pp.map_or(f64::NAN, |x| {
                            if name == "net" {
                                r.delta_cost / x.take_up_difference
                            } else {
                                x.delta_cost
                            }
                        })
                        .into(),
                        s.level.into(),
                        notes.join("; ").into(),
                    ]);
                    frame.push(row);
                }
            }
        }
    }
    frame
}

fn offsets_frame(groups: &[GroupResult]) -> Frame {
    let mut frame = Frame::new(&[
        "subgroup",
        "offset",
        "sek_per_unit",
        "mean_units_treated",
        "mean_units_control",
        "delta_units",
        "delta_value",
        "incremental_cost",
        "net_incremental_cost",
        "icer",
        "net_icer",
        "break_even_sek_per_unit",
        "note",
    ]);
    for name in [
        "delta_value",
        "incremental_cost",
        "net_incremental_cost",
        "icer",
        "net_icer",
        "break_even_sek_per_unit",
    ] {
        frame = frame.with_decimals(name, 0);
    }
    for g in groups {
        match &g.result {
            Err(reason) => {
                let mut row: Vec<Cell> = vec![g.label.clone().into()];
                row.resize(12, Cell::Null);
                row.push(reason.clone().into());
                frame.push(row);
            }
            Ok(a) => {
                let net = a.net.as_ref();
                for o in &a.offsets {
                    let note = if o.delta_units >= 0.0 {
                        format!(
                            "`{}` is not lower in the programme arm: no break-even",
                            o.name
                        )
                    } else {
                        format!(
                            "the programme pays for itself if one unit of `{}` is worth {:.0} SEK",
                            o.name, o.break_even_sek_per_unit
                        )
                    };
                    frame.push(vec![
                        g.label.clone().into(),
                        o.name.clone().into(),
                        o.sek_per_unit.into(),
                        o.mean_units_treated.into(),
                        o.mean_units_control.into(),
                        o.delta_units.into(),
                        o.delta_value.into(),
                        a.gross.delta_cost.into(),
                        net.map_or(f64::NAN, |n| n.delta_cost).into(),
                        a.gross.icer.into(),
                        net.map_or(f64::NAN, |n| n.icer).into(),
                        if o.delta_units < 0.0 {
                            o.break_even_sek_per_unit.into()
                        } else {
                            Cell::Null
                        },
                        note.into(),
                    ]);
                }
            }
        }
    }
    frame
}

fn ceac_frame(groups: &[GroupResult]) -> Frame {
    let mut frame = Frame::new(&[
        "subgroup",
        "perspective",
        "lambda",
        "nmb",
        "nmb_se",
        "nmb_low",
        "nmb_high",
        "boot_low",
        "boot_high",
        "prob_cost_effective_normal",
        "prob_cost_effective_boot",
    ]);
    for name in [
        "lambda",
        "nmb",
        "nmb_se",
        "nmb_low",
        "nmb_high",
        "boot_low",
        "boot_high",
    ] {
        frame = frame.with_decimals(name, 0);
    }
    for g in groups {
        if let Ok(a) = &g.result {
            for pt in &a.acceptability {
                frame.push(vec![
                    g.label.clone().into(),
                    pt.perspective.into(),
                    pt.lambda.into(),
                    pt.nmb.into(),
                    pt.se.into(),
                    pt.low.into(),
                    pt.high.into(),
                    pt.boot_low.into(),
                    pt.boot_high.into(),
                    pt.prob_normal.into(),
                    pt.prob_boot.into(),
                ]);
            }
        }
    }
    frame
}

fn alternatives_frame(groups: &[GroupResult]) -> Frame {
    let mut frame = Frame::new(&[
        "subgroup",
        "perspective",
        "alternative",
        "alternative_cost_per_job",
        "icer",
        "difference",
        "prob_cheaper_normal",
        "prob_cheaper_boot",
    ]);
    for name in ["alternative_cost_per_job", "icer", "difference"] {
        frame = frame.with_decimals(name, 0);
    }
    for g in groups {
        if let Ok(a) = &g.result {
            for c in &a.comparisons {
                frame.push(vec![
                    g.label.clone().into(),
                    c.perspective.into(),
                    c.name.clone().into(),
                    c.cost_per_job.into(),
                    c.icer.into(),
                    c.difference.into(),
                    c.prob_normal.into(),
                    c.prob_boot.into(),
                ]);
            }
        }
    }
    frame
}

/// Columns people read in the summary table; the rest stay in CSV/JSON.
const HUMAN_SUMMARY: [&str; 18] = [
    "subgroup",
    "perspective",
    "n_treated",
    "n_control",
    "mean_cost_treated",
    "mean_cost_control",
    "incremental_cost",
    "additional_per_100",
    "icer",
    "delta_low",
    "delta_high",
    "fieller_shape",
    "fieller_low",
    "fieller_high",
    "boot_low",
    "boot_high",
    "share_ne",
    "share_nw",
];

/// Human formats: the summary narrowed to [`HUMAN_SUMMARY`] and the `note` column moved below
/// the table as numbered notes, so the table stays readable.
fn human(frame: &Frame, format: Format) -> Vec<u8> {
    let note_col = frame.columns.iter().position(|c| c == "note");
    let keep: Vec<usize> = if frame.columns.len() == SUMMARY_COLUMNS.len() {
        HUMAN_SUMMARY
            .iter()
            .filter_map(|h| frame.columns.iter().position(|c| c == h))
            .collect()
    } else {
        (0..frame.columns.len())
            .filter(|&i| Some(i) != note_col)
            .collect()
    };
    let mut narrow = Frame {
        columns: keep.iter().map(|&i| frame.columns[i].clone()).collect(),
        rows: Vec::new(),
        decimals: keep.iter().map(|&i| frame.decimals[i]).collect(),
    };
    let mut notes = Vec::new();
    for row in &frame.rows {
        narrow
            .rows
            .push(keep.iter().map(|&i| row[i].clone()).collect());
        if let Some(Cell::Text(note)) = note_col.and_then(|c| row.get(c)) {
            let who: Vec<String> = row
                .iter()
                .take(2)
                .filter_map(|c| match c {
                    Cell::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            if !note.is_empty() {
                notes.push(format!("{}: {note}", who.join(", ")));
            }
        }
    }
    let mut bytes = render(&narrow, format);
    if !notes.is_empty() {
        let mut text = String::from("\n");
        for (k, n) in notes.iter().enumerate() {
            match format {
                Format::Latex => text.push_str(&format!(
                    "\\noindent\\footnotesize [{}] {}\\par\n",
                    k + 1,
                    latex_escape(n)
                )),
                Format::Markdown => text.push_str(&format!("{}. {n}\n", k + 1)),
                _ => text.push_str(&format!("[{}] {n}\n", k + 1)),
            }
        }
        bytes.extend_from_slice(text.as_bytes());
    }
    bytes
}

/// Everything `lotta cost` computes for a study as `[cost]` says, for `lotta run`: the summary,
/// the acceptability curve, offsets and alternatives (when the spec has them), and the
/// bootstrap replicates of the cost-effectiveness plane (subgroup, ΔE, ΔC).
pub struct CostTables {
    pub summary: Frame,
    pub ceac: Option<Frame>,
    pub offsets: Option<Frame>,
    pub alternatives: Option<Frame>,
    pub draws: Frame,
}

pub fn study_tables(
    study: &Study,
    inputs: &StudyInputs,
    s: &Settings,
) -> anyhow::Result<CostTables> {
    let flags = Flags {
        study: Some(study.file.clone()),
        ..Flags::default()
    };
    let (_joined, prepared, groups) = compute(s, &flags, Some((study, inputs)))?;
    let mut draws = Frame::new(&[
        "subgroup",
        "replicate",
        "incremental_effect",
        "incremental_cost",
    ]);
    for g in &groups {
        if let Ok(analysis) = &g.result
            && let Some(boot) = &analysis.gross.boot
        {
            for (b, (e, c)) in boot.draws.iter().enumerate() {
                draws.push(vec![
                    g.label.as_str().into(),
                    (b + 1).into(),
                    (*e).into(),
                    (*c).into(),
                ]);
            }
        }
    }
    Ok(CostTables {
        summary: summary_frame(&groups, s, &prepared),
        ceac: (!s.wtp.is_empty()).then(|| ceac_frame(&groups)),
        offsets: (!s.offsets.is_empty()).then(|| offsets_frame(&groups)),
        alternatives: (!s.alternatives.is_empty()).then(|| alternatives_frame(&groups)),
        draws,
    })
}

/// Joined data and results of every group, for checked settings, flags and an optional study.
fn compute(
    s: &Settings,
    args: &Flags,
    study: Option<(&Study, &StudyInputs)>,
) -> anyhow::Result<(Joined, Prepared, Vec<GroupResult>)> {
    // With a study and no --strata, the bootstrap resamples within the ledger's strata.
    let mut s = s.clone();
    if s.ledger_strata
        && let Some(ledger) = study.and_then(|(_, inputs)| inputs.ledger.as_ref())
        && ledger.headers()?.iter().any(|h| h == "stratum")
    {
        s.strata = vec!["stratum".to_string()];
    }
    let s = &s;
    // Columns to read.
    let mut requests = vec![
        ColumnRequest::text(s.treatment.clone()),
        ColumnRequest::optional_number(s.outcome.clone()),
    ];
    if let CostSource::Column(c) = &s.cost {
        requests.push(ColumnRequest::optional_number(c.clone()));
    }
    if let Some(p) = &s.participation {
        requests.push(ColumnRequest::optional_number(p.clone()));
    }
    for offset in &s.offsets {
        requests.push(ColumnRequest::optional_number(offset.column.clone()));
    }
    for c in s
        .strata
        .iter()
        .chain(&s.cluster)
        .chain(s.by.as_ref().map(|b| &b.value))
    {
        requests.push(ColumnRequest::text(c.clone()));
    }
    if let Some(id) = &args.id {
        requests.push(ColumnRequest::text(id.clone()));
    }
    let mut seen = BTreeSet::new();
    requests.retain(|r| seen.insert(r.name.clone()));
    let joined = match (study, &args.data) {
        (Some((st, inputs)), _) => join_study(st, inputs, &requests)?,
        (None, Some(path)) => Joined::single(path, &requests)?,
        (None, None) => return Err(usage("give --data FILE or a study")),
    };
    if let (Some(id), None) = (&args.id, study) {
        check_unique_ids(&joined, id)?;
    }
    let prepared = prepare(s, &joined)?;
    let groups = analyse_groups(&prepared, s)?;
    Ok((joined, prepared, groups))
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut args = *args.flags;
    if args.study.is_none() {
        args.study = args.study_path.take();
    }
    let study = match &args.study {
        Some(path) => Some(Study::load(path)?),
        None => None,
    };
    if study.is_none() && args.data.is_none() {
        return Err(usage(
            "give --data FILE (with --treatment, --outcome, --cost) or a study folder",
        ));
    }
    let s = Settings::resolve(&cost_flags(&args), study.as_ref())?;
    {
        if args.table == Which::Ceac && s.wtp.is_empty() {
            return Err(usage("--table ceac needs a λ grid: --wtp FROM:TO:STEP"));
        }
        if args.table == Which::Alternatives && s.alternatives.is_empty() {
            return Err(usage(
                "--table alternatives needs --alternative NAME:COST_PER_JOB (or [[cost.alternatives]])",
            ));
        }
        if args.table == Which::Offsets && s.offsets.is_empty() {
            return Err(usage(
                "--table offsets needs --offset NAME:COL:SEK_PER_UNIT",
            ));
        }
    }
    let mut inputs: Vec<PathBuf> = args.data.iter().cloned().collect();
    if let Some(study) = &study {
        inputs.extend(study.input_files());
    }
    let output = crate::cli::common::check_out(args.out.as_deref(), &inputs)?;
    let files = study.as_ref().map(StudyInputs::open).transpose()?;
    let (joined, prepared, groups) = compute(&s, &args, study.as_ref().zip(files.as_ref()))?;
    let frame = match args.table {
        Which::Summary => summary_frame(&groups, &s, &prepared),
        Which::Offsets => offsets_frame(&groups),
        Which::Ceac => ceac_frame(&groups),
        Which::Alternatives => alternatives_frame(&groups),
    };
    let bytes = if matches!(args.format, Format::Csv | Format::Json) {
        render(&frame, args.format)
    } else {
        human(&frame, args.format)
    };
    crate::cli::common::emit_bytes(
        &bytes,
        output.as_ref(),
        &crate::cli::common::Provenance {
            command: "lotta cost",
            seed: (s.bootstrap > 0).then_some(s.seed),
            inputs: joined.inputs.clone(),
        },
    )?;
    Ok(0)
}
