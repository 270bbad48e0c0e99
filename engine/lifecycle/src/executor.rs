//! Where an apply or a destroy runs: here (the local executor, OpenTofu when asked), or
//! on a GitHub Actions runner. One value, chosen once per request, so every front door
//! calls the same two operations.

use std::path::Path;

use idp_plan::{Plan, Project};
use idp_state::Stored;

use crate::github::{Handed, Handoff};
use crate::{Ctx, LifecycleError};

/// The executor of one request.
pub enum Executor {
    /// Here: the workspace is written, and with a tool OpenTofu runs.
    Local(Option<idp_executor::Tool>),
    /// On a runner of one repository's workflows (boxed: a client and its runtime).
    GitHub(Box<Handoff>),
}

impl Executor {
    /// Applies a confirmed plan: here, or dispatched to provision.yml. Returns what was
    /// handed off (nothing here) and the first failure.
    pub fn apply(
        &self,
        ctx: &Ctx,
        project: &Project,
        plan: &Plan,
        spec: &Path,
        requested_by: &str,
        now: jiff::Timestamp,
    ) -> (Vec<Handed>, Option<LifecycleError>) {
        match self {
            Executor::Local(tool) => {
                let result = crate::apply_here(ctx, project, plan, spec, tool.as_ref(), now);
                (Vec::new(), result.err())
            }
            Executor::GitHub(handoff) => {
                crate::hand_off(ctx, plan, handoff, spec, requested_by, now)
            }
        }
    }

    /// Destroys a recorded environment: here from its record (`legacy` is the project to
    /// emit an old record's workspace with), or dispatched to destroy.yml.
    pub fn destroy(
        &self,
        ctx: &Ctx,
        stored: &Stored,
        requested_by: &str,
        legacy: Option<&Project>,
    ) -> Result<(), LifecycleError> {
        match self {
            Executor::Local(tool) => {
                crate::destroy_here(ctx, &stored.record.name, tool.as_ref(), legacy)
            }
            Executor::GitHub(handoff) => {
                crate::hand_off_destroy(ctx, handoff, stored, requested_by)
            }
        }
    }
}
