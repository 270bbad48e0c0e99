//! Reading files that may be hostile: never more than a limit into memory.

use std::io::Read;
use std::path::Path;

/// Reads `path`, at most `limit + 1` bytes: a result longer than `limit` means the file
/// is too large, and nothing past that was read (a huge file, or an endless one like
/// `/dev/zero`, never fills memory). Every reader of specs, configuration, catalogs,
/// components and test cases goes through it.
pub fn read_prefix(path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let bound = limit as u64 + 1;
    // Sized from the file's length, so reading does not grow (and copy) the buffer step
    // by step; the bound still holds if the file grows meanwhile.
    let expected = file.metadata().map_or(0, |m| m.len().min(bound));
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(bound).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_read_only_past_the_limit() {
        let bytes = read_prefix(Path::new("/dev/zero"), 1000).expect("readable");
        assert_eq!(bytes.len(), 1001);
    }

    #[test]
    fn a_small_file_is_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").expect("write");
        assert_eq!(read_prefix(&path, 3).expect("read"), b"abc");
        assert_eq!(read_prefix(&path, 2).expect("read"), b"abc");
    }
}
