//! The audit log: every change made to an environment (who, what, when, from where, and
//! how it ended), one JSON line each in `audit/NAME.jsonl` of the local state directory,
//! beside `environments/`. Every front door writes it after it calls the lifecycle: the
//! CLI with the user it runs as, `idp serve` with the caller it authenticated. Lines are
//! appended, never rewritten; a history reads them back after what the record proves.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::LifecycleError;

/// The longest log read back.
const MAX_LOG: usize = 8 * 1024 * 1024;

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

fn path(state_dir: &Path, name: &str) -> Option<PathBuf> {
    idp_state::valid_name(name).then(|| state_dir.join("audit").join(format!("{name}.jsonl")))
}

/// Appends one change to `name`'s log: `event` (apply, extend, destroy) by `actor` at
/// `at`, its outcome (`done`, or `failed` with `error`'s code), and `detail`'s members.
pub fn append(
    state_dir: &Path,
    name: &str,
    actor: &Actor,
    event: &str,
    at: jiff::Timestamp,
    error: Option<&str>,
    detail: Value,
) -> Result<(), LifecycleError> {
    let Some(path) = path(state_dir, name) else {
        return Ok(());
    };
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
    let failed = |e: std::io::Error| idp_state::StateError::Io {
        action: "append to",
        path: path.clone(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut line = serde_json::to_vec(&entry).unwrap_or_default();
    line.push(b'\n');
    // One write of a whole line to a file opened for appending: lines never interleave.
    std::fs::File::options()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(&line).and_then(|()| f.sync_data()))
        .map_err(failed)?;
    Ok(())
}

/// `name`'s changes, oldest first (a line that is not JSON is skipped).
pub fn read(state_dir: &Path, name: &str) -> Vec<Value> {
    let Some(bytes) = path(state_dir, name).and_then(|p| idp_model::read_prefix(&p, MAX_LOG).ok())
    else {
        return Vec::new();
    };
    bytes
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_appended_and_read_back_in_order_and_who_stays_who() {
        let dir = tempfile::tempdir().expect("dir");
        let at: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().expect("time");
        let ann = Actor {
            subject: "ann@acme.io".into(),
            via: "proxy",
            from: Some("10.0.0.5".into()),
        };
        append(
            dir.path(),
            "a",
            &ann,
            "apply",
            at,
            None,
            json!({"team": "x"}),
        )
        .expect("one");
        let forged = json!({"by": "eve", "outcome": "done"});
        append(dir.path(), "a", &ann, "destroy", at, Some("idp::x"), forged).expect("two");
        append(dir.path(), "../x", &ann, "apply", at, None, json!({})).expect("ignored");
        let log = read(dir.path(), "a");
        assert_eq!(log.len(), 2);
        assert_eq!(log[0]["team"], "x");
        assert_eq!(log[1]["by"]["subject"], "ann@acme.io");
        assert_eq!(log[1]["outcome"], "failed");
        assert!(read(dir.path(), "../x").is_empty());
    }
}
