//! Participant ids as the design reads them: a list of strings, or (ten million participants,
//! docs/scale.md) one text buffer with the end of each id, read in place without a `&str` per
//! id (16 bytes each, 160 MB at ten million).

/// A list of ids, id `i` for `i` in `0..count()`.
pub trait IdList: Sync + std::fmt::Debug {
    fn count(&self) -> usize;
    /// Id number `i` (`i < count()`).
    fn id(&self, i: usize) -> &str;
}

impl<S: AsRef<str> + Sync + std::fmt::Debug> IdList for [S] {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, i: usize) -> &str {
        self[i].as_ref()
    }
}

impl<S: AsRef<str> + Sync + std::fmt::Debug> IdList for Vec<S> {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, i: usize) -> &str {
        self[i].as_ref()
    }
}

/// Ids stored one after another in `text`; id `i` ends at byte `ends[i]` and starts where id
/// `i - 1` ends (at 0 for the first).
#[derive(Debug, Clone, Copy)]
pub struct TextIds<'a> {
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> TextIds<'a> {
    /// The ids of `text` cut at `ends` (ascending, at character boundaries, within the text; an
    /// id whose ends are not reads as empty).
    pub fn new(text: &'a str, ends: &'a [usize]) -> TextIds<'a> {
        TextIds { text, ends }
    }
}

impl IdList for TextIds<'_> {
    fn count(&self) -> usize {
        self.ends.len()
    }
    fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..self.ends[i]).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ids_cut_the_buffer_at_the_ends() {
        let ids = TextIds::new("abÅsac", &[2, 2, 5, 7]);
        let all: Vec<&str> = (0..ids.count()).map(|i| ids.id(i)).collect();
        assert_eq!(all, ["ab", "", "Ås", "ac"]);
        assert_eq!(TextIds::new("abÅ", &[3]).id(0), "", "inside `Å`");
        assert_eq!(TextIds::new("ab", &[2, 1]).id(1), "");
        assert_eq!(TextIds::new("ab", &[3]).id(0), "");
    }
}
