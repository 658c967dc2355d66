//! Running the CPU-heavy part of a large request (parsing, hashing, compressing) on the blocking pool,
//! so that it does not stall the async workers that answer every other request, with at most one such
//! job per core at a time: each one holds a parsed body and a compression context.

use std::sync::Arc;
use tokio::sync::Semaphore;

/// Bodies at least this large are parsed off the async workers; smaller ones cost less than the hand-off.
pub const OFF_THREAD_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug)]
pub struct Offload {
    slots: Arc<Semaphore>,
}

impl Default for Offload {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            slots: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl Offload {
    /// Runs `work` on the blocking pool when the body is large, inline otherwise. A panic in `work`
    /// propagates as it would inline.
    pub async fn run<T, F>(&self, body_bytes: usize, work: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if body_bytes < OFF_THREAD_BYTES {
            return work();
        }
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the offload semaphore is never closed");
        match tokio::task::spawn_blocking(work).await {
            Ok(done) => done,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
}
