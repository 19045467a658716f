//! The arms of a comparison, decided once for every operation that reads an arm column itself
//! (survival, bounds): the control arm (the settings', else `0` when the arms are 0/1) and every
//! other arm, in sorted order, compared with it.

use crate::error::{Error, Location, Result, nearest};
use crate::settings::{Origin, Setting};
use std::collections::BTreeSet;

/// The control arm and the compared arms among `levels` (the arms present). `at` locates the arm
/// column for errors.
pub fn control_and_compared(
    levels: &BTreeSet<&str>,
    control: Option<&Setting<String>>,
    at: impl Fn() -> Location,
) -> Result<(String, Vec<String>)> {
    let listed = || levels.iter().copied().collect::<Vec<_>>().join(", ");
    let control = match control {
        Some(c) if levels.contains(c.value.as_str()) => c.value.clone(),
        Some(c) => {
            let mut e = Error::data(
                at(),
                format!(
                    "no person is in the control arm `{}`; the arms are {}",
                    c.value,
                    listed()
                ),
            );
            if let Some(n) = nearest(&c.value, levels.iter().copied()) {
                e = e.with_hint(format!("did you mean `{n}`?"));
            }
            return Err(e);
        }
        None if levels.contains("0") => "0".to_string(),
        None => {
            return Err(Origin::flag("--control").error(format!(
                "say which arm is the comparison with --control ARM (arms: {})",
                listed()
            )));
        }
    };
    let compared: Vec<String> = levels
        .iter()
        .filter(|l| **l != control)
        .map(|l| l.to_string())
        .collect();
    if compared.is_empty() {
        return Err(Error::data(
            at(),
            format!("every person is in `{control}`; no arm to compare with it"),
        ));
    }
    Ok((control, compared))
}
