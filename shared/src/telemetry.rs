//! Logging to stdout through tracing-subscriber: human-readable by default, JSON with `log_format: json`
//! (or `VERSUS_LOG_FORMAT=json`), level from `RUST_LOG` (default `info`).

use crate::config::{LogFormat, Settings};
use crate::secret::Secret;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Removes configured secrets from text that is about to be logged (a received body, an upstream error),
/// in case a sender echoes one back.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    pub fn from_settings(settings: &Settings) -> Self {
        let secrets = [
            settings.alert.slack.token.as_ref(),
            settings.alert.slack.signing_secret.as_ref(),
            settings.oncall.ack_secret.as_ref(),
            settings.redis.password.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter(|s| s.expose().len() >= 4)
        .cloned()
        .collect();
        Self { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |acc, secret| {
            acc.replace(secret.expose(), "[redacted]")
        })
    }
}
