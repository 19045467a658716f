//! The manifest: for every output file lotta writes, the lotta version, the command, the seed,
//! and SHA-256 of every input and of the output itself. It lives beside the outputs as
//! `manifest.json`, one entry per output file name, sorted, with no timestamps, so that the same
//! inputs give the same manifest byte for byte.

use crate::error::{Error, Result};
use crate::io::{sha256_file, write_atomic};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    /// The path as the user gave it (or relative to the manifest's folder).
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub lotta_version: String,
    pub command: String,
    pub seed: Option<u64>,
    pub inputs: Vec<FileHash>,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub files: BTreeMap<String, Entry>,
}

/// The hash of an input already read.
pub fn file_hash(input: &crate::io::source::InputFile) -> FileHash {
    FileHash {
        path: input.path().to_string_lossy().into_owned(),
        sha256: input.sha256().to_string(),
    }
}

/// The hash of a study's spec, as it was read.
pub fn spec_hash(study: &crate::spec::Study) -> FileHash {
    FileHash {
        path: study.file.to_string_lossy().into_owned(),
        sha256: study.sha256.clone(),
    }
}

/// Hash each input file as it is now.
pub fn hash_inputs(inputs: &[PathBuf]) -> Result<Vec<FileHash>> {
    inputs
        .iter()
        .map(|p| {
            Ok(FileHash {
                path: p.to_string_lossy().into_owned(),
                sha256: sha256_file(p)?,
            })
        })
        .collect()
}

/// Record (or replace) the entry of `output` in the manifest of the output's folder, hashing the
/// input files at `inputs`.
pub fn record(output: &Path, command: &str, seed: Option<u64>, inputs: &[PathBuf]) -> Result<()> {
    record_hashed(output, command, seed, hash_inputs(inputs)?)
}

/// [`record`] with the inputs' hashes already known (taken from the bytes that were read).
pub fn record_hashed(
    output: &Path,
    command: &str,
    seed: Option<u64>,
    inputs: Vec<FileHash>,
) -> Result<()> {
    record_all(&[output], command, seed, inputs)
}

/// Record (or replace) the entries of `outputs`, all in one folder, in that folder's manifest,
/// with one write.
pub fn record_all(
    outputs: &[&Path],
    command: &str,
    seed: Option<u64>,
    inputs: Vec<FileHash>,
) -> Result<()> {
    let outputs: Vec<(&Path, Option<&str>)> = outputs.iter().map(|&o| (o, None)).collect();
    record_all_hashed(&outputs, command, seed, inputs)
}

/// [`record_all`] of outputs given with their SHA-256 when the caller hashed them as it wrote
/// them (`None`: the file is read to hash it).
pub fn record_all_hashed(
    outputs: &[(&Path, Option<&str>)],
    command: &str,
    seed: Option<u64>,
    inputs: Vec<FileHash>,
) -> Result<()> {
    let Some((first, _)) = outputs.first() else {
        return Ok(());
    };
    let dir = first
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut manifest = read(&manifest_path)?;
    for (output, sha256) in outputs {
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = Entry {
            lotta_version: env!("CARGO_PKG_VERSION").to_string(),
            command: command.to_string(),
            seed,
            inputs: inputs.clone(),
            sha256: match sha256 {
                Some(known) => known.to_string(),
                None => sha256_file(output)?,
            },
        };
        manifest.files.insert(name, entry);
    }
    write(&manifest_path, &manifest)
}

/// Read a manifest, or an empty one if the file does not exist.
pub fn read(path: &Path) -> Result<Manifest> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::data(
                crate::error::Location::file(path).with_line(e.line() as u64),
                format!("not a lotta manifest: {e}"),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The manifest at `path`: `None` when there is no file, an error when there is one that is not a
/// lotta manifest (somebody else's `manifest.json`, which lotta must not overwrite).
pub fn read_existing(path: &Path) -> Option<Result<Manifest>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
            Error::refused(
                crate::error::Location::file(path).with_line(e.line() as u64),
                format!("this is not a lotta manifest ({e}), and lotta records every file it writes in the {MANIFEST_FILE} beside it"),
            )
            .with_hint("write to another folder, or rename this file if it is not needed there")
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(Error::io(path, e))),
    }
}

pub fn to_bytes(manifest: &Manifest) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

pub fn write(path: &Path, manifest: &Manifest) -> Result<()> {
    write_atomic(path, &to_bytes(manifest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_hashes_of_inputs_and_output() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(&input, "abc").unwrap();
        let out = dir.path().join("out").join("table.csv");
        write_atomic(&out, b"x").unwrap();
        record(&out, "lotta test", Some(7), std::slice::from_ref(&input)).unwrap();
        let m = read(&dir.path().join("out").join(MANIFEST_FILE)).unwrap();
        let e = &m.files["table.csv"];
        assert_eq!(e.seed, Some(7));
        assert_eq!(
            e.inputs[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(e.sha256, crate::io::sha256_hex(b"x"));
    }
}
