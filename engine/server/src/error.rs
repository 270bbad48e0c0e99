//! Why the server could not start or stopped. Request failures are not errors of the
//! server: they are answered as problems ([`crate::ApiProblem`]).

use std::net::SocketAddr;

use miette::Diagnostic;

/// Why `idp serve` could not run.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ServerError {
    /// `--listen` names an address other hosts can reach, and no authentication is
    /// configured.
    #[error(
        "refusing to listen on `{addr}`: it is not a loopback address, and no authentication is configured"
    )]
    #[diagnostic(
        code(idp::server::not_loopback),
        help(
            "without authentication the server listens on loopback only: pass `--listen 127.0.0.1:8080` (or `[::1]:8080`), or configure authentication in the organisation's idp.kdl with `server {{ trusted-proxy \"ADDRESS\" }}` and `role …` (docs/decisions/0013-server.md)"
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

/// Why an API token could not be made, revoked or checked.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum TokenError {
    /// The name is not one a token may have.
    #[error("`{name}` is not a token name")]
    #[diagnostic(
        code(idp::server::token_name),
        help("name it with lowercase letters, digits and `-`, like `ci-payments`")
    )]
    Name {
        /// The name given.
        name: String,
    },
    /// A token of that name exists (revoked ones too: names are not reused).
    #[error("a token named `{name}` exists already")]
    #[diagnostic(
        code(idp::server::token_exists),
        help("choose another name; `idp token list` shows the names taken")
    )]
    Exists {
        /// The name.
        name: String,
    },
    /// No token of that name.
    #[error("no token named `{name}` in `{}`", path.display())]
    #[diagnostic(
        code(idp::server::token_unknown),
        help("`idp token list` shows the tokens of this project's state")
    )]
    Unknown {
        /// The name.
        name: String,
        /// The token file.
        path: std::path::PathBuf,
    },
    /// The role and `--team` do not fit together.
    #[error("{message}")]
    #[diagnostic(
        code(idp::server::token_scope),
        help(
            "developers act on one team (`--team payments`); approvers and admins on every team; a viewer may be limited to one"
        )
    )]
    Scope {
        /// What does not fit.
        message: String,
    },
    /// The token file cannot be read or written.
    #[error("the token file `{}` cannot be used: {reason}", path.display())]
    #[diagnostic(
        code(idp::server::token_store),
        help(
            "check the state directory's permissions; a file that is not JSON was not written by idp"
        )
    )]
    Store {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        reason: String,
    },
    /// The operating system's random source could not be read.
    #[error("no random bytes for a token: {reason}")]
    #[diagnostic(
        code(idp::server::no_randomness),
        help("idp reads `/dev/urandom`; run it where that exists")
    )]
    Random {
        /// What failed.
        reason: String,
    },
}

impl TokenError {
    /// Whether the user can fix it by changing the command line (exit 2).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            TokenError::Name { .. }
                | TokenError::Exists { .. }
                | TokenError::Unknown { .. }
                | TokenError::Scope { .. }
        )
    }
}
