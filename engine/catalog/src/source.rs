use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use idp_model::PluginKind;
use sha2::{Digest, Sha256};

use crate::{CatalogError, Entry, INDEX_FILE, Index};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// Who declared a catalog directory: that decides what it may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// The organisation's configuration: it may replace a built-in plugin or module it
    /// names in `overrides=`.
    Organisation,
    /// A nested (team) configuration: it may only add.
    Team,
}

/// A catalog directory as a configuration declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDir {
    /// The directory holding `catalog.kdl`.
    pub path: PathBuf,
    /// Who declared it.
    pub declared: Declared,
    /// Names of plugins and modules this directory may replace (organisation only).
    pub overrides: Vec<String>,
}

/// Where a catalog's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Embedded in the binary.
    Builtin,
    /// A directory with a `catalog.kdl` (and optionally `modules/`).
    Dir(PathBuf),
}

impl Source {
    fn read(&self, rel: &str) -> Result<Vec<u8>, CatalogError> {
        match self {
            Source::Builtin => builtin::CATALOG_FILES
                .iter()
                .find(|(path, _)| *path == rel)
                .map(|(_, bytes)| bytes.to_vec())
                .ok_or_else(|| CatalogError::Io {
                    path: PathBuf::from("<built-in catalog>").join(rel),
                    reason: "not embedded in this binary".into(),
                }),
            Source::Dir(dir) => {
                let path = confined(dir, Path::new(rel))?;
                read_bounded(&path, MAX_COMPONENT_BYTES)
            }
        }
    }

    /// How messages name the source.
    pub fn describe(&self) -> String {
        match self {
            Source::Builtin => "built-in catalog".into(),
            Source::Dir(dir) => format!("catalog `{}`", dir.display()),
        }
    }

    fn module_files(&self, module: &str) -> Result<Vec<(String, Vec<u8>)>, CatalogError> {
        match self {
            Source::Builtin => {
                let prefix = format!("{module}/");
                Ok(builtin::MODULE_FILES
                    .iter()
                    .filter_map(|(p, b)| {
                        p.strip_prefix(&prefix)
                            .map(|rel| (rel.to_owned(), b.to_vec()))
                    })
                    .collect())
            }
            Source::Dir(dir) => {
                let root = confined(dir, &Path::new("modules").join(module))?;
                read_tree(dir, &root)
            }
        }
    }
}

/// `rel` inside `dir`, resolved through symlinks, refused when it lands outside.
fn confined(dir: &Path, rel: &Path) -> Result<PathBuf, CatalogError> {
    let outside = || CatalogError::OutsideCatalog {
        path: dir.join(rel),
        catalog: dir.to_path_buf(),
    };
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(outside());
    }
    let io = |path: &Path, e: std::io::Error| CatalogError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let root = dir.canonicalize().map_err(|e| io(dir, e))?;
    let full = root.join(rel);
    let resolved = full.canonicalize().map_err(|e| io(&full, e))?;
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(outside())
    }
}

/// A module's files: paths relative to its directory, and their bytes.
pub type ModuleFiles = Vec<(String, Vec<u8>)>;

/// The digest a `catalog.kdl` pins for a module: sha256 over its files, sorted by
/// path, each framed by its path and length (the framing of the workspace digest).
pub fn module_digest(files: &[(String, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    for (path, bytes) in sorted {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex::encode(hasher.finalize())
}

/// The modules under a directory (`modules/<name>/…`), each with its files; the built-in
/// ones when `dir` is `None`. `idp plugin build` pins them in `catalog.kdl` with this.
pub fn modules_in(dir: Option<&Path>) -> Result<Vec<(String, ModuleFiles)>, CatalogError> {
    let names: Vec<String> = match dir {
        None => {
            let mut names: Vec<String> = builtin::MODULE_FILES
                .iter()
                .filter_map(|(p, _)| p.split_once('/').map(|(m, _)| m.to_owned()))
                .collect();
            names.dedup();
            names
        }
        Some(dir) => {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return Ok(Vec::new());
            };
            let mut names: Vec<String> = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| !n.starts_with('.'))
                .collect();
            names.sort();
            names
        }
    };
    names
        .into_iter()
        .map(|name| {
            let files = match dir {
                None => Source::Builtin.module_files(&name)?,
                Some(dir) => read_tree(dir, &dir.join(&name))?,
            };
            Ok((name, files))
        })
        .collect()
}

/// No version of `versions` matches `wanted`.
fn mismatch(kind: PluginKind, name: &str, wanted: &str, versions: &[&Entry]) -> CatalogError {
    CatalogError::VersionMismatch {
        kind,
        name: name.to_owned(),
        wanted: wanted.to_owned(),
        available: versions
            .iter()
            .map(|e| e.version.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A plugin resolved from the catalog, its bytes checked against the pinned digest.
#[derive(Debug, Clone)]
pub struct Plugin {
    /// The index entry.
    pub entry: Entry,
    /// Where it came from.
    pub source: Source,
    /// The component.
    pub bytes: Vec<u8>,
}

impl Plugin {
    /// Its identity, as every report carries it.
    pub fn id(&self) -> idp_model::PluginId {
        idp_model::PluginId {
            kind: self.entry.kind,
            name: self.entry.name.clone(),
            version: self.entry.version.clone(),
            sha256: self.entry.sha256.clone(),
            source: self.source.describe(),
        }
    }
}

/// Every catalog source of a project, in resolution order, with what each provides.
#[derive(Debug, Clone)]
pub struct Catalog {
    sources: Vec<(Source, Index)>,
    /// (kind, name) → index of the source that provides it.
    plugins: HashMap<(PluginKind, String), usize>,
    /// module name → index of the source that provides it.
    modules: HashMap<String, usize>,
}

impl Catalog {
    /// The built-in catalog alone.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::with_dirs(&[])
    }

    fn builtin_index() -> Result<Index, CatalogError> {
        let text = builtin::CATALOG_FILES
            .iter()
            .find(|(p, _)| *p == INDEX_FILE)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        Index::parse("<built-in catalog.kdl>", &text)
    }

    /// The built-in catalog, then the organisation's directories, then the teams', in the
    /// order given. A later source may not provide a plugin or module an earlier one
    /// provides, unless the organisation declared it with that name in `overrides`.
    pub fn with_dirs(dirs: &[SourceDir]) -> Result<Catalog, CatalogError> {
        let mut ordered: Vec<&SourceDir> = dirs
            .iter()
            .filter(|d| d.declared == Declared::Organisation)
            .collect();
        ordered.extend(dirs.iter().filter(|d| d.declared == Declared::Team));
        let mut catalog = Catalog {
            sources: Vec::new(),
            plugins: HashMap::new(),
            modules: HashMap::new(),
        };
        catalog.add(Source::Builtin, Catalog::builtin_index()?, None)?;
        for dir in ordered {
            let index = Index::read(&dir.path)?;
            catalog.add(Source::Dir(dir.path.clone()), index, Some(dir))?;
        }
        Ok(catalog)
    }

    fn add(
        &mut self,
        source: Source,
        index: Index,
        dir: Option<&SourceDir>,
    ) -> Result<(), CatalogError> {
        let at = self.sources.len();
        let may_replace = |name: &str| {
            dir.is_some_and(|d| {
                d.declared == Declared::Organisation && d.overrides.iter().any(|o| o == name)
            })
        };
        for e in &index.entries {
            let key = (e.kind, e.name.clone());
            // Another version of a plugin this source already provides is its own to keep.
            if let Some(&earlier) = self.plugins.get(&key)
                && earlier != at
                && !may_replace(&e.name)
            {
                return Err(CatalogError::Shadowed {
                    what: e.kind.to_string(),
                    name: e.name.clone(),
                    by: source.describe(),
                    provider: self.sources[earlier].0.describe(),
                });
            }
            self.plugins.insert(key, at);
        }
        for m in &index.pinned_modules {
            if let Some(&earlier) = self.modules.get(&m.name)
                && !may_replace(&m.name)
            {
                return Err(CatalogError::Shadowed {
                    what: "module".into(),
                    name: m.name.clone(),
                    by: source.describe(),
                    provider: self.sources[earlier].0.describe(),
                });
            }
            self.modules.insert(m.name.clone(), at);
        }
        self.sources.push((source, index));
        Ok(())
    }

    /// Every plugin that resolves, each of its versions (newest first), with its source,
    /// in source order.
    pub fn entries(&self) -> Vec<(&Entry, &Source)> {
        let mut out = Vec::new();
        for (at, (source, index)) in self.sources.iter().enumerate() {
            let mut here: Vec<&Entry> = index
                .entries
                .iter()
                .filter(|e| self.plugins.get(&(e.kind, e.name.clone())) == Some(&at))
                .collect();
            here.sort_by(|a, b| crate::index::entry_order(a, b));
            out.extend(here.into_iter().map(|e| (e, source)));
        }
        out
    }

    /// Every version of a plugin the catalog has, newest first, from the one source that
    /// provides it (empty when none does).
    pub fn versions(&self, kind: PluginKind, name: &str) -> Vec<&Entry> {
        self.plugins
            .get(&(kind, name.to_owned()))
            .map(|&at| self.sources[at].1.versions(kind, name))
            .unwrap_or_default()
    }

    /// The newest version of a plugin the catalog has.
    pub fn newest(&self, kind: PluginKind, name: &str) -> Option<&Entry> {
        self.versions(kind, name).into_iter().next()
    }

    /// The newest version of a plugin when it is newer than `version`: what an
    /// environment applied with `version` could be upgraded to.
    pub fn newer_than(&self, kind: PluginKind, name: &str, version: &str) -> Option<&Entry> {
        let newest = self.newest(kind, name)?;
        let have = semver::Version::parse(version).ok()?;
        (newest.semver()? > have).then_some(newest)
    }

    /// Resolves a plugin by kind and name: the newest version matching the semver
    /// requirement `version` (`^0.1`, `=0.1.0`; any when `None`), its digest checked.
    pub fn resolve(
        &self,
        kind: PluginKind,
        name: &str,
        version: Option<&str>,
    ) -> Result<Plugin, CatalogError> {
        let Some(&at) = self.plugins.get(&(kind, name.to_owned())) else {
            return Err(self.unknown(kind, name));
        };
        let (source, index) = &self.sources[at];
        let versions = index.versions(kind, name);
        let wanted = match version {
            None => None,
            Some(w) => {
                Some(semver::VersionReq::parse(w).map_err(|_| mismatch(kind, name, w, &versions))?)
            }
        };
        let Some(entry) = versions.iter().find(|e| {
            wanted
                .as_ref()
                .is_none_or(|req| e.semver().is_some_and(|v| req.matches(&v)))
        }) else {
            return Err(mismatch(kind, name, version.unwrap_or("*"), &versions));
        };
        let bytes = source.read(&entry.file)?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != entry.sha256 {
            return Err(CatalogError::DigestMismatch {
                kind,
                name: name.to_owned(),
                file: entry.file.clone(),
                expected: entry.sha256.clone(),
                actual,
            });
        }
        Ok(Plugin {
            entry: (*entry).clone(),
            source: source.clone(),
            bytes,
        })
    }

    /// Resolves exactly the version an entry names (what a record or a listing holds).
    pub fn resolve_exact(
        &self,
        kind: PluginKind,
        name: &str,
        version: &str,
    ) -> Result<Plugin, CatalogError> {
        self.resolve(kind, name, Some(&format!("={version}")))
    }

    fn unknown(&self, kind: PluginKind, name: &str) -> CatalogError {
        let mut names: Vec<&str> = self
            .entries()
            .into_iter()
            .filter(|(e, _)| e.kind == kind)
            .map(|(e, _)| e.name.as_str())
            .collect();
        names.dedup();
        let closest = names
            .iter()
            .map(|n| (strsim::jaro_winkler(n, name), *n))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| n);
        let list = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match closest {
            Some(n) => format!("did you mean `{n}`? available: {list}"),
            None => format!(
                "available {}: {list}; {}",
                match kind {
                    PluginKind::Template => "templates",
                    PluginKind::Policy => "policies",
                },
                self.where_plugins_live(kind, name)
            ),
        };
        CatalogError::UnknownPlugin {
            kind,
            name: name.to_owned(),
            help,
        }
    }

    /// Where idp looked for a plugin, and where a team's one belongs.
    fn where_plugins_live(&self, kind: PluginKind, name: &str) -> String {
        let dirs: Vec<String> = self
            .sources
            .iter()
            .filter_map(|(s, _)| match s {
                Source::Builtin => None,
                Source::Dir(d) => Some(format!("`{}`", d.join(INDEX_FILE).display())),
            })
            .collect();
        let folder = match kind {
            PluginKind::Template => "templates",
            PluginKind::Policy => "policies",
        };
        let place = format!(
            "a team's {kind} is built by `idp plugin build` into `<catalog>/{folder}/{name}.wasm` and listed in `<catalog>/catalog.kdl`"
        );
        if dirs.is_empty() {
            format!(
                "looked in the built-in catalog only: no `catalog path=…` in idp.kdl; {place}, and idp.kdl declares the catalog with `catalog path=\"<catalog>\"`"
            )
        } else {
            format!(
                "looked in the built-in catalog and {}; {place}",
                dirs.join(", ")
            )
        }
    }

    /// The files of a module (paths relative to the module directory), from the source
    /// that pins it, checked against the pinned digest.
    pub fn module_files(&self, module: &str) -> Result<ModuleFiles, CatalogError> {
        idp_model::check_name(idp_model::NameKind::Module, module)
            .map_err(CatalogError::InvalidName)?;
        let Some(&at) = self.modules.get(module) else {
            return Err(self.unknown_module(module));
        };
        let (source, index) = &self.sources[at];
        let pinned = index
            .pinned_modules
            .iter()
            .find(|m| m.name == module)
            .map(|m| m.sha256.clone())
            .unwrap_or_default();
        let files = source.module_files(module)?;
        let actual = module_digest(&files);
        if files.is_empty() || actual != pinned {
            return Err(CatalogError::ModuleDigestMismatch {
                name: module.to_owned(),
                origin: source.describe(),
                expected: pinned,
                actual,
            });
        }
        Ok(files)
    }

    fn unknown_module(&self, module: &str) -> CatalogError {
        let unpinned = self.sources.iter().find_map(|(s, _)| match s {
            Source::Dir(dir) if dir.join("modules").join(module).is_dir() => Some(dir.clone()),
            _ => None,
        });
        let help = match unpinned {
            Some(dir) => format!(
                "`{}` exists, but `{}` does not pin it: add `module {module} sha256=\"…\"` (`idp plugin build` writes it)",
                dir.join("modules").join(module).display(),
                dir.join(INDEX_FILE).display()
            ),
            None => {
                let places: Vec<String> = self
                    .sources
                    .iter()
                    .map(|(s, _)| match s {
                        Source::Builtin => "the built-in modules".to_owned(),
                        Source::Dir(d) => format!("`{}`", d.join("modules").join(module).display()),
                    })
                    .collect();
                format!(
                    "looked in {}; a team's module lives in `<catalog>/modules/{module}/` and is pinned in its `catalog.kdl`",
                    places.join(", ")
                )
            }
        };
        CatalogError::UnknownModule {
            name: module.to_owned(),
            help,
        }
    }
}

/// The most bytes a catalog's component may have: the built-in ones are 160-300 KB, and
/// a team's is compiled by Cranelift before it runs, so a huge one is refused unread.
pub const MAX_COMPONENT_BYTES: usize = 16 << 20;

/// The most bytes one file of a module may have (the built-in modules' largest is 12 KB).
pub const MAX_MODULE_FILE_BYTES: usize = 1 << 20;

/// The most files one module may hold.
pub const MAX_MODULE_FILES: usize = 256;

/// A catalog file, refused past `limit` bytes without reading the rest.
pub fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, CatalogError> {
    let bytes = idp_model::read_prefix(path, limit).map_err(|e| CatalogError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if bytes.len() > limit {
        return Err(CatalogError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Every file under `root` (paths relative to it), refusing symlinks: a module is plain
/// files inside its catalog, never a pointer out of it.
fn read_tree(catalog: &Path, root: &Path) -> Result<Vec<(String, Vec<u8>)>, CatalogError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let file_type = entry.file_type().map_err(|e| CatalogError::Io {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            if file_type.is_symlink() {
                return Err(CatalogError::OutsideCatalog {
                    path,
                    catalog: catalog.to_path_buf(),
                });
            }
            if file_type.is_dir() {
                stack.push(path);
                continue;
            }
            if out.len() == MAX_MODULE_FILES {
                return Err(CatalogError::TooManyFiles {
                    module: root.to_path_buf(),
                    limit: MAX_MODULE_FILES,
                });
            }
            let bytes = read_bounded(&path, MAX_MODULE_FILE_BYTES)?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, bytes));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_catalog_with_two_versions_resolves_each_and_the_newest_by_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let team = dir.path();
        std::fs::create_dir_all(team.join("templates")).expect("mkdir");
        let mut index = String::new();
        for (version, file, bytes) in [
            ("0.1.0", "templates/demo@0.1.0.wasm", b"one".as_slice()),
            ("0.2.0", "templates/demo.wasm", b"two".as_slice()),
        ] {
            std::fs::write(team.join(file), bytes).expect("component");
            let digest = hex::encode(Sha256::digest(bytes));
            index.push_str(&format!(
                "template demo version=\"{version}\" file=\"{file}\" sha256=\"{digest}\"\n"
            ));
        }
        std::fs::write(team.join(INDEX_FILE), index).expect("index");
        let catalog = Catalog::with_dirs(&[SourceDir {
            path: team.to_path_buf(),
            declared: Declared::Team,
            overrides: vec![],
        }])
        .expect("two versions of one plugin in one source");
        let newest = catalog
            .resolve(PluginKind::Template, "demo", None)
            .expect("newest");
        assert_eq!(
            (newest.entry.version.as_str(), newest.bytes.as_slice()),
            ("0.2.0", b"two".as_slice())
        );
        let old = catalog
            .resolve_exact(PluginKind::Template, "demo", "0.1.0")
            .expect("0.1.0");
        assert_eq!(old.bytes, b"one");
        assert_eq!(old.id().version, "0.1.0");
        let err = catalog
            .resolve(PluginKind::Template, "demo", Some("^1"))
            .expect_err("none matches");
        assert_eq!(
            err.to_string(),
            "template `demo` has no version matching `^1` (the catalog has 0.2.0, 0.1.0)"
        );
        let newer = catalog.newer_than(PluginKind::Template, "demo", "0.1.0");
        assert_eq!(newer.map(|e| e.version.as_str()), Some("0.2.0"));
        assert!(
            catalog
                .newer_than(PluginKind::Template, "demo", "0.2.0")
                .is_none()
        );
    }

    #[test]
    fn a_module_with_a_huge_file_or_too_many_files_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let catalog = dir.path();
        let module = catalog.join("modules/blob");
        std::fs::create_dir_all(&module).expect("mkdir");
        std::fs::write(module.join("main.tf"), "# fine\n").expect("write");
        assert!(read_tree(catalog, &module).is_ok());

        // Sparse: 2 MiB on paper.
        std::fs::File::create(module.join("huge.tf"))
            .and_then(|f| f.set_len(2 << 20))
            .expect("sparse");
        let err = read_tree(catalog, &module).expect_err("too large");
        assert!(matches!(err, CatalogError::TooLarge { .. }), "{err}");
        std::fs::remove_file(module.join("huge.tf")).expect("rm");

        for i in 0..MAX_MODULE_FILES {
            std::fs::write(module.join(format!("f{i}.tf")), "").expect("write");
        }
        let err = read_tree(catalog, &module).expect_err("too many");
        assert!(matches!(err, CatalogError::TooManyFiles { .. }), "{err}");
    }
}
