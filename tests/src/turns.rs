//! Turns for the tests of one program that must not share the machine with a heavy neighbour.
//!
//! The integration tests run in one program, on as many threads as the machine has cores. Most start a
//! few processes and wait on them, and run well side by side. A few push thousands of jobs or race
//! hundreds of incidents against their due times ([`heavy_turn`]); others measure timing with tight
//! bounds (pickup latency, due-time precision, backoff gaps: [`timing_turn`]). On a small machine a heavy
//! test would skew the figures of any of those running beside it, so a heavy test runs only when no other
//! heavy or timing test does; timing tests run beside each other and beside the light ones.

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static MACHINE: RwLock<()> = RwLock::const_new(());

/// For a test that loads the machine: waits until no other heavy or timing test runs; the turn lasts
/// until the guard is dropped.
pub async fn heavy_turn() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().await
}

/// For a test that measures timing: waits while a heavy test runs; the turn lasts until the guard is
/// dropped.
pub async fn timing_turn() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().await
}
