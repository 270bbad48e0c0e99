//! `idp serve`: the REST API of `idp-server` over this project. The project is built as
//! for `idp plan` (strict plugin isolation, the same limits, prices and records); with
//! no `idp.kdl` it is an empty configuration here: the built-in catalog, no policy, and
//! the local state.

use std::path::Path;
use std::sync::Arc;

use idp_config::ProjectConfig;
use idp_plan::Project;

use crate::args::ServeArgs;
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ServeArgs) -> Result<Outcome, CliError> {
    let project = project(config)?;
    // Refused before the plugins load: another machine could reach the server, and
    // nothing would ask who it is.
    let authenticated = project.config.access.server.is_some();
    idp_server::check_listen(args.listen, authenticated).map_err(CliError::input)?;
    // Problems in idp.kdl are the operator's, shown now rather than on every request.
    idp_plan::Pipeline::new(&project)?;
    let mut options = idp_server::Options::new(
        args.listen,
        Arc::new(|line: &str| ui::write_err(&format!("{line}\n"))),
    );
    options.now = context::pinned_now()?;
    options.read_timeout = std::time::Duration::from_secs(args.read_timeout);
    options.github = github_runs(&project)?;
    let runs = match &options.github {
        Some(g) => format!("; runs go to {}@{}", g.target.repository, g.git_ref),
        None => String::new(),
    };
    idp_server::serve(project, options, |addr| {
        eprintln!("listening on http://{addr} (one replica: records are read per request{runs})");
    })
    .map_err(|e| {
        if e.is_input() {
            CliError::input(e)
        } else {
            CliError::plugin(e)
        }
    })?;
    Ok(Outcome::Clean)
}

/// With `executor github` in idp.kdl, the repository the server hands runs to, with the
/// token and API address of the environment (checked now, not on the first apply).
fn github_runs(project: &Project) -> Result<Option<idp_server::GitHubRuns>, CliError> {
    let choice = idp_lifecycle::ExecutorChoice::default();
    let Some(settings) = idp_lifecycle::github_settings(
        Some(&project.config),
        &choice,
        &crate::handoff::print_event,
    )?
    else {
        return Ok(None);
    };
    Ok(Some(idp_server::GitHubRuns {
        target: idp_lifecycle::github_target(&settings)?,
        git_ref: settings.git_ref,
    }))
}

/// The project of `--config`, else of the `idp.kdl` above the current directory, else
/// an empty configuration in the current directory.
pub(super) fn project(explicit: Option<&Path>) -> Result<Project, CliError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    if explicit.is_some() || idp_config::discover(&cwd).is_ok() {
        return context::project(explicit, &cwd);
    }
    let mut config = ProjectConfig::parse(&cwd.join(idp_config::CONFIG_FILE), "")?;
    // No file applied: plans say so (no configuration files in their provenance).
    config.files.clear();
    context::project_of(config, idp_host::Isolation::Strict)
}
