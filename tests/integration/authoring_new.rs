//! `idp plugin new` and `idp plugin vendor`: the plugin workspace a team starts from, and
//! the vendored SDK it keeps up to date (issue 13, items 1 and 2).

use std::path::Path;

use crate::harness::{Sandbox, tree};

/// The files of a new workspace besides the vendored SDK, for each kind.
const TEMPLATE_FILES: &[&str] = &[
    ".github/workflows/plugin.yml",
    ".gitignore",
    "Cargo.toml",
    "README.md",
    "catalog/catalog.kdl",
    "catalog/modules/docs-site/main.tf",
    "catalog/modules/docs-site/outputs.tf",
    "catalog/modules/docs-site/variables.tf",
    "catalog/modules/docs-site/versions.tf",
    "idp.kdl",
    "schema.json",
    "src/lib.rs",
    "tests/basic/env.kdl",
    "tests/basic/findings.json",
    "tests/basic/main.tf",
    "tests/basic/terraform.tfvars.json",
];

const POLICY_FILES: &[&str] = &[
    ".github/workflows/plugin.yml",
    ".gitignore",
    "Cargo.toml",
    "README.md",
    "catalog/catalog.kdl",
    "idp.kdl",
    "settings.schema.json",
    "src/lib.rs",
    "tests/basic/env.kdl",
    "tests/basic/findings.json",
    "tests/basic/idp.kdl",
    "tests/denied/env.kdl",
    "tests/denied/findings.json",
    "tests/denied/idp.kdl",
];

/// `own` plus every file of this idp's SDK under `vendor/idp-plugin-sdk/`, sorted.
fn expected_tree(own: &[&str]) -> Vec<String> {
    let mut files: Vec<String> = own.iter().map(|f| (*f).to_owned()).collect();
    files.extend(
        idp_scaffold::SDK_FILES
            .iter()
            .map(|(path, _)| format!("vendor/idp-plugin-sdk/{path}")),
    );
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn new(s: &Sandbox, kind: &str, name: &str, dir: &Path) -> crate::harness::Run {
    s.idp(&[
        "plugin",
        "new",
        kind,
        name,
        "--path",
        &dir.display().to_string(),
    ])
}

#[test]
fn new_template_writes_a_whole_workspace() {
    let s = Sandbox::new();
    let dir = s.path().join("docs-site");
    let run = new(&s, "template", "docs-site", &dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("created template `docs-site` in `[SANDBOX]/docs-site`"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&dir), expected_tree(TEMPLATE_FILES));
    let manifest = read(&dir.join("Cargo.toml"));
    assert!(
        manifest.contains("name = \"template-docs-site\""),
        "{manifest}"
    );
    assert!(
        manifest.contains(
            "idp-plugin-sdk = { path = \"vendor/idp-plugin-sdk\", features = [\"template\"] }"
        ),
        "{manifest}"
    );
    assert!(manifest.contains("\n[workspace]\n"), "{manifest}");
    assert!(read(&dir.join("idp.kdl")).contains("catalog path=\"catalog\""));
    // The template calls its own module, which tags the bucket.
    let lib = read(&dir.join("src/lib.rs"));
    assert!(lib.contains("const MODULE: &str = \"docs-site\";"), "{lib}");
    assert!(
        read(&dir.join("catalog/modules/docs-site/main.tf")).contains("tags          = var.tags")
    );
    // Each vendored file is this idp's SDK, byte for byte.
    for (path, text) in idp_scaffold::SDK_FILES {
        assert_eq!(
            &read(&dir.join("vendor/idp-plugin-sdk").join(path)),
            text,
            "{path}"
        );
    }
}

#[test]
fn new_policy_writes_a_passing_and_a_denied_case() {
    let s = Sandbox::new();
    let dir = s.path().join("team-rule");
    let run = new(&s, "policy", "team-rule", &dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(&dir), expected_tree(POLICY_FILES));
    assert!(read(&dir.join("Cargo.toml")).contains("name = \"policy-team-rule\""));
    assert!(read(&dir.join("idp.kdl")).contains("policy team-rule {"));
    assert!(read(&dir.join("tests/denied/env.kdl")).contains("team marketing"));
}

#[test]
fn new_never_overwrites() {
    let s = Sandbox::new();
    let dir = s.path().join("docs-site");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("file");
    let before = tree(s.path());
    let run = new(&s, "template", "docs-site", &dir);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("`[SANDBOX]/docs-site` already exists and is not an empty directory"),
        "{}",
        run.stderr
    );
    assert_eq!(
        tree(s.path()),
        before,
        "nothing written, nothing left beside it"
    );
    assert_eq!(read(&dir.join("notes.txt")), "mine");
}

#[test]
fn new_refuses_a_bad_name_and_a_builtin_one() {
    let s = Sandbox::new();
    let before = tree(s.path());
    let run = new(&s, "policy", "Team_Rule", &s.path().join("x"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "plugin name `Team_Rule` is not valid: it must start with a lowercase letter or a digit"
        ),
        "{}",
        run.stderr
    );
    let run = new(&s, "policy", "max-ttl", &s.path().join("x"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("the built-in catalog already provides policy `max-ttl`"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(s.path()), before);
}

#[test]
fn vendor_replaces_an_outdated_copy() {
    let s = Sandbox::new();
    let dir = s.path().join("team-rule");
    assert_eq!(new(&s, "policy", "team-rule", &dir).code, 0);
    // What an older idp left: another version, a file the SDK no longer has.
    let sdk = dir.join("vendor/idp-plugin-sdk");
    let manifest = read(&sdk.join("Cargo.toml"));
    let version = idp_scaffold::sdk_version();
    std::fs::write(
        sdk.join("Cargo.toml"),
        manifest.replacen(
            &format!("version = \"{version}\""),
            "version = \"0.0.9\"",
            1,
        ),
    )
    .expect("old manifest");
    std::fs::write(sdk.join("src/gone.rs"), "// removed since").expect("stale file");

    let run = s.idp(&["plugin", "vendor", &dir.display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "vendored idp-plugin-sdk {version} into `[SANDBOX]/team-rule/vendor/idp-plugin-sdk` (was 0.0.9; 2 files changed)"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        tree(&dir),
        expected_tree(POLICY_FILES),
        "the stale file is gone"
    );
    assert_eq!(read(&sdk.join("Cargo.toml")), manifest);

    let again = s.idp(&["plugin", "vendor", &dir.display().to_string()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("nothing changed"), "{}", again.stderr);
}

#[test]
fn vendor_refuses_what_is_not_a_plugin_workspace() {
    let s = Sandbox::new();
    let dir = s.path().join("app");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"app\"\n").expect("manifest");
    let before = tree(s.path());
    let run = s.idp(&["plugin", "vendor", &dir.display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "`[SANDBOX]/app` is not a plugin workspace: its Cargo.toml has no `[workspace]`"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(tree(s.path()), before);
}

/// The first plugin of issue 13, as a team makes it: scaffold, build into the workspace's
/// own catalog, run its case, and plan its spec through the workspace's `idp.kdl`.
#[test]
fn a_new_template_builds_passes_its_case_and_plans_its_module() {
    let s = Sandbox::new();
    let dir = s.path().join("docs-site");
    assert_eq!(new(&s, "template", "docs-site", &dir).code, 0);
    let ws = dir.display().to_string();
    let spec = dir.join("tests/basic/env.kdl").display().to_string();

    // Before the first build the catalog is empty, and idp says what makes the template.
    let early = s.idp(&["plan", &spec]);
    assert_eq!(early.code, 2, "{}", early.stderr);
    assert!(
        early
            .flat_stderr()
            .contains("a team's template is built by `idp plugin build`"),
        "{}",
        early.stderr
    );

    let build = s.idp_guest(&["plugin", "build", &ws], &[]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(
        build
            .stdout
            .contains("template docs-site 0.1.0  templates/docs-site.wasm"),
        "{}",
        build.stdout
    );
    let test = s.idp_guest(&["plugin", "test", &ws], &[]);
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    assert!(
        format!("{}{}", test.stdout, test.stderr).contains("test result: ok. 1 passed"),
        "{}\n{}",
        test.stdout,
        test.stderr
    );

    let plan = s.idp(&["plan", &spec]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("template   docs-site 0.1.0 (catalog `[SANDBOX]/docs-site/catalog`"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("bucket (docs-site): 5 variables"),
        "{}",
        plan.stdout
    );
}

/// The same for a policy: both its cases pass, and `idp check` with the workspace's
/// `idp.kdl` denies the bad spec at its `team` line.
#[test]
fn a_new_policy_builds_passes_its_cases_and_denies_the_bad_spec_at_its_line() {
    let s = Sandbox::new();
    let dir = s.path().join("team-rule");
    assert_eq!(new(&s, "policy", "team-rule", &dir).code, 0);
    let ws = dir.display().to_string();

    let build = s.idp_guest(&["plugin", "build", &ws], &[]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let test = s.idp_guest(&["plugin", "test", &ws], &[]);
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    assert!(
        format!("{}{}", test.stdout, test.stderr).contains("test result: ok. 2 passed"),
        "{}\n{}",
        test.stdout,
        test.stderr
    );

    let spec = dir.join("tests/denied/env.kdl").display().to_string();
    let config = dir.join("idp.kdl").display().to_string();
    let check = s.idp(&["check", &spec, "--config", &config]);
    assert_eq!(check.code, 1, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains(
            "6:10  deny           team-rule/team-allowed  team `marketing` may not own environments"
        ),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stderr
            .contains("╭─[[SANDBOX]/team-rule/tests/denied/env.kdl:6:10]\n 5 │     owner \"alice@acme.io\"\n 6 │     team marketing"),
        "{}",
        check.stderr
    );
}

/// A folder holding several plugin workspaces (each with its own `[workspace]`, as
/// `idp plugin new` makes them) is built and tested as each of them, into each one's
/// own catalog.
#[test]
fn a_folder_of_plugin_workspaces_builds_and_tests_each() {
    let s = Sandbox::new();
    let folder = s.path().join("plugins");
    assert_eq!(
        new(&s, "template", "site-a", &folder.join("site-a")).code,
        0
    );
    assert_eq!(new(&s, "policy", "rule-b", &folder.join("rule-b")).code, 0);
    let path = folder.display().to_string();

    let build = s.idp_guest(&["plugin", "build", &path], &[]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(
        folder
            .join("site-a/catalog/templates/site-a.wasm")
            .is_file()
    );
    assert!(folder.join("rule-b/catalog/policies/rule-b.wasm").is_file());
    assert!(
        build.stdout.contains("template site-a 0.1.0"),
        "{}",
        build.stdout
    );
    assert!(
        build.stdout.contains("policy rule-b 0.1.0"),
        "{}",
        build.stdout
    );

    let test = s.idp_guest(&["plugin", "test", &path], &[]);
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    assert!(
        test.stdout.contains("test result: ok. 3 passed"),
        "{}",
        test.stdout
    );
}

/// Two workspaces sharing a target directory (as docs/authoring.md recommends) with a
/// crate of one name: each gets the component its own source builds, not the other's.
#[test]
fn workspaces_sharing_a_target_dir_each_get_their_own_component() {
    let s = Sandbox::new();
    let (a, b) = (s.path().join("a"), s.path().join("b"));
    for (dir, summary) in [(&a, "the bucket of team a"), (&b, "the bucket of team b")] {
        assert_eq!(new(&s, "template", "shared-name", dir).code, 0);
        let lib = dir.join("src/lib.rs");
        let source = read(&lib).replace("a private, encrypted S3 bucket per environment", summary);
        std::fs::write(&lib, source).expect("lib.rs");
    }
    for dir in [&a, &b] {
        let build = s.idp_guest(&["plugin", "build", &dir.display().to_string()], &[]);
        assert_eq!(build.code, 0, "{}", build.stderr);
    }
    for (dir, summary) in [(&a, "the bucket of team a"), (&b, "the bucket of team b")] {
        let file = dir.join("catalog/templates/shared-name.wasm");
        let inspect = s.idp(&["plugin", "inspect", &file.display().to_string()]);
        assert_eq!(inspect.code, 0, "{}", inspect.stderr);
        assert!(inspect.stdout.contains(summary), "{}", inspect.stdout);
    }
}
