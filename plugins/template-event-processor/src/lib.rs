//! The `event-processor` template: a container that EventBridge runs once per matching
//! event, in the environment's own VPC, with retries and a dead-letter queue.
//!
//! It composes the `common`, `networking` and `event-rule` modules. The pattern is
//! `source` and `detail-type`, or a whole pattern as JSON, checked before anything is
//! rendered; the bill counts a run per event and the events themselves when they are
//! custom ones (AWS services' events on the default bus are free).

use idp_plugin_sdk::serde_json::{self, Map, Value, json};
use idp_plugin_sdk::{
    Environment, Finding, ModuleCall, Output, Rendering, Template, TemplateInfo, export_template,
};
use idp_template_blocks::{Bill, Common, Container, Foundation, HOURS_PER_MONTH, schema};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");
const PROCESSOR: &str = "processor";

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// VPC, key, log retention, usage.
    #[serde(flatten)]
    pub common: Common,
    /// The container.
    pub task: Task,
    /// Which events start it.
    pub events: Events,
}

/// `usage { events N }`, read beside [`Inputs`]: `usage` as a whole belongs to [`Common`],
/// which a second field of that name would take it from.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct EventUsage {
    /// The `usage` block's own field.
    pub usage: MonthlyEvents,
}

/// The one field of `usage` this template adds.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct MonthlyEvents {
    /// Matching events a month (default 1,000).
    pub events: Option<f64>,
}

/// `task { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Task {
    /// Image and size.
    #[serde(flatten)]
    pub container: Container,
    /// Command overriding the image's.
    pub command: Vec<String>,
    /// Minutes a run takes, for the estimate.
    pub expected_minutes: f64,
    /// Retries before dead-lettering.
    pub retries: u32,
}

impl Default for Task {
    fn default() -> Self {
        Task {
            container: Container::default(),
            command: Vec::new(),
            expected_minutes: 1.0,
            retries: 2,
        }
    }
}

/// `events { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Events {
    /// Sources to match.
    pub source: Vec<String>,
    /// Detail types to match.
    pub detail_type: Vec<String>,
    /// A whole pattern as JSON.
    pub pattern: Option<String>,
    /// The bus.
    pub bus: String,
    /// Event fields passed as environment variables.
    pub fields: Map<String, Value>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            source: Vec::new(),
            detail_type: Vec::new(),
            pattern: None,
            bus: "default".into(),
            fields: Map::new(),
        }
    }
}

impl Events {
    /// The pattern as EventBridge takes it, or the finding that says what is wrong.
    fn pattern(&self) -> Result<String, Finding> {
        let simple = !self.source.is_empty() || !self.detail_type.is_empty();
        match (&self.pattern, simple) {
            (Some(_), true) => Err(Finding::deny(
                "pattern-twice",
                "`events` gives both a `pattern` and `source` or `detail-type`",
            )
            .at("/events/pattern")
            .help("write the whole pattern in `pattern`, or only source and detail-type")),
            (None, false) => Err(Finding::deny("no-pattern", "`events` matches nothing")
                .at("/events")
                .help("add `source \"acme.orders\"` (and `detail-type`), or a `pattern`")),
            (Some(text), false) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) if !map.is_empty() => Ok(text.clone()),
                _ => Err(
                    Finding::deny("pattern-json", "`pattern` is not a non-empty JSON object")
                        .at("/events/pattern")
                        .help(
                            r#"for example {"source":["aws.s3"],"detail-type":["Object Created"]}"#,
                        ),
                ),
            },
            (None, true) => {
                let mut map = Map::new();
                if !self.source.is_empty() {
                    map.insert("source".into(), json!(self.source));
                }
                if !self.detail_type.is_empty() {
                    map.insert("detail-type".into(), json!(self.detail_type));
                }
                Ok(Value::Object(map).to_string())
            }
        }
    }

    /// Whether EventBridge bills the events: only events from AWS services on the default
    /// bus are free, so anything else (or a pattern idp cannot read that way) is billed.
    fn billed(&self) -> bool {
        let aws_only = !self.source.is_empty() && self.source.iter().all(|s| s.starts_with("aws."));
        !(aws_only && self.bus == "default" && self.pattern.is_none())
    }
}

/// The plugin type.
pub struct EventProcessor;

impl Template for EventProcessor {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "event-processor".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "a container EventBridge runs for each matching event, with retries and a dead-letter queue".into(),
            input_schema: schema::expand(SCHEMA),
            modules: vec!["common".into(), "networking".into(), "event-rule".into()],
            outputs: vec!["cluster".into(), "rule".into(), "dead-letter-queue".into()],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        let usage: EventUsage = env.inputs().map_err(|f| vec![f])?;
        let task = &inputs.task;
        let pattern = inputs.events.pattern();
        let findings: Vec<Finding> = [
            task.container.check_size("/task").err(),
            pattern.clone().err(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let (Ok(pattern), true) = (pattern, findings.is_empty()) else {
            return Err(findings);
        };

        let call = ModuleCall::new(PROCESSOR, "event-rule")
            .var("region", env.region.as_str())
            .var("event_pattern", pattern)
            .var("event_bus_name", inputs.events.bus.as_str())
            .var("event_fields", Value::Object(inputs.events.fields.clone()))
            .var("command", task.command.clone())
            .var("retry_attempts", task.retries)
            .var("log_retention_days", inputs.common.log_retention_days(env));
        let call = Foundation::in_vpc(task.container.apply(call));

        let events = usage.usage.events.unwrap_or(1_000.0);
        let average_tasks = events * task.expected_minutes / 60.0 / HOURS_PER_MONTH;
        let mut bill = Bill::new();
        inputs.common.bill(&mut bill);
        bill.fargate(PROCESSOR, &task.container, average_tasks)
            .logs(PROCESSOR, inputs.common.usage.log_gb_or(0.5));
        if inputs.events.billed() {
            bill.monthly(
                PROCESSOR,
                format!("EventBridge custom events (assumed {events})"),
                "AWSEvents",
                "Event-64K-Chunks",
                "Events",
                events,
            );
        }

        Ok(Rendering {
            calls: inputs.common.foundation(env).with([call]),
            bill: bill.into_items(),
            outputs: vec![
                Output::new("cluster", PROCESSOR, "cluster_name"),
                Output::new("rule", PROCESSOR, "rule_arn"),
                Output::new("dead-letter-queue", PROCESSOR, "dead_letter_queue_url"),
            ],
        })
    }
}

export_template!(EventProcessor);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::environment;

    fn render(inputs: Value) -> Result<Rendering, Vec<Finding>> {
        EventProcessor::render(
            &environment()
                .template("event-processor")
                .inputs(inputs)
                .build(),
        )
    }

    #[test]
    fn source_and_detail_type_become_the_rules_pattern_and_fields_reach_the_task() {
        let r = render(json!({
            "task": {"image": "ghcr.io/acme/invoicer:1.0.0", "command": ["invoice"]},
            "events": {"source": ["acme.orders"], "detail-type": ["OrderPlaced"],
                       "fields": {"ORDER_ID": "$.detail.id"}}
        }))
        .expect("renders");
        let names: Vec<&str> = r.calls.iter().map(|c| c.module.as_str()).collect();
        assert_eq!(names, ["common", "networking", "event-rule"]);
        let rule = r.call("processor").expect("processor");
        let pattern: Value =
            serde_json::from_str(rule.variables["event_pattern"].as_str().unwrap_or("{}"))
                .unwrap_or(Value::Null);
        assert_eq!(
            pattern,
            json!({"source": ["acme.orders"], "detail-type": ["OrderPlaced"]})
        );
        assert_eq!(
            rule.variables["event_fields"],
            json!({"ORDER_ID": "$.detail.id"})
        );
        assert_eq!(rule.variables["command"], json!(["invoice"]));
        assert!(
            rule.wiring
                .iter()
                .any(|w| w.variable == "private_subnet_ids")
        );
        let events = r.bill.iter().find(|b| b.usage_type == "Event-64K-Chunks");
        assert_eq!(
            events.map(|b| b.quantity),
            Some(1_000.0),
            "custom events are billed"
        );
    }

    #[test]
    fn a_run_per_event_is_billed_and_aws_events_on_the_default_bus_are_free() {
        let r = render(json!({
            "task": {"image": "x:1", "cpu": 1024, "memory": 2048, "expected-minutes": 3},
            "events": {"source": ["aws.s3"], "detail-type": ["Object Created"]},
            "usage": {"events": 14600, "nat-gb": 20}
        }))
        .expect("renders");
        let nat = r.bill.iter().find(|b| b.usage_type == "NatGateway-Bytes");
        assert_eq!(
            nat.map(|b| b.quantity),
            Some(20.0),
            "the shared usage fields still apply"
        );
        let vcpu = r
            .bill
            .iter()
            .find(|b| b.description == "Fargate vCPU")
            .expect("vcpu");
        // 14,600 runs of 3 minutes are 730 hours: one task on average.
        assert!((vcpu.quantity - 1.0).abs() < 1e-9, "{}", vcpu.quantity);
        assert!(!vcpu.follows_schedule, "each run is its own");
        assert!(r.bill.iter().all(|b| b.usage_type != "Event-64K-Chunks"));
    }

    #[test]
    fn a_pattern_is_either_whole_json_or_source_and_detail_type() {
        let ok = render(json!({"task": {"image": "x:1"},
            "events": {"pattern": r#"{"source":["aws.s3"],"detail":{"bucket":{"name":["in"]}}}"#}}))
        .expect("renders");
        assert!(
            ok.call("processor").expect("processor").variables["event_pattern"]
                .as_str()
                .is_some_and(|p| p.contains("\"bucket\""))
        );
        let cases = [
            (
                json!({"source": ["a"], "pattern": "{\"source\":[\"a\"]}"}),
                "/events/pattern",
                "pattern-twice",
            ),
            (json!({}), "/events", "no-pattern"),
            (json!({"pattern": "[1]"}), "/events/pattern", "pattern-json"),
        ];
        for (events, pointer, rule) in cases {
            let err =
                render(json!({"task": {"image": "x:1"}, "events": events})).expect_err("refused");
            assert_eq!(
                (err[0].pointer.as_str(), err[0].rule.as_str()),
                (pointer, rule)
            );
        }
    }

    #[test]
    fn a_bad_size_and_a_bad_pattern_are_both_reported() {
        let err = render(json!({"task": {"image": "x:1", "cpu": 256, "memory": 4096},
            "events": {"pattern": "nope"}}))
        .expect_err("two problems");
        let pointers: Vec<&str> = err.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/task/memory", "/events/pattern"]);
    }
}
