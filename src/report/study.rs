//! The study report: from the tidy result tables of a run (`tables/*.csv`) to the report folder's
//! files — `report.html` (self-contained, figures inline as SVG), `report.md`, Markdown tables,
//! and every figure as SVG and PNG. Pure: tables in, files (name, bytes) out. Small cells are
//! masked in every table shown; no identifier column is ever printed.

use crate::categorical::first_seen_levels;
use crate::error::Result;
use crate::export::{self, Cell, Frame};
use crate::report::document::{Block, FigureRef, Report, Section, TableRef};
use crate::report::figures::{
    self, Count, Figure, balance::BalancePlot, balance::BalancePoint, ce_plane::CePlane,
    ceac::Ceac, exits::ExitStep, exits::StackedExits, flow::Flow, flow::FlowArm, forest::Forest,
    forest::ForestRow, km::KmCurves, km::KmStep, split::Split, split::SplitBar,
    trajectory::Trajectory, trajectory::TrajectoryPoint,
};
use crate::report::language::{Currency, Language};
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// Everything the report needs besides the tables.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportContext {
    pub title: String,
    pub subtitle: Option<String>,
    /// Arms in spec order; the control arm is named separately.
    pub arms: Vec<String>,
    pub control: String,
    /// Lines describing the design (arms, ratio, strata, method, seed, ...).
    pub design: Vec<String>,
    /// Lines describing the estimators, SE types and references.
    pub methods: Vec<String>,
    /// The headline outcome column.
    pub primary_outcome: String,
    /// Outcome column → days after randomization, in order.
    pub horizons: IndexMap<String, u32>,
    /// Whether `horizons` are days (given in the spec); otherwise outcomes are only ordered and
    /// the report names them instead of a time (no "at 1 days", no time path).
    pub horizons_in_days: bool,
    /// Parts of the primary outcome → label.
    pub split: IndexMap<String, String>,
    /// Subgroup level → label (e.g. "gender=F" → "Women").
    pub labels: IndexMap<String, String>,
    pub outcome_label: String,
    /// The participation column, whose name is the term of the 2SLS rows.
    pub participation: Option<String>,
    pub mask_below: usize,
    /// Below this many clusters the summary and forest plot lead with design-based inference
    /// (`[report] few_clusters`; 0: never).
    pub few_clusters: usize,
    /// The manifest (version, seed, input hashes) as text.
    pub manifest: String,
    /// The language of the report (`[report] language`, `--language`).
    pub language: Language,
    /// How a Swedish report writes amounts (`[report] currency`: kr or SEK).
    pub currency: Currency,
}

/// The result tables by name (`effects`, `shares`, `split`, `flow`, `balance`, `balance_joint`,
/// `attrition`, `cost`, `ce_draws`, `ceac`, ...). Missing tables leave their section out.
pub type Tables = BTreeMap<String, Frame>;

/// Tables longer than this (bootstrap replicates) are written as CSV only.
const MARKDOWN_TABLE_ROWS: usize = 500;

/// Columns that may identify a person; they are dropped from any table before it is shown.
const IDENTIFIER_COLUMNS: &[&str] = &["id", "person_id", "personnummer", "pnr", "ssn", "hash"];

impl ReportContext {
    /// Readable label of a subgroup value: `all` → "All", `gender=F` → the configured label,
    /// `a - b` → "A − B".
    pub fn label(&self, subgroup: &str) -> String {
        if subgroup == "all" {
            return "All".to_string();
        }
        if let Some((a, b)) = subgroup.split_once(" - ") {
            return format!("{} − {}", self.label(a), self.label(b));
        }
        if subgroup.contains(" & ") && !self.labels.contains_key(subgroup) {
            // A crossing cell: each part by its label (`Women & 16-24`).
            let parts: Vec<String> = subgroup.split(" & ").map(|p| self.label(p)).collect();
            return parts.join(" & ");
        }
        self.labels
            .get(subgroup)
            .cloned()
            .unwrap_or_else(|| subgroup.to_string())
    }

    fn horizon_label(&self, outcome: &str) -> String {
        match self.horizons.get(outcome) {
            Some(d) if self.horizons_in_days => days(f64::from(*d)),
            _ => outcome.to_string(),
        }
    }

    /// "at 540 days", or, without horizons in days, "for `<outcome>`".
    fn at_horizon(&self, outcome: &str) -> String {
        match self.horizons.get(outcome) {
            Some(_) if self.horizons_in_days => format!("at {}", self.horizon_label(outcome)),
            _ => format!("for {outcome}"),
        }
    }

    fn treated_arms(&self) -> Vec<&String> {
        self.arms.iter().filter(|a| **a != self.control).collect()
    }
}

fn without_identifiers(frame: &Frame) -> Frame {
    let keep: Vec<&str> = frame
        .columns
        .iter()
        .map(String::as_str)
        .filter(|c| !IDENTIFIER_COLUMNS.contains(&c.to_lowercase().as_str()))
        .collect();
    frame.select(&keep)
}

/// The columns a reader of the report sees for each table (every column stays in the CSV).
fn shown_columns(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "indicators" => &[
            "label",
            "subgroup",
            "arm",
            "n",
            "n_yes",
            "share",
            "conf_low",
            "conf_high",
            "target",
            "p_value",
            "p_value_shortfall",
            "assessment",
            "clusters",
            "conf_low_cr2",
            "conf_high_cr2",
            "p_value_cr2",
            "p_value_shortfall_cr2",
            "note",
        ],
        "indicator_categories" => &["outcome", "subgroup", "arm", "category", "n", "share"],
        "indicator_tests" => &[
            "outcome",
            "subgroup",
            "n",
            "chi_square",
            "df",
            "p_value_chi_square",
            "p_value_fisher",
            "note",
        ],
        "effects" => &[
            "outcome",
            "subgroup",
            "estimate",
            "std_error",
            "conf_low",
            "conf_high",
            "p_value",
            "p_value_adjusted",
            "p_value_ri",
            "ri_conf_low",
            "ri_conf_high",
            "first_stage_f",
            "n_treated",
            "n_control",
            "mean_treated",
            "mean_control",
            "prespecified",
        ],
        "balance" => &[
            "covariate",
            "level",
            "arm",
            "mean_arm",
            "mean_control",
            "difference",
            "smd",
            "p_value",
            "n_arm",
            "n_control",
        ],
        "cost" => &[
            "subgroup",
            "perspective",
            "mean_cost_treated",
            "mean_cost_control",
            "incremental_cost",
            "additional_per_100",
            "icer",
            "icer_se",
            "fieller_low",
            "fieller_high",
            "boot_low",
            "boot_high",
            "note",
            "prespecified",
        ],
        "plan_versions" => &[
            "version",
            "frozen_at",
            "outcome_data_existed",
            "persons_assigned",
            "is_the_plan",
            "changed",
        ],
        "bounds" => &[
            "outcome",
            "subgroup",
            "arm",
            "cells",
            "n_observed_treated",
            "n_observed_control",
            "trimmed_arm",
            "trim_share",
            "lower",
            "upper",
            "conf_low",
            "conf_high",
            "cost_per_success_low",
            "cost_per_success_high",
            "note",
        ],
        "families" => &[
            "family",
            "outcome",
            "subgroup",
            "estimate",
            "p_value",
            "p_value_ri",
            "p_value_romano_wolf",
            "p_value_westfall_young",
            "q_value_anderson",
            "note",
        ],
        "attrition" => &[
            "outcome",
            "subgroup",
            "arm",
            "n",
            "n_missing",
            "rate_missing",
            "difference",
            "p_value",
            "p_value_fisher",
        ],
        _ => return None,
    })
}

/// Decimals people need: none for SEK amounts and F statistics, two for counts per 100 and
/// units per person.
fn set_decimals(name: &str, frame: &mut Frame) {
    for (j, column) in frame.columns.iter().enumerate() {
        let c = column.as_str();
        let sek = c.contains("cost")
            || c.starts_with("icer")
            || c.starts_with("net_icer")
            || c.starts_with("fieller")
            || (c.starts_with("boot_") && !c.contains("effect"))
            || matches!(c, "delta_low" | "delta_high" | "delta_value")
            || c.contains("sek")
            || c.starts_with("nmb")
            || c.starts_with("lambda")
            || c.starts_with("break_even")
            || (name == "cost_alternatives" && c == "difference");
        let decimals = if sek || c == "first_stage_f" {
            Some(0)
        } else if c == "additional_per_100" || c == "delta_units" || c.starts_with("mean_units") {
            Some(2)
        } else {
            None
        };
        if let (Some(d), Some(slot)) = (decimals, frame.decimals.get_mut(j)) {
            *slot = Some(d);
        }
    }
}

/// P-values as readers expect them: three decimals, "<0.001" below.
fn format_p_values(frame: &mut Frame) {
    for (j, column) in frame.columns.iter().enumerate() {
        if !column.starts_with("p_value") && !column.starts_with("q_value") {
            continue;
        }
        for row in &mut frame.rows {
            let value = match row.get(j) {
                Some(Cell::Num(x)) => Some(*x),
                Some(Cell::Int(i)) => Some(*i as f64),
                _ => None,
            };
            if let Some(p) = value {
                row[j] = Cell::Text(if p < 0.001 {
                    "<0.001".to_string()
                } else {
                    format!("{p:.3}")
                });
            }
        }
    }
}

pub(super) fn table_block(name: &str, caption: &str, frame: &Frame) -> Block {
    let mut shown = without_identifiers(frame);
    if let Some(columns) = shown_columns(name) {
        let present: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| {
                shown
                    .column(c)
                    .is_some_and(|j| shown.rows.iter().any(|r| r[j] != Cell::Null))
            })
            .collect();
        shown = shown.select(&present);
    }
    format_p_values(&mut shown);
    set_decimals(name, &mut shown);
    Block::Table(TableRef {
        caption: caption.to_string(),
        frame: shown,
        csv: Some(format!("tables/{name}.csv")),
    })
}

/// The files of the report folder besides the tables' CSVs: (relative path, bytes).
pub fn build(context: &ReportContext, tables: &Tables) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut figures_out: Vec<FigureRef> = Vec::new();
    let mut add_figure = |files: &mut Vec<(String, Vec<u8>)>,
                          figure: &dyn ErasedFigure,
                          caption: &str|
     -> Result<FigureRef> {
        let svg = figure.svg(context.language, context.currency)?;
        files.push((
            format!("figures/{}.svg", figure.name()),
            svg.clone().into_bytes(),
        ));
        files.push((
            format!("figures/{}.png", figure.name()),
            figure.png(context.language, context.currency)?,
        ));
        let r = FigureRef {
            name: figure.name().to_string(),
            caption: caption.to_string(),
            svg,
            data: figure.data(),
        };
        figures_out.push(r.clone());
        Ok(r)
    };
    let mut sections = Vec::new();

    sections.push(Section {
        id: "summary".into(),
        heading: "Summary".into(),
        blocks: summary(context, tables),
    });

    // Design and participant flow.
    let mut blocks = vec![Block::List(context.design.clone())];
    if let Some(flow) = tables.get("flow") {
        if let Some(figure) = flow_figure(context, flow) {
            let f = add_figure(
                &mut files,
                &figure,
                "Participant flow from randomization to analysis (CONSORT). Counts below the masking threshold are shown as <k.",
            )?;
            blocks.push(Block::Figure(f));
        }
        blocks.push(table_block("flow", "Participant flow by arm", flow));
    }
    sections.push(Section {
        id: "design".into(),
        heading: "Design and participant flow".into(),
        blocks,
    });

    // Balance.
    if let Some(balance) = tables.get("balance") {
        let clustered = tables
            .get("balance_joint")
            .and_then(|j| j.column("clusters").map(|_| j))
            .map(|j| {
                (0..j.rows.len())
                    .filter_map(|i| j.number(i, "clusters"))
                    .fold(0.0_f64, f64::max)
            });
        let inference = match clustered {
            None => "P-values test each difference; the joint test regresses assignment on all covariates (F test, as Stata's iebaltab).".to_string(),
            Some(g) => format!(
                "Arms were assigned by cluster, so inference is clustered (up to {g} clusters per comparison; the joint test's `clusters` column): p-values test each difference with CR2 standard errors and Bell–McCaffrey degrees of freedom, and the joint test regresses assignment on all covariates with a cluster-robust Wald test (CR2, F(q, G − 1), clubSandwich's Naive-F)."
            ),
        };
        let mut blocks = vec![Block::Text(format!(
            "Baseline characteristics by arm. Differences are treatment minus control; the standardized difference divides by the pooled standard deviation. {inference}"
        ))];
        if let Some(figure) = balance_figure(context, balance) {
            let f = add_figure(
                &mut files,
                &figure,
                "Standardized differences in baseline characteristics, overall and by subgroup. The shaded band marks |difference| < 0.1.",
            )?;
            blocks.push(Block::Figure(f));
        }
        let overall = balance.filter(|f, i| f.text(i, "subgroup").is_none_or(|s| s == "all"));
        blocks.push(table_block(
            "balance",
            "Baseline balance, all participants (by subgroup in tables/balance.csv)",
            &overall,
        ));
        if let Some(joint) = tables.get("balance_joint") {
            blocks.push(table_block(
                "balance_joint",
                "Joint test of balance (assignment regressed on all covariates)",
                joint,
            ));
        }
        sections.push(Section {
            id: "balance".into(),
            heading: "Baseline balance".into(),
            blocks,
        });
    }

    // Effects.
    if let Some(effects) = tables.get("effects") {
        let mut blocks = vec![Block::Text(format!(
            "Intention-to-treat effects of being offered the programme on the share {} at each horizon, for everyone and by subgroup, and the difference between subgroups from the interaction model. Effects are differences in shares (0.08 = 8 percentage points).",
            context.outcome_label
        ))];
        if let Some(figure) = forest_figure(context, effects) {
            let f = add_figure(
                &mut files,
                &figure,
                "Effect of the offer with 95% confidence intervals, by horizon and subgroup (percentage points).",
            )?;
            blocks.push(Block::Figure(f));
        }
        if let Some(figure) = tables
            .get("shares")
            .and_then(|s| trajectory_figure(context, s))
        {
            let f = add_figure(
                &mut files,
                &figure,
                &format!(
                    "Share {} by arm and days since randomization, with 95% confidence intervals{}.",
                    context.outcome_label,
                    if tables
                        .get("shares")
                        .is_some_and(|t| t.column("clusters").is_some())
                    {
                        " (clustered: CR2 with Bell–McCaffrey degrees of freedom; clusters per arm in tables/shares.csv)"
                    } else {
                        ""
                    }
                ),
            )?;
            blocks.push(Block::Figure(f));
        }
        if let Some(figure) = tables.get("split").and_then(|s| split_figure(context, s)) {
            let f = add_figure(
                &mut files,
                &figure,
                "The primary outcome split by kind of activity, by arm and subgroup.",
            )?;
            blocks.push(Block::Figure(f));
        }
        let itt = effects.filter(|f, i| !is_participation_row(context, f, i));
        blocks.push(table_block("effects", "Intention-to-treat effects", &itt));
        if let Some(split) = tables.get("split") {
            blocks.push(table_block(
                "split",
                "The primary outcome by kind, by arm and subgroup",
                split,
            ));
        }
        sections.push(Section {
            id: "effects".into(),
            heading: "Effects over horizons, by subgroup".into(),
            blocks,
        });
        let participation = effects.filter(|f, i| is_participation_row(context, f, i));
        if !participation.rows.is_empty() {
            sections.push(Section {
                id: "participation".into(),
                heading: "Effect of participation".into(),
                blocks: vec![
                    Block::Text("The effect of actually taking part, estimated by two-stage least squares with the random offer as instrument for participation (one-sided non-compliance: controls could not take part). It is the intention-to-treat effect divided by the difference in take-up, and applies to those who take part when offered.".into()),
                    table_block("effects", "Effect of participation (2SLS, offer as instrument)", &participation),
                ],
            });
        }
    }

    if let Some(families) = tables.get("families") {
        sections.push(Section {
            id: "families".into(),
            heading: "Multiple testing".into(),
            blocks: vec![
                Block::Text("The hypotheses of each declared family (its outcomes, horizons and subgroups), adjusted together. Romano–Wolf and Westfall–Young step-down p-values control the chance of any false rejection in the family; they reuse the randomization draws of the study's own design, so they allow for the dependence between the tests. Anderson's sharpened q-value controls the expected share of false rejections among the rejections.".into()),
                table_block("families", "Adjusted p-values by family", families),
            ],
        });
    }

    if let Some(survival) = tables.get("survival") {
        let cause = (0..survival.rows.len())
            .find_map(|i| survival.text(i, "outcome"))
            .and_then(|o| o.rsplit_once(':').map(|(_, c)| c.to_string()));
        let intro = match &cause {
            Some(c) => format!("Time from randomization to the first job (the exit `{c}`). Persons who left by another route (other exits, such as studies or moving away) or whose follow-up ended without a job are censored in the Kaplan–Meier curves, which therefore describe the hazard of a job among those still present; the stacked cumulative incidence below accounts for the other exits."),
            None => "Time from randomization to the first day in work or studies. Persons who moved away or whose follow-up ended without a job are censored.".to_string(),
        };
        let mut blocks = vec![Block::Text(format!(
            "{intro} The curves show the Kaplan–Meier share with a job by arm (1 − S), with 95% confidence bands and the numbers still without a job and under follow-up (at risk) under the axis. The table gives the restricted mean time without a job up to τ: its difference between arms is the number of days without a job the programme saved within τ, with the log-rank test of equal hazards (and its randomization p-value when computed)."
        ))];
        if let Some(figure) = tables
            .get("survival_curves")
            .and_then(|c| km_figure(context, c, survival))
        {
            let f = add_figure(
                &mut files,
                &figure,
                "Share with a job by days since randomization (Kaplan–Meier), by arm, with 95% confidence bands; numbers at risk under each panel.",
            )?;
            blocks.push(Block::Figure(f));
        }
        if let Some(figure) = tables
            .get("survival_exits")
            .and_then(|c| exits_figure(context, c, survival))
        {
            let f = add_figure(
                &mut files,
                &figure,
                "Competing exits by days since randomization: the cumulative incidence of each kind of exit (Aalen–Johansen, as cmprsk::cuminc), stacked, by arm (rows) and subgroup (columns). The top of the stack is the share who left by any route.",
            )?;
            blocks.push(Block::Figure(f));
        }
        let summary = survival_summary(context, survival);
        if !summary.rows.is_empty() {
            blocks.push(table_block(
                "survival",
                "Days without a job saved within τ (restricted mean survival time), with the log-rank test",
                &summary,
            ));
        }
        sections.push(Section {
            id: "survival".into(),
            heading: "Time to first job".into(),
            blocks,
        });
    }

    if let Some(attrition) = tables.get("attrition") {
        sections.push(Section {
            id: "attrition".into(),
            heading: "Attrition".into(),
            blocks: vec![
                Block::Text("Outcomes missing by arm and horizon, with a test of differential attrition (the difference in missing rates with HC2 SE, and Fisher's exact test for small counts). Effects are estimated on complete cases.".into()),
                table_block("attrition", "Missing outcomes by arm", attrition),
            ],
        });
    }

    if let Some(bounds) = tables.get("bounds") {
        sections.push(Section {
            id: "bounds".into(),
            heading: "Attrition bounds".into(),
            blocks: vec![
                Block::Text("Where an outcome is observed only for some, Lee (2009) bounds trim the arm observed more often by the share it is observed more often, from the top for the lower bound and from the bottom for the upper bound: the effect among those who would be observed in either arm lies between them, whatever the reason for the missing outcomes, if the offer only ever makes an outcome observed (or only ever makes it missing). The interval covers the effect with 95% probability (Imbens & Manski 2004).".into()),
                table_block("bounds", "Bounds on the effect among the always observed", bounds),
            ],
        });
    }

    if let Some(all_cost) = tables.get("cost") {
        let is_months = |f: &Frame, i: usize| {
            f.text(i, "outcome")
                .is_some_and(|o| o.starts_with(MONTHS_OUTCOME))
        };
        let cost = &all_cost.filter(|f, i| !is_months(f, i));
        let months = all_cost.filter(is_months);
        let mut blocks = vec![Block::Text(format!(
            "Costs per person by arm (SEK), the incremental cost, the additional persons {} per 100 offered, and their ratio, the cost per additional person, with delta-method, Fieller and bootstrap intervals. The net perspective adds benefit offsets (e.g. income support paid) to the costs.",
            context.outcome_label
        ))];
        blocks.push(table_block("cost", "Cost-effectiveness", cost));
        if let Some(text) = super::benefit::participant_costs(cost) {
            blocks.push(Block::Text(text));
        }
        if !months.rows.is_empty() {
            blocks.push(Block::Text(format!(
                "Cost per additional month with a job: the incremental cost over the months with a job the programme added within {} days, from the restricted mean time without a job (RMST, a month = 30.4375 days). Delta-method interval with the covariance of cost and RMST from their influence functions, and Fieller's interval.",
                months
                    .text(0, "outcome")
                    .and_then(|o| o.strip_prefix(MONTHS_OUTCOME).map(str::to_string))
                    .unwrap_or_default()
            )));
            blocks.push(months_block(context, &months));
        }
        if let Some(offsets) = tables.get("cost_offsets") {
            blocks.push(table_block(
                "cost_offsets",
                "Benefit offsets: units per person by arm, their value, the net cost per additional person and the break-even value per unit",
                offsets,
            ));
        }
        if let Some(alternatives) = tables.get("cost_alternatives") {
            blocks.push(table_block(
                "cost_alternatives",
                "Comparison with alternative programmes' cost per additional person",
                alternatives,
            ));
        }
        if let Some(figure) = tables
            .get("ce_draws")
            .and_then(|d| ce_plane_figure(context, d, cost))
        {
            let f = add_figure(
                &mut files,
                &figure,
                "Cost-effectiveness plane: bootstrap replicates of the incremental effect and cost per 100 persons offered, with the share of replicates in each quadrant.",
            )?;
            blocks.push(Block::Figure(f));
        }
        if let Some(figure) = tables.get("ceac").and_then(|c| ceac_figure(context, c)) {
            let f = add_figure(
                &mut files,
                &figure,
                &format!(
                    "Probability that the programme is cost-effective at each willingness to pay per additional person {}.",
                    context.outcome_label
                ),
            )?;
            blocks.push(Block::Figure(f));
        }
        sections.push(Section {
            id: "cost".into(),
            heading: "Cost-effectiveness".into(),
            blocks,
        });
    }

    let phrases = &super::benefit::ENGLISH;
    if let Some((mut blocks, tornado)) = super::benefit::does_it_pay(context, tables, phrases) {
        if let Some(figure) = tornado {
            blocks.push(Block::Figure(add_figure(
                &mut files,
                &figure,
                phrases.tornado_caption,
            )?));
        }
        if let Some(figure) = tables
            .get("cost_benefit_ceac")
            .and_then(|t| super::benefit::acceptability(context, t, phrases))
        {
            blocks.push(Block::Figure(add_figure(
                &mut files,
                &figure,
                phrases.acceptability_caption,
            )?));
        }
        sections.push(Section {
            id: "pays".into(),
            heading: phrases.heading.into(),
            blocks,
        });
    }

    if let Some(pieces) = super::targets::section(context, tables) {
        let mut blocks = Vec::new();
        for piece in pieces {
            match piece {
                super::targets::Piece::Block(b) => blocks.push(b),
                super::targets::Piece::Figure(figure, caption) => {
                    blocks.push(Block::Figure(add_figure(&mut files, &figure, &caption)?))
                }
            }
        }
        sections.push(Section {
            id: "targets".into(),
            heading: "Targets".into(),
            blocks,
        });
    }

    if let Some(section) = plan_section(tables) {
        sections.push(section);
    }

    sections.push(Section {
        id: "methods".into(),
        heading: "Methods".into(),
        blocks: vec![Block::List(context.methods.clone())],
    });
    sections.push(Section {
        id: "manifest".into(),
        heading: "Reproducibility".into(),
        blocks: vec![
            Block::Text("Every file of this folder is regenerated byte for byte by `lotta run` from the inputs below (SHA-256) and the seed.".into()),
            Block::Code(context.manifest.clone()),
        ],
    });

    label_subgroups_and_arms(context, &mut sections);
    let report = Report {
        title: context.title.clone(),
        subtitle: context.subtitle.clone(),
        sections,
        language: Language::En,
    }
    .translated(context.language, context.currency);
    files.push((
        "report.html".into(),
        crate::report::document::to_html(&report),
    ));
    files.push((
        "report.md".into(),
        crate::report::document::to_markdown(&report),
    ));
    for (name, frame) in tables {
        if frame.rows.len() > MARKDOWN_TABLE_ROWS {
            continue; // replicate draws: CSV only
        }
        let shown = without_identifiers(frame);
        files.push((format!("tables/{name}.md"), export::to_markdown(&shown)));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// The subgroup and arm cells of every table shown, by their labels (`[report] labels`): the
/// tables say "Women" where the summary does, not `gender=F`. Applied to every section, those
/// added later included.
fn label_subgroups_and_arms(context: &ReportContext, sections: &mut [Section]) {
    for section in sections {
        for block in &mut section.blocks {
            let Block::Table(table) = block else { continue };
            let frame = &mut table.frame;
            let labelled: Vec<usize> = frame
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    matches!(
                        c.as_str(),
                        "subgroup"
                            | "arm"
                            | "arm_a"
                            | "arm_b"
                            | "control"
                            | "treated_arm"
                            | "control_arm"
                            | "trimmed_arm"
                    )
                })
                .map(|(j, _)| j)
                .collect();
            for row in &mut frame.rows {
                for &j in &labelled {
                    if let Some(Cell::Text(text)) = row.get_mut(j) {
                        *text = context.label(text);
                    }
                }
            }
        }
    }
}

/// A figure behind a trait object (the `Figure` trait is generic over backends).
trait ErasedFigure {
    fn name(&self) -> &str;
    fn data(&self) -> Frame;
    fn svg(&self, language: Language, currency: Currency) -> Result<String>;
    fn png(&self, language: Language, currency: Currency) -> Result<Vec<u8>>;
}

impl<F: Figure> ErasedFigure for F {
    fn name(&self) -> &str {
        Figure::name(self)
    }
    fn data(&self) -> Frame {
        Figure::data(self)
    }
    fn svg(&self, language: Language, currency: Currency) -> Result<String> {
        figures::to_svg_in(self, language, currency)
    }
    fn png(&self, language: Language, currency: Currency) -> Result<Vec<u8>> {
        figures::to_png_in(self, language, currency)
    }
}

/// "Pre-specified analyses": the frozen plan, the results of its hypotheses, and every
/// deviation from it (or the statement that there was none). Present when the study has a plan.
fn plan_section(tables: &Tables) -> Option<Section> {
    let versions = tables.get("plan_versions")?;
    let plan_row = (0..versions.rows.len())
        .find(|&i| versions.text(i, "is_the_plan").as_deref() == Some("yes"))?;
    let field = |name: &str| versions.text(plan_row, name).unwrap_or_default();
    let after = field("outcome_data_existed") == "yes";
    let mut blocks = vec![Block::Text(format!(
        "The pre-analysis plan is version {} of the study's plan record, frozen {} with lotta {} (plan SHA-256 {}), {}. Results marked pre-specified answer a hypothesis of that plan and were computed as it says; every other result is exploratory.",
        field("version"),
        field("frozen_at"),
        field("lotta"),
        field("plan_sha256"),
        if after {
            "after outcome data existed (their hashes are in the record), so it does not guard against choices made after seeing them"
        } else {
            "before any outcome data existed"
        }
    ))];
    if let Some(effects) = tables.get("effects") {
        let planned = effects.filter(|f, i| f.text(i, "prespecified").as_deref() == Some("true"));
        let exploratory = effects.rows.len().saturating_sub(planned.rows.len());
        if planned.rows.is_empty() {
            blocks.push(Block::Text(
                "No result was computed as the plan says (see the deviations below).".into(),
            ));
        } else {
            let compact = planned.select(&[
                "outcome",
                "subgroup",
                "term",
                "estimator",
                "estimate",
                "conf_low",
                "conf_high",
                "p_value",
                "p_value_adjusted",
                "p_value_ri",
            ]);
            let mut block = table_block(
                "plan_results",
                "Pre-specified hypotheses and their results (term: the arm for intention-to-treat effects, the participation column for 2SLS)",
                &compact,
            );
            if let Block::Table(table) = &mut block {
                table.csv = Some("tables/effects.csv".into());
            }
            blocks.push(block);
        }
        if exploratory > 0 {
            blocks.push(Block::Text(format!(
                "{exploratory} further effect rows are exploratory (not in the plan, or computed otherwise than planned); they are marked in the effects table."
            )));
        }
    }
    match tables.get("plan_deviations") {
        Some(d) if !d.rows.is_empty() => blocks.push(table_block(
            "plan_deviations",
            "Deviations from the pre-analysis plan: the planned and the actual setting, and the plan version that recorded the change (\"not frozen\": changed after the last version)",
            d,
        )),
        _ => blocks.push(Block::Text(
            "Deviations from the plan: none. Every setting of this analysis is the plan's.".into(),
        )),
    }
    blocks.push(table_block(
        "plan_versions",
        "Versions of the plan record (each version's lotta and plan hash in tables/plan_versions.csv)",
        versions,
    ));
    Some(Section {
        id: "plan".into(),
        heading: "Pre-specified analyses".into(),
        blocks,
    })
}

fn is_participation_row(context: &ReportContext, frame: &Frame, row: usize) -> bool {
    // The 2SLS rows name the participation column as their term (issue #3's tidy convention).
    match (&context.participation, frame.text(row, "term")) {
        (Some(p), Some(term)) => *p == term,
        _ => false,
    }
}

/// Rows of the gross perspective (cost tables also have `net` rows, after benefit offsets).
fn is_gross(frame: &Frame, row: usize) -> bool {
    frame.text(row, "perspective").is_none_or(|p| p == "gross")
}

/// A count cell as published: a number, or the text disclosure control put in its place.
fn published_count(frame: &Frame, row: usize, name: &str) -> Option<Count> {
    match frame
        .column(name)
        .and_then(|j| frame.rows.get(row).and_then(|r| r.get(j)))
    {
        Some(Cell::Int(i)) => Some(Count::Shown((*i).max(0) as usize)),
        Some(Cell::Num(x)) => Some(Count::Shown(x.max(0.0) as usize)),
        Some(Cell::Text(t)) => Some(Count::Masked(t.clone())),
        _ => None,
    }
}

fn flow_figure(context: &ReportContext, flow: &Frame) -> Option<Flow> {
    let mut arms = Vec::new();
    for i in 0..flow.rows.len() {
        let name = flow.text(i, "arm")?;
        let took_part = if name == context.control {
            None
        } else {
            published_count(flow, i, "took_part")
        };
        arms.push(FlowArm {
            name: context.label(&name),
            assigned: published_count(flow, i, "assigned")?,
            took_part,
            followed_up: published_count(flow, i, "followed_up")?,
            lost: published_count(flow, i, "lost")?,
            analysed: published_count(flow, i, "analysed")?,
        });
    }
    // Without horizons in days the flow table's `horizon_days` is no time: name the outcome.
    let horizon = flow
        .number(0, "horizon_days")
        .filter(|_| context.horizons_in_days)
        .map(days)
        .unwrap_or_else(|| context.horizon_label(&context.primary_outcome));
    let randomized = arms
        .iter()
        .map(|a| match a.assigned {
            Count::Shown(n) => Some(n),
            Count::Masked(_) => None,
        })
        .sum::<Option<usize>>()
        .map_or(
            Count::Masked(crate::report::mask::SECONDARY.into()),
            Count::Shown,
        );
    Some(Flow {
        name: "flow".into(),
        title: "Participant flow".into(),
        randomized,
        horizon,
        arms,
    })
}

/// Arms in the study's order (the spec's, which every figure uses, so an arm keeps its colour,
/// line and marker from figure to figure), then any others as they came.
fn in_study_order(context: &ReportContext, seen: Vec<String>) -> Vec<String> {
    let mut ordered: Vec<String> = context
        .arms
        .iter()
        .filter(|a| seen.contains(a))
        .cloned()
        .collect();
    ordered.extend(seen.into_iter().filter(|a| !context.arms.contains(a)));
    ordered
}

fn subgroup_order(context: &ReportContext, values: impl Iterator<Item = String>) -> Vec<String> {
    let seen = first_seen_levels(values);
    // "all" first, then configured labels in their order, then the rest as they came.
    let mut ordered: Vec<String> = Vec::new();
    if seen.iter().any(|s| s == "all") {
        ordered.push("all".into());
    }
    for key in context.labels.keys() {
        if seen.contains(key) && !ordered.contains(key) {
            ordered.push(key.clone());
        }
    }
    for s in seen {
        if !ordered.contains(&s) {
            ordered.push(s);
        }
    }
    ordered
}

fn balance_figure(context: &ReportContext, balance: &Frame) -> Option<BalancePlot> {
    balance.column("smd")?;
    let covariate_col = ["covariate", "variable", "term"]
        .into_iter()
        .find(|c| balance.column(c).is_some())?;
    let has_subgroup = balance.column("subgroup").is_some();
    let mut points = Vec::new();
    for i in 0..balance.rows.len() {
        let covariate = match balance.text(i, "level").filter(|l| !l.is_empty()) {
            Some(level) => format!("{}: {level}", balance.text(i, covariate_col)?),
            None => balance.text(i, covariate_col)?,
        };
        let subgroup = if has_subgroup {
            balance.text(i, "subgroup").unwrap_or_else(|| "all".into())
        } else {
            "all".into()
        };
        let Some(smd) = balance.number(i, "smd") else {
            continue;
        };
        points.push(BalancePoint {
            covariate,
            subgroup,
            smd,
        });
    }
    let covariates = first_seen_levels(points.iter().map(|p| p.covariate.clone()));
    let order = subgroup_order(context, points.iter().map(|p| p.subgroup.clone()));
    let points = points
        .into_iter()
        .map(|p| BalancePoint {
            subgroup: context.label(&p.subgroup),
            ..p
        })
        .collect();
    Some(BalancePlot {
        name: "balance".into(),
        title: "Baseline balance".into(),
        covariates,
        subgroups: order.iter().map(|s| context.label(s)).collect(),
        points,
    })
}

fn forest_figure(context: &ReportContext, effects: &Frame) -> Option<Forest> {
    let mut rows = Vec::new();
    let mut design_sources: Vec<&'static str> = Vec::new();
    let mut fewest = usize::MAX;
    let treated = context.treated_arms();
    let multi_arm = treated.len() > 1;
    for outcome in context.horizons.keys() {
        let subgroups = subgroup_order(
            context,
            (0..effects.rows.len())
                .filter(|&i| effects.text(i, "outcome").as_deref() == Some(outcome.as_str()))
                .filter_map(|i| effects.text(i, "subgroup")),
        );
        // Effects of subgroups (not differences, contrasts or the joint tests, which have no
        // estimate on the effect scale).
        for subgroup in subgroups.iter().filter(|s| {
            !s.contains(" - ") && !s.ends_with(crate::estimate::subgroups::JOINT_SUFFIX)
        }) {
            for i in 0..effects.rows.len() {
                if effects.text(i, "outcome").as_deref() != Some(outcome.as_str())
                    || effects.text(i, "subgroup").as_deref() != Some(subgroup.as_str())
                    || is_participation_row(context, effects, i)
                {
                    continue;
                }
                let term = effects.text(i, "term").unwrap_or_default();
                let label = if multi_arm {
                    format!("{} ({term})", context.label(subgroup))
                } else {
                    context.label(subgroup)
                };
                let robust = (
                    effects.number(i, "conf_low").unwrap_or(f64::NAN),
                    effects.number(i, "conf_high").unwrap_or(f64::NAN),
                );
                // With few clusters the design-based interval leads and CR2 is drawn beside it.
                let (low, high, secondary) = match design_based(context, effects, i)
                    .filter(|d| !d.low.is_nan() && !d.high.is_nan())
                {
                    Some(d) => {
                        design_sources.push(d.source);
                        (d.low, d.high, Some(robust))
                    }
                    None => (robust.0, robust.1, None),
                };
                if let Some(g) = few_clusters(context, effects, i) {
                    fewest = fewest.min(g);
                }
                rows.push(ForestRow {
                    group: context.horizon_label(outcome),
                    label,
                    estimate: effects.number(i, "estimate").unwrap_or(f64::NAN),
                    low,
                    high,
                    secondary,
                });
            }
        }
    }
    if rows.is_empty() {
        return None;
    }
    let series = first_seen_levels(rows.iter().map(|r| r.label.clone()));
    let treated_name = treated.first().map(|s| s.as_str()).unwrap_or("treatment");
    let interval = if design_sources.is_empty() {
        "95% CI".to_string()
    } else {
        design_sources.sort_unstable();
        design_sources.dedup();
        format!(
            "95% {} interval; grey: CR2; {fewest} clusters",
            design_sources.join(" or ")
        )
    };
    let title = if fewest < usize::MAX && design_sources.is_empty() {
        format!(
            "Effect of the offer on being {} (only {fewest} clusters: cluster-robust CIs unreliable)",
            context.outcome_label
        )
    } else {
        format!("Effect of the offer on being {}", context.outcome_label)
    };
    Some(Forest {
        name: "forest".into(),
        title,
        x_label: format!(
            "Difference {} − {} (percentage points, {interval})",
            context.label(treated_name),
            context.label(&context.control)
        ),
        rows,
        series,
    })
}

/// "1 day", "540 days".
fn days(d: f64) -> String {
    if d == 1.0 {
        "1 day".to_string()
    } else {
        format!("{d:.0} days")
    }
}

fn trajectory_figure(context: &ReportContext, shares: &Frame) -> Option<Trajectory> {
    // Without horizons in days the outcomes are not points in time: no time path through them.
    if !context.horizons_in_days {
        return None;
    }
    let mut points = Vec::new();
    for i in 0..shares.rows.len() {
        let outcome = shares.text(i, "outcome")?;
        let Some(&days) = context.horizons.get(&outcome) else {
            continue;
        };
        points.push(TrajectoryPoint {
            panel: shares.text(i, "subgroup")?,
            arm: context.label(&shares.text(i, "arm")?),
            horizon: days as f64,
            share: shares.number(i, "share").unwrap_or(f64::NAN),
            low: shares.number(i, "conf_low").unwrap_or(f64::NAN),
            high: shares.number(i, "conf_high").unwrap_or(f64::NAN),
        });
    }
    if points.is_empty() {
        return None;
    }
    let mut panels = subgroup_order(context, points.iter().map(|p| p.panel.clone()));
    if panels.len() > 1 {
        panels.retain(|p| p != "all");
    }
    let points = points
        .into_iter()
        .map(|p| TrajectoryPoint {
            panel: context.label(&p.panel),
            ..p
        })
        .collect();
    Some(Trajectory {
        name: "trajectory".into(),
        title: format!(
            "Share {} after randomization, by arm",
            context.outcome_label
        ),
        y_label: format!("{} (%)", capitalize(&context.outcome_label)),
        panels: panels.iter().map(|p| context.label(p)).collect(),
        arms: context.arms.iter().map(|a| context.label(a)).collect(),
        points,
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn split_figure(context: &ReportContext, split: &Frame) -> Option<Split> {
    let parts: Vec<String> = context.split.keys().cloned().collect();
    if parts.is_empty() {
        return None;
    }
    let subgroups = subgroup_order(
        context,
        (0..split.rows.len()).filter_map(|i| split.text(i, "subgroup")),
    );
    let mut bars = Vec::new();
    for subgroup in &subgroups {
        for arm in &context.arms {
            let shares: Vec<f64> = parts
                .iter()
                .map(|part| {
                    (0..split.rows.len())
                        .find(|&i| {
                            split.text(i, "subgroup").as_ref() == Some(subgroup)
                                && split.text(i, "arm").as_ref() == Some(arm)
                                && split.text(i, "part").as_ref() == Some(part)
                        })
                        .and_then(|i| split.number(i, "share"))
                        .unwrap_or(f64::NAN)
                })
                .collect();
            if shares.iter().any(|s| s.is_finite()) {
                bars.push(SplitBar {
                    subgroup: context.label(subgroup),
                    arm: context.label(arm),
                    shares,
                });
            }
        }
    }
    if bars.is_empty() {
        return None;
    }
    Some(Split {
        name: "split".into(),
        title: format!(
            "{} {}, by kind",
            capitalize(&context.outcome_label),
            context.at_horizon(&context.primary_outcome)
        ),
        y_label: "Share of group (%)".into(),
        parts: context.split.values().cloned().collect(),
        bars,
    })
}

fn ce_plane_figure(context: &ReportContext, draws: &Frame, cost: &Frame) -> Option<CePlane> {
    let all_rows: Vec<usize> = (0..draws.rows.len())
        .filter(|&i| draws.text(i, "subgroup").is_none_or(|s| s == "all"))
        .collect();
    let points: Vec<(f64, f64)> = all_rows
        .iter()
        .filter_map(|&i| {
            Some((
                draws.number(i, "incremental_effect")? * 100.0,
                draws.number(i, "incremental_cost")? * 100.0,
            ))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let row = (0..cost.rows.len())
        .find(|&i| cost.text(i, "subgroup").is_none_or(|s| s == "all") && is_gross(cost, i))?;
    let estimate = (
        cost.number(row, "incremental_effect").unwrap_or(f64::NAN) * 100.0,
        cost.number(row, "incremental_cost").unwrap_or(f64::NAN) * 100.0,
    );
    Some(CePlane {
        name: "ce_plane".into(),
        title: "Cost-effectiveness plane (bootstrap)".into(),
        x_label: format!(
            "Additional persons {} per 100 offered",
            context.outcome_label
        ),
        y_label: "Incremental cost per 100 offered (SEK)".into(),
        draws: points,
        estimate,
        wtp: None,
        wtp_label: None,
    })
}

fn ceac_figure(context: &ReportContext, ceac: &Frame) -> Option<Ceac> {
    let wtp_col = ["wtp", "lambda"]
        .into_iter()
        .find(|c| ceac.column(c).is_some())?;
    // The bootstrap probability when there is a bootstrap, else the normal approximation.
    let prob_col = [
        "probability",
        "prob_cost_effective_boot",
        "prob_cost_effective_normal",
    ]
    .into_iter()
    .find(|c| (0..ceac.rows.len()).any(|i| ceac.number(i, c).is_some()))?;
    let ceac = &ceac.filter(is_gross);
    let subgroups = subgroup_order(
        context,
        (0..ceac.rows.len()).map(|i| ceac.text(i, "subgroup").unwrap_or_else(|| "all".into())),
    );
    let curves: Vec<(String, Vec<(f64, f64)>)> = subgroups
        .iter()
        .filter(|s| !s.contains(" - "))
        .map(|s| {
            let points = (0..ceac.rows.len())
                .filter(|&i| ceac.text(i, "subgroup").unwrap_or_else(|| "all".into()) == *s)
                .filter_map(|i| Some((ceac.number(i, wtp_col)?, ceac.number(i, prob_col)?)))
                .collect();
            (context.label(s), points)
        })
        .collect();
    if curves
        .iter()
        .all(|(_, p): &(String, Vec<(f64, f64)>)| p.is_empty())
    {
        return None;
    }
    Some(Ceac {
        name: "ceac".into(),
        title: "Cost-effectiveness acceptability curve".into(),
        x_label: format!(
            "Willingness to pay per additional person {} (SEK)",
            context.outcome_label
        ),
        y_label: "Probability cost-effective".into(),
        curves,
    })
}

/// The number of clusters of effects row `i` when it is below the study's threshold (issue 14):
/// then cluster-robust inference is unreliable and the design-based result leads.
fn few_clusters(context: &ReportContext, effects: &Frame, i: usize) -> Option<usize> {
    let g = effects.number(i, "clusters")?;
    (g.is_finite() && g >= 1.0 && (g as usize) < context.few_clusters).then_some(g as usize)
}

/// The design-based result of effects row `i` that leads when its clusters are few: exact
/// randomization inference (with its interval when computed), else the wild cluster bootstrap,
/// else sampled randomization inference.
struct DesignBased {
    /// What it is, for figure labels: "randomization" or "wild bootstrap".
    source: &'static str,
    /// The sentence: method, p-value and interval.
    text: String,
    low: f64,
    high: f64,
}

fn design_based(context: &ReportContext, effects: &Frame, i: usize) -> Option<DesignBased> {
    let g = few_clusters(context, effects, i)?;
    let interval = |lo: Option<f64>, hi: Option<f64>| match (lo, hi) {
        (Some(lo), Some(hi)) if lo.is_infinite() && hi.is_infinite() => Some((
            "; 95% interval unbounded (too few assignments to reject any effect)".to_string(),
            lo,
            hi,
        )),
        (Some(lo), Some(hi)) if !lo.is_nan() && !hi.is_nan() => Some((
            format!("; 95% interval {} to {}", end_text(lo), end_text(hi)),
            lo,
            hi,
        )),
        _ => None,
    };
    let p_ri = effects.number(i, "p_value_ri").filter(|p| p.is_finite());
    let exact = effects.text(i, "ri_exact").as_deref() == Some("true");
    let draws = effects.number(i, "ri_draws").unwrap_or(f64::NAN);
    let wild = effects.number(i, "p_value_wild").filter(|p| p.is_finite());
    let ri_interval = interval(
        effects.number(i, "ri_conf_low"),
        effects.number(i, "ri_conf_high"),
    );
    if let (Some(p), true) = (p_ri, exact) {
        let min = effects
            .number(i, "ri_min_p")
            .map(|m| format!(", smallest attainable p {m:.3}"))
            .unwrap_or_default();
        let (ci, low, high) = ri_interval.unwrap_or_default();
        let k = (p * draws).round();
        return Some(DesignBased {
            source: "randomization",
            text: format!(
                "exact randomization inference over all {draws:.0} possible assignments of the {g} clusters: p = {k:.0}/{draws:.0} = {p:.3}{min}{ci}",
            ),
            low: if ci.is_empty() { f64::NAN } else { low },
            high: if ci.is_empty() { f64::NAN } else { high },
        });
    }
    if let Some(p) = wild {
        let (ci, low, high) = interval(
            effects.number(i, "wild_conf_low"),
            effects.number(i, "wild_conf_high"),
        )
        .unwrap_or_default();
        return Some(DesignBased {
            source: "wild bootstrap",
            text: format!(
                "wild cluster bootstrap with {g} clusters: p {}{ci}",
                format_p(p)
            ),
            low: if ci.is_empty() { f64::NAN } else { low },
            high: if ci.is_empty() { f64::NAN } else { high },
        });
    }
    let p = p_ri?;
    let (ci, low, high) = ri_interval.unwrap_or_default();
    Some(DesignBased {
        source: "randomization",
        text: format!(
            "randomization inference ({draws:.0} draws) with {g} clusters: p {}{ci}",
            format_p(p)
        ),
        low: if ci.is_empty() { f64::NAN } else { low },
        high: if ci.is_empty() { f64::NAN } else { high },
    })
}

/// An interval end in percentage points, or "unbounded".
fn end_text(v: f64) -> String {
    if v.is_infinite() {
        "unbounded".into()
    } else {
        figures::pp_plain(v)
    }
}

/// The headline sentences.
fn summary(context: &ReportContext, tables: &Tables) -> Vec<Block> {
    let mut lines = Vec::new();
    // The effect for everyone on the line above the cost line, which the cost line refers to.
    let mut headline: Option<f64> = None;
    if let Some(effects) = tables.get("effects") {
        let primary = &context.primary_outcome;
        for i in 0..effects.rows.len() {
            if effects.text(i, "outcome").as_ref() != Some(primary)
                || is_participation_row(context, effects, i)
            {
                continue;
            }
            let subgroup = effects.text(i, "subgroup").unwrap_or_default();
            if subgroup == "all" && headline.is_none() {
                headline = effects.number(i, "estimate");
            }
            let (Some(est), Some(lo), Some(hi)) = (
                effects.number(i, "estimate"),
                effects.number(i, "conf_low"),
                effects.number(i, "conf_high"),
            ) else {
                continue;
            };
            let p = effects
                .number(i, "p_value")
                .map(format_p)
                .unwrap_or_else(|| "–".into());
            let robust = format!(
                "95% CI {} to {}; p {}",
                figures::pp_plain(lo),
                figures::pp_plain(hi),
                p
            );
            let line = match (
                design_based(context, effects, i),
                few_clusters(context, effects, i),
            ) {
                (Some(d), _) => format!(
                    "{}: {} percentage points ({}). Cluster-robust (CR2), unreliable with so few clusters: {robust}.",
                    context.label(&subgroup),
                    figures::pp(est),
                    d.text,
                ),
                (None, Some(g)) => format!(
                    "{}: {} percentage points ({robust}); only {g} clusters, so this cluster-robust result is unreliable: ask for randomization inference (`ri_draws`) or the wild cluster bootstrap (`wild_bootstrap`).",
                    context.label(&subgroup),
                    figures::pp(est),
                ),
                (None, None) => format!(
                    "{}: {} percentage points ({robust}).",
                    context.label(&subgroup),
                    figures::pp(est),
                ),
            };
            lines.push(line);
        }
    }
    let mut blocks = Vec::new();
    if !lines.is_empty() {
        blocks.push(Block::Text(format!(
            "Effect of the offer on the share {} {} (intention to treat):",
            context.outcome_label,
            context.at_horizon(&context.primary_outcome)
        )));
        blocks.push(Block::List(lines));
    }
    if let Some(cost) = tables.get("cost") {
        blocks.extend(super::cost_line::lines(context, cost, headline));
    }
    if blocks.is_empty() {
        blocks.push(Block::Text("No effect estimates were computed.".into()));
    }
    blocks
}

/// A p-value as reports print it: "= 0.034", "< 0.001".
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("= {p:.3}")
    }
}

/// The Kaplan–Meier figure from the curves table: one panel per subgroup (every subgroup but
/// `all` when there are subgroups), numbers at risk at round times (about six steps) up to τ.
fn km_figure(context: &ReportContext, curves: &Frame, survival: &Frame) -> Option<KmCurves> {
    let subgroups = subgroup_order(
        context,
        (0..curves.rows.len()).filter_map(|i| curves.text(i, "subgroup")),
    );
    let by_level: Vec<String> = subgroups.iter().filter(|s| *s != "all").cloned().collect();
    let panels = if by_level.is_empty() {
        subgroups
    } else {
        by_level
    };
    let arms = in_study_order(
        context,
        first_seen_levels((0..curves.rows.len()).filter_map(|i| curves.text(i, "arm"))),
    );
    let mut steps = Vec::new();
    for i in 0..curves.rows.len() {
        let panel = curves.text(i, "subgroup")?;
        if !panels.contains(&panel) {
            continue;
        }
        steps.push(KmStep {
            panel: context.label(&panel),
            arm: context.label(&curves.text(i, "arm")?),
            time: curves.number(i, "time")?,
            share: curves.number(i, "share_with_event").unwrap_or(f64::NAN),
            low: curves.number(i, "conf_low").unwrap_or(f64::NAN),
            high: curves.number(i, "conf_high").unwrap_or(f64::NAN),
            n_risk: published_count(curves, i, "n_risk")?,
        });
    }
    if steps.is_empty() {
        return None;
    }
    let tau = survival_axis_end(survival, curves);
    let ticks = figures::round_times(tau);
    Some(KmCurves {
        name: "time_to_job".into(),
        title: "Time to first job, by arm".into(),
        y_label: "Share with a job (%)".into(),
        x_label: "Days since randomization".into(),
        panels: panels.iter().map(|p| context.label(p)).collect(),
        arms: arms.iter().map(|a| context.label(a)).collect(),
        steps,
        ticks,
        x_max: tau,
    })
}

/// The outcome of the cost rows per additional month with a job (`months_with_job_<τ>`).
const MONTHS_OUTCOME: &str = "months_with_job_";

/// The cost per additional month with a job, as readers see it: the months gained and the SEK
/// per month with its intervals, per subgroup and perspective.
fn months_block(context: &ReportContext, months: &Frame) -> Block {
    let mut shown = months.select(&[
        "subgroup",
        "perspective",
        "incremental_cost",
        "incremental_effect",
        "icer",
        "delta_low",
        "delta_high",
        "fieller_low",
        "fieller_high",
    ]);
    for i in 0..shown.rows.len() {
        if let Some(label) = shown.text(i, "subgroup") {
            shown.rows[i][0] = context.label(&label).into();
        }
    }
    shown.columns = [
        "subgroup",
        "perspective",
        "incremental_cost",
        "months_gained",
        "sek_per_month",
        "delta_low",
        "delta_high",
        "fieller_low",
        "fieller_high",
    ]
    .map(String::from)
    .to_vec();
    set_decimals("cost", &mut shown);
    if let Some(slot) = shown.decimals.get_mut(3) {
        *slot = Some(2);
    }
    if let Some(slot) = shown.decimals.get_mut(4) {
        *slot = Some(0);
    }
    Block::Table(TableRef {
        caption: "Cost per additional month with a job (SEK)".into(),
        frame: shown,
        csv: Some("tables/cost.csv".into()),
    })
}

/// The end of the survival figures' time axis: τ of the RMST rows, else the last time in `curves`.
fn survival_axis_end(survival: &Frame, curves: &Frame) -> f64 {
    (0..survival.rows.len())
        .filter(|&i| survival.text(i, "estimand").as_deref() == Some("rmst"))
        .find_map(|i| survival.number(i, "time"))
        .unwrap_or_else(|| {
            (0..curves.rows.len())
                .filter_map(|i| curves.number(i, "time"))
                .fold(0.0, f64::max)
        })
}

/// The stacked cumulative incidence of every exit from the exits table: the exit of interest
/// (named in the survival rows' outcome, `<time>:<exit>`) at the bottom, the others in the
/// order first seen; one panel per subgroup level (or `all` without subgroups) and arm.
fn exits_figure(context: &ReportContext, exits: &Frame, survival: &Frame) -> Option<StackedExits> {
    let subgroups = subgroup_order(
        context,
        (0..exits.rows.len()).filter_map(|i| exits.text(i, "subgroup")),
    );
    let by_level: Vec<String> = subgroups.iter().filter(|s| *s != "all").cloned().collect();
    let panels = if by_level.is_empty() {
        subgroups
    } else {
        by_level
    };
    let arms = in_study_order(
        context,
        first_seen_levels((0..exits.rows.len()).filter_map(|i| exits.text(i, "arm"))),
    );
    let mut order = first_seen_levels((0..exits.rows.len()).filter_map(|i| exits.text(i, "exit")));
    let cause = (0..survival.rows.len())
        .find_map(|i| survival.text(i, "outcome"))
        .and_then(|o| o.rsplit_once(':').map(|(_, c)| c.to_string()));
    if let Some(k) = cause.and_then(|c| order.iter().position(|e| *e == c)) {
        let first = order.remove(k);
        order.insert(0, first);
    }
    let mut steps = Vec::new();
    for i in 0..exits.rows.len() {
        let panel = exits.text(i, "subgroup")?;
        if !panels.contains(&panel) {
            continue;
        }
        steps.push(ExitStep {
            panel: context.label(&panel),
            arm: context.label(&exits.text(i, "arm")?),
            exit: context.label(&exits.text(i, "exit")?),
            time: exits.number(i, "time")?,
            share: exits.number(i, "cumulative_incidence").unwrap_or(f64::NAN),
        });
    }
    if steps.is_empty() {
        return None;
    }
    Some(StackedExits {
        name: "exits".into(),
        title: "Competing exits, by arm".into(),
        y_label: "Share who left (%)".into(),
        x_label: "Days since randomization".into(),
        panels: panels.iter().map(|p| context.label(p)).collect(),
        arms: arms.iter().map(|a| context.label(a)).collect(),
        exits: order.iter().map(|e| context.label(e)).collect(),
        steps,
        x_max: survival_axis_end(survival, exits),
    })
}

/// The survival rows people read: per subgroup and arm, the days without a job saved within τ
/// (minus the RMST difference, with its interval), the RMST ratio, the hazard ratio and the
/// log-rank p-values.
fn survival_summary(context: &ReportContext, survival: &Frame) -> Frame {
    let mut out = Frame::new(&[
        "subgroup",
        "arm",
        "tau",
        "days_saved",
        "conf_low",
        "conf_high",
        "p_value",
        "hazard_ratio",
        "p_value_logrank",
        "p_value_logrank_ri",
    ])
    .with_decimals("tau", 0)
    .with_decimals("days_saved", 1)
    .with_decimals("conf_low", 1)
    .with_decimals("conf_high", 1)
    .with_decimals("hazard_ratio", 2);
    let find = |estimand: &str, subgroup: &str, arm: &str| {
        (0..survival.rows.len()).find(|&i| {
            survival.text(i, "estimand").as_deref() == Some(estimand)
                && survival.text(i, "subgroup").as_deref() == Some(subgroup)
                && survival.text(i, "arm").as_deref() == Some(arm)
        })
    };
    for i in 0..survival.rows.len() {
        if survival.text(i, "estimand").as_deref() != Some("rmst_difference") {
            continue;
        }
        let (Some(subgroup), Some(arm)) = (survival.text(i, "subgroup"), survival.text(i, "arm"))
        else {
            continue;
        };
        let num = |j: Option<usize>, c: &str| j.and_then(|j| survival.number(j, c));
        let lr = find("logrank", &subgroup, &arm);
        let neg = |x: Option<f64>| x.map(|v| -v);
        out.push(vec![
            context.label(&subgroup).into(),
            arm.clone().into(),
            survival.number(i, "time").into(),
            neg(survival.number(i, "estimate")).into(),
            neg(survival.number(i, "conf_high")).into(),
            neg(survival.number(i, "conf_low")).into(),
            survival.number(i, "p_value").into(),
            num(find("hazard_ratio", &subgroup, &arm), "estimate").into(),
            num(lr, "p_value").into(),
            num(lr, "p_value_ri").into(),
        ]);
    }
    out
}
