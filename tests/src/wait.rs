//! Waiting for something the processes under test do on their own time, usable from any tokio-based
//! runtime (tokio tests and actix tests alike).
//!
//! [`wait_until`] polls a condition and fails the test when it is not met in time, saying what was awaited;
//! [`poll_until`] is the same wait for callers that decide themselves what a timeout means.
//!
//! A condition is an async closure. In a task given to `tokio::spawn`, let it own what it uses
//! (`async move ||` over clones): the compiler cannot prove a borrowing one's future `Send`.

use std::fmt::Display;
use std::time::{Duration, Instant};

/// The pause after the first check; it doubles after each check up to [`LONGEST_PAUSE`], so a quick
/// change is seen at once and a long wait does not load the machine that must make it happen.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// What a condition answers on each check.
///
/// - `bool`: met or not.
/// - `Option<T>`: met with `Some(value)`, which the wait gives back.
/// - `Result<T, E>`: met with `Ok(value)`; an `Err` describes the state seen instead, and the last one is
///   part of the timeout message.
pub trait Condition {
    /// What the wait gives back once the condition is met.
    type Value;

    /// The value when met, else what was seen instead (if the condition says).
    fn check(self) -> Result<Self::Value, Option<String>>;
}

impl Condition for bool {
    type Value = ();

    fn check(self) -> Result<(), Option<String>> {
        if self {
            Ok(())
        } else {
            Err(None)
        }
    }
}

impl<T> Condition for Option<T> {
    type Value = T;

    fn check(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T, E: Display> Condition for Result<T, E> {
    type Value = T;

    fn check(self) -> Result<T, Option<String>> {
        self.map_err(|seen| Some(seen.to_string()))
    }
}

/// What a wait was for, as its timeout message says: a text, or a closure that describes it only if the
/// wait times out (so it can show the state at that moment without formatting it on every check).
pub trait Awaited {
    fn describe(self) -> String;
}

impl Awaited for &str {
    fn describe(self) -> String {
        self.to_string()
    }
}

impl Awaited for String {
    fn describe(self) -> String {
        self
    }
}

impl<F: FnOnce() -> String> Awaited for F {
    fn describe(self) -> String {
        self()
    }
}

/// Checks `condition` until it is met and returns what it gave; panics once `timeout` has passed, naming
/// what was `awaited` and the last state the condition reported.
pub async fn wait_until<C: Condition>(
    timeout: Duration,
    awaited: impl Awaited,
    condition: impl AsyncFnMut() -> C,
) -> C::Value {
    match poll(timeout, condition).await {
        Ok(value) => value,
        Err(None) => panic!("waited {timeout:?} in vain for {}", awaited.describe()),
        Err(Some(seen)) => panic!(
            "waited {timeout:?} in vain for {} (last seen: {seen})",
            awaited.describe()
        ),
    }
}

/// [`wait_until`] without the panic: `None` once `timeout` has passed. For waits whose timeout the caller
/// reports in its own words, or expects.
pub async fn poll_until<C: Condition>(
    timeout: Duration,
    condition: impl AsyncFnMut() -> C,
) -> Option<C::Value> {
    poll(timeout, condition).await.ok()
}

async fn poll<C: Condition>(
    timeout: Duration,
    mut condition: impl AsyncFnMut() -> C,
) -> Result<C::Value, Option<String>> {
    let deadline = Instant::now() + timeout;
    let mut pause = FIRST_PAUSE;
    loop {
        let seen = match condition().await.check() {
            Ok(value) => return Ok(value),
            Err(seen) => seen,
        };
        if Instant::now() >= deadline {
            return Err(seen);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}
