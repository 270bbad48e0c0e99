//! idp-plan
