//! A small pool of dedicated connections for writes that wait for replicas.
//!
//! `WAIT` blocks the connection it is sent on until the replicas answer, so it must never share the
//! multiplexed connection every other command (and readiness) uses. Each write leases a connection of its own
//! and hands it back only when the write ended cleanly; a connection that failed or was abandoned mid-write is
//! dropped, and the next lease connects afresh (through `redis_conn::dedicated`, which decides which node is
//! the primary).

use crate::infra::config::RedisSettings;
use crate::infra::redis_conn::RedisConnection;
use redis::RedisResult;
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Writes waiting for replicas at once per process. A healthy replica acks within a round trip, so this only
/// bounds how many requests a slow replica holds; more connections would not make it faster.
pub(super) const POOL_SIZE: usize = 32;

pub(super) struct DedicatedPool {
    settings: RedisSettings,
    idle: Mutex<Vec<RedisConnection>>,
    permits: Semaphore,
}

/// One leased connection. Dropping it without [`Lease::release`] closes the connection.
pub(super) struct Lease<'a> {
    conn: Option<RedisConnection>,
    /// True when the connection was used before: it may have been closed by Redis since (a restart, a failover).
    pub(super) reused: bool,
    pool: &'a DedicatedPool,
    _permit: SemaphorePermit<'a>,
}

impl DedicatedPool {
    pub(super) fn new(settings: &RedisSettings) -> Self {
        Self {
            settings: settings.clone(),
            idle: Mutex::new(Vec::with_capacity(POOL_SIZE)),
            permits: Semaphore::new(POOL_SIZE),
        }
    }

    /// A connection: an idle one if there is one (unless `fresh`), else a new one.
    pub(super) async fn lease(&self, fresh: bool) -> RedisResult<Lease<'_>> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the pool's semaphore is never closed");
        let idle = if fresh { None } else { self.take_idle() };
        let reused = idle.is_some();
        let conn = match idle {
            Some(conn) => conn,
            None => RedisConnection::dedicated(&self.settings, None).await?,
        };
        Ok(Lease {
            conn: Some(conn),
            reused,
            pool: self,
            _permit: permit,
        })
    }

    fn take_idle(&self) -> Option<RedisConnection> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }
}

impl Lease<'_> {
    pub(super) fn conn(&mut self) -> &mut RedisConnection {
        self.conn
            .as_mut()
            .expect("a lease holds its connection until released")
    }

    /// Hands the connection back for the next write.
    pub(super) fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(conn);
        }
    }
}
