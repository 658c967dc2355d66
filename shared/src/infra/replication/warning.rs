//! The warning line of writes short of their replicas, at most one per [`WARN_EVERY`].
//!
//! While replicas are away every write falls short, and a line per write would flood the log exactly when
//! an operator reads it (and cost the API a good share of its time in an alert storm). The metric counts
//! each write; the log says that it is happening and how many writes the previous line stood for.

use super::ReplicatedWrite;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(super) const WARN_EVERY: Duration = Duration::from_secs(10);

pub(super) struct ShortfallWarning {
    since: Instant,
    /// Milliseconds after `since` from which the next line may be written.
    next_ms: AtomicU64,
    /// Shortfalls not written since the last line.
    unwritten: AtomicU64,
}

impl Default for ShortfallWarning {
    fn default() -> Self {
        Self {
            since: Instant::now(),
            next_ms: AtomicU64::new(0),
            unwritten: AtomicU64::new(0),
        }
    }
}

impl ShortfallWarning {
    /// Writes the line unless one was written within [`WARN_EVERY`]; true when it did.
    pub(super) fn note(
        &self,
        write: ReplicatedWrite,
        acked: u32,
        goal: u32,
        refused: bool,
    ) -> bool {
        let now = self.since.elapsed().as_millis() as u64;
        let next = self.next_ms.load(Ordering::Relaxed);
        let due = now >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now + WARN_EVERY.as_millis() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if !due {
            self.unwritten.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let also = self.unwritten.swap(0, Ordering::Relaxed);
        tracing::warn!(
            operation = write.label(),
            acked,
            goal,
            refused,
            also_short_since_last_line = also,
            "write reached fewer replicas than redis.min_replicas_acked: a failover now could lose it \
             (each is counted in versus_redis_unreplicated_writes_total)"
        );
        true
    }
}
