//! The API-wide budget of webhook body bytes in flight (`alert.body_budget_bytes`).
//!
//! `alert.body_limit_bytes` bounds one request; this bounds all of them together, so that many large
//! requests at once cannot take the API past its memory limit. A request reserves its body's bytes
//! before reading them and holds them until it has answered: parsing and storing a body costs a
//! multiple of its size, so that multiple is what the default leaves room for (docs/performance.md).
//! A request that finds the budget spent is not queued: it answers `503` with `Retry-After` at once,
//! which costs the sender a retry and the API nothing.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Shared by every request of one API process.
#[derive(Clone, Debug)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
}

/// Bytes reserved by one request; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
}

/// Gauge of the bytes reserved by requests in flight.
const IN_FLIGHT_GAUGE: &str = "versus_ingest_body_bytes_in_flight";

impl BodyBudget {
    /// `bytes` is capped at what a semaphore can hold; the configuration check keeps it far below.
    pub fn new(bytes: usize) -> Self {
        Self {
            bytes: Arc::new(Semaphore::new(bytes.min(Semaphore::MAX_PERMITS))),
        }
    }

    pub fn reservation(&self) -> Reservation {
        Reservation { permit: None }
    }

    /// Adds `bytes` to `reservation`, or answers false (and reserves nothing more) when the budget
    /// has not that much left.
    pub fn reserve(&self, reservation: &mut Reservation, bytes: usize) -> bool {
        if bytes == 0 {
            return true;
        }
        let Ok(count) = u32::try_from(bytes) else {
            return false;
        };
        let Ok(permit) = self.bytes.clone().try_acquire_many_owned(count) else {
            return false;
        };
        metrics::gauge!(IN_FLIGHT_GAUGE).increment(bytes as f64);
        match &mut reservation.permit {
            Some(held) => held.merge(permit),
            empty => *empty = Some(permit),
        }
        true
    }
}

impl Reservation {
    pub fn bytes(&self) -> usize {
        self.permit
            .as_ref()
            .map_or(0, OwnedSemaphorePermit::num_permits)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let bytes = self.bytes();
        if bytes > 0 {
            metrics::gauge!(IN_FLIGHT_GAUGE).decrement(bytes as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_add_up_and_are_given_back_when_dropped() {
        let budget = BodyBudget::new(100);
        let mut first = budget.reservation();
        assert!(budget.reserve(&mut first, 60));
        assert!(budget.reserve(&mut first, 20));
        assert_eq!(first.bytes(), 80);
        let mut second = budget.reservation();
        assert!(!budget.reserve(&mut second, 21), "only 20 bytes are left");
        assert_eq!(second.bytes(), 0);
        assert!(budget.reserve(&mut second, 20));
        drop(first);
        let mut third = budget.reservation();
        assert!(budget.reserve(&mut third, 80));
        assert!(!budget.reserve(&mut third, 1));
    }

    #[test]
    fn more_than_the_budget_is_refused_not_truncated() {
        let budget = BodyBudget::new(10);
        let mut reservation = budget.reservation();
        assert!(!budget.reserve(&mut reservation, 11));
        assert!(!budget.reserve(&mut reservation, usize::MAX));
        assert!(budget.reserve(&mut reservation, 10));
    }
}
