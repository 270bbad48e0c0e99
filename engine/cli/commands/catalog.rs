//! `idp catalog list` and `idp catalog show NAME`.

use std::path::Path;

use idp_catalog::Catalog;
use idp_host::PluginHost;
use idp_model::PluginKind;
use serde_json::{Value, json};

use crate::args::{CatalogCommand, Format};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

fn catalog(config: Option<&Path>) -> Result<Catalog, CliError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    // The built-in catalog works without a project; a project adds its sources.
    let dirs = match (config, idp_config::discover(&cwd)) {
        (Some(_), _) | (None, Ok(_)) => context::config(config, &cwd)?.catalogs,
        (None, Err(_)) => Vec::new(),
    };
    Catalog::with_dirs(&dirs).map_err(CliError::input)
}

/// One input row of a template's schema, flattened to dotted names.
fn input_rows(schema: &Value, prefix: &str, required: &[&str], rows: &mut Vec<[String; 4]>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, s) in props {
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let ty = s
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("any")
            .to_owned();
        let ty = match s.get("enum").and_then(Value::as_array) {
            Some(options) if options.len() <= 8 => format!(
                "{ty} ({})",
                options
                    .iter()
                    .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            _ => ty,
        };
        let default = match s.get("default") {
            Some(d) => d.as_str().map_or_else(|| d.to_string(), str::to_owned),
            None if required.contains(&name.as_str()) => "(required)".to_owned(),
            None => "-".to_owned(),
        };
        let desc = s
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        rows.push([full.clone(), ty, default, desc]);
        if s.get("properties").is_some() {
            let req: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            input_rows(s, &full, &req, rows);
        }
    }
}

fn table(header: [&str; 4], rows: &[[String; 4]]) -> String {
    let mut widths = header.map(str::len);
    for r in rows {
        for i in 0..3 {
            widths[i] = widths[i].max(r[i].chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 4], out: &mut String| {
        out.push_str(
            format!(
                "{:w0$}  {:w1$}  {:w2$}  {}\n",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
            .trim_end(),
        );
        out.push('\n');
    };
    line(header, &mut out);
    for r in rows {
        line([&r[0], &r[1], &r[2], &r[3]], &mut out);
    }
    out
}

pub fn run(config: Option<&Path>, command: CatalogCommand) -> Result<Outcome, CliError> {
    let catalog = catalog(config)?;
    let host = PluginHost::new(
        context::cache_dir(),
        context::limits(idp_host::Isolation::Strict),
    )
    .map_err(CliError::plugin)?;
    match command {
        CatalogCommand::List { format } => list(&catalog, &host, format)?,
        CatalogCommand::Show { name, format } => {
            let kind = if catalog
                .entries()
                .iter()
                .any(|(e, _)| e.kind == PluginKind::Template && e.name == name)
            {
                PluginKind::Template
            } else {
                PluginKind::Policy
            };
            let plugin = catalog.resolve(kind, &name, None).map_err(|e| match e {
                idp_catalog::CatalogError::UnknownPlugin { .. } => CliError::input(e),
                other => CliError::plugin(other),
            })?;
            match kind {
                PluginKind::Template => show_template(&host, &name, &plugin.bytes, format)?,
                PluginKind::Policy => show_policy(&host, &name, &plugin.bytes, format)?,
            }
        }
    }
    Ok(Outcome::Clean)
}

/// `idp catalog list`: every plugin of every catalog, with the summary it reports (so
/// each is loaded).
fn list(catalog: &Catalog, host: &PluginHost, format: Format) -> Result<(), CliError> {
    let mut items = Vec::new();
    for (entry, source) in catalog.entries() {
        let plugin = catalog
            .resolve_exact(entry.kind, &entry.name, &entry.version)
            .map_err(CliError::plugin)?;
        let summary = match entry.kind {
            PluginKind::Template => host
                .load_template(&entry.name, &plugin.bytes)
                .map_err(CliError::plugin)?
                .info()
                .summary
                .clone(),
            PluginKind::Policy => host
                .load_policy(&entry.name, &plugin.bytes)
                .map_err(CliError::plugin)?
                .info()
                .summary
                .clone(),
        };
        items.push(json!({"kind": entry.kind, "name": entry.name, "version": entry.version, "source": source.describe(), "sha256": entry.sha256, "summary": summary}));
    }
    match format {
        Format::Json => ui::print_json(&json!({"version": 1, "plugins": items})),
        Format::Human => {
            let rows: Vec<[String; 4]> = items
                .iter()
                .map(|i| {
                    let s = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
                    [s("kind"), s("name"), s("version"), s("summary")]
                })
                .collect();
            print!("{}", table(["KIND", "NAME", "VERSION", "SUMMARY"], &rows));
        }
    }
    Ok(())
}

/// `idp catalog show TEMPLATE`: its modules, outputs and inputs.
fn show_template(
    host: &PluginHost,
    name: &str,
    bytes: &[u8],
    format: Format,
) -> Result<(), CliError> {
    let t = host.load_template(name, bytes).map_err(CliError::plugin)?;
    let info = t.info();
    match format {
        Format::Json => {
            ui::print_json(&json!({"version": 1, "kind": "template", "template": info}))
        }
        Format::Human => {
            println!("template {} {}: {}", info.name, info.version, info.summary);
            println!(
                "modules: {}\noutputs: {}\n",
                info.modules.join(", "),
                info.outputs.join(", ")
            );
            let required: Vec<&str> = info
                .input_schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut rows = Vec::new();
            input_rows(&info.input_schema, "", &required, &mut rows);
            print!(
                "{}",
                table(["INPUT", "TYPE", "DEFAULT", "DESCRIPTION"], &rows)
            );
        }
    }
    Ok(())
}

/// `idp catalog show POLICY`: its rules and settings.
fn show_policy(
    host: &PluginHost,
    name: &str,
    bytes: &[u8],
    format: Format,
) -> Result<(), CliError> {
    let p = host.load_policy(name, bytes).map_err(CliError::plugin)?;
    let info = p.info();
    match format {
        Format::Json => ui::print_json(&json!({"version": 1, "kind": "policy", "policy": info})),
        Format::Human => {
            println!("policy {} {}: {}\n", info.name, info.version, info.summary);
            let rows: Vec<[String; 4]> = info
                .rules
                .iter()
                .map(|r| {
                    [
                        r.id.clone(),
                        r.default_severity.to_string(),
                        r.summary.clone(),
                        r.help.clone(),
                    ]
                })
                .collect();
            print!("{}", table(["RULE", "SEVERITY", "SUMMARY", "HELP"], &rows));
            let mut settings = Vec::new();
            input_rows(&info.settings_schema, "", &[], &mut settings);
            if !settings.is_empty() {
                println!();
                print!(
                    "{}",
                    table(["SETTING", "TYPE", "DEFAULT", "DESCRIPTION"], &settings)
                );
            }
        }
    }
    Ok(())
}
