//! The system under test: a redis-server with AOF (as production), one versus-api and one
//! versus-worker (release binaries, the shipped `config/config.yaml`, settings from the environment as
//! a deployment does), wired to the zero-latency fakes. All on 127.0.0.1.

use crate::fakes::Fakes;
use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::time::Duration;
use versus_tests::{aws_test_env, free_port, RedisServer, VersusProcess, API_BIN, WORKER_BIN};

pub const CONFIG_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/config.yaml");
pub const ACK_SECRET: &str = "versus-bench-ack-secret-0123456789";
pub const PLAN_ARN: &str = "arn:aws:ssm-incidents::123456789012:response-plan/VersusBench";
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Stack {
    // Processes first: they stop before Redis goes away.
    api: Option<VersusProcess>,
    worker: Option<VersusProcess>,
    pub redis: RedisServer,
    pub api_port: u16,
    worker_port: u16,
    env: Vec<(String, String)>,
    /// Highest VmHWM (kB) of any worker process so far (the worker is restarted between scenarios).
    worker_peak_kb: u64,
}

impl Stack {
    /// `extra_env` comes after the defaults and wins (e.g. `VERSUS__WORKER__CONCURRENCY=64`).
    pub fn new(fakes: &Fakes, extra_env: &[(String, String)]) -> Self {
        let redis = RedisServer::start();
        let api_port = free_port();
        let worker_port = free_port();
        let mut env: Vec<(String, String)> = [
            ("VERSUS_HOST", "127.0.0.1".to_string()),
            ("VERSUS_PORT", api_port.to_string()),
            ("VERSUS_WORKER_PORT", worker_port.to_string()),
            ("VERSUS_PUBLIC_HOST", format!("http://127.0.0.1:{api_port}")),
            ("VERSUS_LOG_FORMAT", "text".into()),
            ("NO_COLOR", "1".into()),
            ("RUST_LOG", "info".into()),
            ("SLACK_ENABLE", "true".into()),
            ("SLACK_TOKEN", "xoxb-versus-bench".into()),
            ("SLACK_CHANNEL_ID", "C0BENCH".into()),
            ("SLACK_API_URL", fakes.slack_url.clone()),
            ("SLACK_SIGNING_SECRET", String::new()),
            ("ONCALL_ENABLE", "true".into()),
            ("ONCALL_INITIALIZED_ONLY", "false".into()),
            ("VERSUS_ACK_SECRET", ACK_SECRET.into()),
            ("AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN", PLAN_ARN.into()),
            ("REDIS_HOST", "127.0.0.1".into()),
            ("REDIS_PORT", redis.port().to_string()),
            ("REDIS_PASSWORD", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(aws_test_env(&fakes.ssm_url));
        env.extend(extra_env.iter().cloned());
        Self {
            api: None,
            worker: None,
            redis,
            api_port,
            worker_port,
            env,
            worker_peak_kb: 0,
        }
    }

    pub fn api_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.api_port))
    }

    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    fn spawn(&self, binary: &str) -> VersusProcess {
        VersusProcess::spawn(binary, &["--config", CONFIG_PATH], &self.env)
    }

    pub async fn start_api(&mut self) {
        let mut api = self.spawn(API_BIN);
        api.wait_http_ok(&format!("{}/readyz", self.api_url()), START_TIMEOUT)
            .await;
        self.api = Some(api);
    }

    pub async fn start_worker(&mut self) -> anyhow::Result<()> {
        let mut worker = self.spawn(WORKER_BIN);
        worker
            .wait_http_ok(
                &format!("http://127.0.0.1:{}/healthz", self.worker_port),
                START_TIMEOUT,
            )
            .await;
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        while !worker.log_contents().contains("versus-worker started") {
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "the worker never logged that it started:\n{}",
                    worker.log_contents()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.worker = Some(worker);
        Ok(())
    }

    /// SIGTERM, and wait for a clean exit (it has nothing in flight when the bench calls this).
    pub async fn stop_worker(&mut self) -> anyhow::Result<()> {
        let Some(mut worker) = self.worker.take() else {
            return Ok(());
        };
        if let Some(mem) = memory(worker.pid()) {
            self.worker_peak_kb = self.worker_peak_kb.max(mem.hwm_kb);
        }
        worker.sigterm();
        match worker.wait_exit(Duration::from_secs(30)).await {
            Some(status) if status.success() => Ok(()),
            Some(status) => bail!(
                "the worker exited with {status}:\n{}",
                tail(&worker.log_contents())
            ),
            None => bail!("the worker did not stop within 30 s"),
        }
    }

    pub fn api_pid(&self) -> Option<u32> {
        self.api.as_ref().map(VersusProcess::pid)
    }

    pub fn worker_pid(&self) -> Option<u32> {
        self.worker.as_ref().map(VersusProcess::pid)
    }

    /// Highest VmHWM of every worker run so far, the current one included.
    pub fn worker_peak_kb(&self) -> u64 {
        let current = self
            .worker_pid()
            .and_then(memory)
            .map(|m| m.hwm_kb)
            .unwrap_or(0);
        self.worker_peak_kb.max(current)
    }

    pub fn api_log(&self) -> String {
        self.api
            .as_ref()
            .map(|p| p.log_contents())
            .unwrap_or_default()
    }

    pub fn worker_log(&self) -> String {
        self.worker
            .as_ref()
            .map(|p| p.log_contents())
            .unwrap_or_default()
    }

    /// A connection for the bench's own reads, with a generous reply timeout (FLUSHALL of 100,000
    /// incidents takes a while).
    pub async fn conn(&self) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(120)));
        Ok(self
            .redis
            .client()
            .get_multiplexed_async_connection_with_config(&config)
            .await?)
    }

    pub async fn flushall(&self) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        redis::cmd("FLUSHALL")
            .query_async::<()>(&mut conn)
            .await
            .context("FLUSHALL")
    }
}

pub fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

/// VmRSS and VmHWM of a process, from /proc.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?;
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
    };
    Some(Memory {
        rss_kb: field("VmRSS:")?,
        hwm_kb: field("VmHWM:")?,
    })
}

/// CPU time (user + system) a process has used so far, in seconds, from /proc/PID/stat.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks())
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU used by a set of processes between two points, for figures per request or per job.
pub struct CpuMeter {
    pids: Vec<(&'static str, u32, f64)>,
}

impl CpuMeter {
    pub fn start(pids: &[(&'static str, Option<u32>)]) -> Self {
        Self {
            pids: pids
                .iter()
                .filter_map(|(name, pid)| {
                    let pid = (*pid)?;
                    Some((*name, pid, cpu_seconds(pid)?))
                })
                .collect(),
        }
    }

    /// Microseconds of CPU per unit of work, by process.
    pub fn per_unit_us(&self, units: u64) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (name, pid, before) in &self.pids {
            if let Some(now) = cpu_seconds(*pid) {
                let us = (now - before) * 1e6 / units.max(1) as f64;
                out.insert((*name).into(), serde_json::json!(us.round()));
            }
        }
        serde_json::Value::Object(out)
    }
}
