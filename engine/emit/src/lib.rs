//! idp-emit
