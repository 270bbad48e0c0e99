use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

/// A source text and the name diagnostics give it; cheap to clone.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as the user named it (or a label like `<built-in>`).
    pub path: PathBuf,
    /// The text.
    pub text: Arc<String>,
}

impl SourceFile {
    /// A source from a path and its text.
    pub fn new(path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        SourceFile {
            path: path.as_ref().to_path_buf(),
            text: Arc::new(text.into()),
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
        let before = &self.text[..end];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}
