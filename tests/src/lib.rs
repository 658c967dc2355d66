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

pub mod alerts;
mod call_outcome;
mod failure_plan;
pub mod fake_slack;
pub mod fake_ssm;
mod http_server;
pub mod ports;
pub mod process;
pub mod redis_server;
pub mod redis_snapshot;
pub mod sigv4;
mod sigv4_canonical;
mod slack_handler;
mod ssm_failure;
mod ssm_handler;
pub mod ssm_requests;
pub mod topology;
pub mod upgrade_fixture;
pub mod wait;

pub use call_outcome::CallOutcome;
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
pub use wait::wait_until;
