//! Versus's durable job queue: apalis workers over a Redis backend of our own.
//!
//! # Why our own backend
//!
//! apalis stays the job framework: workers, layers (concurrency, timeout, catch-panic, tracing) and the
//! monitor with graceful shutdown. The Redis side is ours, implementing apalis-core's [`Backend`] and
//! [`BackendConfig`] traits in [`RedisBackend`], because apalis-redis 1.0.0 fails a paging system in ways
//! that configuration or a thin wrapper cannot fix: its fetch script is the one that wedges past ~8,000 due
//! jobs, its polling is tied to the 30 s heartbeat, attempts are hard-coded, its worker registration
//! blocks a restarted worker, and finished jobs are never expired. Fixing those means replacing its Lua
//! scripts and its polling loop, which is most of it. Our scripts are small, each one atomic:
//!
//! | guarantee | how |
//! | --- | --- |
//! | idle pickup and delayed jobs within 1 s | a producer whose job is due before every waiting one `LPUSH`es a wake token; a companion task `BLPOP`s it for the idle fetcher, which sleeps no longer than the earliest due time on a Tokio timer (a BLPOP timeout is only as precise as Redis's 100 ms event-loop tick); due times are Redis server milliseconds |
//! | survives a Redis restart or failover | every call goes through `RedisConnection`, which reconnects and follows a new primary (Sentinel, Cluster); the fetcher retries with backoff; scripts fall back from EVALSHA to EVAL; state is in AOF-persisted keys |
//! | a worker that cannot work exits non-zero | the fetcher gives up after `worker.redis_down_exit_seconds`, apalis reports a backend error, the binary exits 1 |
//! | idempotency | `push` takes `SET NX PX` on `idem:{key}` in the same script and reports [`PushOutcome::Duplicate`] |
//! | 20,000 jobs due at once | `fetch` leases at most as many jobs as the worker has room for (`LIMIT`), never unpacking large replies |
//! | attempts and backoff per job kind, dead letters | a `queue.{kind}` policy per job kind (`JobKind`); [`JobError::Permanent`] dead-letters at once; `list_dead` / `requeue_dead` for operators |
//! | a killed worker's jobs run again within 30 s | each fetch leases its jobs until `now + queue.lease_seconds` (15 s), renewed while they run; every worker reaps expired leases each second; no worker registry, so a restarted worker starts at once |
//! | bounded memory | a finished job's hash gets `PEXPIRE queue.finished_ttl_seconds` |
//! | no double runs among live workers | a job is in exactly one of `due`/`inflight`/`dead`, moved by atomic scripts; settling checks the per-fetch lease token |
//!
//! Keys (all under `redis.key_prefix`): `queue:{name}:due` (zset by due ms), `queue:{name}:inflight` (zset by
//! lease deadline), `queue:{name}:dead` (zset), `queue:{name}:wake` (list), `queue:{name}:job:{id}` (hash),
//! `queue:{name}:idem:{key}` (string). In Redis Cluster mode the prefix carries Versus's hash tag, so every
//! queue key, and every key a script derives, is in one slot; each script declares one of them in `KEYS[1]`.
//!
//! [`Backend`]: apalis_core::backend::Backend
//! [`BackendConfig`]: apalis_core::backend::BackendConfig

mod backend;
mod fetcher;
mod inspection;
mod job;
mod keys;
mod lease;
mod maintenance;
mod runtime;
pub mod scripts;
mod settle;
mod store;

pub use backend::{BackendError, RedisBackend};
pub use inspection::{DeadJob, QueueStats};
pub use job::{BoxError, InContext, Job, JobError, JobMeta};
pub use keys::QueueKeys;
pub use lease::LeaseRegistry;
pub use maintenance::{recovery_bound, run as run_maintenance};
pub use runtime::{FatalSignal, QueueRuntime};
pub use settle::{decide, Outcome, SettleLayer};
pub use store::{
    new_job_id, FetchBatch, JobStore, LeasedJob, PushOptions, PushOutcome, QueueError,
};
