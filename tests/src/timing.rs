//! Time as the tests compare it: Unix milliseconds (what Versus stores in Redis, on the same host clock),
//! and summaries of measured durations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Unix milliseconds of `t`.
pub fn ms_of(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    ms_of(SystemTime::now())
}

/// Sleeps until `ms` (Unix milliseconds) has passed.
pub async fn sleep_until_ms(ms: i64) {
    let left = ms - now_ms();
    if left > 0 {
        tokio::time::sleep(Duration::from_millis(left as u64)).await;
    }
}

/// `d` in milliseconds, with fractions.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50, p99 and max of `values` (sorted copy), in the same unit.
pub fn percentiles(values: &[f64]) -> (f64, f64, f64) {
    assert!(!values.is_empty(), "no values to summarise");
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let at = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), *sorted.last().expect("non-empty"))
}
