//! idp-report
