//! `idp plugin vendor`.

use crate::ui::CliError;

pub fn not_yet() -> CliError {
    CliError::usage("`idp plugin vendor` is not built yet", "see issue 13")
}

pub fn run(_path: Option<std::path::PathBuf>) -> Result<crate::outcome::Outcome, CliError> {
    Err(not_yet())
}
