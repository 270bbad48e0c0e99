//! A fast parser for the plain subset of KDL 2.0 that environment specs are written in,
//! producing the same [`KdlDocument`] (values and spans) as the `kdl` crate.
//!
//! The `kdl` crate keeps every byte of formatting and takes ~300 µs for a 700-byte spec;
//! `idp check` over 10,000 specs spent half its time there. This parser handles bare and
//! quoted identifiers, strings with the common escapes, decimal numbers, `#true`,
//! `#false`, `#null`, properties, children and comments in ~20 µs, and answers `None` for
//! anything else (raw and multi-line strings, type annotations, slashdash, line
//! continuations, non-decimal numbers, non-ASCII outside strings, KDL 1.0 and every
//! error), so the caller falls back to the `kdl` crate, which also reports errors.
//! `tests::agrees_with_the_kdl_crate_on_the_kdl_test_suite` holds the two together on
//! the KDL specification's test cases. Decision and numbers:
//! docs/decisions/0004-check-throughput.md.

use kdl::{KdlDocument, KdlEntry, KdlIdentifier, KdlNode, KdlValue};

/// Parses `text`, or `None` when it leaves the subset (the caller then uses `kdl`).
pub(crate) fn parse(text: &str) -> Option<KdlDocument> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let doc = p.nodes(false)?;
    (p.i == p.s.len()).then_some(doc)
}

struct Parser<'t> {
    s: &'t [u8],
    text: &'t str,
    i: usize,
}

/// Bytes that end a bare identifier (besides white space and line ends).
const NOT_IN_IDENTIFIER: &[u8] = b"\\/(){};[]\"#=";

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at(&self, prefix: &[u8]) -> bool {
        self.s[self.i..].starts_with(prefix)
    }

    /// Skips spaces, tabs and block comments; `None` on what the subset does not take.
    fn node_space(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.i += 1,
                Some(b'/') if self.at(b"/*") => self.block_comment()?,
                Some(b'/') if self.at(b"/-") => return None,
                Some(b'\\') => return None,
                _ => return Some(()),
            }
        }
    }

    fn block_comment(&mut self) -> Option<()> {
        let mut depth = 0usize;
        while self.i < self.s.len() {
            if self.at(b"/*") {
                depth += 1;
                self.i += 2;
            } else if self.at(b"*/") {
                depth -= 1;
                self.i += 2;
                if depth == 0 {
                    return Some(());
                }
            } else {
                self.i += 1;
            }
        }
        None
    }

    /// Skips white space, line ends and comments between nodes.
    fn line_space(&mut self) -> Option<()> {
        loop {
            self.node_space()?;
            match self.peek() {
                Some(b'\n') => self.i += 1,
                Some(b'\r') if self.at(b"\r\n") => self.i += 2,
                Some(b'/') if self.at(b"//") => {
                    // A comment ends at any KDL line end; the fast path itself takes only
                    // `\n` and `\r\n` between nodes and leaves the others to `kdl`.
                    let rest = &self.text[self.i..];
                    self.i += rest.find(crate::prescan::is_newline).unwrap_or(rest.len());
                }
                _ => return Some(()),
            }
        }
    }

    /// Nodes until the end of the text, or until `}` when `children`.
    fn nodes(&mut self, children: bool) -> Option<KdlDocument> {
        let mut doc = KdlDocument::new();
        let mut first: Option<usize> = None;
        let mut last = self.i;
        loop {
            self.line_space()?;
            match self.peek() {
                None if !children => break,
                Some(b'}') if children => break,
                None | Some(b'}') => return None,
                Some(b';') => {
                    self.i += 1;
                    continue;
                }
                Some(_) => {}
            }
            let node = self.node()?;
            first.get_or_insert(node.span().offset());
            last = node.span().offset() + node.span().len();
            doc.nodes_mut().push(node);
        }
        let start = first.unwrap_or(self.i);
        doc.set_span((start, last.max(start) - start));
        Some(doc)
    }

    fn node(&mut self) -> Option<KdlNode> {
        let start = self.i;
        let name = self.identifier()?;
        let mut node = KdlNode::new(name);
        loop {
            let before = self.i;
            self.node_space()?;
            let spaced = self.i > before;
            match self.peek() {
                None | Some(b'\n' | b';') => break,
                Some(b'\r') if self.at(b"\r\n") => break,
                Some(b'/') if self.at(b"//") => break,
                Some(b'}') => break,
                Some(b'{') => {
                    self.i += 1;
                    let children = self.nodes(true)?;
                    self.i += 1; // the closing `}`
                    node.set_children(children);
                    self.node_space()?;
                    match self.peek() {
                        None | Some(b'\n' | b';' | b'}') => break,
                        Some(b'\r') if self.at(b"\r\n") => break,
                        Some(b'/') if self.at(b"//") => break,
                        _ => return None,
                    }
                }
                Some(_) if spaced => {
                    let entry = self.entry()?;
                    node.entries_mut().push(entry);
                }
                Some(_) => return None,
            }
        }
        node.set_span((start, self.i - start));
        Some(node)
    }

    fn entry(&mut self) -> Option<KdlEntry> {
        let start = self.i;
        // A property starts with an identifier directly followed by `=`.
        let save = self.i;
        if matches!(self.peek(), Some(b'"')) || self.bare_len() > 0 {
            if let Some(key) = self.identifier()
                && self.peek() == Some(b'=')
            {
                self.i += 1;
                let value = self.value()?;
                let mut entry = KdlEntry::new_prop(key, value);
                entry.set_span((start, self.i - start));
                return Some(entry);
            }
            self.i = save;
        }
        let value = self.value()?;
        let mut entry = KdlEntry::new(value);
        entry.set_span((start, self.i - start));
        Some(entry)
    }

    fn value(&mut self) -> Option<KdlValue> {
        let value = match self.peek()? {
            b'"' => KdlValue::String(self.string()?),
            b'#' => {
                let rest = &self.s[self.i..];
                let (value, len) = if rest.starts_with(b"#true") {
                    (KdlValue::Bool(true), 5)
                } else if rest.starts_with(b"#false") {
                    (KdlValue::Bool(false), 6)
                } else if rest.starts_with(b"#null") {
                    (KdlValue::Null, 5)
                } else {
                    return None;
                };
                self.i += len;
                value
            }
            b'0'..=b'9' | b'-' | b'+' | b'.' if self.numeric_start() => self.number()?,
            _ => {
                let len = self.bare_len();
                if len == 0 {
                    return None;
                }
                let word = &self.text[self.i..self.i + len];
                self.i += len;
                KdlValue::String(word.to_owned())
            }
        };
        self.delimited().then_some(value)
    }

    /// Whether what follows a value or identifier may end it.
    fn delimited(&self) -> bool {
        matches!(
            self.peek(),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'}' | b'{' | b'/')
        )
    }

    fn numeric_start(&self) -> bool {
        let s = &self.s[self.i..];
        match s.first() {
            Some(b'0'..=b'9') => true,
            Some(b'-' | b'+' | b'.') => matches!(s.get(1), Some(b'0'..=b'9' | b'.')),
            _ => false,
        }
    }

    fn number(&mut self) -> Option<KdlValue> {
        let start = self.i;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let from = p.i;
            if !matches!(p.peek(), Some(b'0'..=b'9')) {
                return false;
            }
            while matches!(p.peek(), Some(b'0'..=b'9' | b'_')) {
                p.i += 1;
            }
            p.i > from
        };
        if !digits(self) {
            return None;
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            float = true;
            if !digits(self) {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            float = true;
            if matches!(self.peek(), Some(b'-' | b'+')) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        let text: String = self.text[start..self.i]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        if float {
            let f: f64 = text.parse().ok()?;
            f.is_finite().then_some(KdlValue::Float(f))
        } else {
            text.parse::<i128>().ok().map(KdlValue::Integer)
        }
    }

    /// Length of the bare identifier at the cursor (0 when there is none).
    fn bare_len(&self) -> usize {
        let rest = &self.s[self.i..];
        let len = rest
            .iter()
            .take_while(|&&b| b.is_ascii_graphic() && !NOT_IN_IDENTIFIER.contains(&b))
            .count();
        if len == 0 || rest[0].is_ascii_digit() || self.numeric_start() {
            return 0;
        }
        // A non-ASCII byte right after means the identifier goes on beyond the subset.
        if rest.get(len).is_some_and(|b| !b.is_ascii()) {
            return 0;
        }
        let word = &rest[..len];
        if matches!(
            word,
            b"true" | b"false" | b"null" | b"inf" | b"-inf" | b"nan"
        ) {
            return 0;
        }
        len
    }

    fn identifier(&mut self) -> Option<KdlIdentifier> {
        let start = self.i;
        let mut id = if self.peek() == Some(b'"') {
            KdlIdentifier::from(self.string()?)
        } else {
            let len = self.bare_len();
            if len == 0 {
                return None;
            }
            self.i += len;
            KdlIdentifier::from(&self.text[start..self.i])
        };
        id.set_span((start, self.i - start));
        Some(id)
    }

    /// A single-line quoted string with the common escapes.
    fn string(&mut self) -> Option<String> {
        if self.at(b"\"\"\"") {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let stop = rest.find(['"', '\\'])?;
            let chunk = &rest[..stop];
            if chunk.chars().any(|c| {
                (c < ' ' && c != '\t')
                    || crate::prescan::is_newline(c)
                    || crate::prescan::is_disallowed(c)
            }) {
                return None;
            }
            out.push_str(chunk);
            self.i += stop;
            if self.peek() == Some(b'"') {
                self.i += 1;
                return Some(out);
            }
            self.i += 1;
            let c = match self.peek()? {
                b'"' => '"',
                b'\\' => '\\',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b's' => ' ',
                _ => return None,
            };
            self.i += 1;
            out.push(c);
        }
    }
}

/// What idp reads from a document: names, values and the spans diagnostics point at.
pub(crate) fn projection(doc: &KdlDocument) -> Vec<String> {
    let mut out = Vec::new();
    for n in doc.nodes() {
        out.push(format!(
            "node {:?} {:?} name {:?} ty {:?}",
            n.name().value(),
            n.span(),
            n.name().span(),
            n.ty().map(|t| t.value().to_owned())
        ));
        for e in n.entries() {
            out.push(format!(
                "  entry {:?} {:?} {:?} ty {:?}",
                e.name().map(|k| (k.value().to_owned(), k.span())),
                e.value(),
                e.span(),
                e.ty().map(|t| t.value().to_owned())
            ));
        }
        if let Some(c) = n.children() {
            out.push("  {".into());
            out.extend(projection(c).into_iter().map(|l| format!("  {l}")));
            out.push("  }".into());
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Compares the fast parser with `kdl` on one text; returns whether the fast path took it.
    fn agree(name: &str, text: &str) -> bool {
        let fast = parse(text);
        match (fast, KdlDocument::parse_v2(text)) {
            (None, _) => false,
            (Some(f), Ok(k)) => {
                assert_eq!(projection(&f), projection(&k), "{name}:\n{text}");
                true
            }
            (Some(f), Err(e)) => panic!(
                "{name}: the fast path accepted what kdl refuses ({e}):\n{text}\n{:#?}",
                projection(&f)
            ),
        }
    }

    #[test]
    fn spans_match_kdl_on_a_spec() {
        let text = "// c\nenvironment a-b {\n    template api-service version=\"^0.1\"\n    ttl \"7d\" ; cpu 512  // x\n    tags { cost-center eng }\n    x 1.5 #true #null /* b */ 2e3\n    \"quoted id\" \"esc\\\"\\n\\s\" k=-4_000\n}\n";
        assert!(agree("inline", text));
    }

    #[test]
    fn leaves_the_unusual_to_kdl() {
        for text in [
            "a (t)1\n",
            "a /-1\n",
            "a r#\"x\"#\n",
            "a \"\"\"\nx\n\"\"\"\n",
            "a 0x10\n",
            "a true\n",
            "a \\\n 1\n",
            "a \"\\u{41}\"\n",
            "ä 1\n",
            "a 1 {\n",
            "a\"b\"\n",
            "a 1 // c\u{2028}b 2\n",
            "a 1 // c\u{85}b 2\n",
            "a 1 // c\rb 2\n",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
    }

    /// The KDL specification's test cases that ship with the `kdl` crate, by file name.
    /// The crate's sources are always there, since cargo builds `kdl` from them.
    pub(crate) fn kdl_test_cases() -> Vec<(String, String)> {
        let registry = std::env::var_os("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))
            .expect("CARGO_HOME or HOME")
            .join("registry/src");
        let dirs: Vec<_> = std::fs::read_dir(&registry)
            .expect("cargo registry sources")
            .flatten()
            .map(|d| d.path().join("kdl-6.7.1/tests/test_cases/input"))
            .filter(|d| d.is_dir())
            .collect();
        let dir = dirs.first().expect("the kdl crate's test cases");
        std::fs::read_dir(dir)
            .expect("test cases")
            .flatten()
            .filter_map(|e| {
                let text = std::fs::read_to_string(e.path()).ok()?;
                Some((e.file_name().to_string_lossy().into_owned(), text))
            })
            .collect()
    }

    /// Every test case of the KDL specification: where the fast path answers, it answers
    /// exactly as `kdl` does; where `kdl` refuses, it does not answer.
    #[test]
    fn agrees_with_the_kdl_crate_on_the_kdl_test_suite() {
        let cases = kdl_test_cases();
        let total = cases.len();
        let taken = cases
            .iter()
            .filter(|(name, text)| agree(name, text))
            .count();
        eprintln!("fast path took {taken} of {total} KDL test cases");
        assert!(total > 300, "only {total} test cases");
        assert!(taken > 60, "the fast path took only {taken} of {total}");
    }

    /// Every KDL file of the repository (examples, golden cases, fixtures).
    #[test]
    fn agrees_with_the_kdl_crate_on_the_repository_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut stack = vec![
            root.join("examples"),
            root.join("tests"),
            root.join("catalog"),
        ];
        let mut taken = 0;
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "kdl") {
                    let text = std::fs::read_to_string(&p).expect("read");
                    if agree(&p.display().to_string(), &text) {
                        taken += 1;
                    }
                }
            }
        }
        eprintln!("fast path took {taken} repository files");
        assert!(
            taken > 20,
            "the fast path took only {taken} repository files"
        );
    }
}
