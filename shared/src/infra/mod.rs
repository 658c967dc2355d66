//! What the domain runs on: configuration, Redis connections and health, replicated writes, the job queue,
//! logs and metrics.

pub mod ack_secret;
pub mod backoff;
pub mod config;
pub mod health;
pub mod metrics;
pub mod queue;
pub mod redis_conn;
pub mod replication;
pub mod schema;
pub mod secret;
pub mod telemetry;
