//! `approvals` in the organisation's `idp.kdl`: how long an approval request stays open,
//! and the rules whose deny findings wait for an approver instead of failing (a whole
//! policy is gated with `policy NAME enforcement="approval"`).
//!
//! ```kdl
//! approvals expire-after="7d" {
//!     rule "max-monthly-cost/monthly-cost-above-limit"
//! }
//! ```

use idp_model::{Finding, Ttl};
use idp_spec::{Problem, Problems, SourceFile};
use kdl::KdlNode;

use crate::{Enforcement, PolicyConfig, prop_string, single_string};

/// How long an approval request stays open when `expire-after` is not written.
pub const DEFAULT_APPROVAL_WINDOW_SECS: u64 = 7 * 86_400;

/// `approvals { … }`: the organisation's only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approvals {
    /// Seconds an approval request stays open; afterwards it can no longer be approved.
    pub expire_after_secs: u64,
    /// Rule codes (`POLICY/RULE`) whose deny findings wait for an approver.
    pub rules: Vec<String>,
}

impl Default for Approvals {
    fn default() -> Self {
        Approvals {
            expire_after_secs: DEFAULT_APPROVAL_WINDOW_SECS,
            rules: Vec::new(),
        }
    }
}

impl Approvals {
    /// Whether `finding` waits for an approver rather than failing: a blocking deny of a
    /// policy under `approval` enforcement, or of a rule listed here.
    pub fn gates(&self, policies: &[PolicyConfig], finding: &Finding) -> bool {
        if !finding.blocks() {
            return false;
        }
        let Some(id) = &finding.plugin else {
            return false;
        };
        self.rules.contains(&finding.code())
            || policies
                .iter()
                .any(|p| p.enforcement == Enforcement::Approval && p.name.value == id.name)
    }
}

/// Reads `approvals expire-after="7d" { rule "POLICY/RULE" … }`, each error at its line.
pub(crate) fn read(source: &SourceFile, node: &KdlNode, problems: &mut Problems) -> Approvals {
    let mut out = Approvals::default();
    if let Some(text) = prop_string(node, "expire-after") {
        match text.parse::<Ttl>() {
            Ok(Ttl::Seconds(s)) if s > 0 => out.expire_after_secs = s,
            _ => problems.push(
                Problem::error(
                    source,
                    node.span(),
                    "idp::config::approvals",
                    format!("`{text}` is not a length of time for approvals to stay open"),
                )
                .help("write expire-after=\"7d\" (minutes, hours, days or weeks)"),
            ),
        }
    }
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        match (child.name().value(), single_string(child)) {
            ("rule", Some((code, _))) if code.contains('/') => out.rules.push(code),
            _ => problems.push(
                Problem::error(
                    source,
                    child.span(),
                    "idp::config::approvals",
                    "`approvals` takes `rule \"POLICY/RULE\"` lines".to_string(),
                )
                .help("write `approvals { rule \"max-monthly-cost/monthly-cost-above-limit\" }`"),
            ),
        }
    }
    out
}
