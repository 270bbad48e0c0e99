//! The catalog: listing, a template's inputs as a table, and digests that refuse a
//! tampered component.

use std::path::Path;

use crate::harness::{Sandbox, repo};

#[test]
fn catalog_list_and_show_read_the_plugins() {
    let s = Sandbox::new();
    let list = s.idp(&["catalog", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    insta::assert_snapshot!("catalog_list", list.stdout);
    let show = s.idp(&["catalog", "show", "api-service"]);
    insta::assert_snapshot!("catalog_show_api_service", show.stdout);
    let policy = s.idp(&["catalog", "show", "max-ttl"]);
    assert!(
        policy.stdout.contains("ttl-above-maximum"),
        "{}",
        policy.stdout
    );
}

/// A team catalog holding a copy of a built-in component under an index entry.
fn team_catalog(s: &Sandbox, bytes: &[u8], pinned: &str) -> std::path::PathBuf {
    let dir = s.path().join("project");
    std::fs::create_dir_all(dir.join("team/policies")).expect("mkdir");
    std::fs::write(dir.join("team/policies/max-ttl.wasm"), bytes).expect("component");
    pin_policy(&dir, "max-ttl", "policies/max-ttl.wasm", pinned);
    // The organisation's file lets this directory replace the built-in `max-ttl`, by name.
    std::fs::write(
        dir.join("idp.kdl"),
        "catalog path=\"team\" overrides=\"max-ttl\"\npolicy max-ttl\n",
    )
    .expect("idp.kdl");
    std::fs::copy(
        repo().join("examples/orders-preview.kdl"),
        dir.join("env.kdl"),
    )
    .expect("spec");
    dir
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_team_catalog_adds_plugins_without_forking() {
    let s = Sandbox::new();
    let bytes =
        std::fs::read(repo().join("catalog/policies/max-ttl.wasm")).expect("built component");
    let dir = team_catalog(&s, &bytes, &sha256(&bytes));
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_tampered_component_is_refused_by_its_digest() {
    let s = Sandbox::new();
    let mut bytes =
        std::fs::read(repo().join("catalog/policies/max-ttl.wasm")).expect("built component");
    let pinned = sha256(&bytes);
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let dir = team_catalog(&s, &bytes, &pinned);
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains(&format!("but the catalog pins {pinned}")),
        "{}",
        run.stderr
    );
    assert!(Path::new(&dir).join("team/policies/max-ttl.wasm").exists());
}

#[test]
fn the_built_in_index_pins_the_committed_components() {
    let index = std::fs::read_to_string(repo().join("catalog/catalog.kdl")).expect("index");
    let parsed = idp_catalog::Index::parse("catalog.kdl", &index).expect("index");
    assert!(
        !parsed.pinned_modules.is_empty(),
        "the built-in modules are pinned"
    );
    for pin in &parsed.pinned_modules {
        let (_, files) = idp_catalog::modules_in(Some(&repo().join("modules")))
            .expect("modules")
            .into_iter()
            .find(|(name, _)| *name == pin.name)
            .expect("a pinned module exists");
        assert_eq!(
            idp_catalog::module_digest(&files),
            pin.sha256,
            "module {}",
            pin.name
        );
    }
    assert!(!parsed.entries.is_empty());
    for entry in &parsed.entries {
        let bytes =
            std::fs::read(repo().join("catalog").join(&entry.file)).expect("component file");
        assert_eq!(sha256(&bytes), entry.sha256, "{}", entry.name);
    }
}

/// A project whose only `idp.kdl` (so the organisation's) declares `team` as a catalog.
fn project_with(s: &Sandbox, idp_kdl: &str) -> std::path::PathBuf {
    let dir = s.path().join("project");
    std::fs::create_dir_all(dir.join("team/policies")).expect("mkdir");
    std::fs::write(dir.join("team/catalog.kdl"), "").expect("index");
    std::fs::write(dir.join("idp.kdl"), idp_kdl).expect("idp.kdl");
    std::fs::copy(
        repo().join("examples/orders-preview.kdl"),
        dir.join("env.kdl"),
    )
    .expect("spec");
    dir
}

/// Writes the team catalog's index with one policy entry.
fn pin_policy(dir: &Path, name: &str, file: &str, digest: &str) {
    std::fs::write(
        dir.join("team/catalog.kdl"),
        format!("policy {name} version=\"0.1.0\" file=\"{file}\" sha256=\"{digest}\"\n"),
    )
    .expect("index");
}

fn component(s: &Sandbox, from: &str, to: &str) -> String {
    let bytes = std::fs::read(repo().join("catalog").join(from)).expect("built component");
    std::fs::write(s.path().join("project/team").join(to), &bytes).expect("copy");
    sha256(&bytes)
}

#[test]
fn a_team_catalog_cannot_shadow_a_builtin_policy() {
    let s = Sandbox::new();
    let dir = project_with(&s, "catalog path=\"team\"\npolicy max-ttl\n");
    let digest = component(&s, "policies/naming.wasm", "policies/max-ttl.wasm");
    pin_policy(&dir, "max-ttl", "policies/max-ttl.wasm", &digest);
    let run = s.idp(&["check", &dir.display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "the catalog `[SANDBOX]/project/team` provides policy `max-ttl`, which the built-in catalog already provides"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_component_posing_as_another_plugin_is_refused() {
    let s = Sandbox::new();
    // A new name, so nothing is shadowed: but the component is `naming`, not `strict-ttl`.
    let dir = project_with(&s, "catalog path=\"team\"\npolicy strict-ttl\n");
    let digest = component(&s, "policies/naming.wasm", "policies/strict-ttl.wasm");
    pin_policy(&dir, "strict-ttl", "policies/strict-ttl.wasm", &digest);
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "lists policy `strict-ttl 0.1.0`, but its component says it is `naming` `0.1.0`"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_catalog_file_outside_its_directory_is_refused() {
    let s = Sandbox::new();
    let digest = sha256(&std::fs::read(repo().join("catalog/policies/naming.wasm")).expect("wasm"));
    // Through `..`: refused when the index is read.
    let dir = project_with(&s, "catalog path=\"team\"\npolicy strict-ttl\n");
    pin_policy(&dir, "strict-ttl", "../outside.wasm", &digest);
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("is not a component path inside the catalog"),
        "{}",
        run.stderr
    );
    // Through a symlink that points out of the catalog: refused when the file is read.
    std::fs::copy(
        repo().join("catalog/policies/naming.wasm"),
        s.path().join("outside.wasm"),
    )
    .expect("copy");
    std::os::unix::fs::symlink(
        s.path().join("outside.wasm"),
        dir.join("team/policies/strict-ttl.wasm"),
    )
    .expect("symlink");
    pin_policy(&dir, "strict-ttl", "policies/strict-ttl.wasm", &digest);
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains("is outside its catalog"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_team_module_cannot_replace_a_builtin_module() {
    let s = Sandbox::new();
    let dir = project_with(&s, "catalog path=\"team\"\n");
    let module = dir.join("team/modules/ecs-service");
    std::fs::create_dir_all(&module).expect("mkdir");
    std::fs::write(module.join("main.tf"), "# replaced\n").expect("module");
    let files = vec![("main.tf".to_owned(), b"# replaced\n".to_vec())];
    std::fs::write(
        dir.join("team/catalog.kdl"),
        format!(
            "module ecs-service sha256=\"{}\"\n",
            idp_catalog::module_digest(&files)
        ),
    )
    .expect("index");
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("provides module `ecs-service`, which the built-in catalog already provides"),
        "{}",
        run.stderr
    );
    // Unpinned, the directory is not a module at all: the built-in one is used.
    std::fs::write(dir.join("team/catalog.kdl"), "").expect("index");
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_template_entry_must_pin_the_modules_its_component_declares() {
    let s = Sandbox::new();
    // The organisation lets `team` replace `api-service`; the entry leaves out a module.
    let dir = project_with(&s, "catalog path=\"team\" overrides=\"api-service\"\n");
    std::fs::create_dir_all(dir.join("team/templates")).expect("mkdir");
    let digest = component(
        &s,
        "templates/api-service.wasm",
        "templates/api-service.wasm",
    );
    std::fs::write(
        dir.join("team/catalog.kdl"),
        format!(
            "template api-service version=\"0.1.0\" file=\"templates/api-service.wasm\" sha256=\"{digest}\" {{\n    modules common networking\n}}\n"
        ),
    )
    .expect("index");
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "lists template `api-service 0.1.0`, but its component says it is using modules `common`, `networking`, `ecs-service`"
        ),
        "{}",
        run.stderr
    );
}

/// A huge component (or an endless one) is refused at its size, before it is read whole,
/// hashed or compiled (module files: `idp_catalog`'s unit tests).
#[test]
fn a_huge_catalog_file_is_refused_unread() {
    let s = Sandbox::new();
    let dir = project_with(&s, "catalog path=\"team\"\npolicy strict-ttl\n");
    let huge = dir.join("team/policies/strict-ttl.wasm");
    // Sparse: 17 MiB on paper, nothing on disk.
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(17 << 20))
        .expect("sparse file");
    pin_policy(
        &dir,
        "strict-ttl",
        "policies/strict-ttl.wasm",
        &"0".repeat(64),
    );
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains("`[SANDBOX]/project/team/policies/strict-ttl.wasm` is larger than 16 MiB"),
        "{err}"
    );
    assert!(err.contains("idp::catalog::too_large"), "{err}");
}
