//! `idp serve`: the REST API v1 and the web portal over the same engine as the CLI.
//!
//! # Design
//!
//! - **One engine.** A request calls the library crates the CLI calls (`idp-plan`'s
//!   [`Pipeline`](idp_plan::Pipeline), the [`RecordStore`](idp_state::RecordStore),
//!   the catalog and the plugin host) and answers with the JSON documents of
//!   `idp-report` that `--format json` prints, so a script reads the same fields from
//!   either front door. The CLI builds the [`Project`] (configuration, catalog, host,
//!   prices, records) exactly as for `idp plan`, and hands it over: this crate reads no
//!   environment variable and no file of its own.
//! - **One route table.** [`routes`] lists every route once, with the handler and what
//!   the OpenAPI document says about it; the router and `/api/v1/openapi.json` are both
//!   made from that list, so the document cannot miss a route.
//! - **Blocking work off the async threads.** Planning runs plugins in wasmtime and the
//!   record store may be S3 (a blocking client): every engine call runs on tokio's
//!   blocking pool, and plans wait for one of a bounded number of plan slots, so one
//!   slow plan never stalls `/healthz` or another request.
//! - **Plugin isolation: strict.** The server plans as `idp plan` does, with a fresh
//!   plugin instance for every call ([`Isolation::Strict`](idp_host::Isolation)), the
//!   same fuel, memory and time limits, and a fresh [`Pipeline`](idp_plan::Pipeline)
//!   per request: nothing a plugin keeps in its memory reaches another request.
//! - **Nothing trusted.** Request bodies are bounded ([`Options::body_limit`], 413),
//!   a client that is slow to send its headers or body is cut off (408), unknown routes
//!   and methods answer 404 and 405, malformed JSON 400; every error is an RFC 9457
//!   problem ([`ApiProblem`]). Without authentication configured, [`serve`] refuses an
//!   address that is not loopback.
//! - **Who may do what** ([`auth`]): API tokens ([`TokenStore`], kept hashed) and the
//!   identity headers of a trusted proxy name the caller; roles from the organisation's
//!   `idp.kdl` say what they may read and change; cross-origin browser requests that
//!   change something are refused. Apply, extend and destroy go through `idp-lifecycle`
//!   and each is appended to the audit log ([`idp_lifecycle::audit`]).
//! - **The portal** (the `portal` module, at `/`) renders the documents the API
//!   answers as HTML pages, calling the same functions the API routes call; a form is
//!   turned into the KDL spec it stands for and planned by the engine, whose
//!   diagnostics come back at the fields. Pages carry a strict Content-Security-Policy
//!   and need no script (the embedded `portal.js` adds the live preview).
//! - **Runs on GitHub.** With `executor github` in idp.kdl, an apply records PENDING,
//!   keeps the posted spec in the record store and dispatches provision.yml, whose runner
//!   plans that spec again (`idp apply --posted`) and applies only the confirmed digest; a
//!   destroy dispatches destroy.yml. The server never follows a run: the dispatch is in
//!   the audit log, and [`runs`] asks GitHub how each run stands when it is read.
//! - **One line per request** to the log sink: method, path, the query's names (never
//!   its values), status and milliseconds. No header and no body is ever logged.
#![deny(missing_docs)]

mod approvals;
mod auth;
mod catalog;
mod environments;
mod error;
mod http;
mod mutate;
mod openapi;
mod plan;
mod portal;
mod problem;
mod routes;
mod runs;
mod tokens;
mod upgrade;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idp_plan::Project;

pub use auth::{Identity, Peer, Via};
pub use error::{ServerError, TokenError};
pub use http::{check_listen, serve};
pub use problem::{ApiProblem, PROBLEM_JSON};
pub use routes::{Route, router, routes};
pub use tokens::{TOKENS_FILE, TokenEntry, TokenStore};

/// Where log lines go (stderr in `idp serve`).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How the server runs.
#[derive(Clone)]
pub struct Options {
    /// The address to listen on (loopback only; port 0 picks a free one).
    pub listen: SocketAddr,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long a client may take to send a request's headers, and then its body.
    pub read_timeout: Duration,
    /// Plans that may run at once; further ones wait for a slot.
    pub plan_slots: usize,
    /// The clock of plans, when pinned (`IDP_NOW`); otherwise the time of each request.
    pub now: Option<jiff::Timestamp>,
    /// Where the per-request lines go.
    pub log: LogSink,
    /// Where applies and destroys run: `None` here (PENDING and the workspace, as
    /// `idp apply` without `--run`), or a repository's workflows (the `executor github`
    /// of idp.kdl).
    pub github: Option<GitHubRuns>,
}

/// The repository whose workflows the server hands applies and destroys to.
#[derive(Clone, Debug)]
pub struct GitHubRuns {
    /// The API, repository and token (built by the caller: this crate reads no
    /// environment variable).
    pub target: idp_github::Target,
    /// The ref the workflows are dispatched on.
    pub git_ref: String,
}

impl Options {
    /// The defaults for an address: a 256 KiB body limit, 10 s to send headers or a
    /// body, one plan slot per core.
    pub fn new(listen: SocketAddr, log: LogSink) -> Options {
        Options {
            listen,
            body_limit: 256 * 1024,
            read_timeout: Duration::from_secs(10),
            plan_slots: std::thread::available_parallelism().map_or(2, |n| n.get()),
            now: None,
            log,
            github: None,
        }
    }
}

/// What every request shares: the project, and what is computed once.
pub(crate) struct Inner {
    pub(crate) project: Project,
    pub(crate) options: Options,
    /// Bounds the plans running at once.
    pub(crate) plan_slots: tokio::sync::Semaphore,
    /// The catalog as described once (plugins loaded to read their `info()`); the
    /// catalog does not change while the server runs.
    pub(crate) described: Mutex<Option<Arc<catalog::Described>>>,
    /// The project's root (the git checkout above idp.kdl), found once: recorded spec
    /// paths are relative to it.
    pub(crate) root: std::path::PathBuf,
}

/// The server's shared state, cheap to clone into each request.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

impl AppState {
    /// The state for a project. Project waivers cover spec files by their path, and a
    /// spec posted to the API has none, so the server's project has no project waivers
    /// (a spec's own waivers still apply).
    pub fn new(mut project: Project, options: Options) -> AppState {
        project.config.waivers.clear();
        // Absolute: `--config examples/idp.kdl` makes a relative root.
        let config_root = &project.config.root;
        let root = idp_lifecycle::project_root(
            &std::path::absolute(config_root).unwrap_or_else(|_| config_root.clone()),
        );
        AppState(Arc::new(Inner {
            root,
            plan_slots: tokio::sync::Semaphore::new(options.plan_slots.max(1)),
            project,
            options,
            described: Mutex::new(None),
        }))
    }

    /// The clock of a request.
    pub(crate) fn now(&self) -> jiff::Timestamp {
        self.0.options.now.unwrap_or_else(|| {
            // Whole seconds, as the CLI: creation times end up in tags and digests.
            let now = jiff::Timestamp::now();
            jiff::Timestamp::from_second(now.as_second()).unwrap_or(now)
        })
    }

    /// Runs engine work on the blocking pool; a panic in it is a 500, not a dead server.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, ApiProblem>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, ApiProblem> + Send + 'static,
    {
        let inner = self.0.clone();
        match tokio::task::spawn_blocking(move || f(&inner)).await {
            Ok(result) => result,
            Err(_) => Err(ApiProblem::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "idp::internal",
                "The engine failed",
                "idp stopped while handling this request; this is a bug in idp",
            )),
        }
    }
}

/// The JSON documents' version, as `--format json`'s.
pub(crate) const JSON_VERSION: u32 = idp_report::JSON_VERSION;

/// Compile-time proof that a project can be shared by the request threads.
#[allow(dead_code)]
fn assert_shareable() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Project>();
}
