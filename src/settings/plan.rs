//! The plan of a study: its resolved settings (every section that produces results) as the flat
//! map [`crate::plan::Plan`] that `lotta plan freeze` records. Built from the same resolved
//! settings every command computes with, so the plan is what would be computed — defaults
//! included — not what the spec happens to spell out. The keys are listed in docs/plan.md.

use super::analysis::AnalysisSettings;
use super::cost::{CostSettings, CostSource};
use super::report::{DesignRecord, ReportSettings};
use super::survival::SurvivalSettings;
use super::word_of;
use crate::estimate::missing::MissingCovariates;
use crate::plan::Plan;
use serde_json::{Value, json};

/// The plan of these settings.
pub fn plan_of(
    analysis: &AnalysisSettings,
    cost: Option<&CostSettings>,
    survival: Option<&SurvivalSettings>,
    report: &ReportSettings,
    design: Option<&DesignRecord>,
) -> Plan {
    let mut plan = Plan::new();
    let text = |s: Option<&super::Setting<String>>| s.map(|s| Value::from(s.value.clone()));
    plan.set("analysis.outcomes", json!(analysis.outcomes.value));
    // One subgroup variable stays text (as plans frozen before issue 15 hold it), several a list.
    match analysis.by.as_ref().map(|b| b.value.as_slice()) {
        None => plan.set("analysis.by", None::<Value>),
        Some([one]) => plan.set("analysis.by", Value::from(one.clone())),
        Some(several) => plan.set("analysis.by", json!(several)),
    }
    if !analysis.references.value.is_empty() {
        plan.set("analysis.reference", json!(analysis.references.value));
    }
    if analysis.all_pairs.value {
        plan.set("analysis.pairs", true);
    }
    plan.set("analysis.control", text(analysis.control.as_ref()));
    plan.set("analysis.estimator", word_of(analysis.estimator.value));
    plan.set("analysis.se", word_of(analysis.se.value));
    plan.set("analysis.covariates", json!(analysis.covariates.value));
    if !analysis.categorical.value.is_empty() {
        plan.set("analysis.categorical", json!(analysis.categorical.value));
    }
    plan.set("analysis.strata", json!(analysis.strata.value));
    plan.set("analysis.cluster", text(analysis.cluster.as_ref()));
    plan.set(
        "analysis.participation",
        text(analysis.participation.as_ref()),
    );
    plan.set("analysis.ipw", word_of(analysis.ipw.value));
    // Only when not the default, so that plans frozen before the setting existed stay valid.
    if analysis.missing_covariates.value != MissingCovariates::default() {
        plan.set(
            "analysis.missing_covariates",
            word_of(analysis.missing_covariates.value),
        );
    }
    if let Some(ri) = &analysis.ri {
        plan.set("analysis.ri_draws", ri.value.draws);
        plan.set("analysis.ri_seed", ri.value.seed);
        // Only when not the default, so that plans frozen before these settings stay valid.
        if analysis.ri_exact_max.value != crate::estimate::inference::DEFAULT_EXACT_MAX {
            plan.set("analysis.ri_exact_max", analysis.ri_exact_max.value);
        }
        if analysis.ri_statistic.value != crate::estimate::inference::RiStatistic::default() {
            plan.set(
                "analysis.ri_statistic",
                word_of(analysis.ri_statistic.value),
            );
        }
    }
    if let Some(wild) = &analysis.wild {
        plan.set("analysis.wild_bootstrap", wild.value.draws);
        plan.set("analysis.wild_weights", word_of(wild.value.weights));
        plan.set("analysis.wild_null", word_of(wild.value.null));
        plan.set("analysis.wild_seed", wild.value.seed);
    }
    if let Some(adjust) = &analysis.adjust {
        plan.set("analysis.adjust", word_of(adjust.value));
    }
    // Only when declared, so that plans frozen before families existed stay valid.
    if !analysis.families.value.is_empty() {
        plan.set("analysis.families", json!(analysis.families.value));
    }
    plan.set(
        "report.primary_outcome",
        report.report.primary_outcome.clone(),
    );
    plan.set("report.horizons", json!(report.report.horizons));
    if let Some(d) = design {
        plan.set(
            "design.arms",
            Value::Object(
                d.arms
                    .iter()
                    .map(|(arm, ratio)| (arm.clone(), json!(ratio)))
                    .collect(),
            ),
        );
        plan.set("design.strata", json!(d.strata));
        plan.set("design.cluster", json!(d.cluster));
        plan.set("design.method", d.method.clone());
        if !d.block_sizes.is_empty() {
            plan.set("design.block_sizes", json!(d.block_sizes));
        }
        plan.set("design.seed", d.seed);
    }
    if let Some(c) = cost {
        plan.set("cost.outcome", c.outcome.clone());
        match &c.cost {
            CostSource::Column(column) => plan.set("cost.cost_column", column.clone()),
            CostSource::Model(model) => plan.set(
                "cost.model",
                json!({
                    "per_offered": model.per_offered,
                    "per_participant": model.per_participant,
                    "fixed": model.fixed,
                    "overhead_share": model.overhead_share,
                }),
            ),
        }
        plan.set("cost.participation", json!(c.participation));
        plan.set("cost.per_participant", c.per_participant);
        if !c.offsets.is_empty() {
            plan.set(
                "cost.offsets",
                c.offsets
                    .iter()
                    .map(|o| json!({"name": o.name, "column": o.column, "sek_per_unit": o.sek_per_unit}))
                    .collect::<Vec<_>>(),
            );
        }
        if !c.alternatives.is_empty() {
            plan.set(
                "cost.alternatives",
                c.alternatives
                    .iter()
                    .map(|a| json!({"name": a.name, "cost_per_job": a.cost_per_job}))
                    .collect::<Vec<_>>(),
            );
        }
        plan.set("cost.bootstrap", c.bootstrap);
        plan.set("cost.seed", c.seed);
        plan.set("cost.wtp", json!(c.wtp));
        plan.set("cost.level", c.level);
        // The valued outcome and the comparators by track change the results, so they are part
        // of the plan (added only when present, so plans frozen before them compare equal).
        if let Some(b) = &c.benefit {
            plan.set(
                "cost.benefit",
                json!({
                    "in_work": b.in_work.iter().map(|(col, m)| json!({"column": col, "month": m})).collect::<Vec<_>>(),
                    "valuations": b.valuations.iter().map(|v| json!({"name": v.name, "sek_per_month": v.sek_per_month})).collect::<Vec<_>>(),
                    "discount_rate": b.discount_rate,
                    "discount_range": b.discount_range,
                    "cost_months": b.cost_months,
                    "extrapolate_to": b.extrapolate_to,
                    "value_change": b.value_change,
                    "cost_change": b.cost_change,
                }),
            );
            // Added only when used, so plans frozen before the key compare equal.
            if let Some(j) = &b.time_to_job {
                plan.set(
                    "cost.benefit.survival_months",
                    json!({"time": j.time, "event": j.event, "cause": j.cause, "months": j.months}),
                );
            }
        }
        if !c.comparators.is_empty() {
            plan.set(
                "cost.comparators",
                c.comparators
                    .iter()
                    .map(|k| json!({"name": k.name, "track": k.track_column, "fee": k.fees, "results_payment": k.results_payment}))
                    .collect::<Vec<_>>(),
            );
        }
    }
    if let Some(s) = survival {
        plan.set("survival.time", s.time.value.clone());
        plan.set("survival.event", s.event.value.clone());
        plan.set("survival.by", text(s.by.as_ref()));
        plan.set("survival.control", text(s.control.as_ref()));
        plan.set("survival.strata", json!(s.strata.value));
        plan.set("survival.cluster", text(s.cluster.as_ref()));
        plan.set("survival.cause", text(s.cause.as_ref()));
        plan.set("survival.tau", s.tau.as_ref().map(|t| json!(t.value)));
        plan.set("survival.at", json!(s.at.value));
        if let Some(ri) = &s.ri {
            plan.set("survival.ri_draws", ri.value.draws);
            plan.set("survival.ri_seed", ri.value.seed);
        }
        plan.set("survival.level", s.level);
    }
    plan
}

/// The attrition bounds' entries of the plan (`bounds.*`), when the study has `[bounds]`.
pub fn add_bounds(plan: &mut Plan, bounds: &super::bounds::BoundsSettings) {
    plan.set("bounds.outcomes", json!(bounds.outcomes.value));
    plan.set("bounds.observed_when", json!(bounds.observed_when.value));
    plan.set("bounds.cells", json!(bounds.cells.value));
    plan.set(
        "bounds.by",
        bounds.by.as_ref().map(|b| Value::from(b.value.clone())),
    );
    plan.set(
        "bounds.control",
        bounds
            .control
            .as_ref()
            .map(|c| Value::from(c.value.clone())),
    );
    plan.set("bounds.level", bounds.level);
}
