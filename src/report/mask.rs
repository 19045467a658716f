//! Statistical disclosure control for the published tables of a report, all tables at once.
//!
//! Every count of persons in every table is a cell of one *population*: a subgroup (`all`,
//! `gender=F`, …) and an arm (or all arms together). Counts below k (k = 5 by default, the
//! convention of Swedish official statistics) are masked, zero counts too unless the user opts
//! out (*primary suppression*), with every statistic computed from those persons. A reader can
//! still add and subtract what is published:
//!
//! - the overall count is the sum of the subgroups' counts (all = F + M), in every table;
//! - a difference row (`gender=F - gender=M`) counts both subgroups;
//! - assigned = analysed + missing (attrition), assigned = followed up + lost (flow);
//! - the persons of both arms together are the sum of the arms (the joint balance test);
//! - the same number of the same population appears in several tables (the flow table's
//!   analysed, the shares' n and the effects' n).
//!
//! So the counts are *variables*: one per population and value (cells of one population with the
//! same value are one variable, wherever they appear, which is what a reader who matches tables
//! would assume), and every such relation that holds on the true counts is a linear equation
//! among them. A masked variable is disclosed when the equations, with the published values
//! substituted, determine it; that is when the unit vector of that variable lies in the row space
//! of the equations restricted to the unpublished variables (checked exactly by Gaussian
//! elimination over the integers). While some masked variable is disclosed, the smallest
//! published count of an equation that holds it is masked too (*secondary suppression*, shown
//! as `x`), with its statistics, in every table where it appears.
//!
//! Sources: A. Hundepool et al., *Handbook on Statistical Disclosure Control* (ESSnet SDC,
//! Eurostat, 2010), §4.2 (primary and secondary suppression, linked tables) and §4.3 (audit by
//! linear relations); Statistics Sweden, *Röjandekontroll av tabeller, kartor och diagram* (2015).
//! docs/disclosure-control.md states the rule and its limits.

use crate::export::{Cell, Frame};
use std::collections::{BTreeMap, BTreeSet};

/// The default minimum number of persons a published cell may describe.
pub const DEFAULT_MASK_BELOW: usize = 5;

/// What a count masked to protect another cell shows (its value is at least k).
pub const SECONDARY: &str = "x";

/// The published tables of a report by name.
pub type Tables = BTreeMap<String, Frame>;

/// How the report's tables are protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRule {
    /// Counts below this are masked.
    pub mask_below: usize,
    /// Whether a count of zero is masked like other small counts.
    pub mask_zeros: bool,
    /// The arms of the study, and its comparison arm (to name the arm of an effects row).
    pub arms: Vec<String>,
    pub control: String,
}

impl DisclosureRule {
    fn primary(&self, n: i64) -> bool {
        (n as f64) < self.mask_below as f64 && (n > 0 || (n == 0 && self.mask_zeros))
    }

    fn primary_text(&self) -> String {
        format!("<{}", self.mask_below)
    }
}

/// What [`protect`] masked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protected {
    /// Count cells masked because they are small.
    pub primary: usize,
    /// Count cells masked so that no small count follows from the others.
    pub secondary: usize,
}

/// Which arm a count column counts.
#[derive(Debug, Clone, Copy)]
enum ArmOf {
    /// The arm named in this column of the row.
    Column(&'static str),
    /// The treated arm of an effects row (`term` is `arm=<level>` with more than two arms).
    TreatedOfTerm,
    /// The study's comparison arm.
    Control,
    /// Every arm together.
    Every,
}

/// Which cells of the row depend on the persons a count describes.
#[derive(Debug, Clone, Copy)]
enum Dependents {
    Listed(&'static [&'static str]),
    /// Every numeric cell of the row that is not a count (a statistic comparing the arms).
    EveryStatistic,
    /// An effects row's mean of the arm (a share whose exact digits give its denominator), and
    /// with a difference in means every statistic (the estimate is the difference of the means,
    /// so it gives the other mean).
    ArmMean(&'static str),
}

/// What a count counts, beyond its subgroup and arm. Cells of one kind and population with the
/// same value are taken to be the same count (a reader matching tables would); counts of
/// different kinds are linked only by the identities below.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Persons assigned.
    Assigned,
    /// Persons with the outcome observed (analysed), in any table.
    Analysed,
    /// Persons without the outcome (missing, lost to follow-up).
    Missing,
    /// A count of its own, named by its column and the text of another column of the row
    /// (the covariate of a balance row, the time of a number at risk).
    Own(Option<&'static str>),
    /// A count of its own named by its column and the texts of several columns of the row (the
    /// indicator and category of a text outcome's count).
    OwnOf(&'static [&'static str]),
}

struct CountColumn {
    column: String,
    arm: ArmOf,
    kind: Kind,
    /// Masked with a count below k: every statistic of those persons.
    dependents: Dependents,
    /// Masked with a count hidden to protect another (a count of k or more): the statistics
    /// from which the count would follow (by default the same).
    secondary: Dependents,
}

/// How one table's counts are read: its count columns, the columns that with the subgroup pick
/// out a family of rows that add up (all = F + M), and identities within a row (total = the
/// listed parts + the analysed count, which may be published elsewhere or nowhere).
struct Schema {
    counts: Vec<CountColumn>,
    family: &'static [&'static str],
    identities: &'static [(&'static str, &'static [&'static str])],
}

fn schema(name: &str, frame: &Frame) -> Schema {
    let count = |column: &str, arm, kind, dependents| CountColumn {
        column: column.to_string(),
        arm,
        kind,
        dependents,
        secondary: dependents,
    };
    use ArmOf::*;
    use Dependents::*;
    use Kind::*;
    match name {
        "effects" => Schema {
            counts: vec![
                CountColumn {
                    secondary: ArmMean("mean_treated"),
                    ..count("n_treated", TreatedOfTerm, Analysed, EveryStatistic)
                },
                CountColumn {
                    secondary: ArmMean("mean_control"),
                    ..count("n_control", Control, Analysed, EveryStatistic)
                },
            ],
            family: &["outcome", "term", "estimator"],
            identities: &[],
        },
        // The families of hypotheses (issue 15) repeat effects rows: the same counts, and every
        // statistic of a row describes its persons.
        "families" => Schema {
            counts: vec![
                count("n_treated", TreatedOfTerm, Analysed, EveryStatistic),
                count("n_control", Control, Analysed, EveryStatistic),
            ],
            family: &["outcome", "term"],
            identities: &[],
        },
        "cost" => Schema {
            counts: vec![
                count("n_treated", Column("treated_arm"), Analysed, EveryStatistic),
                count("n_control", Column("control_arm"), Analysed, EveryStatistic),
            ],
            family: &["perspective", "outcome", "treated_arm"],
            identities: &[],
        },
        "shares" => Schema {
            counts: vec![count(
                "n",
                Column("arm"),
                Analysed,
                Listed(&["share", "std_error", "conf_low", "conf_high"]),
            )],
            family: &["outcome", "arm"],
            identities: &[],
        },
        "split" => Schema {
            counts: vec![count("n", Column("arm"), Analysed, Listed(&["share"]))],
            family: &["arm", "part"],
            identities: &[],
        },
        "survival_curves" => Schema {
            counts: vec![count(
                "n_risk",
                Column("arm"),
                Own(Some("time")),
                Listed(&["share_with_event", "conf_low", "conf_high"]),
            )],
            family: &["arm", "time"],
            identities: &[],
        },
        "survival_exits" => Schema {
            counts: vec![count(
                "n_risk",
                Column("arm"),
                Own(Some("time")),
                Listed(&["cumulative_incidence"]),
            )],
            family: &["arm", "exit", "time"],
            identities: &[],
        },
        "balance" => {
            let statistics = |own: &'static [&'static str]| {
                Listed(match own {
                    ["mean_arm", ..] => &["mean_arm", "sd_arm", "difference", "smd", "p_value"],
                    _ => &["mean_control", "sd_control", "difference", "smd", "p_value"],
                })
            };
            Schema {
                counts: vec![
                    count(
                        "n_arm",
                        Column("arm"),
                        Own(Some("covariate")),
                        statistics(&["mean_arm"]),
                    ),
                    count(
                        "n_control",
                        Column("control"),
                        Own(Some("covariate")),
                        statistics(&["mean_control"]),
                    ),
                ],
                family: &["covariate", "level", "arm"],
                identities: &[],
            }
        }
        "balance_joint" => Schema {
            counts: vec![count(
                "n",
                Every,
                Assigned,
                Listed(&["f_statistic", "p_value"]),
            )],
            family: &["arm"],
            identities: &[],
        },
        "bounds" => Schema {
            counts: vec![
                count("n_treated", Column("arm"), Assigned, EveryStatistic),
                count("n_control", Column("control_arm"), Assigned, EveryStatistic),
                count(
                    "n_observed_treated",
                    Column("arm"),
                    Own(None),
                    EveryStatistic,
                ),
                count(
                    "n_observed_control",
                    Column("control_arm"),
                    Own(None),
                    EveryStatistic,
                ),
            ],
            family: &["outcome", "arm", "cells"],
            identities: &[],
        },
        "attrition" => {
            let statistics = Listed(&[
                "rate_missing",
                "difference",
                "std_error",
                "p_value",
                "p_value_fisher",
            ]);
            Schema {
                counts: vec![
                    count("n", Column("arm"), Assigned, statistics),
                    count("n_missing", Column("arm"), Missing, statistics),
                ],
                family: &["outcome", "arm"],
                // Assigned = missing + analysed.
                identities: &[("n", &["n_missing"])],
            }
        }
        // Indicators with targets (`targets`): the persons with the outcome observed, with it and
        // without it (n = n_yes + n_no, [`row_sums`]), each masking every statistic of the cell.
        "indicators" => {
            let statistics = Listed(&[
                "share",
                "conf_low",
                "conf_high",
                "p_value",
                "p_value_shortfall",
                "std_error_cr2",
                "df_cr2",
                "conf_low_cr2",
                "conf_high_cr2",
                "p_value_cr2",
                "p_value_shortfall_cr2",
            ]);
            Schema {
                counts: vec![
                    count("n", Column("arm"), Analysed, statistics),
                    count("n_yes", Column("arm"), Own(Some("outcome")), statistics),
                    count("n_no", Column("arm"), Own(Some("outcome")), statistics),
                ],
                family: &["indicator", "arm"],
                identities: &[],
            }
        }
        // A text outcome by arm: each category's count, and the persons with any category
        // (n_arm = Σ categories, [`row_sums`]).
        "indicator_categories" => Schema {
            counts: vec![
                count(
                    "n",
                    Column("arm"),
                    OwnOf(&["indicator", "category"]),
                    Listed(&["share"]),
                ),
                count(
                    "n_arm",
                    Column("arm"),
                    OwnOf(&["indicator"]),
                    Listed(&["share"]),
                ),
            ],
            family: &["indicator", "category", "arm"],
            identities: &[],
        },
        "indicator_tests" => Schema {
            counts: vec![count(
                "n",
                Every,
                OwnOf(&["indicator"]),
                Listed(&["chi_square", "df", "p_value_chi_square", "p_value_fisher"]),
            )],
            family: &["indicator"],
            identities: &[],
        },
        "monitoring" => Schema {
            counts: vec![count("n", Column("arm"), Assigned, Listed(&[]))],
            family: &["arm"],
            identities: &[],
        },
        "flow" => Schema {
            counts: vec![
                count("assigned", Column("arm"), Assigned, Listed(&[])),
                count("took_part", Column("arm"), Own(None), Listed(&[])),
                count("followed_up", Column("arm"), Analysed, Listed(&[])),
                count("lost", Column("arm"), Missing, Listed(&[])),
                count("analysed", Column("arm"), Analysed, Listed(&[])),
            ],
            family: &["arm"],
            identities: &[("assigned", &["lost"])],
        },
        _ => {
            // Any other table: its `n` and `n_*` columns, primary suppression and sums over
            // subgroups.
            let arm = if frame.column("arm").is_some() {
                Column("arm")
            } else {
                Every
            };
            let counts = frame
                .columns
                .iter()
                .filter(|c| *c == "n" || c.starts_with("n_"))
                .map(|c| count(c, arm, Own(None), Listed(&[])))
                .collect();
            Schema {
                counts,
                family: &[],
                identities: &[],
            }
        }
    }
}

/// The name of a count's kind in a row.
fn kind_name(count: &CountColumn, frame: &Frame, row: usize) -> String {
    match count.kind {
        Kind::Assigned => "assigned".into(),
        Kind::Analysed => "analysed".into(),
        Kind::Missing => "missing".into(),
        Kind::Own(None) => count.column.clone(),
        Kind::Own(Some(by)) => format!("{}:{}", count.column, text_of(frame, row, by)),
        Kind::OwnOf(by) => {
            let mut name = count.column.clone();
            for column in by {
                name.push(':');
                name.push_str(&text_of(frame, row, column));
            }
            name
        }
    }
}

/// One count cell of a table.
struct CountCell {
    table: String,
    row: usize,
    column: usize,
    dependents: Vec<usize>,
    secondary: Vec<usize>,
    variable: usize,
}

/// The population a variable counts, and its value: cells with the same key are one variable.
type VariableKey = (String, String, String, i64);

/// Count variables and the equations among them.
#[derive(Default)]
struct System {
    keys: Vec<VariableKey>,
    index: BTreeMap<VariableKey, usize>,
    /// Whether each variable is published in some cell.
    published_somewhere: Vec<bool>,
    /// The number of cells that publish each variable.
    cells: Vec<usize>,
    /// Equations Σ coefficient · variable = 0 (integer coefficients).
    equations: BTreeSet<Vec<(usize, i64)>>,
}

impl System {
    fn variable(&mut self, subgroup: &str, arm: &str, kind: &str, value: i64) -> usize {
        let key = (
            subgroup.to_string(),
            arm.to_string(),
            kind.to_string(),
            value,
        );
        if let Some(&v) = self.index.get(&key) {
            return v;
        }
        self.keys.push(key.clone());
        self.published_somewhere.push(false);
        self.cells.push(0);
        self.index.insert(key, self.keys.len() - 1);
        self.keys.len() - 1
    }

    /// Record total = Σ parts (as total − Σ parts = 0), merging repeated variables.
    fn sum(&mut self, total: usize, parts: &[usize]) {
        let mut terms: BTreeMap<usize, i64> = BTreeMap::new();
        *terms.entry(total).or_default() += 1;
        for &p in parts {
            *terms.entry(p).or_default() -= 1;
        }
        let equation: Vec<(usize, i64)> = terms.into_iter().filter(|(_, c)| *c != 0).collect();
        if !equation.is_empty() {
            self.equations.insert(equation);
        }
    }
}

fn count_value(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Int(n) => Some(*n),
        Cell::Num(x) if x.fract() == 0.0 && x.is_finite() => Some(*x as i64),
        _ => None,
    }
}

fn text_of(frame: &Frame, row: usize, column: &str) -> String {
    frame.text(row, column).unwrap_or_default()
}

/// The arm of a count in `row`.
fn arm_of(arm: ArmOf, frame: &Frame, row: usize, rule: &DisclosureRule) -> String {
    match arm {
        ArmOf::Column(c) => text_of(frame, row, c),
        ArmOf::Control => rule.control.clone(),
        ArmOf::Every => "*".to_string(),
        ArmOf::TreatedOfTerm => {
            let term = text_of(frame, row, "term");
            match term.split_once('=') {
                Some((_, level)) => level.to_string(),
                None => {
                    let treated: Vec<&String> =
                        rule.arms.iter().filter(|a| **a != rule.control).collect();
                    match treated.as_slice() {
                        [one] => (*one).clone(),
                        _ => term,
                    }
                }
            }
        }
    }
}

/// The columns of `row` that `dependents` names.
fn dependent_columns(
    dependents: Dependents,
    schema: &Schema,
    frame: &Frame,
    row: usize,
) -> Vec<usize> {
    let every_statistic = || {
        (0..frame.columns.len())
            .filter(|&j| {
                let is_count = schema.counts.iter().any(|c| c.column == frame.columns[j]);
                !is_count && matches!(frame.rows[row][j], Cell::Num(_) | Cell::Int(_))
            })
            .collect()
    };
    match dependents {
        Dependents::Listed(names) => names.iter().filter_map(|d| frame.column(d)).collect(),
        Dependents::EveryStatistic => every_statistic(),
        Dependents::ArmMean(mean) => {
            if text_of(frame, row, "estimator").starts_with("dim") {
                every_statistic()
            } else {
                frame.column(mean).into_iter().collect()
            }
        }
    }
}

/// Mask every table of a report so that no count below the rule's k is published, and none
/// follows from the published counts by the relations in the module's description.
pub fn protect(tables: &mut Tables, rule: &DisclosureRule) -> Protected {
    let mut system = System::default();
    let mut cells: Vec<CountCell> = Vec::new();
    // (table, column, family key, subgroup) → variable, for the sums over subgroups.
    let mut families: BTreeMap<(String, usize, Vec<String>), BTreeMap<String, usize>> =
        BTreeMap::new();
    let mut assigned: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut every_arm: Vec<(String, usize, i64)> = Vec::new();

    for (name, frame) in tables.iter() {
        let schema = schema(name, frame);
        for row in 0..frame.rows.len() {
            let subgroup = frame
                .text(row, "subgroup")
                .unwrap_or_else(|| "all".to_string());
            let mut row_variables: BTreeMap<&str, (usize, String, i64)> = BTreeMap::new();
            for count in &schema.counts {
                let Some(column) = frame.column(&count.column) else {
                    continue;
                };
                let Some(value) = count_value(&frame.rows[row][column]) else {
                    continue;
                };
                let arm = arm_of(count.arm, frame, row, rule);
                if name == "flow" && count.column == "took_part" && arm == rule.control {
                    continue; // zero by design: the comparison arm is offered no programme
                }
                let variable =
                    system.variable(&subgroup, &arm, &kind_name(count, frame, row), value);
                system.published_somewhere[variable] = true;
                system.cells[variable] += 1;
                cells.push(CountCell {
                    table: name.clone(),
                    row,
                    column,
                    dependents: dependent_columns(count.dependents, &schema, frame, row),
                    secondary: dependent_columns(count.secondary, &schema, frame, row),
                    variable,
                });
                row_variables.insert(count.column.as_str(), (variable, arm.clone(), value));
                if matches!(count.arm, ArmOf::Every) {
                    every_arm.push((subgroup.clone(), variable, value));
                }
                if (name == "attrition" && count.column == "n")
                    || (name == "flow" && count.column == "assigned")
                {
                    assigned.insert((subgroup.clone(), arm.clone()), value);
                }
                let family: Vec<String> = schema
                    .family
                    .iter()
                    .map(|c| text_of(frame, row, c))
                    .collect();
                families
                    .entry((name.clone(), column, family))
                    .or_default()
                    .insert(subgroup.clone(), variable);
            }
            // Identities within the row: total = parts + the rest.
            for (total, parts) in schema.identities {
                let Some(&(t, ref arm, total_value)) = row_variables.get(total) else {
                    continue;
                };
                let mut part_variables = Vec::new();
                let mut rest = total_value;
                for p in *parts {
                    if let Some(&(v, _, value)) = row_variables.get(p) {
                        part_variables.push(v);
                        rest -= value;
                    }
                }
                if part_variables.len() == parts.len() && rest >= 0 {
                    part_variables.push(system.variable(&subgroup, arm, "analysed", rest));
                    system.sum(t, &part_variables);
                }
            }
        }
    }

    // Sums over subgroups: all = Σ levels of one subgroup column; a − b = a + b.
    let value_of = |system: &System, v: usize| system.keys[v].3;
    for members in families.values() {
        let Some(&all) = members.get("all") else {
            continue;
        };
        let mut by_column: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (subgroup, &v) in members {
            if subgroup.contains(" - ") {
                let (a, b) = subgroup.split_once(" - ").unwrap_or_default();
                if let (Some(&va), Some(&vb)) = (members.get(a), members.get(b))
                    && value_of(&system, v) == value_of(&system, va) + value_of(&system, vb)
                {
                    system.sum(v, &[va, vb]);
                }
            } else if subgroup.contains('=') {
                // The subgroup variable: a column, or a crossing's columns (`a=x & b=y`).
                by_column
                    .entry(crate::estimate::subgroups::variable_of(subgroup).unwrap_or_default())
                    .or_default()
                    .push(v);
            }
        }
        for levels in by_column.values() {
            let total: i64 = levels.iter().map(|&v| value_of(&system, v)).sum();
            if total == value_of(&system, all) {
                system.sum(all, levels);
            }
        }
    }
    // All arms together = Σ arms' assigned counts.
    for (subgroup, variable, value) in every_arm {
        let parts: Vec<(String, i64)> = rule
            .arms
            .iter()
            .filter_map(|a| {
                assigned
                    .get(&(subgroup.clone(), a.clone()))
                    .map(|n| (a.clone(), *n))
            })
            .collect();
        if parts.len() == rule.arms.len() && parts.iter().map(|p| p.1).sum::<i64>() == value {
            let vars: Vec<usize> = parts
                .iter()
                .map(|(a, n)| system.variable(&subgroup, a, "assigned", *n))
                .collect();
            system.sum(variable, &vars);
        }
    }

    let at: BTreeMap<(String, usize, usize), usize> = cells
        .iter()
        .map(|c| ((c.table.clone(), c.row, c.column), c.variable))
        .collect();
    row_sums(tables, &at, &mut system);

    // Primary suppression, then secondary until no masked count is determined.
    let n = system.keys.len();
    let primary: Vec<bool> = (0..n).map(|v| rule.primary(system.keys[v].3)).collect();
    let mut hidden: Vec<bool> = (0..n)
        .map(|v| !system.published_somewhere[v] || primary[v])
        .collect();
    let mut secondary = vec![false; n];
    // Hide more until no count below k (published or not) follows from what is published.
    let index = Index::new(&system);
    while let Some(disclosed) = index.first_disclosed(&hidden, &primary) {
        let Some(next) = index.complement(&system, &hidden, disclosed) else {
            break; // cannot happen: a determined count has a published partner
        };
        hidden[next] = true;
        secondary[next] = true;
    }
    // A count hidden to protect another that follows from the published ones anyway is
    // published: it tells nothing new, and no masked cell can then be recovered.
    for (v, is_secondary) in secondary.iter_mut().enumerate() {
        if *is_secondary && index.is_determined(&hidden, v) {
            *is_secondary = false;
        }
    }

    // Apply to the tables.
    let mut protected = Protected::default();
    for cell in &cells {
        let (text, dependents) = if primary[cell.variable] {
            protected.primary += 1;
            (rule.primary_text(), &cell.dependents)
        } else if secondary[cell.variable] {
            protected.secondary += 1;
            (SECONDARY.to_string(), &cell.secondary)
        } else {
            continue;
        };
        let Some(frame) = tables.get_mut(&cell.table) else {
            continue;
        };
        let note = frame.column("note");
        let row = &mut frame.rows[cell.row];
        row[cell.column] = Cell::Text(text);
        for &j in dependents {
            if !matches!(row[j], Cell::Text(_)) {
                row[j] = Cell::Null;
            }
        }
        // A note may quote the statistics just masked (a cost row's Fieller limits): a note
        // with any figure in it goes with them.
        if let Some(j) = note.filter(|_| !dependents.is_empty())
            && matches!(&row[j], Cell::Text(t) if t.chars().any(|c| c.is_ascii_digit()))
        {
            row[j] = Cell::Text(MASKED_NOTE.to_string());
        }
    }
    mask_tests_of_masked_tables(tables);
    mask_comparisons_with_a_masked_control(tables, rule);
    protected
}

/// An attrition row of a compared arm compares its missing rate with control's: the difference
/// (rate − control's rate) and the tests of it would give control's masked count back (with
/// control's n published, the difference gives its missing count; Fisher's p-value pins the 2 × 2
/// table). Where control's count is masked, the comparisons of that outcome and subgroup go too.
fn mask_comparisons_with_a_masked_control(tables: &mut Tables, rule: &DisclosureRule) {
    let Some(frame) = tables.get_mut("attrition") else {
        return;
    };
    let key = |f: &Frame, i: usize| (f.text(i, "outcome"), f.text(i, "subgroup"));
    let masked_control: Vec<_> = (0..frame.rows.len())
        .filter(|&i| frame.text(i, "arm").as_deref() == Some(rule.control.as_str()))
        .filter(|&i| {
            ["n", "n_missing"].iter().any(|c| {
                frame
                    .column(c)
                    .is_some_and(|j| matches!(frame.rows[i][j], Cell::Text(_)))
            })
        })
        .map(|i| key(frame, i))
        .collect();
    let columns: Vec<usize> = ["difference", "std_error", "p_value", "p_value_fisher"]
        .iter()
        .filter_map(|c| frame.column(c))
        .collect();
    for i in 0..frame.rows.len() {
        if masked_control.contains(&key(frame, i)) {
            for &j in &columns {
                frame.rows[i][j] = Cell::Null;
            }
        }
    }
}

/// Per arm: the variable of a total and those of its parts.
type ArmSums = BTreeMap<String, (usize, Vec<usize>)>;

/// Sums among counts that the schemas' identities cannot state: within a row, total = Σ parts
/// with nothing left over (an indicator's n = n_yes + n_no); across rows, a text outcome's
/// persons with any category = Σ its categories (same indicator, subgroup and arm), and the
/// persons of its test = Σ the arms' persons.
fn row_sums(tables: &Tables, at: &BTreeMap<(String, usize, usize), usize>, system: &mut System) {
    let variable = |table: &str, frame: &Frame, row: usize, column: &str| {
        frame
            .column(column)
            .and_then(|j| at.get(&(table.to_string(), row, j)).copied())
    };
    if let Some(frame) = tables.get("indicators") {
        for row in 0..frame.rows.len() {
            let [n, yes, no] =
                ["n", "n_yes", "n_no"].map(|c| variable("indicators", frame, row, c));
            if let (Some(n), Some(yes), Some(no)) = (n, yes, no) {
                system.sum(n, &[yes, no]);
            }
        }
    }
    // (indicator, subgroup) → arm → (n_arm, categories' n).
    let mut groups: BTreeMap<(String, String), ArmSums> = BTreeMap::new();
    if let Some(frame) = tables.get("indicator_categories") {
        let table = "indicator_categories";
        for row in 0..frame.rows.len() {
            let (Some(total), Some(part)) = (
                variable(table, frame, row, "n_arm"),
                variable(table, frame, row, "n"),
            ) else {
                continue;
            };
            let key = (
                text_of(frame, row, "indicator"),
                frame.text(row, "subgroup").unwrap_or_else(|| "all".into()),
            );
            groups
                .entry(key)
                .or_default()
                .entry(text_of(frame, row, "arm"))
                .or_insert((total, Vec::new()))
                .1
                .push(part);
        }
        for arms in groups.values() {
            for (total, parts) in arms.values() {
                system.sum(*total, parts);
            }
        }
    }
    if let Some(frame) = tables.get("indicator_tests") {
        for row in 0..frame.rows.len() {
            let key = (
                text_of(frame, row, "indicator"),
                frame.text(row, "subgroup").unwrap_or_else(|| "all".into()),
            );
            if let (Some(n), Some(arms)) = (
                variable("indicator_tests", frame, row, "n"),
                groups.get(&key),
            ) {
                let parts: Vec<usize> = arms.values().map(|(total, _)| *total).collect();
                system.sum(n, &parts);
            }
        }
    }
}

/// A test of a text outcome by arm whose table has a masked count is masked too: with the
/// margins published, an exact p-value could single out the hidden cell.
fn mask_tests_of_masked_tables(tables: &mut Tables) {
    // An indicator cell's assessment against its target ("met (significant)") is a statistic
    // of its persons too.
    if let Some(frame) = tables.get_mut("indicators")
        && let Some(assessment) = frame.column("assessment")
    {
        let counts: Vec<usize> = ["n", "n_yes", "n_no"]
            .iter()
            .filter_map(|c| frame.column(c))
            .collect();
        for row in &mut frame.rows {
            if counts.iter().any(|&j| matches!(row[j], Cell::Text(_))) {
                row[assessment] = Cell::Null;
            }
        }
    }
    let Some(categories) = tables.get("indicator_categories") else {
        return;
    };
    let masked: BTreeSet<(String, String)> = (0..categories.rows.len())
        .filter(|&row| {
            ["n", "n_arm"].iter().any(|c| {
                categories
                    .column(c)
                    .is_some_and(|j| matches!(categories.rows[row][j], Cell::Text(_)))
            })
        })
        .map(|row| {
            (
                text_of(categories, row, "indicator"),
                categories
                    .text(row, "subgroup")
                    .unwrap_or_else(|| "all".into()),
            )
        })
        .collect();
    let Some(tests) = tables.get_mut("indicator_tests") else {
        return;
    };
    let statistics: Vec<usize> = ["chi_square", "df", "p_value_chi_square", "p_value_fisher"]
        .iter()
        .filter_map(|c| tests.column(c))
        .collect();
    let note = tests.column("note");
    for row in 0..tests.rows.len() {
        let key = (
            text_of(tests, row, "indicator"),
            tests.text(row, "subgroup").unwrap_or_else(|| "all".into()),
        );
        if !masked.contains(&key) {
            continue;
        }
        for &j in &statistics {
            tests.rows[row][j] = Cell::Null;
        }
        if let Some(j) = note {
            tests.rows[row][j] =
                Cell::Text("test masked: its table has masked counts (disclosure control)".into());
        }
    }
}

/// The note of a row whose statistics were masked, in place of one that quoted them.
pub const MASKED_NOTE: &str = "statistics masked (disclosure control)";

/// The equations of a system with, for each count, the equations that hold it.
struct Index<'a> {
    equations: Vec<&'a Vec<(usize, i64)>>,
    holding: Vec<Vec<usize>>,
}

impl<'a> Index<'a> {
    fn new(system: &'a System) -> Index<'a> {
        let equations: Vec<&Vec<(usize, i64)>> = system.equations.iter().collect();
        let mut holding = vec![Vec::new(); system.keys.len()];
        for (i, e) in equations.iter().enumerate() {
            for &(v, _) in e.iter() {
                holding[v].push(i);
            }
        }
        Index { equations, holding }
    }

    /// The unpublished counts linked to `v` through equations (v included), and those
    /// equations (by index).
    fn component(&self, hidden: &[bool], v: usize) -> (BTreeSet<usize>, BTreeSet<usize>) {
        let mut unknowns = BTreeSet::from([v]);
        let mut equations = BTreeSet::new();
        let mut stack = vec![v];
        while let Some(u) = stack.pop() {
            for &e in &self.holding[u] {
                if !equations.insert(e) {
                    continue;
                }
                for &(w, _) in self.equations[e] {
                    if hidden[w] && unknowns.insert(w) {
                        stack.push(w);
                    }
                }
            }
        }
        (unknowns, equations)
    }

    /// The equations restricted to the unpublished counts.
    fn rows(&self, hidden: &[bool], equations: &BTreeSet<usize>) -> Vec<Vec<(usize, i128)>> {
        equations
            .iter()
            .map(|&e| {
                self.equations[e]
                    .iter()
                    .filter(|&&(v, _)| hidden[v])
                    .map(|&(v, c)| (v, i128::from(c)))
                    .collect::<Vec<_>>()
            })
            .filter(|e| !e.is_empty())
            .collect()
    }

    /// Whether the published counts determine the unpublished count `v`.
    fn is_determined(&self, hidden: &[bool], v: usize) -> bool {
        let (unknowns, equations) = self.component(hidden, v);
        determined(&unknowns, &self.rows(hidden, &equations)).contains(&v)
    }

    /// The first watched count that the equations determine from the published counts.
    fn first_disclosed(&self, hidden: &[bool], watched: &[bool]) -> Option<usize> {
        let mut seen = vec![false; hidden.len()];
        for v in (0..hidden.len()).filter(|&v| watched[v] && hidden[v]) {
            if seen[v] {
                continue;
            }
            let (unknowns, equations) = self.component(hidden, v);
            for &u in &unknowns {
                seen[u] = true;
            }
            if let Some(d) = determined(&unknowns, &self.rows(hidden, &equations))
                .into_iter()
                .find(|&u| watched[u])
            {
                return Some(d);
            }
        }
        None
    }

    /// The published count to hide next so that `disclosed` is no longer determined. The
    /// candidates are the published counts of the equations that hold it or the unpublished
    /// counts linked to it (smallest first, then subgroups before the total, then the one
    /// published least often). The
    /// first whose hiding protects it is chosen; else the first of a pair of the eight smallest
    /// that does; else the smallest candidate (and the loop goes on).
    fn complement(&self, system: &System, hidden: &[bool], disclosed: usize) -> Option<usize> {
        let candidates = |hidden: &[bool]| -> Vec<usize> {
            let (_, equations) = self.component(hidden, disclosed);
            let mut c: Vec<usize> = equations
                .iter()
                .flat_map(|&e| self.equations[e].iter().map(|&(v, _)| v))
                .filter(|&v| !hidden[v])
                .collect::<BTreeSet<usize>>()
                .into_iter()
                .collect();
            // Of equal counts, a subgroup's before the overall one (totals are the most
            // used), then the one published least often.
            c.sort_by_key(|&v| {
                (
                    system.keys[v].3,
                    system.keys[v].0 == "all",
                    system.cells[v],
                    v,
                )
            });
            c
        };
        let with = |hidden: &[bool], v: usize| {
            let mut h = hidden.to_vec();
            h[v] = true;
            h
        };
        let first = candidates(hidden);
        if let Some(&one) = first
            .iter()
            .find(|&&v| !self.is_determined(&with(hidden, v), disclosed))
        {
            return Some(one);
        }
        // Pairs of the smallest candidates, by the sum of the two counts.
        const PAIRED: usize = 8;
        let mut best: Option<(i64, usize)> = None;
        for &a in first.iter().take(PAIRED) {
            let hidden_a = with(hidden, a);
            for b in candidates(&hidden_a).into_iter().take(PAIRED) {
                let cost = system.keys[a].3 + system.keys[b].3;
                if best.is_some_and(|(c, _)| c <= cost) {
                    continue;
                }
                if !self.is_determined(&with(&hidden_a, b), disclosed) {
                    best = Some((cost, a));
                }
            }
        }
        best.map(|(_, a)| a).or_else(|| first.first().copied())
    }
}

/// The counts of one component that its equations determine: reduced row echelon form over
/// the integers (fraction-free, rows divided by the gcd of their entries); a count is
/// determined when its pivot row has no other unknown.
fn determined(unknowns: &BTreeSet<usize>, equations: &[Vec<(usize, i128)>]) -> Vec<usize> {
    let variables: Vec<usize> = unknowns.iter().copied().collect();
    let column: BTreeMap<usize, usize> =
        variables.iter().enumerate().map(|(j, &v)| (v, j)).collect();
    let mut rows: Vec<Vec<i128>> = equations
        .iter()
        .map(|e| {
            let mut row = vec![0i128; variables.len()];
            for &(v, c) in e {
                row[column[&v]] += c;
            }
            row
        })
        .collect();
    let mut pivots: Vec<(usize, usize)> = Vec::new();
    let mut r = 0;
    for j in 0..variables.len() {
        if r == rows.len() {
            break;
        }
        let Some(p) = (r..rows.len()).find(|&i| rows[i][j] != 0) else {
            continue;
        };
        rows.swap(r, p);
        let pivot_row = rows[r].clone();
        for (i, row) in rows.iter_mut().enumerate() {
            if i != r && row[j] != 0 {
                let (a, b) = (pivot_row[j], row[j]);
                for (x, y) in row.iter_mut().zip(&pivot_row) {
                    *x = *x * a - *y * b;
                }
                normalise(row);
            }
        }
        pivots.push((r, j));
        r += 1;
    }
    pivots
        .into_iter()
        .filter(|&(row, j)| rows[row].iter().enumerate().all(|(k, &x)| k == j || x == 0))
        .map(|(_, j)| variables[j])
        .collect()
}

fn normalise(row: &mut [i128]) {
    let g = row.iter().fold(0i128, |g, &x| gcd(g, x.abs()));
    if g > 1 {
        for x in row.iter_mut() {
            *x /= g;
        }
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(k: usize) -> DisclosureRule {
        DisclosureRule {
            mask_below: k,
            mask_zeros: true,
            arms: vec!["md1".into(), "standard".into()],
            control: "standard".into(),
        }
    }

    fn shares(rows: &[(&str, &str, i64)]) -> Frame {
        let mut f = Frame::new(&["outcome", "subgroup", "arm", "n", "share"]);
        for (s, a, n) in rows {
            f.push(vec![
                "y".into(),
                (*s).into(),
                (*a).into(),
                Cell::Int(*n),
                0.5.into(),
            ]);
        }
        f
    }

    fn cell(tables: &Tables, table: &str, row: usize, column: &str) -> Cell {
        let f = &tables[table];
        f.rows[row][f.column(column).unwrap()].clone()
    }

    #[test]
    fn a_lone_masked_subgroup_count_takes_the_next_smallest_with_it() {
        let mut tables = Tables::new();
        tables.insert(
            "shares".into(),
            shares(&[
                ("all", "md1", 60),
                ("site=A", "md1", 2),
                ("site=B", "md1", 18),
                ("site=C", "md1", 40),
            ]),
        );
        let p = protect(&mut tables, &rule(5));
        assert_eq!(cell(&tables, "shares", 1, "n"), Cell::Text("<5".into()));
        assert_eq!(cell(&tables, "shares", 1, "share"), Cell::Null);
        assert_eq!(cell(&tables, "shares", 2, "n"), Cell::Text("x".into()));
        assert_eq!(cell(&tables, "shares", 2, "share"), Cell::Null);
        assert_eq!(cell(&tables, "shares", 3, "n"), Cell::Int(40));
        assert_eq!(
            p,
            Protected {
                primary: 1,
                secondary: 1
            }
        );
    }

    #[test]
    fn zero_counts_are_masked_unless_the_rule_publishes_them() {
        let make = || {
            let mut t = Tables::new();
            t.insert(
                "shares".into(),
                shares(&[("all", "md1", 40), ("g=a", "md1", 0), ("g=b", "md1", 40)]),
            );
            t
        };
        let mut masked = make();
        protect(&mut masked, &rule(5));
        assert_eq!(cell(&masked, "shares", 1, "n"), Cell::Text("<5".into()));
        // all = a + b with a hidden: b goes too.
        assert_eq!(cell(&masked, "shares", 2, "n"), Cell::Text("x".into()));
        let mut published = make();
        let open = DisclosureRule {
            mask_zeros: false,
            ..rule(5)
        };
        assert_eq!(protect(&mut published, &open), Protected::default());
        assert_eq!(cell(&published, "shares", 1, "n"), Cell::Int(0));
    }

    #[test]
    fn assigned_minus_analysed_does_not_give_the_missing() {
        // 3 of 800 missing: the analysed count (797) is published in the shares table and the
        // assigned count (800) in the attrition table.
        let mut tables = Tables::new();
        let mut attrition = Frame::new(&[
            "outcome",
            "subgroup",
            "arm",
            "n",
            "n_missing",
            "rate_missing",
        ]);
        attrition.push(vec![
            "y".into(),
            "all".into(),
            "md1".into(),
            Cell::Int(800),
            Cell::Int(3),
            0.00375.into(),
        ]);
        tables.insert("attrition".into(), attrition);
        tables.insert("shares".into(), shares(&[("all", "md1", 797)]));
        protect(&mut tables, &rule(5));
        assert_eq!(
            cell(&tables, "attrition", 0, "n_missing"),
            Cell::Text("<5".into())
        );
        assert_eq!(cell(&tables, "attrition", 0, "rate_missing"), Cell::Null);
        // Either the assigned or the analysed count is hidden, in every table that has it.
        let assigned = cell(&tables, "attrition", 0, "n");
        let analysed = cell(&tables, "shares", 0, "n");
        assert!(
            assigned == Cell::Text("x".into()) || analysed == Cell::Text("x".into()),
            "{assigned:?} {analysed:?}"
        );
    }

    #[test]
    fn a_count_masked_in_one_table_is_masked_where_it_recurs() {
        // The women's control count 809 is hidden in the effects table (secondary), so the
        // same 809 must not be published in the shares table.
        let mut tables = Tables::new();
        let mut effects = Frame::new(&[
            "outcome",
            "subgroup",
            "term",
            "estimate",
            "estimator",
            "n_treated",
            "n_control",
        ]);
        for (s, t, c) in [
            ("all", 1600, 812),
            ("gender=F", 800, 809),
            ("gender=M", 800, 3),
        ] {
            effects.push(vec![
                "y".into(),
                s.into(),
                "arm".into(),
                0.1.into(),
                "lin".into(),
                Cell::Int(t),
                Cell::Int(c),
            ]);
        }
        tables.insert("effects".into(), effects);
        tables.insert(
            "shares".into(),
            shares(&[("gender=F", "standard", 809), ("gender=F", "md1", 800)]),
        );
        protect(&mut tables, &rule(5));
        assert_eq!(
            cell(&tables, "effects", 2, "n_control"),
            Cell::Text("<5".into())
        );
        assert_eq!(cell(&tables, "effects", 2, "estimate"), Cell::Null);
        assert_eq!(
            cell(&tables, "effects", 1, "n_control"),
            Cell::Text("x".into())
        );
        assert_eq!(cell(&tables, "shares", 0, "n"), Cell::Text("x".into()));
        assert_eq!(cell(&tables, "shares", 1, "n"), Cell::Int(800));
    }

    #[test]
    fn determined_only_through_a_chain_of_equations_is_caught() {
        // x + y = a and y + z = b with a, b published; x and z small.
        let mut system = System::default();
        let x = system.variable("s", "a", "n", 3);
        let y = system.variable("s", "a", "n", 40);
        let z = system.variable("s", "a", "n", 4);
        let a = system.variable("s", "a", "n", 43);
        let b = system.variable("s", "a", "n", 44);
        system.sum(a, &[x, y]);
        system.sum(b, &[y, z]);
        let hidden = vec![true, true, true, false, false];
        let small = vec![true, false, true, false, false];
        let index = Index::new(&system);
        // Three unknowns, two equations: nothing determined.
        assert!(index.first_disclosed(&hidden, &small).is_none());
        // With z published, y then x follow.
        let hidden = vec![true, true, false, false, false];
        assert_eq!(index.first_disclosed(&hidden, &small), Some(x));
    }
}
