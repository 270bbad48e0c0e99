//! The audit log: every change made to an environment (who, what, when, from where, and
//! how it ended), kept by the record store beside the records: one JSON line each in
//! `audit/NAME.jsonl` of a local state directory, one object per entry under the
//! environment's prefix in S3 (so every replica of `idp serve` writes and reads the same
//! log). Every front door writes it after it calls the lifecycle: the CLI with the user
//! it runs as, `idp serve` with the caller it authenticated. Entries are added, never
//! rewritten; a history reads them back after what the record proves.

use idp_state::RecordStore;
use serde_json::{Value, json};

use crate::LifecycleError;

/// Who made a change, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user (from a proxy), a token's name, or the CLI's user.
    pub subject: String,
    /// How it was told: `proxy`, `token`, `local` (an unauthenticated loopback server) or
    /// `cli`.
    pub via: &'static str,
    /// The peer address of the request, for a server.
    pub from: Option<String>,
}

impl Actor {
    /// As the log keeps it.
    pub fn to_json(&self) -> Value {
        json!({ "subject": self.subject, "via": self.via, "from": self.from })
    }
}

/// Appends one change to `name`'s log: `event` (apply, extend, destroy) by `actor` at
/// `at`, its outcome (`done`, or `failed` with `error`'s code), and `detail`'s members.
pub fn append(
    store: &dyn RecordStore,
    name: &str,
    actor: &Actor,
    event: &str,
    at: jiff::Timestamp,
    error: Option<&str>,
    detail: Value,
) -> Result<(), LifecycleError> {
    let mut entry = json!({
        "at": at,
        "event": event,
        "by": actor.to_json(),
        "outcome": if error.is_some() { "failed" } else { "done" },
    });
    if let Some(code) = error {
        entry["error"] = json!(code);
    }
    if let (Some(o), Value::Object(d)) = (entry.as_object_mut(), detail) {
        // What was done never overwrites who did it.
        for (k, v) in d {
            o.entry(k).or_insert(v);
        }
    }
    let bytes = serde_json::to_vec(&entry).unwrap_or_default();
    Ok(store.append_audit(name, at, &bytes)?)
}

/// `name`'s changes, oldest first (an entry that is not JSON is skipped).
pub fn read(store: &dyn RecordStore, name: &str) -> Result<Vec<Value>, LifecycleError> {
    Ok(store
        .read_audit(name)?
        .iter()
        .filter_map(|e| serde_json::from_slice(e).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_appended_and_read_back_in_order_and_who_stays_who() {
        let dir = tempfile::tempdir().expect("dir");
        let store = idp_state::StateStore::new(dir.path().to_path_buf());
        let at: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().expect("time");
        let ann = Actor {
            subject: "ann@acme.io".into(),
            via: "proxy",
            from: Some("10.0.0.5".into()),
        };
        append(&store, "a", &ann, "apply", at, None, json!({"team": "x"})).expect("one");
        let forged = json!({"by": "eve", "outcome": "done"});
        append(&store, "a", &ann, "destroy", at, Some("idp::x"), forged).expect("two");
        append(&store, "../x", &ann, "apply", at, None, json!({})).expect("ignored");
        let log = read(&store, "a").expect("read");
        assert_eq!(log.len(), 2);
        assert_eq!(log[0]["team"], "x");
        assert_eq!(log[1]["by"]["subject"], "ann@acme.io");
        assert_eq!(log[1]["outcome"], "failed");
        assert!(read(&store, "../x").expect("read").is_empty());
    }
}
