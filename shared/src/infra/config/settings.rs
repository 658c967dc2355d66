//! The configuration tree, key for key as `config.yaml` spells it (see design.md; new keys are marked there).

use super::heartbeats::HeartbeatSettings;
use super::ingest_auth::IngestAuthSettings;
use super::redis_settings::RedisSettings;
use super::reports::ReportSettings;
use super::unread_keys::UnreadKeys;
use super::versus_switches::SwitchNotes;
use crate::infra::backoff::Backoff;
use crate::infra::secret::{optional_secret, Secret};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// Base of ack links, e.g. `https://versus.example.com`.
    pub public_host: String,
    pub log_format: LogFormat,
    pub alert: AlertSettings,
    pub oncall: OncallSettings,
    pub redis: RedisSettings,
    pub worker: WorkerSettings,
    pub queue: QueueSettings,
    /// Credentials `POST /api/incidents` requires; absent, ingest is open to whoever reaches the API.
    pub ingest_auth: Option<IngestAuthSettings>,
    /// Dead-man's switches: each must be beaten at `POST /api/heartbeats/{name}`.
    pub heartbeats: Vec<HeartbeatSettings>,
    /// On-call reports: how long incident summaries are kept, and the periodic Slack digest.
    pub reports: ReportSettings,
    /// Keys of the file (or of `VERSUS__` overrides) that no setting above reads; not a key itself.
    #[serde(skip)]
    pub unread_keys: UnreadKeys,
    /// What Versus Incident's environment switches did besides setting keys; not a key itself.
    #[serde(skip)]
    pub env_switches: SwitchNotes,
}

impl Settings {
    /// The configured heartbeat of this name.
    pub fn heartbeat(&self, name: &str) -> Option<&HeartbeatSettings> {
        self.heartbeats
            .iter()
            .find(|heartbeat| heartbeat.name == name)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            name: "versus".into(),
            host: "0.0.0.0".into(),
            port: 3000,
            public_host: String::new(),
            log_format: LogFormat::Text,
            alert: AlertSettings::default(),
            oncall: OncallSettings::default(),
            redis: RedisSettings::default(),
            worker: WorkerSettings::default(),
            queue: QueueSettings::default(),
            ingest_auth: None,
            heartbeats: Vec::new(),
            reports: ReportSettings::default(),
            unread_keys: UnreadKeys::default(),
            env_switches: SwitchNotes::default(),
        }
    }
}

impl Settings {
    /// Versus Incident's settings and environment switches for features this release lacks (each loads and
    /// does nothing), and switches that override a different value in the file: each is worth a warning.
    pub fn versus_incident_warnings(&self) -> Vec<String> {
        (self.unread_keys.unsupported.iter().map(ToString::to_string))
            .chain(self.env_switches.ignored.iter().map(ToString::to_string))
            .chain(self.env_switches.overrides.iter().map(ToString::to_string))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    pub debug_body: bool,
    /// Largest accepted webhook body; larger ones get `413`.
    pub body_limit_bytes: usize,
    /// Most incidents (array elements) one request may hold; more get `413` and nothing is stored.
    pub max_incidents_per_request: usize,
    /// Webhook body bytes all requests in flight may hold together; over it a request gets `503`.
    pub body_budget_bytes: usize,
    /// Longest a request may take to send its whole body; slower ones get `408`, so a sender that goes
    /// quiet mid-body cannot keep its share of the budget.
    pub body_read_timeout_ms: u64,
    pub slack: SlackSettings,
}

impl AlertSettings {
    /// Bound on reading one request's body (`alert.body_read_timeout_ms`).
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            debug_body: false,
            body_limit_bytes: 1024 * 1024,
            max_incidents_per_request: 100,
            // Parsing and storing a body costs a multiple of its size: this keeps the API well inside the
            // chart's 256Mi memory limit even for the worst shape of body (docs/performance.md).
            body_budget_bytes: 4 * 1024 * 1024,
            body_read_timeout_ms: 10_000,
            slack: SlackSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SlackSettings {
    pub enable: bool,
    #[serde(deserialize_with = "optional_secret")]
    pub token: Option<Secret>,
    pub channel_id: String,
    pub template_path: PathBuf,
    pub api_url: String,
    #[serde(deserialize_with = "optional_secret")]
    pub signing_secret: Option<Secret>,
    pub message_properties: MessageProperties,
    /// How the template is read: `auto` (Go when it has Go actions, else minijinja), `go` or `jinja`.
    pub template_syntax: TemplateSyntax,
    /// Environment variables a Go template may read with `env`; no others, so no secret reaches a message.
    pub template_env: Vec<String>,
    /// Channels a request may name with `?slack_channel_id=`; empty allows any, as Versus Incident does.
    pub allowed_channel_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum TemplateSyntax {
    #[default]
    Auto,
    Go,
    Jinja,
}

impl Default for SlackSettings {
    fn default() -> Self {
        Self {
            enable: false,
            token: None,
            channel_id: String::new(),
            template_path: PathBuf::from("config/slack_message.tmpl"),
            api_url: "https://slack.com/api".into(),
            signing_secret: None,
            message_properties: MessageProperties::default(),
            template_syntax: TemplateSyntax::Auto,
            template_env: Vec::new(),
            allowed_channel_ids: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MessageProperties {
    pub button_text: String,
    pub button_style: String,
    pub disable_button: bool,
}

impl Default for MessageProperties {
    fn default() -> Self {
        Self {
            button_text: "Acknowledge Incident".into(),
            button_style: "primary".into(),
            disable_button: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OncallSettings {
    pub enable: bool,
    pub initialized_only: bool,
    pub wait_minutes: f64,
    pub provider: String,
    /// HMAC key of ack links. When the key is absent, `VERSUS_ACK_SECRET` is used, so the product
    /// documentation's example configs (which predate the key) load unchanged.
    #[serde(deserialize_with = "optional_secret")]
    pub ack_secret: Option<Secret>,
    /// Former ack secrets: links they signed still verify, new links are signed with `ack_secret` only.
    pub previous_ack_secrets: Vec<Secret>,
    pub aws_incident_manager: AwsIncidentManagerSettings,
}

impl Default for OncallSettings {
    fn default() -> Self {
        Self {
            enable: false,
            initialized_only: false,
            wait_minutes: 3.0,
            provider: "aws_incident_manager".into(),
            ack_secret: None,
            previous_ack_secrets: Vec::new(),
            aws_incident_manager: AwsIncidentManagerSettings::default(),
        }
    }
}

impl OncallSettings {
    /// On-call is ready for use: either on by default or initialised for opt-in requests.
    pub fn is_ready(&self) -> bool {
        self.enable || self.initialized_only
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AwsIncidentManagerSettings {
    pub response_plan_arn: String,
    pub other_response_plan_arns: BTreeMap<String, String>,
    /// Also resolve the AWS incident (`UpdateIncidentRecord`) when the alert resolves.
    pub resolve_incident: bool,
    /// Severity label (lower-case) to StartIncident `impact` (1 = critical .. 5 = no impact).
    pub impact: BTreeMap<String, i32>,
    /// Impact for severities missing from `impact`.
    pub default_impact: i32,
}

impl Default for AwsIncidentManagerSettings {
    fn default() -> Self {
        Self {
            response_plan_arn: String::new(),
            other_response_plan_arns: BTreeMap::new(),
            resolve_incident: false,
            impact: [
                ("critical", 1),
                ("urgent", 1),
                ("high", 2),
                ("error", 2),
                ("warning", 3),
                ("info", 4),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            default_impact: 3,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WorkerSettings {
    pub port: u16,
    pub concurrency: usize,
    /// On SIGTERM, in-flight jobs get this long to finish before their leases are handed back.
    pub shutdown_grace_seconds: u64,
    /// Exit non-zero when Redis has been unreachable this long, so the orchestrator restarts the worker.
    pub redis_down_exit_seconds: u64,
}

impl WorkerSettings {
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
    }

    pub fn redis_down_exit(&self) -> Duration {
        Duration::from_secs(self.redis_down_exit_seconds)
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            port: 3001,
            concurrency: 16,
            shutdown_grace_seconds: 25,
            redis_down_exit_seconds: 300,
        }
    }
}

/// Queue behaviour (new). Defaults suit production; tests shorten them.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct QueueSettings {
    /// A fetched job belongs to its worker this long unless the worker renews it; a killed worker's jobs
    /// run again after at most this plus `reap_interval_ms`.
    pub lease_seconds: f64,
    pub reap_interval_ms: u64,
    /// Longest an idle worker sleeps between checks when no wake-up arrives.
    pub idle_poll_ms: u64,
    /// Finished job data is kept this long (for inspection), then expires.
    pub finished_ttl_seconds: u64,
    pub notify: RetryPolicySettings,
    pub escalate: RetryPolicySettings,
    pub slack_update: RetryPolicySettings,
    /// `None`: the escalate policy, as configured.
    pub aws_resolve: Option<RetryPolicySettings>,
}

impl QueueSettings {
    /// How long a fetched job belongs to its worker without a renewal (validated to be positive).
    pub fn lease(&self) -> Duration {
        Duration::try_from_secs_f64(self.lease_seconds).unwrap_or(Duration::ZERO)
    }

    pub fn reap_interval(&self) -> Duration {
        Duration::from_millis(self.reap_interval_ms)
    }

    pub fn idle_poll(&self) -> Duration {
        Duration::from_millis(self.idle_poll_ms)
    }

    pub fn finished_ttl(&self) -> Duration {
        Duration::from_secs(self.finished_ttl_seconds)
    }
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            lease_seconds: 15.0,
            reap_interval_ms: 1000,
            idle_poll_ms: 1000,
            finished_ttl_seconds: 3600,
            // A transient failure (Slack or AWS down, throttled) is retried for hours, not minutes: an
            // alert must outlive an outage of its channel. Permanent errors still dead-letter at once.
            notify: RetryPolicySettings {
                max_attempts: 240, // about 4 h at the 60 s cap
                backoff_max_ms: 60_000,
                ..RetryPolicySettings::default()
            },
            escalate: RetryPolicySettings {
                max_attempts: 120, // about 1 h at the 30 s cap; then "paging failed" in Slack
                ..RetryPolicySettings::default()
            },
            slack_update: RetryPolicySettings {
                max_attempts: 120, // about 2 h at the 60 s cap
                backoff_max_ms: 60_000,
                ..RetryPolicySettings::default()
            },
            // Resolving an AWS incident is as urgent as starting one, and AWS fails it the same ways.
            aws_resolve: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetryPolicySettings {
    pub max_attempts: u32,
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
}

impl Default for RetryPolicySettings {
    fn default() -> Self {
        Self {
            max_attempts: 20,
            backoff_initial_ms: 500,
            backoff_max_ms: 30_000,
        }
    }
}

impl RetryPolicySettings {
    /// Exponential backoff before attempt `attempt + 1` (attempts count from 1), with ±20 % jitter
    /// so that jobs failing together do not retry in lockstep.
    pub fn backoff(&self, attempt: u32) -> std::time::Duration {
        let base = Backoff::delay_for_attempt(
            Duration::from_millis(self.backoff_initial_ms),
            Duration::from_millis(self.backoff_max_ms),
            attempt,
        );
        base.mul_f64(rand::random_range(0.8..1.2))
    }
}
