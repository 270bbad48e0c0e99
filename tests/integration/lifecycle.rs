//! After apply: `status`, `extend` (judged by the policies) and `sweep --dry-run` on the
//! local state directory.

use crate::harness::{Sandbox, record};

const SPEC: &str = "examples/hello.kdl";

fn applied() -> Sandbox {
    let s = Sandbox::new();
    let run = s.idp(&["apply", SPEC, "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    s
}

#[test]
fn extend_within_the_class_maximum_is_recorded_and_survives_a_re_apply() {
    let s = applied();
    let run = s.idp(&["extend", "hello-preview", "3d"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "`hello-preview` now expires 2026-11-27 10:00 UTC (in 4d; a lifetime of 4d)\n"
    );
    let r = record(&s, "hello-preview");
    assert_eq!(r["expires_at"], "2026-11-27T10:00:00Z");
    assert_eq!(r["extended_until"], "2026-11-27T10:00:00Z");
    assert_eq!(r["ttl"], "4d");

    // Applying the unchanged spec (ttl 1d) keeps the extension.
    let again = s.idp(&["apply", SPEC, "--yes"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        record(&s, "hello-preview")["expires_at"],
        "2026-11-27T10:00:00Z"
    );
    let status = s.idp(&["status", "hello-preview"]);
    assert_eq!(
        status.stdout,
        "hello-preview  PENDING  expires 2026-11-27 10:00 UTC (in 4d)  0.00 USD/month\n"
    );
}

#[test]
fn extend_beyond_the_class_maximum_is_denied_at_the_ttl_line_and_changes_nothing() {
    let s = applied();
    let before =
        std::fs::read(s.state().join("environments/hello-preview/metadata.json")).expect("record");
    let run = s.idp(&["extend", "hello-preview", "14d"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains("deny (hello-preview): TTL `15d` is above the preview maximum of `14d`"),
        "{err}"
    );
    assert!(
        err.contains("9 │     ttl \"1d\""),
        "points at the spec's ttl: {err}"
    );
    assert!(
        err.contains("not extended: a policy denies a lifetime of 15d for `hello-preview`"),
        "{err}"
    );
    let after =
        std::fs::read(s.state().join("environments/hello-preview/metadata.json")).expect("record");
    assert_eq!(before, after, "the record is untouched");

    for (args, message) in [
        (
            ["extend", "hello-preview", "soon"],
            "`soon` is not a length of time to extend by",
        ),
        (["extend", "nobody", "1d"], "no environment `nobody`"),
    ] {
        let run = s.idp(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(message), "{}", run.stderr);
    }
}

#[test]
fn sweep_dry_run_on_local_state_lists_and_writes_nothing() {
    let s = applied();
    let nothing = s.idp(&["sweep", "--dry-run", "--warn-within", "12h"]);
    assert_eq!(nothing.code, 0, "{}", nothing.stderr);
    assert!(
        nothing
            .stdout
            .starts_with("nothing expired or expiring within 12h in "),
        "{}",
        nothing.stdout
    );

    let soon = s.run_with(
        &["sweep", "--dry-run"],
        &[("IDP_NOW", "2026-11-24T09:00:00Z")],
    );
    assert_eq!(
        soon.stdout,
        "warning: expires soon  hello-preview  PENDING  expires 2026-11-24 10:00 UTC (in 1h 0m)  0.00 USD/month\n"
    );
    let before = crate::harness::tree(&s.state());
    let late = s.run_with(
        &["sweep", "--dry-run", "--format", "json"],
        &[("IDP_NOW", "2026-11-25T09:00:00Z")],
    );
    let swept: serde_json::Value = serde_json::from_str(&late.stdout).expect("JSON");
    assert_eq!(swept["dry_run"], true);
    assert_eq!(swept["expired"][0]["name"], "hello-preview");
    assert_eq!(swept["expired"][0]["relative"], "23h 0m ago");
    assert_eq!(crate::harness::tree(&s.state()), before);

    // Without --dry-run, a project on the local executor is told how to destroy.
    let real = s.run_with(&["sweep", "--yes"], &[("IDP_NOW", "2026-11-25T09:00:00Z")]);
    assert_eq!(real.code, 2, "{}", real.stderr);
    assert!(
        real.stderr
            .contains("`idp sweep` destroys through the github executor"),
        "{}",
        real.stderr
    );
}
