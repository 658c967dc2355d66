//! Heartbeats, the dead-man's switch: a sender (Alertmanager's always-firing Watchdog, a cron job) beats at
//! `POST /api/heartbeats/{name}`; when it falls silent for `interval_minutes`, an incident opens as an alert's
//! would (Slack message, page after the wait, ack), and the next beat resolves it.
//!
//! The deadline lives in the durable queue: one `heartbeat_check` job per heartbeat, due at the deadline.
//! A beat only writes its time (and re-arms a check that is missing, finished or dead-lettered); the check
//! job reads the last beat and either re-arms itself for the new deadline or opens the incident, in one
//! atomic script that records which outage it opened for, so reruns and racing workers open one incident
//! per outage. All state is in Redis (`{prefix}heartbeat:{name}`, a hash), so any API or worker process
//! can die without losing or repeating a page.
//!
//! - `lua/`: the scripts (`beat`, `arm`, `check`, `forget`), built on the queue's and the incidents' Lua helpers;
//! - `store`: the calls that run them ([`HeartbeatStore`]);
//! - `status`: a heartbeat's state as `GET /api/heartbeats` shows it;
//! - `check`: the check script's answer as a type.

mod check;
mod scripts;
mod status;
mod store;

/// The `source` of a missed heartbeat's incident (`check.lua` writes it).
pub const SOURCE: &str = "heartbeat";

pub use check::{CheckOutcome, CheckPlan};
pub use status::{HeartbeatState, HeartbeatStatus};
pub use store::{BeatResult, HeartbeatStore};
