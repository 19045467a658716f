//! The report folder: the record of how a run's results were computed (`settings.json`), the
//! tidy tables of an earlier run read back, and the report files (HTML, Markdown, figures,
//! Markdown tables) with the manifest written from them. `lotta run` and `lotta report` both
//! write their folder here.

use crate::categorical::first_seen_levels;
use crate::error::{Error, Location, Result};
use crate::estimate::Estimator;
use crate::estimate::rows::{EffectKind, Family, RowEstimator};
use crate::export::{Frame, from_csv};
use crate::io::folder::ReportFolder;
use crate::io::manifest::{Entry, FileHash, MANIFEST_FILE, Manifest, to_bytes};
use crate::io::sha256_hex;
use crate::report::study::{ReportContext, Tables, build};
use crate::settings::report::{Methods, ReportSettings, SurvivalRecord};
use crate::spec::Study;
use std::path::{Path, PathBuf};

/// A path as the study names it: relative to the folder of study.toml, `/` separated.
fn display_path(study: &Study, path: &Path) -> String {
    let shown = path.strip_prefix(&study.dir).unwrap_or(path);
    shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn design_lines(methods: &Methods) -> Vec<String> {
    let mut lines = Vec::new();
    let Some(d) = &methods.design else {
        return lines;
    };
    let arms: Vec<String> = d
        .arms
        .iter()
        .map(|(name, ratio)| {
            if *name == d.control {
                format!("{name} (ratio {ratio}; comparison arm)")
            } else {
                format!("{name} (ratio {ratio})")
            }
        })
        .collect();
    lines.push(format!("Arms: {}.", arms.join(", ")));
    if d.strata.is_empty() {
        lines.push("Strata: none (one stratum).".into());
    } else {
        lines.push(format!(
            "Strata: {} (their combinations).",
            d.strata.join(" × ")
        ));
    }
    if let Some(c) = &d.cluster {
        lines.push(format!("Clusters: all members of a `{c}` share an arm."));
    }
    let method = if d.method == "blocks" {
        let sizes: Vec<String> = d.block_sizes.iter().map(u32::to_string).collect();
        if sizes.is_empty() {
            "permuted blocks within strata".to_string()
        } else {
            format!(
                "permuted blocks of {} within strata, sizes drawn at random",
                sizes.join(" or ")
            )
        }
    } else {
        "complete randomization within strata (exact counts)".to_string()
    };
    lines.push(format!(
        "Assignment: {method}; rolling enrolment in batches that never change earlier assignments (docs/randomization.md)."
    ));
    lines.push(format!(
        "Seed: {}. The ledger was re-derived from the seed and the design and its hash chain checked before the analysis.",
        d.seed
    ));
    lines
}

/// The distinct values of `column` among the intention-to-treat rows of the effects table (the
/// 2SLS rows have the participation column as their term), in order of appearance.
/// The distinct values of `column` on the intention-to-treat rows (not the 2SLS rows), in the
/// order first seen. A row's family is read from its estimator label.
fn itt_values(effects: &Frame, column: &str) -> Vec<String> {
    first_seen_levels((0..effects.rows.len()).filter_map(|row| {
        let family = effects
            .text(row, "estimator")
            .and_then(|e| e.parse::<RowEstimator>().ok())
            .map(RowEstimator::family);
        effects.text(row, column).filter(|value| {
            !matches!(family, Some(Family::Participation | Family::Joint)) && !value.is_empty()
        })
    }))
}

/// How the methods section names an intention-to-treat estimator (the label as written when it
/// is not one lotta knows, e.g. in a hand-edited table).
fn estimator_description(label: &str) -> String {
    let Ok(estimator) = label.parse::<RowEstimator>() else {
        return format!("`{label}`");
    };
    match estimator.kind {
        EffectKind::Itt(Estimator::Ols) => "OLS with covariates (lm_robust)",
        EffectKind::Itt(Estimator::Fe) => "OLS with strata fixed effects",
        EffectKind::Itt(Estimator::Lin) => {
            "Lin (2013): OLS fully interacted with centred covariates (estimatr's lm_lin)"
        }
        EffectKind::Itt(Estimator::Dim) => "difference in means (estimatr's difference_in_means)",
        EffectKind::BlockedDim => {
            "difference in means within blocks (strata), weighted by block size (estimatr's difference_in_means with blocks)"
        }
        EffectKind::Participation => "two-stage least squares (estimatr's iv_robust)",
        EffectKind::Wald => "the joint Wald test of equal subgroup effects",
    }
    .to_string()
}

/// The methods section: the estimator and SE type of the computed rows, and the rest from the
/// record of the run's resolved settings.
fn method_lines(methods: &Methods, tables: &Tables) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(effects) = tables.get("effects") {
        let participation = methods.participation.as_deref();
        let estimators = itt_values(effects, "estimator");
        let weighted = estimators
            .iter()
            .any(|e| e.parse::<RowEstimator>().is_ok_and(|e| e.weighted));
        let names: Vec<String> = estimators
            .iter()
            .map(|e| estimator_description(e))
            .collect();
        let mut names_unique: Vec<String> = Vec::new();
        for n in names {
            if !names_unique.contains(&n) {
                names_unique.push(n);
            }
        }
        lines.push(format!(
            "Intention-to-treat effects: {}{}.",
            names_unique.join("; "),
            if weighted {
                ", weighted by inverse assignment probabilities from the ledger"
            } else {
                ""
            }
        ));
        if !methods.covariates.is_empty() {
            lines.push(format!(
                "Covariates: {} (text columns as indicators, first level as reference).",
                methods.covariates.join(", ")
            ));
            if methods.missing_covariates.as_deref() == Some("indicator") {
                lines.push("Missing covariates: the missing-indicator method (a missing number filled with the covariate's mean over everyone analysed, with an indicator of its missingness, both adjusted for (and under Lin centred) like the other covariates; a missing category its own level `NA`; White & Thompson 2005, Groenwold et al. 2012).".into());
            }
        }
        let se_types = itt_values(effects, "se_type");
        let se = se_types.join(", ");
        lines.push(format!(
            "Standard errors: {se} (HC2: MacKinnon & White 1985, estimatr's default; CR2: Bell & McCaffrey 2002 with Pustejovsky & Tipton 2018 df{}); t intervals with the residual df.",
            if se_types.iter().any(|s| s == "CV3") {
                "; CV3: the cluster jackknife, (G − 1)/G times the sum of squared leave-one-cluster-out shifts, MacKinnon, Nielsen & Webb 2023, with G − 1 df"
            } else {
                ""
            }
        ));
        if let Some(by) = &methods.by {
            lines.push(format!(
                "Subgroups by `{by}` (each variable separately; `a*b` is the crossing of a and b); the difference between subgroups from the model with treatment × subgroup interactions, against the reference level named second in each difference (the first level unless the study chooses one); the joint test that all subgroup effects are equal (`<variable>: joint`) is the Wald F test of those interactions with the same robust variance, df_num = levels − 1 and denominator df n − k (G − 1 with clusters; car::linearHypothesis, clubSandwich's Naive-F), and with randomization inference its p-value from the same draws (the statistic b'V⁻¹b with the observed V)."
            ));
        }
        if let Some(p) = participation {
            lines.push(format!(
                "Effect of participation (`{p}`): two-stage least squares with the offer as instrument (estimatr's iv_robust), same SE type; first-stage F reported."
            ));
        }
        if let Some(r) = methods.ri_draws.filter(|&r| r > 0) {
            let statistic = match methods.ri_statistic.as_deref() {
                Some("studentized") => {
                    "|t| ≥ |observed t| (the t statistic with each row's own SE recomputed under every assignment; MacKinnon & Webb 2020)"
                }
                _ => "|estimate| ≥ |observed|",
            };
            let exact = match methods.ri_exact_max.filter(|&m| m > 0) {
                Some(m) => format!(
                    " When the design has at most {m} distinct assignments (clusters, strata, matched pairs: a product of binomial coefficients), all of them are listed instead and the p-value is exact, k/N, with the smallest attainable p-value reported (Fisher 1935; Imbens & Rubin 2015, ch. 5); an interval the test cannot bound is reported as unbounded."
                ),
                None => String::new(),
            };
            lines.push(format!(
                "Randomization inference: {r} re-runs of the study's own assignment procedure from its ledger (strata, blocks, batches), every estimate of the whole model recomputed under each; two-sided p = share of draws with {statistic} (ri2, ritest); interval for a constant effect by test inversion (Rosenbaum 2002).{exact}"
            ));
        }
        if let Some(w) = &methods.wild {
            lines.push(wild_line(w));
        }
        let method = match methods.adjust.as_deref() {
            Some("holm") => Some("Holm (1979)"),
            Some("bh") => Some("Benjamini & Hochberg (1995)"),
            _ => None,
        };
        if let Some(method) = method {
            let families = if participation.is_some() {
                ", the intention-to-treat rows and the 2SLS rows as two families"
            } else {
                ""
            };
            lines.push(format!(
                "Multiple testing: {method} adjusted p-values across outcomes × subgroups{families}."
            ));
        }
        if let Some(families) = tables.get("families") {
            let mut names: Vec<String> = Vec::new();
            for i in 0..families.rows.len() {
                if let Some(name) = families.text(i, "family")
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
            let resampled = families.column("p_value_romano_wolf").is_some_and(|j| {
                families.rows.iter().any(|r| {
                    matches!(
                        r.get(j),
                        Some(crate::export::Cell::Num(_) | crate::export::Cell::Int(_))
                    )
                })
            });
            lines.push(format!(
                "Families of hypotheses ({}): {}Anderson's (2008) sharpened q-values, computed exactly, from the model p-values.",
                names.join("; "),
                if resampled {
                    "Romano–Wolf (2005) and Westfall–Young (1993, minP) step-down p-values from the same randomization draws (one shared draw set), and "
                } else {
                    ""
                }
            ));
        }
        lines.push("Missing outcomes: complete cases, with attrition by arm and a test of differential attrition (HC2 difference in missing rates, and Fisher's exact test of arm × missing, as R's fisher.test).".into());
    }
    if let Some(reps) = methods.cost_bootstrap {
        lines.push(format!(
            "Cost-effectiveness: incremental cost over incremental effect (cost per additional person); delta-method and Fieller (1954) intervals (Willan & O'Brien 1996){}; net monetary benefit and acceptability curve (Fenwick, Claxton & Sculpher 2001).",
            if reps > 0 {
                format!(", and a nonparametric bootstrap ({reps} replicates, resampled within arms and strata, percentile intervals)")
            } else {
                String::new()
            }
        ));
    }
    lines.extend(crate::report::benefit::methods_line(tables));
    if let Some(s) = &methods.survival
        && tables.contains_key("survival")
    {
        lines.extend(survival_lines(s));
    }
    if tables.contains_key("bounds") {
        lines.push("Attrition bounds: Lee (2009) trimming bounds on the effect among the always observed, the trimmed mean keeping exactly the untrimmed share (the boundary observation weighted fractionally, so ties give the sharp bound); tightened within cells where the table names them (Lee 2009, section 3.3); delta-method SEs (Lee 2009, Proposition 3; with cells, the weights' estimation included; docs/bounds.md) and Imbens & Manski (2004) intervals; the cost per additional success at each bound divides the incremental cost per person offered by the bound.".into());
    }
    if tables.contains_key("indicators") || tables.contains_key("indicator_categories") {
        lines.push(INDICATOR_METHODS.into());
    }
    lines.push(
        "Disclosure control: a count of fewer persons than the masking threshold (and, unless the study says otherwise, a zero) is shown as <k, with the statistics of those persons left empty; a count from which a masked one would follow by adding or subtracting published counts, in any table, is shown as x (at least k), with the shares or means that would give it (docs/disclosure-control.md). No personal identifier appears in the report."
            .into(),
    );
    lines
}

/// The methods sentence of the indicators with targets (docs/targets.md).
pub const INDICATOR_METHODS: &str = "Indicators with targets: shares with exact Clopper–Pearson (1934) intervals and one-sided exact binomial tests against each target (binom.test); with clusters also the CR2 one-sample mean with Bell–McCaffrey df (lm_robust(y ~ 1, clusters)); text outcomes by arm with Pearson's chi-square test without continuity correction and Fisher's exact test by complete enumeration of the tables with the observed margins (Freeman & Halton 1951) (docs/targets.md).";

/// The methods sentence of the wild cluster bootstrap (its parts separated by "; ", which none of
/// them holds, so that the Swedish phrase table finds each part).
fn wild_line(w: &crate::settings::analysis::WildSettings) -> String {
    use crate::estimate::wild::{WildNull, WildWeights};
    let residuals = match w.null {
        WildNull::Impose => "restricted (the null of no effect imposed, WCR)",
        WildNull::Free => "unrestricted (WCU)",
    };
    let weights = match w.weights {
        WildWeights::Rademacher => {
            "Rademacher weights (every one of the 2^G sign vectors enumerated, deterministically, when 2^G is at most the number of draws)"
        }
        WildWeights::Webb => "Webb's six-point weights",
        WildWeights::Mammen => "Mammen's two-point weights",
        WildWeights::Normal => "standard normal weights",
    };
    format!(
        "Wild cluster bootstrap of every regression row, {} draws by cluster on the CR1 t statistic: {residuals}; {weights}; two-sided symmetric p-value and an interval by test inversion (Roodman, MacKinnon, Nielsen & Webb 2019; the conventions of boottest and fwildclusterboot).",
        w.draws
    )
}

/// The survival analysis as it was computed (docs/survival.md has every formula).
fn survival_lines(s: &SurvivalRecord) -> Vec<String> {
    let mut lines = Vec::new();
    let event = match &s.cause {
        Some(c) => format!(
            "the event is the exit `{c}` in `{}`; other exits censor the Kaplan–Meier curves \
             and compete in the cumulative incidence",
            s.event
        ),
        None => format!("`{}` 0 = censored, 1 = event", s.event),
    };
    let strata = if s.strata.is_empty() {
        String::new()
    } else {
        format!(", stratified by {}", s.strata.join(" × "))
    };
    let tau = match s.tau {
        Some(t) => format!("τ = {t}"),
        None => "τ by survRM2's default (the smallest of the arms' largest observed times)".into(),
    };
    lines.push(format!(
        "Time to event: `{}` from randomization ({event}){}. Kaplan–Meier with Greenwood SE and log-scale {:.0}% intervals (survival::survfit); log-rank test (survdiff, rho = 0){strata}; restricted mean survival time to {tau} with survRM2's variance, its difference (days without the event saved) and ratio between arms (Uno et al. 2014); Cox hazard ratio with Efron ties and {} SE (coxph){strata}.",
        s.time,
        s.by
            .as_ref()
            .map_or(String::new(), |b| format!(", overall and by `{b}`")),
        s.level * 100.0,
        match &s.cluster {
            Some(c) => format!("cluster-robust (by `{c}`)"),
            None => "robust".to_string(),
        },
    ));
    if s.cause.is_some() {
        lines.push(format!(
            "Competing exits: Aalen–Johansen cumulative incidence of every exit with cmprsk::cuminc's variance, and Gray's (1988) test{strata}."
        ));
    }
    if let Some(r) = s.ri_draws.filter(|&r| r > 0) {
        lines.push(format!(
            "Randomization inference for the log-rank statistic and the RMST difference: {r} re-runs of the study's own assignment from its ledger."
        ));
    }
    lines
}

/// The record of how a report folder's results were computed (`settings.json`).
pub const SETTINGS_FILE: &str = "settings.json";

/// Read the record of an earlier run; None when the folder predates it.
pub fn read_methods(folder: &Path) -> Result<Option<Methods>> {
    let path = folder.join(SETTINGS_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(|e| {
            Error::data(
                Location::file(&path).with_line(e.line() as u64),
                format!("not lotta's record of a run: {e}"),
            )
            .with_hint("re-run `lotta run` to write it again")
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

/// Read the tidy tables of a report folder (`tables/*.csv`).
pub fn read_tables(folder: &Path) -> Result<Tables> {
    let dir = folder.join("tables");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    names.sort();
    let mut tables = Tables::new();
    for path in names {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let frame: Frame = from_csv(&bytes).map_err(|e| {
            Error::data(
                Location::file(&path),
                format!("not a table of lotta's: {e}"),
            )
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        tables.insert(name, frame);
    }
    Ok(tables)
}

/// Write the report (HTML, Markdown, figures, Markdown tables) and the manifest into `staged`,
/// whose `tables/*.csv` are already written.
pub fn write_report(
    staged: &ReportFolder,
    study: &Study,
    context: &ReportSettings,
    methods: &Methods,
    inputs: &[FileHash],
) -> Result<()> {
    // Disclosure control over all tables at once (report::mask), before anything is published.
    let mut tables = read_tables(staged.staging())?;
    crate::report::mask::protect(&mut tables, &context.disclosure_rule());
    for (name, frame) in &tables {
        staged.write(&format!("tables/{name}.csv"), &crate::export::to_csv(frame))?;
    }
    let mut record = serde_json::to_vec_pretty(methods).unwrap_or_default();
    record.push(b'\n');
    staged.write(SETTINGS_FILE, &record)?;
    let input_hashes: Vec<FileHash> = inputs
        .iter()
        .map(|h| FileHash {
            path: display_path(study, Path::new(&h.path)),
            sha256: h.sha256.clone(),
        })
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    let mut manifest_text = format!(
        "lotta {version}\nseed {}\ninputs (SHA-256):\n",
        study.seed()
    );
    for h in &input_hashes {
        manifest_text.push_str(&format!("  {}  {}\n", h.sha256, h.path));
    }
    let report_context = ReportContext {
        title: context.report.title.clone(),
        subtitle: study.spec.study.description.clone(),
        arms: context.arms.clone(),
        control: context.control.clone(),
        design: design_lines(methods),
        methods: method_lines(methods, &tables),
        primary_outcome: context.report.primary_outcome.clone(),
        horizons: context.report.horizons.clone(),
        horizons_in_days: context.report.horizons_in_days,
        split: context.report.split.clone(),
        labels: context.report.labels.clone(),
        outcome_label: context.report.outcome_label.clone(),
        participation: methods.participation.clone(),
        mask_below: context.mask_below,
        few_clusters: context.few_clusters,
        manifest: manifest_text.trim_end().to_string(),
        language: context.report.language,
        currency: context.report.currency,
    };
    let files = build(&report_context, &tables)?;
    for (name, bytes) in &files {
        staged.write(name, bytes)?;
    }
    // The manifest: every file of the folder with its hash and the inputs it came from.
    let mut names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    names.extend(tables.keys().map(|t| format!("tables/{t}.csv")));
    names.push(SETTINGS_FILE.to_string());
    names.sort();
    let mut manifest = Manifest::default();
    for name in names {
        let bytes = std::fs::read(staged.staging().join(&name))
            .map_err(|e| Error::io(staged.staging().join(&name), e))?;
        manifest.files.insert(
            name,
            Entry {
                lotta_version: version.to_string(),
                command: format!("lotta run (study `{}`)", study.name()),
                seed: Some(study.seed()),
                inputs: input_hashes.clone(),
                sha256: sha256_hex(&bytes),
            },
        );
    }
    staged.write(MANIFEST_FILE, &to_bytes(&manifest))?;
    Ok(())
}
