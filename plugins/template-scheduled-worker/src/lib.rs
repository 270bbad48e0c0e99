//! The `scheduled-worker` template: a container that EventBridge Scheduler starts on a
//! cron or rate expression, as a Fargate task in its own VPC.
//!
//! The schedule expression is checked by the rules EventBridge applies, so a bad one fails
//! at plan time on its line; the bill counts Fargate only for the minutes the job runs.

use idp_plugin_sdk::{
    Environment, Finding, ModuleCall, Output, Rendering, Template, TemplateInfo, export_template,
};
use idp_template_blocks::{Bill, Common, Container, Foundation, HOURS_PER_MONTH, schedule, schema};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");
const JOB: &str = "job";

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// VPC, key, log retention.
    #[serde(flatten)]
    pub common: Common,
    /// The scheduled job.
    pub job: Job,
}

/// `job { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Job {
    /// Image and task size.
    #[serde(flatten)]
    pub container: Container,
    /// Schedule expression.
    pub schedule: String,
    /// Time zone of a cron expression.
    pub timezone: String,
    /// Command override.
    pub command: Vec<String>,
    /// Minutes one run takes.
    pub expected_minutes: f64,
    /// Scheduler retries.
    pub retries: u32,
}

impl Default for Job {
    fn default() -> Self {
        Job {
            container: Container::default(),
            schedule: String::new(),
            timezone: "UTC".into(),
            command: Vec::new(),
            expected_minutes: 5.0,
            retries: 2,
        }
    }
}

/// The plugin type.
pub struct ScheduledWorker;

impl Template for ScheduledWorker {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "scheduled-worker".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "a container run on a cron or rate schedule by EventBridge Scheduler".into(),
            input_schema: schema::expand(SCHEMA),
            modules: vec![
                "common".into(),
                "networking".into(),
                "scheduled-task".into(),
            ],
            outputs: vec![
                "cluster".into(),
                "schedule".into(),
                "dead-letter-queue".into(),
            ],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        let job = &inputs.job;
        let mut findings = Vec::new();
        if let Err(f) = job.container.check_size("/job") {
            findings.push(f);
        }
        let schedule = schedule::parse(&job.schedule).map_err(|reason| {
            Finding::deny("schedule-expression", reason)
                .at("/job/schedule")
                .help(
                    "examples: cron(0 6 ? * MON-FRI *), rate(15 minutes), at(2026-12-01T09:00:00)",
                )
        });
        let schedule = match schedule {
            Ok(s) => s,
            Err(f) => {
                findings.push(f);
                return Err(findings);
            }
        };
        if !findings.is_empty() {
            return Err(findings);
        }

        let call = ModuleCall::new(JOB, "scheduled-task")
            .var("region", env.region.as_str())
            .var("schedule_expression", schedule.expression.as_str())
            .var("timezone", job.timezone.as_str())
            .var("command", job.command.clone())
            .var("retry_attempts", job.retries)
            .var("log_retention_days", inputs.common.log_retention_days(env));
        let call = Foundation::in_vpc(job.container.apply(call));

        // A job runs only while it works: average tasks = run-hours a month / hours a month.
        let average_tasks = schedule.runs_per_month * job.expected_minutes / 60.0 / HOURS_PER_MONTH;
        let mut bill = Bill::new();
        inputs.common.bill(&mut bill);
        bill.fargate(JOB, &job.container, average_tasks)
            .monthly(
                JOB,
                format!(
                    "EventBridge Scheduler invocations ({:.0} a month)",
                    schedule.runs_per_month
                ),
                "AWSEvents",
                "ScheduledInvocation",
                "Invocations",
                schedule.runs_per_month,
            )
            .logs(JOB, inputs.common.usage.log_gb_or(0.5));

        Ok(Rendering {
            calls: inputs.common.foundation(env).with([call]),
            bill: bill.into_items(),
            outputs: vec![
                Output::new("cluster", JOB, "cluster_name"),
                Output::new("schedule", JOB, "schedule_arn"),
                Output::new("dead-letter-queue", JOB, "dead_letter_queue_url"),
            ],
        })
    }
}

export_template!(ScheduledWorker);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::serde_json::{Value, json};
    use idp_plugin_sdk::testing::environment;

    fn env(inputs: Value) -> Environment {
        environment()
            .template("scheduled-worker")
            .inputs(inputs)
            .build()
    }

    #[test]
    fn an_hourly_job_of_six_minutes_bills_a_tenth_of_a_task() {
        let r = ScheduledWorker::render(&env(
            json!({"job": {"image": "x:1", "schedule": "rate(1 hour)", "expected-minutes": 6}}),
        ))
        .expect("renders");
        let vcpu = r
            .bill
            .iter()
            .find(|b| b.description == "Fargate vCPU")
            .expect("vcpu");
        assert!(
            (vcpu.quantity - 0.1 * 0.25).abs() < 1e-12,
            "{}",
            vcpu.quantity
        );
        let inv = r
            .bill
            .iter()
            .find(|b| b.service_code == "AWSEvents")
            .expect("invocations");
        assert_eq!(inv.quantity, 730.0);
        let job = &r.calls[2];
        assert_eq!(job.module, "scheduled-task");
        assert_eq!(job.variables["schedule_expression"], "rate(1 hour)");
    }

    #[test]
    fn a_schedule_eventbridge_would_refuse_points_at_the_schedule() {
        let err = ScheduledWorker::render(&env(
            json!({"job": {"image": "x:1", "schedule": "cron(0 6 * * MON *)"}}),
        ))
        .expect_err("both day fields set");
        assert_eq!(err[0].pointer, "/job/schedule");
        assert_eq!(err[0].rule, "schedule-expression");
        assert!(err[0].message.contains("exactly one of them must be `?`"));
    }
}
