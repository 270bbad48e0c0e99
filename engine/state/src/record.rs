//! The record of one environment (`metadata.json`), its schema version, the migration of
//! older records, and the checks every record passes before anything trusts it.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::StateError;

/// The newest schema version this idp reads and writes. Records without
/// `schema_version` were written before it existed and are version 1; version 3 added
/// [`Record::costs`]; version 4 added [`Status::PendingApproval`] and [`Record::approval`].
/// A record is written at the oldest version that holds it ([`Record::written_version`]),
/// so an idp from before approvals still reads every record that does not use them, and
/// refuses one that does as newer than itself.
pub const SCHEMA_VERSION: u32 = 4;

/// The version of a record that uses nothing of version 4.
const WITHOUT_APPROVALS: u32 = 3;

/// The lifecycle: PENDING → APPLYING → READY | FAILED → DESTROYING → DESTROYED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Workspace written, nothing applied yet.
    Pending,
    /// An apply is running (or was interrupted: `idp apply` again resumes).
    Applying,
    /// Applied.
    Ready,
    /// The last apply or destroy failed; applying again retries.
    Failed,
    /// A policy under `approval` enforcement denied it: the plan and its workspace are
    /// kept, and wait for an approver (schema version 4).
    PendingApproval,
    /// A destroy is running (or was interrupted).
    Destroying,
    /// Destroyed; the record stays for history.
    Destroyed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Pending => "PENDING",
            Status::Applying => "APPLYING",
            Status::Ready => "READY",
            Status::Failed => "FAILED",
            Status::PendingApproval => "PENDING_APPROVAL",
            Status::Destroying => "DESTROYING",
            Status::Destroyed => "DESTROYED",
        })
    }
}

/// Where OpenTofu keeps an environment's state, as it was when the environment was
/// applied: destroy uses this, never what idp.kdl says today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RecordedBackend {
    /// `terraform.tfstate` in the local workspace.
    Local,
    /// OpenTofu's S3 backend.
    S3 {
        /// The bucket.
        bucket: String,
        /// The state object's key.
        key: String,
        /// The bucket's region.
        region: String,
        /// The DynamoDB lock table, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lock_table: Option<String>,
    },
}

/// What an apply recorded so that destroy needs nothing else (schema version 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Digest of the workspace kept beside the record (`workspace.json`).
    pub workspace_digest: String,
    /// Each module the workspace calls, with the sha256 of its files as emitted.
    pub modules: BTreeMap<String, String>,
    /// Where the OpenTofu state is.
    pub backend: RecordedBackend,
}

/// `metadata.json`: what idp knows about one environment. Its field names are part of
/// the documented JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The schema version of this record (1 when absent: written before versions).
    #[serde(default = "version_one")]
    pub schema_version: u32,
    /// Environment name; always the name of the directory (or key) holding the record.
    pub name: String,
    /// Template name.
    pub template: String,
    /// Template version.
    pub template_version: String,
    /// Owner.
    pub owner: String,
    /// Team.
    pub team: String,
    /// Class.
    pub class: String,
    /// Region.
    pub region: String,
    /// Creation time; kept across re-applies.
    pub created_at: jiff::Timestamp,
    /// TTL as written (`7d`, `never`).
    pub ttl: String,
    /// Expiry, if any.
    pub expires_at: Option<jiff::Timestamp>,
    /// Set by `idp extend`: the environment lives at least until then, whatever TTL its
    /// spec gives, until the spec itself says longer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_until: Option<jiff::Timestamp>,
    /// Lifecycle status.
    pub status: Status,
    /// Digest of the workspace the status refers to.
    pub plan_digest: String,
    /// The spec it came from, relative to the project's root (the git checkout).
    pub spec: PathBuf,
    /// Last change of this record.
    pub updated_at: jiff::Timestamp,
    /// Outputs recorded after an apply.
    #[serde(default)]
    pub outputs: serde_json::Map<String, serde_json::Value>,
    /// What destroy needs, recorded by the apply (absent in records migrated from
    /// version 1: their destroy emits the workspace again from the spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<Applied>,
    /// Destroys dispatched by the sweep (or run here) since the last apply.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub destroy_attempts: u32,
    /// Why the last destroy could not proceed; the sweep does not dispatch it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy_blocked: Option<String>,
    /// Every apply's estimate, oldest first (schema version 3; empty before, or when no
    /// apply could price the environment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub costs: Vec<RecordedCost>,
    /// The approval this apply waited for (schema version 4): requested, then approved
    /// or rejected. Kept after the decision, for the history, until the next request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

/// An apply that waited for an approver: what was judged, who asked, until when it may be
/// approved, and what was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The plan digest judged: the only one an approval lets through.
    pub plan_digest: String,
    /// Who asked (the requester may not approve it).
    pub requested_by: String,
    /// When the plan was made: the request time the approved plan keeps.
    pub requested_at: jiff::Timestamp,
    /// After this it can no longer be approved.
    pub expires_at: jiff::Timestamp,
    /// The codes of the findings that made it wait.
    pub findings: Vec<String>,
    /// The decision, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// An approver's answer to an [`Approval`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Approved (`true`) or rejected.
    pub approved: bool,
    /// Who decided.
    pub by: String,
    /// When.
    pub at: jiff::Timestamp,
    /// Why, as they wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Approval {
    /// Whether it was approved.
    pub fn approved(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.approved)
    }
}

/// One apply's estimate, kept in the record (schema version 3) so cost over time can be
/// computed wherever records are: local or S3 state alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedCost {
    /// When the apply recorded it.
    pub at: jiff::Timestamp,
    /// The plan digest the estimate belongs to.
    pub plan_digest: String,
    /// Total per month (after the organisation's rules; a lower bound when incomplete).
    pub monthly: f64,
    /// Total over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
    /// Currency of both figures.
    pub currency: String,
    /// Whether every bill line was priced; when not, the figures are lower bounds.
    pub complete: bool,
    /// Which price book priced it (snapshot date and digest; the digest covers the
    /// organisation's book and rates).
    pub price_book: String,
}

fn version_one() -> u32 {
    1
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The rule `idp-spec` applies to `environment` names, from one place.
pub use idp_model::is_environment_name as valid_name;

/// Whether `path` stays inside whatever directory it is joined to: relative, and made of
/// plain names only (no `..`, no root, no drive, no `.`).
pub fn confined(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

impl Record {
    /// When it expires: the later of its expiry and an extension; `None` for `never`.
    pub fn ends_at(&self) -> Option<jiff::Timestamp> {
        match (self.expires_at, self.extended_until) {
            (Some(e), Some(x)) => Some(e.max(x)),
            (e, _) => e,
        }
    }

    /// The schema version this record is written at: the oldest that holds it.
    pub fn written_version(&self) -> u32 {
        if self.approval.is_some() || self.status == Status::PendingApproval {
            SCHEMA_VERSION
        } else {
            WITHOUT_APPROVALS
        }
    }

    /// Reads a record stored under `name` at `path`: parses it, migrates an older schema
    /// and refuses one that does not match its location or names a spec outside the
    /// project.
    pub fn from_stored(bytes: &[u8], name: &str, path: &Path) -> Result<Record, StateError> {
        let mut record: Record =
            serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let invalid = |reason: String| StateError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        if record.schema_version > SCHEMA_VERSION {
            return Err(invalid(format!(
                "schema version {} is newer than this idp's {SCHEMA_VERSION}; upgrade idp",
                record.schema_version
            )));
        }
        if record.name != name {
            return Err(invalid(format!(
                "its `name` differs from `{name}`, the name of the place it is stored"
            )));
        }
        if !valid_name(name) {
            return Err(invalid("its name is not a valid environment name".into()));
        }
        // It becomes a version requirement and is printed: only a plain version passes.
        if let Err(e) = idp_model::check_version(&record.template_version) {
            return Err(invalid(format!("its `template_version`: {e}")));
        }
        if record.schema_version < 2 {
            record.spec = migrated_spec(&record.spec);
        }
        if record
            .costs
            .iter()
            .any(|c| !c.monthly.is_finite() || c.currency.is_empty())
        {
            return Err(invalid(
                "a recorded cost has no amount or no currency".into(),
            ));
        }
        record.costs.sort_by_key(|c| c.at);
        if !confined(&record.spec) {
            return Err(invalid(
                "its `spec` names a file outside the project".into(),
            ));
        }
        Ok(record)
    }
}

/// Version 1 kept a local record's spec as an absolute path: it becomes relative to the
/// git checkout holding it (or to the current directory). A path that is in neither
/// stays as it is, and is refused.
fn migrated_spec(spec: &Path) -> PathBuf {
    if !spec.is_absolute() {
        return spec.to_path_buf();
    }
    let root = spec
        .ancestors()
        .skip(1)
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok());
    root.and_then(|r| spec.strip_prefix(r).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| spec.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_record;

    fn stored(record: &Record) -> Vec<u8> {
        serde_json::to_vec(record).expect("JSON")
    }

    #[test]
    fn a_version_one_record_is_read_as_version_one_without_what_destroy_needs() {
        let mut v = serde_json::to_value(sample_record("e")).expect("JSON");
        let o = v.as_object_mut().expect("object");
        o.remove("schema_version");
        o.remove("applied");
        let bytes = serde_json::to_vec(&v).expect("JSON");
        let r = Record::from_stored(&bytes, "e", Path::new("e/metadata.json")).expect("read");
        assert_eq!(r.schema_version, 1);
        assert_eq!(r.applied, None);
    }

    #[test]
    fn records_that_do_not_match_their_place_are_refused_without_echoing_the_values() {
        let cases = [
            ("other", "env.kdl", "its `name` differs from `e`"),
            (
                "e",
                "/proc/self/environ",
                "its `spec` names a file outside the project",
            ),
            (
                "e",
                "../../etc/passwd",
                "its `spec` names a file outside the project",
            ),
            ("e", "envs/./x.kdl", ""),
        ];
        for (name, spec, reason) in cases {
            let mut r = sample_record(name);
            r.spec = spec.into();
            let got = Record::from_stored(&stored(&r), "e", Path::new("e/metadata.json"));
            match got {
                Ok(_) => assert!(reason.is_empty(), "{name} {spec} accepted"),
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.contains(reason), "{text}");
                    assert!(
                        !text.contains("environ") && !text.contains("passwd"),
                        "{text}"
                    );
                }
            }
        }
        let mut newer = sample_record("e");
        newer.schema_version = SCHEMA_VERSION + 1;
        let err = Record::from_stored(&stored(&newer), "e", Path::new("m")).expect_err("newer");
        assert!(
            err.to_string().contains("schema version 5 is newer"),
            "{err}"
        );
        // A version that would widen the exact pin of a re-apply, or print escapes.
        for bad in ["0, >=0", "0.1.0\u{1b}[2J", ""] {
            let mut forged = sample_record("e");
            forged.template_version = bad.into();
            let err =
                Record::from_stored(&stored(&forged), "e", Path::new("m")).expect_err("forged");
            assert!(err.to_string().contains("template_version"), "{err}");
        }
    }

    #[test]
    fn only_a_record_using_approvals_is_written_at_version_four() {
        let mut r = sample_record("e");
        assert_eq!(r.written_version(), 3);
        r.status = Status::PendingApproval;
        assert_eq!(r.written_version(), 4);
        let text = serde_json::to_string(&r).expect("JSON");
        assert!(text.contains("\"PENDING_APPROVAL\""), "{text}");
        let back = Record::from_stored(text.as_bytes(), "e", Path::new("m")).expect("read");
        assert_eq!(back.status, Status::PendingApproval);
    }

    #[test]
    fn names_and_paths_follow_the_rules() {
        for ok in ["a", "orders-preview", "a1-b2"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "A", "1a", "a-", "../x", "a/b", &"a".repeat(41)] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(confined(Path::new("envs/a.kdl")));
        for bad in ["", "/etc/x", "../x", "a/../../x", "./a"] {
            assert!(!confined(Path::new(bad)), "{bad}");
        }
    }
}
