//! Writing a directory all at once: files go into a hidden directory beside the target,
//! which is renamed into place at the end, so a failure part-way leaves nothing behind
//! (the temporary directory is removed when dropped).

use std::path::{Path, PathBuf};

use crate::ScaffoldError;

/// Writes `text` to `path`, creating its parent directories.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), ScaffoldError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(ScaffoldError::io("create", parent))?;
    }
    std::fs::write(path, text).map_err(ScaffoldError::io("write", path))
}

/// A hidden directory beside `target` to fill before [`publish`]; its mode is a normal
/// directory's, not the private one temporary directories get.
pub(crate) fn staging_beside(target: &Path) -> Result<tempfile::TempDir, ScaffoldError> {
    let parent = parent_of(target);
    std::fs::create_dir_all(&parent).map_err(ScaffoldError::io("create", &parent))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.idp-"))
        .tempdir_in(&parent)
        .map_err(ScaffoldError::io("create a directory in", &parent))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(ScaffoldError::io("set the mode of", staging.path()))?;
    }
    Ok(staging)
}

/// Moves a filled staging directory to `target`, which must not exist or be an empty
/// directory (a rename replaces an empty directory).
pub(crate) fn publish(staging: tempfile::TempDir, target: &Path) -> Result<(), ScaffoldError> {
    std::fs::rename(staging.path(), target).map_err(ScaffoldError::io("create", target))?;
    // Renamed away: nothing is left for the guard to remove.
    let _ = staging.keep();
    Ok(())
}

/// Replaces the directory `target` with the filled `staging` one. The old directory is
/// first moved aside, then the new one into place, then the old one removed; if the
/// second move fails, the old directory is put back.
pub(crate) fn replace(staging: tempfile::TempDir, target: &Path) -> Result<(), ScaffoldError> {
    if !target.exists() {
        return publish(staging, target);
    }
    let aside = staging_beside(target)?;
    let old = aside.path().join("old");
    std::fs::rename(target, &old).map_err(ScaffoldError::io("move aside", target))?;
    if let Err(e) = std::fs::rename(staging.path(), target) {
        let _ = std::fs::rename(&old, target);
        return Err(ScaffoldError::io("replace", target)(e));
    }
    let _ = staging.keep();
    // Dropping `aside` removes the old copy.
    drop(aside);
    Ok(())
}

/// The directory `path` is in, `.` for a bare name.
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether `path` is absent or an empty directory.
pub(crate) fn is_free(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Err(_) => true,
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false),
        Ok(_) => false,
    }
}

/// Every file under `dir`, relative to it, sorted.
pub(crate) fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    out
}
