//! The plugin author's starting point: `idp plugin new` renders a plugin workspace (a
//! guest crate at the root of its own Cargo workspace, its schema, test cases, CI, and
//! for a template its own OpenTofu module), and `idp plugin vendor` refreshes the copy of
//! this idp's SDK inside it (docs/decisions/0010-vendored-sdk.md says why a copy).
//!
//! Everything is embedded in the binary, so both work offline; neither overwrites
//! anything it did not make: a new workspace appears whole or not at all.
#![deny(missing_docs)]

mod error;
mod render;
mod sdk;
mod write;

use std::path::{Path, PathBuf};

pub use error::ScaffoldError;
pub use idp_model::PluginKind;
pub use sdk::{SDK_FILES, VENDOR_DIR, manifest_version, sdk_version};

/// What to create.
#[derive(Debug, Clone)]
pub struct NewPlugin<'a> {
    /// Template or policy.
    pub kind: PluginKind,
    /// The catalog name (`docs-site`); the crate is `template-docs-site`.
    pub name: &'a str,
    /// The workspace directory: it must not exist, or be empty.
    pub target: &'a Path,
    /// The idp making it, written into its CI workflow and README.
    pub idp_version: &'a str,
}

/// A workspace made by [`new_plugin`].
#[derive(Debug, Clone)]
pub struct Created {
    /// The workspace directory.
    pub dir: PathBuf,
    /// Every file written, relative to `dir`, sorted.
    pub files: Vec<String>,
}

/// Makes a plugin workspace in `req.target`: checks the name, refuses a target that holds
/// anything, renders the files and vendors the SDK into a directory beside the target,
/// and renames it into place.
pub fn new_plugin(req: &NewPlugin) -> Result<Created, ScaffoldError> {
    idp_model::check_name(idp_model::NameKind::Plugin, req.name)?;
    refuse_builtin(req.kind, req.name)?;
    if !write::is_free(req.target) {
        return Err(ScaffoldError::TargetExists {
            path: req.target.to_path_buf(),
        });
    }
    let dir_name = req
        .target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| req.name.to_owned());
    let files = render::render(&render::Names {
        name: req.name,
        kind: req.kind,
        dir_name: &dir_name,
        idp_version: req.idp_version,
    })?;
    let staging = write::staging_beside(req.target)?;
    for (path, text) in &files {
        write::write_file(&staging.path().join(path), text)?;
    }
    sdk::write_sdk(&staging.path().join(VENDOR_DIR))?;
    write::publish(staging, req.target)?;
    Ok(Created {
        dir: req.target.to_path_buf(),
        files: write::files_under(req.target),
    })
}

/// A name the built-in catalog provides cannot be a team's: its catalog would be refused
/// as shadowing it. A template's module takes the template's name, so it is checked too.
fn refuse_builtin(kind: PluginKind, name: &str) -> Result<(), ScaffoldError> {
    // The built-in catalog is embedded; were it unreadable, every other command would
    // say so, and this check only spares the author a name that cannot be used.
    let Ok(builtin) = idp_catalog::Catalog::builtin() else {
        return Ok(());
    };
    if builtin
        .entries()
        .iter()
        .any(|(e, _)| e.kind == kind && e.name == name)
    {
        return Err(ScaffoldError::BuiltinName {
            what: kind.as_str(),
            name: name.to_owned(),
        });
    }
    if kind == PluginKind::Template && builtin.module_files(name).is_ok() {
        return Err(ScaffoldError::BuiltinName {
            what: "module",
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// What [`vendor`] did.
#[derive(Debug, Clone)]
pub struct Vendored {
    /// The SDK directory (`<workspace>/vendor/idp-plugin-sdk`).
    pub dir: PathBuf,
    /// The version of the copy it replaced, if there was one.
    pub previous: Option<String>,
    /// The version written.
    pub version: String,
    /// Files added, changed or removed, relative to `dir`, sorted.
    pub changed: Vec<String>,
}

/// Replaces the SDK copy in the plugin workspace `workspace` with this idp's SDK, whole:
/// the new copy is written beside the old one and swapped in.
pub fn vendor(workspace: &Path) -> Result<Vendored, ScaffoldError> {
    check_workspace(workspace)?;
    let dir = workspace.join(VENDOR_DIR);
    if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(ScaffoldError::VendorIsLink { path: dir });
    }
    let previous = std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()
        .and_then(|text| manifest_version(&text));
    let changed = changed_files(&dir);
    let staging = write::staging_beside(&dir)?;
    sdk::write_sdk(staging.path())?;
    write::replace(staging, &dir)?;
    Ok(Vendored {
        dir,
        previous,
        version: sdk_version(),
        changed,
    })
}

/// A plugin workspace: a Cargo manifest with a `[workspace]` that depends on the vendored
/// SDK (directly or through `[workspace.dependencies]`).
fn check_workspace(workspace: &Path) -> Result<(), ScaffoldError> {
    let fail = |why| ScaffoldError::NotAWorkspace {
        path: workspace.to_path_buf(),
        why,
    };
    let Ok(manifest) = std::fs::read_to_string(workspace.join("Cargo.toml")) else {
        return Err(fail("it has no Cargo.toml"));
    };
    if !manifest.lines().any(|l| l.trim() == "[workspace]") {
        return Err(fail("its Cargo.toml has no `[workspace]`"));
    }
    if !manifest.contains(VENDOR_DIR) {
        return Err(fail(
            "its Cargo.toml does not depend on `vendor/idp-plugin-sdk`",
        ));
    }
    Ok(())
}

/// The files that differ between the copy in `dir` and the embedded SDK.
fn changed_files(dir: &Path) -> Vec<String> {
    let existing = write::files_under(dir);
    let mut changed: Vec<String> = SDK_FILES
        .iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(dir.join(path)).map_or(true, |old| old != *text)
        })
        .map(|(path, _)| (*path).to_owned())
        .collect();
    changed.extend(
        existing
            .into_iter()
            .filter(|f| !SDK_FILES.iter().any(|(path, _)| path == f)),
    );
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(kind: PluginKind, name: &str, target: &Path) -> Result<Created, ScaffoldError> {
        new_plugin(&NewPlugin {
            kind,
            name,
            target,
            idp_version: "0.1.0",
        })
    }

    #[test]
    fn a_failed_scaffold_leaves_nothing_beside_the_target() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("x");
        std::fs::write(&target, "a file").expect("file");
        assert!(matches!(
            new(PluginKind::Policy, "x", &target),
            Err(ScaffoldError::TargetExists { .. })
        ));
        assert_eq!(write::files_under(dir.path()), ["x"]);
    }

    #[test]
    fn an_empty_directory_is_filled() {
        let dir = tempfile::tempdir().expect("temp dir");
        let created = new(PluginKind::Policy, "team-rule", dir.path()).expect("created");
        assert!(created.files.contains(&"src/lib.rs".to_owned()));
        assert!(created.files.contains(&format!("{VENDOR_DIR}/Cargo.toml")));
    }

    #[test]
    fn vendor_refuses_a_link_and_what_is_not_a_workspace() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(matches!(
            vendor(dir.path()),
            Err(ScaffoldError::NotAWorkspace { .. })
        ));
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\n\n[workspace.dependencies]\nidp-plugin-sdk = { path = \"vendor/idp-plugin-sdk\" }\n",
        )
        .expect("manifest");
        std::fs::create_dir(dir.path().join("vendor")).expect("vendor");
        std::os::unix::fs::symlink(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/sdk"),
            dir.path().join(VENDOR_DIR),
        )
        .expect("link");
        assert!(matches!(
            vendor(dir.path()),
            Err(ScaffoldError::VendorIsLink { .. })
        ));
    }
}
