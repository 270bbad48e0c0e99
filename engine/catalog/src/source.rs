use std::path::{Path, PathBuf};

use idp_model::PluginKind;
use sha2::{Digest, Sha256};

use crate::{CatalogError, Entry, INDEX_FILE, Index};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// Where a catalog's files are.
#[derive(Debug, Clone)]
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
                let path = dir.join(rel);
                std::fs::read(&path).map_err(|e| CatalogError::Io {
                    path,
                    reason: e.to_string(),
                })
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
}

/// A plugin resolved from the catalog, its bytes checked against the pinned digest.
#[derive(Debug, Clone)]
pub struct Plugin {
    /// The index entry.
    pub entry: Entry,
    /// Where it came from.
    pub source: String,
    /// The component.
    pub bytes: Vec<u8>,
}

/// Every catalog source of a project, in resolution order.
#[derive(Debug, Clone)]
pub struct Catalog {
    sources: Vec<(Source, Index)>,
}

impl Catalog {
    /// The built-in catalog alone.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let text = builtin::CATALOG_FILES
            .iter()
            .find(|(p, _)| *p == INDEX_FILE)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let index = Index::parse("<built-in catalog.kdl>", &text)?;
        Ok(Catalog {
            sources: vec![(Source::Builtin, index)],
        })
    }

    /// The team's catalog directories, searched before the built-in catalog.
    pub fn with_dirs(dirs: &[PathBuf]) -> Result<Catalog, CatalogError> {
        let mut sources = Vec::new();
        for dir in dirs {
            sources.push((Source::Dir(dir.clone()), Index::read(dir)?));
        }
        sources.extend(Catalog::builtin()?.sources);
        Ok(Catalog { sources })
    }

    /// Every entry, first source first, shadowed names left out.
    pub fn entries(&self) -> Vec<(&Entry, &Source)> {
        let mut seen = Vec::<(PluginKind, &str)>::new();
        let mut out = Vec::new();
        for (source, index) in &self.sources {
            for e in &index.entries {
                if !seen.contains(&(e.kind, e.name.as_str())) {
                    seen.push((e.kind, &e.name));
                    out.push((e, source));
                }
            }
        }
        out
    }

    /// Resolves a plugin by kind and name, optionally a semver requirement, and checks
    /// its digest.
    pub fn resolve(
        &self,
        kind: PluginKind,
        name: &str,
        version: Option<&str>,
    ) -> Result<Plugin, CatalogError> {
        let Some((source, entry)) = self
            .sources
            .iter()
            .find_map(|(s, i)| i.find(kind, name).map(|e| (s, e)))
        else {
            return Err(self.unknown(kind, name));
        };
        if let Some(wanted) = version {
            let matches = semver::VersionReq::parse(wanted)
                .ok()
                .zip(semver::Version::parse(&entry.version).ok())
                .is_some_and(|(req, v)| req.matches(&v));
            if !matches {
                return Err(CatalogError::VersionMismatch {
                    kind,
                    name: name.to_owned(),
                    wanted: wanted.to_owned(),
                    available: entry.version.clone(),
                });
            }
        }
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
            entry: entry.clone(),
            source: source.describe(),
            bytes,
        })
    }

    fn unknown(&self, kind: PluginKind, name: &str) -> CatalogError {
        let names: Vec<&str> = self
            .entries()
            .into_iter()
            .filter(|(e, _)| e.kind == kind)
            .map(|(e, _)| e.name.as_str())
            .collect();
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
            None => format!("available {kind}s: {list}; `idp catalog list` shows them all"),
        };
        CatalogError::UnknownPlugin {
            kind,
            name: name.to_owned(),
            help,
        }
    }

    /// The files of a module (paths relative to the module directory), from the first
    /// source that has it.
    pub fn module_files(&self, module: &str) -> Result<Vec<(String, Vec<u8>)>, CatalogError> {
        for (source, _) in &self.sources {
            let files = match source {
                Source::Builtin => {
                    let prefix = format!("{module}/");
                    builtin::MODULE_FILES
                        .iter()
                        .filter_map(|(p, b)| {
                            p.strip_prefix(&prefix)
                                .map(|rel| (rel.to_owned(), b.to_vec()))
                        })
                        .collect()
                }
                Source::Dir(dir) => read_tree(&dir.join("modules").join(module))?,
            };
            if !files.is_empty() {
                return Ok(files);
            }
        }
        Err(CatalogError::UnknownModule {
            name: module.to_owned(),
        })
    }
}

fn read_tree(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, CatalogError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).map_err(|e| CatalogError::Io {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}
