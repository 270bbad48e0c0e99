//! Built components into a catalog directory: `NAME.wasm` files, their `catalog.kdl`
//! entries and the module pins, or with `--check` a comparison with what is there.

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

/// The catalog file of a component.
fn file(kind: PluginKind, name: &str) -> String {
    let dir = match kind {
        PluginKind::Template => "templates",
        PluginKind::Policy => "policies",
    };
    format!("{dir}/{name}.wasm")
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
        entry: Entry,
        component: &[u8],
    ) -> Result<Built, BuildError> {
        // What is there now; unreadable or oversized counts as different.
        let on_disk = idp_catalog::read_bounded(&self.dir.join(&entry.file), MAX_COMPONENT_BYTES)
            .ok()
            .map(|b| digest(&b));
        let changed = !self
            .index
            .find(entry.kind, &entry.name)
            .is_some_and(|e| same(e, &entry))
            || on_disk.as_deref() != Some(entry.sha256.as_str());
        if !self.check {
            write(&self.dir.join(&entry.file), component)?;
            self.index
                .entries
                .retain(|e| !(e.kind == entry.kind && e.name == entry.name));
            self.index.entries.push(entry.clone());
        }
        Ok(Built {
            package: package.to_owned(),
            entry,
            size: component.len(),
            changed,
        })
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

/// What differs from the catalog `dir`, as `--check` reports it.
pub fn drift(dir: &Path, built: &[Built], modules: &Modules) -> Option<BuildError> {
    let mut names: Vec<String> = built
        .iter()
        .filter(|b| b.changed)
        .map(|b| format!("{} `{}`", b.entry.kind, b.entry.name))
        .collect();
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
}
