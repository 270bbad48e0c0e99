//! A plugin's panic reaches the user: named with the plugin and the function, its
//! message and location shown, escaped like any other plugin string. The panicking
//! template is a WAT fixture built for `idp:plugin@0.2.0`
//! (`tests/fixtures/hostile/panic.wat`) that reports its panic through the `log`
//! import as the SDK's panic hook does, then traps.

use std::path::{Path, PathBuf};

use crate::harness::{Sandbox, repo};

/// Makes a WAT fixture a component of `world` in the real `wit/plugin@0.2.0/`.
fn component(fixture: &str, world: &str) -> Vec<u8> {
    let wat = repo().join("tests/fixtures/hostile").join(fixture);
    let mut module = wat::parse_file(wat).expect("valid WAT");
    let mut resolve = wit_parser::Resolve::default();
    let (pkg, _) = resolve
        .push_dir(repo().join("wit/plugin@0.2.0"))
        .expect("WIT parses");
    let world = resolve
        .select_world(&[pkg], Some(world))
        .expect("the world");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("metadata");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|e| e.validate(true).encode())
        .expect("component")
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A project whose team catalog (`team/`, named by `catalog path=` in `idp.kdl`) holds
/// one template, and a spec using it.
fn project(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir.join("team/templates")).expect("mkdir");
    std::fs::write(dir.join("team/templates/t.wasm"), bytes).expect("component");
    std::fs::write(
        dir.join("team/catalog.kdl"),
        format!(
            "template {name} version=\"0.1.0\" file=\"templates/t.wasm\" sha256=\"{}\"\n",
            sha256(bytes)
        ),
    )
    .expect("index");
    std::fs::write(dir.join("idp.kdl"), "catalog path=\"team\"\n").expect("idp.kdl");
    let spec = dir.join("env.kdl");
    std::fs::write(
        &spec,
        format!(
            "environment docs-preview {{\n    template {name}\n    owner \"alice@acme.io\"\n    team payments\n    class preview\n    region us-east-1\n    ttl \"7d\"\n}}\n"
        ),
    )
    .expect("spec");
    spec
}

#[test]
fn a_panicking_template_is_named_with_its_escaped_message() {
    let s = Sandbox::new();
    let spec = project(
        s.path(),
        "hostile-panic",
        &component("panic.wat", "template-plugin"),
    );
    let run = s.idp(&["plan", &spec.display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "template `hostile-panic` 0.1.0 panicked in `render`: index out of bounds: the len is 3 but the index is 7 \\u{1b}[2J\\u{1b}[31mred at src/lib.rs:12:5"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "a raw escape reached the terminal: {:?}",
        run.stderr
    );
    assert!(
        run.stderr.contains("idp::host::plugin_panicked"),
        "{}",
        run.stderr
    );
}
