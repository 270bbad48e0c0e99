/// The candidate closest to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("cpuu", ["cpu", "memory"]), Some("cpu"));
        assert_eq!(
            did_you_mean("api-servce", ["api-service", "api-database"]),
            Some("api-service")
        );
        assert_eq!(did_you_mean("zzz", ["cpu", "memory"]), None);
    }
}
