//! The library `versus-api` and `versus-worker` share: configuration, domain types, job definitions, the
//! Redis queue and incident state, and message templates.

pub mod ack_token;
pub mod alert;
pub mod check;
pub mod cli;
pub mod config;
pub mod health;
pub mod incident;
pub mod jobs;
pub mod metrics;
pub mod probes;
pub mod queue;
pub mod redis_conn;
pub mod secret;
pub mod telemetry;
pub mod template;
