//! `idp check --base DIR --format markdown`: one verdict per pull request. Per changed
//! environment: why it is reported, its findings, its expiry and its monthly cost with
//! the delta against the base; then one line saying whether the change may merge.
//! Unchanged specs are not there at all.

use std::collections::BTreeMap;
use std::fmt::Write;

use idp_check::{Change, ChangedSpec, CheckReport, EnvSummary, FileResult, Item, ItemKind};

use crate::check::uri;
use crate::{item_status, md_code, md_message, md_text};

/// The base's monthly figure of each environment it has, by name (`None`: the base has
/// the environment but could not price it).
pub type BaseCosts = BTreeMap<String, Option<f64>>;

fn why(change: Option<&Change>) -> String {
    match change {
        Some(Change::Added) => "new spec".to_owned(),
        Some(Change::Edited) => "spec edited".to_owned(),
        Some(Change::Judged(files)) => {
            let mut names: Vec<String> = files
                .iter()
                .take(3)
                .map(|f| format!("`{}`", md_code(&uri(f))))
                .collect();
            if files.len() > 3 {
                names.push(format!("{} more", files.len() - 3));
            }
            format!("what judges it changed: {}", names.join(", "))
        }
        None => "changed".to_owned(),
    }
}

/// `93.82 (+17.94 against the base's 75.88)`, or why there is no figure.
fn cost_line(env: &EnvSummary, base: &BaseCosts) -> String {
    let Some(now) = env.monthly_cost else {
        return "not estimated (see `idp cost`)".to_owned();
    };
    match base.get(&env.name) {
        None => format!("{now:.2} (new environment)"),
        Some(None) => format!("{now:.2} (the base has no estimate)"),
        Some(Some(was)) => {
            let delta = now - was;
            let sign = if delta < -0.005 { "−" } else { "+" };
            format!(
                "{now:.2} ({sign}{:.2} against the base's {was:.2})",
                delta.abs()
            )
        }
    }
}

fn expiry(env: &EnvSummary) -> String {
    env.expires_at.map_or_else(
        || "never expires".to_owned(),
        |t| format!("expires {}", t.strftime("%Y-%m-%d %H:%M UTC")),
    )
}

fn finding_line(out: &mut String, item: &Item) {
    let mark = if item.blocks() || item.kind != ItemKind::Finding {
        "❌"
    } else {
        "·"
    };
    writeln!(
        out,
        "- {mark} {} `{}` (line {}): {}",
        item_status(item),
        md_code(&item.rule),
        item.start.0,
        md_message(&item.message)
    )
    .ok();
}

fn file_section(out: &mut String, file: &FileResult, change: Option<&Change>, base: &BaseCosts) {
    let path = md_code(&uri(&file.source.path));
    // What has no environment (a spec that does not parse) is the file's own.
    let own: Vec<&Item> = file
        .items
        .iter()
        .filter(|i| i.environment.is_none())
        .collect();
    if file.environments.is_empty() || !own.is_empty() {
        writeln!(out, "#### `{path}` ({})\n", why(change)).ok();
        own.iter().for_each(|i| finding_line(out, i));
        out.push('\n');
    }
    for env in &file.environments {
        writeln!(
            out,
            "#### `{}` in `{path}` ({})\n",
            md_code(&env.name),
            why(change)
        )
        .ok();
        writeln!(
            out,
            "{}, {} in {}, {}; monthly cost {}\n",
            md_text(&env.template),
            md_text(&env.class),
            md_text(&env.region),
            expiry(env),
            cost_line(env, base)
        )
        .ok();
        let items: Vec<&Item> = file
            .items
            .iter()
            .filter(|i| i.environment.as_deref() == Some(env.name.as_str()))
            .collect();
        if items.is_empty() {
            out.push_str("No findings.\n");
        }
        items.iter().for_each(|i| finding_line(out, i));
        out.push('\n');
    }
}

/// The verdict: may the pull request merge, and if not, why not.
fn verdict(report: &CheckReport, passed: bool) -> String {
    let count = |f: &dyn Fn(&Item) -> bool| report.items().filter(|(_, i)| f(i)).count();
    let blocking = count(&|i: &Item| i.blocks());
    let inputs = count(&|i: &Item| i.kind == ItemKind::Input);
    let failures = count(&|i: &Item| i.kind == ItemKind::Failure);
    if passed {
        return "**May merge**: no changed environment is denied.".to_owned();
    }
    let mut why = Vec::new();
    for (n, what) in [
        (blocking, "blocking finding(s)"),
        (inputs, "input error(s)"),
        (failures, "plugin failure(s)"),
    ] {
        if n > 0 {
            why.push(format!("{n} {what}"));
        }
    }
    if why.is_empty() {
        why.push("warnings fail this check (`--fail-on warn`)".to_owned());
    }
    format!("**Must not merge**: {}.", why.join(", "))
}

/// The pull request's report: `report` holds only the changed specs, `changes` says why
/// each is there, `base` the base's monthly figures.
pub fn check_base_markdown(
    report: &CheckReport,
    changes: &[ChangedSpec],
    base: &BaseCosts,
    passed: bool,
) -> String {
    let environments = report.environment_count();
    let mut out = format!(
        "### idp: {environments} changed environment(s) in {} changed spec(s)\n\n",
        changes.len()
    );
    if changes.is_empty() {
        out.push_str("This pull request changes no environment spec, configuration, catalog or price book.\n\n");
    }
    for file in &report.files {
        let change = changes
            .iter()
            .find(|c| c.path == file.source.path)
            .map(|c| &c.change);
        file_section(&mut out, file, change, base);
    }
    writeln!(out, "{}", verdict(report, passed)).ok();
    out
}
