//! After a `429`, every Slack call of this process waits until Slack's `Retry-After` has passed, instead
//! of each job finding out for itself.

use super::client::SlackError;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Longest a call waits in-process for the gate; beyond it, the job is rescheduled through the queue.
const MAX_IN_PROCESS_WAIT: Duration = Duration::from_secs(5);

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
        let until = now + wait;
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
