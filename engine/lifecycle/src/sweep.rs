//! The TTL sweep: find the expired and the soon expiring, and hand each expired one to a
//! destroy run. One unreadable record is reported and the others are still swept; a
//! record changed by another run since it was read is skipped, not overwritten.

use idp_state::{Listing, StateError, SweepItem};

use crate::github::Handoff;
use crate::{Ctx, Event, LifecycleError, destroy};

/// What the sweep found.
pub struct Survey {
    /// The decisions, most overdue first.
    pub items: Vec<SweepItem>,
    /// Records that could not be read, each with its path.
    pub problems: Vec<StateError>,
}

/// Reads every record and decides what happens to each.
pub fn survey(ctx: &Ctx, warn_within: jiff::SignedDuration) -> Result<Survey, LifecycleError> {
    let Listing { records, problems } = ctx.records.list()?;
    Ok(Survey {
        items: idp_state::sweep(&records, ctx.clock.now(), warn_within),
        problems,
    })
}

/// Hands every expired environment of `items` to destroy.yml. One failure does not stop
/// the sweep: the others still expire on schedule. Returns the last failure.
pub fn dispatch(
    ctx: &Ctx,
    handoff: &Handoff,
    items: &[&SweepItem],
    requested_by: &str,
) -> Option<LifecycleError> {
    let mut failed = None;
    for item in items {
        let stored = idp_state::Stored {
            record: item.record.clone(),
            version: item.version.clone(),
        };
        match destroy::hand_off_destroy(ctx, handoff, &stored, requested_by) {
            Ok(()) => {}
            Err(LifecycleError::State(
                e @ (StateError::Conflict { .. } | StateError::Locked { .. }),
            )) => {
                (ctx.events)(Event::Warning(format!("not dispatched: {e}")));
            }
            Err(e) => {
                (ctx.events)(Event::Warning(format!("{e}")));
                failed = Some(e);
            }
        }
    }
    failed
}
