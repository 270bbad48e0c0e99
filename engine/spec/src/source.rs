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
}

impl SourceFile {
    /// A source from a path and its text.
    pub fn new(path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        SourceFile {
            path: path.as_ref().to_path_buf(),
            text: Arc::new(text.into()),
            lines: Arc::default(),
        }
    }

    /// The source for miette, named by its path.
    pub fn named(&self) -> NamedSource<Arc<String>> {
        NamedSource::new(self.path.display().to_string(), self.text.clone()).with_language("kdl")
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
    use super::*;

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
}
