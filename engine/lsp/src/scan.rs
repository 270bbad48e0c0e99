//! A tolerant outline of a KDL text, for completion and hover: the document is being
//! typed, so it is often not valid KDL, and the parser would give nothing. This reads
//! node names, their first argument and their nesting, skipping strings and comments,
//! in one pass with bounded memory whatever the input (no recursion; the stack of
//! names keeps at most [`MAX_KEPT_DEPTH`] levels, deeper ones are only counted).

/// Levels of nesting whose names are kept; deeper blocks are counted, not named.
const MAX_KEPT_DEPTH: usize = 64;

/// Where the cursor is, as completion and hover need it.
#[derive(Debug, Default, PartialEq)]
pub struct Cursor {
    /// Names of the blocks around the cursor, outermost first (`environment`, `service`).
    pub path: Vec<String>,
    /// The words of the node under the cursor written before the word it is in.
    pub before: Vec<String>,
    /// The word under the cursor: its start and end byte offsets.
    pub word: (usize, usize),
    /// The first argument of the outermost block (the environment's name), and the
    /// `template` argument written directly inside it, if any.
    pub template: Option<String>,
    /// Nesting was deeper than could be kept: no completion or hover then.
    pub too_deep: bool,
}

/// What one pass found about the block the cursor is in.
struct Block {
    name: String,
    start: usize,
}

/// Reads `text` up to `cursor` (a byte offset, clamped) and says where it is.
pub fn cursor(text: &str, cursor: usize) -> Cursor {
    let mut cursor_at = cursor.min(text.len());
    while !text.is_char_boundary(cursor_at) {
        cursor_at -= 1;
    }
    let mut scanner = Scanner::default();
    scanner.run(&text[..cursor_at]);
    let word_start = scanner.word_start.unwrap_or(cursor_at);
    let word_end = text[cursor_at..]
        .find(|c: char| !is_word(c))
        .map_or(text.len(), |n| cursor_at + n);
    let mut out = Cursor {
        path: scanner.stack.iter().map(|b| b.name.clone()).collect(),
        before: scanner.words.clone(),
        word: (word_start, word_end),
        template: None,
        too_deep: scanner.depth > scanner.stack.len(),
    };
    if let Some(env) = scanner.stack.first() {
        out.template = template_in(&text[env.start..]);
    }
    out
}

/// The argument of a `template` node directly inside the block that starts `text`.
fn template_in(text: &str) -> Option<String> {
    let mut found = None;
    let mut scanner = Scanner {
        on_node: Some(Box::new(|depth: usize, words: &[String]| {
            if depth == 1 && words.first().is_some_and(|w| w == "template") && found.is_none() {
                found = words.get(1).cloned();
            }
            // Stop when the first block closes.
            !(depth == 0 && words.is_empty())
        })),
        ..Scanner::default()
    };
    scanner.run(text);
    drop(scanner);
    found.map(|t| t.trim_matches('"').to_owned())
}

/// Characters of a word: node names, bare values, and quoted strings' contents.
pub fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':' | '/' | '"' | '#')
}

#[derive(Default)]
struct Scanner<'f> {
    stack: Vec<Block>,
    depth: usize,
    words: Vec<String>,
    current: String,
    word_start: Option<usize>,
    /// Called at each node's end with its depth and words, and at each block's close
    /// with the depth outside it and no words; `false` stops the scan.
    on_node: Option<OnNode<'f>>,
}

/// What [`Scanner`] calls at each node's end: depth and words in, whether to go on out.
type OnNode<'f> = Box<dyn FnMut(usize, &[String]) -> bool + 'f>;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Code,
    Line,
    Block(usize),
    Str { escaped: bool },
}

impl Scanner<'_> {
    fn run(&mut self, text: &str) {
        let mut mode = Mode::Code;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            mode = match mode {
                Mode::Line if c == '\n' => {
                    if !self.end_node() {
                        return;
                    }
                    Mode::Code
                }
                Mode::Line => Mode::Line,
                Mode::Block(d) if c == '*' && next == Some('/') => {
                    chars.next();
                    if d == 1 {
                        Mode::Code
                    } else {
                        Mode::Block(d - 1)
                    }
                }
                Mode::Block(d) if c == '/' && next == Some('*') => {
                    chars.next();
                    Mode::Block(d.saturating_add(1))
                }
                Mode::Block(d) => Mode::Block(d),
                Mode::Str { escaped } => {
                    self.push_char(i, c);
                    match c {
                        '\\' if !escaped => Mode::Str { escaped: true },
                        '"' if !escaped => Mode::Code,
                        _ => Mode::Str { escaped: false },
                    }
                }
                Mode::Code => match self.code(i, c, next) {
                    Some(m) => m,
                    None => return,
                },
            };
        }
    }

    /// One character outside strings and comments; `None` stops the scan.
    fn code(&mut self, i: usize, c: char, next: Option<char>) -> Option<Mode> {
        match c {
            '/' if next == Some('/') => {
                self.end_word();
                return Some(Mode::Line);
            }
            '/' if next == Some('*') => {
                self.end_word();
                return Some(Mode::Block(1));
            }
            '"' => {
                self.push_char(i, c);
                return Some(Mode::Str { escaped: false });
            }
            '{' => {
                self.end_word();
                if self.stack.len() == self.depth && self.depth < MAX_KEPT_DEPTH {
                    let name = self.words.first().cloned().unwrap_or_default();
                    self.stack.push(Block { name, start: i });
                }
                self.depth = self.depth.saturating_add(1);
                self.words.clear();
            }
            '}' => {
                self.end_word();
                self.words.clear();
                if self.stack.len() == self.depth {
                    self.stack.pop();
                }
                self.depth = self.depth.saturating_sub(1);
                if !self.report(self.depth, &[]) {
                    return None;
                }
            }
            '\n' | ';' => {
                if !self.end_node() {
                    return None;
                }
            }
            c if c.is_whitespace() => self.end_word(),
            c => self.push_char(i, c),
        }
        Some(Mode::Code)
    }

    fn push_char(&mut self, i: usize, c: char) {
        if self.word_start.is_none() {
            self.word_start = Some(i);
        }
        // A word longer than this is not a name anyone completes; keep memory bounded.
        if self.current.len() < 256 {
            self.current.push(c);
        }
    }

    fn end_word(&mut self) {
        if self.word_start.take().is_some() && self.words.len() < 8 {
            self.words.push(std::mem::take(&mut self.current));
        }
        self.current.clear();
    }

    fn end_node(&mut self) -> bool {
        self.end_word();
        let words = std::mem::take(&mut self.words);
        self.report(self.depth, &words)
    }

    fn report(&mut self, depth: usize, words: &[String]) -> bool {
        match self.on_node.as_mut() {
            Some(f) => f(depth, words),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Cursor {
        let n = text.find('|').expect("cursor mark");
        let text = text.replace('|', "");
        cursor(&text, n)
    }

    #[test]
    fn a_node_name_inside_a_block() {
        let c = at("environment a {\n  template api-service\n  service {\n    cp|\n  }\n}\n");
        assert_eq!(c.path, ["environment", "service"]);
        assert!(c.before.is_empty());
        assert_eq!(c.template.as_deref(), Some("api-service"));
    }

    #[test]
    fn a_value_after_a_node_name_and_strings_and_comments_skipped() {
        let c = at("// { not a block\nenvironment \"a{\" {\n  /* } */ class |\n}");
        assert_eq!(c.path, ["environment"]);
        assert_eq!(c.before, ["class"]);
        assert_eq!(c.template, None);
    }

    #[test]
    fn the_template_may_come_after_the_cursor() {
        let c = at("environment a {\n  ser|\n  template \"api-service\"\n  x { template no }\n}");
        assert_eq!(c.template.as_deref(), Some("api-service"));
        assert_eq!(c.word, (18, 21));
    }

    #[test]
    fn deep_and_unbalanced_input_is_bounded() {
        let deep = "a {".repeat(100_000) + "|";
        let c = at(&deep);
        assert!(c.too_deep);
        assert_eq!(c.path.len(), MAX_KEPT_DEPTH);
        let c = at(&("}".repeat(1000) + "environment x { |"));
        assert_eq!(c.path, ["environment"]);
    }
}
