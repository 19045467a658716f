//! `lotta init DIR`: a new study folder with a commented study.toml (every section, defaults
//! written out) and templates of its data files, then what to run next. Never overwrites a file.

use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta init studies/my-trial        # study.toml, participants.csv, outcomes.csv, costs.csv
  lotta init my-trial                # a folder here; existing files are always kept

Then put your participants in participants.csv and follow the steps it prints: assign, then
(when outcomes and costs are in) run.")]
pub struct Args {
    /// The new study's folder (made when missing; its name is the study's name).
    pub study: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let dir = args.study;
    std::fs::create_dir_all(&dir)?;
    let name = std::fs::canonicalize(&dir)?
        .file_name()
        .and_then(|n| n.to_str())
        .map_or_else(|| "study".to_string(), str::to_string);
    let mut kept = Vec::new();
    for (file, text) in lotta::ops::init::files(&name) {
        let path = dir.join(file);
        // create_new: an existing file (yours, or an earlier init's) is never replaced.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut out) => {
                out.write_all(text.as_bytes())?;
                eprintln!("wrote {}", path.display());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                kept.push(path.display().to_string());
            }
            Err(e) => return Err(anyhow::Error::new(e).context(path.display().to_string())),
        }
    }
    for path in &kept {
        eprintln!("kept {path} (it exists; lotta init never overwrites a file)");
    }
    eprintln!(
        "{}",
        lotta::ops::init::next_steps(&dir.display().to_string())
    );
    Ok(0)
}
