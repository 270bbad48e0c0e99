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
    std::fs::write(
        dir.join("team/catalog.kdl"),
        format!(
            "policy max-ttl version=\"0.1.0\" file=\"policies/max-ttl.wasm\" sha256=\"{pinned}\"\n"
        ),
    )
    .expect("index");
    std::fs::write(
        dir.join("idp.kdl"),
        "catalog path=\"team\"\npolicy max-ttl\n",
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
    for line in index.lines().filter(|l| l.contains("sha256=")) {
        let field = |name: &str| {
            line.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_default()
                .to_owned()
        };
        let bytes =
            std::fs::read(repo().join("catalog").join(field("file"))).expect("component file");
        assert_eq!(sha256(&bytes), field("sha256"), "{line}");
    }
}
