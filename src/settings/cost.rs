//! `lotta cost`'s settings (and the cost part of `lotta run`): the `[cost]` section with the
//! flags of `lotta cost` over it, resolved once. The subgroup column and the control arm follow
//! the same rules as every other command ([`subgroup_column`], [`control_arm`]).

use super::analysis::{control_arm, subgroup_column};
use super::{Layers, Origin, Setting};
use crate::cea::{self, Alternative};
use crate::error::{Error, Result};
use crate::spec::Study;
use crate::spec::cost::CostModelSpec;

/// The flags of `lotta cost` as given (None or empty: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostFlags {
    pub outcome: Option<String>,
    pub treatment: Option<String>,
    pub control: Option<String>,
    pub treated: Option<String>,
    pub by: Option<String>,
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    pub cost: Option<String>,
    pub participation: Option<String>,
    pub per_participant: bool,
    pub offsets: Vec<String>,
    pub alternatives: Vec<String>,
    pub bootstrap: Option<usize>,
    pub seed: Option<u64>,
    pub wtp: Option<String>,
    pub level: Option<f64>,
}

/// Where costs come from.
#[derive(Debug, Clone)]
pub enum CostSource {
    Column(String),
    /// Amounts by arm name.
    Model(CostModelSpec),
}

/// A benefit offset: a name, the column counting units, SEK per unit.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetColumn {
    pub name: String,
    pub column: String,
    pub sek_per_unit: f64,
}

/// Checked settings of the cost-effectiveness analysis.
#[derive(Debug, Clone)]
pub struct CostSettings {
    pub outcome: String,
    pub treatment: String,
    pub control: Option<String>,
    pub treated: Option<String>,
    pub by: Option<Setting<String>>,
    /// Stratum columns from the flag; empty with `ledger_strata`: the ledger's `stratum`.
    pub strata: Vec<String>,
    /// With a study and no --strata: the bootstrap resamples within the ledger's strata (when
    /// the ledger has a `stratum` column).
    pub ledger_strata: bool,
    pub cluster: Option<String>,
    pub cost: CostSource,
    pub participation: Option<String>,
    pub per_participant: bool,
    pub offsets: Vec<OffsetColumn>,
    pub alternatives: Vec<Alternative>,
    pub bootstrap: usize,
    pub seed: u64,
    pub wtp: Vec<f64>,
    pub level: f64,
    /// `[cost.benefit]`: the effect valued in money (spec only).
    pub benefit: Option<super::benefit::BenefitSettings>,
    /// `[[cost.comparators]]`: procured services priced by track (spec only).
    pub comparators: Vec<super::benefit::TrackComparator>,
}

fn usage(flag: &str, message: impl Into<String>) -> Error {
    Origin::flag(flag).error(message)
}

/// Parse `NAME:COL:SEK_PER_UNIT` (the name may not contain `:`).
fn parse_offset(text: &str) -> Result<OffsetColumn> {
    let parts: Vec<&str> = text.rsplitn(3, ':').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.trim().is_empty()) {
        return Err(usage(
            "--offset",
            format!(
                "`{text}`: expected NAME:COLUMN:SEK_PER_UNIT, e.g. income_support:income_support_months:7000"
            ),
        ));
    }
    let price: f64 = parts[0].trim().parse().map_err(|_| {
        usage(
            "--offset",
            format!("`{text}`: SEK per unit `{}` is not a number", parts[0]),
        )
    })?;
    if !price.is_finite() {
        return Err(usage(
            "--offset",
            format!("`{text}`: SEK per unit must be finite"),
        ));
    }
    Ok(OffsetColumn {
        name: parts[2].trim().into(),
        column: parts[1].trim().into(),
        sek_per_unit: price,
    })
}

fn parse_alternative(text: &str) -> Result<Alternative> {
    let (name, cost) = text.rsplit_once(':').ok_or_else(|| {
        usage(
            "--alternative",
            format!("`{text}`: expected NAME:COST_PER_JOB, e.g. `Rusta och matcha:180000`"),
        )
    })?;
    let cost: f64 = cost.trim().parse().map_err(|_| {
        usage(
            "--alternative",
            format!("`{text}`: cost per job `{cost}` is not a number"),
        )
    })?;
    if name.trim().is_empty() || !cost.is_finite() || cost < 0.0 {
        return Err(usage(
            "--alternative",
            format!("`{text}`: expected a name and a cost per job ≥ 0"),
        ));
    }
    Ok(Alternative {
        name: name.trim().into(),
        cost_per_job: cost,
    })
}

/// Parse `FROM:TO:STEP` into the λ grid.
fn parse_wtp(text: &str) -> Result<Vec<f64>> {
    if text.trim().is_empty() {
        return Err(usage(
            "--wtp",
            "empty: expected FROM:TO:STEP, e.g. 0:500000:10000",
        ));
    }
    let nums: Option<Vec<f64>> = text.split(':').map(|p| p.trim().parse().ok()).collect();
    match nums.as_deref() {
        Some([from, to, step]) => {
            cea::wtp_grid(*from, *to, *step).map_err(|e| usage("--wtp", format!("`{text}`: {e}")))
        }
        _ => Err(usage(
            "--wtp",
            format!("`{text}`: expected three numbers FROM:TO:STEP, e.g. 0:500000:10000"),
        )),
    }
}

impl CostSettings {
    /// Merge `flags` over the study's `[cost]` section (or flags alone, ad hoc).
    pub fn resolve(flags: &CostFlags, study: Option<&Study>) -> Result<CostSettings> {
        let layers = Layers::new(study);
        let spec = study.and_then(|s| s.spec.cost.clone()).unwrap_or_default();
        if let Some(s) = study {
            spec.validate(s)?;
        }
        let outcome = layers
            .text(
                ("--outcome", flags.outcome.as_ref()),
                ("cost.outcome", spec.outcome.as_ref()),
            )
            .ok_or_else(|| {
                usage(
                    "--outcome",
                    "give the outcome to price with --outcome COL (or `outcome` in [cost])",
                )
            })?
            .value;
        let treatment = match (&flags.treatment, study) {
            (Some(t), _) => t.clone(),
            (None, Some(_)) => "arm".to_string(),
            (None, None) => {
                return Err(usage(
                    "--treatment",
                    "give the column with the assigned arm with --treatment COL",
                ));
            }
        };
        let control = control_arm(flags.control.as_ref(), study).map(|c| c.value);
        let cost = match (&flags.cost, &spec.column, &spec.model) {
            (Some(c), _, _) => CostSource::Column(c.clone()),
            (None, Some(c), _) => CostSource::Column(c.clone()),
            (None, None, Some(m)) => CostSource::Model(m.clone()),
            (None, None, None) => {
                return Err(usage(
                    "--cost",
                    "give the cost column with --cost COL, or a cost column or [cost.model] in the spec",
                ));
            }
        };
        let offsets = if flags.offsets.is_empty() {
            spec.offsets
                .iter()
                .map(|o| OffsetColumn {
                    name: o.name.clone(),
                    column: o.column.clone(),
                    sek_per_unit: o.sek_per_unit,
                })
                .collect()
        } else {
            flags
                .offsets
                .iter()
                .map(|o| parse_offset(o))
                .collect::<Result<_>>()?
        };
        let alternatives = if flags.alternatives.is_empty() {
            spec.alternatives
                .iter()
                .map(|a| Alternative {
                    name: a.name.clone(),
                    cost_per_job: a.cost_per_job,
                })
                .collect()
        } else {
            flags
                .alternatives
                .iter()
                .map(|a| parse_alternative(a))
                .collect::<Result<_>>()?
        };
        let wtp = match (&flags.wtp, &spec.wtp) {
            (Some(text), _) => parse_wtp(text)?,
            (None, Some(w)) => cea::wtp_grid(w.from, w.to, w.step)
                .map_err(|e| layers.spec("cost.wtp").error(e.to_string()))?,
            (None, None) => Vec::new(),
        };
        let bootstrap = flags
            .bootstrap
            .or(spec.bootstrap.map(|b| b as usize))
            .unwrap_or(0);
        let seed = match (flags.seed, study) {
            (Some(s), _) => s,
            (None, Some(s)) => s.seed(),
            (None, None) if bootstrap > 0 => {
                return Err(usage(
                    "--bootstrap",
                    "needs --seed S, so that the intervals can be reproduced",
                ));
            }
            (None, None) => 0,
        };
        let level = match (flags.level, spec.level) {
            (Some(level), _) if !(level > 0.0 && level < 1.0) => {
                return Err(usage(
                    "--level",
                    format!("{level}: expected a confidence level between 0 and 1, e.g. 0.95"),
                ));
            }
            (Some(level), _) => level,
            (None, Some(level)) => level,
            (None, None) => 0.95,
        };
        let participation = flags.participation.clone().or(spec.participation.clone());
        let per_participant = flags.per_participant || spec.per_participant.unwrap_or(false);
        if per_participant && participation.is_none() {
            let origin = if flags.per_participant {
                Origin::flag("--per-participant")
            } else {
                layers.spec("cost.per_participant")
            };
            return Err(origin.error("the cost per participant needs the participation column (--participation COL or `participation` in [cost])"));
        }
        let by = subgroup_column(
            ("--by", flags.by.as_ref()),
            Some(("cost.by", spec.by.as_ref())),
            study,
        );
        Ok(CostSettings {
            outcome,
            treatment,
            control,
            treated: flags.treated.clone(),
            by,
            strata: flags.strata.clone(),
            ledger_strata: flags.strata.is_empty() && study.is_some(),
            cluster: flags.cluster.clone().or(spec.cluster.clone()),
            cost,
            participation,
            per_participant,
            offsets,
            alternatives,
            bootstrap,
            seed,
            wtp,
            level,
            benefit: spec.benefit.as_ref().map(|b| {
                super::benefit::BenefitSettings::resolve(
                    b,
                    study.and_then(|st| st.spec.survival.as_ref()),
                )
            }),
            comparators: study
                .map(|st| {
                    spec.comparators
                        .iter()
                        .enumerate()
                        .map(|(i, c)| super::benefit::TrackComparator::resolve(st, i, c))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}
