//! A run as people and CI read it: human text, JSON (`docs/json-output.md`) and JUnit
//! XML. Case names, diffs and errors quote plugins and file names: the human text is
//! made terminal-safe by the CLI, JSON by serde, XML here.

use std::fmt::Write;
use std::time::Duration;

use serde_json::{Value, json};

use idp_report::xml_text;

use crate::{CaseResult, GoldenStatus, Report, Status};

/// Version of the JSON document.
const JSON_VERSION: u32 = 1;

fn millis(d: Duration) -> u128 {
    d.as_millis()
}

/// What went wrong in a case, as text: each failing golden and its diff, or the error.
fn failure_text(case: &CaseResult) -> String {
    let mut out = String::new();
    if let Some(e) = &case.error {
        writeln!(out, "{e}").ok();
    }
    for g in &case.goldens {
        match &g.status {
            GoldenStatus::Differs(diff) => {
                writeln!(
                    out,
                    "`{}` differs from what the case produces:",
                    g.golden.file()
                )
                .ok();
                out.push_str(diff);
            }
            GoldenStatus::Unproduced(reason) => {
                writeln!(out, "`{}`: {reason}", g.golden.file()).ok();
            }
            GoldenStatus::Passed | GoldenStatus::Written => {}
        }
    }
    out
}

fn written(case: &CaseResult) -> Vec<&'static str> {
    case.goldens
        .iter()
        .filter(|g| g.status == GoldenStatus::Written)
        .map(|g| g.golden.file())
        .collect()
}

/// One line per case, then every failure with its diff, then a summary.
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    for case in &report.cases {
        let label = match case.status {
            Status::Passed => "ok",
            Status::Blessed => "blessed",
            Status::Failed => "FAILED",
            Status::Error => "ERROR",
        };
        write!(
            out,
            "{label:<8}{} ({} ms)",
            case.name(),
            millis(case.duration)
        )
        .ok();
        if case.status == Status::Blessed {
            write!(out, ": wrote {}", written(case).join(", ")).ok();
        }
        out.push('\n');
    }
    let failing: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Failed | Status::Error))
        .collect();
    for case in &failing {
        write!(out, "\n---- {}\n{}", case.name(), failure_text(case)).ok();
    }
    let mut counts = vec![format!("{} passed", report.count(Status::Passed))];
    for status in [Status::Blessed, Status::Failed, Status::Error] {
        let n = report.count(status);
        if n > 0 {
            counts.push(format!("{n} {}", status.as_str()));
        }
    }
    writeln!(
        out,
        "\ntest result: {}. {} ({:.2} s)",
        if report.passed() { "ok" } else { "FAILED" },
        counts.join("; "),
        report.duration.as_secs_f64()
    )
    .ok();
    out
}

/// The JSON document of a run.
pub fn json(report: &Report) -> Value {
    let cases: Vec<Value> = report.cases.iter().map(case_json).collect();
    json!({
        "version": JSON_VERSION,
        "bless": report.bless,
        "passed": report.passed(),
        "counts": {
            "passed": report.count(Status::Passed),
            "blessed": report.count(Status::Blessed),
            "failed": report.count(Status::Failed),
            "error": report.count(Status::Error),
        },
        "duration_ms": millis(report.duration),
        "cases": cases,
    })
}

fn case_json(case: &CaseResult) -> Value {
    let goldens: Vec<Value> = case
        .goldens
        .iter()
        .map(|g| {
            let (status, detail) = match &g.status {
                GoldenStatus::Passed => ("passed", None),
                GoldenStatus::Written => ("written", None),
                GoldenStatus::Differs(diff) => ("differs", Some(("diff", diff))),
                GoldenStatus::Unproduced(reason) => ("unproduced", Some(("reason", reason))),
            };
            let mut v = json!({ "file": g.golden.file(), "status": status });
            if let Some((key, text)) = detail {
                v[key] = json!(text);
            }
            v
        })
        .collect();
    json!({
        "name": case.name(),
        "crate": case.krate,
        "case": case.case,
        "dir": case.dir,
        "status": case.status.as_str(),
        "duration_ms": millis(case.duration),
        "goldens": goldens,
        "error": case.error,
    })
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// JUnit XML: a test suite per crate, a test case per case; a mismatch is a failure, a
/// case that could not run an error.
pub fn junit(report: &Report) -> String {
    let mut crates: Vec<&str> = report.cases.iter().map(|c| c.krate.as_str()).collect();
    crates.dedup();
    let mut suites = String::new();
    for krate in crates {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.krate == krate).collect();
        let count = |s: Status| cases.iter().filter(|c| c.status == s).count();
        let time: Duration = cases.iter().map(|c| c.duration).sum();
        writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
            xml_text(krate),
            cases.len(),
            count(Status::Failed),
            count(Status::Error),
            seconds(time)
        )
        .ok();
        for case in cases {
            testcase(case, &mut suites);
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"idp plugin test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">\n{suites}</testsuites>\n",
        report.cases.len(),
        report.count(Status::Failed),
        report.count(Status::Error),
        seconds(report.duration)
    )
}

fn testcase(case: &CaseResult, out: &mut String) {
    write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        xml_text(&case.case),
        xml_text(&case.krate),
        seconds(case.duration)
    )
    .ok();
    let (element, message) = match case.status {
        Status::Passed => return out.push_str("/>\n"),
        Status::Blessed => {
            let text = format!("wrote {}", written(case).join(", "));
            writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                xml_text(&text)
            )
            .ok();
            return;
        }
        Status::Failed => ("failure", "a golden file differs or cannot be produced"),
        Status::Error => ("error", "the case could not run"),
    };
    writeln!(
        out,
        ">\n      <{element} message=\"{message}\">{}</{element}>\n    </testcase>",
        xml_text(&failure_text(case))
    )
    .ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Golden, GoldenResult};

    fn report(case: &str, status: GoldenStatus) -> Report {
        Report {
            cases: vec![CaseResult {
                krate: "policy-<x>".into(),
                case: case.into(),
                dir: "tests/x".into(),
                status: Status::Failed,
                goldens: vec![GoldenResult {
                    golden: Golden::Findings,
                    status,
                }],
                error: None,
                duration: Duration::from_millis(3),
            }],
            bless: false,
            duration: Duration::from_millis(5),
        }
    }

    #[test]
    fn junit_escapes_names_and_plugin_text() {
        let xml = junit(&report(
            "a\"<b>&\u{1b}",
            GoldenStatus::Differs("-</failure>\u{0}]]>\n".into()),
        ));
        assert!(xml.contains("name=\"a&quot;&lt;b&gt;&amp;?\""), "{xml}");
        assert!(xml.contains("-&lt;/failure&gt;?]]&gt;"), "{xml}");
        assert!(xml.contains("<testsuite name=\"policy-&lt;x&gt;\" tests=\"1\" failures=\"1\""));
        assert_eq!(xml.matches("</failure>").count(), 1);
    }

    #[test]
    fn human_shows_each_case_its_diff_and_a_summary() {
        let text = human(&report(
            "too-long",
            GoldenStatus::Differs("-a\n+b\n".into()),
        ));
        assert!(
            text.starts_with("FAILED  policy-<x>/too-long (3 ms)\n"),
            "{text}"
        );
        assert!(text.contains("---- policy-<x>/too-long\n`findings.json` differs from what the case produces:\n-a\n+b\n"));
        assert!(text.contains("test result: FAILED. 0 passed; 1 failed"));
    }
}
