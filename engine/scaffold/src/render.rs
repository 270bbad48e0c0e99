//! The scaffold's files: minijinja templates embedded in the binary (kept as real files
//! under `engine/scaffold/templates/`), rendered with the plugin's names.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use crate::{PluginKind, ScaffoldError};

/// One file of the scaffold: where it goes (`NAME` stands for the plugin's name), which
/// template makes it, and the template's text.
pub(crate) struct Source {
    pub(crate) out: &'static str,
    pub(crate) template: &'static str,
    pub(crate) text: &'static str,
}

macro_rules! source {
    ($out:literal, $template:literal) => {
        Source {
            out: $out,
            template: $template,
            text: include_str!(concat!("../templates/", $template)),
        }
    };
}

/// Files of every plugin workspace.
const COMMON: &[Source] = &[
    source!("Cargo.toml", "common/Cargo.toml.j2"),
    source!("README.md", "common/README.md.j2"),
    source!("idp.kdl", "common/idp.kdl.j2"),
    source!("catalog/catalog.kdl", "common/catalog/catalog.kdl.j2"),
    source!(".gitignore", "common/gitignore.j2"),
    source!(
        ".github/workflows/plugin.yml",
        "common/github/workflows/plugin.yml.j2"
    ),
];

/// A template's own files: the crate, its input schema, a case with its goldens, and its
/// module.
const TEMPLATE: &[Source] = &[
    source!("src/lib.rs", "template/src/lib.rs.j2"),
    source!("schema.json", "template/schema.json.j2"),
    source!("tests/basic/env.kdl", "template/tests/basic/env.kdl.j2"),
    source!(
        "tests/basic/findings.json",
        "template/tests/basic/findings.json.j2"
    ),
    source!("tests/basic/main.tf", "template/tests/basic/main.tf.j2"),
    source!(
        "tests/basic/terraform.tfvars.json",
        "template/tests/basic/terraform.tfvars.json.j2"
    ),
    source!("catalog/modules/NAME/main.tf", "template/module/main.tf.j2"),
    source!(
        "catalog/modules/NAME/variables.tf",
        "template/module/variables.tf.j2"
    ),
    source!(
        "catalog/modules/NAME/outputs.tf",
        "template/module/outputs.tf.j2"
    ),
    source!(
        "catalog/modules/NAME/versions.tf",
        "template/module/versions.tf.j2"
    ),
];

/// A policy's own files: the crate, its settings schema, a passing and a denied case,
/// each with its goldens.
const POLICY: &[Source] = &[
    source!("src/lib.rs", "policy/src/lib.rs.j2"),
    source!("settings.schema.json", "policy/settings.schema.json.j2"),
    source!("tests/basic/env.kdl", "policy/tests/basic/env.kdl.j2"),
    source!("tests/basic/idp.kdl", "policy/tests/basic/idp.kdl.j2"),
    source!(
        "tests/basic/findings.json",
        "policy/tests/basic/findings.json.j2"
    ),
    source!("tests/denied/env.kdl", "policy/tests/denied/env.kdl.j2"),
    source!("tests/denied/idp.kdl", "policy/tests/denied/idp.kdl.j2"),
    source!(
        "tests/denied/findings.json",
        "policy/tests/denied/findings.json.j2"
    ),
];

/// What the templates may use.
pub(crate) struct Names<'a> {
    /// The plugin's catalog name (`docs-site`).
    pub(crate) name: &'a str,
    /// Template or policy.
    pub(crate) kind: PluginKind,
    /// The directory's own name, for the README's `catalog path=` example.
    pub(crate) dir_name: &'a str,
    /// The idp that makes the workspace.
    pub(crate) idp_version: &'a str,
}

/// The Rust type for a plugin name: `docs-site` → `DocsSite`; a name that starts with a
/// digit gets a `Plugin` prefix, as a Rust identifier cannot.
pub(crate) fn type_name(name: &str) -> String {
    let camel: String = name
        .split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Plugin{camel}")
    } else {
        camel
    }
}

/// A name as a KDL value: quoted when it starts with a digit, which KDL would read as a
/// number.
pub(crate) fn kdl_value(name: &str) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("\"{name}\"")
    } else {
        name.to_owned()
    }
}

/// The files of a new plugin workspace, by path, rendered.
pub(crate) fn render(names: &Names) -> Result<Vec<(String, String)>, ScaffoldError> {
    let mut env = Environment::new();
    // Nothing here is HTML, and every value is a checked name.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .build()
            .map_err(|source| ScaffoldError::Render {
                template: "syntax",
                source,
            })?,
    );
    let kind_files = match names.kind {
        PluginKind::Template => TEMPLATE,
        PluginKind::Policy => POLICY,
    };
    let ctx = context! {
        name => names.name,
        kind => names.kind.as_str(),
        crate_name => format!("{}-{}", names.kind.as_str(), names.name),
        type_name => type_name(names.name),
        kdl_name => kdl_value(names.name),
        dir_name => names.dir_name,
        idp_version => names.idp_version,
    };
    COMMON
        .iter()
        .chain(kind_files)
        .map(|s| {
            let fail = |source| ScaffoldError::Render {
                template: s.template,
                source,
            };
            let text = env.render_str(s.text, &ctx).map_err(fail)?;
            Ok((s.out.replace("NAME", names.name), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_rendered_by_one_entry() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let on_disk = crate::write::files_under(&root);
        let mut listed: Vec<String> = COMMON
            .iter()
            .chain(TEMPLATE)
            .chain(POLICY)
            .map(|s| s.template.to_owned())
            .collect();
        listed.sort();
        assert_eq!(
            listed, on_disk,
            "list the new template in engine/scaffold/src/render.rs"
        );
    }

    #[test]
    fn type_names_are_rust_identifiers_and_kdl_names_kdl_values() {
        assert_eq!(type_name("docs-site"), "DocsSite");
        assert_eq!(type_name("x"), "X");
        assert_eq!(type_name("3d-models"), "Plugin3dModels");
        assert_eq!(type_name("a--b"), "AB");
        assert_eq!(kdl_value("docs-site"), "docs-site");
        assert_eq!(kdl_value("3d-models"), "\"3d-models\"");
    }

    #[test]
    fn both_kinds_render_with_the_names_filled_in() {
        for kind in [PluginKind::Template, PluginKind::Policy] {
            let names = Names {
                name: "docs-site",
                kind,
                dir_name: "docs-site",
                idp_version: "9.9.9",
            };
            let files = render(&names).expect("renders");
            for (path, text) in &files {
                // `${{ … }}` is GitHub Actions' own syntax, kept raw in the workflow.
                let text_left = text.replace("${{", "");
                assert!(!text_left.contains("{{") && !text.contains("{%"), "{path}");
                assert!(text.ends_with('\n'), "{path} ends with a newline");
            }
            let manifest = &files
                .iter()
                .find(|(p, _)| p == "Cargo.toml")
                .expect("manifest")
                .1;
            assert!(
                manifest.contains(&format!("name = \"{kind}-docs-site\"")),
                "{manifest}"
            );
            assert!(
                manifest.contains(&format!("features = [\"{kind}\"]")),
                "{manifest}"
            );
        }
    }
}
