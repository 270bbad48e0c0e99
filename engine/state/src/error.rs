//! What can go wrong with state.

use std::path::PathBuf;

use miette::Diagnostic;

/// What can go wrong with state.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum StateError {
    /// Reading or writing failed.
    #[error("cannot {action} `{}`: {reason}", path.display())]
    #[diagnostic(code(idp::state::io))]
    Io {
        /// read, write, lock…
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The remote store refused or could not be reached.
    #[error("cannot {action} `{location}`: {reason}")]
    #[diagnostic(
        code(idp::state::remote),
        help(
            "check the credentials (AWS_PROFILE, or OIDC in workflows), the bucket and region in `state s3 {{ … }}`, and the network"
        )
    )]
    Remote {
        /// read, write, list…
        action: &'static str,
        /// The object or prefix.
        location: String,
        /// What the service said.
        reason: String,
    },
    /// Another process holds the environment's lock.
    #[error("environment `{name}` is locked by another idp process")]
    #[diagnostic(code(idp::state::locked), help("wait for the other apply or destroy to finish; the lock is `{}`", path.display()))]
    Locked {
        /// The environment.
        name: String,
        /// The lock file.
        path: PathBuf,
    },
    /// The record changed between this run's read and its write: another run updated it.
    #[error(
        "the record of `{name}` in `{location}` was changed by another run since this one read it"
    )]
    #[diagnostic(
        code(idp::state::conflict),
        help("nothing was overwritten; run the command again to act on the current record")
    )]
    Conflict {
        /// The environment.
        name: String,
        /// Where the records are.
        location: String,
    },
    /// `metadata.json` is not a record.
    #[error("`{}` is not a valid record: {reason}", path.display())]
    #[diagnostic(
        code(idp::state::corrupt),
        help("restore it from a backup, or delete the environment's directory to forget it")
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
    /// A record that parses but cannot be trusted: its name differs from its location,
    /// it names a spec outside the project, or a newer idp wrote it. The reason never
    /// repeats the untrusted value.
    #[error("`{}` is refused: {reason}", path.display())]
    #[diagnostic(
        code(idp::state::invalid),
        help(
            "records are written by idp only; restore this one from a backup, or delete the environment's directory to forget it"
        )
    )]
    Invalid {
        /// The record's file or object.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored file or object larger than idp ever writes there: refused unread (a
    /// hostile or runaway one must not fill memory).
    #[error("`{}` is over {limit} bytes, more than idp ever writes there", path.display())]
    #[diagnostic(
        code(idp::state::too_large),
        help(
            "records are written by idp only; restore this one from a backup, or delete it to forget the environment"
        )
    )]
    TooLarge {
        /// The file or object.
        path: PathBuf,
        /// The most idp reads there, in bytes.
        limit: usize,
    },
    /// A name that cannot be an environment's (and so cannot name a state directory).
    #[error("`{name}` is not a valid environment name")]
    #[diagnostic(
        code(idp::state::invalid_name),
        help(
            "environment names are lowercase letters, digits and hyphens, starting with a letter, at most 40"
        )
    )]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// No such environment.
    #[error("no environment `{name}` in `{}`", dir.display())]
    #[diagnostic(
        code(idp::state::unknown),
        help("`idp list` shows the recorded environments")
    )]
    Unknown {
        /// The name.
        name: String,
        /// The state directory.
        dir: PathBuf,
    },
}

impl StateError {
    /// Whether the problem is the caller's input (a name, a lock, a conflict to retry)
    /// rather than a failure of the store.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            StateError::Unknown { .. }
                | StateError::Locked { .. }
                | StateError::Conflict { .. }
                | StateError::InvalidName { .. }
        )
    }
}
