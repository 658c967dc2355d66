//! The query parameters of `POST /api/incidents`: ours, Versus Incident's for features this release lacks,
//! and any other, which is a mistake in the sender's URL (`?oncall_enabled=false`).
//!
//! Alertmanager does not retry an alert answered with a `4xx`, so an unknown parameter never costs the alert:
//! it is accepted and handled with the defaults, and the names of its unknown parameters are stored with the
//! incident ([`UnknownParameters`]) so that its Slack message can say what was ignored.

use serde::{Deserialize, Serialize};

/// Ours. `slack_channel_id` is accepted and not used yet: a later release posts to the channel it names.
pub const OURS: &[&str] = &[
    "oncall_enable",
    "oncall_wait_minutes",
    "awsim_other_response_plan",
    "dedup_key",
    "slack_channel_id",
];

/// Versus Incident's parameters for channels and providers this release lacks, with what each is for:
/// accepted and ignored (logged, no warning in Slack).
pub const VERSUS_INCIDENT_ONLY: &[(&str, &str)] = &[
    ("telegram_chat_id", "Telegram"),
    ("viber_user_id", "Viber"),
    ("viber_channel_id", "Viber"),
    ("email_to", "email"),
    ("email_subject", "email"),
    ("msteams_other_power_url", "Microsoft Teams"),
    ("msteams_other_webhook_url", "Microsoft Teams"),
    ("lark_other_webhook_url", "Lark"),
    ("pagerduty_other_routing_key", "PagerDuty"),
    ("servicenow_other_instance", "ServiceNow"),
    ("incidentio_other_alert_source", "incident.io"),
];

/// Versus Incident sets this one itself; from a URL it means nothing and is dropped.
pub const RESERVED: &[&str] = &["incident_source"];

/// What a parameter name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterKind {
    Ours,
    /// Versus Incident's, for the named channel or provider.
    VersusIncidentOnly(&'static str),
    Reserved,
    Unknown,
}

pub fn kind_of(name: &str) -> ParameterKind {
    if OURS.contains(&name) {
        ParameterKind::Ours
    } else if let Some((_, feature)) = VERSUS_INCIDENT_ONLY.iter().find(|(n, _)| *n == name) {
        ParameterKind::VersusIncidentOnly(feature)
    } else if RESERVED.contains(&name) {
        ParameterKind::Reserved
    } else {
        ParameterKind::Unknown
    }
}

/// At most this many unknown names are kept with an incident (a hostile URL can carry a thousand); the rest
/// are counted.
pub const NAMES_MAX: usize = 5;
/// A kept name is cut to this many characters.
pub const NAME_CHARS_MAX: usize = 64;

/// The unknown parameter names of one request, bounded: at most [`NAMES_MAX`] distinct names of at most
/// [`NAME_CHARS_MAX`] characters each, without control characters or backticks (they are shown as code), and
/// how many more there were. Not escaped for Slack: whoever writes them into a message escapes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownParameters {
    names: Vec<String>,
    #[serde(default)]
    more: usize,
}

impl UnknownParameters {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.more == 0
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// How many unknown names there were beyond [`names`](Self::names).
    pub fn more(&self) -> usize {
        self.more
    }

    /// Notes one unknown name (a repeated name counts once).
    pub fn add(&mut self, name: &str) {
        let name = bounded_name(name);
        if self.names.contains(&name) {
            return;
        }
        if self.names.len() < NAMES_MAX {
            self.names.push(name);
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    /// As stored in the incident's `unknown_params` field: JSON, empty when there are none.
    pub fn to_field(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The stored field read back, bounded again whatever wrote it; empty or unreadable reads as none.
    pub fn from_field(text: &str) -> Self {
        let Ok(stored) = serde_json::from_str::<UnknownParameters>(text) else {
            return Self::default();
        };
        let mut bounded = Self::default();
        for name in &stored.names {
            bounded.add(name);
        }
        bounded.more = bounded.more.saturating_add(stored.more);
        bounded
    }
}

fn bounded_name(name: &str) -> String {
    name.chars()
        .take(NAME_CHARS_MAX)
        .map(|c| if c.is_control() || c == '`' { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_names_into_ours_versus_incidents_reserved_and_unknown() {
        assert_eq!(kind_of("oncall_enable"), ParameterKind::Ours);
        assert_eq!(kind_of("slack_channel_id"), ParameterKind::Ours);
        assert_eq!(
            kind_of("telegram_chat_id"),
            ParameterKind::VersusIncidentOnly("Telegram")
        );
        assert_eq!(kind_of("incident_source"), ParameterKind::Reserved);
        assert_eq!(kind_of("oncall_enabled"), ParameterKind::Unknown);
        assert_eq!(kind_of("ONCALL_ENABLE"), ParameterKind::Unknown);
    }

    #[test]
    fn keeps_a_few_short_clean_names_and_counts_the_rest() {
        let mut unknown = UnknownParameters::default();
        unknown.add("oncall_enabled");
        unknown.add("oncall_enabled");
        unknown.add(&"x".repeat(1000));
        unknown.add("a\nb`c");
        for n in 0..1000 {
            unknown.add(&format!("p{n}"));
        }
        assert_eq!(unknown.names().len(), NAMES_MAX);
        assert_eq!(unknown.names()[0], "oncall_enabled");
        assert_eq!(unknown.names()[1].chars().count(), NAME_CHARS_MAX);
        assert_eq!(unknown.names()[2], "a?b?c");
        assert_eq!(unknown.more(), 998);
    }

    #[test]
    fn round_trips_through_the_stored_field_and_bounds_what_it_reads() {
        assert_eq!(UnknownParameters::default().to_field(), "");
        assert!(UnknownParameters::from_field("").is_empty());
        assert!(UnknownParameters::from_field("not json").is_empty());
        let mut unknown = UnknownParameters::default();
        unknown.add("oncall_enabled");
        assert_eq!(UnknownParameters::from_field(&unknown.to_field()), unknown);
        let hostile = serde_json::json!({
            "names": (0..50).map(|n| format!("n{n}\u{7}{}", "y".repeat(200))).collect::<Vec<_>>(),
            "more": 3,
        });
        let read = UnknownParameters::from_field(&hostile.to_string());
        assert_eq!(read.names().len(), NAMES_MAX);
        assert!(read
            .names()
            .iter()
            .all(|n| n.chars().count() <= NAME_CHARS_MAX && !n.contains('\u{7}')));
        assert_eq!(read.more(), 45 + 3);
    }
}
