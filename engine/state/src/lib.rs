//! The local state store: one directory per environment under `.idp/environments/`,
//! holding `metadata.json` (the record, with status), `workspace.json` (the workspace as
//! applied, which destroy uses) and the OpenTofu workspace.
//!
//! Every write is atomic (temp file, fsync, rename, fsync of the directory) and
//! conditional: a writer names the version of the record it read, and a record changed
//! since is a [`StateError::Conflict`], never a lost update. Every record read is checked
//! against its location ([`Record::from_stored`]); a name that is not an environment's
//! never becomes a path.
#![deny(missing_docs)]

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod error;
mod lifecycle;
mod record;
pub mod spend;
pub use error::StateError;
pub use lifecycle::{DESTROY_STALLED_AFTER, MAX_DESTROY_ATTEMPTS, SweepAction, SweepItem, sweep};
pub use record::{
    Applied, Approval, Decision, Record, RecordedBackend, RecordedCost, SCHEMA_VERSION, Status,
    confined, valid_name,
};

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StateError + 'a {
    move |e| StateError::Io {
        action,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The largest file or object a store reads back as a record, its outputs or its
/// workspace (an applied workspace with every module is a few hundred KiB): a hostile or
/// runaway one must not fill memory.
pub const MAX_STORED_BYTES: usize = 16 * 1024 * 1024;

/// The largest store document read back (`tokens.json`).
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// A stored file's bytes, at most `limit` of them (refused when it is larger); `None`
/// when there is no such file.
fn read_stored(path: &Path, limit: usize) -> Result<Option<Vec<u8>>, StateError> {
    match idp_model::read_prefix(path, limit) {
        Ok(bytes) if bytes.len() > limit => Err(StateError::TooLarge {
            path: path.to_path_buf(),
            limit,
        }),
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path)(e)),
    }
}

/// Writes `bytes` to `path` so readers see the old content or the new, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io("create", dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = File::create(&tmp).map_err(io("write", &tmp))?;
    f.write_all(bytes).map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("sync", &tmp))?;
    fs::rename(&tmp, path).map_err(io("rename", path))?;
    // The rename is durable only once the directory entry is.
    if let Ok(d) = File::open(dir) {
        d.sync_all().ok();
    }
    Ok(())
}

/// The version of a stored record, as its store tells versions apart (an S3 ETag, a
/// digest of the local file). Opaque: only compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

/// A record with the version it was read at, for a conditional write back.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The record.
    pub record: Record,
    /// Its version in the store.
    pub version: Version,
}

/// Every record a store holds, and what it could not read: one bad record never hides
/// the others.
#[derive(Debug, Default)]
pub struct Listing {
    /// The readable records, sorted by name.
    pub records: Vec<Stored>,
    /// Records refused or unreadable, and stray entries, each with its path.
    pub problems: Vec<StateError>,
}

/// The workspace as it was applied, kept beside the record (`workspace.json`) so a
/// destroy anywhere runs OpenTofu over exactly the configuration it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedWorkspace {
    /// The plan digest of these files.
    pub digest: String,
    /// Relative path and content of each file.
    pub files: Vec<(String, Vec<u8>)>,
}

#[derive(Serialize, Deserialize)]
struct WorkspaceFile {
    digest: String,
    files: std::collections::BTreeMap<String, String>,
}

/// The last estimate of a local environment, beside `metadata.json`: the whole estimate,
/// line by line, for `idp cost --compare NAME`. Records before schema version 3 kept
/// only this; reading one takes it in as the record's only cost.
pub const COST_FILE: &str = "cost.json";

/// The file name of the recorded workspace, beside `metadata.json`.
pub const WORKSPACE_FILE: &str = "workspace.json";

/// The file name of a spec posted to `idp serve`, kept beside `metadata.json`.
pub const SPEC_FILE: &str = "spec.kdl";

/// The longest kept spec read back, in bytes (the server accepts far less).
pub const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;

/// A kept spec's bytes as text, refused when they are not UTF-8.
pub fn spec_text(bytes: Vec<u8>, path: &Path) -> Result<String, StateError> {
    String::from_utf8(bytes).map_err(|_| StateError::Invalid {
        path: path.to_path_buf(),
        reason: "the kept spec is not UTF-8 text".into(),
    })
}

impl RecordedWorkspace {
    /// As stored: JSON with each file's text (emitted files are text).
    pub fn to_bytes(&self) -> Result<Vec<u8>, StateError> {
        let mut files = std::collections::BTreeMap::new();
        for (path, bytes) in &self.files {
            let text = String::from_utf8(bytes.clone()).map_err(|_| StateError::Corrupt {
                path: PathBuf::from(path),
                reason: "a workspace file is not UTF-8 text".into(),
            })?;
            files.insert(path.clone(), text);
        }
        let doc = WorkspaceFile {
            digest: self.digest.clone(),
            files,
        };
        serde_json::to_vec(&doc).map_err(|e| StateError::Corrupt {
            path: PathBuf::from(WORKSPACE_FILE),
            reason: e.to_string(),
        })
    }

    /// Reads a stored workspace; a file path that would leave the workspace is refused.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<RecordedWorkspace, StateError> {
        let doc: WorkspaceFile =
            serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if doc.files.keys().any(|p| !confined(Path::new(p))) {
            return Err(StateError::Invalid {
                path: path.to_path_buf(),
                reason: "it names a file outside the workspace".into(),
            });
        }
        Ok(RecordedWorkspace {
            digest: doc.digest,
            files: doc
                .files
                .into_iter()
                .map(|(p, t)| (p, t.into_bytes()))
                .collect(),
        })
    }
}

/// Where environment records live: a local directory ([`StateStore`]) or a bucket.
/// Each environment has `metadata.json` (the record), `outputs.json` and
/// `workspace.json` beside it.
pub trait RecordStore: Send + Sync {
    /// The record of an environment and its version, if it exists.
    fn read(&self, name: &str) -> Result<Option<Stored>, StateError>;
    /// Every record, sorted by name, and what could not be read.
    fn list(&self) -> Result<Listing, StateError>;
    /// Writes the record (and its outputs as `outputs.json`) if the stored one is still
    /// at `expected` (`None`: if there is none yet); else [`StateError::Conflict`].
    fn write(&self, record: &Record, expected: Option<&Version>) -> Result<Version, StateError>;
    /// Keeps the workspace as applied beside the record.
    fn write_workspace(&self, name: &str, workspace: &RecordedWorkspace) -> Result<(), StateError>;
    /// The workspace kept beside the record, if any.
    fn read_workspace(&self, name: &str) -> Result<Option<RecordedWorkspace>, StateError>;
    /// Where the records are, for messages (`.idp`, `s3://bucket/environments`).
    fn location(&self) -> String;

    /// Keeps the spec posted to `idp serve` for `name` beside its record ([`SPEC_FILE`]),
    /// so a runner, another replica, an extension and a destroy read the text planned.
    fn write_spec(&self, name: &str, text: &str) -> Result<(), StateError>;

    /// The spec kept for `name` by [`RecordStore::write_spec`], if any.
    fn read_spec(&self, name: &str) -> Result<Option<String>, StateError>;

    /// A document the store keeps beside the records for every environment (the
    /// server's API tokens, [`TOKENS_DOCUMENT`]), and its version; `None` when absent.
    /// Kept where the records are, so every replica of `idp serve` reads the same one.
    fn read_document(&self, file: &str) -> Result<Option<(Vec<u8>, Version)>, StateError>;

    /// Writes a document if it is still at `expected` (`None`: if there is none yet);
    /// `Ok(None)` when another writer changed it meanwhile (read it again and retry).
    fn write_document(
        &self,
        file: &str,
        bytes: Vec<u8>,
        expected: Option<&Version>,
    ) -> Result<Option<Version>, StateError>;

    /// Adds one entry (a JSON object) to environment `name`'s audit log, never
    /// rewriting the entries before it. Nothing is kept for a name that is not an
    /// environment's.
    fn append_audit(&self, name: &str, at: jiff::Timestamp, entry: &[u8])
    -> Result<(), StateError>;

    /// Every entry of `name`'s audit log, oldest first.
    fn read_audit(&self, name: &str) -> Result<Vec<Vec<u8>>, StateError>;

    /// The record of an environment, if it exists.
    fn get(&self, name: &str) -> Result<Option<Record>, StateError> {
        Ok(self.read(name)?.map(|s| s.record))
    }

    /// The record of an environment that must exist.
    fn require(&self, name: &str) -> Result<Stored, StateError> {
        self.read(name)?.ok_or_else(|| StateError::Unknown {
            name: name.to_owned(),
            dir: PathBuf::from(self.location()),
        })
    }
}

/// Refuses a name that is not an environment's before it becomes part of a path or key.
pub fn check_name(name: &str) -> Result<(), StateError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(StateError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// The document that holds the server's API tokens (digests only).
pub const TOKENS_DOCUMENT: &str = "tokens.json";

/// The longest audit log read back, in bytes: a log is appended to for as long as an
/// environment lives, and a hostile or runaway one must not fill memory.
pub const MAX_AUDIT_BYTES: usize = 8 * 1024 * 1024;

/// Refuses a document name that is not a plain file name (`tokens.json`).
pub fn check_document(file: &str) -> Result<(), StateError> {
    let plain = !file.is_empty()
        && !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if plain {
        Ok(())
    } else {
        Err(StateError::Invalid {
            path: PathBuf::from(file),
            reason: "not a document of the state store".into(),
        })
    }
}

/// An exclusive lock on `path` (created if missing), held until the file is dropped:
/// one compare-and-write at a time on this machine.
fn write_guard(path: &Path) -> Result<File, StateError> {
    let guard = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io("open", path))?;
    guard.lock().map_err(io("lock", path))?;
    Ok(guard)
}

/// The version of a local record: a digest of its bytes.
fn local_version(bytes: &[u8]) -> Version {
    Version(hex::encode(Sha256::digest(bytes)))
}

impl RecordStore for StateStore {
    fn read(&self, name: &str) -> Result<Option<Stored>, StateError> {
        // Nothing is ever recorded under a name that is not an environment's.
        if !valid_name(name) {
            return Ok(None);
        }
        let path = self.env_dir(name).join("metadata.json");
        let Some(bytes) = read_stored(&path, MAX_STORED_BYTES)? else {
            return Ok(None);
        };
        let mut record = Record::from_stored(&bytes, name, &path)?;
        if record.schema_version < 3 {
            record.costs = self.legacy_cost(&record).into_iter().collect();
        }
        Ok(Some(Stored {
            record,
            version: local_version(&bytes),
        }))
    }

    fn list(&self) -> Result<Listing, StateError> {
        let root = self.dir.join("environments");
        let entries = match fs::read_dir(&root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Listing::default()),
            Err(e) => return Err(io("read", &root)(e)),
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        let mut listing = Listing::default();
        for path in paths {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !path.is_dir() || !valid_name(name) {
                listing.problems.push(StateError::Invalid {
                    path: path.clone(),
                    reason: "not an environment's directory (a stray entry)".into(),
                });
                continue;
            }
            match self.read(name) {
                Ok(Some(stored)) => listing.records.push(stored),
                // A directory with only a lock: an apply that was refused before recording.
                Ok(None) => {}
                Err(e) => listing.problems.push(e),
            }
        }
        Ok(listing)
    }

    fn write(&self, record: &Record, expected: Option<&Version>) -> Result<Version, StateError> {
        check_name(&record.name)?;
        let dir = self.env_dir(&record.name);
        fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        // Held only around compare-and-write; the environment's lock guards whole runs.
        let _guard = write_guard(&dir.join(".write.lock"))?;
        let path = dir.join("metadata.json");
        let current = read_stored(&path, MAX_STORED_BYTES)?.map(|b| local_version(&b));
        if current.as_ref() != expected {
            return Err(StateError::Conflict {
                name: record.name.clone(),
                location: self.location(),
            });
        }
        let files = record_files(record).map_err(|e| StateError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        // outputs.json first: a reader that sees the new metadata.json sees its outputs.
        for (name, bytes) in files.iter().rev() {
            write_atomically(&dir.join(name), bytes)?;
        }
        Ok(local_version(&files[0].1))
    }

    fn write_workspace(&self, name: &str, workspace: &RecordedWorkspace) -> Result<(), StateError> {
        check_name(name)?;
        write_atomically(
            &self.env_dir(name).join(WORKSPACE_FILE),
            &workspace.to_bytes()?,
        )
    }

    fn read_workspace(&self, name: &str) -> Result<Option<RecordedWorkspace>, StateError> {
        check_name(name)?;
        let path = self.env_dir(name).join(WORKSPACE_FILE);
        read_stored(&path, MAX_STORED_BYTES)?
            .map(|bytes| RecordedWorkspace::from_bytes(&bytes, &path))
            .transpose()
    }

    fn write_spec(&self, name: &str, text: &str) -> Result<(), StateError> {
        check_name(name)?;
        write_atomically(&self.env_dir(name).join(SPEC_FILE), text.as_bytes())
    }

    fn read_spec(&self, name: &str) -> Result<Option<String>, StateError> {
        check_name(name)?;
        // Servers before 0.2 kept a posted spec at `requests/NAME.kdl`.
        let legacy = self.dir.join("requests").join(format!("{name}.kdl"));
        for path in [self.env_dir(name).join(SPEC_FILE), legacy] {
            if let Some(bytes) = read_stored(&path, MAX_SPEC_BYTES)? {
                return spec_text(bytes, &path).map(Some);
            }
        }
        Ok(None)
    }

    fn read_document(&self, file: &str) -> Result<Option<(Vec<u8>, Version)>, StateError> {
        check_document(file)?;
        let path = self.dir.join(file);
        Ok(read_stored(&path, MAX_DOCUMENT_BYTES)?.map(|bytes| {
            let version = local_version(&bytes);
            (bytes, version)
        }))
    }

    fn write_document(
        &self,
        file: &str,
        bytes: Vec<u8>,
        expected: Option<&Version>,
    ) -> Result<Option<Version>, StateError> {
        check_document(file)?;
        fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        // Held around compare-and-write, as a record's write is.
        let _guard = write_guard(&self.dir.join(format!(".{file}.lock")))?;
        let current = self.read_document(file)?.map(|(_, v)| v);
        if current.as_ref() != expected {
            return Ok(None);
        }
        write_atomically(&self.dir.join(file), &bytes)?;
        Ok(Some(local_version(&bytes)))
    }

    fn append_audit(
        &self,
        name: &str,
        _at: jiff::Timestamp,
        entry: &[u8],
    ) -> Result<(), StateError> {
        if !valid_name(name) {
            return Ok(());
        }
        let dir = self.dir.join("audit");
        fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let path = dir.join(format!("{name}.jsonl"));
        let mut line = entry.to_vec();
        line.push(b'\n');
        // One write of a whole line to a file opened for appending: lines never interleave.
        File::options()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&line).and_then(|()| f.sync_data()))
            .map_err(io("append to", &path))
    }

    fn read_audit(&self, name: &str) -> Result<Vec<Vec<u8>>, StateError> {
        if !valid_name(name) {
            return Ok(Vec::new());
        }
        let path = self.dir.join("audit").join(format!("{name}.jsonl"));
        match idp_model::read_prefix(&path, MAX_AUDIT_BYTES) {
            Ok(bytes) => Ok(bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io("read", &path)(e)),
        }
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }
}

/// `metadata.json` and `outputs.json` of a record, as written everywhere: always at the
/// oldest schema version that holds it ([`Record::written_version`]).
pub fn record_files(record: &Record) -> Result<[(&'static str, Vec<u8>); 2], serde_json::Error> {
    let current = Record {
        schema_version: record.written_version(),
        ..record.clone()
    };
    let mut metadata = serde_json::to_vec_pretty(&current)?;
    metadata.push(b'\n');
    let mut outputs = serde_json::to_vec_pretty(&record.outputs)?;
    outputs.push(b'\n');
    Ok([("metadata.json", metadata), ("outputs.json", outputs)])
}

/// A state directory.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

/// The exclusive right to change one environment; released on drop.
#[derive(Debug)]
pub struct EnvLock {
    _file: File,
    dir: PathBuf,
}

impl StateStore {
    /// A store rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StateStore { dir: dir.into() }
    }

    /// The root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of one environment: its record and workspace. `name` must have
    /// passed [`check_name`].
    pub fn env_dir(&self, name: &str) -> PathBuf {
        self.dir.join("environments").join(name)
    }

    /// A record from before schema version 3 kept its last estimate only in
    /// [`COST_FILE`]: it becomes the record's one cost, at the record's last change. An
    /// unreadable file is no cost rather than no record.
    fn legacy_cost(&self, record: &Record) -> Option<RecordedCost> {
        let path = self.env_dir(&record.name).join(COST_FILE);
        let bytes = idp_model::read_prefix(&path, 4 << 20).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        Some(RecordedCost {
            at: record.updated_at,
            plan_digest: record.plan_digest.clone(),
            monthly: v.get("monthly")?.as_f64()?,
            lifetime: v.get("lifetime").and_then(serde_json::Value::as_f64),
            currency: v.get("currency")?.as_str()?.to_owned(),
            complete: v
                .get("complete")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true),
            price_book: v.get("price_book")?.as_str()?.to_owned(),
        })
    }

    /// The record of an environment, if it exists (as [`RecordStore::get`]).
    pub fn get(&self, name: &str) -> Result<Option<Record>, StateError> {
        RecordStore::get(self, name)
    }

    /// Takes the environment's lock without waiting.
    pub fn lock(&self, name: &str) -> Result<EnvLock, StateError> {
        check_name(name)?;
        let dir = self.env_dir(name);
        fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let path = dir.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io("open", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(EnvLock { _file: file, dir }),
            Err(fs::TryLockError::WouldBlock) => Err(StateError::Locked {
                name: name.to_owned(),
                path,
            }),
            Err(fs::TryLockError::Error(e)) => Err(io("lock", &path)(e)),
        }
    }
}

impl EnvLock {
    /// The environment's directory (the OpenTofu working directory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes workspace files (paths relative to the environment directory), each
    /// atomically, and removes module files the new workspace no longer has.
    pub fn write_workspace(&self, files: &[(String, Vec<u8>)]) -> Result<(), StateError> {
        if let Some((bad, _)) = files.iter().find(|(p, _)| !confined(Path::new(p))) {
            return Err(StateError::Invalid {
                path: self.dir.join(bad),
                reason: "a workspace file would be written outside the workspace".into(),
            });
        }
        let modules = self.dir.join("modules");
        if modules.exists() {
            let keep: Vec<PathBuf> = files.iter().map(|(p, _)| self.dir.join(p)).collect();
            remove_stale(&modules, &keep)?;
        }
        for (rel, bytes) in files {
            write_atomically(&self.dir.join(rel), bytes)?;
        }
        Ok(())
    }
}

fn remove_stale(dir: &Path, keep: &[PathBuf]) -> Result<(), StateError> {
    for entry in fs::read_dir(dir).map_err(io("read", dir))?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_stale(&path, keep)?;
            if fs::read_dir(&path)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false)
            {
                fs::remove_dir(&path).map_err(io("remove", &path))?;
            }
        } else if !keep.contains(&path) {
            fs::remove_file(&path).map_err(io("remove", &path))?;
        }
    }
    Ok(())
}

/// A record for unit tests.
#[cfg(test)]
pub(crate) fn sample_record(name: &str) -> Record {
    Record {
        // As written: it uses nothing of version 4.
        schema_version: 3,
        name: name.into(),
        template: "api-service".into(),
        template_version: "0.1.0".into(),
        owner: "a@b.io".into(),
        team: "t".into(),
        class: "preview".into(),
        region: "us-east-1".into(),
        created_at: jiff::Timestamp::UNIX_EPOCH,
        ttl: "7d".into(),
        expires_at: None,
        extended_until: None,
        status: Status::Pending,
        plan_digest: "abc".into(),
        spec: "env.kdl".into(),
        updated_at: jiff::Timestamp::UNIX_EPOCH,
        outputs: Default::default(),
        applied: None,
        destroy_attempts: 0,
        destroy_blocked: None,
        costs: Vec::new(),
        approval: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_file_over_its_bound_is_refused_not_cut() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spec.kdl");
        fs::write(&path, "x".repeat(11)).expect("write");
        assert_eq!(
            read_stored(&path, 11)
                .expect("at the bound")
                .map(|b| b.len()),
            Some(11)
        );
        let refused = read_stored(&path, 10).expect_err("past the bound");
        assert!(
            matches!(refused, StateError::TooLarge { limit: 10, .. }),
            "{refused}"
        );
        assert!(
            read_stored(&dir.path().join("none"), 10)
                .expect("absent")
                .is_none()
        );
    }

    #[test]
    fn records_round_trip_and_list_sorted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        for name in ["b", "a"] {
            store.write(&sample_record(name), None).expect("write");
        }
        let names: Vec<_> = store
            .list()
            .expect("list")
            .records
            .into_iter()
            .map(|r| r.record.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(store.get("a").expect("get"), Some(sample_record("a")));
        assert!(store.get("zzz").expect("get").is_none());
    }

    #[test]
    fn a_posted_spec_is_kept_beside_the_record_and_an_older_servers_is_still_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        assert_eq!(store.read_spec("a").expect("read"), None);
        store.write_spec("a", "environment a {}").expect("write");
        assert!(store.env_dir("a").join(SPEC_FILE).is_file());
        assert_eq!(
            store.read_spec("a").expect("read").as_deref(),
            Some("environment a {}")
        );
        // Where servers before the record store kept specs.
        fs::create_dir_all(dir.path().join("requests")).expect("dir");
        fs::write(dir.path().join("requests/b.kdl"), "environment b {}").expect("legacy");
        assert_eq!(
            store.read_spec("b").expect("read").as_deref(),
            Some("environment b {}")
        );
        fs::write(store.env_dir("a").join(SPEC_FILE), [0xff, 0xfe]).expect("garbage");
        assert!(store.read_spec("a").is_err(), "not UTF-8");
        assert!(store.write_spec("../x", "x").is_err(), "not a name");
    }

    #[test]
    fn a_write_from_a_stale_read_is_a_conflict_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        let v1 = store.write(&sample_record("e"), None).expect("create");
        assert!(matches!(
            store.write(&sample_record("e"), None),
            Err(StateError::Conflict { .. })
        ));
        let mut changed = sample_record("e");
        changed.owner = "c@d.io".into();
        let v2 = store.write(&changed, Some(&v1)).expect("update");
        assert!(matches!(
            store.write(&sample_record("e"), Some(&v1)),
            Err(StateError::Conflict { .. })
        ));
        let stored = store.read("e").expect("read").expect("exists");
        assert_eq!(
            (stored.record.owner.as_str(), &stored.version),
            ("c@d.io", &v2)
        );
    }

    #[test]
    fn a_record_whose_name_is_not_its_directory_is_refused_and_never_redirects_a_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        for name in ["ok", "moved"] {
            store.write(&sample_record(name), None).expect("write");
        }
        let moved = store.env_dir("moved").join("metadata.json");
        let mut hostile = sample_record("../../outside");
        hostile.spec = "env.kdl".into();
        std::fs::write(&moved, serde_json::to_vec(&hostile).expect("JSON")).expect("tamper");
        std::fs::write(dir.path().join("environments/stray.txt"), "x").expect("stray");
        let listing = store.list().expect("list");
        let names: Vec<_> = listing
            .records
            .iter()
            .map(|s| s.record.name.as_str())
            .collect();
        assert_eq!(names, ["ok"]);
        assert_eq!(listing.problems.len(), 2, "{:?}", listing.problems);
        assert!(matches!(
            store.write(&hostile, None),
            Err(StateError::InvalidName { .. })
        ));
        assert!(!dir.path().join("outside").exists());
    }

    #[test]
    fn recorded_workspaces_round_trip_and_refuse_paths_outside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        let ws = RecordedWorkspace {
            digest: "sha256:00".into(),
            files: vec![("main.tf".into(), b"m".to_vec())],
        };
        store.write_workspace("e", &ws).expect("write");
        assert_eq!(store.read_workspace("e").expect("read"), Some(ws));
        let path = store.env_dir("e").join(WORKSPACE_FILE);
        std::fs::write(&path, r#"{"digest":"d","files":{"../x.tf":"x"}}"#).expect("tamper");
        assert!(matches!(
            store.read_workspace("e"),
            Err(StateError::Invalid { .. })
        ));
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        let first = store.lock("e").expect("first lock");
        assert!(matches!(store.lock("e"), Err(StateError::Locked { .. })));
        drop(first);
        store.lock("e").expect("lock again");
    }

    #[test]
    fn workspace_rewrites_drop_stale_module_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lock = StateStore::new(dir.path()).lock("e").expect("lock");
        lock.write_workspace(&[
            ("modules/a/main.tf".into(), b"a".to_vec()),
            ("main.tf".into(), b"m".to_vec()),
        ])
        .expect("write");
        lock.write_workspace(&[
            ("modules/b/main.tf".into(), b"b".to_vec()),
            ("main.tf".into(), b"m".to_vec()),
        ])
        .expect("rewrite");
        assert!(!lock.dir().join("modules/a").exists());
        assert!(lock.dir().join("modules/b/main.tf").exists());
        assert!(!dir.path().join("environments/e/.main.tf.tmp").exists());
    }
}
