//! `idp plugin vendor [PATH]`: replaces a plugin workspace's copy of the SDK with this
//! idp's, when the team moves to a new idp.

use std::path::PathBuf;

use crate::outcome::Outcome;
use crate::ui::CliError;

use super::scaffold_error;

pub fn run(path: Option<PathBuf>) -> Result<Outcome, CliError> {
    let workspace = path.unwrap_or_else(|| PathBuf::from("."));
    let vendored = idp_scaffold::vendor(&workspace).map_err(scaffold_error)?;
    let dir = vendored.dir.display();
    let version = &vendored.version;
    match (&vendored.previous, vendored.changed.len()) {
        (_, 0) => eprintln!("`{dir}` already holds idp-plugin-sdk {version}: nothing changed"),
        (Some(old), n) if old != version => {
            eprintln!(
                "vendored idp-plugin-sdk {version} into `{dir}` (was {old}; {n} files changed)"
            )
        }
        (_, n) => eprintln!("vendored idp-plugin-sdk {version} into `{dir}` ({n} files changed)"),
    }
    if !vendored.changed.is_empty() {
        eprintln!(
            "next: cargo test, idp plugin build, idp plugin test; then commit vendor/ and catalog/"
        );
    }
    Ok(Outcome::Clean)
}
