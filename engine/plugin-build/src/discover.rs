//! Which guest crates a path holds, as `cargo metadata` describes its workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::BuildError;

/// The SDK a guest crate depends on.
pub const SDK_PACKAGE: &str = "idp-plugin-sdk";

/// The package that makes a workspace idp's own repository.
const IDP_PACKAGE: &str = "idp";

/// A guest crate: a package with a `cdylib` target that depends on the SDK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestCrate {
    /// Package name (`policy-max-ttl`).
    pub package: String,
    /// The file stem cargo gives the `cdylib` (`policy_max_ttl`).
    pub lib_name: String,
    /// The directory holding its `Cargo.toml`.
    pub dir: PathBuf,
}

/// The Cargo workspace a build runs in.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Its root directory.
    pub root: PathBuf,
    /// idp's own repository: the built-in catalog, built with the pinned recipe.
    pub in_repo: bool,
    /// Every guest crate among its members, by package name.
    pub guests: Vec<GuestCrate>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    crate_types: Vec<String>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    kind: Option<String>,
}

impl Package {
    fn guest(self) -> Option<GuestCrate> {
        let depends = self
            .dependencies
            .iter()
            .any(|d| d.name == SDK_PACKAGE && d.kind.is_none());
        let cdylib = self
            .targets
            .iter()
            .find(|t| t.crate_types.iter().any(|c| c == "cdylib"))?;
        let dir = self.manifest_path.parent()?.to_path_buf();
        depends.then(|| GuestCrate {
            lib_name: cdylib.name.replace('-', "_"),
            package: self.name,
            dir,
        })
    }
}

impl Workspace {
    /// The workspace `path` belongs to, from `cargo metadata --no-deps` run in it.
    pub fn discover(cargo: &Path, path: &Path) -> Result<Workspace, BuildError> {
        let fail = |reason: String| BuildError::Metadata {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_dir() {
            return Err(fail("it is not a directory".into()));
        }
        let out = Command::new(cargo)
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .current_dir(path)
            .output()
            .map_err(|e| BuildError::io("run", cargo, &e))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let reason = stderr.trim().trim_start_matches("error: ");
            return Err(fail(reason.lines().next().unwrap_or_default().to_owned()));
        }
        let metadata: Metadata =
            serde_json::from_slice(&out.stdout).map_err(|e| fail(e.to_string()))?;
        Ok(Workspace::from_metadata(metadata))
    }

    fn from_metadata(metadata: Metadata) -> Workspace {
        let in_repo = metadata.packages.iter().any(|p| p.name == IDP_PACKAGE);
        let mut guests: Vec<GuestCrate> = metadata
            .packages
            .into_iter()
            .filter_map(Package::guest)
            .collect();
        guests.sort_by(|a, b| a.package.cmp(&b.package));
        Workspace {
            root: metadata.workspace_root,
            in_repo,
            guests,
        }
    }

    /// The guest crates `path` designates: those below it, else the one it lies in;
    /// `only` narrows them to packages by name.
    pub fn select(&self, path: &Path, only: &[String]) -> Result<Vec<GuestCrate>, BuildError> {
        // Both sides resolved, so a path through a symlink (macOS's `/tmp`) still matches.
        let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let path = real(path);
        let below: Vec<&GuestCrate> = self
            .guests
            .iter()
            .filter(|g| real(&g.dir).starts_with(&path))
            .collect();
        let under = if below.is_empty() {
            self.guests
                .iter()
                .filter(|g| path.starts_with(real(&g.dir)))
                .collect()
        } else {
            below
        };
        if under.is_empty() {
            return Err(BuildError::NoGuestCrate { path });
        }
        if only.is_empty() {
            return Ok(under.into_iter().cloned().collect());
        }
        only.iter()
            .map(|name| {
                under
                    .iter()
                    .find(|g| &g.package == name)
                    .map(|g| (*g).clone())
                    .ok_or_else(|| BuildError::UnknownPackage {
                        name: name.clone(),
                        path: path.clone(),
                        available: under
                            .iter()
                            .map(|g| format!("`{}`", g.package))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(json: serde_json::Value) -> Workspace {
        Workspace::from_metadata(serde_json::from_value(json).expect("metadata"))
    }

    fn package(
        name: &str,
        dir: &str,
        types: &[&str],
        deps: &[(&str, Option<&str>)],
    ) -> serde_json::Value {
        serde_json::json!({
            "name": name,
            "manifest_path": format!("{dir}/Cargo.toml"),
            "targets": [{"name": name, "crate_types": types}],
            "dependencies": deps.iter().map(|(n, k)| serde_json::json!({"name": n, "kind": k})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn a_guest_crate_is_a_cdylib_depending_on_the_sdk() {
        let ws = metadata(serde_json::json!({
            "workspace_root": "/ws",
            "packages": [
                package("policy-b", "/ws/b", &["cdylib", "rlib"], &[(SDK_PACKAGE, None)]),
                package("lib-only", "/ws/l", &["rlib"], &[(SDK_PACKAGE, None)]),
                package("no-sdk", "/ws/n", &["cdylib"], &[("serde", None)]),
                package("dev-sdk", "/ws/d", &["cdylib"], &[(SDK_PACKAGE, Some("dev"))]),
                package("a-docs", "/ws/a", &["cdylib"], &[(SDK_PACKAGE, None)]),
            ],
        }));
        assert!(!ws.in_repo);
        let names: Vec<_> = ws.guests.iter().map(|g| g.package.as_str()).collect();
        assert_eq!(names, ["a-docs", "policy-b"]);
        assert_eq!(ws.guests[1].lib_name, "policy_b");
    }

    #[test]
    fn the_workspace_holding_idp_is_the_repository() {
        let ws = metadata(serde_json::json!({
            "workspace_root": "/repo",
            "packages": [package("idp", "/repo", &["bin"], &[])],
        }));
        assert!(ws.in_repo);
    }

    #[test]
    fn a_path_selects_the_crates_below_it_or_the_one_it_is_in() {
        let ws = metadata(serde_json::json!({
            "workspace_root": "/nonexistent/ws",
            "packages": [
                package("a", "/nonexistent/ws/crates/a", &["cdylib"], &[(SDK_PACKAGE, None)]),
                package("b", "/nonexistent/ws/crates/b", &["cdylib"], &[(SDK_PACKAGE, None)]),
            ],
        }));
        let names = |path: &str, only: &[String]| -> Vec<String> {
            ws.select(Path::new(path), only)
                .expect("selected")
                .into_iter()
                .map(|g| g.package)
                .collect()
        };
        assert_eq!(names("/nonexistent/ws", &[]), ["a", "b"]);
        assert_eq!(names("/nonexistent/ws/crates/b", &[]), ["b"]);
        assert_eq!(names("/nonexistent/ws/crates/b/src", &[]), ["b"]);
        assert_eq!(names("/nonexistent/ws", &["b".into()]), ["b"]);
        let err = ws
            .select(Path::new("/nonexistent/ws"), &["c".into()])
            .expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "no guest crate `c` under `/nonexistent/ws`"
        );
        let err = ws
            .select(Path::new("/nonexistent/other"), &[])
            .expect_err("none");
        assert_eq!(err.to_string(), "no guest crate under `/nonexistent/other`");
    }

    #[test]
    fn a_path_through_a_symlink_selects_the_same_crates() {
        let dir = tempfile::tempdir().expect("temp");
        let real = dir.path().join("real");
        std::fs::create_dir_all(real.join("a")).expect("crate dir");
        std::os::unix::fs::symlink(&real, dir.path().join("link")).expect("symlink");
        // cargo reports the path it was run through; the user names the real one.
        let link = dir.path().join("link");
        let ws = metadata(serde_json::json!({
            "workspace_root": link,
            "packages": [package("a", &link.join("a").display().to_string(), &["cdylib"], &[(SDK_PACKAGE, None)])],
        }));
        let selected = ws.select(&real.join("a"), &[]).expect("selected");
        assert_eq!(selected[0].package, "a");
    }
}
