//! Extend: a longer life, judged by every policy before it is recorded.
//!
//! The recorded spec is planned again with its TTL replaced by the whole new lifetime
//! (creation to new expiry), so max-ttl and any other policy judge exactly what would be
//! true after the extension, with findings pointing at the spec's `ttl` line. When the
//! spec is gone (deleted, renamed, or no longer declaring the environment), nothing can
//! judge the extension, so it is refused: extending unjudged would let anyone outlive
//! max-ttl by deleting a file.

use idp_model::Ttl;
use idp_plan::{Pipeline, Plan, Project, Stage};
use idp_spec::Spanned;
use idp_state::{EnvLock, Status};

use crate::record::Held;
use crate::{Ctx, LifecycleError, project};

/// An extension judged but not yet recorded; holds the environment's lock.
pub struct Judged {
    _lock: EnvLock,
    held: Held,
    /// The plan of the spec with the new lifetime; its findings are the verdict.
    pub plan: Plan,
    /// The whole new lifetime, as a TTL is written (`4d`).
    pub lifetime: String,
    /// The new expiry.
    pub expires_at: jiff::Timestamp,
}

impl Judged {
    /// Whether a policy denies the extension.
    pub fn denied(&self) -> bool {
        self.plan.denied()
    }

    /// The environment.
    pub fn name(&self) -> &str {
        &self.held.stored.record.name
    }
}

/// Parses how much longer (`12h`, `3d`, `1w`) into seconds.
pub fn parse_by(by: &str) -> Result<u64, LifecycleError> {
    match by.parse::<Ttl>() {
        Ok(Ttl::Seconds(s)) if s > 0 => Ok(s),
        _ => Err(LifecycleError::refused(
            "idp::lifecycle::extend_by",
            format!("`{by}` is not a length of time to extend by"),
            "write it like `12h`, `3d` or `1w`",
        )),
    }
}

/// The record of `name`, checked to be extendable (for the caller to find its project).
pub fn extendable(ctx: &Ctx, name: &str) -> Result<idp_state::Stored, LifecycleError> {
    let stored = ctx.records.require(name)?;
    let record = &stored.record;
    if matches!(record.status, Status::Destroying | Status::Destroyed) {
        return Err(LifecycleError::refused(
            "idp::lifecycle::not_extendable",
            format!(
                "`{}` is {}; there is nothing to extend",
                record.name, record.status
            ),
            "apply its spec again to bring it back",
        ));
    }
    if record.expires_at.is_none() {
        return Err(LifecycleError::refused(
            "idp::lifecycle::never_expires",
            format!("`{}` never expires", record.name),
            "only environments with a TTL can be extended",
        ));
    }
    Ok(stored)
}

/// Takes the environment's lock, reads its record and judges a life `by` seconds longer
/// with the project's policies.
pub fn judge(ctx: &Ctx, project: &Project, name: &str, by: u64) -> Result<Judged, LifecycleError> {
    let lock = ctx.state.lock(name)?;
    // Read again under the lock: what the caller read before may have changed.
    let stored = extendable(ctx, name)?;
    let record = &stored.record;
    let now = ctx.clock.now();
    let expires_at = record
        .expires_at
        .unwrap_or(now)
        .max(now)
        .checked_add(jiff::SignedDuration::from_secs(
            i64::try_from(by).unwrap_or(i64::MAX),
        ))
        .map_err(|_| {
            LifecycleError::refused(
                "idp::lifecycle::extend_overflow",
                "that extension ends after the year 9999",
                "extend by less",
            )
        })?;
    let lifetime = (expires_at.as_second() - record.created_at.as_second()).unsigned_abs();
    let mut spec = project::spec_of(ctx, record)?;
    let Some(env) = spec
        .environments
        .iter_mut()
        .find(|e| e.name.value == record.name)
    else {
        return Err(LifecycleError::NotDeclared {
            name: record.name.clone(),
            spec: record.spec.clone(),
        });
    };
    let span = env.ttl.as_ref().map_or(env.name.span, |t| t.span);
    env.ttl = Some(Spanned {
        value: Ttl::Seconds(lifetime),
        span,
    });
    let plan = Pipeline::new(project)?.plan(&spec, Some(&record.name), Stage::Emit, now)?;
    Ok(Judged {
        _lock: lock,
        lifetime: Ttl::Seconds(lifetime).to_string(),
        expires_at,
        plan,
        held: Held { stored },
    })
}

/// Records a judged extension that no policy denies.
pub fn record(ctx: &Ctx, mut judged: Judged) -> Result<(), LifecycleError> {
    if judged.denied() {
        return Err(LifecycleError::refused(
            "idp::lifecycle::extend_denied",
            format!("a policy denies extending `{}`", judged.name()),
            "see the findings",
        ));
    }
    let (expires_at, lifetime, now) = (judged.expires_at, judged.lifetime.clone(), ctx.clock.now());
    judged.held.update(ctx.records, |r| {
        r.expires_at = Some(expires_at);
        r.extended_until = Some(expires_at);
        r.ttl = lifetime.clone();
        r.updated_at = now;
    })
}
