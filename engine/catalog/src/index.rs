use std::path::Path;

use idp_model::PluginKind;
use idp_model::{NameKind, check_name, check_version};
use kdl::{KdlDocument, KdlEntry, KdlNode};
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
    /// The compiler that built the component (`rustc --version`), recorded by a team
    /// build; the built-in catalog, always built with the pinned recipe, leaves it out.
    pub toolchain: Option<String>,
    /// Why upgrading to this version is breaking (`breaking "replaces the database"`),
    /// said before `idp upgrade` asks; `None` for an ordinary version (decision 0015).
    pub breaking: Option<String>,
}

impl Entry {
    /// The version as semver; entries are checked when parsed, so this fails only for an
    /// entry built by hand.
    pub fn semver(&self) -> Option<semver::Version> {
        semver::Version::parse(&self.version).ok()
    }

    /// Whether `self` and `other` are the same plugin (kind and name), any version.
    pub fn same_plugin(&self, other: &Entry) -> bool {
        self.kind == other.kind && self.name == other.name
    }
}

/// Orders entries as an index keeps them: by kind and name, then newest version first.
pub(crate) fn entry_order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    (a.kind, &a.name)
        .cmp(&(b.kind, &b.name))
        .then_with(|| b.semver().cmp(&a.semver()))
}

/// A module a catalog provides, pinned by the digest of its files
/// ([`crate::module_digest`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModulePin {
    /// Module name: its directory under `modules/`.
    pub name: String,
    /// sha256 of its files, lowercase hex.
    pub sha256: String,
}

/// A parsed `catalog.kdl`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// Plugin entries in file order.
    pub entries: Vec<Entry>,
    /// Modules in file order.
    pub pinned_modules: Vec<ModulePin>,
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One printable line, bounded, so it can be shown as is (a `rustc --version` line, a
/// `breaking` reason).
fn is_printable_line(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && s.chars().all(|c| c == ' ' || c.is_ascii_graphic())
}

/// A component path: relative, inside the catalog (no `..`, no root), ending in `.wasm`.
fn is_component_path(file: &str) -> bool {
    let path = Path::new(file);
    file.ends_with(".wasm")
        && !file.contains('\\')
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
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
        // Through the spec parser's own entry: a team's catalog.kdl is input like any
        // spec, held to the same size, depth and character rules before the kdl crate.
        let doc =
            idp_spec::parse_kdl(&idp_spec::SourceFile::new(name, text)).map_err(|problems| {
                match problems.0.into_iter().next() {
                    Some(p) => invalid(name, text, p.span, p.message, p.help),
                    None => invalid(name, text, (0, 0).into(), "not valid KDL".into(), None),
                }
            })?;
        let mut entries = Vec::new();
        let mut pinned_modules = Vec::new();
        for node in doc.nodes() {
            let kind = match node.name().value() {
                "template" => PluginKind::Template,
                "policy" => PluginKind::Policy,
                "module" => {
                    pinned_modules.push(parse_module(name, text, node)?);
                    continue;
                }
                other => {
                    return Err(invalid(
                        name,
                        text,
                        node.name().span(),
                        format!("unknown entry `{other}`"),
                        Some(
                            "entries are `template NAME …`, `policy NAME …` or `module NAME sha256=…`"
                                .into(),
                        ),
                    ));
                }
            };
            let entry = parse_entry(name, text, node, kind)?;
            if entries
                .iter()
                .any(|e: &Entry| e.same_plugin(&entry) && e.semver() == entry.semver())
            {
                return Err(invalid(
                    name,
                    text,
                    node.span(),
                    format!(
                        "{kind} `{}` version {} is listed twice",
                        entry.name, entry.version
                    ),
                    Some("keep one entry per plugin and version".into()),
                ));
            }
            entries.push(entry);
        }
        Ok(Index {
            entries,
            pinned_modules,
        })
    }

    /// Reads and parses `dir/catalog.kdl`.
    pub fn read(dir: &Path) -> Result<Index, CatalogError> {
        let path = dir.join(INDEX_FILE);
        let source = idp_spec::SourceFile::read(&path).map_err(|e| CatalogError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Index::parse(&path.display().to_string(), &source.text)
    }

    /// The index as KDL text, entries sorted by kind and name so rewrites diff cleanly.
    /// Written with the KDL library's own node builder, which quotes and escapes every
    /// value: a name or version can never turn into another entry.
    pub fn to_kdl(&self) -> String {
        let mut entries = self.entries.clone();
        entries.sort_by(entry_order);
        let mut modules = self.pinned_modules.clone();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        let mut doc = KdlDocument::new();
        for e in &entries {
            let mut node = KdlNode::new(e.kind.as_str());
            node.entries_mut().push(KdlEntry::new(e.name.as_str()));
            for (key, value) in [
                ("version", &e.version),
                ("file", &e.file),
                ("sha256", &e.sha256),
            ] {
                node.entries_mut()
                    .push(KdlEntry::new_prop(key, value.as_str()));
            }
            if let Some(toolchain) = &e.toolchain {
                node.entries_mut()
                    .push(KdlEntry::new_prop("toolchain", toolchain.as_str()));
            }
            if !e.modules.is_empty() {
                let mut list = KdlNode::new("modules");
                for m in &e.modules {
                    list.entries_mut().push(KdlEntry::new(m.as_str()));
                }
                node.ensure_children().nodes_mut().push(list);
            }
            if let Some(why) = &e.breaking {
                let mut breaking = KdlNode::new("breaking");
                breaking.entries_mut().push(KdlEntry::new(why.as_str()));
                node.ensure_children().nodes_mut().push(breaking);
            }
            doc.nodes_mut().push(node);
        }
        for m in &modules {
            let mut node = KdlNode::new("module");
            node.entries_mut().push(KdlEntry::new(m.name.as_str()));
            node.entries_mut()
                .push(KdlEntry::new_prop("sha256", m.sha256.as_str()));
            doc.nodes_mut().push(node);
        }
        doc.autoformat();
        format!(
            "// The catalog index: every plugin with its version, component file and sha256, and\n\
             // every module with the sha256 of its files. Written by `idp plugin build`; CI\n\
             // rebuilds every plugin and fails when a digest differs.\n{doc}"
        )
    }

    /// The same index with entries and modules in the order [`Index::to_kdl`] writes them.
    pub fn sorted(mut self) -> Index {
        self.entries.sort_by(entry_order);
        self.pinned_modules.sort_by(|a, b| a.name.cmp(&b.name));
        self
    }

    /// The newest entry of that kind and name.
    pub fn find(&self, kind: PluginKind, name: &str) -> Option<&Entry> {
        self.versions(kind, name).into_iter().next()
    }

    /// Every entry of that kind and name, newest version first.
    pub fn versions(&self, kind: PluginKind, name: &str) -> Vec<&Entry> {
        let mut found: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.kind == kind && e.name == name)
            .collect();
        found.sort_by(|a, b| entry_order(a, b));
        found
    }

    /// The entry of that kind, name and exact version.
    pub fn find_version(&self, kind: PluginKind, name: &str, version: &str) -> Option<&Entry> {
        let wanted = semver::Version::parse(version).ok()?;
        self.versions(kind, name)
            .into_iter()
            .find(|e| e.semver().as_ref() == Some(&wanted))
    }
}

/// What is wrong with an entry's values, and how to fix it.
fn check_entry(e: &Entry) -> Result<(), (String, String)> {
    let grammar = |err: idp_model::InvalidName| {
        (
            err.to_string(),
            "names are lowercase kebab case (`max-ttl`) and versions semantic (`0.1.0`)".to_owned(),
        )
    };
    check_name(NameKind::Plugin, &e.name).map_err(grammar)?;
    check_version(&e.version).map_err(grammar)?;
    if e.semver().is_none() {
        return Err((
            format!(
                "version {} is not semantic",
                idp_model::printable(&e.version)
            ),
            "write a semantic version such as `0.2.0`: idp upgrade compares them".into(),
        ));
    }
    if let Some(why) = &e.breaking
        && !is_printable_line(why)
    {
        return Err((
            format!(
                "`breaking` {} is not one printable line",
                idp_model::printable(why)
            ),
            "say in one line what the upgrade breaks".into(),
        ));
    }
    for m in &e.modules {
        check_name(NameKind::Module, m).map_err(grammar)?;
    }
    if !is_component_path(&e.file) {
        return Err((
            format!(
                "`file` {} is not a component path inside the catalog",
                idp_model::printable(&e.file)
            ),
            "write a relative path without `..`, like `policies/max-ttl.wasm`".into(),
        ));
    }
    if !is_sha256(&e.sha256) {
        return Err((
            "`sha256` is not 64 lowercase hex digits".into(),
            "let `idp plugin build` write the digest".into(),
        ));
    }
    if let Some(toolchain) = &e.toolchain
        && !is_printable_line(toolchain)
    {
        return Err((
            format!(
                "`toolchain` {} is not a compiler's one-line version",
                idp_model::printable(toolchain)
            ),
            "let `idp plugin build` write it (`rustc --version`)".into(),
        ));
    }
    Ok(())
}

/// A `template` or `policy` entry: its name, `version`, `file` and `sha256` (all
/// required), the modules it ships and the toolchain it was built with, checked.
fn parse_entry(
    name: &str,
    text: &str,
    node: &KdlNode,
    kind: PluginKind,
) -> Result<Entry, CatalogError> {
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
    let breaking = node.children().and_then(|c| c.get("breaking")).map(|b| {
        b.entry(0)
            .and_then(|e| e.value().as_string())
            .map(str::to_owned)
    });
    let breaking_unsaid = matches!(breaking, Some(None));
    let entry = Entry {
        kind,
        name: plugin_name.to_owned(),
        version,
        file,
        sha256,
        modules,
        toolchain: string_prop(node, "toolchain"),
        breaking: breaking.flatten(),
    };
    if breaking_unsaid {
        return Err(invalid(
            name,
            text,
            node.span(),
            "`breaking` needs one string: what the upgrade breaks".into(),
            Some("write `breaking \"replaces the database\"` inside the entry".into()),
        ));
    }
    check_entry(&entry)
        .map_err(|(message, help)| invalid(name, text, node.span(), message, Some(help)))?;
    Ok(entry)
}

fn parse_module(name: &str, text: &str, node: &KdlNode) -> Result<ModulePin, CatalogError> {
    let module = node.entry(0).and_then(|e| e.value().as_string());
    let (Some(module), Some(sha256)) = (module, string_prop(node, "sha256")) else {
        return Err(invalid(
            name,
            text,
            node.span(),
            "a module entry needs a name and `sha256`".into(),
            Some("write `module NAME sha256=\"…\"`, or let `idp plugin build` write it".into()),
        ));
    };
    let problem = match check_name(NameKind::Module, module) {
        Err(e) => Some(e.to_string()),
        Ok(()) if !is_sha256(&sha256) => Some("`sha256` is not 64 lowercase hex digits".into()),
        Ok(()) => None,
    };
    if let Some(message) = problem {
        return Err(invalid(
            name,
            text,
            node.span(),
            message,
            Some("let `idp plugin build` write the module's entry".into()),
        ));
    }
    Ok(ModulePin {
        name: module.to_owned(),
        sha256,
    })
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
                    sha256: "ab".repeat(32),
                    modules: vec![],
                    toolchain: None,
                    breaking: None,
                },
                Entry {
                    kind: PluginKind::Template,
                    name: "api-service".into(),
                    version: "0.1.0".into(),
                    file: "templates/api-service.wasm".into(),
                    sha256: "cd".repeat(32),
                    modules: vec!["common".into(), "networking".into()],
                    toolchain: Some("rustc 1.96.0 (ac68faa20 2026-05-25)".into()),
                    breaking: Some("replaces the database".into()),
                },
            ],
            pinned_modules: vec![ModulePin {
                name: "common".into(),
                sha256: "ef".repeat(32),
            }],
        };
        let parsed = Index::parse("catalog.kdl", &index.to_kdl()).expect("parses");
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(
            parsed.entries[0].name, "api-service",
            "sorted: templates first"
        );
        assert_eq!(parsed.entries[0].modules, ["common", "networking"]);
        assert_eq!(
            parsed.entries[0].toolchain.as_deref(),
            Some("rustc 1.96.0 (ac68faa20 2026-05-25)")
        );
        assert_eq!(parsed.entries[1].toolchain, None, "absent stays absent");
        assert_eq!(
            parsed.entries[0].breaking.as_deref(),
            Some("replaces the database")
        );
        assert_eq!(
            parsed,
            Index {
                entries: parsed.entries.clone(),
                ..index.clone()
            }
            .sorted()
        );
    }

    #[test]
    fn hostile_values_are_refused_at_their_entry() {
        let digest = "ab".repeat(32);
        for (entry, expected) in [
            (
                format!(
                    "policy \"a\\nresource\" version=\"0.1.0\" file=\"p/a.wasm\" sha256=\"{digest}\""
                ),
                "plugin name `a\\nresource` is not valid",
            ),
            (
                format!(
                    "policy a version=\"0.1.0\\nresource x {{}}\" file=\"p/a.wasm\" sha256=\"{digest}\""
                ),
                "version `0.1.0\\nresource x {}` is not valid",
            ),
            (
                format!("policy a version=\"0.1.0\" file=\"../../etc/a.wasm\" sha256=\"{digest}\""),
                "is not a component path inside the catalog",
            ),
            (
                format!("policy a version=\"0.1.0\" file=\"/etc/a.wasm\" sha256=\"{digest}\""),
                "is not a component path inside the catalog",
            ),
            (
                format!(
                    "template a version=\"0.1.0\" file=\"t/a.wasm\" sha256=\"{digest}\" {{ modules \"../x\" }}"
                ),
                "module name `../x` is not valid",
            ),
            (
                format!(
                    "policy a version=\"0.1.0\" file=\"p/a.wasm\" sha256=\"{digest}\" toolchain=\"rustc\\n1\""
                ),
                "is not a compiler's one-line version",
            ),
            (
                "module \"../up\" sha256=\"x\"".to_owned(),
                "module name `../up` is not valid",
            ),
        ] {
            let err = Index::parse("catalog.kdl", &entry).expect_err(&entry);
            let CatalogError::InvalidIndex { message, .. } = &err else {
                panic!("{err:?}");
            };
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn the_builtin_index_is_as_the_writer_writes_it() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/catalog.kdl");
        let text = std::fs::read_to_string(path).expect("catalog.kdl");
        let index = Index::parse("catalog.kdl", &text).expect("parses");
        if std::env::var_os("IDP_BLESS").is_some() {
            std::fs::write(path, index.to_kdl()).expect("write");
        }
        assert_eq!(index.to_kdl(), text, "IDP_BLESS=1 rewrites it");
    }

    #[test]
    fn the_writer_escapes_what_it_is_given() {
        let index = Index {
            entries: vec![Entry {
                kind: PluginKind::Policy,
                name: "a\"\nb".into(),
                version: "1\n}".into(),
                file: "x.wasm".into(),
                sha256: "ab".repeat(32),
                modules: vec![],
                toolchain: None,
                breaking: None,
            }],
            pinned_modules: vec![],
        };
        let text = index.to_kdl();
        let doc: KdlDocument = text.parse().expect("still one valid document");
        assert_eq!(doc.nodes().len(), 1, "{text}");
        assert_eq!(
            doc.nodes()[0].entry(0).and_then(|e| e.value().as_string()),
            Some("a\"\nb")
        );
    }

    #[test]
    fn several_versions_of_a_plugin_are_kept_and_the_newest_is_found() {
        let digest = "ab".repeat(32);
        let text = format!(
            "template demo version=\"0.1.0\" file=\"templates/demo@0.1.0.wasm\" sha256=\"{digest}\"\n\
             template demo version=\"0.10.0\" file=\"templates/demo.wasm\" sha256=\"{digest}\" {{\n    breaking \"replaces the database\"\n}}\n\
             template demo version=\"0.2.0\" file=\"templates/demo@0.2.0.wasm\" sha256=\"{digest}\"\n"
        );
        let index = Index::parse("catalog.kdl", &text).expect("parses");
        let newest = index.find(PluginKind::Template, "demo").expect("found");
        assert_eq!(newest.version, "0.10.0", "semver order, not text order");
        assert_eq!(newest.breaking.as_deref(), Some("replaces the database"));
        let versions: Vec<&str> = index
            .versions(PluginKind::Template, "demo")
            .iter()
            .map(|e| e.version.as_str())
            .collect();
        assert_eq!(versions, ["0.10.0", "0.2.0", "0.1.0"]);
        let old = index.find_version(PluginKind::Template, "demo", "0.1.0");
        assert_eq!(
            old.map(|e| e.file.as_str()),
            Some("templates/demo@0.1.0.wasm")
        );
        assert!(
            index
                .find_version(PluginKind::Template, "demo", "9.9.9")
                .is_none()
        );
        let rewritten = Index::parse("catalog.kdl", &index.to_kdl()).expect("round trip");
        assert_eq!(rewritten, index.sorted());
    }

    #[test]
    fn a_version_listed_twice_or_an_empty_breaking_is_refused() {
        let digest = "ab".repeat(32);
        let twice = format!(
            "policy p version=\"0.1.0\" file=\"p/a.wasm\" sha256=\"{digest}\"\n\
             policy p version=\"0.1.0\" file=\"p/b.wasm\" sha256=\"{digest}\"\n"
        );
        let err = Index::parse("catalog.kdl", &twice).expect_err("twice");
        assert!(
            err.to_string()
                .contains("policy `p` version 0.1.0 is listed twice"),
            "{err}"
        );
        let unsaid = format!(
            "template t version=\"0.2.0\" file=\"t/a.wasm\" sha256=\"{digest}\" {{\n    breaking\n}}\n"
        );
        let err = Index::parse("catalog.kdl", &unsaid).expect_err("unsaid");
        let CatalogError::InvalidIndex { message, .. } = &err else {
            panic!("{err:?}");
        };
        assert!(message.contains("`breaking` needs one string"), "{message}");
    }

    #[test]
    fn an_incomplete_entry_is_pointed_at() {
        let err = Index::parse("catalog.kdl", "template x version=\"1\"\n").expect_err("no file");
        assert!(err.to_string().contains("invalid catalog index"), "{err}");
    }
}
