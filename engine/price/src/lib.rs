//! Price: a template's bill of materials times a price book, over the environment's real
//! lifetime. The embedded book (`pricebook.json`) covers eight regions and records for
//! every figure where and when it was read and what kind of source that was; a price the
//! book does not have leaves the estimate incomplete, a lower bound that names the line,
//! never a silent zero.
//!
//! Monthly figures use AWS's 730 hours a month. The lifetime figure bills hourly lines for
//! the TTL's hours and monthly lines pro rata, so a 7-day preview is not billed a month.
//! The organisation's discounts and rates ([`Rates`]) are applied after, each shown as a
//! line of its own.
#![deny(missing_docs)]

mod billed;
mod book;
mod error;
mod estimate;
mod rates;
pub mod usage;

pub use billed::{BILLED, Cell, Coverage, Need, REGIONS};
pub use book::{
    GLOBAL, GLOBAL_SERVICES, MAX_BOOK_BYTES, OtherFigure, Price, PriceBook, SourceKind,
};
pub use error::{BookError, PriceError};
pub use estimate::{Adjustment, Estimate, Line, Missing, OrganisationPrice, estimate};
pub use rates::{Rates, Rule, RuleKind};
