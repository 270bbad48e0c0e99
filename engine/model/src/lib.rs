//! The values that flow through idp's pipeline: resolved environments, renderings,
//! findings, and what plugins say about themselves.
//!
//! Every stage crate speaks these types, so no stage depends on another's internals
//! and none sees the WebAssembly bindings.
#![deny(missing_docs)]

mod duration;
mod environment;
mod files;
mod finding;
mod names;
mod plugin;
mod rendering;
mod schedule;

pub use duration::{Ttl, TtlError};
pub use environment::{Class, Environment, Tag, UnknownClass};
pub use files::read_prefix;
pub use finding::{Finding, Severity, Waived};
pub use names::{
    InvalidName, MAX_NAME_LEN, NameKind, check_name, check_version, is_environment_name,
    is_invisible_format, printable, terminal_safe,
};
pub use plugin::{InputParts, PluginId, PluginKind, PolicyInfo, RuleInfo, TemplateInfo};
pub use rendering::{BillItem, BillingBasis, CostEstimate, ModuleCall, Output, Rendering, Wire};
pub use schedule::{Schedule, ScheduleError, Weekday};
