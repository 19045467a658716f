//! Synthetic studies from a declared data-generating process (`[simulate]`): participants,
//! their assignment (by `lotta assign`'s algorithm), outcomes over the horizons, costs. Pure: no files, no clock.
//!
//! The latent model (written out in docs and in `studies/md1-demo/study.toml`):
//! for person i of gender g at site s and horizon h, the probability of work or studies
//! without the programme is
//!   p0(i,h) = clamp(base(g,h) · (1 + site(s)) · (1 + Σ_k β_k (x_ik − E[x_k | g])), 0, 1),
//! with site effects centred by size, so E[p0 | g, h] = base(g,h) whenever nothing is clamped.
//! A person taking part in arm a has p1 = clamp(p0 + itt(a,g,h) / take_up(a), 0, 1); take-up
//! is independent of the potential outcomes, so the ITT of the offer is itt(a,g,h).
//! Each person has one latent uniform U_i (a persistent propensity to work): in work or studies
//! at h when U_i < p(i,h). Those who would be in work anyway get subsidized / unsubsidized /
//! studies with the declared split; those in work only because of the programme
//! (p0 ≤ U_i < p1) are in subsidized work, so the whole effect is on subsidized employment.
//! Every person uses the same number of draws whatever the arm, so potential outcomes do not
//! depend on the assignment.

pub mod dates;
pub mod dgp;
pub mod render;

pub use dgp::Dgp;

use crate::design::plan::{AssignmentPlan, intern, strata_codes};
use crate::design::{AssignmentMethod, Design, DesignInput, Misfits};
use crate::error::{Error, Result};
use crate::rng::Stream;
use dgp::{AGE_BANDS, EDUCATION_LEVELS};

/// The named random streams of one simulated study: `simulate/<prefix><name>` of the seed.
/// Power by simulation gives replicate r the prefix `rep=r/`.
#[derive(Debug, Clone)]
pub struct Streams {
    seed: u64,
    prefix: String,
}

impl Streams {
    pub fn new(seed: u64) -> Streams {
        Streams {
            seed,
            prefix: String::new(),
        }
    }

    /// The streams of replicate `r` of a simulation study.
    pub fn replicate(seed: u64, r: usize) -> Streams {
        Streams {
            seed,
            prefix: format!("rep={r}/"),
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream prefix of the assignment: `assign` for the study itself (so it equals what
    /// `lotta assign` draws with the seed), `simulate/rep=r/assign` for replicate r.
    pub fn assignment_prefix(&self) -> String {
        if self.prefix.is_empty() {
            "assign".to_string()
        } else {
            format!("simulate/{}assign", self.prefix)
        }
    }

    pub fn stream(&self, name: &str) -> Stream {
        Stream::new(self.seed, &format!("simulate/{}{name}", self.prefix))
    }
}

/// One synthetic participant. `gender` is 0 for women (F), 1 for men (M).
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub site: usize,
    pub municipality: String,
    pub gender: usize,
    pub age: u32,
    pub education_years: u32,
    pub education_level: usize,
    pub months_in_sweden: u32,
    pub far: bool,
    /// Days since 1970-01-01.
    pub enrolled_on: i64,
}

impl Person {
    pub fn gender_code(&self) -> &'static str {
        dgp::GENDERS[self.gender]
    }
    pub fn age_band(&self) -> &'static str {
        let a = i64::from(self.age);
        AGE_BANDS
            .iter()
            .find(|(_, lo, hi)| (*lo..=*hi).contains(&a))
            .map_or("55-64", |b| b.0)
    }
    pub fn education_level_name(&self) -> &'static str {
        EDUCATION_LEVELS[self.education_level].0
    }
}

/// Participants in order of enrolment (ids follow that order).
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub people: Vec<Person>,
}

/// Draw an index from shares summing to 1 (the last category takes any rounding remainder).
fn categorical(stream: &mut Stream, shares: &[f64]) -> usize {
    let u = stream.unit();
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s;
        if u < acc {
            return i;
        }
    }
    shares.len().saturating_sub(1)
}

/// A whole number uniform on lo..=hi.
fn uniform_int(stream: &mut Stream, lo: i64, hi: i64) -> i64 {
    lo + stream.below((hi - lo + 1).max(1) as u64) as i64
}

/// Whole counts in proportion to `shares` summing to `n` (largest remainder; ties to the
/// earlier entry).
pub fn allocate(n: usize, shares: &[f64]) -> Vec<usize> {
    let exact: Vec<f64> = shares.iter().map(|s| s * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut left = n.saturating_sub(counts.iter().sum());
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(shares.len() * 2) {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

/// Draw `n` participants: sites in proportion to their sizes, then each person's gender,
/// age, education, months in Sweden, distance, municipality and enrolment day from the
/// stream `participants`; sorted by enrolment day and numbered in that order.
pub fn simulate_participants(dgp: &Dgp, n: usize, streams: &Streams) -> Cohort {
    let mut stream = streams.stream("participants");
    let shares: Vec<f64> = dgp.sites.iter().map(|s| s.share).collect();
    let counts = allocate(n, &shares);
    let mut people = Vec::with_capacity(n);
    for (site, &count) in counts.iter().enumerate() {
        let s = &dgp.sites[site];
        for _ in 0..count {
            let gender = usize::from(!stream.bernoulli(dgp.share_women));
            let band = categorical(&mut stream, &dgp.age_band_shares);
            let age = uniform_int(&mut stream, AGE_BANDS[band].1, AGE_BANDS[band].2);
            let level = categorical(&mut stream, &dgp.education_shares[gender]);
            let years = uniform_int(
                &mut stream,
                EDUCATION_LEVELS[level].1,
                EDUCATION_LEVELS[level].2,
            );
            let months = uniform_int(&mut stream, dgp.months_min, dgp.months_max);
            let far = stream.bernoulli(dgp.far_share[gender]);
            let m = stream.below(s.municipalities.len() as u64) as usize;
            let day = uniform_int(&mut stream, dgp.enrol_start, dgp.enrol_end);
            people.push(Person {
                id: String::new(),
                site,
                municipality: s.municipalities.get(m).cloned().unwrap_or_default(),
                gender,
                age: age as u32,
                education_years: years as u32,
                education_level: level,
                months_in_sweden: months as u32,
                far,
                enrolled_on: day,
            });
        }
    }
    people.sort_by_key(|p| p.enrolled_on);
    let width = n.to_string().len().max(5);
    for (i, p) in people.iter_mut().enumerate() {
        p.id = format!("P{:0width$}", i + 1);
    }
    Cohort { people }
}

/// Who is in which arm, with the stratum and the probability of the arm received.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedAssignment {
    pub arms: Vec<String>,
    pub control: usize,
    /// Arm index of each participant (same order as `Cohort::people`).
    pub arm: Vec<usize>,
    pub stratum: Vec<String>,
    pub probability: Vec<f64>,
}

/// Days per enrolment wave. Participants enrolled in the same wave are assigned together as one
/// batch of rolling enrolment, as if `lotta assign` were run once per half year.
pub const WAVE_DAYS: i64 = 183;

/// The enrolment wave (batch, from 1) of each participant.
pub fn waves(dgp: &Dgp, participants: &Cohort) -> Vec<u32> {
    participants
        .people
        .iter()
        .map(|p| ((p.enrolled_on - dgp.enrol_start).max(0) / WAVE_DAYS) as u32 + 1)
        .collect()
}

impl Dgp {
    /// Assign simulated participants with `design` (the study's `[design]`).
    pub fn with_design(mut self, design: Design) -> Dgp {
        self.design = Some(design);
        self
    }

    /// The design used: the study's, or complete randomization within the `[simulate]` strata
    /// at the `[simulate]` ratio with misfits drawn by ratio (randtreat's `wstrata`).
    pub fn design(&self, seed: u64) -> Result<Design> {
        if let Some(d) = &self.design {
            return Ok(d.clone());
        }
        let mut strata = Vec::new();
        if self.strata_site {
            strata.push("site".to_string());
        }
        if self.strata_gender {
            strata.push("gender".to_string());
        }
        Design::new(DesignInput {
            arms: self
                .arms
                .iter()
                .map(|a| (a.name.clone(), a.ratio))
                .collect(),
            control: self.arms.get(self.control).map(|a| a.name.clone()),
            strata,
            cluster: None,
            method: Some(AssignmentMethod::Complete),
            block_sizes: Vec::new(),
            misfits: Some(Misfits::Wstrata),
            seed,
            id: "person_id".to_string(),
        })
        .map_err(|e| Error::compute(format!("simulate design `{}`: {}", e.key, e.message)))
    }
}

/// A participant characteristic by the participants.csv column name (for strata and clusters).
pub fn characteristic(dgp: &Dgp, person: &Person, column: &str) -> Option<String> {
    Some(match column {
        "site" => dgp.sites.get(person.site)?.name.clone(),
        "municipality" => person.municipality.clone(),
        "gender" => person.gender_code().to_string(),
        "age_band" => person.age_band().to_string(),
        "education_level" => person.education_level_name().to_string(),
        "distance" => if person.far { "far" } else { "near" }.to_string(),
        _ => return None,
    })
}

/// The assignment plan of the simulated participants: `lotta assign`'s algorithm with the
/// design's strata (and clusters), each participant in the batch of their enrolment wave.
pub fn plan(dgp: &Dgp, participants: &Cohort, design: &Design) -> Result<AssignmentPlan> {
    let column = |name: &str| -> Result<Vec<String>> {
        participants
            .people
            .iter()
            .map(|p| {
                characteristic(dgp, p, name).ok_or_else(|| {
                    Error::compute(format!(
                        "the design uses column `{name}`, which simulated participants do not have; \
                         expected one of site, municipality, gender, age_band, education_level, distance"
                    ))
                })
            })
            .collect()
    };
    let strata_columns: Vec<(String, Vec<String>)> = design
        .strata
        .iter()
        .map(|s| Ok((s.clone(), column(s)?)))
        .collect::<Result<_>>()?;
    let borrowed: Vec<(&str, &[String])> = strata_columns
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let n = participants.people.len();
    let (codes, keys) = strata_codes(&borrowed, n);
    let cluster = match &design.cluster {
        Some(c) => Some(intern(&column(c)?)),
        None => None,
    };
    let ids: Vec<&str> = participants.people.iter().map(|p| p.id.as_str()).collect();
    AssignmentPlan::new(
        design,
        &ids,
        (&codes, &keys),
        cluster.as_ref().map(|(c, v)| (c.as_slice(), v.as_slice())),
        &waves(dgp, participants),
    )
    .map_err(|e| Error::compute(format!("cannot plan the simulated assignment: {e:?}")))
}

/// THE assignment step of `lotta simulate` and of power by simulation: the real algorithm of
/// `lotta assign` (docs/randomization.md) with the study's design, by enrolment wave. For the
/// simulated study itself (`Streams::new(seed)`) it draws exactly what `lotta assign` draws
/// with the same seed; replicate r of power by simulation uses its own streams.
pub fn assign(dgp: &Dgp, participants: &Cohort, streams: &Streams) -> Result<SimulatedAssignment> {
    let design = dgp.design(streams.seed)?;
    // Arms of the design by their index in the data-generating process.
    let arm_map: Vec<usize> =
        design
            .arms
            .iter()
            .map(|a| {
                dgp.arms.iter().position(|d| d.name == a.name).ok_or_else(|| {
                Error::compute(format!(
                    "arm `{}` of [design] has no effects in [simulate]; the arms must match",
                    a.name
                ))
            })
            })
            .collect::<Result<_>>()?;
    let plan = plan(dgp, participants, &design)?;
    let drawn = plan.draw(streams.seed, &streams.assignment_prefix());
    let k = design.arms.len();
    let probabilities = plan.probabilities();
    let mut arm = Vec::with_capacity(drawn.len());
    let mut probability = Vec::with_capacity(drawn.len());
    for (u, &a) in drawn.iter().enumerate() {
        let Some(&mapped) = arm_map.get(a as usize) else {
            return Err(Error::compute(
                "a simulated participant was left unassigned (misfits policy `missing`); \
                 use another misfits policy or method `blocks` for simulation",
            ));
        };
        arm.push(mapped);
        probability.push(
            probabilities
                .get(u * k + a as usize)
                .copied()
                .unwrap_or(f64::NAN),
        );
    }
    let stratum = (0..drawn.len())
        .map(|u| plan.stratum_of(u).to_string())
        .collect();
    Ok(SimulatedAssignment {
        arms: dgp.arms.iter().map(|a| a.name.clone()).collect(),
        control: dgp.control,
        arm,
        stratum,
        probability,
    })
}

/// What a person is doing at a horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Nothing,
    Subsidized,
    Unsubsidized,
    Studies,
}

/// One person's simulated outcomes and costs.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonOutcome {
    pub took_part: bool,
    /// Activity at each horizon; None when lost to follow-up by then.
    pub activity: Vec<Option<Activity>>,
    /// First day in work or studies; None when censored.
    pub days_to_first_job: Option<u32>,
    pub followup_days: u32,
    pub cost_sek: f64,
    pub income_support_months: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcomes {
    pub people: Vec<PersonOutcome>,
}

/// p0(i,h): the probability of work or studies without the programme (see the module notes).
pub fn control_probability(dgp: &Dgp, person: &Person, h: usize) -> f64 {
    let g = person.gender;
    let site = dgp.sites.get(person.site).map_or(0.0, |s| s.effect);
    let index = dgp.effect_age * (f64::from(person.age) - dgp.expected_age())
        + dgp.effect_education * (f64::from(person.education_years) - dgp.expected_education(g))
        + dgp.effect_months * (f64::from(person.months_in_sweden) - dgp.expected_months())
        + dgp.effect_far * (f64::from(u8::from(person.far)) - dgp.far_share[g]);
    (dgp.base_rate[g][h] * (1.0 + site) * (1.0 + index)).clamp(0.0, 1.0)
}

/// p1(i,h) for someone taking part in arm `arm`.
pub fn participant_probability(dgp: &Dgp, person: &Person, arm: usize, h: usize) -> f64 {
    let a = &dgp.arms[arm];
    let p0 = control_probability(dgp, person, h);
    if a.take_up <= 0.0 {
        return p0;
    }
    (p0 + a.itt[person.gender][h] / a.take_up).clamp(0.0, 1.0)
}

/// The expected effect of offering arm `arm` to this person at horizon `h` (given covariates):
/// take_up · (p1 − p0). Its mean over people is the true ITT the estimators target.
pub fn expected_itt(dgp: &Dgp, person: &Person, arm: usize, h: usize) -> f64 {
    let a = &dgp.arms[arm];
    a.take_up * (participant_probability(dgp, person, arm, h) - control_probability(dgp, person, h))
}

/// Simulate outcomes and costs given the participants and their arms (stream `outcomes`,
/// a fixed number of draws per person in person order).
pub fn simulate_outcomes(
    dgp: &Dgp,
    participants: &Cohort,
    assignment: &SimulatedAssignment,
    streams: &Streams,
) -> Result<Outcomes> {
    if assignment.arm.len() != participants.people.len() {
        return Err(Error::compute(format!(
            "{} participants but {} assignments",
            participants.people.len(),
            assignment.arm.len()
        )));
    }
    let nh = dgp.horizons.len();
    let mid = nh / 2;
    let mut stream = streams.stream("outcomes");
    let mut people = Vec::with_capacity(participants.people.len());
    let mut p = vec![0.0; nh];
    for (person, &arm) in participants.people.iter().zip(&assignment.arm) {
        // Fixed draws: take-up, latent U, split per horizon, attrition and loss day, cost,
        // income-support months.
        let t = stream.unit();
        let u = stream.unit();
        let v: Vec<f64> = (0..nh).map(|_| stream.unit()).collect();
        let w = stream.unit();
        let loss = stream.unit();
        let z = stream.normal();
        let months: Vec<f64> = (0..dgp.support_months).map(|_| stream.unit()).collect();

        let a = dgp
            .arms
            .get(arm)
            .ok_or_else(|| Error::compute("unknown arm index"))?;
        let took_part = arm != dgp.control && t < a.take_up;
        for (h, ph) in p.iter_mut().enumerate() {
            *ph = if took_part {
                participant_probability(dgp, person, arm, h)
            } else {
                control_probability(dgp, person, h)
            };
        }
        // Attrition: lost before horizon k when w < attrition[k]; last day seen in
        // [h(k−1), h(k) − 1].
        let lost_at = dgp.attrition.iter().position(|&l| w < l);
        let followup_days = match lost_at {
            None => dgp.horizons[nh - 1],
            Some(k) => {
                let from = if k == 0 { 0 } else { dgp.horizons[k - 1] };
                let span = dgp.horizons[k] - from;
                from + ((loss * f64::from(span)).floor() as u32).min(span - 1)
            }
        };
        let mut activity = Vec::with_capacity(nh);
        for h in 0..nh {
            if lost_at.is_some_and(|k| h >= k) {
                activity.push(None);
                continue;
            }
            let p0 = control_probability(dgp, person, h);
            let act = if u >= p[h] {
                Activity::Nothing
            } else if u >= p0 {
                Activity::Subsidized
            } else {
                match categorical_from(v[h], &dgp.split[h]) {
                    0 => Activity::Subsidized,
                    1 => Activity::Unsubsidized,
                    _ => Activity::Studies,
                }
            };
            activity.push(Some(act));
        }
        // First day in work or studies: the first crossing of U by the piecewise-linear
        // probability curve through (0, 0) and (h_k, p_k).
        let mut days_to_first_job = None;
        let (mut t0, mut p_prev) = (0.0, 0.0);
        for (&ph, &horizon) in p.iter().zip(&dgp.horizons) {
            let t1 = f64::from(horizon);
            if u < ph {
                let frac = if ph > p_prev {
                    ((u - p_prev) / (ph - p_prev)).max(0.0)
                } else {
                    0.0
                };
                let day = (t0 + frac * (t1 - t0)).floor() as u32 + 1;
                days_to_first_job = Some(day.min(horizon));
                break;
            }
            t0 = t1;
            p_prev = ph;
        }
        if days_to_first_job.is_some_and(|d| d > followup_days) {
            days_to_first_job = None;
        }
        let cost_dist = match (took_part, a.programme_cost) {
            (true, Some(c)) => c,
            _ => dgp.ordinary_cost,
        };
        let cost_sek = (cost_dist.mu + cost_dist.sigma * z).exp().round();
        let working = u < p[mid];
        let q = dgp.support_rate[person.gender]
            * (1.0 - dgp.support_reduction * f64::from(u8::from(working)));
        let income_support_months = months.iter().filter(|&&m| m < q).count() as u32;
        people.push(PersonOutcome {
            took_part,
            activity,
            days_to_first_job,
            followup_days,
            cost_sek,
            income_support_months,
        });
    }
    Ok(Outcomes { people })
}

fn categorical_from(u: f64, shares: &[f64; 3]) -> usize {
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s;
        if u < acc {
            return i;
        }
    }
    2
}

/// A person's first exit: the day (1 = the first day after randomization) and the exit's index
/// in `TimeToEvent::causes`, or the last day of follow-up and None when no exit came before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exit {
    pub day: u32,
    pub cause: Option<usize>,
}

/// The stream of the time-to-event part: its own name, so that adding `[simulate.time_to_event]`
/// to a study leaves every other simulated value as it was.
pub const TIME_TO_EVENT_STREAM: &str = "time_to_event";

/// The first exit of every person (`[simulate.time_to_event]`, see [`dgp::TimeToEvent`]): from
/// the stream `time_to_event`, one exponential draw per person and exit in person order (the
/// same draws whatever the arm, so potential outcomes do not depend on the assignment); the
/// exit is the earliest, on day ⌈T⌉ (ties, impossible in practice, to the first exit written);
/// past the end of follow-up the person is censored there.
pub fn simulate_exits(
    dgp: &Dgp,
    participants: &Cohort,
    assignment: &SimulatedAssignment,
    streams: &Streams,
) -> Option<Vec<Exit>> {
    let tte = dgp.time_to_event.as_ref()?;
    let mut stream = streams.stream(TIME_TO_EVENT_STREAM);
    let followup = f64::from(tte.followup);
    let exits = participants
        .people
        .iter()
        .zip(&assignment.arm)
        .map(|(person, &arm)| {
            let mut first: Option<(f64, usize)> = None;
            for cause in 0..tte.causes.len() {
                let rate = tte.rate(arm, cause, person.gender);
                let t = stream.exponential(rate);
                if first.is_none_or(|(f, _)| t < f) {
                    first = Some((t, cause));
                }
            }
            match first {
                Some((t, cause)) if t.ceil() <= followup => Exit {
                    day: (t.ceil() as u32).max(1),
                    cause: Some(cause),
                },
                _ => Exit {
                    day: tte.followup,
                    cause: None,
                },
            }
        })
        .collect();
    Some(exits)
}

/// A whole synthetic study: participants → assignment → outcomes (and exits when the process
/// has a time-to-event part).
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedStudy {
    pub participants: Cohort,
    pub assignment: SimulatedAssignment,
    pub outcomes: Outcomes,
    pub exits: Option<Vec<Exit>>,
}

pub fn simulate_study(dgp: &Dgp, n: usize, streams: &Streams) -> Result<SimulatedStudy> {
    let participants = simulate_participants(dgp, n, streams);
    let assignment = assign(dgp, &participants, streams)?;
    let outcomes = simulate_outcomes(dgp, &participants, &assignment, streams)?;
    let exits = simulate_exits(dgp, &participants, &assignment, streams);
    Ok(SimulatedStudy {
        participants,
        assignment,
        outcomes,
        exits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_sums_to_n_by_largest_remainder() {
        assert_eq!(allocate(10, &[0.5, 0.3, 0.2]), vec![5, 3, 2]);
        // 7 × (1/3, 1/3, 1/3) = 2.33 each: the remainder goes to the earliest.
        assert_eq!(allocate(7, &[1.0 / 3.0; 3]), vec![3, 2, 2]);
        assert_eq!(allocate(0, &[0.4, 0.6]), vec![0, 0]);
        assert_eq!(allocate(5, &[0.0, 1.0]), vec![0, 5]);
    }

    #[test]
    fn streams_of_replicates_differ_and_repeat() {
        let a = Streams::replicate(1, 0).stream("x").next_u64();
        assert_eq!(a, Streams::replicate(1, 0).stream("x").next_u64());
        assert_ne!(a, Streams::replicate(1, 1).stream("x").next_u64());
        assert_ne!(a, Streams::new(1).stream("x").next_u64());
    }
}
