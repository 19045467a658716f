//! The command line teaches itself (issue 16): every command's `--help` has examples that parse,
//! and every option that has a default says it. `tests/help_examples.rs` runs the examples on a
//! copy of the demo study.

use super::Cli;
use clap::CommandFactory;

/// Every command below `lotta`, with its path (`plan freeze`), the top level included.
fn commands() -> Vec<(String, clap::Command)> {
    fn walk(prefix: &str, command: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let path = format!("{prefix} {}", sub.get_name()).trim().to_string();
            out.push((path.clone(), sub.clone()));
            walk(&path, sub, out);
        }
    }
    let top = Cli::command();
    let mut out = vec![(String::new(), top.clone())];
    walk("", &top, &mut out);
    out
}

/// The example command lines of a help text: the lines after "Examples:" that start with
/// `lotta` (continuation lines start with `-`). `tests/help_examples.rs` runs them all.
fn examples(help: &str) -> Vec<&str> {
    help.split_once("Examples:")
        .map(|(_, block)| {
            block
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("lotta "))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_command_has_two_or_three_examples_that_parse() {
    let mut found = Vec::new();
    for (path, mut command) in commands() {
        let help = command.render_long_help().to_string();
        let lines = examples(&help);
        if lines.len() < 2 {
            found.push(format!(
                "`lotta {path} --help` has {} examples",
                lines.len()
            ));
        }
        for line in lines {
            // A one-line example without shell syntax parses as it stands.
            if line.contains(['>', '#', '&', '\\']) {
                continue;
            }
            if let Err(e) = Cli::command().try_get_matches_from(line.split_whitespace()) {
                found.push(format!(
                    "`lotta {path} --help`: `{line}` does not parse: {e}"
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Options without a default of any kind: inputs and columns that only the user can name.
const NO_DEFAULT: &[&str] = &[
    "data",
    "treatment",
    "weights",
    "baseline",
    "sd",
    "cost-per-participant",
    "cluster-size",
    "clusters",
    "shell",
    "time",
    "event",
];

#[test]
fn every_option_shows_its_default() {
    let mut found = Vec::new();
    for (path, command) in commands() {
        for arg in command.get_arguments() {
            let name = arg.get_id().as_str();
            let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values())
                || matches!(
                    arg.get_action(),
                    clap::ArgAction::Set | clap::ArgAction::Append
                );
            if arg.is_hide_set()
                || arg.is_positional()
                || arg.is_required_set()
                || !takes_value
                || matches!(name, "help" | "version")
            {
                continue;
            }
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            let long = arg.get_long().unwrap_or(name);
            if help.contains("(default") || help.contains("default:") && !help.contains("[default:")
            {
                found.push(format!(
                    "lotta {path} --{long}: write the default as `[default: …]`"
                ));
            }
            let shown = !arg.get_default_values().is_empty() || help.contains("[default:");
            if !shown && !NO_DEFAULT.contains(&long) {
                found.push(format!(
                    "lotta {path} --{long}: no [default: …] in its help"
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_defaults_the_issue_names_are_shown_in_the_rendered_help() {
    let mut found = Vec::new();
    let wanted: &[(&str, &[&str])] = &[
        (
            "assign",
            &["--method", "--misfits", "--block-sizes", "--seed"],
        ),
        (
            "estimate",
            &[
                "--estimator",
                "--se",
                "--ipw",
                "--ri",
                "--ri-exact-max",
                "--ri-statistic",
                "--format",
            ],
        ),
        (
            "cost",
            &["--bootstrap", "--level", "--wtp", "--table", "--format"],
        ),
        (
            "power",
            &[
                "--alpha",
                "--power",
                "--ratio",
                "--method",
                "--outcome-type",
            ],
        ),
        ("survival", &["--tau", "--at", "--ri"]),
    ];
    for (name, flags) in wanted {
        let mut command = Cli::command();
        let help = command
            .find_subcommand_mut(name)
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        for flag in *flags {
            // An option's entry runs from its line to the next option's line.
            let lines: Vec<&str> = help.lines().collect();
            let is_option = |l: &str| {
                let indent = l.len() - l.trim_start().len();
                indent <= 6 && l.trim_start().starts_with('-')
            };
            let entry = lines
                .iter()
                .position(|l| is_option(l) && l.contains(&format!("{flag} ")))
                .map(|start| {
                    let end = lines[start + 1..]
                        .iter()
                        .position(|l| is_option(l))
                        .map_or(lines.len(), |k| start + 1 + k);
                    lines[start..end].join("\n")
                })
                .unwrap_or_default();
            if !entry.contains("[default:") {
                found.push(format!("lotta {name} {flag}: {entry:?}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
