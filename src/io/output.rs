//! One output file (`--out FILE`), checked before any work so that writing it can neither
//! overwrite an input nor a file lotta did not make, nor clobber somebody else's `manifest.json`.
//!
//! lotta records every file it writes in the `manifest.json` beside it. A file that is recorded
//! there is lotta's to replace; any other existing file is the user's and is refused. The output
//! is written atomically and the manifest after it, atomically too, so a failure leaves the old
//! output and manifest, or the new output and the old manifest (whose entry still names the file
//! as lotta's), never half a file.

use crate::error::{Error, Location, Result};
use crate::io::manifest::{self, FileHash, MANIFEST_FILE, Manifest, read_existing};
use crate::io::write_atomic;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    /// The file exists and its manifest names it (lotta wrote it).
    replaces_lottas: bool,
}

/// The folder a file is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The file name as the manifest records it.
fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

impl OutputFile {
    /// Check that `path` may be written by a command that reads `inputs`.
    pub fn check(path: &Path, inputs: &[PathBuf]) -> Result<OutputFile> {
        let location = Location::file(path);
        let name = name_of(path);
        if name.is_empty() || path.is_dir() {
            return Err(Error::refused(
                location,
                "this is a folder; --out takes the name of a file",
            ));
        }
        if name == MANIFEST_FILE {
            return Err(Error::refused(
                location,
                format!("lotta keeps its own record of outputs in {MANIFEST_FILE}; results cannot be written to it"),
            )
            .with_hint("choose another file name"));
        }
        if let Some(input) = inputs.iter().find(|i| same_file(path, i)) {
            return Err(Error::refused(
                location,
                format!(
                    "this is an input of the command ({}); lotta never writes over its inputs",
                    input.display()
                ),
            )
            .with_hint("choose another file name for the results"));
        }
        let manifest = match read_existing(&folder_of(path).join(MANIFEST_FILE)) {
            Some(m) => m?,
            None => Manifest::default(),
        };
        let exists = path.exists();
        let replaces_lottas = exists && manifest.files.contains_key(&name);
        if exists && !replaces_lottas {
            return Err(Error::refused(
                location,
                format!("this file exists and lotta did not write it (it is not in the {MANIFEST_FILE} beside it)"),
            )
            .with_hint("choose another file name, or move the file away first"));
        }
        Ok(OutputFile {
            path: path.to_path_buf(),
            replaces_lottas,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file exists and lotta wrote it.
    pub fn replaces_lottas(&self) -> bool {
        self.replaces_lottas
    }

    /// Write the output, then record it in the manifest beside it.
    pub fn write(
        &self,
        bytes: &[u8],
        command: &str,
        seed: Option<u64>,
        inputs: &[FileHash],
    ) -> Result<()> {
        write_atomic(&self.path, bytes)?;
        manifest::record_hashed(&self.path, command, seed, inputs.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_refused_by_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("outcomes.csv");
        std::fs::write(&input, "id,y\n").unwrap();
        let other_name = dir.path().join(".").join("outcomes.csv");
        let err = OutputFile::check(&other_name, std::slice::from_ref(&input)).unwrap_err();
        assert!(err.to_string().contains("an input of the command"), "{err}");
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "id,y\n");
    }

    #[test]
    fn a_users_file_is_refused_and_lottas_own_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("mine.csv");
        std::fs::write(&mine, "keep").unwrap();
        let err = OutputFile::check(&mine, &[]).unwrap_err();
        assert!(err.to_string().contains("lotta did not write it"), "{err}");
        let out = dir.path().join("effects.csv");
        OutputFile::check(&out, &[])
            .unwrap()
            .write(b"1", "test", None, &[])
            .unwrap();
        let again = OutputFile::check(&out, &[]).unwrap();
        assert!(again.replaces_lottas());
        again.write(b"2", "test", None, &[]).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"2");
        assert_eq!(std::fs::read_to_string(&mine).unwrap(), "keep");
    }

    #[test]
    fn somebody_elses_manifest_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), "{\"version\": 3}").unwrap();
        let out = dir.path().join("effects.csv");
        let err = OutputFile::check(&out, &[]).unwrap_err();
        assert!(err.to_string().contains("not a lotta manifest"), "{err}");
        assert!(!out.exists());
        let err = OutputFile::check(&dir.path().join(MANIFEST_FILE), &[]).unwrap_err();
        assert!(err.to_string().contains("own record"), "{err}");
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = OutputFile::check(dir.path(), &[]).unwrap_err();
        assert!(err.to_string().contains("is a folder"), "{err}");
    }
}
