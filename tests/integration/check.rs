//! `idp check` over directories of specs: every finding at its line, the same findings in
//! every output format, SARIF that passes the SARIF 2.1.0 schema, waivers and exit codes.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{Sandbox, repo};

/// (file, line, rule) of every finding: what each format must agree on.
type Places = Vec<(String, u64, String)>;

fn sorted(mut v: Places) -> Places {
    v.sort();
    v
}

fn from_json(text: &str) -> Places {
    let doc: Value = serde_json::from_str(text).expect("JSON");
    let mut out = Vec::new();
    for f in doc["files"].as_array().into_iter().flatten() {
        for i in f["findings"].as_array().into_iter().flatten() {
            out.push((
                f["path"].as_str().unwrap_or_default().to_owned(),
                i["line"].as_u64().unwrap_or_default(),
                i["rule"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    sorted(out)
}

fn from_sarif(doc: &Value) -> Places {
    let results = doc["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    sorted(
        results
            .iter()
            .map(|r| {
                let loc = &r["locations"][0]["physicalLocation"];
                (
                    loc["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    loc["region"]["startLine"].as_u64().unwrap_or_default(),
                    r["ruleId"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
    )
}

fn from_github(text: &str) -> Places {
    let unescape = |s: &str| {
        s.replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("::")) {
        let props = line.split("::").nth(1).unwrap_or_default();
        let props = props.split_once(' ').map(|(_, p)| p).unwrap_or_default();
        let get = |key: &str| {
            props
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .map(unescape)
                .unwrap_or_default()
        };
        let title = get("title");
        let rule = title.split(" (").next().unwrap_or_default().to_owned();
        out.push((get("file"), get("line").parse().unwrap_or_default(), rule));
    }
    sorted(out)
}

fn from_junit(text: &str) -> Places {
    let mut out = Vec::new();
    for line in text.lines() {
        // Each item is one line `path:line:col: status rule: message` inside a testcase.
        let line = line.rsplit('>').next().unwrap_or(line);
        let mut parts = line.splitn(4, ':');
        let (Some(path), Some(l), Some(_col), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(l) = l.parse() else { continue };
        let head = rest.split_once(": ").map(|(h, _)| h).unwrap_or_default();
        let rule = head.rsplit(' ').next().unwrap_or_default().to_owned();
        out.push((path.trim().to_owned(), l, rule));
    }
    sorted(out)
}

fn from_markdown(text: &str) -> Places {
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() == 6 && cells[1].starts_with('`') {
            out.push((
                cells[1].trim_matches('`').to_owned(),
                cells[2].parse().unwrap_or_default(),
                cells[4].trim_matches('`').to_owned(),
            ));
        }
    }
    sorted(out)
}

/// The first finding of the first file with this rule id, in a JSON report.
fn finding(doc: &Value, rule: &str) -> Value {
    doc["files"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == rule)
        .cloned()
        .unwrap_or_default()
}

const PATHS: [&str; 2] = ["examples", "tests/fixtures/check"];

fn check(s: &Sandbox, format: &str) -> crate::harness::Run {
    let mut args = vec!["check"];
    args.extend(PATHS);
    args.extend(["--format", format]);
    s.idp(&args)
}

#[test]
fn every_format_reports_the_same_findings_at_the_same_lines() {
    let s = Sandbox::new();
    let json = check(&s, "json");
    assert_eq!(
        json.code, 1,
        "a deny finding fails the check: {}",
        json.stderr
    );
    let expected = from_json(&json.stdout);
    assert!(
        expected.len() >= 15,
        "the fixtures report plenty: {expected:?}"
    );
    let sarif: Value = serde_json::from_str(&check(&s, "sarif").stdout).expect("SARIF is JSON");
    assert_eq!(from_sarif(&sarif), expected, "sarif");
    assert_eq!(from_github(&check(&s, "github").stdout), expected, "github");
    assert_eq!(from_junit(&check(&s, "junit").stdout), expected, "junit");
    assert_eq!(
        from_markdown(&check(&s, "markdown").stdout),
        expected,
        "markdown"
    );
    let human = check(&s, "human");
    for (file, line, rule) in &expected {
        assert!(
            human.stderr.contains(&format!("[{file}:{line}:")),
            "human output shows {rule} at {file}:{line}"
        );
    }
}

#[test]
fn sarif_output_passes_the_sarif_2_1_0_schema() {
    let s = Sandbox::new();
    let text = std::fs::read_to_string(repo().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
        .expect("schema fixture");
    // The published schema's `language` pattern has a stray `]`, which an ECMA regex reads
    // as a literal and Rust's regex crates refuse; `\]` is the same literal, spelled so
    // both agree. Nothing else in the schema is touched.
    let stray = r#"{2}-[a-zA-Z]{2}]?$"#;
    assert!(text.contains(stray), "the fixture is the published schema");
    let text = text.replace(stray, r#"{2}-[a-zA-Z]{2}\\]?$"#);
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let sarif: Value = serde_json::from_str(&check(&s, "sarif").stdout).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "deny".into();
    assert!(
        !validator.is_valid(&broken),
        "the schema does catch a wrong level"
    );
    // One descriptor per rule id, with help, and every result names a described rule.
    let driver = &sarif["runs"][0]["tool"]["driver"];
    let rules: BTreeSet<&str> = driver["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["help"]["text"].as_str().is_some_and(|h| !h.is_empty()))
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(rules.contains("max-ttl/ttl-above-maximum") && rules.contains("idp/waiver-expired"));
    for r in sarif["runs"][0]["results"].as_array().into_iter().flatten() {
        let id = r["ruleId"].as_str().unwrap_or_default();
        assert!(rules.contains(id), "{id} has a descriptor");
        let index = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(driver["rules"][index]["id"], id, "ruleIndex points at {id}");
    }
    // Waived findings are accepted suppressions with the waiver's justification.
    let waived: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(waived.len(), 2);
    assert_eq!(waived[0]["suppressions"][0]["status"], "accepted");
    assert_eq!(waived[0]["suppressions"][0]["kind"], "external");
    assert_eq!(
        waived[1]["suppressions"][0]["justification"],
        "customer demo through January (owner bob@acme.io, until 2027-01-31)"
    );
}

#[test]
fn check_shows_each_file_and_the_totals() {
    let s = Sandbox::new();
    let run = s.idp(&["check", "tests/fixtures/check"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("check_human_stdout", run.stdout);
}

#[test]
fn the_markdown_summary_lists_findings_and_waivers() {
    let s = Sandbox::new();
    let summary = s.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("summary file");
    let run = s.idp(&[
        "check",
        "tests/fixtures/check",
        "--format",
        "sarif",
        "--output",
        &s.path().join("out.sarif").display().to_string(),
        "--summary",
        &summary.display().to_string(),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "the report went to --output");
    let text = std::fs::read_to_string(&summary).expect("summary written");
    assert!(
        text.starts_with("earlier step\n"),
        "the summary is appended"
    );
    insta::assert_snapshot!("check_markdown_summary", text);
}

#[test]
fn waivers_accept_until_their_date_then_fail_the_run() {
    let s = Sandbox::new();
    let waived = s.idp(&[
        "check",
        "tests/fixtures/check/specs/waived.kdl",
        "--format",
        "json",
    ]);
    assert_eq!(
        waived.code, 0,
        "a waived deny and an unused waiver do not fail: {}",
        waived.stderr
    );
    let doc: Value = serde_json::from_str(&waived.stdout).expect("JSON");
    let by_rule = |rule: &str| finding(&doc, rule);
    assert_eq!(
        by_rule("max-ttl/ttl-above-maximum")["status"],
        "waived deny"
    );
    assert_eq!(
        by_rule("max-ttl/ttl-above-maximum")["waived"]["owner"],
        "bob@acme.io"
    );
    assert_eq!(by_rule("idp/waiver-unused")["severity"], "warn");
    assert_eq!(by_rule("idp/waiver-unused")["line"], 14);

    let strict = s.idp(&[
        "check",
        "tests/fixtures/check/specs/waived.kdl",
        "--fail-on",
        "warn",
    ]);
    assert_eq!(strict.code, 1, "--fail-on warn fails on the unused waiver");

    // The same waiver on the day after its `until` is spent.
    let later = s.run_with(
        &[
            "check",
            "tests/fixtures/check/specs/waived.kdl",
            "--format",
            "json",
        ],
        &[("IDP_NOW", "2027-02-01T00:00:00Z")],
    );
    assert_eq!(later.code, 1);
    let doc: Value = serde_json::from_str(&later.stdout).expect("JSON");
    let messages: Vec<&str> = doc["files"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["blocks"] == true)
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "TTL `21d` is above the preview maximum of `14d`",
            "waiver for ttl-above-maximum expired on 2027-01-31",
            "waiver for image-latest expired on 2027-01-31"
        ]
    );
}

#[test]
fn advisory_policies_report_without_failing() {
    let s = Sandbox::new();
    let run = s.idp(&[
        "check",
        "tests/fixtures/check/specs/clean.kdl",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let naming = finding(&doc, "naming/name-team-prefix");
    assert_eq!(
        finding(&doc, "max-monthly-cost/no-estimate"),
        Value::Null,
        "a us-east-1 preview is priced, so max-monthly-cost judged the estimate"
    );
    assert_eq!(naming["status"], "advisory deny");
    assert_eq!(naming["blocks"], false);
}

#[test]
fn input_errors_exit_2_and_never_hide_the_other_files() {
    let s = Sandbox::new();
    let run = s.idp(&["check", "tests/fixtures/check-invalid", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["summary"]["input_errors"], 2);
    assert_eq!(
        doc["summary"]["environments"], 1,
        "fine.kdl was still judged"
    );
    let rules: Vec<&str> = doc["files"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        ["idp::spec::invalid_value", "idp::spec::unknown_field"]
    );
}

#[test]
fn a_path_without_specs_is_a_usage_error() {
    let s = Sandbox::new();
    let run = s.idp(&["check", "modules"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no environment specs under `modules`"),
        "{}",
        run.stderr
    );
    let missing = s.idp(&["check", "no/such/dir"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read `no/such/dir`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn reused_instances_judge_exactly_as_fresh_ones() {
    let s = Sandbox::new();
    let reused = check(&s, "json");
    let mut args = vec!["check"];
    args.extend(PATHS);
    args.extend(["--format", "json", "--strict", "--jobs", "1"]);
    let strict = s.idp(&args);
    assert_eq!(strict.code, reused.code);
    assert_eq!(from_json(&strict.stdout), from_json(&reused.stdout));
    assert_eq!(strict.stdout, reused.stdout, "identical reports");
}

#[test]
fn a_broken_idp_kdl_is_reported_at_its_line_with_exit_2() {
    let s = Sandbox::new();
    let run = s.idp(&[
        "check",
        "tests/fixtures/unknown-policy",
        "tests/fixtures/bad-settings",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let found = from_json(&run.stdout);
    assert_eq!(
        found,
        [
            (
                "tests/fixtures/bad-settings/idp.kdl".to_owned(),
                2,
                "idp::spec::invalid_value".to_owned()
            ),
            (
                "tests/fixtures/bad-settings/idp.kdl".to_owned(),
                3,
                "idp::spec::unknown_field".to_owned()
            ),
            (
                "tests/fixtures/unknown-policy/idp.kdl".to_owned(),
                1,
                "idp::config::unknown_policy".to_owned()
            ),
        ]
    );
    assert_eq!(
        doc["summary"]["environments"], 0,
        "their specs are not judged"
    );
}

#[test]
fn a_stale_idp_kdl_waiver_is_reported_only_when_its_specs_were_checked() {
    let s = Sandbox::new();
    let all = s.idp(&["check", "tests/fixtures/check", "--format", "json"]);
    let stale: Vec<_> = from_json(&all.stdout)
        .into_iter()
        .filter(|(_, _, rule)| rule == "idp/waiver-unused")
        .collect();
    assert_eq!(
        stale,
        [
            (
                "tests/fixtures/check/idp.kdl".to_owned(),
                28,
                "idp/waiver-unused".to_owned()
            ),
            (
                "tests/fixtures/check/specs/waived.kdl".to_owned(),
                14,
                "idp/waiver-unused".to_owned()
            ),
        ]
    );
    let part = s.idp(&["check", "tests/fixtures/check/specs", "--format", "json"]);
    assert!(
        !from_json(&part.stdout)
            .iter()
            .any(|(file, _, _)| file == "tests/fixtures/check/idp.kdl"),
        "legacy/ was not checked, so its waivers are not judged stale"
    );
}

#[test]
fn a_policy_is_called_only_for_the_classes_it_judges() {
    let s = Sandbox::new();
    // A preview and a production spec under the 8 built-in policies: `production-guardrails`
    // says it judges production only, so the preview costs 7 calls and production 8.
    let specs = [
        "tests/fixtures/check/specs/clean.kdl",
        "tests/fixtures/check/specs/production.kdl",
    ];
    let mut args = vec!["check"];
    args.extend(specs);
    args.extend(["--stats", "--no-cache", "--format", "json"]);
    let run = s.idp(&args);
    assert!(run.stderr.contains(" ms over 15 calls "), "{}", run.stderr);
    // The calls that are made still judge: the production spec is told about its guardrails
    // exactly as before the policy said which classes it judges.
    let found = from_json(&run.stdout);
    assert!(
        found
            .iter()
            .any(|(file, _, rule)| file.ends_with("production.kdl")
                && rule.starts_with("production-guardrails/")),
        "{found:?}"
    );
}

#[test]
fn diagnostics_drawn_on_several_threads_come_in_file_order() {
    let s = Sandbox::new();
    let run = |jobs: &str| {
        let mut args = vec!["check"];
        args.extend(PATHS);
        args.extend(["--jobs", jobs]);
        s.idp(&args)
    };
    let (one, four) = (run("1"), run("4"));
    assert_eq!(one.stderr, four.stderr);
    // Each file's diagnostics come in the order of the report's files.
    let at = |path: &str| {
        one.stderr
            .find(&format!("╭─[tests/fixtures/check/{path}"))
            .unwrap_or(usize::MAX)
    };
    let order = [
        at("legacy/reports.kdl"),
        at("specs/expired.kdl"),
        at("specs/waived.kdl"),
    ];
    assert!(
        order.is_sorted() && order[2] < usize::MAX,
        "{order:?}\n{}",
        one.stderr
    );
}
