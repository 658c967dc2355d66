//! `heartbeats`: the dead-man's switches. Each entry is served at `POST /api/heartbeats/{name}`; a
//! heartbeat that gets no beat for `interval_minutes` opens an incident (see `domain::heartbeat`).

use super::settings::OncallSettings;
use super::validate::Problems;
use serde::Deserialize;
use std::collections::HashSet;
use std::time::Duration;

/// The shortest interval: below a second the check job's own scheduling (about 1 s) is the deadline.
pub const MIN_HEARTBEAT_INTERVAL_MINUTES: f64 = 1.0 / 60.0;
/// The longest interval: a week, longer than any sender repeats.
pub const MAX_HEARTBEAT_INTERVAL_MINUTES: f64 = 7.0 * 24.0 * 60.0;
/// Longest name: it is part of a URL path, a Redis key and a metrics label.
pub const MAX_HEARTBEAT_NAME_LEN: usize = 64;

#[derive(Debug, Clone, Deserialize)]
pub struct HeartbeatSettings {
    /// `[a-z0-9_-]{1,64}`, unique: the path `POST /api/heartbeats/{name}`.
    pub name: String,
    /// A beat is expected at least this often (fractions allowed).
    pub interval_minutes: f64,
    /// Page on-call when missed (`true`, the default) or post to Slack only.
    #[serde(default = "default_oncall")]
    pub oncall: bool,
    /// Wait before paging; `oncall.wait_minutes` when absent.
    #[serde(default)]
    pub wait_minutes: Option<f64>,
    /// A key of `oncall.aws_incident_manager.other_response_plan_arns`; the default plan when absent.
    #[serde(default)]
    pub response_plan: Option<String>,
    /// Where its incident is posted; `alert.slack.channel_id` when absent.
    #[serde(default)]
    pub slack_channel_id: Option<String>,
}

fn default_oncall() -> bool {
    true
}

/// A name that can be a path segment, a Redis key part and a label value as it is.
pub fn is_heartbeat_name(name: &str) -> bool {
    (1..=MAX_HEARTBEAT_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl HeartbeatSettings {
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.interval_minutes.max(0.0) * 60.0)
    }

    /// How long its incident waits before paging, or `None` when it never pages.
    pub fn page_wait(&self, oncall: &OncallSettings) -> Option<Duration> {
        if !self.oncall || !oncall.is_ready() {
            return None;
        }
        let minutes = self.wait_minutes.unwrap_or(oncall.wait_minutes);
        Some(Duration::from_secs_f64(minutes.max(0.0) * 60.0))
    }

    /// The response plan its page uses.
    pub fn plan_arn<'a>(&'a self, oncall: &'a OncallSettings) -> &'a str {
        let aws = &oncall.aws_incident_manager;
        self.response_plan
            .as_ref()
            .and_then(|key| aws.other_response_plan_arns.get(key))
            .unwrap_or(&aws.response_plan_arn)
    }
}

/// Each entry's problems, named by `heartbeats[i].key` (and by the heartbeat's name).
pub(super) fn check(p: &mut Problems, heartbeats: &[HeartbeatSettings], oncall: &OncallSettings) {
    let mut seen = HashSet::new();
    for (index, heartbeat) in heartbeats.iter().enumerate() {
        let key = |field: &str| format!("heartbeats[{index}].{field}");
        let name = &heartbeat.name;
        p.check(
            is_heartbeat_name(name),
            &key("name"),
            format!("is {name:?}; a heartbeat name is 1 to {MAX_HEARTBEAT_NAME_LEN} of a-z, 0-9, _ and -"),
        );
        p.check(
            seen.insert(name.as_str()),
            &key("name"),
            format!("{name:?} is used by an earlier heartbeat; names must be unique"),
        );
        p.check(
            (MIN_HEARTBEAT_INTERVAL_MINUTES..=MAX_HEARTBEAT_INTERVAL_MINUTES)
                .contains(&heartbeat.interval_minutes),
            &key("interval_minutes"),
            format!("of heartbeat {name:?} must be between {MIN_HEARTBEAT_INTERVAL_MINUTES:.4} (1 s) and {MAX_HEARTBEAT_INTERVAL_MINUTES} (a week); for Alertmanager's Watchdog make it at least 3 times the route's group_interval"),
        );
        if let Some(wait) = heartbeat.wait_minutes {
            p.check(
                (0.0..=1440.0).contains(&wait),
                &key("wait_minutes"),
                format!("of heartbeat {name:?} must be between 0 and 1440 minutes"),
            );
        }
        if let Some(plan) = &heartbeat.response_plan {
            let plans = &oncall.aws_incident_manager.other_response_plan_arns;
            p.check(
                plans.contains_key(plan),
                &key("response_plan"),
                format!(
                    "of heartbeat {name:?} is {plan:?}, not a key of oncall.aws_incident_manager.other_response_plan_arns; known keys: [{}]",
                    plans.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        if let Some(channel) = &heartbeat.slack_channel_id {
            p.check(
                !channel.is_empty() && channel.bytes().all(|b| b.is_ascii_alphanumeric()),
                &key("slack_channel_id"),
                format!("of heartbeat {name:?} must be a Slack channel id (C0123...)"),
            );
        }
    }
}
