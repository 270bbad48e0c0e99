//! `idp plugin test`: a plugin's declarative cases through the binary, on idp's own
//! built-in plugins and on a team's crate made in the sandbox (beside the built-in
//! catalog, so no guest build is needed).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Run, Sandbox, repo, tree};

/// The cargo that built these tests: the sandbox's `HOME` has no rustup of its own.
const CARGO: (&str, &str) = ("CARGO", env!("CARGO"));

fn plugin_test(s: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["plugin", "test"];
    all.extend_from_slice(args);
    s.run_with(&all, &[CARGO])
}

/// A team's guest crate in the sandbox: `template-hello`'s manifest (a `cdylib` on the
/// SDK, its own workspace) and no source, with the named cases copied from the
/// built-in `template-hello`.
fn team_crate(s: &Sandbox, cases: &[&str]) -> PathBuf {
    let dir = s.path().join("team-hello");
    std::fs::create_dir_all(dir.join("src")).expect("crate dir");
    std::fs::write(dir.join("src/lib.rs"), "").expect("lib.rs");
    let sdk = repo().join("plugins/sdk");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"team-hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
             [dependencies]\nidp-plugin-sdk = {{ path = {:?} }}\n\n[workspace]\n",
            sdk.display().to_string()
        ),
    )
    .expect("Cargo.toml");
    for case in cases {
        let from = repo().join("plugins/template-hello/tests").join(case);
        let to = dir.join("tests").join(case);
        std::fs::create_dir_all(&to).expect("case dir");
        for f in std::fs::read_dir(&from).expect("built-in case").flatten() {
            std::fs::copy(f.path(), to.join(f.file_name())).expect("copy");
        }
    }
    dir
}

/// The built-in catalog's directory: identical to the embedded catalog, so the cases
/// run against the built-in `hello`.
fn catalog() -> String {
    repo().join("catalog").display().to_string()
}

fn run_on(s: &Sandbox, dir: &Path, extra: &[&str]) -> Run {
    let dir = dir.display().to_string();
    let catalog = catalog();
    let mut args = vec![dir.as_str(), "--catalog", catalog.as_str()];
    args.extend_from_slice(extra);
    plugin_test(s, &args)
}

#[test]
fn the_built_in_plugins_pass_their_cases() {
    let s = Sandbox::new();
    let before = tree(&repo().join("plugins"));
    let run = plugin_test(&s, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for case in [
        "ok      template-hello/greeting (",
        "ok      template-hello/empty-greeting (",
        "ok      policy-max-ttl/above-limit (",
        "ok      policy-max-ttl/bad-setting (",
        "ok      template-api-service/review-app (",
    ] {
        assert!(run.stdout.contains(case), "{case} in\n{}", run.stdout);
    }
    assert!(run.stdout.contains("\ntest result: ok. "), "{}", run.stdout);
    assert_eq!(tree(&repo().join("plugins")), before, "nothing written");
    // A path inside a crate (here a case) means that crate.
    let inside = plugin_test(&s, &["plugins/template-hello/tests/greeting"]);
    assert_eq!(inside.code, 0, "{}{}", inside.stdout, inside.stderr);
    assert!(
        inside
            .stdout
            .contains("ok      template-hello/unknown-input (")
    );
    assert!(
        !inside.stdout.contains("policy-max-ttl"),
        "{}",
        inside.stdout
    );
}

#[test]
fn a_failing_case_shows_a_diff_and_exits_1_while_the_passing_one_is_ok() {
    let s = Sandbox::new();
    let dir = team_crate(&s, &["greeting", "default-greeting"]);
    let tfvars = dir.join("tests/default-greeting/terraform.tfvars.json");
    let golden = std::fs::read_to_string(&tfvars).expect("golden");
    std::fs::write(&tfvars, golden.replace("hello, world", "goodbye")).expect("edit");
    let before = tree(&dir);
    let run = run_on(&s, &dir, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("ok      team-hello/greeting ("));
    assert!(run.stdout.contains("FAILED  team-hello/default-greeting ("));
    assert!(
        run.stdout.contains(
            "---- team-hello/default-greeting\n\
             `terraform.tfvars.json` differs from what the case produces:\n\
             --- terraform.tfvars.json (golden)\n\
             +++ terraform.tfvars.json (this run)\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\n-    \"greeting\": \"goodbye\",\n+    \"greeting\": \"hello, world\",\n")
    );
    assert!(
        run.stdout
            .contains("test result: FAILED. 1 passed; 1 failed")
    );
    assert_eq!(tree(&dir), before, "nothing written without --bless");
}

#[test]
fn bless_writes_the_default_goldens_then_the_case_passes() {
    let s = Sandbox::new();
    let dir = team_crate(&s, &[]);
    let case = dir.join("tests/fresh");
    std::fs::create_dir_all(&case).expect("case");
    std::fs::copy(
        repo().join("plugins/template-hello/tests/greeting/env.kdl"),
        case.join("env.kdl"),
    )
    .expect("env.kdl");
    let unblessed = run_on(&s, &dir, &[]);
    assert_eq!(unblessed.code, 1);
    assert!(unblessed.stdout.contains(
        "no golden file: `idp plugin test --bless` writes main.tf, terraform.tfvars.json, findings.json"
    ));
    let blessed = run_on(&s, &dir, &["--bless"]);
    assert_eq!(blessed.code, 0, "{}{}", blessed.stdout, blessed.stderr);
    assert!(blessed.stdout.contains("blessed team-hello/fresh ("));
    assert!(
        blessed
            .stdout
            .contains(": wrote main.tf, terraform.tfvars.json, findings.json\n")
    );
    let built_in = repo().join("plugins/template-hello/tests/greeting");
    for file in ["main.tf", "terraform.tfvars.json", "findings.json"] {
        assert_eq!(
            std::fs::read_to_string(case.join(file)).expect("written"),
            std::fs::read_to_string(built_in.join(file)).expect("built-in golden"),
            "{file}"
        );
    }
    let again = run_on(&s, &dir, &[]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(again.stdout.contains("ok      team-hello/fresh ("));
}

#[test]
fn an_input_error_is_a_diagnostics_case() {
    let s = Sandbox::new();
    let dir = team_crate(&s, &[]);
    let case = dir.join("tests/broken");
    std::fs::create_dir_all(&case).expect("case");
    std::fs::write(
        case.join("env.kdl"),
        "environment broken {\n    template hello\n    owner \"a@b.c\"\n    team t\n    region us-east-1\n    ttl \"1d\"\n    greeting {\n}\n",
    )
    .expect("env.kdl");
    let blessed = run_on(&s, &dir, &["--bless"]);
    assert_eq!(blessed.code, 0, "{}{}", blessed.stdout, blessed.stderr);
    assert!(
        blessed.stdout.contains(": wrote diagnostics.txt\n"),
        "{}",
        blessed.stdout
    );
    let diagnostics = std::fs::read_to_string(case.join("diagnostics.txt")).expect("written");
    assert!(diagnostics.contains("╭─[env.kdl:"), "{diagnostics}");
    assert!(
        !diagnostics.contains(&s.path().display().to_string()),
        "no temp path"
    );
    assert!(!diagnostics.contains('\u{1b}'), "no colour");
    // A golden the input error cannot produce fails the case, naming the error.
    std::fs::write(case.join("main.tf"), "").expect("main.tf");
    let run = run_on(&s, &dir, &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("`main.tf`: the spec has input errors, so there is no `main.tf`:"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_and_junit_report_every_case_for_ci() {
    let s = Sandbox::new();
    let dir = team_crate(&s, &["greeting", "default-greeting"]);
    let findings = dir.join("tests/greeting/findings.json");
    std::fs::write(&findings, "{\"hello-preview\": [{\"code\": \"x\"}]}\n").expect("edit");
    let json = run_on(&s, &dir, &["--format", "json"]);
    assert_eq!(json.code, 1, "{}", json.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["counts"]["passed"], 1);
    assert_eq!(doc["counts"]["failed"], 1);
    let failed = &doc["cases"][1];
    assert_eq!(failed["name"], "team-hello/greeting");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["goldens"][0]["file"], "main.tf");
    assert_eq!(failed["goldens"][0]["status"], "passed");
    assert_eq!(failed["goldens"][2]["file"], "findings.json");
    assert_eq!(failed["goldens"][2]["status"], "differs");
    assert!(
        failed["goldens"][2]["diff"]
            .as_str()
            .is_some_and(|d| d.contains("-    {\n"))
    );

    let junit = run_on(&s, &dir, &["--format", "junit"]);
    assert_eq!(junit.code, 1);
    let elements = xml_elements(&junit.stdout);
    let names: Vec<&str> = elements
        .iter()
        .filter(|(tag, _)| tag == "testcase")
        .filter_map(|(_, attrs)| attr(attrs, "name"))
        .collect();
    assert_eq!(names, ["default-greeting", "greeting"]);
    assert_eq!(elements.iter().filter(|(t, _)| t == "failure").count(), 1);
    let suite = elements
        .iter()
        .find(|(t, _)| t == "testsuite")
        .expect("suite");
    assert_eq!(attr(&suite.1, "failures"), Some("1"));
}

#[test]
fn hostile_cases_are_errors_and_nothing_is_written() {
    let s = Sandbox::new();
    let dir = team_crate(&s, &[]);
    let outside = s.path().join("outside.json");
    std::fs::write(&outside, "{}").expect("outside");
    for name in ["escape", "bad\u{1b}[2Jname", "huge"] {
        let case = dir.join("tests").join(name);
        std::fs::create_dir_all(&case).expect("case");
        std::fs::copy(
            repo().join("plugins/template-hello/tests/greeting/env.kdl"),
            case.join("env.kdl"),
        )
        .expect("env.kdl");
    }
    std::os::unix::fs::symlink(&outside, dir.join("tests/escape/findings.json")).expect("link");
    // Sparse: 64 MiB on paper, read only up to the limit.
    let huge = std::fs::File::create(dir.join("tests/huge/main.tf")).expect("main.tf");
    huge.set_len(64 << 20).expect("sparse file");
    let before = tree(&dir);
    let run = run_on(&s, &dir, &["--bless", "--format", "junit"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
    assert!(
        run.stdout.contains("name=\"bad\\u{1b}[2Jname\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("`findings.json` is a symlink to outside the case directory")
    );
    assert_eq!(
        xml_elements(&run.stdout)
            .iter()
            .filter(|(t, _)| t == "error")
            .count(),
        3
    );
    assert!(
        run.stdout
            .contains("`main.tf` is larger than the limit of 8 MiB"),
        "{}",
        run.stdout
    );
    assert_eq!(tree(&dir), before);
    assert_eq!(std::fs::read_to_string(&outside).expect("outside"), "{}");
}

#[test]
fn no_cases_and_no_crate_are_usage_errors() {
    let s = Sandbox::new();
    let dir = team_crate(&s, &[]);
    let run = run_on(&s, &dir, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no test cases in `team-hello`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("`<crate>/tests/<case>/` holding `env.kdl`")
    );
    // A team catalog that provides a built-in's name is refused once, before any case.
    let shadowing = s.path().join("shadowing");
    std::fs::create_dir_all(&shadowing).expect("catalog dir");
    let index = std::fs::read_to_string(repo().join("catalog/catalog.kdl")).expect("index");
    let changed = index.replace("template hello version=\"", "template hello version=\"9");
    assert_ne!(changed, index);
    std::fs::write(shadowing.join("catalog.kdl"), changed).expect("index");
    std::fs::create_dir_all(dir.join("tests/any")).expect("case");
    std::fs::write(dir.join("tests/any/env.kdl"), "").expect("env.kdl");
    let no_catalog = plugin_test(&s, &[&dir.display().to_string()]);
    assert_eq!(no_catalog.code, 2);
    assert!(
        no_catalog
            .stderr
            .contains("no catalog at `[SANDBOX]/team-hello/catalog`"),
        "{}",
        no_catalog.stderr
    );
    let dir_arg = dir.display().to_string();
    let shadow_arg = shadowing.display().to_string();
    let shadowed = plugin_test(&s, &[&dir_arg, "--catalog", &shadow_arg]);
    assert_eq!(shadowed.code, 2, "{}{}", shadowed.stdout, shadowed.stderr);
    assert!(
        shadowed.stderr.contains("idp::catalog::shadowed"),
        "{}",
        shadowed.stderr
    );
    assert!(shadowed.stdout.is_empty());
    let empty = s.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    std::fs::write(empty.join("Cargo.toml"), "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2024\"\n[lib]\npath = \"lib.rs\"\n[workspace]\n").expect("manifest");
    std::fs::write(empty.join("lib.rs"), "").expect("lib.rs");
    let none = run_on(&s, &empty, &[]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("no guest crate under"),
        "{}",
        none.stderr
    );
}

/// A small XML reader for the JUnit report: checks that every tag closes in order,
/// that text and attribute values carry no raw `<` or stray `&`, and returns every
/// element's name and raw attributes.
fn xml_elements(text: &str) -> Vec<(String, String)> {
    let body = text
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("tag ends") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "raw < in {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "tags close in order");
        } else {
            let empty = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            check_text(attrs);
            out.push((name.to_owned(), attrs.to_owned()));
            if !empty {
                stack.push(name.to_owned());
            }
        }
        rest = &rest[close + 1..];
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed {stack:?}");
    out
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "stray & in {text}"
        );
    }
    assert!(
        !text
            .chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t')),
        "a control character XML cannot carry"
    );
}

fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let start = attrs.find(&format!("{name}=\""))? + name.len() + 2;
    let len = attrs[start..].find('"')?;
    Some(&attrs[start..start + len])
}

#[test]
fn a_plugin_failure_is_the_cases_error_not_a_mismatch() {
    let s = Sandbox::new();
    let dir = team_crate(&s, &["greeting"]);
    // A team catalog whose `greeter` is really `hello`: the host refuses it when the
    // case loads it, which no golden can describe.
    let catalog = s.path().join("team-catalog");
    std::fs::create_dir_all(catalog.join("templates")).expect("catalog dir");
    let bytes = std::fs::read(repo().join("catalog/templates/hello.wasm")).expect("hello");
    std::fs::write(catalog.join("templates/greeter.wasm"), &bytes).expect("component");
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    std::fs::write(
        catalog.join("catalog.kdl"),
        format!(
            "template greeter version=\"0.1.0\" file=\"templates/greeter.wasm\" sha256=\"{sha256}\" {{\n    modules hello\n}}\n"
        ),
    )
    .expect("index");
    let case = dir.join("tests/greeter");
    std::fs::create_dir_all(&case).expect("case");
    let spec = std::fs::read_to_string(dir.join("tests/greeting/env.kdl")).expect("spec");
    std::fs::write(
        case.join("env.kdl"),
        spec.replace("template hello", "template greeter"),
    )
    .expect("env.kdl");
    std::fs::write(case.join("findings.json"), "{}").expect("golden");
    let (dir, catalog) = (dir.display().to_string(), catalog.display().to_string());
    let run = plugin_test(&s, &[&dir, "--catalog", &catalog, "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["counts"]["error"], 1);
    assert_eq!(
        doc["counts"]["passed"], 1,
        "the team catalog adds, the built-ins stay"
    );
    let failed = &doc["cases"][0];
    assert_eq!(failed["name"], "team-hello/greeter");
    assert_eq!(failed["status"], "error");
    assert!(
        failed["error"].as_str().is_some_and(
            |e| e.contains("idp::plan::plugin_identity") && e.contains("it is `hello`")
        ),
        "{failed}"
    );
}

#[test]
fn in_idps_repository_a_catalog_unlike_the_built_in_one_says_to_rebuild_idp() {
    let s = Sandbox::new();
    // A workspace shaped like idp's: the `idp` package at its root, a guest crate in it,
    // and a `catalog/` that is not the one this binary embeds.
    let root = s.path().join("idp-clone");
    std::fs::create_dir_all(root.join("catalog")).expect("catalog dir");
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"idp\"\nversion = \"0.1.0\"\nedition = \"2024\"\n[lib]\npath = \"lib.rs\"\n\n[workspace]\nmembers = [\"team-hello\"]\n",
    )
    .expect("manifest");
    std::fs::write(root.join("lib.rs"), "").expect("lib.rs");
    let team = team_crate(&s, &["greeting"]);
    std::fs::rename(&team, root.join("team-hello")).expect("move crate");
    let manifest = root.join("team-hello/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("crate manifest");
    std::fs::write(&manifest, text.replace("\n[workspace]\n", "\n")).expect("member");
    let index = std::fs::read_to_string(repo().join("catalog/catalog.kdl")).expect("index");
    std::fs::write(
        root.join("catalog/catalog.kdl"),
        index.replace("template hello version=\"", "template hello version=\"9"),
    )
    .expect("index");
    let run = plugin_test(&s, &[&root.display().to_string()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.flat_stderr().contains(
            "`[SANDBOX]/idp-clone/catalog` differs from the built-in catalog this `idp` carries"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.flat_stderr()
            .contains("rebuild idp after `idp plugin build`")
    );
}
