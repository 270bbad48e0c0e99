use miette::Diagnostic;

use crate::Estimate;

/// Why an environment has no estimate to judge by.
#[derive(Debug, Clone, thiserror::Error, Diagnostic, PartialEq)]
pub enum PriceError {
    /// The book has no prices for the region at all.
    #[error("the price book has no prices for region `{region}`")]
    #[diagnostic(
        code(idp::price::unknown_region),
        help(
            "the price book ({snapshot}) covers {covered}; run `idp pricing refresh --region {region}`, or give the organisation's own book (`pricing {{ book \"…\" }}` in its idp.kdl)"
        )
    )]
    UnknownRegion {
        /// The region.
        region: String,
        /// The regions it has, for the help.
        covered: String,
        /// The book's date.
        snapshot: String,
    },
    /// The book lacks prices for some lines: the estimate is only a lower bound, which
    /// nothing judges unless the organisation accepts it (`pricing { incomplete "accept" }`).
    #[error("the price book has no price in `{region}` for {missing}")]
    #[diagnostic(
        code(idp::price::incomplete),
        help(
            "run `idp pricing refresh --region {region}`, or give the organisation's own price book (`pricing {{ book \"…\" }}` in its idp.kdl); `idp cost` shows the lower bound"
        )
    )]
    Incomplete {
        /// The region.
        region: String,
        /// The missing service codes and usage types, for people.
        missing: String,
        /// The lower bound, with the missing lines named.
        estimate: Box<Estimate>,
    },
}

impl PriceError {
    /// The lower bound an incomplete estimate still gives.
    pub fn estimate(&self) -> Option<&Estimate> {
        match self {
            PriceError::Incomplete { estimate, .. } => Some(estimate),
            PriceError::UnknownRegion { .. } => None,
        }
    }
}

/// Why a price book file cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum BookError {
    /// It cannot be read.
    #[error("cannot read it: {reason}")]
    Unreadable {
        /// What the system said.
        reason: String,
    },
    /// It is larger than a price book can be.
    #[error("it is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// It is not a price book's JSON.
    #[error("it is not a price book: {reason}")]
    Malformed {
        /// What the parser said.
        reason: String,
    },
    /// It parses, but a value cannot be a price book's.
    #[error("it is not a valid price book: {reason}")]
    Invalid {
        /// Which value, and why.
        reason: String,
    },
}
