//! Exit codes, as documented in the README: 0 clean, 1 a deny finding, 2 usage or
//! input error, 3 a plugin or infrastructure failure.

use std::process::ExitCode;

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing blocks.
    Clean,
    /// A deny finding (or budget) blocks.
    Denied,
    /// The command reported its input problems itself (`idp check`): exit 2.
    Invalid,
    /// The command reported a plugin failure itself (`idp check`): exit 3.
    Failed,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Denied => ExitCode::from(1),
            Outcome::Invalid => ExitCode::from(Failure::Input.code()),
            Outcome::Failed => ExitCode::from(Failure::Plugin.code()),
        }
    }
}

/// Exit code of a failed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Bad input or usage: 2.
    Input,
    /// A plugin or the infrastructure failed: 3.
    Plugin,
}

impl Failure {
    pub fn code(self) -> u8 {
        match self {
            Failure::Input => 2,
            Failure::Plugin => 3,
        }
    }
}
