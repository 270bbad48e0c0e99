//! The audit log: every change the server makes to an environment (who, what, when,
//! from where, and how it ended), one JSON line each in `audit/NAME.jsonl` of the state
//! directory, beside `environments/`. Lines are appended (never rewritten), and
//! `GET /api/v1/environments/{name}/history` shows them after what the record proves.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::problem::ApiProblem;

/// The longest log read for a history.
const MAX_LOG: usize = 8 * 1024 * 1024;

fn path(state_dir: &Path, name: &str) -> Option<PathBuf> {
    idp_state::valid_name(name).then(|| state_dir.join("audit").join(format!("{name}.jsonl")))
}

/// Appends one entry to `name`'s log.
pub(crate) fn append(state_dir: &Path, name: &str, entry: &Value) -> Result<(), ApiProblem> {
    let Some(path) = path(state_dir, name) else {
        return Ok(());
    };
    let failed = |e: std::io::Error| {
        ApiProblem::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "idp::server::audit",
            "The audit log cannot be written",
            format!("`{}`: {e}", path.display()),
        )
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut line = serde_json::to_vec(entry).unwrap_or_default();
    line.push(b'\n');
    // One write of a whole line to a file opened for appending: lines never interleave.
    std::fs::File::options()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(&line).and_then(|()| f.sync_data()))
        .map_err(failed)
}

/// `name`'s entries, oldest first (a line that is not JSON is skipped).
pub(crate) fn read(state_dir: &Path, name: &str) -> Vec<Value> {
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
    fn entries_are_appended_and_read_back_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        append(dir.path(), "a", &serde_json::json!({"event": "apply"})).expect("one");
        append(dir.path(), "a", &serde_json::json!({"event": "destroy"})).expect("two");
        append(dir.path(), "../x", &serde_json::json!({})).expect("ignored");
        let events: Vec<Value> = read(dir.path(), "a")
            .into_iter()
            .map(|e| e["event"].clone())
            .collect();
        assert_eq!(events, ["apply", "destroy"]);
        assert!(read(dir.path(), "../x").is_empty());
    }
}
