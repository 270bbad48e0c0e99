//! This idp's SDK, embedded: what `idp plugin new` and `idp plugin vendor` write into a
//! team's `vendor/idp-plugin-sdk/`. The list is exactly what the SDK's manifest
//! `include`s (`Cargo.toml`, `README.md`, `src/**/*.rs`, `wit/*.wit`); a test holds it
//! to the files on disk, so a new SDK file cannot be left out of the copy.

use std::path::Path;

use crate::ScaffoldError;
use crate::write::write_file;

/// One SDK file, by its path relative to `plugins/sdk/`.
macro_rules! sdk_file {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../plugins/sdk/",
                $path
            )),
        )
    };
}

/// Every file of the SDK copy, with its text.
pub const SDK_FILES: &[(&str, &str)] = &[
    sdk_file!("Cargo.toml"),
    sdk_file!("README.md"),
    sdk_file!("src/bindings.rs"),
    sdk_file!("src/finding.rs"),
    sdk_file!("src/lib.rs"),
    sdk_file!("src/log.rs"),
    sdk_file!("src/model.rs"),
    sdk_file!("src/panic.rs"),
    sdk_file!("src/policy.rs"),
    sdk_file!("src/template.rs"),
    sdk_file!("src/testing.rs"),
    sdk_file!("src/ttl.rs"),
    sdk_file!("wit/log.wit"),
    sdk_file!("wit/policy.wit"),
    sdk_file!("wit/schedule.wit"),
    sdk_file!("wit/template.wit"),
    sdk_file!("wit/types.wit"),
    sdk_file!("wit/worlds.wit"),
];

/// Where the copy lives in a plugin workspace.
pub const VENDOR_DIR: &str = "vendor/idp-plugin-sdk";

/// The `version` of a manifest's `[package]`, read line by line: the SDK's manifest is
/// ours and plain, and a vendored one is only read to say which version it replaces.
pub fn manifest_version(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(rest) = line.strip_prefix("version") {
            let value = rest.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_owned());
        }
    }
    None
}

/// The version of the embedded SDK.
pub fn sdk_version() -> String {
    SDK_FILES
        .iter()
        .find(|(path, _)| *path == "Cargo.toml")
        .and_then(|(_, text)| manifest_version(text))
        .unwrap_or_default()
}

/// Writes the SDK's files under `dir`.
pub(crate) fn write_sdk(dir: &Path) -> Result<(), ScaffoldError> {
    for (path, text) in SDK_FILES {
        write_file(&dir.join(path), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The files the SDK's manifest `include`s, as found on disk.
    fn on_disk() -> Vec<String> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/sdk");
        let mut found = vec!["Cargo.toml".to_owned(), "README.md".to_owned()];
        let mut stack = vec![root.join("src"), root.join("wit")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                let rel = path.strip_prefix(&root).expect("under the SDK");
                let ext = path.extension().and_then(|e| e.to_str());
                if path.is_dir() && rel.starts_with("src") {
                    stack.push(path);
                } else if (rel.starts_with("src") && ext == Some("rs"))
                    || (rel.starts_with("wit")
                        && ext == Some("wit")
                        && rel.components().count() == 2)
                {
                    found.push(rel.display().to_string());
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn the_embedded_sdk_is_every_file_the_sdk_ships() {
        let mut embedded: Vec<String> = SDK_FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
        embedded.sort();
        assert_eq!(
            embedded,
            on_disk(),
            "add the new SDK file to SDK_FILES in engine/scaffold/src/sdk.rs"
        );
    }

    #[test]
    fn the_manifest_names_the_sdk_and_its_version() {
        let version = sdk_version();
        assert!(!version.is_empty());
        assert_eq!(
            manifest_version(
                "[package]\nname = \"x\"\nversion = \"1.2.3\"\n[dependencies]\nversion = \"9\"\n"
            ),
            Some("1.2.3".into())
        );
        assert_eq!(manifest_version("[dependencies]\nversion = \"9\"\n"), None);
    }
}
