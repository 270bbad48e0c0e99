//! `idp plugin build` on a team's crate outside idp's workspace, and `idp plugin
//! inspect` of built components, through the binary. Guest builds share
//! `harness::guest_target()`, so `std` for wasm32 is compiled once.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Run, Sandbox, repo, tree, wat_component};

/// The team fixture copied into the sandbox as a workspace of its own, its SDK
/// dependency pointing at this repository's SDK.
fn team_workspace(s: &Sandbox) -> PathBuf {
    let from = repo().join("tests/fixtures/authoring/build-team");
    let to = s.path().join("team");
    for file in tree(&from) {
        let target = to.join(file.trim_end_matches(".in"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("dir");
        let text = std::fs::read_to_string(from.join(&file)).expect("fixture");
        let sdk = repo().join("plugins/sdk").display().to_string();
        std::fs::write(&target, text.replace("@SDK@", &sdk)).expect("copy");
    }
    to
}

fn build(s: &Sandbox, ws: &Path, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let ws = ws.display().to_string();
    let mut args = vec!["plugin", "build", ws.as_str()];
    args.extend_from_slice(extra);
    s.idp_guest(&args, env)
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_team_crate_builds_into_its_own_catalog_and_check_catches_a_source_edit() {
    let s = Sandbox::new();
    let ws = team_workspace(&s);
    assert!(!ws.join("Cargo.lock").exists(), "no lock file beforehand");

    let run = build(&s, &ws, &[], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let wasm = std::fs::read(ws.join("catalog/policies/no-scratch.wasm")).expect("component");
    let digest = sha256(&wasm);
    assert_eq!(
        run.stdout,
        format!(
            "policy no-scratch 0.1.0  policies/no-scratch.wasm  {} bytes  sha256:{digest}  (changed)\n",
            wasm.len()
        ),
        "kind and name from info(), not from the package `authoring-build-guardrail`"
    );
    let index = std::fs::read_to_string(ws.join("catalog/catalog.kdl")).expect("catalog.kdl");
    let entry = index
        .lines()
        .find(|l| {
            l.starts_with(
                "policy no-scratch version=\"0.1.0\" file=\"policies/no-scratch.wasm\" sha256=",
            )
        })
        .unwrap_or_else(|| panic!("{index}"));
    assert!(entry.contains(&digest), "{entry}");
    assert!(
        entry.contains(" toolchain=\"rustc 1."),
        "the team build records its compiler: {entry}"
    );
    assert!(index.contains("module team-bucket sha256="), "{index}");
    assert!(
        run.stderr
            .contains("wrote 1 component(s) and 1 module pin(s) into `[SANDBOX]/team/catalog`"),
        "{}",
        run.stderr
    );

    let check = build(&s, &ws, &["--check", "--format", "json"], &[]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let json: Value = serde_json::from_str(&check.stdout).expect("JSON list");
    assert_eq!(json[0]["name"], "no-scratch");
    assert_eq!(json[0]["sha256"], digest.as_str());
    assert_eq!(json[0]["size"], wasm.len());
    assert_eq!(json[0]["changed"], false);

    let lib = ws.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).expect("lib.rs");
    std::fs::write(
        &lib,
        source.replace("stay out of production", "never reach production"),
    )
    .expect("edit");
    let before = tree(&ws.join("catalog"));
    let drift = build(&s, &ws, &["--check"], &[]);
    assert_eq!(drift.code, 1, "{}", drift.stderr);
    assert!(
        drift
            .flat_stderr()
            .contains("the build differs from `[SANDBOX]/team/catalog`: policy `no-scratch`"),
        "{}",
        drift.stderr
    );
    assert_eq!(tree(&ws.join("catalog")), before, "--check writes nothing");
    assert_eq!(
        std::fs::read(ws.join("catalog/policies/no-scratch.wasm")).expect("wasm"),
        wasm
    );
}

#[test]
fn without_a_guest_toolchain_the_build_says_how_to_get_one() {
    let s = Sandbox::new();
    let ws = team_workspace(&s);
    let run = build(&s, &ws, &[], &[("IDP_GUEST_RUSTC", "/nonexistent/rustc")]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let stderr = run.flat_stderr();
    assert!(
        stderr.contains(
            "no toolchain that builds `wasm32-unknown-unknown` plugins (tried `/nonexistent/rustc`)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("`apt-get install rustc-web cargo-web rust-web-src`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`rustup target add wasm32-unknown-unknown`"),
        "{stderr}"
    );
    assert!(!ws.join("catalog/catalog.kdl").exists(), "nothing written");
}

#[test]
fn a_directory_without_a_guest_crate_is_named_with_what_a_guest_crate_is() {
    let s = Sandbox::new();
    let dir = s.path().join("lib");
    std::fs::create_dir_all(dir.join("src")).expect("dir");
    std::fs::write(dir.join("src/lib.rs"), "").expect("lib.rs");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .expect("Cargo.toml");
    let run = build(&s, &dir, &[], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let stderr = run.flat_stderr();
    assert!(
        stderr.contains("no guest crate under `[SANDBOX]/lib`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a guest crate is a `cdylib` that depends on `idp-plugin-sdk`"),
        "{stderr}"
    );
}

/// `s.clean`ed human output with the digest and size, which change whenever the
/// built-ins are rebuilt, replaced by placeholders.
fn redact(text: &str, bytes: &[u8]) -> String {
    text.replace(&sha256(bytes), "[SHA256]")
        .replace(&format!("{} bytes", bytes.len()), "[SIZE] bytes")
}

#[test]
fn inspect_shows_what_a_builtin_policy_declares() {
    let s = Sandbox::new();
    let file = "catalog/policies/max-ttl.wasm";
    let bytes = std::fs::read(repo().join(file)).expect("built-in");
    let run = s.idp(&["plugin", "inspect", file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("inspect_max_ttl", redact(&run.stdout, &bytes));

    let json = s.idp(&["plugin", "inspect", file, "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["kind"], "policy");
    assert_eq!(doc["name"], "max-ttl");
    assert_eq!(doc["sha256"], sha256(&bytes).as_str());
    assert_eq!(doc["size"], bytes.len());
    assert!(doc["wit_version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(doc["rules"][0]["id"], "ttl-above-maximum");
    assert_eq!(doc["rules"][0]["severity"], "deny");
    assert_eq!(doc["settings_schema"]["type"], "object");
}

#[test]
fn inspect_shows_a_templates_modules_outputs_and_input_schema() {
    let s = Sandbox::new();
    let run = s.idp(&[
        "plugin",
        "inspect",
        "catalog/templates/hello.wasm",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["kind"], "template");
    assert_eq!(doc["name"], "hello");
    assert_eq!(doc["modules"], serde_json::json!(["hello"]));
    assert!(doc["outputs"].is_array());
    assert!(doc["input_schema"].is_object());
    assert!(doc.get("rules").is_none());
    let human = s.idp(&["plugin", "inspect", "catalog/templates/hello.wasm"]);
    assert!(
        human.stdout.starts_with("template hello "),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("\nmodules   hello\n"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("\ninput schema:\n{"),
        "{}",
        human.stdout
    );
}

/// A policy component exporting `idp:plugin/policy@9.0.0`: `trap.wat` with its export
/// names and WIT moved to a version no idp supports. WAT, because no SDK builds it.
fn future_component(dir: &Path) -> PathBuf {
    let wat = std::fs::read_to_string(repo().join("tests/fixtures/hostile/trap.wat"))
        .expect("fixture")
        .replace("@0.1.0#", "@9.0.0#");
    let wit = dir.join("wit");
    std::fs::create_dir_all(&wit).expect("wit dir");
    for entry in std::fs::read_dir(repo().join("wit/plugin@0.1.0"))
        .expect("wit")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("wit file");
        std::fs::write(
            wit.join(entry.file_name()),
            text.replace("@0.1.0", "@9.0.0"),
        )
        .expect("copy wit");
    }
    let file = dir.join("future.wasm");
    std::fs::write(&file, wat_component(&wat, &wit, "policy-plugin")).expect("write");
    file
}

#[test]
fn inspect_refuses_a_component_built_for_an_unsupported_contract_naming_the_supported_ones() {
    let s = Sandbox::new();
    let file = future_component(s.path());
    let run = s.idp(&["plugin", "inspect", &file.display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let stderr = run.flat_stderr();
    assert!(
        stderr.contains("`future.wasm`: built for `idp:plugin/policy@9.0.0`"),
        "{stderr}"
    );
    assert!(stderr.contains("this idp supports"), "{stderr}");
    assert!(stderr.contains("`idp:plugin/policy@0.1.0`"), "{stderr}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}
