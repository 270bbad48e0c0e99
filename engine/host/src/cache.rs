//! Compiled components on disk, so a warm run compiles nothing.
//!
//! A file is keyed by the component's sha256 and wasmtime's compatibility hash, which
//! covers wasmtime's own version and the engine configuration: a change to either
//! is a different file, never a stale one.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components live.
pub(crate) struct CompileCache {
    dir: Option<PathBuf>,
    config_hash: u64,
}

impl CompileCache {
    pub(crate) fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        CompileCache {
            dir,
            config_hash: hasher.finish(),
        }
    }

    fn path(&self, digest: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{digest}-{:016x}.cwasm", self.config_hash)))
    }

    /// Loads the compiled component, or compiles and stores it.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        digest: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<Component> {
        let Some(path) = self.path(digest) else {
            return Component::new(engine, bytes);
        };
        if path.exists() {
            // SAFETY: the file is in idp's own cache directory, was written by
            // `Component::serialize` of this wasmtime version and configuration (both
            // are in its name), and is replaced atomically, so it is never partial.
            // A corrupt file is rejected by wasmtime's header check and recompiled.
            #[allow(unsafe_code)]
            let loaded = unsafe { Component::deserialize_file(engine, &path) };
            if let Ok(component) = loaded {
                return Ok(component);
            }
        }
        let component = Component::new(engine, bytes)?;
        // A cache that cannot be written only costs the next run a compile.
        let _ = component
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|bytes| write_atomically(&path, &bytes).map_err(|e| e.to_string()));
        Ok(component)
    }
}

/// Writes a file so that readers see the old content or the new, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("cache"),
        std::process::id()
    ));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}
