//! Built components into a catalog directory: `NAME.wasm` files, their `catalog.kdl`
//! entries and the module pins, or with `--check` a comparison with what is there.
//!
//! A catalog keeps several versions of a plugin (decision 0015): the newest at
//! `NAME.wasm`, each older one at `NAME@VERSION.wasm`. Building a new version moves the
//! one at `NAME.wasm` to its versioned name (same bytes, same digest) and keeps its entry.

use std::path::{Path, PathBuf};

use idp_catalog::{
    Entry, INDEX_FILE, Index, MAX_COMPONENT_BYTES, ModulePin, module_digest, modules_in,
};
use idp_host::digest;
use idp_model::PluginKind;

use crate::BuildError;
use crate::component::Info;

/// One component built into a catalog.
#[derive(Debug, Clone)]
pub struct Built {
    /// The guest crate it came from.
    pub package: String,
    /// Its index entry.
    pub entry: Entry,
    /// The component's size in bytes.
    pub size: usize,
    /// Whether it (or its entry) differs from what the catalog had.
    pub changed: bool,
}

/// A catalog directory being written or checked.
pub struct Target {
    /// The catalog directory.
    pub dir: PathBuf,
    /// Where its modules are (`<catalog>/modules`; idp's own `modules/` in-repo).
    pub modules: PathBuf,
    /// The index as it is on disk (empty when there is none yet).
    pub index: Index,
    /// Compare only, write nothing.
    pub check: bool,
}

/// The catalog folder of a kind of component.
fn folder(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Template => "templates",
        PluginKind::Policy => "policies",
    }
}

/// The catalog file of a plugin's newest version.
fn file(kind: PluginKind, name: &str) -> String {
    format!("{}/{name}.wasm", folder(kind))
}

/// The catalog file of an older version, kept beside the newest.
fn versioned_file(kind: PluginKind, name: &str, version: &str) -> String {
    format!("{}/{name}@{version}.wasm", folder(kind))
}

/// The entries that decide whether a rebuild changed anything: everything but the
/// toolchain, which may differ between machines making the same bytes.
fn same(a: &Entry, b: &Entry) -> bool {
    Entry {
        toolchain: None,
        ..a.clone()
    } == Entry {
        toolchain: None,
        ..b.clone()
    }
}

/// Writes a catalog file atomically: readers see the old component or the new one.
fn write(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    idp_state::write_atomically(path, bytes).map_err(|e| BuildError::Io {
        action: "write",
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

impl Target {
    /// The catalog at `dir`, its index read if it has one.
    pub fn open(dir: PathBuf, modules: PathBuf, check: bool) -> Result<Target, BuildError> {
        let index = if dir.join(INDEX_FILE).exists() {
            Index::read(&dir)?
        } else {
            Index::default()
        };
        Ok(Target {
            dir,
            modules,
            index,
            check,
        })
    }

    /// The entry for a checked component, itself checked as `catalog.kdl` will read it:
    /// what a plugin reports is data for the index, never text spliced into it.
    pub fn entry(
        info: &Info,
        component: &[u8],
        toolchain: Option<&str>,
    ) -> Result<Entry, BuildError> {
        let entry = Entry {
            kind: info.kind(),
            name: info.name().to_owned(),
            version: info.version().to_owned(),
            file: file(info.kind(), info.name()),
            sha256: digest(component),
            modules: info.modules().to_vec(),
            toolchain: toolchain.map(str::to_owned),
            breaking: None,
        };
        let alone = Index {
            entries: vec![entry.clone()],
            ..Index::default()
        };
        Index::parse(INDEX_FILE, &alone.to_kdl())?;
        Ok(entry)
    }

    /// Compares a component with the catalog's and, unless checking, writes it.
    pub fn add(
        &mut self,
        package: &str,
        mut entry: Entry,
        component: &[u8],
    ) -> Result<Built, BuildError> {
        let existing = self
            .index
            .find_version(entry.kind, &entry.name, &entry.version)
            .cloned();
        // `breaking` is the platform team's word on a version, not the build's: kept.
        entry.breaking = existing.as_ref().and_then(|e| e.breaking.clone());
        entry.file = self.place(&entry);
        // What is there now; unreadable or oversized counts as different.
        let on_disk = idp_catalog::read_bounded(&self.dir.join(&entry.file), MAX_COMPONENT_BYTES)
            .ok()
            .map(|b| digest(&b));
        let changed = !existing.is_some_and(|e| same(&e, &entry))
            || on_disk.as_deref() != Some(entry.sha256.as_str());
        if !self.check {
            self.keep_older(&entry)?;
            write(&self.dir.join(&entry.file), component)?;
            self.index
                .entries
                .retain(|e| !(e.same_plugin(&entry) && e.version == entry.version));
            self.index.entries.push(entry.clone());
        }
        Ok(Built {
            package: package.to_owned(),
            entry,
            size: component.len(),
            changed,
        })
    }

    /// Where a version's component goes: `NAME.wasm` unless the catalog has a newer
    /// version, then `NAME@VERSION.wasm`.
    fn place(&self, entry: &Entry) -> String {
        let newer_listed = self
            .index
            .versions(entry.kind, &entry.name)
            .iter()
            .any(|e| e.semver() > entry.semver());
        if newer_listed {
            versioned_file(entry.kind, &entry.name, &entry.version)
        } else {
            file(entry.kind, &entry.name)
        }
    }

    /// Moves another version's component out of `entry.file` to its versioned name, its
    /// entry following: the bytes and digest stay, so the older version still resolves.
    fn keep_older(&mut self, entry: &Entry) -> Result<(), BuildError> {
        let dir = self.dir.clone();
        for e in
            self.index.entries.iter_mut().filter(|e| {
                e.same_plugin(entry) && e.version != entry.version && e.file == entry.file
            })
        {
            let to = versioned_file(e.kind, &e.name, &e.version);
            std::fs::rename(dir.join(&e.file), dir.join(&to)).map_err(|err| BuildError::Io {
                action: "move",
                path: dir.join(&e.file),
                reason: err.to_string(),
            })?;
            e.file = to;
        }
        Ok(())
    }

    /// The older versions of what was built, kept as components, whose bytes no longer
    /// match their pin: named as `--check` reports drift. They are not rebuilt: their
    /// sources are in the git history (decision 0015).
    pub fn kept_drift(&self, built: &[Built]) -> Vec<String> {
        self.index
            .entries
            .iter()
            .filter(|e| {
                built
                    .iter()
                    .any(|b| b.entry.same_plugin(e) && b.entry.version != e.version)
            })
            .filter(|e| {
                idp_catalog::read_bounded(&self.dir.join(&e.file), MAX_COMPONENT_BYTES)
                    .map(|b| digest(&b) != e.sha256)
                    .unwrap_or(true)
            })
            .map(|e| {
                format!(
                    "{} `{}` {} (kept at `{}`)",
                    e.kind, e.name, e.version, e.file
                )
            })
            .collect()
    }

    /// Pins every module under the catalog's modules directory and, unless checking,
    /// writes the index.
    pub fn finish(mut self) -> Result<Modules, BuildError> {
        let pins = pin_modules(&self.modules)?;
        let changed = self.index.clone().sorted().pinned_modules != pins;
        self.index.pinned_modules = pins.clone();
        if !self.check {
            write(&self.dir.join(INDEX_FILE), self.index.to_kdl().as_bytes())?;
        }
        Ok(Modules { pins, changed })
    }
}

/// What differs from the catalog `dir`, as `--check` reports it: what was built, the
/// older versions kept beside it (`kept`, from [`Target::kept_drift`]), the module pins.
pub fn drift(
    dir: &Path,
    built: &[Built],
    kept: &[String],
    modules: &Modules,
) -> Option<BuildError> {
    let mut names: Vec<String> = built
        .iter()
        .filter(|b| b.changed)
        .map(|b| format!("{} `{}`", b.entry.kind, b.entry.name))
        .collect();
    names.extend(kept.iter().cloned());
    if modules.changed {
        names.push("the module pins".into());
    }
    (!names.is_empty()).then(|| BuildError::Drift {
        catalog: dir.to_path_buf(),
        names: names.join(", "),
    })
}

/// Modules a built template uses that neither the catalog's modules directory nor the
/// built-in catalog provides, as warnings: the catalog would refuse to load it.
pub fn unprovided(
    built: &[Built],
    modules: &Modules,
    dir: &Path,
) -> Result<Vec<String>, BuildError> {
    let builtin: Vec<String> = modules_in(None)?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let provided = |m: &String| builtin.contains(m) || modules.pins.iter().any(|p| &p.name == m);
    Ok(built
        .iter()
        .flat_map(|b| b.entry.modules.iter().map(move |m| (b, m)))
        .filter(|(_, m)| !provided(m))
        .map(|(b, m)| {
            format!(
                "warning: {} `{}` uses module `{m}`, which is neither built in nor in `{}`",
                b.entry.kind,
                b.entry.name,
                dir.join("modules").join(m).display()
            )
        })
        .collect())
}

/// The module pins a build wrote or checked.
#[derive(Debug, Clone)]
pub struct Modules {
    /// Every module with its digest, by name.
    pub pins: Vec<ModulePin>,
    /// Whether they differ from the index's.
    pub changed: bool,
}

/// Every module under `dir` with the digest `catalog.kdl` pins, sorted by name.
fn pin_modules(dir: &Path) -> Result<Vec<ModulePin>, BuildError> {
    Ok(modules_in(Some(dir))?
        .into_iter()
        .map(|(name, files)| ModulePin {
            sha256: module_digest(&files),
            name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(modules: &[&str]) -> Built {
        Built {
            package: "t".into(),
            entry: Entry {
                kind: PluginKind::Template,
                name: "docs-site".into(),
                version: "0.1.0".into(),
                file: "templates/docs-site.wasm".into(),
                sha256: "ab".repeat(32),
                modules: modules.iter().map(|m| (*m).to_owned()).collect(),
                toolchain: None,
                breaking: None,
            },
            size: 1,
            changed: false,
        }
    }

    #[test]
    fn a_module_neither_built_in_nor_in_the_catalog_is_warned_about() {
        let modules = Modules {
            pins: vec![ModulePin {
                name: "bucket".into(),
                sha256: "cd".repeat(32),
            }],
            changed: false,
        };
        let built = [template(&["common", "bucket", "missing"])];
        let warnings = unprovided(&built, &modules, Path::new("/team/catalog")).expect("read");
        assert_eq!(
            warnings,
            [
                "warning: template `docs-site` uses module `missing`, which is neither built in nor in `/team/catalog/modules/missing`"
            ]
        );
    }

    fn demo(version: &str, component: &[u8]) -> Entry {
        Entry {
            kind: PluginKind::Template,
            name: "demo".into(),
            version: version.into(),
            file: file(PluginKind::Template, "demo"),
            sha256: digest(component),
            modules: vec!["hello".into()],
            toolchain: None,
            breaking: None,
        }
    }

    #[test]
    fn a_new_version_keeps_the_older_one_beside_it_under_its_versioned_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
        let open = |check| {
            Target::open(dir.path().to_path_buf(), dir.path().join("modules"), check).expect("open")
        };
        let mut target = open(false);
        target
            .add("demo", demo("0.1.0", b"one"), b"one")
            .expect("0.1.0");
        target.finish().expect("index");
        // The platform team marks 0.2.0 breaking by hand before building it.
        let mut index = Index::read(dir.path()).expect("read");
        index.entries.push(Entry {
            breaking: Some("replaces the database".into()),
            ..demo("0.2.0", b"stale")
        });
        write(&dir.path().join(INDEX_FILE), index.to_kdl().as_bytes()).expect("write");
        let mut target = open(false);
        let built = target
            .add("demo", demo("0.2.0", b"two"), b"two")
            .expect("0.2.0");
        target.finish().expect("index");

        let index = Index::read(dir.path()).expect("read");
        let files: Vec<(&str, &str)> = index
            .entries
            .iter()
            .map(|e| (e.version.as_str(), e.file.as_str()))
            .collect();
        assert_eq!(
            files,
            [
                ("0.2.0", "templates/demo.wasm"),
                ("0.1.0", "templates/demo@0.1.0.wasm")
            ]
        );
        assert_eq!(
            std::fs::read(dir.path().join("templates/demo@0.1.0.wasm")).expect("kept"),
            b"one"
        );
        assert_eq!(
            index.entries[0].breaking.as_deref(),
            Some("replaces the database"),
            "the hand-written word stays"
        );

        let target = open(true);
        assert!(target.kept_drift(std::slice::from_ref(&built)).is_empty());
        std::fs::write(dir.path().join("templates/demo@0.1.0.wasm"), b"tampered").expect("w");
        assert_eq!(
            target.kept_drift(&[built]),
            ["template `demo` 0.1.0 (kept at `templates/demo@0.1.0.wasm`)"]
        );
    }
}
