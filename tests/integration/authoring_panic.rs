//! A plugin's panic reaches the user: named with the plugin and the function, its
//! message and location shown, escaped like any other plugin string. The panicking
//! template is a WAT fixture built for `idp:plugin@0.2.0`
//! (`tests/fixtures/hostile/panic.wat`) that reports its panic through the `log`
//! import as the SDK's panic hook does, then traps.

use std::path::{Path, PathBuf};

use crate::harness::{Sandbox, repo, wat_component};

/// Makes a WAT fixture a component of `world` in the real `wit/plugin@0.2.0/`.
fn component(fixture: &str, world: &str) -> Vec<u8> {
    let wat = std::fs::read_to_string(repo().join("tests/fixtures/hostile").join(fixture))
        .expect("fixture");
    wat_component(&wat, &repo().join("wit/plugin@0.2.0"), world)
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

/// A real plugin, written with the SDK as `idp plugin new` generates it, that logs and then
/// panics: the SDK's hook carries the message and its place to the user, and what it logs
/// is shown, escaped, only when asked for with `IDP_PLUGIN_LOG=1`.
#[test]
fn a_real_plugins_panic_and_log_reach_the_user_named_and_escaped() {
    let s = Sandbox::new();
    let dir = s.path().join("crashy");
    let ws = dir.display().to_string();
    let new = s.idp(&["plugin", "new", "template", "crashy", "--path", &ws]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    let lib = dir.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).expect("lib.rs");
    let render = "let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;";
    assert!(source.contains(render), "the scaffold's render changed");
    let source = source.replacen(
        render,
        &format!(
            "idp_plugin_sdk::log::warn(format!(\"rendering {{}} \\u{{1b}}[31m\", env.name));\n        \
             if env.name.starts_with(\"boom\") {{\n            panic!(\"no bucket for {{}}\", env.name);\n        }}\n        {render}"
        ),
        1,
    );
    std::fs::write(&lib, source).expect("lib.rs");
    let build = s.idp_guest(&["plugin", "build", &ws], &[]);
    assert_eq!(build.code, 0, "{}", build.stderr);

    let spec = dir.join("tests/basic/env.kdl");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let boom = dir.join("boom.kdl");
    std::fs::write(&boom, text.replace("example-preview", "boom-preview")).expect("spec");
    let run = s.idp(&["plan", &boom.display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains("template `crashy` 0.1.0 panicked in `render`: no bucket for boom-preview at src/lib.rs:"),
        "{err}"
    );
    assert!(!err.contains("unreachable"), "{err}");
    assert!(
        !err.contains("rendering"),
        "log lines are not shown unasked: {err}"
    );

    let logged = s.run_with(
        &["plan", &spec.display().to_string()],
        &[("IDP_PLUGIN_LOG", "1")],
    );
    assert_eq!(logged.code, 0, "{}", logged.stderr);
    assert!(
        logged
            .stderr
            .contains("template `crashy` 0.1.0: warn: rendering example-preview \\u{1b}[31m"),
        "{}",
        logged.stderr
    );
    assert!(!logged.stderr.contains('\u{1b}'), "{:?}", logged.stderr);
}
