//! `lotta run`: the whole evaluation of a study as one reproducible command. Checks every input
//! before any work, verifies the ledger, then computes balance, effects (with randomization
//! inference and adjustment as `[analysis]` says), the descriptive tables and the
//! cost-effectiveness analysis, and writes the report folder (`notebooks-out/<name>/`) as a whole
//! or not at all. Nothing in the folder depends on the clock or the number of threads; timings
//! go to the terminal only.

use crate::cli::common::StudyArg;
use lotta::io::folder::ReportFolder;
use lotta::ops::run::{RunSettings, STEPS, open_inputs};
use lotta::spec::Study;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta run studies/md1-demo
  lotta run studies/md1-demo --language sv --out notebooks-out/md1-demo-sv
  lotta run studies/md1-demo --strict       # only what the frozen pre-analysis plan says

--out is a folder here (as in report and simulate); in the table commands it is a file.")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    /// The report folder [default: notebooks-out/<study name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The report's language: en (English) or sv (Swedish: decimal comma, Swedish terms); the
    /// tidy tables are the same in every language [default: `[report] language`, else en].
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Print no progress, timings or the closing line that says where the report is.
    #[arg(long)]
    pub quiet: bool,
    /// Replace report files that lotta wrote and that were changed since (files lotta did not
    /// write are never touched).
    #[arg(long)]
    pub force: bool,
    /// Refuse to run anything the frozen pre-analysis plan (`lotta plan freeze`) did not say:
    /// no plan, or any deviation from it, stops the run before any work.
    #[arg(long)]
    pub strict: bool,
}

/// Stage messages with their durations, on a terminal only; the closing line always (never with
/// --quiet).
struct Stages {
    quiet: bool,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Stages {
    fn new(quiet: bool, total: u64) -> Stages {
        let show = !quiet && std::io::stderr().is_terminal();
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:20}] {pos}/{len} {msg} ({elapsed})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Stages {
            quiet,
            bar,
            started: Instant::now(),
        }
    }

    fn start(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finish(&self, folder: &Path, files: usize) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.quiet {
            eprintln!(
                "wrote the report to {} ({files} files, {:.1} s)",
                folder.join("report.html").display(),
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study = Study::load(args.study.required("run")?)?;
    // Every section's settings are resolved and checked before any work.
    let mut settings = RunSettings::resolve(&study)?;
    settings.report = settings
        .report
        .with_language_flag(&study, args.language.as_ref())?;
    if args.strict {
        settings.check_strict(&study)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("notebooks-out").join(study.name()));
    // Opening the folder checks that lotta may write it (it is new, empty or lotta's own, and
    // holds no input), before any work.
    let staged = ReportFolder::open(&out, &study.input_files(), args.force)?;
    // Each input is opened and read once; every step parses the same bytes.
    let inputs = open_inputs(&study)?;
    for file in inputs.all() {
        lotta::ops::init::check_not_template(file)?;
    }
    let stages = Stages::new(args.quiet, STEPS.len() as u64);
    let mut started = false;
    let progress = crate::cli::terminal::TerminalProgress::new(args.quiet);
    let outcome = lotta::ops::run::run(
        &study,
        &inputs,
        &settings,
        &staged,
        &mut |name| {
            if started {
                stages.done();
            }
            started = true;
            stages.start(name);
        },
        &progress,
    )?;
    stages.done();
    let written = staged.commit()?;
    stages.finish(&out, written);
    if !args.quiet {
        for note in &outcome.notes {
            eprintln!("note: {note}");
        }
    }
    Ok(0)
}
