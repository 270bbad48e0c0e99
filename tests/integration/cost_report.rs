//! Cost over time (issue 16, item 4): every apply keeps its estimate in the record, in
//! local and S3 state alike, and `idp cost report` accrues each environment from its
//! creation at the estimate in force, projects it to expiry and totals per group.

use serde_json::Value;

use crate::harness::{Moto, NOW, Run, Sandbox, record};

const FIRST: &str = "tests/fixtures/cost-report/first.kdl";
const SCALED: &str = "tests/fixtures/cost-report/scaled.kdl";
/// A day after the harness's clock: `api-a` is scaled up then.
const DAY_ONE: &str = "2026-11-24T10:00:00Z";
/// Two days after the harness's clock: the report is taken then.
const DAY_TWO: &str = "2026-11-25T10:00:00Z";

fn at(s: &Sandbox, now: &str, args: &[&str]) -> Run {
    let run = s.run_with(args, &[("IDP_NOW", now)]);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run
}

/// `first.kdl` applied now, `scaled.kdl` a day later.
fn applied_twice() -> Sandbox {
    let s = Sandbox::new();
    at(&s, NOW, &["apply", FIRST, "--yes"]);
    at(&s, DAY_ONE, &["apply", SCALED, "--yes"]);
    s
}

fn report(s: &Sandbox, extra: &[&str]) -> Value {
    let mut args = vec!["cost", "report", "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&at(s, DAY_TWO, &args).stdout).expect("report JSON")
}

fn monthly(r: &Value, i: usize) -> f64 {
    r["costs"][i]["monthly"].as_f64().expect("monthly")
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[test]
fn each_apply_keeps_its_estimate_in_the_record() {
    let s = applied_twice();
    let a = record(&s, "api-a");
    assert_eq!(a["schema_version"], 3);
    let costs = a["costs"].as_array().expect("costs");
    assert_eq!(costs.len(), 2, "{a}");
    assert_eq!(costs[0]["at"], NOW);
    assert_eq!(costs[1]["at"], DAY_ONE);
    assert!(
        monthly(&a, 1) > monthly(&a, 0),
        "three tasks cost more than one"
    );
    assert_eq!(costs[1]["currency"], "USD");
    assert_eq!(costs[1]["complete"], true);
    assert_eq!(costs[1]["plan_digest"], a["plan_digest"]);
    let book = costs[1]["price_book"].as_str().expect("price book");
    assert!(book.contains(" sha256:"), "{book}");
    assert_eq!(
        record(&s, "queue-b")["costs"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn the_report_accrues_each_day_at_the_estimate_in_force_and_projects_to_expiry() {
    let s = applied_twice();
    let a = record(&s, "api-a");
    let q = record(&s, "queue-b");
    let r = report(&s, &[]);
    let envs = r["environments"].as_array().expect("environments");
    let names: Vec<&str> = envs.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["api-a", "queue-b"]);
    // A day at the first estimate, a day at the second (730-hour months).
    let a_accrued = cents((monthly(&a, 0) + monthly(&a, 1)) * 24.0 / 730.0);
    assert_eq!(envs[0]["accrued"].as_f64(), Some(a_accrued));
    assert_eq!(envs[0]["monthly"].as_f64(), Some(cents(monthly(&a, 1))));
    // Seven days from creation: five more at the second estimate.
    let projected = cents((monthly(&a, 0) + monthly(&a, 1) * 6.0) * 24.0 / 730.0);
    assert!(
        (envs[0]["projected"].as_f64().expect("projected") - projected).abs() <= 0.011,
        "{} vs {projected}",
        envs[0]["projected"]
    );
    assert_eq!(envs[0]["estimates"].as_array().map(Vec::len), Some(2));
    let q_accrued = cents(monthly(&q, 0) * 48.0 / 730.0);
    assert_eq!(envs[1]["accrued"].as_f64(), Some(q_accrued));
    let total = &r["totals"][0];
    assert_eq!(total["group"], "all");
    assert_eq!(total["environments"], 2);
    assert_eq!(
        total["accrued"].as_f64(),
        Some(cents(a_accrued + q_accrued))
    );
}

#[test]
fn the_report_totals_per_team_and_since_cuts_the_window() {
    let s = applied_twice();
    let r = report(&s, &["--by", "team", "--since", "2026-11-25"]);
    let groups: Vec<(&str, u64)> = r["totals"]
        .as_array()
        .expect("totals")
        .iter()
        .map(|t| {
            (
                t["group"].as_str().unwrap_or(""),
                t["environments"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(groups, [("media", 1), ("payments", 1)]);
    // From midnight: ten hours, and no estimate was recorded since.
    let a = record(&s, "api-a");
    let env = &r["environments"][1];
    assert_eq!(env["name"], "api-a");
    assert_eq!(
        env["accrued"].as_f64(),
        Some(cents(monthly(&a, 1) * 10.0 / 730.0))
    );
    assert_eq!(env["estimates"].as_array().map(Vec::len), Some(0));

    let bad = s.idp(&["cost", "report", "--since", "last tuesday"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("idp::usage::since"), "{}", bad.stderr);
}

#[test]
fn the_report_as_csv_and_markdown() {
    let s = applied_twice();
    let csv = at(
        &s,
        DAY_TWO,
        &["cost", "report", "--by", "template", "--format", "csv"],
    )
    .stdout;
    insta::assert_snapshot!("cost_report_csv", csv);
    let md = at(
        &s,
        DAY_TWO,
        &["cost", "report", "--by", "owner", "--format", "markdown"],
    )
    .stdout;
    insta::assert_snapshot!("cost_report_markdown", md);
    let human = at(&s, DAY_TWO, &["cost", "report"]).stdout;
    insta::assert_snapshot!("cost_report_human", human);
}

#[test]
fn list_and_the_sweep_show_the_monthly_figure() {
    let s = applied_twice();
    let a = record(&s, "api-a");
    let figure = format!("{:.2} USD/month", monthly(&a, 1));
    let list = at(&s, DAY_TWO, &["list"]).stdout;
    assert!(list.contains("MONTHLY") && list.contains(&figure), "{list}");
    let sweep = at(&s, DAY_TWO, &["sweep", "--dry-run", "--warn-within", "6d"]).stdout;
    assert!(sweep.contains(&figure), "{sweep}");
    let json = at(
        &s,
        DAY_TWO,
        &[
            "sweep",
            "--dry-run",
            "--warn-within",
            "6d",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        v["expiring"][0]["monthly"]["amount"].as_f64(),
        Some(monthly(&a, 1))
    );
}

/// A record as schema version 2 wrote it: no `costs`, the last estimate in `cost.json`.
fn as_version_two(s: &Sandbox, name: &str, keep_cost_file: bool) {
    let dir = s.state().join("environments").join(name);
    let path = dir.join("metadata.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("record")).expect("JSON");
    let o = v.as_object_mut().expect("object");
    o.remove("costs");
    o.insert("schema_version".into(), 2.into());
    std::fs::write(&path, serde_json::to_vec_pretty(&v).expect("JSON")).expect("write");
    if !keep_cost_file {
        std::fs::remove_file(dir.join("cost.json")).expect("remove cost.json");
    }
}

#[test]
fn records_of_schema_version_two_still_load_with_their_last_estimate() {
    let s = Sandbox::new();
    at(&s, NOW, &["apply", FIRST, "--yes"]);
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(s.state().join("environments/api-a/cost.json"))
            .expect("cost.json"),
    )
    .expect("JSON");
    as_version_two(&s, "api-a", true);
    as_version_two(&s, "queue-b", false);
    let r = report(&s, &[]);
    let envs = &r["environments"];
    assert_eq!(envs[0]["name"], "api-a");
    assert_eq!(envs[0]["estimates"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        envs[0]["monthly"].as_f64(),
        file["monthly"].as_f64().map(cents)
    );
    assert_eq!(envs[1]["name"], "queue-b");
    assert_eq!(envs[1]["estimates"].as_array().map(Vec::len), Some(0));
    assert_eq!(envs[1]["complete"], false, "no estimate: nothing to accrue");
    // The next apply writes version 3 and keeps the migrated estimate.
    at(&s, DAY_ONE, &["apply", SCALED, "--yes"]);
    let a = record(&s, "api-a");
    assert_eq!(a["schema_version"], 3);
    assert_eq!(a["costs"].as_array().map(Vec::len), Some(2));
}

#[test]
fn estimates_reach_s3_records_and_the_report_reads_them_there() {
    let Some(moto) = Moto::start() else { return };
    let (status, body) = moto.request("PUT", "/acme-idp-state");
    assert_eq!(status, 200, "create bucket: {body}");
    let s = Sandbox::new();
    let env = [
        ("AWS_ENDPOINT_URL_S3", moto.url.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST"),
        ("AWS_SECRET_ACCESS_KEY", "local-test-secret"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let run = |now: &str, args: &[&str]| {
        let mut all = vec!["--config", "tests/fixtures/s3/idp.kdl"];
        all.extend_from_slice(args);
        let mut e = env.to_vec();
        e.push(("IDP_NOW", now));
        let run = s.run_with(&all, &e);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run
    };
    run(NOW, &["apply", FIRST, "--executor", "local", "--yes"]);
    run(DAY_ONE, &["apply", SCALED, "--executor", "local", "--yes"]);
    let (status, body) = moto.request("GET", "/acme-idp-state/environments/api-a/metadata.json");
    assert_eq!(status, 200, "{body}");
    let stored: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        stored["costs"].as_array().map(Vec::len),
        Some(2),
        "{stored}"
    );
    let r: Value =
        serde_json::from_str(&run(DAY_TWO, &["cost", "report", "--format", "json"]).stdout)
            .expect("JSON");
    assert_eq!(r["environments"][0]["name"], "api-a");
    assert_eq!(
        r["environments"][0]["estimates"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        r["environments"][0]["accrued"].as_f64().unwrap_or(0.0) > 0.0,
        "{r}"
    );
}

#[test]
fn a_destroyed_environment_accrues_until_its_destroy_only() {
    let s = Sandbox::new();
    at(&s, NOW, &["apply", FIRST, "--yes"]);
    at(&s, DAY_ONE, &["destroy", "queue-b", "--yes"]);
    let q = record(&s, "queue-b");
    assert_eq!(q["status"], "DESTROYED");
    let r = report(&s, &[]);
    let env = &r["environments"][1];
    assert_eq!(env["name"], "queue-b");
    assert_eq!(env["destroyed_at"], DAY_ONE);
    assert_eq!(env["monthly"], Value::Null, "nothing runs any more");
    let accrued = cents(monthly(&q, 0) * 24.0 / 730.0);
    assert_eq!(env["accrued"].as_f64(), Some(accrued));
    assert_eq!(env["projected"].as_f64(), Some(accrued));
    let list = at(&s, DAY_TWO, &["list"]).stdout;
    let line = list
        .lines()
        .find(|l| l.starts_with("queue-b"))
        .unwrap_or_default();
    assert!(
        line.ends_with(" -"),
        "no monthly figure once destroyed: {list}"
    );
}
