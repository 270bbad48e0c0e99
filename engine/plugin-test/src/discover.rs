//! The case directories under each guest crate's `tests/`. Which guest crates a path
//! holds is `idp plugin build`'s discovery (`idp_plugin_build::Workspace`), shared.

use std::path::PathBuf;

use idp_plugin_build::GuestCrate;

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
            krate: krate.package.clone(),
            name: e.file_name(),
            dir: e.path(),
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}
