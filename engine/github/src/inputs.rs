//! The contract between `idp` and the workflows it dispatches: which workflow file, and
//! the inputs each one declares. The integration tests parse `.github/workflows/*.yml`
//! and compare their `workflow_dispatch.inputs` with [`WorkflowInputs::names`], so the
//! two cannot drift.

use std::hash::{BuildHasher, Hasher};

use serde_json::{Map, Value};

/// A workflow `idp` dispatches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workflow {
    /// `provision.yml`: plan again on the runner, compare digests, apply.
    Provision,
    /// `destroy.yml`: destroy an environment's resources.
    Destroy,
}

impl Workflow {
    /// The workflow's file name under `.github/workflows/` (GitHub accepts it as the id).
    pub fn file(self) -> &'static str {
        match self {
            Workflow::Provision => "provision.yml",
            Workflow::Destroy => "destroy.yml",
        }
    }
}

impl std::fmt::Display for Workflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.file())
    }
}

/// A request id: carried in the run's name so the run can be found when GitHub does not
/// return its id, and in the run's logs so a run can be traced to who asked for it.
///
/// It starts with the UTC second the user confirmed (`20261123T100000Z-…`): the runner
/// plans at that same instant (`IDP_NOW`), so a new environment's creation time and expiry,
/// and with them the plan digest, are the ones the user saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// A new id for a request made at `at`.
    pub fn new(at: jiff::Timestamp) -> RequestId {
        // RandomState is seeded from the OS: enough to tell apart two requests made
        // in the same second, with no extra dependency.
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let stamp = at.strftime("%Y%m%dT%H%M%SZ");
        RequestId(format!("{stamp}-{:08x}", random as u32))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant the request was made, read back from the id.
    pub fn requested_at(text: &str) -> Option<jiff::Timestamp> {
        let stamp = text.split('-').next()?;
        jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", stamp)
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the runner finds the spec it plans again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpecSource {
    /// In the checkout, at the `spec` path (`idp apply` from a laptop or CI).
    #[default]
    Repository,
    /// Kept in the record store beside the record: a spec posted to `idp serve`, which no
    /// commit holds (`idp apply --posted NAME` on the runner).
    State,
}

impl SpecSource {
    /// The value of the `spec-source` input.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecSource::Repository => "repository",
            SpecSource::State => "state",
        }
    }
}

/// The inputs of one dispatch. The git ref travels as the dispatch's own `ref`, which
/// the workflow sees as `github.ref` and checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowInputs {
    /// The environment's name.
    pub environment: String,
    /// The spec, relative to the repository root; provision only.
    pub spec: String,
    /// Ties the run to this request.
    pub request_id: RequestId,
    /// The plan digest the user confirmed; provision only.
    pub plan_digest: Option<String>,
    /// Who asked (recorded in the run's logs and summary).
    pub requested_by: String,
    /// The template version the user planned with, which the runner plans with too (an
    /// upgrade's newer one; decision 0015); provision only.
    pub template_version: Option<String>,
    /// Where the runner reads the spec; provision only.
    pub spec_source: SpecSource,
}

impl WorkflowInputs {
    /// The input names `workflow` declares, in the order the workflow lists them.
    pub fn names(workflow: Workflow) -> &'static [&'static str] {
        match workflow {
            Workflow::Provision => &[
                "environment",
                "spec",
                "request-id",
                "plan-digest",
                "requested-by",
                "template-version",
                "spec-source",
            ],
            // A destroy needs only the name: the record holds the rest (the workspace as
            // applied, the backend key), never today's spec.
            Workflow::Destroy => &["environment", "request-id", "requested-by"],
        }
    }

    /// The inputs as the dispatch body's `inputs` object (every value a string, as
    /// GitHub requires).
    pub fn to_json(&self, workflow: Workflow) -> Map<String, Value> {
        let mut map = Map::new();
        for &name in Self::names(workflow) {
            let value = match name {
                "environment" => self.environment.clone(),
                "spec" => self.spec.clone(),
                "request-id" => self.request_id.to_string(),
                "plan-digest" => self.plan_digest.clone().unwrap_or_default(),
                "requested-by" => self.requested_by.clone(),
                "template-version" => self.template_version.clone().unwrap_or_default(),
                "spec-source" => self.spec_source.as_str().to_owned(),
                _ => continue,
            };
            map.insert(name.to_owned(), Value::String(value));
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_input_is_sent_and_nothing_else() {
        let inputs = WorkflowInputs {
            environment: "orders".into(),
            spec: "envs/orders.kdl".into(),
            request_id: RequestId::new(jiff::Timestamp::UNIX_EPOCH),
            plan_digest: Some("sha256:ab".into()),
            requested_by: "alice".into(),
            template_version: Some("0.2.0".into()),
            spec_source: SpecSource::State,
        };
        for workflow in [Workflow::Provision, Workflow::Destroy] {
            let sent: Vec<String> = inputs.to_json(workflow).keys().cloned().collect();
            assert_eq!(sent, WorkflowInputs::names(workflow), "{workflow}");
        }
    }

    #[test]
    fn the_request_time_is_read_back_from_the_id() {
        let at: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().expect("time");
        let id = RequestId::new(at);
        assert!(id.as_str().starts_with("20261123T100000Z-"), "{id}");
        assert_eq!(RequestId::requested_at(id.as_str()), Some(at));
        assert_eq!(RequestId::requested_at("garbage"), None);
        assert_ne!(id, RequestId::new(at), "two requests in one second differ");
    }
}
