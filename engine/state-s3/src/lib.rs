//! Environment records in S3: `{prefix}/{name}/metadata.json` and `outputs.json`, beside
//! the `terraform.tfstate` OpenTofu keeps there, so laptops and runners see one truth.
//!
//! The store is synchronous to its callers (the pipeline is); it owns a small tokio
//! runtime and uses the standard AWS credential chain (OIDC on runners).
//!
//! Laptops, runners and the sweep share these records with no lock between them, so the
//! conditional write is the lock: a read returns the object's ETag, an update is a PUT
//! with `If-Match: <etag>` and a creation one with `If-None-Match: *`. S3 answers 412
//! (or 409 while another conditional write is in flight) when the record changed in
//! between, which becomes [`StateError::Conflict`] instead of a lost update.
#![deny(missing_docs)]

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use idp_config::S3State;
use idp_state::{
    Listing, MAX_STORED_BYTES, Record, RecordStore, RecordedWorkspace, SPEC_FILE, StateError,
    Stored, Version, WORKSPACE_FILE, check_name, valid_name,
};

/// Records under `s3://{bucket}/{prefix}/`.
pub struct S3Store {
    client: Client,
    runtime: tokio::runtime::Runtime,
    settings: S3State,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("location", &self.location())
            .finish()
    }
}

fn remote(action: &'static str, location: String) -> impl FnOnce(String) -> StateError {
    move |reason| StateError::Remote {
        action,
        location,
        reason,
    }
}

/// Whether S3 is addressed path-style: for an S3-compatible endpoint (in idp.kdl, or the
/// SDK's `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`), which rarely has per-bucket host
/// names. OpenTofu's S3 backend is told the same.
pub fn path_style(settings: &S3State) -> bool {
    settings.endpoint.is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some()
}

impl S3Store {
    /// A store for `settings`. An `endpoint` there (or `AWS_ENDPOINT_URL_S3`) selects an
    /// S3-compatible server, addressed path-style as such servers expect.
    pub fn connect(settings: &S3State) -> Result<S3Store, StateError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StateError::Remote {
                action: "start a runtime for",
                location: "S3".into(),
                reason: e.to_string(),
            })?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(settings.region.clone()));
        if let Some(endpoint) = &settings.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = runtime.block_on(loader.load());
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(path_style(settings))
            .build();
        Ok(S3Store {
            client: Client::from_conf(config),
            runtime,
            settings: settings.clone(),
        })
    }

    fn key(&self, name: &str, file: &str) -> String {
        format!("{}/{name}/{file}", self.settings.prefix)
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.settings.bucket)
    }

    /// An object's bytes and ETag, `None` when it does not exist; refused when it is
    /// over `limit` bytes: by its declared length before its body is read, else as soon
    /// as the body read so far passes it.
    fn read(&self, key: &str, limit: usize) -> Result<Option<(Vec<u8>, Version)>, StateError> {
        let fail = remote("read", self.url(key));
        let too_large = || StateError::TooLarge {
            path: self.url(key).into(),
            limit,
        };
        self.runtime.block_on(async {
            let got = self
                .client
                .get_object()
                .bucket(&self.settings.bucket)
                .key(key)
                .send()
                .await;
            match got {
                Ok(mut out) => {
                    let declared = out.content_length().unwrap_or(0);
                    if usize::try_from(declared).map_or(true, |n| n > limit) {
                        return Err(too_large());
                    }
                    let etag = Version(out.e_tag().unwrap_or_default().to_owned());
                    // The length is the server's word (and may be absent); the body is
                    // what counts.
                    let mut bytes = Vec::new();
                    loop {
                        let chunk = match out.body.try_next().await {
                            Ok(Some(chunk)) => chunk,
                            Ok(None) => break,
                            Err(e) => return Err(fail(e.to_string())),
                        };
                        if bytes.len() + chunk.len() > limit {
                            return Err(too_large());
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(Some((bytes, etag)))
                }
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                Err(e) => Err(fail(describe(&e))),
            }
        })
    }

    /// Writes an object whole. With `condition`, only if the object is still at that
    /// ETag (`Some(Some(_))`) or does not exist yet (`Some(None)`): `Ok(None)` when the
    /// condition no longer holds.
    fn write(
        &self,
        key: &str,
        bytes: Vec<u8>,
        condition: Option<Option<&Version>>,
    ) -> Result<Option<Version>, StateError> {
        let fail = remote("write", self.url(key));
        self.runtime.block_on(async {
            let mut put = self
                .client
                .put_object()
                .bucket(&self.settings.bucket)
                .key(key)
                .content_type("application/json")
                .body(ByteStream::from(bytes));
            put = match condition {
                Some(Some(etag)) => put.if_match(&etag.0),
                Some(None) => put.if_none_match("*"),
                None => put,
            };
            match put.send().await {
                Ok(out) => Ok(Some(Version(out.e_tag().unwrap_or_default().to_owned()))),
                // 412: the condition failed; 409: a concurrent conditional write won; a
                // missing object under If-Match: it was deleted since it was read.
                Err(e) if condition.is_some() && lost_race(&e) => Ok(None),
                Err(e) => Err(fail(describe(&e))),
            }
        })
    }

    /// The key of one of the store's documents.
    fn document_key(&self, file: &str) -> Result<String, StateError> {
        idp_state::check_document(file)?;
        Ok(format!("{}/{DOCUMENTS_DIR}/{file}", self.settings.prefix))
    }

    /// Every key under `prefix`, sorted.
    fn keys(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        let (mut keys, _) = self.listing(prefix, None)?;
        keys.sort();
        Ok(keys)
    }

    /// Names of the environments with a directory under the prefix.
    fn names(&self) -> Result<Vec<String>, StateError> {
        let prefix = format!("{}/", self.settings.prefix);
        let (_, dirs) = self.listing(&prefix, Some("/"))?;
        let mut names: Vec<String> = dirs
            .iter()
            .filter_map(|d| d.strip_prefix(&prefix))
            .map(|n| n.trim_end_matches('/'))
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        names.sort();
        Ok(names)
    }

    /// One listing of `prefix`, every page: the keys, and with `delimiter` the common
    /// prefixes ("directories") it groups the rest into.
    fn listing(
        &self,
        prefix: &str,
        delimiter: Option<&str>,
    ) -> Result<(Vec<String>, Vec<String>), StateError> {
        let fail = |e: String| remote("list", self.url(prefix))(e);
        self.runtime.block_on(async {
            let (mut keys, mut dirs) = (Vec::new(), Vec::new());
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(&self.settings.bucket)
                .prefix(prefix)
                .set_delimiter(delimiter.map(str::to_owned))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| fail(describe(&e)))?;
                keys.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_owned)),
                );
                dirs.extend(
                    page.common_prefixes()
                        .iter()
                        .filter_map(|p| p.prefix().map(str::to_owned)),
                );
            }
            Ok((keys, dirs))
        })
    }
}

/// Whether a conditional write failed because the object changed: S3's 412
/// `PreconditionFailed`, 409 `ConditionalRequestConflict`, or 404 under `If-Match`.
fn lost_race<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    matches!(
        e.code(),
        Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
    )
}

/// An SDK error in a line: the service's code and message when it answered, else the
/// causes of the failure without the SDK's debug dumps.
fn describe<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => return format!("{code}: {message}"),
        (Some(code), None) => return code.to_owned(),
        _ => {}
    }
    let mut causes: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = next {
        let text = cause.to_string();
        if text.contains("no credentials found in chain") {
            return "no AWS credentials found (tried the environment, the profile, web identity, \
                    the ECS and EC2 metadata services)"
                .to_owned();
        }
        // Each line of the chain often repeats the next; keep the first line of each.
        let line = text.lines().next().unwrap_or_default().to_owned();
        if !line.is_empty() && !causes.iter().any(|c| c.contains(&line)) {
            causes.push(line);
        }
        next = cause.source();
    }
    causes.join(": ")
}

impl RecordStore for S3Store {
    fn read(&self, name: &str) -> Result<Option<Stored>, StateError> {
        // Nothing is ever recorded under a name that is not an environment's.
        if !valid_name(name) {
            return Ok(None);
        }
        let key = self.key(name, "metadata.json");
        let Some((bytes, version)) = self.read(&key, MAX_STORED_BYTES)? else {
            return Ok(None);
        };
        let mut record = Record::from_stored(&bytes, name, self.url(&key).as_ref())?;
        // The workflow uploads outputs.json from `tofu output`; it wins when present.
        let outputs_key = self.key(name, "outputs.json");
        if let Some((outputs, _)) = self.read(&outputs_key, MAX_STORED_BYTES)? {
            record.outputs = serde_json::from_slice(&outputs).map_err(|e| StateError::Corrupt {
                path: self.url(&outputs_key).into(),
                reason: e.to_string(),
            })?;
        }
        Ok(Some(Stored { record, version }))
    }

    fn list(&self) -> Result<Listing, StateError> {
        let mut listing = Listing::default();
        for name in self.names()? {
            if name == DOCUMENTS_DIR {
                continue;
            }
            if !valid_name(&name) {
                listing.problems.push(StateError::Invalid {
                    path: self
                        .url(&format!("{}/{name}/", self.settings.prefix))
                        .into(),
                    reason: "not an environment's prefix (a stray entry)".into(),
                });
                continue;
            }
            match RecordStore::read(self, &name) {
                Ok(Some(stored)) => listing.records.push(stored),
                Ok(None) => {}
                Err(e @ StateError::Remote { .. }) => return Err(e),
                Err(e) => listing.problems.push(e),
            }
        }
        Ok(listing)
    }

    fn write(&self, record: &Record, expected: Option<&Version>) -> Result<Version, StateError> {
        check_name(&record.name)?;
        let key = self.key(&record.name, "metadata.json");
        let [(_, metadata), (_, outputs)] =
            idp_state::record_files(record).map_err(|e| StateError::Corrupt {
                path: self.url(&key).into(),
                reason: e.to_string(),
            })?;
        // Outputs first, unconditionally (the workflow writes them too): a record never
        // points at outputs that are not there yet.
        self.write(&self.key(&record.name, "outputs.json"), outputs, None)?;
        self.write(&key, metadata, Some(expected))?
            .ok_or_else(|| StateError::Conflict {
                name: record.name.clone(),
                location: self.location(),
            })
    }

    fn write_workspace(&self, name: &str, workspace: &RecordedWorkspace) -> Result<(), StateError> {
        check_name(name)?;
        self.write(&self.key(name, WORKSPACE_FILE), workspace.to_bytes()?, None)?;
        Ok(())
    }

    fn read_workspace(&self, name: &str) -> Result<Option<RecordedWorkspace>, StateError> {
        check_name(name)?;
        let key = self.key(name, WORKSPACE_FILE);
        match self.read(&key, MAX_STORED_BYTES)? {
            Some((bytes, _)) => {
                RecordedWorkspace::from_bytes(&bytes, self.url(&key).as_ref()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn location(&self) -> String {
        self.url(&self.settings.prefix)
    }

    fn write_spec(&self, name: &str, text: &str) -> Result<(), StateError> {
        check_name(name)?;
        self.write(&self.key(name, SPEC_FILE), text.as_bytes().to_vec(), None)?;
        Ok(())
    }

    fn read_spec(&self, name: &str) -> Result<Option<String>, StateError> {
        check_name(name)?;
        let key = self.key(name, SPEC_FILE);
        self.read(&key, idp_state::MAX_SPEC_BYTES)?
            .map(|(bytes, _)| idp_state::spec_text(bytes, self.url(&key).as_ref()))
            .transpose()
    }

    fn read_document(&self, file: &str) -> Result<Option<(Vec<u8>, Version)>, StateError> {
        self.read(&self.document_key(file)?, idp_state::MAX_DOCUMENT_BYTES)
    }

    fn write_document(
        &self,
        file: &str,
        bytes: Vec<u8>,
        expected: Option<&Version>,
    ) -> Result<Option<Version>, StateError> {
        self.write(&self.document_key(file)?, bytes, Some(expected))
    }

    fn append_audit(
        &self,
        name: &str,
        at: jiff::Timestamp,
        entry: &[u8],
    ) -> Result<(), StateError> {
        if !valid_name(name) {
            return Ok(());
        }
        // S3 cannot append: one object per entry, named so that keys sort by time, and
        // written only if new, so two replicas never overwrite each other's entry.
        let key = self.key(
            name,
            &format!(
                "{AUDIT_DIR}/{:012}-{:09}-{}.json",
                at.as_second().max(0),
                at.subsec_nanosecond().max(0),
                nonce()
            ),
        );
        self.write(&key, entry.to_vec(), Some(None))?;
        Ok(())
    }

    fn read_audit(&self, name: &str) -> Result<Vec<Vec<u8>>, StateError> {
        if !valid_name(name) {
            return Ok(Vec::new());
        }
        let prefix = self.key(name, &format!("{AUDIT_DIR}/"));
        let mut entries = Vec::new();
        let mut total = 0usize;
        for key in self.keys(&prefix)? {
            // The oldest entries up to the bound, as the local log is read: an entry
            // that would pass it ends the history rather than failing it.
            match self.read(&key, idp_state::MAX_AUDIT_BYTES - total) {
                Ok(Some((bytes, _))) => {
                    total += bytes.len();
                    entries.push(bytes);
                }
                Ok(None) => {}
                Err(StateError::TooLarge { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(entries)
    }
}

/// Where an environment's audit entries are, under its prefix.
const AUDIT_DIR: &str = "audit";

/// Where the store's own documents are, under the records' prefix: not an environment's
/// name (it starts with `_`), so listings pass it by.
const DOCUMENTS_DIR: &str = "_idp";

/// 16 hex digits from the system's random source (a clock's nanoseconds when there is
/// none), so entries of the same second from two replicas never share a key.
fn nonce() -> String {
    let mut bytes = [0u8; 8];
    let read = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if read.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    hex::encode(bytes)
}
