//! `idp plugin build`: guest crates to components in the catalog.

use std::path::{Path, PathBuf};

use crate::args::Format;
use crate::outcome::Outcome;
use crate::ui::CliError;

fn find_workspace(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("plugins").is_dir() && d.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

pub fn run(
    path: Option<PathBuf>,
    names: &[String],
    check: bool,
    _catalog: Option<PathBuf>,
    _format: Format,
) -> Result<Outcome, CliError> {
    {
        {
            let cwd = std::env::current_dir().unwrap_or_default();
            let start = path.unwrap_or(cwd);
            let start = std::path::absolute(&start).unwrap_or(start);
            let ws = find_workspace(&start).ok_or_else(|| {
                CliError::input(idp_plugin_build::BuildError::NoWorkspace {
                    start: start.clone(),
                })
            })?;
            let built =
                idp_plugin_build::build_catalog(&ws, names, check, |line| eprintln!("{line}"))
                    .map_err(|e| match e {
                        idp_plugin_build::BuildError::UnknownPlugin { .. }
                        | idp_plugin_build::BuildError::NoWorkspace { .. } => CliError::input(e),
                        idp_plugin_build::BuildError::Drift { .. } => CliError {
                            failure: crate::outcome::Failure::Plugin,
                            report: miette::Report::new(e),
                        },
                        other => CliError::plugin(other),
                    })?;
            let changed = built.iter().filter(|b| b.changed).count();
            if check {
                eprintln!(
                    "checked {} plugin(s): every digest matches catalog/catalog.kdl",
                    built.len()
                );
            } else {
                eprintln!(
                    "built {} plugin(s) into catalog/ ({changed} changed); commit catalog/ with the source",
                    built.len()
                );
            }
            Ok(Outcome::Clean)
        }
    }
}
