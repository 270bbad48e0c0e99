//! The canonical layout of a parsed KDL 2.0 document, printed from the `kdl` crate's
//! tree with the formatting it kept: one node per line, four spaces per level, one space
//! between entries, values exactly as written, comments where they were (a comment on a
//! node's line stays there, one above it stays above), at most one blank line between
//! nodes and none at the start or end of a block.
//!
//! The `kdl` crate's own `autoformat` was tried on every file of `examples/` and
//! `tests/fixtures/` and not used: it drops every blank line and rewrites values (a quoted
//! `"alice@acme.io"` loses its quotes), which would churn every spec for no reader's gain.
//!
//! What cannot be laid out safely is kept as written rather than guessed at: whatever
//! sits between entries or around `=` when it holds a line comment or spans lines (a
//! multi-line block comment, a `/-` entry over several lines).

use std::borrow::Cow;

use kdl::{KdlDocument, KdlEntry, KdlNode};

const INDENT: &str = "    ";

/// Every character KDL 2.0 ends a line with, after `\r\n` is folded into `\n`.
const NEWLINES: [char; 7] = [
    '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}',
];

/// `doc` in the canonical layout.
pub(crate) fn document(doc: &KdlDocument) -> String {
    let mut printer = Printer::default();
    printer.block(doc, 0);
    printer.out
}

#[derive(Default)]
struct Printer {
    out: String,
}

/// Where a block's printing stands: whether anything is printed yet (a blank line is
/// never a block's first) and whether one is owed before the next line.
#[derive(Default)]
struct Block {
    printed: bool,
    blank: bool,
}

impl Printer {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
    }

    fn block(&mut self, doc: &KdlDocument, depth: usize) {
        let mut state = Block::default();
        if let Some(f) = doc.format() {
            self.comment_lines(&f.leading, depth, &mut state, false);
        }
        let mut line_ended = false;
        for node in doc.nodes() {
            if let Some(f) = node.format() {
                self.comment_lines(&f.leading, depth, &mut state, line_ended);
            }
            self.owed_blank(&mut state);
            self.node(node, depth);
            state.printed = true;
            line_ended = node
                .format()
                .is_none_or(|f| f.terminator.contains(NEWLINES) || f.trailing.contains(NEWLINES));
        }
        if let Some(f) = doc.format() {
            // Blank lines owed here end the block: dropped.
            self.comment_lines(&f.trailing, depth, &mut state, line_ended);
        }
    }

    fn owed_blank(&mut self, state: &mut Block) {
        if state.blank && state.printed {
            self.out.push('\n');
        }
        state.blank = false;
    }

    /// The comments (and `/-` nodes) of `decor`, each line at `depth` with its
    /// indentation relative to the others kept (a commented-out block stays readable);
    /// its blank lines become one owed blank line. `line_ended` tells whether the text
    /// before `decor` ended its line, so that its first piece is a whole line rather than
    /// a line's rest.
    fn comment_lines(&mut self, decor: &str, depth: usize, state: &mut Block, line_ended: bool) {
        let decor = decor.replace("\r\n", "\n");
        let pieces: Vec<&str> = decor.split(NEWLINES).collect();
        let last = pieces.len() - 1;
        let whole = |k: usize| k < last && (k > 0 || line_ended);
        let margin = (0..pieces.len())
            .filter(|&k| (k > 0 || line_ended) && !is_blank(pieces[k]))
            .map(|k| indentation(pieces[k]))
            .min()
            .unwrap_or(0);
        for (k, piece) in pieces.iter().enumerate() {
            if is_blank(piece) {
                state.blank |= whole(k);
                continue;
            }
            let line = if k > 0 || line_ended {
                piece.chars().skip(margin).collect::<String>()
            } else {
                piece.trim_start().to_owned()
            };
            self.owed_blank(state);
            self.indent(depth);
            self.out.push_str(line.trim_end());
            self.out.push('\n');
            state.printed = true;
        }
    }

    fn node(&mut self, node: &KdlNode, depth: usize) {
        self.indent(depth);
        if let Some(ty) = node.ty() {
            self.out.push('(');
            self.out.push_str(&ty.to_string());
            self.out.push(')');
        }
        self.out.push_str(&node.name().to_string());
        for entry in node.entries() {
            self.entry(entry);
        }
        let f = node.format();
        let decor = |pick: fn(&kdl::KdlNodeFormat) -> &str| f.map_or("", pick);
        self.inline(decor(|f| &f.before_children), false);
        if let Some(children) = node.children() {
            if children.nodes().is_empty() && is_blank(&children.to_string()) {
                self.out.push_str(" {}");
            } else {
                self.out.push_str(" {\n");
                self.block(children, depth + 1);
                self.indent(depth);
                self.out.push('}');
            }
        }
        self.inline(decor(|f| &f.before_terminator), false);
        let terminator = decor(|f| &f.terminator);
        self.inline(terminator.trim().trim_start_matches(';'), true);
        self.inline(decor(|f| &f.trailing), true);
        self.out.push('\n');
    }

    /// Decor on a node's line (a comment, `/-` children): one space and the text, or the
    /// text as written when it cannot be put on one line safely. `ends_line`: nothing
    /// follows on the line, so a line comment may stay.
    fn inline(&mut self, decor: &str, ends_line: bool) {
        match on_one_line(decor, ends_line) {
            Cow::Borrowed("") => {}
            Cow::Borrowed(text) => {
                self.out.push(' ');
                self.out.push_str(text);
            }
            Cow::Owned(verbatim) => self.out.push_str(&verbatim),
        }
    }

    fn entry(&mut self, entry: &KdlEntry) {
        let f = entry.format();
        let decor = |pick: fn(&kdl::KdlEntryFormat) -> &str| f.map_or("", pick);
        match on_one_line(decor(|f| &f.leading), false) {
            Cow::Borrowed(text) => {
                self.out.push(' ');
                if !text.is_empty() {
                    self.out.push_str(text);
                    self.out.push(' ');
                }
            }
            Cow::Owned(verbatim) => self.out.push_str(&verbatim),
        }
        if let Some(name) = entry.name() {
            self.out.push_str(&name.to_string());
            self.out.push_str(tight(decor(|f| &f.after_key)));
            self.out.push('=');
            self.out.push_str(tight(decor(|f| &f.after_eq)));
        }
        if let Some(ty) = entry.ty() {
            self.out.push('(');
            self.out.push_str(tight(decor(|f| &f.before_ty_name)));
            self.out.push_str(&ty.to_string());
            self.out.push_str(tight(decor(|f| &f.after_ty_name)));
            self.out.push(')');
            self.out.push_str(tight(decor(|f| &f.after_ty)));
        }
        match f {
            Some(f) if !f.value_repr.is_empty() => self.out.push_str(&f.value_repr),
            _ => self.out.push_str(&entry.value().to_string()),
        }
        self.out.push_str(tight(decor(|f| &f.trailing)));
    }
}

/// How many whitespace characters `line` starts with.
fn indentation(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Decor where nothing belongs in the canonical layout: gone when it is only
/// whitespace, kept as written when it holds a comment.
fn tight(decor: &str) -> &str {
    if is_blank(decor) { "" } else { decor }
}

/// `decor` trimmed, with its line continuations (`\` and a newline) folded away, when
/// what remains fits on one line (`Borrowed`); otherwise `decor` as written (`Owned`),
/// since a comment over several lines, or a line comment with something after it on
/// the line (unless `ends_line`), cannot be moved safely.
fn on_one_line(decor: &str, ends_line: bool) -> Cow<'_, str> {
    let trimmed = decor.trim();
    let eats_rest = !ends_line && trimmed.contains("//");
    if !trimmed.contains(NEWLINES) && !eats_rest && !trimmed.ends_with('\\') {
        return Cow::Borrowed(trimmed);
    }
    if is_only_continuations(trimmed) {
        return Cow::Borrowed("");
    }
    Cow::Owned(decor.to_owned())
}

/// Whether `text` is nothing but whitespace and line continuations.
fn is_only_continuations(text: &str) -> bool {
    text.chars().all(|c| c == '\\' || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        document(&KdlDocument::parse_v2(text).expect("valid KDL 2.0"))
    }

    #[test]
    fn lays_out_nodes_entries_and_blocks() {
        assert_eq!(
            fmt("a   1  k=\"v\"{b;c {d}}\n"),
            "a 1 k=\"v\" {\n    b\n    c {\n        d\n    }\n}\n"
        );
    }

    #[test]
    fn keeps_comments_and_one_blank_line() {
        let text = "// head\n\n\n\na 1 // after a\n\n/* above b */\nb {\n\n  c /* in */ 2\n\n}\n// tail\n\n";
        assert_eq!(
            fmt(text),
            "// head\n\na 1 // after a\n\n/* above b */\nb {\n    c /* in */ 2\n}\n// tail\n"
        );
    }

    #[test]
    fn keeps_values_as_written() {
        let text = "a \"quoted\" bare 0x1F #\"raw\\\"# 1.50 #true #null\n";
        assert_eq!(fmt(text), text);
    }

    #[test]
    fn keeps_the_shape_of_a_commented_out_block() {
        assert_eq!(
            fmt("a {\n      /- b {\n          c\n      }\n   d\n}\n"),
            "a {\n    /- b {\n        c\n    }\n    d\n}\n"
        );
    }

    #[test]
    fn folds_line_continuations() {
        assert_eq!(fmt("a \\\n   1 \\\n 2\n"), "a 1 2\n");
    }

    #[test]
    fn keeps_slashdashes() {
        assert_eq!(
            fmt("/- gone 1\na /-1 2 /-{ x }\n"),
            "/- gone 1\na /-1 2 /-{ x }\n"
        );
    }

    #[test]
    fn an_empty_block_stays_on_its_line() {
        assert_eq!(fmt("a {\n}\nb {}\n"), "a {}\nb {}\n");
    }
}
