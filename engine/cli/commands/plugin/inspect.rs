//! `idp plugin inspect FILE.wasm`: what a built component declares.

use std::path::Path;

use idp_plugin_build::{Info, Inspection};

use crate::args::Format;
use crate::outcome::Outcome;
use crate::ui::{CliError, print_json, write_out};

pub fn run(file: &Path, format: Format) -> Result<Outcome, CliError> {
    let inspection = idp_plugin_build::inspect(file).map_err(|e| match e {
        idp_plugin_build::BuildError::Io { .. } => CliError::input(e),
        other => CliError::plugin(other),
    })?;
    match format {
        Format::Json => print_json(&inspection.to_json()),
        Format::Human => write_out(&human(&inspection)),
    }
    Ok(Outcome::Clean)
}

fn human(i: &Inspection) -> String {
    let mut out = format!(
        "{} {} {}: {}\n",
        i.info.kind(),
        i.info.name(),
        i.info.version(),
        summary(&i.info)
    );
    out.push_str(&format!("contract  idp:plugin@{}\n", i.wit_version));
    out.push_str(&format!("file      {}\n", i.file.display()));
    out.push_str(&format!("size      {} bytes\n", i.size));
    out.push_str(&format!("sha256    {}\n", i.sha256));
    let schema = match &i.info {
        Info::Template(t) => {
            out.push_str(&format!("modules   {}\n", list(&t.modules)));
            out.push_str(&format!("outputs   {}\n", list(&t.outputs)));
            "input schema"
        }
        Info::Policy(p) => {
            out.push_str(&format!("rules     {}\n", p.rules.len()));
            for r in &p.rules {
                out.push_str(&format!(
                    "  {} ({}): {}\n",
                    r.id, r.default_severity, r.summary
                ));
            }
            "settings schema"
        }
    };
    let json = serde_json::to_string_pretty(i.info.schema()).unwrap_or_default();
    out.push_str(&format!("{schema}:\n{json}\n"));
    out
}

fn summary(info: &Info) -> &str {
    match info {
        Info::Template(t) => &t.summary,
        Info::Policy(p) => &p.summary,
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
