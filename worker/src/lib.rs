//! versus-worker: apalis workers that post Slack messages and page on-call through AWS Incident Manager,
//! unless the incident was acknowledged or resolved first.
//!
//! # Layout
//!
//! - [`app`]: wiring: one apalis worker per job kind from a table of `payload => handler`, the queue's
//!   maintenance, graceful shutdown; [`deps`]: what every handler shares; [`http`]: health and metrics.
//! - [`handlers`]: one per job kind; each reads the incident first, so a retried or late job acts on what
//!   is true now.
//! - [`slack`]: the Web API client (rate limits, error classes), Block Kit messages and every text Versus
//!   writes to Slack itself.
//! - [`aws`]: StartIncident and UpdateIncidentRecord through the AWS SDK, with AWS's errors sorted into
//!   retry and give up.
//! - [`heartbeats`]: start-up and periodic arming of the configured heartbeats (their checks are `handlers::heartbeat_check`).
//! - [`digest`]: start-up and periodic arming of the on-call digest's schedule (its runs are `handlers::digest`).
//! - [`dead_letters`]: `versus-worker dead-letters list|requeue`.
//! - [`report_command`]: `versus-worker report --days N [--json]`.

pub mod app;
pub mod aws;
pub mod dead_letters;
pub mod deps;
pub mod digest;
pub mod handlers;
pub mod heartbeats;
pub mod http;
pub mod report_command;
pub mod slack;
