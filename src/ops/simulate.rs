//! The data-generating process of a study (`[simulate]`, with its `[design]` so simulated
//! participants are assigned exactly as `lotta assign` would), for `lotta simulate` and
//! `lotta power --simulate`.

use crate::error::{Error, Result};
use crate::settings::Origin;
use crate::settings::design::{DesignFlags, DesignSettings};
use crate::simulate::Dgp;
use crate::spec::Study;

/// Load and validate the data-generating process of a study.
pub fn load_dgp(study: &Study) -> Result<Dgp> {
    let spec = study.spec.simulate.as_ref().ok_or_else(|| {
        Error::spec(
            study.key_location("simulate"),
            "the study has no [simulate] section",
        )
    })?;
    Dgp::from_spec(spec, &|key| study.key_location(key))
}

/// The data-generating process with the study's `[design]` (when it has one), so that simulated
/// participants are assigned exactly as `lotta assign` would assign them with `seed`.
pub fn load_dgp_with_design(study: &Study, seed: u64) -> Result<Dgp> {
    let dgp = load_dgp(study)?;
    if study.spec.design.is_none() {
        return Ok(dgp);
    }
    let flags = DesignFlags {
        seed: Some(seed),
        ..DesignFlags::default()
    };
    let resolved = DesignSettings::resolve(Some(study.clone()), None, None, &flags)?;
    Ok(match resolved.design {
        Some(design) => dgp.with_design(design),
        None => dgp,
    })
}

/// The number of participants from `--n` or the spec, checked (at least `min`).
pub fn participants_n(n: Option<i64>, dgp: &Dgp, min: usize) -> Result<usize> {
    let flag = Origin::flag("--n");
    let n = match n {
        Some(n) if n < 0 => {
            return Err(flag.error(format!("{n}: a number of participants cannot be negative")));
        }
        Some(n) => n as usize,
        None => dgp
            .default_n
            .ok_or_else(|| flag.error("give --n or set `simulate.n` in the study"))?,
    };
    if n < min {
        return Err(flag.error(format!(
            "{n}: too few participants; expected at least {min} (two per arm)"
        )));
    }
    Ok(n)
}
