//! A report folder that lotta owns, written without ever touching a file it did not make.
//!
//! lotta recognises its own folder by the `manifest.json` it leaves there: the manifest lists
//! every file lotta wrote, with its hash. Opening a folder refuses, before any work and without
//! renaming or deleting anything:
//! - a path that is a file;
//! - the current folder, or a folder that holds an input of the command (a study file, the
//!   ledger, a data file), at any depth;
//! - a folder that has anything in it but no lotta manifest (it is somebody else's folder);
//! - a lotta folder in which a file lotta wrote was changed since (edited by hand, or a run was
//!   interrupted while replacing files), unless the caller was told `--force`.
//!
//! The new files are written into a staging folder inside the target. Only when all of them are
//! written are they moved into place one by one (each move is atomic), the files of the previous
//! run that this run no longer makes are removed, and the manifest is moved in last. Files lotta
//! did not make (notes, drafts) stay where they are. A run that fails before that leaves the
//! previous report as it was, and no staging folder.

use crate::error::{Error, Location, Result};
use crate::io::manifest::{MANIFEST_FILE, Manifest, read_existing};
use crate::io::sha256_file;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The prefix of the staging folder inside the target (followed by the process id).
const STAGING_PREFIX: &str = ".lotta-staging-";

/// How many entries a refusal lists before "and N more".
const LISTED: usize = 5;

#[derive(Debug)]
pub struct ReportFolder {
    target: PathBuf,
    staging: PathBuf,
    /// The files the previous run made (the old manifest's names), removed at commit when this
    /// run does not make them again.
    previous: BTreeSet<String>,
    /// The folders this run made for the target (the target and any missing parents, such as
    /// `notebooks-out/`), innermost first: removed again, when still empty, if the run fails.
    created: Vec<PathBuf>,
    committed: bool,
}

impl ReportFolder {
    /// Check that `target` may be written by lotta (see the module notes) and create the
    /// staging folder inside it. `inputs` are the files the command reads. `force` allows
    /// replacing files lotta made that were changed since.
    pub fn open(target: &Path, inputs: &[PathBuf], force: bool) -> Result<ReportFolder> {
        let refuse = |message: String, hint: &str| {
            Err(Error::refused(Location::file(target), message).with_hint(hint.to_string()))
        };
        let exists = match std::fs::symlink_metadata(target) {
            Ok(meta) if meta.is_dir() => true,
            Ok(meta) if meta.file_type().is_symlink() && target.is_dir() => true,
            Ok(_) => {
                return refuse(
                    "this is a file, not a folder; lotta writes a report into a folder of its own"
                        .into(),
                    "name a new folder for the report",
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return refuse(
                    format!("the report folder cannot be written ({e})"),
                    "name a folder in a place you can write to",
                );
            }
        };
        if exists {
            let canonical = target.canonicalize().map_err(|e| Error::io(target, e))?;
            if let Ok(cwd) = std::env::current_dir()
                && cwd.canonicalize().is_ok_and(|c| c == canonical)
            {
                return refuse(
                    "this is the current folder; lotta writes a report into a folder of its own"
                        .into(),
                    "name a new folder for the report, e.g. --out notebooks-out/<study>",
                );
            }
            if let Some(input) = inputs
                .iter()
                .find(|i| i.canonicalize().is_ok_and(|c| c.starts_with(&canonical)))
            {
                return refuse(
                    format!(
                        "this folder holds {}, an input of the study; a report folder must not hold inputs",
                        input.display()
                    ),
                    "name a new folder for the report, e.g. --out notebooks-out/<study>",
                );
            }
        }
        let previous = if exists {
            previous_files(target, force)?
        } else {
            BTreeSet::new()
        };
        let created = if exists {
            Vec::new()
        } else {
            missing_folders(target)
        };
        if !exists {
            std::fs::create_dir_all(target).map_err(|e| {
                Error::refused(
                    Location::file(target),
                    format!("the report folder cannot be written ({e})"),
                )
            })?;
        }
        let staging = target.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        let made = std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e));
        if let Err(e) = made {
            remove_empty(&created);
            return Err(e);
        }
        Ok(ReportFolder {
            target: target.to_path_buf(),
            staging,
            previous,
            created,
            committed: false,
        })
    }

    /// The final folder.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The folder files are written to until `commit`.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Write `bytes` to `relative` (e.g. `figures/forest.svg`) inside the staging folder.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))
    }

    /// Move the staged files into the target, remove the previous run's files that this run no
    /// longer makes, and move the manifest in last. Returns the number of files written.
    pub fn commit(mut self) -> Result<usize> {
        let mut staged = Vec::new();
        walk(&self.staging, "", &mut staged)?;
        let (manifest, others): (Vec<String>, Vec<String>) =
            staged.into_iter().partition(|f| f == MANIFEST_FILE);
        for relative in others.iter().chain(&manifest) {
            let to = self.target.join(relative);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::rename(self.staging.join(relative), &to).map_err(|e| Error::io(&to, e))?;
        }
        let written: BTreeSet<&String> = others.iter().chain(&manifest).collect();
        for stale in self.previous.iter().filter(|f| !written.contains(f)) {
            let path = self.target.join(stale);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(&path, e));
                }
                _ => {}
            }
            // Remove the folders this leaves empty (never one that still holds anything).
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != self.target) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        remove_staging(&self.staging);
        self.committed = true;
        Ok(others.len() + manifest.len())
    }
}

impl Drop for ReportFolder {
    fn drop(&mut self) {
        if !self.committed {
            remove_staging(&self.staging);
            remove_empty(&self.created);
        }
    }
}

/// `target` and those of its parents that do not exist yet, innermost first.
fn missing_folders(target: &Path) -> Vec<PathBuf> {
    let mut missing = Vec::new();
    let mut folder = Some(target);
    while let Some(f) = folder.filter(|f| !f.as_os_str().is_empty() && !f.exists()) {
        missing.push(f.to_path_buf());
        folder = f.parent();
    }
    missing
}

/// Remove `folders` (innermost first) that lotta made, each only while it is empty: the first
/// that holds anything, e.g. a file another program put there meanwhile, stops the removal.
fn remove_empty(folders: &[PathBuf]) {
    for folder in folders {
        if std::fs::remove_dir(folder).is_err() {
            break;
        }
    }
}

/// Remove a staging folder lotta made (it holds only files lotta wrote in this run).
fn remove_staging(staging: &Path) {
    let _ = std::fs::remove_dir_all(staging);
}

/// The files (relative paths with `/`) below `dir`, sorted.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry
            .file_type()
            .map_err(|e| Error::io(entry.path(), e))?
            .is_dir()
        {
            walk(&entry.path(), &relative, out)?;
        } else {
            out.push(relative);
        }
    }
    Ok(())
}

/// Whether `name` is a staging folder of a lotta process that is no longer running (left by a
/// killed run). Where the process table cannot be read, none is taken as stale.
fn stale_staging(dir: &Path, name: &str) -> bool {
    let Some(pid) = name.strip_prefix(STAGING_PREFIX) else {
        return false;
    };
    pid.parse::<u32>().is_ok()
        && dir.join(name).is_dir()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid).exists()
}

/// The files the previous run made in an existing folder, after checking that the folder is
/// lotta's (or empty) and that none of lotta's files was changed since it wrote them.
fn previous_files(target: &Path, force: bool) -> Result<BTreeSet<String>> {
    let mut entries: Vec<String> = Vec::new();
    // A run killed while moving its files in leaves its staging folder with the new manifest
    // (moved last): the files it already moved are lotta's, with the hashes that manifest gives.
    let mut interrupted = Manifest::default();
    for entry in std::fs::read_dir(target).map_err(|e| Error::io(target, e))? {
        let entry = entry.map_err(|e| Error::io(target, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if stale_staging(target, &name) {
            if let Some(Ok(m)) = read_existing(&entry.path().join(MANIFEST_FILE)) {
                interrupted.files.extend(m.files);
            }
            remove_staging(&entry.path());
        } else {
            entries.push(name);
        }
    }
    entries.sort();
    if entries.is_empty() {
        return Ok(BTreeSet::new());
    }
    let manifest_path = target.join(MANIFEST_FILE);
    let manifest: Manifest = match read_existing(&manifest_path) {
        Some(Ok(m)) => m,
        _ => {
            let mut listed = entries
                .iter()
                .take(LISTED)
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ");
            if entries.len() > LISTED {
                listed.push_str(&format!(" and {} more", entries.len() - LISTED));
            }
            return Err(Error::refused(
                Location::file(target),
                format!(
                    "this folder is not empty and lotta did not make it (no lotta {MANIFEST_FILE}); it holds {listed}"
                ),
            )
            .with_hint("name a new or empty folder for the report; lotta never replaces a folder it did not make"));
        }
    };
    let mut changed = Vec::new();
    for (name, entry) in &manifest.files {
        if !safe_relative(name) {
            return Err(Error::data(
                Location::file(&manifest_path),
                format!("the manifest names `{name}`, which is not a file inside this folder"),
            )
            .with_hint("a lotta manifest names files inside its own folder; was it edited?"));
        }
        let path = target.join(name);
        if path.is_file() {
            let now = sha256_file(&path)?;
            let moved_in = interrupted.files.get(name).is_some_and(|e| e.sha256 == now);
            if now != entry.sha256 && !moved_in {
                changed.push(name.clone());
            }
        }
    }
    if !changed.is_empty() && !force {
        return Err(Error::refused(
            Location::file(target),
            format!(
                "{} changed since lotta wrote {} (edited by hand, or an earlier run was interrupted)",
                changed
                    .iter()
                    .take(LISTED)
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if changed.len() == 1 { "it" } else { "them" }
            ),
        )
        .with_hint("move your changes to a file of your own name, or pass --force to replace lotta's files"));
    }
    let mut previous: BTreeSet<String> = manifest.files.keys().cloned().collect();
    previous.extend(
        interrupted
            .files
            .keys()
            .filter(|n| safe_relative(n))
            .cloned(),
    );
    previous.insert(MANIFEST_FILE.to_string());
    Ok(previous)
}

/// A relative path of plain names (no `..`, no root), as lotta writes in its manifests.
fn safe_relative(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::manifest::{Entry, to_bytes};
    use crate::io::sha256_hex;

    /// A manifest that records `files` with their hashes.
    fn manifest_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut m = Manifest::default();
        for (name, bytes) in files {
            m.files.insert(
                name.to_string(),
                Entry {
                    lotta_version: "test".into(),
                    command: "test".into(),
                    seed: None,
                    inputs: Vec::new(),
                    sha256: sha256_hex(bytes),
                },
            );
        }
        to_bytes(&m)
    }

    /// Write a report of `files` into `target` through a ReportFolder.
    fn write_report(target: &Path, files: &[(&str, &[u8])], force: bool) -> Result<usize> {
        let folder = ReportFolder::open(target, &[], force)?;
        for (name, bytes) in files {
            folder.write(name, bytes)?;
        }
        folder.write(MANIFEST_FILE, &manifest_of(files))?;
        folder.commit()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        walk(dir, "", &mut out).unwrap();
        out
    }

    #[test]
    fn a_new_folder_gets_the_files_and_no_staging_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out").join("study");
        let n = write_report(&target, &[("figures/a.svg", b"<svg/>")], false).unwrap();
        assert_eq!(n, 2);
        assert_eq!(names(&target), ["figures/a.svg", "manifest.json"]);
    }

    #[test]
    fn a_run_that_fails_leaves_no_folder_it_made_but_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        // Two levels made for the report (`notebooks-out/study`): both go again.
        let target = dir.path().join("notebooks-out").join("study");
        drop(ReportFolder::open(&target, &[], false).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // A parent that existed, or that gained a file meanwhile, stays.
        std::fs::create_dir(dir.path().join("kept")).unwrap();
        let target = dir.path().join("kept").join("a").join("b");
        let folder = ReportFolder::open(&target, &[], false).unwrap();
        std::fs::write(dir.path().join("kept/a/notes.txt"), "mine").unwrap();
        drop(folder);
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("kept/a/notes.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn rerun_keeps_the_users_files_and_removes_only_lottas_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        write_report(&target, &[("old.csv", b"1"), ("tables/t.csv", b"2")], false).unwrap();
        std::fs::write(target.join("notes.md"), "my notes").unwrap();
        std::fs::create_dir(target.join("drafts")).unwrap();
        std::fs::write(target.join("drafts/d.txt"), "draft").unwrap();
        write_report(&target, &[("tables/t.csv", b"3")], false).unwrap();
        assert_eq!(
            names(&target),
            ["drafts/d.txt", "manifest.json", "notes.md", "tables/t.csv"]
        );
        assert_eq!(std::fs::read(target.join("tables/t.csv")).unwrap(), b"3");
        assert_eq!(
            std::fs::read_to_string(target.join("notes.md")).unwrap(),
            "my notes"
        );
    }

    #[test]
    fn a_folder_lotta_did_not_make_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("data");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("ledger.csv"), "id,arm\n").unwrap();
        let err = write_report(&target, &[("a.csv", b"1")], true).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("lotta did not make it"), "{text}");
        assert!(text.contains("`ledger.csv`"), "{text}");
        assert_eq!(names(&target), ["ledger.csv"]);
    }

    #[test]
    fn an_empty_folder_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("empty");
        std::fs::create_dir(&target).unwrap();
        write_report(&target, &[("a.csv", b"1")], false).unwrap();
        assert_eq!(names(&target), ["a.csv", "manifest.json"]);
    }

    #[test]
    fn a_file_is_refused_and_not_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        std::fs::write(&target, "precious").unwrap();
        let err = write_report(&target, &[("a.csv", b"1")], true).unwrap_err();
        assert!(err.to_string().contains("is a file"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_holding_an_input_is_refused_even_when_lotta_made_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        write_report(&target, &[("a.csv", b"1")], false).unwrap();
        let input = target.join("sub").join("input.csv");
        std::fs::create_dir(target.join("sub")).unwrap();
        std::fs::write(&input, "x").unwrap();
        let err = ReportFolder::open(&target, &[input], true).unwrap_err();
        assert!(err.to_string().contains("an input of the study"), "{err}");
    }

    #[test]
    fn an_edited_lotta_file_is_refused_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        write_report(&target, &[("report.md", b"lotta")], false).unwrap();
        std::fs::write(target.join("report.md"), "lotta + my edits").unwrap();
        let err = write_report(&target, &[("report.md", b"new")], false).unwrap_err();
        assert!(err.to_string().contains("`report.md` changed"), "{err}");
        assert_eq!(
            std::fs::read_to_string(target.join("report.md")).unwrap(),
            "lotta + my edits"
        );
        write_report(&target, &[("report.md", b"new")], true).unwrap();
        assert_eq!(std::fs::read(target.join("report.md")).unwrap(), b"new");
    }

    #[test]
    fn dropping_without_commit_leaves_the_old_folder_and_removes_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("study");
        write_report(&target, &[("report.html", b"old")], false).unwrap();
        {
            let folder = ReportFolder::open(&target, &[], false).unwrap();
            folder.write("report.html", b"new").unwrap();
        }
        assert_eq!(names(&target), ["manifest.json", "report.html"]);
        assert_eq!(std::fs::read(target.join("report.html")).unwrap(), b"old");
        let fresh = dir.path().join("fresh");
        {
            let folder = ReportFolder::open(&fresh, &[], false).unwrap();
            folder.write("report.html", b"new").unwrap();
        }
        assert!(!fresh.exists());
    }

    #[test]
    fn a_killed_runs_staging_folder_is_cleaned_but_a_users_lookalike_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        write_report(&target, &[("a.csv", b"1")], false).unwrap();
        // No process has id 4294967; a name that is not a process id is the user's.
        let stale = target.join(format!("{STAGING_PREFIX}4294967"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("a.csv"), "half").unwrap();
        let mine = target.join(format!("{STAGING_PREFIX}notes"));
        std::fs::create_dir(&mine).unwrap();
        write_report(&target, &[("a.csv", b"2")], false).unwrap();
        assert!(!stale.exists());
        assert!(mine.exists());
    }

    #[test]
    fn a_run_killed_while_moving_files_in_is_not_taken_for_an_edit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        write_report(&target, &[("a.csv", b"1"), ("b.csv", b"1")], false).unwrap();
        // The killed run had moved the new a.csv and c.csv in; its manifest stayed in staging.
        let stale = target.join(format!("{STAGING_PREFIX}4294967"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(
            stale.join(MANIFEST_FILE),
            manifest_of(&[("a.csv", b"2"), ("b.csv", b"2"), ("c.csv", b"2")]),
        )
        .unwrap();
        std::fs::write(stale.join("b.csv"), "2").unwrap();
        std::fs::write(target.join("a.csv"), "2").unwrap();
        std::fs::write(target.join("c.csv"), "2").unwrap();
        write_report(&target, &[("a.csv", b"3"), ("b.csv", b"3")], false).unwrap();
        assert_eq!(names(&target), ["a.csv", "b.csv", "manifest.json"]);
        // A real edit is still refused.
        std::fs::write(target.join("a.csv"), "edited").unwrap();
        assert!(write_report(&target, &[("a.csv", b"4")], false).is_err());
    }

    #[test]
    fn a_manifest_naming_files_outside_the_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(dir.path().join("precious.csv"), "x").unwrap();
        std::fs::write(
            target.join(MANIFEST_FILE),
            manifest_of(&[("../precious.csv", b"y")]),
        )
        .unwrap();
        assert!(write_report(&target, &[("a.csv", b"1")], true).is_err());
        assert!(dir.path().join("precious.csv").exists());
    }
}
