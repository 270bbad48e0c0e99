//! Bounds every KDL text is held to before any parser sees it: its size, the code points
//! KDL 2.0 disallows, the nesting of blocks and comments, and the token sequences on which
//! the `kdl` crate's error recovery recurses once per character.
//!
//! Both parsers (the fast path and the `kdl` crate) are recursive descent: one `{` or
//! `/*` is one level of recursion, and the `kdl` crate also recurses once per error it
//! recovers from, so ten thousand `)` or `;` overflow even a release build's main stack.
//! This scan is one loop over the text with no recursion, so a hostile file is refused
//! here, at its line, and never reaches them. Limits and why:
//! docs/decisions/0002-kdl-parser.md.

use miette::SourceSpan;

use crate::{Problem, Problems, SourceFile};

/// The largest KDL text idp reads: 1 MiB (the largest spec in the examples is 2 KB).
pub const MAX_BYTES: usize = 1 << 20;

/// The deepest nesting of `{` blocks and of `/*` comments in a KDL text.
pub const MAX_DEPTH: usize = 64;

/// Characters KDL 2.0 counts as line ends; `\r\n` is one.
pub(crate) fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{85}' | '\u{b}' | '\u{c}' | '\u{2028}' | '\u{2029}'
    )
}

/// Code points KDL 2.0 disallows anywhere in a document (they may be written as
/// `\u{…}` escapes in quoted strings): control characters other than white space and
/// line ends, the bidi controls that make text read differently from how it parses
/// (CVE-2021-42574), and a byte order mark other than the first character.
pub(crate) fn is_disallowed(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{e}'..='\u{1f}'
        | '\u{7f}'
        | '\u{200e}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}'
    )
}

/// The significant tokens the scan remembers, to spot sequences no KDL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Start of the text, of a block or after a line end or `;`.
    Start,
    /// A node's name.
    Name,
    /// A bare word, number, keyword or string after a node's name.
    Value,
    /// `=`.
    Equals,
    /// The value after `=`.
    PropertyValue,
    /// `)` closing a type annotation.
    Annotation,
    /// `;`.
    Semicolon,
    /// `}`: its node ends here.
    Closed,
    /// `/-`.
    Slashdash,
}

struct Scan<'a> {
    source: &'a SourceFile,
    text: &'a str,
    i: usize,
    open_paren: bool,
    /// After `\`: the next line end continues the node rather than ending it.
    continued: bool,
    last: Token,
    /// What came before the last `/-`.
    before_slashdash: Token,
    /// What came before the last `(`: a value annotated after `=` is a property's.
    before_annotation: Token,
    /// Where the last value ended, to spot the next one written against it.
    value_end: usize,
    /// For each open block (so its length is the depth), whether it is slashdashed: only
    /// a slashdashed block may precede another.
    blocks: Vec<bool>,
    /// Whether the block `}` last closed was slashdashed.
    closed_slashdashed: bool,
    problems: Problems,
}

/// Checks `source` against the bounds; every problem found (all disallowed characters,
/// and the first structural one, after which the scan cannot tell strings from code).
pub fn check(source: &SourceFile) -> Result<(), Problems> {
    let text = source.text.as_str();
    if text.len() > MAX_BYTES {
        let mut at = MAX_BYTES;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        return Err(Problem::error(
            source,
            (at, 0).into(),
            "idp::spec::too_large",
            format!("this file has more than the limit of {MAX_BYTES} bytes (1 MiB)"),
        )
        .label("the limit is reached here")
        .help("split it into several files")
        .into());
    }
    let mut scan = Scan {
        source,
        text,
        i: 0,
        open_paren: false,
        continued: false,
        last: Token::Start,
        before_slashdash: Token::Start,
        before_annotation: Token::Start,
        value_end: usize::MAX,
        blocks: Vec::new(),
        closed_slashdashed: false,
        problems: Problems::default(),
    };
    scan.disallowed();
    if scan.problems.0.is_empty() {
        scan.structure();
    }
    scan.problems.into_result()
}

impl Scan<'_> {
    fn error(&mut self, span: SourceSpan, code: &str, message: String, help: &str) {
        self.problems
            .push(Problem::error(self.source, span, code, message).help(help.to_owned()));
    }

    fn disallowed(&mut self) {
        let body = self.text.strip_prefix('\u{feff}').unwrap_or(self.text);
        let skip = self.text.len() - body.len();
        for (at, c) in body.char_indices() {
            if is_disallowed(c) {
                self.error(
                    (skip + at, c.len_utf8()).into(),
                    "idp::spec::disallowed_character",
                    format!("the character `U+{:04X}` is not allowed in KDL", c as u32),
                    "remove it; inside a quoted string it may be written as an escape like `\\u{202e}`",
                );
            }
        }
    }

    fn syntax(&mut self, len: usize, message: &str, help: &str) {
        self.error(
            (self.i, len).into(),
            "idp::spec::syntax",
            format!("invalid KDL: {message}"),
            help,
        );
    }

    fn rest(&self) -> &[u8] {
        &self.text.as_bytes()[self.i..]
    }

    /// Walks the tokens; stops at the first problem (each step that finds one records it,
    /// which ends the loop).
    fn structure(&mut self) {
        self.i = self.text.len() - self.text.trim_start_matches('\u{feff}').len();
        while self.problems.0.is_empty() {
            let Some(c) = self.text[self.i..].chars().next() else {
                return;
            };
            if self.dangles_before(c) {
                return self.syntax(
                    c.len_utf8(),
                    "`=`, `/-` and `(type)` need what they apply to right after them",
                    "write the value (or node) they apply to, or remove them",
                );
            }
            match c {
                c if is_newline(c) => self.line_end(c),
                '/' if self.rest().starts_with(b"//") => self.line_comment(),
                '/' if self.rest().starts_with(b"/*") => self.block_comment(),
                '/' if self.rest().starts_with(b"/-") => {
                    self.i += 2;
                    self.before_slashdash = self.last;
                    self.last = Token::Slashdash;
                }
                '{' => self.open_block(),
                '}' => self.close_block(),
                ';' => self.semicolon(),
                '(' if !self.value_may_start() => {}
                '(' => self.open_annotation(),
                ')' => self.close_annotation(),
                '=' => self.equals(),
                '"' | '#' | 'r' if !self.value_may_start() => {}
                '"' => self.string(),
                '#' | 'r' if self.raw_string_hashes().is_some() => self.raw_string(),
                '\\' => {
                    self.continued = true;
                    self.i += 1;
                }
                c if c.is_whitespace() => self.i += c.len_utf8(),
                _ if !self.value_may_start() => {}
                _ => self.word(),
            }
        }
    }

    /// A line end starts a new node, unless a `\` continued the line or a `/-` waits for
    /// the node it comments out.
    fn line_end(&mut self, c: char) {
        self.i += c.len_utf8();
        if std::mem::take(&mut self.continued) {
            return;
        }
        if self.last != Token::Slashdash {
            self.last = Token::Start;
        }
    }

    fn open_block(&mut self) {
        let nameless = self.last == Token::Start
            || (self.last == Token::Slashdash && self.before_slashdash == Token::Start);
        let second = self.last == Token::Closed && !self.closed_slashdashed;
        if nameless || second {
            return self.syntax(
                1,
                "a block needs a node name before it, and a node has one block",
                "write `name { … }`",
            );
        }
        if self.blocks.len() == MAX_DEPTH {
            return self.error(
                (self.i, 1).into(),
                "idp::spec::too_deep",
                format!("blocks nest deeper than {MAX_DEPTH} levels here"),
                "flatten the structure; no template needs this depth",
            );
        }
        self.blocks.push(self.last == Token::Slashdash);
        self.i += 1;
        self.last = Token::Start;
    }

    fn close_block(&mut self) {
        let Some(slashdashed) = self.blocks.pop() else {
            return self.syntax(
                1,
                "this `}` closes no block",
                "remove it, or add the `{` it closes",
            );
        };
        self.closed_slashdashed = slashdashed;
        self.i += 1;
        self.last = Token::Closed;
    }

    fn semicolon(&mut self) {
        if matches!(self.last, Token::Start | Token::Semicolon) {
            return self.syntax(1, "this `;` ends no node", "remove it");
        }
        self.i += 1;
        self.last = Token::Semicolon;
    }

    fn open_annotation(&mut self) {
        if self.open_paren || self.last == Token::Annotation {
            return self.syntax(
                1,
                "a type annotation cannot follow another",
                "keep one `(type)`",
            );
        }
        self.open_paren = true;
        self.before_annotation = self.last;
        self.i += 1;
    }

    fn close_annotation(&mut self) {
        if !self.open_paren {
            return self.syntax(1, "this `)` closes no type annotation", "remove it");
        }
        self.open_paren = false;
        self.i += 1;
        self.last = Token::Annotation;
    }

    fn equals(&mut self) {
        if self.last != Token::Value {
            return self.syntax(
                1,
                "`=` without a property name before it",
                "write `name=value`",
            );
        }
        self.i += 1;
        self.last = Token::Equals;
    }

    /// Whether `c` would leave a `=`, `/-` or `(type)` without what it applies to: it
    /// may not be followed by `;`, `}`, `/-`, nor (but for `/-`) a line end or a block.
    fn dangles_before(&self, c: char) -> bool {
        let slashdash = self.last == Token::Slashdash;
        if !slashdash && !matches!(self.last, Token::Equals | Token::Annotation) {
            return false;
        }
        match c {
            ';' | '}' => true,
            '/' => self.rest().starts_with(b"/-"),
            '{' => !slashdash,
            c if is_newline(c) => !slashdash && !self.continued,
            _ => false,
        }
    }

    /// Whether a value (or a type annotation) may start here: not right after a block,
    /// nor against the previous value without white space. Reports it when not.
    fn value_may_start(&mut self) -> bool {
        if self.last == Token::Closed {
            self.syntax(
                1,
                "a block must be the last thing in its node",
                "end the node after `}`",
            );
            return false;
        }
        let against = self.i == self.value_end;
        let value = matches!(self.last, Token::Name | Token::Value | Token::PropertyValue);
        if against && value {
            self.syntax(1, "values must be separated by white space", "add a space");
            return false;
        }
        true
    }

    fn value_seen(&mut self) {
        self.value_end = self.i;
        let before = match self.last {
            Token::Annotation => self.before_annotation,
            last => last,
        };
        let node_start = |t| matches!(t, Token::Start | Token::Semicolon);
        self.last = match before {
            Token::Equals => Token::PropertyValue,
            t if node_start(t) => Token::Name,
            Token::Slashdash if node_start(self.before_slashdash) => Token::Name,
            _ => Token::Value,
        };
    }

    fn word(&mut self) {
        let len = self.text[self.i..]
            .find(|c: char| c.is_whitespace() || is_newline(c) || "\\/(){};[]\"=".contains(c))
            .unwrap_or(self.text.len() - self.i);
        // `[` and `]` are never valid outside strings; the parser reports them.
        self.i += len.max(1);
        self.value_seen();
    }

    fn line_comment(&mut self) {
        let rest = &self.text[self.i..];
        self.i += rest.find(is_newline).unwrap_or(rest.len());
    }

    fn block_comment(&mut self) {
        let start = self.i;
        let mut nested = 0usize;
        let bytes = self.text.as_bytes();
        while self.i < bytes.len() {
            if bytes[self.i..].starts_with(b"/*") {
                nested += 1;
                if self.blocks.len() + nested > MAX_DEPTH {
                    return self.error(
                        (self.i, 2).into(),
                        "idp::spec::too_deep",
                        format!("comments and blocks nest deeper than {MAX_DEPTH} levels here"),
                        "close the comments you open with `*/`",
                    );
                }
                self.i += 2;
            } else if bytes[self.i..].starts_with(b"*/") {
                nested -= 1;
                self.i += 2;
                if nested == 0 {
                    return;
                }
            } else {
                self.i += 1;
            }
        }
        self.i = start;
        self.syntax(2, "this comment is never closed", "close it with `*/`");
    }

    /// A quoted string: `"…"` ends at an unescaped `"` or at a line end (where KDL 2.0
    /// reports it), `"""` (which must end its line) at the next unescaped `"""`.
    fn string(&mut self) {
        let multi = self.rest().starts_with(b"\"\"\"");
        if multi {
            let after = self.text[self.i + 3..].chars().next();
            if !after.is_some_and(|c| is_newline(c) || c == ' ' || c == '\t') {
                return self.syntax(
                    3,
                    "`\"\"\"` starts a multi-line string and must end its line",
                    "put the text on the next line",
                );
            }
            self.i += 3;
        } else {
            self.i += 1;
        }
        let bytes = self.text.as_bytes();
        while self.i < bytes.len() {
            match bytes[self.i] {
                b'\\' => {
                    self.i += 1;
                    // An escaped character, or a run of white space and line ends.
                    let rest = &self.text[self.i..];
                    let space = rest
                        .find(|c: char| !c.is_whitespace())
                        .unwrap_or(rest.len());
                    self.i += match rest.chars().next() {
                        Some(c) if c.is_whitespace() => space,
                        Some(c) => c.len_utf8(),
                        None => 0,
                    };
                }
                b'"' if !multi => {
                    self.i += 1;
                    break;
                }
                b'"' if bytes[self.i..].starts_with(b"\"\"\"") => {
                    self.i += 3;
                    break;
                }
                b'\n' | b'\r' if !multi => break,
                _ => self.i += 1,
            }
        }
        self.value_seen();
    }

    /// At a raw string (`#"…"#` in KDL 2.0, `r#"…"#` or `r"…"` in 1.0): how many `#`.
    fn raw_string_hashes(&self) -> Option<usize> {
        let rest = self.rest();
        let rest = rest.strip_prefix(b"r").unwrap_or(rest);
        let hashes = rest.iter().take_while(|&&b| b == b'#').count();
        let v1 = self.rest().first() == Some(&b'r');
        (rest.get(hashes) == Some(&b'"') && (hashes > 0 || v1)).then_some(hashes)
    }

    fn raw_string(&mut self) {
        let hashes = self.raw_string_hashes().unwrap_or(0);
        let v1 = self.rest().first() == Some(&b'r');
        let prefix = usize::from(v1) + hashes;
        // KDL 1.0 has no multi-line form (`r#"""#` holds one `"`), and in 2.0 `"""` opens
        // one only at the end of its line (`#""""#` holds `""`).
        let after = &self.text[self.i + prefix..];
        let multi =
            !v1 && after.starts_with("\"\"\"") && after[3..].chars().next().is_some_and(is_newline);
        let quote = if multi { "\"\"\"" } else { "\"" };
        let close = format!("{quote}{}", "#".repeat(hashes));
        let body = self.i + prefix + quote.len();
        match self.text[body..].find(&close) {
            Some(end) => self.i = body + end + close.len(),
            None => {
                return self.syntax(
                    prefix + quote.len(),
                    "this raw string is never closed",
                    &format!("close it with `{close}`"),
                );
            }
        }
        self.value_seen();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<String> {
        match check(&SourceFile::new("t.kdl", text)) {
            Ok(()) => Vec::new(),
            Err(p) => {
                p.0.iter()
                    .map(|p| format!("{} {}", p.code, p.span.offset()))
                    .collect()
            }
        }
    }

    #[test]
    fn ordinary_kdl_passes() {
        for text in [
            "environment a {\n  template x version=\"^1\"\n  tags { a b }\n}\n",
            "a (t)1 /-b #\"raw \" } ) \"# r#\"v1 }\"# r\"x\"\n",
            "a \"\"\"\n  ) } ;\n  \"\"\"\n/* /* } */ */ b; c\n",
            "a \"}\\\"\"; b \\ // c\n  1\n",
            "\u{feff}a k = v\n",
            "a 1 \\ // c\n 2 \\\n; b\n",
            "a r#\"\"\"# b\n",
            "a #\"\"\"\"# b\n",
        ] {
            assert_eq!(codes(text), Vec::<String>::new(), "{text:?}");
        }
    }

    #[test]
    fn refuses_what_would_recurse_without_bound() {
        let deep = "a {".repeat(MAX_DEPTH + 1);
        assert_eq!(
            codes(&deep),
            [format!("idp::spec::too_deep {}", 3 * MAX_DEPTH + 2)]
        );
        assert_eq!(
            codes(&"/*".repeat(100)),
            [format!("idp::spec::too_deep {}", 2 * MAX_DEPTH)]
        );
        for (flood, at) in [
            ("a{}", 3),
            ("{}", 0),
            ("/-{}", 2),
            ("(a)x", 4),
            ("a=(t)", 1),
            ("/-a=", 3),
            ("a=/-", 1),
            ("(t)/-", 3),
            ("/-;", 2),
            ("a=;", 1),
            ("a=b;", 1),
            ("a=b\n", 1),
            ("}", 0),
            (")", 0),
            (";", 0),
            ("=", 0),
            ("/-", 2),
            ("(a)", 3),
            ("a=", 1),
            ("\"\"\"", 0),
        ] {
            let text = flood.repeat(10_000);
            assert_eq!(codes(&text), [format!("idp::spec::syntax {at}")], "{flood}");
        }
        let big = "a 1\n".repeat(MAX_BYTES / 4 + 1);
        assert_eq!(codes(&big), [format!("idp::spec::too_large {MAX_BYTES}")]);
    }

    #[test]
    fn refuses_disallowed_code_points_where_they_are() {
        assert_eq!(
            codes("a \"x\u{202e}y\" // \u{2066}\n"),
            [
                "idp::spec::disallowed_character 4",
                "idp::spec::disallowed_character 13"
            ]
        );
        assert_eq!(codes("a\u{feff} 1"), ["idp::spec::disallowed_character 1"]);
    }

    /// The bounds refuse no valid document of the KDL specification's test suite, but for
    /// the code points KDL 2.0 disallows and the `kdl` crate lets through (DEL, and any in
    /// comments).
    #[test]
    fn never_refuses_what_the_kdl_test_suite_holds_valid() {
        for (name, text) in crate::fast_kdl::tests::kdl_test_cases() {
            if kdl::KdlDocument::parse(&text).is_ok() {
                let refused: Vec<_> = codes(&text)
                    .into_iter()
                    .filter(|c| !c.starts_with("idp::spec::disallowed_character"))
                    .collect();
                assert!(refused.is_empty(), "{name}: {refused:?}\n{text}");
            }
        }
    }
}
