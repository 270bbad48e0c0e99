//! `idp plan` and `idp validate` on the examples: what a developer reads and what a
//! script parses.

use crate::harness::{Sandbox, repo};

#[test]
fn plan_prints_tags_expiry_findings_and_module_calls() {
    let s = Sandbox::new();
    let run = s.idp(&["plan", "examples/orders-preview.kdl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    assert_eq!(run.stderr, "", "a clean plan prints nothing on stderr");
    assert!(!s.state().exists(), "plan writes no state");
}

#[test]
fn plan_json_carries_the_same_as_the_text() {
    let s = Sandbox::new();
    let run = s.idp(&["plan", "examples/orders-preview.kdl", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let env = &doc["environments"][0];
    assert_eq!(env["expires_at"], "2026-11-30T10:00:00Z");
    assert_eq!(env["tags"]["idp:owner"], "alice@acme.io");
    assert_eq!(env["calls"].as_array().map(Vec::len), Some(3));
    let digest = env["plan_digest"].as_str().unwrap_or_default();
    assert!(run.stdout.len() > 100 && digest.starts_with("sha256:"));
    let text = s.idp(&["plan", "examples/orders-preview.kdl"]).stdout;
    assert!(
        text.contains(digest),
        "the text shows the same digest as the JSON"
    );
    insta::assert_json_snapshot!(doc, {".environments[].plan_digest" => "[digest]"});
}

#[test]
fn every_example_plans_cleanly() {
    let s = Sandbox::new();
    let mut specs: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .expect("examples/")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".kdl") && n != "idp.kdl")
        .map(|n| format!("examples/{n}"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 6, "the examples are missing: {specs:?}");
    for spec in &specs {
        let spec = spec.as_str();
        let run = s.idp(&["plan", spec, "--format", "json"]);
        assert_eq!(run.code, 0, "{spec}: {}", run.stderr);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        for env in doc["environments"].as_array().into_iter().flatten() {
            assert_eq!(env["findings"], serde_json::json!([]), "{spec}");
        }
    }
}

#[test]
fn one_environment_of_several_can_be_chosen() {
    let s = Sandbox::new();
    let run = s.idp(&[
        "plan",
        "examples/checkout-envs.kdl",
        "--env",
        "checkout-review",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["environments"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["environments"][0]["ttl"], "36h");
    let missing = s.idp(&["plan", "examples/checkout-envs.kdl", "--env", "nope"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("environments here: checkout-staging, checkout-review"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_wrong_type_exits_2_at_its_line_and_column_in_json_too() {
    let s = Sandbox::new();
    let run = s.idp(&[
        "validate",
        "tests/ui/cpu-not-integer.kdl",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("problems as JSON");
    let p = &doc["problems"][0];
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(12), Some(13))
    );
    assert_eq!(p["code"], "idp::spec::invalid_value");
}

#[test]
fn validate_stops_before_policies() {
    let s = Sandbox::new();
    let run = s.idp(&["validate", "tests/ui/ttl-above-maximum.kdl"]);
    assert_eq!(
        run.code, 0,
        "validate checks the spec, not the policies: {}",
        run.stderr
    );
}

#[test]
fn a_missing_project_config_says_how_to_create_one() {
    let s = Sandbox::new();
    let spec = s.path().join("env.kdl");
    std::fs::copy(
        crate::harness::repo().join("examples/orders-preview.kdl"),
        &spec,
    )
    .expect("copy");
    let run = s.idp(&["plan", &spec.display().to_string()]);
    assert_eq!(run.code, 2);
    assert!(
        run.flat_stderr()
            .contains("no `idp.kdl` in `[SANDBOX]` or any directory above it"),
        "{}",
        run.stderr
    );
    assert!(run.flat_stderr().contains("policy required-tags"));
}

#[test]
fn invalid_policy_settings_point_into_idp_kdl() {
    let s = Sandbox::new();
    let run = s.idp(&["plan", "tests/fixtures/bad-settings/env.kdl"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn an_unknown_policy_gets_a_suggestion() {
    let s = Sandbox::new();
    let run = s.idp(&["plan", "tests/fixtures/unknown-policy/env.kdl"]);
    assert_eq!(run.code, 2);
    assert!(
        run.flat_stderr().contains("unknown policy `max-tll`"),
        "{}",
        run.stderr
    );
    assert!(
        run.flat_stderr().contains("did you mean `max-ttl`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_teaches_and_completions_generate() {
    let s = Sandbox::new();
    let help = s.idp(&["apply", "--help"]);
    assert!(
        help.stdout.contains("idp apply env.kdl --yes"),
        "{}",
        help.stdout
    );
    let bash = s.idp(&["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(
        bash.stdout.contains("idp__subcmd__catalog"),
        "bash completions cover subcommands"
    );
}

#[test]
fn a_usage_block_overrides_the_bill_assumptions() {
    let s = Sandbox::new();
    let run = s.idp(&["plan", "tests/fixtures/usage/env.kdl", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let bill = doc["environments"][0]["bill"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let quantity = |usage_type: &str| {
        bill.iter()
            .find(|b| b["usage_type"] == usage_type)
            .map(|b| b["quantity"].clone())
    };
    assert_eq!(quantity("NatGateway-Bytes"), Some(serde_json::json!(50.0)));
    assert_eq!(
        quantity("DataProcessing-Bytes"),
        Some(serde_json::json!(12.5))
    );
    assert_eq!(quantity("LCUUsage"), Some(serde_json::json!(2.5)));
}
