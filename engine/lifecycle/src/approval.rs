//! Approvals: an apply whose only blocking findings are under `approval` enforcement
//! waits in PENDING_APPROVAL with its plan digest and its workspace kept; an approver
//! (never the requester) approves it before it expires, and exactly that plan goes on as
//! PENDING, or rejects it. Only the approved digest passes afterwards ([`approved_for`]).

use std::path::Path;

use idp_plan::{Plan, PlannedEnv, Project};
use idp_state::{Approval, Decision, Status, Stored};

use crate::apply::{pending_record, write_workspace};
use crate::record::{Held, backend_for, replace};
use crate::{Ctx, Event, LifecycleError};

/// The codes of the findings that make `plan` wait for an approver, or `None` when it
/// is not denied, or denied by anything an approval cannot let through.
pub fn gated(plan: &Plan) -> Option<Vec<String>> {
    if !plan.denied() || plan.fails() {
        return None;
    }
    let blocking = plan
        .environments
        .iter()
        .flat_map(|e| e.findings.iter().filter(|f| f.blocks()));
    Some(blocking.map(|f| f.code()).collect())
}

/// Whether `planned` is exactly what an approver approved, still within its window: a
/// record (neither waiting nor destroyed) whose approval was granted for this plan digest,
/// so applying the approved spec again goes on.
pub fn approved_for(ctx: &Ctx, planned: &PlannedEnv) -> Result<bool, LifecycleError> {
    let Some(workspace) = &planned.workspace else {
        return Ok(false);
    };
    let Some(stored) = ctx.records.read(&planned.env.name)? else {
        return Ok(false);
    };
    let now = ctx.clock.now();
    let live = !matches!(
        stored.record.status,
        Status::PendingApproval | Status::Destroyed
    );
    Ok(live
        && stored.record.approval.as_ref().is_some_and(|a| {
            a.approved() && a.plan_digest == workspace.digest && now <= a.expires_at
        }))
}

/// The instant a dispatched request was made, from its id: within the clock's window
/// ([`crate::Clock::request_time`]), or, for `env` whose record holds an approval
/// granted for a plan requested at exactly that instant, until that approval expires
/// ([`crate::Clock::approved_request_time`]). Nothing else passes.
pub fn request_time(
    ctx: &Ctx,
    request_id: &str,
    env: Option<&str>,
) -> Result<jiff::Timestamp, LifecycleError> {
    let outside = match ctx.clock.request_time(request_id) {
        Err(e @ LifecycleError::RequestTime { .. }) => e,
        other => return other,
    };
    let requested = idp_github::RequestId::requested_at(request_id);
    let Some(stored) = env.map(|n| ctx.records.read(n)).transpose()?.flatten() else {
        return Err(outside);
    };
    match &stored.record.approval {
        Some(a)
            if a.approved()
                && stored.record.status == Status::Pending
                && Some(a.requested_at) == requested =>
        {
            ctx.clock.approved_request_time(a)
        }
        _ => Err(outside),
    }
}

/// Records every environment of `plan` as PENDING_APPROVAL: its workspace is written
/// (what an approval lets through), and the record names who asked and until when it may
/// be approved. An environment that holds resources is refused: a wait must never
/// forget what an apply made.
pub fn request(
    ctx: &Ctx,
    project: &Project,
    plan: &Plan,
    spec: &Path,
    requested_by: &str,
    now: jiff::Timestamp,
) -> Result<(), LifecycleError> {
    let findings = gated(plan).unwrap_or_default();
    let window = jiff::SignedDuration::from_secs(
        i64::try_from(project.config.approvals.expire_after_secs).unwrap_or(i64::MAX),
    );
    for planned in &plan.environments {
        let Some(workspace) = &planned.workspace else {
            continue;
        };
        let name = &planned.env.name;
        let lock = ctx.state.lock(name)?;
        let previous = ctx.records.read(name)?;
        if let Some(p) = previous.as_ref().filter(|p| holds_resources(p)) {
            return Err(LifecycleError::refused(
                "idp::lifecycle::approval_over_applied",
                format!(
                    "`{name}` is {}; a change that needs approval waits only before an environment is applied",
                    p.record.status
                ),
                "destroy it first, or change the spec so that no policy under approval enforcement denies it",
            ));
        }
        let backend = backend_for(Some(&project.config), name);
        let mut record = pending_record(
            &planned.env,
            workspace,
            spec,
            now,
            previous.as_ref(),
            &backend,
        );
        record.status = Status::PendingApproval;
        record.approval = Some(Approval {
            plan_digest: workspace.digest.clone(),
            requested_by: requested_by.to_owned(),
            requested_at: now,
            expires_at: now.checked_add(window).unwrap_or(now),
            findings: findings.clone(),
            decision: None,
        });
        write_workspace(ctx, &lock, planned, workspace)?;
        replace(ctx.records, record, previous.as_ref().map(|p| &p.version))?;
        (ctx.events)(Event::Recorded {
            name: name.clone(),
            status: Status::PendingApproval,
            dir: lock.dir().to_path_buf(),
        });
    }
    Ok(())
}

fn holds_resources(p: &Stored) -> bool {
    matches!(
        p.record.status,
        Status::Ready | Status::Applying | Status::Failed | Status::Destroying
    )
}

/// Approves `name`'s waiting plan as `by`: refused to the requester, after the approval
/// expired, or when the kept workspace is not the digest judged. The record becomes
/// PENDING with that workspace, as `idp apply` without `--run` leaves it.
pub fn approve(
    ctx: &Ctx,
    name: &str,
    by: &str,
    reason: Option<&str>,
) -> Result<Stored, LifecycleError> {
    decide(ctx, name, by, reason, true)
}

/// Rejects `name`'s waiting plan as `by` (a reason is required): nothing is applied, and
/// the record says so (DESTROYED: it never held resources).
pub fn reject(ctx: &Ctx, name: &str, by: &str, reason: &str) -> Result<Stored, LifecycleError> {
    if reason.trim().is_empty() {
        return Err(LifecycleError::refused(
            "idp::lifecycle::approval_reason",
            "a rejection needs a reason",
            "write `--reason \"why\"` (or `{\"reason\": \"why\"}`)",
        ));
    }
    decide(ctx, name, by, Some(reason), false)
}

fn decide(
    ctx: &Ctx,
    name: &str,
    by: &str,
    reason: Option<&str>,
    approved: bool,
) -> Result<Stored, LifecycleError> {
    let _lock = ctx.state.lock(name)?;
    let stored = ctx.records.require(name)?;
    let approval = waiting(&stored)?;
    let now = ctx.clock.now();
    if approval.requested_by == by {
        return Err(LifecycleError::refused(
            "idp::lifecycle::own_approval",
            format!("`{by}` requested `{name}` and cannot decide on it"),
            "ask another approver",
        ));
    }
    if approved {
        ctx.clock.approved_request_time(approval)?;
        check_workspace(ctx, name, approval)?;
    }
    let decision = Decision {
        approved,
        by: by.to_owned(),
        at: now,
        reason: reason.map(str::to_owned),
    };
    let mut held = Held { stored };
    held.update(ctx.records, |r| {
        r.status = if approved {
            Status::Pending
        } else {
            Status::Destroyed
        };
        r.updated_at = now;
        if let Some(a) = r.approval.as_mut() {
            a.decision = Some(decision.clone());
        }
    })?;
    (ctx.events)(Event::Reached {
        name: name.to_owned(),
        status: held.stored.record.status,
    });
    Ok(held.stored)
}

/// The approval a record waits for, or why there is none.
fn waiting(stored: &Stored) -> Result<&Approval, LifecycleError> {
    let record = &stored.record;
    match (&record.approval, record.status) {
        (Some(a), Status::PendingApproval) => Ok(a),
        _ => Err(LifecycleError::refused(
            "idp::lifecycle::not_pending_approval",
            format!(
                "`{}` is {}, not waiting for an approval",
                record.name, record.status
            ),
            "`idp list` shows each environment's status; `GET /api/v1/approvals` what waits",
        )),
    }
}

/// The workspace kept at the request must still be the digest judged.
fn check_workspace(ctx: &Ctx, name: &str, approval: &Approval) -> Result<(), LifecycleError> {
    let kept = ctx.records.read_workspace(name)?;
    let actual = kept.map_or_else(|| "none".to_owned(), |w| w.digest);
    if actual != approval.plan_digest {
        return Err(LifecycleError::DigestChanged {
            environment: name.to_owned(),
            expected: approval.plan_digest.clone(),
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_state::{RecordStore, RecordedWorkspace, StateStore};

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().expect("time")
    }

    /// A record waiting for approval, requested by ann, open until the 25th.
    fn waiting(store: &StateStore, workspace_digest: &str) {
        let json = serde_json::json!({
            "name": "e", "template": "hello", "template_version": "0.1.0", "owner": "a@b.io",
            "team": "t", "class": "preview", "region": "us-east-1",
            "created_at": "2026-11-23T10:00:00Z", "ttl": "1d", "expires_at": null,
            "status": "PENDING_APPROVAL", "plan_digest": "sha256:1", "spec": "env.kdl",
            "updated_at": "2026-11-23T10:00:00Z",
            "approval": {"plan_digest": "sha256:1", "requested_by": "ann",
                "requested_at": "2026-11-23T10:00:00Z", "expires_at": "2026-11-25T10:00:00Z",
                "findings": ["max-ttl/ttl-above-maximum"]}
        });
        let record: idp_state::Record = serde_json::from_value(json).expect("record");
        store.write(&record, None).expect("write");
        let workspace = RecordedWorkspace {
            digest: workspace_digest.into(),
            files: vec![],
        };
        store.write_workspace("e", &workspace).expect("workspace");
    }

    fn ctx<'a>(store: &'a StateStore, now: &str) -> Ctx<'a> {
        Ctx {
            records: store,
            state: store,
            shared_records: false,
            path_style: false,
            root: std::path::PathBuf::new(),
            clock: crate::Clock::at(at(now)),
            events: &|_| {},
        }
    }

    fn code(e: &LifecycleError) -> String {
        miette::Diagnostic::code(e)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn only_someone_else_approves_in_time_and_only_the_judged_workspace() {
        let dir = tempfile::tempdir().expect("dir");
        let store = StateStore::new(dir.path());
        waiting(&store, "sha256:1");
        let now = ctx(&store, "2026-11-24T10:00:00Z");
        let own = approve(&now, "e", "ann", None).expect_err("own");
        assert_eq!(code(&own), "idp::lifecycle::own_approval");
        let late = approve(&ctx(&store, "2026-11-25T10:00:01Z"), "e", "bob", None);
        assert_eq!(
            code(&late.expect_err("expired")),
            "idp::lifecycle::approval_expired"
        );
        let no_reason = reject(&now, "e", "bob", " ").expect_err("reason");
        assert_eq!(code(&no_reason), "idp::lifecycle::approval_reason");
        let done = approve(&now, "e", "bob", Some("ok")).expect("approved");
        assert_eq!(done.record.status, Status::Pending);
        assert!(
            done.record
                .approval
                .as_ref()
                .is_some_and(Approval::approved)
        );
        let again = approve(&now, "e", "bob", None).expect_err("decided");
        assert_eq!(code(&again), "idp::lifecycle::not_pending_approval");

        let dir = tempfile::tempdir().expect("dir");
        let store = StateStore::new(dir.path());
        waiting(&store, "sha256:other");
        let swapped = approve(&ctx(&store, "2026-11-24T10:00:00Z"), "e", "bob", None);
        assert_eq!(
            code(&swapped.expect_err("swapped")),
            "idp::apply::digest_changed"
        );
        assert_eq!(
            store.get("e").expect("read").expect("record").status,
            Status::PendingApproval
        );
    }

    #[test]
    fn a_rejection_applies_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let store = StateStore::new(dir.path());
        waiting(&store, "sha256:1");
        let done =
            reject(&ctx(&store, "2026-11-24T10:00:00Z"), "e", "bob", "no").expect("rejected");
        assert_eq!(done.record.status, Status::Destroyed);
        let decision = done
            .record
            .approval
            .and_then(|a| a.decision)
            .expect("decision");
        assert!(!decision.approved);
        assert_eq!(decision.reason.as_deref(), Some("no"));
    }
}
