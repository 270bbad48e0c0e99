//! Compiled components on disk, so a warm run compiles nothing.
//!
//! A file is named by the component's sha256 and wasmtime's compatibility hash, which
//! covers wasmtime's own version and the engine configuration: a change to either
//! is a different file, never a stale one.
//!
//! A name proves nothing about the native code inside, and deserialising is running
//! that code. So each file ends with an HMAC-SHA256, under a secret key kept outside
//! the cache directory, of the component's sha256, the compatibility hash and the
//! code: a file is used only if it was written by an idp holding the key, for that
//! component, with this engine. Anything else (another component's code under this
//! name, a corrupt or forged tag, a file from before tags) is recompiled and rewritten
//! (docs/decisions/0008-sandbox-budget.md).

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Bytes of the secret key and of the tag that ends every cache file.
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 32;

/// Says what the tag is of, so it can never be mistaken for a tag of anything else.
const TAG_CONTEXT: &[u8] = b"idp compiled component v1\0";

/// A cache file larger than this is not read (a plugin compiles to under 1 MB); it is
/// recompiled and replaced.
const MAX_FILE_BYTES: u64 = 64 << 20;

/// Where the cache key lives unless the caller says: `$XDG_DATA_HOME/idp/cache.key`,
/// else `~/.local/share/idp/cache.key`. Data, not cache: clearing or sharing a cache
/// directory never carries the key with it.
pub fn default_key_file() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("idp/cache.key"))
}

/// Where compiled components live, and the key that vouches for them.
pub(crate) struct CompileCache {
    /// The directory and the key; `None` when either is missing or the key cannot be
    /// trusted, and then every component is compiled.
    store: Option<(PathBuf, [u8; KEY_LEN])>,
    config_hash: u64,
}

impl CompileCache {
    pub(crate) fn new(engine: &Engine, dir: Option<PathBuf>, key_file: Option<&Path>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let store = dir.zip(key_file).and_then(|(dir, key_file)| {
            // A key inside the directory it protects protects nothing.
            if key_file.starts_with(&dir) {
                return None;
            }
            Some((dir, load_or_create_key(key_file)?))
        });
        CompileCache {
            store,
            config_hash: hasher.finish(),
        }
    }

    /// Loads the compiled component, or compiles and stores it.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        digest: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<Component> {
        let Some((dir, key)) = &self.store else {
            return Component::new(engine, bytes);
        };
        let path = dir.join(format!("{digest}-{:016x}.cwasm", self.config_hash));
        if let Some(component) = self.verified(engine, &path, key, digest) {
            return Ok(component);
        }
        let component = Component::new(engine, bytes)?;
        // A cache that cannot be written only costs the next run a compile.
        if let Ok(mut file) = component.serialize() {
            let tag = self.tag(key, digest, &file);
            file.extend_from_slice(&tag);
            let _ = write_atomically(&path, &file, false);
        }
        Ok(component)
    }

    /// The cached component, if the file's tag vouches for its code. The file is read
    /// once and the bytes checked are the bytes deserialised: nothing can change it
    /// between the check and the use.
    fn verified(
        &self,
        engine: &Engine,
        path: &Path,
        key: &[u8; KEY_LEN],
        digest: &str,
    ) -> Option<Component> {
        let file = read_bounded(path)?;
        let (code, tag) = file.split_at(file.len().checked_sub(TAG_LEN)?);
        if !same(&self.tag(key, digest, code), tag) {
            return None;
        }
        // SAFETY: wasmtime's `Module::deserialize` is unsafe because "arbitrary input
        // could replace valid compiled code with any other valid compiled code"; its
        // contract is that only the unmodified output of `serialize` is passed in. The
        // tag above is proof of that: only a holder of the key could have made it, and
        // idp makes one only for `Component::serialize`'s output for this component
        // and this engine configuration.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, code) };
        component.ok()
    }

    fn tag(&self, key: &[u8; KEY_LEN], digest: &str, code: &[u8]) -> [u8; TAG_LEN] {
        hmac_sha256(
            key,
            &[
                TAG_CONTEXT,
                digest.as_bytes(),
                &self.config_hash.to_le_bytes(),
                code,
            ],
        )
    }
}

/// A file's bytes, unless it is missing, unreadable or too large to be a plugin's code.
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    let limit = usize::try_from(MAX_FILE_BYTES).ok()?;
    let bytes = idp_model::read_prefix(path, limit).ok()?;
    (bytes.len() <= limit).then_some(bytes)
}

/// Compares two tags in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts`, for a key of at most one block.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The key in `path`, made from the system's random source if the file is missing
/// or malformed. `None` (no cache) if it cannot be made, or if others than its owner
/// may read or write it: then it may not be secret.
fn load_or_create_key(path: &Path) -> Option<[u8; KEY_LEN]> {
    if let Ok(file) = fs::File::open(path) {
        if !private(&file) {
            return None;
        }
        let mut key = [0u8; KEY_LEN];
        let mut rest = Vec::new();
        let whole = (&file).read_exact(&mut key).is_ok()
            && (&file).take(1).read_to_end(&mut rest).is_ok_and(|n| n == 0);
        if whole {
            return Some(key);
        }
    }
    let mut key = [0u8; KEY_LEN];
    fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut key))
        .ok()?;
    write_atomically(path, &key, true).ok()?;
    Some(key)
}

#[cfg(unix)]
fn private(file: &fs::File) -> bool {
    use std::os::unix::fs::PermissionsExt;
    file.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
}

#[cfg(not(unix))]
fn private(_file: &fs::File) -> bool {
    true
}

/// Writes a file so that readers see the old content or the new, never a part. A
/// `private` file (and its directory, if created) is readable by its owner only.
fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        options.mode(0o600);
    }
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("cache"),
        std::process::id()
    ));
    // A stale temporary file keeps its old mode; start afresh so `mode` applies.
    let _ = fs::remove_file(&tmp);
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_1() {
        let tag = hmac_sha256(&[0x0b; 20], &[b"Hi ", b"There"]);
        assert_eq!(
            hex::encode(tag),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn a_key_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("idp/cache.key");
        let made = load_or_create_key(&path).expect("key made");
        assert_eq!(load_or_create_key(&path), Some(made));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("key file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_write_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cache.key");
        fs::write(&path, [7u8; KEY_LEN]).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).expect("chmod");
        assert_eq!(load_or_create_key(&path), None);
    }

    #[test]
    fn a_key_inside_the_cache_directory_disables_the_cache() {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = Engine::default();
        let cache = CompileCache::new(
            &engine,
            Some(dir.path().to_owned()),
            Some(&dir.path().join("cache.key")),
        );
        assert!(cache.store.is_none());
    }

    /// What verification costs loading every file of a warm cache: wasmtime mapping a
    /// file as before, against reading it, checking its tag and deserialising the bytes.
    /// Prints; asserts nothing.
    #[test]
    #[ignore = "a measurement: IDP_CACHE_DIR=<a warm cache> cargo test -p idp-host measure -- --ignored --nocapture"]
    #[allow(unsafe_code)]
    fn measure_verification() {
        let Some(dir) = std::env::var_os("IDP_CACHE_DIR").map(PathBuf::from) else {
            return;
        };
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).expect("engine");
        let key = [7u8; KEY_LEN];
        let cache = CompileCache::new(&engine, None, None);
        let plain = tempfile::tempdir().expect("temp dir");
        let mut files = Vec::new();
        for path in fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
        {
            if path.extension().is_some_and(|e| e == "cwasm") {
                let file = read_bounded(&path).unwrap_or_default();
                let code = &file[..file.len().saturating_sub(TAG_LEN)];
                let untagged = plain.path().join(path.file_name().unwrap_or_default());
                fs::write(&untagged, code).expect("write");
                files.push((path, untagged));
            }
        }
        let started = std::time::Instant::now();
        for (_, untagged) in &files {
            // SAFETY: the test's own cache, written by this wasmtime.
            let loaded = unsafe { Component::deserialize_file(&engine, untagged) };
            assert!(loaded.is_ok());
        }
        let mapped = started.elapsed();
        let started = std::time::Instant::now();
        for (tagged, _) in &files {
            let file = read_bounded(tagged).unwrap_or_default();
            let (code, _) = file.split_at(file.len() - TAG_LEN);
            std::hint::black_box(cache.tag(&key, "digest", code));
            // SAFETY: as above.
            let loaded = unsafe { Component::deserialize(&engine, code) };
            assert!(loaded.is_ok());
        }
        println!(
            "{} files: deserialize_file {mapped:?}; read, tag and deserialize {:?}",
            files.len(),
            started.elapsed()
        );
    }
}
