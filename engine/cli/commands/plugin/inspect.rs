//! `idp plugin inspect`.

use crate::ui::CliError;

pub fn not_yet() -> CliError {
    CliError::usage("`idp plugin inspect` is not built yet", "see issue 13")
}

pub fn run(
    _file: &std::path::Path,
    _format: crate::args::Format,
) -> Result<crate::outcome::Outcome, CliError> {
    Err(not_yet())
}
