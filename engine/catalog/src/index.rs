use std::path::Path;

use idp_model::PluginKind;
use kdl::{KdlDocument, KdlNode};
use miette::{NamedSource, SourceSpan};

use crate::CatalogError;

/// File name of a catalog index inside a catalog directory.
pub const INDEX_FILE: &str = "catalog.kdl";

/// One plugin in an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Template or policy.
    pub kind: PluginKind,
    /// Catalog name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Component file, relative to the catalog directory.
    pub file: String,
    /// Pinned sha256 of the component, lowercase hex.
    pub sha256: String,
    /// Modules a template uses (empty for policies).
    pub modules: Vec<String>,
}

/// A parsed `catalog.kdl`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// Entries in file order.
    pub entries: Vec<Entry>,
}

fn invalid(
    name: &str,
    text: &str,
    span: SourceSpan,
    message: String,
    help: Option<String>,
) -> CatalogError {
    CatalogError::InvalidIndex {
        message,
        src: NamedSource::new(name, text.to_owned()),
        span,
        help,
    }
}

fn string_prop(node: &KdlNode, key: &str) -> Option<String> {
    node.get(key).and_then(|v| v.as_string()).map(str::to_owned)
}

impl Index {
    /// Parses an index; `name` is how errors refer to the file.
    pub fn parse(name: &str, text: &str) -> Result<Index, CatalogError> {
        let doc: KdlDocument = text.parse().map_err(|e: kdl::KdlError| {
            let span = e
                .diagnostics
                .first()
                .map(|d| d.span)
                .unwrap_or_else(|| (0, 0).into());
            invalid(name, text, span, "not valid KDL".into(), None)
        })?;
        let mut entries = Vec::new();
        for node in doc.nodes() {
            let kind = match node.name().value() {
                "template" => PluginKind::Template,
                "policy" => PluginKind::Policy,
                other => {
                    return Err(invalid(
                        name,
                        text,
                        node.name().span(),
                        format!("unknown entry `{other}`"),
                        Some("entries are `template NAME …` or `policy NAME …`".into()),
                    ));
                }
            };
            let plugin_name = node.entry(0).and_then(|e| e.value().as_string());
            let (Some(plugin_name), Some(version), Some(file), Some(sha256)) = (
                plugin_name,
                string_prop(node, "version"),
                string_prop(node, "file"),
                string_prop(node, "sha256"),
            ) else {
                return Err(invalid(
                    name,
                    text,
                    node.span(),
                    "entry needs a name and `version`, `file` and `sha256`".into(),
                    Some(format!(
                        "write `{kind} NAME version=\"0.1.0\" file=\"…\" sha256=\"…\"`, or let `idp plugin build` write it"
                    )),
                ));
            };
            let modules = node
                .children()
                .and_then(|c| c.get("modules"))
                .map(|m| {
                    m.entries()
                        .iter()
                        .filter(|e| e.name().is_none())
                        .filter_map(|e| e.value().as_string().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            entries.push(Entry {
                kind,
                name: plugin_name.to_owned(),
                version,
                file,
                sha256,
                modules,
            });
        }
        Ok(Index { entries })
    }

    /// Reads and parses `dir/catalog.kdl`.
    pub fn read(dir: &Path) -> Result<Index, CatalogError> {
        let path = dir.join(INDEX_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| CatalogError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Index::parse(&path.display().to_string(), &text)
    }

    /// The index as KDL text, entries sorted by kind and name so rewrites diff cleanly.
    pub fn to_kdl(&self) -> String {
        let mut entries = self.entries.clone();
        entries.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        let mut out = String::from(
            "// The catalog index: every plugin with its version, component file and sha256.\n\
             // Written by `idp plugin build`; CI rebuilds every plugin and fails when a digest differs.\n",
        );
        for e in &entries {
            out.push_str(&format!(
                "{} {} version=\"{}\" file=\"{}\" sha256=\"{}\"",
                e.kind, e.name, e.version, e.file, e.sha256
            ));
            if e.modules.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!(" {{\n    modules {}\n}}\n", e.modules.join(" ")));
            }
        }
        out
    }

    /// The entry of that kind and name.
    pub fn find(&self, kind: PluginKind, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.kind == kind && e.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_kdl() {
        let index = Index {
            entries: vec![
                Entry {
                    kind: PluginKind::Policy,
                    name: "max-ttl".into(),
                    version: "0.1.0".into(),
                    file: "policies/max-ttl.wasm".into(),
                    sha256: "ab".into(),
                    modules: vec![],
                },
                Entry {
                    kind: PluginKind::Template,
                    name: "api-service".into(),
                    version: "0.1.0".into(),
                    file: "templates/api-service.wasm".into(),
                    sha256: "cd".into(),
                    modules: vec!["common".into(), "networking".into()],
                },
            ],
        };
        let parsed = Index::parse("catalog.kdl", &index.to_kdl()).expect("parses");
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(
            parsed.entries[0].name, "api-service",
            "sorted: templates first"
        );
        assert_eq!(parsed.entries[0].modules, ["common", "networking"]);
    }

    #[test]
    fn an_incomplete_entry_is_pointed_at() {
        let err = Index::parse("catalog.kdl", "template x version=\"1\"\n").expect_err("no file");
        assert!(err.to_string().contains("invalid catalog index"), "{err}");
    }
}
