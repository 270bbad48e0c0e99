//! Comparing what a case produced with its golden files, and writing them (`--bless`).

use std::path::Path;
use std::time::Duration;

use crate::case::{CaseFiles, Produced};
use crate::{Golden, GoldenResult, GoldenStatus, Status};

/// Lines of a diff shown before the rest is only counted.
const MAX_DIFF_LINES: usize = 200;

/// A case's verdict.
pub(crate) struct Judged {
    pub status: Status,
    pub goldens: Vec<GoldenResult>,
    pub error: Option<String>,
}

/// Compares the goldens present (blessing: writes them, or the default set when there
/// are none). A case that cannot produce one of them writes nothing.
pub(crate) fn judge(files: &CaseFiles, produced: &Produced, dir: &Path, bless: bool) -> Judged {
    let present: Vec<Golden> = files.goldens.iter().map(|(g, _)| *g).collect();
    if present.is_empty() && !bless {
        let wanted: Vec<&str> = default_set(produced).iter().map(|g| g.file()).collect();
        return Judged {
            status: Status::Failed,
            goldens: Vec::new(),
            error: Some(format!(
                "no golden file: `idp plugin test --bless` writes {} from what the case produces now",
                wanted.join(", ")
            )),
        };
    }
    let wanted = if present.is_empty() {
        default_set(produced)
    } else {
        present
    };
    let mut results = Vec::new();
    let mut writes = Vec::new();
    for golden in wanted {
        let expected = files
            .goldens
            .iter()
            .find(|(g, _)| *g == golden)
            .map(|(_, t)| t.as_str());
        let status = match (expected, actual(produced, golden)) {
            (_, Err(reason)) => GoldenStatus::Unproduced(reason),
            (Some(exp), Ok(act)) if same(golden, exp, &act) => GoldenStatus::Passed,
            (_, Ok(act)) if bless => {
                writes.push((golden, act));
                GoldenStatus::Written
            }
            (exp, Ok(act)) => GoldenStatus::Differs(diff(golden, exp.unwrap_or_default(), &act)),
        };
        results.push(GoldenResult { golden, status });
    }
    let unproduced = results
        .iter()
        .any(|r| matches!(r.status, GoldenStatus::Unproduced(_)));
    if unproduced {
        // All or nothing: a half-blessed case would pass for the wrong reasons.
        for r in &mut results {
            if r.status == GoldenStatus::Written {
                r.status = GoldenStatus::Unproduced(
                    "not written: another golden of this case cannot be produced".into(),
                );
            }
        }
    } else {
        for (golden, text) in writes {
            if let Err(e) = write(dir, golden, &text)
                && let Some(r) = results.iter_mut().find(|r| r.golden == golden)
            {
                r.status = GoldenStatus::Unproduced(e);
            }
        }
    }
    Judged {
        status: verdict(&results),
        goldens: results,
        error: None,
    }
}

fn verdict(results: &[GoldenResult]) -> Status {
    if results.iter().any(|r| {
        matches!(
            r.status,
            GoldenStatus::Differs(_) | GoldenStatus::Unproduced(_)
        )
    }) {
        Status::Failed
    } else if results.iter().any(|r| r.status == GoldenStatus::Written) {
        Status::Blessed
    } else {
        Status::Passed
    }
}

/// What `--bless` writes for a case without goldens.
fn default_set(produced: &Produced) -> Vec<Golden> {
    match produced {
        Produced::Diagnostics(_) => vec![Golden::Diagnostics],
        Produced::Planned { policies: true, .. } => vec![Golden::Findings],
        Produced::Planned { outputs, .. } => {
            let one_env = outputs
                .iter()
                .any(|(g, text)| *g == Golden::MainTf && text.is_ok());
            if one_env {
                vec![Golden::MainTf, Golden::Tfvars, Golden::Findings]
            } else {
                vec![Golden::Findings]
            }
        }
    }
}

/// What the case produced for a golden, or why it produced none.
fn actual(produced: &Produced, golden: Golden) -> Result<String, String> {
    match (produced, golden) {
        (Produced::Diagnostics(text), Golden::Diagnostics) => Ok(text.clone()),
        (Produced::Diagnostics(text), g) => Err(format!(
            "the spec has input errors, so there is no `{}`:\n{text}",
            g.file()
        )),
        (Produced::Planned { outputs, .. }, g) => outputs
            .iter()
            .find(|(o, _)| *o == g)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Err(format!("no `{}` produced", g.file()))),
    }
}

/// JSON compares as JSON; the rest as text.
fn same(golden: Golden, expected: &str, actual: &str) -> bool {
    if golden.is_json() {
        let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
        if let (Some(e), Some(a)) = (parse(expected), parse(actual)) {
            return e == a;
        }
    }
    expected == actual
}

/// A unified diff from the golden to what the case produced, at most
/// [`MAX_DIFF_LINES`] lines. A JSON golden is shown in the form `--bless` writes, so
/// the diff shows what differs, not how the author formatted it.
fn diff(golden: Golden, expected: &str, actual: &str) -> String {
    let canonical = golden
        .is_json()
        .then(|| serde_json::from_str::<serde_json::Value>(expected).ok())
        .flatten()
        .map(|v| crate::case::json_text(&v));
    let expected = canonical.as_deref().unwrap_or(expected);
    let text = similar::TextDiff::configure()
        .timeout(Duration::from_secs(2))
        .diff_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{} (golden)", golden.file()),
            &format!("{} (this run)", golden.file()),
        )
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_DIFF_LINES {
        return text;
    }
    let mut out: String = lines[..MAX_DIFF_LINES]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!(
        "… {} more lines of diff\n",
        lines.len() - MAX_DIFF_LINES
    ));
    out
}

/// Writes a golden inside the case directory, atomically: the rename replaces a symlink
/// rather than writing where it points.
fn write(dir: &Path, golden: Golden, text: &str) -> Result<(), String> {
    idp_state::write_atomically(&dir.join(golden.file()), text.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", golden.file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(goldens: &[(Golden, &str)]) -> CaseFiles {
        CaseFiles {
            env: String::new(),
            config: None,
            goldens: goldens.iter().map(|(g, t)| (*g, (*t).to_owned())).collect(),
        }
    }

    fn planned(findings: Result<&str, &str>) -> Produced {
        Produced::Planned {
            outputs: vec![(
                Golden::Findings,
                findings.map(str::to_owned).map_err(str::to_owned),
            )],
            policies: true,
        }
    }

    #[test]
    fn json_goldens_compare_as_json_and_text_as_text() {
        assert!(same(
            Golden::Findings,
            "{\"a\": 1, \"b\": 2}",
            "{\"b\":2,\"a\":1}\n"
        ));
        assert!(!same(Golden::MainTf, "a = 1\n", "a  = 1\n"));
    }

    #[test]
    fn a_mismatch_is_a_unified_diff_cut_at_its_limit() {
        let shown = diff(Golden::MainTf, "a\nb\n", "a\nc\n");
        assert!(shown.contains("--- main.tf (golden)\n+++ main.tf (this run)\n"));
        assert!(shown.contains("-b\n+c\n"));
        let json = diff(Golden::Findings, "{\"x\": [1]}", "{\n  \"x\": []\n}\n");
        assert!(
            json.contains("-  \"x\": [\n-    1\n-  ]\n+  \"x\": []\n"),
            "{json}"
        );
        let long: String = (0..1000).map(|n| format!("{n}\n")).collect();
        let cut = diff(Golden::MainTf, "", &long);
        assert_eq!(cut.lines().count(), MAX_DIFF_LINES + 1);
        assert!(cut.ends_with("more lines of diff\n"));
    }

    #[test]
    fn blessing_a_case_that_cannot_produce_a_golden_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let case = files(&[(Golden::Findings, "[]"), (Golden::Bill, "{}")]);
        let produced = Produced::Planned {
            outputs: vec![
                (Golden::Findings, Ok("{\"x\": []}\n".into())),
                (Golden::Bill, Err("no bill".into())),
            ],
            policies: true,
        };
        let judged = judge(&case, &produced, dir.path(), true);
        assert_eq!(judged.status, Status::Failed);
        assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none());
    }

    #[test]
    fn without_goldens_a_case_fails_and_names_what_bless_would_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let judged = judge(&files(&[]), &planned(Ok("{}")), dir.path(), false);
        assert_eq!(judged.status, Status::Failed);
        assert!(
            judged
                .error
                .expect("error")
                .contains("writes findings.json")
        );
        let judged = judge(&files(&[]), &planned(Ok("{}")), dir.path(), true);
        assert_eq!(judged.status, Status::Blessed);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("findings.json")).expect("written"),
            "{}"
        );
    }
}
