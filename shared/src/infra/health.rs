//! Whether this process can currently reach Redis: feeds `/readyz`, the `versus_redis_up` gauge, and the
//! worker's decision to exit when Redis has been gone too long.

use crate::infra::redis_conn::{ping, RedisConnection};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RedisHealth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    up: AtomicBool,
    down_since: Mutex<Option<Instant>>,
}

impl Default for RedisHealth {
    fn default() -> Self {
        Self::new()
    }
}

impl RedisHealth {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                up: AtomicBool::new(false),
                down_since: Mutex::new(Some(Instant::now())),
            }),
        }
    }

    // The gauge is set on every call, not only on a change: a process that never reached Redis must
    // still report 0, and a call made before the metrics recorder was installed would otherwise be lost.
    pub fn mark_ok(&self) {
        self.inner.up.store(true, Ordering::Relaxed);
        metrics::gauge!("versus_redis_up").set(1.0);
        *self.inner.down_since.lock().expect("health lock") = None;
    }

    pub fn mark_down(&self) {
        self.inner.up.store(false, Ordering::Relaxed);
        metrics::gauge!("versus_redis_up").set(0.0);
        self.inner
            .down_since
            .lock()
            .expect("health lock")
            .get_or_insert_with(Instant::now);
    }

    pub fn is_up(&self) -> bool {
        self.inner.up.load(Ordering::Relaxed)
    }

    /// How long Redis has been unreachable, if it is.
    pub fn down_for(&self) -> Option<Duration> {
        self.inner
            .down_since
            .lock()
            .expect("health lock")
            .map(|since| since.elapsed())
    }

    /// Pings Redis (bounded by `within`) and records the answer: `/readyz` and the metrics scrape.
    pub async fn probe(&self, conn: &RedisConnection, within: Duration) -> bool {
        let up = ping(&mut conn.clone(), within).await;
        if up {
            self.mark_ok();
        } else {
            self.mark_down();
        }
        up
    }
}
