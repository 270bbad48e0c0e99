//! Which guest crates a path holds, found with `cargo metadata --no-deps` (no lock file,
//! no network), and the case directories under each crate's `tests/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::TestError;

/// A guest crate: a package with a `cdylib` target that depends on `idp-plugin-sdk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestCrate {
    /// The package name.
    pub name: String,
    /// The directory holding its `Cargo.toml`.
    pub dir: PathBuf,
}

/// The Cargo workspace a path lies in, and the guest crates it designates.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace's root directory.
    pub root: PathBuf,
    /// Whether it is idp's own repository (it has the `idp` package), whose `catalog/`
    /// is the built-in catalog embedded in the binary.
    pub in_repo: bool,
    /// The guest crates below the path (else the one the path lies in), by name.
    pub crates: Vec<GuestCrate>,
}

/// The workspace around `path` and its guest crates, from `cargo metadata` run with
/// the cargo binary `cargo`.
pub fn guest_crates(cargo: &Path, path: &Path) -> Result<Workspace, TestError> {
    let dir = path.canonicalize().map_err(|_| TestError::NoPath {
        path: path.to_path_buf(),
    })?;
    let failed = |reason: String| TestError::Metadata {
        dir: dir.clone(),
        reason,
    };
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(&dir)
        .output()
        .map_err(|e| failed(format!("cannot run `{}`: {e}", cargo.display())))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(failed(last.unwrap_or("no message").trim().to_owned()));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| failed(format!("its output is not JSON: {e}")))?;
    let root = metadata["workspace_root"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| failed("its output names no `workspace_root`".into()))?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let in_repo = packages.iter().any(|p| p["name"] == "idp");
    let guests: Vec<GuestCrate> = packages
        .iter()
        .filter(|p| is_guest(p))
        .filter_map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str()?);
            Some(GuestCrate {
                name: p["name"].as_str().unwrap_or_default().to_owned(),
                dir: manifest.parent()?.canonicalize().ok()?,
            })
        })
        .collect();
    // The crates below the path, else the one it lies in (a case directory, `src/`).
    let below = |g: &&GuestCrate| g.dir.starts_with(&dir);
    let around = |g: &&GuestCrate| dir.starts_with(&g.dir);
    let mut crates: Vec<GuestCrate> = if guests.iter().any(|g| below(&g)) {
        guests.iter().filter(below).cloned().collect()
    } else {
        guests.iter().filter(around).cloned().collect()
    };
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    if crates.is_empty() {
        return Err(TestError::NoCrate {
            path: path.to_path_buf(),
        });
    }
    Ok(Workspace {
        root,
        in_repo,
        crates,
    })
}

/// A `cdylib` target and a dependency on the SDK.
fn is_guest(package: &Value) -> bool {
    let cdylib = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| {
            t["crate_types"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k == "cdylib")
        });
    let sdk = package["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        // A dev-dependency on the SDK (a test helper crate) does not make a guest.
        .any(|d| d["name"] == "idp-plugin-sdk" && d["kind"].is_null());
    cdylib && sdk
}

/// A case directory: `<crate>/tests/<name>/` holding `env.kdl`.
#[derive(Debug, Clone)]
pub struct CaseDir {
    /// The crate's name.
    pub krate: String,
    /// The directory's name as the file system gives it (it may not be UTF-8).
    pub name: std::ffi::OsString,
    /// The directory.
    pub dir: PathBuf,
}

/// The cases of a crate, by name: the directories under `tests/` that hold an `env.kdl`.
/// Other directories and files there are the crate's own (Rust integration tests,
/// fixtures) and left alone.
pub fn cases(krate: &GuestCrate) -> Vec<CaseDir> {
    let tests = krate.dir.join("tests");
    let Ok(entries) = std::fs::read_dir(&tests) else {
        return Vec::new();
    };
    let mut found: Vec<CaseDir> = entries
        .flatten()
        // Through a symlinked directory too: the case then fails as escaping its crate.
        .filter(|e| std::fs::symlink_metadata(e.path().join(crate::ENV_FILE)).is_ok())
        .map(|e| CaseDir {
            krate: krate.name.clone(),
            name: e.file_name(),
            dir: e.path(),
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}
