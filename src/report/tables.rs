//! Descriptive tables of a run: participant flow, shares by arm over horizons, the primary
//! outcome split by kind. Pure functions over columns; each returns a tidy frame.

use crate::export::{Cell, Frame};
use crate::report::shares::{mean_ci, mean_ci_clustered};

/// The units of an analysis, as the descriptive tables need them.
#[derive(Debug, Clone, Copy)]
pub struct Units<'a> {
    /// Arm of each unit (index into `arms`).
    pub arm: &'a [usize],
    pub arms: &'a [String],
    /// Subgroups: (label like `gender=F`, membership per unit). "all" is added automatically.
    pub subgroups: &'a [(String, Vec<bool>)],
    /// Cluster code of each unit, when the analysis has clusters (the shares' intervals are
    /// then cluster-robust).
    pub clusters: Option<&'a [crate::estimate::Code]>,
}

impl Units<'_> {
    fn groups(&self) -> Vec<(String, Vec<bool>)> {
        let mut groups = vec![("all".to_string(), vec![true; self.arm.len()])];
        groups.extend(self.subgroups.iter().cloned());
        groups
    }
}

/// Participant flow: per arm, the number assigned, who took part (NaN-free 0/1 column, if
/// given), lost to follow-up on the primary outcome (missing), and analysed.
pub fn flow(
    units: &Units,
    took_part: Option<&[f64]>,
    primary: &[f64],
    horizon_days: Option<u32>,
) -> Frame {
    let mut frame = Frame::new(&[
        "arm",
        "assigned",
        "took_part",
        "followed_up",
        "lost",
        "analysed",
        "horizon_days",
    ]);
    for (a, arm) in units.arms.iter().enumerate() {
        let members: Vec<usize> = (0..units.arm.len())
            .filter(|&i| units.arm[i] == a)
            .collect();
        let took = took_part.map(|t| members.iter().filter(|&&i| t[i] == 1.0).count());
        let observed = members.iter().filter(|&&i| primary[i].is_finite()).count();
        frame.push(vec![
            Cell::from(arm.as_str()),
            Cell::from(members.len()),
            took.map_or(Cell::Null, Cell::from),
            Cell::from(observed),
            Cell::from(members.len() - observed),
            Cell::from(observed),
            horizon_days.map_or(Cell::Null, |d| Cell::Int(d as i64)),
        ]);
    }
    frame
}

/// Share (mean) of each outcome by subgroup and arm, with SE and 95% t interval (CR2 with
/// Bell–McCaffrey df when the units have clusters; a last column, `clusters`, then gives the
/// number of clusters behind each row).
pub fn shares(units: &Units, outcomes: &[(String, &[f64])]) -> Frame {
    let mut columns = vec![
        "outcome",
        "subgroup",
        "arm",
        "n",
        "share",
        "std_error",
        "conf_low",
        "conf_high",
    ];
    if units.clusters.is_some() {
        columns.push("clusters");
    }
    let mut frame = Frame::new(&columns);
    for (name, values) in outcomes {
        for (label, member) in units.groups() {
            for (a, arm) in units.arms.iter().enumerate() {
                let rows: Vec<usize> = (0..units.arm.len())
                    .filter(|&i| member[i] && units.arm[i] == a)
                    .collect();
                let group: Vec<f64> = rows.iter().map(|&i| values[i]).collect();
                let mut g = None;
                let ci = match units.clusters {
                    None => mean_ci(&group, 0.95),
                    Some(codes) => {
                        let cl: Vec<crate::estimate::Code> = rows
                            .iter()
                            .filter(|&&i| values[i].is_finite())
                            .filter_map(|&i| codes.get(i))
                            .copied()
                            .collect();
                        g = Some(cl.iter().collect::<std::collections::BTreeSet<_>>().len());
                        let observed: Vec<f64> =
                            group.iter().copied().filter(|v| v.is_finite()).collect();
                        mean_ci_clustered(&observed, &cl, 0.95)
                    }
                };
                let mut row = vec![
                    Cell::from(name.as_str()),
                    Cell::from(label.as_str()),
                    Cell::from(arm.as_str()),
                    Cell::from(ci.map_or(0, |c| c.n)),
                    Cell::from(ci.map(|c| c.mean)),
                    Cell::from(ci.map(|c| c.std_error)),
                    Cell::from(ci.map(|c| c.conf_low)),
                    Cell::from(ci.map(|c| c.conf_high)),
                ];
                if let Some(g) = g {
                    row.push(Cell::from(g));
                }
                frame.push(row);
            }
        }
    }
    frame
}

/// The share in each part of an outcome (e.g. subsidized work, unsubsidized work, studies) by
/// subgroup and arm, among those with the part observed.
pub fn split(units: &Units, parts: &[(String, &[f64])]) -> Frame {
    let mut frame = Frame::new(&["subgroup", "arm", "part", "n", "share"]);
    for (label, member) in units.groups() {
        for (a, arm) in units.arms.iter().enumerate() {
            for (part, values) in parts {
                let group: Vec<f64> = (0..units.arm.len())
                    .filter(|&i| member[i] && units.arm[i] == a && values[i].is_finite())
                    .map(|i| values[i])
                    .collect();
                let n = group.len();
                let share = if n > 0 {
                    Some(group.iter().sum::<f64>() / n as f64)
                } else {
                    None
                };
                frame.push(vec![
                    Cell::from(label.as_str()),
                    Cell::from(arm.as_str()),
                    Cell::from(part.as_str()),
                    Cell::from(n),
                    Cell::from(share),
                ]);
            }
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units<'a>(
        arm: &'a [usize],
        arms: &'a [String],
        subgroups: &'a [(String, Vec<bool>)],
    ) -> Units<'a> {
        Units {
            arm,
            arms,
            subgroups,
            clusters: None,
        }
    }

    #[test]
    fn flow_counts_by_arm() {
        let arms = vec!["t".to_string(), "c".to_string()];
        let arm = [0, 0, 0, 1, 1];
        let took = [1.0, 0.0, 1.0, 0.0, 0.0];
        let y = [1.0, f64::NAN, 0.0, 0.0, 1.0];
        let f = flow(&units(&arm, &arms, &[]), Some(&took), &y, Some(540));
        assert_eq!(f.number(0, "assigned"), Some(3.0));
        assert_eq!(f.number(0, "took_part"), Some(2.0));
        assert_eq!(f.number(0, "lost"), Some(1.0));
        assert_eq!(f.number(1, "analysed"), Some(2.0));
    }

    #[test]
    fn shares_by_subgroup_and_arm() {
        let arms = vec!["t".to_string(), "c".to_string()];
        let arm = [0, 0, 1, 1];
        let women = vec![("gender=F".to_string(), vec![true, false, true, false])];
        let y = [1.0, 0.0, 0.0, 1.0];
        let f = shares(&units(&arm, &arms, &women), &[("y".into(), &y)]);
        // all/t, all/c, F/t, F/c
        assert_eq!(f.rows.len(), 4);
        assert_eq!(f.number(0, "share"), Some(0.5));
        assert_eq!(f.number(2, "n"), Some(1.0));
        assert_eq!(f.number(2, "share"), Some(1.0));
        assert_eq!(f.text(3, "subgroup").as_deref(), Some("gender=F"));
    }

    #[test]
    fn split_shares_ignore_missing() {
        let arms = vec!["t".to_string()];
        let arm = [0, 0, 0];
        let sub = [1.0, 0.0, f64::NAN];
        let f = split(&units(&arm, &arms, &[]), &[("subsidized".into(), &sub)]);
        assert_eq!(f.number(0, "n"), Some(2.0));
        assert_eq!(f.number(0, "share"), Some(0.5));
    }
}
