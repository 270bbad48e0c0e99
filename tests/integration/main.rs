//! Behaviour through the real `idp` binary and real built components: what a user sees
//! on stdout and stderr, exit codes, and what lands on disk.
//!
//! One test binary for the whole crate, so it links once (two cores).

mod action;
mod apply;
mod approvals;
mod authoring_build;
mod authoring_new;
mod authoring_panic;
mod authoring_test;
mod catalog;
mod catalog_blocks;
mod check;
mod check_base;
mod check_cache;
mod cost;
mod cost_report;
mod error_codes;
mod fmt;
mod github;
mod harness;
mod help;
mod hostile;
mod lifecycle;
mod local_http;
mod lsp;
mod modules;
mod org_rates;
mod parser;
mod plan;
mod portal;
mod portal_browser;
mod precommit;
mod pricing;
mod progress;
mod records;
mod regions;
mod remote_state;
mod schedule;
mod serve;
mod serve_auth;
mod serve_github;
mod serve_replicas;
mod trust;
mod ui;
mod upgrade;
mod webdriver;
