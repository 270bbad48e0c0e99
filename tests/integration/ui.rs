//! Diagnostics as golden files: `tests/ui/<case>.kdl` is planned with the
//! configuration beside it, and its exit code and stderr must equal `<case>.stderr`.
//! Set `IDP_BLESS=1` to rewrite the golden files after a deliberate change.

use crate::harness::{Sandbox, repo};

#[test]
fn diagnostics_match_their_golden_files() {
    let dir = repo().join("tests/ui");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/ui")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "kdl")
                && p.file_name().is_some_and(|n| n != "idp.kdl")
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the golden cases are missing");
    let bless = std::env::var_os("IDP_BLESS").is_some();
    let mut failures = Vec::new();
    let sandbox = Sandbox::new();
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let run = sandbox.idp(&["plan", &format!("tests/ui/{name}")]);
        let actual = format!("exit: {}\n---\n{}", run.code, run.stderr);
        let golden = case.with_extension("stderr");
        if bless {
            std::fs::write(&golden, &actual).expect("write golden file");
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            failures.push(format!("--- {}\n+++ actual\n{actual}", golden.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "golden files differ (IDP_BLESS=1 to accept):\n{}",
        failures.join("\n")
    );
}
