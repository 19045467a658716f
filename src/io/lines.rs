//! The line on which each record of a streamed CSV file starts, counted from the file's bytes.
//!
//! The csv crate's own count (`Position::line`) is of the line feeds it had passed when it began
//! looking for the record. After a CRLF line end it has not yet passed the `\n` (it consumes it
//! with the next record), and blank lines are skipped after the count is taken, so it names a
//! line too early in a file saved on Windows or with blank lines. The record's `Position::byte`
//! is where the reader began looking, before those line ends: the record itself starts at the
//! first byte after them that ends no line, and its line is 1 + the line feeds before that byte.
//! [`LineBreaks`] notes where the line ends are as the bytes stream past, so a file read once, in
//! pieces, gets the same lines as one held whole (`crate::io::table` counts them on the bytes).

use std::collections::VecDeque;
use std::io::Read;

/// A reader that passes `inner`'s bytes through unchanged and notes the offset of every `\r` and
/// `\n` among them, for [`LineBreaks::line_of_record`]. It holds only the line ends the CSV reader
/// has read ahead of the last record asked about.
pub struct LineBreaks<R> {
    inner: R,
    /// Bytes passed so far.
    read: u64,
    /// The line ends not yet passed by a record asked about: offset, and whether it is `\n`.
    ends: VecDeque<(u64, bool)>,
    /// The line feeds before the first of `ends`.
    feeds: u64,
}

impl<R: Read> LineBreaks<R> {
    pub fn new(inner: R) -> LineBreaks<R> {
        LineBreaks {
            inner,
            read: 0,
            ends: VecDeque::new(),
            feeds: 0,
        }
    }

    /// The line of the record the CSV reader began looking for at byte `start` (its
    /// `Position::byte`): the first byte at or after `start` that is not a line end, and 1 + the
    /// line feeds before it. Records must be asked about in file order, each at most once after
    /// the bytes of its start were read (any earlier start gets the line of the last one).
    pub fn line_of_record(&mut self, start: u64) -> u64 {
        while let Some(&(at, feed)) = self.ends.front() {
            if at >= start {
                break;
            }
            self.feeds += u64::from(feed);
            self.ends.pop_front();
        }
        // The line ends the reader skipped before the record itself (a CRLF's `\n`, blank
        // lines): consecutive from `start`.
        let mut next = start;
        while let Some(&(at, feed)) = self.ends.front() {
            if at != next {
                break;
            }
            self.feeds += u64::from(feed);
            self.ends.pop_front();
            next += 1;
        }
        1 + self.feeds
    }
}

/// The line of the record (or the error) a CSV reader made by `crate::io::table::csv_reader`
/// over a [`LineBreaks`] began looking for at `start` (its `Position`). The reader's chained
/// first part is the head it read ahead to choose the delimiter; those bytes passed through
/// [`LineBreaks`] first, so its offsets are the reader's.
pub fn line_of<R: Read>(
    reader: &mut csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, LineBreaks<R>>>,
    start: Option<&csv::Position>,
) -> Option<u64> {
    start.map(|p| reader.get_mut().get_mut().1.line_of_record(p.byte()))
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = buf.get(..n).unwrap_or_default();
        for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            self.ends
                .push_back((self.read + i as u64, bytes[i] == b'\n'));
        }
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    /// The true line of each record of `text` (no quotes): 1 + the line feeds before its first
    /// byte, for every line that holds more than line ends. Computed independently of any CSV
    /// reader.
    fn true_lines(text: &str) -> Vec<u64> {
        let mut lines = Vec::new();
        let mut line = 1;
        let mut at_line_start = true;
        for &b in text.as_bytes() {
            match b {
                b'\n' => {
                    line += 1;
                    at_line_start = true;
                }
                b'\r' => at_line_start = true,
                _ => {
                    // A lone CR also ends a record for the csv crate.
                    if at_line_start {
                        lines.push(line);
                    }
                    at_line_start = false;
                }
            }
        }
        lines
    }

    /// A reader that gives at most `step` bytes a call, as a file read in pieces does.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn lines_read(text: &str, step: usize) -> Vec<u64> {
        let tracked = LineBreaks::new(Trickle {
            bytes: text.as_bytes(),
            step,
        });
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(64)
            .from_reader(tracked);
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let start = record.position().map_or(0, |p| p.byte());
            lines.push(reader.get_mut().line_of_record(start));
        }
        lines
    }

    #[test]
    fn records_get_their_true_lines_after_crlf_and_blank_lines() {
        // The csv crate's own count gives 1, 2, 3, 6 for the first and 2, 3, 6 for the second.
        let crlf = "h,x\r\na,1\r\nb,2\r\n\r\n\r\nc,3\r\nd,4\r\n";
        assert_eq!(lines_read(crlf, 1 << 20), [1, 2, 3, 6, 7]);
        let blank = "h,x\na,1\n\n\nb,2\nd,4";
        assert_eq!(lines_read(blank, 1 << 20), [1, 2, 5, 6]);
    }

    #[test]
    fn random_files_read_in_any_pieces_get_their_true_lines() {
        let mut stream = Stream::new(19, "line breaks");
        let mut draw = |n: usize| stream.below(n as u64) as usize;
        for _ in 0..400 {
            let mut text = String::new();
            for _ in 0..draw(40) {
                match draw(8) {
                    0 => text.push('\n'),
                    1 => text.push_str("\r\n"),
                    2 => text.push('\r'),
                    _ => {
                        for f in 0..=draw(4) {
                            if f > 0 {
                                text.push(',');
                            }
                            for _ in 0..draw(6) {
                                text.push(['a', '7', ' ', '.', '-'][draw(5)]);
                            }
                        }
                        // A record ends with a line end, or the file.
                        text.push_str(["\n", "\r\n", "\r"][draw(3)]);
                    }
                }
            }
            if draw(2) == 0 && !text.is_empty() {
                text.pop();
            }
            // Only records with a byte other than a line end (the csv crate skips the rest,
            // and reads `,` alone as two empty fields).
            let expected = true_lines(&text);
            for step in [1, 2, 3, 7, 64, 1 << 20] {
                let got = lines_read(&text, step);
                assert_eq!(got, expected, "{text:?} read {step} bytes at a time");
            }
        }
    }
}
