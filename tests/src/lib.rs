//! The cross-process test harness of Versus.
//!
//! Integration tests run the real `versus-api` and `versus-worker` binaries against a private
//! `redis-server` and local fakes of the two outside services, all on 127.0.0.1:
//!
//! - [`RedisServer`]: its own `redis-server` process (AOF on by default) that a test can kill and restart.
//! - [`FakeSlack`]: the Slack Web API methods Versus calls, with wire checks and programmable failures.
//! - [`FakeSsm`]: AWS SSM Incident Manager's `StartIncident`/`UpdateIncidentRecord`, verifying SigV4
//!   signatures made with the test credentials and keeping AWS's clientToken idempotency.
//! - [`VersusProcess`]: a spawned binary with its output captured, plus [`aws_test_env`] for its environment.
//! - [`Topology`]: all of the above wired together: Redis, both fakes, N `versus-api` and M
//!   `versus-worker` processes, with helpers to post alerts, read logs, kill and restart.
//!
//! Nothing here talks to any address but loopback.
//!
//! # Layout
//!
//! - Processes: [`redis_server`] (and [`redis_replica`], its replicas), [`redis_ha`] (Sentinel and Cluster topologies, and failover drills), [`process`] (a Versus binary), [`topology`] (a whole installation and
//!   what it stores in Redis), [`alertmanager_server`] (the real Prometheus Alertmanager).
//! - The fakes: [`fake_server`] (what every fake offers a test), [`fake_slack`] and [`fake_ssm`] with their
//!   request handlers and wire checks, [`sigv4`] (AWS request signatures).
//! - What tests send: [`alerts`] (free-form bodies, acks), [`alertmanager_webhook`] (Alertmanager's
//!   notifications).
//! - What tests read: [`slack_messages`] (what reached FakeSlack), [`probe_queue`] (runs of the queue's
//!   own test jobs), [`timing`].
//! - [`wait`]: waiting for what the processes do on their own time; [`turns`]: keeping heavy tests away
//!   from each other and from the tests that measure timing.

pub mod alertmanager_server;
pub mod alertmanager_webhook;
pub mod alerts;
pub mod app_settings;
mod call_outcome;
pub mod config_file;
mod failure_plan;
pub mod fake_server;
pub mod fake_slack;
pub mod fake_ssm;
mod http_server;
pub mod ports;
pub mod probe_queue;
pub mod process;
pub mod redis_ha;
pub mod redis_replica;
pub mod redis_server;
pub mod redis_snapshot;
pub mod sigv4;
mod sigv4_canonical;
pub mod slack_click;
mod slack_handler;
pub mod slack_messages;
mod ssm_failure;
mod ssm_handler;
pub mod ssm_requests;
pub mod timing;
pub mod topology;
pub mod turns;
pub mod upgrade_fixture;
pub mod wait;

pub use alertmanager_webhook::{Notification, NotifiedAlert};
pub use call_outcome::CallOutcome;
pub use fake_server::FakeServer;
pub use fake_slack::{Failure, FakeSlack, SlackCall, DEFAULT_SLACK_TOKEN};
pub use fake_ssm::{
    FakeSsm, IncidentUpdate, SsmCall, SsmFailure, StartedIncident, TokenIncident,
    DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY,
};
pub use ports::free_port;
pub use process::{
    aws_test_env, aws_test_env_with, binary_path, VersusProcess, API_BIN, WORKER_BIN,
};
pub use redis_server::{RedisOptions, RedisServer};
pub use topology::{Role, Topology, TopologyBuilder};
pub use wait::{poll_until, wait_until};
