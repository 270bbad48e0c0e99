//! Upgrade: an environment re-rendered with another version of its template (decision
//! 0015).
//!
//! The recorded spec is planned twice at the same instant: with the version the
//! environment was applied with (what a plain re-apply would make) and with the target
//! version. The difference between the two is the template's part of the change — module
//! calls and their variables added, removed or changed, the monthly cost, the findings the
//! new version brings — whatever else changed in the spec since the last apply (that is
//! said apart, [`Upgrade::spec_changed`]). Nothing is written here: the caller shows the
//! difference, asks, and applies [`Upgrade::after`] through its executor.

use std::collections::BTreeSet;
use std::path::PathBuf;

use idp_catalog::Entry;
use idp_github::{RequestId, Workflow, WorkflowInputs};
use idp_model::{Finding, ModuleCall, PluginKind, Rendering};
use idp_plan::{Pipeline, Plan, PlannedEnv, Project, Stage};
use idp_state::{Record, Status};
use serde_json::{Value, json};

use crate::github::{Handed, Handoff};
use crate::{Ctx, LifecycleError, project};

/// What an upgrade would do, planned and compared, nothing written.
pub struct Upgrade {
    /// The environment.
    pub name: String,
    /// Its template.
    pub template: String,
    /// The version it was applied with.
    pub from: String,
    /// The version it moves to.
    pub to: String,
    /// What the target version's catalog entry says it breaks, if it is marked breaking.
    pub breaking: Option<String>,
    /// The spec, as the record keeps it.
    pub spec: PathBuf,
    /// The plan at the recorded version: what a plain re-apply makes today.
    pub before: Plan,
    /// The plan at the target version: what the upgrade applies.
    pub after: Plan,
    /// The difference between the two.
    pub diff: Diff,
    /// Whether the spec changed since the last apply too (the plan at the recorded
    /// version is not the applied one): the upgrade applies that change as well.
    pub spec_changed: bool,
    /// The version of the record the upgrade was planned from: it is applied only over
    /// that record ([`apply_here`]).
    pub recorded: idp_state::Version,
}

/// How a module call or a variable changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Only in the new rendering.
    Added,
    /// Only in the old one.
    Removed,
    /// In both, different.
    Changed,
}

impl Change {
    /// `added`, `removed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }

    /// The one-character mark of a diff line.
    pub fn mark(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

/// One module call that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct CallDiff {
    /// The call's name in `main.tf`.
    pub call: String,
    /// The module it calls (the new one when it changed).
    pub module: String,
    /// Added, removed, or changed.
    pub change: Change,
    /// The variables that differ (every variable of an added or removed call).
    pub variables: Vec<VariableDiff>,
}

/// One variable of a module call that differs; a wired variable's value is
/// `module.CALL.OUTPUT`.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableDiff {
    /// The variable.
    pub name: String,
    /// Added, removed, or changed.
    pub change: Change,
    /// Its value before, if it had one.
    pub before: Option<Value>,
    /// Its value after, if it has one.
    pub after: Option<Value>,
}

/// The monthly estimate before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct CostDelta {
    /// Per month at the recorded version.
    pub before: f64,
    /// Per month at the target version.
    pub after: f64,
    /// The currency of both.
    pub currency: String,
}

/// What the upgrade changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// Module calls added, removed or changed, by call name.
    pub calls: Vec<CallDiff>,
    /// The monthly cost before and after; `None` when either could not be priced.
    pub monthly: Option<CostDelta>,
    /// Findings at the target version that the recorded version does not have.
    pub new_findings: Vec<Finding>,
}

impl Upgrade {
    /// Whether a policy denies the upgraded environment.
    pub fn denied(&self) -> bool {
        self.after.denied()
    }

    /// The upgrade as `idp upgrade --format json` prints it (docs/json-output.md).
    pub fn to_json(&self) -> Value {
        let calls: Vec<Value> = self.diff.calls.iter().map(call_json).collect();
        json!({
            "name": self.name,
            "template": self.template,
            "from": self.from,
            "to": self.to,
            "breaking": self.breaking,
            "spec_changed": self.spec_changed,
            "calls": calls,
            "monthly": self.diff.monthly.as_ref().map(|c| json!({
                "before": c.before,
                "after": c.after,
                "delta": c.after - c.before,
                "currency": c.currency,
            })),
            "new_findings": self.diff.new_findings,
            "plan_digest": plan_digest(&self.after),
        })
    }
}

impl Upgrade {
    /// The upgrade as `idp upgrade` shows it before asking: the versions, whether the
    /// target is breaking, each module call and variable that differs, the monthly cost
    /// and the new findings.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "upgrade `{}`: template `{}` {} -> {}\n",
            self.name, self.template, self.from, self.to
        );
        if let Some(why) = &self.breaking {
            out.push_str(&format!("  breaking: {why}\n"));
        }
        if self.spec_changed {
            out.push_str(
                "  the spec also changed since the last apply: the upgrade applies that too\n",
            );
        }
        out.push_str("\nmodule calls\n");
        if self.diff.calls.is_empty() {
            out.push_str("  (none change)\n");
        }
        for c in &self.diff.calls {
            out.push_str(&format!(
                "  {} {} ({})\n",
                c.change.mark(),
                c.call,
                c.module
            ));
            for v in &c.variables {
                let shown = |x: &Option<Value>| x.as_ref().map_or(String::new(), Value::to_string);
                let value = match v.change {
                    Change::Added => shown(&v.after),
                    Change::Removed => shown(&v.before),
                    Change::Changed => format!("{} -> {}", shown(&v.before), shown(&v.after)),
                };
                out.push_str(&format!("      {} {}: {value}\n", v.change.mark(), v.name));
            }
        }
        out.push_str(&match &self.diff.monthly {
            Some(c) => format!(
                "\nmonthly cost  {:.2} -> {:.2} {} ({:+.2})\n",
                c.before,
                c.after,
                c.currency,
                c.after - c.before
            ),
            None => "\nmonthly cost  not priced\n".to_owned(),
        });
        out.push_str("new findings  ");
        if self.diff.new_findings.is_empty() {
            out.push_str("none\n");
        }
        for (i, f) in self.diff.new_findings.iter().enumerate() {
            let code = f.code();
            let indent = if i == 0 { "" } else { "              " };
            let advisory = if f.advisory { " (advisory)" } else { "" };
            out.push_str(&format!(
                "{indent}{}{advisory} {code}: {}\n",
                f.severity, f.message
            ));
        }
        out
    }
}

fn call_json(c: &CallDiff) -> Value {
    let variables: Vec<Value> = c
        .variables
        .iter()
        .map(|v| {
            json!({"name": v.name, "change": v.change.as_str(), "before": v.before, "after": v.after})
        })
        .collect();
    json!({"call": c.call, "module": c.module, "change": c.change.as_str(), "variables": variables})
}

/// Whether an environment in `status` may be upgraded: applied or waiting to be, not
/// being destroyed and not waiting for an approver.
fn upgradable_status(status: Status) -> bool {
    !matches!(
        status,
        Status::Destroying | Status::Destroyed | Status::PendingApproval
    )
}

/// The newest version of an upgradable environment's template when the catalog has one
/// newer than the version it was applied with (`idp list` and the portal mark it);
/// `None` otherwise.
pub fn newer_version(catalog: &idp_catalog::Catalog, record: &Record) -> Option<String> {
    if !upgradable_status(record.status) {
        return None;
    }
    catalog
        .newer_than(
            PluginKind::Template,
            &record.template,
            &record.template_version,
        )
        .map(|e| e.version.clone())
}

/// The record of `name`, checked to be upgradable: applied (or waiting to be), not being
/// destroyed.
pub fn upgradable(ctx: &Ctx, name: &str) -> Result<idp_state::Stored, LifecycleError> {
    let stored = ctx.records.require(name)?;
    check_upgradable(&stored.record)?;
    Ok(stored)
}

/// Refuses a record that cannot be upgraded (being destroyed, destroyed, waiting for an
/// approver), for a caller that read it already.
pub fn check_upgradable(record: &Record) -> Result<(), LifecycleError> {
    if !upgradable_status(record.status) {
        return Err(LifecycleError::refused(
            "idp::upgrade::not_upgradable",
            format!(
                "`{}` is {}; there is nothing to upgrade",
                record.name, record.status
            ),
            "upgrade an environment that is READY, PENDING or FAILED (`idp list`)",
        ));
    }
    Ok(())
}

/// The version `to` names among the catalog's versions of the record's template (the
/// newest when `None`), with its entry.
pub fn target<'c>(
    project: &'c Project,
    record: &Record,
    to: Option<&str>,
) -> Result<&'c Entry, LifecycleError> {
    let versions = project
        .catalog
        .versions(PluginKind::Template, &record.template);
    let listed = versions
        .iter()
        .map(|e| format!("`{}`", e.version))
        .collect::<Vec<_>>()
        .join(", ");
    let found = match to {
        None => versions.first().copied(),
        Some(v) => versions.iter().copied().find(|e| e.version == v),
    };
    found.ok_or_else(|| {
        LifecycleError::refused(
            "idp::upgrade::unknown_version",
            match to {
                Some(v) => format!(
                    "template `{}` has no version {} in the catalog",
                    record.template,
                    idp_model::printable(v)
                ),
                None => format!("template `{}` is not in the catalog", record.template),
            },
            if listed.is_empty() {
                "`idp catalog list` shows the templates the catalog has".to_owned()
            } else {
                format!("the catalog has {listed}; pass one of them to `--to`")
            },
        )
    })
}

/// Plans the upgrade of `record` to `to` at `now` (see the module doc); the spec must not
/// pin the template's version itself, or the upgrade could not move it.
pub fn prepare(
    ctx: &Ctx,
    project: &Project,
    stored: &idp_state::Stored,
    to: &Entry,
    now: jiff::Timestamp,
) -> Result<Upgrade, LifecycleError> {
    let record = &stored.record;
    let spec = project::spec_of(ctx, record)?;
    let Some(declared) = spec
        .environments
        .iter()
        .find(|e| e.name.value == record.name)
    else {
        return Err(LifecycleError::NotDeclared {
            name: record.name.clone(),
            spec: record.spec.clone(),
        });
    };
    if let Some(pinned) = &declared.template_version {
        return Err(LifecycleError::refused(
            "idp::upgrade::spec_pins_version",
            format!(
                "`{}` pins template `{}` to {}; an upgrade cannot move it",
                record.spec.display(),
                record.template,
                idp_model::printable(pinned)
            ),
            "change `version=` in the spec and apply it, or remove `version=` and run `idp upgrade` again",
        ));
    }
    let mut pipeline = Pipeline::new(project)?;
    pipeline.know_record(record.clone());
    pipeline.pin_template_version(&record.name, &record.template_version);
    let before = pipeline.plan(&spec, Some(&record.name), Stage::Emit, now)?;
    pipeline.pin_template_version(&record.name, &to.version);
    let after = pipeline.plan(&spec, Some(&record.name), Stage::Emit, now)?;
    let spec_changed = plan_digest(&before) != Some(record.plan_digest.as_str());
    let diff = diff(&before, &after);
    Ok(Upgrade {
        name: record.name.clone(),
        template: record.template.clone(),
        from: record.template_version.clone(),
        to: to.version.clone(),
        breaking: to.breaking.clone(),
        spec: record.spec.clone(),
        before,
        after,
        diff,
        spec_changed,
        recorded: stored.version.clone(),
    })
}

/// Applies a confirmed upgrade here, as `idp apply` applies a plan, but only over the
/// record it was planned from: one changed meanwhile (destroyed, applied again) is a
/// conflict, never overwritten.
pub fn apply_here(
    ctx: &Ctx,
    project: &Project,
    upgrade: &Upgrade,
    tool: Option<&idp_executor::Tool>,
    now: jiff::Timestamp,
) -> Result<(), LifecycleError> {
    for planned in &upgrade.after.environments {
        crate::apply::apply_one(
            ctx,
            project,
            planned,
            &upgrade.spec,
            tool,
            now,
            Some(&upgrade.recorded),
        )?;
    }
    Ok(())
}

/// What the audit log keeps of an upgrade, from the CLI and the server alike.
pub fn audit_detail(upgrade: &Upgrade) -> Value {
    json!({
        "team": planned(&upgrade.after).map(|p| &p.env.team),
        "template": upgrade.template,
        "from": upgrade.from,
        "to": upgrade.to,
        "plan_digest": plan_digest(&upgrade.after),
    })
}

/// The workspace digest of the one environment of an upgrade's plan.
fn plan_digest(plan: &Plan) -> Option<&str> {
    planned(plan)
        .and_then(|p| p.workspace.as_ref())
        .map(|w| w.digest.as_str())
}

/// The one environment of an upgrade's plan.
fn planned(plan: &Plan) -> Option<&PlannedEnv> {
    plan.environments.first()
}

/// The difference between the plan at the recorded version and at the target.
pub fn diff(before: &Plan, after: &Plan) -> Diff {
    let (b, a) = (planned(before), planned(after));
    let rendering =
        |p: Option<&PlannedEnv>| p.and_then(|p| p.rendering.clone()).unwrap_or_default();
    let calls = call_diffs(&rendering(b), &rendering(a));
    let monthly = match (b.and_then(monthly), a.and_then(monthly)) {
        (Some((before, currency)), Some((after, _))) => Some(CostDelta {
            before,
            after,
            currency,
        }),
        _ => None,
    };
    let known: BTreeSet<(String, String, String)> = b
        .map(|p| p.findings.iter().map(finding_key).collect())
        .unwrap_or_default();
    let new_findings = a
        .map(|p| {
            p.findings
                .iter()
                .filter(|f| !known.contains(&finding_key(f)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Diff {
        calls,
        monthly,
        new_findings,
    }
}

/// A finding as two plans compare it: the rule's code, where, and what it says (its
/// plugin's version differs by nature, so it is left out).
fn finding_key(f: &Finding) -> (String, String, String) {
    (f.code(), f.pointer.clone(), f.message.clone())
}

fn monthly(p: &PlannedEnv) -> Option<(f64, String)> {
    match &p.cost {
        Some(Ok(e)) => Some((e.monthly, e.currency.clone())),
        _ => None,
    }
}

/// Every call's variables, literal and wired, as one map.
fn variables(call: &ModuleCall) -> serde_json::Map<String, Value> {
    let mut all = call.variables.clone();
    for w in &call.wiring {
        all.insert(
            w.variable.clone(),
            Value::String(format!("module.{}.{}", w.from_call, w.output)),
        );
    }
    all
}

fn call_diffs(before: &Rendering, after: &Rendering) -> Vec<CallDiff> {
    let names: BTreeSet<&str> = before
        .calls
        .iter()
        .chain(&after.calls)
        .map(|c| c.name.as_str())
        .collect();
    let find = |r: &'_ Rendering, n: &str| r.calls.iter().find(|c| c.name == n).map(variables_of);
    names
        .into_iter()
        .filter_map(|name| {
            let (b, a) = (find(before, name), find(after, name));
            let change = match (&b, &a) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                (Some(x), Some(y)) if x != y => Change::Changed,
                _ => return None,
            };
            let module = a
                .as_ref()
                .or(b.as_ref())
                .map(|(m, _)| m.clone())
                .unwrap_or_default();
            let empty = serde_json::Map::new();
            let variables = variable_diffs(
                b.as_ref().map_or(&empty, |(_, v)| v),
                a.as_ref().map_or(&empty, |(_, v)| v),
            );
            Some(CallDiff {
                call: name.to_owned(),
                module,
                change,
                variables,
            })
        })
        .collect()
}

/// A call's module and variables; a call whose module changed differs in `module`.
fn variables_of(call: &ModuleCall) -> (String, serde_json::Map<String, Value>) {
    (call.module.clone(), variables(call))
}

fn variable_diffs(
    before: &serde_json::Map<String, Value>,
    after: &serde_json::Map<String, Value>,
) -> Vec<VariableDiff> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (b, a) = (before.get(name), after.get(name));
            let change = match (b, a) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                (Some(x), Some(y)) if x != y => Change::Changed,
                _ => return None,
            };
            Some(VariableDiff {
                name: name.clone(),
                change,
                before: b.cloned(),
                after: a.cloned(),
            })
        })
        .collect()
}

/// Dispatches provision.yml for a confirmed upgrade, carrying the target version in the
/// `template-version` input: the runner runs `idp upgrade NAME --to VERSION` and refuses
/// any plan but the confirmed digest.
pub fn hand_off(
    ctx: &Ctx,
    upgrade: &Upgrade,
    handoff: &Handoff,
    requested_by: &str,
    now: jiff::Timestamp,
) -> Result<Handed, LifecycleError> {
    let spec = crate::apply::spec_input(&upgrade.spec);
    let digest = plan_digest(&upgrade.after).map(str::to_owned);
    let inputs = WorkflowInputs {
        environment: upgrade.name.clone(),
        spec,
        request_id: RequestId::new(now),
        plan_digest: digest,
        requested_by: requested_by.to_owned(),
        template_version: Some(upgrade.to.clone()),
        // The runner's `idp upgrade` reads the recorded spec where the record keeps it.
        spec_source: idp_github::SpecSource::Repository,
    };
    handoff.run(Workflow::Provision, &inputs, ctx.events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, module: &str, vars: Value) -> ModuleCall {
        ModuleCall {
            name: name.into(),
            module: module.into(),
            variables: vars.as_object().cloned().unwrap_or_default(),
            wiring: vec![],
        }
    }

    #[test]
    fn calls_and_variables_added_removed_and_changed_are_told_apart() {
        let before = Rendering {
            calls: vec![
                call("app", "hello", json!({"greeting": "hi", "size": 1})),
                call("old", "hello", json!({"greeting": "bye"})),
                call("same", "hello", json!({"x": 1})),
            ],
            ..Rendering::default()
        };
        let after = Rendering {
            calls: vec![
                call(
                    "app",
                    "hello",
                    json!({"greeting": "hello", "colour": "red"}),
                ),
                call("new", "hello", json!({"greeting": "new"})),
                call("same", "hello", json!({"x": 1})),
            ],
            ..Rendering::default()
        };
        type Shape = (String, Change, Vec<(String, Change)>);
        let got: Vec<Shape> = call_diffs(&before, &after)
            .into_iter()
            .map(|c| {
                let vars = c
                    .variables
                    .iter()
                    .map(|v| (v.name.clone(), v.change))
                    .collect();
                (c.call, c.change, vars)
            })
            .collect();
        let s = |x: &str| x.to_owned();
        assert_eq!(
            got,
            [
                (
                    s("app"),
                    Change::Changed,
                    vec![
                        (s("colour"), Change::Added),
                        (s("greeting"), Change::Changed),
                        (s("size"), Change::Removed)
                    ]
                ),
                (
                    s("new"),
                    Change::Added,
                    vec![(s("greeting"), Change::Added)]
                ),
                (
                    s("old"),
                    Change::Removed,
                    vec![(s("greeting"), Change::Removed)]
                ),
            ]
        );
    }
}
