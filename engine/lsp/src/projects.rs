//! The project behind each document, loaded once and kept while its configuration files
//! are unchanged on disk: loading the catalog and plugin host on every keystroke would
//! make diagnostics slow for nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use idp_config::ProjectConfig;
use idp_model::PluginKind;
use idp_plan::Project;
use idp_spec::Problems;
use serde_json::Value;

use crate::Surroundings;

/// A loaded project and what completion asked of it so far.
pub struct Loaded {
    key: Vec<(PathBuf, Option<SystemTime>)>,
    /// The project, built as `idp check` builds it.
    pub project: Project,
    schemas: HashMap<String, Option<Value>>,
}

impl Loaded {
    /// The catalog's templates with their summaries' stand-in (name and version).
    pub fn templates(&self) -> Vec<(String, String)> {
        self.project
            .catalog
            .entries()
            .into_iter()
            .filter(|(e, _)| e.kind == PluginKind::Template)
            .map(|(e, s)| {
                (
                    e.name.clone(),
                    format!("{} {} ({})", e.name, e.version, s.describe()),
                )
            })
            .collect()
    }

    /// A template's input schema, loaded through the host as the pipeline loads it
    /// (pinned digest checked); `None` when the template is unknown or does not load.
    pub fn schema(&mut self, template: &str) -> Option<&Value> {
        if !self.schemas.contains_key(template) {
            let project = &self.project;
            let loaded = project
                .catalog
                .resolve(PluginKind::Template, template, None)
                .ok()
                .and_then(|p| {
                    project
                        .host
                        .load_pinned_template(template, &p.bytes, &p.entry.sha256)
                        .ok()
                })
                .map(|t| t.info().input_schema.clone());
            self.schemas.insert(template.to_owned(), loaded);
        }
        self.schemas.get(template).and_then(Option::as_ref)
    }
}

/// Why a document has no project: its configuration's problems, or another failure.
pub enum NoProject {
    /// Problems in `idp.kdl`, each at its place.
    Config(Problems),
    /// The catalog, host or state could not be set up.
    Other(String),
}

/// Projects by the configuration file that governs them.
pub struct Projects {
    surroundings: Surroundings,
    loaded: HashMap<PathBuf, Loaded>,
}

impl Projects {
    /// No project loaded yet.
    pub fn new(surroundings: Surroundings) -> Self {
        Projects {
            surroundings,
            loaded: HashMap::new(),
        }
    }

    /// The clock plans are made at.
    pub fn now(&self) -> Result<jiff::Timestamp, String> {
        (self.surroundings.now)()
    }

    /// The project governing the document at `path`, from the configuration files on disk.
    pub fn for_document(&mut self, path: &Path) -> Result<&mut Loaded, NoProject> {
        let config = self.config_for(path)?;
        let anchor = config
            .files
            .last()
            .cloned()
            .unwrap_or_else(|| path.parent().unwrap_or(path).to_path_buf());
        let key = stamps(&config.files);
        let stale = self.loaded.get(&anchor).is_none_or(|l| l.key != key);
        if stale {
            let project = self.build(config)?;
            self.loaded.insert(
                anchor.clone(),
                Loaded {
                    key,
                    project,
                    schemas: HashMap::new(),
                },
            );
        }
        self.loaded
            .get_mut(&anchor)
            .ok_or_else(|| NoProject::Other("the project was not kept".to_owned()))
    }

    /// A project for a configuration as it is in the editor (never kept).
    pub fn build(&self, config: ProjectConfig) -> Result<Project, NoProject> {
        (self.surroundings.project)(config).map_err(NoProject::Other)
    }

    /// `--config`, else the layered `idp.kdl` files above `path`, else an empty
    /// configuration (the built-in catalog, no policy), as `idp serve` has it.
    fn config_for(&self, path: &Path) -> Result<ProjectConfig, NoProject> {
        if let Some(explicit) = &self.surroundings.config {
            return ProjectConfig::load(explicit).map_err(NoProject::Config);
        }
        match idp_config::discover(path) {
            Ok(nearest) => ProjectConfig::load_layered(&nearest).map_err(NoProject::Config),
            Err(_) => {
                let dir = path.parent().unwrap_or(path);
                let mut config = ProjectConfig::parse(&dir.join(idp_config::CONFIG_FILE), "")
                    .map_err(NoProject::Config)?;
                config.files.clear();
                Ok(config)
            }
        }
    }
}

/// The configuration with the `idp.kdl` at `path` as the editor has it (`text`), on
/// top of the files above it in the repository as they are on disk.
pub fn config_with_buffer(path: &Path, text: &str) -> Result<ProjectConfig, Problems> {
    let dir = path.parent().unwrap_or(path);
    let root = dir.ancestors().find(|d| d.join(".git").exists());
    let upper = match (root, dir.parent()) {
        (Some(root), Some(above)) if dir != root => idp_config::discover(above)
            .ok()
            .filter(|u| u.starts_with(root)),
        _ => None,
    };
    match upper {
        Some(upper) => {
            let mut config = ProjectConfig::load_layered(&upper)?;
            config.add_nested(path, text)?;
            Ok(config)
        }
        None => ProjectConfig::parse(path, text),
    }
}

fn stamps(files: &[PathBuf]) -> Vec<(PathBuf, Option<SystemTime>)> {
    files
        .iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::metadata(f).and_then(|m| m.modified()).ok(),
            )
        })
        .collect()
}
