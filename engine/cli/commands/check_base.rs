//! `idp check --base DIR`: only the specs a pull request changes are checked
//! (`idp_check::changed_specs` decides which), and the base's estimates of the same
//! environments give the markdown its cost deltas.

use std::path::{Path, PathBuf};

use idp_check::{ChangedSpec, RunOptions};
use idp_plan::Project;
use idp_report::BaseCosts;

use crate::context;
use crate::ui::CliError;

/// Keeps in `projects` only the specs that differ from the base checkout at `base`, and
/// says why each is kept. The head's root is the current directory.
pub fn keep_changed(
    projects: &mut [(Project, Vec<PathBuf>)],
    base: &Path,
) -> Result<Vec<ChangedSpec>, CliError> {
    let base_root = std::fs::canonicalize(base)
        .ok()
        .filter(|b| b.is_dir())
        .ok_or_else(|| {
            CliError::usage(
                "idp::usage::base_dir",
                format!("`--base {}` is not a directory", base.display()),
                "pass a checkout of the base branch, such as one made by `git worktree add ../base origin/main`",
            )
        })?;
    let head_root = std::env::current_dir().unwrap_or_default();
    let changes = idp_check::changed_specs(projects, &head_root, &base_root);
    for (_, specs) in projects.iter_mut() {
        specs.retain(|s| changes.iter().any(|c| &c.path == s));
    }
    Ok(changes)
}

/// The base's monthly figure of every environment in the base's copies of the changed
/// specs. What the base cannot check (a broken idp.kdl there) has no figure: the deltas
/// are then shown as new.
pub fn base_costs(
    changes: &[ChangedSpec],
    explicit: Option<&Path>,
    base: &Path,
    isolation: idp_host::Isolation,
) -> Result<BaseCosts, CliError> {
    let files: Vec<PathBuf> = changes.iter().filter_map(|c| c.base.clone()).collect();
    let mut costs = BaseCosts::new();
    if files.is_empty() {
        return Ok(costs);
    }
    // An explicit configuration is read at the same place in the base, when it is there.
    let explicit = explicit.map(|e| {
        let there = base.join(e);
        if e.is_relative() && there.is_file() {
            there
        } else {
            e.to_path_buf()
        }
    });
    let (groups, _) = idp_check::group(files, explicit.as_deref());
    let mut broken = Vec::new();
    let projects =
        super::check::load_projects(groups, explicit.as_deref(), isolation, &mut broken)?;
    let report = idp_check::run(
        &projects,
        RunOptions {
            now: context::now()?,
            threads: 1,
            cache: None,
            on_file: None,
        },
    );
    for env in report.files.iter().flat_map(|f| &f.environments) {
        costs.insert(env.name.clone(), env.monthly_cost);
    }
    Ok(costs)
}
