//! A report folder written as a whole or not at all: files go into a staging folder beside the
//! target, which replaces the target only when everything is written. A failed or interrupted
//! run leaves the previous folder as it was and no half-written one.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct StagedFolder {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedFolder {
    /// Create the staging folder beside `target` (this also checks that the place is writable,
    /// before any work starts).
    pub fn create(target: &Path) -> Result<StagedFolder> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(StagedFolder {
            target: target.to_path_buf(),
            staging,
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

    /// Replace the target folder by the staging folder.
    pub fn commit(mut self) -> Result<()> {
        let parent = self
            .staging
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let old = parent.join(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_old = self.target.exists();
        if had_old {
            std::fs::rename(&self.target, &old).map_err(|e| Error::io(&self.target, e))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(Error::io(&self.target, e));
        }
        self.committed = true;
        if had_old {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(())
    }
}

impl Drop for StagedFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_the_folder_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out").join("study");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("stale.txt"), "old").unwrap();
        let staged = StagedFolder::create(&target).unwrap();
        staged.write("figures/a.svg", b"<svg/>").unwrap();
        staged.commit().unwrap();
        assert!(target.join("figures/a.svg").exists());
        assert!(!target.join("stale.txt").exists());
        let leftovers = std::fs::read_dir(dir.path().join("out")).unwrap().count();
        assert_eq!(leftovers, 1);
    }

    #[test]
    fn dropping_without_commit_leaves_the_old_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("study");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("report.html"), "old").unwrap();
        {
            let staged = StagedFolder::create(&target).unwrap();
            staged.write("report.html", b"new").unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(target.join("report.html")).unwrap(),
            "old"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
