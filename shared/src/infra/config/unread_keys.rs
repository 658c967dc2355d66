//! Keys in the configuration that no setting reads. Versus Incident's settings for features this release
//! lacks load with a warning naming each one (its example configs keep working); any other is a misspelling
//! (`oncall.wait_minute: 30` would otherwise wait the default 3 minutes) and an error naming the nearest
//! known key.

use super::known_keys::KnownKeys;
use super::validate::Problem;
use serde::de::DeserializeOwned;
use std::fmt;

/// Versus Incident's settings for features this release does not have, with what each was for. A key at or
/// under one of these loads with a warning; to accept another such key, add it here.
pub const VERSUS_INCIDENT_ONLY: &[(&str, &str)] = &[
    ("gateway_secret", "its admin and agent API"),
    ("proxy", "an outbound HTTP proxy"),
    ("alert.telegram", "Telegram"),
    ("alert.viber", "Viber"),
    ("alert.email", "email"),
    ("alert.msteams", "Microsoft Teams"),
    ("alert.lark", "Lark"),
    ("alert.googlechat", "Google Chat"),
    ("queue.enable", "message-queue listeners"),
    ("queue.debug_body", "message-queue listeners"),
    ("queue.sns", "AWS SNS"),
    ("queue.sqs", "AWS SQS"),
    ("queue.pubsub", "Google Cloud Pub/Sub"),
    ("queue.azbus", "Azure Service Bus"),
    ("oncall.pagerduty", "PagerDuty on-call"),
    ("oncall.servicenow", "ServiceNow on-call"),
    ("oncall.incident_io", "incident.io on-call"),
    ("storage", "its incident history"),
    ("agent", "its AI agent"),
];

/// What the configuration holds that no setting reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnreadKeys {
    /// Misspelt or made-up keys: each is a start-up error.
    pub unknown: Vec<UnknownKey>,
    /// Versus Incident's settings for features this release lacks: each is a warning.
    pub unsupported: Vec<UnsupportedKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    pub key: String,
    /// The known key it was most likely meant to be.
    pub suggestion: Option<String>,
}

impl UnknownKey {
    pub fn problem(&self) -> Problem {
        let message = match &self.suggestion {
            Some(known) => format!("is not a Versus setting; did you mean {known}?"),
            None => "is not a Versus setting; remove it, or see the configuration reference in README.md".into(),
        };
        Problem {
            key: self.key.clone(),
            message,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedKey {
    pub key: String,
    /// What Versus Incident uses it for.
    pub feature: &'static str,
}

impl fmt::Display for UnsupportedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: a Versus Incident setting for {}, which this release does not have; it is ignored",
            self.key, self.feature
        )
    }
}

impl UnreadKeys {
    /// Sorts the keys nothing read into Versus Incident's and unknown ones, suggesting a known key for each
    /// unknown one from the keys of `T`.
    pub fn sort<T: DeserializeOwned>(unread: Vec<String>) -> Self {
        let mut sorted = UnreadKeys::default();
        let mut known = None;
        for key in unread {
            let versus_incident = VERSUS_INCIDENT_ONLY.iter().find(|(path, _)| {
                key == *path
                    || key
                        .strip_prefix(path)
                        .is_some_and(|rest| rest.starts_with('.'))
            });
            match versus_incident {
                Some((_, feature)) => sorted.unsupported.push(UnsupportedKey { key, feature }),
                None => {
                    let known = known.get_or_insert_with(KnownKeys::of::<T>);
                    sorted.unknown.push(UnknownKey {
                        suggestion: known.suggestion(&key),
                        key,
                    });
                }
            }
        }
        sorted
    }
}

/// Deserializes `T`, returning with it every key of the input that no field of `T` read.
pub fn deserialize_noting_unread<'de, T, D>(deserializer: D) -> Result<(T, Vec<String>), D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    let mut unread = Vec::new();
    let value = serde_ignored::deserialize(deserializer, |path| unread.push(dotted(&path)))?;
    Ok((value, unread))
}

/// A path as the configuration reference spells keys: `oncall.wait_minute`, `alert.items[2]`.
fn dotted(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", dotted(parent)),
        Path::Map { parent, key } => {
            let parent = dotted(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => dotted(parent),
    }
}
