//! The survival analysis's rows and curves (`crate::survival::rows`) as [`Frame`]s for export:
//! the columns of issue 13, their order and decimals.

use crate::export::{Cell, Frame};
pub use crate::survival::rows::{ArmCurve, ExitCurve, SurvivalRow};

/// Column names of the exit curves table.
pub const EXIT_CURVE_COLUMNS: [&str; 6] = [
    "subgroup",
    "arm",
    "exit",
    "time",
    "cumulative_incidence",
    "n_risk",
];

/// Exit curves → a frame: a first row at time 0 (incidence 0), then one row per time at which
/// the exit happened.
pub fn exit_curves_frame(curves: &[ExitCurve]) -> Frame {
    let mut frame = Frame::new(&EXIT_CURVE_COLUMNS)
        .with_decimals("time", 0)
        .with_decimals("n_risk", 0);
    for c in curves {
        let rows = std::iter::once((0.0, 0.0, c.persons as f64)).chain(
            c.cif
                .time
                .iter()
                .zip(&c.cif.estimate)
                .zip(&c.n_risk)
                .map(|((&t, &f), &n)| (t, f, n)),
        );
        for (t, f, n) in rows {
            frame.push(vec![
                c.subgroup.as_str().into(),
                c.arm.as_str().into(),
                c.exit.as_str().into(),
                t.into(),
                f.into(),
                (n as usize).into(),
            ]);
        }
    }
    frame
}

/// Column names of the curves table: the share with the event (1 − S) at every observed time,
/// its interval (from survfit's log interval of S) and the number at risk.
pub const CURVE_COLUMNS: [&str; 7] = [
    "subgroup",
    "arm",
    "time",
    "share_with_event",
    "conf_low",
    "conf_high",
    "n_risk",
];

/// Curves → a frame: a first row at time 0 (share 0), then one row per observed time.
pub fn curves_frame(curves: &[ArmCurve], z: f64) -> Frame {
    let mut frame = Frame::new(&CURVE_COLUMNS)
        .with_decimals("time", 0)
        .with_decimals("n_risk", 0);
    for c in curves {
        let n0 = c.curve.n_risk.first().copied().unwrap_or(0.0);
        frame.push(vec![
            c.subgroup.as_str().into(),
            c.arm.as_str().into(),
            0.0.into(),
            0.0.into(),
            0.0.into(),
            0.0.into(),
            (n0 as usize).into(),
        ]);
        for (j, &t) in c.curve.time.iter().enumerate() {
            let Some(p) = c.curve.at(t, z) else { continue };
            frame.push(vec![
                c.subgroup.as_str().into(),
                c.arm.as_str().into(),
                t.into(),
                (1.0 - p.surv).into(),
                (1.0 - p.conf_high).into(),
                (1.0 - p.conf_low).into(),
                (c.curve.n_risk[j] as usize).into(),
            ]);
        }
    }
    frame
}

/// Column names of [`SurvivalRow`] in output order (`p_value_ri` last, when any row has it).
/// The survival table's columns on a terminal, in order, each shown while the table fits
/// (`export::terminal`); the outcome heads each block.
pub const SURVIVAL_TERMINAL: [&str; 12] = [
    "subgroup",
    "estimand",
    "arm",
    "time",
    "estimate",
    "std_error",
    "p_value",
    "conf_low",
    "conf_high",
    "p_value_ri",
    "statistic",
    "df",
];

pub const SURVIVAL_COLUMNS: [&str; 13] = [
    "outcome",
    "subgroup",
    "estimand",
    "arm",
    "time",
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "conf_low",
    "conf_high",
    "method",
];

/// Rows → a frame.
pub fn survival_frame(rows: &[SurvivalRow]) -> Frame {
    let with_ri = rows.iter().any(|r| r.p_value_ri.is_some());
    let mut columns: Vec<&str> = SURVIVAL_COLUMNS.to_vec();
    if with_ri {
        columns.push("p_value_ri");
    }
    let mut frame = Frame::new(&columns)
        .with_decimals("time", 0)
        .with_decimals("df", 0);
    for r in rows {
        let mut row: Vec<Cell> = vec![
            r.outcome.as_str().into(),
            r.subgroup.as_str().into(),
            r.estimand.as_str().into(),
            r.arm.as_str().into(),
            r.time.into(),
            r.estimate.into(),
            r.std_error.into(),
            r.statistic.into(),
            r.df.into(),
            r.p_value.into(),
            r.conf_low.into(),
            r.conf_high.into(),
            r.method.as_str().into(),
        ];
        if with_ri {
            row.push(r.p_value_ri.into());
        }
        frame.push(row);
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_numbers_are_empty_cells() {
        let mut r = SurvivalRow::new("t", "all", "logrank", "md1", "log-rank");
        r.statistic = 3.5;
        r.df = 1.0;
        let f = survival_frame(&[r]);
        assert_eq!(f.columns, SURVIVAL_COLUMNS);
        let csv = String::from_utf8(crate::export::to_csv(&f)).unwrap();
        assert!(
            csv.contains("t,all,logrank,md1,,,,3.5,1,,,,log-rank"),
            "{csv}"
        );
    }
}
