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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::Value;
use versus_shared::domain::incident::decode_fields;

use crate::fake_slack::{FakeSlack, DEFAULT_SLACK_TOKEN};
use crate::fake_ssm::FakeSsm;
use crate::ports::free_port;
use crate::process::{aws_test_env, VersusProcess, API_BIN, WORKER_BIN};
use crate::redis_server::{RedisOptions, RedisServer};
use crate::wait::wait_until;

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

/// Options of a [`Topology`]; see the module documentation for the defaults.
#[derive(Debug, Clone)]
pub struct TopologyBuilder {
    apis: usize,
    workers: usize,
    env: Vec<(String, String)>,
    redis: RedisOptions,
    config: PathBuf,
}

impl Default for TopologyBuilder {
    fn default() -> Self {
        Self {
            apis: 1,
            workers: 1,
            env: Vec::new(),
            redis: RedisOptions::default(),
            config: PathBuf::from(CONFIG_PATH),
        }
    }
}

impl TopologyBuilder {
    /// How many `versus-api` processes (default 1). With 0, [`Topology::post_alert`] cannot be used.
    pub fn apis(mut self, n: usize) -> Self {
        self.apis = n;
        self
    }

    /// How many `versus-worker` processes (default 1). With 0, jobs stay queued in Redis.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// Sets an environment variable for every process, after (and over) the defaults.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// `ONCALL_ENABLE=true`: alerts page unless the request says `oncall_enable=false`.
    pub fn oncall_enabled(self) -> Self {
        self.env("ONCALL_ENABLE", "true")
    }

    /// `ONCALL_INITIALIZED_ONLY=true`: on-call is ready, but only `?oncall_enable=true` pages.
    pub fn oncall_initialized_only(self) -> Self {
        self.env("ONCALL_INITIALIZED_ONLY", "true")
    }

    /// `SLACK_ENABLE=false`: the worker prints notifications to its log instead.
    pub fn slack_disabled(self) -> Self {
        self.env("SLACK_ENABLE", "false")
    }

    /// Options of the private redis-server (AOF on by default).
    pub fn redis_options(mut self, opts: RedisOptions) -> Self {
        self.redis = opts;
        self
    }

    /// Another configuration file instead of [`CONFIG_PATH`] (give an absolute path; a relative
    /// `alert.slack.template_path` in it is looked up beside it and in its ancestors).
    pub fn config(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = path.into();
        self
    }

    /// Starts Redis, the fakes and the processes, and waits until every process is healthy.
    ///
    /// Panics (with the logs of the processes) if one exits or is not healthy within 30 s.
    pub async fn start(self) -> Topology {
        let redis = RedisServer::start_with(self.redis);
        let slack = FakeSlack::start();
        let ssm = FakeSsm::start();
        let api_ports: Vec<u16> = (0..self.apis).map(|_| free_port()).collect();
        let worker_ports: Vec<u16> = (0..self.workers).map(|_| free_port()).collect();
        let public_port = api_ports.first().copied().unwrap_or_else(free_port);

        let mut env: Vec<(String, String)> = [
            ("VERSUS_HOST", "127.0.0.1".to_string()),
            (
                "VERSUS_PUBLIC_HOST",
                format!("http://127.0.0.1:{public_port}"),
            ),
            ("VERSUS_LOG_FORMAT", "text".into()),
            ("NO_COLOR", "1".into()),
            ("RUST_LOG", "info".into()),
            ("SLACK_ENABLE", "true".into()),
            ("SLACK_TOKEN", DEFAULT_SLACK_TOKEN.into()),
            ("SLACK_CHANNEL_ID", TEST_SLACK_CHANNEL.into()),
            ("SLACK_API_URL", slack.url()),
            ("SLACK_SIGNING_SECRET", String::new()),
            ("ONCALL_ENABLE", "false".into()),
            ("ONCALL_INITIALIZED_ONLY", "false".into()),
            ("VERSUS_ACK_SECRET", TEST_ACK_SECRET.into()),
            (
                "AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN",
                TEST_RESPONSE_PLAN_ARN.into(),
            ),
            ("REDIS_HOST", "127.0.0.1".into()),
            ("REDIS_PORT", redis.port().to_string()),
            ("REDIS_PASSWORD", redis_password(&redis)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(aws_test_env(&ssm.url()));
        env.extend(self.env);

        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client");
        let node = |port| Node {
            port,
            process: None,
            earlier_logs: String::new(),
        };
        let mut topology = Topology {
            apis: api_ports.iter().map(|p| node(*p)).collect(),
            workers: worker_ports.iter().map(|p| node(*p)).collect(),
            env,
            config: self.config,
            public_port,
            http,
            redis,
            slack,
            ssm,
        };
        // Spawn everything first, then wait, so the processes start in parallel.
        for role in [Role::Api, Role::Worker] {
            for i in 0..topology.nodes(role).len() {
                topology.spawn_node(role, i);
            }
        }
        for role in [Role::Api, Role::Worker] {
            for i in 0..topology.nodes(role).len() {
                topology.wait_healthy(role, i).await;
            }
        }
        topology
    }
}

fn redis_password(redis: &RedisServer) -> String {
    // RedisServer::url() is redis://:PASSWORD@host:port/ when a password is set.
    let url = redis.url();
    url.strip_prefix("redis://:")
        .and_then(|rest| rest.split_once('@'))
        .map(|(pw, _)| pw.to_string())
        .unwrap_or_default()
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
            let started = wait_until(START_TIMEOUT, || {
                process.log_contents().contains(WORKER_STARTED_LOG)
            })
            .await;
            assert!(
                started,
                "worker {i} answered /healthz but never logged {WORKER_STARTED_LOG:?}; its log:\n{}",
                process.log_contents()
            );
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

    /// An HTTP client for the test's own requests (no proxy, 30 s timeout).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `POST /api/incidents?{query}` on API 0 with `body` as JSON; returns the status and the answer
    /// (a JSON string holding the text when the answer is not JSON). `query` may be empty.
    pub async fn post_alert(&self, query: &str, body: &Value) -> (u16, Value) {
        self.post_alert_to(0, query, body).await
    }

    /// [`post_alert`](Self::post_alert) on API `i`.
    pub async fn post_alert_to(&self, i: usize, query: &str, body: &Value) -> (u16, Value) {
        let response = self
            .post_raw_to(
                i,
                query,
                Some("application/json"),
                serde_json::to_vec(body).expect("a JSON value serialises"),
            )
            .await;
        read_answer(response).await
    }

    /// `POST /api/incidents?{query}` on API 0 with raw bytes and an optional Content-Type.
    pub async fn post_raw(
        &self,
        query: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.post_raw_to(0, query, content_type, body).await
    }

    /// [`post_raw`](Self::post_raw) on API `i`.
    pub async fn post_raw_to(
        &self,
        i: usize,
        query: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut url = format!("{}/api/incidents", self.api_url(i));
        if !query.is_empty() {
            url.push('?');
            url.push_str(query.trim_start_matches('?'));
        }
        let mut request = self.http.post(&url).body(body);
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url} failed: {e}"))
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
        wait_until(timeout, || self.log(role, i).contains(needle)).await
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

    /// A new multiplexed connection to the topology's Redis.
    pub async fn redis_conn(&self) -> redis::aio::MultiplexedConnection {
        self.redis.conn().await
    }

    /// `KEY_PREFIX` + `rest`, e.g. `key("queue:notify:dead")`.
    pub fn key(&self, rest: &str) -> String {
        format!("{KEY_PREFIX}{rest}")
    }

    /// The incident hash `versus:incident:{id}` (empty when there is none).
    pub async fn incident(&self, id: &str) -> HashMap<String, String> {
        let mut conn = self.redis_conn().await;
        let raw: HashMap<String, Vec<u8>> = conn
            .hgetall(self.key(&format!("incident:{id}")))
            .await
            .unwrap_or_else(|e| panic!("HGETALL of incident {id} failed: {e}"));
        decode_fields(raw)
    }

    /// Waits until field `field` of incident `id` satisfies `check`; returns the last hash seen and
    /// whether it did.
    pub async fn wait_incident(
        &self,
        id: &str,
        timeout: Duration,
        check: impl Fn(&HashMap<String, String>) -> bool,
    ) -> (bool, HashMap<String, String>) {
        let deadline = Instant::now() + timeout;
        loop {
            let fields = self.incident(id).await;
            if check(&fields) {
                return (true, fields);
            }
            if Instant::now() >= deadline {
                return (false, fields);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Job ids in the dead-letter set of `queue` (`notify`, `escalate`, `slack_update`, ...).
    pub async fn dead_letters(&self, queue: &str) -> Vec<String> {
        let mut conn = self.redis_conn().await;
        conn.zrange(self.key(&format!("queue:{queue}:dead")), 0, -1)
            .await
            .unwrap_or_else(|e| panic!("ZRANGE of the {queue} dead letters failed: {e}"))
    }

    /// Waits until job `id` is in the dead-letter set of `queue`; false on timeout. (The worker logs
    /// "dead-lettered" just before it writes to Redis, so wait for Redis, not the log line.)
    pub async fn wait_dead_letter(&self, queue: &str, id: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.dead_letters(queue).await.iter().any(|d| d == id) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The job hash `versus:queue:{queue}:job:{id}` (empty when there is none).
    pub async fn job(&self, queue: &str, id: &str) -> HashMap<String, String> {
        let mut conn = self.redis_conn().await;
        conn.hgetall(self.key(&format!("queue:{queue}:job:{id}")))
            .await
            .unwrap_or_else(|e| panic!("HGETALL of {queue} job {id} failed: {e}"))
    }
}

/// Reads an answer as (status, JSON); text that is not JSON becomes a JSON string.
pub async fn read_answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}
