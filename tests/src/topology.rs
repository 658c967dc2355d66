//! A whole Versus installation for one test: a private Redis, FakeSlack, FakeSsm, and any number of
//! real `versus-api` and `versus-worker` processes wired to them.
//!
//! ```no_run
//! # async fn demo() {
//! use versus_tests::topology::Topology;
//! let topo = Topology::builder().apis(1).workers(1).oncall_initialized_only().start().await;
//! let (status, answer) = topo
//!     .post_alert("oncall_enable=true&oncall_wait_minutes=0.05", &serde_json::json!({"Severity": "critical"}))
//!     .await;
//! assert_eq!(status, 201, "{answer}");
//! # }
//! ```
//!
//! Every process reads the shipped `config/config.yaml` ([`CONFIG_PATH`]) and gets its settings from
//! the environment, as a deployment does: Slack on and pointed at the fake with its token and
//! [`TEST_SLACK_CHANNEL`], on-call off (switch it on with [`TopologyBuilder::oncall_enabled`] or
//! [`TopologyBuilder::oncall_initialized_only`]) with [`TEST_RESPONSE_PLAN_ARN`] and
//! [`TEST_ACK_SECRET`], the AWS SDK pointed at FakeSsm ([`aws_test_env`]), `public_host` set to the
//! first API, and plain-text logs without colours so tests can search them. A test adds or replaces
//! any variable with [`TopologyBuilder::env`] (for example `VERSUS__ALERT__BODY_LIMIT_BYTES=1000`);
//! those come after the defaults and win.
//!
//! Each process keeps its port across [`Topology::restart`], and its log survives restarts
//! ([`Topology::log`] returns every run's output). When a test panics, each process prints its log
//! (see [`VersusProcess`]). Dropping the topology kills everything it started.

mod builder;
mod records;
mod requests;

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crate::fake_slack::FakeSlack;
use crate::fake_ssm::FakeSsm;
use crate::ports::free_port;
use crate::process::{VersusProcess, API_BIN, WORKER_BIN};
use crate::redis_server::RedisServer;
use crate::wait::{poll_until, wait_until};

pub use builder::TopologyBuilder;
pub use records::Fields;
pub use requests::{read_answer, sample_value};

/// The configuration file every process is started with: the shipped `config/config.yaml`.
pub const CONFIG_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/config.yaml");
/// `VERSUS_ACK_SECRET` of every process.
pub const TEST_ACK_SECRET: &str = "versus-topology-ack-secret-0123456789";
/// `AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN` of every process.
pub const TEST_RESPONSE_PLAN_ARN: &str =
    "arn:aws:ssm-incidents::123456789012:response-plan/VersusTestCritical";
/// `SLACK_CHANNEL_ID` of every process.
pub const TEST_SLACK_CHANNEL: &str = "C0VERSUSTEST";
/// `redis.key_prefix` of the shipped configuration.
pub const KEY_PREFIX: &str = "versus:";
/// The line versus-worker logs once its job workers run.
pub const WORKER_STARTED_LOG: &str = "versus-worker started";
/// Long enough for anything the worker does on its own (posting, retrying a racing update once or twice).
pub const SETTLE: Duration = Duration::from_secs(15);

/// How long a process may take to become healthy.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which binary a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Api,
    Worker,
}

impl Role {
    fn binary(self) -> &'static str {
        match self {
            Role::Api => API_BIN,
            Role::Worker => WORKER_BIN,
        }
    }
}

/// One process slot: its port and its current process.
#[derive(Debug)]
struct Node {
    port: u16,
    process: Option<VersusProcess>,
    /// Output of earlier runs of this slot, so a restart does not lose what a test wants to check.
    earlier_logs: String,
}

/// A running Versus installation; see the module documentation.
#[derive(Debug)]
pub struct Topology {
    // Processes first: fields drop in order, so they stop before Redis and the fakes go away.
    apis: Vec<Node>,
    workers: Vec<Node>,
    env: Vec<(String, String)>,
    config: PathBuf,
    /// Ports go to the processes as `VERSUS__` overrides too, for configs that reference no variable for them.
    ports_as_overrides: bool,
    public_port: u16,
    http: reqwest::Client,
    /// The private redis-server; kill and restart it to simulate outages.
    pub redis: RedisServer,
    /// The fake Slack Web API every process posts to.
    pub slack: FakeSlack,
    /// The fake SSM Incidents endpoint the AWS SDK of every process calls.
    pub ssm: FakeSsm,
}

impl Topology {
    /// A builder with the defaults: one API, one worker, Slack on, on-call off.
    pub fn builder() -> TopologyBuilder {
        TopologyBuilder::default()
    }

    /// Starts the default topology.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    fn nodes(&self, role: Role) -> &Vec<Node> {
        match role {
            Role::Api => &self.apis,
            Role::Worker => &self.workers,
        }
    }

    fn node_mut(&mut self, role: Role, i: usize) -> &mut Node {
        let nodes = match role {
            Role::Api => &mut self.apis,
            Role::Worker => &mut self.workers,
        };
        let len = nodes.len();
        nodes
            .get_mut(i)
            .unwrap_or_else(|| panic!("{role:?} {i} does not exist; the topology has {len}"))
    }

    fn node(&self, role: Role, i: usize) -> &Node {
        let nodes = self.nodes(role);
        nodes.get(i).unwrap_or_else(|| {
            panic!(
                "{role:?} {i} does not exist; the topology has {}",
                nodes.len()
            )
        })
    }

    /// How many processes of `role` the topology has (running or not).
    pub fn count(&self, role: Role) -> usize {
        self.nodes(role).len()
    }

    /// The environment a process of `role` listening on `port` is started with.
    pub fn process_env(&self, role: Role, port: u16) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        let (api_port, worker_port) = match role {
            Role::Api => (port, free_port()),
            Role::Worker => (self.public_port, port),
        };
        env.push(("VERSUS_PORT".into(), api_port.to_string()));
        env.push(("VERSUS_WORKER_PORT".into(), worker_port.to_string()));
        if self.ports_as_overrides {
            env.push(("VERSUS__PORT".into(), api_port.to_string()));
            env.push(("VERSUS__WORKER__PORT".into(), worker_port.to_string()));
        }
        env
    }

    /// The `--config` path every process gets.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// Spawns one more process of `role` with this topology's environment plus `overrides`, on a new
    /// port, without waiting for it: for tests of start-up failures. The topology does not track it.
    pub fn spawn_unchecked(&self, role: Role, overrides: &[(&str, &str)]) -> VersusProcess {
        let mut env = self.process_env(role, free_port());
        env.extend(
            overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let config = self.config.display().to_string();
        VersusProcess::spawn(role.binary(), &["--config", &config], &env)
    }

    fn spawn_node(&mut self, role: Role, i: usize) {
        let port = self.node(role, i).port;
        let env = self.process_env(role, port);
        let config = self.config.display().to_string();
        let process = VersusProcess::spawn(role.binary(), &["--config", &config], &env);
        let node = self.node_mut(role, i);
        assert!(
            node.process.is_none(),
            "{role:?} {i} is already running; kill it first"
        );
        node.process = Some(process);
    }

    async fn wait_healthy(&mut self, role: Role, i: usize) {
        let url = format!("{}/healthz", self.url_of(role, i));
        let node = self.node_mut(role, i);
        let process = node
            .process
            .as_mut()
            .unwrap_or_else(|| panic!("{role:?} {i} is not running"));
        process.wait_http_ok(&url, START_TIMEOUT).await;
        if role == Role::Worker {
            let process = &*process;
            let awaited = || {
                format!(
                    "worker {i} to log {WORKER_STARTED_LOG:?} (it answered /healthz); its log:\n{}",
                    process.log_contents()
                )
            };
            wait_until(START_TIMEOUT, awaited, async || {
                process.log_contents().contains(WORKER_STARTED_LOG)
            })
            .await;
        }
    }

    fn url_of(&self, role: Role, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.node(role, i).port)
    }

    /// `http://127.0.0.1:P` of API `i`.
    pub fn api_url(&self, i: usize) -> String {
        self.url_of(Role::Api, i)
    }

    /// `http://127.0.0.1:P` of worker `i`'s health and metrics server.
    pub fn worker_url(&self, i: usize) -> String {
        self.url_of(Role::Worker, i)
    }

    /// The running process in slot `i` of `role`; panics if it was killed and not started again.
    pub fn process(&self, role: Role, i: usize) -> &VersusProcess {
        self.node(role, i)
            .process
            .as_ref()
            .unwrap_or_else(|| panic!("{role:?} {i} is not running"))
    }

    /// Everything slot `i` of `role` printed, over all its runs.
    pub fn log(&self, role: Role, i: usize) -> String {
        let node = self.node(role, i);
        let current = node
            .process
            .as_ref()
            .map(VersusProcess::log_contents)
            .unwrap_or_default();
        format!("{}{current}", node.earlier_logs)
    }

    /// [`log`](Self::log) of API `i`.
    pub fn api_log(&self, i: usize) -> String {
        self.log(Role::Api, i)
    }

    /// [`log`](Self::log) of worker `i`.
    pub fn worker_log(&self, i: usize) -> String {
        self.log(Role::Worker, i)
    }

    /// The logs of every worker, one after the other.
    pub fn all_worker_logs(&self) -> String {
        (0..self.workers.len())
            .map(|i| self.worker_log(i))
            .collect()
    }

    /// Waits until the log of slot `i` of `role` contains `needle`; false on timeout.
    pub async fn wait_for_log(
        &self,
        role: Role,
        i: usize,
        needle: &str,
        timeout: Duration,
    ) -> bool {
        poll_until(timeout, async || self.log(role, i).contains(needle))
            .await
            .is_some()
    }

    /// SIGKILLs slot `i` of `role` (a crash) and reaps it; its log is kept. No-op if not running.
    pub async fn kill(&mut self, role: Role, i: usize) {
        let node = self.node_mut(role, i);
        if let Some(mut process) = node.process.take() {
            process.sigkill();
            process.wait_exit(Duration::from_secs(10)).await;
            node.earlier_logs.push_str(&process.log_contents());
        }
    }

    /// SIGTERMs slot `i` of `role` and waits up to `timeout` for it to exit; returns its status
    /// (`None` if it was still running, in which case it is killed). Its log is kept.
    pub async fn terminate(
        &mut self,
        role: Role,
        i: usize,
        timeout: Duration,
    ) -> Option<ExitStatus> {
        let node = self.node_mut(role, i);
        let mut process = node.process.take()?;
        process.sigterm();
        let status = process.wait_exit(timeout).await;
        if status.is_none() {
            process.sigkill();
            process.wait_exit(Duration::from_secs(10)).await;
        }
        node.earlier_logs.push_str(&process.log_contents());
        status
    }

    /// Starts slot `i` of `role` again (after [`kill`](Self::kill) or [`terminate`](Self::terminate))
    /// on its old port, and waits until it is healthy.
    pub async fn start_again(&mut self, role: Role, i: usize) {
        self.spawn_node(role, i);
        self.wait_healthy(role, i).await;
    }

    /// [`kill`](Self::kill) then [`start_again`](Self::start_again).
    pub async fn restart(&mut self, role: Role, i: usize) {
        self.kill(role, i).await;
        self.start_again(role, i).await;
    }
}
