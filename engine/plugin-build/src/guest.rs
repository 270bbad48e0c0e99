use std::path::{Path, PathBuf};
use std::process::Command;

use idp_catalog::{Entry, INDEX_FILE, Index, ModulePin, module_digest, modules_in};
use idp_host::{PluginHost, digest};
use idp_model::PluginKind;

use crate::{BuildError, Toolchain};

/// A guest crate under `plugins/`.
#[derive(Debug, Clone)]
pub struct Guest {
    /// Crate name (`policy-max-ttl`).
    pub krate: String,
    /// Template or policy.
    pub kind: PluginKind,
    /// Catalog name (`max-ttl`).
    pub name: String,
}

impl Guest {
    /// Component file relative to the catalog directory.
    pub fn file(&self) -> String {
        let dir = match self.kind {
            PluginKind::Template => "templates",
            PluginKind::Policy => "policies",
        };
        format!("{dir}/{}.wasm", self.name)
    }
}

/// One built component.
#[derive(Debug, Clone)]
pub struct Built {
    /// Its index entry.
    pub entry: Entry,
    /// Whether it differs from what the catalog had.
    pub changed: bool,
}

/// The guest crates of the workspace, by their directory names.
pub fn discover(workspace: &Path) -> Result<Vec<Guest>, BuildError> {
    let dir = workspace.join("plugins");
    let entries = std::fs::read_dir(&dir).map_err(|e| BuildError::Io {
        action: "read",
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    let mut guests: Vec<Guest> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter_map(|krate| {
            let (kind, name) = if let Some(n) = krate.strip_prefix("template-") {
                (PluginKind::Template, n)
            } else if let Some(n) = krate.strip_prefix("policy-") {
                (PluginKind::Policy, n)
            } else {
                return None;
            };
            Some(Guest {
                kind,
                name: name.to_owned(),
                krate: krate.clone(),
            })
        })
        .collect();
    guests.sort_by(|a, b| a.krate.cmp(&b.krate));
    Ok(guests)
}

/// Turns a core module carrying wit-bindgen's type section into a component.
pub fn componentize(krate: &str, core: &[u8]) -> Result<Vec<u8>, BuildError> {
    wit_component::ComponentEncoder::default()
        .module(core)
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| BuildError::Componentize {
            krate: krate.to_owned(),
            reason: format!("{e:#}"),
        })
}

fn cargo_build(tc: &Toolchain, workspace: &Path, guest: &Guest) -> Result<Vec<u8>, BuildError> {
    let target_dir = workspace.join("target/guest");
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|_| PathBuf::from("/root/.cargo"));
    // Paths differ between clones and machines; remapped, they leave no trace in the
    // bytes. Flags are separated by 0x1f as CARGO_ENCODED_RUSTFLAGS requires.
    let flags = [
        format!("--remap-path-prefix={}=/idp", workspace.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
        "-Cdebuginfo=0".to_owned(),
    ]
    .join("\x1f");
    let status = Command::new(&tc.cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--locked",
            "--profile",
            "guest",
            "-Zbuild-std=std,panic_abort",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            &guest.krate,
        ])
        .env("RUSTC", &tc.rustc)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", &tc.linker)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", flags)
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTUP_TOOLCHAIN")
        .status()
        .map_err(|e| BuildError::Io {
            action: "run",
            path: tc.cargo.clone(),
            reason: e.to_string(),
        })?;
    if !status.success() {
        return Err(BuildError::Cargo {
            krate: guest.krate.clone(),
            status: status.to_string(),
        });
    }
    let wasm = target_dir
        .join("wasm32-unknown-unknown/guest")
        .join(format!("{}.wasm", guest.krate.replace('-', "_")));
    std::fs::read(&wasm).map_err(|e| BuildError::Io {
        action: "read",
        path: wasm,
        reason: e.to_string(),
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    let io = |e: std::io::Error| BuildError::Io {
        action: "write",
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Builds the named guests (all when `only` is empty) into `catalog/`, updating the
/// index; with `check`, writes nothing and fails if any digest differs.
pub fn build_catalog(
    workspace: &Path,
    only: &[String],
    check: bool,
    mut progress: impl FnMut(&str),
) -> Result<Vec<Built>, BuildError> {
    let all = discover(workspace)?;
    let guests: Vec<Guest> = if only.is_empty() {
        all.clone()
    } else {
        only.iter()
            .map(|n| {
                all.iter()
                    .find(|g| &g.krate == n || &g.name == n)
                    .cloned()
                    .ok_or_else(|| BuildError::UnknownPlugin {
                        name: n.clone(),
                        available: all
                            .iter()
                            .map(|g| g.krate.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let tc = Toolchain::detect()?;
    progress(&format!("guest toolchain: {}", tc.version));
    let catalog_dir = workspace.join("catalog");
    let mut index = if catalog_dir.join(INDEX_FILE).exists() {
        Index::read(&catalog_dir)?
    } else {
        Index::default()
    };
    let host = PluginHost::new(None, idp_host::Limits::default())?;
    let mut built = Vec::new();
    for guest in &guests {
        progress(&format!(
            "building {} `{}` ({})",
            guest.kind, guest.name, guest.krate
        ));
        let core = cargo_build(&tc, workspace, guest)?;
        let component = componentize(&guest.krate, &core)?;
        let (version, modules) = match guest.kind {
            PluginKind::Template => {
                let p = host.load_template(&guest.name, &component)?;
                (p.info().version.clone(), p.info().modules.clone())
            }
            PluginKind::Policy => (
                host.load_policy(&guest.name, &component)?
                    .info()
                    .version
                    .clone(),
                Vec::new(),
            ),
        };
        let entry = Entry {
            kind: guest.kind,
            name: guest.name.clone(),
            version,
            file: guest.file(),
            sha256: digest(&component),
            modules,
        };
        // The entry is checked as `catalog.kdl` will be read: a version or module name a
        // plugin reports is data for the index, never text spliced into it.
        Index::parse(
            INDEX_FILE,
            &Index {
                entries: vec![entry.clone()],
                ..Index::default()
            }
            .to_kdl(),
        )?;
        let committed = std::fs::read(catalog_dir.join(&entry.file))
            .ok()
            .map(|b| digest(&b));
        let changed = index.find(guest.kind, &guest.name) != Some(&entry)
            || committed.as_deref() != Some(entry.sha256.as_str());
        progress(&format!(
            "  {} {} bytes sha256 {}{}",
            entry.file,
            component.len(),
            &entry.sha256[..16],
            if changed {
                " (changed)"
            } else {
                " (unchanged)"
            }
        ));
        if !check {
            write(&catalog_dir.join(&entry.file), &component)?;
            index
                .entries
                .retain(|e| !(e.kind == entry.kind && e.name == entry.name));
            index.entries.push(entry.clone());
        }
        built.push(Built { entry, changed });
    }
    let modules = pin_modules(&workspace.join("modules"))?;
    let modules_changed = {
        let mut committed = index.pinned_modules.clone();
        committed.sort_by(|a, b| a.name.cmp(&b.name));
        committed != modules
    };
    progress(&format!(
        "modules: {} pinned{}",
        modules.len(),
        if modules_changed {
            " (changed)"
        } else {
            " (unchanged)"
        }
    ));
    index.pinned_modules = modules;
    if check {
        let mut drift: Vec<&str> = built
            .iter()
            .filter(|b| b.changed)
            .map(|b| b.entry.name.as_str())
            .collect();
        if modules_changed {
            drift.push("modules/");
        }
        if !drift.is_empty() {
            return Err(BuildError::Drift {
                count: drift.len(),
                names: drift.join(", "),
            });
        }
    } else {
        write(&catalog_dir.join(INDEX_FILE), index.to_kdl().as_bytes())?;
    }
    Ok(built)
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
