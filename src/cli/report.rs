//! `lotta report`: the report folder from results already computed — the tidy tables of an
//! earlier `lotta run` (`<folder>/tables/*.csv`) — re-rendered as report.html, report.md,
//! Markdown tables, figures and the manifest. `lotta run` writes its report with the same code.

use crate::cli::common::StudyArg;
use anyhow::Context as _;
use lotta::io::folder::ReportFolder;
use lotta::io::manifest::{file_hash, spec_hash};
use lotta::io::source::StudyInputs;
use lotta::report::folder::{SETTINGS_FILE, read_methods, read_tables, write_report};
use lotta::settings::analysis::{AnalysisFlags, AnalysisSettings};
use lotta::settings::cost::{CostFlags, CostSettings};
use lotta::settings::report::{Methods, ReportSettings};
use lotta::settings::survival::{SurvivalFlags, SurvivalSettings};
use lotta::spec::Study;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta report studies/md1-demo
  lotta report studies/md1-demo --language sv

--out is a folder here (as in run and simulate); in the table commands it is a file.")]
pub struct Args {
    #[command(flatten)]
    pub study: StudyArg,
    /// The report folder holding `tables/` from `lotta run` [default: notebooks-out/<study
    /// name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The report's language: en (English) or sv (Swedish: decimal comma, Swedish terms); the
    /// tidy tables are the same in every language [default: `[report] language`, else en].
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Print nothing on success (by default one line says where the report is).
    #[arg(long)]
    pub quiet: bool,
    /// Replace report files that lotta wrote and that were changed since (files lotta did not
    /// write are never touched).
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let study_path = args.study.required("report")?.to_path_buf();
    let study = Study::load(&study_path)?;
    let context =
        ReportSettings::resolve(&study)?.with_language_flag(&study, args.language.as_ref())?;
    let folder = args
        .out
        .unwrap_or_else(|| PathBuf::from("notebooks-out").join(study.name()));
    let no_results = || {
        format!(
            "no results in {}; run `lotta run {}` first",
            folder.display(),
            study_path.display()
        )
    };
    if !folder.exists() {
        return Err(anyhow::anyhow!(no_results()));
    }
    // Check that lotta may write the folder before reading anything from it.
    let staged = ReportFolder::open(&folder, &study.input_files(), args.force)?;
    let tables = read_tables(&folder).with_context(no_results)?;
    for (name, frame) in &tables {
        staged.write(&format!("tables/{name}.csv"), &lotta::export::to_csv(frame))?;
    }
    // The manifest records the inputs' hashes, each file read once.
    let files = StudyInputs::open(&study)?;
    let mut inputs = vec![spec_hash(&study)];
    inputs.extend(files.all().into_iter().map(file_hash));
    let methods = match read_methods(&folder)? {
        Some(methods) => methods,
        None => {
            eprintln!(
                "warning: {} has no {SETTINGS_FILE} (made by an older lotta); the methods section describes today's study settings",
                folder.display()
            );
            let analysis = AnalysisSettings::resolve(&AnalysisFlags::default(), Some(&study))?;
            let cost = study
                .spec
                .cost
                .as_ref()
                .map(|_| CostSettings::resolve(&CostFlags::default(), Some(&study)))
                .transpose()?;
            let survival = study
                .spec
                .survival
                .as_ref()
                .map(|_| SurvivalSettings::resolve(&SurvivalFlags::default(), Some(&study)))
                .transpose()?;
            Methods::of(&study, &analysis, cost.as_ref(), survival.as_ref())
        }
    };
    write_report(&staged, &study, &context, &methods, &inputs)?;
    let written = staged.commit()?;
    if !args.quiet {
        eprintln!(
            "wrote the report to {} ({written} files)",
            folder.join("report.html").display()
        );
    }
    Ok(0)
}
