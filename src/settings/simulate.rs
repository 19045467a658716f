//! `[simulate]` validated once into the data-generating process ([`Dgp`]): rates in [0, 1],
//! sizes not negative, one value per horizon, known arms; every error names the key.

use crate::error::{Error, Location, Result};
use crate::simulate::dates;
use crate::simulate::dgp::*;
use crate::spec::simulate::{LogNormalSpec, SimulateSpec, TimeToEventSpec};

impl Dgp {
    /// Validate `[simulate]`; `at(key)` gives the location of a dotted key for messages.
    pub fn from_spec(spec: &SimulateSpec, at: &dyn Fn(&str) -> Location) -> Result<Dgp> {
        let bad = |key: &str, msg: String| Error::spec(at(key), msg);
        let default_n = match spec.n {
            None => None,
            Some(n) if n >= 1 => Some(n as usize),
            Some(n) => {
                return Err(bad(
                    "simulate.n",
                    format!("{n} participants: expected a positive whole number"),
                ));
            }
        };
        let horizons: Vec<u32> = match &spec.horizons {
            None => vec![90, 180, 365, 540],
            Some(h) => {
                if h.is_empty() {
                    return Err(bad("simulate.horizons", "no horizon given".into()));
                }
                let mut out = Vec::new();
                for (i, &d) in h.iter().enumerate() {
                    if !(1..=100_000).contains(&d) || (i > 0 && d <= h[i - 1]) {
                        return Err(bad(
                            "simulate.horizons",
                            format!("{d} days: expected increasing positive numbers of days"),
                        ));
                    }
                    out.push(d as u32);
                }
                out
            }
        };
        let nh = horizons.len();
        let rate = |key: &str, x: f64| -> Result<f64> {
            if x.is_finite() && (0.0..=1.0).contains(&x) {
                Ok(x)
            } else {
                Err(bad(
                    key,
                    format!("{x} is not a rate: expected a number in [0, 1]"),
                ))
            }
        };
        let per_horizon = |key: &str, v: &[f64]| -> Result<Vec<f64>> {
            if v.len() != nh {
                return Err(bad(
                    key,
                    format!(
                        "{} values for {nh} horizons: expected one value per horizon ({})",
                        v.len(),
                        join(&horizons)
                    ),
                ));
            }
            Ok(v.to_vec())
        };
        let rates = |key: &str, v: &[f64]| -> Result<Vec<f64>> {
            let v = per_horizon(key, v)?;
            for &x in &v {
                rate(key, x)?;
            }
            Ok(v)
        };
        let share_women = rate("simulate.share_women", spec.share_women)?;

        // Arms.
        if spec.arms.len() < 2 {
            return Err(bad(
                "simulate.arms",
                "expected at least two arms, e.g. { md1 = 2, standard = 1 }".into(),
            ));
        }
        let control = match &spec.control {
            None => spec.arms.len() - 1,
            Some(c) => spec
                .arms
                .get_index_of(c)
                .ok_or_else(|| bad("simulate.control", format!("`{c}` is not one of the arms")))?,
        };
        for name in spec
            .itt
            .keys()
            .chain(spec.take_up.keys())
            .chain(spec.costs.programme.keys())
        {
            if !spec.arms.contains_key(name) {
                let mut e = bad("simulate.arms", format!("`{name}` is used but not an arm"));
                if let Some(s) = crate::error::nearest(name, spec.arms.keys().map(String::as_str)) {
                    e = e.with_hint(format!("did you mean `{s}`?"));
                }
                return Err(e);
            }
        }
        let mut arms = Vec::new();
        for (i, (name, &ratio)) in spec.arms.iter().enumerate() {
            if !(1..=1000).contains(&ratio) {
                return Err(bad(
                    &format!("simulate.arms.{name}"),
                    format!("ratio {ratio}: expected a whole number from 1 to 1000"),
                ));
            }
            let zero = vec![0.0; nh];
            let itt = match spec.itt.get(name) {
                Some(by) => [
                    per_horizon(&format!("simulate.itt.{name}.women"), &by.women)?,
                    per_horizon(&format!("simulate.itt.{name}.men"), &by.men)?,
                ],
                None => [zero.clone(), zero],
            };
            for g in &itt {
                for &x in g {
                    if !(x.is_finite() && (-1.0..=1.0).contains(&x)) {
                        return Err(bad(
                            &format!("simulate.itt.{name}"),
                            format!(
                                "{x} is not a difference of rates: expected a number in [-1, 1]"
                            ),
                        ));
                    }
                }
            }
            let take_up = match spec.take_up.get(name) {
                Some(&t) => rate(&format!("simulate.take_up.{name}"), t)?,
                None if i == control => 0.0,
                None => 1.0,
            };
            if i == control && take_up > 0.0 {
                return Err(bad(
                    &format!("simulate.take_up.{name}"),
                    "the control arm is offered nothing: leave out its take-up".into(),
                ));
            }
            if take_up == 0.0 && itt.iter().flatten().any(|&x| x != 0.0) {
                return Err(bad(
                    &format!("simulate.itt.{name}"),
                    "an arm nobody takes part in cannot have an effect".into(),
                ));
            }
            let programme_cost = match spec.costs.programme.get(name) {
                Some(c) => Some(lognormal(
                    &format!("simulate.costs.programme.{name}"),
                    c,
                    &bad,
                )?),
                None => None,
            };
            arms.push(SimulatedArm {
                name: name.clone(),
                ratio: ratio as u32,
                itt,
                take_up,
                programme_cost,
            });
        }

        let mut strata_site = false;
        let mut strata_gender = false;
        for s in &spec.strata {
            match s.as_str() {
                "site" => strata_site = true,
                "gender" => strata_gender = true,
                other => {
                    return Err(bad(
                        "simulate.strata",
                        format!(
                            "`{other}`: the simulated data can be stratified by `site` and `gender`"
                        ),
                    ));
                }
            }
        }

        let enrol_start = dates::parse_date(&spec.enrolment.start).ok_or_else(|| {
            bad(
                "simulate.enrolment.start",
                format!("`{}`: expected YYYY-MM-DD", spec.enrolment.start),
            )
        })?;
        let enrol_end = dates::parse_date(&spec.enrolment.end).ok_or_else(|| {
            bad(
                "simulate.enrolment.end",
                format!("`{}`: expected YYYY-MM-DD", spec.enrolment.end),
            )
        })?;
        if enrol_end < enrol_start {
            return Err(bad(
                "simulate.enrolment.end",
                "enrolment ends before it starts".into(),
            ));
        }

        let base_rate = [
            rates("simulate.base_rate.women", &spec.base_rate.women)?,
            rates("simulate.base_rate.men", &spec.base_rate.men)?,
        ];
        let sub = rates("simulate.split.subsidized", &spec.split.subsidized)?;
        let uns = rates("simulate.split.unsubsidized", &spec.split.unsubsidized)?;
        let stu = rates("simulate.split.studies", &spec.split.studies)?;
        let mut split = Vec::new();
        for h in 0..nh {
            let total = sub[h] + uns[h] + stu[h];
            if (total - 1.0).abs() > 1e-9 {
                return Err(bad(
                    "simulate.split",
                    format!(
                        "at {} days the shares sum to {total}: expected subsidized + unsubsidized + studies = 1",
                        horizons[h]
                    ),
                ));
            }
            split.push([sub[h], uns[h], stu[h]]);
        }
        let attrition = rates("simulate.attrition", &spec.attrition)?;
        if attrition.windows(2).any(|w| w[1] < w[0]) {
            return Err(bad(
                "simulate.attrition",
                "the cumulative share lost must not fall from one horizon to the next".into(),
            ));
        }

        let age_band_shares = shares(
            "simulate.age_bands",
            &spec.age_bands,
            &AGE_BANDS.map(|b| b.0),
            &bad,
        )?;
        let levels = EDUCATION_LEVELS.map(|l| l.0);
        let education_shares = [
            shares(
                "simulate.education.women",
                &spec.education.women,
                &levels,
                &bad,
            )?,
            shares("simulate.education.men", &spec.education.men, &levels, &bad)?,
        ];
        let (months_min, months_max) = (spec.months_in_sweden.min, spec.months_in_sweden.max);
        if months_min < 0 || months_max < months_min || months_max > 1200 {
            return Err(bad(
                "simulate.months_in_sweden",
                format!("{months_min}..{months_max}: expected 0 ≤ min ≤ max ≤ 1200"),
            ));
        }
        let far_share = [
            rate("simulate.far_share.women", spec.far_share.women)?,
            rate("simulate.far_share.men", spec.far_share.men)?,
        ];
        let e = &spec.effects;
        for (key, x) in [
            ("simulate.effects.age", e.age),
            ("simulate.effects.education_years", e.education_years),
            ("simulate.effects.months_in_sweden", e.months_in_sweden),
            ("simulate.effects.far", e.far),
        ] {
            if !x.is_finite() || x.abs() > 1.0 {
                return Err(bad(
                    key,
                    format!("{x}: expected a relative effect in [-1, 1]"),
                ));
            }
        }

        if spec.sites.is_empty() {
            return Err(bad("simulate.sites", "no site given".into()));
        }
        let mut total_size = 0.0;
        for (i, s) in spec.sites.iter().enumerate() {
            let key = format!("simulate.sites[{}].size", i + 1);
            if !s.size.is_finite() || s.size < 0.0 {
                return Err(bad(
                    &key,
                    format!("{}: a size must not be negative", s.size),
                ));
            }
            if s.municipalities.is_empty() {
                return Err(bad(
                    &format!("simulate.sites[{}].municipalities", i + 1),
                    format!("site `{}` has no municipality", s.name),
                ));
            }
            if !s.effect.is_finite() || s.effect.abs() >= 1.0 {
                return Err(bad(
                    &format!("simulate.sites[{}].effect", i + 1),
                    format!("{}: expected a relative effect in (-1, 1)", s.effect),
                ));
            }
            if spec.sites[..i].iter().any(|t| t.name == s.name) {
                return Err(bad(
                    &format!("simulate.sites[{}].name", i + 1),
                    format!("site `{}` is named twice", s.name),
                ));
            }
            total_size += s.size;
        }
        if total_size <= 0.0 {
            return Err(bad("simulate.sites", "all sites have size 0".into()));
        }
        // Centre the site effects by size, so the declared base rates are the population means.
        let mean_effect: f64 =
            spec.sites.iter().map(|s| s.size * s.effect).sum::<f64>() / total_size;
        let sites = spec
            .sites
            .iter()
            .map(|s| Site {
                name: s.name.clone(),
                municipalities: s.municipalities.clone(),
                share: s.size / total_size,
                effect: s.effect - mean_effect,
            })
            .collect();

        let ordinary_cost = lognormal("simulate.costs.ordinary", &spec.costs.ordinary, &bad)?;
        let is = &spec.income_support;
        if !(1..=120).contains(&is.months) {
            return Err(bad(
                "simulate.income_support.months",
                format!("{}: expected 1 to 120 months", is.months),
            ));
        }
        let support_rate = [
            rate(
                "simulate.income_support.monthly_rate.women",
                is.monthly_rate.women,
            )?,
            rate(
                "simulate.income_support.monthly_rate.men",
                is.monthly_rate.men,
            )?,
        ];
        let support_reduction = rate(
            "simulate.income_support.reduction_if_working",
            is.reduction_if_working,
        )?;

        let time_to_event = spec
            .time_to_event
            .as_ref()
            .map(|t| time_to_event(t, &spec.arms, horizons[nh - 1], &bad))
            .transpose()?;

        Ok(Dgp {
            default_n,
            horizons,
            share_women,
            arms,
            control,
            strata_site,
            strata_gender,
            enrol_start,
            enrol_end,
            base_rate,
            split,
            attrition,
            age_band_shares,
            education_shares,
            months_min,
            months_max,
            far_share,
            effect_age: e.age,
            effect_education: e.education_years,
            effect_months: e.months_in_sweden,
            effect_far: e.far,
            sites,
            ordinary_cost,
            support_months: is.months as u32,
            support_rate,
            support_reduction,
            time_to_event,
            design: None,
        })
    }
}

/// `[simulate.time_to_event]` checked: exit names that cannot be taken for the censoring code,
/// daily hazards in (0, 1], hazard ratios finite and ≥ 0 for known arms and exits, follow-up a
/// positive number of days.
fn time_to_event(
    spec: &TimeToEventSpec,
    arms: &indexmap::IndexMap<String, i64>,
    last_horizon: u32,
    bad: &dyn Fn(&str, String) -> Error,
) -> Result<TimeToEvent> {
    const KEY: &str = "simulate.time_to_event";
    let followup = match spec.followup {
        None => last_horizon,
        Some(d) if (1..=100_000).contains(&d) => d as u32,
        Some(d) => {
            return Err(bad(
                &format!("{KEY}.followup"),
                format!("{d} days: expected a positive whole number of days"),
            ));
        }
    };
    if spec.hazard.is_empty() {
        return Err(bad(
            &format!("{KEY}.hazard"),
            "no exit given: expected e.g. { work = { women = 0.0006, men = 0.0011 } }".into(),
        ));
    }
    let mut causes = Vec::new();
    let mut hazard = Vec::new();
    for (name, by) in &spec.hazard {
        let key = format!("{KEY}.hazard.{name}");
        if name.trim().is_empty() || name.trim() != name || name.parse::<f64>().is_ok() {
            return Err(bad(
                &key,
                format!(
                    "`{name}` cannot name an exit: the event column holds 0 for censored and                      the exit's name otherwise, so a name must be a word such as `work`"
                ),
            ));
        }
        let mut pair = [0.0; 2];
        for (g, (label, x)) in [("women", by.women), ("men", by.men)]
            .into_iter()
            .enumerate()
        {
            if !(x.is_finite() && x > 0.0 && x <= 1.0) {
                return Err(bad(
                    &format!("{key}.{label}"),
                    format!("{x} is not a daily hazard: expected a number in (0, 1]"),
                ));
            }
            pair[g] = x;
        }
        causes.push(name.clone());
        hazard.push(pair);
    }
    for (arm, by_cause) in &spec.hazard_ratio {
        if !arms.contains_key(arm) {
            let mut e = bad(
                &format!("{KEY}.hazard_ratio"),
                format!("`{arm}` is not an arm"),
            );
            if let Some(s) = crate::error::nearest(arm, arms.keys().map(String::as_str)) {
                e = e.with_hint(format!("did you mean `{s}`?"));
            }
            return Err(e);
        }
        for (cause, by) in by_cause {
            let key = format!("{KEY}.hazard_ratio.{arm}.{cause}");
            if !causes.contains(cause) {
                let mut e = bad(&key, format!("`{cause}` is not an exit in [{KEY}] hazard"));
                if let Some(s) = crate::error::nearest(cause, causes.iter().map(String::as_str)) {
                    e = e.with_hint(format!("did you mean `{s}`?"));
                }
                return Err(e);
            }
            for (label, x) in [("women", by.women), ("men", by.men)] {
                if !(x.is_finite() && (0.0..=1000.0).contains(&x)) {
                    return Err(bad(
                        &format!("{key}.{label}"),
                        format!("{x} is not a hazard ratio: expected a number in [0, 1000]"),
                    ));
                }
            }
        }
    }
    let hazard_ratio = arms
        .keys()
        .map(|arm| {
            causes
                .iter()
                .map(|cause| {
                    spec.hazard_ratio
                        .get(arm)
                        .and_then(|by_cause| by_cause.get(cause))
                        .map_or([1.0, 1.0], |by| [by.women, by.men])
                })
                .collect()
        })
        .collect();
    Ok(TimeToEvent {
        followup,
        causes,
        hazard,
        hazard_ratio,
    })
}

fn join(h: &[u32]) -> String {
    h.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

fn lognormal(
    key: &str,
    c: &LogNormalSpec,
    bad: &dyn Fn(&str, String) -> Error,
) -> Result<LogNormal> {
    if !(c.mean.is_finite() && c.mean > 0.0) {
        return Err(bad(
            &format!("{key}.mean"),
            format!("{}: expected a positive cost", c.mean),
        ));
    }
    if !(c.cv.is_finite() && c.cv >= 0.0 && c.cv <= 10.0) {
        return Err(bad(
            &format!("{key}.cv"),
            format!("{}: expected a coefficient of variation in [0, 10]", c.cv),
        ));
    }
    Ok(LogNormal::new(c.mean, c.cv))
}

/// Shares over fixed categories: every category present, each in [0, 1], summing to 1.
fn shares<const K: usize>(
    key: &str,
    given: &indexmap::IndexMap<String, f64>,
    names: &[&str; K],
    bad: &dyn Fn(&str, String) -> Error,
) -> Result<[f64; K]> {
    for k in given.keys() {
        if !names.contains(&k.as_str()) {
            return Err(bad(
                key,
                format!("unknown category `{k}`: expected {}", names.join(", ")),
            ));
        }
    }
    let mut out = [0.0; K];
    for (i, name) in names.iter().enumerate() {
        let x = *given
            .get(*name)
            .ok_or_else(|| bad(key, format!("missing the share of `{name}`")))?;
        if !(x.is_finite() && (0.0..=1.0).contains(&x)) {
            return Err(bad(
                &format!("{key}.{name}"),
                format!("{x} is not a rate: expected a number in [0, 1]"),
            ));
        }
        out[i] = x;
    }
    let total: f64 = out.iter().sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(bad(key, format!("the shares sum to {total}: expected 1")));
    }
    Ok(out)
}
