//! `idp check`: the pipeline up to judge over every environment spec under some paths,
//! spread over all cores, with every problem of every file collected into one report.
//!
//! Each worker thread keeps its own [`Pipeline`](idp_plan::Pipeline) per project (plugins
//! loaded once, a fresh store per call) and reduces each planned file to a compact
//! [`FileResult`] at once, so memory grows with the findings, not with the specs.
#![deny(missing_docs)]

mod base;
mod cache;
mod discover;
mod error;
mod report;
mod run;

pub use base::{Change, ChangedSpec, changed_specs};
pub use cache::{Cache, CacheMode, CacheStats};
pub use discover::{Group, discover, group};
pub use error::CheckError;
pub use report::{CheckReport, EnvSummary, FileResult, Item, ItemKind, RuleDescriptor, Timings};
pub use run::{OnFile, RunOptions, run};
