//! `idp check --base DIR`: which specs a pull request changes, against a checkout of its
//! base branch (CI makes one with `git worktree`). A spec changes when its bytes differ
//! from the base's, or when what judges it does: any configuration file that applies to
//! it (`idp.kdl`, the organisation's and nested ones), a catalog it reads (templates and
//! policies), or the organisation's price book. Paths are compared relative to the
//! head's root: `head_root/x` is `base_root/x` in the base.

use std::path::{Component, Path, PathBuf};

use idp_plan::Project;

/// Why a spec is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The spec is not in the base.
    Added,
    /// Its bytes differ from the base's.
    Edited,
    /// What judges it changed: these files (relative to the root) differ.
    Judged(Vec<PathBuf>),
}

/// One spec the pull request changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedSpec {
    /// The spec, as the head run reads it.
    pub path: PathBuf,
    /// The same spec in the base, when it is there.
    pub base: Option<PathBuf>,
    /// Why it is reported.
    pub change: Change,
}

/// `path` relative to `root` when it is inside it, made of plain names only.
fn relative(path: &Path, root: &Path) -> Option<PathBuf> {
    let absolute = std::fs::canonicalize(path).ok()?;
    let rel = absolute.strip_prefix(root).ok()?;
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| rel.to_path_buf())
}

/// Whether a file's bytes differ between the two roots (one missing counts).
fn file_differs(rel: &Path, head_root: &Path, base_root: &Path) -> bool {
    std::fs::read(head_root.join(rel)).ok() != std::fs::read(base_root.join(rel)).ok()
}

/// Every regular file under `dir`, relative to `root`, not following links.
fn files_under(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            files_under(&path, root, out);
        } else if kind.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_path_buf());
        }
    }
}

/// The files of a directory tree that differ between the roots, added or removed
/// included, relative to the roots.
fn tree_differs(rel: &Path, head_root: &Path, base_root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_under(&head_root.join(rel), head_root, &mut files);
    files_under(&base_root.join(rel), base_root, &mut files);
    files.sort();
    files.dedup();
    files.retain(|f| file_differs(f, head_root, base_root));
    files
}

/// What judges a project's specs that differs in the base: its configuration files,
/// its catalogs (those inside the head's root; the embedded one is the binary's own)
/// and the organisation's price book.
fn judging_changes(project: &Project, head_root: &Path, base_root: &Path) -> Vec<PathBuf> {
    let config = &project.config;
    let files = config
        .files
        .iter()
        .chain(config.pricing.book.as_ref().map(|(p, _)| p));
    let mut changed: Vec<PathBuf> = files
        .filter_map(|f| relative(f, head_root))
        .filter(|rel| file_differs(rel, head_root, base_root))
        .collect();
    for catalog in &config.catalogs {
        if let Some(rel) = relative(&catalog.path, head_root) {
            changed.extend(tree_differs(&rel, head_root, base_root));
        }
    }
    changed.sort();
    changed.dedup();
    changed
}

/// The specs of `projects` a pull request changes against `base_root`, in the order
/// given. A spec outside `head_root` cannot be matched with the base and is reported as
/// added.
pub fn changed_specs(
    projects: &[(Project, Vec<PathBuf>)],
    head_root: &Path,
    base_root: &Path,
) -> Vec<ChangedSpec> {
    let head_root = std::fs::canonicalize(head_root).unwrap_or_else(|_| head_root.to_path_buf());
    let mut out = Vec::new();
    for (project, specs) in projects {
        let judging = judging_changes(project, &head_root, base_root);
        for spec in specs {
            let rel = relative(spec, &head_root);
            let base = rel
                .as_ref()
                .map(|r| base_root.join(r))
                .filter(|b| b.is_file());
            let change = match (&rel, &base) {
                (_, None) => Some(Change::Added),
                (Some(r), Some(_)) if file_differs(r, &head_root, base_root) => {
                    Some(Change::Edited)
                }
                _ if !judging.is_empty() => Some(Change::Judged(judging.clone())),
                _ => None,
            };
            if let Some(change) = change {
                out.push(ChangedSpec {
                    path: spec.clone(),
                    base,
                    change,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn a_tree_differs_by_any_file_added_removed_or_edited() {
        let head = tempfile::tempdir().expect("tempdir");
        let base = tempfile::tempdir().expect("tempdir");
        for root in [head.path(), base.path()] {
            write(root, "cat/catalog.kdl", "same");
            write(root, "cat/p/a.wasm", "same");
        }
        assert!(tree_differs(Path::new("cat"), head.path(), base.path()).is_empty());
        write(head.path(), "cat/p/a.wasm", "new");
        write(base.path(), "cat/gone.wasm", "old");
        assert_eq!(
            tree_differs(Path::new("cat"), head.path(), base.path()),
            [
                PathBuf::from("cat/gone.wasm"),
                PathBuf::from("cat/p/a.wasm")
            ]
        );
    }

    #[test]
    fn a_path_outside_the_root_has_no_place_in_the_base() {
        let head = tempfile::tempdir().expect("tempdir");
        write(head.path(), "a/b.kdl", "x");
        let root = std::fs::canonicalize(head.path()).expect("canonical");
        assert_eq!(
            relative(&head.path().join("a/b.kdl"), &root),
            Some(PathBuf::from("a/b.kdl"))
        );
        assert_eq!(relative(Path::new("/etc/hostname"), &root), None);
    }
}
