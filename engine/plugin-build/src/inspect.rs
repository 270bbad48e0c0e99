//! What a built component declares, read by loading it in the host.

use std::path::{Path, PathBuf};

use idp_host::{PluginHost, digest};
use serde_json::{Value, json};

use crate::BuildError;
use crate::component::{Info, load};

/// A component and what it says about itself.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The file read.
    pub file: PathBuf,
    /// Its size in bytes.
    pub size: usize,
    /// Its sha256, the digest a catalog pins.
    pub sha256: String,
    /// The `idp:plugin` WIT version it was built for.
    pub wit_version: String,
    /// Its `info()`.
    pub info: Info,
}

/// Loads `file` in a host with production limits and reads its `info()`; a component
/// built for a contract version this idp does not load is the host's error, naming the
/// versions it supports.
pub fn inspect(file: &Path) -> Result<Inspection, BuildError> {
    let bytes = idp_catalog::read_bounded(file, idp_catalog::MAX_COMPONENT_BYTES)?;
    let host = PluginHost::new(None, idp_host::Limits::default())?;
    let label = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let loaded = load(&host, &label, &bytes)?;
    Ok(Inspection {
        file: file.to_path_buf(),
        size: bytes.len(),
        sha256: digest(&bytes),
        wit_version: loaded.wit_version,
        info: loaded.info,
    })
}

impl Inspection {
    /// The JSON document of `idp plugin inspect --format json` (docs/json-output.md).
    pub fn to_json(&self) -> Value {
        let mut doc = json!({
            "file": self.file.display().to_string(),
            "size": self.size,
            "sha256": self.sha256,
            "wit_version": self.wit_version,
            "kind": self.info.kind().as_str(),
            "name": self.info.name(),
            "version": self.info.version(),
        });
        let details = match &self.info {
            Info::Template(t) => json!({
                "summary": t.summary,
                "modules": t.modules,
                "outputs": t.outputs,
                "input_schema": t.input_schema,
            }),
            Info::Policy(p) => json!({
                "summary": p.summary,
                "rules": p.rules.iter().map(|r| json!({
                    "id": r.id,
                    "severity": r.default_severity,
                    "summary": r.summary,
                    "help": r.help,
                })).collect::<Vec<_>>(),
                "settings_schema": p.settings_schema,
                "reads": p.reads,
                "applies_to": p.applies_to,
            }),
        };
        if let (Some(doc), Value::Object(details)) = (doc.as_object_mut(), details) {
            doc.extend(details);
        }
        doc
    }
}
