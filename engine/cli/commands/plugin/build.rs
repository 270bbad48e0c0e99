//! `idp plugin build`: guest crates to components in a catalog directory.

use std::path::PathBuf;

use idp_plugin_build::{BuildError, Built, Options, Report};

use crate::args::Format;
use crate::outcome::Outcome;
use crate::ui::{CliError, eprint_diagnostic, print_json, write_err, write_out};

pub fn run(
    path: Option<PathBuf>,
    packages: &[String],
    check: bool,
    catalog: Option<PathBuf>,
    format: Format,
) -> Result<Outcome, CliError> {
    let path = path.unwrap_or_else(|| PathBuf::from("."));
    let path = std::path::absolute(&path).unwrap_or(path);
    let mut reports = Vec::new();
    let mut outcome = Outcome::Clean;
    // A folder of plugin workspaces is each of them, in turn.
    for path in idp_plugin_build::workspace_paths(&path) {
        let options = Options {
            path,
            packages: packages.to_vec(),
            check,
            catalog: catalog.clone(),
            rustc: crate::context::guest_rustc(),
        };
        let report = idp_plugin_build::build(&options, |line| write_err(&format!("{line}\n")))
            .map_err(fail)?;
        if format == Format::Human {
            write_out(&human(&report));
        }
        if conclude(&report, check) == Outcome::Denied {
            outcome = Outcome::Denied;
        }
        reports.push(report);
    }
    if format == Format::Json {
        print_json(&serde_json::Value::Array(
            reports.iter().flat_map(|r| &r.built).map(json).collect(),
        ));
    }
    Ok(outcome)
}

/// Says what one workspace's build wrote, or how its check went.
fn conclude(report: &Report, check: bool) -> Outcome {
    if !check {
        write_err(&format!(
            "wrote {} component(s) and {} module pin(s) into `{}`\n",
            report.built.len(),
            report.modules.pins.len(),
            report.catalog.display()
        ));
        return Outcome::Clean;
    }
    match report.drift() {
        Some(drift) => {
            eprint_diagnostic(&drift);
            Outcome::Denied
        }
        None => {
            write_err(&format!(
                "checked {} component(s) and {} module pin(s): all match `{}`\n",
                report.built.len(),
                report.modules.pins.len(),
                report.catalog.display()
            ));
            Outcome::Clean
        }
    }
}

fn fail(e: BuildError) -> CliError {
    match e {
        BuildError::Metadata { .. }
        | BuildError::NoGuestCrate { .. }
        | BuildError::UnknownPackage { .. } => CliError::input(e),
        other => CliError::plugin(other),
    }
}

fn status(b: &Built) -> &'static str {
    if b.changed { "changed" } else { "unchanged" }
}

/// One line per component: what it is, its file, size and digest.
fn human(report: &Report) -> String {
    report
        .built
        .iter()
        .map(|b| {
            format!(
                "{} {} {}  {}  {} bytes  sha256:{}  ({})\n",
                b.entry.kind,
                b.entry.name,
                b.entry.version,
                b.entry.file,
                b.size,
                b.entry.sha256,
                status(b)
            )
        })
        .collect()
}

fn json(b: &Built) -> serde_json::Value {
    serde_json::json!({
        "package": b.package,
        "kind": b.entry.kind.as_str(),
        "name": b.entry.name,
        "version": b.entry.version,
        "file": b.entry.file,
        "size": b.size,
        "sha256": b.entry.sha256,
        "modules": b.entry.modules,
        "toolchain": b.entry.toolchain,
        "changed": b.changed,
    })
}
