//! The command layer: one file per subcommand. Each turns flags (and a study spec) into
//! validated values, calls the library, and writes results through `export`/`report`.

use clap::{Parser, Subcommand};

pub mod assign;
pub mod balance;
pub mod bounds;
pub mod common;
pub mod completions;
pub mod cost;
pub mod estimate;
pub mod init;
pub mod plan;
pub mod power;
pub mod report;
pub mod run;
pub mod simulate;
pub mod survival;
pub mod terminal;
pub mod verify;

#[cfg(test)]
mod help_tests;

/// lotta — randomized evaluations of labour-market programmes: assignment, effects,
/// cost-effectiveness and reports, reproducible to the byte.
#[derive(Debug, Parser)]
#[command(
    name = "lotta",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = "Examples:
  lotta init studies/my-trial       # a new study: study.toml, data templates
  lotta run studies/md1-demo        # the whole evaluation, into notebooks-out/
  lotta estimate studies/md1-demo   # effects only (--format csv: every column)

Every command takes the study as its first argument and has examples in its --help."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a new study: a commented study.toml with every default, data templates, next steps.
    Init(init::Args),
    /// Assign participants not yet in the ledger to arms (seeded, append-only).
    Assign(assign::Args),
    /// Re-derive every assignment in a ledger from its seed and design; check its hash chain.
    Verify(verify::Args),
    /// Covariate balance by arm, overall and by subgroup, with the joint F test.
    Balance(balance::Args),
    /// Intention-to-treat and participation effects, overall and by subgroup.
    Estimate(estimate::Args),
    /// Incremental cost, additional jobs and cost per additional job, with intervals.
    Cost(cost::Args),
    /// Lee (2009) bounds on effects on outcomes observed only for some (attrition, earnings
    /// among the employed), tightened within cells, with Imbens–Manski intervals.
    Bounds(bounds::Args),
    /// Time to event (time to first job): Kaplan–Meier, log-rank, RMST, Cox, competing risks.
    Survival(survival::Args),
    /// Write a synthetic study (participants, outcomes, costs) from the spec's data-generating process.
    Simulate(simulate::Args),
    /// Minimum detectable effect, power or sample size, analytically or by simulation.
    Power(power::Args),
    /// The whole evaluation of an assigned study (run `lotta assign` first): verify the ledger,
    /// balance, effects, costs, time to event, and the report folder.
    Run(run::Args),
    /// Write the report folder from results already computed.
    Report(report::Args),
    /// The pre-analysis plan: freeze it, show it, compare today's settings with it.
    Plan(plan::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(completions::Args),
    /// Print lotta's manual page (roff), or write a page per command into a folder.
    Man(completions::ManArgs),
}

/// A mistake in how the command was called (exit code 2), as opposed to bad data (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Run a parsed command line and return the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Assign(args) => assign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Balance(args) => balance::run(args),
        Command::Estimate(args) => estimate::run(args),
        Command::Cost(args) => cost::run(args),
        Command::Bounds(args) => bounds::run(args),
        Command::Survival(args) => survival::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Power(args) => power::run(args),
        Command::Run(args) => run::run(args),
        Command::Report(args) => report::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => completions::man(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", common::error_chain(&err));
            if matches!(
                err.downcast_ref::<lotta::Error>(),
                Some(lotta::Error::Interrupted)
            ) {
                return 130;
            }
            let usage = err.downcast_ref::<UsageError>().is_some()
                || matches!(
                    err.downcast_ref::<lotta::Error>(),
                    Some(lotta::Error::Usage(_))
                );
            if usage { 2 } else { 1 }
        }
    }
}
