//! The terminal side of long commands: Ctrl-C handling and the progress bar with its expected
//! time, behind the library's `Progress` seam (shared by the commands, like `common`).

/// Set by the Ctrl-C handler ([`install_interrupt_handler`]); long loops stop when they see it.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// On the first Ctrl-C, ask the running loop to stop (it returns `Error::Interrupted`, the
/// staging folder and temporary files are removed as on any error, exit code 130); if the
/// command is not in a loop that checks, or on a second Ctrl-C, exit with 130 after two seconds
/// at most. Every output is written whole to a temporary file and renamed, so a stop at any
/// instant leaves no half-written file (only a hidden temporary, which the next run cleans).
pub fn install_interrupt_handler() {
    use std::sync::atomic::Ordering;
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: stopping…");
        std::thread::spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(2));
            std::process::exit(130);
        });
    });
}

/// Progress of long loops on stderr: a bar with the ETA when stderr is a terminal (and not
/// `--quiet`), nothing otherwise; cancelled by Ctrl-C.
pub struct TerminalProgress {
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    /// Whether a bar is shown (checked before taking the lock, so a hidden bar costs nothing).
    shown: std::sync::atomic::AtomicBool,
    quiet: bool,
    /// The job under way, when it started, and how far it is: for the expected-time line.
    job: std::sync::Mutex<Option<(String, std::time::Instant)>>,
    done: std::sync::atomic::AtomicU64,
    total: std::sync::atomic::AtomicU64,
    announced: std::sync::atomic::AtomicBool,
}

/// After this long, a job's expected time is known well enough to say it.
const MEASURE_FOR: std::time::Duration = std::time::Duration::from_secs(2);
/// Jobs expected to take longer than this are announced (also when stderr is no terminal).
const LONG_JOB: f64 = 60.0;

/// The line that announces a long job: `what`, the expected time in all, and how to stop it; None
/// when the job is expected to take less than [`LONG_JOB`] seconds.
pub fn expected_time_line(what: &str, elapsed: f64, done: u64, total: u64) -> Option<String> {
    if done == 0 || total <= done {
        return None;
    }
    let expected = elapsed * total as f64 / done as f64;
    if expected < LONG_JOB {
        return None;
    }
    let minutes = expected / 60.0;
    let time = if minutes < 1.5 {
        "a minute".to_string()
    } else if minutes < 90.0 {
        format!("{minutes:.0} minutes")
    } else {
        format!("{:.1} hours", minutes / 60.0)
    };
    Some(format!(
        "note: {what}: {total} steps will take about {time} in all on this machine ({done} done in {elapsed:.0} s); Ctrl-C stops and writes no results"
    ))
}

impl TerminalProgress {
    pub fn new(quiet: bool) -> TerminalProgress {
        TerminalProgress {
            bar: std::sync::Mutex::new(None),
            shown: std::sync::atomic::AtomicBool::new(false),
            quiet,
            job: std::sync::Mutex::new(None),
            done: std::sync::atomic::AtomicU64::new(0),
            total: std::sync::atomic::AtomicU64::new(0),
            announced: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The bar, cloned out of the lock (a clone shares its state), if one is shown.
    fn bar(&self) -> Option<indicatif::ProgressBar> {
        self.bar.lock().ok().and_then(|b| b.clone())
    }
}

impl lotta::progress::Progress for TerminalProgress {
    fn start(&self, what: &str, total: u64) {
        use std::io::IsTerminal;
        use std::sync::atomic::Ordering::Relaxed;
        if self.quiet {
            return;
        }
        if let Ok(mut job) = self.job.lock() {
            *job = Some((what.to_string(), std::time::Instant::now()));
            self.done.store(0, Relaxed);
            self.total.store(total, Relaxed);
            self.announced.store(false, Relaxed);
        }
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} {wide_bar} {pos}/{len} ({per_sec}, ETA {eta})",
        ) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
            self.shown.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    fn advance(&self, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        if !self.quiet && !self.announced.load(Relaxed) {
            let done = self.done.fetch_add(n, Relaxed) + n;
            if let Ok(job) = self.job.lock()
                && let Some((what, started)) = job.as_ref()
                && started.elapsed() >= MEASURE_FOR
                && !self.announced.swap(true, Relaxed)
                && let Some(line) = expected_time_line(
                    what,
                    started.elapsed().as_secs_f64(),
                    done,
                    self.total.load(Relaxed),
                )
            {
                match self.bar() {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
        }
        if !self.shown.load(Relaxed) {
            return;
        }
        if let Some(bar) = self.bar() {
            bar.inc(n);
        }
    }
    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
            self.shown
                .store(false, std::sync::atomic::Ordering::Relaxed);
        }
    }
    fn cancelled(&self) -> bool {
        INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::expected_time_line;

    #[test]
    fn a_long_job_is_announced_with_its_expected_time() {
        // 10,000 of 100,000,000 draws in 2 s: 20,000 s in all, about 5.6 hours.
        let line = expected_time_line("randomization inference", 2.0, 10_000, 100_000_000);
        let line = line.expect("announced");
        assert!(line.contains("5.6 hours"), "{line}");
        assert!(line.contains("Ctrl-C"), "{line}");
        // 1,000 of 10,000 in 2 s: 20 s in all, not announced.
        assert_eq!(expected_time_line("x", 2.0, 1_000, 10_000), None);
        // 30 of 1,000 in 2 s: 67 s, about a minute.
        let minute = expected_time_line("x", 2.0, 30, 1_000).expect("announced");
        assert!(minute.contains("about a minute"), "{minute}");
        assert_eq!(expected_time_line("x", 2.0, 0, 1_000), None);
    }
}
