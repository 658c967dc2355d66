//! Start-up checks: each problem names the key and says what is wrong, all of them reported at once.

use super::settings::{RetryPolicySettings, Settings};
use crate::domain::jobs::JobKind;
use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

pub(super) struct Problems(Vec<Problem>);

impl Problems {
    pub(super) fn check(&mut self, ok: bool, key: &str, message: impl Into<String>) {
        if !ok {
            self.0.push(Problem {
                key: key.to_string(),
                message: message.into(),
            });
        }
    }
}

/// Upper bound of `alert.max_incidents_per_request`: each incident of a request is one script in one
/// Redis pipeline.
const MAX_INCIDENTS_PER_REQUEST: usize = 10_000;

/// Upper bound of `alert.body_read_timeout_ms`: Alertmanager's own webhook timeout is shorter.
const MAX_BODY_READ_TIMEOUT_MS: u64 = 60_000;

/// Upper bound of `alert.body_budget_bytes`.
const MAX_BODY_BUDGET_BYTES: usize = 1 << 30;
/// More replicas than any Redis deployment keeps per primary; a larger goal is a typo.
const MAX_REPLICAS_ACKED: u32 = 16;
/// `WAIT` holds the sender's request; beyond this Alertmanager's own timeout is near.
const MAX_REPLICATION_TIMEOUT_MS: u64 = 10_000;

fn is_http_url(value: &str) -> bool {
    value.starts_with("http://") || value.starts_with("https://")
}

/// Where a relative template path is looked for: the working directory, then the config file's directory
/// and each of its ancestors (so `config/examples/x.yaml` finds `config/slack_message.tmpl` from the repo root).
pub fn resolve_template_path(template: &Path, config_path: &Path) -> Option<PathBuf> {
    if template.is_absolute() || template.exists() {
        return template.exists().then(|| template.to_path_buf());
    }
    config_path
        .parent()?
        .ancestors()
        .map(|dir| dir.join(template))
        .find(|candidate| candidate.exists())
}

pub fn validate(settings: &Settings, config_path: &Path) -> Vec<Problem> {
    let mut p = Problems(
        settings
            .unread_keys
            .unknown
            .iter()
            .map(|key| key.problem())
            .chain(settings.env_switches.problems.iter().cloned())
            .collect(),
    );
    p.check(settings.port != 0, "port", "must be between 1 and 65535");
    p.check(
        !settings.host.is_empty(),
        "host",
        "must not be empty; use 0.0.0.0 to listen on every interface",
    );

    let alert = &settings.alert;
    p.check(
        alert.body_limit_bytes > 0,
        "alert.body_limit_bytes",
        "must be greater than 0",
    );
    p.check(
        (1..=MAX_INCIDENTS_PER_REQUEST).contains(&alert.max_incidents_per_request),
        "alert.max_incidents_per_request",
        format!("must be between 1 and {MAX_INCIDENTS_PER_REQUEST}"),
    );
    p.check(
        alert.body_budget_bytes >= alert.body_limit_bytes,
        "alert.body_budget_bytes",
        format!(
            "is {}, less than alert.body_limit_bytes ({}): a request of the largest allowed size could never be read; raise it, or lower alert.body_limit_bytes",
            alert.body_budget_bytes, alert.body_limit_bytes
        ),
    );
    p.check(
        alert.body_budget_bytes <= MAX_BODY_BUDGET_BYTES,
        "alert.body_budget_bytes",
        format!("must be at most {MAX_BODY_BUDGET_BYTES} (1 GiB)"),
    );
    p.check(
        (100..=MAX_BODY_READ_TIMEOUT_MS).contains(&alert.body_read_timeout_ms),
        "alert.body_read_timeout_ms",
        format!("must be between 100 and {MAX_BODY_READ_TIMEOUT_MS} ms"),
    );
    let slack = &alert.slack;
    if slack.enable {
        p.check(
            slack.token.is_some(),
            "alert.slack.token",
            "is required when alert.slack.enable is true; set it to a bot token (xoxb-...), e.g. token: ${SLACK_TOKEN}",
        );
        p.check(
            !slack.channel_id.is_empty(),
            "alert.slack.channel_id",
            "is required when alert.slack.enable is true; set it to the channel's id (C0123...)",
        );
        p.check(
            resolve_template_path(&slack.template_path, config_path).is_some(),
            "alert.slack.template_path",
            format!("file {} does not exist (looked in the working directory and beside the config file)", slack.template_path.display()),
        );
        p.check(
            is_http_url(&slack.api_url),
            "alert.slack.api_url",
            "must start with http:// or https://",
        );
    }
    let style = slack.message_properties.button_style.as_str();
    p.check(
        matches!(style, "" | "primary" | "danger"),
        "alert.slack.message_properties.button_style",
        format!("is {style:?}; Slack accepts \"primary\", \"danger\" or \"\" (default style)"),
    );

    let oncall = &settings.oncall;
    p.check(
        (0.0..=1440.0).contains(&oncall.wait_minutes),
        "oncall.wait_minutes",
        "must be between 0 and 1440 minutes",
    );
    if oncall.is_ready() {
        p.check(
            oncall.provider == "aws_incident_manager",
            "oncall.provider",
            format!(
                "is {:?}; the only supported provider is aws_incident_manager",
                oncall.provider
            ),
        );
        let aws = &oncall.aws_incident_manager;
        p.check(
            aws.response_plan_arn.starts_with("arn:"),
            "oncall.aws_incident_manager.response_plan_arn",
            "is required when on-call is enabled or initialized_only; set it to arn:aws:ssm-incidents::ACCOUNT:response-plan/NAME",
        );
        for (key, arn) in &aws.other_response_plan_arns {
            p.check(
                arn.starts_with("arn:"),
                &format!("oncall.aws_incident_manager.other_response_plan_arns.{key}"),
                "must be a response plan ARN (arn:aws:ssm-incidents::ACCOUNT:response-plan/NAME)",
            );
        }
        for (severity, impact) in &aws.impact {
            p.check(
                (1..=5).contains(impact),
                &format!("oncall.aws_incident_manager.impact.{severity}"),
                "must be between 1 (critical) and 5 (no impact)",
            );
        }
        p.check(
            (1..=5).contains(&aws.default_impact),
            "oncall.aws_incident_manager.default_impact",
            "must be between 1 (critical) and 5 (no impact)",
        );
        // Absent, the installation's generated secret is used (infra::ack_secret).
        p.check(
            oncall.ack_secret.as_ref().is_none_or(|s| s.expose().len() >= 16),
            "oncall.ack_secret",
            "must be at least 16 random characters (e.g. from `openssl rand -hex 32`), or left unset so that Versus generates one and keeps it in Redis",
        );
        p.check(
            is_http_url(&settings.public_host),
            "public_host",
            "is required when on-call is enabled: the public base URL of ack links, e.g. https://versus.example.com",
        );
    }

    for (index, secret) in oncall.previous_ack_secrets.iter().enumerate() {
        p.check(
            secret.expose().len() >= 16,
            &format!("oncall.previous_ack_secrets[{index}]"),
            "must be at least 16 characters, like oncall.ack_secret (is its environment variable set?)",
        );
    }
    if let Some(auth) = &settings.ingest_auth {
        auth.check(&mut p);
    }
    super::heartbeats::check(&mut p, &settings.heartbeats, oncall);
    super::reports::check(&mut p, &settings.reports, &settings.alert.slack.channel_id);
    p.check(
        settings.reports.retention() >= settings.redis.retention(),
        "reports.retention_days",
        "must keep summaries at least as long as redis.retention_hours keeps incidents, or late acks and resolves go unreported",
    );

    let redis = &settings.redis;
    super::validate_redis::check_redis(&mut p, redis);
    p.check(
        redis.min_replicas_acked <= MAX_REPLICAS_ACKED,
        "redis.min_replicas_acked",
        format!("must be between 0 (no WAIT) and {MAX_REPLICAS_ACKED}"),
    );
    p.check(
        (1..=MAX_REPLICATION_TIMEOUT_MS).contains(&redis.replication_timeout_ms),
        "redis.replication_timeout_ms",
        format!("must be between 1 and {MAX_REPLICATION_TIMEOUT_MS} ms: every accepted alert waits this long at most for its replicas"),
    );
    p.check(
        !(redis.replication_strict && redis.min_replicas_acked == 0),
        "redis.replication_strict",
        "needs redis.min_replicas_acked of at least 1: with 0 nothing is waited for, so nothing could be refused",
    );

    let worker = &settings.worker;
    p.check(
        worker.port != 0,
        "worker.port",
        "must be between 1 and 65535",
    );
    p.check(
        worker.concurrency > 0,
        "worker.concurrency",
        "must be at least 1",
    );

    let queue = &settings.queue;
    p.check(
        queue.lease_seconds > 0.0,
        "queue.lease_seconds",
        "must be greater than 0",
    );
    p.check(
        queue.reap_interval_ms > 0,
        "queue.reap_interval_ms",
        "must be greater than 0",
    );
    p.check(
        queue.idle_poll_ms > 0,
        "queue.idle_poll_ms",
        "must be greater than 0",
    );
    for kind in JobKind::ALL {
        if let Some(policy) = kind.own_retry_policy(queue) {
            check_policy(&mut p, kind.queue(), policy);
        }
    }
    p.0
}

fn check_policy(p: &mut Problems, name: &str, policy: &RetryPolicySettings) {
    p.check(
        policy.max_attempts >= 1,
        &format!("queue.{name}.max_attempts"),
        "must be at least 1",
    );
    p.check(
        policy.backoff_initial_ms > 0 && policy.backoff_initial_ms <= policy.backoff_max_ms,
        &format!("queue.{name}.backoff_initial_ms"),
        "must be greater than 0 and not above backoff_max_ms",
    );
}
