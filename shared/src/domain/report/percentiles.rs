//! Percentiles of the report: nearest rank, so each is a time some incident really took.

/// The `p`-th percentile (0 < p <= 100) of `values` by nearest rank: the smallest value with at least p % of
/// the values at or below it. `None` for no values. Sorts `values`.
pub fn nearest_rank(values: &mut [i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_a_real_value() {
        assert_eq!(nearest_rank(&mut [], 50.0), None);
        assert_eq!(nearest_rank(&mut [7], 90.0), Some(7));
        assert_eq!(nearest_rank(&mut [4, 1, 3, 2], 50.0), Some(2));
        assert_eq!(nearest_rank(&mut [4, 1, 3, 2], 90.0), Some(4));
        let mut ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(nearest_rank(&mut ten, 90.0), Some(9));
        assert_eq!(nearest_rank(&mut ten, 50.0), Some(5));
    }
}
