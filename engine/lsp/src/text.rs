//! Positions: LSP counts columns in UTF-16 code units, idp's spans are byte offsets.
//!
//! Every conversion clamps: a client may send a line past the end, a column inside a
//! surrogate pair or past the line's end, and none of that may panic the server.

use lsp_types::{Position, Range};

/// A text's line starts, for converting between byte offsets and LSP positions.
pub struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset where each line starts; the first is 0.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text`.
    pub fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// The position of a byte offset (clamped to the text, moved back to a character
    /// boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(to_u32(line), to_u32(column))
    }

    /// The range of a byte span.
    pub fn range(&self, offset: usize, len: usize) -> Range {
        Range::new(
            self.position(offset),
            self.position(offset.saturating_add(len)),
        )
    }

    /// The byte offset of a position: a line past the end is the end of the text, a
    /// column past the line's end is the line's end, and a column inside a character
    /// (half a surrogate pair) is that character's start.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let mut units = 0u32;
        for (i, c) in self.text[start..end].char_indices() {
            let next = units.saturating_add(c.len_utf16() as u32);
            if next > position.character {
                return start + i;
            }
            units = next;
        }
        end
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Applies an incremental change to `text`; a change without a range replaces it all.
pub fn apply_change(text: &mut String, range: Option<Range>, new: &str) {
    match range {
        None => *text = new.to_owned(),
        Some(r) => {
            let index = LineIndex::new(text);
            let start = index.offset(r.start);
            let end = index.offset(r.end).max(start);
            text.replace_range(start..end, new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is one unit and two bytes, `𝄞` two units and four bytes.
        let text = "a é𝄞 b\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), Position::new(0, 0));
        assert_eq!(index.position(2), Position::new(0, 2));
        assert_eq!(index.position(4), Position::new(0, 3));
        assert_eq!(index.position(8), Position::new(0, 5));
        assert_eq!(index.position(11), Position::new(1, 0));
        assert_eq!(index.offset(Position::new(0, 5)), 8);
        assert_eq!(index.offset(Position::new(1, 1)), 12);
    }

    #[test]
    fn hostile_positions_are_clamped() {
        let text = "a𝄞\nb";
        let index = LineIndex::new(text);
        // Inside the surrogate pair: the character's start.
        assert_eq!(index.offset(Position::new(0, 2)), 1);
        assert_eq!(index.offset(Position::new(0, 999)), 5);
        assert_eq!(index.offset(Position::new(99, 0)), text.len());
        assert_eq!(index.offset(Position::new(u32::MAX, u32::MAX)), text.len());
        // Inside a character's bytes, and past the end.
        assert_eq!(index.position(3), Position::new(0, 1));
        assert_eq!(index.position(usize::MAX), Position::new(1, 1));
    }

    #[test]
    fn changes_apply_at_their_range_and_reversed_ranges_insert() {
        let mut text = "environment a {\n}\n".to_owned();
        apply_change(
            &mut text,
            Some(Range::new(Position::new(0, 12), Position::new(0, 13))),
            "orders",
        );
        assert_eq!(text, "environment orders {\n}\n");
        apply_change(
            &mut text,
            Some(Range::new(Position::new(1, 1), Position::new(0, 0))),
            "!",
        );
        assert_eq!(text, "environment orders {\n}!\n");
        apply_change(&mut text, None, "x");
        assert_eq!(text, "x");
    }
}
