//! "Did you mean …?": the known name a misspelt one was most likely meant to be.

/// The known name closest to `name` by edit distance, if it is close enough to be a likely typo (at most two
/// edits, and fewer edits than the known name has characters).
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::levenshtein(name, k), k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_only_near_misses() {
        let known = ["oncall_enable", "oncall_wait_minutes", "dedup_key"];
        assert_eq!(closest("oncall_enabled", known), Some("oncall_enable"));
        assert_eq!(closest("dedupkey", known), Some("dedup_key"));
        assert_eq!(closest("telegram_chat_id", known), None);
        assert_eq!(
            closest("ab", ["a"]),
            None,
            "not a whole rewrite of a short name"
        );
    }
}
