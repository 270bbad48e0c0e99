//! The error-code registry: every `idp::…` code the engine can show is a row of
//! `docs/error-codes.md`, and every row there is still a code the engine uses. Adding a
//! code without documenting it, or removing one without its row, fails here.

use std::collections::BTreeSet;
use std::path::Path;

use crate::harness::{Sandbox, repo};

/// Characters a code is made of after `idp::` (`idp::config::s3_incomplete`).
fn code_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':'
}

/// The code starting right after `open` in `line` at each place, when `close` ends it:
/// `code(idp::x::y)` or `"idp::x::y"`, never `"idp::x::y {}"` or `idp:plugin/types`.
fn codes_after(line: &str, open: &str, close: char, out: &mut BTreeSet<String>) {
    let mut rest = line;
    while let Some(at) = rest.find(open) {
        let after = &rest[at + open.len() - "idp::".len()..];
        let end = after
            .char_indices()
            .skip("idp::".len())
            .find(|&(_, c)| !code_char(c))
            .map_or(after.len(), |(i, _)| i);
        let code = &after[..end];
        if after[end..].starts_with(close) && !code.ends_with(':') {
            out.insert(code.to_owned());
        }
        rest = &after[end..];
    }
}

/// A file's lines up to its unit tests: a line that is exactly `#[cfg(test)]` followed
/// by a `mod tests {` line ends the real code (the tests block is each file's last item,
/// which `unit_tests_come_last` checks).
fn real_code(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0] == "#[cfg(test)]" && w[1].trim_end().ends_with("mod tests {"))
        .unwrap_or(lines.len());
    lines[..end].to_vec()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read engine dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn engine_sources() -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&repo().join("engine"), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read source");
            (p, text)
        })
        .collect()
}

/// Every code the engine's real code uses.
fn used_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for (_, text) in engine_sources() {
        for line in real_code(&text) {
            codes_after(line, "code(idp::", ')', &mut codes);
            codes_after(line, "\"idp::", '"', &mut codes);
        }
    }
    codes
}

/// The codes in the first column of the registry's tables.
fn documented_codes() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo().join("docs/error-codes.md")).expect("read doc");
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `idp::"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(code, _)| format!("idp::{code}"))
        .collect()
}

#[test]
fn every_code_the_engine_uses_is_documented_and_every_documented_code_is_used() {
    let used = used_codes();
    let documented = documented_codes();
    assert!(used.len() > 100, "the scan found only {} codes", used.len());
    let undocumented: Vec<_> = used.difference(&documented).collect();
    let unused: Vec<_> = documented.difference(&used).collect();
    assert!(
        undocumented.is_empty() && unused.is_empty(),
        "docs/error-codes.md is out of date\n  used but not documented: {undocumented:?}\n  documented but not used: {unused:?}"
    );
}

#[test]
fn each_code_has_one_row() {
    let doc = std::fs::read_to_string(repo().join("docs/error-codes.md")).expect("read doc");
    let mut seen = BTreeSet::new();
    let twice: Vec<_> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `idp::"))
        .filter_map(|rest| rest.split_once('`'))
        .filter(|(code, _)| !seen.insert(*code))
        .map(|(code, _)| format!("idp::{code}"))
        .collect();
    assert!(twice.is_empty(), "codes with more than one row: {twice:?}");
}

/// The scan stops at a file's `#[cfg(test)] mod tests {`: nothing may follow that block,
/// or its codes would go unseen.
#[test]
fn unit_tests_come_last() {
    let mut late = Vec::new();
    for (path, text) in engine_sources() {
        let real = real_code(&text).len();
        let lines: Vec<&str> = text.lines().collect();
        if real == lines.len() {
            continue;
        }
        // The block's closing brace is the file's last non-empty line; a `}` at the start
        // of a line inside it can only be in a raw string, so look for items instead.
        let after_item = lines[real + 2..].iter().any(|l| {
            ["pub ", "fn ", "impl ", "struct ", "enum ", "mod ", "#[cfg("]
                .iter()
                .any(|start| l.starts_with(start))
        });
        if after_item || lines.iter().rev().find(|l| !l.trim().is_empty()) != Some(&"}") {
            late.push(path.display().to_string());
        }
    }
    assert!(
        late.is_empty(),
        "code after `#[cfg(test)] mod tests`: {late:?}"
    );
}

/// The lifecycle's refusals share one shape, not one problem: each shows a code of its
/// own (they were all `idp::lifecycle::refused`), and exits 2.
#[test]
fn each_lifecycle_refusal_shows_its_own_code() {
    let s = Sandbox::new();
    for (args, code, message) in [
        (
            &["extend", "hello-preview", "soon"][..],
            "idp::lifecycle::extend_by",
            "`soon` is not a length of time to extend by",
        ),
        (
            &["apply", "examples/hello.kdl", "--yes", "--no-wait"][..],
            "idp::lifecycle::handoff_flags",
            "`--no-wait` and `--ref` are for the github executor",
        ),
    ] {
        let run = s.idp(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let err = run.flat_stderr();
        assert!(err.contains(code), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

/// Usage errors too: one code per problem (they were all `idp::usage`).
#[test]
fn each_usage_error_shows_its_own_code() {
    let s = Sandbox::new();
    let unreadable = s.idp(&["plan", "no-such-spec.kdl"]);
    let bad_clock = s.run_with(&["plan", "examples/hello.kdl"], &[("IDP_NOW", "soon")]);
    for (run, code) in [
        (unreadable, "idp::usage::spec_unreadable"),
        (bad_clock, "idp::usage::idp_now"),
    ] {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.flat_stderr().contains(code), "{code}: {}", run.stderr);
    }
}
