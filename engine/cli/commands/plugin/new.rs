//! `idp plugin new`.

use crate::ui::CliError;

pub fn not_yet() -> CliError {
    CliError::usage("`idp plugin new` is not built yet", "see issue 13")
}

pub fn run(
    _kind: crate::args::NewKind,
    _name: &str,
    _path: Option<std::path::PathBuf>,
) -> Result<crate::outcome::Outcome, CliError> {
    Err(not_yet())
}
