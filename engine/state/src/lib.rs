//! The local state store: one directory per environment under `.idp/environments/`,
//! holding `metadata.json` (the record, with status) and the OpenTofu workspace.
//!
//! Every write is atomic (temp file, fsync, rename, fsync of the directory) and every
//! change happens under an exclusive lock of that environment, so two applies cannot
//! interleave and an interrupted one leaves either the old record or the new.
#![deny(missing_docs)]

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use miette::Diagnostic;

mod lifecycle;
pub use lifecycle::{DESTROY_STALLED_AFTER, SweepAction, SweepItem, sweep};
use serde::{Deserialize, Serialize};

/// The lifecycle: PENDING → APPLYING → READY | FAILED → DESTROYING → DESTROYED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Workspace written, nothing applied yet.
    Pending,
    /// An apply is running (or was interrupted: `idp apply` again resumes).
    Applying,
    /// Applied.
    Ready,
    /// The last apply or destroy failed; applying again retries.
    Failed,
    /// A destroy is running (or was interrupted).
    Destroying,
    /// Destroyed; the record stays for history.
    Destroyed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Pending => "PENDING",
            Status::Applying => "APPLYING",
            Status::Ready => "READY",
            Status::Failed => "FAILED",
            Status::Destroying => "DESTROYING",
            Status::Destroyed => "DESTROYED",
        })
    }
}

/// `metadata.json`: what idp knows about one environment. Its field names are part of
/// the documented JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Environment name.
    pub name: String,
    /// Template name.
    pub template: String,
    /// Template version.
    pub template_version: String,
    /// Owner.
    pub owner: String,
    /// Team.
    pub team: String,
    /// Class.
    pub class: String,
    /// Region.
    pub region: String,
    /// Creation time; kept across re-applies.
    pub created_at: jiff::Timestamp,
    /// TTL as written (`7d`, `never`).
    pub ttl: String,
    /// Expiry, if any.
    pub expires_at: Option<jiff::Timestamp>,
    /// Set by `idp extend`: the environment lives at least until then, whatever TTL its
    /// spec gives, until the spec itself says longer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_until: Option<jiff::Timestamp>,
    /// Lifecycle status.
    pub status: Status,
    /// Digest of the workspace the status refers to.
    pub plan_digest: String,
    /// The spec it came from.
    pub spec: PathBuf,
    /// Last change of this record.
    pub updated_at: jiff::Timestamp,
    /// Outputs recorded after an apply.
    #[serde(default)]
    pub outputs: serde_json::Map<String, serde_json::Value>,
}

/// What can go wrong with state.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum StateError {
    /// Reading or writing failed.
    #[error("cannot {action} `{}`: {reason}", path.display())]
    #[diagnostic(code(idp::state::io))]
    Io {
        /// read, write, lock…
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The remote store refused or could not be reached.
    #[error("cannot {action} `{location}`: {reason}")]
    #[diagnostic(
        code(idp::state::remote),
        help(
            "check the credentials (AWS_PROFILE, or OIDC in workflows), the bucket and region in `state s3 {{ … }}`, and the network"
        )
    )]
    Remote {
        /// read, write, list…
        action: &'static str,
        /// The object or prefix.
        location: String,
        /// What the service said.
        reason: String,
    },
    /// Another process holds the environment's lock.
    #[error("environment `{name}` is locked by another idp process")]
    #[diagnostic(code(idp::state::locked), help("wait for the other apply or destroy to finish; the lock is `{}`", path.display()))]
    Locked {
        /// The environment.
        name: String,
        /// The lock file.
        path: PathBuf,
    },
    /// `metadata.json` is not a record.
    #[error("`{}` is not a valid record: {reason}", path.display())]
    #[diagnostic(
        code(idp::state::corrupt),
        help("restore it from a backup, or delete the environment's directory to forget it")
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
    /// No such environment.
    #[error("no environment `{name}` in `{}`", dir.display())]
    #[diagnostic(
        code(idp::state::unknown),
        help("`idp list` shows the recorded environments")
    )]
    Unknown {
        /// The name.
        name: String,
        /// The state directory.
        dir: PathBuf,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StateError + 'a {
    move |e| StateError::Io {
        action,
        path: path.to_path_buf(),
        reason: e.to_string(),
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

/// Where environment records live: a local directory ([`StateStore`]) or a bucket.
/// Each environment has `metadata.json` (the record) and `outputs.json` beside it.
pub trait RecordStore: Send + Sync {
    /// The record of an environment, if it exists.
    fn get(&self, name: &str) -> Result<Option<Record>, StateError>;
    /// Every record, sorted by name.
    fn list(&self) -> Result<Vec<Record>, StateError>;
    /// Writes the record, and its outputs as `outputs.json`, each whole or not at all.
    fn put(&self, record: &Record) -> Result<(), StateError>;
    /// Where the records are, for messages (`.idp`, `s3://bucket/environments`).
    fn location(&self) -> String;

    /// The record of an environment that must exist.
    fn require(&self, name: &str) -> Result<Record, StateError> {
        self.get(name)?.ok_or_else(|| StateError::Unknown {
            name: name.to_owned(),
            dir: PathBuf::from(self.location()),
        })
    }
}

impl RecordStore for StateStore {
    fn get(&self, name: &str) -> Result<Option<Record>, StateError> {
        StateStore::get(self, name)
    }

    fn list(&self) -> Result<Vec<Record>, StateError> {
        StateStore::list(self)
    }

    fn put(&self, record: &Record) -> Result<(), StateError> {
        write_record(&self.env_dir(&record.name), record)
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }
}

/// `metadata.json` and `outputs.json` of a record, as written everywhere.
pub fn record_files(record: &Record) -> Result<[(&'static str, Vec<u8>); 2], serde_json::Error> {
    let mut metadata = serde_json::to_vec_pretty(record)?;
    metadata.push(b'\n');
    let mut outputs = serde_json::to_vec_pretty(&record.outputs)?;
    outputs.push(b'\n');
    Ok([("metadata.json", metadata), ("outputs.json", outputs)])
}

fn write_record(dir: &Path, record: &Record) -> Result<(), StateError> {
    let files = record_files(record).map_err(|e| StateError::Corrupt {
        path: dir.join("metadata.json"),
        reason: e.to_string(),
    })?;
    // outputs.json first: a reader that sees the new metadata.json sees its outputs.
    for (name, bytes) in files.iter().rev() {
        write_atomically(&dir.join(name), bytes)?;
    }
    Ok(())
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

    /// The directory of one environment: its record and workspace.
    pub fn env_dir(&self, name: &str) -> PathBuf {
        self.dir.join("environments").join(name)
    }

    /// The record of an environment, if it exists.
    pub fn get(&self, name: &str) -> Result<Option<Record>, StateError> {
        let path = self.env_dir(name).join("metadata.json");
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| StateError::Corrupt {
                        path,
                        reason: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read", &path)(e)),
        }
    }

    /// The record of an environment that must exist.
    pub fn require(&self, name: &str) -> Result<Record, StateError> {
        self.get(name)?.ok_or_else(|| StateError::Unknown {
            name: name.to_owned(),
            dir: self.dir.clone(),
        })
    }

    /// Every record, sorted by name.
    pub fn list(&self) -> Result<Vec<Record>, StateError> {
        let root = self.dir.join("environments");
        let entries = match fs::read_dir(&root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("read", &root)(e)),
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort();
        let mut records = Vec::new();
        for name in names {
            if let Some(r) = self.get(&name)? {
                records.push(r);
            }
        }
        Ok(records)
    }

    /// Takes the environment's lock without waiting.
    pub fn lock(&self, name: &str) -> Result<EnvLock, StateError> {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_list_sorted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        for name in ["b", "a"] {
            RecordStore::put(&store, &sample_record(name)).expect("put");
        }
        let names: Vec<_> = store
            .list()
            .expect("list")
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(store.get("a").expect("get"), Some(sample_record("a")));
        assert!(store.get("zzz").expect("get").is_none());
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
