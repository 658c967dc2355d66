//! The library `versus-api` and `versus-worker` share.
//!
//! # Layout
//!
//! - [`domain`]: what Versus is about, free of any web framework. Alerts and their identity
//!   ([`domain::alert`]), incidents and their state machine with the atomic scripts that change them
//!   ([`domain::incident`]), the job kinds ([`domain::jobs`]), ack links ([`domain::ack_token`]), Slack's
//!   escaping ([`domain::mrkdwn`]), message templates ([`domain::template`]), heartbeats
//!   ([`domain::heartbeat`]), the on-call report's history and its reading ([`domain::report`]) and the
//!   digest's schedule ([`domain::digest`]).
//! - [`infra`]: what the domain runs on. Configuration ([`infra::config`]), connections to Redis and whether
//!   it answers ([`infra::redis_conn`], [`infra::health`]), state changes that wait for replicas
//!   ([`infra::replication`]), the durable job queue ([`infra::queue`]), retry
//!   pauses ([`infra::backoff`]), the stored-format version ([`infra::schema`]), logs ([`infra::telemetry`])
//!   and metrics ([`infra::metrics`]).
//! - [`app`]: what both binaries need to run as processes: the command line ([`app::cli`]), `--check`
//!   ([`app::check`]) and the HTTP answers of the health and metrics probes ([`app::probes`], actix-web).

pub mod app;
pub mod domain;
pub mod infra;
