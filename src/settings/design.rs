//! The assignment design and the files it works on, from `[design]`, `[data]` and `[study]` with
//! the flags of `lotta assign`/`verify` over them, resolved once (`lotta assign`, `verify`,
//! `balance`, `simulate`, `run`).

use super::{Choice, Layers, Origin};
use crate::design::ledger::LedgerFormat;
use crate::design::{AssignmentMethod, Design, DesignError, DesignInput, Misfits, parse_arms};
use crate::error::{Error, Result};
use crate::spec::Study;
use std::path::PathBuf;

impl Choice for AssignmentMethod {
    const WHAT: &'static str = "assignment method";
    const WORDS: &'static [(&'static str, AssignmentMethod)] = &[
        ("complete", AssignmentMethod::Complete),
        ("blocks", AssignmentMethod::Blocks),
    ];
}

impl Choice for Misfits {
    const WHAT: &'static str = "misfit policy";
    const WORDS: &'static [(&'static str, Misfits)] = &[
        ("missing", Misfits::Missing),
        ("strata", Misfits::Strata),
        ("global", Misfits::Global),
        ("wstrata", Misfits::Wstrata),
        ("wglobal", Misfits::Wglobal),
        ("randomizr", Misfits::Randomizr),
    ];
}

impl Choice for LedgerFormat {
    const WHAT: &'static str = "ledger format";
    const WORDS: &'static [(&'static str, LedgerFormat)] = &[
        ("v2", LedgerFormat::V2),
        ("2", LedgerFormat::V2),
        ("lotta-ledger/2", LedgerFormat::V2),
        ("v1", LedgerFormat::V1),
        ("1", LedgerFormat::V1),
        ("lotta-ledger/1", LedgerFormat::V1),
    ];
}

/// The design flags as given (None: not given); each also exists as a spec key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesignFlags {
    pub id: Option<String>,
    pub arms: Option<String>,
    pub control: Option<String>,
    pub strata: Option<Vec<String>>,
    pub cluster: Option<String>,
    pub method: Option<AssignmentMethod>,
    pub block_sizes: Option<Vec<u32>>,
    pub misfits: Option<Misfits>,
    pub seed: Option<u64>,
    /// The format of a new ledger (`lotta assign --ledger-format`).
    pub ledger_format: Option<LedgerFormat>,
}

/// Files and design resolved from a study and flags.
#[derive(Debug, Clone)]
pub struct DesignSettings {
    pub study: Option<Study>,
    pub participants: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
    /// The design from spec + flags, when they give one (`arms` known).
    pub design: Option<Design>,
    /// Whether the flags or the spec name the misfit policy (else it is the default, which an
    /// existing ledger's recorded policy overrides: `ops::assign::design_for_ledger`).
    pub misfits_given: bool,
    /// The format of a new ledger: `--ledger-format`, `[design] ledger_format`, else v2. An
    /// existing ledger keeps its own (`ops::assign::format_for_ledger`).
    pub ledger_format: LedgerFormat,
    /// Where the format was asked for (None: the default).
    pub ledger_format_given: Option<Origin>,
}

/// The flag that sets a design key (for messages).
fn flag_of(key: &str) -> &'static str {
    match key {
        "arms" => "--arms",
        "control" => "--control",
        "strata" => "--strata",
        "cluster" => "--cluster",
        "method" => "--method",
        "block_sizes" => "--block-sizes",
        "misfits" => "--misfits",
        "seed" => "--seed",
        _ => "--id",
    }
}

fn spec_key_of(key: &str) -> String {
    match key {
        "seed" => "study.seed".to_string(),
        "id" => "data.id".to_string(),
        k => format!("design.{k}"),
    }
}

impl DesignSettings {
    /// Merge a loaded study (optional) and flags into files and a design.
    pub fn resolve(
        study: Option<Study>,
        participants: Option<PathBuf>,
        ledger: Option<PathBuf>,
        flags: &DesignFlags,
    ) -> Result<DesignSettings> {
        let spec_design = study.as_ref().and_then(|s| s.spec.design.clone());
        let participants = participants.or_else(|| {
            study
                .as_ref()
                .and_then(|s| s.spec.data.participants.as_ref().map(|p| s.resolve(p)))
        });
        let ledger = ledger.or_else(|| {
            study
                .as_ref()
                .and_then(|s| s.spec.data.ledger.as_ref().map(|p| s.resolve(p)))
        });
        let layers = Layers::new(study.as_ref());
        // Which keys the flags set: an error in a value blames the flag, else the spec key.
        let from_flag = |key: &str| match key {
            "arms" => flags.arms.is_some(),
            "control" => flags.control.is_some(),
            "strata" => flags.strata.is_some(),
            "cluster" => flags.cluster.is_some(),
            "method" => flags.method.is_some(),
            "block_sizes" => flags.block_sizes.is_some(),
            "misfits" => flags.misfits.is_some(),
            "seed" => flags.seed.is_some(),
            _ => flags.id.is_some(),
        };
        let design_error = |e: &DesignError| -> Error {
            let origin = if from_flag(e.key) || study.is_none() {
                Origin::flag(flag_of(e.key))
            } else {
                layers.spec(&spec_key_of(e.key))
            };
            origin.error(e.message.clone())
        };
        let arms = match (&flags.arms, &spec_design) {
            (Some(text), _) => Some(parse_arms(text).map_err(|e| design_error(&e))?),
            (None, Some(d)) => Some(d.arms.iter().map(|(k, v)| (k.clone(), *v)).collect()),
            (None, None) => None,
        };
        let misfits_given =
            flags.misfits.is_some() || spec_design.as_ref().is_some_and(|d| d.misfits.is_some());
        let (ledger_format, ledger_format_given) = match (
            flags.ledger_format,
            spec_design.as_ref().and_then(|d| d.ledger_format.clone()),
        ) {
            (Some(f), _) => (f, Some(Origin::flag("--ledger-format"))),
            (None, Some(text)) => {
                let origin = layers.spec("design.ledger_format");
                let chosen = super::choose::<LedgerFormat>(super::Setting::new(text, origin))?;
                (chosen.value, Some(chosen.origin))
            }
            (None, None) => (LedgerFormat::default(), None),
        };
        let design = match arms {
            None => None,
            Some(arms) => {
                let seed = flags
                    .seed
                    .or(study.as_ref().map(|s| s.seed()))
                    .ok_or_else(|| {
                        Origin::flag("--seed").error(
                            "give the seed with --seed N (or a study whose [study] has `seed`)",
                        )
                    })?;
                let id = flags
                    .id
                    .clone()
                    .or(study.as_ref().map(|s| s.spec.data.id.clone()))
                    .ok_or_else(|| {
                        Origin::flag("--id")
                            .error("give the id column with --id COLUMN (or a study)")
                    })?;
                let sd = spec_design.clone().unwrap_or_default();
                let input = DesignInput {
                    arms,
                    control: flags.control.clone().or(sd.control),
                    strata: flags.strata.clone().unwrap_or(sd.strata),
                    cluster: flags.cluster.clone().or(sd.cluster),
                    method: flags.method.or(sd.method),
                    block_sizes: flags.block_sizes.clone().unwrap_or(sd.block_sizes),
                    misfits: flags.misfits.or(sd.misfits),
                    seed,
                    id,
                };
                Some(Design::new(input).map_err(|e| design_error(&e))?)
            }
        };
        Ok(DesignSettings {
            study,
            participants,
            ledger,
            design,
            misfits_given,
            ledger_format,
            ledger_format_given,
        })
    }
}
