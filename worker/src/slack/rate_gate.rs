//! After a `429`, every Slack call of this process waits until Slack's `Retry-After` has passed, instead
//! of each job finding out for itself. The gate is worker-wide, so Slack's `Retry-After` is bounded
//! ([`MAX_RETRY_AFTER`]): one bad header must not silence Slack for long, nor overflow a clock.

use super::client::SlackError;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Longest a call waits in-process for the gate; beyond it, the job is rescheduled through the queue.
const MAX_IN_PROCESS_WAIT: Duration = Duration::from_secs(5);

/// The longest `Retry-After` from Slack that is honoured; longer ones are cut to it and counted in
/// `versus_slack_retry_after_clamped_total`.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// The wait Slack's `Retry-After` header asks for, in seconds, at most [`MAX_RETRY_AFTER`]. A number too large
/// for any clock is the maximum too; a missing or unreadable header waits 1 s.
pub fn retry_after_from_header(header: Option<&str>) -> Duration {
    let Some(text) = header.map(str::trim).filter(|t| !t.is_empty()) else {
        return Duration::from_secs(1);
    };
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Duration::from_secs(1);
    }
    let seconds = text.parse::<u64>().unwrap_or(u64::MAX);
    if seconds > MAX_RETRY_AFTER.as_secs() {
        metrics::counter!("versus_slack_retry_after_clamped_total").increment(1);
        tracing::warn!(
            retry_after = text,
            honoured_seconds = MAX_RETRY_AFTER.as_secs(),
            "Slack asked to wait longer than Versus waits; waiting the maximum instead"
        );
        return MAX_RETRY_AFTER;
    }
    Duration::from_secs(seconds)
}

#[derive(Clone, Default)]
pub struct RateGate {
    state: Arc<Mutex<GateState>>,
}

#[derive(Default)]
struct GateState {
    open_at: Option<Instant>,
    /// Closed time not yet counted in `versus_slack_rate_limit_wait_seconds_total` (less than a second).
    uncounted: Duration,
}

impl RateGate {
    /// Closes the gate for `wait` from now. The time this adds to the closure (overlapping 429s count once)
    /// goes to `versus_slack_rate_limit_wait_seconds_total`, in whole seconds: Prometheus counters are
    /// integers here, and the remainder is carried to the next closure.
    pub fn close_for(&self, wait: Duration) {
        let now = Instant::now();
        let wait = wait.min(MAX_RETRY_AFTER);
        let Some(until) = now.checked_add(wait) else {
            return;
        };
        let mut state = self.state.lock().expect("gate lock");
        let closed_until = state.open_at.filter(|at| *at > now).unwrap_or(now);
        if until > closed_until {
            state.open_at = Some(until);
            let uncounted = state.uncounted + (until - closed_until);
            let whole = uncounted.as_secs();
            state.uncounted = uncounted - Duration::from_secs(whole);
            if whole > 0 {
                metrics::counter!("versus_slack_rate_limit_wait_seconds_total").increment(whole);
            }
        }
    }

    pub async fn wait(&self, method: &'static str) -> Result<(), SlackError> {
        let open_at = self.state.lock().expect("gate lock").open_at;
        let Some(open_at) = open_at else {
            return Ok(());
        };
        let now = Instant::now();
        if open_at <= now {
            return Ok(());
        }
        let wait = open_at - now;
        if wait > MAX_IN_PROCESS_WAIT {
            return Err(SlackError::RateLimited {
                method,
                retry_after: wait,
            });
        }
        tokio::time::sleep_until(open_at).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uncounted(gate: &RateGate) -> Duration {
        gate.state.lock().unwrap().uncounted
    }

    #[test]
    fn retry_after_is_bounded_and_never_overflows() {
        for (header, want) in [
            (None, 1),
            (Some(""), 1),
            (Some("abc"), 1),
            (Some("-5"), 1),
            (Some("1.5"), 1),
            (Some("0"), 0),
            (Some(" 30 "), 30),
            (Some("300"), 300),
            (Some("301"), 300),
            (Some("18446744073709551615"), 300),
            (Some("99999999999999999999999999999"), 300),
        ] {
            assert_eq!(
                retry_after_from_header(header),
                Duration::from_secs(want),
                "{header:?}"
            );
        }
        let gate = RateGate::default();
        gate.close_for(Duration::MAX);
        let open_at = gate.state.lock().unwrap().open_at.unwrap();
        assert!(open_at <= Instant::now() + MAX_RETRY_AFTER);
    }

    #[test]
    fn overlapping_closures_count_once_and_fractions_carry() {
        let gate = RateGate::default();
        gate.close_for(Duration::from_millis(1500));
        // One whole second counted, half a second carried.
        assert_eq!(uncounted(&gate), Duration::from_millis(500));
        let open_at = gate.state.lock().unwrap().open_at;
        // A shorter 429 inside the closure adds nothing.
        gate.close_for(Duration::from_secs(1));
        assert_eq!(gate.state.lock().unwrap().open_at, open_at);
        assert_eq!(uncounted(&gate), Duration::from_millis(500));
        // A longer one adds only what lies beyond the current closure: about 1.5 s, so with the carried
        // half second, two whole seconds are counted and almost nothing is left over.
        gate.close_for(Duration::from_secs(3));
        assert!(
            uncounted(&gate) < Duration::from_millis(100),
            "{:?}",
            uncounted(&gate)
        );
    }
}
