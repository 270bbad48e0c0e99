//! Why the server could not start or stopped. Request failures are not errors of the
//! server: they are answered as problems ([`crate::ApiProblem`]).

use std::net::SocketAddr;

use miette::Diagnostic;

/// Why `idp serve` could not run.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ServerError {
    /// `--listen` names an address other hosts can reach, and no authentication exists.
    #[error("refusing to listen on `{addr}`: it is not a loopback address")]
    #[diagnostic(
        code(idp::server::not_loopback),
        help(
            "the server has no authentication yet, so it listens on loopback only: pass `--listen 127.0.0.1:8080` (or `[::1]:8080`), and put a proxy in front of it to reach it from elsewhere"
        )
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The address could not be bound (in use, or not this machine's).
    #[error("cannot listen on `{addr}`: {reason}")]
    #[diagnostic(
        code(idp::server::bind),
        help("choose another port with `--listen 127.0.0.1:PORT` (port 0 picks a free one)")
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        reason: String,
    },
    /// The async runtime or a signal handler could not be set up.
    #[error("cannot start the server: {reason}")]
    #[diagnostic(
        code(idp::server::runtime),
        help("this machine is out of threads or file descriptors; try again")
    )]
    Runtime {
        /// What failed.
        reason: String,
    },
}

impl ServerError {
    /// Whether the user can fix it by changing the command line (exit 2), as opposed to
    /// a failure of the machine (exit 3).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            ServerError::NotLoopback { .. } | ServerError::Bind { .. }
        )
    }
}
