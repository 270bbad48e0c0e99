//! `idp lsp`: the language server of `idp-lsp` on stdin and stdout. Each document's
//! project is built as for `idp check` (strict plugin isolation, the same limits and
//! prices, the local records), and the clock is `idp plan`'s.

use std::path::Path;

use crate::context;
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(config: Option<&Path>) -> Result<Outcome, CliError> {
    let surroundings = idp_lsp::Surroundings {
        config: config.map(Path::to_path_buf),
        project: Box::new(|config| {
            context::project_of(config, idp_host::Isolation::Strict)
                .map_err(|e| e.report.to_string())
        }),
        now: Box::new(|| context::now().map_err(|e| e.report.to_string())),
    };
    idp_lsp::run_stdio(surroundings).map_err(CliError::input)?;
    Ok(Outcome::Clean)
}
