//! Versus Incident's environment switches: variables it reads whatever its config file says. A team moving
//! over keeps its deployment's environment, so they override the file here too; `VERSUS__...` overrides
//! still win over them, because they are applied to the file's values before those are merged.
//!
//! Every other variable (`SLACK_TOKEN`, `REDIS_HOST`, `REDIS_PORT`, ...) is read only where the file
//! references it: Kubernetes injects `REDIS_PORT=tcp://10.0.0.1:6379` for a Service named `redis`, which must
//! never become the port.

use super::validate::Problem;
use config::{Map, Value, ValueKind};
use std::collections::HashMap;
use std::fmt;

/// What a switch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `true` or `false`; Versus Incident itself takes anything but `true` as false, so a typo would
    /// silently switch a channel off.
    Flag,
    /// The on-call provider; this release pages through AWS Incident Manager only.
    Provider,
    /// A file path.
    Path,
}

/// Each switch, the key it sets and what it holds.
const SWITCHES: &[(&str, &str, Kind)] = &[
    ("SLACK_ENABLE", "alert.slack.enable", Kind::Flag),
    ("ONCALL_ENABLE", "oncall.enable", Kind::Flag),
    ("ONCALL_PROVIDER", "oncall.provider", Kind::Provider),
    ("DEBUG_BODY", "alert.debug_body", Kind::Flag),
    ("REDIS_TLS", "redis.tls", Kind::Flag),
    ("REDIS_CLUSTER", "redis.cluster", Kind::Flag),
    ("REDIS_CA_CERT", "redis.ca_cert", Kind::Path),
];

/// Versus Incident's switches for channels and listeners this release does not have, with what each is for.
pub const IGNORED_SWITCHES: &[(&str, &str)] = &[
    ("TELEGRAM_ENABLE", "Telegram"),
    ("VIBER_ENABLE", "Viber"),
    ("EMAIL_ENABLE", "email"),
    ("MSTEAMS_ENABLE", "Microsoft Teams"),
    ("LARK_ENABLE", "Lark"),
    ("GOOGLECHAT_ENABLE", "Google Chat"),
    ("SNS_ENABLE", "AWS SNS"),
    ("SQS_ENABLE", "AWS SQS"),
    ("PUBSUB_ENABLE", "Google Cloud Pub/Sub"),
    ("AZBUS_ENABLE", "Azure Service Bus"),
];

/// The one provider this release has.
const SUPPORTED_PROVIDER: &str = "aws_incident_manager";

/// What the switches did besides setting keys: bad values (start-up errors) and ignored switches (warnings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwitchNotes {
    pub problems: Vec<Problem>,
    pub ignored: Vec<IgnoredSwitch>,
    pub overrides: Vec<SwitchOverride>,
}

/// A switch that changed a value the file sets otherwise: worth a warning, because a deployment's leftover
/// `SLACK_ENABLE=false` silently turning off what the file turns on is exactly the surprise to avoid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchOverride {
    pub variable: &'static str,
    pub key: &'static str,
    pub value: String,
    pub in_file: String,
}

impl fmt::Display for SwitchOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={} overrides {} ({} in the file): Versus Incident's switches win over the file; unset the variable to use the file's value",
            self.variable, self.value, self.key, self.in_file
        )
    }
}

/// A Versus Incident switch for a feature this release lacks, set in the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredSwitch {
    pub variable: &'static str,
    pub feature: &'static str,
}

impl fmt::Display for IgnoredSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: a Versus Incident switch for {}, which this release does not have; it is ignored",
            self.variable, self.feature
        )
    }
}

/// Sets the key of every switch present in `env` (an empty value counts as unset, as in Versus Incident)
/// in the file's `table`, and notes bad values and ignored switches.
pub(super) fn apply(table: &mut Map<String, Value>, env: &HashMap<String, String>) -> SwitchNotes {
    let mut notes = SwitchNotes::default();
    for &(variable, key, kind) in SWITCHES {
        let Some(raw) = env
            .get(variable)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        match parse(kind, raw) {
            Ok(value) => {
                if let Some(in_file) =
                    file_value(table, key).filter(|v| !v.eq_ignore_ascii_case(raw))
                {
                    notes.overrides.push(SwitchOverride {
                        variable,
                        key,
                        value: raw.to_string(),
                        in_file,
                    });
                }
                set(table, key, Some(value))
            }
            Err(message) => {
                // A file that substitutes the same variable (`enable: ${SLACK_ENABLE}`) would otherwise hide
                // this problem behind a type error naming the key instead of the variable.
                set(table, key, None);
                notes.problems.push(Problem {
                    key: variable.to_string(),
                    message: format!("(environment, sets {key}) {message}"),
                });
            }
        }
    }
    for &(variable, feature) in IGNORED_SWITCHES {
        if env.get(variable).is_some_and(|v| !v.trim().is_empty()) {
            notes.ignored.push(IgnoredSwitch { variable, feature });
        }
    }
    notes
}

fn parse(kind: Kind, raw: &str) -> Result<ValueKind, String> {
    match kind {
        Kind::Flag if raw.eq_ignore_ascii_case("true") => Ok(ValueKind::Boolean(true)),
        Kind::Flag if raw.eq_ignore_ascii_case("false") => Ok(ValueKind::Boolean(false)),
        Kind::Flag => Err(format!("is {raw:?}; write true or false")),
        Kind::Provider if raw == SUPPORTED_PROVIDER => Ok(ValueKind::String(raw.to_string())),
        Kind::Provider => Err(format!(
            "is {raw:?}; this release pages through {SUPPORTED_PROVIDER} only: unset it, or set it to {SUPPORTED_PROVIDER}"
        )),
        Kind::Path => Ok(ValueKind::String(raw.to_string())),
    }
}

/// The file's value at the dotted `key`, as text, when it is a scalar.
fn file_value(table: &Map<String, Value>, key: &str) -> Option<String> {
    let mut parts = key.split('.').peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        let value = current.get(part)?;
        match &value.kind {
            ValueKind::Table(next) if parts.peek().is_some() => current = next,
            ValueKind::Table(_) | ValueKind::Array(_) | ValueKind::Nil => return None,
            _ if parts.peek().is_some() => return None,
            scalar => return Some(scalar.to_string()),
        }
    }
    None
}

/// Sets the dotted `key` in `table` (removes it for `None`), making the tables on the way (a section left
/// empty in YAML is a unit).
fn set(table: &mut Map<String, Value>, key: &str, value: Option<ValueKind>) {
    let (parents, leaf) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = table;
    for part in parents.split('.').filter(|p| !p.is_empty()) {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| Value::new(None, ValueKind::Table(Map::new())));
        if !matches!(entry.kind, ValueKind::Table(_)) {
            entry.kind = ValueKind::Table(Map::new());
        }
        let ValueKind::Table(next) = &mut entry.kind else {
            unreachable!("made a table just above")
        };
        current = next;
    }
    match value {
        Some(value) => current.insert(leaf.to_string(), Value::new(None, value)),
        None => current.remove(leaf),
    };
}
