//! idp-executor
