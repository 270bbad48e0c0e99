//! Where a record's spec lives: a path relative to the project's root (the git checkout
//! holding it), never outside it, so a record cannot make idp read or print any other
//! file.

use std::path::{Path, PathBuf};

use idp_spec::{SourceFile, SpecFile};

use crate::LifecycleError;

/// The project's root seen from `dir`: the nearest directory above holding `.git`, else
/// `dir` itself. Runners check the repository out there and run idp from it.
pub fn project_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// The spec's path as a record keeps it: relative to the root of the git checkout
/// holding it (or to `cwd` outside one), with `/` separators; a spec outside both is
/// refused.
pub fn recorded_spec(spec: &Path, cwd: &Path) -> Result<PathBuf, LifecycleError> {
    let mut normal = PathBuf::new();
    for c in cwd.join(spec).components() {
        match c {
            std::path::Component::ParentDir => {
                normal.pop();
            }
            std::path::Component::CurDir => {}
            other => normal.push(other),
        }
    }
    let root = normal
        .ancestors()
        .skip(1)
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cwd.to_path_buf());
    normal
        .strip_prefix(&root)
        .ok()
        .filter(|p| idp_state::confined(p))
        .map(Path::to_path_buf)
        .ok_or_else(|| LifecycleError::SpecOutside {
            spec: spec.to_path_buf(),
        })
}

/// The spec path a record names for a spec posted to `idp serve`: its text is kept in the
/// record store beside the record ([`idp_state::RecordStore::write_spec`]), not in a
/// checkout, so a runner, every replica, an extension and a destroy read the same one.
pub fn posted_spec_path(name: &str) -> PathBuf {
    Path::new("requests").join(format!("{name}.kdl"))
}

/// Whether `record` names a spec posted to `idp serve` (kept in the record store).
pub fn is_posted(record: &idp_state::Record) -> bool {
    record.spec == posted_spec_path(&record.name)
}

/// The spec `record` was applied from: the one kept in the record store when it was
/// posted to `idp serve`, else the file under `ctx.root` its path names.
pub fn spec_of(ctx: &crate::Ctx, record: &idp_state::Record) -> Result<SpecFile, LifecycleError> {
    if is_posted(record)
        && let Some(text) = ctx.records.read_spec(&record.name)?
    {
        return Ok(SpecFile::parse(SourceFile::new(&record.spec, text))?);
    }
    read_recorded_spec(&ctx.root, &record.name, &record.spec)
}

/// Reads and parses the spec a record names, under `root`. The path was checked when the
/// record was read; a symbolic link out of the project is refused here.
pub fn read_recorded_spec(
    root: &Path,
    name: &str,
    spec: &Path,
) -> Result<SpecFile, LifecycleError> {
    let unreadable = |reason: String| LifecycleError::SpecUnreadable {
        name: name.to_owned(),
        spec: spec.to_path_buf(),
        reason,
    };
    if !idp_state::confined(spec) {
        return Err(unreadable("it is outside the project".into()));
    }
    let path = root.join(spec);
    let real = path
        .canonicalize()
        .map_err(|e| unreadable(e.kind().to_string()))?;
    let real_root = root.canonicalize().map_err(|e| unreadable(e.to_string()))?;
    if !real.starts_with(&real_root) {
        return Err(unreadable("it links outside the project".into()));
    }
    let text = std::fs::read_to_string(&real).map_err(|e| unreadable(e.kind().to_string()))?;
    Ok(SpecFile::parse(SourceFile::new(spec, text))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_recorded_relative_to_the_checkout_and_never_outside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("git");
        std::fs::create_dir_all(repo.join("envs")).expect("envs");
        let got = recorded_spec(Path::new("envs/a.kdl"), &repo).expect("inside");
        assert_eq!(got, Path::new("envs/a.kdl"));
        let got = recorded_spec(&repo.join("envs/../envs/a.kdl"), dir.path()).expect("abs");
        assert_eq!(got, Path::new("envs/a.kdl"));
        assert!(recorded_spec(Path::new("/proc/self/environ"), &repo).is_err());
        assert!(recorded_spec(Path::new("../x.kdl"), &repo).is_err());
    }

    #[test]
    fn a_recorded_spec_that_escapes_is_never_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = dir.path().join("secret.kdl");
        std::fs::write(&outside, "secret").expect("write");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).expect("root");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, root.join("link.kdl")).expect("symlink");
        for spec in ["../secret.kdl", "/proc/self/environ", "link.kdl"] {
            let err = read_recorded_spec(&root, "e", Path::new(spec)).expect_err(spec);
            assert!(!err.to_string().contains("secret\n"), "{err}");
        }
    }
}
