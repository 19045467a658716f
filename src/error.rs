//! The library's typed errors. Every variant that comes from a user's file names the file and,
//! where there is one, the line and the column, says what was expected, and may carry a hint.

use std::fmt;
use std::path::PathBuf;

/// Where in a user's file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: Option<PathBuf>,
    /// 1-based line number in the file (the header is line 1 of a CSV file).
    pub line: Option<u64>,
    /// 1-based column number.
    pub column: Option<usize>,
    /// Column name (CSV) or key (TOML), when known.
    pub field: Option<String>,
}

impl Location {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            file: Some(path.into()),
            ..Default::default()
        }
    }
    pub fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    pub fn with_column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    /// `path:line:column (`field`)`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            wrote = true;
        }
        if let Some(line) = self.line {
            // A CSV file has lines; an Excel sheet rows; Stata, SAS and Parquet files numbered
            // observations (crate::io::formats::InputKind::row_name).
            let row = match &self.file {
                Some(file) => crate::io::formats::InputKind::of(file).row_name(line),
                None => format!("line {line}"),
            };
            write!(f, "{}{row}", if wrote { ": " } else { "" })?;
            wrote = true;
        }
        if let Some(column) = self.column {
            write!(f, "{}column {column}", if wrote { ", " } else { "" })?;
            wrote = true;
        }
        if let Some(field) = &self.field {
            let sep = if wrote { " " } else { "" };
            if self.column.is_some() {
                write!(f, "{sep}(`{field}`)")?;
            } else {
                write!(f, "{sep}`{field}`")?;
            }
        }
        Ok(())
    }
}

/// What went wrong where: the details behind most error kinds (boxed, so `Result` stays small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    pub message: String,
    /// What the user can do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.to_string();
        if !location.is_empty() {
            write!(f, "{location}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// lotta's library error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value in a data file (CSV) is missing, malformed or impossible.
    #[error("{0}")]
    Data(Box<Problem>),
    /// A study specification (TOML) or an equivalent command-line option is invalid.
    #[error("{0}")]
    Spec(Box<Problem>),
    /// A cell of a column read as numbers is not a number (a data error; its own kind so that a
    /// reader can tell it from other data errors without reading the message).
    #[error("{0}")]
    NotANumber(Box<Problem>),
    /// The assignment ledger is inconsistent with the design, or was altered.
    #[error("{0}")]
    Ledger(Box<Problem>),
    /// A computation is impossible with the data given (e.g. an arm with no observations).
    #[error("{0}")]
    Compute(Box<Problem>),
    /// A flag's value is invalid (the command line, not a file, is to blame: exit code 2).
    #[error("{0}")]
    Usage(Box<Problem>),
    /// lotta was asked to write where it must not: over an input, over a file or folder it did
    /// not make, or into the current folder.
    #[error("{0}")]
    Refused(Box<Problem>),
    /// The user pressed Ctrl-C: the work stopped and nothing was written (exit code 130).
    #[error("interrupted (Ctrl-C): stopped before writing any output")]
    Interrupted,
    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn problem(location: Location, message: impl Into<String>) -> Box<Problem> {
    Box::new(Problem {
        location,
        message: message.into(),
        hint: None,
    })
}

impl Error {
    pub fn data(location: Location, message: impl Into<String>) -> Self {
        Error::Data(problem(location, message))
    }
    pub fn spec(location: Location, message: impl Into<String>) -> Self {
        Error::Spec(problem(location, message))
    }
    pub fn ledger(location: Location, message: impl Into<String>) -> Self {
        Error::Ledger(problem(location, message))
    }
    pub fn usage(location: Location, message: impl Into<String>) -> Self {
        Error::Usage(problem(location, message))
    }
    pub fn refused(location: Location, message: impl Into<String>) -> Self {
        Error::Refused(problem(location, message))
    }
    pub fn compute(message: impl Into<String>) -> Self {
        Error::Compute(problem(Location::default(), message))
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    /// Attach a hint (what the user can do about it).
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        if let Some(p) = self.problem_mut() {
            p.hint = Some(text.into());
        }
        self
    }
    /// The details, for every kind but I/O.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Data(p)
            | Error::Spec(p)
            | Error::Ledger(p)
            | Error::Compute(p)
            | Error::Usage(p)
            | Error::NotANumber(p)
            | Error::Refused(p) => Some(p),
            Error::Io { .. } | Error::Interrupted => None,
        }
    }
    fn problem_mut(&mut self) -> Option<&mut Problem> {
        match self {
            Error::Data(p)
            | Error::Spec(p)
            | Error::Ledger(p)
            | Error::Compute(p)
            | Error::Usage(p)
            | Error::NotANumber(p)
            | Error::Refused(p) => Some(p),
            Error::Io { .. } | Error::Interrupted => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The closest candidate to `word` by Jaro–Winkler similarity, if it is close enough to suggest.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&word.to_lowercase(), &candidate.to_lowercase());
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((candidate, score));
        }
    }
    best.filter(|(_, s)| *s >= 0.7).map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_prints_what_is_known() {
        let loc = Location::file("p.csv")
            .with_line(3)
            .with_column(2)
            .with_field("age");
        assert_eq!(loc.to_string(), "p.csv: line 3, column 2 (`age`)");
        let loc = Location::file("s.toml").with_field("design.seed");
        assert_eq!(loc.to_string(), "s.toml `design.seed`");
    }

    #[test]
    fn nearest_suggests_close_names_only() {
        assert_eq!(nearest("gendr", ["gender", "site", "age"]), Some("gender"));
        assert_eq!(nearest("zzzz", ["gender", "site"]), None);
    }
}
