//! `lotta plan`: the pre-analysis plan, frozen into the study's hash-chained plan record
//! (`analysis-plan.jsonl` beside study.toml) and shown, compared and exported from it.

use lotta::ops::plan::{Frozen, describe, deviations_markdown, freeze, registry};
use lotta::ops::run::RunSettings;
use lotta::spec::Study;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta plan freeze studies/md1-demo
  lotta plan show studies/md1-demo
  lotta plan diff studies/md1-demo")]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Record today's resolved settings as the next version of the plan (a no-op when nothing
    /// changed).
    #[command(after_help = "Examples:
  lotta plan freeze studies/md1-demo
  lotta plan freeze studies/md1-demo/study.toml")]
    Freeze {
        /// The study folder or its study.toml.
        study: PathBuf,
    },
    /// Print the frozen plan in words (Markdown): hypotheses, settings, versions, deviations.
    #[command(after_help = "Examples:
  lotta plan show studies/md1-demo
  lotta plan show studies/md1-demo > plan.md")]
    Show {
        /// The study folder or its study.toml.
        study: PathBuf,
    },
    /// Print what today's settings change from the frozen plan (exit 0 either way).
    #[command(after_help = "Examples:
  lotta plan diff studies/md1-demo
  lotta plan diff studies/md1-demo/study.toml")]
    Diff {
        /// The study folder or its study.toml.
        study: PathBuf,
    },
    /// Print the fields a trial registry asks for (AEA RCT Registry), as JSON.
    #[command(after_help = "Examples:
  lotta plan registry studies/md1-demo
  lotta plan registry studies/md1-demo > registry.json")]
    Registry {
        /// The study folder or its study.toml.
        study: PathBuf,
    },
}

/// Now in UTC as RFC 3339 (`SOURCE_DATE_EPOCH`, the reproducible-builds convention, overrides
/// the clock).
fn utc_now() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant, "chrono-Compatible
/// Low-Level Date Algorithms", `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn no_plan(study: &Study) -> anyhow::Error {
    anyhow::anyhow!(
        "{} has no frozen plan; run `lotta plan freeze {}` first",
        study.name(),
        study.dir.display()
    )
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    match args.action {
        Action::Freeze { study } => {
            let study = Study::load(&study)?;
            let settings = RunSettings::resolve(&study)?;
            match freeze(&study, settings.planned, &utc_now())? {
                Frozen::Unchanged { version, path } => println!(
                    "unchanged: today's settings are version {version} of the plan in {}",
                    path.display()
                ),
                Frozen::New {
                    version,
                    path,
                    changes,
                } => {
                    println!(
                        "froze version {} of the plan in {} (plan SHA-256 {})",
                        version.version,
                        path.display(),
                        version.plan.sha256()
                    );
                    for c in &changes {
                        println!("  changed `{}`", c.key);
                    }
                    if version.after_outcomes() {
                        eprintln!(
                            "note: outcome data already exist; the record keeps their hashes, and the report says this version was frozen after outcomes were observed"
                        );
                    }
                }
            }
        }
        Action::Show { study } => {
            let study = Study::load(&study)?;
            let status = RunSettings::resolve(&study)?
                .plan
                .ok_or_else(|| no_plan(&study))?;
            print!("{}", describe(&study, &status));
        }
        Action::Diff { study } => {
            let study = Study::load(&study)?;
            let status = RunSettings::resolve(&study)?
                .plan
                .ok_or_else(|| no_plan(&study))?;
            print!("{}", deviations_markdown(&status.deviations));
        }
        Action::Registry { study } => {
            let study = Study::load(&study)?;
            let status = RunSettings::resolve(&study)?
                .plan
                .ok_or_else(|| no_plan(&study))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&registry(&study, &status)?)?
            );
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn days_become_dates_across_leap_years_and_before_1970() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
