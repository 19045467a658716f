//! The examples in every command's `--help` work (issue 16): each command line of each
//! "Examples:" block is run, in the order shown, in a copy of the demo study and its data, and
//! must succeed; and the terminal tables of the commands fit a 100-column terminal while
//! `--format csv` keeps every column.

mod common;

use std::path::Path;

/// The command lines of a help text's "Examples:" block: each line that starts with `lotta`,
/// joined with its `\` continuation lines, cut at a shell redirection or comment, split at `&&`.
fn example_lines(help: &str) -> Vec<Vec<String>> {
    let Some(start) = help.find("Examples:") else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in help[start..].lines().skip(1) {
        let text = line.trim();
        if current.is_empty() && !text.starts_with("lotta ") {
            continue;
        }
        current.push(' ');
        current.push_str(text.trim_end_matches('\\'));
        if !text.ends_with('\\') {
            lines.push(std::mem::take(&mut current));
        }
    }
    let mut commands = Vec::new();
    for line in lines {
        for part in line.split("&&") {
            let words: Vec<String> = part
                .split_whitespace()
                .take_while(|w| !matches!(*w, ">" | ">>" | "|") && !w.starts_with('#'))
                .map(str::to_string)
                .collect();
            if words.first().is_some_and(|w| w == "lotta") {
                commands.push(words);
            }
        }
    }
    commands
}

/// The subcommands a help text lists under "Commands:".
fn subcommands(help: &str) -> Vec<String> {
    let Some(start) = help.find("Commands:") else {
        return Vec::new();
    };
    help[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("     "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|name| name != "help")
        .collect()
}

/// Every command path (`[]`, `["estimate"]`, `["plan", "freeze"]`, …) with its `--help` text.
fn helps(dir: &Path) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = common::lotta(dir, &args);
        assert_eq!(help.code, 0, "lotta {}: {}", args.join(" "), help.stderr);
        for sub in subcommands(&help.stdout) {
            let mut next = path.clone();
            next.push(sub);
            queue.push(next);
        }
        out.push((path, help.stdout));
    }
    out.sort();
    out
}

#[test]
fn every_example_in_every_help_runs_on_the_demo_study() {
    let dir = common::demo_copy(&[]);
    let mut failed = Vec::new();
    let mut ran = 0;
    for (path, help) in helps(dir.path()) {
        let examples = example_lines(&help);
        if examples.len() < 2 {
            failed.push(format!(
                "`lotta {} --help` has {} examples",
                path.join(" "),
                examples.len()
            ));
        }
        for words in examples {
            let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
            let out = common::lotta(dir.path(), &args);
            ran += 1;
            if out.code != 0 {
                failed.push(format!(
                    "`{}` (from `lotta {} --help`) exited {}: {}",
                    words.join(" "),
                    path.join(" "),
                    out.code,
                    out.stderr
                ));
            }
        }
    }
    assert!(ran >= 30, "only {ran} examples");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The widest line of `text`, in characters (not bytes: `–` marks a missing cell).
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn terminal_tables_fit_100_columns_and_csv_keeps_every_column() {
    let dir = common::demo_copy(&[]);
    let commands: &[&[&str]] = &[
        &["estimate", "studies/md1-demo", "--ri", "0"],
        &["estimate", "studies/md1-demo", "--attrition"],
        &["cost", "studies/md1-demo", "--bootstrap", "0"],
        &[
            "cost",
            "studies/md1-demo",
            "--bootstrap",
            "0",
            "--table",
            "benefit",
        ],
        &[
            "cost",
            "studies/md1-demo",
            "--bootstrap",
            "0",
            "--table",
            "tracks",
        ],
        &["survival", "studies/md1-demo", "--ri", "0"],
        &["bounds", "studies/md1-demo"],
        &["balance", "studies/md1-demo"],
        &["power", "studies/md1-demo"],
        &[
            "power",
            "--baseline",
            "0.3",
            "--n",
            "4500",
            "--icc",
            "0.02",
            "--cluster-size",
            "50",
        ],
    ];
    for args in commands {
        let table = common::lotta(dir.path(), args);
        assert_eq!(table.code, 0, "{args:?}: {}", table.stderr);
        assert!(
            widest(&table.stdout) <= 100,
            "lotta {}: a line of {} characters\n{}",
            args.join(" "),
            widest(&table.stdout),
            table.stdout
        );
    }
    // The effects table shows the main columns; csv keeps all of estimatr's.
    let table = common::lotta(dir.path(), &["estimate", "studies/md1-demo", "--ri", "0"]);
    assert!(
        table.stdout.starts_with("outcome: work_or_study_90\n"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("Not shown here"), "{}", table.stdout);
    let csv = common::lotta(
        dir.path(),
        &[
            "estimate",
            "studies/md1-demo",
            "--ri",
            "0",
            "--format",
            "csv",
        ],
    );
    let header = csv.stdout.lines().next().unwrap_or("");
    let every = lotta::tidy::effects::EFFECT_COLUMNS
        .iter()
        .chain(&["p_value_adjusted"]);
    for column in every {
        assert!(
            header.split(',').any(|c| c == *column),
            "csv lacks {column}: {header}"
        );
    }
    assert_eq!(csv.stdout.lines().count(), 37, "{}", csv.stdout);
}

#[test]
fn example_lines_join_continuations_and_cut_shell_syntax() {
    let help = "About\n\nExamples:\n  lotta a x \\\n      --y z\n  lotta man > f && man ./f\n  lotta b # c\n\nMore text: lotta c\n";
    assert_eq!(
        example_lines(help),
        vec![
            vec!["lotta", "a", "x", "--y", "z"],
            vec!["lotta", "man"],
            vec!["lotta", "b"],
        ]
    );
}
