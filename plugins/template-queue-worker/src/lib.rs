//! The `queue-worker` template: a Fargate service that consumes an SQS queue, with a
//! dead-letter queue, scaled on the backlog per task.
//!
//! The worker's task role may receive, delete and extend messages of its own queue and
//! nothing else; it finds the queue in `QUEUE_URL`.

use idp_plugin_sdk::{
    Environment, Finding, ModuleCall, Output, Rendering, Template, TemplateInfo, export_template,
};
use idp_template_blocks::{Bill, Common, Container, Foundation, schema, with_schedule};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");
const QUEUE: &str = "queue";
const WORKER: &str = "worker";

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// VPC, key, log retention.
    #[serde(flatten)]
    pub common: Common,
    /// The consumer.
    pub worker: Worker,
    /// The queue.
    pub queue: Queue,
}

/// `worker { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Worker {
    /// Image and task size.
    #[serde(flatten)]
    pub container: Container,
    /// Tasks always running.
    pub min_count: u32,
    /// Most tasks.
    pub max_count: u32,
    /// Backlog per task autoscaling aims for.
    pub messages_per_task: u32,
}

impl Default for Worker {
    fn default() -> Self {
        Worker {
            container: Container::default(),
            min_count: 1,
            max_count: 4,
            messages_per_task: 10,
        }
    }
}

impl Worker {
    /// What Fargate and autoscaling would refuse.
    fn check(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        if let Err(f) = self.container.check_size("/worker") {
            findings.push(f);
        }
        if self.max_count < self.min_count {
            findings.push(
                Finding::deny(
                    "scaling-range",
                    format!(
                        "`max-count` {} is below `min-count` {}",
                        self.max_count, self.min_count
                    ),
                )
                .at("/worker/max-count")
                .help("raise max-count or lower min-count"),
            );
        }
        findings
    }
}

/// `queue { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Queue {
    /// Visibility timeout in seconds.
    pub visibility_timeout: u32,
    /// Receives before dead-lettering.
    pub max_receives: u32,
    /// Days a message is kept.
    pub retention_days: u32,
    /// Expected requests a month, in millions.
    pub million_requests: f64,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            visibility_timeout: 60,
            max_receives: 5,
            retention_days: 4,
            million_requests: 1.0,
        }
    }
}

/// The plugin type.
pub struct QueueWorker;

impl Template for QueueWorker {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "queue-worker".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary:
                "a Fargate worker fed by an SQS queue with a dead-letter queue, scaled on backlog"
                    .into(),
            input_schema: schema::expand(SCHEMA),
            modules: vec![
                "common".into(),
                "networking".into(),
                "sqs-queue".into(),
                "ecs-service".into(),
            ],
            outputs: vec![
                "queue-url".into(),
                "dead-letter-queue".into(),
                "cluster".into(),
            ],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        let (worker, queue) = (&inputs.worker, &inputs.queue);
        let findings = worker.check();
        if !findings.is_empty() {
            return Err(findings);
        }

        let sqs = Foundation::named(
            ModuleCall::new(QUEUE, "sqs-queue")
                .var("visibility_timeout_seconds", queue.visibility_timeout)
                .var("message_retention_seconds", queue.retention_days * 86_400)
                .var("max_receive_count", queue.max_receives),
        )
        .wire("kms_key_arn", Foundation::COMMON, "kms_key_arn");
        let service = ModuleCall::new(WORKER, "ecs-service")
            .var("region", env.region.as_str())
            .var("expose_http", false)
            .var("desired_count", worker.min_count)
            .var("max_count", worker.max_count)
            .var("messages_per_task", worker.messages_per_task)
            .var("log_retention_days", inputs.common.log_retention_days(env));
        // Outside the environment's hours the worker is scaled to zero; messages wait.
        let service = with_schedule(service, env);
        let service = Foundation::in_vpc(worker.container.apply(service))
            .wire("vpc_cidr_block", Foundation::NETWORK, "vpc_cidr_block")
            .wire("scale_on_queue", QUEUE, "queue_name")
            .wire("task_policy_json", QUEUE, "consumer_policy_json")
            .wire("linked_environment", QUEUE, "container_environment");

        let mut bill = Bill::new();
        inputs.common.bill(&mut bill);
        bill.service_tasks(WORKER, &worker.container, f64::from(worker.min_count))
            .logs(WORKER, inputs.common.usage.log_gb_or(1.0))
            .monthly(
                QUEUE,
                format!(
                    "SQS standard requests (assumed {} million)",
                    queue.million_requests
                ),
                "AWSQueueService",
                "Requests-Tier1",
                "Requests",
                queue.million_requests * 1_000_000.0,
            );

        Ok(Rendering {
            calls: inputs.common.foundation(env).with([sqs, service]),
            bill: bill.into_items(),
            outputs: vec![
                Output::new("queue-url", QUEUE, "queue_url"),
                Output::new("dead-letter-queue", QUEUE, "dead_letter_queue_url"),
                Output::new("cluster", WORKER, "cluster_name"),
            ],
        })
    }
}

export_template!(QueueWorker);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::serde_json::{Value, json};
    use idp_plugin_sdk::testing::environment;

    fn env(inputs: Value) -> Environment {
        environment()
            .template("queue-worker")
            .inputs(inputs)
            .build()
    }

    #[test]
    fn the_worker_scales_on_its_queue_and_may_only_consume_it() {
        let r = QueueWorker::render(&env(json!({"worker": {"image": "x:1"}}))).expect("renders");
        let worker = r.call(WORKER).expect("worker");
        assert_eq!(worker.variables["expose_http"], false);
        let wired: Vec<_> = worker
            .wiring
            .iter()
            .filter(|w| w.from_call == QUEUE)
            .map(|w| w.variable.as_str())
            .collect();
        assert_eq!(
            wired,
            ["scale_on_queue", "task_policy_json", "linked_environment"]
        );
        assert!(
            !r.bill.iter().any(|b| b.service_code == "AWSELB"),
            "no load balancer for a worker"
        );
        let queue = r.call(QUEUE).expect("queue");
        assert_eq!(queue.variables["message_retention_seconds"], 345_600);
    }

    #[test]
    fn an_upside_down_scaling_range_points_at_max_count() {
        let err = QueueWorker::render(&env(
            json!({"worker": {"image": "x:1", "min-count": 5, "max-count": 2}}),
        ))
        .expect_err("max below min");
        assert_eq!(err[0].pointer, "/worker/max-count");
    }
}
