//! Programmable failures for the fakes: "fail the next n calls" and "fail everything until cleared".
//!
//! Versus must survive Slack rate limits, Slack and AWS outages and slow answers; tests arrange those
//! with a [`FailurePlan`] and then check what the real binaries did.

use std::collections::VecDeque;

/// Failures queued for the next calls, then an optional standing mode.
#[derive(Debug, Clone)]
pub(crate) struct FailurePlan<F> {
    queued: VecDeque<F>,
    mode: Option<F>,
}

impl<F> Default for FailurePlan<F> {
    fn default() -> Self {
        Self {
            queued: VecDeque::new(),
            mode: None,
        }
    }
}

impl<F: Clone> FailurePlan<F> {
    /// Queues `failure` for the next `n` calls (after any already queued).
    pub(crate) fn fail_next(&mut self, n: usize, failure: F) {
        self.queued.extend(std::iter::repeat_n(failure, n));
    }

    /// Fails every call (once the queue is used up) until [`clear_mode`](Self::clear_mode).
    pub(crate) fn set_mode(&mut self, failure: F) {
        self.mode = Some(failure);
    }

    pub(crate) fn clear_mode(&mut self) {
        self.mode = None;
    }

    /// Forgets queued failures and the mode.
    pub(crate) fn reset(&mut self) {
        self.queued.clear();
        self.mode = None;
    }

    /// The failure for the call being answered now, if any; consumes one queued failure.
    pub(crate) fn take(&mut self) -> Option<F> {
        self.queued.pop_front().or_else(|| self.mode.clone())
    }
}
