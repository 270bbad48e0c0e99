//! Business-hours schedules (issue 16, docs/decisions/0014-business-hours.md): the spec's
//! `schedule { weekdays; timezone }` validated at its line, the Fargate lines priced for
//! the scheduled hours with the saving against 24/7 shown, and the service's module given
//! the scheduled actions that scale it to zero.

use serde_json::Value;

use crate::harness::{Sandbox, record, repo};

const EXAMPLE: &str = "examples/billing-dev-office-hours.kdl";

fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap_or(f64::NAN) * 100.0).round() as i64
}

/// A spec in the sandbox, beside a copy of the examples' `idp.kdl`: the example with
/// `edit` applied.
fn spec(s: &Sandbox, edit: impl Fn(String) -> String) -> String {
    let text = std::fs::read_to_string(repo().join(EXAMPLE)).expect("the example");
    std::fs::copy(repo().join("examples/idp.kdl"), s.path().join("idp.kdl")).expect("idp.kdl");
    let path = s.path().join("env.kdl");
    std::fs::write(&path, edit(text)).expect("write spec");
    path.display().to_string()
}

#[test]
fn a_schedule_bills_fargate_for_its_hours_and_shows_the_saving_to_the_cent() {
    let s = Sandbox::new();
    let run = s.idp(&["cost", EXAMPLE, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let cost = &doc["environments"][0]["cost"];
    // eu-central-1 list prices (pricebook.json) for api-service with 2 tasks of 1 vCPU and
    // 2 GB; 60 h a week (5 × 12 h) is 60 × 730 / 168 = 260.714… h a month.
    let hours: f64 = 60.0 * 730.0 / 168.0;
    let fargate_per_hour: f64 = 2.0 * 0.04656 + 4.0 * 0.00511;
    let around_the_clock: f64 = 0.052 * 730.0      // NAT gateway
        + 5.0 * 0.052                           // its data, 5 GB assumed
        + 0.005 * 730.0                         // its address
        + 0.027 * 730.0                         // load balancer
        + 0.008 * 730.0                         // 1 LCU assumed
        + 2.0 * 0.005 * 730.0                   // its two addresses
        + 0.63; //                                 logs, 1 GB assumed
    let scheduled = around_the_clock + fargate_per_hour * hours;
    let always_on = around_the_clock + fargate_per_hour * 730.0;
    assert_eq!(cents(&cost["monthly"]), 10496);
    assert_eq!(cents(&cost["monthly"]), (scheduled * 100.0).round() as i64);
    let sched = &cost["schedule"];
    assert_eq!(sched["window"], "08:00-20:00");
    assert_eq!(sched["days"], "MON-FRI");
    assert_eq!(sched["timezone"], "Europe/Berlin");
    assert_eq!(sched["hours_per_week"], 60.0);
    assert_eq!(cents(&sched["hours_per_month"]), 26071);
    assert_eq!(
        cents(&sched["always_on_monthly"]),
        (always_on * 100.0).round() as i64
    );
    assert_eq!(cents(&sched["saving_monthly"]), 5329);
    // Over the 14-day TTL (336 h): the Fargate lines run 336 × 60/168 = 120 h.
    assert_eq!(
        cents(&sched["saving_lifetime"]),
        (fargate_per_hour * (336.0 - 120.0) * 100.0).round() as i64
    );
    let scheduled_lines: Vec<&str> = cost["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["scheduled"] == true)
        .filter_map(|l| l["usage_type"].as_str())
        .collect();
    assert_eq!(
        scheduled_lines,
        ["Fargate-vCPU-Hours:perCPU", "Fargate-GB-Hours"],
        "only the service's tasks follow the schedule"
    );

    // The table: the lines marked, and the saving as a row of its own under the total.
    let run = s.idp(&["cost", EXAMPLE]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Fargate vCPU (scheduled hours)"),
        "{}",
        run.stdout
    );
    let total = run.stdout.find("  total").expect("a total row");
    let saving = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("saving"))
        .expect("a saving row");
    assert!(run.stdout.find(saving).is_some_and(|at| at > total));
    assert!(
        saving.contains("schedule MON-FRI 08:00-20:00 Europe/Berlin against 24/7")
            && saving.contains("60 h a week")
            && saving.contains("-53.29"),
        "{saving}"
    );
    assert!(
        run.stdout
            .contains("around the clock the total would be 158.25 USD a month"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_schedules_are_refused_at_their_line_with_exit_2() {
    let s = Sandbox::new();
    let cases: [(&str, &str, &str, usize); 4] = [
        (
            "weekdays \"08:00-20:00\"",
            "weekdays \"20:00-08:00\"",
            "idp::spec::invalid_schedule",
            12,
        ),
        (
            "weekdays \"08:00-20:00\"",
            "weekdays \"8-20\"",
            "idp::spec::invalid_schedule",
            12,
        ),
        (
            "timezone \"Europe/Berlin\"",
            "timezone \"Europe/Berlln\"",
            "idp::spec::unknown_timezone",
            13,
        ),
        (
            "class staging",
            "class production",
            "idp::spec::production_schedule",
            11,
        ),
    ];
    for (from, to, code, line) in cases {
        let path = spec(&s, |t| t.replace(from, to));
        let run = s.idp(&["plan", &path]);
        assert_eq!(run.code, 2, "{to}: {}", run.stderr);
        let err = run.flat_stderr();
        assert!(err.contains(code), "{to}: {err}");
        assert!(err.contains(&format!("env.kdl:{line}:")), "{to}: {err}");
        assert!(err.contains("help:"), "{to}: {err}");
    }
    let path = spec(&s, |t| {
        t.replace("        timezone \"Europe/Berlin\"\n", "")
    });
    let run = s.idp(&["plan", &path]);
    assert_eq!(run.code, 2);
    assert!(
        run.flat_stderr().contains("`schedule` has no `timezone`"),
        "{}",
        run.stderr
    );
    assert!(!s.state().join("environments").exists(), "nothing written");
}

#[test]
fn the_service_module_carries_the_scheduled_actions_and_the_digest_covers_them() {
    let s = Sandbox::new();
    let run = s.idp(&["apply", EXAMPLE, "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ws = s.state().join("environments").join("billing-dev");
    let tfvars: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join("terraform.tfvars.json")).expect("tfvars"),
    )
    .expect("JSON");
    assert_eq!(
        tfvars["service"]["schedule"],
        serde_json::json!({
            "days": ["MON", "TUE", "WED", "THU", "FRI"],
            "start": "08:00",
            "stop": "20:00",
            "timezone": "Europe/Berlin"
        })
    );
    let module = std::fs::read_to_string(ws.join("modules/ecs-service/main.tf")).expect("module");
    for action in ["start", "stop"] {
        assert!(
            module.contains(&format!(
                "resource \"aws_appautoscaling_scheduled_action\" \"{action}\""
            )),
            "{action}"
        );
    }
    let main = std::fs::read_to_string(ws.join("main.tf")).expect("main.tf");
    assert!(main.contains(
        "# Runs on a schedule: MON,TUE,WED,THU,FRI from \"08:00\" to \"20:00\" in \"Europe/Berlin\""
    ));
    let scheduled = record(&s, "billing-dev")["plan_digest"].clone();

    // The same spec around the clock is another plan.
    let t = Sandbox::new();
    let path = spec(&t, |text| {
        text.replace(
            "    schedule {\n        weekdays \"08:00-20:00\"\n        timezone \"Europe/Berlin\"\n    }\n",
            "",
        )
    });
    let run = t.idp(&["plan", &path, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let env = &plan["environments"][0];
    assert_ne!(env["plan_digest"], scheduled);
    assert_eq!(env["schedule"], Value::Null, "no schedule, no key");
    assert_eq!(env["cost"]["schedule"], Value::Null);
    let run = t.idp(&["plan", EXAMPLE, "--format", "json"]);
    let plan: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        plan["environments"][0]["schedule"]["timezone"],
        "Europe/Berlin"
    );
    assert_eq!(plan["environments"][0]["plan_digest"], scheduled);
}

#[test]
fn max_monthly_cost_judges_the_scheduled_effective_figure() {
    let s = Sandbox::new();
    let dir = s.path().join("project");
    std::fs::create_dir_all(&dir).expect("dir");
    // Between the scheduled figure (104.96) and the one around the clock (158.25).
    std::fs::write(
        dir.join("idp.kdl"),
        "policy max-monthly-cost {\n    limit {\n        staging 120\n    }\n}\n",
    )
    .expect("idp.kdl");
    let text = std::fs::read_to_string(repo().join(EXAMPLE)).expect("the example");
    std::fs::write(dir.join("env.kdl"), &text).expect("spec");
    let spec = dir.join("env.kdl").display().to_string();
    let run = s.idp(&["plan", &spec]);
    assert_eq!(run.code, 0, "within the limit on its hours: {}", run.stderr);
    assert!(
        run.stdout
            .contains("its schedule saves 53.29 a month against 24/7"),
        "{}",
        run.stdout
    );
    let around = text.replace(
        "    schedule {\n        weekdays \"08:00-20:00\"\n        timezone \"Europe/Berlin\"\n    }\n",
        "",
    );
    std::fs::write(dir.join("env.kdl"), around).expect("spec");
    let run = s.idp(&["plan", &spec]);
    assert_eq!(run.code, 1, "above it around the clock");
    assert!(
        run.flat_stderr()
            .contains("estimated 158.25 USD a month (72.84 USD over its TTL) is above the staging limit of 120.00 USD"),
        "{}",
        run.stderr
    );
}
