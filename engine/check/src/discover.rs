//! Finding the specs under the given paths and the `idp.kdl` each one belongs to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::CheckError;
use crate::report::{FileResult, Item};

/// Files that are KDL but never specs.
const NOT_SPECS: &[&str] = &[idp_config::CONFIG_FILE, "catalog.kdl"];

/// Every spec under `paths`, sorted. A file named directly is always a spec; directories
/// are walked honouring `.gitignore` (and `.ignore`), keeping the `*.kdl` files that
/// `idp apply` would read as specs ([`idp_spec::is_spec`]: one rule for both), and those
/// that cannot be read, so that the check says why. A plugin crate's `tests/` folder is
/// skipped: its specs are `idp plugin test` cases, some of them wrong on purpose.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CheckError> {
    let mut found = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| CheckError::Unreadable {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if meta.is_file() {
            found.push(path.clone());
            continue;
        }
        let walk = ignore::WalkBuilder::new(path)
            .hidden(true)
            .require_git(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(|e| !is_plugin_cases(e.path()))
            .build();
        let candidates: Vec<PathBuf> = walk
            .flatten()
            .filter(|entry| {
                let p = entry.path();
                p.extension().is_some_and(|e| e == "kdl")
                    && entry.file_type().is_some_and(|t| t.is_file())
                    && !p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| NOT_SPECS.contains(&n))
            })
            .map(ignore::DirEntry::into_path)
            .collect();
        found.extend(specs_among(candidates));
    }
    found.sort();
    found.dedup();
    if found.is_empty() {
        return Err(CheckError::NoSpecs {
            paths: paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(found)
}

/// The `.kdl` files among `candidates` that are specs (or cannot be read, so that the
/// check says why), in their order. Each must be read to tell, so they are read on one
/// thread per core: at 10,000 specs, reading them one after another kept the workers
/// waiting (decision 0004).
fn specs_among(candidates: Vec<PathBuf>) -> Vec<PathBuf> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let share = candidates.len().div_ceil(threads).max(1);
    let is_spec = |p: &PathBuf| {
        std::fs::read_to_string(p)
            .map(|t| idp_spec::is_spec(&t))
            .unwrap_or(true)
    };
    let keep: Vec<bool> = std::thread::scope(|scope| {
        let parts: Vec<_> = candidates
            .chunks(share)
            .map(|part| {
                let handle = scope.spawn(move || part.iter().map(is_spec).collect::<Vec<_>>());
                (part.len(), handle)
            })
            .collect();
        // A reader that panicked (a bug) keeps its files: checking says what is wrong.
        parts
            .into_iter()
            .flat_map(|(n, h)| h.join().unwrap_or_else(|_| vec![true; n]))
            .collect()
    });
    candidates
        .into_iter()
        .zip(keep)
        .filter_map(|(p, spec)| spec.then_some(p))
        .collect()
}

/// Specs that share one `idp.kdl`.
#[derive(Debug, Clone)]
pub struct Group {
    /// The project configuration.
    pub config: PathBuf,
    /// Its specs.
    pub files: Vec<PathBuf>,
}

/// Groups specs by the `idp.kdl` nearest above each (or `explicit` for all). Specs with
/// none come back as results carrying that problem.
pub fn group(files: Vec<PathBuf>, explicit: Option<&Path>) -> (Vec<Group>, Vec<FileResult>) {
    let mut groups: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut orphans = Vec::new();
    // Specs in one directory share their configuration: look it up once per directory.
    let mut by_dir: BTreeMap<PathBuf, Result<PathBuf, String>> = BTreeMap::new();
    let cwd = std::env::current_dir().ok();
    for file in files {
        let config = match explicit {
            Some(c) => Ok(c.to_path_buf()),
            None => {
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                by_dir
                    .entry(dir)
                    .or_insert_with(|| idp_config::discover(&file).map_err(|e| e.to_string()))
                    .clone()
            }
        };
        match config {
            Ok(c) => groups
                .entry(relative_to(cwd.as_deref(), c))
                .or_default()
                .push(file),
            Err(message) => orphans.push(FileResult::unreadable(
                &file,
                Item::input_error(
                    "idp::config::not_found",
                    message,
                    Some(
                        "create `idp.kdl` at the root of the repository, or pass `--config FILE`"
                            .into(),
                    ),
                ),
            )),
        }
    }
    let groups = groups
        .into_iter()
        .map(|(config, files)| Group { config, files })
        .collect();
    (groups, orphans)
}

/// `idp.kdl` found by walking up is absolute; reports read better with the path relative
/// to where idp was run (`cwd`, asked once, not once per spec), as the specs' own paths are.
fn relative_to(cwd: Option<&Path>, path: PathBuf) -> PathBuf {
    cwd.and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or(path)
}

/// Whether `dir` is the `tests/` folder of a Cargo crate (`idp plugin test` cases).
fn is_plugin_cases(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "tests")
        && dir.parent().is_some_and(|p| p.join("Cargo.toml").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_is_what_apply_reads_as_one() {
        for spec in [
            "// x\nenvironment a {\n}",
            "  environment{",
            "\u{feff}environment a {}",
            "\"environment\" a {}",
            "(t)environment a {}",
            "\"\\u{65}nvironment\" a {}",
            "environment a {\n  x (\n}",
        ] {
            assert!(idp_spec::is_spec(spec), "{spec:?}");
        }
        for other in [
            "policy max-ttl\nenvironments 3",
            "// environment a {}\nx 1",
            "a \"\\\"",
        ] {
            assert!(!idp_spec::is_spec(other), "{other:?}");
        }
    }

    #[test]
    fn walks_honouring_gitignore_and_skipping_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("specs/generated")).expect("mkdir");
        std::fs::write(root.join(".gitignore"), "generated/\n").expect("write");
        std::fs::write(root.join("idp.kdl"), "environment x {}\n").expect("write");
        std::fs::write(root.join("specs/a.kdl"), "environment a {}\n").expect("write");
        std::fs::write(root.join("specs/notes.kdl"), "note x\n").expect("write");
        std::fs::write(root.join("specs/generated/b.kdl"), "environment b {}\n").expect("write");
        let found = discover(&[root.to_path_buf()]).expect("found");
        assert_eq!(found, [root.join("specs/a.kdl")]);
        let (groups, orphans) = group(found, None);
        assert!(orphans.is_empty());
        assert_eq!(
            groups[0].config,
            std::path::absolute(root.join("idp.kdl")).expect("abs")
        );
    }

    #[test]
    fn a_plugin_crates_test_cases_are_not_environments() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("plugin/tests/denied")).expect("mkdir");
        std::fs::create_dir_all(root.join("envs/tests")).expect("mkdir");
        std::fs::write(root.join("plugin/Cargo.toml"), "[package]\n").expect("write");
        std::fs::write(
            root.join("plugin/tests/denied/env.kdl"),
            "environment a {}\n",
        )
        .expect("write");
        // A `tests/` folder that is not a crate's holds specs like any other.
        std::fs::write(root.join("envs/tests/b.kdl"), "environment b {}\n").expect("write");
        let found = discover(&[root.to_path_buf()]).expect("found");
        assert_eq!(found, [root.join("envs/tests/b.kdl")]);
    }
}
