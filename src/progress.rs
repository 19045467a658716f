//! Progress of long loops (randomization draws) and their cancellation. The core reports
//! through [`Progress`] and asks it whether to stop; it never looks at the terminal or at
//! signals itself. The commands pass a bar with an ETA on stderr when stderr is a terminal, and
//! stop the loop when Ctrl-C was pressed (`cli::terminal::TerminalProgress`); tests and library
//! callers pass [`Silent`].

/// What a long loop reports, and how it learns that it should stop.
pub trait Progress: Sync {
    /// A loop of `total` steps starts.
    fn start(&self, _what: &str, _total: u64) {}
    /// `n` more steps are done (called from any thread).
    fn advance(&self, _n: u64) {}
    /// The loop ended (finished or stopped).
    fn finish(&self) {}
    /// Whether the user asked to stop: the loop then returns [`crate::Error::Interrupted`].
    fn cancelled(&self) -> bool {
        false
    }
}

/// No progress shown, never cancelled.
pub struct Silent;

impl Progress for Silent {}
