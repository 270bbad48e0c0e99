use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use miette::NamedSource;

/// A source text and the name diagnostics give it; cheap to clone.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as the user named it (or a label like `<built-in>`).
    pub path: PathBuf,
    /// The text.
    pub text: Arc<String>,
    /// Byte offsets where lines start, built on first use: a file with thousands of
    /// diagnostics must not scan its text once per diagnostic.
    lines: Arc<OnceLock<Vec<usize>>>,
    /// The text as diagnostics show it (see [`SourceFile::named`]), made on first use for
    /// the same reason.
    shown: Arc<OnceLock<Arc<String>>>,
}

impl SourceFile {
    /// A source from a path and its text.
    pub fn new(path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        SourceFile {
            path: path.as_ref().to_path_buf(),
            text: Arc::new(text.into()),
            lines: Arc::default(),
            shown: Arc::default(),
        }
    }

    /// Reads a file as a source, at most one byte past [`crate::MAX_BYTES`]: enough for
    /// the prescan to refuse it as too large at its line, never a whole huge file (or an
    /// endless one, like `/dev/zero`) in memory.
    pub fn read(path: &Path) -> std::io::Result<SourceFile> {
        let bytes = idp_model::read_prefix(path, crate::MAX_BYTES)?;
        // Past the limit the file is refused anyway; the cut may split a character.
        let text = if bytes.len() > crate::MAX_BYTES {
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            String::from_utf8(bytes).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8: {e}"))
            })?
        };
        Ok(SourceFile::new(path, text))
    }

    /// The source for miette, named by its path.
    ///
    /// Diagnostics quote the text, so any character that could drive a terminal (a
    /// control or bidirectional character the parser is about to refuse, say) is shown as
    /// `?`, one per byte, which keeps every span where it was.
    pub fn named(&self) -> NamedSource<Arc<String>> {
        let text = self.shown.get_or_init(|| {
            let unsafe_char = |c: char| {
                (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                    || idp_model::is_invisible_format(c)
            };
            if !self.text.chars().any(unsafe_char) {
                return self.text.clone();
            }
            let shown: String = self
                .text
                .chars()
                .flat_map(|c| {
                    let n = if unsafe_char(c) { c.len_utf8() } else { 0 };
                    std::iter::repeat_n('?', n).chain((n == 0).then_some(c))
                })
                .collect();
            Arc::new(shown)
        });
        NamedSource::new(self.path.display().to_string(), text.clone()).with_language("kdl")
    }

    /// The 1-based line and column (in characters, as editors count) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut end = offset.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let lines = self.lines.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = lines.partition_point(|&start| start <= end);
        let line_start = lines[line - 1];
        (line, self.text[line_start..end].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use miette::SourceCode;

    use super::*;
    use crate::Problem;

    #[test]
    fn lines_and_columns_count_characters() {
        let s = SourceFile::new("t", "ab\näé x\n\nz");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(2), (1, 3));
        assert_eq!(s.line_col(3), (2, 1));
        assert_eq!(s.line_col(8), (2, 4));
        assert_eq!(s.line_col(10), (3, 1));
        assert_eq!(s.line_col(11), (4, 1));
        assert_eq!(s.line_col(99), (4, 2));
    }

    #[test]
    fn quoted_text_cannot_drive_a_terminal_and_spans_stay_put() {
        let text = "a \"x\u{1b}[2J\u{202e}y\"\nb";
        let file = SourceFile::new("env.kdl", text);
        let named = file.named();
        let shown = named
            .inner()
            .read_span(&(0, text.len()).into(), 0, 0)
            .expect("span");
        let shown = std::str::from_utf8(shown.data()).expect("utf-8");
        assert_eq!(shown, "a \"x?[2J???y\"\nb");
        assert_eq!(shown.len(), text.len());
        let problem = Problem::error(&file, (0, 1).into(), "idp::test", "value `x\u{1b}[2J`")
            .label("\u{7}")
            .help("\u{202e}");
        assert_eq!(problem.message, "value `x\\u{1b}[2J`");
        assert_eq!(problem.help.as_deref(), Some("\\u{202e}"));
    }
}
