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
    open_at: Arc<Mutex<Option<Instant>>>,
}

impl RateGate {
    pub fn close_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut open_at = self.open_at.lock().expect("gate lock");
        if open_at.is_none_or(|at| at < until) {
            *open_at = Some(until);
        }
    }

    pub async fn wait(&self, method: &'static str) -> Result<(), SlackError> {
        let open_at = *self.open_at.lock().expect("gate lock");
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
        // A float total: waits are mostly sub-second, which an integer counter would lose.
        metrics::gauge!("versus_slack_rate_limit_wait_seconds_total").increment(wait.as_secs_f64());
        tokio::time::sleep_until(open_at).await;
        Ok(())
    }
}
