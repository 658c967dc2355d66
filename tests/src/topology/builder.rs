//! The options of a [`Topology`] and its start: Redis, the fakes, then every process in parallel.

use std::path::PathBuf;
use std::time::Duration;

use super::{
    Node, Role, Topology, CONFIG_PATH, TEST_ACK_SECRET, TEST_RESPONSE_PLAN_ARN, TEST_SLACK_CHANNEL,
};
use crate::fake_slack::{FakeSlack, DEFAULT_SLACK_TOKEN};
use crate::fake_ssm::FakeSsm;
use crate::ports::free_port;
use crate::process::aws_test_env;
use crate::redis_server::{RedisOptions, RedisServer};

/// Options of a [`Topology`]; the defaults are in the [`topology`](crate::topology) module documentation.
#[derive(Debug, Clone)]
pub struct TopologyBuilder {
    apis: usize,
    workers: usize,
    env: Vec<(String, String)>,
    redis: RedisOptions,
    config: PathBuf,
    documentation_env: bool,
}

impl Default for TopologyBuilder {
    fn default() -> Self {
        Self {
            apis: 1,
            workers: 1,
            env: Vec::new(),
            redis: RedisOptions::default(),
            config: PathBuf::from(CONFIG_PATH),
            documentation_env: false,
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

    /// Only the variables the product documentation's docker-compose file sets (`SLACK_TOKEN`,
    /// `SLACK_CHANNEL_ID`, `AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN`, `REDIS_HOST`, `REDIS_PORT`,
    /// `REDIS_PASSWORD`), for the documentation's configs (with [`config`](Self::config)). What a test
    /// cannot do without (listening address and ports, the fakes' URLs, plain logs) is given as `VERSUS__`
    /// overrides and the AWS SDK's own variables, since those configs reference no variable for it.
    pub fn documentation_environment(mut self) -> Self {
        self.documentation_env = true;
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

        let mut env = match self.documentation_env {
            true => documentation_env(&redis, &slack),
            false => harness_env(&redis, &slack, public_port),
        };
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
            ports_as_overrides: self.documentation_env,
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

/// The shipped config's variables, set as the module documentation says.
fn harness_env(redis: &RedisServer, slack: &FakeSlack, public_port: u16) -> Vec<(String, String)> {
    [
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
        ("REDIS_PASSWORD", redis_password(redis)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The product documentation's docker-compose variables, plus what a test needs as overrides.
fn documentation_env(redis: &RedisServer, slack: &FakeSlack) -> Vec<(String, String)> {
    [
        ("SLACK_TOKEN", DEFAULT_SLACK_TOKEN.to_string()),
        ("SLACK_CHANNEL_ID", TEST_SLACK_CHANNEL.into()),
        (
            "AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN",
            TEST_RESPONSE_PLAN_ARN.into(),
        ),
        ("REDIS_HOST", "127.0.0.1".into()),
        ("REDIS_PORT", redis.port().to_string()),
        ("REDIS_PASSWORD", redis_password(redis)),
        ("VERSUS__HOST", "127.0.0.1".into()),
        ("VERSUS__ALERT__SLACK__API_URL", slack.url()),
        ("VERSUS_LOG_FORMAT", "text".into()),
        ("NO_COLOR", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn redis_password(redis: &RedisServer) -> String {
    // RedisServer::url() is redis://:PASSWORD@host:port/ when a password is set.
    let url = redis.url();
    url.strip_prefix("redis://:")
        .and_then(|rest| rest.split_once('@'))
        .map(|(pw, _)| pw.to_string())
        .unwrap_or_default()
}
