//! `idp plugin test`.

use crate::ui::CliError;

pub fn not_yet() -> CliError {
    CliError::usage("`idp plugin test` is not built yet", "see issue 13")
}

pub fn run(
    _path: Option<std::path::PathBuf>,
    _bless: bool,
    _catalog: Option<std::path::PathBuf>,
    _format: crate::args::TestFormat,
) -> Result<crate::outcome::Outcome, CliError> {
    Err(not_yet())
}
