//! Pure assignment: the validated design (arms, ratios, strata, clusters, method, block sizes,
//! misfit policy, seed) and the exact, documented draw procedures (see [`plan`] and
//! `docs/randomization.md`), and the ledger's record format ([`ledger`]). Nothing here reads
//! files; reading and appending ledger files is `io::ledger`'s job.

pub mod enumerate;
pub mod found;
pub mod ids;
pub mod ledger;
pub mod plan;
pub mod prefetch;
pub mod rolling;
#[cfg(test)]
mod unit_tests;

pub use plan::{
    Assignment, AssignmentPlan, MemberAssignment, PlanError, Slot, UNASSIGNED, intern,
    strata_codes, strata_from_codes,
};

use serde::{Deserialize, Serialize};
use std::fmt;

/// How units are assigned within a stratum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssignmentMethod {
    /// Complete randomization: exact arm counts in every stratum (and enrolment batch).
    Complete,
    /// Permuted blocks of randomly drawn sizes per stratum, continued across batches.
    Blocks,
}

impl fmt::Display for AssignmentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AssignmentMethod::Complete => "complete",
            AssignmentMethod::Blocks => "blocks",
        })
    }
}

/// What happens to the units left over when a stratum's size is not a multiple of the sum of
/// the ratios (Carril 2017, Stata's `randtreat, misfits()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Misfits {
    /// Misfits stay unassigned (empty arm in the ledger). randtreat's default.
    Missing,
    /// Within each stratum, misfits get arms with equal weights; arm counts differ by at most 1.
    Strata,
    /// All misfits of a batch pooled; equal weights; arm counts differ by at most 1 overall.
    Global,
    /// Within each stratum, each misfit independently drawn with the arms' ratios as weights.
    Wstrata,
    /// All misfits of a batch pooled and randomized completely with the ratios; the remainder
    /// of that is drawn independently with the ratios as weights.
    Wglobal,
    /// randomizr's `complete_ra` rule (`lotta/assign/v2`): every unit is assigned; arm a gets
    /// ⌊n·rₐ/R⌋ or ⌈n·rₐ/R⌉ units of a stratum-batch of n, with the probabilities that make its
    /// expected count exactly n·rₐ/R, so every unit has probability rₐ/R. The default for
    /// cluster designs (method `complete`), where leaving a misfit out drops a whole cluster.
    Randomizr,
}

impl fmt::Display for Misfits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Misfits::Missing => "missing",
            Misfits::Strata => "strata",
            Misfits::Global => "global",
            Misfits::Wstrata => "wstrata",
            Misfits::Wglobal => "wglobal",
            Misfits::Randomizr => "randomizr",
        })
    }
}

/// One arm and its ratio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arm {
    pub name: String,
    pub ratio: u32,
}

/// A complete, validated assignment design. Built by [`Design::new`], so every value held is
/// usable: at least two arms with distinct non-empty names and positive ratios, block sizes that
/// are multiples of the sum of the (reduced) ratios, a misfit policy only where it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// Arms in the order written; the index of an arm is its number everywhere in the library.
    pub arms: Vec<Arm>,
    /// The comparison arm (default: the last arm).
    pub control: String,
    /// Column names whose value combinations form the strata (empty: one stratum `all`).
    pub strata: Vec<String>,
    /// Column naming the cluster: all members of a cluster share an arm.
    pub cluster: Option<String>,
    pub method: AssignmentMethod,
    /// Block sizes drawn from with equal probability (method `blocks` only; else empty).
    pub block_sizes: Vec<u32>,
    /// Misfit policy (method `complete`; with `blocks` there are no misfits).
    pub misfits: Misfits,
    /// The seed all assignment streams derive from.
    pub seed: u64,
    /// The id column in the participants file.
    pub id: String,
}

/// A design value that cannot be used, naming the design key (`arms`, `block_sizes`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignError {
    pub key: &'static str,
    pub message: String,
}

impl fmt::Display for DesignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

fn bad(key: &'static str, message: impl Into<String>) -> DesignError {
    DesignError {
        key,
        message: message.into(),
    }
}

/// The raw design values, as they come from a spec or flags, before validation.
#[derive(Debug, Clone, Default)]
pub struct DesignInput {
    pub arms: Vec<(String, u32)>,
    pub control: Option<String>,
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    pub method: Option<AssignmentMethod>,
    pub block_sizes: Vec<u32>,
    pub misfits: Option<Misfits>,
    pub seed: u64,
    pub id: String,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Design {
    /// Validate raw values into a design. Defaults: method `complete`, misfits `missing`
    /// (as randtreat) for individuals and `randomizr` for clusters (every cluster assigned;
    /// leaving clusters out takes an explicit `missing`), block sizes (for `blocks`) one and two times the sum of the ratios,
    /// control the last arm.
    pub fn new(input: DesignInput) -> Result<Design, DesignError> {
        if input.arms.len() < 2 {
            return Err(bad(
                "arms",
                format!(
                    "expected at least two arms (e.g. `md1:2,standard:1`), found {}",
                    input.arms.len()
                ),
            ));
        }
        let mut arms = Vec::with_capacity(input.arms.len());
        for (i, (name, ratio)) in input.arms.iter().enumerate() {
            let name = name.trim();
            if name.is_empty() {
                return Err(bad("arms", format!("arm {} has an empty name", i + 1)));
            }
            if arms.iter().any(|a: &Arm| a.name == name) {
                return Err(bad("arms", format!("arm `{name}` is named twice")));
            }
            if *ratio == 0 {
                return Err(bad(
                    "arms",
                    format!("arm `{name}` has ratio 0; expected a whole number of at least 1"),
                ));
            }
            arms.push(Arm {
                name: name.to_string(),
                ratio: *ratio,
            });
        }
        let control = match input.control {
            Some(c) => {
                if !arms.iter().any(|a| a.name == c) {
                    return Err(bad(
                        "control",
                        format!(
                            "`{c}` is not an arm; the arms are {}",
                            arms.iter()
                                .map(|a| a.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                c
            }
            None => arms.last().map(|a| a.name.clone()).unwrap_or_default(),
        };
        for (i, s) in input.strata.iter().enumerate() {
            if s.trim().is_empty() {
                return Err(bad("strata", "a strata column name is empty"));
            }
            if input.strata[..i].contains(s) {
                return Err(bad("strata", format!("column `{s}` is listed twice")));
            }
            if Some(s) == input.cluster.as_ref() {
                return Err(bad(
                    "strata",
                    format!("`{s}` is also the cluster column; clusters are formed within strata"),
                ));
            }
        }
        if input.cluster.as_ref().is_some_and(|c| c.trim().is_empty()) {
            return Err(bad("cluster", "the cluster column name is empty"));
        }
        if input.id.trim().is_empty() {
            return Err(bad("id", "the id column name is empty"));
        }
        let method = input.method.unwrap_or(AssignmentMethod::Complete);
        let g = arms.iter().fold(0, |g, a| gcd(g, a.ratio));
        let total: u32 = arms.iter().map(|a| a.ratio / g).sum();
        let block_sizes = match method {
            AssignmentMethod::Complete => {
                if !input.block_sizes.is_empty() {
                    return Err(bad(
                        "block_sizes",
                        "block sizes apply to method `blocks` only; set `method = \"blocks\"` or remove them",
                    ));
                }
                Vec::new()
            }
            AssignmentMethod::Blocks => {
                if input.misfits.is_some() {
                    return Err(bad(
                        "misfits",
                        "method `blocks` has no misfits (the last block of a stratum may be incomplete); remove `misfits` or use method `complete`",
                    ));
                }
                let sizes = if input.block_sizes.is_empty() {
                    vec![total, 2 * total]
                } else {
                    input.block_sizes.clone()
                };
                for (i, &s) in sizes.iter().enumerate() {
                    if s == 0 || s % total != 0 {
                        return Err(bad(
                            "block_sizes",
                            format!(
                                "block size {s} is not a positive multiple of {total}, the sum of the ratios (reduced)"
                            ),
                        ));
                    }
                    if sizes[..i].contains(&s) {
                        return Err(bad(
                            "block_sizes",
                            format!("block size {s} is listed twice"),
                        ));
                    }
                }
                sizes
            }
        };
        // With blocks the policy is unused, and stays `missing` so that the design file (and
        // the hash chain that starts from it) of a `lotta/assign/v1` ledger never changes.
        let cluster_complete = input.cluster.is_some() && method == AssignmentMethod::Complete;
        let misfits = input.misfits.unwrap_or(if cluster_complete {
            Misfits::Randomizr
        } else {
            Misfits::Missing
        });
        Ok(Design {
            arms,
            control,
            strata: input.strata.iter().map(|s| s.trim().to_string()).collect(),
            cluster: input.cluster.map(|c| c.trim().to_string()),
            method,
            block_sizes,
            misfits,
            seed: input.seed,
            id: input.id.trim().to_string(),
        })
    }

    /// The ratios divided by their greatest common divisor (4:2 assigns like 2:1).
    pub fn reduced_ratios(&self) -> Vec<u32> {
        let g = self.arms.iter().fold(0, |g, a| gcd(g, a.ratio)).max(1);
        self.arms.iter().map(|a| a.ratio / g).collect()
    }

    pub fn arm_names(&self) -> Vec<&str> {
        self.arms.iter().map(|a| a.name.as_str()).collect()
    }

    /// The index of arm `name`.
    pub fn arm_index(&self, name: &str) -> Option<usize> {
        self.arms.iter().position(|a| a.name == name)
    }

    pub fn control_index(&self) -> usize {
        self.arm_index(&self.control).unwrap_or(self.arms.len() - 1)
    }

    /// The first key whose value differs between two designs, with both values as text
    /// (used to refuse a ledger made with another design).
    pub fn first_difference(&self, other: &Design) -> Option<(&'static str, String, String)> {
        let arms = |d: &Design| {
            d.arms
                .iter()
                .map(|a| format!("{}:{}", a.name, a.ratio))
                .collect::<Vec<_>>()
                .join(",")
        };
        let list = |v: &[String]| v.join(",");
        let sizes = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let pairs: [(&'static str, String, String); 9] = [
            ("arms", arms(self), arms(other)),
            ("control", self.control.clone(), other.control.clone()),
            ("strata", list(&self.strata), list(&other.strata)),
            (
                "cluster",
                self.cluster.clone().unwrap_or_default(),
                other.cluster.clone().unwrap_or_default(),
            ),
            ("method", self.method.to_string(), other.method.to_string()),
            (
                "block_sizes",
                sizes(&self.block_sizes),
                sizes(&other.block_sizes),
            ),
            (
                "misfits",
                self.misfits.to_string(),
                other.misfits.to_string(),
            ),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            ("id", self.id.clone(), other.id.clone()),
        ];
        pairs.into_iter().find(|(_, a, b)| a != b)
    }
}

/// Parse `md1:2,standard:1` (a bare name means ratio 1).
pub fn parse_arms(text: &str) -> Result<Vec<(String, u32)>, DesignError> {
    let mut arms = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, ratio) = match part.split_once(':') {
            Some((n, r)) => {
                let ratio = r.trim().parse::<u32>().map_err(|_| {
                    bad(
                        "arms",
                        format!("ratio `{r}` of arm `{n}` is not a whole number"),
                    )
                })?;
                (n.trim().to_string(), ratio)
            }
            None => (part.to_string(), 1),
        };
        arms.push((name, ratio));
    }
    Ok(arms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(arms: &[(&str, u32)]) -> DesignInput {
        DesignInput {
            arms: arms.iter().map(|(n, r)| (n.to_string(), *r)).collect(),
            seed: 1,
            id: "id".into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_and_reduction() {
        let d = Design::new(input(&[("md1", 4), ("standard", 2)])).unwrap();
        assert_eq!(d.reduced_ratios(), vec![2, 1]);
        assert_eq!(d.control, "standard");
        assert_eq!(d.method, AssignmentMethod::Complete);
        assert_eq!(d.misfits, Misfits::Missing);
        let mut i = input(&[("a", 2), ("b", 1)]);
        i.method = Some(AssignmentMethod::Blocks);
        assert_eq!(Design::new(i).unwrap().block_sizes, vec![3, 6]);
    }

    #[test]
    fn impossible_values_name_the_key() {
        assert_eq!(Design::new(input(&[("a", 1)])).unwrap_err().key, "arms");
        let e = Design::new(input(&[("a", 1), ("b", 0)])).unwrap_err();
        assert!(e.message.contains("ratio 0"), "{e}");
        let mut i = input(&[("a", 2), ("b", 1)]);
        i.method = Some(AssignmentMethod::Blocks);
        i.block_sizes = vec![3, 4];
        assert_eq!(Design::new(i).unwrap_err().key, "block_sizes");
        let mut i = input(&[("a", 2), ("b", 1)]);
        i.control = Some("c".into());
        assert_eq!(Design::new(i).unwrap_err().key, "control");
    }

    #[test]
    fn parses_arm_lists() {
        assert_eq!(
            parse_arms("md1:2, standard:1").unwrap(),
            vec![("md1".to_string(), 2), ("standard".to_string(), 1)]
        );
        assert_eq!(parse_arms("a,b").unwrap().len(), 2);
        assert!(parse_arms("a:x").is_err());
    }

    #[test]
    fn first_difference_names_key() {
        let a = Design::new(input(&[("a", 2), ("b", 1)])).unwrap();
        let mut b = a.clone();
        b.seed = 9;
        assert_eq!(a.first_difference(&b).unwrap().0, "seed");
        assert!(a.first_difference(&a).is_none());
    }
}
