//! `idp fmt`: KDL specs and configuration in one canonical layout, stable and idempotent,
//! comments kept (the layout is described in `print.rs`).
//!
//! A file is formatted only when it is valid (the same syntax check as every other
//! command, so its problems are reported at their lines), only when it is KDL 2.0 (a
//! KDL 1.0 file is converted when the caller asks), and only when the formatted text
//! parses back to the same document: a formatter must never change what a file means.
#![deny(missing_docs)]

mod error;
mod print;

use std::path::{Path, PathBuf};

use idp_spec::{Problem, Problems, SourceFile};
use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

pub use error::FmtError;

/// How to format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Rewrite a KDL 1.0 file as KDL 2.0 (otherwise it is refused, untouched).
    pub convert_v1: bool,
}

/// The canonical text of `source`, or its problems: invalid KDL at its lines, a KDL 1.0
/// file without [`Options::convert_v1`], or a layout that would change its meaning.
pub fn format(source: &SourceFile, options: Options) -> Result<String, Problems> {
    idp_spec::parse_kdl(source)?;
    let doc = match KdlDocument::parse_v2(&source.text) {
        Ok(doc) => doc,
        Err(_) if options.convert_v1 => from_v1(source)?,
        Err(_) => return Err(v1_refused(source).into()),
    };
    let text = print::document(&doc);
    match KdlDocument::parse_v2(&text) {
        Ok(formatted) if same_document(&doc, &formatted) => Ok(text),
        _ => Err(meaning_changed(source).into()),
    }
}

/// The `*.kdl` files of `paths`: a file as named (whatever its extension), a directory
/// walked in name order, skipping hidden entries and what `.gitignore` ignores.
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FmtError> {
    let mut found = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| FmtError::Unreadable {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if !meta.is_dir() {
            found.push(path.clone());
            continue;
        }
        let walk = ignore::WalkBuilder::new(path)
            .hidden(true)
            .require_git(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        found.extend(
            walk.flatten()
                .filter(|e| e.file_type().is_some_and(|t| t.is_file()) && is_kdl(e.path()))
                .map(ignore::DirEntry::into_path),
        );
    }
    Ok(found)
}

fn is_kdl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "kdl")
}

/// A KDL 1.0 document as 2.0: `#true`, `#null`, raw strings as `#"…"#`, and quoted
/// strings as written (the `kdl` crate's conversion would unquote `"alice@acme.io"` and
/// turn a raw `r"C:\dir"` into the quoted `"C:\dir"`, an escape 2.0 refuses).
fn from_v1(source: &SourceFile) -> Result<KdlDocument, Problems> {
    let mut doc = KdlDocument::parse_v1(&source.text).map_err(|_| meaning_changed(source))?;
    let mut reprs = Vec::new();
    each_entry(&mut doc, &mut |entry| reprs.push(v2_string(entry)));
    doc.ensure_v2();
    let mut reprs = reprs.into_iter();
    each_entry(&mut doc, &mut |entry| {
        if let (Some(Some(repr)), Some(f)) = (reprs.next(), entry.format_mut()) {
            f.value_repr = repr;
        }
    });
    Ok(doc)
}

fn each_entry(doc: &mut KdlDocument, visit: &mut dyn FnMut(&mut KdlEntry)) {
    for node in doc.nodes_mut() {
        node.entries_mut().iter_mut().for_each(&mut *visit);
        if let Some(children) = node.children_mut() {
            each_entry(children, visit);
        }
    }
}

/// A KDL 1.0 string value's text in 2.0, where it is on one line (`None` otherwise,
/// left to the `kdl` crate).
fn v2_string(entry: &KdlEntry) -> Option<String> {
    let repr = entry.format()?.value_repr.trim();
    if !matches!(entry.value(), KdlValue::String(_)) || repr.contains('\n') {
        return None;
    }
    match repr.strip_prefix('r') {
        Some(raw) if raw.starts_with('#') => Some(raw.to_owned()),
        Some(raw) => Some(format!("#{raw}#")),
        // `\/` is no escape in 2.0, where `/` needs none.
        None => Some(repr.replace("\\/", "/")),
    }
}

fn v1_refused(source: &SourceFile) -> Problem {
    Problem::error(
        source,
        (0, 0).into(),
        "idp::fmt::kdl_v1",
        "this file is KDL 1.0: it is left as it is",
    )
    .label("KDL 1.0")
    .help("pass `--convert-v1` to rewrite it as KDL 2.0 (`#true`, `#null`, `#\"raw\"#`)")
}

fn meaning_changed(source: &SourceFile) -> Problem {
    Problem::error(
        source,
        (0, 0).into(),
        "idp::fmt::meaning_changed",
        "formatting this file would change what it means: it is left as it is",
    )
    .label("this file")
    .help(
        "a bug in idp fmt: report it with the file; in a KDL 1.0 file, rewrite its \
         commented-out (`/-`) parts as KDL 2.0 by hand first",
    )
}

/// Whether two documents hold the same nodes, types, entries and values in the same
/// order, whatever their layout and comments.
fn same_document(a: &KdlDocument, b: &KdlDocument) -> bool {
    a.nodes().len() == b.nodes().len()
        && a.nodes()
            .iter()
            .zip(b.nodes())
            .all(|(x, y)| same_node(x, y))
}

fn same_node(a: &KdlNode, b: &KdlNode) -> bool {
    let same_children = match (a.children(), b.children()) {
        (None, None) => true,
        (Some(x), Some(y)) => same_document(x, y),
        _ => false,
    };
    a.name().value() == b.name().value()
        && a.ty().map(|t| t.value()) == b.ty().map(|t| t.value())
        && a.entries().len() == b.entries().len()
        && a.entries().iter().zip(b.entries()).all(|(x, y)| {
            x.name().map(|n| n.value()) == y.name().map(|n| n.value())
                && x.ty().map(|t| t.value()) == y.ty().map(|t| t.value())
                && same_value(x.value(), y.value())
        })
        && same_children
}

/// Values compared as they print, so that `#nan` equals `#nan`.
fn same_value(a: &KdlValue, b: &KdlValue) -> bool {
    a.to_string() == b.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SourceFile {
        SourceFile::new("env.kdl", text)
    }

    fn codes(result: Result<String, Problems>) -> Vec<String> {
        result
            .err()
            .map(|p| p.0.into_iter().map(|p| p.code).collect())
            .unwrap_or_default()
    }

    #[test]
    fn formatting_is_idempotent_on_every_example_and_fixture() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let paths = vec![root.join("examples"), root.join("tests/fixtures")];
        let files = find_files(&paths).expect("examples and fixtures exist");
        assert!(files.len() > 40, "only {} files", files.len());
        let mut formatted = 0;
        for path in files {
            let Ok(src) = SourceFile::read(&path) else {
                continue;
            };
            // Fixtures include invalid files on purpose: those must be refused, not formatted.
            let Ok(once) = format(&src, Options::default()) else {
                continue;
            };
            let twice = format(&source(&once), Options::default())
                .unwrap_or_else(|p| panic!("{} formatted is refused: {p:?}", path.display()));
            assert_eq!(once, twice, "{} is not stable", path.display());
            formatted += 1;
        }
        assert!(formatted > 40, "only {formatted} files formatted");
    }

    #[test]
    fn invalid_kdl_is_refused_at_its_line() {
        let codes = codes(format(&source("a {\n  b \"open\n"), Options::default()));
        assert!(!codes.is_empty() && codes.iter().all(|c| c == "idp::spec::syntax"));
    }

    #[test]
    fn kdl_v1_is_converted_only_when_asked() {
        let v1 = "a true null r\"C:\\dir\" r#\"x\"# \"s\"\n";
        assert_eq!(
            codes(format(&source(v1), Options::default())),
            ["idp::fmt::kdl_v1"]
        );
        let converted = format(&source(v1), Options { convert_v1: true }).expect("converts");
        assert_eq!(converted, "a #true #null #\"C:\\dir\"# #\"x\"# \"s\"\n");
    }

    #[test]
    fn a_file_valid_in_both_versions_is_kdl_2() {
        let text = "environment \"a\" {\n    owner \"a@b.io\"\n}\n";
        assert_eq!(
            format(&source(text), Options::default()).ok().as_deref(),
            Some(text)
        );
    }
}
