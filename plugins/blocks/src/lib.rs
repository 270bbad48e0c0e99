//! Building blocks the built-in templates share: the Fargate size table, the `common` and
//! `networking` module calls, the optional blocks of a web service (buckets, topics, files,
//! mail, sign-in, a domain), bill-of-materials lines and EventBridge schedule expressions.
//!
//! Each template stays a short composition of these; a rule AWS enforces (a CPU/memory
//! pair, a cron field) is written once, here, and tested natively.

mod bill;
mod container;
pub mod extras;
mod foundation;
pub mod schedule;
pub mod schema;
mod service;

pub use bill::{Bill, HOURS_PER_MONTH};
pub use container::{Container, fargate_memory_options};
pub use extras::{Extras, ExtrasUsage};
pub use foundation::{ClassSettings, Foundation, Network, class_settings};
pub use service::{Common, Usage, WebService, with_schedule};
