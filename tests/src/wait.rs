//! Polling with a deadline, usable from any tokio-based runtime (tokio tests and actix tests alike).

use std::time::{Duration, Instant};

/// Polls `cond` every 10 ms until it holds (true) or `timeout` passes (false).
pub async fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
