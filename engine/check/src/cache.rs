//! The incremental check: a file's result memoised on disk under a digest of everything
//! it depends on (docs/decisions/0011-check-cache.md).
//!
//! An entry is only ever a memo of a pure computation under its full key: the spec's
//! path and bytes, the project's context ([`Context`]: idp's version, every applied
//! `idp.kdl`, the catalog's pins, the limits, the price book, the UTC day), and the
//! records the spec's environments had when it was computed, kept in the entry and
//! compared on every read. Anything unexpected in an entry makes it a miss.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use idp_model::{PluginId, PluginKind, Severity, Waived};
use idp_plan::{Project, Provenance};
use idp_spec::SourceFile;
use jiff::Timestamp;
use miette::SourceSpan;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::report::{EnvSummary, FileResult, Item, ItemKind};

/// Bumped whenever an entry's layout or meaning changes, beside idp's own version.
const FORMAT: &str = "idp-check-cache 3";

/// A pack larger than this is not read (its results are computed again): an entry is
/// about a KiB, so this holds several hundred thousand specs.
const MAX_PACK_BYTES: usize = 512 << 20;

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

/// The result cache: one pack of entries per context under `DIR/check/`.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    mode: CacheMode,
    version: String,
    /// What it did during the run.
    pub stats: CacheStats,
}

/// Everything a project's results depend on besides the spec itself, digested once per
/// run, with the entries cached under it and those this run adds.
#[derive(Debug)]
pub struct Context {
    digest: String,
    pack: Pack,
    fresh: Mutex<Vec<(String, String)>>,
    provenance: Mutex<Option<Arc<Provenance>>>,
    /// The pack's provenance, built once for every hit.
    cached_provenance: OnceLock<Option<Arc<Provenance>>>,
}

/// A cached file result's key.
pub struct Key(String);

/// A pack as stored: entries stay raw until a file asks for one, so one bad entry spoils
/// only itself.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Pack {
    format: String,
    context: String,
    provenance: Option<CachedProvenance>,
    entries: HashMap<String, Box<RawValue>>,
}

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

    /// The context of `project` at `now` and its pack, or `None` when some part of it
    /// cannot be read, or a template's component no longer matches its pin (the uncached
    /// run reports it): a hit skips loading templates, never checking them.
    pub fn context(&self, project: &Project, now: Timestamp) -> Option<Context> {
        let digest = self.digest(project, now)?;
        let pack = self
            .read_pack(&digest)
            .filter(|p| p.format == FORMAT && p.context == digest)
            .unwrap_or_default();
        Some(Context {
            digest,
            pack,
            fresh: Mutex::default(),
            provenance: Mutex::default(),
            cached_provenance: OnceLock::new(),
        })
    }

    fn digest(&self, project: &Project, now: Timestamp) -> Option<String> {
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
                    .resolve_exact(PluginKind::Template, &entry.name, &entry.version)
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
        Some(hex::encode(h.finalize()))
    }

    fn pack_path(&self, digest: &str) -> PathBuf {
        self.dir.join(format!("{digest}.json"))
    }

    fn read_pack(&self, digest: &str) -> Option<Pack> {
        let bytes = idp_model::read_prefix(&self.pack_path(digest), MAX_PACK_BYTES).ok()?;
        if bytes.len() > MAX_PACK_BYTES {
            return None;
        }
        serde_json::from_slice(&bytes).ok()
    }

    /// The key of `source` (as read, under the path it is reported by) in `context`.
    pub fn key(context: &Context, source: &SourceFile) -> Key {
        let mut h = Sha256::new();
        for bytes in [
            context.digest.as_bytes(),
            source.path.as_os_str().as_encoded_bytes(),
            source.text.as_bytes(),
        ] {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        Key(hex::encode(h.finalize()))
    }

    /// The cached result for `key`, when there is a sound one whose records are still
    /// the project's. Every other case is a miss.
    pub fn get(
        &self,
        context: &Context,
        key: &Key,
        project: &Project,
        source: &SourceFile,
    ) -> Option<FileResult> {
        let found = Self::lookup(context, key, project, source);
        let counter = match found {
            Some(_) => &self.stats.hits,
            None => &self.stats.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn lookup(
        context: &Context,
        key: &Key,
        project: &Project,
        source: &SourceFile,
    ) -> Option<FileResult> {
        let raw = context.pack.entries.get(&key.0)?;
        let entry: Entry = serde_json::from_str(raw.get()).ok()?;
        if entry.key != key.0 {
            return None;
        }
        for (name, recorded) in &entry.records {
            if record_of(project, name)? != *recorded {
                return None;
            }
        }
        let provenance = match entry.judged {
            true => Some(
                context
                    .cached_provenance
                    .get_or_init(|| context.pack.provenance.as_ref()?.to_provenance())
                    .clone()?,
            ),
            false => None,
        };
        entry.result.into_result(source, provenance)
    }

    /// Keeps `result` for `key` when it may be memoised: read-write mode, no plugin or
    /// infrastructure failure (those are not a function of the key), and the records of
    /// `environments` readable. [`Cache::save`] writes it.
    pub fn put(
        &self,
        context: &Context,
        key: &Key,
        project: &Project,
        environments: &[String],
        result: &FileResult,
    ) {
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
        if let Some(p) = &result.provenance
            && let Ok(mut slot) = context.provenance.lock()
        {
            slot.get_or_insert_with(|| p.clone());
        }
        let entry = Entry {
            key: key.0.clone(),
            records,
            judged: result.provenance.is_some(),
            result: CachedResult::of(result),
        };
        if let (Ok(text), Ok(mut fresh)) = (serde_json::to_string(&entry), context.fresh.lock()) {
            fresh.push((key.0.clone(), text));
        }
    }

    /// Writes the context's pack when the run added entries: what it held and the new
    /// ones, in one atomic write. A write that fails leaves the run as it was.
    pub fn save(&self, context: Context) {
        let fresh = context.fresh.into_inner().unwrap_or_default();
        if fresh.is_empty() {
            return;
        }
        let mut pack = context.pack;
        let written = fresh.len();
        for (key, text) in fresh {
            if let Ok(raw) = RawValue::from_string(text) {
                pack.entries.insert(key, raw);
            }
        }
        let provenance = context.provenance.into_inner().ok().flatten();
        if let Some(p) = provenance {
            pack.provenance = Some(CachedProvenance::of(&p));
        }
        pack.format = FORMAT.to_owned();
        pack.context = context.digest.clone();
        let Ok(bytes) = serde_json::to_vec(&pack) else {
            return;
        };
        if idp_state::write_atomically(&self.pack_path(&context.digest), &bytes).is_ok() {
            self.stats.written.fetch_add(written, Ordering::Relaxed);
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
    /// Judged by the pack's provenance (a file stopped by its problems has none).
    judged: bool,
    result: CachedResult,
}

#[derive(Serialize, Deserialize)]
struct CachedResult {
    environments: Vec<CachedEnv>,
    items: Vec<CachedItem>,
    project_waivers: Vec<(usize, bool)>,
}

impl CachedResult {
    fn of(r: &FileResult) -> Self {
        CachedResult {
            environments: r.environments.iter().map(CachedEnv::of).collect(),
            items: r.items.iter().map(CachedItem::of).collect(),
            project_waivers: r.project_waivers.clone(),
        }
    }

    /// The result, located in `source`; `None` when a span lies outside it.
    fn into_result(
        self,
        source: &SourceFile,
        provenance: Option<Arc<Provenance>>,
    ) -> Option<FileResult> {
        let len = source.text.len();
        let items = self
            .items
            .into_iter()
            .map(|i| i.into_item(len))
            .collect::<Option<Vec<_>>>()?;
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

#[derive(Debug, Serialize, Deserialize)]
struct CachedProvenance {
    config_files: Vec<PathBuf>,
    policies: Vec<(CachedId, PathBuf)>,
}

impl CachedProvenance {
    fn of(p: &Provenance) -> Self {
        CachedProvenance {
            config_files: p.config_files.clone(),
            policies: p
                .policies
                .iter()
                .map(|(id, path)| (CachedId::of(id), path.clone()))
                .collect(),
        }
    }

    fn to_provenance(&self) -> Option<Arc<Provenance>> {
        Some(Arc::new(Provenance {
            config_files: self.config_files.clone(),
            policies: self
                .policies
                .iter()
                .map(|(id, path)| Some((Arc::new(id.clone().into_id()?), path.clone())))
                .collect::<Option<Vec<_>>>()?,
        }))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    #[serde(default)]
    expires_at: Option<jiff::Timestamp>,
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
            expires_at: e.expires_at,
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
            expires_at: self.expires_at,
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
    approval: bool,
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
            approval: i.approval,
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
            approval: self.approval,
            message: self.message,
            help: self.help,
            span: SourceSpan::from(offset..offset + len),
            start: self.start,
            end: self.end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: u8, severity: &str, span: (usize, usize)) -> CachedItem {
        CachedItem {
            kind,
            environment: None,
            rule: "max-ttl/ttl-above-maximum".into(),
            severity: severity.into(),
            waived: None,
            advisory: false,
            approval: false,
            message: "m".into(),
            help: None,
            span,
            start: (1, 1),
            end: (1, 2),
        }
    }

    #[test]
    fn an_item_is_refused_past_its_text_or_with_an_unknown_kind_or_severity() {
        assert!(item(0, "deny", (2, 3)).into_item(5).is_some());
        assert!(item(0, "deny", (2, 4)).into_item(5).is_none());
        assert!(item(0, "deny", (usize::MAX, 2)).into_item(5).is_none());
        assert!(item(3, "deny", (0, 0)).into_item(5).is_none());
        assert!(item(0, "fatal", (0, 0)).into_item(5).is_none());
    }

    #[test]
    fn an_item_comes_back_as_it_was_kept() {
        let kept = item(2, "warn", (1, 2)).into_item(5).expect("item");
        let again = CachedItem::of(&kept).into_item(5).expect("item");
        assert_eq!(again.kind, ItemKind::Failure);
        assert_eq!(again.severity, Severity::Warn);
        assert_eq!((again.span.offset(), again.span.len()), (1, 2));
        assert_eq!(again.rule, kept.rule);
    }
}
