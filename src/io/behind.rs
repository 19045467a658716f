//! A file written behind its maker: the bytes handed to [`WriteBehind`] are hashed (SHA-256, for
//! the manifest) and written on a thread of their own, a megabyte at a time, while the calling
//! thread goes on making the next ones. Writing the ledger of ten million rows is serial (each
//! block's hash chains from the one before); its SHA-256 for the manifest and the copy into the
//! file's pages took a fifth of that serial work (docs/scale.md), which now overlaps it.

use super::hash::HashingWriter;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, channel, sync_channel};

/// Bytes gathered before they go to the writing thread: the size of the writes beneath
/// (`io::atomic`'s buffer), so that each goes through to the file without another copy.
const PIECE: usize = 1 << 20;

/// Pieces that may wait for the writing thread: the maker runs at most this far ahead, so the
/// memory held is a few megabytes whatever the file's size.
const QUEUED: usize = 2;

/// The writer handed to the maker: it gathers bytes into pieces and sends each full piece to the
/// writing thread, taking an emptied one back to fill next.
pub struct WriteBehind {
    piece: Vec<u8>,
    full: Option<SyncSender<Vec<u8>>>,
    emptied: Receiver<Vec<u8>>,
}

impl WriteBehind {
    /// The piece gathered so far sent to the writing thread, and an empty one taken in its place.
    fn send(&mut self) -> io::Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let next = match self.emptied.try_recv() {
            Ok(mut piece) => {
                piece.clear();
                piece
            }
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(PIECE),
        };
        let full = std::mem::replace(&mut self.piece, next);
        let stopped = || io::Error::other("the writing thread stopped");
        self.full
            .as_ref()
            .ok_or_else(stopped)?
            .send(full)
            .map_err(|_| stopped())
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.piece.extend_from_slice(buf);
        if self.piece.len() >= PIECE {
            self.send()?;
        }
        Ok(buf.len())
    }

    /// Sends what is gathered; the bytes reach the file when [`write_behind`] returns.
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// `make` writes to a [`WriteBehind`]; every byte it writes goes, in order, to `out` and into a
/// SHA-256 on a second thread. Gives what `make` gave and the digest of the bytes (lower-case
/// hex) once all of them are written to `out` and `out` is flushed. An error of `make` is given
/// as it is; an error writing to `out` stops the writing thread, makes the maker's next write
/// fail, and is given in place of that failure.
pub fn write_behind<W, T, E>(
    out: W,
    make: impl FnOnce(&mut WriteBehind) -> Result<T, E>,
) -> Result<(T, String), E>
where
    W: Write + Send,
    E: From<io::Error>,
{
    std::thread::scope(|scope| {
        let (full_sender, full) = sync_channel::<Vec<u8>>(QUEUED);
        let (emptied_sender, emptied) = channel::<Vec<u8>>();
        let writer = scope.spawn(move || -> io::Result<String> {
            let mut hashed = HashingWriter::new(out);
            for piece in full {
                hashed.write_all(&piece)?;
                // The maker may have finished and gone: then the piece is not needed.
                let _ = emptied_sender.send(piece);
            }
            hashed.flush()?;
            Ok(hashed.finish())
        });
        let mut behind = WriteBehind {
            piece: Vec::with_capacity(PIECE),
            full: Some(full_sender),
            emptied,
        };
        let made = make(&mut behind);
        let sent = behind.send();
        // The writing thread ends when the channel closes.
        behind.full = None;
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")));
        match (made, sent, written) {
            (_, _, Err(e)) => Err(E::from(e)),
            (Err(e), _, _) => Err(e),
            (_, Err(e), _) => Err(E::from(e)),
            (Ok(value), Ok(()), Ok(digest)) => Ok((value, digest)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::sha256_hex;

    /// Whatever the sizes of the writes (a byte, a few, more than a piece), the bytes reach the
    /// writer beneath whole and in order, and the digest is theirs.
    #[test]
    fn every_byte_reaches_the_file_in_order_with_its_digest() {
        let bytes: Vec<u8> = (0..3 * PIECE + 12_345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        for sizes in [
            &[1usize, 7, 64][..],
            &[PIECE - 1, 3],
            &[5 * PIECE],
            &[4096, 1, 100_000],
        ] {
            let mut out = Vec::new();
            let ((), digest) = write_behind(&mut out, |w| -> io::Result<()> {
                let mut at = 0;
                for &size in sizes.iter().cycle() {
                    if at == bytes.len() {
                        break;
                    }
                    let end = (at + size).min(bytes.len());
                    w.write_all(&bytes[at..end])?;
                    at = end;
                }
                w.flush()
            })
            .unwrap();
            assert!(out == bytes, "sizes {sizes:?}");
            assert_eq!(digest, sha256_hex(&bytes));
        }
        let mut out = Vec::new();
        let ((), digest) = write_behind(&mut out, |_| Ok::<(), io::Error>(())).unwrap();
        assert!(out.is_empty());
        assert_eq!(digest, sha256_hex(b""));
    }

    /// A writer beneath that fails after some bytes: the maker's writes fail soon after, and
    /// the error given is the writer's own.
    #[test]
    fn a_failing_file_stops_the_maker_with_its_own_error() {
        struct FailsAfter(usize);
        impl Write for FailsAfter {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut writes = 0usize;
        let result = write_behind(FailsAfter(3 * PIECE), |w| -> io::Result<()> {
            // Far more than the file takes: the maker must be stopped, not run to the end.
            for _ in 0..1000 {
                w.write_all(&[b'x'; PIECE])?;
                writes += 1;
            }
            Ok(())
        });
        let e = result.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull, "{e}");
        assert!(writes < 10, "the maker went on for {writes} pieces");
    }

    /// The maker's own error comes back as it was, and what it wrote before still reaches the
    /// file (the caller, `io::atomic`, removes the file).
    #[test]
    fn the_makers_error_is_given_as_it_is() {
        let mut out = Vec::new();
        let result = write_behind(&mut out, |w| -> Result<(), Box<dyn std::error::Error>> {
            w.write_all(b"abc")?;
            Err("no such arm".into())
        });
        assert_eq!(result.unwrap_err().to_string(), "no such arm");
        assert_eq!(out, b"abc");
    }
}
