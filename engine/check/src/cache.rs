//! The incremental check: a file's result memoised on disk under a digest of everything
//! it depends on (docs/decisions/0011-check-cache.md).
//!
//! An entry is only ever a memo of a pure computation under its full key: the spec's
//! path and bytes, the project's context ([`Context`]: idp's version, every applied
//! `idp.kdl`, the catalog's pins, the limits, the price book, the UTC day), and the
//! records the spec's environments had when it was computed, kept in the entry and
//! compared on every read. Anything unexpected in an entry makes it a miss.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use idp_model::{PluginId, PluginKind, Severity, Waived};
use idp_plan::{Project, Provenance};
use idp_spec::SourceFile;
use jiff::Timestamp;
use miette::SourceSpan;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::report::{EnvSummary, FileResult, Item, ItemKind};

/// Bumped whenever an entry's layout or meaning changes, beside idp's own version.
const FORMAT: &str = "idp-check-cache 1";

/// An entry larger than this is not read: results are a few KiB.
const MAX_ENTRY_BYTES: usize = 4 << 20;

/// Whether and how `idp check` uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Read entries and write new ones.
    ReadWrite,
    /// Read entries, write nothing (a pull request reading a shared cache).
    ReadOnly,
}

/// How many files the cache answered, and how many entries were written.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Files answered from the cache.
    pub hits: AtomicUsize,
    /// Files computed (no entry, or one that did not match).
    pub misses: AtomicUsize,
    /// Entries written.
    pub written: AtomicUsize,
}

/// The result cache: entries under `DIR/check/`.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    mode: CacheMode,
    version: String,
    /// What it did during the run.
    pub stats: CacheStats,
}

/// Everything a project's results depend on besides the spec itself, digested once per run.
#[derive(Debug, Clone)]
pub struct Context(String);

/// A cached file result's key.
pub struct Key(String);

impl Cache {
    /// A cache in `dir` (idp's cache directory) for idp `version`.
    pub fn new(dir: &Path, mode: CacheMode, version: &str) -> Self {
        Cache {
            dir: dir.join("check"),
            mode,
            version: version.to_owned(),
            stats: CacheStats::default(),
        }
    }

    /// The context of `project` at `now`, or `None` when some part of it cannot be read,
    /// or a template's component no longer matches its pin (the uncached run reports it):
    /// a hit skips loading templates, never checking them.
    pub fn context(&self, project: &Project, now: Timestamp) -> Option<Context> {
        let mut h = Sha256::new();
        let mut part = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        part(FORMAT.as_bytes());
        part(self.version.as_bytes());
        for file in &project.config.files {
            part(file.as_os_str().as_encoded_bytes());
            part(&std::fs::read(file).ok()?);
        }
        for (entry, source) in project.catalog.entries() {
            part(format!("{entry:?} {source:?}").as_bytes());
            if entry.kind == PluginKind::Template {
                project
                    .catalog
                    .resolve(PluginKind::Template, &entry.name, None)
                    .ok()?;
            }
        }
        part(format!("{:?}", project.host.limits()).as_bytes());
        part(&serde_json::to_vec(&project.prices).ok()?);
        // Waiver expiry is judged by the UTC day; see the decision for TTLs.
        part(
            now.to_zoned(jiff::tz::TimeZone::UTC)
                .date()
                .to_string()
                .as_bytes(),
        );
        Some(Context(hex::encode(h.finalize())))
    }

    /// The key of `source` (as read, under the path it is reported by) in `context`.
    pub fn key(context: &Context, source: &SourceFile) -> Key {
        let mut h = Sha256::new();
        for bytes in [
            context.0.as_bytes(),
            source.path.as_os_str().as_encoded_bytes(),
            source.text.as_bytes(),
        ] {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        Key(hex::encode(h.finalize()))
    }

    fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(&key.0[..2]).join(format!("{}.json", key.0))
    }

    /// The cached result for `key`, when there is a sound one whose records are still
    /// the project's. Every other case is a miss.
    pub fn get(&self, key: &Key, project: &Project, source: &SourceFile) -> Option<FileResult> {
        let found = self.read(key, project, source);
        let counter = match found {
            Some(_) => &self.stats.hits,
            None => &self.stats.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn read(&self, key: &Key, project: &Project, source: &SourceFile) -> Option<FileResult> {
        let bytes = idp_model::read_prefix(&self.path(key), MAX_ENTRY_BYTES).ok()?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return None;
        }
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.key != key.0 {
            return None;
        }
        for (name, recorded) in &entry.records {
            if record_of(project, name)? != *recorded {
                return None;
            }
        }
        entry.result.into_result(source)
    }

    /// Stores `result` for `key` when it may be memoised: read-write mode, no plugin or
    /// infrastructure failure (those are not a function of the key), and the records of
    /// `environments` readable. A write that fails leaves the run as it was.
    pub fn put(&self, key: &Key, project: &Project, environments: &[String], result: &FileResult) {
        if self.mode != CacheMode::ReadWrite
            || result.items.iter().any(|i| i.kind == ItemKind::Failure)
        {
            return;
        }
        let mut records = Vec::new();
        for name in environments {
            match record_of(project, name) {
                Some(r) => records.push((name.clone(), r)),
                None => return,
            }
        }
        let entry = Entry {
            key: key.0.clone(),
            records,
            result: CachedResult::of(result),
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else {
            return;
        };
        if idp_state::write_atomically(&self.path(key), &bytes).is_ok() {
            self.stats.written.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What the pipeline reads of an environment's record (`None` when it has none, or it
/// was destroyed); `None` outside when the record cannot be read.
fn record_of(project: &Project, name: &str) -> Option<Option<String>> {
    let record = project.records.get(name).ok()?;
    Some(
        record
            .filter(|r| r.status != idp_state::Status::Destroyed)
            .map(|r| format!("{} {:?}", r.created_at, r.extended_until)),
    )
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    /// Each environment of the spec and its record's created-at and extension.
    records: Vec<(String, Option<String>)>,
    result: CachedResult,
}

#[derive(Serialize, Deserialize)]
struct CachedResult {
    environments: Vec<CachedEnv>,
    items: Vec<CachedItem>,
    project_waivers: Vec<(usize, bool)>,
    provenance: Option<CachedProvenance>,
}

impl CachedResult {
    fn of(r: &FileResult) -> Self {
        CachedResult {
            environments: r.environments.iter().map(CachedEnv::of).collect(),
            items: r.items.iter().map(CachedItem::of).collect(),
            project_waivers: r.project_waivers.clone(),
            provenance: r.provenance.as_deref().map(|p| CachedProvenance {
                config_files: p.config_files.clone(),
                policies: p
                    .policies
                    .iter()
                    .map(|(id, path)| (CachedId::of(id), path.clone()))
                    .collect(),
            }),
        }
    }

    /// The result, located in `source`; `None` when a span lies outside it.
    fn into_result(self, source: &SourceFile) -> Option<FileResult> {
        let len = source.text.len();
        let items = self
            .items
            .into_iter()
            .map(|i| i.into_item(len))
            .collect::<Option<Vec<_>>>()?;
        let provenance = match self.provenance {
            Some(p) => Some(Arc::new(Provenance {
                config_files: p.config_files,
                policies: p
                    .policies
                    .into_iter()
                    .map(|(id, path)| Some((Arc::new(id.into_id()?), path)))
                    .collect::<Option<Vec<_>>>()?,
            })),
            None => None,
        };
        Some(FileResult {
            source: source.clone(),
            environments: self
                .environments
                .into_iter()
                .map(CachedEnv::into_env)
                .collect::<Option<Vec<_>>>()?,
            items,
            project_waivers: self.project_waivers,
            config: false,
            provenance,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct CachedProvenance {
    config_files: Vec<PathBuf>,
    policies: Vec<(CachedId, PathBuf)>,
}

#[derive(Serialize, Deserialize)]
struct CachedId {
    kind: String,
    name: String,
    version: String,
    sha256: String,
    source: String,
}

impl CachedId {
    fn of(id: &PluginId) -> Self {
        CachedId {
            kind: id.kind.to_string(),
            name: id.name.clone(),
            version: id.version.clone(),
            sha256: id.sha256.clone(),
            source: id.source.clone(),
        }
    }

    fn into_id(self) -> Option<PluginId> {
        let kind = [PluginKind::Template, PluginKind::Policy]
            .into_iter()
            .find(|k| k.to_string() == self.kind)?;
        Some(PluginId {
            kind,
            name: self.name,
            version: self.version,
            sha256: self.sha256,
            source: self.source,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct CachedEnv {
    name: String,
    template: String,
    template_id: CachedId,
    class: String,
    region: String,
    monthly_cost: Option<f64>,
}

impl CachedEnv {
    fn of(e: &EnvSummary) -> Self {
        CachedEnv {
            name: e.name.clone(),
            template: e.template.clone(),
            template_id: CachedId::of(&e.template_id),
            class: e.class.clone(),
            region: e.region.clone(),
            monthly_cost: e.monthly_cost,
        }
    }

    fn into_env(self) -> Option<EnvSummary> {
        Some(EnvSummary {
            name: self.name,
            template: self.template,
            template_id: Arc::new(self.template_id.into_id()?),
            class: self.class,
            region: self.region,
            monthly_cost: self.monthly_cost,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct CachedWaived {
    reason: String,
    owner: String,
    until: String,
    in_spec: bool,
}

#[derive(Serialize, Deserialize)]
struct CachedItem {
    kind: u8,
    environment: Option<String>,
    rule: String,
    severity: String,
    waived: Option<CachedWaived>,
    advisory: bool,
    message: String,
    help: Option<String>,
    span: (usize, usize),
    start: (usize, usize),
    end: (usize, usize),
}

const KINDS: [ItemKind; 3] = [ItemKind::Finding, ItemKind::Input, ItemKind::Failure];
const SEVERITIES: [Severity; 3] = [Severity::Deny, Severity::Warn, Severity::Info];

impl CachedItem {
    fn of(i: &Item) -> Self {
        CachedItem {
            kind: KINDS.iter().position(|k| *k == i.kind).unwrap_or(0) as u8,
            environment: i.environment.clone(),
            rule: i.rule.clone(),
            severity: i.severity.to_string(),
            waived: i.waived.as_ref().map(|w| CachedWaived {
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                until: w.until.clone(),
                in_spec: w.in_spec,
            }),
            advisory: i.advisory,
            message: i.message.clone(),
            help: i.help.clone(),
            span: (i.span.offset(), i.span.len()),
            start: i.start,
            end: i.end,
        }
    }

    /// The item; `None` when its kind or severity is unknown or its span lies past
    /// `text_len` (an entry that does not belong to this text).
    fn into_item(self, text_len: usize) -> Option<Item> {
        let (offset, len) = self.span;
        if offset.checked_add(len)? > text_len {
            return None;
        }
        Some(Item {
            kind: *KINDS.get(usize::from(self.kind))?,
            environment: self.environment,
            rule: self.rule,
            severity: SEVERITIES
                .into_iter()
                .find(|s| s.to_string() == self.severity)?,
            waived: self.waived.map(|w| Waived {
                reason: w.reason,
                owner: w.owner,
                until: w.until,
                in_spec: w.in_spec,
            }),
            advisory: self.advisory,
            message: self.message,
            help: self.help,
            span: SourceSpan::from(offset..offset + len),
            start: self.start,
            end: self.end,
        })
    }
}
