//! Redis high availability: nothing accepted is lost or paged twice when Redis's primary dies.
//!
//! Each test runs the real `versus-api` and two `versus-worker`s against a highly available Redis on
//! 127.0.0.1 — a primary, a replica and three Sentinels (`sentinel.rs`), or a Redis Cluster of three
//! primaries and three replicas (`cluster.rs`) — sends a stream of on-call alerts retried on `5xx` as
//! Alertmanager does, and SIGKILLs the primary that holds Versus's keys mid-stream. Every alert answered
//! `201` must be posted to Slack and paged exactly once. The killed node then comes back as a replica:
//! nothing may be written to it and no worker may read from it. Each test prints one summary line:
//!
//! `redis_ha sentinel: accepted=N lost=0 duplicate_pages=0 duplicate_slack_posts=N seconds_without_ingest=S worst_escalation_lateness_s=S`
//!
//! Run: `cargo build --workspace --bins && cargo test -p versus-tests --test redis_ha -- --nocapture`.

mod cluster;
mod drill;
mod hung_node;
mod sentinel;
