//! Atomic file writes: write a temporary file beside the target, flush it to disk, rename it over
//! the target, then (on Unix) flush the folder so the rename itself survives a crash. An
//! interrupted run leaves either the old file or the new one, never half of one.
//!
//! The temporary file is `.<name>.tmp-<pid>-<n>` beside the target: hidden, unique per process
//! and per call (so two writes of one file never share a temporary), and matched by the
//! `.gitignore` pattern `*.tmp-*`.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a filling closure returns: any error (I/O, CSV, ...) aborts the write.
pub type FillResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Buffer of the writer handed to a filling closure: large, so a ledger of millions of rows goes
/// to disk in few system calls.
const BUFFER: usize = 1 << 20;

/// Write `bytes` to `path` atomically, creating parent folders as needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |out| Ok(out.write_all(bytes)?))
}

/// Write `path` atomically by streaming through `fill` (so a large file is never held in memory
/// whole), creating parent folders as needed. If `fill` fails, the temporary file is removed and
/// the target is left as it was.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> FillResult,
) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let tmp = parent.join(temporary_name(path));
    let result = (|| -> FillResult {
        let mut out = BufWriter::with_capacity(BUFFER, File::create(&tmp)?);
        fill(&mut out)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        let e = match e.downcast::<std::io::Error>() {
            Ok(io) => *io,
            Err(other) => std::io::Error::other(other.to_string()),
        };
        return Err(Error::io(path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })?;
    sync_folder(&parent);
    Ok(())
}

/// `.<name>.tmp-<pid>-<n>`, `n` counting this process's atomic writes.
fn temporary_name(path: &Path) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.tmp-{}-{n}", std::process::id())
}

/// Temporary files of earlier atomic writes of `path` whose process is gone (killed mid-write):
/// `.<name>.tmp-<pid>-<n>` beside `path`, with `<pid>` not a running process. Only names of this
/// exact form are returned, so a file lotta did not make is never taken for one of its own. On
/// systems without `/proc`, every such file of another process counts as stale.
pub fn stale_temporaries(path: &Path) -> Vec<PathBuf> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let rest = file.strip_prefix(&prefix)?;
            let (pid, n) = rest.split_once('-')?;
            let pid: u32 = pid.parse().ok()?;
            n.parse::<u64>().ok()?;
            (!process_is_running(pid)).then(|| e.path())
        })
        .collect();
    stale.sort();
    stale
}

/// Remove the [`stale_temporaries`] of `path`; returns the files removed.
pub fn remove_stale_temporaries(path: &Path) -> Result<Vec<PathBuf>> {
    let stale = stale_temporaries(path);
    for file in &stale {
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(file, e)),
        }
    }
    Ok(stale)
}

/// Whether process `pid` is running (this process always is). Without `/proc`, only this one.
fn process_is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    proc.join("self").exists() && proc.join(pid.to_string()).exists()
}

/// Make a rename in `folder` durable. Best effort: file systems that cannot sync a folder are
/// left alone (the file's own content is already on disk).
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("a.csv");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(names(path.parent().unwrap()), ["a.csv"]);
    }

    #[test]
    fn streams_through_a_closure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        write_atomic_with(&path, |out| {
            for i in 0..3 {
                writeln!(out, "row {i}")?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "row 0\nrow 1\nrow 2\n"
        );
        assert_eq!(names(dir.path()), ["ledger.csv"]);
    }

    #[test]
    fn a_failing_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        std::fs::write(&path, "old").unwrap();
        let result = write_atomic_with(&path, |out| {
            out.write_all(b"half a new ledger")?;
            Err("interrupted".into())
        });
        let e = result.unwrap_err().to_string();
        assert!(e.contains("interrupted"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), ["ledger.csv"]);
    }

    #[test]
    fn a_failing_first_write_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.csv");
        let result = write_atomic_with(&path, |_| Err("no".into()));
        assert!(result.is_err());
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn temporary_names_are_unique_per_call_and_ignored_by_git() {
        let path = Path::new("out/a.csv");
        let (a, b) = (temporary_name(path), temporary_name(path));
        assert_ne!(a, b);
        let prefix = format!(".a.csv.tmp-{}-", std::process::id());
        assert!(a.starts_with(&prefix) && b.starts_with(&prefix), "{a} {b}");
    }

    #[test]
    fn stale_temporaries_are_only_lottas_own_of_dead_processes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        std::fs::write(&path, "id\n").unwrap();
        // A pid above Linux's maximum (2^22) is never running.
        let dead = dir.path().join(".ledger.csv.tmp-4194999-0");
        let live = dir
            .path()
            .join(format!(".ledger.csv.tmp-{}-9", std::process::id()));
        let others = [
            ".ledger.csv.tmp-x-1",
            ".ledger.csv.tmp-12",
            "ledger.csv.tmp-4194999-0",
            ".other.csv.tmp-4194999-0",
        ];
        for f in [&dead, &live] {
            std::fs::write(f, "half").unwrap();
        }
        for f in others {
            std::fs::write(dir.path().join(f), "mine").unwrap();
        }
        assert_eq!(stale_temporaries(&path), std::slice::from_ref(&dead));
        assert_eq!(
            remove_stale_temporaries(&path).unwrap(),
            std::slice::from_ref(&dead)
        );
        assert!(!dead.exists() && live.exists());
        for f in others {
            assert!(dir.path().join(f).exists(), "{f}");
        }
    }

    #[test]
    fn concurrent_writes_of_one_file_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let path = &path;
                s.spawn(move || write_atomic(path, &[b'0' + i; 64]).unwrap());
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 64);
        assert!(bytes.iter().all(|&b| b == bytes[0]));
        assert_eq!(names(dir.path()), ["a.csv"]);
    }
}
