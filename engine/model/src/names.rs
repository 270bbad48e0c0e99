//! The grammars of the names a plugin or a catalog hands idp: plugin and module names,
//! versions and rule ids. Each one ends up in a file path, in `main.tf`, in `catalog.kdl`
//! or on a terminal, so each is checked against a grammar that cannot carry a newline,
//! a quote, a path separator or a control character, before it is used anywhere.

use std::fmt;

/// The longest name idp accepts; long enough for any real plugin, short enough to print.
pub const MAX_NAME_LEN: usize = 64;

/// Which grammar a value failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A plugin's catalog name (`max-ttl`).
    Plugin,
    /// An OpenTofu module's directory name (`ecs-service`).
    Module,
    /// A policy rule id (`ttl-above-maximum`).
    Rule,
    /// A plugin version (`0.1.0`, semantic versioning).
    Version,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Plugin => "plugin name",
            NameKind::Module => "module name",
            NameKind::Rule => "rule id",
            NameKind::Version => "version",
        })
    }
}

/// A value that does not follow its grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {} is not valid: {why}", printable(value))]
pub struct InvalidName {
    /// Which grammar.
    pub kind: NameKind,
    /// The value, as given.
    pub value: String,
    /// What the grammar asks for.
    pub why: &'static str,
}

/// A name in lowercase kebab case: `[a-z0-9]` then `[a-z0-9-]`, at most
/// [`MAX_NAME_LEN`] characters. Plugins, modules and rule ids all use it.
pub fn check_name(kind: NameKind, value: &str) -> Result<(), InvalidName> {
    let fail = |why| {
        Err(InvalidName {
            kind,
            value: value.to_owned(),
            why,
        })
    };
    let mut chars = value.chars();
    match chars.next() {
        None => return fail("it is empty"),
        Some(c) if !(c.is_ascii_lowercase() || c.is_ascii_digit()) => {
            return fail("it must start with a lowercase letter or a digit");
        }
        Some(_) => {}
    }
    if value.len() > MAX_NAME_LEN {
        return fail("it is longer than 64 characters");
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return fail("only lowercase letters, digits and `-` are allowed");
    }
    Ok(())
}

/// An environment name: DNS-safe (lowercase letters, digits and hyphens), starting with a
/// letter, not ending with a hyphen, at most 40 characters. It becomes a directory, an S3
/// key and part of AWS resource names, so the spec and the state store both hold to it.
pub fn is_environment_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0].is_ascii_lowercase()
        && !name.ends_with('-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// A semantic version (`1.2.3`, `1.2.3-rc.1+build.5`): the grammar of semver.org, which
/// admits only ASCII letters, digits, `.`, `-` and `+`.
pub fn check_version(value: &str) -> Result<(), InvalidName> {
    let fail = |why| {
        Err(InvalidName {
            kind: NameKind::Version,
            value: value.to_owned(),
            why,
        })
    };
    if value.len() > MAX_NAME_LEN {
        return fail("it is longer than 64 characters");
    }
    let (core, rest) = match value.find(['-', '+']) {
        Some(i) => value.split_at(i),
        None => (value, ""),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let numeric = |n: &&str| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && (n.len() == 1 || !n.starts_with('0'))
    };
    if numbers.len() != 3 || !numbers.iter().all(numeric) {
        return fail("it must be MAJOR.MINOR.PATCH, like `0.1.0`");
    }
    let identifiers = |s: &str| {
        s.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    };
    let (pre, build) = match rest.split_once('+') {
        Some((pre, build)) => (pre, Some(build)),
        None => (rest, None),
    };
    let pre_ok = pre.is_empty() || pre.strip_prefix('-').is_some_and(identifiers);
    if !pre_ok || !build.is_none_or(identifiers) {
        return fail("pre-release and build parts take ASCII letters, digits, `-` and `.`");
    }
    Ok(())
}

/// The value with every character that could move a terminal's cursor or end a line
/// shown as an escape, in backticks: safe to print whatever a plugin returned.
pub fn printable(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('`');
    for c in value.chars().take(200) {
        if c.is_control() || is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if value.chars().nth(200).is_some() {
        out.push('…');
    }
    out.push('`');
    out
}

/// Text for a terminal: every control character but the line feed and the tab, and
/// every character that rearranges or hides text, shown as an escape (`\u{1b}`), so
/// data from a spec, a plugin or a record can neither move the cursor nor hide a line.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| (c.is_control() && c != '\n' && c != '\t') || is_invisible_format(c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Characters that are not control characters but still rearrange or hide text on a
/// terminal: line and paragraph separators and the bidirectional overrides.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case_and_nothing_else() {
        for ok in ["max-ttl", "ecs-service", "a", "s3-bucket", "0day"] {
            assert!(check_name(NameKind::Plugin, ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../../outside",
            "/etc",
            "Max",
            "-x",
            "a b",
            "a\nresource",
            "a\u{2028}b",
            "a_b",
            &"x".repeat(65),
        ] {
            assert!(check_name(NameKind::Module, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn versions_follow_semver_and_carry_no_code() {
        for ok in [
            "0.1.0",
            "1.20.3",
            "1.0.0-rc.1",
            "1.0.0+build.5",
            "1.0.0-a-b.2+x",
        ] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in [
            "0.1",
            "01.0.0",
            "0.1.0\nresource \"terraform_data\" \"pwn\" {}",
            "0.1.0-",
            "0.1.0+",
            "0.1.0-a..b",
            "v1.0.0",
            "1.0.0 ",
        ] {
            assert!(check_version(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn terminal_text_keeps_lines_and_escapes_the_rest() {
        assert_eq!(terminal_safe("a\tb\nc"), "a\tb\nc");
        assert_eq!(
            terminal_safe("x\u{1b}[2Jy\rz\u{202e}"),
            "x\\u{1b}[2Jy\\rz\\u{202e}"
        );
    }

    #[test]
    fn printable_escapes_what_moves_a_terminal() {
        assert_eq!(printable("a\u{1b}[2Jb\nc"), "`a\\u{1b}[2Jb\\nc`");
        assert_eq!(printable("x\u{202e}y"), "`x\\u{202e}y`");
        let err = check_name(NameKind::Plugin, "a\nb").expect_err("newline");
        assert_eq!(
            err.to_string(),
            "plugin name `a\\nb` is not valid: only lowercase letters, digits and `-` are allowed"
        );
    }
}
