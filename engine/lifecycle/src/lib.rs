//! The lifecycle of an environment, for every front door (the CLI, and later `idp serve`):
//! apply, destroy, extend, the TTL sweep, and the executor that runs them (here, with
//! OpenTofu, or on a GitHub Actions runner).
//!
//! ```text
//!   apply ──▶ PENDING ──(tool)──▶ APPLYING ──▶ READY | FAILED
//!                                   destroy ──▶ DESTROYING ──▶ DESTROYED
//!                                               (cannot proceed: FAILED + the reason)
//!   apply denied only under `approval` enforcement ──▶ PENDING_APPROVAL
//!         ──approve──▶ PENDING (the same plan digest) | ──reject──▶ DESTROYED
//!   extend: READY/PENDING/FAILED with a later expiry, judged by every policy first
//!   sweep:  expired → destroy dispatched (at most `MAX_DESTROY_ATTEMPTS` times)
//! ```
//!
//! Nothing here asks a question or prints: a caller decides (confirmation is the
//! caller's, before it calls), and hears what happens through [`Event`]s. The record an
//! apply writes (schema version 2) holds everything a destroy needs — the workspace as
//! applied beside it, module digests, the backend key — so a destroy never depends on
//! today's spec or idp.kdl. Every record write is conditional on the version read, so a
//! concurrent change is merged or reported, never lost; and the clock of a mutating
//! command is idp's ([`Clock`]), not the caller's.
#![deny(missing_docs)]

mod apply;
mod approval;
pub mod audit;
mod clock;
mod destroy;
mod error;
mod event;
mod executor;
mod extend;
mod github;
mod project;
mod record;
mod sweep;
pub mod upgrade;

use std::path::PathBuf;

pub use apply::{COST_FILE, apply_here, check_digest, hand_off, hand_off_recorded};
pub use approval::{
    approve, approved_for, gated, reject, request as request_approval, request_time,
};
pub use clock::{CLOCK_SKEW, Clock, PINNABLE, QUEUE_WINDOW};
pub use destroy::{check_tool, destroy_here, destroy_inputs, hand_off_destroy, mark_destroying};
pub use error::{LifecycleError, Refusal};
pub use event::{Event, Events};
pub use executor::Executor;
pub use extend::{Judged, extendable, judge, parse_by, record as record_extension};
pub use github::{
    ExecutorChoice, ExecutorKind, Handed, Handoff, github_settings, github_target,
    run_here_conflict,
};
pub use project::{posted_spec_path, project_root, read_recorded_spec, recorded_spec, spec_of};
pub use record::{backend_for, executor_backend, module_digests};
pub use sweep::{Survey, dispatch as sweep_dispatch, survey};

/// Where and when a lifecycle operation runs: the records, the local state directory
/// (workspaces and their locks), the project's root, the clock, and who listens.
pub struct Ctx<'a> {
    /// Where records are read and written.
    pub records: &'a dyn idp_state::RecordStore,
    /// Workspaces and locks on this machine.
    pub state: &'a idp_state::StateStore,
    /// Whether runners write these records too (S3): then a destroy handed off is marked
    /// DESTROYING before it is dispatched.
    pub shared_records: bool,
    /// Whether OpenTofu reaches the bucket path-style (an S3-compatible endpoint).
    pub path_style: bool,
    /// The project's root: recorded spec paths are relative to it.
    pub root: PathBuf,
    /// The clock of this operation.
    pub clock: Clock,
    /// Who hears what happens.
    pub events: Events<'a>,
}
