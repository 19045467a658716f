//! The balance rows and joint tests ([`crate::balance`]) as display tables: column names, order
//! and the decimals people see.

use crate::balance::{BalanceRow, JointTest};
use crate::export::{Cell, Frame};

/// The balance rows as a frame (one row per covariate or level, arm, subgroup).
/// The balance table's columns on a terminal, in order, each shown while the table fits
/// (`export::terminal`); the subgroup heads each block.
pub const BALANCE_TERMINAL: [&str; 12] = [
    "covariate",
    "level",
    "arm",
    "mean_arm",
    "mean_control",
    "difference",
    "smd",
    "p_value",
    "n_arm",
    "n_control",
    "sd_arm",
    "sd_control",
];

pub fn rows_frame(rows: &[BalanceRow]) -> Frame {
    let mut f = Frame::new(&[
        "subgroup",
        "covariate",
        "level",
        "arm",
        "control",
        "n_arm",
        "mean_arm",
        "sd_arm",
        "n_control",
        "mean_control",
        "sd_control",
        "difference",
        "smd",
        "p_value",
    ])
    .with_decimals("mean_arm", 3)
    .with_decimals("sd_arm", 3)
    .with_decimals("mean_control", 3)
    .with_decimals("sd_control", 3)
    .with_decimals("difference", 3)
    .with_decimals("smd", 3)
    .with_decimals("p_value", 3);
    for r in rows {
        f.push(vec![
            r.subgroup.clone().into(),
            r.covariate.clone().into(),
            r.level.clone().into(),
            r.arm.clone().into(),
            r.control.clone().into(),
            r.n_arm.into(),
            r.mean_arm.into(),
            r.sd_arm.into(),
            r.n_control.into(),
            r.mean_control.into(),
            r.sd_control.into(),
            r.difference.into(),
            r.smd.into(),
            r.p_value.into(),
        ]);
    }
    f
}

/// The joint F tests as a frame. With cluster-robust inference (`clustered`) a last column,
/// `clusters`, gives each test's number of clusters G (its df2 is G − 1).
pub fn joint_frame(tests: &[JointTest], clustered: bool) -> Frame {
    let mut columns = vec![
        "subgroup",
        "arm",
        "control",
        "n",
        "f_statistic",
        "df1",
        "df2",
        "p_value",
    ];
    if clustered {
        columns.push("clusters");
    }
    let mut f = Frame::new(&columns)
        .with_decimals("f_statistic", 3)
        .with_decimals("p_value", 3);
    for j in tests {
        let mut row = vec![
            j.subgroup.clone().into(),
            j.arm.clone().into(),
            j.control.clone().into(),
            j.n.into(),
            j.f_statistic.into(),
            Cell::from(j.df1),
            Cell::from(j.df2),
            j.p_value.into(),
        ];
        if clustered {
            row.push(Cell::from(j.df2 + 1));
        }
        f.push(row);
    }
    f
}
