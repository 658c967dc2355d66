//! Doubling pauses between tries, and retrying an operation until a wall-clock budget runs out.
//!
//! The budget is time since the first try, not the sum of the pauses (as in the backoff crates): the point of
//! the budgets here is a deadline, such as a job's lease running out, and every try itself can take up to a
//! Redis timeout.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// Pauses that start at `initial` and double up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial.min(max),
        }
    }

    /// The pause before try `attempt + 1` when tries count from 1: `initial`, then doubled each time, at
    /// most `max`.
    pub fn delay_for_attempt(initial: Duration, max: Duration, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        initial.saturating_mul(1 << doublings).min(max)
    }

    /// The pause to take now; the next one is twice as long (up to `max`).
    pub fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        pause
    }

    /// Sleeps for [`next_pause`](Self::next_pause).
    pub async fn pause(&mut self) {
        tokio::time::sleep(self.next_pause()).await;
    }

    /// Back to `initial`, after a success.
    pub fn reset(&mut self) {
        self.next = self.initial.min(self.max);
    }
}

/// Runs `operation` until it succeeds or `budget` has passed since the first try, pausing as `backoff` says
/// between tries. `on_retry` hears of each failure that will be tried again, with the pause before it. The
/// last failure is returned when the budget runs out.
pub async fn retry_within<T, E, Op, Fut>(
    budget: Duration,
    mut backoff: Backoff,
    mut operation: Op,
    mut on_retry: impl FnMut(&E, Duration),
) -> Result<T, E>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    loop {
        match operation().await {
            Ok(value) => return Ok(value),
            Err(error) if started.elapsed() < budget => {
                let pause = backoff.next_pause();
                on_retry(&error, pause);
                tokio::time::sleep(pause).await;
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pauses_double_up_to_the_cap_and_reset() {
        let mut backoff = Backoff::new(100 * MS, 350 * MS);
        let pauses: Vec<_> = (0..4).map(|_| backoff.next_pause()).collect();
        assert_eq!(pauses, [100 * MS, 200 * MS, 350 * MS, 350 * MS]);
        backoff.reset();
        assert_eq!(backoff.next_pause(), 100 * MS);
    }

    #[test]
    fn the_delay_of_an_attempt_doubles_from_the_first_and_never_overflows() {
        let delay = |attempt| Backoff::delay_for_attempt(500 * MS, 30_000 * MS, attempt);
        assert_eq!(delay(1), 500 * MS);
        assert_eq!(delay(2), 1000 * MS);
        assert_eq!(delay(4), 4000 * MS);
        assert_eq!(delay(7), 30_000 * MS);
        assert_eq!(delay(u32::MAX), 30_000 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_success() {
        let mut tries = 0;
        let mut heard = Vec::new();
        let result: Result<u32, &str> = retry_within(
            Duration::from_secs(10),
            Backoff::new(50 * MS, Duration::from_secs(1)),
            || {
                tries += 1;
                let outcome = if tries < 3 { Err("down") } else { Ok(tries) };
                async move { outcome }
            },
            |_, pause| heard.push(pause),
        )
        .await;
        assert_eq!(result, Ok(3));
        assert_eq!(heard, [50 * MS, 100 * MS]);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_with_the_last_error_once_the_budget_has_passed() {
        let started = Instant::now();
        let mut tries = 0;
        let result: Result<(), u32> = retry_within(
            Duration::from_millis(300),
            Backoff::new(100 * MS, 100 * MS),
            || {
                tries += 1;
                let failure = tries;
                async move { Err(failure) }
            },
            |_, _| {},
        )
        .await;
        assert_eq!(result, Err(4));
        assert_eq!(started.elapsed(), 300 * MS);
    }
}
