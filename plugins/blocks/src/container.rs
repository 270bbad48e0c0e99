use idp_plugin_sdk::serde_json::{Map, Value};
use idp_plugin_sdk::{Finding, ModuleCall};
use serde::Deserialize;

/// What every Fargate workload of a spec says: the image and its task size.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Container {
    /// Image reference.
    pub image: String,
    /// Fargate CPU units.
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// Plain environment variables.
    pub env: Map<String, Value>,
}

impl Default for Container {
    fn default() -> Self {
        Container {
            image: String::new(),
            cpu: 256,
            memory: 512,
            architecture: "x86_64".into(),
            env: Map::new(),
        }
    }
}

impl Container {
    /// Rejects a CPU/memory pair Fargate does not offer, pointing at `{at}/memory`.
    pub fn check_size(&self, at: &str) -> Result<(), Finding> {
        let sizes = fargate_memory_options(self.cpu);
        if sizes.contains(&self.memory) {
            return Ok(());
        }
        Err(Finding::deny(
            "fargate-size",
            format!(
                "Fargate offers no task with `cpu` {} and `memory` {}",
                self.cpu, self.memory
            ),
        )
        .at(format!("{at}/memory"))
        .help(format!(
            "with cpu {} choose memory from {} MiB",
            self.cpu,
            describe_sizes(&sizes)
        )))
    }

    /// Whether the task runs on Graviton.
    pub fn is_arm(&self) -> bool {
        self.architecture == "arm64"
    }

    /// Adds the image, size and environment variables every ECS module takes.
    pub fn apply(&self, call: ModuleCall) -> ModuleCall {
        call.var("image", self.image.as_str())
            .var("cpu", self.cpu)
            .var("memory", self.memory)
            .var(
                "cpu_architecture",
                if self.is_arm() { "ARM64" } else { "X86_64" },
            )
            .var("environment_variables", Value::Object(self.env.clone()))
    }
}

/// Memory sizes (MiB) Fargate offers for a CPU size, per the ECS task-size table
/// (docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html,
/// read 2026-11-23).
pub fn fargate_memory_options(cpu: u32) -> Vec<u32> {
    let gib = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).map(|g| g * 1024);
    match cpu {
        256 => vec![512, 1024, 2048],
        512 => gib(1, 4, 1).collect(),
        1024 => gib(2, 8, 1).collect(),
        2048 => gib(4, 16, 1).collect(),
        4096 => gib(8, 30, 1).collect(),
        8192 => gib(16, 60, 4).collect(),
        16384 => gib(32, 120, 8).collect(),
        _ => Vec::new(),
    }
}

fn describe_sizes(sizes: &[u32]) -> String {
    match (sizes.first(), sizes.last()) {
        (Some(first), Some(last)) if sizes.len() > 3 => {
            let step = sizes.get(1).map_or(1024, |s| s - first);
            format!("{first} to {last} in steps of {step}")
        }
        _ => sizes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_table_matches_fargate() {
        assert_eq!(fargate_memory_options(4096).len(), 23);
        assert_eq!(
            fargate_memory_options(8192),
            vec![
                16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440
            ]
        );
        assert!(fargate_memory_options(300).is_empty());
    }

    #[test]
    fn an_unoffered_pair_points_at_memory_with_the_choices() {
        let c = Container {
            cpu: 256,
            memory: 4096,
            ..Container::default()
        };
        let f = c
            .check_size("/worker")
            .expect_err("256/4096 is not offered");
        assert_eq!(f.pointer, "/worker/memory");
        assert_eq!(
            f.help.as_deref(),
            Some("with cpu 256 choose memory from 512, 1024, 2048 MiB")
        );
        let ok = Container {
            cpu: 1024,
            memory: 3072,
            ..Container::default()
        };
        assert!(ok.check_size("/service").is_ok());
    }
}
