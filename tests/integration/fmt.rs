//! `idp fmt` and `idp validate` of several files, through the real binary: what is
//! rewritten, what `--check` lists, and that an invalid or KDL 1.0 file is left alone.

use crate::harness::Sandbox;

const MESSY: &str = "// the orders preview\nenvironment orders-preview{\n  template api-service\n\n\n  owner \"alice@acme.io\"   // who answers for it\n  class preview;region us-east-1\n  tags { cost-center engineering }\n}\n";

const TIDY: &str = "// the orders preview\nenvironment orders-preview {\n    template api-service\n\n    owner \"alice@acme.io\" // who answers for it\n    class preview\n    region us-east-1\n    tags {\n        cost-center engineering\n    }\n}\n";

fn write(s: &Sandbox, name: &str, text: &str) -> String {
    let path = s.path().join(name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).expect("read")
}

#[test]
fn fmt_rewrites_a_file_in_the_canonical_layout_keeping_comments() {
    let s = Sandbox::new();
    let spec = write(&s, "specs/env.kdl", MESSY);
    let run = s.idp(&["fmt", &s.path().join("specs").display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read(&spec), TIDY);
    assert_eq!(run.stdout, "[SANDBOX]/specs/env.kdl\n");
    // Idempotent: a second run changes and lists nothing.
    let again = s.idp(&["fmt", &spec]);
    assert_eq!((again.code, again.stdout.as_str()), (0, ""));
    assert_eq!(read(&spec), TIDY);
}

#[test]
fn fmt_check_lists_what_would_change_and_writes_nothing() {
    let s = Sandbox::new();
    let messy = write(&s, "a.kdl", MESSY);
    let tidy = write(&s, "b.kdl", TIDY);
    let run = s.idp(&["fmt", "--check", &messy, &tidy]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "[SANDBOX]/a.kdl\n");
    assert!(
        run.stderr.contains("1 file(s) not formatted"),
        "{}",
        run.stderr
    );
    assert_eq!(read(&messy), MESSY);
    let clean = s.idp(&["fmt", "--check", &tidy]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));
}

#[test]
fn fmt_reports_an_invalid_file_at_its_line_and_leaves_it_alone() {
    let s = Sandbox::new();
    let bad_text = "environment a {\n    owner \"unterminated\n}\n";
    let bad = write(&s, "bad.kdl", bad_text);
    let messy = write(&s, "messy.kdl", MESSY);
    let run = s.idp(&["fmt", &bad, &messy]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("idp::spec::syntax"), "{}", run.stderr);
    assert!(run.stderr.contains("bad.kdl:2:"), "{}", run.stderr);
    assert_eq!(read(&bad), bad_text);
    // The valid file beside it is still formatted.
    assert_eq!(read(&messy), TIDY);
}

#[test]
fn fmt_converts_kdl_v1_only_when_asked() {
    let s = Sandbox::new();
    let v1 = "environment \"legacy\" {\n  enabled true\n  path r\"C:\\envs\"\n}\n";
    let file = write(&s, "legacy.kdl", v1);
    let refused = s.idp(&["fmt", &file]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("idp::fmt::kdl_v1"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.flat_stderr().contains("--convert-v1"),
        "{}",
        refused.stderr
    );
    assert_eq!(read(&file), v1);
    let run = s.idp(&["fmt", "--convert-v1", &file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&file),
        "environment \"legacy\" {\n    enabled #true\n    path #\"C:\\envs\"#\n}\n"
    );
}

#[test]
fn fmt_of_a_missing_path_is_a_usage_error() {
    let s = Sandbox::new();
    let run = s.idp(&["fmt", &s.path().join("nope").display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("idp::fmt::unreadable"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn fmt_keeps_a_symlink_and_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::new();
    let real = write(&s, "real/env.kdl", MESSY);
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = s.path().join("link.kdl");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let run = s.idp(&["fmt", &link.display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::symlink_metadata(&link).expect("link").is_symlink());
    assert_eq!(read(&real), TIDY);
    let mode = std::fs::metadata(&real).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_examples_are_formatted() {
    let s = Sandbox::new();
    let run = s.idp(&["fmt", "--check", "examples"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn validate_reports_each_file_and_exits_with_the_worst() {
    let s = Sandbox::new();
    let missing = s.path().join("missing.kdl").display().to_string();
    let ok = s.idp(&[
        "validate",
        "examples/orders-preview.kdl",
        "examples/hello.kdl",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    for name in ["orders-preview", "hello"] {
        assert!(ok.stdout.contains(name), "{name}: {}", ok.stdout);
    }
    let run = s.idp(&[
        "validate",
        "examples/orders-preview.kdl",
        &missing,
        "examples/hello.kdl",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("idp::usage::spec_unreadable"),
        "{}",
        run.stderr
    );
    // The files after the bad one are still reported.
    assert!(run.stdout.contains("hello"), "{}", run.stdout);
}
