//! SHA-256 digests of inputs and outputs, for the manifest and the ledger's hash chain.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Lower-case hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hexadecimal SHA-256 of a file's content, read in chunks.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// A reader that hashes every byte that passes through it: a file is read once for its content
/// and its SHA-256 (the ledger's and the participants' at ten million rows).
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Read what is left (so that the digest is of the whole input) and return the digest as
    /// lower-case hex.
    pub fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(hex(&self.hasher.finalize()))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for HashingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            self.hasher.update(&buf[..amount.min(buf.len())]);
        }
        self.inner.consume(amount);
    }
}

/// [`HashingReader`] of a file, read and hashed ahead on a thread of its own: the reader gets
/// the file's bytes a buffer at a time while the next ones are read and hashed (SHA-256 of the
/// 0.7 GB ledger of ten million rows was a tenth of `verify`'s one thread, docs/scale.md).
pub struct ReadAheadHashing {
    buffers: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    /// Buffers read, handed back to be filled again (no fresh pages for each megabyte).
    spent: std::sync::mpsc::Sender<Vec<u8>>,
    digest: std::sync::mpsc::Receiver<String>,
    /// The buffer being read, and how far.
    current: Vec<u8>,
    at: usize,
    done: bool,
}

/// Bytes read ahead per buffer, and buffers read ahead at most.
const READ_AHEAD_BUFFER: usize = 1 << 20;
const READ_AHEAD_BUFFERS: usize = 4;

impl ReadAheadHashing {
    pub fn new(mut file: std::fs::File) -> ReadAheadHashing {
        let (sender, buffers) = std::sync::mpsc::sync_channel(READ_AHEAD_BUFFERS);
        let (digest_sender, digest) = std::sync::mpsc::sync_channel(1);
        let (spent, spent_buffers) = std::sync::mpsc::channel::<Vec<u8>>();
        // The thread stops at the end of the file, at an error (sent on), or when the reader
        // is dropped (a send fails).
        std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            loop {
                let mut buffer = spent_buffers.try_recv().unwrap_or_default();
                buffer.resize(READ_AHEAD_BUFFER, 0);
                let mut filled = 0;
                while filled < buffer.len() {
                    match file.read(&mut buffer[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = sender.send(Err(e));
                            return;
                        }
                    }
                }
                buffer.truncate(filled);
                hasher.update(&buffer);
                if filled == 0 {
                    let _ = digest_sender.send(hex(&hasher.finalize()));
                    return;
                }
                if sender.send(Ok(buffer)).is_err() {
                    return;
                }
            }
        });
        ReadAheadHashing {
            buffers,
            spent,
            digest,
            current: Vec::new(),
            at: 0,
            done: false,
        }
    }

    /// Read what is left (so that the digest is of the whole file) and return the digest as
    /// lower-case hex.
    pub fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        self.digest
            .recv()
            .map_err(|_| std::io::Error::other("the thread reading the file stopped"))
    }
}

impl Read for ReadAheadHashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.buffers.recv() {
                Ok(Ok(next)) => {
                    let spent = std::mem::replace(&mut self.current, next);
                    // The reading thread may have stopped; the buffer is then dropped.
                    let _ = self.spent.send(spent);
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The sender is dropped after the last buffer.
                Err(_) => self.done = true,
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A writer that hashes every byte written through it: a file written is hashed for the
/// manifest as it is written, instead of read back (the ten-million-row ledger, 0.7 GB).
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: std::io::Write> HashingWriter<W> {
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The digest of the bytes written, as lower-case hex.
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Lower-case hexadecimal of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        // FIPS 180-2 test vector "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// The digest of the bytes written through, in pieces of any size, is that of all of them.
    #[test]
    fn a_hashing_writer_hashes_what_it_writes() {
        use std::io::Write;
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = HashingWriter::new(Vec::new());
        for piece in bytes.chunks(777) {
            out.write_all(piece).unwrap();
        }
        out.flush().unwrap();
        assert_eq!(out.finish(), sha256_hex(&bytes));
    }

    /// A file read ahead on a thread gives its bytes in order and their digest: empty, shorter
    /// than a buffer, a buffer's size exactly and over several buffers, read in odd pieces; and
    /// the digest of a file read only in part is still of the whole file.
    #[test]
    fn a_file_read_ahead_gives_its_bytes_and_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        for size in [0, 10, READ_AHEAD_BUFFER, 3 * READ_AHEAD_BUFFER + 17] {
            let bytes: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            let mut reader = ReadAheadHashing::new(std::fs::File::open(&path).unwrap());
            let mut read = Vec::new();
            let mut piece = [0u8; 1000];
            loop {
                let n = reader.read(&mut piece).unwrap();
                if n == 0 {
                    break;
                }
                read.extend_from_slice(&piece[..n]);
            }
            assert!(read == bytes, "{size}");
            assert_eq!(reader.finish().unwrap(), sha256_hex(&bytes), "{size}");
            let mut partly = ReadAheadHashing::new(std::fs::File::open(&path).unwrap());
            let _ = partly.read(&mut piece).unwrap();
            assert_eq!(partly.finish().unwrap(), sha256_hex(&bytes), "{size}");
        }
    }
}
