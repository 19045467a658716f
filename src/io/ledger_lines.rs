//! The records of a ledger file, streamed: lotta writes its ledgers with `,` and `\n` and quotes
//! a cell only when it must (an id with a comma or a quote), so a line without a quote, a
//! carriage return or anything else unusual is split at commas directly (memchr), which is
//! most of `verify`'s time saved over the csv crate's state machine. At the first line that is
//! not plain (a quote, a `\r`, a blank line, bytes that are not UTF-8, a record with the wrong
//! number of fields) the rest of the file goes through the csv crate, positioned at that line's
//! line, byte and record number, so every record and every error (its message and position
//! included) is the one the csv crate alone would give.

use crate::error::{Error, Location, Result};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The bytes read ahead at a time (a line longer than this grows the buffer).
const BLOCK: usize = 1 << 20;

/// A record's cells: split by hand, or as the csv crate read them.
pub enum Fields<'a> {
    Plain {
        line: &'a str,
        bounds: &'a [(usize, usize)],
    },
    Csv(&'a csv::StringRecord),
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        match self {
            Fields::Plain { bounds, .. } => bounds.len(),
            Fields::Csv(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Fields::Plain { line, bounds } => bounds.get(i).map(|&(a, b)| &line[a..b]),
            Fields::Csv(r) => r.get(i),
        }
    }
}

/// The csv crate's reader of the rest of a file: the header line, then what was read ahead
/// from the first line that is not plain, then the file.
type CsvRest<R> = csv::Reader<Resume<R>>;

/// The records of a ledger (see the module's note).
pub struct Records<R: Read> {
    path: std::path::PathBuf,
    /// Plain mode: the input, `buf[start..end]` read ahead, the file offset of `buf[0]`, the
    /// line of `buf[start]`. None once the csv crate reads the rest.
    input: Option<R>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    offset: u64,
    line: u64,
    eof: bool,
    /// The header line as written, with its line feed (replayed to the csv crate, which takes
    /// the number of fields from it).
    header_raw: Vec<u8>,
    headers: Vec<String>,
    /// Records read (the header counts as record 0, as in [`csv::Position::record`]).
    records: u64,
    bounds: Vec<(usize, usize)>,
    csv: Option<CsvRest<R>>,
    record: csv::StringRecord,
}

impl<R: Read> Records<R> {
    /// Read the header of `input` (`path` names the file in messages).
    pub fn new(path: &Path, input: R) -> Result<Self> {
        let mut records = Records {
            path: path.to_path_buf(),
            input: Some(input),
            buf: vec![0; BLOCK],
            start: 0,
            end: 0,
            offset: 0,
            line: 1,
            eof: false,
            header_raw: Vec::new(),
            headers: Vec::new(),
            records: 0,
            bounds: Vec::new(),
            csv: None,
            record: csv::StringRecord::new(),
        };
        match records.next_line()? {
            Some((a, b, next)) => {
                let text = &records.buf[a..b];
                let plain = !text.starts_with(b"\xEF\xBB\xBF")
                    && memchr::memchr2(b'"', b'\r', text).is_none()
                    && !text.is_empty();
                match std::str::from_utf8(text) {
                    Ok(line) if plain => {
                        records.headers = line.split(',').map(str::to_string).collect();
                        records.header_raw = records.buf[a..next].to_vec();
                        if records.header_raw.last() != Some(&b'\n') {
                            records.header_raw.push(b'\n');
                        }
                        records.advance(next);
                        records.records = 1;
                    }
                    _ => records.hand_to_csv(true)?,
                }
            }
            None => records.hand_to_csv(true)?,
        }
        Ok(records)
    }

    /// The header's cells.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next record: its line and its cells; None at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<(u64, Fields<'_>)>> {
        if self.csv.is_none() {
            let Some((a, b, next)) = self.next_line()? else {
                return Ok(None);
            };
            // Any `\r` is left to the csv crate: it ends a record there, and after a `\r\n`
            // the crate numbers the next record with the line before (its positions are kept).
            // One pass over the line's bytes (a memchr call per comma costs more than it
            // saves on lines of 60 bytes): the commas, and anything that is not plain.
            self.bounds.clear();
            let (mut from, mut unusual, mut ascii) = (0, b == a, true);
            for (i, &byte) in self.buf[a..b].iter().enumerate() {
                match byte {
                    b',' => {
                        self.bounds.push((from, i));
                        from = i + 1;
                    }
                    b'"' | b'\r' => unusual = true,
                    _ => ascii &= byte < 0x80,
                }
            }
            self.bounds.push((from, b - a));
            let plain = !unusual
                && self.bounds.len() == self.headers.len()
                && (ascii || std::str::from_utf8(&self.buf[a..b]).is_ok());
            if plain {
                let line = self.line;
                self.start = next;
                self.line += 1;
                self.records += 1;
                // Valid UTF-8 (checked above; taken again so that the borrow of the buffer
                // starts after the checks).
                let text = std::str::from_utf8(&self.buf[a..b]).unwrap_or_default();
                return Ok(Some((
                    line,
                    Fields::Plain {
                        line: text,
                        bounds: &self.bounds,
                    },
                )));
            }
            self.hand_to_csv(false)?;
        }
        let Some(reader) = self.csv.as_mut() else {
            return Ok(None);
        };
        if !reader
            .read_record(&mut self.record)
            .map_err(|e| csv_error(&self.path, e))?
        {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, |p| p.line());
        Ok(Some((line, Fields::Csv(&self.record))))
    }

    /// Step past the line that ends just before `next`.
    fn advance(&mut self, next: usize) {
        self.start = next;
        self.line += 1;
    }

    /// The line at `start`: its text `buf[a..b]` (without the line feed) and where the next
    /// begins; None at the end of the file.
    fn next_line(&mut self) -> Result<Option<(usize, usize, usize)>> {
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let b = self.start + p;
                return Ok(Some((self.start, b, b + 1)));
            }
            if self.eof {
                return Ok((self.start < self.end).then_some((self.start, self.end, self.end)));
            }
            self.fill()?;
        }
    }

    /// Keep the unread bytes, read more.
    fn fill(&mut self) -> Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.offset += self.start as u64;
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let Some(input) = self.input.as_mut() else {
            self.eof = true;
            return Ok(());
        };
        let n = loop {
            match input.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(&self.path, e)),
            }
        };
        self.end += n;
        self.eof = n == 0;
        Ok(())
    }

    /// Hand the rest of the file, from `start`, to the csv crate (from the header when
    /// `from_header`).
    fn hand_to_csv(&mut self, from_header: bool) -> Result<()> {
        let Some(rest) = self.input.take() else {
            return Ok(());
        };
        let mut head = if from_header {
            Vec::new()
        } else {
            self.header_raw.clone()
        };
        head.extend_from_slice(&self.buf[self.start..self.end]);
        self.buf = Vec::new();
        let resume = Resume {
            head: std::io::Cursor::new(head),
            rest,
            in_rest: false,
        };
        let mut reader = crate::io::table::ledger_builder().from_reader(resume);
        if from_header {
            self.headers = reader
                .headers()
                .map_err(|e| csv_error(&self.path, e))?
                .iter()
                .map(str::to_string)
                .collect();
        } else {
            // The header (replayed) sets the number of fields every record must have; then
            // the reader is told where it stands in the file.
            let mut at = csv::Position::new();
            at.set_byte(self.offset + self.start as u64)
                .set_line(self.line)
                .set_record(self.records);
            reader
                .seek_raw(SeekFrom::Current(0), at)
                .map_err(|e| csv_error(&self.path, e))?;
        }
        self.csv = Some(reader);
        Ok(())
    }
}

/// Bytes read ahead, then the rest of the input. Seeking moves only within the bytes read
/// ahead: it is how [`csv::Reader::seek_raw`] gives back what its buffer held beyond the header.
struct Resume<R> {
    head: std::io::Cursor<Vec<u8>>,
    rest: R,
    in_rest: bool,
}

impl<R: Read> Read for Resume<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if !self.in_rest {
            let n = self.head.read(out)?;
            if n > 0 || out.is_empty() {
                return Ok(n);
            }
            self.in_rest = true;
        }
        self.rest.read(out)
    }
}

impl<R> Seek for Resume<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        match to {
            SeekFrom::Current(_) if !self.in_rest => self.head.seek(to),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "a ledger is read forward only",
            )),
        }
    }
}

pub(crate) fn csv_error(path: &Path, e: csv::Error) -> Error {
    let mut location = Location::file(path);
    if let Some(pos) = e.position() {
        location = location.with_line(pos.line());
    }
    Error::ledger(location, format!("cannot read the ledger: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out `step` bytes at a time (to cross every buffer boundary).
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    type Read_ = std::result::Result<(Vec<String>, Vec<(u64, Vec<String>)>), String>;

    /// Header, then each record's line and cells, or the first error's message and line.
    fn by_records(bytes: &[u8], step: usize) -> Read_ {
        let input = Trickle { bytes, step };
        let err = |e: Error| format!("{e}");
        let mut records = Records::new(Path::new("l.csv"), input).map_err(err)?;
        let headers = records.headers().to_vec();
        let mut rows = Vec::new();
        while let Some((line, fields)) = records.next_record().map_err(err)? {
            let cells = (0..fields.len())
                .map(|i| fields.get(i).unwrap_or("").to_string())
                .collect();
            rows.push((line, cells));
        }
        Ok((headers, rows))
    }

    fn by_csv(bytes: &[u8]) -> Read_ {
        let path = Path::new("l.csv");
        let err = |e: csv::Error| format!("{}", csv_error(path, e));
        let mut reader = crate::io::table::ledger_builder().from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(err)?
            .iter()
            .map(str::to_string)
            .collect();
        let mut record = csv::StringRecord::new();
        let mut rows = Vec::new();
        while reader.read_record(&mut record).map_err(err)? {
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record.iter().map(str::to_string).collect()));
        }
        Ok((headers, rows))
    }

    fn same(bytes: &[u8]) {
        let expected = by_csv(bytes);
        for step in [1, 3, 64, 1 << 20] {
            assert_eq!(
                by_records(bytes, step),
                expected,
                "step {step}: {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn both_routes_read_the_same_records() {
        let head = "id,arm,stratum,batch,hash\n";
        let body = "a1,treatment,s1,1,\na2,control,s1,1,ff\n";
        for text in [
            format!("{head}{body}"),
            // A quoted id with a comma and a doubled quote, after plain rows and before more.
            format!("{head}{body}\"x,\"\"y\",control,s2,1,\n{body}"),
            // A quoted line break.
            format!("{head}{body}\"x\ny\",control,s2,1,\n{body}"),
            // CRLF throughout, and from a row on.
            format!("{head}{body}").replace('\n', "\r\n"),
            format!("{head}{body}{}", body.replace('\n', "\r\n")),
            // A lone carriage return, a blank line, a missing last line feed.
            format!("{head}{body}a3,control\rs1,1,\n{body}"),
            format!("{head}{body}\n{body}"),
            format!("{head}{}", body.trim_end()),
            // A truncated last line, a line with a cell too many, a header alone, nothing.
            format!("{head}{body}a3,contr"),
            format!("{head}{body}a3,control,s1,1,,x\n{body}"),
            head.to_string(),
            String::new(),
            // A byte-order mark, a quoted header.
            format!("\u{feff}{head}{body}"),
            format!("\"id\",arm,stratum,batch,hash\n{body}"),
            // Empty cells, non-ASCII text.
            format!("{head},,,,\nÅsa,kontroll,ö,1,\n"),
        ] {
            same(text.as_bytes());
        }
        // Bytes that are not UTF-8, first and after plain rows.
        same(b"id,arm,stratum,batch,hash\na1,\xff,s1,1,\n");
        same(b"id,arm,stratum,batch,hash\na0,c,s1,1,\na1,\xff,s1,1,\na2,c,s1,1,\n");
    }

    #[test]
    fn a_long_file_crosses_buffers_and_then_falls_back() {
        let mut text = String::from("id,arm,stratum,batch,hash\n");
        for i in 0..40_000 {
            text.push_str(&format!("p{i},treatment,s{},1,{}\n", i % 7, i % 3));
        }
        text.push_str("\"q,1\",control,s1,1,\n");
        for i in 0..10 {
            text.push_str(&format!("r{i},control,s1,1,\n"));
        }
        text.push_str("r10,control\n");
        let records = by_records(text.as_bytes(), 1 << 20);
        assert_eq!(records, by_csv(text.as_bytes()));
        assert!(records.unwrap_err().contains("line 40013"));
    }
}
