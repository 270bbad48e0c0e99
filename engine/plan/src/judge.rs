//! Judge: every configured policy over a rendered environment, under the project's
//! enforcement settings and the waivers that apply to the spec.

use idp_config::Enforcement;
use idp_host::{PolicyArgs, PolicyPlugin};
use std::path::PathBuf;
use std::sync::Arc;

use idp_model::{CostEstimate, Environment, Finding, PluginId, Rendering, Severity, Waived};
use idp_spec::{SpanMap, Waiver};
use jiff::civil::Date;
use serde_json::Value;

use crate::PlanError;

/// A policy loaded from the catalog with its validated settings.
pub struct LoadedPolicy {
    /// The plugin.
    pub plugin: PolicyPlugin,
    /// Its catalog identity: every finding it reports carries it.
    pub id: Arc<PluginId>,
    /// The configuration file that enabled it.
    pub configured_in: PathBuf,
    /// Settings from `idp.kdl`.
    pub settings: Value,
    /// The same settings as the JSON text the policy is handed, written once at load
    /// rather than once per call.
    pub settings_json: String,
    /// How its findings count.
    pub enforcement: Enforcement,
}

/// Where a waiver was written: the spec (with its index among the spec's waivers) or
/// `idp.kdl` (with the glob that brought it here).
#[derive(Debug, Clone, Copy)]
pub enum WaiverOrigin<'a> {
    /// `waive` inside the environment node.
    Spec(usize),
    /// `waive … path="glob"` in `idp.kdl`, with its index among the project's waivers.
    Project {
        /// Index in `ProjectConfig::waivers`.
        index: usize,
        /// The glob that brought it here.
        glob: &'a str,
    },
}

/// What judge concluded about one environment.
#[derive(Debug, Default)]
pub struct Judgement {
    /// Policy findings, then what the waivers themselves report (expired, unused).
    pub findings: Vec<Finding>,
    /// `idp.kdl` waivers that cover the spec: their index and whether a finding used them.
    /// Whether such a waiver is stale can only be said over every spec it covers.
    pub project_waivers: Vec<(usize, bool)>,
}

/// Runs every policy; findings come back in policy order, then as each policy gave them,
/// followed by what the spec's waivers themselves report (expired, unused).
pub fn judge(
    policies: &[LoadedPolicy],
    env: &Environment,
    rendering: &Rendering,
    cost: Option<CostEstimate>,
    waivers: &[(&Waiver, WaiverOrigin<'_>)],
    today: Date,
) -> Result<Judgement, PlanError> {
    // Converted for the contract once, shared by every policy.
    let args = PolicyArgs::new(env, &rendering.calls, cost);
    let mut findings = evaluate_policies(policies, &args)?;
    let mut extra = Vec::new();
    let mut used = vec![false; waivers.len()];
    for (i, (w, origin)) in waivers.iter().enumerate() {
        // `until` is the last day the waiver applies; an expired one is spent, never unused.
        let expired = w
            .until
            .value
            .parse::<Date>()
            .is_ok_and(|until| until < today);
        if expired {
            used[i] = true;
            extra.push(expired_waiver(w, origin));
            continue;
        }
        waive_matching(&mut findings, w, origin, &mut used[i]);
    }
    report_unused_waivers(waivers, &used, &mut extra);
    let project_waivers = waivers
        .iter()
        .zip(&used)
        .filter_map(|((_, origin), used)| match origin {
            WaiverOrigin::Project { index, .. } => Some((*index, *used)),
            WaiverOrigin::Spec(_) => None,
        })
        .collect();
    Ok(Judgement {
        findings: findings.into_iter().map(|(_, f)| f).chain(extra).collect(),
        project_waivers,
    })
}

/// Every policy's findings under its enforcement, each with the name of the policy that
/// reported it, in policy order.
fn evaluate_policies<'p>(
    policies: &'p [LoadedPolicy],
    args: &PolicyArgs,
) -> Result<Vec<(&'p str, Finding)>, PlanError> {
    let mut findings = Vec::new();
    for p in policies {
        let name = &p.plugin.info().name;
        for mut f in p.plugin.evaluate_prepared(args, &p.settings_json)? {
            p.enforcement.apply(&mut f);
            f.plugin = Some(p.id.clone());
            findings.push((name.as_str(), f));
        }
    }
    Ok(findings)
}

/// The deny finding for a waiver past its `until`.
fn expired_waiver(w: &Waiver, origin: &WaiverOrigin<'_>) -> Finding {
    let (pointer, place) = match origin {
        WaiverOrigin::Spec(n) => (format!("/waive/{n}"), String::new()),
        WaiverOrigin::Project { glob, .. } => {
            (String::new(), format!(" (idp.kdl, path=\"{glob}\")"))
        }
    };
    let mut f = Finding::engine(
        Severity::Deny,
        "waiver-expired",
        format!(
            "waiver for {} expired on {}{place}",
            w.rule.value, w.until.value
        ),
        pointer,
    );
    f.help = Some(format!(
        "fix what `{}` reports, or renew the waiver with a later `until` (owner {})",
        w.rule.value, w.owner
    ));
    f
}

/// Marks every not yet waived finding the waiver's rule matches (a rule id, a policy
/// name, or `policy/rule`) as waived by it; `used` is set when one matched.
fn waive_matching(
    findings: &mut [(&str, Finding)],
    w: &Waiver,
    origin: &WaiverOrigin<'_>,
    used: &mut bool,
) {
    for (policy, f) in findings.iter_mut() {
        let rule = &w.rule.value;
        let matches = f.rule == *rule
            || *policy == rule
            || rule.split_once('/') == Some((policy, f.rule.as_str()));
        if f.waived.is_none() && matches {
            f.waived = Some(Waived {
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                until: w.until.value.clone(),
                in_spec: matches!(origin, WaiverOrigin::Spec(_)),
            });
            *used = true;
        }
    }
}

/// Adds a warning for each waiver written in the spec that matched no finding.
fn report_unused_waivers(
    waivers: &[(&Waiver, WaiverOrigin<'_>)],
    used: &[bool],
    extra: &mut Vec<Finding>,
) {
    for (i, (w, origin)) in waivers.iter().enumerate() {
        // A path-glob waiver in idp.kdl covers many specs, most of which do not need it;
        // only a waiver written in the spec itself is stale when it matches nothing.
        let WaiverOrigin::Spec(n) = origin else {
            continue;
        };
        if used[i] {
            continue;
        }
        let pointer = format!("/waive/{n}/rule");
        let mut f = Finding::engine(
            Severity::Warn,
            "waiver-unused",
            format!("waiver for {} matches no finding", w.rule.value),
            pointer,
        );
        f.help =
            Some("remove the waiver, or check the rule id with `idp catalog show POLICY`".into());
        extra.push(f);
    }
}

/// Records where each of the spec's waivers is, so findings about them point at the line.
pub fn register_waiver_spans(spans: &mut SpanMap, waivers: &[Waiver]) {
    for (n, w) in waivers.iter().enumerate() {
        spans.insert(format!("/waive/{n}"), w.rule.span, w.until.span);
        spans.insert(format!("/waive/{n}/rule"), w.rule.span, w.rule.span);
    }
}
