//! Versus's job queue, each test against a redis-server of its own, with real apalis workers over
//! `RedisBackend` running in this process (and the real binaries where a process must die): pickup and
//! due-time precision, idempotency, attempt limits, backoff and dead letters (`guarantees`); load and
//! bounded memory (`load`); Redis restarts and killed workers (`recovery`). Run with `--nocapture` to see
//! the measured figures.

mod guarantees;
mod load;
mod recovery;
