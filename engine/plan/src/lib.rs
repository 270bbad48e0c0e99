//! The pipeline in one direction: resolve → validate → derive → render → judge → emit,
//! from a parsed spec to planned environments ready for an executor.
//!
//! Every input problem in a file is collected and reported together; a plugin that
//! fails stops the run with an error that names it.
#![deny(missing_docs)]

mod error;
mod judge;
mod pipeline;

pub use error::PlanError;
pub use judge::{Judgement, LoadedPolicy, WaiverOrigin};
pub use pipeline::{Pipeline, Plan, PlannedEnv, Project, Provenance, Stage, StageTimes};
