//! `idp plugin new template|policy NAME [--path DIR]`: a plugin workspace that builds and
//! passes its tests as generated (`idp_scaffold` renders it).

use std::path::PathBuf;

use crate::args::NewKind;
use crate::outcome::Outcome;
use crate::ui::CliError;

use super::scaffold_error;

pub fn run(kind: NewKind, name: &str, path: Option<PathBuf>) -> Result<Outcome, CliError> {
    let kind = match kind {
        NewKind::Template => idp_scaffold::PluginKind::Template,
        NewKind::Policy => idp_scaffold::PluginKind::Policy,
    };
    let target = path.unwrap_or_else(|| PathBuf::from(name));
    let created = idp_scaffold::new_plugin(&idp_scaffold::NewPlugin {
        kind,
        name,
        target: &target,
        idp_version: env!("CARGO_PKG_VERSION"),
    })
    .map_err(scaffold_error)?;
    let dir = created.dir.display();
    eprintln!(
        "created {kind} `{name}` in `{dir}` ({} files, idp-plugin-sdk {} vendored)",
        created.files.len(),
        idp_scaffold::sdk_version()
    );
    eprintln!("next:\n    cd {dir}\n    idp plugin build\n    idp plugin test");
    Ok(Outcome::Clean)
}
