//! Price: a template's bill of materials times a price book, over the environment's real
//! lifetime. The embedded book (`pricebook.json`) records for every figure where and
//! when it was read; a price the book does not have is an error that names it, never a
//! silent zero.
//!
//! Monthly figures use AWS's 730 hours a month. The lifetime figure bills hourly lines for
//! the TTL's hours and monthly lines pro rata, so a 7-day preview is not billed a month.
#![deny(missing_docs)]

mod book;
mod estimate;

pub use book::{Price, PriceBook};
pub use estimate::{Estimate, Line, PriceError, estimate};
